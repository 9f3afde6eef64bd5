//! The connections file: `$XDG_CONFIG_HOME/qops/connections.toml` (else `~/.config/...`),
//! owner-only, replaced atomically by the one file writer ([`crate::files`]).

use super::rules::{check_description, check_name};
use super::Connection;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Everything in the file.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Store {
    /// The connection in use (`qops connection use NAME`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current: Option<String>,
    #[serde(default)]
    pub connections: BTreeMap<String, Connection>,
}

const HEADER: &str = "# qops named connections: edit with `qops connection add|remove|use`.\n\
                      # Secrets are referenced (environment variable, OS keyring, command), never\n\
                      # kept here, except for a connection added with --client-secret VALUE.\n\n";

/// Where the file is: `$XDG_CONFIG_HOME/qops/connections.toml`, else under `$HOME/.config`.
pub fn path() -> Result<PathBuf, String> {
    let absolute = |var: &str| {
        std::env::var_os(var)
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
    };
    let base = absolute("XDG_CONFIG_HOME")
        .or_else(|| absolute("HOME").map(|h| h.join(".config")))
        .or_else(|| absolute("USERPROFILE").map(|h| h.join(".config")))
        .ok_or("cannot tell where the connections file goes: set XDG_CONFIG_HOME or HOME")?;
    Ok(base.join("qops").join("connections.toml"))
}

impl Store {
    /// The file's connections (none when there is no file), each checked.
    pub fn load() -> Result<Store, String> {
        let path = path()?;
        let Some(text) = crate::files::read_text_if_exists(&path)? else {
            return Ok(Store::default());
        };
        Store::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    fn parse(text: &str) -> Result<Store, String> {
        // toml's own message quotes the offending line, which may hold a clear secret: keep
        // its message and where, never the text.
        let store: Store = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
            match line {
                Some(line) => format!("line {line}: {}", e.message()),
                None => e.message().to_string(),
            }
        })?;
        for (name, connection) in &store.connections {
            let at = |e: String| format!("connection {name:?}: {e}");
            check_name(name).map_err(at)?;
            check_description(&connection.description).map_err(at)?;
            connection.auth().map_err(at)?;
            connection.target().map_err(at)?;
        }
        Ok(store)
    }

    /// Writes the file (creating its directory owner-only), atomically and owner-only.
    pub fn save(&self) -> Result<PathBuf, String> {
        let path = path()?;
        let dir = path.parent().unwrap_or(Path::new("."));
        create_private_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let body =
            toml::to_string(self).map_err(|e| format!("cannot write the connections: {e}"))?;
        let roots = crate::files::FileRoots::allowing(&[dir.to_path_buf()])?;
        roots.write(
            &path.to_string_lossy(),
            format!("{HEADER}{body}").as_bytes(),
        )?;
        Ok(path)
    }

    /// The connection called `name`, or a message listing the names there are.
    pub fn get(&self, name: &str) -> Result<&Connection, String> {
        self.connections.get(name).ok_or_else(|| {
            let known: Vec<&str> = self.connections.keys().map(String::as_str).collect();
            if known.is_empty() {
                format!("no connection named {name:?}: there are none yet (`qops connection add`)")
            } else {
                format!(
                    "no connection named {name:?}; there are: {}",
                    known.join(", ")
                )
            }
        })
    }

    /// A name already taken, ignoring case (so `Prod` and `prod` never both exist).
    pub fn taken(&self, name: &str) -> Option<&str> {
        self.connections
            .keys()
            .find(|k| k.eq_ignore_ascii_case(name))
            .map(String::as_str)
    }
}

/// The directory and its parents; the directory itself readable by its owner only.
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_file_is_reported_by_line_never_by_its_text() {
        let text = "[connections.prod]\nurl = \"https://a.eu.qlikcloud.com\"\nclient_id = \"x\"\nclient_secret = { value = \"hunter2\" \n";
        let err = Store::parse(text).unwrap_err();
        assert!(err.starts_with("line 4"), "{err}");
        assert!(!err.contains("hunter2"), "{err}");
        let bad_name = "[connections.\"a/b\"]\nurl = \"https://a.eu.qlikcloud.com\"\napi_key = { env = \"K\" }\n";
        assert!(Store::parse(bad_name)
            .unwrap_err()
            .contains("invalid connection name"));
    }

    #[test]
    fn round_trip() {
        let text = "current = \"prod\"\n[connections.prod]\nurl = \"https://a.eu.qlikcloud.com\"\nclient_id = \"x\"\nclient_secret = { keyring = \"prod\" }\n";
        let store = Store::parse(text).unwrap();
        let again = Store::parse(&toml::to_string(&store).unwrap()).unwrap();
        assert_eq!(store.connections, again.connections);
        assert_eq!(again.current.as_deref(), Some("prod"));
    }
}
