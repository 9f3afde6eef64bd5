//! The one engine builder: `run`, `eval`, `check`, the REPL and the tests all call [`build`].

use crate::config::vars;
use crate::session::Session;
use rhai::{Engine, OptimizationLevel};
use std::io::Write;
use std::sync::Arc;

/// Limits that keep a runaway script from taking the machine.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Rhai operations per run; 0 = unlimited (`--max-operations`).
    pub max_operations: u64,
    pub max_call_levels: usize,
    pub max_expr_depth: usize,
    pub max_function_expr_depth: usize,
    pub max_string_size: usize,
    pub max_array_size: usize,
    pub max_map_size: usize,
    pub max_modules: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_operations: 1_000_000_000,
            max_call_levels: 96,
            max_expr_depth: 128,
            max_function_expr_depth: 64,
            max_string_size: 64 << 20,
            max_array_size: 1_000_000,
            max_map_size: 100_000,
            max_modules: 256,
        }
    }
}

/// An engine with the qops functions registered over `session`.
pub fn build(session: &Arc<Session>, limits: &Limits) -> Engine {
    let mut engine = Engine::new();
    // Full optimisation would evaluate platform calls at compile time.
    engine.set_optimization_level(OptimizationLevel::Simple);
    engine
        .set_max_operations(limits.max_operations)
        .set_max_call_levels(limits.max_call_levels)
        .set_max_expr_depths(limits.max_expr_depth, limits.max_function_expr_depth)
        .set_max_string_size(limits.max_string_size)
        .set_max_array_size(limits.max_array_size)
        .set_max_map_size(limits.max_map_size)
        .set_max_modules(limits.max_modules);
    let s = session.clone();
    engine.on_progress(move |operations| {
        super::parallel::note_operations(operations);
        s.is_cancelled()
            .then(|| rhai::Dynamic::from("interrupted (Ctrl-C)"))
    });
    engine.on_print(|text| {
        super::progress::around_output(|| {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{text}");
            let _ = out.flush();
        })
    });
    engine.on_debug(|text, source, pos| {
        tracing::debug!(target: "qops::script", "{}:{}: {text}", source.unwrap_or("script"), pos);
    });
    engine.set_module_resolver(super::modules::Resolver::new(
        session.env.get(vars::PATH).as_deref(),
    ));
    super::handles::register(&mut engine, session);
    super::files::register(&mut engine, session);
    super::util::register(&mut engine, session);
    super::parallel::register(&mut engine, session);
    super::progress::register(&mut engine, session);
    super::tenants::register(&mut engine);
    super::licenses::register(&mut engine);
    super::users::register(&mut engine);
    super::roles::register(&mut engine);
    super::groups::register(&mut engine);
    super::idps::register(&mut engine);
    super::oauth_clients::register(&mut engine);
    super::spaces::register(&mut engine);
    super::apikeys::register(&mut engine);
    super::raw::register(&mut engine);
    super::qseow::register(&mut engine, session);
    super::policy::register(&mut engine);
    engine
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Env;

    #[test]
    fn every_native_function_has_a_doc_comment_and_parameter_names() {
        let session = Arc::new(Session::new(Env::default()));
        let engine = build(&session, &Limits::default());
        let json = engine.gen_fn_metadata_to_json(false).unwrap();
        let meta: serde_json::Value = serde_json::from_str(&json).unwrap();
        let functions = meta["functions"].as_array().unwrap();
        assert!(functions.len() > 30, "{} functions", functions.len());
        for f in functions {
            let name = f["name"].as_str().unwrap();
            let docs = f["docComments"].as_array().map(Vec::len).unwrap_or(0);
            assert!(docs > 0, "{name} has no doc comment");
            for p in f["params"].as_array().into_iter().flatten() {
                assert!(p["name"].is_string(), "{name}: unnamed parameter {p}");
            }
        }
    }
}
