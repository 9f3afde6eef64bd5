//! Apps, minimal (reference §8): POST /api/v1/apps (200 NxApp), GET and DELETE by id. The
//! store lives on the tenant so a later QSEoW distribution can stage apps there, and so a space
//! holding an app refuses DELETE (412).

use super::clock::{iso, SimMs};
use super::errors::{self, ok, Api, ApiError, HResult};
use super::ids::Ids;
use super::request::Req;
use super::state::Tenant;
use crate::wire;
use axum::response::IntoResponse;
use serde_json::{json, Value};

#[derive(Debug, Clone)]
pub struct App {
    /// A UUID, as Qlik app ids are.
    pub id: String,
    pub name: String,
    pub description: String,
    pub owner_id: String,
    pub space_id: Option<String>,
    pub created_ms: SimMs,
    pub modified_ms: SimMs,
    /// Set when an app was distributed from client-managed (QSEoW).
    pub published: bool,
    pub publish_ms: Option<SimMs>,
    pub origin_app_id: String,
    /// Tags (from a distributed app's `Tags` custom property).
    pub tags: Vec<String>,
    /// The id of the app's item in the Items API.
    pub item_id: String,
}

impl App {
    /// An app made in this tenant (created, imported, seeded or copied by publish): a fresh UUID
    /// and item id, created and modified `now`, untagged and not distributed from client-managed.
    pub fn new(
        ids: &mut Ids,
        name: String,
        description: String,
        owner_id: &str,
        space_id: Option<String>,
        now: SimMs,
    ) -> App {
        App {
            id: uuid(ids),
            name,
            description,
            owner_id: owner_id.to_string(),
            space_id,
            created_ms: now,
            modified_ms: now,
            published: false,
            publish_ms: None,
            origin_app_id: String::new(),
            tags: Vec::new(),
            item_id: ids.object_id(),
        }
    }
}

/// The shape of this API's errors.
const API: Api = Api::Roles;

pub(super) fn bad(detail: impl Into<String>) -> ApiError {
    errors::bad_request(API, wire::APPS_BAD_REQUEST_CODE, detail)
}

pub fn forbidden() -> ApiError {
    errors::forbidden(
        API,
        wire::APPS_FORBIDDEN_CODE,
        "Only the owner or a TenantAdmin can delete the app",
    )
}

pub(super) fn not_found(id: &str) -> ApiError {
    errors::not_found(API, wire::APPS_NOT_FOUND_CODE, "App", id)
}

/// A UUID v4-shaped id from the simulator's id source.
pub fn uuid(ids: &mut Ids) -> String {
    let h = ids.hex32();
    format!(
        "{}-{}-4{}-8{}-{}",
        &h[0..8],
        &h[8..12],
        &h[13..16],
        &h[17..20],
        &h[20..32]
    )
}

pub fn app_json(t: &Tenant, a: &App) -> Value {
    let owner_name = t
        .user(&a.owner_id)
        .map(|u| u.name.clone())
        .unwrap_or_default();
    let mut attrs = json!({
        "id": a.id,
        "name": a.name,
        "description": a.description,
        "thumbnail": "",
        "lastReloadTime": "",
        "createdDate": iso(a.created_ms),
        "modifiedDate": iso(a.modified_ms),
        "owner": owner_name,
        "ownerId": a.owner_id,
        "dynamicColor": "",
        "published": a.published,
        "publishTime": a.publish_ms.map(iso).unwrap_or_default(),
        "custom": {},
        "hasSectionAccess": false,
        "encrypted": true,
        "originAppId": a.origin_app_id,
        "isDirectQueryMode": false,
        "usage": "ANALYTICS",
        "_resourcetype": "app",
    });
    if let Some(s) = &a.space_id {
        attrs["spaceId"] = json!(s);
    }
    json!({
        "attributes": attrs,
        "create": [
            {"resource": "sheet", "canCreate": true},
            {"resource": "bookmark", "canCreate": true},
        ],
        "privileges": ["read", "update", "delete", "reload", "export", "duplicate", "change_owner", "change_space"],
    })
}

/// POST /api/v1/apps: `{attributes:{name, description?, spaceId?}}` → 200 NxApp.
pub fn create(_req: &Req, t: &mut Tenant, caller: &str, now: SimMs, ids: &mut Ids) -> HResult {
    let body = _req.json_or_empty().map_err(bad)?;
    let attrs = match body.get("attributes") {
        None | Some(Value::Null) => json!({}),
        Some(v @ Value::Object(_)) => v.clone(),
        Some(_) => return Err(bad("attributes must be an object")),
    };
    let s = |k: &str| -> Result<Option<String>, ApiError> {
        match attrs.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(bad(format!("attributes.{k} must be a string"))),
        }
    };
    let name = s("name")?.unwrap_or_default();
    if name.trim().is_empty() {
        return Err(bad("attributes.name is required"));
    }
    let description = s("description")?.unwrap_or_default();
    let space_id = s("spaceId")?.filter(|x| !x.is_empty());
    if let Some(sp) = &space_id {
        if t.spaces.get(sp).is_none() {
            return Err(bad(format!("Space {sp} not found")));
        }
    }
    let app = App::new(ids, name, description, caller, space_id, now);
    let out = app_json(t, &app);
    t.apps.push(app);
    ok(&out)
}

/// GET /api/v1/apps/{id}
pub fn get(t: &Tenant, id: &str) -> HResult {
    let a = t
        .apps
        .iter()
        .find(|a| a.id == id)
        .ok_or_else(|| not_found(id))?;
    ok(&app_json(t, a))
}

/// DELETE /api/v1/apps/{id}: owner or TenantAdmin; 200 with no body (the apps spec answers
/// 200, not 204).
pub fn delete(t: &mut Tenant, id: &str, caller: &str, admin: bool) -> HResult {
    let a = t
        .apps
        .iter()
        .find(|a| a.id == id)
        .ok_or_else(|| not_found(id))?;
    if !admin && a.owner_id != caller {
        return Err(forbidden());
    }
    t.apps.retain(|a| a.id != id);
    t.app_payloads.remove(id);
    Ok(axum::http::StatusCode::OK.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_shape() {
        let mut ids = Ids::new(7);
        let u = uuid(&mut ids);
        let parts: Vec<&str> = u.split('-').collect();
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            vec![8, 4, 4, 4, 12]
        );
        assert!(parts[2].starts_with('4'));
    }
}
