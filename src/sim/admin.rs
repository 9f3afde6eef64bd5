//! `/_sim/*`: inspection endpoints for tests (any host, no auth, never limited or faulted).

use super::errors::{ok, HResult};
use super::faults::FaultKind;
use super::state::State;
use serde_json::{json, Value};

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
