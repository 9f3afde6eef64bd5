//! Roles: `/api/v1/roles` (reference §5).

use super::{Result, Tenant};
use serde_json::Value;

impl Tenant {
    /// Every role of the tenant (default and custom), optionally filtered (SCIM).
    pub async fn roles(&self, filter: Option<&str>) -> Result<Vec<Value>> {
        let query = super::endpoint::filter_query(filter);
        self.list_all("/api/v1/roles", &query, None).await
    }
}
