//! The connection in use as the lowest layer of a run's variables: flags > environment >
//! `.env` > the connection. It supplies what a `.env` would: `QLIK_TENANT` (or, region-level,
//! only `QLIK_REGION`), `QLIK_REGION`, and `QLIK_CLIENT_ID` + `QLIK_CLIENT_SECRET` or
//! `QLIK_API_KEY`.
//!
//! The credentials are one unit: when any credential variable is set above the connection, the
//! connection supplies none of them, so a client id from one place never meets a secret from
//! another. A keyring or command secret is read when the first token is fetched (credentials
//! carry it unread, [`crate::cloud::LazySecret`]) or its variable is read, once a run: a run
//! that needs no token never runs the command or opens the keyring. A secret in a variable is
//! read when credentials are made.

use super::secret_source::{Deferred, SecretSource};
use super::store::Store;
use super::{Auth, Connection, Target};
use crate::cloud::LazySecret;
use crate::config::{vars, Env};
use crate::secret::Secret;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, OnceLock};

/// `QLIK_TENANT` as the simulator and the examples give it, a host (`acme.eu.qlikcloud.com`),
/// when the URL says nothing more than that; else the URL as saved (a port, plain http).
fn tenant_value(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(u) if u.scheme() == "https" && u.port().is_none() => {
            u.host_str().map_or_else(|| url.to_string(), str::to_string)
        }
        _ => url.to_string(),
    }
}

/// Whether a layer above the connection sets any credential variable.
fn credentials_set_above(above: &dyn Fn(&str) -> Option<String>) -> bool {
    CREDENTIALS
        .iter()
        .any(|v| above(v).is_some_and(|x| !x.is_empty()))
}

/// Which connection a run uses: `--connection`, else `QOPS_CONNECTION`, else the connection in
/// use in the file; none is fine.
pub const SELECT_VAR: &str = "QOPS_CONNECTION";

/// The credential variables, supplied together or not at all.
const CREDENTIALS: [&str; 3] = [vars::CLIENT_ID, vars::CLIENT_SECRET, vars::API_KEY];

pub struct Supplied {
    name: String,
    plain: BTreeMap<&'static str, String>,
    secret: Option<(&'static str, SecretSource)>,
    /// A secret in a variable or the file, once read.
    resolved: OnceLock<Result<Secret, String>>,
    /// A secret in the keyring or behind a command, read when first needed (by the first
    /// token fetch, or by reading its variable).
    lazy: Option<LazySecret>,
}

impl fmt::Debug for Supplied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Supplied")
            .field("name", &self.name)
            .field("vars", &self.plain.keys().collect::<Vec<_>>())
            .field("secret", &self.secret.as_ref().map(|(var, _)| var))
            .finish()
    }
}

impl Supplied {
    pub fn new(name: &str, connection: &Connection) -> Result<Supplied, String> {
        let mut plain = BTreeMap::new();
        match connection.target()? {
            Target::Tenant { region, .. } => {
                plain.insert(vars::TENANT, tenant_value(&connection.url));
                if let Some(region) = region {
                    plain.insert(vars::REGION, region.code.to_string());
                }
            }
            Target::Region { region, .. } => {
                plain.insert(vars::REGION, region.code.to_string());
            }
        }
        let secret = match connection.auth()? {
            Auth::ApiKey(source) => (vars::API_KEY, source.clone()),
            Auth::Client { id, secret } => {
                plain.insert(vars::CLIENT_ID, id.to_string());
                (vars::CLIENT_SECRET, secret.clone())
            }
        };
        let lazy = match &secret.1 {
            SecretSource::Keyring(_) | SecretSource::Command(_) => {
                match secret.1.deferred(name, &|_| None)? {
                    Deferred::Later(lazy) => Some(lazy),
                    Deferred::Now(_) => None,
                }
            }
            SecretSource::Env(_) | SecretSource::Value(_) => None,
        };
        Ok(Supplied {
            name: name.to_string(),
            plain,
            secret: Some(secret),
            resolved: OnceLock::new(),
            lazy,
        })
    }

    /// Like [`Supplied::get`], but a secret not read yet stays unread (`None`).
    pub fn peek(&self, var: &str, above: &dyn Fn(&str) -> Option<String>) -> Option<String> {
        if matches!(&self.secret, Some((v, _)) if *v == var) {
            let read = match &self.lazy {
                Some(lazy) => lazy.read_already().is_some(),
                None => self.resolved.get().is_some(),
            };
            if !read {
                return None;
            }
        }
        self.get(var, above).ok().flatten()
    }

