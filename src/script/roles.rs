//! Roles on a tenant handle.

use super::convert::to_dynamic;
use super::handles::{ApiCalls, TenantHandle};
use super::native::native;
use rhai::{Array, Engine, EvalAltResult};

pub fn register(engine: &mut Engine) {
    native!(
        engine,
        "roles",
        ["t: &mut Tenant", "Array"],
        "Every role of the tenant (default and custom).",
        |t: &mut TenantHandle| -> Result<Array, Box<EvalAltResult>> {
            Ok(t.call(t.api.roles(None))?
                .into_iter()
                .map(to_dynamic)
                .collect())
        }
    );
    native!(
        engine,
        "roles",
        ["t: &mut Tenant", "filter: &str", "Array"],
        "The roles matching a SCIM filter, e.g. `name eq \"TenantAdmin\"`.",
        |t: &mut TenantHandle, filter: &str| -> Result<Array, Box<EvalAltResult>> {
            Ok(t.call(t.api.roles(Some(filter)))?
                .into_iter()
                .map(to_dynamic)
                .collect())
        }
    );
}
