//! `qops connection import`: qlik-cli's contexts (`~/.qlik/contexts.yml`, or where
//! `QLIK_CLI_USER_HOME_DIR` says) become named connections, their secrets stored in the OS
//! keyring. Each context is imported or skipped with a reason; no secret is ever shown.
//!
//! The file maps context names to `server`, `server-type` (`cloud`, `windows`, `engine`),
//! `headers` (an API key travels as `Authorization: Bearer KEY`), `oauth-client-id`,
//! `oauth-client-secret` and `comment`; `current-context` names qlik-cli's default.

use super::rules::{check_description, check_name};
use super::secret_source::SecretSource;
use super::store::Store;
use super::{parse_target, vault, Connection};
use crate::secret::Secret;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What an import did, context by context.
#[derive(Debug, Default)]
pub struct Outcome {
    pub path: PathBuf,
    /// Name and what it is (`tenant acme.eu.qlikcloud.com, OAuth client ID`).
    pub imported: Vec<(String, String)>,
    /// Name and why not.
    pub skipped: Vec<(String, String)>,
    /// qlik-cli's current context, when it was imported.
    pub current: Option<String>,
}

/// Where qlik-cli keeps its contexts: `QLIK_CLI_USER_HOME_DIR` (the file itself, or a
/// directory holding `contexts.yml` or `.qlik/contexts.yml`), else `~/.qlik/contexts.yml`.
pub fn default_path() -> Result<PathBuf, String> {
    if let Some(dir) = std::env::var_os("QLIK_CLI_USER_HOME_DIR").filter(|d| !d.is_empty()) {
        let given = PathBuf::from(dir);
        if given.is_file() {
            return Ok(given);
        }
        let direct = given.join("contexts.yml");
        if direct.is_file() {
            return Ok(direct);
        }
        return Ok(given.join(".qlik").join("contexts.yml"));
    }
    let home = std::env::var_os("HOME")
        .or_else(|| std::env::var_os("USERPROFILE"))
        .filter(|h| !h.is_empty())
        .ok_or(
            "cannot find qlik-cli's contexts: set HOME or QLIK_CLI_USER_HOME_DIR, or pass --file",
        )?;
    Ok(PathBuf::from(home).join(".qlik").join("contexts.yml"))
}

/// Reads `path` and adds every importable context to `store` (the caller saves it).
pub fn import(path: &Path, store: &mut Store) -> Result<Outcome, String> {
    let shown = path.display().to_string();
    let text = crate::files::read_text_file(path)?;
    // The parser's message may quote the file, secrets included: only where, never what.
    let file: Value = serde_saphyr::from_str(&text).map_err(|e| match e.location() {
        Some(at) => format!(
            "{shown}:{}: not a YAML file qlik-cli could have written",
            at.line()
        ),
        None => format!("{shown}: not a YAML file qlik-cli could have written"),
    })?;
    let contexts = match file.get("contexts") {
        Some(Value::Object(map)) => map.clone(),
        None | Some(Value::Null) => Default::default(),
        Some(_) => {
            return Err(format!(
                "{shown}: `contexts` is not a map of named contexts"
            ))
        }
    };
    let qlik_current = file.get("current-context").and_then(Value::as_str);
    let mut outcome = Outcome {
        path: path.to_path_buf(),
        ..Outcome::default()
    };
    let sorted: BTreeMap<String, Value> = contexts.into_iter().collect();
    for (name, context) in sorted {
        match import_one(&name, &context, store) {
            Ok(what) => {
                if qlik_current == Some(name.as_str()) {
                    outcome.current = Some(name.clone());
                }
                outcome.imported.push((name, what));
            }
            Err(why) => outcome.skipped.push((name, why)),
        }
    }
    Ok(outcome)
}

/// One context into `store`, or why not.
fn import_one(name: &str, context: &Value, store: &mut Store) -> Result<String, String> {
    check_name(name)?;
    if let Some(existing) = store.taken(name) {
        return Err(format!(
            "a connection named {existing:?} exists already (remove it to import this one)"
        ));
    }
    let text = |key: &str| {
        context
            .get(key)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    if let Some(kind) = text("server-type").filter(|k| !k.eq_ignore_ascii_case("cloud")) {
        return Err(format!(
            "server-type {kind}: only Qlik Cloud contexts are imported"
        ));
    }
    let server = text("server").ok_or("no server")?;
    let description = text("comment").unwrap_or_default();
    check_description(description)?;
    let client_id = text("oauth-client-id");
    let client_secret = text("oauth-client-secret");
    let api_key = bearer(context.get("headers"));
    // A register host can only be used by a region-level OAuth client.
    let region_level = super::host_of(server)
        .map(|h| h.starts_with("register."))
        .unwrap_or(false);
    let target = parse_target(server, region_level)?;
    let (secret, what) = match (client_id, client_secret, api_key) {
        (Some(id), Some(secret), _) => (secret.to_string(), format!("OAuth client {id}")),
        (Some(_), None, _) => return Err("oauth-client-id without oauth-client-secret".into()),
        (None, _, Some(_)) if region_level => {
            return Err("a register host needs a region-level OAuth client, not an API key".into())
        }
        (None, _, Some(key)) => (key, "API key".to_string()),
        (None, _, None) => {
            return Err(
                "no credentials: neither an API key (headers: Authorization: Bearer ...) nor oauth-client-id and oauth-client-secret"
                    .into(),
            )
        }
    };
    vault::store(name, &Secret::new(secret)).map_err(|e| {
        format!("its secret cannot be stored: {e} (add it by hand with --client-secret-command)")
    })?;
    let source = SecretSource::Keyring(name.to_string());
    let connection = Connection {
        url: server.to_string(),
        description: description.to_string(),
        region_level,
        client_id: client_id.map(str::to_string),
        client_secret: client_id.map(|_| source.clone()),
        api_key: client_id.is_none().then_some(source),
    };
    let target = match target {
        super::Target::Tenant { .. } => format!("tenant {server}"),
        super::Target::Region { region, .. } => format!("region {} ({server})", region.code),
    };
    store.connections.insert(name.to_string(), connection);
    Ok(format!("{target}, {what}, secret in the OS keyring"))
}

/// The API key of `headers: {Authorization: Bearer KEY}` (header names are case-insensitive).
fn bearer(headers: Option<&Value>) -> Option<String> {
    let Some(Value::Object(headers)) = headers else {
        return None;
    };
    let value = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
        .and_then(|(_, v)| v.as_str())?
        .trim();
    let (scheme, key) = value.split_once(' ')?;
    let key = key.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !key.is_empty()).then(|| key.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_keys_come_from_the_authorization_header() {
        let h = serde_json::json!({"authorization": "bearer  k1 "});
        assert_eq!(bearer(Some(&h)).as_deref(), Some("k1"));
        assert_eq!(
            bearer(Some(&serde_json::json!({"Authorization": "Basic x"}))),
            None
        );
        assert_eq!(bearer(None), None);
    }
}
