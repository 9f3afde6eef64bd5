//! What a script can call, in the words an operator reads: every function the engine knows
//! (ours, Rhai's standard library, static modules such as `policy`) and a script's own, with
//! their overloads, arities and signatures in operator words (`users(filter: string[, limit:
//! int])`), and the nearest names to a misspelt one. Used by `qops check` ([`super::check`]) and
//! by run-time error reports ([`super::explain`]).

use super::fn_metadata;
use rhai::{Engine, FnAccess, AST};
use std::collections::BTreeSet;

/// Functions the evaluator handles itself: they take any arguments, and some are not in the
/// engine's metadata.
pub const KEYWORDS: &[&str] = &[
    "print",
    "debug",
    "type_of",
    "eval",
    "Fn",
    "call",
    "curry",
    "is_shared",
    "is_def_var",
    "is_def_fn",
];

/// One overload of a function.
#[derive(Debug, Clone)]
pub struct Overload {
    /// `None` for global functions; a static module (`policy`) or an import alias.
    pub namespace: Option<String>,
    pub name: String,
    /// `(name, type)`; the type is empty for script functions.
    pub params: Vec<(String, String)>,
    pub ret: String,
    /// Defined in a script: called as a method, the value becomes `this` and is no parameter.
    pub script: bool,
}

impl Overload {
    pub fn arity(&self) -> usize {
        self.params.len()
    }

    /// Can `x.name(args)` with `args` arguments reach this overload?
    pub fn takes_as_method(&self, args: usize) -> bool {
        if self.script {
            self.arity() == args
        } else {
            self.arity() == args + 1
        }
    }

    /// Is this a method on a value (its first parameter is the receiver) rather than a global
    /// function? True for natives whose first parameter is one of our handles.
    pub fn is_handle_method(&self) -> bool {
        !self.script
            && self.params.first().is_some_and(|(_, ty)| {
                let word = type_word(ty);
                HANDLES.contains(&word.as_str())
            })
    }

    /// `users(t: tenant, filter: string) -> array`, or as a method,
    /// `t.users(filter: string) -> array`.
    pub fn signature(&self, as_method: bool) -> String {
        let name = qualified(self);
        let (prefix, params) = match self.params.split_first() {
            Some(((recv, _), rest)) if as_method && !self.script => (format!("{recv}."), rest),
            _ => (String::new(), &self.params[..]),
        };
        let mut sig = format!("{prefix}{name}({})", param_list(params));
        let ret = type_word(&self.ret);
        if !self.ret.is_empty() && ret != "()" && ret != "any" {
            sig.push_str(&format!(" -> {ret}"));
        }
        sig
    }
}

/// Our handle types, as operators name them.
pub const HANDLES: &[&str] = &["tenant", "region", "site", "progress"];

fn param_list(params: &[(String, String)]) -> String {
    params.iter().map(param).collect::<Vec<_>>().join(", ")
}

fn param((name, ty): &(String, String)) -> String {
    if ty.is_empty() {
        name.clone()
    } else {
        format!("{name}: {}", type_word(ty))
    }
}

/// A type as an operator says it: `&str` and `ImmutableString` are `string`, `i64` is `int`,
/// `&mut Tenant` and `qops::script::handles::TenantHandle` are `tenant`.
pub fn type_word(ty: &str) -> String {
    // Rhai names a string argument `&str | ImmutableString | String`.
    let t = ty.split(" | ").next().unwrap_or(ty).trim();
    let t = t.strip_prefix("&mut ").unwrap_or(t);
    let t = t.strip_prefix('&').unwrap_or(t).trim();
    if let Some(inner) = t.strip_prefix("Result<") {
        // A fallible native: what it returns when it succeeds.
        let ok = inner
            .split(',')
            .next()
            .unwrap_or(inner)
            .trim_end_matches('>');
        return type_word(ok);
    }
    match t {
        "str" | "ImmutableString" | "String" | "string" | "&str | ImmutableString | String" => {
            "string".into()
        }
        "i64" | "i32" | "u64" | "u32" | "u8" | "usize" | "INT" | "int" => "int".into(),
        "f64" | "f32" | "FLOAT" | "float" => "float".into(),
        "bool" => "bool".into(),
        "char" => "char".into(),
        "Array" | "array" | "Vec<Dynamic>" => "array".into(),
        "Map" | "map" => "map".into(),
        "Blob" | "blob" | "Vec<u8>" => "blob".into(),
        "FnPtr" | "Fn" => "function".into(),
        "Dynamic" | "" | "?" => "any".into(),
        "()" => "()".into(),
        "Instant" | "timestamp" => "timestamp".into(),
        other if other.starts_with("Range") || other.starts_with("range") => "range".into(),
        other => {
            let last = other.rsplit("::").next().unwrap_or(other);
            let last = last.strip_suffix("Handle").unwrap_or(last);
            last.to_lowercase()
        }
    }
}

