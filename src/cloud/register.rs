//! Tenant lifecycle on `register.<region>`: create, deactivate, reactivate (reference §3.1).

use super::{seg, Registration, Request, Result};
use reqwest::Method;
use serde_json::{json, Value};

impl Registration {
    /// `POST /api/v1/tenants` with `licenseKey` and optional `datacenter`.
    pub async fn create_tenant(&self, request: Value) -> Result<Value> {
        let url = self.svc.url("/api/v1/tenants", &[])?;
        self.client
            .send(&self.svc, Request::new(Method::POST, url).json(request))
            .await?
            .json()
    }

    /// Deactivates a tenant; it is purged after `purge_after_days` unless reactivated.
    /// `hostname` must be one of the tenant's hostnames (`qlik-confirm-hostname`).
    pub async fn deactivate_tenant(
        &self,
        id: &str,
        hostname: &str,
        purge_after_days: Option<i64>,
    ) -> Result<Value> {
        let body = match purge_after_days {
            Some(days) => json!({"purgeAfterDays": days}),
            None => json!({}),
        };
        self.tenant_action(id, "deactivate", hostname, body).await
    }

    pub async fn reactivate_tenant(&self, id: &str, hostname: &str) -> Result<Value> {
        self.tenant_action(id, "reactivate", hostname, json!({}))
            .await
    }

    async fn tenant_action(
        &self,
        id: &str,
        action: &str,
        hostname: &str,
        body: Value,
    ) -> Result<Value> {
        let url = self.svc.url(
            &format!("/api/v1/tenants/{}/actions/{action}", seg(id)?),
            &[],
        )?;
        let req = Request::new(Method::POST, url)
            .json(body)
            .header("qlik-confirm-hostname", hostname);
        self.client.send(&self.svc, req).await?.json()
    }
}
