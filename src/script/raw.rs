//! Raw calls on a tenant handle, for anything not modelled yet: same auth, retries, errors.

use super::convert::{lift, to_dynamic, to_json};
use super::handles::{ApiCalls, TenantHandle};
use super::native::{fail, native, Fallible};
use reqwest::Method;
use rhai::{Dynamic, Engine, Map, INT};

fn method(name: &str) -> Fallible<Method> {
    match name.to_ascii_uppercase().as_str() {
        "GET" => Ok(Method::GET),
        "POST" => Ok(Method::POST),
        "PUT" => Ok(Method::PUT),
        "PATCH" => Ok(Method::PATCH),
        "DELETE" => Ok(Method::DELETE),
        other => fail(format!(
            "unsupported method {other:?}: use GET, POST, PUT, PATCH or DELETE"
        )),
    }
}

fn body(value: Dynamic) -> Fallible<Option<serde_json::Value>> {
    if value.is_unit() {
        Ok(None)
    } else {
        to_json(&value).map(Some)
    }
}

pub fn register(engine: &mut Engine) {
    native!(
        engine,
        "get",
        ["t: &mut Tenant", "path: &str", "Dynamic"],
        "GET any path on the tenant, e.g. `t.get(\"/api/v1/items?limit=5\")`; the JSON answer.",
        |t: &mut TenantHandle, path: &str| t.value(t.api.get_json(path))
    );
    native!(
        engine,
        "get_all",
        ["t: &mut Tenant", "path: &str", "Array"],
        "Every item of a list path, following `links.next.href` through all pages.",
        |t: &mut TenantHandle, path: &str| t.values(t.api.list_path(path, None))
    );
    native!(
        engine,
        "get_all",
        ["t: &mut Tenant", "path: &str", "limit: INT", "Array"],
        "At most `limit` items of a list path, across pages.",
        |t: &mut TenantHandle, path: &str, limit: INT| {
            if limit < 1 {
                return fail(format!("limit must be at least 1, got {limit}"));
            }
            t.values(t.api.list_path(path, Some(limit as usize)))
        }
    );
    for (name, verb, what) in [
        (
            "post",
            Method::POST,
            "POST a JSON body (a map or array; `()` for none)",
        ),
        ("put", Method::PUT, "PUT a JSON body"),
        ("patch", Method::PATCH, "PATCH JSON Patch operations"),
    ] {
        native!(
            engine,
            name,
            ["t: &mut Tenant", "path: &str", "body: Dynamic", "Dynamic"],
            &format!("{what} to any path on the tenant; the JSON answer."),
            move |t: &mut TenantHandle, path: &str, b: Dynamic| {
                t.value(t.api.call(verb.clone(), path, body(b)?, &[]))
            }
        );
    }
    native!(
        engine,
        "delete",
        ["t: &mut Tenant", "path: &str", "Dynamic"],
        "DELETE any path on the tenant.",
        |t: &mut TenantHandle, path: &str| t.value(t.api.delete_path(path))
    );
    native!(
        engine,
        "request",
        [
            "t: &mut Tenant",
            "method: &str",
            "path: &str",
            "body: Dynamic",
            "headers: Map",
            "Map"
        ],
        "Any request with extra headers; the whole answer as `#{status, headers, body}`.",
        |t: &mut TenantHandle, m: &str, path: &str, b: Dynamic, headers: Map| -> Fallible<Map> {
            let mut extra = Vec::new();
            for (k, v) in headers {
                let Ok(name) = reqwest::header::HeaderName::from_bytes(k.as_bytes()) else {
                    return fail(format!("invalid header name {k:?}"));
                };
                extra.push((name, v.to_string()));
            }
            let resp = t.call(t.api.request_with(method(m)?, path, body(b)?, extra))?;
            let mut out = Map::new();
            out.insert("status".into(), (resp.status as INT).into());
            let hs: Map = resp
                .headers
                .iter()
                .filter_map(|(k, v)| {
                    v.to_str()
                        .ok()
                        .map(|v| (k.as_str().into(), Dynamic::from(v.to_string())))
                })
                .collect();
            out.insert("headers".into(), hs.into());
            out.insert("body".into(), to_dynamic(lift(resp.json())?));
            Ok(out)
        }
    );
}
