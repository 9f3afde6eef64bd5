//! `qops repl`: a line-editing prompt over the one engine. Variables, functions and imported
//! modules persist across inputs; Tab completes functions, methods, namespaces, variables and
//! map keys; unfinished input (an open block, bracket or string) continues on the next line;
//! Ctrl-C stops the running evaluation (a network wait included) and keeps the session.

mod catalog;
mod helper;
mod history;
pub(crate) mod show;

use crate::failure::Failure;
use crate::script::{explain, report, runner};
use crate::session::Session;
use catalog::Catalog;
use helper::ReplHelper;
use rhai::{Dynamic, Engine, EvalAltResult, Position, Scope, AST};
use rustyline::error::ReadlineError;
use rustyline::history::{FileHistory, History};
use rustyline::{CompletionType, Config, Editor};
use show::Mode;
use std::sync::Arc;
use std::time::Instant;

/// The meta-commands, for `:help` and completion.
pub const COMMANDS: &[&str] = &[
    ":help", ":vars", ":load", ":reset", ":time", ":json", ":table", ":history", ":quit",
];

const HELP: &str = "\
Type Rhai; the scope, functions and imports persist. Tab completes, an open block continues.
  :help [NAME]   this text, or the signature and doc of a function (`:help users`)
  :vars          variables in scope          :load FILE   run a file into this session
  :reset         a fresh scope and engine    :time        toggle timing of each input
  :json / :table how lists of maps print     :history     the inputs kept in history
  :quit          leave (or Ctrl-D); Ctrl-C stops a running input";

/// The state of one prompt session.
struct Repl<'a> {
    session: &'a Arc<Session>,
    engine: Engine,
    make_engine: &'a dyn Fn() -> Engine,
    scope: Scope<'static>,
    /// Functions defined so far (statements cleared after each input).
    functions: AST,
    /// `(alias, path)` of the modules imported so far, registered as static modules.
    modules: Vec<(String, String)>,
    mode: Mode,
    timing: bool,
    /// Terminal columns, for tables.
    width: usize,
    /// Native functions change only with imports; kept between inputs.
    natives: Vec<crate::script::docs::FnDoc>,
}

enum Flow {
    Continue,
    Quit,
}

pub fn run(
    session: &Arc<Session>,
    engine: Engine,
    make_engine: impl Fn() -> Engine,
) -> Result<(), Failure> {
    let config = Config::builder()
        .completion_type(CompletionType::List)
        .auto_add_history(false)
        .max_history_size(5000)
        .map_err(|e| Failure::Runtime(format!("history: {e}")))?
        .build();
    let mut editor: Editor<ReplHelper, FileHistory> = Editor::with_config(config)
        .map_err(|e| Failure::Runtime(format!("cannot open the terminal: {e}")))?;
    editor.set_helper(Some(ReplHelper::new()));
    // Alt-Enter starts a new line even when the input is already complete.
    editor.bind_sequence(
        rustyline::KeyEvent(rustyline::KeyCode::Enter, rustyline::Modifiers::ALT),
        rustyline::Cmd::Newline,
    );
    let history = history::path();
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
    // While an input runs the terminal is in cooked mode, so Ctrl-C is a SIGINT: it stops the
    // evaluation (a `parallel` call drains first). While reading a line, rustyline gets Ctrl-C as
    // a key and clears the line.
    session.interrupt_on_ctrl_c(false);
    let mut repl = Repl {
        session,
        engine,
        make_engine: &make_engine,
        scope: Scope::new(),
        functions: AST::empty(),
        modules: Vec::new(),
        mode: Mode::Table,
        timing: false,
        width: 100,
        natives: Vec::new(),
    };
    repl.refresh_natives();
    repl.refresh(&mut editor);
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
        if history::may_keep(input, &history::known_secrets(session, &repl.scope)) {
            let _ = editor.add_history_entry(input);
            if let Some(path) = &history {
                save_history(&mut editor, path);
            }
        }
        if let Some((cols, _)) = editor.dimensions() {
            repl.width = usize::from(cols).clamp(40, 400);
        }
        let flow = if input.starts_with(':') {
            repl.command(input, &editor)
        } else {
            repl.eval("<input>", input);
            Flow::Continue
        };
        if let Flow::Quit = flow {
            break;
        }
        repl.refresh(&mut editor);
    }
    Ok(())
}

