//! Request-level tests of the QSEoW site, through the simulator's real dispatch.

use crate::sim::test_support::{bearer, body_text, with_xrfkey, Answer, Sim};
use base64::Engine as _;
use serde_json::{json, Value};

const SITE: &str = "qseow.qlik.localhost:443";
const ACME: &str = "acme.us.qlik.localhost";
const KEY: &str = "ABCDEFGHijklmn12";

impl Sim {
    /// A site call with a good Xrfkey, as `user` (`None`: no X-Qlik-User).
    async fn site_as(
        &mut self,
        user: Option<&str>,
        method: &str,
        path: &str,
        body: Value,
    ) -> Answer {
        let target = with_xrfkey(path, KEY);
        let mut h = vec![("x-qlik-xrfkey", KEY), ("content-type", "application/json")];
        if let Some(u) = user {
            h.push(("x-qlik-user", u));
        }
        let b = body_text(&body);
        self.call(method, SITE, &target, &h, &b).await
    }

    async fn site(&mut self, method: &str, path: &str, body: Value) -> Answer {
        self.site_as(None, method, path, body).await
    }

    async fn tenant_token(&mut self, host: &str) -> String {
        let a = self.token(host, "us").await;
        assert_eq!(a.status, 200, "{}", a.text);
        a.body["access_token"].as_str().unwrap().to_string()
    }

    async fn tenant(&mut self, host: &str, method: &str, path: &str, body: Value) -> Answer {
        let tok = self.tenant_token(host).await;
        let auth = bearer(&tok);
        let b = body_text(&body);
        self.call(
            method,
            host,
            path,
            &[
                ("authorization", &auth),
                ("content-type", "application/json"),
            ],
            &b,
        )
        .await
    }

    /// A second tenant `beta.us.qlik.localhost` in the source tenant's region.
    fn add_beta(&mut self) -> String {
        let src = self.st.tenant(&self.st.source_tenant_id).unwrap();
        let (region, num, key, product) = (
            src.region,
            src.license.license_number.clone(),
            src.license.license_key.clone(),
            src.license.product.clone(),
        );
        let now = self.st.now();
        let id = self.st.ids.tenant_id();
        let t = crate::sim::tenants::new_tenant(
            id,
            "beta",
            region,
            region.datacenter,
            &num,
            &key,
            &product,
            now,
        );
        let host = t.host().to_string();
        self.st.tenants.push(t);
        host
    }

    async fn deployment(&mut self, name: &str, host: &str) -> String {
        let d = self
            .site(
                "POST",
                "/api/hds/v1/Deployments",
                json!({"name": name, "serviceUrl": format!("https://{host}"), "audience": "qlik.api", "localBearerToken": true}),
            )
            .await;
        assert_eq!(d.status, 201, "{}", d.text);
        d.body["id"].as_str().unwrap().to_string()
    }

    async fn qcs_token(&mut self, id: &str) -> String {
        let a = self
            .site(
                "GET",
                &format!("/api/hds/v1/Deployments/{id}/elastictokenconfig?qcsFormat=True"),
                Value::Null,
            )
            .await;
        assert_eq!(a.status, 200, "{}", a.text);
        a.text
    }

    /// Trusts deployment `id` on tenant `host` (a Multi-cloud IdP from its token).
    async fn trust(&mut self, host: &str, id: &str) {
        let tok = self.qcs_token(id).await;
        let a = self
            .tenant(
                host,
                "POST",
                "/api/v1/identity-providers",
                json!({"protocol": "qsefw-local-bearer-token", "provider": "qlik",
                       "interactive": false, "base64Encoded": tok}),
            )
            .await;
        assert_eq!(a.status, 201, "{}", a.text);
    }

    /// Deployment Region1 on acme and Region2 on a new tenant beta, each trusted by its
    /// tenant; returns beta's host.
    async fn two_trusted_regions(&mut self) -> String {
        let beta = self.add_beta();
        let r1 = self.deployment("Region1", ACME).await;
        let r2 = self.deployment("Region2", &beta).await;
        self.trust(ACME, &r1).await;
        self.trust(&beta, &r2).await;
        beta
    }

    async fn test_conn(&mut self, id: &str) -> Value {
        let a = self
            .site(
                "POST",
                &format!("/api/hds/v1/Deployments/{id}/actions/test"),
                json!({}),
            )
            .await;
        assert_eq!(a.status, 200, "{}", a.text);
        a.body
    }

    fn app_id(&self, name: &str) -> String {
        self.st
            .qseow
            .apps
            .iter()
            .find(|a| a["name"] == name)
            .and_then(|a| a["id"].as_str())
            .unwrap()
            .to_string()
    }

    fn id_of(&self, list: &[Value], name: &str) -> String {
        list.iter()
            .find(|a| a["name"] == name)
            .and_then(|a| a["id"].as_str())
            .unwrap()
            .to_string()
    }

    fn staged(&self, host: &str) -> Vec<String> {
        self.st
            .tenant_by_host(host)
            .unwrap()
            .apps
            .iter()
            .map(|a| a.name.clone())
            .collect()
    }

