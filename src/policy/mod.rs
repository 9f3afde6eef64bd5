//! Distribution-policy rules: the QMC rule (condition) language as used by
//! QSEoW multi-cloud distribution policies.
//!
//! A distribution policy is a QRS `SystemRule` with resourceFilter `App_*`
//! and the Distribute action (bit 1024). Its condition decides, for a
//! published app (the *resource*) and a deployment (the *subject*), whether
//! the app goes to that deployment. This module parses and evaluates those
//! conditions offline; it does no I/O.
//!
//! # Language
//!
//! * Comparison: `property op value` with `op` one of `=`, `!=`, `like`
//!   (`*` any run, `?` one character, whole string) and `matches` (regular
//!   expression, see below). The value is a double-quoted string (`\"`
//!   escapes a quote, `\\` a backslash, other backslashes stay), a bare word
//!   (GUIDs, identifiers) or another property (`resource.@SendTo = subject.name`).
//! * Logic: `!` (not), `and`, `or`, parentheses; `!` binds tightest, then
//!   `and`, then `or`: `a or b and c` is `a or (b and c)`. Keywords are
//!   case-insensitive, as are property and function names.
//! * Functions: `resource.stream.Empty()` (true when the app has no stream,
//!   i.e. is unpublished), `resource.@X.Empty()` (true when the app has no
//!   value of custom property X), `resource.owner.Empty()`, `P.Empty()` on
//!   any property P (true when it has no non-empty value), and
//!   `resource.HasPrivilege("read")` / `subject.HasPrivilege(...)`, which
//!   parse but always evaluate to **false**: a privilege belongs to a user,
//!   and in a distribution context the subject is a deployment, not a user.
//! * The empty rule (or only whitespace) applies to everything.
//! * Parentheses nest at most [`MAX_DEPTH`] levels.
//!
//! # Properties
//!
//! `resource.name`, `resource.id`, `resource.published` (`"true"` /
//! `"false"`; a missing flag reads as `"false"`), `resource.stream.name`,
//! `resource.stream.id`, `resource.owner.name`, `resource.owner.userId`,
//! `resource.owner.userDirectory`, `resource.@<CustomProperty>`,
//! `subject.name`, `subject.id` (the deployment). Other roots (`user`, ...)
//! and other properties are parse errors. Custom property names match the
//! app's definition names case-insensitively.
//!
//! A property may have no value (an unpublished app has no stream name, an
//! app may lack a custom property) or several (custom properties). A
//! comparison is true when **any** pair of left and right values satisfies
//! it; `!=` is the negation of `=` (no pair equal), so with no values `=`
//! is false and `!=` is true. `like` and `matches` with no values are false.
//!
//! # `matches`
//!
//! A regular expression (Rust `regex` syntax), case-insensitive, **not
//! anchored**: `resource.name matches "sales"` is true for "Q1 Sales".
//! Write `^...$` for a whole-string match. Literal patterns are compiled at
//! parse time, so an invalid pattern is a parse error with its position; a
//! pattern taken from a property is compiled at evaluation time, and an
//! invalid one is an evaluation error from [`evaluate`] (and no match in
//! [`matches`]).
//!
//! # Example
//!
//! ```
//! use qops::policy;
//! use serde_json::json;
//!
//! let rule = policy::parse(r#"resource.@SendTo = subject.name"#).unwrap();
//! let app = json!({"id": "a1", "name": "Sales", "published": true,
//!     "stream": {"id": "s1", "name": "Everyone"},
//!     "customProperties": [{"definition": {"name": "SendTo"}, "value": "Region1"}]});
//! assert!(policy::matches(&rule, &app, &json!({"id": "d1", "name": "region1"})));
//! assert!(!policy::matches(&rule, &app, &json!({"id": "d2", "name": "Region2"})));
//!
//! let err = policy::parse(r#"resource.stream.name="#).unwrap_err();
//! assert_eq!(err.to_string(), "line 1, column 22: expected a value after '=', found end of rule");
//! ```

mod error;
mod eval;
mod lexer;
mod parser;
#[cfg(test)]
mod tests;

use std::fmt;

use serde::Serialize;
use serde_json::Value;

pub use error::RuleError;
pub use parser::MAX_DEPTH;

/// Whether `=`, `!=`, `like` and `matches` ignore case.
///
/// An assumption: the reference on the QMC rule language does not state
/// whether rule comparisons are case-sensitive (marked unconfirmed there);
/// QMC filters and QRS names are case-insensitive elsewhere, so this module
/// compares case-insensitively (Unicode lowercase) until a real QRS
/// (e.g. `/qrs/systemrule/security/audit/preview`) says otherwise.
pub const CASE_INSENSITIVE_COMPARISON: bool = true;

/// A parsed rule; keeps its source text.
#[derive(Debug, Clone)]
pub struct Rule {
    source: String,
    expr: Option<parser::Expr>,
}

impl Rule {
    /// The text the rule was parsed from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// True for the empty rule, which applies to everything.
    pub fn is_empty(&self) -> bool {
        self.expr.is_none()
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

impl std::str::FromStr for Rule {
    type Err = RuleError;

    fn from_str(s: &str) -> Result<Rule, RuleError> {
        parse(s)
    }
}

/// Serializes as its source text.
impl Serialize for Rule {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.source)
    }
}

/// Parses a rule (a policy's condition text).
pub fn parse(text: &str) -> Result<Rule, RuleError> {
    parse_for(text, &APP)
}

