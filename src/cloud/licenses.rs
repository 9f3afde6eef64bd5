//! Licenses: `/api/v1/licenses/*` (reference §2).

use super::{Error, Result, Tenant};
use serde_json::Value;

impl Tenant {
    pub async fn license_overview(&self) -> Result<Value> {
        self.client
            .get(&self.svc, "/api/v1/licenses/overview", &[])
            .await
    }

    /// The signed entitlement key that `POST /tenants` needs.
    pub async fn license_key(&self) -> Result<String> {
        let overview = self.license_overview().await?;
        overview
            .get("licenseKey")
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| {
                Error::decode(
                    "GET",
                    "/api/v1/licenses/overview",
                    "overview without a licenseKey",
                )
            })
    }
}