    async fn policy(&mut self, name: &str, rule: &str) -> Answer {
        self.site(
            "POST",
            "/qrs/systemrule",
            json!({"name": name, "rule": rule, "resourceFilter": "App_*", "actions": 1024,
                   "category": "Security", "type": "Custom"}),
        )
        .await
    }

    async fn publish(&mut self, app: &str, stream: &str) -> Answer {
        let a = self.app_id(app);
        let s = self.id_of(&self.st.qseow.streams.clone(), stream);
        self.site(
            "PUT",
            &format!("/qrs/app/{a}/publish?stream={s}"),
            Value::Null,
        )
        .await
    }
}

#[tokio::test]
async fn xrfkey_is_enforced() {
    let mut sim = Sim::new();
    let xrf = wire_text();
    // missing everywhere
    let a = sim.call("GET", SITE, "/qrs/about", &[], "").await;
    assert_eq!((a.status, a.text.as_str()), (403, xrf));
    // header only, query only
    let a = sim
        .call("GET", SITE, "/qrs/about", &[("x-qlik-xrfkey", KEY)], "")
        .await;
    assert_eq!(a.status, 403);
    let a = sim
        .call("GET", SITE, &format!("/qrs/about?xrfkey={KEY}"), &[], "")
        .await;
    assert_eq!(a.status, 403);
    // mismatched
    let a = sim
        .call(
            "GET",
            SITE,
            &format!("/qrs/about?xrfkey={KEY}"),
            &[("x-qlik-xrfkey", "ABCDEFGHijklmn13")],
            "",
        )
        .await;
    assert_eq!(a.status, 403);
    // wrong length and alphabet
    for bad in ["ABCDEFGHijklmn1", "ABCDEFGHijklmn123", "ABCDEFGHijklmn-1"] {
        let a = sim
            .call(
                "GET",
                SITE,
                &format!("/qrs/about?xrfkey={bad}"),
                &[("x-qlik-xrfkey", bad)],
                "",
            )
            .await;
        assert_eq!(a.status, 403, "{bad}");
    }
    // good, parameter name in any case; HDS too
    for name in ["xrfkey", "Xrfkey", "XRFKEY"] {
        let a = sim
            .call(
                "GET",
                SITE,
                &format!("/qrs/about?{name}={KEY}"),
                &[("x-qlik-xrfkey", KEY)],
                "",
            )
            .await;
        assert_eq!(a.status, 200, "{name}");
        assert_eq!(a.body["schemaPath"], "About");
    }
    let a = sim
        .call("GET", SITE, "/api/hds/v1/Deployments", &[], "")
        .await;
    assert_eq!(a.status, 403);
    assert_eq!(
        sim.site("GET", "/api/hds/v1/Deployments", Value::Null)
            .await
            .body,
        json!([])
    );
    // any port reaches the site
    let a = sim
        .call(
            "GET",
            "qseow.qlik.localhost:8080",
            &format!("/qrs/about?xrfkey={KEY}"),
            &[("x-qlik-xrfkey", KEY)],
            "",
        )
        .await;
    assert_eq!(a.status, 200);
}

fn wire_text() -> &'static str {
    crate::wire::QSEOW_XRF_FAILED_TEXT
}

#[tokio::test]
async fn users_and_admin_writes() {
    let mut sim = Sim::new();
    let s = json!({"name": "Marketing"});
    for u in [
        "UserDirectory=CORP; UserId=carol",
        "UserDirectory=CORP;UserId=bob",
        "UserDirectory=CORP; UserId=nobody",
    ] {
        let a = sim.site_as(Some(u), "POST", "/qrs/stream", s.clone()).await;
        assert_eq!(a.status, 403, "{u}");
        assert_eq!(
            sim.site_as(Some(u), "GET", "/qrs/stream", Value::Null)
                .await
                .status,
            200
        );
    }
    let a = sim
        .site_as(
            Some("UserDirectory=CORP;UserId=alice"),
            "POST",
            "/qrs/stream",
            s.clone(),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.text);
    assert_eq!(a.body["modifiedByUserName"], "CORP\\alice");
    assert_eq!(a.body["schemaPath"], "Stream");
    let a = sim
        .site_as(
            Some("UserDirectory=INTERNAL;%20UserId=sa%5Fapi"),
            "POST",
            "/qrs/stream",
            json!({"name": "X"}),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.text);
    assert_eq!(a.body["modifiedByUserName"], "INTERNAL\\sa_api");
    let a = sim.site("POST", "/qrs/stream", json!({"name": "Y"})).await;
    assert_eq!(a.body["modifiedByUserName"], "INTERNAL\\sa_repository");
    assert_eq!(
        sim.site_as(Some("garbage"), "GET", "/qrs/stream", Value::Null)
            .await
            .status,
        400
    );
    // HDS writes need an admin too
    let a = sim
        .site_as(
            Some("UserDirectory=CORP; UserId=carol"),
            "POST",
            "/api/hds/v1/Deployments",
            json!({"name": "R", "serviceUrl": "https://acme.us.qlik.localhost", "audience": "qlik.api", "localBearerToken": true}),
        )
        .await;
    assert_eq!(a.status, 403);
}

