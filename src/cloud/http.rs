//! The HTTP core: authentication, token reuse, redirects, retries, pagination and error mapping.
//!
//! Every request, mutating or not, goes through [`Client::send`]: that is the one place where
//! retries live today and where dry-run and journaling will live.

use super::auth::{ClientAuth, Credentials, Token, TokenCache};
use super::budget::{Budgets, Tier};
use super::endpoint::Routing;
use super::error::{ApiError, Error, Result};
use super::plan::Plan;
use super::reconcile::{self, Natural};
use crate::journal::{self, Journal, Known};
use crate::secret::Secret;
use reqwest::header::{
    HeaderMap, HeaderName, HeaderValue, AUTHORIZATION, COOKIE, LOCATION, RETRY_AFTER,
};
use reqwest::{Method, Url};
use serde_json::{json, Value};
use std::sync::{Arc, OnceLock};
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
    budgets: Budgets,
    /// Set by `--journal`, or once by a script's `journal(path)`.
    journal: OnceLock<Arc<Journal>>,
    /// Set by `--dry-run`: mutations are planned, not sent.
    plan: Option<Plan>,
}

/// What a run asks of its client beyond routing.
#[derive(Debug, Clone, Default)]
pub struct ClientOptions {
    /// `--journal FILE`: every mutation exactly once across reruns.
    pub journal: Option<Arc<Journal>>,
    /// `--dry-run`: mutations recorded in a plan and answered with placeholders.
    pub dry_run: bool,
}

/// How hard the client tries before reporting a failure.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Waits after a 429 (or a 503 with `Retry-After`) before giving up.
    pub rate_limited: u32,
    /// Longest single `Retry-After` we accept to wait.
    pub max_wait: Duration,
    /// Retries of idempotent requests after 500/502/503/504 or a lost connection.
    pub transient: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            rate_limited: 5,
            max_wait: Duration::from_secs(300),
            transient: 3,
        }
    }
}

/// A host we talk to (a tenant, a register host, a QSEoW site) and how we authenticate there.
#[derive(Debug, Clone)]
pub struct Service {
    /// Scheme, host and port; path `/` or a prefix ending in `/` (a QSEoW virtual proxy).
    pub base: Url,
    pub creds: Credentials,
    /// A connection pool with a TLS identity or root of its own (a QSEoW site's client
    /// certificate); `None` uses the client's shared pool.
    pub tls: Option<reqwest::Client>,
}

impl Service {
    /// The host name, as used in messages.
    pub fn host(&self) -> &str {
        self.base.host_str().unwrap_or_default()
    }

    /// `path` (starting with `/`) under this service's base, with query pairs encoded; see
    /// [`super::endpoint::join`] for what is refused.
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
    /// A body that is not JSON (an app file), sent as is; takes the place of `body`.
    pub raw: Option<RawBody>,
    /// Where a successful answer's body goes, a chunk at a time, instead of into memory.
    pub sink: Option<Download>,
    pub headers: Vec<(HeaderName, String)>,
    /// Whether the request may be repeated after a lost answer or a 5xx: by default the
    /// method's own idempotence; a token request is idempotent though it is a POST.
    pub idempotent: bool,
    /// Whether the service's bearer goes with it (not for the token request itself).
    pub authenticated: bool,
    /// Whether it may change something: not a GET, and not one of the POSTs that only read
    /// (`.../actions/filter`, `.../actions/count`, the hybrid deployment service's test).
    /// Mutations are planned under `--dry-run`, journaled and reconciled.
    pub mutating: bool,
}

impl Request {
    pub fn new(method: Method, url: Url) -> Request {
        let path = url.path();
        let reads_only = path.ends_with("/actions/filter")
            || path.ends_with("/actions/count")
            || exports_only(path)
            || path
                .strip_suffix(crate::wire::HDS_TEST_CONNECTION)
                .is_some_and(|rest| rest.ends_with('/'));
        let reads = matches!(method, Method::GET | Method::HEAD | Method::OPTIONS) || reads_only;
        Request {
            idempotent: idempotent(&method),
            mutating: !reads,
            method,
            url,
            body: None,
            raw: None,
            sink: None,
            headers: Vec::new(),
            authenticated: true,
        }
    }

