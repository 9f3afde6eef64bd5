//! Licenses on a tenant handle.

use super::convert::to_json;
use super::handles::{ApiCalls, TenantHandle};
use super::native::native;
use rhai::{Array, Dynamic, Engine, Map};
use serde_json::json;

pub fn register(engine: &mut Engine) {
    native!(engine, "license_overview", ["t: &mut Tenant", "Map"],
        "The license overview: licenseNumber, licenseKey, status, allotments with units and unitsUsed.",
        |t: &mut TenantHandle| t.value(t.api.license_overview()));
    native!(
        engine,
        "license_key",
        ["t: &mut Tenant", "String"],
        "The signed entitlement key (`licenseKey` of the overview) that creating tenants needs.",
        |t: &mut TenantHandle| t.call(t.api.license_key())
    );
    native!(
        engine,
        "license_status",
        ["t: &mut Tenant", "Map"],
        "The license status: status, type, trial, valid, deactivated.",
        |t: &mut TenantHandle| t.value(t.api.license_status())
    );
    native!(
        engine,
        "license_assignments",
        ["t: &mut Tenant", "Array"],
        "Every license assignment `#{subject, type, excess, created}`, all pages.",
        |t: &mut TenantHandle| t.values(t.api.license_assignments(None))
    );
    native!(
        engine,
        "license_assignments",
        ["t: &mut Tenant", "filter: &str", "Array"],
        "The license assignments matching a filter, all pages.",
        |t: &mut TenantHandle, filter: &str| t.values(t.api.license_assignments(Some(filter)))
    );
    for action in ["add", "update", "delete"] {
        native!(engine, &format!("{action}_license_assignments"), ["t: &mut Tenant", "items: Array", "Array"],
            &format!("Runs `{action}` on many assignments (`#{{subject, type}}` each); one result per item,
            in order: `#{{status, subject, type, code, title}}` (201/200 ok, 403 LICENSES-011 no allotment,
            404 LICENSES-016 not found)."),
            move |t: &mut TenantHandle, items: Array| {
                let items = to_json(&Dynamic::from_array(items))?;
                t.values(t.api.license_assignment_action(action, items))
            });
    }
    native!(
        engine,
        "assign_license",
        ["t: &mut Tenant", "subject: &str", "type: &str", "Map"],
        "Assigns a `professional` or `analyzer` license to a user subject; throws the item's error
        (e.g. LICENSES-011 when no allotment is left).",
        |t: &mut TenantHandle, subject: &str, kind: &str| {
            t.value(
                t.api
                    .license_assignment_one("add", json!({"subject": subject, "type": kind})),
            )
        }
    );
    native!(
        engine,
        "unassign_license",
        ["t: &mut Tenant", "subject: &str", "type: &str", "Map"],
        "Removes a user's license assignment; throws the item's error (LICENSES-016 when absent).",
        |t: &mut TenantHandle, subject: &str, kind: &str| {
            t.value(
                t.api
                    .license_assignment_one("delete", json!({"subject": subject, "type": kind})),
            )
        }
    );
    native!(
        engine,
        "license_settings",
        ["t: &mut Tenant", "Map"],
        "Auto-assignment settings `#{autoAssignProfessional, autoAssignAnalyzer}`.",
        |t: &mut TenantHandle| t.value(t.api.license_settings())
    );
    native!(
        engine,
        "set_license_settings",
        ["t: &mut Tenant", "settings: Map", "Map"],
        "Replaces the auto-assignment settings (PUT); returns them.",
        |t: &mut TenantHandle, settings: Map| {
            let body = to_json(&Dynamic::from_map(settings))?;
            t.value(t.api.set_license_settings(body))
        }
    );
    native!(
        engine,
        "license_consumption",
        ["t: &mut Tenant", "Array"],
        "Every license consumption record, all pages.",
        |t: &mut TenantHandle| t.values(t.api.license_consumption(None, None))
    );
    native!(
        engine,
        "license_consumption",
        ["t: &mut Tenant", "filter: &str", "Array"],
        "License consumption records matching a filter on `endTime`, all pages.",
        |t: &mut TenantHandle, filter: &str| t
            .values(t.api.license_consumption(Some(filter), None))
    );
}
