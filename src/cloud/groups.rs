//! Groups: `/api/v1/groups` and their settings (reference §5).

use super::{seg, Result, Tenant};
use serde_json::Value;

impl Tenant {
    pub async fn groups(&self, filter: Option<&str>) -> Result<Vec<Value>> {
        let query = super::endpoint::filter_query(filter);
        self.list_all("/api/v1/groups", &query, None).await
    }

    pub async fn create_group(&self, group: Value) -> Result<Value> {
        self.post_json("/api/v1/groups", group).await
    }

    pub async fn delete_group(&self, id: &str) -> Result<Value> {
        self.delete_path(&format!("/api/v1/groups/{}", seg(id)?))
            .await
    }

    pub async fn group_settings(&self) -> Result<Value> {
        self.get_json("/api/v1/groups/settings").await
    }

    pub async fn update_group_settings(&self, ops: Value) -> Result<Value> {
        self.patch_json("/api/v1/groups/settings", ops).await
    }
}