    /// Whether sending it twice does what sending it once does: an idempotent method (or a
    /// request marked so), or a JSON Patch made only of `replace` operations.
    pub fn repeatable(&self) -> bool {
        self.idempotent
            || (self.method == Method::PATCH
                && self
                    .body
                    .as_ref()
                    .and_then(Value::as_array)
                    .is_some_and(|ops| {
                        !ops.is_empty()
                            && ops
                                .iter()
                                .all(|op| op.get("op").and_then(Value::as_str) == Some("replace"))
                    }))
    }

    pub fn json(mut self, body: Value) -> Request {
        self.body = Some(body);
        self
    }

    /// Sends `bytes` as the body, with `content_type`.
    pub fn bytes(mut self, content_type: &'static str, bytes: Arc<Vec<u8>>) -> Request {
        self.body = None;
        self.raw = Some(RawBody {
            content_type,
            bytes,
        });
        self
    }

    /// What identifies the body in a journal key: the JSON text, or a SHA-256 digest of raw
    /// bytes (an app file of megabytes is not copied into every key).
    fn key_body(&self) -> Vec<u8> {
        match (&self.raw, &self.body) {
            (Some(raw), _) => {
                let digest = ring::digest::digest(&ring::digest::SHA256, &raw.bytes);
                let hex: String = digest.as_ref().iter().map(|b| format!("{b:02x}")).collect();
                format!("sha256:{hex}").into_bytes()
            }
            (None, Some(body)) => body.to_string().into_bytes(),
            (None, None) => Vec::new(),
        }
    }

    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Request {
        self.headers
            .push((HeaderName::from_static(name), value.into()));
        self
    }
}

/// A body sent as raw bytes with its own content type.
#[derive(Clone)]
pub struct RawBody {
    pub content_type: &'static str,
    pub bytes: Arc<Vec<u8>>,
}

/// The length, not the bytes.
impl std::fmt::Debug for RawBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({} bytes)", self.content_type, self.bytes.len())
    }
}

/// What receives a download ([`Request::sink`]): chunks in order; `restart` when a retry
/// starts the body over. An error stops the download and is the request's error.
pub trait Sink: Send {
    fn restart(&mut self) -> std::result::Result<(), String>;
    fn write(&mut self, chunk: &[u8]) -> std::result::Result<(), String>;
}

/// A shared [`Sink`], as a request carries it.
#[derive(Clone)]
pub struct Download(pub Arc<std::sync::Mutex<dyn Sink>>);

impl std::fmt::Debug for Download {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Download")
    }
}

/// What an exchange sends and where its answer goes.
struct Io<'a> {
    body: Option<&'a Value>,
    raw: Option<&'a RawBody>,
    sink: Option<&'a Download>,
}

/// `POST /api/v1/apps/{appId}/export` only makes a temporary file to download: like the
/// read-only actions it is neither planned under `--dry-run` nor journaled (a journaled answer
/// would point at a download that has since expired).
fn exports_only(path: &str) -> bool {
    path.strip_suffix("/export")
        .and_then(|rest| rest.rsplit_once('/'))
        .is_some_and(|(apps, id)| apps.ends_with("/api/v1/apps") && !id.is_empty())
}

/// A successful answer: status 2xx and its body.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: HeaderMap,
    pub bytes: Vec<u8>,
    /// What the request was, for messages (`GET https://...`, no Xrfkey).
    what: (Method, String),
}

impl Response {
    /// An answer made here, not received: replayed from the journal, adopted by
    /// reconciliation, or a dry-run placeholder.
    pub fn synthetic(status: u16, body: &Value, req: &Request) -> Response {
        let bytes = if body.is_null() {
            Vec::new()
        } else {
            body.to_string().into_bytes()
        };
        Response::made(status, bytes, req)
    }

    fn made(status: u16, bytes: Vec<u8>, req: &Request) -> Response {
        Response {
            status,
            headers: HeaderMap::new(),
            bytes,
            what: (req.method.clone(), shown(&req.url)),
        }
    }

    /// The body as JSON (`null` when empty); an error naming the request when it is not JSON.
    pub fn json(&self) -> Result<Value> {
        decode(&self.what.0, &self.what.1, &self.bytes)
    }

    /// The body as text; a JSON string is unquoted.
    pub fn text(&self) -> String {
        match serde_json::from_slice::<Value>(&self.bytes) {
            Ok(Value::String(s)) => s,
            _ => String::from_utf8_lossy(&self.bytes).trim().to_string(),
        }
    }
}

