//! What looks secret in Rhai source text, for the REPL history and for error reports that quote
//! a source line: names (`clientSecret`, `token`, ...) and the string literals given to them,
//! and credentials anywhere (JWTs, `Bearer ...`). The rules for names and values are in
//! [`crate::secret`]; this file only knows where names and literals are in the source.

use crate::secret::{holds_credential, is_secret_name, mask_credentials, stars};
use std::ops::Range;

/// One token of a line of Rhai, as far as secrets care.
#[derive(Debug, PartialEq)]
enum Token<'a> {
    /// An identifier.
    Name(&'a str),
    /// A string literal: its text between the quotes, and where that text is.
    Str(&'a str, Range<usize>),
    /// Any other symbol (`=`, `:`, `==`, `::`, `]`, ...).
    Punct(&'a str),
}

impl Token<'_> {
    /// The name this token gives a value when it stands before `=` or `:`.
    fn as_name(&self) -> Option<&str> {
        match self {
            Token::Name(n) | Token::Str(n, _) => Some(n),
            Token::Punct(_) => None,
        }
    }
}

/// Whether `source` should stay out of the REPL history: it names something secret-looking (a
/// variable, map key or property) or holds a credential.
pub fn mentions_secret(source: &str) -> bool {
    holds_credential(source)
        || tokens(source).iter().any(|t| match t {
            Token::Name(name) => is_secret_name(name),
            Token::Str(text, _) => is_key_like(text) && is_secret_name(text),
            Token::Punct(_) => false,
        })
}

/// `line` with secret-looking string literals and credentials masked by `*`, keeping every
/// character's column.
pub fn mask(line: &str) -> String {
    let mut out = line.to_string();
    for range in secret_literals(line) {
        let hidden = stars(&line[range.clone()]);
        out.replace_range(range, &hidden);
    }
    mask_credentials(&out)
}

/// Where the text of string literals given to secret-looking names is: `name: "..."`,
/// `name = "..."`, `"name": "..."`, `x.name = "..."`, `m["name"] = "..."`.
fn secret_literals(source: &str) -> Vec<Range<usize>> {
    let tokens = tokens(source);
    let mut found = Vec::new();
    for (i, token) in tokens.iter().enumerate() {
        let Token::Str(_, range) = token else {
            continue;
        };
        if tokens[..i]
            .last()
            .is_some_and(|t| matches!(t, Token::Punct(":" | "=" | "+=")))
            && target_name(&tokens[..i - 1]).is_some_and(is_secret_name)
        {
            found.push(range.clone());
        }
    }
    found
}

/// The name a `:` or `=` that follows `before` gives its value to (skipping a closing `]`).
fn target_name<'a>(before: &'a [Token<'a>]) -> Option<&'a str> {
    match before {
        [.., name, Token::Punct("]")] | [.., name] => name.as_name(),
        [] => None,
    }
}

/// Text that could be a map key or property name.
fn is_key_like(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// Names, string literals and symbols of `source`; comments and numbers are skipped; an
/// unterminated literal runs to the end.
fn tokens(source: &str) -> Vec<Token<'_>> {
    let bytes = source.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let rest = &source[i..];
        if c.is_ascii_whitespace() {
            i += 1;
        } else if rest.starts_with("//") {
            i += rest.find('\n').unwrap_or(rest.len());
        } else if let Some(comment) = rest.strip_prefix("/*") {
            i += comment.find("*/").map_or(rest.len(), |end| end + 4);
        } else if matches!(c, b'"' | b'`' | b'\'') {
            let end = closing_quote(bytes, i);
            out.push(Token::Str(&source[i + 1..end], i + 1..end));
            i = (end + 1).min(bytes.len());
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let len = rest
                .find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_'))
                .unwrap_or(rest.len());
            out.push(Token::Name(&rest[..len]));
            i += len;
        } else if c.is_ascii_digit() {
            i += rest
                .find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_' || ch == '.'))
                .unwrap_or(rest.len());
        } else {
            let len = ["==", "!=", "<=", ">=", "=>", "::", "+=", "-="]
                .iter()
                .find(|op| rest.starts_with(*op))
                .map_or_else(
                    || rest.chars().next().map_or(1, char::len_utf8),
                    |op| op.len(),
                );
            out.push(Token::Punct(&rest[..len]));
            i += len;
        }
    }
    out
}

/// The index of the quote closing the literal opened at `open` (backslash escapes skipped), or
/// the end of the text.
fn closing_quote(bytes: &[u8], open: usize) -> usize {
    let quote = bytes[open];
    let mut i = open + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if quote != b'`' => i += 2,
            b if b == quote => return i,
            _ => i += 1,
        }
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_given_to_secret_names_are_masked_in_place() {
        let cases = [
            (
                r#"let c = #{clientSecret: "s3cr3t-value", clientName: "bot"}; throw "x";"#,
                r#"let c = #{clientSecret: "************", clientName: "bot"}; throw "x";"#,
            ),
            (
                r#"let token = "abc\"def"; c.password = 'x'; m["api_key"] = `k`;"#,
                r#"let token = "********"; c.password = '*'; m["api_key"] = `*`;"#,
            ),
            (
                r#"#{"private-key": "pem", other: "fine"} // a == "kept""#,
                r#"#{"private-key": "***", other: "fine"} // a == "kept""#,
            ),
            (
                r#"t.get("/x", #{headers: #{h: "Bearer abcdefgh12"}}); secret == "same""#,
                r#"t.get("/x", #{headers: #{h: "Bearer **********"}}); secret == "same""#,
            ),
            (r#"let s = "unterminated"#, r#"let s = "unterminated"#),
            (
                r#"let secret = "unterminated"#,
                r#"let secret = "************"#,
            ),
        ];
        for (line, want) in cases {
            assert_eq!(mask(line), want, "{line}");
            assert_eq!(mask(line).chars().count(), line.chars().count());
        }
    }

    #[test]
    fn secret_names_and_credentials_are_mentions() {
        for input in [
            r#"let c = #{clientSecret: "x"}"#,
            "let api_key = k",
            "c.access_token",
            r#"m["Authorization"]"#,
            r#"let h = "Bearer abcdefgh12""#,
            "let t = \"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig\"",
        ] {
            assert!(mentions_secret(input), "{input}");
        }
        for input in [
            "let harmless = 1",
            r#"t.users(#{name: "secret agent"})"#,
            "c.clientName // the name",
        ] {
            assert!(!mentions_secret(input), "{input}");
        }
    }
}
