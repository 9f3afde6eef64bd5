//! Spaces and space assignments (reference §8): create (name rules, 409 on a duplicate name),
//! list (type, name, ownerId, sort, `next`/`prev`, `meta.count`), get, PATCH (200 + Space),
//! DELETE (412 while the space holds apps); assignments with roles checked per space type.

use super::clock::{iso, SimMs};
use super::errors::{
    self, coded, json_response, no_content, ok, with_header, Api, ApiError, HResult,
};
use super::ids::Ids;
use super::paging;
use super::request::{self, Req};
use super::state::Tenant;
use crate::wire;
use serde_json::{json, Value};

#[derive(Debug, Clone)]
pub struct Space {
    pub id: String,
    pub name: String,
    /// `shared` | `managed` | `data`
    pub kind: &'static str,
    pub description: String,
    pub owner_id: String,
    pub created_by: String,
    pub created_ms: SimMs,
    pub updated_ms: SimMs,
}

#[derive(Debug, Clone)]
pub struct SpaceAssignment {
    pub id: String,
    pub space_id: String,
    /// `user` | `group`
    pub kind: &'static str,
    pub assignee_id: String,
    pub roles: Vec<String>,
    pub created_by: String,
    pub created_ms: SimMs,
    pub updated_ms: SimMs,
}

#[derive(Debug, Clone, Default)]
pub struct Spaces {
    pub list: Vec<Space>,
    pub assignments: Vec<SpaceAssignment>,
}

impl Spaces {
    pub fn get(&self, id: &str) -> Option<&Space> {
        self.list.iter().find(|s| s.id == id)
    }
}

pub const MAX_NAME_CHARS: usize = 256;
pub const FORBIDDEN_NAME_CHARS: &[char] = &['"', '*', '?', '<', '>', '/', '|', '\\', ':'];

pub fn kind_of(s: &str) -> Option<&'static str> {
    match s {
        "shared" => Some("shared"),
        "managed" => Some("managed"),
        "data" => Some("data"),
        _ => None,
    }
}

/// The roles a member can hold in a space of `kind` (qlik.dev "Space roles").
pub fn assignable_roles(kind: &str) -> &'static [&'static str] {
    match kind {
        "shared" => &[
            "consumer",
            "dataconsumer",
            "facilitator",
            "producer",
            "codeveloper",
        ],
        "managed" => &[
            "consumer",
            "contributor",
            "dataconsumer",
            "facilitator",
            "publisher",
            "basicconsumer",
            "operator",
        ],
        "data" => &[
            "consumer",
            "dataconsumer",
            "datapreview",
            "facilitator",
            "operator",
            "producer",
            "publisher",
        ],
        _ => &[],
    }
}

/// Space name rules: non-empty, at most 256 characters, none of `" * ? < > / | \ :`.
pub fn check_name(name: &str) -> Result<(), String> {
    if name.trim().is_empty() {
        return Err("name is required".into());
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(format!("name is longer than {MAX_NAME_CHARS} characters"));
    }
    if let Some(c) = name.chars().find(|c| FORBIDDEN_NAME_CHARS.contains(c)) {
        return Err(format!(
            "name cannot contain the character '{c}' (none of \" * ? < > / | \\ :)"
        ));
    }
    Ok(())
}

/// Checks `roles` (an array of strings) against the space type.
pub fn check_roles(kind: &str, roles: &Value) -> Result<Vec<String>, String> {
    let arr = roles
        .as_array()
        .ok_or("roles must be an array of strings")?;
    let allowed = assignable_roles(kind);
    let mut out: Vec<String> = Vec::new();
    for r in arr {
        let r = r.as_str().ok_or("roles must be an array of strings")?;
        if !allowed.contains(&r) {
            return Err(format!(
                "Role \"{r}\" is not valid in a {kind} space; valid roles: {}",
                allowed.join(", ")
            ));
        }
        if !out.iter().any(|x| x == r) {
            out.push(r.to_string());
        }
    }
    Ok(out)
}

/// The shape of this API's errors.
const API: Api = Api::Roles;

fn bad(detail: impl Into<String>) -> ApiError {
    errors::bad_request(API, wire::SPACES_BAD_REQUEST_CODE, detail)
}

pub fn forbidden() -> ApiError {
    errors::tenant_admin_only(API, wire::SPACES_FORBIDDEN_CODE)
}

