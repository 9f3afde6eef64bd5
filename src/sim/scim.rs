//! The SCIM (RFC 7644) filter subset Qlik documents for users and roles (reference §4.5):
//! `eq` and `co` comparisons on listed attributes, `and` binding tighter than `or`, parentheses,
//! double-quoted strings; attribute names and values compare case-insensitively.

/// Which attributes accept which operator (canonical spelling).
pub struct Schema {
    pub eq: &'static [&'static str],
    pub co: &'static [&'static str],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Co,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    Cmp {
        attr: &'static str,
        op: Op,
        value: String,
    },
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
}

impl Filter {
    /// Evaluates against an item whose attribute values `values(attr)` returns (several for
    /// multi-valued attributes such as `assignedRoles.name`; none when absent).
    pub fn matches(&self, values: &dyn Fn(&str) -> Vec<String>) -> bool {
        match self {
            Filter::And(a, b) => a.matches(values) && b.matches(values),
            Filter::Or(a, b) => a.matches(values) || b.matches(values),
            Filter::Cmp { attr, op, value } => {
                let want = value.to_lowercase();
                values(attr).iter().any(|v| {
                    let v = v.to_lowercase();
                    match op {
                        Op::Eq => v == want,
                        Op::Co => v.contains(&want),
                    }
                })
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    LParen,
    RParen,
    Str(String),
    Word(String),
}

fn lex(input: &str) -> Result<Vec<(usize, Tok)>, String> {
    let chars: Vec<char> = input.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let at = i + 1;
        if c.is_whitespace() {
            i += 1;
        } else if c == '(' {
            out.push((at, Tok::LParen));
            i += 1;
        } else if c == ')' {
            out.push((at, Tok::RParen));
            i += 1;
        } else if c == '"' {
            let mut s = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    None => return Err(format!("unterminated string starting at position {at}")),
                    Some('"') => break,
                    Some('\\') => match chars.get(i + 1) {
                        Some(e @ ('"' | '\\' | '/')) => {
                            s.push(*e);
                            i += 1;
                        }
                        _ => return Err(format!("invalid escape in string at position {}", i + 1)),
                    },
                    Some(ch) => s.push(*ch),
                }
                i += 1;
            }
            i += 1;
            out.push((at, Tok::Str(s)));
        } else if c.is_alphanumeric() || matches!(c, '_' | '.' | '-' | '$' | ':') {
            let mut s = String::new();
            while let Some(&ch) = chars.get(i) {
                if ch.is_alphanumeric() || matches!(ch, '_' | '.' | '-' | '$' | ':') {
                    s.push(ch);
                    i += 1;
                } else {
                    break;
                }
            }
            out.push((at, Tok::Word(s)));
        } else if c == '\'' {
            return Err(format!(
                "single quotes are not supported at position {at}; use double quotes"
            ));
        } else {
            return Err(format!("unexpected character '{c}' at position {at}"));
        }
    }
    Ok(out)
}

/// Deepest parenthesis nesting accepted (keeps the recursive parser's stack bounded).
const MAX_DEPTH: usize = 32;

/// Most comparisons in one filter: `and`/`or` chains nest the tree one level per comparison,
/// and evaluating or dropping it recurses that deep.
const MAX_TERMS: usize = 256;

struct Parser<'s> {
    toks: Vec<(usize, Tok)>,
    pos: usize,
    depth: usize,
    terms: usize,
    schema: &'s Schema,
    end: usize,
}

