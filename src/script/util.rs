//! Small global functions: the environment, sleeping, JSON.

use super::convert::to_dynamic;
use super::native::{fail, native, Fallible};
use crate::session::Session;
use rhai::{Dynamic, Engine, FLOAT, INT};
use std::sync::Arc;
use std::time::Duration;

/// Waits on the session's runtime, so Ctrl-C in the REPL interrupts the wait.
fn sleep(session: &Session, secs: FLOAT) -> Fallible<()> {
    if !(0.0..=86_400.0).contains(&secs) {
        return fail(format!("sleep takes 0 to 86400 seconds, got {secs}"));
    }
    let wait = async {
        tokio::time::sleep(Duration::from_secs_f64(secs)).await;
        Ok::<(), crate::cloud::Error>(())
    };
    super::convert::lift(session.block_on(wait))
}

pub fn register(engine: &mut Engine, session: &Arc<Session>) {
    let s = session.clone();
    native!(
        engine,
        "journal",
        ["path: &str", "bool"],
        "Keeps the rest of this run's changes in the journal at `path` (owner-only JSON lines), so
        a rerun makes each change exactly once; `--journal FILE` wins when given. True when this
        journal is used. One journal per job: a new job takes a new file.",
        move |path: &str| -> Fallible<bool> {
            let client = super::convert::lift(s.client())?;
            // A dry run changes nothing: not even a journal's records.
            if client.journal().is_some() || s.client_options.dry_run {
                return Ok(false);
            }
            let real = s.file_roots.entry_path(path).or_else(fail)?;
            let journal = crate::journal::Journal::open(&real).or_else(|e| fail(e.to_string()))?;
            Ok(client.use_journal(Arc::new(journal)))
        }
    );
    native!(engine, "journal_key", ["key: &str", "()"],
        "Names the current unit of work (the script's top level, or the current `parallel` item) for
        the journal: the mutations that follow are keyed under `key` and counted from zero, so a
        rerun finds them even when the order of items changed (e.g. `journal_key(customer.name)`).",
        |key: &str| -> Fallible<()> {
            if key.is_empty() {
                return fail("journal_key needs a non-empty key");
            }
            crate::callsite::current().rename(key);
            Ok(())
        });
    let s = session.clone();
    native!(engine, "env", ["name: &str", "String"],
        "An environment variable (also from `.env`, and the simulator's under `--sim`); an error if unset.",
        move |name: &str| -> Fallible<String> { s.env.require(name).or_else(fail) });
    let s = session.clone();
    native!(
        engine,
        "env",
        ["name: &str", "default: &str", "String"],
        "An environment variable, or `default` when it is unset or empty.",
        move |name: &str, default: &str| -> String {
            s.env
                .get(name)
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| default.to_string())
        }
    );
    let s = session.clone();
    native!(
        engine,
        "sleep",
        ["seconds: FLOAT", "()"],
        "Waits this many seconds.",
        move |secs: FLOAT| sleep(&s, secs)
    );
    let s = session.clone();
    native!(
        engine,
        "sleep",
        ["seconds: INT", "()"],
        "Waits this many seconds.",
        move |secs: INT| sleep(&s, secs as FLOAT)
    );
    native!(
        engine,
        "to_json",
        ["value: Dynamic", "String"],
        "The value as one line of JSON (`[1, 2].to_json()`, `#{a: 1}.to_json()`), for pipes and APIs.",
        |value: Dynamic| -> Fallible<String> {
            Ok(super::convert::to_json(&value)?.to_string())
        }
    );
    native!(
        engine,
        "to_json",
        ["value: Dynamic", "pretty: bool", "String"],
        "The value as JSON, indented when `pretty` is true.",
        |value: Dynamic, pretty: bool| -> Fallible<String> {
            let json = super::convert::to_json(&value)?;
            Ok(if pretty {
                serde_json::to_string_pretty(&json).unwrap_or_default()
            } else {
                json.to_string()
            })
        }
    );
    native!(
        engine,
        "parse_json",
        ["text: &str", "Dynamic"],
        "Parses JSON text into maps, arrays and values.",
        |text: &str| -> Fallible<Dynamic> {
            match serde_json::from_str(text) {
                Ok(v) => Ok(to_dynamic(v)),
                Err(e) => fail(format!("invalid JSON: {e}")),
            }
        }
    );
}