#[tokio::test]
async fn qrs_lists_filter_order_count_full() {
    let mut sim = Sim::new();
    let all = sim.site("GET", "/qrs/app", Value::Null).await;
    assert_eq!(all.body.as_array().unwrap().len(), 4);
    assert!(all.body[0].get("customProperties").is_none(), "condensed");
    let full = sim.site("GET", "/qrs/app/full", Value::Null).await;
    assert_eq!(full.body[0]["schemaPath"], "App");
    assert!(full.body[0]["customProperties"].is_array());
    let sales = sim
        .site(
            "GET",
            "/qrs/app/full?filter=stream.name%20eq%20%27sales%27",
            Value::Null,
        )
        .await;
    assert_eq!(sales.body.as_array().unwrap().len(), 1);
    assert_eq!(sales.body[0]["name"], "Sales Dashboard");
    assert_eq!(sales.body[0]["owner"]["userDirectory"], "CORP");
    let q = "/qrs/app?filter=(published%20eq%20true%20and%20name%20sw%20%27f%27)%20or%20name%20ew%20%27ANALYSIS%27&orderby=name%20desc";
    let names: Vec<Value> = sim
        .site("GET", q, Value::Null)
        .await
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].clone())
        .collect();
    assert_eq!(
        names,
        vec![json!("Finance Report"), json!("Draft Analysis")]
    );
    let asc = sim
        .site("GET", "/qrs/stream?orderby=name%20asc", Value::Null)
        .await;
    assert_eq!(asc.body[0]["name"], "Everyone");
    assert_eq!(asc.body[2]["name"], "Sales");
    let c = sim
        .site(
            "GET",
            "/qrs/app/count?filter=published%20eq%20false",
            Value::Null,
        )
        .await;
    assert_eq!(c.body, json!({"value": 1}));
    let c = sim
        .site("GET", "/qrs/custompropertydefinition/count", Value::Null)
        .await;
    assert_eq!(c.body, json!({"value": 2}));
    let id = sim.app_id("Draft Analysis");
    let c = sim
        .site(
            "GET",
            &format!("/qrs/app/count?filter=id%20eq%20{id}"),
            Value::Null,
        )
        .await;
    assert_eq!(c.body, json!({"value": 1}));
    let one = sim
        .site("GET", &format!("/qrs/app/{id}"), Value::Null)
        .await;
    assert_eq!(one.body["stream"], Value::Null);
    assert_eq!(
        sim.site("GET", "/qrs/app/nope", Value::Null).await.status,
        404
    );
    for bad in [
        "name%20eq",
        "name%20xx%20%27a%27",
        "(name%20eq%20%27a%27",
        "name%20eq%20%27a",
    ] {
        let a = sim
            .site("GET", &format!("/qrs/app?filter={bad}"), Value::Null)
            .await;
        assert_eq!(a.status, 400, "{bad}");
        assert!(a.text.starts_with("Invalid filter"), "{}", a.text);
    }
    assert_eq!(
        sim.site("GET", "/qrs/app?orderby=name%20sideways", Value::Null)
            .await
            .status,
        400
    );
    let about = sim.site("GET", "/qrs/about", Value::Null).await.body;
    for k in [
        "buildVersion",
        "buildDate",
        "databaseProvider",
        "nodeType",
        "sharedPersistence",
        "requiresBootstrap",
        "singleNodeOnly",
    ] {
        assert!(about.get(k).is_some(), "{k}");
    }
    let users = sim
        .site(
            "GET",
            "/qrs/user?filter=userDirectory%20eq%20%27CORP%27",
            Value::Null,
        )
        .await;
    assert_eq!(users.body.as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn put_checks_modified_date_and_custom_properties() {
    let mut sim = Sim::new();
    let id = sim.app_id("Draft Analysis");
    let app = sim
        .site("GET", &format!("/qrs/app/{id}"), Value::Null)
        .await
        .body;
    let mut edit = app.clone();
    edit["description"] = json!("changed");
    let a = sim
        .site("PUT", &format!("/qrs/app/{id}"), edit.clone())
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body["description"], "changed");
    assert_ne!(a.body["modifiedDate"], app["modifiedDate"]);
    // the same instant in another ISO spelling is not a conflict
    let mut same = a.body.clone();
    let md = a.body["modifiedDate"].as_str().unwrap().to_string();
    if md.ends_with(".000Z") {
        same["modifiedDate"] = json!(md.replace(".000Z", "Z"));
    }
    same["description"] = json!("changed");
    let a2 = sim.site("PUT", &format!("/qrs/app/{id}"), same).await;
    assert_eq!(a2.status, 200, "{}", a2.text);
    // a second PUT with the stale modifiedDate conflicts
    let a = sim.site("PUT", &format!("/qrs/app/{id}"), edit).await;
    assert_eq!(a.status, 409);
    assert_eq!(a.text, crate::wire::QSEOW_CONFLICT_TEXT);
    // custom properties: a choice value, an unknown value, a definition not for apps
    let fresh = sim
        .site("GET", &format!("/qrs/app/{id}"), Value::Null)
        .await
        .body;
    let dept = sim.id_of(&sim.st.qseow.cpds.clone(), "Department");
    let mut e = fresh.clone();
    e["customProperties"] = json!([{"value": "HR", "definition": {"id": dept}}]);
    let a = sim.site("PUT", &format!("/qrs/app/{id}"), e.clone()).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(
        a.body["customProperties"][0]["definition"]["name"],
        "Department"
    );
    assert_eq!(
        a.body["customProperties"][0]["schemaPath"],
        "CustomPropertyValue"
    );
    let mut e2 = a.body.clone();
    e2["customProperties"] = json!([{"value": "Legal", "definition": {"id": dept}}]);
    let a = sim.site("PUT", &format!("/qrs/app/{id}"), e2).await;
    assert_eq!(a.status, 400);
    let def = sim
        .site(
            "POST",
            "/qrs/custompropertydefinition",
            json!({"name": "StreamOnly", "objectTypes": ["Stream"]}),
        )
        .await;
    assert_eq!(def.status, 201);
    assert_eq!(def.body["valueType"], "Text");
    let cur = sim
        .site("GET", &format!("/qrs/app/{id}"), Value::Null)
        .await
        .body;
    let mut e3 = cur.clone();
    e3["customProperties"] = json!([{"value": "x", "definition": {"id": def.body["id"]}}]);
    assert_eq!(
        sim.site("PUT", &format!("/qrs/app/{id}"), e3).await.status,
        400
    );
    // definitions: PUT with a stale date conflicts too
    let mut d = def.body.clone();
    d["objectTypes"] = json!(["Stream", "App"]);
    assert_eq!(
        sim.site(
            "PUT",
            &format!(
                "/qrs/custompropertydefinition/{}",
                def.body["id"].as_str().unwrap()
            ),
            d.clone()
        )
        .await
        .status,
        200
    );
    assert_eq!(
        sim.site(
            "PUT",
            &format!(
                "/qrs/custompropertydefinition/{}",
                def.body["id"].as_str().unwrap()
            ),
            d
        )
        .await
        .status,
        409
    );
}

