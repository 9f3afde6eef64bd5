//! How a command fails, and the exit code each failure means (documented in the README).
//!
//! Exit code 3 is no `Failure`: it is the panic hook's (`cli::main`), for a bug that should
//! never happen. It prints one line, `internal error: <file:line:col> — please report`, and
//! never the panic's message, which could quote values.

use std::fmt;
use std::process::ExitCode;

/// A failure already worth a message; printed once, at the edge.
#[derive(Debug)]
pub enum Failure {
    /// The script failed at run time, or an API call failed: exit 1.
    Runtime(String),
    /// Wrong arguments, unreadable files, scripts that do not compile: exit 2.
    Usage(String),
    /// Ctrl-C stopped the run: exit 130, as a shell reports a SIGINT.
    Interrupted(String),
}

impl Failure {
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Failure::Runtime(_) => ExitCode::from(1),
            Failure::Usage(_) => ExitCode::from(2),
            Failure::Interrupted(_) => ExitCode::from(130),
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Runtime(m) | Failure::Usage(m) | Failure::Interrupted(m) => f.write_str(m),
        }
    }
}
