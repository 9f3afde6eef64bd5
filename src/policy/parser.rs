//! Recursive-descent parser: `!` binds tighter than `and`, which binds
//! tighter than `or`; parentheses group.
//!
//! ```text
//! rule      := <empty> | or
//! or        := and ("or" and)*
//! and       := unary ("and" unary)*
//! unary     := "!"* primary
//! primary   := "(" or ")" | condition
//! condition := path "(" [value ("," value)*] ")"      -- function call
//!            | path op value                          -- comparison
//! op        := "=" | "!=" | "like" | "matches"
//! value     := string | property path | bare word (GUID, identifier)
//! ```

use regex::Regex;

use super::error::{Pos, RuleError};
use super::lexer::{Kind, Token};

/// Deepest parenthesis nesting accepted; deeper rules are an error, so
/// parsing and evaluation never exhaust the stack.
pub const MAX_DEPTH: usize = 64;

/// Size limit for compiled regular expressions (bytes of compiled program).
pub(crate) const REGEX_SIZE_LIMIT: usize = 1 << 20;

const SUPPORTED: &str = "resource.name, resource.id, resource.published, resource.stream.name, \
     resource.stream.id, resource.owner.name, resource.owner.userId, \
     resource.owner.userDirectory, resource.@<CustomProperty>, subject.name, subject.id";

/// A comparable property.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Property {
    ResourceName,
    ResourceId,
    Published,
    StreamName,
    StreamId,
    OwnerName,
    OwnerUserId,
    OwnerUserDirectory,
    Custom(String),
    /// A plain attribute of a non-app resource (a tenant's `region`), see [`super::ResourceKind`].
    Field(&'static str),
    SubjectName,
    SubjectId,
}

/// What a path names: a value, or an object that only functions apply to.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    Value(Property),
    Resource,
    Subject,
    Stream,
    Owner,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Eq,
    Ne,
    Like,
    Matches,
}

impl Op {
    fn symbol(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Like => "like",
            Op::Matches => "matches",
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) enum Operand {
    Property(Property),
    Literal(String),
}

/// Objects `Empty()` can test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum EmptyTarget {
    Stream,
    Owner,
    Value(Property),
}

#[derive(Debug, Clone)]
pub(crate) enum Expr {
    Or(Vec<Expr>),
    And(Vec<Expr>),
    Not(Box<Expr>),
    Compare {
        left: Property,
        op: Op,
        right: Operand,
        right_pos: Pos,
        /// Pre-compiled pattern when `op` is `matches` and `right` a literal.
        regex: Option<Regex>,
    },
    Empty(EmptyTarget),
    /// `X.HasPrivilege("...")`: always false in a distribution context.
    HasPrivilege,
}

pub(crate) fn parse_tokens(
    tokens: &[Token],
    end: Pos,
    fields: &'static [&'static str],
) -> Result<Option<Expr>, RuleError> {
    if tokens.is_empty() {
        return Ok(None);
    }
    let mut p = Parser {
        tokens,
        next: 0,
        end,
        depth: 0,
        fields,
    };
    let expr = p.or()?;
    match p.peek() {
        None => Ok(Some(expr)),
        Some(t) if t.kind == Kind::RParen => Err(RuleError::at(
            t.pos,
            "expected 'and', 'or' or end of rule, found ')' without a matching '('",
        )),
        Some(t) => Err(RuleError::at(
            t.pos,
            format!(
                "expected 'and', 'or' or end of rule, found {}",
                t.kind.describe()
            ),
        )),
    }
}

