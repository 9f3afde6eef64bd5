//! Tenants (reference §3): creation, deactivation and reactivation on `register.<region>`;
//! `/tenants/me`, get and JSON Patch on the tenant host.

use super::clock::{iso, SimMs};
use super::errors::{
    self, json_response, no_content, ok, redirect, with_header, Api, ApiError, HResult,
};
use super::licenses::verify_license_key;
use super::request::Req;
use super::roles::default_roles;
use super::state::{State, Tenant, TenantLicense};
use super::DOMAIN;
use crate::regions::{self, Region};
use crate::wire;
use serde_json::{json, Value};

/// Allotment sizes of a tenant's license (each tenant gets fresh ones).
pub const PROFESSIONAL_UNITS: u64 = 25;
pub const ANALYZER_UNITS: u64 = 50;
pub const ANALYZER_TIME_UNITS: u64 = 1000;

const PATCHABLE_BOOLS: &[&str] = &[
    "/autoAssignCreateSharedSpacesRoleToProfessionals",
    "/autoAssignPrivateAnalyticsContentCreatorRoleToProfessionals",
    "/autoAssignDataServicesContributorRoleToProfessionals",
    "/enableAnalyticCreation",
    "/enableAppOpeningFeedback",
];

pub fn tenant_json(t: &Tenant, self_href: String) -> Value {
    json!({
        "id": t.id,
        "name": t.name,
        "hostnames": t.hostnames,
        "createdByUser": t.created_by_user,
        "datacenter": t.datacenter,
        "region": t.region.code,
        "created": iso(t.created_ms),
        "lastUpdated": iso(t.updated_ms),
        "status": t.status,
        "statusLastUpdatedAt": iso(t.status_updated_ms),
        "autoAssignCreateSharedSpacesRoleToProfessionals": t.auto_assign_create_shared_spaces,
        "autoAssignPrivateAnalyticsContentCreatorRoleToProfessionals": t.auto_assign_private_analytics_content_creator,
        "autoAssignDataServicesContributorRoleToProfessionals": t.auto_assign_data_services_contributor,
        "enableAnalyticCreation": t.enable_analytic_creation,
        "enableAppOpeningFeedback": t.enable_app_opening_feedback,
        "links": {"self": {"href": self_href}},
    })
}

fn bad(detail: impl Into<String>) -> ApiError {
    ApiError::http(Api::Tenants, 400).detail(detail)
}

pub fn not_found(id: &str) -> ApiError {
    errors::not_found(Api::Tenants, "TENANTS-8", "Tenant", id)
}

/// A new tenant record with default roles, a fresh license and no users.
#[allow(clippy::too_many_arguments)]
pub fn new_tenant(
    id: String,
    name: &str,
    region: &'static Region,
    datacenter: &str,
    license_number: &str,
    license_key: &str,
    product: &str,
    now: SimMs,
) -> Tenant {
    Tenant {
        roles: default_roles(&id, now),
        id,
        name: name.to_string(),
        hostnames: vec![region.tenant_host(name, DOMAIN)],
        region,
        datacenter: datacenter.to_string(),
        created_by_user: String::new(),
        status: "active".into(),
        created_ms: now,
        updated_ms: now,
        status_updated_ms: now,
        estimated_purge_ms: None,
        auto_assign_create_shared_spaces: true,
        auto_assign_data_services_contributor: true,
        auto_assign_private_analytics_content_creator: true,
        enable_analytic_creation: false,
        enable_app_opening_feedback: false,
        license: TenantLicense {
            license_number: license_number.to_string(),
            license_key: license_key.to_string(),
            product: product.to_string(),
            professional_units: PROFESSIONAL_UNITS,
            analyzer_units: ANALYZER_UNITS,
            analyzer_time_units: ANALYZER_TIME_UNITS,
            valid_from_ms: now - 30 * 86_400_000,
            valid_to_ms: now + 335 * 86_400_000,
            updated_ms: now,
            auto_assign_professional: false,
            auto_assign_analyzer: false,
        },
        users: Vec::new(),
        license_extra: Vec::new(),
        groups: Default::default(),
        spaces: Default::default(),
        apps: Vec::new(),
        app_payloads: Default::default(),
        temp_contents: Default::default(),
        identity: Default::default(),
    }
}

/// 400 for a `datacenter` that is unknown or outside the registration host's region.
fn invalid_datacenter(detail: String) -> ApiError {
    errors::coded(
        Api::Tenants,
        400,
        wire::DATACENTER_MISMATCH_CODE,
        "Invalid datacenter",
        detail,
    )
}

