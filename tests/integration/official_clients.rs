//! Fidelity to the official clients: the requests qlik-sdk and @qlik/api make by default
//! (deprecated parameters included) get the answers those clients parse. The requests are
//! replayed byte for byte over loopback; see `tests/official_clients/README.md` for what was
//! checked. When `node` and an installed `@qlik/api` are at hand, the real client is also run
//! against the simulator (skipped cleanly otherwise).

use crate::util::{repo_path, Reply, Sim};
use serde_json::json;
use std::process::Command;

fn get(sim: &Sim, path: &str) -> Reply {
    let auth = format!("Bearer {}", sim.token(sim.tenant_host()));
    sim.http(
        "GET",
        sim.tenant_host(),
        path,
        &[("authorization", &auth)],
        None,
    )
}

/// Creates a user (`status` "active" or "invited") and returns its id.
fn user(sim: &Sim, subject: &str, name: &str, status: &str) -> String {
    let body = json!({"subject": subject, "name": name, "email": format!("{name}@example.com"), "status": status});
    let r = sim.send_json("POST", "/api/v1/users", &body);
    assert_eq!(r.status, 201, "{}", r.body);
    r.json()["id"].as_str().unwrap().to_string()
}

fn names(reply: &Reply) -> Vec<String> {
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.json()["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap_or("").to_string())
        .filter(|n| n.starts_with("zz-"))
        .collect()
}

/// What qlik-sdk 0.17 `Users.get_users()` sends with no arguments.
const SDK_USERS: &str =
    "/api/v1/users?limit=20&sort=%2Bname&sortBy=name&sortOrder=asc&status=active";

#[test]
fn users_listing_honours_the_parameters_qlik_sdk_sends_by_default() {
    let sim = Sim::start(&[]);
    let a = user(&sim, "sdk|a", "zz-a", "active");
    user(&sim, "sdk|b", "zz-b", "invited");
    let c = user(&sim, "sdk|c", "zz-c", "active");
    // The deprecated default status=active leaves the invited user out…
    assert_eq!(names(&get(&sim, SDK_USERS)), ["zz-a", "zz-c"]);
    // …which @qlik/api (no parameters) lists.
    assert_eq!(names(&get(&sim, "/api/v1/users")), ["zz-a", "zz-b", "zz-c"]);
    // With a filter, qlik-sdk's defaults ride along and are not applied; others are refused.
    let filtered = get(
        &sim,
        &format!("{SDK_USERS}&filter=subject%20co%20%22sdk%7C%22"),
    );
    assert_eq!(names(&filtered), ["zz-a", "zz-b", "zz-c"]);
    let mixed = get(&sim, "/api/v1/users?filter=name%20eq%20%22zz-a%22&email=x");
    assert_eq!(mixed.status, 400, "{}", mixed.body);
    assert!(
        mixed.body.contains("deprecated parameter email"),
        "{}",
        mixed.body
    );
    // sortBy/sortOrder when `sort` is absent; `sort` wins when both come.
    let desc = get(
        &sim,
        "/api/v1/users?sortBy=name&sortOrder=desc&status=active",
    );
    assert_eq!(names(&desc), ["zz-c", "zz-a"]);
    let both = get(&sim, "/api/v1/users?sort=-name&sortBy=name&sortOrder=asc");
    assert_eq!(names(&both), ["zz-c", "zz-b", "zz-a"]);
    let bad_order = get(&sim, "/api/v1/users?sortBy=name&sortOrder=up");
    assert_eq!(bad_order.status, 400, "{}", bad_order.body);
    // The old id cursors.
    let after = get(&sim, &format!("{SDK_USERS}&startingAfter={a}"));
    assert_eq!(names(&after), ["zz-c"]);
    let before = get(&sim, &format!("{SDK_USERS}&endingBefore={c}"));
    assert!(names(&before).contains(&"zz-a".to_string()));
    assert!(!names(&before).contains(&"zz-c".to_string()));
    // Equality parameters.
    let by_email = get(&sim, "/api/v1/users?email=ZZ-C@example.com");
    assert_eq!(names(&by_email), ["zz-c"]);
    let by_subject = get(&sim, "/api/v1/users?subject=sdk%7Cb&status=invited");
    assert_eq!(names(&by_subject), ["zz-b"]);
    let tenant = get(&sim, &format!("/api/v1/users/{a}")).json()["tenantId"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        names(&get(
            &sim,
            &format!("/api/v1/users?tenantId={tenant}&status=active")
        )),
        ["zz-a", "zz-c"]
    );
    assert!(names(&get(&sim, "/api/v1/users?tenantId=elsewhere")).is_empty());
    let promote =
        json!([{"op": "replace", "path": "/assignedRoles", "value": [{"name": "TenantAdmin"}]}]);
    assert_eq!(
        sim.send_json("PATCH", &format!("/api/v1/users/{c}"), &promote)
            .status,
        204
    );
    assert_eq!(
        names(&get(&sim, "/api/v1/users?role=TenantAdmin")),
        ["zz-c"]
    );
    // `limit` is a number (qlik-sdk types it float); `totalResults` a Python bool.
    let float = get(
        &sim,
        "/api/v1/users?limit=20.0&totalResults=True&status=active",
    );
    assert_eq!(float.status, 200, "{}", float.body);
    assert!(float.json()["totalResults"].is_u64(), "{}", float.body);
    assert_eq!(get(&sim, "/api/v1/users?limit=2.5").status, 400);
}

#[test]
fn fields_narrows_users_to_the_members_asked_for() {
    let sim = Sim::start(&[]);
    let id = user(&sim, "sdk|f", "zz-f", "active");
    let one = get(&sim, &format!("/api/v1/users/{id}?fields=id,name"));
    assert_eq!(one.status, 200, "{}", one.body);
    assert_eq!(one.json(), json!({"id": id, "name": "zz-f"}));
    let listed = get(
        &sim,
        "/api/v1/users?fields=name,links&filter=subject%20eq%20%22sdk%7Cf%22",
    );
    let entity = &listed.json()["data"][0];
    assert_eq!(entity["name"], "zz-f");
    assert!(entity["links"]["self"]["href"].is_string(), "{entity}");
    assert!(
        entity.get("id").is_none() && entity.get("subject").is_none(),
        "{entity}"
    );
}

#[test]
fn groups_honour_system_groups_and_serve_the_filter_action() {
    let sim = Sim::start(&[]);
    for name in ["zz-east", "zz-west"] {
        let r = sim.send_json("POST", "/api/v1/groups", &json!({"name": name}));
        assert_eq!(r.status, 201, "{}", r.body);
    }
    // qlik-sdk `Groups.get_groups()` sends these two by default.
    assert_eq!(
        names(&get(&sim, "/api/v1/groups?limit=20&systemGroups=False")),
        ["zz-east", "zz-west"]
    );
    let system = get(&sim, "/api/v1/groups?systemGroups=true");
    assert_eq!(system.status, 200, "{}", system.body);
    assert_eq!(system.json()["data"][0]["name"], "com.qlik.Everyone");
    assert_eq!(system.json()["data"].as_array().unwrap().len(), 1);
    // @qlik/api `filterGroups` and qlik-sdk `Groups.filter`.
    let filtered = sim.send_json(
        "POST",
        "/api/v1/groups/actions/filter?limit=20&sort=%2Bname",
        &json!({"filter": "name eq \"zz-west\""}),
    );
    assert_eq!(names(&filtered), ["zz-west"]);
    let bad_sort = sim.send_json(
        "POST",
        "/api/v1/groups/actions/filter?sort=createdAt",
        &json!({}),
    );
    assert_eq!(bad_sort.status, 400, "{}", bad_sort.body);
}

/// The real @qlik/api, when installed (`npm install @qlik/api` in `tests/official_clients`):
/// lists users and groups through it against the simulator. Skipped cleanly otherwise.
#[test]
fn the_official_qlik_api_client_cannot_tell() {
    let dir = repo_path("tests/official_clients");
    let installed = dir.join("node_modules/@qlik/api/package.json").is_file();
    let node = Command::new("node").arg("--version").output();
    if !installed || node.is_err() {
        eprintln!("skipped: node or @qlik/api is not installed in tests/official_clients");
        return;
    }
    let sim = Sim::start(&[]);
    let token = sim.token(sim.tenant_host());
    // A jwtAuth IdP trusting the RSA test key, for a session as the admin the token acts as.
    let key = repo_path("tests/fixtures/rsa-test-key.pem");
    let pem = sim.script(
        &format!("print(public_pem(\"{}\"));", key.display()),
        &[
            "--allow-path",
            &repo_path("tests/fixtures").display().to_string(),
        ],
    );
    pem.ok();
    let idp = json!({"protocol": "jwtAuth", "provider": "external", "interactive": false,
        "options": {"issuer": "https://node.example.com", "staticKeys": [{"kid": "n1", "pem": pem.stdout.trim()}]}});
    assert_eq!(
        sim.send_json("POST", "/api/v1/identity-providers", &idp)
            .status,
        201
    );
    let me = get(&sim, "/api/v1/users/me");
    let location = me.header("location").unwrap().to_string();
    let me = get(&sim, &location[location.find("/api/").unwrap()..]);
    let subject = me.json()["subject"].as_str().unwrap().to_string();
    let out = Command::new("node")
        .current_dir(&dir)
        .arg("check.mjs")
        .env("SIM_URL", &sim.url)
        .env("QLIK_HOST", sim.tenant_host())
        .env("QLIK_TOKEN", token)
        .env("JWT_KEY_FILE", &key)
        .env("JWT_KID", "n1")
        .env("JWT_ISSUER", "https://node.example.com")
        .env("JWT_SUB", subject)
        .output()
        .expect("run node");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("ok users"), "{stdout}");
    assert!(stdout.contains("ok groups"), "{stdout}");
    assert!(stdout.contains("ok session"), "{stdout}");
}

