//! OAuth clients of a tenant: `/api/v1/oauth-clients` (reference §7).

use super::{seg, Result, Tenant};
use reqwest::Method;
use serde_json::Value;

impl Tenant {
    pub async fn oauth_clients(&self) -> Result<Vec<Value>> {
        self.list_all("/api/v1/oauth-clients", &[], None).await
    }

    pub async fn oauth_client(&self, id: &str) -> Result<Value> {
        self.get_json(&format!("/api/v1/oauth-clients/{}", seg(id)?))
            .await
    }

    /// Creates a client; the answer holds `clientSecret`, the only time it is shown.
    pub async fn create_oauth_client(&self, client: Value) -> Result<Value> {
        self.post_json("/api/v1/oauth-clients", client).await
    }

    /// JSON Patch; `null` on 204, `{clientSecret}` on 202 when a secret was generated.
    pub async fn update_oauth_client(&self, id: &str, ops: Value) -> Result<Value> {
        self.patch_json(&format!("/api/v1/oauth-clients/{}", seg(id)?), ops)
            .await
    }

    /// Deletes a client, confirming with `qlik-confirm-delete: <clientId>`.
    pub async fn delete_oauth_client(&self, id: &str) -> Result<Value> {
        let path = format!("/api/v1/oauth-clients/{}", seg(id)?);
        self.call(
            Method::DELETE,
            &path,
            None,
            &[("qlik-confirm-delete", id.to_string())],
        )
        .await
    }

    /// A new secret (at most five per client): `{clientId, clientSecret, hint, createdAt}`.
    pub async fn create_client_secret(&self, id: &str) -> Result<Value> {
        self.call(
            Method::POST,
            &format!("/api/v1/oauth-clients/{}/client-secrets", seg(id)?),
            None,
            &[],
        )
        .await
    }

    pub async fn delete_client_secret(&self, id: &str, hint: &str) -> Result<Value> {
        self.delete_path(&format!(
            "/api/v1/oauth-clients/{}/client-secrets/{}",
            seg(id)?,
            seg(hint)?
        ))
        .await
    }
}