/// The tenant name a creation request chose with the legacy `name` and/or `hostnames` (one
/// entry lining up with the name), if it chose one ([`wire::TENANT_NAME_TAKEN_STATUS`]).
fn chosen_name(body: &Value, region: &Region) -> Result<Option<String>, ApiError> {
    let name = match body.get("name") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(subdomain(s).map_err(|m| bad(m).pointer("/name"))?),
        Some(_) => return Err(bad("name must be a string").pointer("/name")),
    };
    let from_host = match body.get("hostnames") {
        None | Some(Value::Null) => None,
        Some(Value::Array(hosts)) => match hosts.as_slice() {
            [Value::String(h)] => {
                Some(host_subdomain(h, region).map_err(|m| bad(m).pointer("/hostnames/0"))?)
            }
            [_] => return Err(bad("hostnames must be an array of strings").pointer("/hostnames/0")),
            _ => {
                return Err(bad(
                    "hostnames can only have a single entry that lines up with the tenant name",
                )
                .pointer("/hostnames"))
            }
        },
        Some(_) => return Err(bad("hostnames must be an array of strings").pointer("/hostnames")),
    };
    match (name, from_host) {
        (Some(name), Some(sub)) if name != sub => Err(bad(format!(
            "hostnames[0] does not line up with the tenant name: expected {}",
            region.tenant_host(&name, DOMAIN)
        ))
        .pointer("/hostnames/0")),
        (name, from_host) => Ok(name.or(from_host)),
    }
}

/// POST /api/v1/tenants on `register.<region>`.
pub fn create(req: &Req, st: &mut State, region: &'static Region) -> HResult {
    let body = req.json().map_err(bad)?;
    if !body.is_object() {
        return Err(bad("The request body must be a JSON object"));
    }
    let chosen = chosen_name(&body, region)?;
    let key = match body.get("licenseKey") {
        Some(Value::String(k)) if !k.is_empty() => k.clone(),
        _ => {
            return Err(ApiError::new(
                Api::Tenants,
                400,
                "TENANTS-21",
                "Missing licenseKey property",
            ))
        }
    };
    let datacenter = match body.get("datacenter") {
        None | Some(Value::Null) => region.datacenter.to_string(),
        Some(Value::String(dc)) => match regions::by_datacenter(dc) {
            Some(r) if r.code == region.code => r.datacenter.to_string(),
            Some(r) => {
                return Err(invalid_datacenter(format!(
                    "Datacenter {dc} belongs to region {}; this registration host serves {} ({})",
                    r.code, region.code, region.datacenter
                )))
            }
            None => {
                let all: Vec<&str> = regions::REGIONS.iter().map(|r| r.datacenter).collect();
                return Err(invalid_datacenter(format!(
                    "Unknown datacenter \"{dc}\"; expected one of {}",
                    all.join(", ")
                )));
            }
        },
        Some(_) => return Err(bad("datacenter must be a string")),
    };
    let claims = verify_license_key(&st.license_signing_key, &key)
        .filter(|c| {
            st.entitlements
                .iter()
                .any(|e| e.license_number == c.license_number)
        })
        .ok_or_else(|| ApiError::new(Api::Tenants, 403, "TENANTS-23", "Invalid license error"))?;
    if let Some(name) = &chosen {
        let host = region.tenant_host(name, DOMAIN);
        if st.tenant_by_host(&host).is_some() {
            return Err(ApiError::new(
                Api::Tenants,
                wire::TENANT_NAME_TAKEN_STATUS,
                wire::TENANT_NAME_TAKEN_CODE,
                "Conflict",
            )
            .detail(format!("The hostname {host} is already in use"))
            .pointer("/name"));
        }
    }
    let used = st.tenants.count_licensed(&claims.license_number);
    if used >= claims.tenant_quota {
        return Err(ApiError::new(
            Api::Tenants,
            403,
            "TENANTS-22",
            "License quota limit reached",
        )
        .detail(format!(
            "The entitlement allows {} tenants",
            claims.tenant_quota
        )));
    }
    let product = st
        .entitlements
        .iter()
        .find(|e| e.license_number == claims.license_number)
        .map(|e| e.product.clone())
        .unwrap_or_default();
    let now = st.now();
    let id = st.ids.tenant_id();
    let name = match chosen {
        Some(name) => name,
        None => {
            let mut name = st.ids.tenant_name();
            while st
                .tenant_by_host(&region.tenant_host(&name, DOMAIN))
                .is_some()
            {
                name = st.ids.tenant_name();
            }
            name
        }
    };
    let t = new_tenant(
        id,
        &name,
        region,
        &datacenter,
        &claims.license_number,
        &key,
        &product,
        now,
    );
    let href = req.abs(&format!("/api/v1/tenants/{}", t.id));
    let out = tenant_json(&t, href.clone());
    st.tenants.push(t);
    Ok(with_header(json_response(201, &out), "location", &href))
}

