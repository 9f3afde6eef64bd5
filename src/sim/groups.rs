//! Groups (reference §5): list (SCIM `name eq`, cursors, `totalResults`), create (409 on a
//! duplicate name), get, delete, and the tenant's group settings (JSON Patch `replace`).
//! Users' `assignedGroups` and space assignments of type `group` point at these.

use super::clock::{iso, SimMs};
use super::errors::{
    self, coded, json_response, no_content, ok, with_header, Api, ApiError, HResult,
};
use super::ids::Ids;
use super::paging;
use super::request::{self, Req};
use super::scim::{self, Schema};
use super::state::Tenant;
use crate::wire;
use serde_json::{json, Value};

#[derive(Debug, Clone)]
pub struct Group {
    pub id: String,
    pub name: String,
    pub description: String,
    pub status: String,
    pub provider_type: String,
    pub role_ids: Vec<String>,
    pub created_ms: SimMs,
    pub updated_ms: SimMs,
}

#[derive(Debug, Clone, Default)]
pub struct Groups {
    pub list: Vec<Group>,
    pub auto_create_groups: bool,
    pub sync_idp_groups: bool,
}

impl Groups {
    pub fn get(&self, id: &str) -> Option<&Group> {
        self.list.iter().find(|g| g.id == id)
    }
}

const FILTER: Schema = Schema {
    eq: &["id", "name", "status", "providerType"],
    co: &["name"],
};

/// The shape of this API's errors.
const API: Api = Api::Roles;

fn bad(detail: impl Into<String>) -> ApiError {
    errors::bad_request(API, wire::GROUPS_BAD_REQUEST_CODE, detail)
}

pub fn forbidden() -> ApiError {
    errors::tenant_admin_only(API, wire::GROUPS_FORBIDDEN_CODE)
}

fn not_found(id: &str) -> ApiError {
    errors::not_found(API, wire::GROUPS_NOT_FOUND_CODE, "Group", id)
}

fn roles_json(t: &Tenant, ids: &[String]) -> Value {
    Value::Array(
        ids.iter()
            .filter_map(|id| t.role(id))
            .map(|r| json!({"id": r.id, "name": r.name, "type": r.kind, "level": r.level}))
            .collect(),
    )
}

pub fn group_json(req: &Req, t: &Tenant, g: &Group) -> Value {
    json!({
        "id": g.id,
        "tenantId": t.id,
        "name": g.name,
        "description": g.description,
        "status": g.status,
        "providerType": g.provider_type,
        "assignedRoles": roles_json(t, &g.role_ids),
        "createdAt": iso(g.created_ms),
        "lastUpdatedAt": iso(g.updated_ms),
        "links": {"self": {"href": req.abs(&format!("/api/v1/groups/{}", g.id))}},
    })
}

/// A user's `assignedGroups`: `[{id, name, providerType, assignedRoles}]`.
pub fn assigned_json(t: &Tenant, group_ids: &[String]) -> Value {
    Value::Array(
        group_ids
            .iter()
            .filter_map(|id| t.groups.get(id))
            .map(|g| {
                json!({"id": g.id, "name": g.name, "providerType": g.provider_type,
                       "assignedRoles": roles_json(t, &g.role_ids)})
            })
            .collect(),
    )
}

/// Resolves `[{id}|{name}]` (or one such object) to group ids of the tenant.
pub fn resolve(t: &Tenant, v: &Value) -> Result<Vec<String>, String> {
    let items: Vec<&Value> = match v {
        Value::Array(a) => a.iter().collect(),
        other => vec![other],
    };
    let mut out = Vec::new();
    for item in items {
        let g = if let Some(id) = item.get("id").and_then(Value::as_str) {
            t.groups.get(id)
        } else if let Some(name) = item.get("name").and_then(Value::as_str).or(item.as_str()) {
            t.groups
                .list
                .iter()
                .find(|g| g.name.eq_ignore_ascii_case(name))
        } else {
            return Err("A group must be given as {\"id\"} or {\"name\"}".into());
        };
        let g = g.ok_or_else(|| format!("Unknown group {item}"))?;
        if !out.contains(&g.id) {
            out.push(g.id.clone());
        }
    }
    Ok(out)
}

/// GET /api/v1/groups
pub fn list(req: &Req, t: &Tenant) -> HResult {
    // qlik-sdk sends `systemGroups=False` on every call; `true` lists the system groups
    // "instead of regular groups" (the other parameters then do not apply).
    match req.q("systemGroups") {
        None => {}
        Some(v) if v.eq_ignore_ascii_case("false") => {}
        Some(v) if v.eq_ignore_ascii_case("true") => return system_groups(req, t),
        Some(v) => {
            return Err(bad(format!(
                "systemGroups must be true or false, got \"{v}\""
            )))
        }
    }
    listing(
        req,
        t,
        req.q("filter"),
        &["name", "id", "_id", "createdAt", "lastUpdatedAt"],
    )
}