#[test]
fn space_assignments_narrow_by_type_and_assignee() {
    let sim = Sim::start(&[]);
    let space = sim.send_json(
        "POST",
        "/api/v1/spaces",
        &json!({"name": "zz-space", "type": "shared"}),
    );
    assert_eq!(space.status, 201, "{}", space.body);
    let space = space.json()["id"].as_str().unwrap().to_string();
    let who = user(&sim, "sdk|s", "zz-s", "active");
    let group = sim.send_json("POST", "/api/v1/groups", &json!({"name": "zz-g"}));
    let group = group.json()["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/spaces/{space}/assignments");
    for (kind, id) in [("user", &who), ("group", &group)] {
        let body = json!({"type": kind, "assigneeId": id, "roles": ["consumer"]});
        let r = sim.send_json("POST", &path, &body);
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let ids = |query: &str| -> Vec<String> {
        let r = get(&sim, &format!("{path}{query}"));
        assert_eq!(r.status, 200, "{}", r.body);
        r.json()["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["assigneeId"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(ids("?type=group").len(), 1);
    assert_eq!(ids("?type=group")[0], group);
    assert_eq!(ids(&format!("?assigneeId={who}")), vec![who.clone()]);
    assert_eq!(get(&sim, &format!("{path}?type=robot")).status, 400);
}

#[test]
fn spaces_honour_roles_and_the_publish_action() {
    let sim = Sim::start(&[]);
    let me = get(&sim, "/api/v1/users/me");
    let location = me.header("location").unwrap().to_string();
    let me = get(&sim, &location[location.find("/api/").unwrap()..]).json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let other = user(&sim, "sdk|o", "zz-o", "active");
    let space = |name: &str, kind: &str, owner: &str| {
        let body = json!({"name": name, "type": kind});
        let r = sim.send_json("POST", "/api/v1/spaces", &body);
        assert_eq!(r.status, 201, "{}", r.body);
        let id = r.json()["id"].as_str().unwrap().to_string();
        if owner != me {
            let ops = json!([{"op": "replace", "path": "/ownerId", "value": owner}]);
            let r = sim.send_json("PATCH", &format!("/api/v1/spaces/{id}"), &ops);
            assert_eq!(r.status, 200, "{}", r.body);
        }
        id
    };
    space("zz-mine", "managed", &me);
    let theirs = space("zz-theirs", "managed", &other);
    let shared = space("zz-shared", "shared", &other);
    space("zz-closed", "managed", &other);
    let assign = |id: &str, role: &str| {
        let body = json!({"type": "user", "assigneeId": me, "roles": [role]});
        let r = sim.send_json("POST", &format!("/api/v1/spaces/{id}/assignments"), &body);
        assert_eq!(r.status, 201, "{}", r.body);
    };
    assign(&theirs, "publisher");
    assign(&shared, "consumer");
    let publishable = get(&sim, "/api/v1/spaces?action=publish&sort=%2Bname");
    assert_eq!(names(&publishable), ["zz-mine", "zz-theirs"]);
    let consuming = get(&sim, "/api/v1/spaces?roles=consumer,facilitator");
    assert_eq!(names(&consuming), ["zz-shared"]);
    assert_eq!(get(&sim, "/api/v1/spaces?action=delete").status, 400);
}
