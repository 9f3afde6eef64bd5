//! QRS `filter` (reference §1, S7): `prop op value` joined by `and` / `or` with parentheses;
//! ops `eq ne gt ge lt le sw ew so`; values are single-quoted strings (`''` escapes a quote),
//! or bare GUIDs, numbers, `true`, `false`, `null`. Properties are dotted paths into the full
//! entity (`stream.name`, `customProperties.value`); an array on the path matches when any
//! element does. Strings compare case-insensitively. `and` binds tighter than `or`.

use serde_json::Value;
use std::cmp::Ordering;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
    Sw,
    Ew,
    So,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Lit {
    Str(String),
    Bare(String),
}

#[derive(Debug, Clone)]
pub enum Filter {
    Cmp(Vec<String>, Op, Lit),
    /// Flat lists, so a long chain of `and`/`or` never nests deeply.
    And(Vec<Filter>),
    Or(Vec<Filter>),
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Str(String),
    Open,
    Close,
}

/// Deepest parenthesis nesting accepted (keeps recursion bounded on any input).
const MAX_DEPTH: usize = 64;

fn tokenize(s: &str) -> Result<Vec<(usize, Tok)>, String> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '(' {
            out.push((i, Tok::Open));
            i += 1;
        } else if c == ')' {
            out.push((i, Tok::Close));
            i += 1;
        } else if c == '\'' {
            let start = i;
            let mut v = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    None => {
                        return Err(format!("Unterminated string starting at position {start}"))
                    }
                    Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                        v.push('\'');
                        i += 2;
                    }
                    Some('\'') => {
                        i += 1;
                        break;
                    }
                    Some(ch) => {
                        v.push(*ch);
                        i += 1;
                    }
                }
            }
            out.push((start, Tok::Str(v)));
        } else {
            let start = i;
            let mut v = String::new();
            while let Some(&ch) = chars.get(i) {
                if ch.is_whitespace() || ch == '(' || ch == ')' || ch == '\'' {
                    break;
                }
                v.push(ch);
                i += 1;
            }
            out.push((start, Tok::Word(v)));
        }
    }
    Ok(out)
}

struct Parser {
    toks: Vec<(usize, Tok)>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|(_, t)| t)
    }

    fn at(&self) -> String {
        match self.toks.get(self.pos) {
            Some((p, _)) => format!("position {p}"),
            None => "the end of the filter".to_string(),
        }
    }

    fn keyword(&self, k: &str) -> bool {
        matches!(self.peek(), Some(Tok::Word(w)) if w.eq_ignore_ascii_case(k))
    }

    fn or(&mut self, depth: usize) -> Result<Filter, String> {
        let mut items = vec![self.and(depth)?];
        while self.keyword("or") {
            self.pos += 1;
            items.push(self.and(depth)?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Filter::Or(items)
        })
    }

    fn and(&mut self, depth: usize) -> Result<Filter, String> {
        let mut items = vec![self.atom(depth)?];
        while self.keyword("and") {
            self.pos += 1;
            items.push(self.atom(depth)?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Filter::And(items)
        })
    }

    fn atom(&mut self, depth: usize) -> Result<Filter, String> {
        if depth > MAX_DEPTH {
            return Err(format!("Parentheses nest deeper than {MAX_DEPTH} levels"));
        }
        match self.peek().cloned() {
            Some(Tok::Open) => {
                self.pos += 1;
                let f = self.or(depth + 1)?;
                if self.peek() != Some(&Tok::Close) {
                    return Err(format!("Expected ')' at {}", self.at()));
                }
                self.pos += 1;
                Ok(f)
            }
            Some(Tok::Word(prop)) => {
                let valid = prop.split('.').all(|p| {
                    !p.is_empty()
                        && p.chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '@')
                });
                if !valid {
                    return Err(format!("Invalid property \"{prop}\" at {}", self.at()));
                }
                self.pos += 1;
                let op = match self.peek() {
                    Some(Tok::Word(w)) => match w.to_ascii_lowercase().as_str() {
                        "eq" => Op::Eq,
                        "ne" => Op::Ne,
                        "gt" => Op::Gt,
                        "ge" => Op::Ge,
                        "lt" => Op::Lt,
                        "le" => Op::Le,
                        "sw" => Op::Sw,
                        "ew" => Op::Ew,
                        "so" => Op::So,
                        _ => return Err(format!("Unknown operator \"{w}\" at {}", self.at())),
                    },
                    _ => {
                        return Err(format!(
                            "Expected an operator after \"{prop}\" at {}",
                            self.at()
                        ))
                    }
                };
                self.pos += 1;
                let lit = match self.peek().cloned() {
                    Some(Tok::Str(s)) => Lit::Str(s),
                    Some(Tok::Word(w))
                        if !w.eq_ignore_ascii_case("and") && !w.eq_ignore_ascii_case("or") =>
                    {
                        Lit::Bare(w)
                    }
                    _ => return Err(format!("Expected a value at {}", self.at())),
                };
                self.pos += 1;
                let path = prop.split('.').map(str::to_string).collect();
                Ok(Filter::Cmp(path, op, lit))
            }
            _ => Err(format!("Expected a property or '(' at {}", self.at())),
        }
    }
}

