//! Roles: `/api/v1/roles` (reference §5).

use super::{Result, Tenant, PAGE_SIZE};
use serde_json::Value;

impl Tenant {
    /// Every role of the tenant (default and custom), optionally filtered (SCIM).
    pub async fn roles(&self, filter: Option<&str>) -> Result<Vec<Value>> {
        let mut query = vec![("limit", PAGE_SIZE.to_string())];
        if let Some(f) = filter.filter(|f| !f.trim().is_empty()) {
            query.push(("filter", f.to_string()));
        }
        let url = self.svc.url("/api/v1/roles", &query)?;
        self.client.list(&self.svc, url, None).await
    }
}