/// What one exchange on the wire gave back.
struct Raw {
    status: u16,
    headers: HeaderMap,
    body: Vec<u8>,
}

/// An exchange that got no answer, and whether the request may have reached the server.
struct Lost {
    error: Error,
    maybe_delivered: bool,
}

impl From<Error> for Lost {
    fn from(error: Error) -> Lost {
        Lost {
            error,
            maybe_delivered: false,
        }
    }
}

const MAX_REDIRECTS: usize = 5;

/// The largest answer body we read into memory; a larger one is a decode error, not an abort.
pub const MAX_BODY_BYTES: usize = 64 << 20;

/// The one TLS set-up of the process (rustls with ring), for every pool.
fn http_builder(routing: &Routing) -> reqwest::ClientBuilder {
    static PROVIDER: std::sync::Once = std::sync::Once::new();
    PROVIDER.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
    reqwest::Client::builder()
        .user_agent(concat!("qops/", env!("CARGO_PKG_VERSION")))
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(15))
        .timeout(Duration::from_secs(300))
        .dns_resolver(routing.resolver())
}

fn build(builder: reqwest::ClientBuilder) -> Result<reqwest::Client> {
    builder
        .build()
        .map_err(|e| Error::Usage(format!("cannot set up HTTP: {}", describe(&e))))
}

