//! The HTTP core: authentication, token reuse, redirects, retries, pagination and error mapping.
//!
//! Every request, mutating or not, goes through [`Client::send`]: that is the one place where
//! retries live today and where dry-run and journaling will live.

use super::auth::{ClientAuth, Credentials, Token, TokenCache};
use super::endpoint::Routing;
use super::error::{ApiError, Error, Result};
use crate::secret::Secret;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, AUTHORIZATION, LOCATION, RETRY_AFTER};
use reqwest::{Method, Url};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A shared, cheap-to-clone client: one connection pool and one token cache for all handles and
/// threads of a run.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    routing: Routing,
    tokens: TokenCache,
    retry: RetryPolicy,
}

/// How hard the client tries before reporting a failure.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Waits after a 429 before giving up (each waits out `Retry-After`).
    pub rate_limited: u32,
    /// Longest single `Retry-After` we accept to wait.
    pub max_wait: Duration,
    /// Retries of idempotent requests after 502/503/504 or a lost connection.
    pub transient: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            rate_limited: 5,
            max_wait: Duration::from_secs(300),
            transient: 2,
        }
    }
}

/// A host we talk to (a tenant or a register host) and how we authenticate there.
#[derive(Debug, Clone)]
pub struct Service {
    /// Scheme, host and port, path `/`.
    pub base: Url,
    pub creds: Credentials,
}

impl Service {
    /// The host name, as used in messages.
    pub fn host(&self) -> &str {
        self.base.host_str().unwrap_or_default()
    }

    /// `path` (starting with `/`) on this host, with query pairs encoded.
    pub fn url(&self, path: &str, query: &[(&str, String)]) -> Result<Url> {
        super::endpoint::join(&self.base, path, query)
    }
}

/// One request to send.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: Method,
    pub url: Url,
    pub body: Option<Value>,
    pub headers: Vec<(HeaderName, String)>,
}

impl Request {
    pub fn new(method: Method, url: Url) -> Request {
        Request {
            method,
            url,
            body: None,
            headers: Vec::new(),
        }
    }

    pub fn json(mut self, body: Value) -> Request {
        self.body = Some(body);
        self
    }

    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Request {
        self.headers
            .push((HeaderName::from_static(name), value.into()));
        self
    }
}

/// A successful answer: status 2xx and its JSON body (`null` when empty).
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
}

/// What one exchange on the wire gave back.
struct Raw {
    status: u16,
    headers: HeaderMap,
    body: Vec<u8>,
}

const MAX_REDIRECTS: usize = 5;

