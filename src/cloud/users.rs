//! Users: `/api/v1/users` (reference §4).

use super::{seg, Error, Request, Result, Tenant, PAGE_SIZE};
use reqwest::Method;
use serde_json::{json, Value};

impl Tenant {
    /// The caller (`GET /users/me`, answered with a 301 to the user resource).
    pub async fn me(&self) -> Result<Value> {
        self.get_json("/api/v1/users/me").await
    }

    /// Every user matching a SCIM `filter` (all pages unless `limit`).
    pub async fn users(&self, filter: Option<&str>, limit: Option<usize>) -> Result<Vec<Value>> {
        let query = super::endpoint::filter_query(filter);
        self.list_all("/api/v1/users", &query, limit).await
    }

    pub async fn user(&self, id: &str) -> Result<Value> {
        self.get_json(&format!("/api/v1/users/{}", seg(id)?)).await
    }

    /// `POST /users`: roles may be given by name (`assignedRoles: [#{name: "TenantAdmin"}]`).
    pub async fn create_user(&self, user: Value) -> Result<Value> {
        self.post_json("/api/v1/users", user).await
    }

    /// `PATCH /users/{id}` with a JSON Patch array; `null` on 204, the per-op results on 207.
    pub async fn update_user(&self, id: &str, ops: Value) -> Result<Value> {
        self.patch_json(&format!("/api/v1/users/{}", seg(id)?), ops)
            .await
    }

    pub async fn delete_user(&self, id: &str) -> Result<()> {
        self.delete_path(&format!("/api/v1/users/{}", seg(id)?))
            .await
            .map(drop)
    }

    /// `GET /users/actions/count` → `total`.
    pub async fn count_users(&self) -> Result<i64> {
        let path = "/api/v1/users/actions/count";
        let answer = self.get_json(path).await?;
        answer
            .get("total")
            .and_then(Value::as_i64)
            .ok_or_else(|| Error::decode("GET", path, "answer without a numeric `total`"))
    }

    /// `POST /users/actions/filter` (its own rate tier): the filter goes in the body, which is
    /// sent again to every `next` page.
    pub async fn filter_users(&self, filter: &str, limit: Option<usize>) -> Result<Vec<Value>> {
        let page = limit.map_or(PAGE_SIZE, |n| n.clamp(1, PAGE_SIZE));
        let url = self.path_url(
            "/api/v1/users/actions/filter",
            &[("limit", page.to_string())],
        )?;
        let req = Request::new(Method::POST, url).json(json!({ "filter": filter }));
        self.client.list(&self.svc, req, limit).await
    }

    /// `POST /users/actions/invite`: one result per invitee (`status` ok, exists or error).
    pub async fn invite_users(&self, invitees: Value) -> Result<Vec<Value>> {
        let path = "/api/v1/users/actions/invite";
        let answer = self
            .post_json(path, json!({ "invitees": invitees }))
            .await?;
        super::licenses::per_item(path, answer)
    }
}

/// A SCIM string literal: quotes and backslashes escaped.
pub fn scim_string(value: &str) -> String {
    format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
}

impl Tenant {
    /// The first user whose `field` (`email`, `subject`, `id`, `name`) equals `value`, if any.
    pub async fn find_user(&self, field: &str, value: &str) -> Result<Option<Value>> {
        let filter = format!("{field} eq {}", scim_string(value));
        Ok(self.users(Some(&filter), Some(1)).await?.into_iter().next())
    }

    /// Adds one role by name unless the user has it; whether anything changed.
    pub async fn add_role(&self, id: &str, role: &str) -> Result<bool> {
        let user = self.user(id).await?;
        if role_id(&user, role).is_some() {
            return Ok(false);
        }
        let ops = json!([{"op": "add", "path": "/assignedRoles/-", "value": {"name": role}}]);
        self.update_user(id, ops).await.map(|_| true)
    }

    /// Removes one role by name if the user has it; whether anything changed.
    pub async fn remove_role(&self, id: &str, role: &str) -> Result<bool> {
        let user = self.user(id).await?;
        let Some(role_id) = role_id(&user, role) else {
            return Ok(false);
        };
        let ops =
            json!([{"op": "remove-value", "path": "/assignedRoles", "value": {"id": role_id}}]);
        self.update_user(id, ops).await.map(|_| true)
    }

    /// Makes the user's roles exactly `roles` (by name); whether anything changed.
    pub async fn set_roles(&self, id: &str, roles: &[String]) -> Result<bool> {
        let user = self.user(id).await?;
        let mut have: Vec<String> = role_names(&user)
            .iter()
            .map(|r| r.to_ascii_lowercase())
            .collect();
        let mut want: Vec<String> = roles.iter().map(|r| r.to_ascii_lowercase()).collect();
        have.sort();
        want.sort();
        want.dedup();
        if have == want {
            return Ok(false);
        }
        let value: Vec<Value> = roles.iter().map(|r| json!({"name": r})).collect();
        self.update_user(
            id,
            json!([{"op": "replace", "path": "/assignedRoles", "value": value}]),
        )
        .await
        .map(|_| true)
    }
}

/// The names of a user's assigned roles.
pub fn role_names(user: &Value) -> Vec<String> {
    user.get("assignedRoles")
        .and_then(Value::as_array)
        .map(|roles| {
            roles
                .iter()
                .filter_map(|r| r.get("name").and_then(Value::as_str))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

fn role_id(user: &Value, role: &str) -> Option<String> {
    user.get("assignedRoles")?.as_array()?.iter().find_map(|r| {
        let name = r.get("name")?.as_str()?;
        name.eq_ignore_ascii_case(role).then(|| {
            r.get("id")
                .and_then(Value::as_str)
                .unwrap_or(name)
                .to_string()
        })
    })
}
