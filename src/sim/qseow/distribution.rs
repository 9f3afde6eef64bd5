//! App distribution (reference §4): at publish and on reload, and again whenever a published app
//! is changed (custom properties, name, description, owner), moved to another stream or
//! deleted, every enabled distribution policy (`qops::policy`) is evaluated for the app against
//! every deployment. Policy (system rule) and deployment changes alone move nothing until the
//! app's next trigger. Each matched deployment's tenant must accept the deployment's token,
//! then gets a *staged* copy of the app: no owner, no space, `published: true`, the source
//! app's id (see `wire::QSEOW_DISTRIBUTED_APP_KEEPS_ID`), name, description, and the values of
//! the app's custom property `Tags` as tags. Private community sheets are not carried (the
//! simulator models no sheets). A copy on a deployment no policy matches any more, and every
//! copy of a deleted app, is withdrawn from its tenant (`wire::QSEOW_WITHDRAW_ON_REEVALUATION`).
//!
//! One record per (source app, deployment) is the ledger of what was actually distributed: the
//! target tenant and app, and the source app's `modifiedDate` and `lastReloadTime` at that
//! distribution, so redistribution updates the copy instead of duplicating it.

use super::hds;
use super::{json_at, next_modified, parse_iso, text, DistRecord, SiteCaller};
use crate::policy::{self, Policy};
use crate::sim::apps::{uuid, App};
use crate::sim::clock::iso;
use crate::sim::errors::HResult;
use crate::sim::request::Req;
use crate::sim::state::State;
use crate::wire;
use serde_json::{json, Value};

/// A SystemRule is a distribution policy when its resource filter is for apps (`App_*`) and
/// its actions include Distribute (1024).
pub fn is_policy(rule: &Value) -> bool {
    let filter = rule["resourceFilter"].as_str().unwrap_or("");
    let actions = rule["actions"].as_i64().unwrap_or(0);
    filter.starts_with(wire::QSEOW_POLICY_RESOURCE_PREFIX)
        && actions & wire::QSEOW_DISTRIBUTE_ACTION != 0
}

/// The enabled, parseable distribution policies.
fn policies(st: &State) -> Vec<Policy> {
    st.qseow
        .rules
        .iter()
        .filter(|r| is_policy(r))
        .filter_map(|r| {
            Some(Policy {
                id: r["id"].as_str().unwrap_or("").to_string(),
                name: r["name"].as_str().unwrap_or("").to_string(),
                rule: policy::parse(r["rule"].as_str().unwrap_or("")).ok()?,
                disabled: r["disabled"].as_bool().unwrap_or(false),
            })
        })
        .collect()
}

/// Evaluates the policies for app `app_id` and stages it on every matched tenant.
pub fn distribute(st: &mut State, app_id: &str) {
    let Some(app) = st.qseow.apps.iter().find(|a| a["id"] == app_id).cloned() else {
        return;
    };
    let deployments: Vec<Value> = st
        .qseow
        .deployments
        .iter()
        .map(|d| json!({"id": d.id, "name": d.name}))
        .collect();
    let targets = policy::targets(&policies(st), &app, &deployments);
    let gone: Vec<String> = st
        .qseow
        .distributions
        .iter()
        .filter(|r| r.source_app_id == app_id)
        .filter(|r| !targets.iter().any(|t| t.deployment_id == r.deployment_id))
        .map(|r| r.deployment_id.clone())
        .collect();
    if wire::QSEOW_WITHDRAW_ON_REEVALUATION {
        for deployment_id in gone {
            withdraw(st, app_id, &deployment_id);
        }
    }
    for t in targets {
        stage(st, &app, &t.deployment_id, t.policies);
    }
}

/// Withdraws every copy of app `app_id` (the app is being deleted).
pub fn withdraw_all(st: &mut State, app_id: &str) {
    let deployments: Vec<String> = st
        .qseow
        .distributions
        .iter()
        .filter(|r| r.source_app_id == app_id)
        .map(|r| r.deployment_id.clone())
        .collect();
    for deployment_id in deployments {
        withdraw(st, app_id, &deployment_id);
    }
}