impl Client {
    pub fn new(routing: Routing) -> Result<Client> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .user_agent(concat!("qops/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(15))
            .timeout(Duration::from_secs(300))
            .dns_resolver(routing.resolver())
            .build()
            .map_err(|e| Error::Usage(format!("cannot set up HTTP: {e}")))?;
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                routing,
                tokens: TokenCache::default(),
                retry: RetryPolicy::default(),
            }),
        })
    }

    pub fn routing(&self) -> &Routing {
        &self.inner.routing
    }

    /// A service for a host or URL given by a user.
    pub fn service(&self, host: &str, creds: Credentials) -> Result<Service> {
        Ok(Service {
            base: self.inner.routing.base_url(host)?,
            creds,
        })
    }

    /// Sends a request with the service's credentials: follows same-host redirects with the
    /// token, refreshes a rejected token once, waits out 429s (`Retry-After`) for every method,
    /// and retries idempotent requests on 502/503/504 and lost connections.
    pub async fn send(&self, svc: &Service, req: Request) -> Result<Response> {
        let retry = &self.inner.retry;
        let (mut method, mut url, mut body) = (req.method, req.url, req.body);
        let (mut redirects, mut waits, mut transients, mut refreshed) = (0, 0, 0, false);
        let mut with_auth = true;
        loop {
            let token = if with_auth {
                Some(self.token(svc).await?)
            } else {
                None
            };
            let raw = self
                .exchange(&method, &url, &req.headers, body.as_ref(), token.as_ref())
                .await;
            let raw = match raw {
                Err(e @ Error::Transport { .. })
                    if idempotent(&method) && transients < retry.transient =>
                {
                    transients += 1;
                    tracing::warn!("{e}; retrying ({transients}/{})", retry.transient);
                    tokio::time::sleep(backoff(transients)).await;
                    continue;
                }
                other => other?,
            };
            match raw.status {
                200..=299 => {
                    let body = decode(&method, &url, &raw.body)?;
                    return Ok(Response {
                        status: raw.status,
                        headers: raw.headers,
                        body,
                    });
                }
                301 | 302 | 303 | 307 | 308 if redirects < MAX_REDIRECTS => {
                    redirects += 1;
                    let next = location(&method, &url, &raw.headers)?;
                    if !self.inner.routing.allowed(&next) {
                        return Err(Error::decode(
                            method.as_str(),
                            url.as_str(),
                            format!("redirect to a disallowed URL {next}"),
                        ));
                    }
                    // The token belongs to this host only: never forward it elsewhere.
                    with_auth = with_auth && same_origin(&url, &next);
                    if matches!(raw.status, 301..=303) && method != Method::HEAD {
                        method = Method::GET;
                        body = None;
                    }
                    url = next;
                }
                401 if with_auth
                    && !refreshed
                    && matches!(svc.creds, Credentials::Client { .. }) =>
                {
                    refreshed = true;
                    if let Some(t) = &token {
                        tracing::info!("token for {} rejected; fetching a new one", svc.host());
                        self.inner
                            .tokens
                            .invalidate(&origin(&svc.base), &svc.creds.cache_key(), t)
                            .await;
                    }
                }
                429 if waits < retry.rate_limited => {
                    waits += 1;
                    let wait = retry_after(&raw.headers).min(retry.max_wait);
                    tracing::warn!(
                        "{method} {url}: 429 rate limited; waiting {}s as Retry-After asks ({waits}/{})",
                        wait.as_secs_f64(),
                        retry.rate_limited
                    );
                    tokio::time::sleep(wait).await;
                }
                502..=504 if idempotent(&method) && transients < retry.transient => {
                    transients += 1;
                    tracing::warn!(
                        "{method} {url}: {}; retrying ({transients}/{})",
                        raw.status,
                        retry.transient
                    );
                    tokio::time::sleep(backoff(transients)).await;
                }
                status => {
                    return Err(Error::Api(Box::new(ApiError::from_response(
                        status,
                        method.as_str(),
                        url.as_str(),
                        &raw.body,
                    ))));
                }
            }
        }
    }

    /// Every item of a list endpoint: follows `links.next.href` verbatim (same method, same
    /// body, as the official clients do) until it is absent, or until `limit` items are in.
    pub async fn list(
        &self,
        svc: &Service,
        first: Request,
        limit: Option<usize>,
    ) -> Result<Vec<Value>> {
        let mut items = Vec::new();
        let mut page_req = first;
        loop {
            let url = page_req.url.clone();
            let method = page_req.method.clone();
            let template = page_req.clone();
            let page = self.send(svc, page_req).await?.body;
            let data = page.get("data").and_then(Value::as_array).ok_or_else(|| {
                Error::decode(
                    method.as_str(),
                    url.as_str(),
                    "list answer without a `data` array",
                )
            })?;
            items.extend(data.iter().cloned());
            if let Some(n) = limit.filter(|n| items.len() >= *n) {
                items.truncate(n);
                return Ok(items);
            }
            let Some(href) = page.pointer("/links/next/href").and_then(Value::as_str) else {
                return Ok(items);
            };
            let next = url.join(href).map_err(|e| {
                Error::decode(
                    method.as_str(),
                    url.as_str(),
                    format!("bad next link {href:?}: {e}"),
                )
            })?;
            if !same_origin(&svc.base, &next) {
                let msg = format!(
                    "next link {next} leaves {}; not following it with this token",
                    svc.host()
                );
                return Err(Error::decode(method.as_str(), url.as_str(), msg));
            }
            if next == url {
                return Err(Error::decode(
                    method.as_str(),
                    url.as_str(),
                    "next link points to the same page",
                ));
            }
            page_req = Request {
                url: next,
                ..template
            };
        }
    }

    /// The bearer for a service: the API key, or a cached (or freshly fetched) access token.
    async fn token(&self, svc: &Service) -> Result<Secret> {
        if let Credentials::ApiKey(key) = &svc.creds {
            return Ok(key.clone());
        }
        let slot = self
            .inner
            .tokens
            .slot(&origin(&svc.base), &svc.creds.cache_key());
        let mut held = slot.lock().await;
        if let Some(token) = held.as_ref().filter(|t| t.fresh()) {
            return Ok(token.value.clone());
        }
        let token = self.fetch_token(svc).await?;
        let value = token.value.clone();
        *held = Some(token);
        Ok(value)
    }

    /// The JSON body of a token request (what the official clients send): the client
    /// credentials or impersonation grant, authenticated by a secret or a fresh signed assertion.
    fn token_request(&self, creds: &Credentials, token_url: &Url) -> Result<Value> {
        let Credentials::Client {
            id,
            auth,
            scope,
            impersonate,
        } = creds
        else {
            return Err(Error::Usage("API keys are not exchanged for tokens".into()));
        };
        let mut body = json!({"client_id": id, "grant_type": "client_credentials"});
        if let Some(user) = impersonate {
            body["grant_type"] = json!(crate::wire::GRANT_IMPERSONATION);
            body["user_lookup"] = json!({"field": user.field, "value": user.value});
        }
        match auth {
            ClientAuth::Secret(secret) => body["client_secret"] = json!(secret.expose()),
            ClientAuth::PrivateKey(key) => {
                let assertion = key
                    .assertion(id, token_url.as_str())
                    .map_err(Error::Usage)?;
                body["client_assertion_type"] = json!(crate::wire::CLIENT_ASSERTION_TYPE);
                body["client_assertion"] = json!(assertion);
            }
        }
        if let Some(scope) = scope {
            body["scope"] = json!(scope);
        }
        Ok(body)
    }

    /// POST `/oauth/token` on the service's own host: tokens are scoped to it.
    async fn fetch_token(&self, svc: &Service) -> Result<Token> {
        let url = svc.url("/oauth/token", &[])?;
        let mut transients = 0;
        let raw = loop {
            let body = self.token_request(&svc.creds, &url)?;
            match self
                .exchange(&Method::POST, &url, &[], Some(&body), None)
                .await
            {
                Err(e @ Error::Transport { .. }) if transients < self.inner.retry.transient => {
                    transients += 1;
                    tracing::warn!(
                        "{e}; retrying ({transients}/{})",
                        self.inner.retry.transient
                    );
                    tokio::time::sleep(backoff(transients)).await;
                }
                other => break other?,
            }
        };
        if !(200..300).contains(&raw.status) {
            return Err(Error::Api(Box::new(ApiError::from_response(
                raw.status,
                "POST",
                url.as_str(),
                &raw.body,
            ))));
        }
        let answer = decode(&Method::POST, &url, &raw.body)?;
        let access = answer
            .get("access_token")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                Error::decode("POST", url.as_str(), "token answer without access_token")
            })?;
        if let Some(kind) = answer.get("token_type").and_then(Value::as_str) {
            if !kind.eq_ignore_ascii_case(crate::wire::TOKEN_TYPE) {
                return Err(Error::decode(
                    "POST",
                    url.as_str(),
                    format!("token_type {kind:?} is not a bearer token"),
                ));
            }
        }
        let lifetime = answer
            .get("expires_in")
            .and_then(Value::as_u64)
            .unwrap_or(crate::wire::TOKEN_LIFETIME_SECS);
        tracing::debug!(
            "token for {} from {} valid {lifetime}s",
            svc.creds.label(),
            svc.host()
        );
        Ok(Token::new(
            Secret::new(access),
            Duration::from_secs(lifetime),
        ))
    }

    /// One HTTP exchange, logged as `METHOD URL -> STATUS (ms)`; the bearer is never logged.
    async fn exchange(
        &self,
        method: &Method,
        url: &Url,
        headers: &[(HeaderName, String)],
        body: Option<&Value>,
        bearer: Option<&Secret>,
    ) -> Result<Raw> {
        let started = Instant::now();
        let mut rb = self
            .inner
            .http
            .request(method.clone(), url.clone())
            .header("accept", "application/json");
        for (name, value) in headers {
            let value = HeaderValue::from_str(value)
                .map_err(|_| Error::Usage(format!("invalid value for header {name}")))?;
            rb = rb.header(name, value);
        }
        if let Some(bearer) = bearer {
            let mut value =
                HeaderValue::from_str(&format!("Bearer {}", bearer.expose())).map_err(|_| {
                    Error::Usage(
                        "the token or API key contains characters not allowed in a header".into(),
                    )
                })?;
            value.set_sensitive(true);
            rb = rb.header(AUTHORIZATION, value);
        }
        if let Some(body) = body {
            rb = rb.json(body);
        }
        let transport = |e: reqwest::Error| Error::Transport {
            method: method.to_string(),
            url: url.to_string(),
            message: describe(&e),
        };
        let resp = rb.send().await.map_err(transport)?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.bytes().await.map_err(transport)?.to_vec();
        tracing::info!(target: "qops::http", "{method} {url} -> {status} ({} ms)", started.elapsed().as_millis());
        Ok(Raw {
            status,
            headers,
            body,
        })
    }
}

