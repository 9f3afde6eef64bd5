//! Where a connection's secret (an OAuth client secret or an API key) comes from, and reading
//! it at use time. Only [`SecretSource::Value`] keeps a secret in the connections file.

use super::vault;
use crate::cloud::LazySecret;
use crate::secret::Secret;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::process::{Command, Stdio};

/// A secret read now, or a handle that reads it on first use.
pub enum Deferred {
    Now(Secret),
    Later(LazySecret),
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SecretSource {
    /// An environment variable (or `.env`), read when the secret is needed.
    Env(String),
    /// The OS keyring (service `qops`), under this account.
    Keyring(String),
    /// A command run when the secret is needed (a password manager's CLI); its standard
    /// output, trimmed, is the secret.
    Command(String),
    /// The secret itself, in clear in the file (`--client-secret VALUE` only).
    Value(String),
}

impl fmt::Debug for SecretSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

impl SecretSource {
    /// Where the secret comes from, for `show` and messages: never the secret.
    pub fn describe(&self) -> String {
        match self {
            SecretSource::Env(var) => format!("environment variable {var}"),
            SecretSource::Keyring(account) => {
                format!(
                    "OS keyring (service {}, account {account:?})",
                    vault::SERVICE
                )
            }
            SecretSource::Command(cmd) => format!("command `{cmd}`"),
            SecretSource::Value(_) => "stored in clear in the connections file".to_string(),
        }
    }

    /// The secret: read now from a variable or the file; from the keyring or a command when
    /// the first token is fetched (a run that fetches none never opens the keyring or runs the
    /// command). `connection` names it in messages.
    pub fn deferred(
        &self,
        connection: &str,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Deferred, String> {
        match self {
            SecretSource::Env(_) | SecretSource::Value(_) => Ok(Deferred::Now(self.resolve(env)?)),
            SecretSource::Keyring(_) | SecretSource::Command(_) => {
                let label = format!("connection {connection:?}");
                let source = self.clone();
                let said = label.clone();
                Ok(Deferred::Later(LazySecret::new(label, move || {
                    source
                        .resolve(&|_| None)
                        .map_err(|e| format!("{said}: {e}"))
                })))
            }
        }
    }

    /// The secret, read now. `env` looks a variable up (the process environment, then `.env`).
    pub fn resolve(&self, env: &dyn Fn(&str) -> Option<String>) -> Result<Secret, String> {
        match self {
            SecretSource::Env(var) => env(var)
                .filter(|v| !v.is_empty())
                .map(Secret::new)
                .ok_or_else(|| format!("environment variable {var} is not set")),
            SecretSource::Keyring(account) => vault::load(account),
            SecretSource::Command(cmd) => run(cmd),
            SecretSource::Value(value) => Ok(Secret::new(value.clone())),
        }
    }
}

/// Runs `cmd` through the platform's shell and takes its standard output, trimmed, as the
/// secret. Neither output stream is ever shown: either may hold the secret.
fn run(cmd: &str) -> Result<Secret, String> {
    let mut command = shell(cmd);
    let output = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| format!("cannot run the secret command `{cmd}`: {e}"))?;
    if !output.status.success() {
        let status = output.status.code().map_or_else(
            || "was killed by a signal".to_string(),
            |c| format!("exited with status {c}"),
        );
        return Err(format!(
            "the secret command `{cmd}` {status} (its output is not shown, it may hold the secret: run it yourself to see why)"
        ));
    }
    let text = String::from_utf8(output.stdout).map_err(|_| {
        format!("the secret command `{cmd}` printed something that is not UTF-8 text")
    })?;
    let secret = text.trim();
    if secret.is_empty() {
        return Err(format!("the secret command `{cmd}` printed nothing"));
    }
    Ok(Secret::new(secret))
}

#[cfg(unix)]
fn shell(cmd: &str) -> Command {
    let mut c = Command::new("sh");
    c.arg("-c").arg(cmd);
    c
}

#[cfg(windows)]
fn shell(cmd: &str) -> Command {
    let mut c = Command::new("cmd");
    c.arg("/C").arg(cmd);
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_describe_themselves_without_the_secret() {
        let clear = SecretSource::Value("hunter2".into());
        assert!(!format!("{clear:?} {}", clear.describe()).contains("hunter2"));
        assert_eq!(
            SecretSource::Env("X".into()).describe(),
            "environment variable X"
        );
    }

    #[cfg(unix)]
    #[test]
    fn keyring_and_command_secrets_wait_for_their_first_use_and_are_read_once() {
        let marker = std::env::temp_dir().join(format!("qops-lazy-{}", std::process::id()));
        let _ = std::fs::remove_file(&marker);
        let cmd = format!("echo run >> {}; echo s3", marker.display());
        let Deferred::Later(lazy) = SecretSource::Command(cmd)
            .deferred("prod", &|_| None)
            .unwrap()
        else {
            panic!("a command is read later");
        };
        assert!(!marker.exists(), "not run yet");
        assert_eq!(lazy.read_already(), None);
        let copy = lazy.clone();
        assert_eq!(lazy.get().unwrap().expose(), "s3");
        assert_eq!(copy.get().unwrap().expose(), "s3");
        assert_eq!(std::fs::read_to_string(&marker).unwrap().lines().count(), 1);
        assert_eq!(format!("{lazy:?}"), "LazySecret(connection \"prod\")");
        let _ = std::fs::remove_file(&marker);
        let failing = SecretSource::Command("exit 4".into());
        let Deferred::Later(lazy) = failing.deferred("prod", &|_| None).unwrap() else {
            panic!("a command is read later");
        };
        let err = lazy.get().unwrap_err();
        assert!(
            err.starts_with("connection \"prod\": ") && err.contains("status 4"),
            "{err}"
        );
        let env = SecretSource::Env("V".into());
        assert!(matches!(
            env.deferred("prod", &|_| Some("x".into())),
            Ok(Deferred::Now(_))
        ));
    }

    #[cfg(unix)]
    #[test]
    fn commands_give_their_trimmed_output_and_fail_without_echoing_it() {
        let none = |_: &str| None;
        let ok = SecretSource::Command("printf '  s3cret\\n'".into());
        assert_eq!(ok.resolve(&none).unwrap().expose(), "s3cret");
        let bad = SecretSource::Command("echo leaked; echo leaked >&2; exit 3".into());
        let err = bad.resolve(&none).unwrap_err();
        assert!(
            err.contains("status 3") && !err.contains("leaked\n"),
            "{err}"
        );
        let empty = SecretSource::Command("true".into());
        assert!(empty
            .resolve(&none)
            .unwrap_err()
            .contains("printed nothing"));
        let unset = SecretSource::Env("QOPS_TEST_SURELY_UNSET".into());
        assert!(unset
            .resolve(&none)
            .unwrap_err()
            .contains("QOPS_TEST_SURELY_UNSET"));
    }
}
