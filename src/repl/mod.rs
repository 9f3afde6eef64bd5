//! `qops repl`: a line-editing prompt with history and a persistent scope. Variables and
//! functions defined at the prompt stay for the session.

use crate::config::vars;
use crate::failure::Failure;
use crate::script::{convert, report};
use crate::session::Session;
use rhai::{Dynamic, Engine, Scope, AST};
use rustyline::error::ReadlineError;
use std::path::PathBuf;
use std::sync::Arc;

const HELP: &str = "Type Rhai: `let t = tenant(env(\"QLIK_TENANT\"));` then `t.me()`.
:help   this text        :vars   variables in scope
:quit   leave (or Ctrl-D)";

pub fn run(session: &Arc<Session>, engine: Engine) -> Result<(), Failure> {
    let mut editor = rustyline::DefaultEditor::new()
        .map_err(|e| Failure::Runtime(format!("cannot open the terminal: {e}")))?;
    let history = history_path();
    if let Some(path) = &history {
        let _ = editor.load_history(path);
    }
    match session.sim_url() {
        Some(url) => println!(
            "qops {} — simulator at {url}. :help for help.",
            env!("CARGO_PKG_VERSION")
        ),
        None => println!("qops {} — :help for help.", env!("CARGO_PKG_VERSION")),
    }
    let secrets = known_secrets(session);
    let mut scope = Scope::new();
    let mut functions = AST::empty();
    loop {
        let line = match editor.readline("qops> ") {
            Ok(line) => line,
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break,
            Err(e) => return Err(Failure::Runtime(format!("terminal error: {e}"))),
        };
        let input = line.trim();
        if input.is_empty() {
            continue;
        }
        if !secrets.iter().any(|s| input.contains(s.as_str())) && !mentions_secret(input) {
            let _ = editor.add_history_entry(input);
        }
        match input {
            ":quit" | ":q" | ":exit" => break,
            ":help" => println!("{HELP}"),
            ":vars" => {
                for (name, constant, value) in scope.iter_raw() {
                    println!(
                        "{}{name}: {}",
                        if constant { "const " } else { "" },
                        engine.map_type_name(value.type_name())
                    );
                }
            }
            _ => evaluate(&engine, &mut scope, &mut functions, input),
        }
    }
    if let Some(path) = &history {
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let _ = editor.save_history(path);
    }
    Ok(())
}

fn evaluate(engine: &Engine, scope: &mut Scope, functions: &mut AST, input: &str) {
    let ast = match engine.compile_with_scope(scope, input) {
        Ok(ast) => ast,
        Err(e) => return eprintln!("error: {}", report::parse_error("<input>", input, &e)),
    };
    let merged = functions.merge(&ast);
    match engine.eval_ast_with_scope::<Dynamic>(scope, &merged) {
        Ok(value) => {
            if let Some(text) = convert::display(&value) {
                println!("{text}");
            }
        }
        Err(e) => eprintln!("error: {}", report::eval_error("<input>", input, &e)),
    }
    *functions = merged;
    functions.clear_statements();
}

/// Values that must never reach the history file.
fn known_secrets(session: &Session) -> Vec<String> {
    [vars::CLIENT_SECRET, vars::API_KEY]
        .iter()
        .filter_map(|v| session.env.get(v))
        .filter(|v| v.len() >= 4)
        .collect()
}

/// Lines that spell out credentials keep out of history even when we do not know the value.
fn mentions_secret(input: &str) -> bool {
    let lower = input.to_ascii_lowercase();
    [
        "client_secret",
        "api_key",
        "apikey",
        "password",
        "private_key",
    ]
    .iter()
    .any(|k| lower.contains(k))
}

fn history_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_DATA_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))?;
    Some(base.join("qops").join("history"))
}
