//! Request-level tests of licenses assignments, invite, groups, spaces and apps, through
//! [`super::dispatch`] (a child module of `server`, so it can reach the private router).

use super::*;
use crate::sim::test_support::{bearer, read_json, Sim};
use serde_json::{json, Value};

const ACME: &str = "acme.us.qlik.localhost:8080";

/// The source tenant, called as the us region client's bot (TenantAdmin).
struct Acme {
    sim: Sim,
    auth: String,
}

impl Acme {
    async fn new() -> Acme {
        let mut sim = Sim::json_only();
        let tok = sim.token(ACME, "us").await.body;
        let auth = bearer(tok["access_token"].as_str().unwrap());
        Acme { sim, auth }
    }

    async fn call(&mut self, method: &str, target: &str, body: &str) -> (u16, Value) {
        let a = self
            .sim
            .call(method, ACME, target, &[("authorization", &self.auth)], body)
            .await;
        (a.status, a.body)
    }

    async fn json(&mut self, method: &str, target: &str, body: Value) -> (u16, Value) {
        self.call(method, target, &body.to_string()).await
    }
}

fn rel(href: &Value) -> String {
    let h = href.as_str().unwrap();
    h.split_once("8080").unwrap().1.to_string()
}

#[tokio::test]
async fn license_assignments_over_the_wire() {
    let mut sim = Acme::new().await;
    let (_, ov) = sim.call("GET", "/api/v1/licenses/overview", "").await;
    let used = ov["allotments"][1]["unitsUsed"].as_u64().unwrap();
    let (s, b) = sim
        .json(
            "POST",
            "/api/v1/licenses/assignments/actions/add",
            json!({"add": [{"subject": "ext|1", "type": "analyzer"},
                           {"subject": "ext|1", "type": "analyzer"}]}),
        )
        .await;
    assert_eq!(s, 207);
    assert_eq!(b["data"][0]["status"], 201);
    assert_eq!(b["data"][1]["status"], 409);
    let (_, ov) = sim.call("GET", "/api/v1/licenses/overview", "").await;
    assert_eq!(ov["allotments"][1]["unitsUsed"], used + 1);
    // paging with page= cursors walks everything once
    let mut n = 0;
    let mut next = Some("/api/v1/licenses/assignments?limit=2".to_string());
    while let Some(t) = next {
        let (s, p) = sim.call("GET", &t, "").await;
        assert_eq!(s, 200, "{p}");
        n += p["data"].as_array().unwrap().len();
        next = p["links"]["next"]["href"]
            .as_str()
            .map(|_| rel(&p["links"]["next"]["href"]));
        if let Some(t) = &next {
            assert!(t.contains("page="), "{t}");
        }
    }
    assert_eq!(n, 6, "4 seeded professionals + Carol + ext|1");
    let (_, f) = sim
        .call(
            "GET",
            "/api/v1/licenses/assignments?filter=type%20eq%20%22analyzer%22",
            "",
        )
        .await;
    assert_eq!(f["data"].as_array().unwrap().len(), 2);
    let (_, d) = sim
        .json(
            "POST",
            "/api/v1/licenses/assignments/actions/delete",
            json!({"delete": [{"subject": "ext|1", "type": "analyzer"},
                              {"subject": "ext|1", "type": "analyzer"}]}),
        )
        .await;
    assert_eq!(d["data"][0]["status"], 200);
    assert_eq!(d["data"][1]["code"], "LICENSES-016");
    let (s, e) = sim
        .call("POST", "/api/v1/licenses/assignments/actions/add", "{}")
        .await;
    assert_eq!(s, 400);
    assert!(e["error"].is_string() && e["message"].is_string());
    let (s, c) = sim.call("GET", "/api/v1/licenses/consumption", "").await;
    assert_eq!(s, 200);
    assert!(!c["data"].as_array().unwrap().is_empty());
    // auto-assign on POST /users
    sim.json(
        "PUT",
        "/api/v1/licenses/settings",
        json!({"autoAssignAnalyzer": true}),
    )
    .await;
    let (s, _) = sim
        .json(
            "POST",
            "/api/v1/users",
            json!({"subject": "auth0|z", "name": "Z"}),
        )
        .await;
    assert_eq!(s, 201);
    let (_, ov) = sim.call("GET", "/api/v1/licenses/overview", "").await;
    assert_eq!(ov["allotments"][1]["unitsUsed"], used + 1);
}

