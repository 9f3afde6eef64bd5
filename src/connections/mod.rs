//! Named connections: a tenant (or a region's registration service) and where its credentials
//! come from, saved under a name in `$XDG_CONFIG_HOME/qops/connections.toml`.
//!
//! - [`rules`]: what names and descriptions may be (the seed "Qlik Cloud connection properties").
//! - [`store`]: the file (owner-only, written atomically) and the connection in use.
//! - [`secret_source`] and [`vault`]: environment variable, OS keyring, command or clear value.
//! - [`supplied`]: the variables a connection supplies to a run, under flags, the environment
//!   and `.env`.
//! - [`import`]: qlik-cli's `contexts.yml`.
//! - [`command`]: `qops connection add|list|show|test|remove|use|import`.

mod command;
mod import;
mod rules;
mod secret_source;
mod store;
mod supplied;
mod vault;

pub use command::{run, ConnectionArgs};
pub use supplied::{apply, Supplied};

use crate::cloud::{self, Client, ClientAuth, Credentials};
use crate::regions::{self, Region};
use secret_source::{Deferred, SecretSource};
use serde::{Deserialize, Serialize};

/// One saved connection (its name is its key in the file).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Connection {
    /// `https://TENANT.REGION.qlikcloud.com`; for a region-level client the register host
    /// (`https://register.eu.qlikcloud.com`) or a region code (`eu`).
    pub url: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub region_level: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<SecretSource>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key: Option<SecretSource>,
}

/// How a connection authenticates.
pub enum Auth<'a> {
    ApiKey(&'a SecretSource),
    Client {
        id: &'a str,
        secret: &'a SecretSource,
    },
}

/// What a connection's URL names.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// A tenant host (or URL), and its region when the host says.
    Tenant {
        host: String,
        region: Option<&'static Region>,
    },
    /// A region's registration service: at the given host, or (a bare region code) at the
    /// register host of the run's domain, as `region("eu")`.
    Region {
        region: &'static Region,
        host: Option<String>,
    },
}

impl Connection {
    /// The credentials' shape, checked (a hand-edited file may hold anything).
    pub fn auth(&self) -> Result<Auth<'_>, String> {
        match (&self.client_id, &self.client_secret, &self.api_key) {
            (Some(id), Some(secret), None) if !id.is_empty() => Ok(Auth::Client { id, secret }),
            (None, None, Some(key)) if !self.region_level => Ok(Auth::ApiKey(key)),
            (None, None, Some(_)) => {
                Err("a region-level connection needs an OAuth client, not an API key".into())
            }
            _ => Err("a connection needs an API key, or a client_id with a client_secret".into()),
        }
    }

    /// The secret source of this connection's credentials.
    pub fn secret_source(&self) -> Option<&SecretSource> {
        self.client_secret.as_ref().or(self.api_key.as_ref())
    }

    pub fn target(&self) -> Result<Target, String> {
        parse_target(&self.url, self.region_level)
    }

    /// The credentials of connection `name`: a secret in a variable (`env` looks it up) or
    /// the file is read now, one in the keyring or behind a command when the first token is
    /// fetched.
    pub fn credentials(
        &self,
        name: &str,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Credentials, String> {
        Ok(match self.auth()? {
            Auth::ApiKey(source) => match source.deferred(name, env)? {
                Deferred::Now(key) => Credentials::ApiKey(key),
                Deferred::Later(key) => Credentials::LazyApiKey(key),
            },
            Auth::Client { id, secret } => Credentials::Client {
                id: id.to_string(),
                auth: match secret.deferred(name, env)? {
                    Deferred::Now(secret) => ClientAuth::Secret(secret),
                    Deferred::Later(secret) => ClientAuth::Lazy(secret),
                },
                scope: None,
                impersonate: None,
            },
        })
    }
}

/// The saved connection called `name`.
pub fn find(name: &str) -> Result<Connection, String> {
    store::Store::load()?.get(name).cloned()
}

