//! Spaces and their assignments: `/api/v1/spaces` (reference §8).

use super::{seg, Result, Tenant};
use serde_json::Value;

impl Tenant {
    /// Every space matching the query (`type`, `name`, `ownerId`, ...), all pages.
    pub async fn spaces(&self, query: &[(String, String)]) -> Result<Vec<Value>> {
        let query: Vec<(&str, String)> =
            query.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
        self.list_all("/api/v1/spaces", &query, None).await
    }

    pub async fn space(&self, id: &str) -> Result<Value> {
        self.get_json(&format!("/api/v1/spaces/{}", seg(id)?)).await
    }

    /// `{name, type: shared|managed|data, description?}`; 409 when the name exists.
    pub async fn create_space(&self, space: Value) -> Result<Value> {
        self.post_json("/api/v1/spaces", space).await
    }

    /// JSON Patch (`replace` `/name`, `/description`, `/ownerId`); answered with the space.
    pub async fn update_space(&self, id: &str, ops: Value) -> Result<Value> {
        self.patch_json(&format!("/api/v1/spaces/{}", seg(id)?), ops)
            .await
    }

    /// Deletes a space; 412 while it still holds content.
    pub async fn delete_space(&self, id: &str) -> Result<Value> {
        self.delete_path(&format!("/api/v1/spaces/{}", seg(id)?))
            .await
    }

    pub async fn space_assignments(&self, id: &str) -> Result<Vec<Value>> {
        self.list_all(
            &format!("/api/v1/spaces/{}/assignments", seg(id)?),
            &[],
            None,
        )
        .await
    }

    /// `{type: user|group, assigneeId, roles: [...]}`.
    pub async fn create_space_assignment(&self, id: &str, assignment: Value) -> Result<Value> {
        self.post_json(
            &format!("/api/v1/spaces/{}/assignments", seg(id)?),
            assignment,
        )
        .await
    }

    pub async fn update_space_assignment(
        &self,
        id: &str,
        assignment_id: &str,
        ops: Value,
    ) -> Result<Value> {
        self.patch_json(
            &format!(
                "/api/v1/spaces/{}/assignments/{}",
                seg(id)?,
                seg(assignment_id)?
            ),
            ops,
        )
        .await
    }

    pub async fn delete_space_assignment(&self, id: &str, assignment_id: &str) -> Result<Value> {
        self.delete_path(&format!(
            "/api/v1/spaces/{}/assignments/{}",
            seg(id)?,
            seg(assignment_id)?
        ))
        .await
    }
}