struct Parser<'a> {
    tokens: &'a [Token],
    next: usize,
    end: Pos,
    depth: usize,
    /// Extra plain `resource.<field>` properties of the resource kind being parsed for.
    fields: &'static [&'static str],
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.next)
    }

    fn peek_kind(&self) -> Option<&Kind> {
        self.peek().map(|t| &t.kind)
    }

    fn bump(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.next)?.clone();
        self.next = self.next.saturating_add(1);
        Some(t)
    }

    /// Position and description of the next token, or of the end.
    fn found(&self) -> (Pos, String) {
        match self.peek() {
            Some(t) => (t.pos, t.kind.describe()),
            None => (self.end, "end of rule".to_string()),
        }
    }

    fn expected(&self, what: &str) -> RuleError {
        let (pos, found) = self.found();
        RuleError::at(pos, format!("expected {what}, found {found}"))
    }

    fn or(&mut self) -> Result<Expr, RuleError> {
        let mut items = vec![self.and()?];
        while self.peek_kind() == Some(&Kind::Or) {
            self.bump();
            items.push(self.and()?);
        }
        Ok(if items.len() == 1 {
            items.pop().unwrap_or(Expr::Or(Vec::new()))
        } else {
            Expr::Or(items)
        })
    }

    fn and(&mut self) -> Result<Expr, RuleError> {
        let mut items = vec![self.unary()?];
        while self.peek_kind() == Some(&Kind::And) {
            self.bump();
            items.push(self.unary()?);
        }
        Ok(if items.len() == 1 {
            items.pop().unwrap_or(Expr::And(Vec::new()))
        } else {
            Expr::And(items)
        })
    }

    fn unary(&mut self) -> Result<Expr, RuleError> {
        // Iterative, so `!!!!...` cannot recurse; pairs cancel.
        let mut negate = false;
        while self.peek_kind() == Some(&Kind::Not) {
            self.bump();
            negate = !negate;
        }
        let e = self.primary()?;
        Ok(if negate { Expr::Not(Box::new(e)) } else { e })
    }

    fn primary(&mut self) -> Result<Expr, RuleError> {
        let Some(tok) = self.peek().cloned() else {
            return Err(self.expected("a condition such as resource.name = \"x\", '(' or '!'"));
        };
        match tok.kind {
            Kind::LParen => {
                if self.depth >= MAX_DEPTH {
                    return Err(RuleError::at(
                        tok.pos,
                        format!("rule nests parentheses deeper than {MAX_DEPTH} levels"),
                    ));
                }
                self.bump();
                self.depth += 1;
                let inner = self.or()?;
                self.depth -= 1;
                if self.peek_kind() == Some(&Kind::RParen) {
                    self.bump();
                    Ok(inner)
                } else {
                    Err(self.expected(&format!(
                        "'and', 'or' or ')' to close the '(' at line {}, column {}",
                        tok.pos.line, tok.pos.column
                    )))
                }
            }
            Kind::Word(word) => {
                self.bump();
                self.condition(&word, tok.pos)
            }
            _ => Err(self.expected("a condition such as resource.name = \"x\", '(' or '!'")),
        }
    }

    fn condition(&mut self, word: &str, pos: Pos) -> Result<Expr, RuleError> {
        if self.peek_kind() == Some(&Kind::LParen) {
            return self.call(word, pos);
        }
        let target = resolve(word, pos, self.fields)?;
        let left = match target {
            Target::Value(p) => p,
            _ => {
                return Err(RuleError::at(
                    pos,
                    format!(
                        "'{word}' is not a value: expected a property ({SUPPORTED}) \
                         or a function call such as resource.stream.Empty()"
                    ),
                ))
            }
        };
        let op = match self.peek_kind() {
            Some(Kind::Eq) => Op::Eq,
            Some(Kind::Ne) => Op::Ne,
            Some(Kind::Like) => Op::Like,
            Some(Kind::Matches) => Op::Matches,
            _ => {
                return Err(self.expected(&format!(
                    "an operator (=, !=, like, matches) after '{word}'"
                )))
            }
        };
        self.bump();
        let (right, right_pos) = self.value(op)?;
        let regex = match (&op, &right) {
            (Op::Matches, Operand::Literal(pattern)) => Some(compile_regex(pattern, right_pos)?),
            _ => None,
        };
        Ok(Expr::Compare {
            left,
            op,
            right,
            right_pos,
            regex,
        })
    }

    /// The right-hand side of a comparison.
    fn value(&mut self, op: Op) -> Result<(Operand, Pos), RuleError> {
        let what = format!("a value after '{}'", op.symbol());
        let Some(tok) = self.peek().cloned() else {
            return Err(self.expected(&what));
        };
        let operand = match tok.kind {
            Kind::Str(s) => Operand::Literal(s),
            Kind::Word(w) if w.contains('.') => match resolve(&w, tok.pos, self.fields)? {
                Target::Value(p) => Operand::Property(p),
                _ => {
                    return Err(RuleError::at(
                        tok.pos,
                        format!("expected {what}, found '{w}', which is not a value"),
                    ))
                }
            },
            Kind::Word(w) => Operand::Literal(w),
            _ => return Err(self.expected(&what)),
        };
        self.bump();
        Ok((operand, tok.pos))
    }

    fn call(&mut self, word: &str, pos: Pos) -> Result<Expr, RuleError> {
        let (path, func, func_pos) = match word.rfind('.') {
            Some(dot) => {
                let path = word.get(..dot).unwrap_or("");
                let func = word.get(dot + 1..).unwrap_or("");
                (path, func, pos.advanced(path.chars().count() + 1))
            }
            None => ("", word, pos),
        };
        if path.is_empty() {
            return Err(RuleError::at(
                pos,
                format!(
                    "expected a property before function '{func}', e.g. resource.stream.Empty()"
                ),
            ));
        }
        let target = resolve(path, pos, self.fields)?;
        let open = self.bump().map(|t| t.pos).unwrap_or(self.end);
        let args = self.args(open)?;
        match func.to_ascii_lowercase().as_str() {
            "empty" => {
                if let Some((_, apos)) = args.first() {
                    return Err(RuleError::at(
                        *apos,
                        "expected ')': Empty() takes no arguments",
                    ));
                }
                let t = match target {
                    Target::Stream => EmptyTarget::Stream,
                    Target::Owner => EmptyTarget::Owner,
                    Target::Value(p) => EmptyTarget::Value(p),
                    Target::Resource | Target::Subject => {
                        return Err(RuleError::at(
                            func_pos,
                            format!(
                                "Empty() applies to resource.stream, resource.owner, \
                                 resource.@<CustomProperty> or a property, not '{path}'"
                            ),
                        ))
                    }
                };
                Ok(Expr::Empty(t))
            }
            "hasprivilege" => {
                if !matches!(target, Target::Resource | Target::Subject) {
                    return Err(RuleError::at(
                        func_pos,
                        format!("HasPrivilege() applies to resource or subject, not '{path}'"),
                    ));
                }
                match args.as_slice() {
                    [(Kind::Str(_), _)] => Ok(Expr::HasPrivilege),
                    [] => Err(RuleError::at(
                        open.advanced(1),
                        "expected a privilege string such as \"read\" in HasPrivilege(), found ')'",
                    )),
                    [(k, apos)] => Err(RuleError::at(
                        *apos,
                        format!(
                            "expected a double-quoted privilege such as \"read\", found {}",
                            k.describe()
                        ),
                    )),
                    [_, (_, apos), ..] => Err(RuleError::at(
                        *apos,
                        "expected ')': HasPrivilege() takes one argument",
                    )),
                }
            }
            _ => Err(RuleError::at(
                func_pos,
                format!(
                    "unknown function '{func}': supported are Empty() and HasPrivilege(\"...\")"
                ),
            )),
        }
    }

    /// Arguments after an opening parenthesis, up to and including `)`.
    fn args(&mut self, open: Pos) -> Result<Vec<(Kind, Pos)>, RuleError> {
        let mut args = Vec::new();
        if self.peek_kind() == Some(&Kind::RParen) {
            self.bump();
            return Ok(args);
        }
        loop {
            match self.peek().cloned() {
                Some(Token {
                    kind: k @ (Kind::Str(_) | Kind::Word(_)),
                    pos,
                }) => {
                    self.bump();
                    args.push((k, pos));
                }
                _ => return Err(self.expected("a function argument or ')'")),
            }
            match self.peek_kind() {
                Some(Kind::Comma) => {
                    self.bump();
                }
                Some(Kind::RParen) => {
                    self.bump();
                    return Ok(args);
                }
                _ => {
                    return Err(self.expected(&format!(
                        "',' or ')' to close the '(' at line {}, column {}",
                        open.line, open.column
                    )))
                }
            }
        }
    }
}

