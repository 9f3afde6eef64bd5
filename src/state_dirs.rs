//! Where a run keeps its state files (inventories, journals) and secret files (OAuth client
//! secrets), decided in one place so that runs against a simulator never share a file with runs
//! against real Qlik:
//!
//! | run | state files (`state_path`) | secret files (`secret_path`) |
//! |---|---|---|
//! | against Qlik Cloud | the working directory | `$XDG_DATA_HOME/qops/secrets/` (else `~/.local/share/qops/secrets/`) |
//! | `--sim`, `qops test` | a temporary directory made for the embedded simulator, removed with it | its `secrets/` |
//! | `--sim-url` / `QOPS_SIM` | `<temp>/qops-<uid>/sim-<instance>/`, keyed by the `QOPS_SIM_INSTANCE` the simulator publishes (else by its address) | its `secrets/` |
//!
//! Every directory made here is owner-only (0700); files are written owner-only (0600) by
//! [`crate::files`]. A path a script names itself is used as named.

use crate::config::Env;
use std::path::{Path, PathBuf};

use crate::config::vars::SIM_INSTANCE as SIM_INSTANCE_VAR;

/// The directory of the script file `file` (`-`, stdin: the working directory), resolved.
pub fn script_dir_of(file: &Path) -> PathBuf {
    let dir = file
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf())
}

/// The state and secret directories of one run.
#[derive(Debug)]
pub struct StateDirs {
    place: Place,
}

#[derive(Debug)]
enum Place {
    /// Real Qlik: state in the working directory, secrets in the user's data directory.
    Real,
    /// An embedded simulator's directory, removed when the session ends.
    Embedded(tempfile::TempDir),
    /// A directory kept for a simulator running elsewhere, made on first use.
    Shared(PathBuf),
}

impl Default for StateDirs {
    fn default() -> Self {
        StateDirs { place: Place::Real }
    }
}

impl StateDirs {
    /// For an embedded simulator (`--sim`, each `qops test` case): a fresh owner-only temporary
    /// directory, deleted with this value.
    pub fn embedded_sim() -> Result<StateDirs, String> {
        let dir = tempfile::Builder::new()
            .prefix("qops-sim-")
            .tempdir()
            .map_err(|e| format!("cannot create the simulator's state directory: {e}"))?;
        private_dir(dir.path())?;
        Ok(StateDirs {
            place: Place::Embedded(dir),
        })
    }

    /// For a simulator at `url` (`--sim-url`, `QOPS_SIM`): a directory under the user's private
    /// temporary directory, named by the simulator's instance when the environment carries it
    /// (the ready line's `QOPS_SIM_INSTANCE`), else by its address. Nothing is created yet.
    pub fn sim_at(url: &str, env: &Env) -> StateDirs {
        let instance = env
            .get(SIM_INSTANCE_VAR)
            .filter(|v| !v.is_empty() && v.len() <= 64 && v.bytes().all(|b| b.is_ascii_hexdigit()));
        let name = match instance {
            Some(id) => format!("sim-{}", id.to_ascii_lowercase()),
            None => format!("sim-{}", address_key(url)),
        };
        StateDirs {
            place: Place::Shared(user_temp_dir().join(name)),
        }
    }

    /// The directory state files go to, made (owner-only) if it is a simulator's.
    pub fn state_dir(&self) -> Result<PathBuf, String> {
        match &self.place {
            Place::Real => {
                std::env::current_dir().map_err(|e| format!("the working directory: {e}"))
            }
            Place::Embedded(dir) => Ok(dir.path().to_path_buf()),
            Place::Shared(dir) => {
                private_dir(&user_temp_dir())?;
                private_dir(dir)?;
                Ok(dir.clone())
            }
        }
    }

    /// The directory secret files go to, made owner-only (0700) on first use.
    pub fn secrets_dir(&self) -> Result<PathBuf, String> {
        let dir = match &self.place {
            Place::Real => user_secrets_dir().ok_or_else(|| {
                "no directory for secret files: set XDG_DATA_HOME or HOME".to_string()
            })?,
            _ => self.state_dir()?.join("secrets"),
        };
        private_dir(&dir)?;
        Ok(dir)
    }

    /// `name` in the state directory.
    pub fn state_path(&self, name: &str) -> Result<PathBuf, String> {
        Ok(self.state_dir()?.join(file_name(name)?))
    }

    /// `name` in the secrets directory.
    pub fn secret_path(&self, name: &str) -> Result<PathBuf, String> {
        Ok(self.secrets_dir()?.join(file_name(name)?))
    }

