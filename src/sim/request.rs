//! A request as the handlers see it: host, path segments, decoded query, headers, raw body.

use axum::http::{HeaderMap, Method};
use serde_json::Value;

pub struct Req {
    pub method: Method,
    /// The Host header verbatim (with port), used for absolute URLs.
    pub host: String,
    /// The host name without port, lowercased, used for routing.
    pub host_name: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Req {
    /// `http://<Host header>`
    pub fn base(&self) -> String {
        format!("http://{}", self.host)
    }

    /// The absolute URL of `path` on the request's host.
    pub fn abs(&self, path: &str) -> String {
        format!("{}{}", self.base(), path)
    }

    pub fn segments(&self) -> Vec<&str> {
        self.path.split('/').filter(|s| !s.is_empty()).collect()
    }

    /// Whether this is a `/_sim/*` inspection request.
    pub fn is_admin(&self) -> bool {
        self.segments().first() == Some(&"_sim")
    }

    /// The first value of query parameter `name`.
    pub fn q(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body as JSON; `Err` carries a message for a 400.
    pub fn json(&self) -> Result<Value, String> {
        if self.body.iter().all(|b| b.is_ascii_whitespace()) {
            return Err("Request body is empty; a JSON document is required".into());
        }
        serde_json::from_slice(&self.body)
            .map_err(|e| format!("Request body is not valid JSON: {e}"))
    }

    /// The JSON body, treating an empty body as `{}`.
    pub fn json_or_empty(&self) -> Result<Value, String> {
        if self.body.iter().all(|b| b.is_ascii_whitespace()) {
            return Ok(Value::Object(Default::default()));
        }
        self.json()
    }
}

/// `body[key]` as an optional string (absent or `null`: `None`); `Err` carries a message for a 400.
pub fn opt_string(body: &Value, key: &str) -> Result<Option<String>, String> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(format!("{key} must be a string")),
    }
}

/// Splits the host name off a Host header value (`[::1]:80`, `a.b:8080`, `a.b`).
pub fn host_name(host: &str) -> String {
    let h = host.trim();
    let name = if let Some(rest) = h.strip_prefix('[') {
        rest.split(']').next().unwrap_or(rest)
    } else {
        h.rsplit_once(':').map(|(n, _)| n).unwrap_or(h)
    };
    name.trim_end_matches('.').to_ascii_lowercase()
}

/// Parses `a=1&b=x%20y` (also `+` as space) into pairs.
pub fn parse_query(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

/// Percent-decoding with `+` as space; invalid escapes are kept literally.
pub fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(v) => {
                        out.push(v);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Percent-encoding of everything but RFC 3986 unreserved characters.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &c in s.as_bytes() {
        if c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~') {
            out.push(c as char);
        } else {
            out.push_str(&format!("%{c:02X}"));
        }
    }
    out
}

/// Builds `a=1&b=x%20y`.
pub fn build_query(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_round_trip() {
        let q = parse_query("filter=name%20eq%20%22a%22&limit=5&x=a+b&bad=%zz&tail=%4");
        assert_eq!(q[0], ("filter".into(), "name eq \"a\"".into()));
        assert_eq!(q[2].1, "a b");
        assert_eq!(q[3].1, "%zz");
        assert_eq!(q[4].1, "%4");
        assert_eq!(parse_query(&build_query(&q)), q);
        assert_eq!(
            host_name("Acme.US.qlik.localhost:8080"),
            "acme.us.qlik.localhost"
        );
        assert_eq!(host_name("127.0.0.1:80"), "127.0.0.1");
        assert_eq!(host_name("[::1]:80"), "::1");
    }
}
