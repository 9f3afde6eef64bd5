//! Tokens of the rule language, each with its character position.

use super::error::{Pos, RuleError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A double-quoted string, escapes resolved.
    Str(String),
    /// An unquoted run of letters, digits, `_`, `-`, `@` and `.`: a property
    /// path (`resource.@Department`), a function name, a GUID or a bare value.
    Word(String),
    Eq,
    Ne,
    Not,
    And,
    Or,
    Like,
    Matches,
    LParen,
    RParen,
    Comma,
}

impl Kind {
    /// How the token reads in an error message ("found ...").
    pub(crate) fn describe(&self) -> String {
        match self {
            Kind::Str(s) => format!("string \"{}\"", shorten(s)),
            Kind::Word(w) => format!("'{}'", shorten(w)),
            Kind::Eq => "'='".into(),
            Kind::Ne => "'!='".into(),
            Kind::Not => "'!'".into(),
            Kind::And => "'and'".into(),
            Kind::Or => "'or'".into(),
            Kind::Like => "'like'".into(),
            Kind::Matches => "'matches'".into(),
            Kind::LParen => "'('".into(),
            Kind::RParen => "')'".into(),
            Kind::Comma => "','".into(),
        }
    }
}

fn shorten(s: &str) -> String {
    const MAX: usize = 40;
    if s.chars().count() > MAX {
        let head: String = s.chars().take(MAX).collect();
        format!("{head}...")
    } else {
        s.to_string()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Token {
    pub kind: Kind,
    pub pos: Pos,
}

pub(crate) fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '@' | '.')
}

struct Cursor<'a> {
    rest: std::str::Chars<'a>,
    pos: Pos,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<char> {
        self.rest.clone().next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.rest.next()?;
        self.pos.offset = self.pos.offset.saturating_add(1);
        if c == '\n' {
            self.pos.line = self.pos.line.saturating_add(1);
            self.pos.column = 1;
        } else {
            self.pos.column = self.pos.column.saturating_add(1);
        }
        Some(c)
    }
}

/// Splits `text` into tokens; also returns the position just past the end.
pub(crate) fn tokenize(text: &str) -> Result<(Vec<Token>, Pos), RuleError> {
    let mut cur = Cursor {
        rest: text.chars(),
        pos: Pos::START,
    };
    let mut tokens = Vec::new();
    while let Some(c) = cur.peek() {
        let pos = cur.pos;
        if c.is_whitespace() {
            cur.bump();
            continue;
        }
        let kind =
            match c {
                '(' => {
                    cur.bump();
                    Kind::LParen
                }
                ')' => {
                    cur.bump();
                    Kind::RParen
                }
                ',' => {
                    cur.bump();
                    Kind::Comma
                }
                '=' => {
                    cur.bump();
                    Kind::Eq
                }
                '!' => {
                    cur.bump();
                    if cur.peek() == Some('=') {
                        cur.bump();
                        Kind::Ne
                    } else {
                        Kind::Not
                    }
                }
                '"' => {
                    cur.bump();
                    Kind::Str(string_body(&mut cur, pos)?)
                }
                c if is_word_char(c) => {
                    let mut word = String::new();
                    while let Some(c) = cur.peek().filter(|c| is_word_char(*c)) {
                        word.push(c);
                        cur.bump();
                    }
                    match word.to_ascii_lowercase().as_str() {
                        "and" => Kind::And,
                        "or" => Kind::Or,
                        "like" => Kind::Like,
                        "matches" => Kind::Matches,
                        _ => Kind::Word(word),
                    }
                }
                '\'' => return Err(RuleError::at(
                    pos,
                    "expected a property, a double-quoted string, an operator or a parenthesis, \
                     found ''' (strings use double quotes)",
                )),
                other => {
                    return Err(RuleError::at(
                        pos,
                        format!(
                    "expected a property, a double-quoted string, an operator or a parenthesis, \
                         found {other:?}"
                ),
                    ))
                }
            };
        tokens.push(Token { kind, pos });
    }
    Ok((tokens, cur.pos))
}

/// Reads a string after its opening quote. `\"` is a quote and `\\` a
/// backslash; any other backslash stays as it is (so regular expressions
/// like `"\d+"` need no doubling).
fn string_body(cur: &mut Cursor<'_>, start: Pos) -> Result<String, RuleError> {
    let mut s = String::new();
    loop {
        match cur.bump() {
            None => {
                return Err(RuleError::at(
                    start,
                    "expected a closing '\"' for the string that starts here, found end of rule",
                ))
            }
            Some('"') => return Ok(s),
            Some('\\') => match cur.peek() {
                Some(c @ ('"' | '\\')) => {
                    s.push(c);
                    cur.bump();
                }
                _ => s.push('\\'),
            },
            Some(c) => s.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<Kind> {
        tokenize(text)
            .unwrap()
            .0
            .into_iter()
            .map(|t| t.kind)
            .collect()
    }

    #[test]
    fn tokens_and_positions() {
        let (toks, end) = tokenize("resource.@Dept != \"a\\\"b\" AND\n  x").unwrap();
        let got: Vec<(Kind, usize, usize, usize)> = toks
            .into_iter()
            .map(|t| (t.kind, t.pos.offset, t.pos.line, t.pos.column))
            .collect();
        assert_eq!(
            got,
            vec![
                (Kind::Word("resource.@Dept".into()), 0, 1, 1),
                (Kind::Ne, 15, 1, 16),
                (Kind::Str("a\"b".into()), 18, 1, 19),
                (Kind::And, 25, 1, 26),
                (Kind::Word("x".into()), 31, 2, 3),
            ]
        );
        assert_eq!((end.offset, end.line, end.column), (32, 2, 4));
    }

    #[test]
    fn keywords_are_case_insensitive() {
        assert_eq!(
            kinds("Or aNd LIKE Matches ! ( ) ,"),
            vec![
                Kind::Or,
                Kind::And,
                Kind::Like,
                Kind::Matches,
                Kind::Not,
                Kind::LParen,
                Kind::RParen,
                Kind::Comma
            ]
        );
    }

    #[test]
    fn guid_and_backslashes() {
        assert_eq!(
            kinds(r#"1f3e6a52-0c6b-4bd4-9e3c-3e1b2c4d5e6f "\d+\\""#),
            vec![
                Kind::Word("1f3e6a52-0c6b-4bd4-9e3c-3e1b2c4d5e6f".into()),
                Kind::Str("\\d+\\".into())
            ]
        );
    }

    #[test]
    fn errors() {
        let e = tokenize("resource.name = \"abc").unwrap_err();
        assert_eq!((e.position, e.column), (16, 17));
        assert!(e.message.contains("closing '\"'"), "{e}");
        let e = tokenize("résumé # x").unwrap_err();
        assert_eq!((e.position, e.column), (7, 8));
        assert!(e.message.ends_with("found '#'"), "{e}");
        let e = tokenize("x = 'a'").unwrap_err();
        assert_eq!(e.position, 4);
    }
}