/// Every function a script can call, by name and namespace.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    functions: Vec<Overload>,
}

impl Catalog {
    /// The engine's natives, the standard library and static modules included.
    pub fn of_engine(engine: &Engine) -> Catalog {
        let functions = fn_metadata::registered_functions(engine)
            .into_iter()
            .map(|f| {
                let mut params = f.params;
                let arity = f.arity.unwrap_or(params.len());
                params.resize_with(arity, || ("_".into(), String::new()));
                Overload {
                    namespace: f.namespace,
                    name: f.name,
                    params,
                    ret: f.ret,
                    script: f.script,
                }
            })
            .collect();
        Catalog { functions }
    }

    /// Adds the script functions of `ast` (private ones too when `private`), under `namespace`.
    pub fn add_script(&mut self, ast: &AST, namespace: Option<&str>, private: bool) {
        for f in ast.iter_functions() {
            if f.name.starts_with("anon$") || (!private && f.access == FnAccess::Private) {
                continue;
            }
            self.functions.push(Overload {
                namespace: namespace.map(str::to_string),
                name: f.name.to_string(),
                params: fn_metadata::script_params(&f),
                ret: String::new(),
                script: true,
            });
        }
    }

    pub fn extend(&mut self, other: &Catalog) {
        self.functions.extend(other.functions.iter().cloned());
    }

    /// The overloads of `name` in `namespace` (`None`: global functions).
    pub fn overloads<'a>(
        &'a self,
        namespace: Option<&'a str>,
        name: &'a str,
    ) -> impl Iterator<Item = &'a Overload> + 'a {
        self.functions
            .iter()
            .filter(move |f| f.name == name && f.namespace.as_deref() == namespace)
    }

    pub fn has_namespace(&self, namespace: &str) -> bool {
        self.functions
            .iter()
            .any(|f| f.namespace.as_deref() == Some(namespace))
    }

    /// Names callable as global functions (no operators, getters or setters).
    pub fn function_names(&self, namespace: Option<&str>) -> BTreeSet<&str> {
        self.functions
            .iter()
            .filter(|f| f.namespace.as_deref() == namespace && is_identifier(&f.name))
            .map(|f| f.name.as_str())
            .chain(
                namespace
                    .is_none()
                    .then_some(KEYWORDS.iter().copied())
                    .into_iter()
                    .flatten(),
            )
            .collect()
    }

    /// Names callable as methods: natives with a parameter to take the value, script functions.
    pub fn method_names(&self) -> BTreeSet<&str> {
        self.functions
            .iter()
            .filter(|f| f.namespace.is_none() && is_identifier(&f.name))
            .filter(|f| f.script || f.arity() > 0)
            .map(|f| f.name.as_str())
            .chain(KEYWORDS.iter().copied())
            .collect()
    }

    /// The properties (`get$name` natives) a value of type `word` has.
    pub fn getters_of(&self, word: &str) -> BTreeSet<String> {
        self.functions
            .iter()
            .filter(|f| f.namespace.is_none())
            .filter(|f| f.params.first().is_some_and(|(_, t)| type_word(t) == word))
            .filter_map(|f| f.name.strip_prefix("get$").map(str::to_string))
            .collect()
    }

    /// Signatures of the nearest names' overloads, a few; as methods (`t.users()`) when
    /// `methods`, else only our handles' methods are shown on their receiver.
    pub fn signatures_of(
        &self,
        namespace: Option<&str>,
        names: &[String],
        methods: bool,
    ) -> Vec<String> {
        let mut out = Vec::new();
        for name in names {
            let mut list: Vec<&Overload> = self.overloads(namespace, name).collect();
            list.sort_by_key(|o| o.arity());
            for o in list {
                if methods && !o.script && o.arity() == 0 {
                    continue;
                }
                let sig = o.signature(methods || o.is_handle_method());
                if !out.contains(&sig) {
                    out.push(sig);
                }
            }
        }
        out.truncate(8);
        out
    }
}

/// A name a script can write as a function call (not `+`, `get$x`, `anon$1`).
pub fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_')
}

