//! Distribution drift: where the policies send each published app (a [`policy::preview`])
//! against the copies the target tenants actually hold.
//!
//! Per app and deployment the status is
//! - `present`: a policy sends the app there and the tenant holds a current copy;
//! - `pending`: a policy sends the app there, but the tenant holds no copy, or an older one
//!   (the policy was created or changed after the app's last trigger: publish, reload, change,
//!   move); the copy moves on the app's next trigger;
//! - `unexpected`: the tenant holds a copy no policy sends there any more;
//! - `unverified`: a policy sends the app there and the deployment's tenant was not given, so
//!   its copies are unknown.
//!
//! A tenant's copy of an app is the app item whose id is the QSEoW app's id
//! (`wire::QSEOW_DISTRIBUTED_APP_KEEPS_ID`); it is current when it has the app's name and its
//! last update is not older than the app's `modifiedDate`.

use crate::policy::Distribution;
use serde_json::{json, Value};

/// The apps one tenant holds (items of type app), and its host.
pub struct TenantApps {
    pub host: String,
    pub apps: Vec<Value>,
}

pub const PRESENT: &str = "present";
pub const PENDING: &str = "pending";
pub const UNEXPECTED: &str = "unexpected";
pub const UNVERIFIED: &str = "unverified";

/// The host a deployment's `serviceUrl` names, lower-cased, without port.
pub fn service_host(deployment: &Value) -> Option<String> {
    let url = deployment.get("serviceUrl").and_then(Value::as_str)?;
    let parsed = reqwest::Url::parse(url).ok()?;
    parsed.host_str().map(str::to_ascii_lowercase)
}

fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or_default()
}

/// `YYYY-MM-DDTHH:MM:SS` and milliseconds, so that `…:00Z` and `…:00.000Z` compare equal.
fn instant(iso: &str) -> Option<(String, u32)> {
    let whole = iso.get(..19)?.to_string();
    let rest = iso.get(19..).unwrap_or_default();
    let ms = match rest.strip_prefix('.') {
        Some(frac) => {
            let digits: String = frac.chars().take_while(char::is_ascii_digit).collect();
            format!("{digits:0<3}").get(..3)?.parse().ok()?
        }
        None => 0,
    };
    Some((whole, ms))
}

/// The copy of `app` among a tenant's app items.
fn copy_of<'a>(tenant: &'a TenantApps, app_id: &str) -> Option<&'a Value> {
    tenant.apps.iter().find(|item| {
        let id = item
            .get("resourceId")
            .or_else(|| item.get("id"))
            .and_then(Value::as_str);
        id == Some(app_id)
    })
}

/// Whether a copy carries the app's current state (its name, and an update not older than
/// the app's last change).
fn is_current(copy: &Value, app: &Value) -> bool {
    if text(copy, "name") != text(app, "name") {
        return false;
    }
    let updated = copy
        .get("resourceUpdatedAt")
        .or_else(|| copy.pointer("/resourceAttributes/modifiedDate"))
        .or_else(|| copy.get("modifiedDate"))
        .and_then(Value::as_str)
        .and_then(instant);
    let changed = app
        .get("modifiedDate")
        .and_then(Value::as_str)
        .and_then(instant);
    match (updated, changed) {
        (Some(u), Some(c)) => u >= c,
        _ => true,
    }
}

