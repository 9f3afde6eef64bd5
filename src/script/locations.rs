//! `script_dir()`, `state_dir()`, `state_path(name)`, `secret_path(name)`: where a script finds
//! the files beside it and where it keeps its state and secret files (the decisions:
//! [`crate::state_dirs`]).

use super::native::{fail, native, Fallible};
use crate::session::Session;
use rhai::Engine;
use std::path::Path;
use std::sync::Arc;

fn shown(path: &Path) -> Fallible<String> {
    match path.to_str() {
        Some(text) => Ok(text.to_string()),
        None => fail(format!("{}: not a UTF-8 path", path.display())),
    }
}

pub fn register(engine: &mut Engine, session: &Arc<Session>) {
    let s = session.clone();
    native!(
        engine,
        "script_dir",
        ["String"],
        "The directory of the script being run (for `qops eval`, the REPL and `qops run -`: the
        working directory), e.g. `read_text(script_dir() + \"/keys/signer.pem\")`. Files there may
        be read; writes stay under the working directory unless --allow-path allows more. In an
        imported module, still the running script's directory.",
        move || -> Fallible<String> {
            match &s.script_dir {
                Some(dir) => shown(dir),
                None => shown(
                    &std::env::current_dir()
                        .or_else(|e| fail(format!("the working directory: {e}")))?,
                ),
            }
        }
    );
    let s = session.clone();
    native!(
        engine,
        "state_dir",
        ["String"],
        "Where this run keeps state files (inventories, journals): the working directory against
        Qlik Cloud; against a simulator (`--sim`, `--sim-url`, `qops test`) a private directory of
        that simulator's, so simulated runs never meet real runs' files.",
        move || -> Fallible<String> { shown(&s.state.state_dir().or_else(fail)?) }
    );
    let s = session.clone();
    native!(
        engine,
        "state_path",
        ["name: &str", "String"],
        "The path of the state file `name` in `state_dir()`, e.g.
        `read_json(state_path(\"qops-inventory.json\"), #{})`.",
        move |name: &str| -> Fallible<String> { shown(&s.state.state_path(name).or_else(fail)?) }
    );
    let s = session.clone();
    native!(
        engine,
        "secret_path",
        ["name: &str", "String"],
        "The path of the secret file `name` in the owner-only (0700) secrets directory:
        `$XDG_DATA_HOME/qops/secrets/` (else `~/.local/share/qops/secrets/`) against Qlik Cloud,
        the simulator's own directory against a simulator. Made on first use.",
        move |name: &str| -> Fallible<String> { shown(&s.state.secret_path(name).or_else(fail)?) }
    );
}
