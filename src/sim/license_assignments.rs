//! License assignments and consumption (reference §2): GET /licenses/assignments (cursor
//! `page`), the 207 actions add/update/delete, GET /licenses/consumption, and auto-assignment
//! of new users (licenses/settings).
//!
//! Store: a user's assignment is `User.license` (the seed and the bots already use it); a
//! subject without a user keeps its assignment in `Tenant.license_extra` until a user with that
//! subject appears. `Tenant::units_used` counts both, so every allotment count stays honest.

use super::clock::{iso, SimMs};
use super::errors::{self, json_response, ok, Api, ApiError, HResult};
use super::paging::{self, PageReq};
use super::request::{build_query, Req};
use super::scim::{self, Schema};
use super::state::Tenant;
use crate::wire;
use serde_json::{json, Map, Value};

#[derive(Debug, Clone)]
pub struct Assignment {
    pub subject: String,
    pub kind: &'static str,
    pub created_ms: SimMs,
}

const FILTER: Schema = Schema {
    eq: &["subject", "type"],
    co: &["subject"],
};

/// Assignable allotment types.
pub fn kind_of(s: &str) -> Option<&'static str> {
    match s {
        "professional" => Some("professional"),
        "analyzer" => Some("analyzer"),
        _ => None,
    }
}

/// The overage of an allotment as the overview shows it (-1 = unbounded).
pub fn overage(kind: &str) -> i64 {
    match kind {
        "analyzer_time" => -1,
        _ => 0,
    }
}

pub fn units(t: &Tenant, kind: &str) -> u64 {
    match kind {
        "professional" => t.license.professional_units,
        "analyzer" => t.license.analyzer_units,
        "analyzer_time" => t.license.analyzer_time_units,
        _ => 0,
    }
}

/// Whether one more unit fits: `used + 1 <= units + overage`, or always with overage -1.
pub fn has_room(units: u64, used: u64, overage: i64) -> bool {
    if overage < 0 {
        return true;
    }
    used.saturating_add(1) <= units.saturating_add(overage as u64)
}

fn room(t: &Tenant, kind: &str) -> bool {
    has_room(units(t, kind), t.units_used(kind), overage(kind))
}

fn bad(detail: impl Into<String>) -> ApiError {
    errors::bad_request(Api::Licenses, wire::LICENSES_BAD_REQUEST_CODE, detail)
}

pub fn forbidden() -> ApiError {
    errors::tenant_admin_only(Api::Licenses, wire::LICENSES_FORBIDDEN_CODE)
}

/// The current assignment of `subject`: (type, created).
fn lookup(t: &Tenant, subject: &str) -> Option<(&'static str, SimMs)> {
    if let Some(u) = t
        .users
        .iter()
        .find(|u| u.subject == subject && u.status != "deleted")
    {
        return u.license.map(|k| (k, u.created_ms));
    }
    t.license_extra
        .iter()
        .find(|a| a.subject == subject)
        .map(|a| (a.kind, a.created_ms))
}

/// Sets (or clears) the assignment of `subject`.
fn set(t: &mut Tenant, subject: &str, kind: Option<&'static str>, now: SimMs) {
    if let Some(u) = t
        .users
        .iter_mut()
        .find(|u| u.subject == subject && u.status != "deleted")
    {
        u.license = kind;
        return;
    }
    t.license_extra.retain(|a| a.subject != subject);
    if let Some(kind) = kind {
        t.license_extra.push(Assignment {
            subject: subject.to_string(),
            kind,
            created_ms: now,
        });
    }
}

/// Every assignment of the tenant, oldest first.
pub fn all(t: &Tenant) -> Vec<Assignment> {
    let mut v: Vec<Assignment> = t
        .users
        .iter()
        .filter(|u| u.status != "deleted")
        .filter_map(|u| {
            u.license.map(|kind| Assignment {
                subject: u.subject.clone(),
                kind,
                created_ms: u.created_ms,
            })
        })
        .chain(t.license_extra.iter().cloned())
        .collect();
    v.sort_by(|a, b| {
        a.created_ms
            .cmp(&b.created_ms)
            .then_with(|| a.subject.cmp(&b.subject))
    });
    v
}

/// Reads `limit` (default..=max) and the `page` cursor.
fn page_req(req: &Req, default: usize, max: usize) -> Result<PageReq, ApiError> {
    let limit = match req.q("limit") {
        None => default,
        Some(s) => match s.trim().parse::<i64>() {
            Ok(n) if n >= 1 && n as usize <= max => n as usize,
            _ => {
                return Err(bad(format!(
                    "limit must be an integer between 1 and {max}, got \"{s}\""
                )))
            }
        },
    };
    let start = match req.q("page") {
        None => 0,
        Some(c) => {
            paging::decode_cursor(c).ok_or_else(|| bad(format!("invalid page cursor \"{c}\"")))?
        }
    };
    Ok(PageReq { start, limit })
}