/// Compiles a `matches` pattern: case-insensitive, unanchored.
pub(crate) fn compile_regex(pattern: &str, pos: Pos) -> Result<Regex, RuleError> {
    regex::RegexBuilder::new(pattern)
        .case_insensitive(super::CASE_INSENSITIVE_COMPARISON)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| {
            let text = e.to_string();
            let summary = text
                .lines()
                .find_map(|l| l.trim().strip_prefix("error: "))
                .map(str::to_string)
                .unwrap_or_else(|| text.split_whitespace().collect::<Vec<_>>().join(" "));
            RuleError::at(
                pos,
                format!("expected a valid regular expression after 'matches': {summary}"),
            )
        })
}

/// Resolves a dotted path such as `resource.stream.name` or
/// `resource.@Department`. Names are case-insensitive.
fn resolve(path: &str, pos: Pos, fields: &'static [&'static str]) -> Result<Target, RuleError> {
    // Segments with their character offsets inside the path.
    let mut segs: Vec<(&str, Pos)> = Vec::new();
    let mut at = 0usize;
    for seg in path.split('.') {
        segs.push((seg, pos.advanced(at)));
        at = at.saturating_add(seg.chars().count() + 1);
    }
    if let Some((_, p)) = segs.iter().find(|(s, _)| s.is_empty()) {
        return Err(RuleError::at(
            *p,
            format!("expected a property name in '{path}', found an empty segment"),
        ));
    }
    let Some(((root, root_pos), rest)) = segs.split_first() else {
        return Err(RuleError::at(pos, "expected a property"));
    };
    let lower: Vec<String> = rest.iter().map(|(s, _)| s.to_ascii_lowercase()).collect();
    let names: Vec<&str> = lower.iter().map(String::as_str).collect();
    let unknown = |i: usize| {
        let p = rest.get(i).map(|(_, p)| *p).unwrap_or(*root_pos);
        RuleError::at(
            p,
            format!("unknown property '{path}': supported are {SUPPORTED}"),
        )
    };
    match root.to_ascii_lowercase().as_str() {
        "resource" => match names.as_slice() {
            [] => Ok(Target::Resource),
            ["name"] => Ok(Target::Value(Property::ResourceName)),
            ["id"] => Ok(Target::Value(Property::ResourceId)),
            ["published"] => Ok(Target::Value(Property::Published)),
            ["stream"] => Ok(Target::Stream),
            ["stream", "name"] => Ok(Target::Value(Property::StreamName)),
            ["stream", "id"] => Ok(Target::Value(Property::StreamId)),
            ["stream", _, ..] => Err(unknown(1)),
            ["owner"] => Ok(Target::Owner),
            ["owner", "name"] => Ok(Target::Value(Property::OwnerName)),
            ["owner", "userid"] => Ok(Target::Value(Property::OwnerUserId)),
            ["owner", "userdirectory"] => Ok(Target::Value(Property::OwnerUserDirectory)),
            ["owner", _, ..] => Err(unknown(1)),
            [cp] if cp.starts_with('@') => {
                let name = rest.first().map(|(s, _)| *s).unwrap_or("");
                let name = name.strip_prefix('@').unwrap_or(name);
                if name.is_empty() || name.contains('@') {
                    Err(unknown(0))
                } else {
                    Ok(Target::Value(Property::Custom(name.to_string())))
                }
            }
            [cp, _, ..] if cp.starts_with('@') => Err(unknown(1)),
            [f] => match fields.iter().find(|x| x.eq_ignore_ascii_case(f)) {
                Some(field) => Ok(Target::Value(Property::Field(field))),
                None => Err(unknown(0)),
            },
            _ => Err(unknown(0)),
        },
        "subject" => match names.as_slice() {
            [] => Ok(Target::Subject),
            ["name"] => Ok(Target::Value(Property::SubjectName)),
            ["id"] => Ok(Target::Value(Property::SubjectId)),
            [cp, ..] if cp.starts_with('@') => Err(RuleError::at(
                rest.first().map(|(_, p)| *p).unwrap_or(*root_pos),
                format!(
                    "unsupported property '{path}': deployments (the subject) have only \
                     subject.name and subject.id"
                ),
            )),
            _ => Err(unknown(0)),
        },
        _ => Err(RuleError::at(
            *root_pos,
            format!(
                "unknown property root '{root}' in '{path}': expected resource or subject \
                 (quote literal values: \"...\")"
            ),
        )),
    }
}
