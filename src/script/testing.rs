//! `qops test PATH...`: runs every `test_*` function of the `.rhai` files under the paths, each
//! against its own embedded simulator (a fresh Session and engine), and reports like a test
//! runner: one line per test, the error with its location for failures, then
//! `N passed, N failed`; `--junit FILE` writes the same results as JUnit XML, `--jobs N` runs
//! N files at once.

use super::convert;
use super::engine::{self, Limits};
use super::files::FileRoots;
use super::junit;
use super::native::{fail, native};
use super::runner::{script_files, Source};
use crate::config::Env;
use crate::failure::Failure;
use crate::session::{RunOptions, Session};
use crate::sim::SimOptions;
use rhai::{CallFnOptions, Dynamic, Engine, EvalAltResult, Scope, AST};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

type Fallible<T> = Result<T, Box<EvalAltResult>>;

/// One test function of one file.
struct Case<'a> {
    source: &'a Source,
    ast: &'a AST,
    name: String,
}

/// How `qops test` selects, runs and reports.
pub struct TestOptions<'a> {
    /// Only tests whose name contains this text.
    pub filter: Option<&'a str>,
    /// Where to write JUnit XML, too.
    pub junit: Option<&'a Path>,
    /// How many test files run at once.
    pub jobs: usize,
}

/// Runs the tests under `paths` selected by `test`, each against a simulator started with
/// `sim`; fails when any test fails. Each test sees a sealed environment ([`Env::for_tests`])
/// and files under `roots`. Files run `test.jobs` at a time; their results print in file
/// order whatever order they finish in.
pub fn run(
    roots: &FileRoots,
    limits: &Limits,
    options: &RunOptions,
    sim: &SimOptions,
    paths: &[PathBuf],
    test: &TestOptions,
) -> Result<(), Failure> {
    let files = script_files(paths)?;
    let env = Env::for_tests();
    let mut compiler = Engine::new_raw();
    compiler.set_max_expr_depths(limits.max_expr_depth, limits.max_function_expr_depth);
    let mut sources = Vec::new();
    let mut broken = Vec::new();
    for path in &files {
        let compiled = Source::read(path).and_then(|source| {
            let ast = source.compile(&compiler)?;
            Ok((source, ast))
        });
        match compiled {
            Ok(compiled) => sources.push(compiled),
            Err(failure) => broken.push((path.display().to_string(), failure.to_string())),
        }
    }
    broken.extend(check_all(&env, limits, &sources));
    if !broken.is_empty() {
        return Err(refuse_broken(&broken, test.junit));
    }
    let per_file: Vec<Vec<Case>> = sources
        .iter()
        .map(|(source, ast)| {
            let mut fns: Vec<_> = ast.iter_functions().collect();
            fns.sort_by_key(|f| f.name);
            fns.into_iter()
                .filter(|f| f.name.starts_with("test_") && f.params.is_empty())
                .filter(|f| test.filter.is_none_or(|p| f.name.contains(p)))
                .map(|f| Case {
                    source,
                    ast,
                    name: f.name.to_string(),
                })
                .collect::<Vec<_>>()
        })
        .collect();
    crate::output::outln!(
        "running {} test(s) from {} file(s)",
        per_file.iter().map(Vec::len).sum::<usize>(),
        sources.len()
    );
    let run_file = |cases: &Vec<Case>| -> Vec<Outcome> {
        cases
            .iter()
            .map(|case| {
                let started = Instant::now();
                let result = run_case(&env, roots, limits, options, sim, case);
                Outcome {
                    name: case.name.clone(),
                    elapsed: started.elapsed(),
                    failure: result.err(),
                }
            })
            .collect()
    };
    let mut suites = Vec::new();
    let (mut passed, mut failed) = (0, 0);
    let mut report = |index: usize, outcomes: Vec<Outcome>| {
        let file = &sources[index].0.name;
        for outcome in &outcomes {
            let ms = outcome.elapsed.as_millis();
            let label = format!("{file}::{}", outcome.name);
            match &outcome.failure {
                None => {
                    passed += 1;
                    crate::output::outln!("test {label} ... ok ({ms} ms)");
                }
                Some(message) => {
                    failed += 1;
                    crate::output::outln!("test {label} ... FAILED ({ms} ms)");
                    for line in message.lines() {
                        crate::output::outln!("    {line}");
                    }
                }
            }
        }
        suites.push(junit::Suite {
            file: file.clone(),
            cases: outcomes
                .into_iter()
                .map(|o| junit::Case {
                    name: o.name,
                    seconds: o.elapsed.as_secs_f64(),
                    failure: o.failure,
                })
                .collect(),
        });
    };
    in_parallel(
        test.jobs,
        options.script_stack,
        &per_file,
        run_file,
        &mut report,
    )?;
    crate::output::outln!("{passed} passed, {failed} failed");
    if let Some(path) = test.junit {
        crate::files::write_file(path, junit::render(&suites).as_bytes())
            .map_err(Failure::Runtime)?;
    }
    if failed > 0 {
        Err(Failure::Runtime(format!("{failed} test(s) failed")))
    } else {
        Ok(())
    }
}