fn page_href(req: &Req, offset: Option<usize>) -> String {
    let mut pairs = req.query.clone();
    if let Some(o) = offset {
        pairs.retain(|(k, _)| k != "page");
        pairs.push(("page".into(), paging::encode_cursor(o)));
    }
    let q = build_query(&pairs);
    if q.is_empty() {
        req.abs(&req.path)
    } else {
        req.abs(&format!("{}?{}", req.path, q))
    }
}

/// `{self, next?, prev?}` with `page=` cursors (absolute hrefs).
pub fn page_links(req: &Req, p: PageReq, total: usize) -> Value {
    let mut links = Map::new();
    links.insert("self".into(), json!({"href": page_href(req, None)}));
    if p.start.saturating_add(p.limit) < total {
        links.insert(
            "next".into(),
            json!({"href": page_href(req, Some(p.start + p.limit))}),
        );
    }
    if p.start > 0 {
        let prev = p.start.saturating_sub(p.limit);
        links.insert("prev".into(), json!({"href": page_href(req, Some(prev))}));
    }
    Value::Object(links)
}

/// GET /api/v1/licenses/assignments
pub fn list(req: &Req, t: &Tenant) -> HResult {
    let page = page_req(req, 20, 100)?;
    let filter = req
        .q("filter")
        .map(|f| {
            scim::parse(f, &FILTER).map_err(|e| {
                bad(format!(
                    "Invalid filter: {e} (supported: {})",
                    wire::LICENSES_ASSIGNMENTS_FILTER
                ))
            })
        })
        .transpose()?;
    let mut items: Vec<Assignment> = all(t)
        .into_iter()
        .filter(|a| {
            filter.as_ref().is_none_or(|f| {
                f.matches(&|attr| match attr {
                    "subject" => vec![a.subject.clone()],
                    "type" => vec![a.kind.to_string()],
                    _ => vec![],
                })
            })
        })
        .collect();
    if let Some(sort) = req.q("sort") {
        let (desc, field) = match sort.strip_prefix('-') {
            Some(f) => (true, f),
            None => (false, sort.strip_prefix('+').unwrap_or(sort)),
        };
        match field {
            "subject" => items.sort_by(|a, b| a.subject.cmp(&b.subject)),
            "type" => items.sort_by(|a, b| a.kind.cmp(b.kind)),
            "created" => items.sort_by_key(|a| a.created_ms),
            _ => return Err(bad(format!("Invalid sort \"{sort}\""))),
        }
        if desc {
            items.reverse();
        }
    }
    if req.q("orphans").is_some_and(|v| v == "true") {
        items.retain(|a| !t.users.iter().any(|u| u.subject == a.subject));
    }
    let data: Vec<Value> = paging::slice(&items, page)
        .iter()
        .map(|a| {
            json!({"subject": a.subject, "type": a.kind, "excess": false, "created": iso(a.created_ms)})
        })
        .collect();
    ok(&json!({"data": data, "links": page_links(req, page, items.len())}))
}

fn item_err(subject: &str, kind: Option<&str>, status: u16, code: &str, title: &str) -> Value {
    let mut m = Map::new();
    m.insert("status".into(), json!(status));
    m.insert("subject".into(), json!(subject));
    if let Some(k) = kind {
        m.insert("type".into(), json!(k));
    }
    m.insert("code".into(), json!(code));
    m.insert("title".into(), json!(title));
    Value::Object(m)
}

fn no_allotment(subject: &str, kind: &str) -> Value {
    item_err(
        subject,
        Some(kind),
        403,
        "LICENSES-011",
        "No available allotment",
    )
}

fn not_assigned(subject: &str, kind: Option<&str>) -> Value {
    item_err(subject, kind, 404, "LICENSES-016", "Assignment not found")
}

fn items<'a>(body: &'a Value, key: &str) -> Result<&'a Vec<Value>, ApiError> {
    body.get(key)
        .and_then(Value::as_array)
        .ok_or_else(|| bad(format!("The body must be {{\"{key}\": [...]}}")))
}

fn field<'a>(item: &'a Value, key: &str) -> Option<&'a str> {
    item.get(key).and_then(Value::as_str)
}

fn bad_item(subject: &str, detail: &str) -> Value {
    let mut v = item_err(
        subject,
        None,
        400,
        wire::LICENSES_BAD_REQUEST_CODE,
        "Bad request",
    );
    v["detail"] = json!(detail);
    v
}

