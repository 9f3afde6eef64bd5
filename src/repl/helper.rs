//! The rustyline side: Tab completion and signature hints from the [`Catalog`], and a validator
//! that keeps reading while Rhai's parser says the input is unfinished.

use super::catalog::Catalog;
use rhai::{Engine, LexError, ParseError, ParseErrorType};
use rustyline::completion::{Completer, Pair};
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{Context, Helper};
use std::borrow::Cow;

pub struct ReplHelper {
    pub catalog: Catalog,
    /// Parses only (no functions needed to tell whether input is complete).
    parser: Engine,
}

impl ReplHelper {
    pub fn new() -> ReplHelper {
        let mut parser = Engine::new_raw();
        parser.set_max_expr_depths(0, 0);
        ReplHelper {
            catalog: Catalog::default(),
            parser,
        }
    }
}

/// Whether a parse error only says "there is more to come": an open block, bracket or string,
/// or an expression cut at the end.
pub fn is_incomplete(input: &str, err: &ParseError) -> bool {
    match err.err_type() {
        ParseErrorType::UnexpectedEOF => true,
        ParseErrorType::BadInput(LexError::UnterminatedString) => true,
        ParseErrorType::MissingToken(..) | ParseErrorType::BadInput(_) => at_end(input, err),
        _ => false,
    }
}

/// Whether the error sits after the last non-blank character of the input.
fn at_end(input: &str, err: &ParseError) -> bool {
    let pos = err.position();
    let (Some(line), col) = (pos.line(), pos.position().unwrap_or(0)) else {
        return true;
    };
    let trimmed = input.trim_end();
    let last_line = trimmed.lines().count().max(1);
    let last_len = trimmed.lines().last().map_or(0, |l| l.chars().count());
    line > last_line || (line == last_line && col > last_len)
}

impl Validator for ReplHelper {
    fn validate(&self, ctx: &mut ValidationContext) -> rustyline::Result<ValidationResult> {
        let input = ctx.input();
        if input.trim().is_empty() || input.trim_start().starts_with(':') {
            return Ok(ValidationResult::Valid(None));
        }
        Ok(match self.parser.compile(input) {
            Err(e) if is_incomplete(input, &e) => ValidationResult::Incomplete,
            // Other errors are reported with a caret after Enter, like run-time errors.
            _ => ValidationResult::Valid(None),
        })
    }
}

impl Completer for ReplHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        if line.trim_start().starts_with(':') {
            let cmds = super::COMMANDS
                .iter()
                .filter(|c| c.starts_with(line[..pos].trim_start()))
                .map(|c| Pair {
                    display: c.to_string(),
                    replacement: c.to_string(),
                })
                .collect();
            return Ok((line.len() - line.trim_start().len(), cmds));
        }
        let (start, found) = self.catalog.complete(&line[..pos]);
        Ok((
            start,
            found
                .into_iter()
                .map(|(display, replacement)| Pair {
                    display,
                    replacement,
                })
                .collect(),
        ))
    }
}

impl Hinter for ReplHelper {
    type Hint = String;

    fn hint(&self, line: &str, pos: usize, _ctx: &Context<'_>) -> Option<String> {
        if pos < line.len() || line.trim_start().starts_with(':') {
            return None;
        }
        self.catalog.hint(line)
    }
}

impl Highlighter for ReplHelper {
    fn highlight_hint<'h>(&self, hint: &'h str) -> Cow<'h, str> {
        Cow::Owned(format!("\x1b[2m{hint}\x1b[0m"))
    }
}

impl Helper for ReplHelper {}

#[cfg(test)]
mod tests {
    use super::*;

    fn incomplete(src: &str) -> bool {
        match Engine::new_raw().compile(src) {
            Ok(_) => false,
            Err(e) => is_incomplete(src, &e),
        }
    }

    #[test]
    fn unfinished_input_keeps_reading() {
        assert!(incomplete("fn f(x) {"));
        assert!(incomplete("fn f(x) {\n  let y = x + 1;"));
        assert!(incomplete("let s = `abc"));
        assert!(incomplete("let a = [1, 2,"));
        assert!(incomplete("let m = #{a: 1,"));
        assert!(incomplete("let x = 1 +"));
        assert!(incomplete("if true {\n print(1);\n} else {"));
        assert!(!incomplete("fn f(x) { x }"));
        assert!(!incomplete("let x = 1;"));
        assert!(!incomplete("let x = ;"));
        assert!(!incomplete("1 +* 2"));
    }
}