#[tokio::test]
async fn system_rules() {
    let mut sim = Sim::new();
    let seeded = sim
        .site("GET", "/qrs/systemrule/full", Value::Null)
        .await
        .body;
    assert_eq!(seeded.as_array().unwrap().len(), 1);
    assert_eq!(seeded[0]["disabled"], true);
    assert_eq!(seeded[0]["actions"], 1024);
    for missing in ["name", "rule", "resourceFilter", "actions"] {
        let mut b = json!({"name": "n", "rule": "", "resourceFilter": "App_*", "actions": 1024});
        b.as_object_mut().unwrap().remove(missing);
        let a = sim.site("POST", "/qrs/systemrule", b).await;
        assert_eq!(a.status, 400, "{missing}");
    }
    let a = sim.policy("bad", "resource.name = ").await;
    assert_eq!(a.status, 400);
    assert!(a.text.contains("column"), "{}", a.text);
    // a security rule is not checked with the policy language
    let a = sim
        .site("POST", "/qrs/systemrule", json!({"name": "sec", "rule": "user.roles=\"x\"", "resourceFilter": "Stream_*", "actions": 2}))
        .await;
    assert_eq!(a.status, 201, "{}", a.text);
    let p = sim.policy("ok", "((subject.name=\"Region1\"))").await;
    assert_eq!(p.status, 201);
    for k in [
        "id",
        "createdDate",
        "modifiedDate",
        "modifiedByUserName",
        "schemaPath",
        "privileges",
        "category",
        "subcategory",
        "type",
        "name",
        "rule",
        "resourceFilter",
        "actions",
        "comment",
        "disabled",
        "ruleContext",
        "seedId",
        "version",
        "tags",
    ] {
        assert!(p.body.get(k).is_some(), "{k}");
    }
    let id = p.body["id"].as_str().unwrap().to_string();
    let mut e = p.body.clone();
    e["rule"] = json!("resource.name like");
    assert_eq!(
        sim.site("PUT", &format!("/qrs/systemrule/{id}"), e.clone())
            .await
            .status,
        400
    );
    e["rule"] = json!("resource.name like \"S*\"");
    assert_eq!(
        sim.site("PUT", &format!("/qrs/systemrule/{id}"), e.clone())
            .await
            .status,
        200
    );
    assert_eq!(
        sim.site("PUT", &format!("/qrs/systemrule/{id}"), e)
            .await
            .status,
        409
    );
    let c = sim
        .site(
            "GET",
            "/qrs/systemrule/count?filter=resourceFilter%20eq%20%27App_*%27",
            Value::Null,
        )
        .await;
    assert_eq!(c.body["value"], 2);
    assert_eq!(
        sim.site("DELETE", &format!("/qrs/systemrule/{id}"), Value::Null)
            .await
            .status,
        204
    );
    assert_eq!(
        sim.site("DELETE", &format!("/qrs/systemrule/{id}"), Value::Null)
            .await
            .status,
        404
    );
    // bulk create: all or nothing
    let many = json!([{"name": "m1", "rule": "", "resourceFilter": "App_*", "actions": 1024},
                      {"name": "m2", "rule": "resource.name=", "resourceFilter": "App_*", "actions": 1024}]);
    let before = sim.st.qseow.rules.len();
    assert_eq!(
        sim.site("POST", "/qrs/systemrule/many", many).await.status,
        400
    );
    assert_eq!(sim.st.qseow.rules.len(), before);
    let many = json!([{"name": "m1", "rule": "", "resourceFilter": "App_*", "actions": 1024},
                      {"name": "m2", "rule": "resource.name=\"a\"", "resourceFilter": "App_*", "actions": 1024}]);
    let a = sim.site("POST", "/qrs/systemrule/many", many).await;
    assert_eq!(a.status, 201, "{}", a.text);
    assert_eq!(a.body.as_array().unwrap().len(), 2);
    assert_eq!(sim.st.qseow.rules.len(), before + 2);
}

