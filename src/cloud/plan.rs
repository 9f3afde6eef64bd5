//! Dry run (`--dry-run`): reads go to the service; every mutation is recorded in a plan and
//! answered with a placeholder whose ids say they are planned (`planned-tenant-1`), so the rest
//! of the script runs on. Reads of a planned object (a URL naming a `planned-` host or id) are
//! answered empty without a request. Nothing that changes anything reaches a service.

use super::http::{Request, Response, Service};
use reqwest::Method;
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::sync::Mutex;

/// Ids and host names of planned objects start with this.
pub const PLANNED: &str = "planned-";

/// One planned mutation.
#[derive(Debug, Clone)]
pub struct Step {
    pub method: String,
    pub target: String,
    pub what: String,
}

#[derive(Default)]
pub struct Plan {
    steps: Mutex<Vec<Step>>,
    counters: Mutex<HashMap<String, u64>>,
}

impl Plan {
    /// Whether a request reads a planned object (which the service has never seen).
    pub fn is_planned(req: &Request) -> bool {
        let host = req.url.host_str().unwrap_or_default();
        host.starts_with(PLANNED)
            || req
                .url
                .path_segments()
                .is_some_and(|mut s| s.any(|s| s.starts_with(PLANNED)))
    }

    /// The answer to a read of a planned object: an empty list for a collection, the bare
    /// planned object (its id, and its host for `/me`) for an item, `{}` otherwise.
    pub fn empty(req: &Request) -> Response {
        let host = req.url.host_str().unwrap_or_default();
        let last = req
            .url
            .path_segments()
            .and_then(|mut s| s.rfind(|s| !s.is_empty()))
            .unwrap_or_default();
        let answer = if last.starts_with(PLANNED) {
            json!({"id": last})
        } else if last == "me" {
            json!({"id": host.split('.').next().unwrap_or_default(), "hostnames": [host]})
        } else if last.ends_with('s') {
            json!({"data": [], "links": {}})
        } else {
            json!({})
        };
        Response::synthetic(200, &answer, req)
    }

    /// Records a mutation and answers it with a placeholder.
    pub fn record(&self, svc: &Service, req: &Request) -> Response {
        let kind = kind(req);
        let mut n = self.counters.lock().unwrap_or_else(|p| p.into_inner());
        let count = n.entry(kind.clone()).or_insert(0);
        *count += 1;
        let id = format!("{PLANNED}{kind}-{count}");
        drop(n);
        let body = req.body.clone().unwrap_or(Value::Null);
        let what = describe(&kind, &body);
        self.steps
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(Step {
                method: req.method.to_string(),
                target: super::http::shown(&req.url),
                what,
            });
        let (status, answer) = placeholder(svc, req, &kind, &id, body);
        Response::synthetic(status, &answer, req)
    }

    /// Records a local file the run would have written (its content may hold planned ids,
    /// which must never reach a file a real run reads).
    pub fn record_file(&self, path: &str) {
        self.steps
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(Step {
                method: "WRITE".into(),
                target: path.to_string(),
                what: "file".into(),
            });
    }

