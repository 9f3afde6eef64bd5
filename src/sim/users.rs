//! Users (reference §4): list with SCIM filter, sort and cursors; `/me` (301); get; create;
//! JSON Patch; delete; count; and the bot users of OAuth clients.

use super::clock::{iso, SimMs};
use super::errors::{
    self, coded, json_response, no_content, ok, redirect, with_header, Api, ApiError, HResult,
};
use super::fields;
use super::ids::Ids;
use super::paging;
use super::request::{self, Req};
use super::scim::{self, Filter, Schema};
use super::state::{Tenant, User};
use super::users_legacy::Legacy;
use crate::wire;
use serde_json::{json, Map, Value};

pub const FILTER: Schema = Schema {
    eq: &[
        "id",
        "subject",
        "name",
        "email",
        "status",
        "clientId",
        "assignedRoles.id",
        "assignedRoles.name",
        "assignedGroups.id",
        "assignedGroupsAssignedRoles.name",
        "assignedScopes",
    ],
    co: &["name", "email", "subject"],
};

const SORT_FIELDS: &[&str] = &[
    "name",
    "_id",
    "id",
    "tenantId",
    "clientId",
    "status",
    "subject",
    "email",
    "inviteExpiry",
    "createdAt",
];

/// Seconds an invitation stays valid (sim clock).
const INVITE_LIFETIME_SECS: i64 = wire::INVITE_LIFETIME_SECS;

/// The shape of this API's errors.
const API: Api = Api::Users;

pub fn bad(detail: impl Into<String>) -> ApiError {
    errors::bad_request(API, wire::USERS_BAD_REQUEST_CODE, detail)
}

pub fn forbidden() -> ApiError {
    errors::tenant_admin_only(API, wire::USERS_FORBIDDEN_CODE)
}

fn not_found(id: &str) -> ApiError {
    errors::not_found(API, wire::USERS_NOT_FOUND_CODE, "User", id)
}

pub fn user_json(req: &Req, t: &Tenant, u: &User) -> Value {
    let roles: Vec<Value> = u
        .role_ids
        .iter()
        .filter_map(|id| t.role(id))
        .map(|r| json!({"id": r.id, "name": r.name, "type": r.kind, "level": r.level}))
        .collect();
    let role_names: Vec<&str> = u
        .role_ids
        .iter()
        .filter_map(|id| t.role(id))
        .map(|r| r.name.as_str())
        .collect();
    let mut m = Map::new();
    m.insert("id".into(), json!(u.id));
    m.insert("tenantId".into(), json!(t.id));
    if let Some(c) = &u.client_id {
        m.insert("clientId".into(), json!(c));
    }
    m.insert("status".into(), json!(u.status));
    m.insert("subject".into(), json!(u.subject));
    m.insert("name".into(), json!(u.name));
    if let Some(e) = &u.email {
        m.insert("email".into(), json!(e));
    }
    if let Some(p) = &u.picture {
        m.insert("picture".into(), json!(p));
    }
    if let Some(l) = &u.preferred_locale {
        m.insert("preferredLocale".into(), json!(l));
    }
    if let Some(z) = &u.preferred_zoneinfo {
        m.insert("preferredZoneinfo".into(), json!(z));
    }
    if let Some(x) = u.invite_expiry {
        m.insert("inviteExpiry".into(), json!(x));
    }
    m.insert("roles".into(), json!(role_names));
    m.insert("assignedRoles".into(), Value::Array(roles));
    let groups = super::groups::assigned_json(t, &u.group_ids);
    let group_names: Vec<Value> = groups
        .as_array()
        .map(|a| a.iter().map(|g| g["name"].clone()).collect())
        .unwrap_or_default();
    m.insert("assignedGroups".into(), groups);
    m.insert("groups".into(), Value::Array(group_names));
    m.insert("assignedScopes".into(), json!(u.scopes));
    m.insert("createdAt".into(), json!(iso(u.created_ms)));
    m.insert("lastUpdatedAt".into(), json!(iso(u.updated_ms)));
    m.insert("created".into(), json!(iso(u.created_ms)));
    m.insert("lastUpdated".into(), json!(iso(u.updated_ms)));
    m.insert(
        "links".into(),
        json!({"self": {"href": req.abs(&format!("/api/v1/users/{}", u.id))}}),
    );
    Value::Object(m)
}