/// Checks `qlik-confirm-hostname` against the tenant's hostnames.
fn confirm(req: &Req, t: &Tenant) -> Result<(), ApiError> {
    let got = req
        .header("qlik-confirm-hostname")
        .map(str::trim)
        .unwrap_or("");
    if got.is_empty() || !t.hostnames.iter().any(|h| h.eq_ignore_ascii_case(got)) {
        return Err(ApiError::new(Api::Tenants, 412, wire::TENANTS_CONFIRM_FAILED_CODE, "Precondition Failed").detail(if got.is_empty() {
            "The qlik-confirm-hostname header is required and must name one of the tenant's hostnames".to_string()
        } else {
            format!("qlik-confirm-hostname \"{got}\" does not match the tenant's hostnames")
        }));
    }
    Ok(())
}

fn regional<'a>(st: &'a mut State, id: &str, region: &Region) -> Result<&'a mut Tenant, ApiError> {
    st.tenant_mut(id)
        .filter(|t| t.region.code == region.code)
        .ok_or_else(|| not_found(id))
}

/// POST /api/v1/tenants/{id}/actions/deactivate on `register.<region>`.
pub fn deactivate(req: &Req, st: &mut State, region: &'static Region, id: &str) -> HResult {
    let now = st.now();
    let body = req.json_or_empty().map_err(bad)?;
    let t = regional(st, id, region)?;
    confirm(req, t)?;
    let days = match body.get("purgeAfterDays") {
        None | Some(Value::Null) => wire::PURGE_AFTER_DAYS_DEFAULT,
        Some(v) => match v.as_i64() {
            Some(d) if (wire::PURGE_AFTER_DAYS_MIN..=wire::PURGE_AFTER_DAYS_MAX).contains(&d) => d,
            _ => {
                return Err(bad(format!(
                    "purgeAfterDays must be an integer between {} and {}",
                    wire::PURGE_AFTER_DAYS_MIN,
                    wire::PURGE_AFTER_DAYS_MAX
                ))
                .pointer("/purgeAfterDays"))
            }
        },
    };
    let purge = now + days * 86_400_000;
    t.status = "disabled".into();
    t.status_updated_ms = now;
    t.updated_ms = now;
    t.estimated_purge_ms = Some(purge);
    ok(&json!({"id": t.id, "status": "disabled", "estimatedPurgeDate": iso(purge)}))
}

/// POST /api/v1/tenants/{id}/actions/reactivate on `register.<region>`.
pub fn reactivate(req: &Req, st: &mut State, region: &'static Region, id: &str) -> HResult {
    let now = st.now();
    let body = req.json_or_empty().map_err(bad)?;
    if !body.is_object() {
        return Err(bad("The request body must be a JSON object"));
    }
    let t = regional(st, id, region)?;
    confirm(req, t)?;
    t.status = "active".into();
    t.status_updated_ms = now;
    t.updated_ms = now;
    t.estimated_purge_ms = None;
    ok(&json!({"id": t.id, "status": "active"}))
}

pub fn me(req: &Req, t: &Tenant) -> HResult {
    redirect(302, &req.abs(&format!("/api/v1/tenants/{}", t.id)))
}

pub fn get(req: &Req, t: &Tenant, id: &str) -> HResult {
    if id != t.id {
        return Err(not_found(id));
    }
    ok(&tenant_json(
        t,
        req.abs(&format!("/api/v1/tenants/{}", t.id)),
    ))
}

fn patch_error(pointer: &str, title: &str) -> ApiError {
    ApiError::new(Api::Generic, 400, "TENANTS-10", "Invalid patch request")
        .detail(title)
        .pointer(pointer)
        .meta(json!({"code": "TENANTS-10", "title": title}))
}

/// A tenant subdomain (an alias, or a chosen tenant name), lowercased: 3 to 63 of `[a-z0-9-]`,
/// no hyphen at either end, not a service's name.
fn subdomain(value: &str) -> Result<String, String> {
    let sub = value.trim().to_ascii_lowercase();
    if !wire::TENANT_ALIAS_SUBDOMAIN_LEN.contains(&sub.len()) {
        return Err("Subdomain should be between 3 and 63 characters".into());
    }
    if !sub
        .bytes()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
        || sub.starts_with('-')
        || sub.ends_with('-')
    {
        return Err("Subdomain may contain only letters, digits and inner hyphens".into());
    }
    if sub == "register" || sub == "qseow" {
        return Err(format!("Subdomain \"{sub}\" is reserved"));
    }
    Ok(sub)
}

