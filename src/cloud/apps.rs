//! Apps (`/api/v1/apps`) and the temporary content service (`/api/v1/temp-contents`): what it
//! takes to move an app between tenants. Endpoints and bodies from Qlik's `apps` and
//! `temp-contents` OpenAPI specs (reference §8); assumptions in [`crate::wire`].

use super::error::Error;
use super::http::{Download, Response};
use super::{seg, Request, Result, Tenant};
use reqwest::header::LOCATION;
use reqwest::{Method, Url};
use serde_json::{json, Value};
use std::sync::Arc;

/// How an app file is sent to `/api/v1/apps/import` (the spec's request body type).
const APP_FILE_TYPE: &str = "application/octet-stream";

/// Where `import_app` puts the app, and under what name.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    pub name: Option<String>,
    pub space_id: Option<String>,
    /// `NEW` (the default) or `AUTOREPLACE` (reserved by Qlik for internal use).
    pub mode: Option<String>,
}

impl Tenant {
    /// Every app item (Items API, `resourceType=app`), all pages; `query` adds filters such as
    /// `name`, `spaceId`, `ownerId`.
    pub async fn app_items(&self, query: &[(String, String)]) -> Result<Vec<Value>> {
        let mut q: Vec<(&str, String)> = vec![("resourceType", "app".to_string())];
        q.extend(
            query
                .iter()
                .filter(|(k, _)| k != "resourceType")
                .map(|(k, v)| (k.as_str(), v.clone())),
        );
        self.list_all("/api/v1/items", &q, None).await
    }

    /// One app (NxApp: `attributes`, `create`, `privileges`).
    pub async fn app(&self, id: &str) -> Result<Value> {
        self.get_json(&format!("/api/v1/apps/{}", seg(id)?)).await
    }

    /// Name and description of an app (`PUT /api/v1/apps/{appId}`); answers the NxApp.
    pub async fn update_app(&self, id: &str, attributes: Value) -> Result<Value> {
        self.put_json(
            &format!("/api/v1/apps/{}", seg(id)?),
            json!({ "attributes": attributes }),
        )
        .await
    }

    pub async fn delete_app(&self, id: &str) -> Result<Value> {
        self.delete_path(&format!("/api/v1/apps/{}", seg(id)?))
            .await
    }

    /// Exports an app: `POST /api/v1/apps/{appId}/export` (201, `Location` on the temporary
    /// content service), then downloads the file from there.
    pub async fn export_app(&self, id: &str) -> Result<Vec<u8>> {
        Ok(self.export_download(id, None).await?.bytes)
    }

    /// [`Tenant::export_app`], the file streamed into `sink` instead of memory.
    pub async fn export_app_into(&self, id: &str, sink: Download) -> Result<()> {
        self.export_download(id, Some(sink)).await.map(drop)
    }

    async fn export_download(&self, id: &str, sink: Option<Download>) -> Result<Response> {
        let url = self.path_url(&format!("/api/v1/apps/{}/export", seg(id)?), &[])?;
        let made = self
            .client
            .send(&self.svc, Request::new(Method::POST, url.clone()))
            .await?;
        let file_id = temp_content_id(&url, &made)?;
        let download = self.path_url(&format!("/api/v1/temp-contents/{}", seg(&file_id)?), &[])?;
        let mut req = Request::new(Method::GET, download);
        req.sink = sink;
        self.client.send(&self.svc, req).await
    }

    /// Imports an app file (`POST /api/v1/apps/import`, the bytes as
    /// `application/octet-stream`, `name`/`spaceId`/`mode` in the query); answers the NxApp.
    pub async fn import_app(&self, file: Arc<Vec<u8>>, options: &ImportOptions) -> Result<Value> {
        let mut query: Vec<(&str, String)> = Vec::new();
        if let Some(name) = &options.name {
            query.push(("name", name.clone()));
        }
        if let Some(space) = &options.space_id {
            query.push(("spaceId", space.clone()));
        }
        if let Some(mode) = &options.mode {
            query.push(("mode", mode.clone()));
        }
        let url = self.path_url("/api/v1/apps/import", &query)?;
        let req = Request::new(Method::POST, url).bytes(APP_FILE_TYPE, file);
        self.client.send(&self.svc, req).await?.json()
    }

    /// Publishes an app to a managed space (`POST /api/v1/apps/{appId}/publish`
    /// `{spaceId, attributes?}`); answers the published copy, whose `originAppId` is `id`.
    pub async fn publish_app(&self, id: &str, space_id: &str, attributes: Value) -> Result<Value> {
        let mut body = json!({ "spaceId": space_id });
        if !attributes.is_null() {
            body["attributes"] = attributes;
        }
        self.post_json(&format!("/api/v1/apps/{}/publish", seg(id)?), body)
            .await
    }

    /// Republishes an app over its published copy `target_id` (`PUT
    /// /api/v1/apps/{appId}/publish` `{targetId, attributes?, checkOriginAppId?}`).
    pub async fn republish_app(
        &self,
        id: &str,
        target_id: &str,
        attributes: Value,
        check_origin: bool,
    ) -> Result<Value> {
        let mut body = json!({ "targetId": target_id, "checkOriginAppId": check_origin });
        if !attributes.is_null() {
            body["attributes"] = attributes;
        }
        self.put_json(&format!("/api/v1/apps/{}/publish", seg(id)?), body)
            .await
    }
}

/// The temp-contents id in an export's `Location`: an absolute or relative URL that must stay
/// on the tenant's origin and name `/api/v1/temp-contents/{id}`. Only the id is kept; the
/// download URL is rebuilt with [`seg`], like every other.
fn temp_content_id(request: &Url, made: &Response) -> Result<String> {
    let bad = |why: String| Error::decode("POST", request.as_str(), why);
    let href = made
        .headers
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            bad(format!(
                "export answered {} without a Location",
                made.status
            ))
        })?;
    let at = request
        .join(href)
        .map_err(|e| bad(format!("bad Location {href:?}: {e}")))?;
    if at.origin() != request.origin() {
        return Err(bad(format!(
            "the export's Location {href:?} leaves the tenant; not following it with this token"
        )));
    }
    match at.path().strip_prefix("/api/v1/temp-contents/") {
        Some(id) if !id.is_empty() && !id.contains('/') => Ok(id.to_string()),
        _ => Err(bad(format!(
            "the export's Location {href:?} is not a temporary content file"
        ))),
    }
}
