//! POST /api/v1/users/actions/invite (reference §4.1, §4.7): 207 with one result per invitee,
//! in order; errors (whole request and items) carry integer codes.

use super::clock::SimMs;
use super::errors::{json_response, HResult};
use super::ids::Ids;
use super::request::Req;
use super::state::{Tenant, User};
use crate::wire;
use axum::response::Response;
use serde_json::{json, Value};

/// The invite API's error body: `{errors:[{code:<int>, title, detail?}]}`.
pub fn error(status: u16, title: &str, detail: &str) -> Response {
    json_response(
        status,
        &json!({"errors": [{"code": status, "title": title, "detail": detail}]}),
    )
}

fn valid_email(e: &str) -> bool {
    match e.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !e.chars().any(|c| c.is_whitespace())
                && !domain.contains('@')
        }
        None => false,
    }
}

fn item_error(email: &str, code: u16, title: &str) -> Value {
    json!({"email": email, "status": "error", "code": code, "title": title})
}

/// One invitee; returns the result item and the index of a user it created.
fn invite_one(t: &mut Tenant, inv: &Value, now: SimMs, ids: &mut Ids) -> (Value, Option<usize>) {
    let email = inv
        .get("email")
        .and_then(Value::as_str)
        .unwrap_or("")
        .trim();
    if !valid_email(email) {
        let mut e = item_error(email, 400, "Bad request");
        e["detail"] = json!("email is required and must be an email address");
        return (e, None);
    }
    let resend = inv.get("resend").and_then(Value::as_bool).unwrap_or(false);
    let language = inv.get("language").and_then(Value::as_str).unwrap_or("en");
    if language.len() != 2 || !language.chars().all(|c| c.is_ascii_alphabetic()) {
        let mut e = item_error(email, 400, "Bad request");
        e["detail"] = json!("language must be an ISO 639-1 code such as \"en\"");
        return (e, None);
    }
    let existing = t.users.iter_mut().find(|u| {
        u.status != "deleted"
            && u.email
                .as_deref()
                .is_some_and(|e| e.eq_ignore_ascii_case(email))
    });
    if let Some(u) = existing {
        return match u.status.as_str() {
            "active" => (item_error(email, 1001, "Active user"), None),
            "disabled" => (item_error(email, 1002, "Disabled user"), None),
            _ if resend => {
                u.invite_expiry = Some(now / 1000 + wire::INVITE_LIFETIME_SECS);
                u.updated_ms = now;
                (
                    json!({"email": email, "status": "ok", "subject": u.subject, "userId": u.id}),
                    None,
                )
            }
            _ => (
                json!({"email": email, "status": "exists", "subject": u.subject, "userId": u.id}),
                None,
            ),
        };
    }
    let name = inv
        .get("name")
        .and_then(Value::as_str)
        .filter(|n| !n.trim().is_empty())
        .unwrap_or(email);
    let subject = format!("{}{}", wire::INVITED_SUBJECT_PREFIX, email.to_lowercase());
    let user = User {
        email: Some(email.to_string()),
        preferred_locale: Some(language.to_string()),
        invite_expiry: Some(now / 1000 + wire::INVITE_LIFETIME_SECS),
        ..User::new(ids.object_id(), subject, name.to_string(), "invited", now)
    };
    let out = json!({"email": email, "status": "ok", "subject": user.subject, "userId": user.id});
    t.users.push(user);
    (out, Some(t.users.len() - 1))
}

/// POST /api/v1/users/actions/invite (TenantAdmin); returns the response and the indexes of
/// the users it created (for license auto-assignment).
pub fn invite(req: &Req, t: &mut Tenant, now: SimMs, ids: &mut Ids) -> (Response, Vec<usize>) {
    let body = match req.json() {
        Ok(b) => b,
        Err(e) => return (error(400, "Bad request", &e), vec![]),
    };
    let Some(invitees) = body.get("invitees").and_then(Value::as_array) else {
        return (
            error(400, "Bad request", "The body must be {\"invitees\": [...]}"),
            vec![],
        );
    };
    let mut created = Vec::new();
    let data: Vec<Value> = invitees
        .clone()
        .iter()
        .map(|inv| {
            let (item, idx) = invite_one(t, inv, now, ids);
            created.extend(idx);
            item
        })
        .collect();
    (json_response(207, &json!({"data": data})), created)
}

pub fn forbidden() -> HResult {
    Ok(error(
        403,
        "Forbidden",
        "The caller needs the TenantAdmin role",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invite_results_per_status() {
        let mut st = crate::sim::seed::seed(&crate::sim::SimOptions::default());
        let mut ids = Ids::new(3);
        let t = &mut st.tenants[0];
        let n = t.users.len();
        let cases = json!([
            {"email": "new@acme.example", "name": "New"},
            {"email": "ALICE@acme.example"},
            {"email": "dave@acme.example"},
            {"email": "erin@acme.example"},
            {"email": "erin@acme.example", "resend": true},
            {"email": "nope"},
            {"email": "new@acme.example"},
        ]);
        let out: Vec<Value> = cases
            .as_array()
            .unwrap()
            .iter()
            .map(|c| invite_one(t, c, 1_000_000, &mut ids).0)
            .collect();
        assert_eq!(out[0]["status"], "ok");
        assert_eq!(out[0]["userId"].as_str().unwrap().len(), 24);
        assert_eq!(
            (out[1]["status"].as_str(), out[1]["code"].as_u64()),
            (Some("error"), Some(1001))
        );
        assert_eq!(out[2]["code"], 1002);
        assert_eq!(out[3]["status"], "exists");
        assert_eq!(out[4]["status"], "ok");
        assert_eq!(out[5]["code"], 400);
        assert_eq!(out[6]["status"], "exists");
        assert_eq!(t.users.len(), n + 1);
        let u = t.users.last().unwrap();
        assert_eq!(u.status, "invited");
        assert_eq!(u.invite_expiry, Some(1000 + wire::INVITE_LIFETIME_SECS));
    }
}