/// The subdomain of a tenant hostname of `region`, given bare or as `<sub>.<region>.<domain>`.
fn host_subdomain(value: &str, region: &Region) -> Result<String, String> {
    let v = value.trim().to_ascii_lowercase();
    let suffix = format!(".{}.{}", region.code, DOMAIN);
    subdomain(v.strip_suffix(&suffix).unwrap_or(&v))
}

/// Validates an alias hostname value: a subdomain or `<sub>.<region>.<domain>`.
fn alias_host(value: &str, t: &Tenant) -> Result<String, String> {
    host_subdomain(value, t.region).map(|sub| t.region.tenant_host(&sub, DOMAIN))
}

/// PATCH /api/v1/tenants/{id} (TenantAdmin): `replace` only, on the documented paths.
pub fn patch(req: &Req, st: &mut State, tenant_id: &str, id: &str) -> HResult {
    let now = st.now();
    let body = req.json().map_err(|e| patch_error("", &e))?;
    let ops = body
        .as_array()
        .ok_or_else(|| patch_error("", "The body must be a JSON Patch array"))?;
    if ops.is_empty() {
        return Err(patch_error("", "The patch array is empty"));
    }
    if id != tenant_id {
        return Err(not_found(id));
    }
    let t = st.tenant(tenant_id).ok_or_else(|| not_found(id))?;
    // Validate everything first, then apply.
    let mut changes: Vec<(String, Value)> = Vec::new();
    for (i, op) in ops.iter().enumerate() {
        let at = format!("/{i}");
        let o = op
            .as_object()
            .ok_or_else(|| patch_error(&at, "Each patch operation must be an object"))?;
        let path = o
            .get("path")
            .and_then(Value::as_str)
            .ok_or_else(|| patch_error(&at, "path is required"))?;
        if o.get("op").and_then(Value::as_str) != Some("replace") {
            return Err(patch_error(path, "Only the replace operation is supported"));
        }
        let value = o
            .get("value")
            .ok_or_else(|| patch_error(path, "value is required"))?;
        match path {
            "/name" => match value.as_str() {
                Some(s) if !s.trim().is_empty() && s.len() <= 256 => {
                    changes.push((path.into(), value.clone()))
                }
                _ => return Err(patch_error(path, "name must be a non-empty string")),
            },
            "/hostnames/1" => {
                let s = value
                    .as_str()
                    .ok_or_else(|| patch_error(path, "The hostname must be a string"))?;
                let host = alias_host(s, t).map_err(|m| patch_error(path, &m))?;
                if st.tenant_by_host(&host).is_some_and(|o| o.id != t.id) {
                    return Err(patch_error(path, "Hostname is already in use"));
                }
                changes.push((path.into(), json!(host)));
            }
            p if PATCHABLE_BOOLS.contains(&p) => {
                if !value.is_boolean() {
                    return Err(patch_error(path, "The value must be a boolean"));
                }
                changes.push((path.into(), value.clone()));
            }
            "/hostnames/0" => {
                return Err(patch_error(path, "The primary hostname cannot be changed"))
            }
            _ => return Err(patch_error(path, "This path cannot be patched")),
        }
    }
    let mut alias = None;
    let t = st.tenant_mut(tenant_id).ok_or_else(|| not_found(id))?;
    for (path, value) in changes {
        let b = value.as_bool().unwrap_or(false);
        let s = value.as_str().unwrap_or("").to_string();
        match path.as_str() {
            "/name" => t.name = s,
            "/hostnames/1" => alias = Some(s),
            "/autoAssignCreateSharedSpacesRoleToProfessionals" => {
                t.auto_assign_create_shared_spaces = b
            }
            "/autoAssignPrivateAnalyticsContentCreatorRoleToProfessionals" => {
                t.auto_assign_private_analytics_content_creator = b
            }
            "/autoAssignDataServicesContributorRoleToProfessionals" => {
                t.auto_assign_data_services_contributor = b
            }
            "/enableAnalyticCreation" => t.enable_analytic_creation = b,
            "/enableAppOpeningFeedback" => t.enable_app_opening_feedback = b,
            _ => {}
        }
    }
    t.updated_ms = now;
    if let Some(host) = alias {
        st.tenants.set_alias(tenant_id, host);
    }
    no_content()
}