/// What one test did.
struct Outcome {
    name: String,
    elapsed: Duration,
    failure: Option<String>,
}

/// Runs `work` on each item, `jobs` at a time on threads with `stack` bytes of stack, and
/// hands each result to `report` in item order as soon as it and those before it are done.
fn in_parallel<T: Sync, R: Send>(
    jobs: usize,
    stack: usize,
    items: &[T],
    work: impl Fn(&T) -> R + Sync,
    report: &mut dyn FnMut(usize, R),
) -> Result<(), Failure> {
    let next = AtomicUsize::new(0);
    let (done, results) = mpsc::channel::<(usize, R)>();
    std::thread::scope(|scope| {
        for _ in 0..jobs.clamp(1, items.len().max(1)) {
            let done = done.clone();
            let (next, work) = (&next, &work);
            let mut builder = std::thread::Builder::new().name("test".into());
            if stack > 0 {
                builder = builder.stack_size(stack);
            }
            builder
                .spawn_scoped(scope, move || loop {
                    let index = next.fetch_add(1, Ordering::SeqCst);
                    let Some(item) = items.get(index) else { break };
                    if done.send((index, work(item))).is_err() {
                        break;
                    }
                })
                .map_err(|e| Failure::Runtime(format!("cannot start a test thread: {e}")))?;
        }
        drop(done);
        let mut waiting = BTreeMap::new();
        let mut due = 0;
        for (index, result) in results {
            waiting.insert(index, result);
            while let Some(result) = waiting.remove(&due) {
                report(due, result);
                due += 1;
            }
        }
        Ok(())
    })
}

/// The checks of `qops check` on every test file, before any test runs: a misspelt name fails
/// the run at once, with every finding, instead of failing the tests one by one. The files
/// with findings, and what was found.
fn check_all(env: &Env, limits: &Limits, sources: &[(Source, AST)]) -> Vec<(String, String)> {
    let session = Arc::new(Session::new(env.clone()));
    let mut engine = engine::build(&session, limits);
    register(&mut engine);
    let resolver = super::modules::Resolver::new(env.get(crate::config::vars::PATH).as_deref());
    sources
        .iter()
        .filter_map(|(source, ast)| {
            super::runner::checked(&engine, &resolver, source, ast)
                .err()
                .map(|failure| (source.name.clone(), failure.to_string()))
        })
        .collect()
}

/// Test files that do not compile or fail the checks stop the run before any test (exit 2);
/// with `--junit`, each is a suite with one failed case, `compile`, carrying the message, so CI
/// shows why nothing ran.
fn refuse_broken(broken: &[(String, String)], junit_path: Option<&Path>) -> Failure {
    if let Some(path) = junit_path {
        let suites: Vec<junit::Suite> = broken
            .iter()
            .map(|(file, message)| junit::Suite {
                file: file.clone(),
                cases: vec![junit::Case {
                    name: "compile".to_string(),
                    seconds: 0.0,
                    failure: Some(message.clone()),
                }],
            })
            .collect();
        if let Err(e) = crate::files::write_file(path, junit::render(&suites).as_bytes()) {
            return Failure::Runtime(e);
        }
    }
    let messages: Vec<&str> = broken.iter().map(|(_, m)| m.as_str()).collect();
    Failure::Usage(messages.join("\n"))
}