fn idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS
    )
}

fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(250 * 2u64.pow(attempt.min(6)))
}

fn retry_after(headers: &HeaderMap) -> Duration {
    headers
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
        .unwrap_or(Duration::from_secs(1))
}

fn location(method: &Method, url: &Url, headers: &HeaderMap) -> Result<Url> {
    let href = headers
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            Error::decode(
                method.as_str(),
                url.as_str(),
                "redirect without a Location header",
            )
        })?;
    url.join(href).map_err(|e| {
        Error::decode(
            method.as_str(),
            url.as_str(),
            format!("bad Location {href:?}: {e}"),
        )
    })
}

pub(crate) fn decode(method: &Method, url: &Url, body: &[u8]) -> Result<Value> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    serde_json::from_slice(body).map_err(|e| {
        Error::decode(
            method.as_str(),
            url.as_str(),
            format!("body is not JSON ({e})"),
        )
    })
}

/// `scheme://host:port`, the unit tokens are scoped to.
pub fn origin(url: &Url) -> String {
    url.origin().ascii_serialization()
}

fn same_origin(a: &Url, b: &Url) -> bool {
    a.origin() == b.origin()
}

/// A transport error by its causes ("tcp connect error: Connection refused"), without the
/// URL that the caller already prints.
pub(crate) fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        return "timed out".to_string();
    }
    let mut parts: Vec<String> = Vec::new();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        let s = cause.to_string();
        if !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
        source = cause.source();
    }
    if parts.is_empty() {
        e.to_string()
    } else {
        parts.join(": ")
    }
}
