//! Per-tenant identity and access storage: identity providers, tenant-level OAuth clients,
//! API keys, and the `jti`s of client assertions already used. One field of
//! [`Tenant`](super::state::Tenant) holds it all; the handlers live in `idps`, `oauth_clients`
//! and `apikeys`, the wire-level checks of client assertions in `jwt`.

use super::clock::SimMs;
use super::state::Tenant;
use serde_json::{json, Map, Value};
use std::collections::HashMap;

#[derive(Default)]
pub struct TenantIdentity {
    pub idps: Vec<Idp>,
    pub clients: Vec<TenantClient>,
    pub api_keys: Vec<ApiKey>,
    /// `"<clientId> <jti>"` of accepted client assertions -> their `exp` (Unix seconds).
    pub used_jtis: HashMap<String, i64>,
    /// JWT authorization sessions by session cookie value.
    pub sessions: HashMap<String, super::jwt_session::Session>,
}

/// An identity provider: the stored object (without `id`, `created`, `lastUpdated`, which are
/// kept apart).
pub struct Idp {
    pub id: String,
    pub fields: Map<String, Value>,
    pub created_ms: SimMs,
    pub updated_ms: SimMs,
}

impl Idp {
    pub fn protocol(&self) -> &str {
        self.fields
            .get("protocol")
            .and_then(Value::as_str)
            .unwrap_or("")
    }
    pub fn provider(&self) -> &str {
        self.fields
            .get("provider")
            .and_then(Value::as_str)
            .unwrap_or("")
    }
    pub fn flag(&self, name: &str) -> bool {
        self.fields.get(name).and_then(Value::as_bool) == Some(true)
    }
}

pub struct ClientSecret {
    pub hint: String,
    pub secret: String,
    pub created_ms: SimMs,
    pub created_by: String,
}

/// A tenant-level OAuth client (reference §7).
pub struct TenantClient {
    pub client_id: String,
    /// The client's request-level fields (`clientName`, `appType`, `allowedGrantTypes`, ...).
    pub fields: Map<String, Value>,
    pub secrets: Vec<ClientSecret>,
    pub created_ms: SimMs,
    pub updated_ms: SimMs,
    pub created_by: String,
}

impl TenantClient {
    pub fn name(&self) -> &str {
        self.fields
            .get("clientName")
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    /// The string values of a list field.
    pub fn list(&self, name: &str) -> Vec<&str> {
        self.fields
            .get(name)
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default()
    }

    /// `allowedAuthMethods`, defaulting to `client_secret` when absent or empty.
    pub fn allows_auth(&self, method: &str) -> bool {
        let m = self.list("allowedAuthMethods");
        if m.is_empty() {
            method == "client_secret"
        } else {
            m.contains(&method)
        }
    }

    pub fn public_keys(&self) -> Vec<Value> {
        self.fields
            .get("publicKeys")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    }
}

pub struct ApiKey {
    pub id: String,
    pub description: String,
    pub sub: String,
    pub sub_type: String,
    /// `active` | `revoked` (`expired` is computed from `expiry_ms`).
    pub status: String,
    pub expiry_ms: SimMs,
    pub created_by: String,
    pub created_ms: SimMs,
    pub updated_ms: SimMs,
    pub token: String,
}

impl ApiKey {
    pub fn status_at(&self, now: SimMs) -> &str {
        if self.status == "active" && now >= self.expiry_ms {
            "expired"
        } else {
            &self.status
        }
    }
}

/// The `/_sim/state` entries of a tenant: IdPs, OAuth clients (never secrets), API key count.
pub fn summary(t: &Tenant) -> Value {
    let id = &t.identity;
    json!({
        "identityProviders": id.idps.iter().map(|i| json!({
            "id": i.id, "protocol": i.protocol(), "provider": i.provider(),
            "description": i.fields.get("description").cloned().unwrap_or(Value::Null),
            "active": i.flag("active"), "interactive": i.flag("interactive"),
        })).collect::<Vec<_>>(),
        "oauthClients": id.clients.iter().map(|c| json!({
            "clientName": c.name(), "clientId": c.client_id,
        })).collect::<Vec<_>>(),
        "apiKeys": id.api_keys.len(),
    })
}
