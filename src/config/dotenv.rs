//! The `.env` format, as dotenvy reads it: `KEY=VALUE` lines, blank lines and `#` comments, an
//! optional `export ` before the key. A value is unquoted (ends at a blank, after which only a
//! comment may follow), `'single-quoted'` (literal) or `"double-quoted"` (escapes `\\ \" \' \$ \n`
//! and `\ `); quoted values may span lines; `$NAME` and `${NAME}` outside single quotes take the
//! value of an environment variable, else of a key defined earlier in the file.
//!
//! A problem names its line and, once the `=` is seen, its key; never the value, which may be
//! a secret.

use std::iter::Peekable;
use std::str::Chars;

/// What is wrong with a `.env` file, and where.
#[derive(Debug, PartialEq, Eq)]
pub struct Problem {
    pub line: usize,
    pub key: Option<String>,
    pub what: &'static str,
}

impl Problem {
    /// `PATH:LINE: KEY: what is wrong`.
    pub fn describe(&self, path: &str) -> String {
        match &self.key {
            Some(key) => format!("{path}:{}: {key}: {}", self.line, self.what),
            None => format!("{path}:{}: {}", self.line, self.what),
        }
    }
}

/// The variables of a `.env` text, in order; `env` looks up `$NAME` in the environment.
pub fn parse(
    text: &str,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Vec<(String, String)>, Problem> {
    let mut cur = Cursor::new(text.trim_start_matches('\u{feff}'));
    let mut vars: Vec<(String, String)> = Vec::new();
    loop {
        cur.skip_blanks();
        match cur.peek() {
            None => return Ok(vars),
            Some('\n' | '\r') => {
                cur.next();
                continue;
            }
            Some('#') => {
                cur.skip_line();
                continue;
            }
            Some(_) => {}
        }
        let line = cur.line;
        let Some(key) = key(&mut cur) else {
            return Err(Problem {
                line,
                key: None,
                what: "expected KEY=VALUE",
            });
        };
        let lookup = |name: &str| {
            env(name).or_else(|| {
                vars.iter()
                    .rev()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| v.clone())
            })
        };
        match value(&mut cur, &lookup) {
            Ok(value) => vars.push((key, value)),
            Err(what) => {
                return Err(Problem {
                    line,
                    key: Some(key),
                    what,
                })
            }
        }
    }
}

/// Characters with the line they are on.
struct Cursor<'a> {
    chars: Peekable<Chars<'a>>,
    line: usize,
}

impl<'a> Cursor<'a> {
    fn new(text: &'a str) -> Cursor<'a> {
        Cursor {
            chars: text.chars().peekable(),
            line: 1,
        }
    }

    fn peek(&mut self) -> Option<char> {
        self.chars.peek().copied()
    }

    fn next(&mut self) -> Option<char> {
        let c = self.chars.next();
        if c == Some('\n') {
            self.line += 1;
        }
        c
    }

    fn skip_blanks(&mut self) {
        while matches!(self.peek(), Some(' ' | '\t')) {
            self.next();
        }
    }

    /// Up to and including the end of the line.
    fn skip_line(&mut self) {
        while !matches!(self.next(), None | Some('\n')) {}
    }

    fn word(&mut self) -> String {
        let mut word = String::new();
        while let Some(c) = self
            .peek()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        {
            word.push(c);
            self.next();
        }
        word
    }
}

/// `[export ]KEY =`; `None` when the line does not start like that (what was read is not named:
/// a line without `=` may be a pasted secret).
fn key(cur: &mut Cursor) -> Option<String> {
    let mut key = name(cur)?;
    if key == "export" && matches!(cur.peek(), Some(' ' | '\t')) {
        cur.skip_blanks();
        if cur.peek() != Some('=') {
            key = name(cur)?;
        }
    }
    cur.skip_blanks();
    (cur.next() == Some('=')).then_some(key)
}

/// A variable name: a letter or `_`, then letters, digits, `_` and `.`.
fn name(cur: &mut Cursor) -> Option<String> {
    if !cur
        .peek()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
    {
        return None;
    }
    let mut name = String::new();
    while let Some(c) = cur
        .peek()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.'))
    {
        name.push(c);
        cur.next();
    }
    Some(name)
}

/// The value after `=`, up to the end of its (last) line.
fn value(
    cur: &mut Cursor,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<String, &'static str> {
    cur.skip_blanks();
    let mut out = String::new();
    if cur.peek() == Some('#') {
        cur.skip_line();
        return Ok(out);
    }
    loop {
        match cur.next() {
            None | Some('\n') => return Ok(out),
            Some('\r') if matches!(cur.peek(), None | Some('\n')) => {}
            Some('\'') => single_quoted(cur, &mut out)?,
            Some('"') => double_quoted(cur, &mut out, lookup)?,
            Some('\\') => escape(cur, &mut out)?,
            Some('$') => substitute(cur, &mut out, lookup)?,
            Some(' ' | '\t') => return only_a_comment_follows(cur).map(|()| out),
            Some(c) => out.push(c),
        }
    }
}

fn only_a_comment_follows(cur: &mut Cursor) -> Result<(), &'static str> {
    cur.skip_blanks();
    match cur.peek() {
        None | Some('\n' | '\r' | '#') => {
            cur.skip_line();
            Ok(())
        }
        Some(_) => Err("a value with blanks in it must be quoted"),
    }
}

