//! Items API, apps only: `GET /api/v1/items` lists the tenant's apps (created ones and the
//! staged copies distributed from QSEoW) as items, filtered by `resourceType`, `name` (exact,
//! case-insensitive), `query` (substring of the name), `spaceId`, `ownerId`, sorted by
//! `sort` (`[+-]name|createdAt|updatedAt`), paged with absolute `links.next.href`.

use super::apps::{app_json, App};
use super::clock::iso;
use super::errors::{ok, Api, ApiError, HResult};
use super::paging;
use super::request::Req;
use super::state::Tenant;
use crate::wire;
use serde_json::{json, Value};

fn bad(detail: impl Into<String>) -> ApiError {
    ApiError::new(Api::Roles, 400, "HTTP-400", "Bad Request").detail(detail)
}

/// A stable pseudo id for a tag name (tags are not modelled as resources).
fn tag_id(name: &str) -> String {
    let d = ring::digest::digest(&ring::digest::SHA256, name.to_lowercase().as_bytes());
    d.as_ref()[..12]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn item_json(req: &Req, t: &Tenant, a: &App) -> Value {
    let attrs = app_json(t, a)["attributes"].clone();
    json!({
        "id": a.item_id,
        "name": a.name,
        "description": a.description,
        "resourceType": "app",
        "resourceSubType": "",
        "resourceId": a.id,
        "resourceLink": format!("/api/v1/apps/{}", a.id),
        "resourceAttributes": attrs,
        "resourceCustomAttributes": null,
        "resourceCreatedAt": iso(a.created_ms),
        "resourceUpdatedAt": iso(a.modified_ms),
        "ownerId": a.owner_id,
        "creatorId": a.owner_id,
        "updaterId": a.owner_id,
        "spaceId": a.space_id.clone().unwrap_or_else(|| wire::ITEMS_NO_SPACE.to_string()),
        "tenantId": t.id,
        "createdAt": iso(a.created_ms),
        "updatedAt": iso(a.modified_ms),
        "collectionIds": [],
        "isFavorited": false,
        "meta": {
            "tags": a.tags.iter().map(|n| json!({"id": tag_id(n), "name": n})).collect::<Vec<_>>(),
            "collections": [],
            "actions": ["read", "update", "delete"],
        },
        "links": {"self": {"href": req.abs(&format!("/api/v1/items/{}", a.item_id))}},
    })
}

/// GET /api/v1/items
pub fn list(req: &Req, t: &Tenant) -> HResult {
    let page = paging::parse(req, 10, 100).map_err(bad)?;
    let types: Option<Vec<String>> = req.q("resourceType").map(|s| {
        s.split(',')
            .map(|x| x.trim().to_ascii_lowercase())
            .collect()
    });
    let name = req.q("name").map(str::to_lowercase);
    let query = req.q("query").map(str::to_lowercase);
    let space = req.q("spaceId");
    let owner = req.q("ownerId");
    let mut apps: Vec<&App> = t
        .apps
        .iter()
        .filter(|_| {
            types
                .as_ref()
                .is_none_or(|ts| ts.iter().any(|x| x == "app"))
        })
        .filter(|a| name.as_ref().is_none_or(|n| a.name.to_lowercase() == *n))
        .filter(|a| {
            query
                .as_ref()
                .is_none_or(|q| a.name.to_lowercase().contains(q))
        })
        .filter(|a| space.is_none_or(|s| a.space_id.as_deref().unwrap_or("") == s))
        .filter(|a| owner.is_none_or(|o| a.owner_id == o))
        .collect();
    if let Some(sort) = req.q("sort").filter(|s| !s.is_empty()) {
        let (desc, field) = match sort.strip_prefix('-') {
            Some(f) => (true, f),
            None => (false, sort.strip_prefix('+').unwrap_or(sort)),
        };
        match field {
            "name" => apps.sort_by_key(|a| a.name.to_lowercase()),
            "createdAt" => apps.sort_by_key(|a| a.created_ms),
            "updatedAt" => apps.sort_by_key(|a| a.modified_ms),
            _ => {
                return Err(bad(format!(
                    "sort must be [+-]name|createdAt|updatedAt, got \"{sort}\""
                )))
            }
        }
        if desc {
            apps.reverse();
        }
    }
    let data: Vec<Value> = paging::slice(&apps, page)
        .iter()
        .map(|a| item_json(req, t, a))
        .collect();
    ok(&json!({"data": data, "links": paging::links(req, page, apps.len())}))
}
