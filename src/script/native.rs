//! Registering native functions with parameter names and doc comments, so that metadata
//! (`qops docs`, REPL help, editor definitions) can show them.

/// Turns plain text into Rhai doc-comment lines (`/// ...`).
pub fn doc(text: &str) -> String {
    text.lines()
        .map(|l| format!("/// {}", l.trim()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `native!(engine, "name", ["param: Type", ..., "ReturnType"], "doc text", closure)`
macro_rules! native {
    ($engine:expr, $name:expr, [$($param:expr),* $(,)?], $doc:expr, $f:expr) => {
        rhai::FuncRegistration::new($name)
            .with_params_info([$($param),*])
            .with_comments([$crate::script::native::doc($doc)])
            .register_into_engine($engine, $f)
    };
}
pub(crate) use native;

/// What a native function returns when it can fail.
pub type Fallible<T> = Result<T, Box<rhai::EvalAltResult>>;

/// A runtime error carrying a message (catchable by scripts).
pub fn fail<T>(msg: impl Into<String>) -> Fallible<T> {
    Err(Box::new(rhai::EvalAltResult::ErrorRuntime(
        msg.into().into(),
        rhai::Position::NONE,
    )))
}
