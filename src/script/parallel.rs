//! `parallel(items, |item| { ... }[, #{concurrency: N}])`: the closure runs for every item on
//! worker threads that share the one engine, the session's client and token cache, and the
//! script's functions, imports and captured variables (each worker calls the closure in a copy
//! of the caller's runtime state, [`NativeCallContext::store_data`]). Results come back in input
//! order; an item whose closure throws yields `#{error, item}` and the others go on. A stop
//! that no script can catch (a limit, `exit`, Ctrl-C) ends the whole call.
//!
//! Ctrl-C: the first one starts no more items and gives those in progress [`GRACE`] to finish,
//! then the call fails as interrupted; the next one stops everything at once (the session's
//! cancel, which also ends network waits).

// Rhai marks `NativeCallContextStore` and its methods volatile through `#[deprecated]`.
#![allow(deprecated)]

use super::native::{fail, native, Fallible};
use super::progress::Meter;
use crate::callsite;
use crate::session::{check_concurrency, Session};
use rhai::{
    Array, Dynamic, Engine, EvalAltResult, FnPtr, Map, NativeCallContext, NativeCallContextStore,
    Position, INT,
};
use std::cell::Cell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

/// How long the items in progress may take to finish after the first Ctrl-C.
pub const GRACE: Duration = Duration::from_secs(10);

/// How often the waiting caller refreshes the progress display and checks for Ctrl-C.
const TICK: Duration = Duration::from_millis(200);

thread_local! {
    /// The operation count this thread's engine last reported (see [`note_operations`]).
    static OPERATIONS: Cell<u64> = const { Cell::new(0) };
}

/// Called by the engine's progress callback at every operation: lets a worker learn how many
/// operations an item used, so that `--max-operations` bounds a `parallel` call as a whole.
pub fn note_operations(count: u64) {
    OPERATIONS.with(|c| c.set(count));
}

pub fn register(engine: &mut Engine, session: &Arc<Session>) {
    let s = session.clone();
    native!(
        engine,
        "parallel",
        ["items: Array", "f: FnPtr", "Array"],
        "Calls `f(item)` for every item on worker threads (16 at once, or `--concurrency N`),
        sharing the client, tokens, and the script's functions and imports; the variables `f`
        captured are copied into each item. The results come back in input order; an item whose
        call throws yields `#{error, item}` instead, and the others go on. Shows progress on
        stderr and ends with a summary line. Ctrl-C starts no more items and lets those in
        progress finish (10 s at most), then the call fails as interrupted.",
        move |ctx: NativeCallContext, items: Array, f: FnPtr| {
            parallel(&ctx, &s, items, &f, s.run.concurrency)
        }
    );
    let s = session.clone();
    native!(
        engine,
        "parallel",
        ["items: Array", "f: FnPtr", "options: Map", "Array"],
        "`parallel(items, f)` with options: `#{concurrency: N}` (how many items at once, 1 to 256)
        overrides `--concurrency` for this call.",
        move |ctx: NativeCallContext, items: Array, f: FnPtr, options: Map| {
            let concurrency = concurrency_option(&options, s.run.concurrency)?;
            parallel(&ctx, &s, items, &f, concurrency)
        }
    );
}

fn concurrency_option(options: &Map, default: usize) -> Fallible<usize> {
    if let Some(k) = options.keys().find(|k| k.as_str() != "concurrency") {
        return fail(format!(
            "unknown option {k:?}: parallel takes #{{concurrency}}"
        ));
    }
    match options.get("concurrency") {
        None => Ok(default),
        Some(n) => match n.as_int() {
            Ok(n) => check_concurrency(n).or_else(fail),
            Err(t) => fail(format!("concurrency must be an integer, got a {t}")),
        },
    }
}

/// What one item came to.
enum Outcome {
    Value(Dynamic),
    /// `#{error, item}`
    Failed(Dynamic),
    /// Ends the call.
    Stop(Box<EvalAltResult>),
}

/// What the workers of one call share.
struct Call<'a> {
    session: &'a Session,
    engine: &'a Engine,
    state: &'a NativeCallContextStore,
    f: &'a FnPtr,
    items: &'a [Dynamic],
    units: &'a [String],
    /// The index of the next item to start.
    next: AtomicUsize,
    /// An item met a stop: start nothing more.
    stop: AtomicBool,
    /// Operations used by the items so far, on top of the caller's count.
    operations: AtomicU64,
}

