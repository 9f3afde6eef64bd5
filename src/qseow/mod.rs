//! An async client for a Qlik Sense Enterprise on Windows site: the repository (QRS) and the
//! hybrid deployment service (HDS) that holds multi-cloud deployments.
//!
//! Every call carries a fresh 16-character Xrfkey in the query and in `X-Qlik-Xrfkey`, and
//! `X-Qlik-User: UserDirectory=...; UserId=...`. Three ways in: a client certificate on port 4242
//! (`https://host:4242/qrs`), or a virtual proxy (`https://host/prefix/qrs`) with header
//! authentication or a JWT bearer.

mod deployments;
pub mod drift;
mod qrs;
mod rules;

use crate::cloud::error::{Error, Result};
use crate::cloud::http::{Request, Response};
use crate::cloud::{Client, Credentials, Service};
use crate::secret::Secret;
use reqwest::header::HeaderName;
use reqwest::Method;
use serde_json::Value;

pub use deployments::NewDeployment;
pub use rules::new_policy;

/// How the site knows who we are.
#[derive(Debug, Clone)]
pub enum SiteAuth {
    /// Port 4242 with the site's exported client certificate (PEM files).
    Certificate { cert_pem: Vec<u8>, key_pem: Secret },
    /// A header-authentication virtual proxy: this header carries the user id.
    Header { name: String },
    /// A JWT virtual proxy: `Authorization: Bearer <jwt>`.
    Jwt(Secret),
    /// Nothing beyond Xrfkey and X-Qlik-User (what a certificate client looks like to the simulator).
    Trusted,
}

/// A QSEoW site and the identity we act as there. Its requests go through the one
/// [`Client::send`] of the run: the same retries, waits, redirect rules, logging and cancellation
/// as Qlik Cloud calls.
#[derive(Clone)]
pub struct Site {
    client: Client,
    /// Base `https://host:4242/` or `https://host/prefix/`; the bearer, if any; the TLS identity.
    svc: Service,
    pub user_directory: String,
    pub user_id: String,
    /// The header a header-authentication virtual proxy reads the user id from.
    user_header: Option<HeaderName>,
}

/// Options for [`Site::connect`].
#[derive(Debug, Clone, Default)]
pub struct SiteOptions {
    pub auth: Option<SiteAuth>,
    pub user_directory: Option<String>,
    pub user_id: Option<String>,
    /// The site's root CA (PEM), to trust its self-signed server certificate.
    pub root_ca_pem: Option<Vec<u8>>,
}

impl Site {
    pub fn connect(client: &Client, url: &str, opts: SiteOptions) -> Result<Site> {
        let base = client.routing().prefix_url(url)?;
        let auth = opts.auth.unwrap_or(SiteAuth::Trusted);
        let identity = match &auth {
            SiteAuth::Certificate { cert_pem, key_pem } => {
                let mut pem = cert_pem.clone();
                pem.push(b'\n');
                pem.extend_from_slice(key_pem.expose().as_bytes());
                Some(reqwest::Identity::from_pem(&pem).map_err(|_| {
                    Error::Usage(
                        "client certificate: the cert and key files are not a PEM certificate and its private key"
                            .into(),
                    )
                })?)
            }
            _ => None,
        };
        let root = match &opts.root_ca_pem {
            Some(ca) => Some(reqwest::Certificate::from_pem(ca).map_err(|_| {
                Error::Usage("root certificate: the file is not a PEM certificate".into())
            })?),
            None => None,
        };
        let tls = if identity.is_some() || root.is_some() {
            Some(client.tls_pool(identity, root)?)
        } else {
            None
        };
        let user_header = match &auth {
            SiteAuth::Header { name } => {
                Some(HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
                    Error::Usage(format!(
                        "invalid header name {name:?} for header authentication"
                    ))
                })?)
            }
            _ => None,
        };
        let creds = match auth {
            SiteAuth::Jwt(token) => Credentials::Jwt(token),
            _ => Credentials::Anonymous,
        };
        Ok(Site {
            client: client.clone(),
            svc: Service { base, creds, tls },
            user_directory: opts.user_directory.unwrap_or_else(|| "INTERNAL".into()),
            user_id: opts.user_id.unwrap_or_else(|| "sa_api".into()),
            user_header,
        })
    }

    pub fn host(&self) -> &str {
        self.svc.host()
    }

    /// One call with a fresh Xrfkey: the JSON answer (`null` when empty).
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<Value> {
        self.exchange(method, path, query, body).await?.json()
    }

    /// One GET whose answer is text (a JSON string is unquoted).
    pub async fn get_text(&self, path: &str, query: &[(&str, String)]) -> Result<String> {
        Ok(self.exchange(Method::GET, path, query, None).await?.text())
    }

    /// `path` (no leading `/`, e.g. `qrs/app/full`) under the site's base, with the Xrfkey in
    /// the query and in `X-Qlik-Xrfkey`, and the user in `X-Qlik-User`. A 409 is a
    /// [`Error::Conflict`].
    async fn exchange(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<Response> {
        let xrfkey = xrfkey();
        let mut url = self.svc.url(&format!("/{path}"), query)?;
        url.query_pairs_mut().append_pair("xrfkey", &xrfkey);
        let user = format!(
            "UserDirectory={}; UserId={}",
            self.user_directory, self.user_id
        );
        let mut req = Request::new(method, url)
            .header("x-qlik-xrfkey", xrfkey)
            .header("x-qlik-user", user);
        if let Some(name) = &self.user_header {
            req.headers.push((name.clone(), self.user_id.clone()));
        }
        req.body = body.cloned();
        match self.client.send(&self.svc, req).await {
            Err(Error::Api(err)) if err.status == 409 => Err(Error::Conflict(err)),
            other => other,
        }
    }

    pub async fn get(&self, path: &str, query: &[(&str, String)]) -> Result<Value> {
        self.send(Method::GET, path, query, None).await
    }

    /// A GET answering an array.
    pub async fn get_list(&self, path: &str, query: &[(&str, String)]) -> Result<Vec<Value>> {
        match self.get(path, query).await? {
            Value::Array(items) => Ok(items),
            other => Err(Error::decode(
                "GET",
                path,
                format!("expected an array, got {}", kind(&other)),
            )),
        }
    }
}

/// Whether an entity's `name` is `name`, ignoring case (QSEoW names are case-insensitive).
pub fn named(entity: &Value, name: &str) -> bool {
    entity
        .get("name")
        .and_then(Value::as_str)
        .is_some_and(|n| n.eq_ignore_ascii_case(name))
}

/// Whether an entity is the one with this id or (case-insensitive) name.
pub fn is(entity: &Value, id_or_name: &str) -> bool {
    entity.get("id").and_then(Value::as_str) == Some(id_or_name) || named(entity, id_or_name)
}

/// 16 characters of `0-9a-zA-Z`, new for every call.
pub fn xrfkey() -> String {
    const CHARS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    (0..16)
        .map(|_| CHARS[fastrand::usize(..CHARS.len())] as char)
        .collect()
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xrfkeys_are_sixteen_alphanumerics_and_new_each_time() {
        let a = xrfkey();
        assert_eq!(a.len(), 16);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(a, xrfkey());
    }
}
