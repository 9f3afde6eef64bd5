//! Temporary contents (`/api/v1/temp-contents`, @qlik/api `temp-contents`): files kept for a
//! time-to-live, the place an app export is downloaded from. Upload answers 201 with a
//! `Location` and no body; download answers the bytes (200), 404 for an unknown id and 410 Gone
//! once the file has expired; `/details` answers the `DetailResponse` fields.

use super::clock::{iso, SimMs};
use super::errors::{self, coded, ok, with_header, Api, ApiError, HResult};
use super::ids::Ids;
use super::request::Req;
use super::state::Tenant;
use crate::wire;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use serde_json::json;
use std::sync::Arc;

/// One stored file.
#[derive(Debug, Clone)]
pub struct TempContent {
    pub id: String,
    pub name: String,
    pub bytes: Arc<Vec<u8>>,
    pub creator_id: String,
    pub created_ms: SimMs,
    pub ttl_secs: i64,
}

impl TempContent {
    fn expires_ms(&self) -> SimMs {
        self.created_ms + self.ttl_secs * 1000
    }

    pub fn expired(&self, now: SimMs) -> bool {
        now >= self.expires_ms()
    }

    /// Where the file is downloaded from (the `Location` of its creation).
    pub fn location(&self) -> String {
        format!("/api/v1/temp-contents/{}", self.id)
    }
}

/// A tenant's temporary files. Expired ones answer 410 until they are swept, which happens
/// when new files are stored (a day after expiry, so a late download still learns why).
#[derive(Debug, Clone, Default)]
pub struct TempContents {
    files: Vec<TempContent>,
}

const API: Api = Api::Roles;

fn bad(detail: impl Into<String>) -> ApiError {
    errors::bad_request(API, wire::TEMP_CONTENTS_BAD_REQUEST_CODE, detail)
}

fn not_found(id: &str) -> ApiError {
    coded(
        API,
        404,
        wire::TEMP_CONTENTS_NOT_FOUND_CODE,
        "Not found",
        format!("Temporary content {id} not found"),
    )
}

fn gone(id: &str) -> ApiError {
    coded(
        API,
        410,
        wire::TEMP_CONTENTS_GONE_CODE,
        "Gone",
        format!("Temporary content {id} has expired"),
    )
}

impl TempContents {
    /// Stores `bytes` for `ttl_secs` and returns the new file.
    pub fn store(
        &mut self,
        ids: &mut Ids,
        name: &str,
        bytes: Arc<Vec<u8>>,
        creator_id: &str,
        now: SimMs,
        ttl_secs: i64,
    ) -> &TempContent {
        self.files.retain(|f| now < f.expires_ms() + 86_400_000);
        self.files.push(TempContent {
            id: ids.object_id(),
            name: name.to_string(),
            bytes,
            creator_id: creator_id.to_string(),
            created_ms: now,
            ttl_secs,
        });
        let last = self.files.len() - 1;
        &self.files[last]
    }

    /// A live file by id: 404 when unknown, 410 when expired.
    pub fn live(&self, id: &str, now: SimMs) -> Result<&TempContent, ApiError> {
        let f = self
            .files
            .iter()
            .find(|f| f.id == id)
            .ok_or_else(|| not_found(id))?;
        if f.expired(now) {
            return Err(gone(id));
        }
        Ok(f)
    }
}

/// POST /api/v1/temp-contents?filename&ttl: raw bytes; 201 with `Location`, no body.
pub fn upload(req: &Req, t: &mut Tenant, caller: &str, now: SimMs, ids: &mut Ids) -> HResult {
    let ttl = match req.q("ttl") {
        None | Some("") => wire::TEMP_CONTENTS_DEFAULT_TTL_SECS,
        Some(v) => match v.parse::<i64>() {
            Ok(n) if (1..=wire::TEMP_CONTENTS_MAX_TTL_SECS).contains(&n) => n,
            _ => {
                return Err(bad(format!(
                    "ttl must be a whole number of seconds from 1 to {}, got \"{v}\"",
                    wire::TEMP_CONTENTS_MAX_TTL_SECS
                )))
            }
        },
    };
    let name = req.q("filename").unwrap_or("");
    if name.contains(['/', '\\']) {
        return Err(bad("filename must be a file name, not a path"));
    }
    let f = t
        .temp_contents
        .store(ids, name, Arc::new(req.body.clone()), caller, now, ttl);
    let resp = StatusCode::CREATED.into_response();
    Ok(with_header(resp, "location", &f.location()))
}

/// GET /api/v1/temp-contents/{id}[?inline=1]: the bytes as `application/octet-stream`.
pub fn download(req: &Req, t: &Tenant, id: &str, now: SimMs) -> HResult {
    let f = t.temp_contents.live(id, now)?;
    let disposition = if req.q("inline") == Some("1") {
        "inline".to_string()
    } else {
        format!("attachment; filename=\"{}\"", f.name.replace('"', ""))
    };
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        f.bytes.as_ref().clone(),
    )
        .into_response())
}

/// GET /api/v1/temp-contents/{id}/details: `DetailResponse` (its field names are capitalised
/// on the wire, and `Size` is a string).
pub fn details(t: &Tenant, id: &str, now: SimMs) -> HResult {
    let f = t.temp_contents.live(id, now)?;
    ok(&json!({
        "ID": f.id,
        "Name": f.name,
        "Size": f.bytes.len().to_string(),
        "CreatorID": f.creator_id,
        "CreatedAt": iso(f.created_ms),
        "UpdatedAt": iso(f.created_ms),
        "Expires": iso(f.expires_ms()),
        "TTLSeconds": f.ttl_secs,
    }))
}

/// The methods a temp-contents path allows.
pub fn methods(rest: &[&str]) -> Option<&'static [&'static str]> {
    match rest {
        [] => Some(&["POST"]),
        [_] | [_, "details"] => Some(&["GET"]),
        _ => None,
    }
}

/// Routes a temp-contents request (`rest` after `/api/v1/temp-contents`).
pub fn handle(
    req: &Req,
    t: &mut Tenant,
    rest: &[&str],
    caller: &str,
    now: SimMs,
    ids: &mut Ids,
) -> HResult {
    match rest {
        [] => upload(req, t, caller, now, ids),
        [id] => download(req, t, id, now),
        [id, "details"] => details(t, id, now),
        _ => Err(not_found(&rest.join("/"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_answers_until_its_ttl_then_gone_and_unknown_ids_are_not_found() {
        let mut ids = Ids::new(1);
        let mut store = TempContents::default();
        let id = store
            .store(&mut ids, "a.qvf", Arc::new(vec![1, 2]), "u", 1_000, 60)
            .id
            .clone();
        assert_eq!(store.live(&id, 60_999).map(|f| f.bytes.len()).ok(), Some(2));
        assert_eq!(store.live(&id, 61_000).err().map(|e| e.status()), Some(410));
        assert_eq!(
            store.live("nope", 1_000).err().map(|e| e.status()),
            Some(404)
        );
        // Swept a day after expiry, when something new is stored.
        store.store(
            &mut ids,
            "b",
            Arc::new(vec![]),
            "u",
            61_000 + 86_400_000,
            60,
        );
        assert_eq!(store.live(&id, 61_000).err().map(|e| e.status()), Some(404));
    }
}
