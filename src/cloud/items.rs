//! Items: `/api/v1/items`, the tenant's catalogue of apps and other resources.

use super::{Result, Tenant};
use serde_json::Value;

impl Tenant {
    /// Every item matching the query (`resourceType`, `name`, `spaceId`, ...), all pages.
    pub async fn items(&self, query: &[(String, String)]) -> Result<Vec<Value>> {
        let query: Vec<(&str, String)> =
            query.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
        self.list_all("/api/v1/items", &query, None).await
    }
}
