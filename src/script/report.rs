//! Error reports that point into the source: `file:line:col: message`, the line, and a caret.

use super::convert::thrown_message;
use super::redact;
use crate::secret::mask_credentials;
use rhai::{EvalAltResult, ParseError, Position};

/// A compile error of `file` whose text is `source`.
pub fn parse_error(file: &str, source: &str, err: &ParseError) -> String {
    located(
        file,
        source,
        err.position(),
        &err.err_type().to_string(),
        &[],
    )
}

/// What a run-time error means in operator words: a message (`None` keeps the usual one) and
/// notes, for the innermost error (see [`super::explain`]).
pub type Explainer<'a> = dyn Fn(&Innermost) -> (Option<String>, Vec<String>) + 'a;

/// The innermost error of a chain, where in this file it happened, and the module it happened
/// in (the importing file for a module that was not found).
pub struct Innermost<'a> {
    pub err: &'a EvalAltResult,
    pub pos: Position,
    pub module: Option<&'a str>,
    /// Where in this file the calls that led to the error were made, innermost first.
    pub calls: &'a [Position],
}

/// A run-time error: the innermost error that happened in this file gets the caret, with its
/// message (and notes) from `explain` when it has one; the calls that led there are listed
/// below it.
pub fn eval_error(file: &str, source: &str, err: &EvalAltResult, explain: &Explainer) -> String {
    let mut module = None;
    // Positions in this file of the calls that led to the error, and the file the next call
    // in the chain was made from.
    let mut calls = Vec::new();
    let mut caller = file;
    let mut pos = err.position();
    let mut chain = Vec::new();
    let mut current = err;
    loop {
        match current {
            EvalAltResult::ErrorInFunctionCall(name, src, inner, call_pos) => {
                chain.push(format!(
                    "in call to function '{name}' at {}",
                    at(file, *call_pos)
                ));
                if caller == file {
                    calls.push(*call_pos);
                }
                if !src.is_empty() {
                    caller = src.as_str();
                }
                if src.is_empty() || src == file {
                    pos = inner.position().or_else(*call_pos);
                }
                current = inner;
            }
            EvalAltResult::ErrorInModule(path, inner, _) => {
                chain.push(format!("in module '{path}' at {}", inner.position()));
                module = Some(path.as_str());
                current = inner;
            }
            _ => break,
        }
    }
    calls.reverse();
    let (explained, notes) = explain(&Innermost {
        err: current,
        pos,
        module,
        calls: &calls,
    });
    let message = explained.unwrap_or_else(|| match current {
        EvalAltResult::ErrorRuntime(value, _) => thrown_message(value),
        // Stopped by Ctrl-C or a `parallel` call: the reason, not Rhai's "Script terminated".
        EvalAltResult::ErrorTerminated(reason, _) if reason.is_string() => reason.to_string(),
        other => strip_position(&other.to_string()),
    });
    let message = if is_api_error(current) {
        format!("uncaught API error: {message}")
    } else {
        message
    };
    chain.reverse();
    let notes: Vec<String> = notes.into_iter().chain(chain).collect();
    located(file, source, pos, &message, &notes)
}

fn is_api_error(err: &EvalAltResult) -> bool {
    match err {
        EvalAltResult::ErrorRuntime(value, _) => value
            .read_lock::<rhai::Map>()
            .is_some_and(|m| m.get("kind").is_some_and(|k| k.to_string() == "api")),
        _ => false,
    }
}

fn at(file: &str, pos: Position) -> String {
    match (pos.line(), pos.position()) {
        (Some(l), Some(c)) => format!("{file}:{l}:{c}"),
        (Some(l), None) => format!("{file}:{l}"),
        _ => file.to_string(),
    }
}

/// `file:line:col: message`, the source line with a caret, and notes below. Secret-looking
/// literals in the line and credentials anywhere are masked (see [`redact`]).
pub fn located(file: &str, source: &str, pos: Position, message: &str, notes: &[String]) -> String {
    let mut out = format!("{}: {}", at(file, pos), mask_credentials(message));
    if let Some(line_no) = pos.line() {
        if let Some(line) = source.lines().nth(line_no - 1) {
            let col = pos.position().unwrap_or(1).max(1);
            let gutter = line_no.to_string().len();
            out.push_str(&format!(
                "\n {line_no} | {}\n {} | {}^",
                redact::mask(line),
                " ".repeat(gutter),
                caret_pad(line, col)
            ));
        }
    }
    for note in notes {
        out.push_str(&format!("\n  {note}"));
    }
    out
}

/// Spaces up to column `col` (1-based), keeping tabs so the caret lines up.
fn caret_pad(line: &str, col: usize) -> String {
    line.chars()
        .take(col - 1)
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect()
}

/// Rhai's messages end in " (line N, position M)"; we print the location ourselves.
fn strip_position(text: &str) -> String {
    match text.rfind(" (line ") {
        Some(i) if text.ends_with(')') => text[..i].to_string(),
        _ => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compile_errors_point_at_the_column() {
        let engine = rhai::Engine::new();
        let src = "let a = 1;\nlet b = (2 + ;\n";
        let err = engine.compile(src).unwrap_err();
        let text = parse_error("x.rhai", src, &err);
        assert!(text.starts_with("x.rhai:2:"), "{text}");
        assert!(text.contains("\n 2 | let b = (2 + ;\n   |"), "{text}");
    }

    #[test]
    fn runtime_errors_in_functions_point_inside_them() {
        let engine = rhai::Engine::new();
        let src = "fn f(x) {\n  x.nope()\n}\nf(1);";
        let err = engine.run(src).unwrap_err();
        let text = eval_error("y.rhai", src, &err, &|_| (None, Vec::new()));
        assert!(
            text.starts_with("y.rhai:2:5: Function not found: nope"),
            "{text}"
        );
        assert!(
            text.contains("in call to function 'f' at y.rhai:4:1"),
            "{text}"
        );
    }

    #[test]
    fn quoted_lines_hide_secret_literals() {
        let engine = rhai::Engine::new();
        let src = "let c = #{clientSecret: \"s3cr3t-value\"}; throw \"x\";";
        let err = engine.run(src).unwrap_err();
        let text = eval_error("z.rhai", src, &err, &|_| (None, Vec::new()));
        assert!(!text.contains("s3cr3t-value"), "{text}");
        assert!(
            text.contains("clientSecret: \"************\"}; throw"),
            "{text}"
        );
        assert!(
            text.ends_with(&format!("| {}^", " ".repeat(src.find("throw").unwrap()))),
            "{text}"
        );
    }
}
