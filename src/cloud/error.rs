//! One error type for every failure of a Qlik call.

use serde_json::{json, Value};
use std::fmt;

/// An HTTP answer that Qlik marked as a failure, with what its body said.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: u16,
    /// First `errors[].code` (string or number on the wire), or the OAuth `error` field.
    pub code: Option<String>,
    pub title: String,
    pub detail: Option<String>,
    pub trace_id: Option<String>,
    pub method: String,
    pub url: String,
    /// Every entry of `errors` as sent, for multi-error answers.
    pub errors: Vec<Value>,
}

/// Every way a call can fail.
#[derive(Debug, Clone)]
pub enum Error {
    /// The service answered with an error status.
    Api(Box<ApiError>),
    /// The entity changed since it was read (QSEoW `modifiedDate` check): read it again, retry.
    Conflict(Box<ApiError>),
    /// No answer: connection refused, TLS, timeout, DNS.
    Transport {
        method: String,
        url: String,
        message: String,
    },
    /// An answer we cannot use: not JSON where JSON is due, a missing field, a link to another host.
    Decode {
        method: String,
        url: String,
        message: String,
    },
    /// Wrong input from the caller: a host we must not talk to, missing credentials, a bad argument.
    Usage(String),
}

pub type Result<T> = std::result::Result<T, Error>;

impl ApiError {
    /// Reads any of the error body shapes Qlik uses (reference §9.1): `{errors:[..], traceId}`,
    /// the licenses shape `{error, errors, message}`, integer codes of invite, the OAuth
    /// `{error, error_description}`, and bodies that are not JSON at all.
    pub fn from_response(status: u16, method: &str, url: &str, body: &[u8]) -> ApiError {
        let mut err = ApiError {
            status,
            code: None,
            title: String::new(),
            detail: None,
            trace_id: None,
            method: method.to_string(),
            url: url.to_string(),
            errors: Vec::new(),
        };
        match serde_json::from_slice::<Value>(body) {
            Ok(v) => {
                err.trace_id = text(&v, "traceId").or_else(|| text(&v, "traceid"));
                if let Some(list) = v.get("errors").and_then(Value::as_array) {
                    err.errors = list.clone();
                    if let Some(first) = list.first() {
                        err.code = text(first, "code");
                        err.title = text(first, "title").unwrap_or_default();
                        err.detail = text(first, "detail");
                    }
                } else {
                    err.code = text(&v, "code").or_else(|| text(&v, "error"));
                    err.title = text(&v, "title")
                        .or_else(|| text(&v, "error_description"))
                        .or_else(|| text(&v, "message"))
                        .unwrap_or_default();
                    err.detail = text(&v, "detail");
                }
                if err.title.is_empty() {
                    err.title = text(&v, "message").unwrap_or_default();
                }
            }
            Err(_) => {
                let s = String::from_utf8_lossy(body);
                let s = s.trim();
                if !s.is_empty() {
                    err.detail = Some(s.chars().take(200).collect());
                }
            }
        }
        if err.title.is_empty() {
            err.title = reason(status).to_string();
        }
        err
    }

    /// The map a script sees in `catch (e)`.
    pub fn to_json(&self) -> Value {
        json!({
            "kind": "api",
            "status": self.status,
            "code": self.code,
            "title": self.title,
            "detail": self.detail,
            "trace_id": self.trace_id,
            "method": self.method,
            "url": self.url,
            "errors": self.errors,
            "message": self.to_string(),
        })
    }
}

fn text(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn reason(status: u16) -> &'static str {
    reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Error")
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.method, self.url, self.status)?;
        if let Some(code) = &self.code {
            write!(f, " {code}")?;
        }
        write!(f, " {}", self.title)?;
        if let Some(detail) = &self.detail {
            if detail != &self.title {
                write!(f, ": {detail}")?;
            }
        }
        if let Some(trace) = &self.trace_id {
            write!(f, " (traceId {trace})")?;
        }
        Ok(())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Api(e) => e.fmt(f),
            Error::Conflict(e) => write!(
                f,
                "{e} (changed since it was read; read it again and retry)"
            ),
            Error::Transport {
                method,
                url,
                message,
            } => write!(f, "{method} {url}: {message}"),
            Error::Decode {
                method,
                url,
                message,
            } => {
                write!(f, "{method} {url}: unexpected answer: {message}")
            }
            Error::Usage(msg) => f.write_str(msg),
        }
    }
}

impl std::error::Error for Error {}

impl Error {
    /// The map a script sees in `catch (e)`: always `kind` and `message`, and for API errors
    /// `status`, `code`, `title`, `detail`, `trace_id`, `method`, `url`.
    pub fn to_json(&self) -> Value {
        match self {
            Error::Api(e) => e.to_json(),
            Error::Conflict(e) => {
                let mut v = e.to_json();
                v["kind"] = json!("conflict");
                v["message"] = json!(self.to_string());
                v
            }
            Error::Transport { method, url, .. } => json!({
                "kind": "transport", "status": 0, "method": method, "url": url, "message": self.to_string()
            }),
            Error::Decode { method, url, .. } => json!({
                "kind": "decode", "status": 0, "method": method, "url": url, "message": self.to_string()
            }),
            Error::Usage(_) => json!({"kind": "usage", "status": 0, "message": self.to_string()}),
        }
    }

    pub fn decode(method: &str, url: &str, message: impl Into<String>) -> Error {
        Error::Decode {
            method: method.to_string(),
            url: url.to_string(),
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(status: u16, body: &str) -> ApiError {
        ApiError::from_response(status, "POST", "https://t/x", body.as_bytes())
    }

    #[test]
    fn reads_every_documented_shape() {
        let e = parse(
            400,
            r#"{"errors":[{"code":"TENANTS-21","title":"Missing licenseKey property","status":"400"}],"traceId":"abc"}"#,
        );
        assert_eq!(
            (e.code.as_deref(), e.title.as_str(), e.trace_id.as_deref()),
            (
                Some("TENANTS-21"),
                "Missing licenseKey property",
                Some("abc")
            )
        );
        let e = parse(
            403,
            r#"{"error":"forbidden","errors":[{"code":"LICENSES-011","title":"No available allotment"}],"message":"x"}"#,
        );
        assert_eq!(e.code.as_deref(), Some("LICENSES-011"));
        let e = parse(207, r#"{"errors":[{"code":1001,"title":"active user"}]}"#);
        assert_eq!(e.code.as_deref(), Some("1001"));
        let e = parse(
            401,
            r#"{"error":"invalid_client","error_description":"bad secret"}"#,
        );
        assert_eq!(
            (e.code.as_deref(), e.title.as_str()),
            (Some("invalid_client"), "bad secret")
        );
        let e = parse(502, "<html>Bad gateway</html>");
        assert_eq!(
            (e.title.as_str(), e.detail.as_deref()),
            ("Bad Gateway", Some("<html>Bad gateway</html>"))
        );
        let e = parse(
            429,
            r#"{"errors":[{"code":"HTTP-429","title":"API rate limit reached.","detail":"You need to wait 13 seconds until limit is lifted."}]}"#,
        );
        assert_eq!(e.to_string(), "POST https://t/x: 429 HTTP-429 API rate limit reached.: You need to wait 13 seconds until limit is lifted.");
    }
}