fn not_found(id: &str) -> ApiError {
    errors::not_found(API, wire::SPACES_NOT_FOUND_CODE, "Space", id)
}

fn assignment_not_found(id: &str) -> ApiError {
    errors::not_found(API, wire::SPACES_NOT_FOUND_CODE, "Assignment", id)
}

fn name_taken(t: &Tenant, name: &str, except: &str) -> bool {
    t.spaces
        .list
        .iter()
        .any(|s| s.id != except && s.name.to_lowercase() == name.to_lowercase())
}

fn conflict(name: &str) -> ApiError {
    coded(
        API,
        409,
        wire::SPACES_CONFLICT_CODE,
        "Conflict",
        format!("A space named \"{name}\" already exists; space names must be unique"),
    )
}

pub fn space_json(req: &Req, t: &Tenant, s: &Space, caller: &str) -> Value {
    let self_href = req.abs(&format!("/api/v1/spaces/{}", s.id));
    let roles: Vec<String> = t
        .spaces
        .assignments
        .iter()
        .filter(|a| a.space_id == s.id && a.kind == "user" && a.assignee_id == caller)
        .flat_map(|a| a.roles.clone())
        .collect();
    json!({
        "id": s.id,
        "name": s.name,
        "type": s.kind,
        "description": s.description,
        "ownerId": s.owner_id,
        "tenantId": t.id,
        "createdAt": iso(s.created_ms),
        "createdBy": s.created_by,
        "updatedAt": iso(s.updated_ms),
        "meta": {
            "actions": ["change_owner", "create", "delete", "read", "update"],
            "assignableRoles": assignable_roles(s.kind),
            "roles": roles,
        },
        "links": {
            "self": {"href": self_href},
            "assignments": {"href": format!("{self_href}/assignments")},
        },
    })
}

fn assignment_json(req: &Req, t: &Tenant, a: &SpaceAssignment) -> Value {
    json!({
        "id": a.id,
        "spaceId": a.space_id,
        "tenantId": t.id,
        "type": a.kind,
        "assigneeId": a.assignee_id,
        "roles": a.roles,
        "createdAt": iso(a.created_ms),
        "createdBy": a.created_by,
        "updatedAt": iso(a.updated_ms),
        "links": {
            "self": {"href": req.abs(&format!("/api/v1/spaces/{}/assignments/{}", a.space_id, a.id))},
            "space": {"href": req.abs(&format!("/api/v1/spaces/{}", a.space_id))},
        },
    })
}

fn str_field(body: &Value, key: &str) -> Result<Option<String>, ApiError> {
    request::opt_string(body, key).map_err(bad)
}

/// POST /api/v1/spaces (TenantAdmin)
pub fn create(req: &Req, t: &mut Tenant, caller: &str, now: SimMs, ids: &mut Ids) -> HResult {
    let body = req.json().map_err(bad)?;
    if !body.is_object() {
        return Err(bad("The request body must be a JSON object"));
    }
    let name = str_field(&body, "name")?.unwrap_or_default();
    check_name(&name).map_err(bad)?;
    let kind = str_field(&body, "type")?
        .ok_or_else(|| bad("type is required (shared, managed or data)"))?;
    let kind = kind_of(&kind).ok_or_else(|| {
        bad(format!(
            "type must be shared, managed or data, not \"{kind}\""
        ))
    })?;
    let description = str_field(&body, "description")?.unwrap_or_default();
    if name_taken(t, &name, "") {
        return Err(conflict(&name));
    }
    let s = Space {
        id: ids.object_id(),
        name,
        kind,
        description,
        owner_id: caller.to_string(),
        created_by: caller.to_string(),
        created_ms: now,
        updated_ms: now,
    };
    let out = space_json(req, t, &s, caller);
    let href = req.abs(&format!("/api/v1/spaces/{}", s.id));
    t.spaces.list.push(s);
    Ok(with_header(json_response(201, &out), "location", &href))
}