    pub fn steps(&self) -> Vec<Step> {
        self.steps.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The plan as a table (`method  target  what`) or, with `json`, a JSON array.
    pub fn render(&self, json: bool) -> String {
        let steps = self.steps();
        if json {
            let items: Vec<Value> = steps
                .iter()
                .map(|s| json!({"method": s.method, "target": s.target, "what": s.what}))
                .collect();
            return serde_json::to_string_pretty(&items).unwrap_or_default();
        }
        let width = |f: fn(&Step) -> &str, min: usize| {
            steps
                .iter()
                .map(|s| f(s).chars().count())
                .max()
                .unwrap_or(0)
                .max(min)
        };
        let (wm, wt) = (width(|s| &s.method, 6), width(|s| &s.target, 6));
        let mut out = format!("{:wm$}  {:wt$}  what\n", "method", "target");
        for s in &steps {
            out.push_str(&format!("{:wm$}  {:wt$}  {}\n", s.method, s.target, s.what));
        }
        out.push_str(&format!(
            "{} planned change{}; nothing was changed (--dry-run)",
            steps.len(),
            if steps.len() == 1 { "" } else { "s" }
        ));
        out
    }
}

/// What kind of object a mutation is about: the collection it posts to, singular
/// (`tenant`, `user`, `space-assignment`), or the action (`deactivate`).
fn kind(req: &Request) -> String {
    let segments: Vec<&str> = req
        .url
        .path_segments()
        .map(|s| s.filter(|s| !s.is_empty()).collect())
        .unwrap_or_default();
    if let Some(i) = segments.iter().position(|s| *s == "actions") {
        return segments.get(i + 1).unwrap_or(&"action").to_string();
    }
    let collections: Vec<&str> = segments
        .iter()
        .copied()
        .filter(|s| s.chars().any(|c| c.is_ascii_alphabetic()) && !s.starts_with(PLANNED))
        .filter(|s| !matches!(*s, "api" | "v1" | "qrs" | "hds"))
        .filter(|s| s.len() < 24 || s.contains('-'))
        .collect();
    let singular = |s: &str| {
        let s = s.to_ascii_lowercase();
        s.strip_suffix("ies")
            .map(|r| format!("{r}y"))
            .or_else(|| s.strip_suffix('s').map(str::to_string))
            .unwrap_or(s)
    };
    match collections.as_slice() {
        [] => "change".into(),
        [one] => singular(one),
        [.., parent, last] => format!("{}-{}", singular(parent), singular(last)),
    }
}

/// `tenant "globex"`, `user auth0|alice`, ...
fn describe(kind: &str, body: &Value) -> String {
    let label = ["name", "clientName", "subject", "email", "description"]
        .iter()
        .find_map(|k| body.get(*k).and_then(Value::as_str))
        .map(|v| format!(" {v:?}"))
        .or_else(|| {
            body.pointer("/options/issuer")
                .and_then(Value::as_str)
                .map(|i| format!(" issuer {i:?}"))
        })
        .unwrap_or_default();
    format!("{kind}{label}")
}

fn placeholder(svc: &Service, req: &Request, kind: &str, id: &str, body: Value) -> (u16, Value) {
    if req.method == Method::DELETE || req.method == Method::PATCH {
        return (204, Value::Null);
    }
    if let Some(items) = body.get("add").and_then(Value::as_array) {
        let results: Vec<Value> = items
            .iter()
            .map(|i| json!({"status": 201, "subject": i.get("subject"), "type": i.get("type")}))
            .collect();
        return (207, json!({"data": results}));
    }
    if req.url.path().starts_with("/api/v1/apps") {
        // The Apps API answers NxApp (200): the app under `attributes`.
        let mut attributes = match body.get("attributes") {
            Some(Value::Object(map)) => map.clone(),
            _ => Map::new(),
        };
        attributes.insert("id".into(), json!(id));
        if let Some((_, name)) = req.url.query_pairs().find(|(k, _)| k == "name") {
            attributes.entry("name").or_insert(json!(name));
        }
        return (200, json!({ "attributes": attributes }));
    }
    let mut answer = match body {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    answer.insert("id".into(), json!(id));
    match kind {
        "tenant" => {
            let domain = svc.host().trim_start_matches("register.");
            answer.insert("hostnames".into(), json!([format!("{id}.{domain}")]));
            answer.entry("name").or_insert(json!(id));
            answer.insert("status".into(), json!("active"));
        }
        "oauth-client" => {
            answer.insert("clientId".into(), json!(id));
            answer.insert("clientSecret".into(), json!(format!("{PLANNED}secret")));
        }
        _ => {}
    }
    let status = if req.method == Method::POST { 201 } else { 200 };
    (status, Value::Object(answer))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::Url;

    fn req(method: Method, url: &str, body: Value) -> Request {
        Request::new(method, Url::parse(url).unwrap()).json(body)
    }

    #[test]
    fn kinds_and_placeholders() {
        let svc = Service {
            base: Url::parse("http://register.us.qlik.localhost:1/").unwrap(),
            creds: crate::cloud::Credentials::Anonymous,
            tls: None,
        };
        let plan = Plan::default();
        let r = plan.record(
            &svc,
            &req(
                Method::POST,
                "http://register.us.qlik.localhost:1/api/v1/tenants",
                json!({"licenseKey": "k"}),
            ),
        );
        let v = r.json().unwrap();
        assert_eq!(r.status, 201);
        assert_eq!(v["id"], "planned-tenant-1");
        assert_eq!(v["hostnames"][0], "planned-tenant-1.us.qlik.localhost");
        let a = plan.record(
            &svc,
            &req(
                Method::POST,
                "http://t/api/v1/spaces/planned-space-1/assignments",
                json!({"assigneeId": "g"}),
            ),
        );
        assert_eq!(a.json().unwrap()["id"], "planned-space-assignment-1");
        assert_eq!(
            kind(&req(
                Method::POST,
                "http://t/api/v1/tenants/abc/actions/deactivate",
                json!({})
            )),
            "deactivate"
        );
        assert_eq!(
            kind(&req(
                Method::POST,
                "http://t/api/v1/identity-providers",
                json!({})
            )),
            "identity-provider"
        );
        assert_eq!(
            kind(&req(Method::POST, "http://t/qrs/systemrule", json!({}))),
            "systemrule"
        );
        assert!(Plan::is_planned(&req(
            Method::GET,
            "http://planned-tenant-1.us.qlik.localhost:1/api/v1/users",
            json!(null)
        )));
        let table = plan.render(false);
        assert!(table.contains("2 planned changes"), "{table}");
    }
}
