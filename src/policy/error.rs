//! Rule errors with character positions.

use std::fmt;

/// A place in the rule text.
///
/// `offset` counts characters (not bytes) from the start, 0-based;
/// `line` and `column` are 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Pos {
    pub offset: usize,
    pub line: usize,
    pub column: usize,
}

impl Pos {
    pub(crate) const START: Pos = Pos {
        offset: 0,
        line: 1,
        column: 1,
    };

    /// The position `n` characters further on the same line.
    pub(crate) fn advanced(self, n: usize) -> Pos {
        Pos {
            offset: self.offset.saturating_add(n),
            line: self.line,
            column: self.column.saturating_add(n),
        }
    }
}

/// A syntax error (from [`parse`](super::parse)) or an evaluation error
/// (from [`evaluate`](super::evaluate)) in a rule.
///
/// Displays as `line 1, column 20: expected a value after '=', found end of rule`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    /// 0-based character (not byte) offset into the rule text.
    pub position: usize,
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in characters) on that line.
    pub column: usize,
    /// What went wrong, usually "expected X, found Y".
    pub message: String,
}

impl RuleError {
    pub(crate) fn at(pos: Pos, message: impl Into<String>) -> RuleError {
        RuleError {
            position: pos.offset,
            line: pos.line,
            column: pos.column,
            message: message.into(),
        }
    }
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.column, self.message
        )
    }
}

impl std::error::Error for RuleError {}
