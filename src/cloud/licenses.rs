//! Licenses: `/api/v1/licenses/*` (reference §2).

use super::error::ApiError;
use super::{Error, Result, Tenant};
use serde_json::{json, Value};

impl Tenant {
    pub async fn license_overview(&self) -> Result<Value> {
        self.get_json("/api/v1/licenses/overview").await
    }

    /// The signed entitlement key that `POST /tenants` needs.
    pub async fn license_key(&self) -> Result<String> {
        let overview = self.license_overview().await?;
        overview
            .get("licenseKey")
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| {
                Error::decode(
                    "GET",
                    "/api/v1/licenses/overview",
                    "overview without a licenseKey",
                )
            })
    }

    pub async fn license_status(&self) -> Result<Value> {
        self.get_json("/api/v1/licenses/status").await
    }

    /// Every license assignment (`{subject, type, excess, created}`), all pages.
    pub async fn license_assignments(&self, filter: Option<&str>) -> Result<Vec<Value>> {
        let query = super::endpoint::filter_query(filter);
        self.list_all("/api/v1/licenses/assignments", &query, None)
            .await
    }

    /// `add`, `update` or `delete` assignments; answered with 207 and one result per item
    /// (`{status, subject, type, code?, title?}`), returned in order.
    pub async fn license_assignment_action(
        &self,
        action: &str,
        items: Value,
    ) -> Result<Vec<Value>> {
        let path = format!("/api/v1/licenses/assignments/actions/{action}");
        let answer = self.post_json(&path, json!({ action: items })).await?;
        per_item(&path, answer)
    }

    /// One assignment action on one item; a failed item becomes an error with its own status,
    /// code and title (e.g. 403 `LICENSES-011` "No available allotment").
    pub async fn license_assignment_one(&self, action: &str, item: Value) -> Result<Value> {
        let path = format!("/api/v1/licenses/assignments/actions/{action}");
        let result = self
            .license_assignment_action(action, json!([item]))
            .await?
            .into_iter()
            .next();
        let result = result
            .ok_or_else(|| Error::decode("POST", &path, "multi-status answer without a result"))?;
        let status = result.get("status").and_then(Value::as_u64).unwrap_or(0) as u16;
        if (200..300).contains(&status) {
            return Ok(result);
        }
        let body = json!({"errors": [result.clone()]}).to_string();
        let url = self.path_url(&path, &[])?;
        Err(Error::Api(Box::new(ApiError::from_response(
            status,
            "POST",
            url.as_str(),
            body.as_bytes(),
        ))))
    }

    pub async fn license_settings(&self) -> Result<Value> {
        self.get_json("/api/v1/licenses/settings").await
    }

    /// Settings are replaced with PUT (not PATCH); the answer echoes them.
    pub async fn set_license_settings(&self, settings: Value) -> Result<Value> {
        self.put_json("/api/v1/licenses/settings", settings).await
    }

    pub async fn license_consumption(
        &self,
        filter: Option<&str>,
        limit: Option<usize>,
    ) -> Result<Vec<Value>> {
        let mut query = super::endpoint::filter_query(filter);
        query.push(("limit", limit.unwrap_or(200).clamp(1, 200).to_string()));
        self.list_all("/api/v1/licenses/consumption", &query, limit)
            .await
    }
}

/// The `data` array of a 207 multi-status answer.
pub(super) fn per_item(path: &str, answer: Value) -> Result<Vec<Value>> {
    match answer.get("data").and_then(Value::as_array) {
        Some(items) => Ok(items.clone()),
        None => Err(Error::decode(
            "POST",
            path,
            "multi-status answer without a `data` array",
        )),
    }
}
