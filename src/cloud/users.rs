//! Users: `/api/v1/users` (reference §4).

use super::{seg, Request, Result, Tenant, PAGE_SIZE};
use reqwest::Method;
use serde_json::Value;

impl Tenant {
    /// The caller (`GET /users/me`, answered with a 301 to the user resource).
    pub async fn me(&self) -> Result<Value> {
        self.client.get(&self.svc, "/api/v1/users/me", &[]).await
    }

    /// Every user matching a SCIM `filter` (all pages unless `limit`).
    pub async fn users(&self, filter: Option<&str>, limit: Option<usize>) -> Result<Vec<Value>> {
        let page = limit.map_or(PAGE_SIZE, |n| n.clamp(1, PAGE_SIZE));
        let mut query = vec![("limit", page.to_string())];
        if let Some(f) = filter.filter(|f| !f.trim().is_empty()) {
            query.push(("filter", f.to_string()));
        }
        let url = self.svc.url("/api/v1/users", &query)?;
        self.client.list(&self.svc, url, limit).await
    }

    pub async fn user(&self, id: &str) -> Result<Value> {
        self.client
            .get(&self.svc, &format!("/api/v1/users/{}", seg(id)), &[])
            .await
    }

    /// `POST /users`: roles may be given by name (`assignedRoles: [#{name: "TenantAdmin"}]`).
    pub async fn create_user(&self, user: Value) -> Result<Value> {
        let url = self.svc.url("/api/v1/users", &[])?;
        Ok(self
            .client
            .send(&self.svc, Request::new(Method::POST, url).json(user))
            .await?
            .body)
    }

    /// `PATCH /users/{id}` with a JSON Patch array; `null` on 204, the per-op results on 207.
    pub async fn update_user(&self, id: &str, ops: Value) -> Result<Value> {
        let url = self.svc.url(&format!("/api/v1/users/{}", seg(id)), &[])?;
        Ok(self
            .client
            .send(&self.svc, Request::new(Method::PATCH, url).json(ops))
            .await?
            .body)
    }

    pub async fn delete_user(&self, id: &str) -> Result<()> {
        let url = self.svc.url(&format!("/api/v1/users/{}", seg(id)), &[])?;
        self.client
            .send(&self.svc, Request::new(Method::DELETE, url))
            .await?;
        Ok(())
    }

    /// `GET /users/actions/count` → `total`.
    pub async fn count_users(&self) -> Result<i64> {
        let answer = self
            .client
            .get(&self.svc, "/api/v1/users/actions/count", &[])
            .await?;
        answer.get("total").and_then(Value::as_i64).ok_or_else(|| {
            super::Error::decode(
                "GET",
                "/api/v1/users/actions/count",
                "answer without a numeric `total`",
            )
        })
    }
}