#[tokio::test]
async fn invite_and_filter_paging() {
    let mut sim = Acme::new().await;
    let (s, b) = sim
        .json(
            "POST",
            "/api/v1/users/actions/invite",
            json!({"invitees": [{"email": "x@y.example"}, {"email": "alice@acme.example"}]}),
        )
        .await;
    assert_eq!(s, 207);
    assert_eq!(b["data"][0]["status"], "ok");
    assert_eq!(b["data"][1]["code"], 1001);
    let id = b["data"][0]["userId"].as_str().unwrap().to_string();
    let (_, u) = sim.call("GET", &format!("/api/v1/users/{id}"), "").await;
    assert_eq!(u["status"], "invited");
    assert!(u["inviteExpiry"].is_number());
    // the same body re-POSTed to next
    let body = json!({"filter": "email co \"example\""}).to_string();
    let mut seen = 0;
    let mut next = Some("/api/v1/users/actions/filter?limit=3".to_string());
    while let Some(t) = next {
        let (s, p) = sim.call("POST", &t, &body).await;
        assert_eq!(s, 200);
        seen += p["data"].as_array().unwrap().len();
        next = p["links"]["next"]["href"]
            .as_str()
            .map(|_| rel(&p["links"]["next"]["href"]));
    }
    assert_eq!(seen, 7);
}