/// Parses a QRS filter; the error is the 400 body.
pub fn parse(s: &str) -> Result<Filter, String> {
    let toks = tokenize(s)?;
    if toks.is_empty() {
        return Err("The filter is empty".into());
    }
    let mut p = Parser { toks, pos: 0 };
    let f = p.or(0)?;
    if p.pos < p.toks.len() {
        return Err(format!("Unexpected token at {}", p.at()));
    }
    Ok(f)
}

/// The values at a dotted path (case-insensitive keys), flattening arrays.
fn values<'a>(v: &'a Value, path: &[String], out: &mut Vec<&'a Value>) {
    match v {
        Value::Array(items) => {
            for i in items {
                values(i, path, out);
            }
        }
        _ if path.is_empty() => out.push(v),
        Value::Object(o) => {
            let key = &path[0];
            let found = o.get(key.as_str()).or_else(|| {
                o.iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(key))
                    .map(|(_, v)| v)
            });
            match found {
                Some(x) => values(x, &path[1..], out),
                None if path.len() == 1 => out.push(&Value::Null),
                None => {}
            }
        }
        // a path into null (e.g. stream.name of an unpublished app) is null
        Value::Null => out.push(&Value::Null),
        _ => {}
    }
}

fn compare(v: &Value, op: Op, lit: &Lit) -> bool {
    let text = match lit {
        Lit::Str(s) | Lit::Bare(s) => s.as_str(),
    };
    let bare = matches!(lit, Lit::Bare(_));
    let ord: Option<Ordering> = match v {
        Value::Null => {
            let is_null = bare && text.eq_ignore_ascii_case("null");
            return match op {
                Op::Eq => is_null,
                Op::Ne => !is_null,
                _ => false,
            };
        }
        Value::Bool(b) => {
            let want = text.eq_ignore_ascii_case("true");
            if !text.eq_ignore_ascii_case("true") && !text.eq_ignore_ascii_case("false") {
                return op == Op::Ne;
            }
            Some(b.cmp(&want))
        }
        Value::Number(n) => match (n.as_f64(), text.parse::<f64>().ok()) {
            (Some(a), Some(b)) => a.partial_cmp(&b),
            _ => return op == Op::Ne,
        },
        Value::String(s) => {
            let a = s.to_lowercase();
            let b = text.to_lowercase();
            match op {
                Op::Sw => return a.starts_with(&b),
                Op::Ew => return a.ends_with(&b),
                Op::So => return a.contains(&b),
                _ => Some(a.cmp(&b)),
            }
        }
        _ => return false,
    };
    let Some(o) = ord else { return false };
    match op {
        Op::Eq => o == Ordering::Equal,
        Op::Ne => o != Ordering::Equal,
        Op::Gt => o == Ordering::Greater,
        Op::Ge => o != Ordering::Less,
        Op::Lt => o == Ordering::Less,
        Op::Le => o != Ordering::Greater,
        Op::Sw | Op::Ew | Op::So => false,
    }
}

/// Whether `entity` (full JSON) satisfies the filter.
pub fn eval(f: &Filter, entity: &Value) -> bool {
    match f {
        Filter::And(items) => items.iter().all(|f| eval(f, entity)),
        Filter::Or(items) => items.iter().any(|f| eval(f, entity)),
        Filter::Cmp(path, op, lit) => {
            let mut vs = Vec::new();
            values(entity, path, &mut vs);
            if *op == Op::Ne {
                // ne: no value equals
                !vs.iter().any(|v| compare(v, Op::Eq, lit))
            } else {
                vs.iter().any(|v| compare(v, *op, lit))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn t(f: &str, v: &Value) -> bool {
        eval(&parse(f).unwrap(), v)
    }

    #[test]
    fn filters() {
        let app = json!({"name": "Sales Dashboard", "published": true, "fileSize": 10,
            "stream": {"name": "Sales"}, "customProperties": [{"value": "Sales", "definition": {"name": "Department"}}]});
        assert!(t("name eq 'sales dashboard'", &app));
        assert!(t("stream.name eq 'SALES' and published eq true", &app));
        assert!(t("name sw 'sal' and (name ew 'x' or name so 'dash')", &app));
        assert!(t("fileSize gt 5 and fileSize le 10", &app));
        assert!(t("customProperties.definition.name eq 'Department'", &app));
        assert!(!t("name ne 'Sales Dashboard'", &app));
        assert!(t("name eq 'It''s' or true eq true or name so 'a'", &app));
        let draft = json!({"name": "Draft", "stream": null});
        assert!(t("stream eq null", &draft));
        assert!(!t("stream.name eq 'Sales'", &draft));
        for bad in [
            "",
            "name",
            "name eq",
            "name xx 'a'",
            "(name eq 'a'",
            "name eq 'a",
            "name eq 'a' and",
            "a..b eq 1",
            "name eq 'a' )",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        let long = vec!["name eq 'x'"; 20_000].join(" and ");
        assert!(!t(&long, &app));
        let deep = format!("{}name eq 'a'{}", "(".repeat(200), ")".repeat(200));
        assert!(parse(&deep).is_err());
    }
}