/// A fresh simulator, session and engine for one test; the file's top-level statements (its
/// imports) run first, then the test function.
fn run_case(
    env: &Env,
    roots: &FileRoots,
    limits: &Limits,
    options: &RunOptions,
    sim: &SimOptions,
    case: &Case,
) -> Result<(), String> {
    let mut session = Session::new(env.clone());
    session.file_roots = roots.clone();
    session.run = options.clone();
    let file = std::path::Path::new(&case.source.name);
    if file.is_file() {
        session.use_script_dir(file);
    }
    session.start_embedded_sim(sim.clone())?;
    let session = Arc::new(session);
    let mut engine = engine::build(&session, limits);
    register(&mut engine);
    let options = CallFnOptions::new().eval_ast(true).rewind_scope(true);
    engine
        .call_fn_with_options::<Dynamic>(options, &mut Scope::new(), case.ast, &case.name, ())
        .map(|_| ())
        .map_err(|e| {
            let resolver =
                super::modules::Resolver::new(env.get(crate::config::vars::PATH).as_deref());
            super::explain::eval_error(&engine, case.ast, &resolver, case.source, &e)
        })
}

/// Values compared as JSON where they convert (maps and arrays by content), else by text;
/// an error for values too deep to compare.
fn same(a: &Dynamic, b: &Dynamic) -> Result<bool, String> {
    use rhai::serde::from_dynamic;
    convert::check_shape(a)?;
    convert::check_shape(b)?;
    Ok(
        match (
            from_dynamic::<serde_json::Value>(a),
            from_dynamic::<serde_json::Value>(b),
        ) {
            (Ok(x), Ok(y)) => x == y,
            _ => a.type_name() == b.type_name() && debug(a) == debug(b),
        },
    )
}

/// A value as `to_debug` shows it, cut at the depth limit.
fn debug(value: &Dynamic) -> String {
    convert::printed(value, &mut |leaf| format!("{leaf:?}")).0
}

fn assert_eq_with(a: Dynamic, b: Dynamic, msg: &str) -> Fallible<()> {
    if same(&a, &b).or_else(fail)? {
        return Ok(());
    }
    let head = if msg.is_empty() {
        "assert_eq failed".to_string()
    } else {
        format!("assert_eq failed: {msg}")
    };
    fail(format!(
        "{head}\n  left:  {}\n  right: {}",
        debug(&a),
        debug(&b)
    ))
}

/// `assert` and `assert_eq`, for test engines only.
pub fn register(engine: &mut Engine) {
    native!(
        engine,
        "assert",
        ["condition: bool", "()"],
        "Fails the test unless `condition` is true.",
        |c: bool| -> Fallible<()> {
            if c {
                Ok(())
            } else {
                fail("assertion failed")
            }
        }
    );
    native!(
        engine,
        "assert",
        ["condition: bool", "message: &str", "()"],
        "Fails the test with `message` unless `condition` is true.",
        |c: bool, msg: &str| -> Fallible<()> {
            if c {
                Ok(())
            } else {
                fail(format!("assertion failed: {msg}"))
            }
        }
    );
    native!(
        engine,
        "assert_eq",
        ["left: Dynamic", "right: Dynamic", "()"],
        "Fails the test unless the two values are equal (maps and arrays by content).",
        |a: Dynamic, b: Dynamic| assert_eq_with(a, b, "")
    );
    native!(
        engine,
        "assert_eq",
        ["left: Dynamic", "right: Dynamic", "message: &str", "()"],
        "Fails the test with `message` unless the two values are equal.",
        |a: Dynamic, b: Dynamic, msg: &str| assert_eq_with(a, b, msg)
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asserts_compare_by_content_and_say_why_they_failed() {
        let mut engine = Engine::new();
        register(&mut engine);
        engine
            .run(
                r#"assert(true); assert_eq(#{a: [1, "x"]}, #{a: [1, "x"]}); assert_eq(2, 2, "n");"#,
            )
            .unwrap();
        let err = engine.run(r#"assert_eq([1], [2], "lists")"#).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("assert_eq failed: lists"), "{text}");
        assert!(text.contains("left:  [1]"), "{text}");
        let err = engine.run(r#"assert(1 > 2, "order")"#).unwrap_err();
        assert!(err.to_string().contains("assertion failed: order"), "{err}");
    }
}