#[tokio::test]
async fn groups_spaces_apps() {
    let mut sim = Acme::new().await;
    let (s, g) = sim
        .json(
            "POST",
            "/api/v1/groups",
            json!({"name": "Sales", "assignedRoles": [{"name": "AnalyticsAdmin"}]}),
        )
        .await;
    assert_eq!(s, 201, "{g}");
    assert_eq!(g["providerType"], "custom");
    assert_eq!(g["assignedRoles"][0]["name"], "AnalyticsAdmin");
    let gid = g["id"].as_str().unwrap().to_string();
    let (s, _) = sim
        .json("POST", "/api/v1/groups", json!({"name": "sales"}))
        .await;
    assert_eq!(s, 409);
    let (_, l) = sim
        .call(
            "GET",
            "/api/v1/groups?filter=name%20eq%20%22sales%22&totalResults=true",
            "",
        )
        .await;
    assert_eq!(l["totalResults"], 1);
    let (s, _) = sim
        .json(
            "PATCH",
            "/api/v1/groups/settings",
            json!([{"op": "replace", "path": "/autoCreateGroups", "value": true}]),
        )
        .await;
    assert_eq!(s, 204);
    let (_, gs) = sim.call("GET", "/api/v1/groups/settings", "").await;
    assert_eq!(gs["autoCreateGroups"], true);
    // a user joins the group
    let (_, users) = sim.call("GET", "/api/v1/users?limit=1", "").await;
    let uid = users["data"][0]["id"].as_str().unwrap().to_string();
    let (s, _) = sim
        .json(
            "PATCH",
            &format!("/api/v1/users/{uid}"),
            json!([{"op": "replace", "path": "/assignedGroups", "value": [{"name": "Sales", "providerType": "custom"}]}]),
        )
        .await;
    assert_eq!(s, 204);
    let (_, u) = sim.call("GET", &format!("/api/v1/users/{uid}"), "").await;
    assert_eq!(u["assignedGroups"][0]["id"], gid.as_str());

    // spaces
    let (s, sp) = sim
        .json(
            "POST",
            "/api/v1/spaces",
            json!({"name": "Finance", "type": "managed"}),
        )
        .await;
    assert_eq!(s, 201, "{sp}");
    assert_eq!(sp["meta"]["assignableRoles"].as_array().unwrap().len(), 7);
    let sid = sp["id"].as_str().unwrap().to_string();
    let (s, _) = sim
        .json(
            "POST",
            "/api/v1/spaces",
            json!({"name": "FINANCE", "type": "shared"}),
        )
        .await;
    assert_eq!(s, 409);
    let (s, _) = sim
        .json(
            "POST",
            "/api/v1/spaces",
            json!({"name": "a/b", "type": "shared"}),
        )
        .await;
    assert_eq!(s, 400);
    sim.json(
        "POST",
        "/api/v1/spaces",
        json!({"name": "Lake", "type": "data"}),
    )
    .await;
    let (_, l) = sim
        .call("GET", "/api/v1/spaces?type=managed,data&name=fin", "")
        .await;
    assert_eq!(l["meta"]["count"], 1);
    let (s, p) = sim
        .json(
            "PATCH",
            &format!("/api/v1/spaces/{sid}"),
            json!([{"op": "replace", "path": "/description", "value": "money"}]),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(p["description"], "money");
    let assign = format!("/api/v1/spaces/{sid}/assignments");
    let (s, _) = sim
        .json(
            "POST",
            &assign,
            json!({"type": "group", "assigneeId": gid, "roles": ["codeveloper"]}),
        )
        .await;
    assert_eq!(s, 400, "codeveloper is a shared-space role");
    let (s, a) = sim
        .json(
            "POST",
            &assign,
            json!({"type": "group", "assigneeId": gid, "roles": ["consumer"]}),
        )
        .await;
    assert_eq!(s, 201, "{a}");
    let (s, _) = sim
        .json(
            "POST",
            &assign,
            json!({"type": "group", "assigneeId": gid, "roles": ["publisher"]}),
        )
        .await;
    assert_eq!(s, 409);
    let (s, _) = sim
        .json(
            "POST",
            &assign,
            json!({"type": "user", "assigneeId": "0123456789abcdef01234567", "roles": []}),
        )
        .await;
    assert_eq!(s, 404);
    let aid = a["id"].as_str().unwrap();
    let (s, pa) = sim
        .json(
            "PATCH",
            &format!("{assign}/{aid}"),
            json!([{"op": "replace", "path": "/roles", "value": ["publisher", "operator"]}]),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(pa["roles"], json!(["publisher", "operator"]));
    // an app makes the space non-empty
    let (s, app) = sim
        .json(
            "POST",
            "/api/v1/apps",
            json!({"attributes": {"name": "Budget", "spaceId": sid}}),
        )
        .await;
    assert_eq!(s, 200, "{app}");
    assert_eq!(app["attributes"]["published"], false);
    let app_id = app["attributes"]["id"].as_str().unwrap().to_string();
    let (s, e) = sim
        .call("DELETE", &format!("/api/v1/spaces/{sid}"), "")
        .await;
    assert_eq!(s, 412, "{e}");
    let (s, _) = sim
        .call("DELETE", &format!("/api/v1/apps/{app_id}"), "")
        .await;
    assert_eq!(s, 200);
    let (s, _) = sim
        .call("DELETE", &format!("/api/v1/spaces/{sid}"), "")
        .await;
    assert_eq!(s, 204);
    let (s, _) = sim
        .call("DELETE", &format!("/api/v1/groups/{gid}"), "")
        .await;
    assert_eq!(s, 204);
    let (_, u) = sim.call("GET", &format!("/api/v1/users/{uid}"), "").await;
    assert_eq!(u["assignedGroups"], json!([]));
    let st = read_json(admin::state(&sim.sim.st).unwrap()).await;
    assert_eq!(st["tenants"][0]["spaces"]["count"], 1);
    assert_eq!(st["tenants"][0]["spaces"]["items"][0]["name"], "Lake");
}
