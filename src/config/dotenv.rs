//! `.env` files, read by dotenvy, with problems reported by line and key — never by value.
//!
//! dotenvy's own parse error carries the whole offending line, secret value included; we keep
//! only where it is (the line number) and whose it is (the key), and say what is wrong by
//! looking at the shape of the value.

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

/// The variables of a `.env` text, in order (`$NAME` substituted as dotenvy does).
pub fn parse(text: &str) -> Result<Vec<(String, String)>, Problem> {
    let text = text.trim_start_matches('\u{feff}');
    let mut vars = Vec::new();
    for item in dotenvy::from_read_iter(text.as_bytes()) {
        match item {
            Ok(pair) => vars.push(pair),
            Err(dotenvy::Error::LineParse(bad, _)) => return Err(problem(text, &bad)),
            Err(_) => {
                return Err(Problem {
                    line: 1,
                    key: None,
                    what: "not a readable .env file",
                })
            }
        }
    }
    Ok(vars)
}

/// Where the text dotenvy refused (`bad`: the line or just its value) starts in `text`, whose
/// key it has, and what is wrong.
fn problem(text: &str, bad: &str) -> Problem {
    let first = bad.lines().next().unwrap_or_default();
    let at = text.find(first).unwrap_or(0);
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let line = text[..start].matches('\n').count() + 1;
    let physical = text[start..].lines().next().unwrap_or_default();
    let statement = physical.trim_start();
    let statement = statement.strip_prefix("export ").unwrap_or(statement);
    let Some((key, _)) = statement.split_once('=') else {
        return Problem {
            line,
            key: None,
            what: "expected KEY=VALUE",
        };
    };
    let key = key.trim();
    let valid_key = key
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
    if !valid_key {
        return Problem {
            line,
            key: None,
            what: "expected KEY=VALUE",
        };
    }
    let value_at = start + physical.find('=').map_or(0, |i| i + 1);
    Problem {
        line,
        key: Some(key.to_string()),
        what: what_is_wrong(text[value_at..].trim_start()),
    }
}

/// Why dotenvy refused a value, from its shape.
fn what_is_wrong(value: &str) -> &'static str {
    if let Some(rest) = value.strip_prefix('\'') {
        if !rest.contains('\'') {
            return "unterminated single quote";
        }
    }
    if let Some(rest) = value.strip_prefix('"') {
        let mut escaped = false;
        for c in rest.chars() {
            match (escaped, c) {
                (true, '\\' | '"' | '\'' | '$' | 'n' | ' ') => escaped = false,
                (true, _) => return "unknown escape: use \\\\, \\\", \\', \\$, \\n or \\ (blank)",
                (false, '\\') => escaped = true,
                (false, '"') => return "text after the closing quote must be a # comment",
                _ => {}
            }
        }
        return "unterminated double quote";
    }
    if value.contains("${") && !value.contains('}') {
        return "unterminated ${NAME}";
    }
    if value.trim_end().contains([' ', '\t']) {
        return "a value with blanks in it must be quoted";
    }
    "cannot read the value (check its quotes and escapes)"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_unquoted_quoted_and_substituted() {
        let text =
            "\u{feff}# comment\n\nexport A=1\r\nB = two # note\nC='lit $A'\nD=\"x\\\"y ${A}\"\nE=\nG=\"multi\nline\"\n";
        let vars = parse(text).unwrap();
        let get = |k: &str| vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("A"), Some("1"));
        assert_eq!(get("B"), Some("two"));
        assert_eq!(get("C"), Some("lit $A"));
        assert_eq!(get("D"), Some("x\"y 1"));
        assert_eq!(get("E"), Some(""));
        assert_eq!(get("G"), Some("multi\nline"));
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
            (
                "K=\"a\\qb\"\n",
                ".env:1: K: unknown escape: use \\\\, \\\", \\', \\$, \\n or \\ (blank)",
            ),
        ];
        for (text, want) in cases {
            let problem = parse(text).unwrap_err();
            let said = problem.describe(".env");
            assert_eq!(said, want, "{text:?}");
            assert!(!said.contains("hunter2") && !said.contains("abc"), "{said}");
        }
    }
}
