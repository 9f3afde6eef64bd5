//! The one engine builder: `run`, `eval`, `check`, the REPL and the tests all call [`build`].

use crate::config::vars;
use crate::session::Session;
use rhai::{Engine, OptimizationLevel};
use std::sync::Arc;

/// Limits that keep a runaway script from taking the machine.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Rhai operations per run; 0 = unlimited (`--max-operations`).
    pub max_operations: u64,
    pub max_call_levels: usize,
    pub max_expr_depth: usize,
    pub max_function_expr_depth: usize,
    /// Bytes in one string, and in the strings and map keys of a value converted to JSON.
    pub max_string_size: usize,
    /// Items in one array, nested arrays' items included (Rhai counts them so).
    pub max_array_size: usize,
    /// Entries in one map, nested maps' entries included.
    pub max_map_size: usize,
    pub max_modules: usize,
    /// Deepest nesting of arrays and maps that printing, comparing and JSON accept.
    pub max_depth: usize,
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
            max_depth: super::convert::DEFAULT_MAX_DEPTH,
        }
    }
}

impl Limits {
    /// The stack of the thread that runs scripts. Rhai clones, drops, measures and formats
    /// arrays and maps recursively, and its size checks let a value nest one level per array
    /// item or map entry; so the deepest value these limits admit must fit. Bytes per level
    /// measured for Rhai 1.27 (see `rhai_recursion_fits_the_script_stack`), with a margin.
    pub fn script_stack_bytes(&self) -> usize {
        STACK_BASE.saturating_add(deepest_value_stack(self.max_array_size, self.max_map_size))
    }
}

/// Stack for everything but walking deep values: Rhai's calls (`max_call_levels`), parsing
/// (`max_expr_depth`), our own walks (`--max-depth` is at most 1000), the HTTP client.
const STACK_BASE: usize = 64 << 20;

/// Stack for Rhai's recursion over a value nested `arrays` + `maps` levels deep.
fn deepest_value_stack(arrays: usize, maps: usize) -> usize {
    let (per_item, per_entry) = if cfg!(debug_assertions) {
        (1_536, 2_560)
    } else {
        (384, 512)
    };
    arrays
        .saturating_mul(per_item)
        .saturating_add(maps.saturating_mul(per_entry))
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
    super::convert::set_limits(limits.max_depth, limits.max_string_size);
    let s = session.clone();
    engine.on_progress(move |operations| {
        super::parallel::note_operations(operations);
        if let Some(ceiling) = crate::memory::exceeded() {
            return Some(rhai::Dynamic::from(format!(
                "memory limit of {} MiB reached (--max-memory raises it)",
                ceiling >> 20
            )));
        }
        s.is_cancelled()
            .then(|| rhai::Dynamic::from("interrupted (Ctrl-C)"))
    });
    // Notes the loop variables an error report names (see `explain::watch_loops`). Rhai marks
    // the hook volatile through `#[deprecated]`.
    #[allow(deprecated)]
    engine.on_var(|name, _, ctx| {
        super::explain::note_var(name, &ctx);
        Ok(None)
    });
    engine.on_print(|text| super::progress::around_output(|| crate::output::outln!("{text}")));
    engine.on_debug(|text, source, pos| {
        tracing::debug!(target: "qops::script", "{}:{}: {text}", source.unwrap_or("script"), pos);
    });
    engine.set_module_resolver(super::modules::Resolver::new(
        session.env.get(vars::PATH).as_deref(),
    ));
    super::handles::register(&mut engine, session);
    super::connection::register(&mut engine, session);
    super::files::register(&mut engine, session);
    super::locations::register(&mut engine, session);
    super::util::register(&mut engine, session);
    super::parallel::register(&mut engine, session);
    super::progress::register(&mut engine, session);
    super::values::register(&mut engine);
    super::tenants::register(&mut engine);
    super::licenses::register(&mut engine);
    super::users::register(&mut engine);
    super::roles::register(&mut engine);
    super::groups::register(&mut engine);
    super::idps::register(&mut engine);
    super::jwt_login::register(&mut engine, session);
    super::oauth_clients::register(&mut engine);
    super::spaces::register(&mut engine);
    super::apps::register(&mut engine);
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
    use rhai::{Dynamic, Map};

    /// Rhai clones, drops, measures and formats values recursively; a value as deep as the
    /// size limits let it nest must fit in the stack budgeted for it (no margin given here).
    #[test]
    fn rhai_recursion_fits_the_script_stack() {
        let (arrays, maps) = (20_000, 10_000);
        let stack = deepest_value_stack(arrays, maps);
        let run = std::thread::Builder::new()
            .stack_size(stack)
            .spawn(move || {
                let mut engine = Engine::new_raw();
                engine.set_max_array_size(arrays).set_max_map_size(maps);
                let mut value = Dynamic::UNIT;
                for i in 0..arrays + maps {
                    value = if i < maps {
                        Dynamic::from_map(Map::from([("x".into(), value)]))
                    } else {
                        Dynamic::from_array(vec![value])
                    };
                }
                assert!(engine.ensure_data_size_within_limits(&value).is_ok());
                let copy = value.clone().into_read_only();
                let text = format!("{copy} {copy:?}");
                drop(copy);
                drop(value);
                text.len()
            })
            .unwrap();
        assert!(run.join().unwrap() > 4 * (arrays + maps));
    }

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
