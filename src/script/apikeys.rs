//! API keys on a tenant handle.

use super::convert::to_json;
use super::handles::{ApiCalls, TenantHandle};
use super::native::native;
use rhai::{Dynamic, Engine, Map};

pub fn register(engine: &mut Engine) {
    native!(
        engine,
        "api_keys",
        ["t: &mut Tenant", "Array"],
        "Every API key visible to the caller.",
        |t: &mut TenantHandle| t.values(t.api.api_keys())
    );
    native!(engine, "create_api_key", ["t: &mut Tenant", "key: Map", "Map"],
        "Creates an API key `#{description, expiry: \"P30D\"}`; the answer's `token` is shown this once.",
        |t: &mut TenantHandle, key: Map| {
            let body = to_json(&Dynamic::from_map(key))?;
            t.value(t.api.create_api_key(body))
        });
}
