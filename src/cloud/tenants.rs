//! The tenant resource on its own host: `/api/v1/tenants/me` and `/api/v1/tenants/{id}` (§3).

use super::{seg, Error, Result, Tenant};
use serde_json::{json, Value};

impl Tenant {
    /// The tenant itself (`GET /tenants/me`, answered with a 302 to the tenant resource).
    pub async fn info(&self) -> Result<Value> {
        self.get_json("/api/v1/tenants/me").await
    }

    pub async fn tenant(&self, id: &str) -> Result<Value> {
        self.get_json(&format!("/api/v1/tenants/{}", seg(id)?))
            .await
    }

    /// `PATCH /tenants/{id}`: JSON Patch with `replace` operations only.
    pub async fn patch_tenant(&self, id: &str, ops: Value) -> Result<()> {
        self.patch_json(&format!("/api/v1/tenants/{}", seg(id)?), ops)
            .await
            .map(drop)
    }

    /// The tenant's id (from `/tenants/me`).
    pub async fn tenant_id(&self) -> Result<String> {
        let info = self.info().await?;
        info.get("id")
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| Error::decode("GET", "/api/v1/tenants/me", "tenant without an id"))
    }

    /// Sets the tenant's display name and returns the tenant as it now is.
    pub async fn rename(&self, name: &str) -> Result<Value> {
        let id = self.tenant_id().await?;
        self.patch_tenant(
            &id,
            json!([{"op": "replace", "path": "/name", "value": name}]),
        )
        .await?;
        self.tenant(&id).await
    }
}
