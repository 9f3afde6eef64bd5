//! The simulated QSEoW site at `qseow.qlik.localhost`: the repository service (QRS, `/qrs/...`:
//! `about`, `app`, `stream`, `custompropertydefinition`, `systemrule`), the hybrid deployment
//! service (`/api/hds/v1/Deployments...`) and app distribution to the simulated Qlik Cloud
//! tenants on publish.
//!
//! Every request needs a matching Xrfkey (query `xrfkey`, any case, and header
//! `X-Qlik-Xrfkey`, 16 of `[0-9a-zA-Z]`); the caller is `X-Qlik-User` (trusted, as on the
//! certificate port 4242) or `INTERNAL\sa_repository`. Non-admin users may read but not write.
//!
//! Files: `qrs` (entities, filter/orderby/count/full, concurrency), `filter` (the QRS filter
//! language), `hds` (deployments, their key pairs and tokens, test connection), `distribution`
//! (policies × deployments on publish, staging on tenants, records), `seed`.

mod distribution;
pub(crate) mod filter;
mod hds;
mod qrs;
mod seed;
#[cfg(test)]
mod tests;

pub use hds::check_issued;
pub use seed::seed;

use super::clock::{iso, SimMs};
use super::errors::{json_response, HResult};
use super::request::{decode, Req};
use super::state::State;
use crate::wire;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

/// The site's host name (any port).
pub const HOST: &str = "qseow.qlik.localhost";

/// A user of the site (QRS `User`).
#[derive(Debug, Clone)]
pub struct SiteUser {
    pub id: String,
    pub directory: String,
    pub user_id: String,
    pub name: String,
    pub admin: bool,
}

impl SiteUser {
    /// The condensed user QRS embeds as an app's `owner`.
    pub fn condensed(&self) -> Value {
        json!({"id": self.id, "userId": self.user_id, "userDirectory": self.directory,
               "name": self.name, "privileges": null})
    }
}

/// A deployment of the hybrid deployment service.
pub struct Deployment {
    pub id: String,
    pub name: String,
    pub service_url: String,
    pub audience: String,
    pub local_bearer_token: bool,
    pub client_id: String,
    pub client_secret: String,
    pub authentication_url: String,
    /// PKCS#8 of the deployment's P-256 key (local bearer token mode); never shown.
    pub pkcs8: Vec<u8>,
    pub public_pem: String,
    pub created_ms: SimMs,
    pub modified_ms: SimMs,
}

/// The outcome of distributing one source app to one deployment.
#[derive(Debug, Clone)]
pub struct DistRecord {
    pub id: String,
    pub source_app_id: String,
    pub deployment_id: String,
    pub tenant_id: String,
    pub target_app_id: String,
    pub last_sync_ms: SimMs,
    /// `Success` | `Failure`
    pub status: &'static str,
    pub error_message: String,
    pub policies: Vec<String>,
    /// The source app's `modifiedDate` and `lastReloadTime` when this copy was distributed.
    pub app_modified: String,
    pub app_reload: String,
}

/// The site's world.
#[derive(Default)]
pub struct Site {
    pub users: Vec<SiteUser>,
    pub about: Value,
    pub apps: Vec<Value>,
    pub streams: Vec<Value>,
    pub cpds: Vec<Value>,
    pub rules: Vec<Value>,
    pub deployments: Vec<Deployment>,
    pub distributions: Vec<DistRecord>,
}

impl Site {
    pub fn user_by_name(&self, directory: &str, user_id: &str) -> Option<&SiteUser> {
        self.users.iter().find(|u| {
            u.directory.eq_ignore_ascii_case(directory) && u.user_id.eq_ignore_ascii_case(user_id)
        })
    }

    /// `/_sim/state` summary.
    pub fn summary(&self) -> Value {
        json!({
            "host": HOST,
            "apps": self.apps.len(),
            "streams": self.streams.len(),
            "customPropertyDefinitions": self.cpds.len(),
            "users": self.users.len(),
            "deployments": self.deployments.len(),
            "policies": self.rules.iter().filter(|r| distribution::is_policy(r)).count(),
            "systemRules": self.rules.len(),
            "distributions": self.distributions.len(),
        })
    }
}

/// A `text/plain` answer (QRS error bodies are plain text).
pub fn text(status: u16, body: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        body.to_string(),
    )
        .into_response()
}

pub fn json_at(status: u16, body: &Value) -> HResult {
    Ok(json_response(status, body))
}

/// Who is calling, once the Xrfkey check passed.
pub struct SiteCaller {
    pub directory: String,
    pub user_id: String,
    pub admin: bool,
}

impl SiteCaller {
    pub fn display(&self) -> String {
        format!("{}\\{}", self.directory, self.user_id)
    }
}

