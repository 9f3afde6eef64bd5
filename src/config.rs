//! Where settings come from: flags > environment > `.env` file > the named connection in use
//! (`crate::connections`), and the simulator's variables above all of them when `--sim`
//! starts one.

mod dotenv;

use crate::connections::Supplied;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

/// The environment a run sees. Never mutates the process environment (threads are running).
///
/// An open Env (a run, the REPL) sees the overlay, then the process environment, then `.env`.
/// A sealed Env (each `qops test`) never consults the process environment or `.env`: it sees
/// the overlay, then only the variables it was given.
#[derive(Debug, Clone, Default)]
pub struct Env {
    /// Set by `--sim` from the embedded simulator's ready line: wins over everything.
    overlay: BTreeMap<String, String>,
    /// Whether the process environment is consulted (never in a sealed Env).
    process: bool,
    /// What the process environment falls back to: the `.env` file, or in a sealed Env the
    /// variables passed to it.
    base: BTreeMap<String, String>,
    /// The named connection in use, under everything else (never in a sealed Env).
    connection: Option<Arc<Supplied>>,
}

/// The variables the product reads (contract in `shared/design.md`).
pub mod vars {
    pub const CLIENT_ID: &str = "QLIK_CLIENT_ID";
    pub const CLIENT_SECRET: &str = "QLIK_CLIENT_SECRET";
    pub const API_KEY: &str = "QLIK_API_KEY";
    pub const TENANT: &str = "QLIK_TENANT";
    pub const REGION: &str = "QLIK_REGION";
    pub const SIM: &str = "QOPS_SIM";
    /// Published by `qops sim` (random per start): names the directory where runs against it keep
    /// their state files ([`crate::state_dirs`]).
    pub const SIM_INSTANCE: &str = "QOPS_SIM_INSTANCE";

    /// The variables of region `code`'s own region-level OAuth client (`QLIK_CLIENT_ID_EU`,
    /// `QLIK_CLIENT_SECRET_EU`): a region-level client serves one region, so `region(code)` uses
    /// these when set, else `QLIK_CLIENT_ID` / `QLIK_CLIENT_SECRET`.
    pub fn region_client(code: &str) -> (String, String) {
        let code = code.to_ascii_uppercase();
        (
            format!("{CLIENT_ID}_{code}"),
            format!("{CLIENT_SECRET}_{code}"),
        )
    }
    /// The tenant quota of an embedded simulator (`--sim-tenant-quota`).
    pub const SIM_TENANT_QUOTA: &str = "QOPS_SIM_TENANT_QUOTA";
    pub const PATH: &str = "QOPS_PATH";
    pub const JOURNAL: &str = "QOPS_JOURNAL";
    /// Variables with this prefix are the only ones `qops test` passes on to tests.
    pub const TEST_PREFIX: &str = "QOPS_TEST_";
}

impl Env {
    /// The process environment over `path` (an explicit `--env-file` must exist; the default
    /// `.env` may be absent). A malformed file is reported by line and key, never by value.
    pub fn load(path: Option<&Path>) -> Result<Env, String> {
        let (path, required) = match path {
            Some(p) => (p, true),
            None => (Path::new(".env"), false),
        };
        let text = match crate::files::read_text_if_exists(path)? {
            Some(text) => text,
            None if required => return Err(format!("{}: no such file", path.display())),
            None => String::new(),
        };
        let base = dotenv::parse(&text)
            .map_err(|problem| problem.describe(&path.display().to_string()))?;
        Ok(Env {
            overlay: BTreeMap::new(),
            process: true,
            base: base.into_iter().collect(),
            connection: None,
        })
    }

    /// A sealed Env holding only `vars`.
    pub fn sealed(vars: impl IntoIterator<Item = (String, String)>) -> Env {
        Env {
            overlay: BTreeMap::new(),
            process: false,
            base: vars.into_iter().collect(),
            connection: None,
        }
    }

    /// What `qops test` gives each test before its simulator's variables: a sealed Env with
    /// the caller's `QOPS_TEST_*` variables, and `QOPS_PATH` so imports resolve as in `check`.
    pub fn for_tests() -> Env {
        Env::sealed(
            std::env::vars().filter(|(k, _)| k.starts_with(vars::TEST_PREFIX) || k == vars::PATH),
        )
    }

