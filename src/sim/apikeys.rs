//! API keys (reference §1.2): create (201, the token shown once), list with
//! `startingAfter`/`endingBefore` cursors, get, PATCH `/description`, revoke; the tenant config;
//! and [`authenticate`], which turns a key presented as `Bearer` into its user.

use super::clock::{iso, SimMs};
use super::errors::{self, coded, json_response, no_content, ok, Api, ApiError, HResult};
use super::identity::ApiKey;
use super::licenses::sign_jwt;
use super::request::{build_query, Req};
use super::state::{State, Tenant};
use crate::wire;
use serde_json::{json, Map, Value};

/// The shape of this API's errors.
const API: Api = Api::Users;

fn bad(detail: impl Into<String>) -> ApiError {
    errors::bad_request(API, wire::API_KEYS_BAD_REQUEST_CODE, detail)
}

fn forbidden(detail: impl Into<String>) -> ApiError {
    errors::forbidden(API, wire::API_KEYS_FORBIDDEN_CODE, detail)
}

fn not_found(id: &str) -> ApiError {
    errors::not_found(API, wire::API_KEYS_NOT_FOUND_CODE, "API key", id)
}

/// The methods allowed on `/api/v1/api-keys/<rest>`.
pub fn methods(rest: &[&str]) -> Option<&'static [&'static str]> {
    match rest {
        [] => Some(&["GET", "POST"]),
        ["configs", _] => Some(&["GET"]),
        [_] => Some(&["GET", "PATCH", "DELETE"]),
        _ => None,
    }
}

/// Parses an ISO-8601 duration (`P7D`, `PT12H`, `P1Y2M3W4DT5H6M7S`) into seconds; years are
/// 365 days, months 30.
pub fn parse_duration(s: &str) -> Option<i64> {
    let rest = s.trim().strip_prefix('P')?;
    if rest.is_empty() {
        return None;
    }
    let (date, time) = match rest.split_once('T') {
        Some((d, t)) if !t.is_empty() => (d, Some(t)),
        Some(_) => return None,
        None => (rest, None),
    };
    fn parts(text: &str, units: &[(char, i64)]) -> Option<i64> {
        let mut total: i64 = 0;
        let mut num = String::new();
        let mut last = 0usize;
        for c in text.chars() {
            if c.is_ascii_digit() {
                num.push(c);
                continue;
            }
            let pos = units.iter().position(|(u, _)| *u == c)?;
            if num.is_empty() || pos < last {
                return None;
            }
            last = pos + 1;
            let n: i64 = num.parse().ok()?;
            total = total.checked_add(n.checked_mul(units[pos].1)?)?;
            num.clear();
        }
        num.is_empty().then_some(total)
    }
    let d = parts(
        date,
        &[
            ('Y', 365 * 86_400),
            ('M', 30 * 86_400),
            ('W', 7 * 86_400),
            ('D', 86_400),
        ],
    )?;
    let t = match time {
        Some(t) => parts(t, &[('H', 3600), ('M', 60), ('S', 1)])?,
        None => 0,
    };
    d.checked_add(t)
}

pub fn key_json(t: &Tenant, k: &ApiKey, now: SimMs) -> Value {
    json!({
        "id": k.id,
        "tenantId": t.id,
        "description": k.description,
        "sub": k.sub,
        "subType": k.sub_type,
        "status": k.status_at(now),
        "expiry": iso(k.expiry_ms),
        "createdByUser": k.created_by,
        "created": iso(k.created_ms),
        "lastUpdated": iso(k.updated_ms),
    })
}

pub fn handle(req: &Req, st: &mut State, tenant_id: &str, caller: &str, rest: &[&str]) -> HResult {
    let now = st.now();
    let method = req.method.as_str();
    let t = st.tenant(tenant_id).ok_or_else(|| not_found(tenant_id))?;
    let admin = t.is_tenant_admin(caller);
    match (method, rest) {
        ("GET", []) => list(req, t, caller, admin, now),
        ("POST", []) => create(req, st, tenant_id, caller, admin, now),
        ("GET", ["configs", id]) => {
            if *id != t.id {
                return Err(not_found(id));
            }
            ok(&json!({
                "max_api_key_expiry": wire::API_KEY_MAX_EXPIRY,
                "max_keys_per_user": wire::API_KEY_MAX_PER_USER,
                "scim_externalClient_expiry": wire::API_KEY_MAX_EXPIRY,
            }))
        }
        (_, [id]) => {
            let k = t
                .identity
                .api_keys
                .iter()
                .find(|k| k.id == *id)
                .ok_or_else(|| not_found(id))?;
            if !admin && k.sub != caller && k.created_by != caller {
                return Err(not_found(id));
            }
            if method == "GET" {
                return ok(&key_json(t, k, now));
            }
            let description = if method == "PATCH" {
                Some(patch_description(req)?)
            } else {
                None
            };
            let t = st.tenant_mut(tenant_id).ok_or_else(|| not_found(id))?;
            let k = t
                .identity
                .api_keys
                .iter_mut()
                .find(|k| k.id == *id)
                .ok_or_else(|| not_found(id))?;
            match description {
                Some(d) => k.description = d,
                None => k.status = "revoked".into(),
            }
            k.updated_ms = now;
            no_content()
        }
        _ => Err(not_found(&rest.join("/"))),
    }
}