#[tokio::test]
async fn deployments_crud_and_token() {
    let mut sim = Sim::new();
    let id = sim.deployment("Region1", ACME).await;
    let dup = sim
        .site("POST", "/api/hds/v1/Deployments", json!({"name": "region1", "serviceUrl": "https://x.us.qlik.localhost", "audience": "qlik.api", "localBearerToken": true}))
        .await;
    assert_eq!(dup.status, 409);
    for body in [
        json!({"serviceUrl": "https://a", "audience": "qlik.api", "localBearerToken": true}),
        json!({"name": "n", "audience": "qlik.api", "localBearerToken": true}),
        json!({"name": "n", "serviceUrl": "https://a", "localBearerToken": true}),
        json!({"name": "n", "serviceUrl": "https://a", "audience": "qlik.api", "localBearerToken": false, "clientId": "c"}),
        json!({"name": "n", "serviceUrl": "ftp://a", "audience": "qlik.api"}),
        json!([1]),
    ] {
        let a = sim
            .site("POST", "/api/hds/v1/Deployments", body.clone())
            .await;
        assert_eq!(a.status, 400, "{body}");
        assert_eq!(a.body["status"], 400);
    }
    let cc = sim
        .site("POST", "/api/hds/v1/Deployments", json!({"name": "CC", "serviceUrl": "https://acme.us.qlik.localhost", "audience": "qlik.api", "localBearerToken": false, "clientId": "cid", "clientSecret": "s3cret", "authenticationUrl": "https://acme.us.qlik.localhost/oauth/token"}))
        .await;
    assert_eq!(cc.status, 201);
    assert!(!cc.text.contains("s3cret"));
    let cc_id = cc.body["id"].as_str().unwrap().to_string();
    let list = sim
        .site("GET", "/api/hds/v1/Deployments", Value::Null)
        .await;
    assert_eq!(list.body.as_array().unwrap().len(), 2);
    assert!(!list.text.contains("s3cret"));
    let a = sim
        .site(
            "GET",
            &format!("/api/hds/v1/Deployments/{cc_id}/elastictokenconfig?qcsFormat=True"),
            Value::Null,
        )
        .await;
    assert_eq!(a.status, 400);
    // the token decodes to issuer, kid, a P-256 SPKI PEM and the audience
    let tok = sim.qcs_token(&id).await;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(tok.trim())
        .unwrap();
    let v: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(v["kid"], id.as_str());
    assert_eq!(
        v["issuer"],
        format!("https://qseow.qlik.localhost/hds/{id}")
    );
    assert_eq!(v["audience"], "qlik.api");
    let pem = v["pem"].as_str().unwrap();
    assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----"));
    crate::sim::jwt::check_public_key_pem(pem).unwrap();
    // the same deployment signs with the matching private key
    let d = sim
        .st
        .qseow
        .deployments
        .iter()
        .find(|d| d.id == id)
        .unwrap();
    let jws = crate::sim::jwt::sign_es256(&d.pkcs8, &id, &json!({"a": 1})).unwrap();
    assert_eq!(crate::sim::jwt::verify_with_pem(&jws, pem).unwrap()["a"], 1);
    let other = sim.deployment("Region2", ACME).await;
    let other_pem = sim
        .st
        .qseow
        .deployments
        .iter()
        .find(|d| d.id == other)
        .unwrap()
        .public_pem
        .clone();
    assert!(crate::sim::jwt::verify_with_pem(&jws, &other_pem).is_err());
    // PUT renames, a taken name conflicts, DELETE removes
    let a = sim
        .site(
            "PUT",
            &format!("/api/hds/v1/Deployments/{id}"),
            json!({"name": "Region9"}),
        )
        .await;
    assert_eq!(a.status, 200);
    assert_eq!(a.body["name"], "Region9");
    assert_eq!(
        sim.site(
            "PUT",
            &format!("/api/hds/v1/Deployments/{id}"),
            json!({"name": "Region2"})
        )
        .await
        .status,
        409
    );
    assert_eq!(
        sim.site("GET", &format!("/api/hds/v1/Deployments/{id}"), Value::Null)
            .await
            .body["name"],
        "Region9"
    );
    assert_eq!(
        sim.site(
            "DELETE",
            &format!("/api/hds/v1/Deployments/{id}"),
            Value::Null
        )
        .await
        .status,
        204
    );
    assert_eq!(
        sim.site("GET", &format!("/api/hds/v1/Deployments/{id}"), Value::Null)
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn test_connection_explains_failures() {
    let mut sim = Sim::new();
    let a = sim.deployment("Region1", ACME).await;
    let b = sim.deployment("Region2", ACME).await;
    let nowhere = sim.deployment("Nowhere", "ghost.us.qlik.localhost").await;
    let r = sim.test_conn(&nowhere).await;
    assert_eq!(r["success"], false);
    assert!(
        r["message"]
            .as_str()
            .unwrap()
            .starts_with("cannot reach https://ghost.us.qlik.localhost"),
        "{r}"
    );
    let r = sim.test_conn(&a).await;
    assert_eq!(r["success"], false);
    assert!(
        r["message"]
            .as_str()
            .unwrap()
            .contains("no active Multi-cloud identity provider"),
        "{r}"
    );
    sim.trust(ACME, &a).await;
    let r = sim.test_conn(&a).await;
    assert_eq!(r["success"], true, "{r}");
    let r = sim.test_conn(&b).await;
    assert_eq!(r["success"], false);
    let m = r["message"].as_str().unwrap();
    assert!(m.contains(&format!("trusts deployment {a}")), "{m}");
    // the bare address is the source tenant, as in routing
    let bare = sim.deployment("Bare", "127.0.0.1:9").await;
    let r = sim.test_conn(&bare).await;
    assert!(
        r["message"].as_str().unwrap().contains("trusts deployment"),
        "{r}"
    );
    // a tampered key: the IdP names the right kid but holds another deployment's PEM
    let other_pem = sim
        .st
        .qseow
        .deployments
        .iter()
        .find(|d| d.id == b)
        .unwrap()
        .public_pem
        .clone();
    let t = sim
        .st
        .tenants
        .iter_mut()
        .find(|t| t.host() == ACME)
        .unwrap();
    let idp = t
        .identity
        .idps
        .iter_mut()
        .find(|i| i.protocol() == "qsefw-local-bearer-token")
        .unwrap();
    idp.fields["options"]["staticKeys"][0]["pem"] = json!(other_pem);
    let r = sim.test_conn(&a).await;
    assert_eq!(r["success"], false);
    assert!(
        r["message"]
            .as_str()
            .unwrap()
            .contains("signature verification failed"),
        "{r}"
    );
    // a disabled tenant
    sim.st
        .tenants
        .iter_mut()
        .find(|t| t.host() == ACME)
        .unwrap()
        .status = "disabled".into();
    let r = sim.test_conn(&a).await;
    assert!(r["message"].as_str().unwrap().contains("disabled"), "{r}");
    assert_eq!(
        sim.site(
            "POST",
            "/api/hds/v1/Deployments/nope/actions/test",
            json!({})
        )
        .await
        .status,
        404
    );
}

#[tokio::test]
async fn client_credentials_deployment() {
    let mut sim = Sim::new();
    let c = sim
        .tenant(ACME, "POST", "/api/v1/oauth-clients", json!({"appType": "web", "clientName": "hds", "allowedGrantTypes": ["client_credentials"], "allowedScopes": ["user_default"]}))
        .await;
    assert!(c.status == 200 || c.status == 201, "{}", c.text);
    let cid = c.body["clientId"].as_str().unwrap().to_string();
    let secret = c.body["clientSecret"].as_str().unwrap().to_string();
    let mk = |s: &str| {
        json!({"name": format!("CC {s}"), "serviceUrl": "https://acme.us.qlik.localhost", "audience": "qlik.api", "localBearerToken": false,
                  "clientId": cid, "clientSecret": s, "authenticationUrl": "https://acme.us.qlik.localhost/oauth/token"})
    };
    let good = sim
        .site("POST", "/api/hds/v1/Deployments", mk(&secret))
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let bad = sim
        .site("POST", "/api/hds/v1/Deployments", mk("wrong"))
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = sim.test_conn(&good).await;
    assert_eq!(r["success"], true, "{r}");
    let r = sim.test_conn(&bad).await;
    assert_eq!(r["success"], false);
    assert!(
        r["message"]
            .as_str()
            .unwrap()
            .contains("refused the client credentials"),
        "{r}"
    );
}

#[tokio::test]
async fn publish_distributes_to_matched_tenants_only() {
    let mut sim = Sim::new();
    let beta = sim.two_trusted_regions().await;
    assert_eq!(
        sim.policy("to Region1", "((subject.name=\"Region1\"))")
            .await
            .status,
        201
    );
    let before_acme = sim.staged(ACME).len();
    let a = sim.publish("Draft Analysis", "Sales").await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body["published"], true);
    assert_eq!(a.body["stream"]["name"], "Sales");
    assert_eq!(sim.staged(ACME).len(), before_acme + 1);
    assert!(sim.staged(&beta).is_empty());
    let t = sim.st.tenant_by_host(ACME).unwrap();
    let staged = t.apps.iter().find(|x| x.name == "Draft Analysis").unwrap();
    assert_eq!(staged.owner_id, "");
    assert!(staged.space_id.is_none());
    assert!(staged.published);
    let staged_id = staged.id.clone();
    // visible through the tenant's APIs
    let got = sim
        .tenant(
            ACME,
            "GET",
            &format!("/api/v1/apps/{staged_id}"),
            Value::Null,
        )
        .await;
    assert_eq!(got.status, 200);
    assert_eq!(got.body["attributes"]["published"], true);
    assert_eq!(got.body["attributes"]["ownerId"], "");
    let items = sim
        .tenant(
            ACME,
            "GET",
            "/api/v1/items?resourceType=app&name=draft%20analysis",
            Value::Null,
        )
        .await;
    assert_eq!(items.status, 200);
    assert_eq!(items.body["data"][0]["resourceId"], staged_id.as_str());
    assert_eq!(items.body["data"][0]["resourceType"], "app");
    // publishing twice is refused
    assert_eq!(sim.publish("Draft Analysis", "Sales").await.status, 400);
    // the record
    let recs = sim
        .call(
            "GET",
            "x.qlik.localhost",
            "/_sim/qseow/distributions",
            &[],
            "",
        )
        .await
        .body;
    assert_eq!(recs.as_array().unwrap().len(), 1);
    assert_eq!(recs[0]["distributionStatus"], "Success");
    assert_eq!(recs[0]["targetAppId"], staged_id.as_str());
    assert_eq!(recs[0]["deploymentName"], "Region1");
}

#[tokio::test]
async fn custom_property_routing_and_redistribution() {
    let mut sim = Sim::new();
    let beta = sim.two_trusted_regions().await;
    assert_eq!(
        sim.policy("by SendTo", "resource.@SendTo = subject.name")
            .await
            .status,
        201
    );
    let send_to = sim.id_of(&sim.st.qseow.cpds.clone(), "SendTo");
    let tags = sim
        .site(
            "POST",
            "/qrs/custompropertydefinition",
            json!({"name": "Tags", "objectTypes": ["App"]}),
        )
        .await
        .body["id"]
        .clone();
    // an unpublished app goes nowhere, whatever its properties say
    let id = sim.app_id("Draft Analysis");
    let app = sim
        .site("GET", &format!("/qrs/app/{id}"), Value::Null)
        .await
        .body;
    let mut e = app.clone();
    e["customProperties"] = json!([{"value": "Region2", "definition": {"id": send_to}},
                                   {"value": "finance", "definition": {"id": tags}}]);
    let a = sim.site("PUT", &format!("/qrs/app/{id}"), e).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert!(sim.st.qseow.distributions.is_empty());
    let acme_before = sim.staged(ACME).len();
    // published: only Region2's tenant gets it, with its tag
    assert_eq!(sim.publish("Draft Analysis", "Finance").await.status, 200);
    assert_eq!(sim.staged(&beta), vec!["Draft Analysis".to_string()]);
    assert_eq!(sim.staged(ACME).len(), acme_before);
    let t = sim.st.tenant_by_host(&beta).unwrap();
    assert_eq!(t.apps[0].tags, vec!["finance".to_string()]);
    let target = t.apps[0].id.clone();
    // a change of the published app re-stages onto the same target app
    let cur = sim
        .site("GET", &format!("/qrs/app/{id}"), Value::Null)
        .await
        .body;
    let mut e = cur.clone();
    e["name"] = json!("Draft Analysis v2");
    assert_eq!(
        sim.site("PUT", &format!("/qrs/app/{id}"), e).await.status,
        200
    );
    let t = sim.st.tenant_by_host(&beta).unwrap();
    assert_eq!(t.apps.len(), 1);
    assert_eq!(t.apps[0].id, target);
    assert_eq!(t.apps[0].name, "Draft Analysis v2");
    assert_eq!(sim.st.qseow.distributions.len(), 1);
    // routing to both: Region1 added
    let cur = sim
        .site("GET", &format!("/qrs/app/{id}"), Value::Null)
        .await
        .body;
    let mut e = cur.clone();
    let mut cps = cur["customProperties"].as_array().unwrap().clone();
    cps.push(json!({"value": "Region1", "definition": {"id": send_to}}));
    e["customProperties"] = Value::Array(cps);
    assert_eq!(
        sim.site("PUT", &format!("/qrs/app/{id}"), e).await.status,
        200
    );
    assert_eq!(sim.staged(&beta).len(), 1);
    assert_eq!(sim.staged(ACME).len(), acme_before + 1);
    assert_eq!(sim.st.qseow.distributions.len(), 2);
    // the other seeded apps (no SendTo) were never distributed
    assert!(sim
        .st
        .qseow
        .distributions
        .iter()
        .all(|r| r.source_app_id == id));
}

#[tokio::test]
async fn failure_is_recorded_and_admin_publish() {
    let mut sim = Sim::new();
    let beta = sim.add_beta();
    sim.deployment("Region2", &beta).await; // no IdP on beta
    assert_eq!(sim.policy("all", "").await.status, 201);
    let a = sim
        .call(
            "POST",
            "anything",
            "/_sim/qseow/publish",
            &[],
            &json!({"app": "draft analysis", "stream": "Everyone"}).to_string(),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body["app"]["published"], true);
    assert_eq!(a.body["distributions"][0]["distributionStatus"], "Failure");
    assert!(a.body["distributions"][0]["errorMessage"]
        .as_str()
        .unwrap()
        .contains("Multi-cloud"));
    assert!(sim.staged(&beta).is_empty());
    let a = sim
        .call(
            "POST",
            "anything",
            "/_sim/qseow/publish",
            &[],
            &json!({"app": "draft analysis", "stream": "Everyone"}).to_string(),
        )
        .await;
    assert_eq!(a.status, 400);
    let a = sim
        .call(
            "POST",
            "anything",
            "/_sim/qseow/publish",
            &[],
            &json!({"app": "nope", "stream": "Everyone"}).to_string(),
        )
        .await;
    assert_eq!(a.status, 404);
    let st = sim
        .call("GET", "anything", "/_sim/state", &[], "")
        .await
        .body;
    assert_eq!(st["qseow"]["deployments"], 1);
    assert_eq!(st["qseow"]["distributions"], 1);
    assert_eq!(st["qseow"]["streams"], 3);
}

#[tokio::test]
async fn garbage_never_panics() {
    let mut sim = Sim::new();
    let paths = [
        "/qrs",
        "/qrs/",
        "/qrs/app/x/y/z",
        "/qrs/app/full?filter=%27",
        "/qrs/app?filter=((((",
        "/qrs/app?orderby=",
        "/api/hds/v1/Deployments/x/elastictokenconfig",
        "/api/hds/v1/Deployments/x/actions/test",
        "/api/hds",
        "/",
    ];
    for p in paths {
        for m in ["GET", "POST", "PUT", "DELETE", "PATCH"] {
            for body in [
                Value::Null,
                json!("x"),
                json!({"name": 1}),
                json!({"customProperties": [1]}),
            ] {
                let _ = sim.site(m, p, body).await;
            }
        }
    }
    let id = sim.app_id("Sales Dashboard");
    for body in [
        json!({"customProperties": [{"definition": {"id": 5}}]}),
        json!({"name": ""}),
        json!({"modifiedDate": 3}),
    ] {
        let a = sim.site("PUT", &format!("/qrs/app/{id}"), body).await;
        assert!(a.status == 400 || a.status == 409, "{}", a.status);
    }
}

#[tokio::test]
async fn reload_redistributes_a_policy_alone_waits_and_delete_withdraws() {
    let mut sim = Sim::new();
    let beta = sim.two_trusted_regions().await;
    let id = sim.app_id("Sales Dashboard");
    // the seeded app was published before any policy: the policy alone moves nothing
    assert_eq!(
        sim.policy("to Region2", "subject.name = \"Region2\"")
            .await
            .status,
        201
    );
    assert!(sim.st.qseow.distributions.is_empty());
    assert!(!sim.staged(&beta).contains(&"Sales Dashboard".to_string()));
    // a reload is a trigger: 204, and the copy (with the app's id) arrives
    let r = sim
        .site("POST", &format!("/qrs/app/{id}/reload"), Value::Null)
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert!(r.text.is_empty());
    let t = sim.st.tenant_by_host(&beta).unwrap();
    assert!(t
        .apps
        .iter()
        .any(|a| a.id == id && a.name == "Sales Dashboard"));
    let app = sim
        .site("GET", &format!("/qrs/app/{id}"), Value::Null)
        .await
        .body;
    let rec = &sim.st.qseow.distributions[0];
    assert_eq!(rec.app_modified, app["modifiedDate"].as_str().unwrap());
    assert_eq!(rec.app_reload, app["lastReloadTime"].as_str().unwrap());
    // reloading an unknown app
    let missing = sim.site("POST", "/qrs/app/nope/reload", Value::Null).await;
    assert_eq!(missing.status, 404);
    // a move to a stream that does not exist is refused
    let mut e = app.clone();
    e["stream"] = json!({"id": "nope"});
    assert_eq!(
        sim.site("PUT", &format!("/qrs/app/{id}"), e).await.status,
        400
    );
    // deleting the app withdraws its copy and forgets the record
    let d = sim
        .site("DELETE", &format!("/qrs/app/{id}"), Value::Null)
        .await;
    assert_eq!(d.status, 204);
    let t = sim.st.tenant_by_host(&beta).unwrap();
    assert!(!t.apps.iter().any(|a| a.id == id));
    assert!(sim.st.qseow.distributions.is_empty());
    assert_eq!(
        sim.site("GET", &format!("/qrs/app/{id}"), Value::Null)
            .await
            .status,
        404
    );
}
