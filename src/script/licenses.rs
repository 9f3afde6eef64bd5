//! Licenses on a tenant handle.

use super::convert::to_dynamic;
use super::handles::TenantHandle;
use super::native::native;
use rhai::{Dynamic, Engine, EvalAltResult};

pub fn register(engine: &mut Engine) {
    native!(engine, "license_overview", ["t: &mut Tenant", "Map"],
        "The license overview: licenseNumber, licenseKey, status, allotments with units and unitsUsed.",
        |t: &mut TenantHandle| -> Result<Dynamic, Box<EvalAltResult>> { Ok(to_dynamic(t.call(t.api.license_overview())?)) });
    native!(
        engine,
        "license_key",
        ["t: &mut Tenant", "String"],
        "The signed entitlement key (`licenseKey` of the overview) that creating tenants needs.",
        |t: &mut TenantHandle| t.call(t.api.license_key())
    );
}