fn attr_values(t: &Tenant, u: &User, attr: &str) -> Vec<String> {
    let one = |o: Option<&String>| o.map(|s| vec![s.clone()]).unwrap_or_default();
    match attr {
        "id" => vec![u.id.clone()],
        "subject" => vec![u.subject.clone()],
        "name" => vec![u.name.clone()],
        "email" => one(u.email.as_ref()),
        "status" => vec![u.status.clone()],
        "clientId" => one(u.client_id.as_ref()),
        "assignedRoles.id" => u.role_ids.clone(),
        "assignedRoles.name" => u
            .role_ids
            .iter()
            .filter_map(|r| t.role(r))
            .map(|r| r.name.clone())
            .collect(),
        "assignedGroups.id" => u.group_ids.clone(),
        "assignedGroupsAssignedRoles.name" => u
            .group_ids
            .iter()
            .filter_map(|g| t.groups.get(g))
            .flat_map(|g| g.role_ids.iter().filter_map(|r| t.role(r)))
            .map(|r| r.name.clone())
            .collect(),
        "assignedScopes" => u.scopes.clone(),
        _ => vec![],
    }
}

fn sort_key(t: &Tenant, u: &User, field: &str) -> String {
    match field {
        "_id" | "id" => u.id.clone(),
        "tenantId" => t.id.clone(),
        "clientId" => u.client_id.clone().unwrap_or_default().to_lowercase(),
        "status" => u.status.clone(),
        "subject" => u.subject.to_lowercase(),
        "email" => u.email.clone().unwrap_or_default().to_lowercase(),
        "inviteExpiry" => format!("{:020}", u.invite_expiry.unwrap_or(0)),
        "createdAt" => format!("{:020}", u.created_ms),
        _ => u.name.to_lowercase(),
    }
}

/// Filters, sorts and pages the tenant's users; shared by GET /users and POST /users/actions/filter.
fn listing(
    req: &Req,
    t: &Tenant,
    filter: Option<Filter>,
    allowed_sorts: &[&str],
    legacy: Legacy,
) -> HResult {
    let mut page = paging::parse(req, 20, 100).map_err(bad)?;
    let legacy_sort = legacy
        .sort
        .as_ref()
        .map(|(desc, f)| format!("{}{f}", if *desc { "-" } else { "+" }));
    let sort = req.q("sort").or(legacy_sort.as_deref()).unwrap_or("+name");
    let (desc, field) = match sort.strip_prefix('-') {
        Some(f) => (true, f),
        None => (false, sort.strip_prefix('+').unwrap_or(sort)),
    };
    let field = allowed_sorts
        .iter()
        .find(|f| f.eq_ignore_ascii_case(field))
        .ok_or_else(|| {
            bad(format!(
                "Invalid sort \"{sort}\"; allowed fields: {}",
                allowed_sorts.join(", ")
            ))
        })?;
    let mut items: Vec<&User> = t
        .users
        .iter()
        .filter(|u| legacy.admits(t, u))
        .filter(|u| {
            filter
                .as_ref()
                .is_none_or(|f| f.matches(&|a| attr_values(t, u, a)))
        })
        .collect();
    items.sort_by(|a, b| {
        sort_key(t, a, field)
            .cmp(&sort_key(t, b, field))
            .then_with(|| a.id.cmp(&b.id))
    });
    if desc {
        items.reverse();
    }
    let (items, start) = legacy.window(items, page.limit, bad)?;
    if let Some(start) = start {
        page.start = start;
    }
    ok(&paging::page_body(req, page, &items, |u| {
        fields::project(req, user_json(req, t, u))
    }))
}

/// Whether `f` mentions `status` anywhere / only `status`.
fn status_terms(f: &Filter) -> (bool, bool) {
    match f {
        Filter::Cmp { attr, .. } => (*attr == "status", *attr == "status"),
        Filter::And(a, b) | Filter::Or(a, b) => {
            let ((a_any, a_only), (b_any, b_only)) = (status_terms(a), status_terms(b));
            (a_any || b_any, a_only && b_only)
        }
    }
}