    /// The directories scripts may read and write under besides the working directory: this
    /// run's simulator directory (which may not exist yet).
    pub fn roots(&self) -> Vec<PathBuf> {
        match &self.place {
            Place::Real => Vec::new(),
            Place::Embedded(dir) => vec![dir.path().to_path_buf()],
            Place::Shared(dir) => vec![dir.clone()],
        }
    }
}

/// `$XDG_DATA_HOME/qops/secrets`, else `~/.local/share/qops/secrets`: where secret files of runs
/// against real Qlik go unless the script names a path.
pub fn user_secrets_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_DATA_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|h| PathBuf::from(h).join(".local/share"))
        })?;
    Some(base.join("qops").join("secrets"))
}

/// The user's own directory under the system's temporary directory (`qops-<uid>`).
fn user_temp_dir() -> PathBuf {
    #[cfg(unix)]
    let name = format!("qops-{}", unsafe { libc::geteuid() });
    #[cfg(not(unix))]
    let name = "qops".to_string();
    std::env::temp_dir().join(name)
}

/// The simulator's address as a file name: `127.0.0.1-41234`.
fn address_key(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split('/').next().unwrap_or(rest);
    authority
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// A plain file name: no directory part, not `.` or `..`.
fn file_name(name: &str) -> Result<&str, String> {
    let plain = !name.is_empty()
        && name != "."
        && name != ".."
        && !name.contains(std::path::is_separator)
        && !name.contains('\0');
    if plain {
        Ok(name)
    } else {
        Err(format!(
            "{name:?} is not a file name; name a file (\"inventory.json\"), or pass your own path to read_json/write_json"
        ))
    }
}

/// Makes `dir` (and missing parents) and makes sure it is a directory of ours that only we can
/// enter: created 0700; an existing one must not be a symbolic link or belong to someone else,
/// and is narrowed to 0700.
fn private_dir(dir: &Path) -> Result<(), String> {
    let shown = dir.display();
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(|e| format!("{shown}: {e}"))?;
    let meta = std::fs::symlink_metadata(dir).map_err(|e| format!("{shown}: {e}"))?;
    if !meta.is_dir() {
        return Err(format!("{shown}: not a directory"));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        if meta.uid() != unsafe { libc::geteuid() } {
            return Err(format!("{shown}: belongs to another user"));
        }
        if meta.mode() & 0o077 != 0 {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
                .map_err(|e| format!("{shown}: {e}"))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_names_are_plain_file_names() {
        for bad in ["", ".", "..", "a/b", "../x", "/etc/passwd"] {
            assert!(file_name(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            file_name("qops-inventory.json").unwrap(),
            "qops-inventory.json"
        );
    }

    #[test]
    fn a_simulator_is_known_by_its_instance_else_its_address() {
        let env = Env::default();
        let by_address = StateDirs::sim_at("http://127.0.0.1:41234", &env);
        assert!(by_address.roots()[0].ends_with("sim-127.0.0.1-41234"));
        let mut with_instance = BTreeMapEnv::default();
        with_instance
            .0
            .insert(SIM_INSTANCE_VAR.into(), "00AbCd".into());
        let env = with_instance.env();
        let by_instance = StateDirs::sim_at("http://127.0.0.1:41234", &env);
        assert!(by_instance.roots()[0].ends_with("sim-00abcd"));
        // Anything but hex is not a name we build paths from.
        let mut hostile = BTreeMapEnv::default();
        hostile
            .0
            .insert(SIM_INSTANCE_VAR.into(), "../../etc".into());
        let hostile = StateDirs::sim_at("http://[::1]:9/x", &hostile.env());
        assert!(hostile.roots()[0].ends_with("sim----1--9"));
    }

    #[cfg(unix)]
    #[test]
    fn an_embedded_simulators_directory_is_private_and_goes_with_it() {
        use std::os::unix::fs::PermissionsExt;
        let dirs = StateDirs::embedded_sim().unwrap();
        let dir = dirs.state_dir().unwrap();
        let secrets = dirs.secrets_dir().unwrap();
        assert_eq!(secrets, dir.join("secrets"));
        for d in [&dir, &secrets] {
            let mode = std::fs::metadata(d).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o700, "{}", d.display());
        }
        assert_eq!(dirs.state_path("inv.json").unwrap(), dir.join("inv.json"));
        drop(dirs);
        assert!(!dir.exists());
    }

    /// An [`Env`] holding only the given variables.
    #[derive(Default)]
    struct BTreeMapEnv(std::collections::BTreeMap<String, String>);

    impl BTreeMapEnv {
        fn env(&self) -> Env {
            Env::sealed(self.0.clone())
        }
    }
}