/// GET /api/v1/spaces
pub fn list(req: &Req, t: &Tenant, caller: &str) -> HResult {
    let page = paging::parse(req, 10, 100).map_err(bad)?;
    let mut types: Vec<&str> = Vec::new();
    if let Some(ty) = req.q("type") {
        for p in ty.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            types.push(kind_of(p).ok_or_else(|| bad(format!("Unknown space type \"{p}\"")))?);
        }
    }
    let name = req.q("name").map(str::to_lowercase);
    let owner = req.q("ownerId");
    // `roles=a,b`: spaces where the caller holds one of those roles (directly or through a
    // group); `action=publish`: spaces the caller may publish to (see `wire.rs`).
    let roles: Vec<&str> = req
        .q("roles")
        .map(|r| {
            r.split(',')
                .map(str::trim)
                .filter(|r| !r.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let publish = match req.q("action") {
        None => false,
        Some("publish") => true,
        Some(a) => {
            return Err(bad(format!(
                "action supports only \"publish\", got \"{a}\""
            )))
        }
    };
    let held = |s: &Space| -> Vec<&str> {
        let groups = t
            .user(caller)
            .map(|u| u.group_ids.as_slice())
            .unwrap_or_default();
        t.spaces
            .assignments
            .iter()
            .filter(|a| a.space_id == s.id)
            .filter(|a| match a.kind {
                "user" => a.assignee_id == caller,
                _ => groups.contains(&a.assignee_id),
            })
            .flat_map(|a| a.roles.iter().map(String::as_str))
            .collect()
    };
    let mut items: Vec<&Space> = t
        .spaces
        .list
        .iter()
        .filter(|s| types.is_empty() || types.contains(&s.kind))
        .filter(|s| {
            name.as_ref()
                .is_none_or(|n| s.name.to_lowercase().contains(n))
        })
        .filter(|s| owner.is_none_or(|o| s.owner_id == o))
        .filter(|s| roles.is_empty() || held(s).iter().any(|r| roles.contains(r)))
        .filter(|s| {
            !publish
                || (s.kind == "managed"
                    && (s.owner_id == caller
                        || held(s)
                            .iter()
                            .any(|r| wire::SPACES_PUBLISH_ROLES.contains(r))))
        })
        .collect();
    let sort = req.q("sort").unwrap_or("+name");
    let (desc, field) = match sort.strip_prefix('-') {
        Some(f) => (true, f),
        None => (false, sort.strip_prefix('+').unwrap_or(sort)),
    };
    match field {
        "name" => items.sort_by_key(|s| (s.name.to_lowercase(), s.id.clone())),
        "type" => items.sort_by_key(|s| (s.kind, s.name.to_lowercase())),
        "createdAt" => items.sort_by_key(|s| (s.created_ms, s.id.clone())),
        _ => {
            return Err(bad(format!(
                "Invalid sort \"{sort}\"; allowed: type, name, createdAt with + or -"
            )))
        }
    }
    if desc {
        items.reverse();
    }
    let data: Vec<Value> = paging::slice(&items, page)
        .iter()
        .map(|s| space_json(req, t, s, caller))
        .collect();
    ok(&json!({
        "data": data,
        "links": paging::links(req, page, items.len()),
        "meta": {"count": items.len()},
    }))
}

/// GET /api/v1/spaces/{id}
pub fn get(req: &Req, t: &Tenant, id: &str, caller: &str) -> HResult {
    let s = t.spaces.get(id).ok_or_else(|| not_found(id))?;
    ok(&space_json(req, t, s, caller))
}

/// PATCH /api/v1/spaces/{id} (TenantAdmin): `replace` of `/name`, `/description`, `/ownerId`;
/// all or nothing; 200 with the Space.
pub fn patch(req: &Req, t: &mut Tenant, id: &str, caller: &str, now: SimMs) -> HResult {
    let body = req.json().map_err(bad)?;
    let ops = body
        .as_array()
        .ok_or_else(|| bad("The body must be a JSON Patch array"))?;
    let idx = t
        .spaces
        .list
        .iter()
        .position(|s| s.id == id)
        .ok_or_else(|| not_found(id))?;
    let mut s = t.spaces.list[idx].clone();
    for (i, op) in ops.iter().enumerate() {
        let name = op.get("op").and_then(Value::as_str).unwrap_or("");
        let path = op.get("path").and_then(Value::as_str).unwrap_or("");
        if name != "replace" {
            return Err(bad(format!(
                "Unsupported op \"{name}\" at /{i}; use replace"
            )));
        }
        let value = op
            .get("value")
            .and_then(Value::as_str)
            .ok_or_else(|| bad(format!("The value at /{i} must be a string")))?;
        match path {
            "/name" => {
                check_name(value).map_err(bad)?;
                if name_taken(t, value, id) {
                    return Err(conflict(value));
                }
                s.name = value.to_string();
            }
            "/description" => s.description = value.to_string(),
            "/ownerId" => {
                if t.user(value).is_none_or(|u| u.status == "deleted") {
                    return Err(bad(format!(
                        "ownerId \"{value}\" is not a user of the tenant"
                    )));
                }
                s.owner_id = value.to_string();
            }
            _ => return Err(bad(format!("Unsupported path \"{path}\" at /{i}"))),
        }
    }
    s.updated_ms = now;
    t.spaces.list[idx] = s;
    ok(&space_json(req, t, &t.spaces.list[idx], caller))
}

/// DELETE /api/v1/spaces/{id} (TenantAdmin): 412 while apps live in the space.
pub fn delete(t: &mut Tenant, id: &str) -> HResult {
    if t.spaces.get(id).is_none() {
        return Err(not_found(id));
    }
    let apps = t
        .apps
        .iter()
        .filter(|a| a.space_id.as_deref() == Some(id))
        .count();
    if apps > 0 {
        return Err(coded(
            API,
            412,
            wire::SPACES_NOT_EMPTY_CODE,
            "Precondition failed",
            format!("The space is not empty: it holds {apps} app(s)"),
        ));
    }
    t.spaces.list.retain(|s| s.id != id);
    t.spaces.assignments.retain(|a| a.space_id != id);
    no_content()
}

/// A deleted user leaves every space it was assigned to.
pub fn forget_user(t: &mut Tenant, user_id: &str) {
    t.spaces
        .assignments
        .retain(|a| !(a.kind == "user" && a.assignee_id == user_id));
}

/// GET /api/v1/spaces/{id}/assignments
pub fn list_assignments(req: &Req, t: &Tenant, space_id: &str) -> HResult {
    if t.spaces.get(space_id).is_none() {
        return Err(not_found(space_id));
    }
    let page = paging::parse(req, 10, 100).map_err(bad)?;
    // @qlik/api `getSpaceAssignments` narrows by `type` (user|group) and `assigneeId`.
    let kind = match req.q("type") {
        None => None,
        Some(k @ ("user" | "group")) => Some(k),
        Some(k) => return Err(bad(format!("type must be user or group, got \"{k}\""))),
    };
    let assignee = req.q("assigneeId");
    let items: Vec<&SpaceAssignment> = t
        .spaces
        .assignments
        .iter()
        .filter(|a| a.space_id == space_id)
        .filter(|a| kind.is_none_or(|k| a.kind == k))
        .filter(|a| assignee.is_none_or(|id| a.assignee_id == id))
        .collect();
    let data: Vec<Value> = paging::slice(&items, page)
        .iter()
        .map(|a| assignment_json(req, t, a))
        .collect();
    ok(&json!({
        "data": data,
        "links": paging::links(req, page, items.len()),
        "meta": {"count": items.len()},
    }))
}

/// POST /api/v1/spaces/{id}/assignments (TenantAdmin)
pub fn create_assignment(
    req: &Req,
    t: &mut Tenant,
    space_id: &str,
    caller: &str,
    now: SimMs,
    ids: &mut Ids,
) -> HResult {
    let kind = t
        .spaces
        .get(space_id)
        .ok_or_else(|| not_found(space_id))?
        .kind;
    let body = req.json().map_err(bad)?;
    if !body.is_object() {
        return Err(bad("The request body must be a JSON object"));
    }
    let ty = str_field(&body, "type")?.ok_or_else(|| bad("type is required (user or group)"))?;
    let ty: &'static str = match ty.as_str() {
        "user" => "user",
        "group" => "group",
        // A bot is a user record of the tenant.
        "bot" => "user",
        other => return Err(bad(format!("type must be user or group, not \"{other}\""))),
    };
    let assignee = str_field(&body, "assigneeId")?.ok_or_else(|| bad("assigneeId is required"))?;
    let roles = check_roles(kind, body.get("roles").unwrap_or(&json!([]))).map_err(bad)?;
    let known = match ty {
        "user" => t.user(&assignee).is_some_and(|u| u.status != "deleted"),
        _ => t.groups.get(&assignee).is_some(),
    };
    if !known {
        return Err(coded(
            API,
            wire::SPACES_UNKNOWN_ASSIGNEE_STATUS,
            wire::SPACES_NOT_FOUND_CODE,
            "Not found",
            format!("No {ty} with id \"{assignee}\""),
        ));
    }
    if t.spaces
        .assignments
        .iter()
        .any(|a| a.space_id == space_id && a.assignee_id == assignee)
    {
        return Err(coded(
            API,
            409,
            wire::SPACES_CONFLICT_CODE,
            "Conflict",
            format!("{assignee} is already assigned to the space"),
        ));
    }
    let a = SpaceAssignment {
        id: ids.object_id(),
        space_id: space_id.to_string(),
        kind: ty,
        assignee_id: assignee,
        roles,
        created_by: caller.to_string(),
        created_ms: now,
        updated_ms: now,
    };
    let out = assignment_json(req, t, &a);
    t.spaces.assignments.push(a);
    Ok(json_response(201, &out))
}

fn assignment_idx(t: &Tenant, space_id: &str, id: &str) -> Result<usize, ApiError> {
    if t.spaces.get(space_id).is_none() {
        return Err(not_found(space_id));
    }
    t.spaces
        .assignments
        .iter()
        .position(|a| a.space_id == space_id && a.id == id)
        .ok_or_else(|| assignment_not_found(id))
}

/// GET /api/v1/spaces/{id}/assignments/{assignmentId}
pub fn get_assignment(req: &Req, t: &Tenant, space_id: &str, id: &str) -> HResult {
    let i = assignment_idx(t, space_id, id)?;
    ok(&assignment_json(req, t, &t.spaces.assignments[i]))
}

/// PATCH /api/v1/spaces/{id}/assignments/{assignmentId}: `replace` `/roles`; 200 Assignment.
pub fn patch_assignment(
    req: &Req,
    t: &mut Tenant,
    space_id: &str,
    id: &str,
    now: SimMs,
) -> HResult {
    let i = assignment_idx(t, space_id, id)?;
    let kind = t.spaces.get(space_id).map(|s| s.kind).unwrap_or("");
    let body = req.json().map_err(bad)?;
    let ops = body
        .as_array()
        .ok_or_else(|| bad("The body must be a JSON Patch array"))?;
    let mut roles = t.spaces.assignments[i].roles.clone();
    for (n, op) in ops.iter().enumerate() {
        let name = op.get("op").and_then(Value::as_str).unwrap_or("");
        let path = op.get("path").and_then(Value::as_str).unwrap_or("");
        if name != "replace" || path != "/roles" {
            return Err(bad(format!(
                "Unsupported operation \"{name} {path}\" at /{n}; use replace /roles"
            )));
        }
        roles = check_roles(kind, op.get("value").unwrap_or(&Value::Null)).map_err(bad)?;
    }
    let a = &mut t.spaces.assignments[i];
    a.roles = roles;
    a.updated_ms = now;
    let a = t.spaces.assignments[i].clone();
    ok(&assignment_json(req, t, &a))
}

/// DELETE /api/v1/spaces/{id}/assignments/{assignmentId}: 204
pub fn delete_assignment(t: &mut Tenant, space_id: &str, id: &str) -> HResult {
    let i = assignment_idx(t, space_id, id)?;
    t.spaces.assignments.remove(i);
    no_content()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_rules() {
        assert!(check_name("Finance").is_ok());
        assert!(check_name(&"x".repeat(256)).is_ok());
        assert!(check_name(&"é".repeat(256)).is_ok());
        assert!(check_name(&"x".repeat(257)).is_err());
        assert!(check_name("  ").is_err());
        for c in ["a\"b", "a*", "?", "<", ">", "a/b", "a|b", "a\\b", "a:b"] {
            assert!(check_name(c).is_err(), "{c}");
        }
    }

    #[test]
    fn roles_per_space_type() {
        assert!(check_roles("shared", &json!(["producer", "codeveloper"])).is_ok());
        assert!(check_roles("shared", &json!(["publisher"])).is_err());
        assert!(check_roles("managed", &json!(["publisher", "operator"])).is_ok());
        assert!(check_roles("managed", &json!(["codeveloper"])).is_err());
        assert!(check_roles("data", &json!(["datapreview"])).is_ok());
        assert!(check_roles("data", &json!(["basicconsumer"])).is_err());
        assert!(check_roles("data", &json!("consumer")).is_err());
        assert!(check_roles("data", &json!([1])).is_err());
        assert_eq!(
            check_roles("shared", &json!(["consumer", "consumer"])).unwrap(),
            vec!["consumer"]
        );
    }
}