/// The per-item result of adding `{subject, type}`.
fn add_one(t: &mut Tenant, item: &Value, now: SimMs) -> Value {
    let subject = field(item, "subject").unwrap_or("");
    if subject.is_empty() {
        return bad_item(subject, "subject is required");
    }
    let Some(kind) = field(item, "type").and_then(kind_of) else {
        return bad_item(subject, "type must be professional or analyzer");
    };
    if lookup(t, subject).is_some() {
        return item_err(
            subject,
            Some(kind),
            409,
            wire::LICENSES_ALREADY_ASSIGNED_CODE,
            "Assignment already exists",
        );
    }
    if !room(t, kind) {
        return no_allotment(subject, kind);
    }
    set(t, subject, Some(kind), now);
    json!({"status": 201, "subject": subject, "type": kind})
}

fn delete_one(t: &mut Tenant, item: &Value, now: SimMs) -> Value {
    let subject = field(item, "subject").unwrap_or("");
    let want = field(item, "type");
    match lookup(t, subject) {
        Some((kind, _)) if want.is_none_or(|w| w == kind) => {
            set(t, subject, None, now);
            json!({"status": 200, "subject": subject, "type": kind})
        }
        _ => not_assigned(subject, want),
    }
}

fn update_one(t: &mut Tenant, item: &Value, now: SimMs) -> Value {
    let subject = field(item, "subject").unwrap_or("");
    if subject.is_empty() {
        return bad_item(subject, "subject is required");
    }
    let source_subject = field(item, "sourceSubject");
    let from_subject = source_subject.unwrap_or(subject);
    let source_type = field(item, "sourceType");
    let Some((current, _)) =
        lookup(t, from_subject).filter(|(k, _)| source_type.is_none_or(|s| s == *k))
    else {
        return not_assigned(from_subject, source_type);
    };
    let target = match field(item, "type") {
        None => current,
        Some(s) => match kind_of(s) {
            Some(k) => k,
            None => return bad_item(subject, "type must be professional or analyzer"),
        },
    };
    if from_subject != subject && lookup(t, subject).is_some() {
        return item_err(
            subject,
            Some(target),
            409,
            wire::LICENSES_ALREADY_ASSIGNED_CODE,
            "Assignment already exists",
        );
    }
    if target != current && !room(t, target) {
        return no_allotment(subject, target);
    }
    set(t, from_subject, None, now);
    set(t, subject, Some(target), now);
    let mut out = json!({"status": 200, "subject": subject, "type": target});
    if let Some(s) = source_subject {
        out["sourceSubject"] = json!(s);
    }
    if target != current || source_type.is_some() {
        out["sourceType"] = json!(current);
    }
    out
}

/// POST /api/v1/licenses/assignments/actions/{add|update|delete} (TenantAdmin): 207 with one
/// result per item, in order; each item applies on its own.
pub fn action(req: &Req, t: &mut Tenant, action: &str, now: SimMs) -> HResult {
    let body = req.json().map_err(bad)?;
    let list = items(&body, action)?.clone();
    let data: Vec<Value> = list
        .iter()
        .map(|item| match action {
            "add" => add_one(t, item, now),
            "update" => update_one(t, item, now),
            _ => delete_one(t, item, now),
        })
        .collect();
    Ok(json_response(207, &json!({"data": data})))
}

/// After POST /users or an invite created user `idx`: bind a pending assignment of its
/// subject, else auto-assign per licenses/settings when an allotment has room.
pub fn on_user_created(t: &mut Tenant, idx: usize) {
    let Some(subject) = t.users.get(idx).map(|u| u.subject.clone()) else {
        return;
    };
    if let Some(pos) = t.license_extra.iter().position(|a| a.subject == subject) {
        let a = t.license_extra.remove(pos);
        if let Some(u) = t.users.get_mut(idx) {
            u.license = Some(a.kind);
        }
        return;
    }
    if t.users.get(idx).is_some_and(|u| u.license.is_some()) {
        return;
    }
    let mut choice = None;
    if t.license.auto_assign_professional && room(t, "professional") {
        choice = Some("professional");
    } else if t.license.auto_assign_analyzer && room(t, "analyzer") {
        choice = Some("analyzer");
    }
    if let (Some(k), Some(u)) = (choice, t.users.get_mut(idx)) {
        u.license = Some(k);
    }
}

