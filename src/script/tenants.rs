//! The tenant resource on a tenant handle, and tenant lifecycle on a region handle.

use super::convert::{to_dynamic, to_json};
use super::handles::{ApiCalls, RegionHandle, TenantHandle};
use super::native::{native, Fallible};
use crate::wire;
use rhai::{Array, Dynamic, Engine, Map, INT};

pub fn register(engine: &mut Engine) {
    native!(engine, "info", ["t: &mut Tenant", "Map"],
        "The tenant itself (`GET /api/v1/tenants/me`): id, name, hostnames, datacenter, status, settings.",
        |t: &mut TenantHandle| -> Fallible<Dynamic> { Ok(to_dynamic(t.call(t.api.info())?)) });
    native!(
        engine,
        "rename",
        ["t: &mut Tenant", "name: &str", "Map"],
        "Sets the tenant's display name; returns the tenant as it now is.",
        |t: &mut TenantHandle, name: &str| -> Fallible<Dynamic> {
            Ok(to_dynamic(t.call(t.api.rename(name))?))
        }
    );
    native!(
        engine,
        "update_tenant",
        ["t: &mut Tenant", "ops: Array", "()"],
        "Applies `replace` operations to the tenant, e.g.
        `[#{op: \"replace\", path: \"/enableAppOpeningFeedback\", value: true}]`.",
        |t: &mut TenantHandle, ops: Array| -> Fallible<()> {
            let ops = to_json(&Dynamic::from_array(ops))?;
            t.call(async { t.api.patch_tenant(&t.api.tenant_id().await?, ops).await })
        }
    );

    native!(
        engine,
        "create_tenant",
        ["r: &mut Region", "request: Map", "Map"],
        "Creates a tenant: `#{licenseKey: key}` plus an optional `datacenter`. Returns the tenant;
        its host is `hostnames[0]`.",
        |r: &mut RegionHandle, request: Map| -> Fallible<Dynamic> {
            let body = to_json(&Dynamic::from_map(request))?;
            Ok(to_dynamic(r.call(r.api.create_tenant(body))?))
        }
    );
    native!(
        engine,
        "deactivate_tenant",
        [
            "r: &mut Region",
            "id: &str",
            "hostname: &str",
            "purge_after_days: INT",
            "Map"
        ],
        &format!(
            "Deactivates a tenant, purged after `purge_after_days` ({}..={}) unless reactivated.
        `hostname` must be the tenant's hostname, as a confirmation.",
            wire::PURGE_AFTER_DAYS_MIN,
            wire::PURGE_AFTER_DAYS_MAX
        ),
        |r: &mut RegionHandle, id: &str, hostname: &str, days: INT| -> Fallible<Dynamic> {
            Ok(to_dynamic(r.call(r.api.deactivate_tenant(
                id,
                hostname,
                Some(days),
            ))?))
        }
    );
    native!(
        engine,
        "deactivate_tenant",
        ["r: &mut Region", "id: &str", "hostname: &str", "Map"],
        &format!(
            "Deactivates a tenant, purged after the default {} days unless reactivated.",
            wire::PURGE_AFTER_DAYS_DEFAULT
        ),
        |r: &mut RegionHandle, id: &str, hostname: &str| -> Fallible<Dynamic> {
            Ok(to_dynamic(
                r.call(r.api.deactivate_tenant(id, hostname, None))?,
            ))
        }
    );
    native!(
        engine,
        "reactivate_tenant",
        ["r: &mut Region", "id: &str", "hostname: &str", "Map"],
        "Reactivates a deactivated tenant; `hostname` must be the tenant's hostname.",
        |r: &mut RegionHandle, id: &str, hostname: &str| -> Fallible<Dynamic> {
            Ok(to_dynamic(r.call(r.api.reactivate_tenant(id, hostname))?))
        }
    );
}
