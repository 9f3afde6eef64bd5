//! Moving apps between tenants (Apps API, `qliksense-apps` OpenAPI spec): export to a
//! temporary file, import from raw bytes, update attributes, publish to a managed space and
//! republish over the published copy.
//!
//! - `POST /api/v1/apps/{appId}/export[?NoData]` → **201**, no body, `Location` of a
//!   temp-contents download; 404 for an unknown app (spec: 201/400/401/403/404).
//! - `POST /api/v1/apps/import?name&spaceId&mode&NoData&fileId&appId&fallbackName`, body the app
//!   file as `application/octet-stream` (or `fileId` naming a temp-contents file) → **200**
//!   NxApp; 404 for an unknown space or file (the spec lists 200 and 404). Modes `NEW`
//!   (default) and `AUTOREPLACE`, which the spec reserves for internal use.
//! - `PUT /api/v1/apps/{appId}` `{attributes:{name?, description?}}` → 200 NxApp.
//! - `POST /api/v1/apps/{appId}/publish` `{spaceId, attributes?, data?, moveApp?, originAppId?}`
//!   → 200 NxApp of the published copy, whose `originAppId` is the source app.
//! - `PUT /api/v1/apps/{appId}/publish` `{targetId, attributes?, data?, checkOriginAppId?}` →
//!   200 NxApp of the republished target (same id, new content).
//!
//! An app file is the simulator's own format ([`encode`]): a magic line, a JSON header with the
//! app's name and description, then the app's payload. Status codes the spec does not list
//! (size limit, malformed file, wrong space type, modes) are assumptions in [`crate::wire`].

use super::apps::{app_json, bad, not_found as app_not_found, App};
use super::clock::SimMs;
use super::errors::{self, coded, ok, with_header, Api, ApiError, HResult};
use super::ids::Ids;
use super::request::Req;
use super::state::Tenant;
use crate::wire;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;

/// App payloads by app id: what an export carries besides the name and description.
pub type Payloads = HashMap<String, Arc<Vec<u8>>>;

const API: Api = Api::Roles;
const MAGIC: &[u8] = b"QOPS-SIM-QVF/1\n";

fn space_not_found(id: &str) -> ApiError {
    errors::not_found(API, wire::APPS_NOT_FOUND_CODE, "Space", id)
}

/// An app file: magic line, one line of JSON header, payload.
pub fn encode(name: &str, description: &str, payload: &[u8]) -> Vec<u8> {
    let header = json!({"name": name, "description": description}).to_string();
    let mut out = Vec::with_capacity(MAGIC.len() + header.len() + 1 + payload.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(header.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(payload);
    out
}

/// The header and payload of an app file; `Err` says why it is not one.
pub fn decode(bytes: &[u8]) -> Result<(Value, Vec<u8>), String> {
    let rest = bytes
        .strip_prefix(MAGIC)
        .ok_or("The file is not a Qlik Sense app (.qvf)")?;
    let nl = rest
        .iter()
        .position(|b| *b == b'\n')
        .ok_or("The app file is truncated")?;
    let header: Value = serde_json::from_slice(&rest[..nl])
        .map_err(|_| "The app file's header is corrupt".to_string())?;
    if !header.is_object() {
        return Err("The app file's header is corrupt".into());
    }
    Ok((header, rest[nl + 1..].to_vec()))
}

/// The payload of an app: stored for imported and seeded apps, derived from the id otherwise.
fn payload(t: &Tenant, a: &App) -> Arc<Vec<u8>> {
    t.app_payloads
        .get(&a.id)
        .cloned()
        .unwrap_or_else(|| Arc::new(format!("app {}\n", a.id).into_bytes()))
}

fn find<'a>(t: &'a Tenant, id: &str) -> Result<&'a App, ApiError> {
    t.apps
        .iter()
        .find(|a| a.id == id)
        .ok_or_else(|| app_not_found(id))
}