fn parallel(
    ctx: &NativeCallContext,
    session: &Session,
    items: Array,
    f: &FnPtr,
    concurrency: usize,
) -> Fallible<Array> {
    let total = items.len();
    let units = item_units(ctx, &items);
    let state = ctx.store_data();
    let f = &unshared(f);
    let call = Call {
        session,
        engine: ctx.engine(),
        state: &state,
        f,
        items: &items,
        units: &units,
        next: AtomicUsize::new(0),
        stop: AtomicBool::new(false),
        operations: AtomicU64::new(0),
    };
    let _running = session.parallel_running();
    let meter = Meter::start(total, session.run.quiet, true);
    let mut results: Vec<Option<Dynamic>> = vec![None; total];
    let mut stop: Option<Box<EvalAltResult>> = None;
    let (tx, rx) = mpsc::channel::<(usize, Outcome)>();
    std::thread::scope(|scope| {
        for n in 0..concurrency.min(total) {
            let (tx, call) = (tx.clone(), &call);
            let spawned = std::thread::Builder::new()
                .name(format!("qops-parallel-{n}"))
                // As large as the script thread's: a closure may nest values as deep as the
                // limits allow anywhere else.
                .stack_size(session.run.script_stack)
                .spawn_scoped(scope, move || work(call, tx));
            if let Err(e) = spawned {
                call.stop.store(true, Ordering::SeqCst);
                stop.get_or_insert_with(|| system_error(format!("cannot start a worker: {e}")));
                break;
            }
        }
        drop(tx);
        let mut grace_ends: Option<Instant> = None;
        loop {
            match rx.recv_timeout(TICK) {
                Ok((i, Outcome::Value(v))) => {
                    results[i] = Some(v);
                    meter.item_done(false);
                }
                Ok((i, Outcome::Failed(e))) => {
                    results[i] = Some(e);
                    meter.item_done(true);
                }
                Ok((_, Outcome::Stop(e))) => {
                    stop.get_or_insert(e);
                }
                Err(mpsc::RecvTimeoutError::Timeout) => meter.refresh(),
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
            if session.is_cancelled() {
                continue;
            }
            match grace_ends {
                None if session.is_draining() => {
                    grace_ends = Some(Instant::now() + GRACE);
                    let started = call.next.load(Ordering::SeqCst).min(total);
                    let running = started as u64 - meter.done();
                    meter.notice(&format!(
                        "Ctrl-C: starting no more items; waiting up to {} s for the {running} in progress (Ctrl-C again to stop at once)",
                        GRACE.as_secs()
                    ));
                }
                Some(end) if Instant::now() >= end => {
                    meter.notice("the items in progress did not finish in time: stopping them");
                    session.cancel();
                }
                _ => {}
            }
        }
    });
    let started = call.next.load(Ordering::SeqCst).min(total) as u64;
    let left = left_over(total as u64, started, meter.done());
    if session.is_draining() {
        meter.finish(Some(&format!("interrupted{left}")));
        let message = format!(
            "interrupted (Ctrl-C): {} done, {} failed{left}",
            meter.done(),
            meter.failed()
        );
        return Err(Box::new(EvalAltResult::ErrorTerminated(
            message.into(),
            ctx.call_position(),
        )));
    }
    if let Some(e) = stop {
        meter.finish(Some(&format!("ended early{left}")));
        return Err(e);
    }
    meter.finish(None);
    Ok(results
        .into_iter()
        .map(|r| r.unwrap_or(Dynamic::UNIT))
        .collect())
}

/// `, 2 stopped, 12 not started` for a call that ended early: items started but not finished,
/// and items never started (empty when every item finished).
fn left_over(total: u64, started: u64, finished: u64) -> String {
    let mut text = String::new();
    if started > finished {
        text.push_str(&format!(", {} stopped", started - finished));
    }
    if total > started {
        text.push_str(&format!(", {} not started", total - started));
    }
    text
}

/// `f` with the variables it captured copied out of their shared cells. Rhai shares a captured
/// variable between the closure and its scope behind a lock, and a method call on it (every
/// `t.create_user(..)` on a captured tenant handle) holds the lock for the whole network call, so
/// items on other workers would fail with "data race". Copied, each item's call gets its own copy
/// of what the variable held when `parallel` was called: items read captured variables freely,
/// and an assignment stays within the item (results travel back as return values instead).
fn unshared(f: &FnPtr) -> FnPtr {
    let mut f = f.clone();
    let copies: Vec<Dynamic> = f.iter_curry().map(Dynamic::flatten_clone).collect();
    f.set_curry(copies);
    f
}

/// A worker: starts the next item until none is left, a stop or a Ctrl-C.
fn work(call: &Call, tx: mpsc::Sender<(usize, Outcome)>) {
    let mut state = call.state.clone();
    let base = state.global.num_operations;
    loop {
        if call.stop.load(Ordering::SeqCst) || call.session.is_draining() {
            return;
        }
        let i = call.next.fetch_add(1, Ordering::SeqCst);
        let Some(item) = call.items.get(i) else {
            return;
        };
        let start = base + call.operations.load(Ordering::SeqCst);
        state.global.num_operations = start;
        note_operations(start);
        let result = callsite::in_unit(call.units[i].clone(), || {
            let ctx = state.create_context(call.engine);
            call.f.call_within_context::<Dynamic>(&ctx, (item.clone(),))
        });
        let used = OPERATIONS.with(Cell::get).saturating_sub(start);
        call.operations.fetch_add(used, Ordering::SeqCst);
        let outcome = match result {
            Ok(value) => Outcome::Value(value),
            Err(e) if stops_the_call(&e) => Outcome::Stop(e),
            Err(e) if is_arity_error(&e, call.f) => {
                Outcome::Stop(Box::new(EvalAltResult::ErrorRuntime(
                    "parallel needs a function of one parameter, the item: `|item| ...`".into(),
                    Position::NONE,
                )))
            }
            Err(e) => Outcome::Failed(failed_item(*e, item)),
        };
        if let Outcome::Stop(_) = outcome {
            call.stop.store(true, Ordering::SeqCst);
        }
        if tx.send((i, outcome)).is_err() || call.stop.load(Ordering::SeqCst) {
            return;
        }
    }
}

/// An error no script may catch (limits, termination) or `exit`: it ends the call.
fn stops_the_call(err: &EvalAltResult) -> bool {
    err.is_pseudo_error() || !err.unwrap_inner().is_catchable()
}

/// The closure itself could not be called with one argument: every item would fail alike.
fn is_arity_error(err: &EvalAltResult, f: &FnPtr) -> bool {
    matches!(err, EvalAltResult::ErrorFunctionNotFound(sig, _) if sig.starts_with(f.fn_name()))
}

fn system_error(message: String) -> Box<EvalAltResult> {
    Box::new(EvalAltResult::ErrorSystem(
        message.clone(),
        Box::new(std::io::Error::other(message)),
    ))
}

/// What an item whose closure threw yields: `#{error, item}`. The error is a map that carries the
/// item too, so that a script re-throwing it reports which item failed.
fn failed_item(err: EvalAltResult, item: &Dynamic) -> Dynamic {
    let mut error = error_map(err);
    error.entry("item".into()).or_insert_with(|| item.clone());
    let mut out = Map::new();
    out.insert("error".into(), error.into());
    out.insert("item".into(), item.clone());
    out.into()
}

/// An error as a map: a thrown map (an API error's) as it is; any other thrown value as
/// `#{message}`; an engine error as `#{message, line, position}`, like Rhai's own `catch`.
fn error_map(mut err: EvalAltResult) -> Map {
    while let EvalAltResult::ErrorInFunctionCall(_, _, inner, _)
    | EvalAltResult::ErrorInModule(_, inner, _) = err
    {
        err = *inner;
    }
    let mut map = Map::new();
    if let EvalAltResult::ErrorRuntime(value, _) = &err {
        if let Some(thrown) = value.read_lock::<Map>() {
            return thrown.clone();
        }
        map.insert("message".into(), value.to_string().into());
        return map;
    }
    let pos = err.take_position();
    map.insert("message".into(), err.to_string().into());
    if let Some(line) = pos.line() {
        map.insert("line".into(), (line as INT).into());
        map.insert(
            "position".into(),
            (pos.position().unwrap_or(0) as INT).into(),
        );
    }
    map
}

/// The unit of work of each item (see [`crate::callsite`]), which the journal keys the item's
/// mutations by: `p<call>/<hash>#<occurrence>`, under the caller's own unit when there is one.
///
/// - `<hash>` is a short SHA-256 of the item's JSON (maps have sorted keys, so the text is
///   canonical; a value JSON cannot hold is named by its `to_debug`).
/// - `<occurrence>` counts the items equal to this one before it, so identical items
///   (`create_tenant(#{licenseKey})` for five new tenants) still get distinct keys.
/// - `<call>` counts the `parallel` calls made so far in the caller's unit, so a second pass over
///   the same items (add a role, remove it, add it again) does not meet the first pass's records.
///
/// Why not the item's index: a rerun after a crash often runs over a list that changed (a line
/// added to the CSV, the finished customers filtered out); by index, every item after the change
/// would meet another item's records and replay the wrong tenant. By content, an item keeps its
/// key wherever it moves, and only equal items depend on their order among themselves.
fn item_units(ctx: &NativeCallContext, items: &[Dynamic]) -> Vec<String> {
    let caller = callsite::current();
    let prefix = match caller.unit() {
        unit if unit.is_empty() => String::new(),
        unit => format!("{unit}/"),
    };
    let call = caller.next_parallel();
    let mut seen: HashMap<String, u64> = HashMap::new();
    items
        .iter()
        .map(|item| {
            let hash = short_hash(&identity(ctx, item));
            let n = seen.entry(hash.clone()).or_insert(0);
            let unit = format!("{prefix}p{call}/{hash}#{n}");
            *n += 1;
            unit
        })
        .collect()
}

/// The text an item is known by: its JSON, or for handles and other native values their
/// `to_debug` (`tenant host (client id)`).
fn identity(ctx: &NativeCallContext, item: &Dynamic) -> String {
    if let Ok(json) = rhai::serde::from_dynamic::<serde_json::Value>(item) {
        return json.to_string();
    }
    ctx.call_native_fn::<String>("to_debug", (item.clone(),))
        .unwrap_or_else(|_| item.type_name().to_string())
}

fn short_hash(text: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, text.as_bytes());
    digest.as_ref()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Env;
    use crate::script::engine::{build, Limits};

    fn engine() -> Engine {
        let mut session = Session::new(Env::default());
        session.run.quiet = true;
        build(&Arc::new(session), &Limits::default())
    }

    /// The units the items of `script` ran in (each calls `unit()`), sorted.
    fn units_of(script: &str) -> Vec<String> {
        let mut e = engine();
        let units = Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = units.clone();
        e.register_fn("unit", move || {
            sink.lock().unwrap().push(callsite::current().unit());
        });
        e.run(script).unwrap();
        let mut units = units.lock().unwrap().clone();
        units.sort();
        units
    }

    #[test]
    fn equal_items_get_distinct_keys_and_keys_follow_content_not_position() {
        let a = units_of(r#"parallel([#{n: 1}, #{n: 2}, #{n: 1}], |x| unit());"#);
        assert_eq!(a.len(), 3);
        assert!(a.iter().all(|k| k.starts_with('p')), "{a:?}");
        assert_eq!(a.iter().collect::<std::collections::HashSet<_>>().len(), 3);
        // The same items in another order: the same keys (after the call's ordinal).
        let b = units_of(r#"parallel([#{n: 2}, #{n: 1}, #{n: 1}], |x| unit());"#);
        let item_part = |keys: &[String]| -> Vec<String> {
            keys.iter()
                .map(|k| k[k.find('/').unwrap()..].to_string())
                .collect()
        };
        assert_eq!(item_part(&a), item_part(&b));
        // A second call over the same items, and a nested call, get keys of their own.
        let c = units_of(
            r#"parallel([1], |x| unit()); parallel([1], |x| { unit(); parallel([2], |y| unit()) });"#,
        );
        assert_eq!(c.len(), 3);
        assert_eq!(c.iter().collect::<std::collections::HashSet<_>>().len(), 3);
        assert!(
            c.iter()
                .any(|k| k.matches("/p").count() == 1 && k.contains("#0/p0/")),
            "{c:?}"
        );
    }

    #[test]
    fn results_keep_order_and_failures_carry_the_item() {
        let engine = engine();
        let out: Array = engine
            .eval(
                r#"parallel([1, 2, 3, 4], |x| { if x == 3 { throw "three" } x * 10 }, #{concurrency: 2})"#,
            )
            .unwrap();
        assert_eq!(out[0].as_int().unwrap(), 10);
        assert_eq!(out[3].as_int().unwrap(), 40);
        let failed = out[2].read_lock::<Map>().unwrap().clone();
        assert_eq!(failed["item"].as_int().unwrap(), 3);
        let error = failed["error"].read_lock::<Map>().unwrap().clone();
        assert_eq!(error["message"].to_string(), "three");
        assert_eq!(error["item"].as_int().unwrap(), 3);
    }

    #[test]
    fn limits_stop_the_whole_call_and_bad_options_are_refused() {
        let mut session = Session::new(Env::default());
        session.run.quiet = true;
        let limits = Limits {
            max_operations: 20_000,
            ..Limits::default()
        };
        let limited = build(&Arc::new(session), &limits);
        // Each item alone stays under the limit; together they do not.
        let err = limited
            .run(
                "let xs = []; xs.pad(50, 0);
                 parallel(xs, |x| { let s = 0; for i in 0..500 { s += i; } }, #{concurrency: 4});",
            )
            .unwrap_err();
        assert!(
            matches!(*err, EvalAltResult::ErrorTooManyOperations(..)),
            "{err}"
        );
        let err = engine()
            .run("parallel([1], |x| x, #{concurrency: 0})")
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("concurrency must be from 1 to 256, got 0"),
            "{err}"
        );
        let err = engine()
            .run("parallel([1], |x| x, #{workers: 2})")
            .unwrap_err();
        assert!(err.to_string().contains("unknown option"), "{err}");
        let err = engine().run("parallel([1], |x, y| x)").unwrap_err();
        assert!(err.to_string().contains("one parameter"), "{err}");
    }
}