/// "Status terms must be grouped and applied to the whole query" (reference §4.5): every
/// top-level `and` operand either has no status term or has nothing but status terms.
fn status_grouped(f: &Filter) -> bool {
    match f {
        Filter::And(a, b) => status_grouped(a) && status_grouped(b),
        other => {
            let (any, only) = status_terms(other);
            !any || only
        }
    }
}

/// Parses a users filter, with the status grouping rule.
pub fn parse_filter(text: &str) -> Result<Filter, ApiError> {
    let f = scim::parse(text, &FILTER).map_err(|e| bad(format!("Invalid filter: {e}")))?;
    if !status_grouped(&f) {
        return Err(bad(
            "Invalid filter: status terms must be grouped and applied to the whole query, e.g. \
             (name eq \"Bob\" or name eq \"Alice\") and (status eq \"active\" or status eq \"disabled\")",
        ));
    }
    Ok(f)
}

pub fn list(req: &Req, t: &Tenant) -> HResult {
    let filter = req.q("filter").map(parse_filter).transpose()?;
    let legacy = Legacy::read(req, filter.is_some(), SORT_FIELDS, bad)?;
    listing(req, t, filter, SORT_FIELDS, legacy)
}

/// POST /api/v1/users/actions/filter: body `{filter}`; sort only by name.
pub fn filter_post(req: &Req, t: &Tenant) -> HResult {
    let body = req.json_or_empty().map_err(bad)?;
    let filter = match body.get("filter") {
        None | Some(Value::Null) => None,
        Some(Value::String(f)) => {
            Some(scim::parse(f, &FILTER).map_err(|e| bad(format!("Invalid filter: {e}")))?)
        }
        Some(_) => return Err(bad("filter must be a string")),
    };
    listing(req, t, filter, &["name"], Legacy::default())
}

pub fn me(req: &Req, caller: &str) -> HResult {
    redirect(301, &req.abs(&format!("/api/v1/users/{caller}")))
}

pub fn get(req: &Req, t: &Tenant, id: &str) -> HResult {
    match t.user(id).filter(|u| u.status != "deleted") {
        Some(u) => ok(&fields::project(req, user_json(req, t, u))),
        None => Err(not_found(id)),
    }
}

pub fn count(t: &Tenant) -> HResult {
    ok(&json!({"total": t.users.iter().filter(|u| u.status != "deleted").count()}))
}

/// Resolves `{id}` or `{name}` to a role id of the tenant.
fn resolve_role(t: &Tenant, v: &Value, pointer: &str) -> Result<String, ApiError> {
    if let Some(id) = v.get("id").and_then(Value::as_str) {
        return t
            .role(id)
            .map(|r| r.id.clone())
            .ok_or_else(|| bad(format!("Unknown role id \"{id}\" at {pointer}")));
    }
    if let Some(name) = v.get("name").and_then(Value::as_str).or_else(|| v.as_str()) {
        return t
            .role_by_name(name)
            .map(|r| r.id.clone())
            .ok_or_else(|| bad(format!("Unknown role \"{name}\" at {pointer}")));
    }
    Err(bad(format!(
        "A role must be given as {{\"id\"}} or {{\"name\"}} at {pointer}"
    )))
}