/// The names among `candidates` closest to `name` (a typo away): those at the smallest edit
/// distance, at most three.
pub fn nearest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let lower = name.to_lowercase();
    let budget = (name.chars().count() / 3).max(1);
    let mut scored: Vec<(usize, String)> = candidates
        .into_iter()
        .filter(|c| *c != name)
        .map(|c| {
            (
                strsim::damerau_levenshtein(&lower, &c.to_lowercase()),
                c.to_string(),
            )
        })
        .filter(|(d, _)| *d <= budget)
        .collect();
    scored.sort();
    scored.dedup_by(|a, b| a.1 == b.1);
    let best = scored.first().map(|(d, _)| *d);
    scored
        .into_iter()
        .take_while(|(d, _)| Some(*d) == best)
        .take(3)
        .map(|(_, c)| c)
        .collect()
}

/// `— did you mean 'tenant'?` or `— did you mean 'users' or 'user'?`; empty without candidates.
pub fn did_you_mean(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => format!(" — did you mean '{one}'?"),
        [first @ .., last] => format!(
            " — did you mean {} or '{last}'?",
            first
                .iter()
                .map(|n| format!("'{n}'"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// The overloads of one name in one line when each extends the previous one
/// (`users(filter: string[, limit: int])`), else one signature per overload.
pub fn combined(overloads: &[&Overload], as_method: bool) -> Vec<String> {
    let mut list: Vec<&Overload> = overloads.to_vec();
    list.sort_by_key(|o| o.arity());
    list.dedup_by(|a, b| a.params == b.params);
    let skip = usize::from(as_method && list.iter().all(|o| !o.script));
    let params =
        |o: &Overload| -> Vec<(String, String)> { o.params.iter().skip(skip).cloned().collect() };
    let extends = list
        .windows(2)
        .all(|w| params(w[1]).starts_with(&params(w[0])));
    if list.len() < 2 || !extends {
        return list.iter().map(|o| strip_receiver(o, skip)).collect();
    }
    let Some(longest) = list.last() else {
        return Vec::new();
    };
    let all = params(longest);
    let mut done = params(list[0]).len();
    let mut text = param_list(&all[..done]);
    let mut opened = 0;
    for o in &list[1..] {
        let n = params(o).len();
        let part = param_list(&all[done..n]);
        let comma = if text.is_empty() { "" } else { ", " };
        text.push_str(&format!("[{comma}{part}"));
        opened += 1;
        done = n;
    }
    text.push_str(&"]".repeat(opened));
    vec![format!("{}({text})", qualified(longest))]
}

fn qualified(o: &Overload) -> String {
    fn_metadata::qualified(o.namespace.as_deref(), &o.name)
}

fn strip_receiver(o: &Overload, skip: usize) -> String {
    format!(
        "{}({})",
        qualified(o),
        param_list(&o.params[skip.min(o.params.len())..])
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn o(name: &str, params: &[(&str, &str)]) -> Overload {
        Overload {
            namespace: None,
            name: name.into(),
            params: params
                .iter()
                .map(|(n, t)| (n.to_string(), t.to_string()))
                .collect(),
            ret: "Array".into(),
            script: false,
        }
    }

    #[test]
    fn types_read_as_operator_words() {
        assert_eq!(type_word("&str"), "string");
        assert_eq!(type_word("&str | ImmutableString | String"), "string");
        assert_eq!(type_word("i64"), "int");
        assert_eq!(type_word("&mut Tenant"), "tenant");
        assert_eq!(type_word("qops::script::handles::TenantHandle"), "tenant");
        assert_eq!(type_word("Map"), "map");
        assert_eq!(type_word("Result<bool, Box<EvalAltResult>>"), "bool");
    }

    #[test]
    fn overloads_that_extend_each_other_read_as_one_with_optional_parts() {
        let a = o("users", &[("t", "&mut Tenant"), ("filter", "&str")]);
        let b = o(
            "users",
            &[("t", "&mut Tenant"), ("filter", "&str"), ("limit", "INT")],
        );
        assert_eq!(
            combined(&[&b, &a], true),
            ["users(filter: string[, limit: int])"]
        );
        let none = o("users", &[("t", "&mut Tenant")]);
        assert_eq!(
            combined(&[&none, &a, &b], true),
            ["users([filter: string[, limit: int]])"]
        );
        let other = o("users", &[("t", "&mut Tenant"), ("ids", "Array")]);
        assert_eq!(combined(&[&a, &other], true).len(), 2);
    }

    #[test]
    fn nearest_names_are_a_typo_away() {
        let names = ["tenant", "tenants", "region", "users", "user"];
        assert_eq!(nearest("tenat", names)[0], "tenant");
        assert_eq!(nearest("usres", names)[0], "users");
        assert!(nearest("completely_else", names).is_empty());
        assert_eq!(
            did_you_mean(&["a".into(), "b".into()]),
            " — did you mean 'a' or 'b'?"
        );
    }
}
