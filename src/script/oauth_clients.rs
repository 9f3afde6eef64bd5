//! OAuth clients on a tenant handle.

use super::convert::to_json;
use super::handles::{ApiCalls, TenantHandle};
use super::native::native;
use rhai::{Array, Dynamic, Engine, Map};

pub fn register(engine: &mut Engine) {
    native!(
        engine,
        "oauth_clients",
        ["t: &mut Tenant", "Array"],
        "Every OAuth client of the tenant.",
        |t: &mut TenantHandle| t.values(t.api.oauth_clients())
    );
    native!(
        engine,
        "oauth_client",
        ["t: &mut Tenant", "id: &str", "Map"],
        "One OAuth client by clientId.",
        |t: &mut TenantHandle, id: &str| t.value(t.api.oauth_client(id))
    );
    native!(
        engine,
        "create_oauth_client",
        ["t: &mut Tenant", "client: Map", "Map"],
        "Creates an OAuth client; a machine-to-machine one is `#{clientName, appType: \"web\",
        allowedGrantTypes: [\"client_credentials\"], allowedScopes: [\"user_default\"]}`.
        The answer's `clientSecret` is shown this once: store it, qops never logs it.",
        |t: &mut TenantHandle, client: Map| {
            let body = to_json(&Dynamic::from_map(client))?;
            t.value(t.api.create_oauth_client(body))
        }
    );
    native!(engine, "update_oauth_client", ["t: &mut Tenant", "id: &str", "ops: Array", "Dynamic"],
        "Applies JSON Patch operations (add, remove, replace); `#{clientSecret}` when one was generated.",
        |t: &mut TenantHandle, id: &str, ops: Array| {
            let body = to_json(&Dynamic::from_array(ops))?;
            t.value(t.api.update_oauth_client(id, body))
        });
    native!(
        engine,
        "delete_oauth_client",
        ["t: &mut Tenant", "id: &str", "()"],
        "Deletes an OAuth client (sends the `qlik-confirm-delete` confirmation).",
        |t: &mut TenantHandle, id: &str| t.call(t.api.delete_oauth_client(id)).map(drop)
    );
    native!(
        engine,
        "create_client_secret",
        ["t: &mut Tenant", "id: &str", "Map"],
        "A new secret for a client (at most five): `#{clientSecret, hint, createdAt}`.",
        |t: &mut TenantHandle, id: &str| t.value(t.api.create_client_secret(id))
    );
    native!(
        engine,
        "delete_client_secret",
        ["t: &mut Tenant", "id: &str", "hint: &str", "()"],
        "Deletes the client secret with this hint.",
        |t: &mut TenantHandle, id: &str, hint: &str| t
            .call(t.api.delete_client_secret(id, hint))
            .map(drop)
    );
}