fn resolve_roles(t: &Tenant, v: &Value, pointer: &str) -> Result<Vec<String>, ApiError> {
    let arr = v
        .as_array()
        .ok_or_else(|| bad(format!("{pointer} must be an array")))?;
    let mut ids = Vec::new();
    for (i, item) in arr.iter().enumerate() {
        let id = resolve_role(t, item, &format!("{pointer}/{i}"))?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    Ok(ids)
}

fn opt_string(body: &Value, key: &str) -> Result<Option<String>, ApiError> {
    request::opt_string(body, key).map_err(bad)
}

/// POST /api/v1/users (TenantAdmin).
pub fn create(req: &Req, t: &mut Tenant, now: SimMs, ids: &mut Ids) -> HResult {
    if req.body.len() > wire::USERS_MAX_BODY_BYTES {
        return Err(coded(
            API,
            413,
            wire::USERS_TOO_LARGE_CODE,
            "Payload too large",
            "The request body exceeds 500 kB",
        ));
    }
    let body = req.json().map_err(bad)?;
    if !body.is_object() {
        return Err(bad("The request body must be a JSON object"));
    }
    let subject = match body.get("subject") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
        Some(Value::String(_)) | None | Some(Value::Null) => {
            return Err(bad("subject is required"))
        }
        Some(_) => return Err(bad("subject must be a string")),
    };
    if let Some(tid) = opt_string(&body, "tenantId")? {
        if tid != t.id {
            return Err(bad(format!("tenantId \"{tid}\" does not match the tenant")));
        }
    }
    let name = opt_string(&body, "name")?;
    let email = opt_string(&body, "email")?;
    let picture = opt_string(&body, "picture")?;
    let status = opt_string(&body, "status")?.unwrap_or_else(|| "invited".to_string());
    if !wire::USER_CREATE_STATUSES.contains(&status.as_str()) {
        return Err(bad(format!(
            "status must be one of {}, got \"{status}\"",
            wire::USER_CREATE_STATUSES.join(", ")
        )));
    }
    let mut role_ids = match body.get("assignedRoles") {
        None | Some(Value::Null) => Vec::new(),
        Some(v) => resolve_roles(t, v, "/assignedRoles")?,
    };
    if let Some(v) = body.get("roles").filter(|v| !v.is_null()) {
        for id in resolve_roles(t, v, "/roles")? {
            if !role_ids.contains(&id) {
                role_ids.push(id);
            }
        }
    }
    if t.users
        .iter()
        .any(|u| u.status != "deleted" && u.subject == subject)
    {
        return Err(coded(
            API,
            409,
            wire::USERS_CONFLICT_CODE,
            "Conflict",
            format!("A user with subject \"{subject}\" already exists"),
        ));
    }
    let name = name
        .or_else(|| email.clone())
        .unwrap_or_else(|| subject.clone());
    let user = User {
        email,
        invite_expiry: (status == "invited").then_some(now / 1000 + INVITE_LIFETIME_SECS),
        role_ids,
        picture,
        ..User::new(ids.object_id(), subject, name, &status, now)
    };
    let out = user_json(req, t, &user);
    let href = req.abs(&format!("/api/v1/users/{}", user.id));
    t.users.push(user);
    Ok(with_header(json_response(201, &out), "location", &href))
}

/// Applies one JSON Patch operation to `u`.
fn apply(t: &Tenant, u: &mut User, i: usize, op: &Value, now: SimMs) -> Result<(), ApiError> {
    let at = format!("/{i}");
    let obj = op
        .as_object()
        .ok_or_else(|| bad(format!("Patch operation {at} must be an object")))?;
    let name = obj
        .get("op")
        .and_then(Value::as_str)
        .ok_or_else(|| bad(format!("Patch operation {at} needs an op")))?;
    let path = obj
        .get("path")
        .and_then(Value::as_str)
        .ok_or_else(|| bad(format!("Patch operation {at} needs a path")))?;
    let value = obj.get("value");
    let need = || {
        value.ok_or_else(|| {
            bad(format!(
                "Patch operation {at} ({name} {path}) needs a value"
            ))
        })
    };
    let string = || -> Result<String, ApiError> {
        need()?
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| bad(format!("The value of {path} must be a string")))
    };
    match (name, path) {
        ("replace", "/name") => {
            let v = string()?;
            if v.trim().is_empty() {
                return Err(bad("name cannot be empty"));
            }
            u.name = v;
        }
        ("replace", "/preferredLocale") => u.preferred_locale = Some(string()?),
        ("replace", "/preferredZoneinfo" | "/preferredZoneInfo") => {
            u.preferred_zoneinfo = Some(string()?)
        }
        ("replace", "/status") => {
            let v = string()?;
            if v != "active" && v != "disabled" {
                return Err(bad(format!(
                    "status can be replaced with \"active\" or \"disabled\", not \"{v}\""
                )));
            }
            u.status = v;
        }
        ("replace", "/assignedRoles") => u.role_ids = resolve_roles(t, need()?, "/assignedRoles")?,
        ("replace", "/roles") => u.role_ids = resolve_roles(t, need()?, "/roles")?,
        ("add", "/assignedRoles/-" | "/assignedRoles" | "/roles/-" | "/roles") => {
            let v = need()?;
            let added = match v {
                Value::Array(_) => resolve_roles(t, v, path)?,
                _ => vec![resolve_role(t, v, path)?],
            };
            for id in added {
                if !u.role_ids.contains(&id) {
                    u.role_ids.push(id);
                }
            }
        }
        ("remove-value", "/assignedRoles" | "/roles") => {
            let id = resolve_role(t, need()?, path)?;
            u.role_ids.retain(|r| *r != id);
        }
        ("replace", "/assignedGroups") | ("add", "/assignedGroups" | "/assignedGroups/-") => {
            let ids =
                super::groups::resolve(t, need()?).map_err(|e| bad(format!("{e} in {path}")))?;
            if name == "replace" {
                u.group_ids = ids;
            } else {
                for id in ids {
                    if !u.group_ids.contains(&id) {
                        u.group_ids.push(id);
                    }
                }
            }
        }
        ("remove-value", "/assignedGroups") => {
            let ids =
                super::groups::resolve(t, need()?).map_err(|e| bad(format!("{e} in {path}")))?;
            u.group_ids.retain(|g| !ids.contains(g));
        }
        ("renew", "/inviteExpiry") => {
            u.invite_expiry = Some(now / 1000 + INVITE_LIFETIME_SECS);
        }
        ("replace" | "add" | "remove-value" | "renew", _) => {
            return Err(bad(format!(
                "Operation {name} is not supported on path \"{path}\" (at {at})"
            )));
        }
        _ => {
            return Err(bad(format!(
                "Unsupported op \"{name}\" (at {at}); use replace, add, remove-value or renew"
            )))
        }
    }
    Ok(())
}