/// What a rule's `resource` is. The QMC language describes apps (the default, [`APP`]); qops
/// also selects other resources with it, each adding its own plain `resource.<field>`
/// properties (compared like `resource.name`) to the app properties, e.g. [`TENANT`].
#[derive(Debug, Clone, Copy)]
pub struct ResourceKind {
    pub name: &'static str,
    pub fields: &'static [&'static str],
}

/// A QSEoW app: only the documented properties.
pub const APP: ResourceKind = ResourceKind {
    name: "app",
    fields: &[],
};

/// A Qlik Cloud tenant from an inventory: `resource.name`, `resource.id`, these fields, and
/// `resource.@<attribute>` (tags read as the attribute `tag`); see [`tenant_resource`].
pub const TENANT: ResourceKind = ResourceKind {
    name: "tenant",
    fields: &["region", "hostname", "datacenter", "status"],
};

/// Parses a rule whose `resource` is of `kind`.
pub fn parse_for(text: &str, kind: &ResourceKind) -> Result<Rule, RuleError> {
    let (tokens, end) = lexer::tokenize(text)?;
    let expr = parser::parse_tokens(&tokens, end, kind.fields)?;
    Ok(Rule {
        source: text.to_string(),
        expr,
    })
}

/// Checks a rule's syntax (QMC's "Validate rule").
pub fn check(text: &str) -> Result<(), RuleError> {
    parse(text).map(|_| ())
}

/// Evaluates `rule` for one app (QRS app JSON: `{id, name, published,
/// stream: {id, name} | null, owner: {name, userId, userDirectory},
/// customProperties: [{definition: {name}, value}]}`) and one deployment
/// (`{id, name, ...}`). Missing fields read as "no value".
///
/// Errs only for a `matches` whose pattern comes from a property and is not
/// a valid regular expression.
pub fn evaluate(rule: &Rule, app: &Value, deployment: &Value) -> Result<bool, RuleError> {
    match &rule.expr {
        None => Ok(true),
        Some(e) => eval::eval(e, &eval::Ctx { app, deployment }),
    }
}

/// A tenant inventory entry (`{name, id?, region, hostname?, tags?: [..], attributes?: {k: v}}`)
/// as the resource a [`TENANT`] rule reads: `tags` become values of custom property `tag`,
/// each attribute a custom property of its name (arrays give several values).
pub fn tenant_resource(entry: &Value) -> Value {
    let mut resource = serde_json::Map::new();
    for key in ["id", "name"].iter().chain(TENANT.fields) {
        if let Some(v) = entry.get(*key) {
            resource.insert((*key).to_string(), v.clone());
        }
    }
    let mut custom = Vec::new();
    let mut push = |name: &str, v: &Value| {
        let values = match v {
            Value::Array(items) => items.clone(),
            other => vec![other.clone()],
        };
        for value in values.into_iter().filter(|v| !v.is_null()) {
            custom.push(serde_json::json!({"definition": {"name": name}, "value": value}));
        }
    };
    if let Some(tags) = entry.get("tags") {
        push("tag", tags);
    }
    if let Some(Value::Object(attrs)) = entry.get("attributes") {
        for (k, v) in attrs {
            push(k, v);
        }
    }
    resource.insert("customProperties".into(), Value::Array(custom));
    Value::Object(resource)
}

/// Whether `rule` sends `app` to `deployment`; an evaluation error counts
/// as no match. See [`evaluate`].
pub fn matches(rule: &Rule, app: &Value, deployment: &Value) -> bool {
    evaluate(rule, app, deployment).unwrap_or(false)
}

/// A distribution policy.
#[derive(Debug, Clone, Serialize)]
pub struct Policy {
    pub id: String,
    pub name: String,
    pub rule: Rule,
    pub disabled: bool,
}

/// One deployment an app goes to, with the names of the policies that send it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Target {
    pub deployment_id: String,
    pub deployment_name: String,
    pub policies: Vec<String>,
}

/// Where one app goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Distribution {
    pub app_id: String,
    pub app_name: String,
    pub targets: Vec<Target>,
}

/// Whether an app is published (`published: true`); only published apps
/// are distributed.
fn is_published(app: &Value) -> bool {
    app.get("published").and_then(Value::as_bool) == Some(true)
}

fn str_field(v: &Value, key: &str) -> String {
    match v.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

/// The deployments one app goes to, in `deployments` order: each deployment
/// matched by at least one enabled policy, with those policies' names in
/// `policies` order. An unpublished app goes nowhere.
pub fn targets(policies: &[Policy], app: &Value, deployments: &[Value]) -> Vec<Target> {
    if !is_published(app) {
        return Vec::new();
    }
    deployments
        .iter()
        .filter_map(|d| {
            let names: Vec<String> = policies
                .iter()
                .filter(|p| !p.disabled && matches(&p.rule, app, d))
                .map(|p| p.name.clone())
                .collect();
            (!names.is_empty()).then(|| Target {
                deployment_id: str_field(d, "id"),
                deployment_name: str_field(d, "name"),
                policies: names,
            })
        })
        .collect()
}

/// Where every app goes: one entry per app, in `apps` order (see [`targets`]).
pub fn preview(policies: &[Policy], apps: &[Value], deployments: &[Value]) -> Vec<Distribution> {
    apps.iter()
        .map(|app| Distribution {
            app_id: str_field(app, "id"),
            app_name: str_field(app, "name"),
            targets: targets(policies, app, deployments),
        })
        .collect()
}