fn patch_description(req: &Req) -> Result<String, ApiError> {
    let body = req.json().map_err(bad)?;
    let ops = body
        .as_array()
        .ok_or_else(|| bad("The body must be a JSON Patch array"))?;
    let mut out = None;
    for op in ops {
        match (
            op.get("op").and_then(Value::as_str),
            op.get("path").and_then(Value::as_str),
            op.get("value"),
        ) {
            (Some("replace"), Some("/description"), Some(Value::String(v))) => {
                out = Some(v.clone())
            }
            _ => return Err(bad(
                "Only {\"op\":\"replace\",\"path\":\"/description\",\"value\":<string>} is allowed",
            )),
        }
    }
    out.ok_or_else(|| bad("The patch is empty"))
}

fn create(
    req: &Req,
    st: &mut State,
    tenant_id: &str,
    caller: &str,
    admin: bool,
    now: SimMs,
) -> HResult {
    let body = req.json().map_err(bad)?;
    let o = body
        .as_object()
        .ok_or_else(|| bad("The body must be a JSON object"))?;
    let description = match o.get("description") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
        _ => return Err(bad("description is required (a non-empty string)")),
    };
    let secs = match o.get("expiry") {
        None | Some(Value::Null) => wire::API_KEY_MAX_EXPIRY_SECS,
        Some(Value::String(s)) => parse_duration(s).filter(|&d| d > 0).ok_or_else(|| {
            bad(format!(
                "expiry \"{s}\" is not an ISO-8601 duration such as P7D"
            ))
        })?,
        Some(_) => return Err(bad("expiry must be an ISO-8601 duration string")),
    };
    if secs > wire::API_KEY_MAX_EXPIRY_SECS {
        return Err(bad(format!(
            "expiry exceeds the tenant maximum {}",
            wire::API_KEY_MAX_EXPIRY
        )));
    }
    let sub_type = match o.get("subType") {
        None | Some(Value::Null) => "user".to_string(),
        Some(Value::String(s)) if s == "user" || s == "externalClient" => s.clone(),
        Some(_) => return Err(bad("subType must be \"user\" or \"externalClient\"")),
    };
    let t = st.tenant(tenant_id).ok_or_else(|| not_found(tenant_id))?;
    let sub = match o.get("sub") {
        None | Some(Value::Null) => caller.to_string(),
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        Some(_) => return Err(bad("sub must be a user id")),
    };
    if sub_type == "user" {
        if sub != caller && !admin {
            return Err(forbidden(
                "Only a TenantAdmin can create API keys for another user",
            ));
        }
        match t.user(&sub) {
            Some(u) if u.status == "active" => {}
            Some(_) => return Err(bad(format!("User {sub} is not active"))),
            None => return Err(bad(format!("User {sub} does not exist"))),
        }
    } else if !admin {
        return Err(forbidden(
            "Only a TenantAdmin can create externalClient API keys",
        ));
    }
    let live = t
        .identity
        .api_keys
        .iter()
        .filter(|k| k.sub == sub && k.status_at(now) == "active")
        .count();
    if live >= wire::API_KEY_MAX_PER_USER {
        return Err(coded(
            API,
            409,
            wire::API_KEYS_CONFLICT_CODE,
            "Conflict",
            format!(
                "The user already has {} active API keys (max_keys_per_user)",
                wire::API_KEY_MAX_PER_USER
            ),
        ));
    }
    let id = st.ids.object_id();
    let expiry_ms = now + secs * 1000;
    let token = sign_jwt(
        &st.token_signing_key,
        &json!({
            "iss": wire::API_KEY_ISSUER, "aud": wire::API_KEY_AUDIENCE,
            "sub": sub, "subType": sub_type, "tenantId": tenant_id,
            "jti": id, "iat": now / 1000, "exp": expiry_ms / 1000,
        }),
    );
    let key = ApiKey {
        id,
        description,
        sub,
        sub_type,
        status: "active".into(),
        expiry_ms,
        created_by: caller.to_string(),
        created_ms: now,
        updated_ms: now,
        token: token.clone(),
    };
    let t = st
        .tenant_mut(tenant_id)
        .ok_or_else(|| not_found(tenant_id))?;
    let mut v = key_json(t, &key, now);
    v["token"] = json!(token);
    t.identity.api_keys.push(key);
    Ok(json_response(201, &v))
}