impl Client {
    pub fn new(routing: Routing, options: ClientOptions) -> Result<Client> {
        let http = build(http_builder(&routing))?;
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                routing,
                tokens: TokenCache::default(),
                retry: RetryPolicy::default(),
                budgets: Budgets::default(),
                journal: options.journal.map(OnceLock::from).unwrap_or_default(),
                plan: options.dry_run.then(Plan::default),
            }),
        })
    }

    /// The run's journal, if any.
    pub fn journal(&self) -> Option<&Arc<Journal>> {
        self.inner.journal.get()
    }

    /// Journals the rest of the run in `journal`, unless the run already has one (which stays).
    pub fn use_journal(&self, journal: Arc<Journal>) -> bool {
        self.inner.journal.set(journal).is_ok()
    }

    /// The dry run's plan, when `--dry-run` is on.
    pub fn plan(&self) -> Option<&Plan> {
        self.inner.plan.as_ref()
    }

    pub fn routing(&self) -> &Routing {
        &self.inner.routing
    }

    /// A service for a host or URL given by a user.
    pub fn service(&self, host: &str, creds: Credentials) -> Result<Service> {
        Ok(Service {
            base: self.inner.routing.base_url(host)?,
            creds,
            tls: None,
        })
    }

    /// A pool with the shared settings plus a client certificate and/or an extra trusted root,
    /// for a [`Service::tls`].
    pub fn tls_pool(
        &self,
        identity: Option<reqwest::Identity>,
        root: Option<reqwest::Certificate>,
    ) -> Result<reqwest::Client> {
        let mut builder = http_builder(&self.inner.routing);
        if let Some(identity) = identity {
            builder = builder.identity(identity);
        }
        if let Some(root) = root {
            builder = builder.add_root_certificate(root);
        }
        build(builder)
    }

    /// The one way out for every request to Qlik Cloud and QSEoW. Reads go straight to
    /// [`Client::transmit`]. A mutation is planned under `--dry-run`; otherwise it gets a key
    /// from its place in the run ([`crate::callsite`]); with a journal, a recorded outcome is
    /// answered from it, an intent without an outcome is reconciled first, and intent and
    /// outcome are on disk before the request leaves and before the answer is returned. A
    /// create whose outcome is unknown (lost answer, 5xx) is looked up by its natural key and
    /// adopted, or sent again when it does not exist ([`super::reconcile`]).
    pub async fn send(&self, svc: &Service, req: Request) -> Result<Response> {
        if let Some(plan) = &self.inner.plan {
            if req.mutating {
                return Ok(plan.record(svc, &req));
            }
            if Plan::is_planned(&req) {
                return Ok(Plan::empty(&req));
            }
        }
        if !req.mutating {
            return self.transmit(svc, req).await;
        }
        let mut req = req;
        let place = crate::callsite::of_task();
        let (unit, ordinal) = (place.unit(), place.next_mutation());
        let url = shown(&req.url);
        let body = req.key_body();
        let key = journal::key(&unit, ordinal, req.method.as_str(), &url, &body);
        let journal = self.inner.journal.get().cloned();
        // Without a journal a chosen name must differ between runs; with one, it must not.
        let seed = match &journal {
            Some(_) => key.clone(),
            None => format!("{key}{}", fastrand::u64(..)),
        };
        let natural = reconcile::natural(svc, &mut req, &seed);
        let Some(journal) = journal else {
            return self.send_once(svc, req, natural.as_ref()).await;
        };
        let method = req.method.to_string();
        let record = |kind| journal::record(kind, &key, &unit, ordinal, &method, &url);
        let outcome = |resp: &Response| {
            let mut done = record(journal::Kind::Outcome);
            done.status = Some(resp.status);
            done.body = Some(String::from_utf8_lossy(&resp.bytes).into_owned());
            done
        };
        match journal.known(&key) {
            Known::Done { status, body } => {
                tracing::info!(target: "qops::http", "{method} {url}: answered from the journal");
                return Ok(Response::made(status, body.into_bytes(), &req));
            }
            Known::Pending => {
                if let Some(found) = self.adopt(svc, &req, natural.as_ref()).await? {
                    let mut done = outcome(&found);
                    done.via = Some("reconciled".into());
                    journal.append(done).await.map_err(journal_error)?;
                    return Ok(found);
                }
            }
            Known::New => {}
        }
        journal
            .append(record(journal::Kind::Intent))
            .await
            .map_err(journal_error)?;
        let result = self.send_once(svc, req, natural.as_ref()).await;
        let finished = match &result {
            Ok(resp) => Some(outcome(resp)),
            Err(Error::Api(e)) if e.status < 500 => {
                let mut failed = record(journal::Kind::Failed);
                failed.status = Some(e.status);
                Some(failed)
            }
            Err(_) => None,
        };
        if let Some(rec) = finished {
            journal.append(rec).await.map_err(journal_error)?;
        }
        result
    }

    /// Sends a mutation; when its outcome is unknown, adopts what it made, or sends it once
    /// more when nothing was made.
    async fn send_once(
        &self,
        svc: &Service,
        req: Request,
        natural: Option<&Natural>,
    ) -> Result<Response> {
        let mut tries = 0;
        loop {
            let err = match self.transmit(svc, req.clone()).await {
                Err(e) if natural.is_some() && reconcile::outcome_unknown(&e) => e,
                other => return other,
            };
            tracing::warn!("{err}; looking up what the request may have made");
            if let Some(found) = self.adopt(svc, &req, natural).await? {
                return Ok(found);
            }
            tries += 1;
            if tries > self.inner.retry.transient {
                return Err(err);
            }
            tokio::time::sleep(backoff(tries)).await;
        }
    }

    /// The object a mutation made, found by its natural key, when it exists.
    async fn adopt(
        &self,
        svc: &Service,
        req: &Request,
        natural: Option<&Natural>,
    ) -> Result<Option<Response>> {
        let Some(natural) = natural else {
            return Ok(None);
        };
        let found = self.find(svc, natural, req).await?;
        if found.is_some() {
            tracing::info!(target: "qops::http", "{} {}: adopted what an earlier attempt made", req.method, shown(&req.url));
        }
        Ok(found)
    }

    /// One request on the wire, with the transport's rules. Follows same-origin
    /// redirects with the bearer (never across origins), refreshes a rejected token once,
    /// waits out 429s and 503s that carry `Retry-After` (the server says it did not act:
    /// [`crate::wire::UNAVAILABLE_WITH_RETRY_AFTER_NOT_APPLIED`]), retries idempotent requests
    /// on 500/502/503/504 and lost connections with jittered exponential back-off, and retries
    /// any request whose connection was never made.
    pub(crate) async fn transmit(&self, svc: &Service, req: Request) -> Result<Response> {
        let retry = &self.inner.retry;
        let repeatable = req.repeatable();
        let (mut method, mut url, mut body, mut raw_body) =
            (req.method, req.url, req.body, req.raw);
        let sink = req.sink;
        let mut headers = req.headers;
        let (mut redirects, mut waits, mut transients, mut refreshed) = (0, 0, 0, false);
        let mut with_auth = req.authenticated;
        // The tiers are Qlik Cloud's APIs' (a QSEoW site, which authenticates by JWT,
        // certificate or header, has none); the token endpoint is not one of them.
        let paced =
            req.authenticated && !matches!(svc.creds, Credentials::Jwt(_) | Credentials::Anonymous);
        let identity = svc.creds.cache_key();
        loop {
            let bearer = if with_auth {
                self.bearer(svc).await?
            } else {
                None
            };
            let tier = Tier::of(method.as_str(), url.path());
            if paced {
                self.inner
                    .budgets
                    .admit(&origin(&url), &identity, tier)
                    .await;
            }
            let raw = match self
                .exchange(
                    svc,
                    (&method, &url),
                    &headers,
                    Io {
                        body: body.as_ref(),
                        raw: raw_body.as_ref(),
                        sink: sink.as_ref(),
                    },
                    bearer.as_ref(),
                    with_auth,
                )
                .await
            {
                Ok(raw) => raw,
                // A usage error (a header we cannot send, a download its sink refused) is
                // the same on every attempt.
                Err(Lost {
                    error: error @ Error::Usage(_),
                    ..
                }) => return Err(error),
                Err(lost) => {
                    let again = !lost.maybe_delivered || repeatable;
                    if again && transients < retry.transient {
                        transients += 1;
                        tracing::warn!(
                            "{}; retrying ({transients}/{})",
                            lost.error,
                            retry.transient
                        );
                        tokio::time::sleep(backoff(transients)).await;
                        continue;
                    }
                    return Err(lost.error);
                }
            };
            match raw.status {
                200..=299 => {
                    return Ok(Response {
                        status: raw.status,
                        headers: raw.headers,
                        bytes: raw.body,
                        what: (method, shown(&url)),
                    });
                }
                301 | 302 | 303 | 307 | 308 if redirects < MAX_REDIRECTS => {
                    redirects += 1;
                    let next = location(&method, &url, &raw.headers)?;
                    if !self.inner.routing.allowed(&next) {
                        return Err(Error::decode(
                            method.as_str(),
                            &shown(&url),
                            format!("redirect to a disallowed URL {}", shown(&next)),
                        ));
                    }
                    if !same_origin(&url, &next) {
                        // The bearer and our headers belong to this origin only.
                        with_auth = false;
                        headers.clear();
                    }
                    if matches!(raw.status, 301..=303) && method != Method::HEAD {
                        method = Method::GET;
                        body = None;
                        raw_body = None;
                    }
                    url = next;
                }
                401 if with_auth
                    && !refreshed
                    && matches!(svc.creds, Credentials::Client { .. }) =>
                {
                    refreshed = true;
                    if let Some(t) = &bearer {
                        tracing::info!("token for {} rejected; fetching a new one", svc.host());
                        self.inner
                            .tokens
                            .invalidate(&origin(&svc.base), &svc.creds.cache_key(), t)
                            .await;
                    }
                }
                429 | 503
                    if waits < retry.rate_limited
                        && (raw.status == 429
                            || (crate::wire::UNAVAILABLE_WITH_RETRY_AFTER_NOT_APPLIED
                                && raw.headers.contains_key(RETRY_AFTER))) =>
                {
                    let wait = retry_after(&raw.headers);
                    let why = if raw.status == 429 {
                        "rate limited"
                    } else {
                        "unavailable"
                    };
                    if wait > retry.max_wait {
                        tracing::warn!(
                            "{method} {}: {} {why}; Retry-After asks for {}s, longer than the {}s we wait",
                            shown(&url),
                            raw.status,
                            wait.as_secs(),
                            retry.max_wait.as_secs()
                        );
                        return Err(api_error(&method, &url, &raw));
                    }
                    waits += 1;
                    tracing::warn!(
                        "{method} {}: {} {why}; waiting {}s as Retry-After asks ({waits}/{})",
                        shown(&url),
                        raw.status,
                        wait.as_secs_f64(),
                        retry.rate_limited
                    );
                    if raw.status == 429 {
                        // Qlik holds the whole tier: so do we, for every request of this run.
                        self.inner
                            .budgets
                            .pause(&origin(&url), &identity, tier, wait);
                    } else {
                        tokio::time::sleep(wait).await;
                    }
                }
                500 | 502..=504 if repeatable && transients < retry.transient => {
                    transients += 1;
                    tracing::warn!(
                        "{method} {}: {}; retrying ({transients}/{})",
                        shown(&url),
                        raw.status,
                        retry.transient
                    );
                    tokio::time::sleep(backoff(transients)).await;
                }
                _ => return Err(api_error(&method, &url, &raw)),
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
        let mut visited = std::collections::HashSet::new();
        let mut page_req = first;
        loop {
            let url = page_req.url.clone();
            let method = page_req.method.clone();
            let template = page_req.clone();
            let page = self.send(svc, page_req).await?.json()?;
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
            visited.insert(url.clone());
            if visited.contains(&next) {
                return Err(Error::decode(
                    method.as_str(),
                    &shown(&url),
                    "next link points back to a page already read",
                ));
            }
            page_req = Request {
                url: next,
                ..template
            };
        }
    }

    /// The bearer for a service: the API key or JWT, a cached (or freshly fetched) access
    /// token, or none.
    pub(crate) async fn bearer(&self, svc: &Service) -> Result<Option<Secret>> {
        match &svc.creds {
            Credentials::ApiKey(key) | Credentials::Jwt(key) => return Ok(Some(key.clone())),
            Credentials::LazyApiKey(key) => return key.get().map(Some).map_err(Error::Usage),
            Credentials::Anonymous | Credentials::Session(_) => return Ok(None),
            Credentials::Client { .. } => {}
        }
        let slot = self
            .inner
            .tokens
            .slot(&origin(&svc.base), &svc.creds.cache_key());
        let mut held = slot.lock().await;
        if let Some(token) = held.as_ref().filter(|t| t.fresh()) {
            return Ok(Some(token.value.clone()));
        }
        let token = self.fetch_token(svc).await?;
        let value = token.value.clone();
        *held = Some(token);
        Ok(Some(value))
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
            return Err(Error::Usage(format!(
                "{} is not exchanged for tokens",
                creds.label()
            )));
        };
        let mut body = json!({"client_id": id, "grant_type": "client_credentials"});
        if let Some(user) = impersonate {
            body["grant_type"] = json!(crate::wire::GRANT_IMPERSONATION);
            body["user_lookup"] = json!({"field": user.field, "value": user.value});
        }
        match auth {
            ClientAuth::Secret(secret) => body["client_secret"] = json!(secret.expose()),
            ClientAuth::Lazy(secret) => {
                body["client_secret"] = json!(secret.get().map_err(Error::Usage)?.expose())
            }
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

    /// POST `/oauth/token` on the service's own host (tokens are scoped to it), through
    /// [`Client::send`] as an idempotent, unauthenticated request.
    async fn fetch_token(&self, svc: &Service) -> Result<Token> {
        let url = svc.url("/oauth/token", &[])?;
        let body = self.token_request(&svc.creds, &url)?;
        let mut req = Request::new(Method::POST, url.clone()).json(body);
        req.idempotent = true;
        req.authenticated = false;
        req.mutating = false;
        let answer = Box::pin(self.send(svc, req)).await?.json()?;
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
        // Whatever number the answer holds (negative, fractional, 2^64), a lifetime we can use.
        let lifetime = match answer.get("expires_in").and_then(Value::as_f64) {
            Some(secs) if secs.is_finite() && secs > 0.0 => {
                secs.min(super::auth::MAX_TOKEN_LIFETIME.as_secs_f64()) as u64
            }
            Some(_) => 0,
            None => crate::wire::TOKEN_LIFETIME_SECS,
        };
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

    /// One HTTP exchange, logged as `METHOD URL -> STATUS (ms)`; the bearer is never logged,
    /// nor an Xrfkey. The body is read up to [`MAX_BODY_BYTES`].
    async fn exchange(
        &self,
        svc: &Service,
        (method, url): (&Method, &Url),
        headers: &[(HeaderName, String)],
        io: Io<'_>,
        bearer: Option<&Secret>,
        with_auth: bool,
    ) -> std::result::Result<Raw, Lost> {
        let started = Instant::now();
        let pool = svc.tls.as_ref().unwrap_or(&self.inner.http);
        let mut rb = pool
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
                    Error::Usage(format!(
                        "the {} contains characters not allowed in a header",
                        svc.creds.label()
                    ))
                })?;
            value.set_sensitive(true);
            rb = rb.header(AUTHORIZATION, value);
        }
        if let (Credentials::Session(session), true) = (&svc.creds, with_auth) {
            rb = session_headers(rb, method, session)?;
        }
        let Io { body, raw, sink } = io;
        if let Some(raw) = raw {
            rb = rb
                .header(reqwest::header::CONTENT_TYPE, raw.content_type)
                .body(raw.bytes.as_ref().clone());
        } else if let Some(body) = body {
            rb = rb.json(body);
        }
        let lost = |e: reqwest::Error| Lost {
            maybe_delivered: !e.is_connect(),
            error: Error::Transport {
                method: method.to_string(),
                url: shown(url),
                message: describe(&e),
            },
        };
        let mut resp = rb.send().await.map_err(lost)?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let mut body = Vec::new();
        if let Some(Download(sink)) = sink.filter(|_| (200..300).contains(&status)) {
            let stopped = |message: String| Lost {
                maybe_delivered: true,
                error: Error::Usage(format!("{method} {}: {message}", shown(url))),
            };
            let held = || sink.lock().unwrap_or_else(|p| p.into_inner());
            held().restart().map_err(stopped)?;
            while let Some(chunk) = resp.chunk().await.map_err(lost)? {
                held().write(&chunk).map_err(stopped)?;
            }
            tracing::info!(target: "qops::http", "{method} {} -> {status} ({} ms, streamed)", shown(url), started.elapsed().as_millis());
            return Ok(Raw {
                status,
                headers,
                body,
            });
        }
        while let Some(chunk) = resp.chunk().await.map_err(lost)? {
            if body.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(Error::decode(
                    method.as_str(),
                    &shown(url),
                    format!("answer larger than {} MiB", MAX_BODY_BYTES >> 20),
                )
                .into());
            }
            body.extend_from_slice(&chunk);
        }
        tracing::info!(target: "qops::http", "{method} {} -> {status} ({} ms)", shown(url), started.elapsed().as_millis());
        Ok(Raw {
            status,
            headers,
            body,
        })
    }
}

