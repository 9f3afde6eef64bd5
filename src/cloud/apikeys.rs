//! API keys: `/api/v1/api-keys` (reference §1.2).

use super::{Result, Tenant};
use serde_json::Value;

impl Tenant {
    /// Every API key visible to the caller (pages follow `links.next.href` too).
    pub async fn api_keys(&self) -> Result<Vec<Value>> {
        self.list_all("/api/v1/api-keys", &[], None).await
    }

    /// `{description, expiry?, sub?, subType?}`; the answer's `token` is shown only here.
    pub async fn create_api_key(&self, key: Value) -> Result<Value> {
        self.post_json("/api/v1/api-keys", key).await
    }
}