/// Deletes the copy of `app_id` that deployment `deployment_id` holds and forgets the record.
/// The tenant must still accept the deployment's token; when it does not, the copy stays and
/// the record says why (the next trigger tries again).
fn withdraw(st: &mut State, app_id: &str, deployment_id: &str) {
    let Some(i) = st
        .qseow
        .distributions
        .iter()
        .position(|r| r.source_app_id == app_id && r.deployment_id == deployment_id)
    else {
        return;
    };
    let rec = st.qseow.distributions[i].clone();
    if rec.target_app_id.is_empty() {
        st.qseow.distributions.remove(i);
        return;
    }
    let reachable = st.qseow.deployments.iter().any(|d| d.id == deployment_id)
        && hds::connect(st, deployment_id).is_ok();
    let now = st.now();
    if !reachable && st.qseow.deployments.iter().any(|d| d.id == deployment_id) {
        let r = &mut st.qseow.distributions[i];
        r.status = "Failure";
        r.last_sync_ms = now;
        r.error_message =
            "the copy could not be withdrawn: the tenant refused the deployment".to_string();
        return;
    }
    if let Some(t) = st.tenant_mut(&rec.tenant_id) {
        t.apps.retain(|a| a.id != rec.target_app_id);
    }
    st.qseow.distributions.remove(i);
}