/// The tenant API of a tenant-level connection.
pub fn tenant_api(client: &Client, host: &str, creds: Credentials) -> cloud::Result<cloud::Tenant> {
    cloud::Tenant::new(client, host, creds)
}

/// The registration service of a region-level connection. A connection naming its register
/// host is sent to that host (so the simulator sandbox judges it like any host); a bare region
/// code follows the run's domain, as `region(code)` does.
pub fn region_api(
    client: &Client,
    region: &'static Region,
    host: Option<&str>,
    creds: Credentials,
) -> cloud::Result<cloud::Registration> {
    match host {
        None => cloud::Registration::new(client, region, creds),
        Some(host) => Ok(cloud::Registration {
            client: client.clone(),
            svc: client.service(host, creds)?,
            region,
        }),
    }
}

/// What `url` names: a tenant, or (region-level) a region code or a register host.
pub fn parse_target(url: &str, region_level: bool) -> Result<Target, String> {
    let url = url.trim();
    if region_level {
        if let Some(region) = regions::by_code(url) {
            return Ok(Target::Region { region, host: None });
        }
    }
    let host = host_of(url)?;
    let region = regions::of_host(&host);
    if !region_level {
        return Ok(Target::Tenant {
            host: url.to_string(),
            region,
        });
    }
    match (host.split('.').next(), region) {
        (Some("register"), Some(region)) => Ok(Target::Region {
            region,
            host: Some(url.to_string()),
        }),
        _ => Err(format!(
            "a region-level connection names a region ({}) or its register host (https://register.REGION.qlikcloud.com), not {host}",
            regions::codes()
        )),
    }
}

/// The host of a URL or host name a user gave, refusing what cannot be a Qlik Cloud base URL:
/// credentials in it, a path, a query, a scheme other than http(s).
fn host_of(input: &str) -> Result<String, String> {
    if input.is_empty() {
        return Err("the URL is empty: give https://TENANT.REGION.qlikcloud.com".into());
    }
    let with_scheme = if input.contains("://") {
        input.to_string()
    } else {
        format!("https://{input}")
    };
    let shown = if input.contains('@') {
        "the URL".to_string()
    } else {
        format!("{input:?}")
    };
    let url = reqwest::Url::parse(&with_scheme).map_err(|e| format!("invalid URL {shown}: {e}"))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err("a connection URL holds no credentials (user:password@): give them with --client-id and a secret source".into());
    }
    if !matches!(url.scheme(), "https" | "http") {
        return Err(format!("invalid URL {shown}: the scheme must be https"));
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(format!(
            "invalid URL {shown}: a connection URL is the tenant's base URL, https://TENANT.REGION.qlikcloud.com, without a path"
        ));
    }
    url.host_str()
        .filter(|h| !h.is_empty())
        .map(str::to_ascii_lowercase)
        .ok_or_else(|| format!("invalid URL {shown}: no host"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_a_tenant_or_a_region() {
        let t = parse_target("https://acme.eu.qlikcloud.com", false).unwrap();
        assert!(matches!(t, Target::Tenant { region: Some(r), .. } if r.code == "eu"));
        let r = parse_target("eu", true).unwrap();
        assert!(matches!(r, Target::Region { region, host: None } if region.code == "eu"));
        let h = parse_target("https://register.us.qlik.localhost", true).unwrap();
        assert!(matches!(h, Target::Region { host: Some(_), .. }));
        assert!(parse_target("https://acme.eu.qlikcloud.com", true).is_err());
        for bad in [
            "https://acme.eu.qlikcloud.com/api",
            "ftp://acme.eu.qlikcloud.com",
            "https://u:p@acme.eu.qlikcloud.com",
            "",
        ] {
            let err = parse_target(bad, false).unwrap_err();
            assert!(!err.contains(":p@"), "{err}");
        }
    }
}