/// POST /api/v1/apps/{appId}/export: 201 + `Location` of the export in temp-contents.
pub fn export(t: &mut Tenant, id: &str, caller: &str, now: SimMs, ids: &mut Ids) -> HResult {
    let a = find(t, id)?;
    let file = encode(&a.name, &a.description, &payload(t, a));
    let name = format!("{}.qvf", a.name.replace(['/', '\\', '"'], "_"));
    let f = t.temp_contents.store(
        ids,
        &name,
        Arc::new(file),
        caller,
        now,
        wire::APP_EXPORT_TTL_SECS,
    );
    let resp = StatusCode::CREATED.into_response();
    Ok(with_header(resp, "location", &f.location()))
}

/// The target space of an import or publish, checked: it exists (404) and has a type that
/// takes this operation (400, see [`wire::APPS_WRONG_SPACE_TYPE_STATUS`]).
fn space_for(t: &Tenant, id: &str, allowed: &[&str], what: &str) -> Result<(), ApiError> {
    let s = t.spaces.get(id).ok_or_else(|| space_not_found(id))?;
    if !allowed.contains(&s.kind) {
        return Err(coded(
            API,
            wire::APPS_WRONG_SPACE_TYPE_STATUS,
            wire::APPS_BAD_REQUEST_CODE,
            "Bad request",
            format!(
                "Cannot {what} space {id}: it is a {} space; {what} needs a {} space",
                s.kind,
                allowed.join(" or ")
            ),
        ));
    }
    Ok(())
}

/// POST /api/v1/apps/import
pub fn import(req: &Req, t: &mut Tenant, caller: &str, now: SimMs, ids: &mut Ids) -> HResult {
    let mode = req.q("mode").unwrap_or("NEW");
    if mode.eq_ignore_ascii_case("AUTOREPLACE") {
        return Err(bad(
            "The autoreplace mode is an internal mode only and is not permitted for external use",
        ));
    }
    if !mode.eq_ignore_ascii_case("NEW") {
        return Err(bad(format!(
            "mode must be NEW or AUTOREPLACE, got \"{mode}\""
        )));
    }
    let space_id = req.q("spaceId").filter(|s| !s.is_empty());
    if let Some(sp) = space_id {
        space_for(t, sp, &["shared"], "import into")?;
    }
    let file: Arc<Vec<u8>> = match req.q("fileId").filter(|s| !s.is_empty()) {
        Some(file_id) => t.temp_contents.live(file_id, now)?.bytes.clone(),
        None => Arc::new(req.body.clone()),
    };
    if file.is_empty() {
        return Err(bad(
            "The request has no app file: send its bytes or a fileId",
        ));
    }
    if file.len() > wire::APP_IMPORT_MAX_BYTES {
        return Err(coded(
            API,
            413,
            wire::APPS_TOO_LARGE_CODE,
            "Payload Too Large",
            format!(
                "The app file is {} bytes; at most {} bytes can be imported",
                file.len(),
                wire::APP_IMPORT_MAX_BYTES
            ),
        ));
    }
    let (header, body) = decode(&file).map_err(bad)?;
    let from_file = header.get("name").and_then(Value::as_str).unwrap_or("");
    let name = req
        .q("name")
        .filter(|n| !n.trim().is_empty())
        .or(Some(from_file).filter(|n| !n.trim().is_empty()))
        .or(req.q("fallbackName").filter(|n| !n.trim().is_empty()))
        .ok_or_else(|| bad("The app file has no name: give one with `name`"))?
        .to_string();
    let description = header
        .get("description")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let app = App::new(
        ids,
        name,
        description,
        caller,
        space_id.map(str::to_string),
        now,
    );
    t.app_payloads.insert(app.id.clone(), Arc::new(body));
    let out = app_json(t, &app);
    t.apps.push(app);
    ok(&out)
}

/// `attributes: {name?, description?}` of an update, publish or republish body.
fn attributes(body: &Value) -> Result<(Option<String>, Option<String>), ApiError> {
    let attrs = match body.get("attributes") {
        None | Some(Value::Null) => return Ok((None, None)),
        Some(v @ Value::Object(_)) => v,
        Some(_) => return Err(bad("attributes must be an object")),
    };
    let s = |k: &str| match attrs.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(bad(format!("attributes.{k} must be a string"))),
    };
    let name = s("name")?;
    if name.as_deref().is_some_and(|n| n.trim().is_empty()) {
        return Err(bad("attributes.name must not be empty"));
    }
    Ok((name, s("description")?))
}