fn single_quoted(cur: &mut Cursor, out: &mut String) -> Result<(), &'static str> {
    loop {
        match cur.next() {
            None => return Err("unterminated single quote"),
            Some('\'') => return Ok(()),
            Some(c) => out.push(c),
        }
    }
}

fn double_quoted(
    cur: &mut Cursor,
    out: &mut String,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<(), &'static str> {
    loop {
        match cur.next() {
            None => return Err("unterminated double quote"),
            Some('"') => return Ok(()),
            Some('\\') => escape(cur, out)?,
            Some('$') => substitute(cur, out, lookup)?,
            Some(c) => out.push(c),
        }
    }
}

fn escape(cur: &mut Cursor, out: &mut String) -> Result<(), &'static str> {
    match cur.next() {
        Some(c @ ('\\' | '\'' | '"' | '$' | ' ')) => out.push(c),
        Some('n') => out.push('\n'),
        _ => return Err("unknown escape: use \\\\, \\\", \\', \\$, \\n or \\ (blank)"),
    }
    Ok(())
}

/// After a `$`: `{NAME}` or `NAME` replaced by its value (empty when unset); a lone `$` stays.
fn substitute(
    cur: &mut Cursor,
    out: &mut String,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<(), &'static str> {
    let name = if cur.peek() == Some('{') {
        cur.next();
        let name = cur.word();
        if cur.next() != Some('}') {
            return Err("unterminated ${NAME}");
        }
        name
    } else {
        let name = cur.word();
        if name.is_empty() {
            out.push('$');
            return Ok(());
        }
        name
    };
    out.push_str(&lookup(&name).unwrap_or_default());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(text: &str) -> Vec<(String, String)> {
        parse(text, |name| {
            (name == "HOME_DIR").then(|| "/home/q".to_string())
        })
        .unwrap()
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn values_unquoted_quoted_and_substituted() {
        let text = "\u{feff}# comment\n\nexport A=1\r\nB = two # note\nC='lit $A \\n'\nD=\"x\\\"y\\n$A ${B}\"\nE=\nF=a#b\nG=\"multi\nline\"\nH=$HOME_DIR/x\nexport=e\nI=$\n";
        assert_eq!(
            vars(text),
            pairs(&[
                ("A", "1"),
                ("B", "two"),
                ("C", "lit $A \\n"),
                ("D", "x\"y\n1 two"),
                ("E", ""),
                ("F", "a#b"),
                ("G", "multi\nline"),
                ("H", "/home/q/x"),
                ("export", "e"),
                ("I", "$"),
            ])
        );
    }

    #[test]
    fn problems_name_the_line_and_key_never_the_value() {
        let cases = [
            (
                "A=1\nQLIK_CLIENT_SECRET=\"abc\nB=2\n",
                ".env:2: QLIK_CLIENT_SECRET: unterminated double quote",
            ),
            (
                "QLIK_CLIENT_SECRET=hunter2 extra'\n",
                ".env:1: QLIK_CLIENT_SECRET: a value with blanks in it must be quoted",
            ),
            (
                "\n\nQLIK_CLIENT_SECRET='hunter2\n",
                ".env:3: QLIK_CLIENT_SECRET: unterminated single quote",
            ),
            ("hunter2\n", ".env:1: expected KEY=VALUE"),
            ("1hunter2=x\n", ".env:1: expected KEY=VALUE"),
            ("K=${hunter2\n", ".env:1: K: unterminated ${NAME}"),
            (
                "K=\"a\\qb\"\n",
                ".env:1: K: unknown escape: use \\\\, \\\", \\', \\$, \\n or \\ (blank)",
            ),
        ];
        for (text, want) in cases {
            let problem = parse(text, |_| None).unwrap_err();
            let said = problem.describe(".env");
            assert_eq!(said, want, "{text:?}");
            assert!(!said.contains("hunter2") && !said.contains("abc"), "{said}");
        }
    }
}
