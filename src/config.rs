//! Where settings come from: flags > environment > `.env` file, and the simulator's variables
//! above all of them when `--sim` starts one.

use std::collections::BTreeMap;
use std::path::Path;

/// The environment a run sees. Never mutates the process environment (threads are running).
#[derive(Debug, Clone, Default)]
pub struct Env {
    /// Set by `--sim` from the embedded simulator's ready line: wins over everything.
    overlay: BTreeMap<String, String>,
    /// Read from the `.env` file: loses to the real environment.
    file: BTreeMap<String, String>,
}

/// The variables the product reads (contract in `shared/design.md`).
pub mod vars {
    pub const CLIENT_ID: &str = "QLIK_CLIENT_ID";
    pub const CLIENT_SECRET: &str = "QLIK_CLIENT_SECRET";
    pub const API_KEY: &str = "QLIK_API_KEY";
    pub const SIM: &str = "QOPS_SIM";
    /// The tenant quota of an embedded simulator (`--sim-tenant-quota`).
    pub const SIM_TENANT_QUOTA: &str = "QOPS_SIM_TENANT_QUOTA";
    pub const PATH: &str = "QOPS_PATH";
}

impl Env {
    /// Reads `path` (an explicit `--env-file` must exist; the default `.env` may be absent).
    pub fn load(path: Option<&Path>) -> Result<Env, String> {
        let (path, required) = match path {
            Some(p) => (p.to_path_buf(), true),
            None => (Path::new(".env").to_path_buf(), false),
        };
        let mut file = BTreeMap::new();
        match dotenvy::from_path_iter(&path) {
            Ok(iter) => {
                for item in iter {
                    let (k, v) = item.map_err(|e| format!("{}: {e}", path.display()))?;
                    file.insert(k, v);
                }
            }
            Err(e) if !required && e.not_found() => {}
            Err(e) => return Err(format!("{}: {e}", path.display())),
        }
        Ok(Env {
            overlay: BTreeMap::new(),
            file,
        })
    }

    /// Values that win over the real environment (the embedded simulator's).
    pub fn overlay(&mut self, vars: impl IntoIterator<Item = (String, String)>) {
        self.overlay.extend(vars);
    }

    pub fn get(&self, name: &str) -> Option<String> {
        if let Some(v) = self.overlay.get(name) {
            return Some(v.clone());
        }
        match std::env::var(name) {
            Ok(v) => Some(v),
            Err(_) => self.file.get(name).cloned(),
        }
    }

    /// A variable that must be set and non-empty.
    pub fn require(&self, name: &str) -> Result<String, String> {
        match self.get(name) {
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
        let mut env = Env::default();
        env.file.insert("QOPS_TEST_A".into(), "file".into());
        env.file.insert("PATH".into(), "file".into());
        assert_eq!(env.get("QOPS_TEST_A").as_deref(), Some("file"));
        assert_ne!(env.get("PATH").as_deref(), Some("file"));
        env.overlay([("PATH".to_string(), "sim".to_string())]);
        assert_eq!(env.get("PATH").as_deref(), Some("sim"));
        assert!(env
            .require("QOPS_TEST_UNSET")
            .unwrap_err()
            .contains("QOPS_TEST_UNSET"));
    }
}