fn apply(a: &mut App, (name, description): (Option<String>, Option<String>), now: SimMs) {
    if let Some(n) = name {
        a.name = n;
    }
    if let Some(d) = description {
        a.description = d;
    }
    a.modified_ms = now;
}

fn index(t: &Tenant, id: &str) -> Result<usize, ApiError> {
    t.apps
        .iter()
        .position(|a| a.id == id)
        .ok_or_else(|| app_not_found(id))
}

/// PUT /api/v1/apps/{appId}: `{attributes:{name?, description?}}` → 200 NxApp.
pub fn update(req: &Req, t: &mut Tenant, id: &str, now: SimMs) -> HResult {
    let i = index(t, id)?;
    let body = req.json().map_err(bad)?;
    let attrs = attributes(&body)?;
    apply(&mut t.apps[i], attrs, now);
    ok(&app_json(t, &t.apps[i]))
}

fn string_field(body: &Value, key: &str) -> Result<Option<String>, ApiError> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if !s.is_empty() => Ok(Some(s.clone())),
        Some(Value::String(_)) => Ok(None),
        Some(_) => Err(bad(format!("{key} must be a string"))),
    }
}

/// `data` is `source` or `target` when given.
fn check_data(body: &Value) -> Result<(), ApiError> {
    match string_field(body, "data")?.as_deref() {
        None | Some("source") | Some("target") => Ok(()),
        Some(other) => Err(bad(format!(
            "data must be source or target, got \"{other}\""
        ))),
    }
}

/// POST /api/v1/apps/{appId}/publish: a copy of the app in a managed space.
pub fn publish(
    req: &Req,
    t: &mut Tenant,
    id: &str,
    caller: &str,
    now: SimMs,
    ids: &mut Ids,
) -> HResult {
    let body = req.json().map_err(bad)?;
    let source = index(t, id)?;
    let space_id = string_field(&body, "spaceId")?.ok_or_else(|| bad("spaceId is required"))?;
    space_for(t, &space_id, &["managed"], "publish to")?;
    check_data(&body)?;
    let attrs = attributes(&body)?;
    if t.apps
        .iter()
        .any(|a| a.origin_app_id == id && a.space_id.as_deref() == Some(&space_id))
    {
        return Err(coded(
            API,
            409,
            wire::APPS_CONFLICT_CODE,
            "Conflict",
            format!("App {id} is already published to space {space_id}; republish it instead"),
        ));
    }
    let src = &t.apps[source];
    let mut copy = App {
        publish_ms: Some(now),
        origin_app_id: id.to_string(),
        ..App::new(
            ids,
            src.name.clone(),
            src.description.clone(),
            caller,
            Some(space_id),
            now,
        )
    };
    let content = payload(t, src);
    apply(&mut copy, attrs, now);
    t.app_payloads.insert(copy.id.clone(), content);
    let out = app_json(t, &copy);
    t.apps.push(copy);
    ok(&out)
}

/// PUT /api/v1/apps/{appId}/publish: the source's content over the published `targetId`.
pub fn republish(req: &Req, t: &mut Tenant, id: &str, now: SimMs) -> HResult {
    let body = req.json().map_err(bad)?;
    let source = index(t, id)?;
    let target_id = string_field(&body, "targetId")?.ok_or_else(|| bad("targetId is required"))?;
    let target = index(t, &target_id)?;
    check_data(&body)?;
    let attrs = attributes(&body)?;
    let check_origin = match body.get("checkOriginAppId") {
        None | Some(Value::Null) => true,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(bad("checkOriginAppId must be a boolean")),
    };
    let tgt = &t.apps[target];
    if tgt.publish_ms.is_none() {
        return Err(bad(format!("App {target_id} is not a published app")));
    }
    if check_origin && tgt.origin_app_id != id {
        return Err(coded(
            API,
            409,
            wire::APPS_CONFLICT_CODE,
            "Conflict",
            format!(
                "App {target_id} was not published from app {id}; set checkOriginAppId to false to republish over it"
            ),
        ));
    }
    let content = payload(t, &t.apps[source]);
    let (name, description) = (
        t.apps[source].name.clone(),
        t.apps[source].description.clone(),
    );
    let tgt = &mut t.apps[target];
    tgt.name = name;
    tgt.description = description;
    tgt.origin_app_id = id.to_string();
    tgt.publish_ms = Some(now);
    apply(tgt, attrs, now);
    t.app_payloads.insert(target_id, content);
    ok(&app_json(t, &t.apps[target]))
}

