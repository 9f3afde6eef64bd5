//! Roles (reference §5): the default roles every tenant starts with, and `GET /api/v1/roles`.

use super::clock::{iso, SimMs};
use super::errors::{self, ok, Api, ApiError, HResult};
use super::paging;
use super::request::Req;
use super::scim::{self, Schema};
use super::state::{Role, Tenant};
use crate::wire;
use serde_json::{json, Value};

/// (name, level, description) of the default roles.
pub const DEFAULT_ROLES: &[(&str, &str, &str)] = &[
    (
        "TenantAdmin",
        "admin",
        "Manages the tenant: users, roles, licenses, identity providers and settings.",
    ),
    (
        "AnalyticsAdmin",
        "admin",
        "Manages analytics content and spaces across the tenant.",
    ),
    (
        "DataAdmin",
        "admin",
        "Manages data content and data spaces across the tenant.",
    ),
    ("AuditAdmin", "admin", "Views and exports the audit log."),
    ("Developer", "user", "Legacy role: creates API keys."),
    ("SharedSpaceCreator", "user", "Creates shared spaces."),
    ("ManagedSpaceCreator", "user", "Creates managed spaces."),
    ("DataSpaceCreator", "user", "Creates data spaces."),
    (
        "PrivateAnalyticsContentCreator",
        "user",
        "Creates analytics content in personal spaces.",
    ),
    (
        "DataServicesContributor",
        "user",
        "Uses data services such as data integration.",
    ),
    ("AutomationCreator", "user", "Creates and runs automations."),
    (
        "AutomlExperimentContributor",
        "user",
        "Creates ML experiments.",
    ),
    (
        "AutomlDeploymentContributor",
        "user",
        "Creates ML deployments.",
    ),
    (
        "CollaborationPlatformUser",
        "user",
        "Uses collaboration features.",
    ),
];

/// A stable 24-hex role id, derived from the tenant id and role name.
pub fn role_id(tenant_id: &str, name: &str) -> String {
    let d = ring::digest::digest(
        &ring::digest::SHA256,
        format!("role:{tenant_id}:{name}").as_bytes(),
    );
    d.as_ref()[..12]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub fn default_roles(tenant_id: &str, now: SimMs) -> Vec<Role> {
    DEFAULT_ROLES
        .iter()
        .map(|(name, level, description)| Role {
            id: role_id(tenant_id, name),
            name: (*name).to_string(),
            kind: "default",
            level,
            description: (*description).to_string(),
            scopes: Vec::new(),
            created_ms: now,
        })
        .collect()
}

pub fn role_json(req: &Req, t: &Tenant, r: &Role) -> Value {
    json!({
        "id": r.id,
        "tenantId": t.id,
        "name": r.name,
        "description": r.description,
        "type": r.kind,
        "level": r.level,
        "assignedScopes": r.scopes,
        "permissions": [],
        "canEdit": r.kind == "custom",
        "canDelete": r.kind == "custom",
        "userEntitlementType": "fullUser",
        "createdAt": iso(r.created_ms),
        "lastUpdatedAt": iso(r.created_ms),
        "createdBy": "",
        "updatedBy": "",
        "links": {"self": {"href": req.abs(&format!("/api/v1/roles/{}", r.id))}},
    })
}

pub const FILTER: Schema = Schema {
    eq: &["id", "name", "type", "level", "description"],
    co: &["name", "description"],
};

fn bad(detail: String) -> ApiError {
    errors::bad_request(Api::Roles, wire::ROLES_BAD_REQUEST_CODE, detail)
}

pub fn list(req: &Req, t: &Tenant) -> HResult {
    let filter = match req.q("filter") {
        Some(f) => Some(scim::parse(f, &FILTER).map_err(|e| bad(format!("Invalid filter: {e}")))?),
        None => None,
    };
    let page = paging::parse(req, 20, 100).map_err(bad)?;
    let sort = req.q("sort").unwrap_or("+name");
    let (desc, field) = match sort.strip_prefix('-') {
        Some(f) => (true, f),
        None => (false, sort.strip_prefix('+').unwrap_or(sort)),
    };
    let key = |r: &Role| -> String {
        match field.to_ascii_lowercase().as_str() {
            "id" | "_id" => r.id.clone(),
            "type" => r.kind.to_string(),
            "level" => r.level.to_string(),
            "description" => r.description.to_lowercase(),
            "createdat" | "lastupdatedat" => format!("{:020}", r.created_ms),
            _ => r.name.to_lowercase(),
        }
    };
    if ![
        "name",
        "id",
        "_id",
        "type",
        "level",
        "description",
        "createdAt",
        "lastUpdatedAt",
    ]
    .iter()
    .any(|f| f.eq_ignore_ascii_case(field))
    {
        return Err(bad(format!("Invalid sort field \"{field}\"")));
    }
    let mut items: Vec<&Role> = t
        .roles
        .iter()
        .filter(|r| {
            filter.as_ref().is_none_or(|f| {
                f.matches(&|attr| match attr {
                    "id" => vec![r.id.clone()],
                    "name" => vec![r.name.clone()],
                    "type" => vec![r.kind.to_string()],
                    "level" => vec![r.level.to_string()],
                    "description" => vec![r.description.clone()],
                    _ => vec![],
                })
            })
        })
        .collect();
    items.sort_by(|a, b| key(a).cmp(&key(b)).then_with(|| a.id.cmp(&b.id)));
    if desc {
        items.reverse();
    }
    ok(&paging::page_body(req, page, &items, |r| {
        role_json(req, t, r)
    }))
}

pub fn get(req: &Req, t: &Tenant, id: &str) -> HResult {
    match t.role(id) {
        Some(r) => ok(&role_json(req, t, r)),
        None => Err(
            ApiError::new(Api::Roles, 404, wire::ROLES_NOT_FOUND_CODE, "Not found")
                .detail(format!("Role {id} not found")),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_ids_are_stable_per_tenant() {
        assert_eq!(role_id("t1", "TenantAdmin"), role_id("t1", "TenantAdmin"));
        assert_ne!(role_id("t1", "TenantAdmin"), role_id("t2", "TenantAdmin"));
        let id = role_id("t1", "TenantAdmin");
        assert_eq!(id.len(), 24);
        assert!(id.bytes().all(|c| c.is_ascii_hexdigit()));
    }
}