const OTHER_OPS: &[&str] = &["ne", "sw", "ew", "gt", "ge", "lt", "le", "pr"];

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|(_, t)| t)
    }

    fn at(&self) -> usize {
        self.toks.get(self.pos).map(|(p, _)| *p).unwrap_or(self.end)
    }

    fn keyword(&self, k: &str) -> bool {
        matches!(self.peek(), Some(Tok::Word(w)) if w.eq_ignore_ascii_case(k))
    }

    fn or(&mut self) -> Result<Filter, String> {
        let mut left = self.and()?;
        while self.keyword("or") {
            self.pos += 1;
            let right = self.and()?;
            left = Filter::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Filter, String> {
        let mut left = self.primary()?;
        while self.keyword("and") {
            self.pos += 1;
            let right = self.primary()?;
            left = Filter::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn primary(&mut self) -> Result<Filter, String> {
        let at = self.at();
        match self.peek().cloned() {
            None => Err(format!(
                "unexpected end of filter at position {at}; expected a comparison"
            )),
            Some(Tok::LParen) => {
                self.pos += 1;
                self.depth += 1;
                if self.depth > MAX_DEPTH {
                    return Err(format!(
                        "parentheses nested deeper than {MAX_DEPTH} at position {at}"
                    ));
                }
                let inner = self.or()?;
                self.depth -= 1;
                if self.peek() != Some(&Tok::RParen) {
                    return Err(format!("expected ')' at position {}", self.at()));
                }
                self.pos += 1;
                Ok(inner)
            }
            Some(Tok::RParen) => Err(format!("unexpected ')' at position {at}")),
            Some(Tok::Str(s)) => Err(format!(
                "expected an attribute name at position {at}, found string \"{s}\""
            )),
            Some(Tok::Word(w)) if w.eq_ignore_ascii_case("not") => {
                Err(format!("operator \"not\" is not supported (position {at})"))
            }
            Some(Tok::Word(attr)) => {
                self.terms += 1;
                if self.terms > MAX_TERMS {
                    return Err(format!("more than {MAX_TERMS} comparisons (position {at})"));
                }
                self.pos += 1;
                let op_at = self.at();
                let op = match self.peek().cloned() {
                    Some(Tok::Word(op)) => op,
                    _ => {
                        return Err(format!(
                            "expected an operator after \"{attr}\" at position {op_at}"
                        ))
                    }
                };
                self.pos += 1;
                let op_l = op.to_ascii_lowercase();
                let (op, allowed) = match op_l.as_str() {
                    "eq" => (Op::Eq, self.schema.eq),
                    "co" => (Op::Co, self.schema.co),
                    o if OTHER_OPS.contains(&o) => {
                        return Err(format!(
                            "operator \"{o}\" is not supported (position {op_at}); use eq or co"
                        ))
                    }
                    _ => return Err(format!("unknown operator \"{op}\" at position {op_at}")),
                };
                let canonical = self
                    .schema
                    .eq
                    .iter()
                    .chain(self.schema.co.iter())
                    .find(|a| a.eq_ignore_ascii_case(&attr))
                    .copied()
                    .ok_or_else(|| {
                        format!("attribute \"{attr}\" is not filterable (position {at})")
                    })?;
                if !allowed.contains(&canonical) {
                    return Err(format!(
                        "operator \"{op_l}\" is not supported on attribute \"{canonical}\" (position {op_at})"
                    ));
                }
                let val_at = self.at();
                match self.peek().cloned() {
                    Some(Tok::Str(value)) => {
                        self.pos += 1;
                        Ok(Filter::Cmp { attr: canonical, op, value })
                    }
                    _ => Err(format!("expected a double-quoted string after \"{attr} {op_l}\" at position {val_at}")),
                }
            }
        }
    }
}

/// Parses a filter; the error names what was wrong and where (1-based character position).
pub fn parse(input: &str, schema: &Schema) -> Result<Filter, String> {
    if input.trim().is_empty() {
        return Err("filter is empty".into());
    }
    let toks = lex(input)?;
    let end = input.chars().count() + 1;
    let mut p = Parser {
        toks,
        pos: 0,
        depth: 0,
        terms: 0,
        schema,
        end,
    };
    let f = p.or()?;
    if p.pos < p.toks.len() {
        return Err(format!(
            "unexpected token at position {}; expected 'and', 'or' or the end",
            p.at()
        ));
    }
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Schema = Schema {
        eq: &["id", "name", "status", "assignedRoles.name"],
        co: &["name"],
    };

    fn item(attr: &str) -> Vec<String> {
        match attr {
            "id" => vec!["1".into()],
            "name" => vec!["Alice Admin".into()],
            "status" => vec!["active".into()],
            "assignedRoles.name" => vec!["TenantAdmin".into(), "Developer".into()],
            _ => vec![],
        }
    }

    fn m(f: &str) -> bool {
        parse(f, &S).unwrap().matches(&item)
    }

    #[test]
    fn evaluates() {
        assert!(m(r#"name eq "alice admin""#));
        assert!(m(r#"NAME co "ADMIN""#));
        assert!(m(r#"assignedRoles.name eq "developer""#));
        assert!(!m(r#"status eq "disabled""#));
        assert!(m(
            r#"(name eq "Bob" or name eq "Alice Admin") and (status eq "active" or status eq "disabled")"#
        ));
        // `and` binds tighter: false or (true and true)
        assert!(m(
            r#"name eq "x" or name co "alice" and status eq "active""#
        ));
        // (false or true) and false
        assert!(!m(r#"(name eq "x" or name co "alice") and status eq "x""#));
        assert!(m(r#"name eq "a\"b" or id eq "1""#));
    }

    #[test]
    fn precedence_shape() {
        let f = parse(r#"id eq "1" or id eq "2" and id eq "3""#, &S).unwrap();
        assert!(matches!(f, Filter::Or(_, ref r) if matches!(**r, Filter::And(_, _))));
    }

    #[test]
    fn rejects_with_reasons() {
        let e = |f: &str| parse(f, &S).unwrap_err();
        assert!(e("").contains("empty"));
        assert!(e(r#"name sw "a""#).contains("\"sw\" is not supported"));
        assert!(e(r#"status co "a""#).contains("not supported on attribute \"status\""));
        assert!(e(r#"foo eq "a""#).contains("attribute \"foo\" is not filterable"));
        assert!(e(r#"name eq alice"#).contains("double-quoted"));
        assert!(e(r#"name eq "alice"#).contains("unterminated"));
        assert!(e(r#"(name eq "a""#).contains("expected ')'"));
        assert!(e(r#"name eq "a" name eq "b""#).contains("unexpected token"));
        assert!(e(r#"name eq 'a'"#).contains("single quotes"));
        assert!(e(r#"name eq "a" and"#).contains("unexpected end"));
        assert!(e(r#"not (name eq "a")"#).contains("not"));
        assert!(e(r#"name xx "a""#).contains("unknown operator"));
        assert!(e("name eq \"a\" ; drop").contains("unexpected character ';'"));
        let deep = format!(
            "{}name eq \"a\"{}",
            "(".repeat(100_000),
            ")".repeat(100_000)
        );
        assert!(e(&deep).contains("nested deeper"));
        let ok = format!("{}name eq \"a\"{}", "(".repeat(32), ")".repeat(32));
        assert!(parse(&ok, &S).is_ok());
        // A long chain would nest the tree one level per comparison.
        let long = vec![r#"name eq "a""#; 100_000].join(" and ");
        assert!(e(&long).contains("more than 256 comparisons"));
        let most = vec![r#"name eq "a""#; 256].join(" or ");
        assert!(parse(&most, &S).is_ok());
    }
}
