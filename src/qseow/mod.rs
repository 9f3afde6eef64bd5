//! An async client for a Qlik Sense Enterprise on Windows site: the repository (QRS) and the
//! hybrid deployment service (HDS) that holds multi-cloud deployments.
//!
//! Every call carries a fresh 16-character Xrfkey in the query and in `X-Qlik-Xrfkey`, and
//! `X-Qlik-User: UserDirectory=...; UserId=...`. Three ways in: a client certificate on port 4242
//! (`https://host:4242/qrs`), or a virtual proxy (`https://host/prefix/qrs`) with header
//! authentication or a JWT bearer.

mod deployments;
mod qrs;
mod rules;

use crate::cloud::endpoint::Routing;
use crate::cloud::error::{ApiError, Error, Result};
use crate::cloud::http::{decode, describe};
use crate::secret::Secret;
use reqwest::{Method, Url};
use serde_json::Value;
use std::time::{Duration, Instant};

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

/// A QSEoW site and the identity we act as there.
#[derive(Clone)]
pub struct Site {
    http: reqwest::Client,
    /// Ends in `/`: `https://host:4242/` or `https://host/prefix/`.
    pub base: Url,
    pub user_directory: String,
    pub user_id: String,
    auth: SiteAuth,
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
    pub fn connect(routing: &Routing, url: &str, opts: SiteOptions) -> Result<Site> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let base = routing.prefix_url(url)?;
        let auth = opts.auth.unwrap_or(SiteAuth::Trusted);
        let mut builder = reqwest::Client::builder()
            .user_agent(concat!("qops/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(15))
            .timeout(Duration::from_secs(300))
            .dns_resolver(routing.resolver());
        if let SiteAuth::Certificate { cert_pem, key_pem } = &auth {
            let mut pem = cert_pem.clone();
            pem.push(b'\n');
            pem.extend_from_slice(key_pem.expose().as_bytes());
            let identity = reqwest::Identity::from_pem(&pem)
                .map_err(|e| Error::Usage(format!("client certificate: {e}")))?;
            builder = builder.identity(identity);
        }
        if let Some(ca) = &opts.root_ca_pem {
            let cert = reqwest::Certificate::from_pem(ca)
                .map_err(|e| Error::Usage(format!("root certificate: {e}")))?;
            builder = builder.add_root_certificate(cert);
        }
        let http = builder
            .build()
            .map_err(|e| Error::Usage(format!("cannot set up HTTP: {e}")))?;
        Ok(Site {
            http,
            base,
            user_directory: opts.user_directory.unwrap_or_else(|| "INTERNAL".into()),
            user_id: opts.user_id.unwrap_or_else(|| "sa_api".into()),
            auth,
        })
    }

    pub fn host(&self) -> &str {
        self.base.host_str().unwrap_or_default()
    }

    /// `path` (no leading `/`, e.g. `qrs/app/full`) under the site's base, with query pairs.
    fn url(&self, path: &str, query: &[(&str, String)]) -> Result<Url> {
        crate::cloud::endpoint::join(&self.base, path.trim_start_matches('/'), query)
    }

    /// One call with a fresh Xrfkey: the JSON answer (`null` when empty).
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<Value> {
        let (url, bytes) = self.exchange(method.clone(), path, query, body).await?;
        decode(&method, &url, &bytes)
    }

    /// One GET whose answer is text (a JSON string is unquoted).
    pub async fn get_text(&self, path: &str, query: &[(&str, String)]) -> Result<String> {
        let (_, bytes) = self.exchange(Method::GET, path, query, None).await?;
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(Value::String(s)) => Ok(s),
            _ => Ok(String::from_utf8_lossy(&bytes).trim().to_string()),
        }
    }

    /// Sends one request; the URL shown in logs and errors has no Xrfkey.
    async fn exchange(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<(Url, Vec<u8>)> {
        let xrfkey = xrfkey();
        let mut url = self.url(path, query)?;
        url.query_pairs_mut().append_pair("xrfkey", &xrfkey);
        let started = Instant::now();
        let user = format!(
            "UserDirectory={}; UserId={}",
            self.user_directory, self.user_id
        );
        let mut rb = self
            .http
            .request(method.clone(), url.clone())
            .header("accept", "application/json")
            .header("X-Qlik-Xrfkey", &xrfkey)
            .header("X-Qlik-User", user);
        match &self.auth {
            SiteAuth::Header { name } => rb = rb.header(name.as_str(), self.user_id.as_str()),
            SiteAuth::Jwt(token) => {
                let mut value =
                    reqwest::header::HeaderValue::from_str(&format!("Bearer {}", token.expose()))
                        .map_err(|_| {
                        Error::Usage("the JWT contains characters not allowed in a header".into())
                    })?;
                value.set_sensitive(true);
                rb = rb.header(reqwest::header::AUTHORIZATION, value);
            }
            SiteAuth::Certificate { .. } | SiteAuth::Trusted => {}
        }
        if let Some(body) = body {
            rb = rb.json(body);
        }
        let shown = redact_xrfkey(&url);
        let transport = |e: reqwest::Error| Error::Transport {
            method: method.to_string(),
            url: shown.clone(),
            message: describe(&e),
        };
        let resp = rb.send().await.map_err(transport)?;
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await.map_err(transport)?.to_vec();
        tracing::info!(target: "qops::http", "{method} {shown} -> {status} ({} ms)", started.elapsed().as_millis());
        if (200..300).contains(&status) {
            return Ok((url, bytes));
        }
        let err = ApiError::from_response(status, method.as_str(), &shown, &bytes);
        if status == 409 {
            return Err(Error::Conflict(Box::new(err)));
        }
        Err(Error::Api(Box::new(err)))
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

/// Xrfkeys are throwaway, but keep logs stable and short.
fn redact_xrfkey(url: &Url) -> String {
    let mut shown = url.clone();
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != "xrfkey")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    shown.set_query(None);
    if !pairs.is_empty() {
        shown.query_pairs_mut().extend_pairs(pairs);
    }
    shown.to_string()
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

    #[test]
    fn logs_do_not_carry_the_xrfkey() {
        let url = Url::parse("https://h:4242/qrs/app?filter=a&xrfkey=abcdefghijklmnop").unwrap();
        assert_eq!(redact_xrfkey(&url), "https://h:4242/qrs/app?filter=a");
    }
}
