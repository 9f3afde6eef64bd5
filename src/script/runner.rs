//! Running, evaluating and checking scripts with reports that point into the source.

use super::modules::Resolver;
use super::{check, report};
use crate::failure::Failure;
use rhai::{ASTNode, Dynamic, Engine, Expr, Map, Position, Scope, Stmt, AST};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// A script's text and the name its errors carry.
pub struct Source {
    pub name: String,
    pub text: String,
}

impl Source {
    /// A script file, read like every file (regular files only, size-capped).
    /// The script at `path`, or on standard input for `-`.
    pub fn read(path: &Path) -> Result<Source, Failure> {
        if path == Path::new("-") {
            return Source::stdin();
        }
        let text = crate::files::read_text_file(path).map_err(Failure::Usage)?;
        Ok(Source {
            name: path.display().to_string(),
            text,
        })
    }

    /// The script piped in (`qops run -`), capped like a script file.
    fn stdin() -> Result<Source, Failure> {
        use std::io::Read;
        let cap = crate::files::MAX_FILE_BYTES;
        let mut bytes = Vec::new();
        std::io::stdin()
            .lock()
            .take(cap + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| Failure::Usage(format!("<stdin>: {e}")))?;
        if bytes.len() as u64 > cap {
            return Err(Failure::Usage(format!(
                "<stdin>: the script is over {} MiB, the limit for scripts",
                cap >> 20
            )));
        }
        let text = String::from_utf8(bytes)
            .map_err(|_| Failure::Usage("<stdin>: the script is not UTF-8 text".into()))?;
        Ok(Source::inline("<stdin>", &text))
    }

    pub fn inline(name: &str, text: &str) -> Source {
        Source {
            name: name.to_string(),
            text: text.to_string(),
        }
    }

    /// Compiles with the source name set, so nested errors and `debug` can name the file.
    pub fn compile(&self, engine: &Engine) -> Result<AST, Failure> {
        let mut ast = engine
            .compile(&self.text)
            .map_err(|e| Failure::Usage(report::parse_error(&self.name, &self.text, &e)))?;
        ast.set_source(self.name.as_str());
        Ok(ast)
    }
}

/// How `run` and `eval` treat a script before running it.
pub struct Checks<'a> {
    /// Finds imports for the checks and for "module not found" reports.
    pub resolver: &'a Resolver,
    /// Run the static checks first (`--no-check` turns them off).
    pub enabled: bool,
}

/// `qops run FILE --arg k=v`: the script sees `args` as a map of strings. The static checks
/// ([`check`]) run first, so that a misspelt name stops the script before any request. The
/// value of its last statement (`()` for most scripts) comes back, for `--output` to print.
pub fn run(
    engine: &Engine,
    source: &Source,
    args: Map,
    checks: &Checks,
) -> Result<Dynamic, Failure> {
    let ast = source.compile(engine)?;
    if checks.enabled {
        checked(engine, checks.resolver, source, &ast)
            .map_err(|f| Failure::Usage(format!("{f} (--no-check runs the script anyway)")))?;
    }
    let mut scope = Scope::new();
    scope.push_constant("args", args);
    evaluate(engine, &mut scope, &ast, source, checks)
}

/// `qops eval EXPR`: the result as `eval` shows it (JSON for maps and arrays).
pub fn eval(engine: &Engine, source: &Source, checks: &Checks) -> Result<Option<String>, Failure> {
    let value = eval_value(engine, source, checks)?;
    super::results::shown(engine, &value)
        .map_err(|e| Failure::Runtime(format!("{}: the result: {e}", source.name)))
}

/// `qops eval EXPR`'s value, for `--output`.
pub fn eval_value(engine: &Engine, source: &Source, checks: &Checks) -> Result<Dynamic, Failure> {
    let ast = source.compile(engine)?;
    if checks.enabled {
        checked(engine, checks.resolver, source, &ast)?;
    }
    evaluate(engine, &mut Scope::new(), &ast, source, checks)
}

/// Runs a compiled script; a failure explained in operator words (the item a `for` loop was
/// on, the nearest names, the call that returned nothing).
fn evaluate(
    engine: &Engine,
    scope: &mut Scope,
    ast: &AST,
    source: &Source,
    checks: &Checks,
) -> Result<Dynamic, Failure> {
    let watch = super::explain::watch_loops(ast);
    let result = engine
        .eval_ast_with_scope::<Dynamic>(scope, ast)
        .map_err(|e| {
            Failure::Runtime(super::explain::eval_error(
                engine,
                ast,
                checks.resolver,
                source,
                &e,
            ))
        });
    drop(watch);
    result
}