/// PATCH /api/v1/users/{id} (TenantAdmin): all operations apply, or none.
pub fn patch(req: &Req, t: &mut Tenant, id: &str, now: SimMs) -> HResult {
    let body = req.json().map_err(bad)?;
    let ops = body
        .as_array()
        .ok_or_else(|| bad("The body must be a JSON Patch array"))?;
    if ops.is_empty() {
        return Err(bad("The patch array is empty"));
    }
    let idx = t
        .users
        .iter()
        .position(|u| u.id == id && u.status != "deleted")
        .ok_or_else(|| not_found(id))?;
    let mut u = t.users[idx].clone();
    for (i, op) in ops.iter().enumerate() {
        apply(t, &mut u, i, op, now)?;
    }
    u.updated_ms = now;
    t.users[idx] = u;
    no_content()
}

/// DELETE /api/v1/users/{id} (TenantAdmin): the user and its license assignment go.
pub fn delete(t: &mut Tenant, id: &str) -> HResult {
    let idx = t
        .users
        .iter()
        .position(|u| u.id == id && u.status != "deleted")
        .ok_or_else(|| not_found(id))?;
    t.users.remove(idx);
    no_content()
}

/// The bot user of OAuth client `client_id` on `t`, created on first use (TenantAdmin, one
/// professional allotment).
pub fn ensure_bot(
    t: &mut Tenant,
    client_id: &str,
    bot_name: &str,
    now: SimMs,
    ids: &mut Ids,
) -> String {
    if let Some(u) = t
        .users
        .iter()
        .find(|u| u.client_id.as_deref() == Some(client_id))
    {
        return u.id.clone();
    }
    let admin = t.role_by_name("TenantAdmin").map(|r| r.id.clone());
    let id = ids.object_id();
    let subject = format!("qlikbot\\{}", ids.hex32());
    let user = User {
        role_ids: admin.into_iter().collect(),
        client_id: Some(client_id.to_string()),
        license: Some("professional"),
        ..User::new(id, subject, bot_name.to_string(), "active", now)
    };
    let id = user.id.clone();
    t.users.push(user);
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_terms_must_be_grouped() {
        let ok = |f: &str| parse_filter(f).is_ok();
        assert!(ok(r#"status eq "active""#));
        assert!(ok(r#"status eq "active" or status eq "disabled""#));
        assert!(ok(
            r#"(name eq "Bob" or name eq "Alice") and (status eq "active" or status eq "disabled")"#
        ));
        assert!(ok(r#"name eq "Bob" and status eq "active""#));
        assert!(ok(r#"name co "a" or email co "b""#));
        assert!(!ok(
            r#"name eq "Bob" or name eq "Alice" and (status eq "active" or status eq "disabled")"#
        ));
        assert!(!ok(r#"name eq "Bob" or status eq "active""#));
        assert!(!ok(
            r#"(name eq "Bob" or status eq "active") and email co "x""#
        ));
    }
}
