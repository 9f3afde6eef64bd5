//! The verbs every API file builds on, and raw calls for anything not modelled yet.

use super::http::Response;
use super::{Request, Result, Tenant, PAGE_SIZE};
use reqwest::header::HeaderName;
use reqwest::{Method, Url};
use serde_json::Value;

impl Tenant {
    /// A path on this tenant (`/api/v1/...`, query allowed); other hosts are refused.
    pub fn path_url(&self, path: &str, query: &[(&str, String)]) -> Result<Url> {
        self.svc.url(path, query)
    }

    /// `method path` with an optional JSON body and extra headers: the whole answer.
    pub async fn request_with(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        headers: Vec<(HeaderName, String)>,
    ) -> Result<Response> {
        let mut req = Request::new(method, self.path_url(path, &[])?);
        req.body = body;
        req.headers = headers;
        self.client.send(&self.svc, req).await
    }

    /// `method path`: the answer's body (`null` when empty).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        headers: &[(&'static str, String)],
    ) -> Result<Value> {
        let headers = headers
            .iter()
            .map(|(n, v)| (HeaderName::from_static(n), v.clone()))
            .collect();
        self.request_with(method, path, body, headers).await?.json()
    }

    pub async fn get_json(&self, path: &str) -> Result<Value> {
        self.call(Method::GET, path, None, &[]).await
    }

    pub async fn post_json(&self, path: &str, body: Value) -> Result<Value> {
        self.call(Method::POST, path, Some(body), &[]).await
    }

    pub async fn patch_json(&self, path: &str, ops: Value) -> Result<Value> {
        self.call(Method::PATCH, path, Some(ops), &[]).await
    }

    pub async fn put_json(&self, path: &str, body: Value) -> Result<Value> {
        self.call(Method::PUT, path, Some(body), &[]).await
    }

    pub async fn delete_path(&self, path: &str) -> Result<Value> {
        self.call(Method::DELETE, path, None, &[]).await
    }

    /// Every item of a GET list (all pages unless `limit`), asking for the largest page size.
    pub async fn list_all(
        &self,
        path: &str,
        query: &[(&str, String)],
        limit: Option<usize>,
    ) -> Result<Vec<Value>> {
        let mut q = query.to_vec();
        if !q.iter().any(|(k, _)| *k == "limit") {
            q.push((
                "limit",
                limit
                    .map_or(PAGE_SIZE, |n| n.clamp(1, PAGE_SIZE))
                    .to_string(),
            ));
        }
        let url = self.path_url(path, &q)?;
        self.client
            .list(&self.svc, Request::new(Method::GET, url), limit)
            .await
    }

    /// Every item of a list whose path already carries its query (raw list calls).
    pub async fn list_path(&self, path: &str, limit: Option<usize>) -> Result<Vec<Value>> {
        let url = self.path_url(path, &[])?;
        self.client
            .list(&self.svc, Request::new(Method::GET, url), limit)
            .await
    }
}