fn list(req: &Req, t: &Tenant, caller: &str, admin: bool, now: SimMs) -> HResult {
    let limit = match req.q("limit") {
        None => 20,
        Some(s) => match s.trim().parse::<usize>() {
            Ok(n) if (1..=100).contains(&n) => n,
            _ => return Err(bad(format!("limit must be 1..100, got \"{s}\""))),
        },
    };
    if let Some(s) = req.q("status") {
        if !["active", "expired", "revoked"].contains(&s) {
            return Err(bad("status must be active, expired or revoked"));
        }
    }
    let desc = match req.q("sort").unwrap_or("-created") {
        "created" | "+created" => false,
        "-created" => true,
        s => {
            return Err(bad(format!(
                "Invalid sort \"{s}\"; use created or -created"
            )))
        }
    };
    let mut items: Vec<&ApiKey> = t
        .identity
        .api_keys
        .iter()
        .filter(|k| admin || k.sub == caller || k.created_by == caller)
        .filter(|k| req.q("sub").is_none_or(|s| k.sub == s))
        .filter(|k| req.q("createdByUser").is_none_or(|s| k.created_by == s))
        .filter(|k| req.q("status").is_none_or(|s| k.status_at(now) == s))
        .collect();
    if desc {
        items.reverse();
    }
    let pos = |id: &str| items.iter().position(|k| k.id == id);
    let (start, end) = match (req.q("startingAfter"), req.q("endingBefore")) {
        (Some(_), Some(_)) => return Err(bad("startingAfter and endingBefore cannot be combined")),
        (Some(c), None) => {
            let p = pos(c).ok_or_else(|| bad(format!("Unknown cursor startingAfter={c}")))?;
            (p + 1, (p + 1 + limit).min(items.len()))
        }
        (None, Some(c)) => {
            let p = pos(c).ok_or_else(|| bad(format!("Unknown cursor endingBefore={c}")))?;
            (p.saturating_sub(limit), p)
        }
        (None, None) => (0, limit.min(items.len())),
    };
    let page = &items[start..end];
    let href = |cursor: Option<(&str, &str)>| {
        let mut pairs: Vec<(String, String)> = req
            .query
            .iter()
            .filter(|(k, _)| cursor.is_none() || (k != "startingAfter" && k != "endingBefore"))
            .cloned()
            .collect();
        if let Some((k, v)) = cursor {
            pairs.push((k.to_string(), v.to_string()));
        }
        let q = build_query(&pairs);
        if q.is_empty() {
            req.abs(&req.path)
        } else {
            req.abs(&format!("{}?{q}", req.path))
        }
    };
    let mut links = Map::new();
    links.insert("self".into(), json!({"href": href(None)}));
    if let (true, Some(last)) = (end < items.len(), page.last()) {
        links.insert(
            "next".into(),
            json!({"href": href(Some(("startingAfter", &last.id)))}),
        );
    }
    if let (true, Some(first)) = (start > 0, page.first()) {
        links.insert(
            "prev".into(),
            json!({"href": href(Some(("endingBefore", &first.id)))}),
        );
    }
    let data: Vec<Value> = page.iter().map(|k| key_json(t, k, now)).collect();
    ok(&json!({"data": data, "links": links}))
}

/// What a Bearer API key stands for on the tenant `tenant_id`: `Ok(Some(user id))`, `Ok(None)`
/// when `token` is no API key at all, `Err(detail)` for a key of another tenant, or a revoked or
/// expired key.
pub fn authenticate(st: &State, tenant_id: &str, token: &str) -> Result<Option<String>, String> {
    let now = st.now();
    for t in st.tenants.iter() {
        if let Some(k) = t.identity.api_keys.iter().find(|k| k.token == token) {
            if t.id != tenant_id {
                return Err("The API key was not issued for this tenant".into());
            }
            return match k.status_at(now) {
                "active" => Ok(Some(k.sub.clone())),
                s => Err(format!("The API key is {s}")),
            };
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("P7D"), Some(7 * 86_400));
        assert_eq!(parse_duration("PT12H"), Some(12 * 3600));
        assert_eq!(parse_duration("P1Y"), Some(365 * 86_400));
        assert_eq!(parse_duration("P1DT1M"), Some(86_400 + 60));
        assert_eq!(parse_duration("P1W"), Some(7 * 86_400));
        for bad in [
            "",
            "P",
            "7D",
            "PT",
            "P1H",
            "PD",
            "P1D2",
            "PDT1H",
            "P99999999999999999999D",
            "P1D1Y",
        ] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
    }
}