fn save_history(editor: &mut Editor<ReplHelper, FileHistory>, path: &std::path::Path) {
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let _ = editor.save_history(path);
}

impl Repl<'_> {
    fn refresh_natives(&mut self) {
        self.natives = Catalog::functions(&self.engine, &AST::empty());
    }

    /// Tells completion and hints about the current functions and variables.
    fn refresh(&self, editor: &mut Editor<ReplHelper, FileHistory>) {
        if let Some(helper) = editor.helper_mut() {
            helper.catalog = self.catalog();
            helper.catalog.set_variables(&self.engine, &self.scope);
        }
    }

    fn catalog(&self) -> Catalog {
        let mut functions = self.natives.clone();
        functions.extend(crate::script::docs::script_functions(&self.functions, None));
        Catalog {
            functions,
            variables: Default::default(),
        }
    }

    fn command(&mut self, input: &str, editor: &Editor<ReplHelper, FileHistory>) -> Flow {
        let (cmd, arg) = match input.split_once(char::is_whitespace) {
            Some((c, a)) => (c, a.trim()),
            None => (input, ""),
        };
        match cmd {
            ":quit" | ":q" | ":exit" => return Flow::Quit,
            ":help" | ":h" if arg.is_empty() => self.help_all(),
            ":help" | ":h" => self.help(arg),
            ":vars" => self.vars(),
            ":load" if arg.is_empty() => eprintln!(":load needs a file"),
            ":load" => match crate::files::read_text_file(std::path::Path::new(arg)) {
                Ok(text) => self.eval(arg, &text),
                Err(e) => eprintln!("error: {e}"),
            },
            ":reset" => {
                self.engine = (self.make_engine)();
                self.scope = Scope::new();
                self.functions = AST::empty();
                self.modules.clear();
                self.refresh_natives();
                println!("a fresh scope: variables, functions and imports are gone");
            }
            ":time" => {
                self.timing = !self.timing;
                println!("timing {}", if self.timing { "on" } else { "off" });
            }
            ":json" => {
                self.mode = Mode::Json;
                println!("lists of maps print as JSON");
            }
            ":table" => {
                self.mode = Mode::Table;
                println!("lists of maps print as tables");
            }
            ":history" => {
                let h = editor.history();
                let skip = h.len().saturating_sub(50);
                for (i, line) in h.iter().enumerate().skip(skip) {
                    println!("{:>5}  {}", i + 1, line.replace('\n', "\n       "));
                }
            }
            _ => eprintln!("unknown command {cmd}; :help lists them"),
        }
        Flow::Continue
    }

    /// Every namespace: meta-commands, global functions, methods by type, static modules and
    /// imported modules, functions defined here.
    fn help_all(&self) {
        println!("{HELP}\n");
        let mut groups: std::collections::BTreeMap<String, Vec<String>> = Default::default();
        let natives = crate::script::docs::native_functions(&self.engine, false);
        for f in &natives {
            if matches!(f.name.as_str(), "to_string" | "to_debug") {
                continue;
            }
            let (group, item) = match (&f.namespace, f.handle_receiver(), f.property()) {
                (Some(ns), _, _) => (format!("{ns}::"), format!("{}()", f.name)),
                (None, Some(r), Some(p)) => (format!("{r} methods:"), p.to_string()),
                (None, Some(r), None) => (format!("{r} methods:"), format!("{}()", f.name)),
                (None, None, Some(_)) => continue,
                (None, None, None) => ("global functions:".to_string(), format!("{}()", f.name)),
            };
            groups.entry(group).or_default().push(item);
        }
        for f in crate::script::docs::script_functions(&self.functions, None) {
            groups
                .entry("defined here:".to_string())
                .or_default()
                .push(format!("{}()", f.name));
        }
        let width = 100;
        for (group, mut items) in groups {
            items.sort();
            items.dedup();
            println!("{group}");
            let mut line = String::from(" ");
            for item in items {
                if line.len() + item.len() + 1 > width {
                    println!("{line}");
                    line = String::from(" ");
                }
                line.push(' ');
                line.push_str(&item);
            }
            println!("{line}");
        }
        println!("\n:help NAME for one function, e.g. :help users");
    }

    fn help(&self, name: &str) {
        let name = name.trim_end_matches("()");
        let catalog = self.catalog();
        let found = catalog.lookup(name);
        if found.is_empty() {
            // A library function not imported yet: where it is, and how to import it.
            let qops_path = self.session.env.get(crate::config::vars::PATH);
            let resolver = crate::script::modules::Resolver::new(qops_path.as_deref());
            let in_libraries =
                crate::script::docs::library_functions_named(&self.engine, &resolver, name);
            if in_libraries.is_empty() {
                return eprintln!("no function named {name}; :help lists them");
            }
            return print!(
                "{}",
                crate::script::docs::library_functions_text(&in_libraries)
            );
        }
        // Rhai's built-ins: the signatures, then their one line (Rhai's own docs run to pages).
        if let Some(line) = crate::script::builtins::description(name) {
            for f in found {
                println!("{}", f.signature());
            }
            return println!("    {line}");
        }
        for f in found {
            println!("{}", f.signature());
            for line in f.doc.lines() {
                println!("    {line}");
            }
        }
    }

    fn vars(&self) {
        if self.scope.is_empty() {
            return println!("no variables yet");
        }
        for (name, constant, value) in self.scope.iter_raw() {
            let ty = catalog::value_type(&self.engine, value);
            let preview = preview(value);
            println!(
                "{}{name}: {ty}{preview}",
                if constant { "const " } else { "" }
            );
        }
        for (alias, path) in &self.modules {
            println!("{alias}:: module \"{path}\"");
        }
    }

    /// Compiles and runs one input (or a `:load`ed file) in the persistent scope.
    fn eval(&mut self, name: &str, text: &str) {
        let mut ast = match self.engine.compile_with_scope(&self.scope, text) {
            Ok(ast) => ast,
            Err(e) => return eprintln!("error: {}", report::parse_error(name, text, &e)),
        };
        ast.set_source(name);
        let mut merged = self.functions.merge(&ast);
        merged.set_source(name);
        self.session.reset_cancel();
        let started = Instant::now();
        let result = self
            .engine
            .eval_ast_with_scope::<Dynamic>(&mut self.scope, &merged);
        let elapsed = started.elapsed();
        let interrupted = self.session.was_interrupted();
        self.session.reset_cancel();
        self.functions = merged;
        self.functions.clear_statements();
        match result {
            Ok(value) => {
                if let Some(text) = show::render(&self.engine, &value, self.mode, self.width) {
                    println!("{text}");
                }
            }
            Err(e) if interrupted || matches!(*e, EvalAltResult::ErrorTerminated(..)) => {
                eprintln!("interrupted");
            }
            Err(e) => {
                let path = self.session.env.get(crate::config::vars::PATH);
                let resolver = crate::script::modules::Resolver::new(path.as_deref());
                let source = runner::Source::inline(name, text);
                let report = explain::eval_error(&self.engine, &ast, &resolver, &source, &e);
                eprintln!("error: {report}");
            }
        }
        if self.timing {
            println!("({:.1} ms)", elapsed.as_secs_f64() * 1000.0);
        }
        self.keep_imports(&ast);
    }

    /// `import "x" as m;` lasts for the session: the module is registered under its alias.
    fn keep_imports(&mut self, ast: &AST) {
        let mut changed = false;
        for import in runner::imports(ast) {
            if import.alias.is_empty() {
                continue;
            }
            let resolved = self.engine.module_resolver().resolve(
                &self.engine,
                ast.source(),
                &import.path,
                Position::NONE,
            );
            if let Ok(module) = resolved {
                self.engine.register_static_module(&import.alias, module);
                self.modules.retain(|(a, _)| a != &import.alias);
                self.modules.push((import.alias, import.path));
                changed = true;
            }
        }
        if changed {
            self.refresh_natives();
        }
    }
}

/// A short look at a value for `:vars`.
fn preview(value: &Dynamic) -> String {
    if let Some(map) = value.read_lock::<rhai::Map>() {
        let keys: Vec<&str> = map.keys().take(6).map(|k| k.as_str()).collect();
        let more = if map.len() > 6 { ", …" } else { "" };
        return format!(" #{{{}{more}}}", keys.join(", "));
    }
    if let Some(items) = value.read_lock::<rhai::Array>() {
        return format!(" [{} items]", items.len());
    }
    if value.is_string() || value.is_int() || value.is_float() || value.is_bool() {
        let text = value.to_string();
        let short: String = text.chars().take(60).collect();
        let cut = if text.chars().count() > 60 { "…" } else { "" };
        return format!(" = {short}{cut}");
    }
    String::new()
}
