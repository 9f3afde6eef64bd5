//! The in-process harness of the simulator's request-level tests: a seeded [`Sim`] whose
//! [`Sim::call`] builds a [`Req`] and runs it through the real [`dispatch`], plus the helpers
//! the test modules share (OAuth client credentials, tokens, bearer headers, Xrfkey headers).

use super::faults::{Fault, Faults};
use super::request::{host_name, parse_query, Req};
use super::server::dispatch;
use super::state::State;
use super::{seed, SimOptions};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method};
use axum::response::Response;
use serde_json::{json, Value};

/// The seeded world and fault settings (no faults) a test drives.
pub struct Sim {
    pub st: State,
    pub faults: Faults,
    /// Every non-empty answer must be JSON: [`Sim::call`] panics otherwise.
    json_only: bool,
}

/// One response: status, headers, the body as text and as JSON (`Null` when empty or not JSON),
/// and the fault that met the request (with `reset-*`, the client would never see the rest).
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub text: String,
    pub body: Value,
    pub fault: Option<Fault>,
}

impl Answer {
    /// The header's value, or `""`.
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

/// `Bearer <tok>`, the value of an `authorization` header.
pub fn bearer(tok: &str) -> String {
    format!("Bearer {tok}")
}

/// A JSON request body as text: `Null` is no body.
pub fn body_text(body: &Value) -> String {
    if body.is_null() {
        String::new()
    } else {
        body.to_string()
    }
}

/// `target` with `xrfkey=<key>` added to its query.
pub fn with_xrfkey(target: &str, key: &str) -> String {
    let sep = if target.contains('?') { '&' } else { '?' };
    format!("{target}{sep}xrfkey={key}")
}

/// A complete response body, which must be JSON.
pub async fn read_json(resp: Response) -> Value {
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// [`read_json`] outside any runtime, for plain `#[test]`s.
pub fn read_json_blocking(resp: Response) -> Value {
    current_thread().block_on(read_json(resp))
}

fn current_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
}

impl Sim {
    /// The default seed, no faults.
    pub fn new() -> Self {
        Sim::with_options(&SimOptions::default())
    }

    /// The world and faults `opts` describe (latency is not applied in process).
    pub fn with_options(opts: &SimOptions) -> Self {
        Sim {
            st: seed::seed(opts),
            faults: Faults::from_options(opts),
            json_only: false,
        }
    }

    /// As [`Sim::new`], and every non-empty answer must parse as JSON.
    pub fn json_only() -> Self {
        Sim {
            json_only: true,
            ..Sim::new()
        }
    }

    /// Runs one request through [`dispatch`] (errors rendered with trace id `trace`).
    pub async fn call(
        &mut self,
        method: &str,
        host: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Answer {
        let (path, q) = target.split_once('?').unwrap_or((target, ""));
        let mut hm = HeaderMap::new();
        for (k, v) in headers {
            hm.insert(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        let req = Req {
            method: Method::from_bytes(method.as_bytes()).unwrap(),
            host: host.to_string(),
            host_name: host_name(host),
            path: path.to_string(),
            query: parse_query(q),
            headers: hm,
            body: body.as_bytes().to_vec(),
        };
        let served = dispatch(&req, &mut self.st, &self.faults);
        let resp = match served.answer {
            Ok(r) => r,
            Err(e) => e.into_response("trace"),
        };
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap();
        let text = String::from_utf8_lossy(&bytes).to_string();
        let body = if bytes.is_empty() {
            Value::Null
        } else if self.json_only {
            serde_json::from_slice(&bytes).unwrap()
        } else {
            serde_json::from_slice(&bytes).unwrap_or(Value::Null)
        };
        Answer {
            status,
            headers,
            text,
            body,
            fault: served.fault,
        }
    }

    /// [`Sim::call`] outside any runtime, for plain `#[test]`s.
    pub fn call_blocking(
        &mut self,
        method: &str,
        host: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Answer {
        current_thread().block_on(self.call(method, host, target, headers, body))
    }

    /// [`Sim::get`] outside any runtime, for plain `#[test]`s.
    pub fn get_blocking(&mut self, host: &str, target: &str, token: &str) -> Answer {
        current_thread().block_on(self.get(host, target, token))
    }

    /// The region-level OAuth client of `region`: (id, secret).
    pub fn client(&self, region: &str) -> (String, String) {
        let c = self
            .st
            .region_clients
            .iter()
            .find(|c| c.region.code == region)
            .unwrap();
        (c.client_id.clone(), c.client_secret.clone())
    }

    /// The client-credentials token request body of `region`'s client.
    pub fn client_credentials(&self, region: &str) -> Value {
        let (id, secret) = self.client(region);
        json!({"client_id": id, "client_secret": secret, "grant_type": "client_credentials"})
    }

    /// `POST /oauth/token` on `host` with `region`'s client credentials.
    pub async fn token(&mut self, host: &str, region: &str) -> Answer {
        let body = self.client_credentials(region).to_string();
        self.call(
            "POST",
            host,
            "/oauth/token",
            &[("content-type", "application/json")],
            &body,
        )
        .await
    }

    /// A `GET` with a bearer token.
    pub async fn get(&mut self, host: &str, target: &str, token: &str) -> Answer {
        self.call(
            "GET",
            host,
            target,
            &[("authorization", &bearer(token))],
            "",
        )
        .await
    }
}
