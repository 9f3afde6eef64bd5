//! Identity providers: `/api/v1/identity-providers` (reference §6).

use super::{seg, Result, Tenant};
use serde_json::Value;

impl Tenant {
    pub async fn idps(&self) -> Result<Vec<Value>> {
        self.list_all("/api/v1/identity-providers", &[], None).await
    }

    pub async fn idp(&self, id: &str) -> Result<Value> {
        self.get_json(&format!("/api/v1/identity-providers/{}", seg(id)?))
            .await
    }

    /// Creates an IdP (`jwtAuth`, `OIDC`, `qsefw-local-bearer-token`, ...). TenantAdmin only.
    pub async fn create_idp(&self, idp: Value) -> Result<Value> {
        self.post_json("/api/v1/identity-providers", idp).await
    }

    pub async fn update_idp(&self, id: &str, ops: Value) -> Result<Value> {
        self.patch_json(&format!("/api/v1/identity-providers/{}", seg(id)?), ops)
            .await
    }

    pub async fn delete_idp(&self, id: &str) -> Result<Value> {
        self.delete_path(&format!("/api/v1/identity-providers/{}", seg(id)?))
            .await
    }

    pub async fn idp_status(&self) -> Result<Value> {
        self.get_json("/api/v1/identity-providers/status").await
    }

    pub async fn idp_metadata(&self) -> Result<Value> {
        self.get_json("/api/v1/identity-providers/.well-known/metadata.json")
            .await
    }
}
