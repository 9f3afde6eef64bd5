//! Running, evaluating and checking scripts with reports that point into the source.

use super::{convert, report};
use crate::failure::Failure;
use rhai::{Dynamic, Engine, Map, Scope, AST};
use std::path::Path;

/// A script's text and the name its errors carry.
pub struct Source {
    pub name: String,
    pub text: String,
}

impl Source {
    pub fn read(path: &Path) -> Result<Source, Failure> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Failure::Usage(format!("{}: {e}", path.display())))?;
        Ok(Source {
            name: path.display().to_string(),
            text,
        })
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

/// `qops run FILE --arg k=v`: the script sees `args` as a map of strings.
pub fn run(engine: &Engine, source: &Source, args: Map) -> Result<(), Failure> {
    let ast = source.compile(engine)?;
    let mut scope = Scope::new();
    scope.push_constant("args", args);
    engine
        .run_ast_with_scope(&mut scope, &ast)
        .map_err(|e| Failure::Runtime(report::eval_error(&source.name, &source.text, &e)))
}

/// `qops eval EXPR`: the result as `eval` shows it (JSON for maps and arrays).
pub fn eval(engine: &Engine, source: &Source) -> Result<Option<String>, Failure> {
    let ast = source.compile(engine)?;
    let value: Dynamic = engine
        .eval_ast(&ast)
        .map_err(|e| Failure::Runtime(report::eval_error(&source.name, &source.text, &e)))?;
    Ok(convert::display(&value))
}

/// `qops check FILE...`: compiles every file and reports every error; fails if any.
pub fn check(engine: &Engine, paths: &[std::path::PathBuf]) -> Result<usize, Failure> {
    let mut errors = Vec::new();
    for path in paths {
        match Source::read(path).and_then(|s| s.compile(engine)) {
            Ok(_) => {}
            Err(f) => errors.push(f.to_string()),
        }
    }
    if errors.is_empty() {
        Ok(paths.len())
    } else {
        Err(Failure::Usage(format!(
            "{}\n{} of {} files failed to compile",
            errors.join("\n"),
            errors.len(),
            paths.len()
        )))
    }
}