/// The preview with a `status` (and the target's `tenant` host and `copy_id`) on every
/// target, and an extra target with no policies for every unexpected copy. `tenants: None`
/// marks every target `unverified`.
pub fn status(
    preview: &[Distribution],
    apps: &[Value],
    deployments: &[Value],
    tenants: Option<&[TenantApps]>,
) -> Value {
    let tenant_of = |d: &Value| -> Option<&TenantApps> {
        let host = service_host(d)?;
        tenants?.iter().find(|t| t.host.eq_ignore_ascii_case(&host))
    };
    let mut out = Vec::new();
    for entry in preview {
        let app = apps
            .iter()
            .find(|a| text(a, "id") == entry.app_id)
            .cloned()
            .unwrap_or(Value::Null);
        let mut targets = Vec::new();
        for d in deployments {
            let deployment_id = text(d, "id");
            let matched = entry
                .targets
                .iter()
                .find(|t| t.deployment_id == deployment_id);
            let tenant = tenant_of(d);
            let copy = tenant.and_then(|t| copy_of(t, &entry.app_id));
            let status = match (matched, tenant, copy) {
                (Some(_), None, _) => UNVERIFIED,
                (Some(_), Some(_), Some(c)) if is_current(c, &app) => PRESENT,
                (Some(_), Some(_), _) => PENDING,
                (None, Some(_), Some(_)) => UNEXPECTED,
                (None, _, _) => continue,
            };
            targets.push(json!({
                "deployment_id": deployment_id,
                "deployment_name": text(d, "name"),
                "policies": matched.map(|m| m.policies.clone()).unwrap_or_default(),
                "status": status,
                "tenant": tenant.map(|t| t.host.clone()).or_else(|| service_host(d)),
                "copy_id": copy.and_then(|c| c.get("resourceId").or_else(|| c.get("id"))).cloned(),
            }));
        }
        out.push(json!({
            "app_id": entry.app_id,
            "app_name": entry.app_name,
            "published": app.get("published").and_then(Value::as_bool).unwrap_or(false),
            "stream": app.pointer("/stream/name").cloned().unwrap_or(Value::Null),
            "targets": targets,
        }));
    }
    Value::Array(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{self, Policy};

    fn setup() -> (Vec<Value>, Vec<Value>, Vec<Policy>) {
        let apps = vec![
            json!({"id": "a1", "name": "Sales", "published": true, "modifiedDate": "2026-01-01T10:00:00.000Z",
                   "stream": {"id": "s", "name": "Everyone"}}),
            json!({"id": "a2", "name": "Draft", "published": false, "modifiedDate": "2026-01-01T10:00:00.000Z"}),
        ];
        let deployments = vec![
            json!({"id": "d1", "name": "Region1", "serviceUrl": "https://one.example"}),
            json!({"id": "d2", "name": "Region2", "serviceUrl": "https://TWO.example/"}),
        ];
        let policies = vec![Policy {
            id: "p".into(),
            name: "to Region1".into(),
            rule: policy::parse(r#"subject.name = "Region1""#).unwrap(),
            disabled: false,
        }];
        (apps, deployments, policies)
    }

    fn statuses(v: &Value, app: usize) -> Vec<(String, String)> {
        v[app]["targets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                (
                    t["deployment_name"].as_str().unwrap().to_string(),
                    t["status"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }

    #[test]
    fn present_pending_unexpected_and_unverified() {
        let (apps, deployments, policies) = setup();
        let preview = policy::preview(&policies, &apps, &deployments);
        let copy = |name: &str, at: &str| json!({"resourceId": "a1", "name": name, "resourceUpdatedAt": at});
        let tenants = |one: Vec<Value>, two: Vec<Value>| {
            vec![
                TenantApps {
                    host: "one.example".into(),
                    apps: one,
                },
                TenantApps {
                    host: "two.example".into(),
                    apps: two,
                },
            ]
        };
        let none = status(&preview, &apps, &deployments, None);
        assert_eq!(
            statuses(&none, 0),
            vec![("Region1".into(), "unverified".into())]
        );
        assert!(statuses(&none, 1).is_empty());
        let t = tenants(vec![], vec![]);
        let v = status(&preview, &apps, &deployments, Some(&t));
        assert_eq!(statuses(&v, 0), vec![("Region1".into(), "pending".into())]);
        let t = tenants(
            vec![copy("Sales", "2026-01-01T10:00:00Z")],
            vec![copy("Sales", "2026-01-01T11:00:00.5Z")],
        );
        let v = status(&preview, &apps, &deployments, Some(&t));
        assert_eq!(
            statuses(&v, 0),
            vec![
                ("Region1".into(), "present".into()),
                ("Region2".into(), "unexpected".into())
            ]
        );
        assert_eq!(v[0]["targets"][1]["policies"], json!([]));
        assert_eq!(v[0]["targets"][0]["copy_id"], "a1");
        // an older copy, or one with another name, is pending
        let t = tenants(vec![copy("Sales", "2026-01-01T09:59:59.999Z")], vec![]);
        let v = status(&preview, &apps, &deployments, Some(&t));
        assert_eq!(statuses(&v, 0), vec![("Region1".into(), "pending".into())]);
        let t = tenants(vec![copy("Old name", "2026-01-02T00:00:00Z")], vec![]);
        let v = status(&preview, &apps, &deployments, Some(&t));
        assert_eq!(statuses(&v, 0), vec![("Region1".into(), "pending".into())]);
    }
}
