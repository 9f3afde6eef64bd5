//! The tenant resource on its own host: `/api/v1/tenants/me` and `/api/v1/tenants/{id}` (§3).

use super::{seg, Error, Request, Result, Tenant};
use reqwest::Method;
use serde_json::{json, Value};

impl Tenant {
    /// The tenant itself (`GET /tenants/me`, answered with a 302 to the tenant resource).
    pub async fn info(&self) -> Result<Value> {
        self.client.get(&self.svc, "/api/v1/tenants/me", &[]).await
    }

    pub async fn tenant(&self, id: &str) -> Result<Value> {
        self.client
            .get(&self.svc, &format!("/api/v1/tenants/{}", seg(id)), &[])
            .await
    }

    /// `PATCH /tenants/{id}`: JSON Patch with `replace` operations only.
    pub async fn patch_tenant(&self, id: &str, ops: Value) -> Result<()> {
        let url = self.svc.url(&format!("/api/v1/tenants/{}", seg(id)), &[])?;
        self.client
            .send(&self.svc, Request::new(Method::PATCH, url).json(ops))
            .await?;
        Ok(())
    }

    /// Sets the tenant's display name and returns the tenant as it now is.
    pub async fn rename(&self, name: &str) -> Result<Value> {
        let id = tenant_id(&self.info().await?)?;
        self.patch_tenant(
            &id,
            json!([{"op": "replace", "path": "/name", "value": name}]),
        )
        .await?;
        self.tenant(&id).await
    }
}

fn tenant_id(tenant: &Value) -> Result<String> {
    tenant
        .get("id")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| Error::decode("GET", "/api/v1/tenants/me", "tenant without an id"))
}