/// Xrfkey check: the query parameter (name in any case) equals the header, 16 alphanumerics.
fn xrf_ok(req: &Req) -> bool {
    let q = req
        .query
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("xrfkey"))
        .map(|(_, v)| v.as_str());
    let h = req.header("x-qlik-xrfkey");
    match (q, h) {
        (Some(q), Some(h)) => {
            q == h && q.len() == 16 && q.chars().all(|c| c.is_ascii_alphanumeric())
        }
        _ => false,
    }
}

/// `UserDirectory=<dir>; UserId=<id>` (space optional, parts URL-decoded, keys any case).
pub fn parse_user_header(h: &str) -> Option<(String, String)> {
    let mut dir = None;
    let mut uid = None;
    for part in h.split(';') {
        let Some((k, v)) = part.split_once('=') else {
            continue;
        };
        let v = decode(v.trim()).trim().to_string();
        match decode(k).trim().to_ascii_lowercase().as_str() {
            "userdirectory" => dir = Some(v),
            "userid" => uid = Some(v),
            _ => {}
        }
    }
    match (dir, uid) {
        (Some(d), Some(u)) if !d.is_empty() && !u.is_empty() => Some((d, u)),
        _ => None,
    }
}

/// `Err` is the 400 answer for a malformed `X-Qlik-User`.
fn caller(req: &Req, site: &Site) -> Result<SiteCaller, &'static str> {
    let (directory, user_id) = match req.header("x-qlik-user") {
        None => (
            wire::QSEOW_DEFAULT_USER_DIRECTORY.to_string(),
            wire::QSEOW_DEFAULT_USER_ID.to_string(),
        ),
        Some(h) => parse_user_header(h).ok_or(wire::QSEOW_BAD_USER_HEADER_TEXT)?,
    };
    let known = site.user_by_name(&directory, &user_id);
    let admin = known.is_some_and(|u| u.admin);
    let (directory, user_id) = known
        .map(|u| (u.directory.clone(), u.user_id.clone()))
        .unwrap_or((directory, user_id));
    Ok(SiteCaller {
        directory,
        user_id,
        admin,
    })
}

/// The site's entry point: every request whose Host is [`HOST`].
pub fn handle(req: &Req, st: &mut State) -> HResult {
    if !xrf_ok(req) {
        return Ok(text(
            wire::QSEOW_XRF_FAILED_STATUS,
            wire::QSEOW_XRF_FAILED_TEXT,
        ));
    }
    let who = match caller(req, &st.qseow) {
        Ok(c) => c,
        Err(why) => return Ok(text(wire::QSEOW_BAD_USER_HEADER_STATUS, why)),
    };
    let segs: Vec<String> = req.segments().iter().map(|s| s.to_string()).collect();
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    let write = req.method != "GET";
    match segs.as_slice() {
        ["qrs", rest @ ..] => {
            if write && !who.admin {
                return Ok(text(403, wire::QSEOW_FORBIDDEN_TEXT));
            }
            qrs::handle(req, st, &who, rest)
        }
        ["api", "hds", "v1", d, rest @ ..] if d.eq_ignore_ascii_case("deployments") => {
            // deployment setup (test action included) is an admin task
            if write && !who.admin {
                return Ok(hds::problem(403, "Forbidden", wire::QSEOW_FORBIDDEN_TEXT));
            }
            hds::handle(req, st, rest)
        }
        _ => Ok(text(404, "Not Found")),
    }
}

/// `/_sim/qseow/...` (no Xrfkey: simulator administration).
pub fn admin(req: &Req, st: &mut State, rest: &[&str]) -> HResult {
    match (req.method.as_str(), rest) {
        ("GET", ["distributions"]) => distribution::records_json(st),
        ("POST", ["publish"]) => distribution::admin_publish(req, st),
        _ => Ok(text(404, "Not Found")),
    }
}

/// A fresh `modifiedDate` strictly after `prev` (so two writes never share one).
pub fn next_modified(now: SimMs, prev: Option<&Value>) -> SimMs {
    let prev_ms = prev
        .and_then(Value::as_str)
        .and_then(parse_iso)
        .unwrap_or(i64::MIN);
    now.max(prev_ms.saturating_add(1))
}

/// Parses the simulator's own ISO form `YYYY-MM-DDTHH:MM:SS.mmmZ` back to ms.
pub fn parse_iso(s: &str) -> Option<SimMs> {
    let b = s.as_bytes();
    if b.len() < 20 {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r).and_then(|x| x.parse::<i64>().ok());
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hh, mm, ss) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let ms = if b.get(19) == Some(&b'.') {
        num(20..23).unwrap_or(0)
    } else {
        0
    };
    // days from civil (Howard Hinnant)
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 86_400 + hh * 3600 + mm * 60 + ss) * 1000) + ms)
}

/// Common QRS entity fields.
pub fn common(id: &str, now: SimMs, by: &str, schema: &str) -> Value {
    json!({
        "id": id,
        "createdDate": iso(now),
        "modifiedDate": iso(now),
        "modifiedByUserName": by,
        "schemaPath": schema,
        "privileges": null,
    })
}