    /// Values that win over the real environment (the embedded simulator's).
    pub fn overlay(&mut self, vars: impl IntoIterator<Item = (String, String)>) {
        self.overlay.extend(vars);
    }

    /// The named connection in use supplies what nothing above it does.
    pub fn use_connection(&mut self, connection: Arc<Supplied>) {
        self.connection = Some(connection);
    }

    /// The value of `name`; a connection's secret that cannot be read counts as unset here
    /// ([`Env::get_checked`] says why).
    pub fn get(&self, name: &str) -> Option<String> {
        self.get_checked(name).ok().flatten()
    }

    /// The value of `name`, or why the connection in use could not supply it.
    pub fn get_checked(&self, name: &str) -> Result<Option<String>, String> {
        if let Some(v) = self.above_connection(name) {
            return Ok(Some(v));
        }
        match &self.connection {
            Some(c) => c.get(name, &|n| self.above_connection(n)),
            None => Ok(None),
        }
    }

    /// The named connection's keyring or command secret for `name`, unread, when nothing above
    /// the connection sets the credentials (credentials built with it read it at the first
    /// token fetch).
    pub fn lazy_secret(&self, name: &str) -> Option<crate::cloud::LazySecret> {
        if self.above_connection(name).is_some() {
            return None;
        }
        self.connection
            .as_ref()
            .and_then(|c| c.lazy_secret(name, &|n| self.above_connection(n)))
    }

    /// Like [`Env::get`], but never reads a named connection's secret that nothing has read
    /// yet (for redacting what may have been shown: an unread secret cannot have been).
    pub fn peek(&self, name: &str) -> Option<String> {
        self.above_connection(name).or_else(|| {
            self.connection
                .as_ref()
                .and_then(|c| c.peek(name, &|n| self.above_connection(n)))
        })
    }

    /// The value of `name` from the overlay, the environment or `.env`: never a named
    /// connection's (a connection's secret named by a variable is looked up here).
    pub fn above_connection(&self, name: &str) -> Option<String> {
        if let Some(v) = self.overlay.get(name) {
            return Some(v.clone());
        }
        if self.process {
            if let Ok(v) = std::env::var(name) {
                return Some(v);
            }
        }
        self.base.get(name).cloned()
    }

    /// A variable that must be set and non-empty.
    pub fn require(&self, name: &str) -> Result<String, String> {
        match self.get_checked(name)? {
            Some(v) if !v.is_empty() => Ok(v),
            _ => Err(format!("environment variable {name} is not set")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlay_wins_then_process_then_file() {
        let mut env = Env {
            process: true,
            ..Env::default()
        };
        env.base.insert("QOPS_TEST_A".into(), "file".into());
        env.base.insert("PATH".into(), "file".into());
        assert_eq!(env.get("QOPS_TEST_A").as_deref(), Some("file"));
        assert_ne!(env.get("PATH").as_deref(), Some("file"));
        env.overlay([("PATH".to_string(), "sim".to_string())]);
        assert_eq!(env.get("PATH").as_deref(), Some("sim"));
        assert!(env
            .require("QOPS_TEST_UNSET")
            .unwrap_err()
            .contains("QOPS_TEST_UNSET"));
    }

    #[test]
    fn a_sealed_env_never_sees_the_process_environment() {
        assert!(std::env::var_os("PATH").is_some());
        let mut env = Env::sealed([("QOPS_TEST_A".to_string(), "given".to_string())]);
        assert_eq!(env.get("PATH"), None);
        assert_eq!(env.get("QOPS_TEST_A").as_deref(), Some("given"));
        env.overlay([("QLIK_TENANT".to_string(), "sim".to_string())]);
        assert_eq!(env.get("QLIK_TENANT").as_deref(), Some("sim"));
        assert_eq!(Env::default().get("PATH"), None);
        assert!(Env::for_tests()
            .base
            .keys()
            .all(|k| k.starts_with(vars::TEST_PREFIX) || k == vars::PATH));
    }
}