/// The static checks of a compiled script and of the modules it imports: a usage failure
/// (exit 2) naming every finding, before anything ran.
pub fn checked(
    engine: &Engine,
    resolver: &Resolver,
    source: &Source,
    ast: &AST,
) -> Result<(), Failure> {
    let known = check::Known::new(engine, resolver);
    let mut errors = Vec::new();
    let mut seen = HashSet::from([canonical(&source.name)]);
    check_compiled(&known, source, ast, &mut seen, &mut errors);
    if errors.is_empty() {
        return Ok(());
    }
    Err(Failure::Usage(format!(
        "{}\nnothing was run: {} problem(s) found before running",
        errors.join("\n"),
        errors.len()
    )))
}

/// The `.rhai` files among `paths`, directories searched recursively (not into hidden ones or
/// `qops_modules`), in a stable order.
pub fn script_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Failure> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), Failure> {
        let entries = std::fs::read_dir(dir)
            .map_err(|e| Failure::Usage(format!("{}: {e}", dir.display())))?;
        let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        entries.sort();
        for path in entries {
            let hidden = path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'));
            if hidden {
                continue;
            }
            // Installed libraries are checked where they are imported and tested in their
            // own repository, not again by every project that uses them.
            if path.is_dir() && path.file_name() == Some(crate::project::MODULES.as_ref()) {
                continue;
            }
            if path.is_dir() {
                walk(&path, out)?;
            } else if path.extension().is_some_and(|e| e == "rhai") {
                out.push(path);
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    for path in paths {
        if path.is_dir() {
            walk(path, &mut out)?;
        } else if path.exists() {
            out.push(path.clone());
        } else {
            return Err(Failure::Usage(format!(
                "{}: no such file or directory",
                path.display()
            )));
        }
    }
    Ok(out)
}

/// An `import "path" as alias;` statement with a literal path.
pub struct Import {
    pub path: String,
    /// Empty without `as`.
    pub alias: String,
    pub pos: Position,
}

/// The `import` statements of `ast` whose path is a literal.
pub fn imports(ast: &AST) -> Vec<Import> {
    let mut found = Vec::new();
    ast.walk(&mut |nodes: &[ASTNode]| {
        if let Some(ASTNode::Stmt(Stmt::Import(x, pos))) = nodes.last() {
            if let Expr::StringConstant(path, _) = &x.0 {
                found.push(Import {
                    path: path.to_string(),
                    alias: x.1.name.to_string(),
                    pos: *pos,
                });
            }
        }
        true
    });
    found
}

/// `qops check PATH...`: compiles every script under the paths and every module they import
/// (each once), runs the static checks ([`check`]) on each, and reports every error as
/// file:line:col; fails if any.
pub fn check(
    engine: &Engine,
    paths: &[PathBuf],
    qops_path: Option<&str>,
) -> Result<usize, Failure> {
    let resolver = Resolver::new(qops_path);
    let known = check::Known::new(engine, &resolver);
    let files = script_files(paths)?;
    let mut errors = Vec::new();
    let mut seen = HashSet::new();
    // Files with an error of their own or in a module they import.
    let mut failed = 0;
    for path in &files {
        let before = errors.len();
        match Source::read(path) {
            Ok(source) => {
                seen.insert(canonical(&source.name));
                check_source(&known, &source, &mut seen, &mut errors);
            }
            Err(f) => errors.push(f.to_string()),
        }
        if errors.len() > before {
            failed += 1;
        }
    }
    if errors.is_empty() {
        Ok(files.len())
    } else {
        Err(Failure::Usage(format!(
            "{}\n{failed} of {} files failed the checks",
            errors.join("\n"),
            files.len()
        )))
    }
}

fn canonical(name: &str) -> String {
    Path::new(name)
        .canonicalize()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| name.to_string())
}

/// Compiles and checks `source`, then the modules it imports that were not checked yet.
fn check_source(
    known: &check::Known,
    source: &Source,
    seen: &mut HashSet<String>,
    errors: &mut Vec<String>,
) {
    match source.compile(known.engine) {
        Ok(ast) => check_compiled(known, source, &ast, seen, errors),
        Err(f) => errors.push(f.to_string()),
    }
}

fn check_compiled(
    known: &check::Known,
    source: &Source,
    ast: &AST,
    seen: &mut HashSet<String>,
    errors: &mut Vec<String>,
) {
    let findings = check::check_ast(known, &source.name, ast);
    errors.extend(check::render(&source.name, &source.text, &findings));
    for Import { path, pos, .. } in imports(ast) {
        let found = match known.resolver.locate(Some(&source.name), &path) {
            Ok(Some(found)) => found,
            Ok(None) => {
                let (message, notes) = known.resolver.not_found(Some(&source.name), &path);
                errors.push(report::located(
                    &source.name,
                    &source.text,
                    pos,
                    &message,
                    &notes,
                ));
                continue;
            }
            Err(message) => {
                errors.push(report::located(
                    &source.name,
                    &source.text,
                    pos,
                    &message,
                    &[],
                ));
                continue;
            }
        };
        let (name, text) = found;
        if seen.insert(canonical(&name)) {
            check_source(known, &Source { name, text }, seen, errors);
        }
    }
}
