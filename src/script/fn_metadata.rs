//! The engine's function metadata (`Engine::gen_fn_metadata_to_json`) and a script's own
//! functions, read in one place for both readers of "what a script can call": the reference
//! ([`super::docs`]) and the checker's catalog ([`super::catalog`]).

use rhai::{Engine, ScriptFnMetadata};
use serde_json::Value;

/// One function of the engine's metadata, as Rhai lists it.
#[derive(Debug, Clone)]
pub struct NativeFn {
    /// `None` for global functions; a static module (`policy`), `outer::inner` when nested.
    pub namespace: Option<String>,
    pub name: String,
    /// `(name, type)` as listed; a parameter without a name is `_`, without a type empty.
    pub params: Vec<(String, String)>,
    /// The arity Rhai gives (`numParams`), which can exceed the parameters it names.
    pub arity: Option<usize>,
    pub ret: String,
    /// Rhai's kind of function: `script` for one defined in a script.
    pub script: bool,
    /// The raw doc-comment blocks, with their `///` markers.
    pub doc_comments: Vec<String>,
}

/// Every function of `engine` (global ones, then those of static modules, recursively), with
/// the standard library when `include_std`.
pub fn native_functions(engine: &Engine, include_std: bool) -> Vec<NativeFn> {
    let json = engine
        .gen_fn_metadata_to_json(include_std)
        .unwrap_or_default();
    let meta: Value = serde_json::from_str(&json).unwrap_or(Value::Null);
    let mut out = Vec::new();
    collect(&meta, None, &mut out);
    out
}

/// The same functions as [`native_functions`] with the standard library, read straight from the
/// engine's registry: names, arities and parameters as registered (Rust type names, which
/// [`super::catalog::type_word`] reads), no doc comments. What the checks before every run need,
/// without the JSON round trip that would cost each run's start-up several milliseconds.
pub fn registered_functions(engine: &Engine) -> Vec<NativeFn> {
    engine.collect_fn_metadata(
        None,
        |info| {
            let m = info.metadata;
            let known = |s: &str| match s.trim() {
                "" | "?" | "_" => None,
                s => Some(s.to_string()),
            };
            Some(NativeFn {
                namespace: (!info.namespace.is_empty()).then(|| info.namespace.to_string()),
                name: m.name.to_string(),
                params: m
                    .params_info
                    .iter()
                    .map(|p| {
                        let (name, ty) = p.split_once(':').unwrap_or((p.as_str(), ""));
                        (
                            known(name).unwrap_or_else(|| "_".into()),
                            known(ty).unwrap_or_default(),
                        )
                    })
                    .collect(),
                arity: Some(m.num_params),
                ret: m.return_type.to_string(),
                script: info.script.is_some(),
                doc_comments: Vec::new(),
            })
        },
        true,
    )
}

fn collect(meta: &Value, namespace: Option<String>, out: &mut Vec<NativeFn>) {
    for f in meta["functions"].as_array().into_iter().flatten() {
        out.push(NativeFn {
            namespace: namespace.clone(),
            name: f["name"].as_str().unwrap_or_default().to_string(),
            params: f["params"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| {
                    (
                        p["name"].as_str().unwrap_or("_").to_string(),
                        p["type"].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect(),
            arity: f["numParams"].as_u64().map(|n| n as usize),
            ret: f["returnType"].as_str().unwrap_or("").to_string(),
            script: f["type"].as_str() == Some("script"),
            doc_comments: f["docComments"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|c| c.as_str().unwrap_or("").to_string())
                .collect(),
        });
    }
    if let Some(modules) = meta["modules"].as_object() {
        for (name, m) in modules {
            let ns = match &namespace {
                Some(outer) => format!("{outer}::{name}"),
                None => name.clone(),
            };
            collect(m, Some(ns), out);
        }
    }
}

/// A script function's parameters as `(name, type)`: script parameters are untyped, so the
/// type is empty.
pub fn script_params(f: &ScriptFnMetadata) -> Vec<(String, String)> {
    f.params
        .iter()
        .map(|p| (p.to_string(), String::new()))
        .collect()
}

/// `ns::name`, or `name` for a global function.
pub fn qualified(namespace: Option<&str>, name: &str) -> String {
    match namespace {
        Some(ns) => format!("{ns}::{name}"),
        None => name.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// The registry read gives the checker every function the reference lists, with the same
    /// arities: the fast path leaves nothing out.
    #[test]
    fn the_registry_read_lists_what_the_metadata_lists() {
        let session =
            std::sync::Arc::new(crate::session::Session::new(crate::config::Env::default()));
        let engine =
            super::super::engine::build(&session, &super::super::engine::Limits::default());
        let key = |f: &NativeFn| (f.namespace.clone(), f.name.clone(), f.arity);
        let slow: BTreeSet<_> = native_functions(&engine, true).iter().map(key).collect();
        let fast: BTreeSet<_> = registered_functions(&engine).iter().map(key).collect();
        let missing: Vec<_> = slow.difference(&fast).collect();
        assert!(missing.is_empty(), "{missing:?}");
    }
}
