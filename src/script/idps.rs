//! Identity providers on a tenant handle.

use super::convert::to_json;
use super::handles::{ApiCalls, TenantHandle};
use super::native::native;
use rhai::{Array, Dynamic, Engine, Map};

pub fn register(engine: &mut Engine) {
    native!(
        engine,
        "idps",
        ["t: &mut Tenant", "Array"],
        "Every identity provider of the tenant.",
        |t: &mut TenantHandle| t.values(t.api.idps())
    );
    native!(
        engine,
        "idp",
        ["t: &mut Tenant", "id: &str", "Map"],
        "One identity provider.",
        |t: &mut TenantHandle, id: &str| t.value(t.api.idp(id))
    );
    native!(engine, "create_idp", ["t: &mut Tenant", "idp: Map", "Map"],
        "Creates an identity provider (TenantAdmin only): `jwtAuth` (`options: #{issuer, staticKeys:
        [#{kid, pem}]}`), non-interactive `OIDC`, or the Multi-cloud `qsefw-local-bearer-token`.",
        |t: &mut TenantHandle, idp: Map| {
            let body = to_json(&Dynamic::from_map(idp))?;
            t.value(t.api.create_idp(body))
        });
    native!(
        engine,
        "update_idp",
        ["t: &mut Tenant", "id: &str", "ops: Array", "()"],
        "Applies JSON Patch operations to an identity provider (e.g. replace `/description`).",
        |t: &mut TenantHandle, id: &str, ops: Array| {
            let body = to_json(&Dynamic::from_array(ops))?;
            t.call(t.api.update_idp(id, body)).map(drop)
        }
    );
    native!(
        engine,
        "delete_idp",
        ["t: &mut Tenant", "id: &str", "()"],
        "Deletes an identity provider.",
        |t: &mut TenantHandle, id: &str| t.call(t.api.delete_idp(id)).map(drop)
    );
    native!(
        engine,
        "idp_status",
        ["t: &mut Tenant", "Map"],
        "`#{active_interactive_idps_count, idps_metadata: [#{active, interactive, provider}]}`.",
        |t: &mut TenantHandle| t.value(t.api.idp_status())
    );
    native!(
        engine,
        "idp_metadata",
        ["t: &mut Tenant", "Map"],
        "The tenant's `/identity-providers/.well-known/metadata.json`.",
        |t: &mut TenantHandle| t.value(t.api.idp_metadata())
    );
}