/// POST /api/v1/groups/actions/filter: body `{filter}`; `limit`, `next`, `prev`, and `sort`
/// by name only (as @qlik/api's `filterGroups` types it).
pub fn filter_post(req: &Req, t: &Tenant) -> HResult {
    let body = req.json_or_empty().map_err(bad)?;
    let filter = match body.get("filter") {
        None | Some(Value::Null) => None,
        Some(Value::String(f)) => Some(f.as_str()),
        Some(_) => return Err(bad("filter must be a string")),
    };
    listing(req, t, filter, &["name"])
}

/// The system groups (the tenant's "Everyone"), as a list answer.
fn system_groups(req: &Req, t: &Tenant) -> HResult {
    let everyone = json!({
        "id": wire::GROUPS_EVERYONE_ID,
        "tenantId": t.id,
        "name": wire::GROUPS_EVERYONE_NAME,
        "description": "",
        "status": "active",
        "providerType": "custom",
        "assignedRoles": [],
        "createdAt": iso(t.created_ms),
        "lastUpdatedAt": iso(t.created_ms),
        "links": {"self": {"href": req.abs(&format!("/api/v1/groups/{}", wire::GROUPS_EVERYONE_ID))}},
    });
    ok(&json!({"data": [everyone], "links": {"self": {"href": req.abs(&req.path)}}}))
}

fn listing(req: &Req, t: &Tenant, filter: Option<&str>, sorts: &[&str]) -> HResult {
    let page = paging::parse(req, 20, 100).map_err(bad)?;
    let filter = filter
        .map(|f| scim::parse(f, &FILTER).map_err(|e| bad(format!("Invalid filter: {e}"))))
        .transpose()?;
    let mut items: Vec<&Group> = t
        .groups
        .list
        .iter()
        .filter(|g| {
            filter.as_ref().is_none_or(|f| {
                f.matches(&|a| match a {
                    "id" => vec![g.id.clone()],
                    "name" => vec![g.name.clone()],
                    "status" => vec![g.status.clone()],
                    "providerType" => vec![g.provider_type.clone()],
                    _ => vec![],
                })
            })
        })
        .collect();
    let sort = req.q("sort").unwrap_or("+name");
    let (desc, field) = match sort.strip_prefix('-') {
        Some(f) => (true, f),
        None => (false, sort.strip_prefix('+').unwrap_or(sort)),
    };
    if !sorts.contains(&field) {
        return Err(bad(format!("Invalid sort \"{sort}\"")));
    }
    match field {
        "name" => items.sort_by_key(|g| g.name.to_lowercase()),
        "id" | "_id" => items.sort_by(|a, b| a.id.cmp(&b.id)),
        "createdAt" => items.sort_by_key(|g| g.created_ms),
        "lastUpdatedAt" => items.sort_by_key(|g| g.updated_ms),
        _ => return Err(bad(format!("Invalid sort \"{sort}\""))),
    }
    if desc {
        items.reverse();
    }
    ok(&paging::page_body(req, page, &items, |g| {
        group_json(req, t, g)
    }))
}

fn opt_str(body: &Value, key: &str) -> Result<Option<String>, ApiError> {
    request::opt_string(body, key).map_err(bad)
}

/// POST /api/v1/groups (TenantAdmin)
pub fn create(req: &Req, t: &mut Tenant, now: SimMs, ids: &mut Ids) -> HResult {
    let body = req.json().map_err(bad)?;
    if !body.is_object() {
        return Err(bad("The request body must be a JSON object"));
    }
    let name = opt_str(&body, "name")?.unwrap_or_default();
    if name.trim().is_empty() {
        return Err(bad("name is required"));
    }
    let description = opt_str(&body, "description")?.unwrap_or_default();
    let provider_type = opt_str(&body, "providerType")?.unwrap_or_else(|| "custom".into());
    if provider_type != "custom" && provider_type != "idp" {
        return Err(bad("providerType must be custom or idp"));
    }
    let status = opt_str(&body, "status")?.unwrap_or_else(|| "active".into());
    if status != "active" {
        return Err(bad("status must be active"));
    }
    let mut role_ids = Vec::new();
    if let Some(v) = body.get("assignedRoles").filter(|v| !v.is_null()) {
        let arr = v
            .as_array()
            .ok_or_else(|| bad("assignedRoles must be an array"))?;
        for r in arr {
            let role = if let Some(id) = r.get("id").and_then(Value::as_str) {
                t.role(id)
            } else if let Some(n) = r.get("name").and_then(Value::as_str) {
                t.role_by_name(n)
            } else {
                None
            };
            let role = role.ok_or_else(|| bad(format!("Unknown role {r}")))?;
            if !role_ids.contains(&role.id) {
                role_ids.push(role.id.clone());
            }
        }
    }
    if t.groups
        .list
        .iter()
        .any(|g| g.name.eq_ignore_ascii_case(&name))
    {
        return Err(coded(
            API,
            409,
            wire::GROUPS_CONFLICT_CODE,
            "Conflict",
            format!("A group named \"{name}\" already exists"),
        ));
    }
    let g = Group {
        id: ids.object_id(),
        name,
        description,
        status,
        provider_type,
        role_ids,
        created_ms: now,
        updated_ms: now,
    };
    let out = group_json(req, t, &g);
    let href = req.abs(&format!("/api/v1/groups/{}", g.id));
    t.groups.list.push(g);
    Ok(with_header(json_response(201, &out), "location", &href))
}