    /// The keyring or command secret of `var`, unread, for credentials that read it when the
    /// first token is fetched; `None` when this connection does not supply `var` that way.
    pub fn lazy_secret(
        &self,
        var: &str,
        above: &dyn Fn(&str) -> Option<String>,
    ) -> Option<LazySecret> {
        let ours = matches!(&self.secret, Some((v, _)) if *v == var);
        (ours && !credentials_set_above(above))
            .then(|| self.lazy.clone())
            .flatten()
    }

    /// The value of `var` this connection supplies, `above` being the layers over it. Reading
    /// the secret's variable reads the secret (once); a failure says which connection.
    pub fn get(
        &self,
        var: &str,
        above: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Option<String>, String> {
        if CREDENTIALS.contains(&var) && credentials_set_above(above) {
            return Ok(None);
        }
        if let Some(value) = self.plain.get(var) {
            return Ok(Some(value.clone()));
        }
        match (&self.secret, &self.lazy) {
            (Some((secret_var, _)), Some(lazy)) if *secret_var == var => {
                lazy.get().map(|s| Some(s.expose().to_string()))
            }
            (Some((secret_var, source)), None) if *secret_var == var => self
                .resolved
                .get_or_init(|| source.resolve(above))
                .clone()
                .map(|s| Some(s.expose().to_string()))
                .map_err(|e| format!("connection {:?}: {e}", self.name)),
            _ => Ok(None),
        }
    }
}

/// Puts the selected connection, if any, under `env`: `flag` (`--connection`), else
/// `QOPS_CONNECTION` (environment or `.env`), else the connection in use.
pub fn apply(env: &mut Env, flag: Option<&str>) -> Result<(), String> {
    let from_var = env.get(SELECT_VAR).filter(|v| !v.is_empty());
    let store = Store::load()?;
    let (name, said) = match (flag, from_var, &store.current) {
        (Some(name), _, _) => (name.to_string(), format!("--connection {name:?}")),
        (None, Some(name), _) => (name.clone(), format!("{SELECT_VAR}={name:?}")),
        (None, None, Some(name)) => (
            name.clone(),
            format!("the connection in use ({name:?}, `qops connection use`)"),
        ),
        (None, None, None) => return Ok(()),
    };
    let connection = store.get(&name).map_err(|e| format!("{said}: {e}"))?;
    let supplied = Supplied::new(&name, connection).map_err(|e| format!("{said}: {e}"))?;
    tracing::info!("connection {name:?} supplies what flags, the environment and .env do not");
    env.use_connection(Arc::new(supplied));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(secret: SecretSource) -> Connection {
        Connection {
            url: "https://acme.eu.qlikcloud.com".into(),
            description: String::new(),
            region_level: false,
            client_id: Some("id1".into()),
            client_secret: Some(secret),
            api_key: None,
        }
    }

    #[test]
    fn supplies_tenant_region_and_client_and_yields_credentials_as_a_unit() {
        let s = Supplied::new("prod", &client(SecretSource::Value("s3".into()))).unwrap();
        let nothing = |_: &str| None;
        let get = |v| s.get(v, &nothing).unwrap();
        assert_eq!(get(vars::TENANT).as_deref(), Some("acme.eu.qlikcloud.com"));
        assert_eq!(
            tenant_value("http://127.0.0.1:8080"),
            "http://127.0.0.1:8080"
        );
        assert_eq!(get(vars::REGION).as_deref(), Some("eu"));
        assert_eq!(get(vars::CLIENT_ID).as_deref(), Some("id1"));
        assert_eq!(get(vars::CLIENT_SECRET).as_deref(), Some("s3"));
        assert_eq!(get(vars::API_KEY), None);
        let key_above = |v: &str| (v == vars::API_KEY).then(|| "k".to_string());
        assert_eq!(s.get(vars::CLIENT_ID, &key_above).unwrap(), None);
        assert_eq!(s.get(vars::CLIENT_SECRET, &key_above).unwrap(), None);
        assert!(!format!("{s:?}").contains("s3\""));
        let fresh = Supplied::new("prod", &client(SecretSource::Value("s3".into()))).unwrap();
        assert_eq!(
            fresh.peek(vars::CLIENT_SECRET, &nothing),
            None,
            "unread stays unread"
        );
        assert_eq!(
            fresh.get(vars::CLIENT_SECRET, &nothing).unwrap().as_deref(),
            Some("s3")
        );
        assert_eq!(
            fresh.peek(vars::CLIENT_SECRET, &nothing).as_deref(),
            Some("s3")
        );
    }

    #[test]
    fn a_secret_that_cannot_be_read_names_the_connection() {
        let s = Supplied::new("prod", &client(SecretSource::Env("QOPS_TEST_NOPE".into()))).unwrap();
        let err = s.get(vars::CLIENT_SECRET, &|_| None).unwrap_err();
        assert!(
            err.contains("\"prod\"") && err.contains("QOPS_TEST_NOPE"),
            "{err}"
        );
    }
}