fn journal_error(e: journal::JournalError) -> Error {
    Error::Usage(e.to_string())
}

fn api_error(method: &Method, url: &Url, raw: &Raw) -> Error {
    Error::Api(Box::new(ApiError::from_response(
        raw.status,
        method.as_str(),
        &shown(url),
        &raw.body,
    )))
}

fn idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS
    )
}

/// Exponential back-off with full jitter: a random wait up to 250 ms × 2^attempt (capped).
fn backoff(attempt: u32) -> Duration {
    let ceiling = 250u64 << attempt.min(6);
    Duration::from_millis(fastrand::u64(ceiling / 2..=ceiling))
}

fn retry_after(headers: &HeaderMap) -> Duration {
    headers
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|secs| secs.is_finite() && *secs >= 0.0)
        .map(|secs| Duration::from_secs_f64(secs.min(1e9)))
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

pub(crate) fn decode(method: &Method, url: &str, body: &[u8]) -> Result<Value> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    serde_json::from_slice(body)
        .map_err(|e| Error::decode(method.as_str(), url, format!("body is not JSON ({e})")))
}

/// Query parameters that never appear in logs or messages (throwaway, but noise).
const UNSHOWN_QUERY: &[&str] = &["xrfkey"];

/// A URL as logs and messages show it.
pub fn shown(url: &Url) -> String {
    if !url
        .query_pairs()
        .any(|(k, _)| UNSHOWN_QUERY.contains(&k.as_ref()))
    {
        return url.to_string();
    }
    let mut shown = url.clone();
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| !UNSHOWN_QUERY.contains(&k.as_ref()))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    shown.set_query(None);
    if !pairs.is_empty() {
        shown.query_pairs_mut().extend_pairs(pairs);
    }
    shown.to_string()
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

/// A session's cookies, and on a write its CSRF token (what a browser and @qlik/api send),
/// marked sensitive like a bearer.
fn session_headers(
    rb: reqwest::RequestBuilder,
    method: &Method,
    session: &super::auth::SessionCookies,
) -> Result<reqwest::RequestBuilder> {
    let sensitive = |text: &str, what: &str| {
        let mut value = HeaderValue::from_str(text)
            .map_err(|_| Error::Usage(format!("the session's {what} is not valid header text")))?;
        value.set_sensitive(true);
        Ok::<_, Error>(value)
    };
    let mut rb = rb.header(COOKIE, sensitive(session.cookies.expose(), "cookies")?);
    let reads = matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
    if !reads && !session.csrf.expose().is_empty() {
        rb = rb.header(
            crate::wire::CSRF_HEADER,
            sensitive(session.csrf.expose(), "CSRF token")?,
        );
    }
    Ok(rb)
}