/// GET /api/v1/groups/{id}
pub fn get(req: &Req, t: &Tenant, id: &str) -> HResult {
    t.groups
        .get(id)
        .map(|g| ok(&group_json(req, t, g)))
        .unwrap_or_else(|| Err(not_found(id)))
}

/// DELETE /api/v1/groups/{id} (TenantAdmin): also leaves users and spaces.
pub fn delete(t: &mut Tenant, id: &str) -> HResult {
    let before = t.groups.list.len();
    t.groups.list.retain(|g| g.id != id);
    if t.groups.list.len() == before {
        return Err(not_found(id));
    }
    for u in &mut t.users {
        u.group_ids.retain(|g| g != id);
    }
    t.spaces
        .assignments
        .retain(|a| !(a.kind == "group" && a.assignee_id == id));
    no_content()
}

/// GET /api/v1/groups/settings
pub fn settings(req: &Req, t: &Tenant) -> HResult {
    let everyone = wire::GROUPS_EVERYONE_ID;
    ok(&json!({
        "autoCreateGroups": t.groups.auto_create_groups,
        "syncIdpGroups": t.groups.sync_idp_groups,
        "systemGroups": {
            everyone: {
                "id": everyone,
                "name": wire::GROUPS_EVERYONE_NAME,
                "enabled": true,
                "createdAt": iso(t.created_ms),
                "lastUpdatedAt": iso(t.created_ms),
                "assignedRoles": [],
            }
        },
        "tenantId": t.id,
        "links": {"self": {"href": req.abs("/api/v1/groups/settings")}},
    }))
}

/// PATCH /api/v1/groups/settings (TenantAdmin): `replace` on `/autoCreateGroups`,
/// `/syncIdpGroups` with booleans; all or nothing; 204.
pub fn patch_settings(req: &Req, t: &mut Tenant) -> HResult {
    let body = req.json().map_err(bad)?;
    let ops = body
        .as_array()
        .ok_or_else(|| bad("The body must be a JSON Patch array"))?;
    let mut next = (t.groups.auto_create_groups, t.groups.sync_idp_groups);
    for (i, op) in ops.iter().enumerate() {
        let name = op.get("op").and_then(Value::as_str).unwrap_or("");
        let path = op.get("path").and_then(Value::as_str).unwrap_or("");
        let value = op.get("value").and_then(Value::as_bool);
        if name != "replace" {
            return Err(bad(format!(
                "Unsupported op \"{name}\" at /{i}; use replace"
            )));
        }
        let v = value.ok_or_else(|| bad(format!("The value at /{i} must be a boolean")))?;
        match path {
            "/autoCreateGroups" => next.0 = v,
            "/syncIdpGroups" => next.1 = v,
            _ => return Err(bad(format!("Unsupported path \"{path}\" at /{i}"))),
        }
    }
    (t.groups.auto_create_groups, t.groups.sync_idp_groups) = next;
    no_content()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_by_id_or_name() {
        let mut st = crate::sim::seed::seed(&crate::sim::SimOptions::default());
        let t = &mut st.tenants[0];
        t.groups.list.push(Group {
            id: "g1".into(),
            name: "Sales".into(),
            description: String::new(),
            status: "active".into(),
            provider_type: "custom".into(),
            role_ids: vec![],
            created_ms: 0,
            updated_ms: 0,
        });
        assert_eq!(
            resolve(t, &json!([{"name": "sales"}, {"id": "g1"}])).unwrap(),
            vec!["g1"]
        );
        assert!(resolve(t, &json!([{"name": "nope"}])).is_err());
        assert!(resolve(t, &json!([42])).is_err());
    }
}