/// GET /api/v1/licenses/consumption: a few analyzer-time sessions of active users.
pub fn consumption(req: &Req, t: &Tenant) -> HResult {
    let page = page_req(req, 200, 200)?;
    let base = t.license.updated_ms;
    let records: Vec<Value> = t
        .users
        .iter()
        .filter(|u| u.status == "active" && u.client_id.is_none())
        .take(wire::CONSUMPTION_RECORDS)
        .enumerate()
        .map(|(i, u)| {
            let minutes = 6 + 7 * i as i64;
            let end = base + (i as i64 + 1) * 86_400_000;
            json!({
                "id": format!("{:016x}{:08x}", u.created_ms.unsigned_abs(), i + 1),
                "allotmentId": format!("{}-analyzer_time", t.license.license_number),
                "appId": format!("{:0>8}-0000-4000-8000-{:012}", i, i),
                "userId": u.id,
                "sessionId": format!("{:0>8}-1111-4000-8000-{:012}", i, i),
                "licenseUsage": "analyzer_time",
                "capacityUsed": 0,
                "minutesUsed": minutes,
                "duration": format!("PT{minutes}M"),
                "endTime": iso(end),
            })
        })
        .collect();
    let data: Vec<Value> = paging::slice(&records, page).to_vec();
    ok(&json!({"data": data, "links": page_links(req, page, records.len())}))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::seed;
    use crate::sim::SimOptions;

    #[test]
    fn allotment_arithmetic() {
        assert!(has_room(5, 4, 0));
        assert!(!has_room(5, 5, 0));
        assert!(has_room(5, 5, 2));
        assert!(!has_room(5, 7, 2));
        assert!(has_room(0, 1000, -1));
        assert!(!has_room(0, 0, 0));
    }

    fn acme() -> Tenant {
        let st = seed::seed(&SimOptions::default());
        st.tenants.into_vec().remove(0)
    }

    #[test]
    fn add_update_delete_move_units() {
        let mut t = acme();
        let pro = t.units_used("professional");
        let ana = t.units_used("analyzer");
        let r = add_one(
            &mut t,
            &json!({"subject": "ext|new", "type": "analyzer"}),
            1,
        );
        assert_eq!(r["status"], 201);
        assert_eq!(t.units_used("analyzer"), ana + 1);
        let dup = add_one(
            &mut t,
            &json!({"subject": "ext|new", "type": "analyzer"}),
            1,
        );
        assert_eq!(dup["status"], 409);
        let up = update_one(
            &mut t,
            &json!({"subject": "ext|new", "type": "professional"}),
            2,
        );
        assert_eq!(up["status"], 200, "{up}");
        assert_eq!(up["sourceType"], "analyzer");
        assert_eq!(t.units_used("analyzer"), ana);
        assert_eq!(t.units_used("professional"), pro + 1);
        let gone = delete_one(
            &mut t,
            &json!({"subject": "ext|new", "type": "analyzer"}),
            3,
        );
        assert_eq!(gone["status"], 404);
        assert_eq!(gone["code"], "LICENSES-016");
        let del = delete_one(
            &mut t,
            &json!({"subject": "ext|new", "type": "professional"}),
            3,
        );
        assert_eq!(del["status"], 200);
        assert_eq!(t.units_used("professional"), pro);
        let bad = add_one(&mut t, &json!({"subject": "x", "type": "gold"}), 1);
        assert_eq!(bad["status"], 400);
    }

    #[test]
    fn allotment_exhaustion_gives_403() {
        let mut t = acme();
        t.license.analyzer_units = t.units_used("analyzer") + 1;
        let a = add_one(&mut t, &json!({"subject": "a", "type": "analyzer"}), 1);
        assert_eq!(a["status"], 201);
        let b = add_one(&mut t, &json!({"subject": "b", "type": "analyzer"}), 1);
        assert_eq!(b["status"], 403);
        assert_eq!(b["code"], "LICENSES-011");
        assert_eq!(b["title"], "No available allotment");
        assert_eq!(t.units_used("analyzer"), t.license.analyzer_units);
    }

    #[test]
    fn pending_assignment_binds_to_new_user_and_auto_assign() {
        let mut t = acme();
        let mut u = t.users[0].clone();
        u.subject = "later|1".into();
        u.license = None;
        add_one(
            &mut t,
            &json!({"subject": "later|1", "type": "analyzer"}),
            1,
        );
        let before = t.units_used("analyzer");
        t.users.push(u.clone());
        let last = t.users.len() - 1;
        on_user_created(&mut t, last);
        assert!(t.license_extra.is_empty());
        assert_eq!(t.users.last().unwrap().license, Some("analyzer"));
        assert_eq!(t.units_used("analyzer"), before);
        t.license.auto_assign_professional = true;
        u.subject = "later|2".into();
        t.users.push(u);
        let last = t.users.len() - 1;
        on_user_created(&mut t, last);
        assert_eq!(t.users.last().unwrap().license, Some("professional"));
    }
}
