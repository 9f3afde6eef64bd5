//! Evaluation of a parsed rule against one app (resource) and one
//! deployment (subject).

use serde_json::Value;

use super::error::RuleError;
use super::parser::{compile_regex, EmptyTarget, Expr, Op, Operand, Property};
use super::CASE_INSENSITIVE_COMPARISON;

pub(crate) struct Ctx<'a> {
    pub app: &'a Value,
    pub deployment: &'a Value,
}

pub(crate) fn eval(expr: &Expr, ctx: &Ctx<'_>) -> Result<bool, RuleError> {
    match expr {
        Expr::Or(items) => {
            for e in items {
                if eval(e, ctx)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        Expr::And(items) => {
            for e in items {
                if !eval(e, ctx)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        Expr::Not(e) => Ok(!eval(e, ctx)?),
        Expr::HasPrivilege => Ok(false),
        Expr::Empty(t) => Ok(match t {
            EmptyTarget::Stream => is_null(ctx.app.get("stream")),
            EmptyTarget::Owner => is_null(ctx.app.get("owner")),
            EmptyTarget::Value(p) => values(p, ctx).iter().all(|v| v.is_empty()),
        }),
        Expr::Compare {
            left,
            op,
            right,
            right_pos,
            regex,
        } => {
            let lhs = values(left, ctx);
            let rhs = match right {
                Operand::Literal(s) => vec![s.clone()],
                Operand::Property(p) => values(p, ctx),
            };
            match op {
                Op::Eq => Ok(any_equal(&lhs, &rhs)),
                Op::Ne => Ok(!any_equal(&lhs, &rhs)),
                Op::Like => Ok(rhs.iter().any(|pat| lhs.iter().any(|v| like(v, pat)))),
                Op::Matches => {
                    if let Some(re) = regex {
                        return Ok(lhs.iter().any(|v| re.is_match(v)));
                    }
                    for pat in &rhs {
                        let re = compile_regex(pat, *right_pos)?;
                        if lhs.iter().any(|v| re.is_match(v)) {
                            return Ok(true);
                        }
                    }
                    Ok(false)
                }
            }
        }
    }
}

fn is_null(v: Option<&Value>) -> bool {
    matches!(v, None | Some(Value::Null))
}

/// A JSON scalar as text; objects, arrays and null have no text.
fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn field(v: &Value, path: &[&str]) -> Option<String> {
    let mut cur = v;
    for key in path {
        cur = cur.get(key)?;
    }
    text(Some(cur))
}

/// All values of a property: none, one, or (custom properties) several.
fn values(p: &Property, ctx: &Ctx<'_>) -> Vec<String> {
    let app = ctx.app;
    let one = match p {
        Property::ResourceName => field(app, &["name"]),
        Property::ResourceId => field(app, &["id"]),
        Property::Published => {
            Some(text(app.get("published")).unwrap_or_else(|| "false".to_string()))
        }
        Property::StreamName => field(app, &["stream", "name"]),
        Property::StreamId => field(app, &["stream", "id"]),
        Property::OwnerName => field(app, &["owner", "name"]),
        Property::OwnerUserId => field(app, &["owner", "userId"]),
        Property::OwnerUserDirectory => field(app, &["owner", "userDirectory"]),
        Property::SubjectName => field(ctx.deployment, &["name"]),
        Property::SubjectId => field(ctx.deployment, &["id"]),
        Property::Custom(name) => return custom_values(app, name),
        Property::Field(name) => field(app, &[name]),
    };
    one.into_iter().collect()
}

/// Values of custom property `name` (definition names compared
/// case-insensitively); entries without a definition name are skipped.
fn custom_values(app: &Value, name: &str) -> Vec<String> {
    let Some(list) = app.get("customProperties").and_then(Value::as_array) else {
        return Vec::new();
    };
    list.iter()
        .filter(|cp| {
            cp.get("definition")
                .and_then(|d| d.get("name"))
                .and_then(Value::as_str)
                .is_some_and(|n| n.to_lowercase() == name.to_lowercase())
        })
        .filter_map(|cp| text(cp.get("value")))
        .collect()
}

fn fold(s: &str) -> String {
    if CASE_INSENSITIVE_COMPARISON {
        s.to_lowercase()
    } else {
        s.to_string()
    }
}

fn any_equal(lhs: &[String], rhs: &[String]) -> bool {
    let r: Vec<String> = rhs.iter().map(|s| fold(s)).collect();
    lhs.iter().any(|l| {
        let l = fold(l);
        r.contains(&l)
    })
}

/// Whole-string wildcard match: `*` any run (also empty), `?` one character.
pub(crate) fn like(value: &str, pattern: &str) -> bool {
    let text: Vec<char> = fold(value).chars().collect();
    let pat: Vec<char> = fold(pattern).chars().collect();
    let (mut p, mut t) = (0usize, 0usize);
    // Last `*` seen and the text position it currently absorbs up to.
    let mut star: Option<(usize, usize)> = None;
    while let Some(&c) = text.get(t) {
        match pat.get(p) {
            Some('*') => {
                star = Some((p, t));
                p += 1;
            }
            Some(&pc) if pc == '?' || pc == c => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    while pat.get(p) == Some(&'*') {
        p += 1;
    }
    p == pat.len()
}

#[cfg(test)]
mod tests {
    use super::like;

    #[test]
    fn wildcards() {
        assert!(like("Sales Report", "sales*"));
        assert!(like("Sales Report", "*REPORT"));
        assert!(like("Sales Report", "*"));
        assert!(like("", "*"));
        assert!(!like("", "?"));
        assert!(like("abc", "a?c"));
        assert!(!like("abcd", "a?c"));
        assert!(like("aXbXc", "a*b*c"));
        assert!(!like("aXbXd", "a*b*c"));
        assert!(like("mississippi", "*sip*"));
        assert!(!like("Sales", "Sale"));
        assert!(like("Sales", "Sales"));
    }
}