fn stage(st: &mut State, app: &Value, deployment_id: &str, policies: Vec<String>) {
    let now = st.now();
    let source_id = app["id"].as_str().unwrap_or("").to_string();
    let existing = st
        .qseow
        .distributions
        .iter()
        .position(|r| r.source_app_id == source_id && r.deployment_id == deployment_id);
    let mut rec = match existing {
        Some(i) => st.qseow.distributions[i].clone(),
        None => DistRecord {
            id: uuid(&mut st.ids),
            source_app_id: source_id.clone(),
            deployment_id: deployment_id.to_string(),
            tenant_id: String::new(),
            target_app_id: String::new(),
            last_sync_ms: now,
            status: "Failure",
            error_message: String::new(),
            policies: Vec::new(),
            app_modified: String::new(),
            app_reload: String::new(),
        },
    };
    rec.last_sync_ms = now;
    rec.policies = policies;
    match hds::connect(st, deployment_id) {
        Err(m) => {
            rec.status = "Failure";
            rec.error_message = m;
        }
        Ok(tenant_id) => {
            let tags: Vec<String> = app["customProperties"]
                .as_array()
                .map(|cps| {
                    cps.iter()
                        .filter(|c| {
                            c["definition"]["name"]
                                .as_str()
                                .is_some_and(|n| n.eq_ignore_ascii_case(wire::QSEOW_TAGS_PROPERTY))
                        })
                        .filter_map(|c| c["value"].as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            let name = app["name"].as_str().unwrap_or("").to_string();
            let description = app["description"].as_str().unwrap_or("").to_string();
            let publish_ms = app["publishTime"]
                .as_str()
                .and_then(parse_iso)
                .unwrap_or(now);
            let source_modified = app["modifiedDate"].as_str().and_then(parse_iso);
            // the copy is never older than the source state it carries
            let copy_ms = source_modified.map_or(now, |m| now.max(m));
            if !rec.tenant_id.is_empty() && rec.tenant_id != tenant_id {
                // the deployment now points at another tenant: the old copy goes
                let (old_tenant, old_app) = (rec.tenant_id.clone(), rec.target_app_id.clone());
                if let Some(t) = st.tenant_mut(&old_tenant) {
                    t.apps.retain(|a| a.id != old_app);
                }
            }
            let new_id = if wire::QSEOW_DISTRIBUTED_APP_KEEPS_ID {
                source_id.clone()
            } else {
                uuid(&mut st.ids)
            };
            let item_id = st.ids.object_id();
            let Some(t) = st.tenant_mut(&tenant_id) else {
                return;
            };
            let wanted = if rec.tenant_id == tenant_id && !rec.target_app_id.is_empty() {
                rec.target_app_id.clone()
            } else {
                new_id.clone()
            };
            let slot = t.apps.iter_mut().find(|a| a.id == wanted);
            match slot {
                Some(a) => {
                    a.name = name;
                    a.description = description;
                    a.published = true;
                    a.publish_ms = Some(publish_ms);
                    a.tags = tags;
                    a.modified_ms = copy_ms.max(a.modified_ms);
                    rec.target_app_id = wanted;
                }
                None => {
                    t.apps.push(App {
                        id: new_id.clone(),
                        name,
                        description,
                        owner_id: String::new(),
                        space_id: None,
                        created_ms: now,
                        modified_ms: copy_ms,
                        published: true,
                        publish_ms: Some(publish_ms),
                        origin_app_id: String::new(),
                        tags,
                        item_id,
                    });
                    rec.target_app_id = new_id;
                }
            }
            rec.tenant_id = tenant_id;
            rec.status = "Success";
            rec.error_message = String::new();
            rec.app_modified = app["modifiedDate"].as_str().unwrap_or("").to_string();
            rec.app_reload = app["lastReloadTime"].as_str().unwrap_or("").to_string();
        }
    }
    match existing {
        Some(i) => st.qseow.distributions[i] = rec,
        None => st.qseow.distributions.push(rec),
    }
}

/// Publishes app `app_id` to stream `stream_id` (optionally renaming it) and distributes it.
/// `Err((status, message))` when refused.
fn publish(
    st: &mut State,
    by: &str,
    app_id: &str,
    stream_id: &str,
    name: Option<&str>,
) -> Result<Value, (u16, String)> {
    let stream = st
        .qseow
        .streams
        .iter()
        .find(|s| s["id"] == stream_id)
        .cloned()
        .ok_or((400, format!("Stream {stream_id} not found")))?;
    let now = st.now();
    let app = st
        .qseow
        .apps
        .iter_mut()
        .find(|a| a["id"] == app_id)
        .ok_or((404, format!("App {app_id} not found")))?;
    if app["published"] == json!(true) {
        return Err((400, "The app is already published".to_string()));
    }
    if let Some(n) = name.filter(|n| !n.trim().is_empty()) {
        app["name"] = json!(n);
    }
    let modified = next_modified(now, app.get("modifiedDate"));
    app["published"] = json!(true);
    app["publishTime"] = json!(iso(now));
    app["stream"] = json!({"id": stream["id"], "name": stream["name"], "privileges": null});
    app["modifiedDate"] = json!(iso(modified));
    app["modifiedByUserName"] = json!(by);
    distribute(st, app_id);
    st.qseow
        .apps
        .iter()
        .find(|a| a["id"] == app_id)
        .cloned()
        .ok_or((404, format!("App {app_id} not found")))
}

/// PUT /qrs/app/{id}/publish?stream={streamId}[&name=...]
pub fn publish_qrs(req: &Req, st: &mut State, who: &SiteCaller, id: &str) -> HResult {
    let Some(stream) = req.q("stream").filter(|s| !s.is_empty()) else {
        return Ok(text(400, "The stream parameter is required"));
    };
    match publish(st, &who.display(), id, stream, req.q("name")) {
        Ok(app) => json_at(200, &app),
        Err((status, m)) => Ok(text(status, &m)),
    }
}

fn record_json(st: &State, r: &DistRecord) -> Value {
    let app_name = st
        .qseow
        .apps
        .iter()
        .find(|a| a["id"] == r.source_app_id.as_str())
        .and_then(|a| a["name"].as_str())
        .unwrap_or("");
    let dep_name = st
        .qseow
        .deployments
        .iter()
        .find(|d| d.id == r.deployment_id)
        .map(|d| d.name.as_str())
        .unwrap_or("");
    let tenant_host = st.tenant(&r.tenant_id).map(|t| t.host()).unwrap_or("");
    json!({
        "id": r.id,
        "sourceAppId": r.source_app_id,
        "sourceAppName": app_name,
        "deploymentId": r.deployment_id,
        "deploymentName": dep_name,
        "tenantId": r.tenant_id,
        "tenantHost": tenant_host,
        "targetAppId": r.target_app_id,
        "lastSyncDate": iso(r.last_sync_ms),
        "distributionStatus": r.status,
        "errorMessage": r.error_message,
        "policies": r.policies,
        "sourceModifiedDate": r.app_modified,
        "sourceLastReloadTime": r.app_reload,
    })
}

/// GET /_sim/qseow/distributions
pub fn records_json(st: &State) -> HResult {
    let list: Vec<Value> = st
        .qseow
        .distributions
        .iter()
        .map(|r| record_json(st, r))
        .collect();
    json_at(200, &Value::Array(list))
}

/// POST /_sim/qseow/publish `{"app": "<id or name>", "stream": "<id or name>"}`
pub fn admin_publish(req: &Req, st: &mut State) -> HResult {
    let body = match req.json() {
        Ok(b) => b,
        Err(e) => return json_at(400, &json!({"error": e})),
    };
    let find = |list: &[Value], key: &str| -> Option<String> {
        let want = body[key].as_str()?;
        list.iter()
            .find(|x| x["id"] == want)
            .or_else(|| {
                list.iter().find(|x| {
                    x["name"]
                        .as_str()
                        .is_some_and(|n| n.eq_ignore_ascii_case(want))
                })
            })
            .and_then(|x| x["id"].as_str().map(str::to_string))
    };
    let Some(app_id) = find(&st.qseow.apps, "app") else {
        return json_at(
            404,
            &json!({"error": "app (an id or name of a site app) not found"}),
        );
    };
    let Some(stream_id) = find(&st.qseow.streams, "stream") else {
        return json_at(
            404,
            &json!({"error": "stream (an id or name of a site stream) not found"}),
        );
    };
    let by = format!(
        "{}\\{}",
        wire::QSEOW_DEFAULT_USER_DIRECTORY,
        wire::QSEOW_DEFAULT_USER_ID
    );
    match publish(st, &by, &app_id, &stream_id, None) {
        Ok(app) => {
            let records: Vec<Value> = st
                .qseow
                .distributions
                .iter()
                .filter(|r| r.source_app_id == app_id)
                .map(|r| record_json(st, r))
                .collect();
            json_at(200, &json!({"app": app, "distributions": records}))
        }
        Err((status, m)) => json_at(status, &json!({"error": m})),
    }
}

/// POST /qrs/app/{id}/reload: the app's data is reloaded (`lastReloadTime`, `modifiedDate`);
/// a published app is then distributed again (reference §4: a successful reload is a trigger).
/// 204, no body (the QRS reference documents no return value).
pub fn reload_qrs(st: &mut State, who: &SiteCaller, id: &str) -> HResult {
    let now = st.now();
    let Some(app) = st.qseow.apps.iter_mut().find(|a| a["id"] == id) else {
        return Ok(text(404, "Not Found"));
    };
    let modified = next_modified(now, app.get("modifiedDate"));
    app["lastReloadTime"] = json!(iso(now));
    app["modifiedDate"] = json!(iso(modified));
    app["modifiedByUserName"] = json!(who.display());
    if app["published"] == json!(true) {
        distribute(st, id);
    }
    crate::sim::errors::no_content()
}

/// DELETE /qrs/app/{id}: the app goes, and with it every copy distributed from it.
pub fn delete_qrs(st: &mut State, id: &str) -> HResult {
    let before = st.qseow.apps.len();
    st.qseow.apps.retain(|a| a["id"] != id);
    if st.qseow.apps.len() == before {
        return Ok(text(404, "Not Found"));
    }
    withdraw_all(st, id);
    crate::sim::errors::no_content()
}