/// The methods an app-transfer path allows (`rest` after `/api/v1/apps`).
pub fn methods(rest: &[&str]) -> Option<&'static [&'static str]> {
    match rest {
        ["import"] => Some(&["POST"]),
        [_, "export"] => Some(&["POST"]),
        [_, "publish"] => Some(&["POST", "PUT"]),
        _ => None,
    }
}

/// Routes an app-transfer request (`rest` after `/api/v1/apps`).
pub fn handle(
    req: &Req,
    t: &mut Tenant,
    rest: &[&str],
    caller: &str,
    now: SimMs,
    ids: &mut Ids,
) -> HResult {
    match (req.method.as_str(), rest) {
        ("POST", ["import"]) => import(req, t, caller, now, ids),
        ("POST", [id, "export"]) => export(t, id, caller, now, ids),
        ("POST", [id, "publish"]) => publish(req, t, id, caller, now, ids),
        ("PUT", [id, "publish"]) => republish(req, t, id, now),
        _ => Err(app_not_found(&rest.join("/"))),
    }
}

/// The name of the template app seeded on the source tenant.
pub const TEMPLATE_APP_NAME: &str = "Sales Template";

/// Seeds [`TEMPLATE_APP_NAME`] on the source tenant, owned by `owner`, with a payload of a few
/// kilobytes, so cloud-to-cloud deployment has something to deploy.
pub fn seed_template(t: &mut Tenant, owner: &str, now: SimMs, ids: &mut Ids) {
    let app = App::new(
        ids,
        TEMPLATE_APP_NAME.to_string(),
        "Sales dashboard template for customer tenants".to_string(),
        owner,
        None,
        now,
    );
    let mut body = Vec::new();
    for i in 0..256 {
        body.extend_from_slice(
            format!("LOAD Region, Product, Sum(Amount) AS Sales FROM sales_{i:03}.qvd;\n")
                .as_bytes(),
        );
    }
    t.app_payloads.insert(app.id.clone(), Arc::new(body));
    t.apps.push(app);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transfers_are_tier_2_and_downloads_tier_1_as_the_spec_says() {
        use super::super::limits::Tier;
        for path in [
            "/api/v1/apps/import",
            "/api/v1/apps/abc/export",
            "/api/v1/apps/abc/publish",
        ] {
            assert_eq!(Tier::of("POST", path), Tier::Tier2, "{path}");
        }
        assert_eq!(Tier::of("PUT", "/api/v1/apps/abc/publish"), Tier::Tier2);
        assert_eq!(Tier::of("GET", "/api/v1/temp-contents/x"), Tier::Tier1);
        assert_eq!(Tier::of("GET", "/api/v1/apps/abc"), Tier::Tier1);
    }

    #[test]
    fn an_app_file_round_trips_and_other_bytes_are_refused() {
        let file = encode("Sales", "d", b"payload\nwith lines");
        let (header, body) = decode(&file).unwrap_or_default();
        assert_eq!(header["name"], "Sales");
        assert_eq!(body, b"payload\nwith lines");
        assert!(decode(b"PK\x03\x04zip").is_err());
        assert!(decode(b"QOPS-SIM-QVF/1\nno newline").is_err());
        assert!(decode(b"QOPS-SIM-QVF/1\n[1]\n").is_err());
    }
}
