//! Cursor pagination with absolute `links.{self,next,prev}.href` (reference §9.2).
//!
//! A cursor is an opaque base64url token naming the offset where a page starts; `next` and
//! `prev` carry one each, and a page link repeats the full query with only the cursor replaced.

use super::request::{build_query, Req};
use base64::Engine as _;
use serde_json::{json, Map, Value};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageReq {
    pub start: usize,
    pub limit: usize,
}

pub fn encode_cursor(offset: usize) -> String {
    B64.encode(format!("qops-sim:{offset}"))
}

pub fn decode_cursor(cursor: &str) -> Option<usize> {
    let bytes = B64.decode(cursor.trim_end_matches('=')).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    text.strip_prefix("qops-sim:")?.parse().ok()
}

/// Reads `limit` (default `default`, 1..=max), `next`/`prev` from the query.
pub fn parse(req: &Req, default: usize, max: usize) -> Result<PageReq, String> {
    let limit = match req.q("limit") {
        None => default,
        // A number: qlik-sdk types it `float` (a caller may send `20.0`).
        Some(s) => match s.trim().parse::<f64>() {
            Ok(n) if n.fract() == 0.0 && n >= 1.0 && n <= max as f64 => n as usize,
            _ => {
                return Err(format!(
                    "limit must be an integer between 1 and {max}, got \"{s}\""
                ))
            }
        },
    };
    let start = match (req.q("next"), req.q("prev")) {
        (Some(_), Some(_)) => return Err("next and prev cannot be combined".into()),
        (Some(c), None) => {
            decode_cursor(c).ok_or_else(|| format!("invalid next cursor \"{c}\""))?
        }
        (None, Some(c)) => {
            decode_cursor(c).ok_or_else(|| format!("invalid prev cursor \"{c}\""))?
        }
        (None, None) => 0,
    };
    Ok(PageReq { start, limit })
}

/// The window `[start, start+limit)` of `items`.
pub fn slice<T>(items: &[T], p: PageReq) -> &[T] {
    let start = p.start.min(items.len());
    let end = start.saturating_add(p.limit).min(items.len());
    &items[start..end]
}

fn href(req: &Req, cursor: Option<(&str, usize)>) -> String {
    let mut pairs: Vec<(String, String)> = req.query.clone();
    if let Some((name, offset)) = cursor {
        pairs.retain(|(k, _)| k != "next" && k != "prev");
        pairs.push((name.to_string(), encode_cursor(offset)));
    }
    let q = build_query(&pairs);
    if q.is_empty() {
        req.abs(&req.path)
    } else {
        req.abs(&format!("{}?{}", req.path, q))
    }
}

/// `{self, next?, prev?}` for a page of `p` over `total` items.
pub fn links(req: &Req, p: PageReq, total: usize) -> Value {
    let mut links = Map::new();
    links.insert("self".into(), json!({"href": href(req, None)}));
    if p.start.saturating_add(p.limit) < total {
        links.insert(
            "next".into(),
            json!({"href": href(req, Some(("next", p.start + p.limit)))}),
        );
    }
    if p.start > 0 {
        let prev = p.start.saturating_sub(p.limit).min(total.saturating_sub(1));
        links.insert(
            "prev".into(),
            json!({"href": href(req, Some(("prev", prev)))}),
        );
    }
    Value::Object(links)
}

/// A list answer: `{data, links}` for page `p` of `items` (already filtered, sorted and in
/// order), plus `totalResults` when the request asked `totalResults=true`.
pub fn page_body<T>(req: &Req, p: PageReq, items: &[T], to_json: impl Fn(&T) -> Value) -> Value {
    let data: Vec<Value> = slice(items, p).iter().map(to_json).collect();
    let mut body = json!({"data": data, "links": links(req, p, items.len())});
    if req
        .q("totalResults")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    {
        body["totalResults"] = json!(items.len());
    }
    body
}

#[cfg(test)]
mod tests {
    use super::super::request::parse_query;
    use super::*;
    use axum::http::{HeaderMap, Method};

    fn req(q: &str) -> Req {
        Req {
            method: Method::GET,
            host: "acme.us.qlik.localhost:9".into(),
            host_name: "acme.us.qlik.localhost".into(),
            path: "/api/v1/users".into(),
            query: parse_query(q),
            headers: HeaderMap::new(),
            body: vec![],
        }
    }

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        assert_eq!(decode_cursor(&encode_cursor(40)), Some(40));
        assert_eq!(decode_cursor("garbage!"), None);
        assert_eq!(decode_cursor(&B64.encode("other:4")), None);
    }

    #[test]
    fn walks_pages() {
        let items: Vec<usize> = (0..45).collect();
        let r = req("limit=20&filter=name%20co%20%22a%22");
        let p = parse(&r, 20, 100).unwrap();
        assert_eq!(slice(&items, p).len(), 20);
        let l = links(&r, p, items.len());
        let next = l["next"]["href"].as_str().unwrap();
        assert!(next.starts_with("http://acme.us.qlik.localhost:9/api/v1/users?limit=20&filter=name%20co%20%22a%22&next="));
        assert!(l.get("prev").is_none());
        let r2 = req(next.split_once('?').unwrap().1);
        let p2 = parse(&r2, 20, 100).unwrap();
        assert_eq!(p2.start, 20);
        let r3 = req(links(&r2, p2, 45)["next"]["href"]
            .as_str()
            .unwrap()
            .split_once('?')
            .unwrap()
            .1);
        let p3 = parse(&r3, 20, 100).unwrap();
        assert_eq!(slice(&items, p3), &items[40..45]);
        let l3 = links(&r3, p3, 45);
        assert!(l3.get("next").is_none());
        let back = req(l3["prev"]["href"]
            .as_str()
            .unwrap()
            .split_once('?')
            .unwrap()
            .1);
        assert_eq!(parse(&back, 20, 100).unwrap().start, 20);
    }

    #[test]
    fn validates_limit_and_cursor() {
        assert!(parse(&req("limit=0"), 20, 100).is_err());
        assert!(parse(&req("limit=101"), 20, 100).is_err());
        assert!(parse(&req("limit=abc"), 20, 100).is_err());
        assert_eq!(parse(&req("limit=100"), 20, 100).unwrap().limit, 100);
        assert!(parse(&req("next=zzz"), 20, 100).is_err());
    }
}
