//! `/_sim/*`: inspection endpoints for tests (any host, never limited or faulted). Open on
//! loopback; with `--public` they need the admin token of the ready line as
//! `Authorization: Bearer TOKEN`.

use super::errors::{ok, Api, ApiError, HResult};
use super::faults::FaultKind;
use super::request::Req;
use super::state::State;
use base64::Engine as _;
use ring::rand::SecureRandom;
use serde_json::{json, Value};

/// A fresh unpredictable admin token (256 bits, base64url).
pub fn new_token() -> std::io::Result<String> {
    let mut bytes = [0u8; 32];
    ring::rand::SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| std::io::Error::other("no system randomness for the admin token"))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// This simulator's identity, random per start (16 hex digits): clients keep their state files
/// for it apart from every other simulator's, one restarted on the same port included.
pub fn instance_id() -> std::io::Result<String> {
    let mut bytes = [0u8; 8];
    ring::rand::SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| std::io::Error::other("no system randomness for the instance id"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Whether `req` may use `/_sim/*`: always without a token; with one, only when it presents it.
pub fn authorize(req: &Req, token: Option<&str>) -> Result<(), ApiError> {
    let Some(token) = token else {
        return Ok(());
    };
    let given = req
        .header("authorization")
        .and_then(|v| v.strip_prefix("Bearer "));
    if given.is_some_and(|given| same(given.as_bytes(), token.as_bytes())) {
        Ok(())
    } else {
        Err(ApiError::http(Api::Generic, 401)
            .detail("this simulator is public: /_sim needs Authorization: Bearer <admin_token from the ready line>")
            .header("www-authenticate", "Bearer"))
    }
}

/// Equality that takes as long whatever the first differing byte.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0, |diff, (x, y)| diff | (x ^ y)) == 0
}

/// GET /_sim/state
pub fn state(st: &State) -> HResult {
    let tenants: Vec<Value> = st
        .tenants
        .iter()
        .map(|t| {
            let mut v = json!({
                "id": t.id,
                "name": t.name,
                "hostnames": t.hostnames,
                "region": t.region.code,
                "datacenter": t.datacenter,
                "status": t.status,
                "users": t.users.iter().filter(|u| u.status != "deleted").count(),
                "licenseNumber": t.license.license_number,
                "allotments": {
                    "professional": {"units": t.license.professional_units, "unitsUsed": t.units_used("professional")},
                    "analyzer": {"units": t.license.analyzer_units, "unitsUsed": t.units_used("analyzer")},
                },
                "source": t.id == st.source_tenant_id,
                "groups": t.groups.list.len(),
                "spaces": {
                    "count": t.spaces.list.len(),
                    "items": t.spaces.list.iter().map(|s| json!({"id": s.id, "name": s.name, "type": s.kind})).collect::<Vec<_>>(),
                },
                "spaceAssignments": t.spaces.assignments.len(),
                "apps": t.apps.len(),
                "licenseAssignments": t.users.iter().filter(|u| u.status != "deleted" && u.license.is_some()).count() + t.license_extra.len(),
            });
            if let (Some(o), Value::Object(more)) = (v.as_object_mut(), super::identity::summary(t)) {
                o.extend(more);
            }
            v
        })
        .collect();
    let clients: Vec<Value> = st
        .region_clients
        .iter()
        .map(|c| json!({"region": c.region.code, "clientId": c.client_id, "clientSecret": c.client_secret}))
        .collect();
    let entitlements: Vec<Value> = st
        .entitlements
        .iter()
        .map(|e| {
            let used = st.tenants.count_licensed(&e.license_number);
            json!({"licenseNumber": e.license_number, "licenseKey": e.license_key, "tenantQuota": e.quota, "tenants": used})
        })
        .collect();
    ok(&json!({
        "now": super::clock::iso(st.now()),
        "timeScale": st.clock.scale(),
        "tenants": tenants,
        "regionClients": clients,
        "entitlements": entitlements,
        "qseow": st.qseow.summary(),
    }))
}

/// GET /_sim/stats
pub fn stats(st: &State) -> HResult {
    let s = &st.stats;
    let faults: serde_json::Map<String, Value> = FaultKind::ALL
        .iter()
        .map(|&k| (k.name().to_string(), json!(s.faults[k as usize])))
        .collect();
    ok(&json!({
        "token_grants": s.token_grants,
        "requests": s.requests,
        "rate_limited": s.rate_limited,
        "by_method_status": s.by_method_status,
        "faults": faults,
    }))
}
