//! End-to-end tests (through the router) of callers, API keys, tenant OAuth clients, the extra
//! token grants and identity providers.

use super::jwt::tests::{ec_pair, rsa_jwk, sign_es, sign_rs, RSA_PUBLIC_PEM};
use super::tenants;
use super::test_support::{bearer, body_text, read_json_blocking, Answer, Sim};
use crate::wire;
use serde_json::{json, Value};

const ACME: &str = "acme.us.qlik.localhost:8080";
const OTHER: &str = "other.us.qlik.localhost";

/// The seeded simulator with a second tenant `other.us.qlik.localhost`.
fn sim_with_other() -> Sim {
    let mut sim = Sim::new();
    let us = crate::regions::by_code("us").unwrap();
    let other = tenants::new_tenant(
        "OtherTenantId0000000000000000000".into(),
        "other",
        us,
        us.datacenter,
        "1",
        "k",
        "p",
        sim.st.now(),
    );
    sim.st.tenants.push(other);
    sim
}

impl Sim {
    /// A blocking call with a JSON body (`Null`: none).
    fn send(
        &mut self,
        method: &str,
        host: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: &Value,
    ) -> Answer {
        self.call_blocking(method, host, target, headers, &body_text(body))
    }

    fn api(&mut self, method: &str, target: &str, tok: &str, body: Value) -> Answer {
        self.send(
            method,
            ACME,
            target,
            &[("authorization", &bearer(tok))],
            &body,
        )
    }

    fn token_body(&mut self, host: &str, body: Value) -> Answer {
        self.send(
            "POST",
            host,
            "/oauth/token",
            &[("content-type", "application/json")],
            &body,
        )
    }

    /// The region client's bot on acme (TenantAdmin).
    fn admin(&mut self) -> String {
        let body = self.client_credentials("us");
        self.token_body(ACME, body).body["access_token"]
            .as_str()
            .unwrap()
            .to_string()
    }

    fn user_id(&self, name: &str) -> String {
        let t = self.st.tenant(&self.st.source_tenant_id).unwrap();
        t.users.iter().find(|u| u.name == name).unwrap().id.clone()
    }
}

#[test]
fn api_keys_act_as_their_user_with_its_roles() {
    let mut sim = sim_with_other();
    let admin = sim.admin();
    let carol = sim.user_id("Carol Consumer");
    let r = sim.api(
        "POST",
        "/api/v1/api-keys",
        &admin,
        json!({"description": "carol's", "sub": carol, "expiry": "P7D"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["sub"], carol.as_str());
    assert_eq!(r.body["subType"], "user");
    assert_eq!(r.body["status"], "active");
    let key = r.body["token"].as_str().unwrap().to_string();
    let key_id = r.body["id"].as_str().unwrap().to_string();
    // acting as Carol: /users/me is Carol, admin-only endpoints are 403
    let me = sim.api("GET", "/api/v1/users/me", &key, Value::Null);
    assert_eq!(me.status, 301);
    assert!(me.headers["location"].to_str().unwrap().ends_with(&carol));
    assert_eq!(
        sim.api("GET", "/api/v1/oauth-clients", &key, Value::Null)
            .status,
        403
    );
    assert_eq!(
        sim.api(
            "POST",
            "/api/v1/users",
            &key,
            json!({"name": "x", "subject": "x"})
        )
        .status,
        403
    );
    let idp = sim.api("POST", "/api/v1/identity-providers", &key, json!({}));
    assert_eq!(idp.status, 403);
    assert_eq!(
        idp.body["errors"][0]["code"],
        wire::IDENTITIES_FORBIDDEN_CODE
    );
    assert_eq!(
        sim.api("PUT", "/api/v1/licenses/settings", &key, json!({}))
            .status,
        403
    );
    // Carol may create her own key, not one for somebody else
    assert_eq!(
        sim.api(
            "POST",
            "/api/v1/api-keys",
            &key,
            json!({"description": "mine"})
        )
        .status,
        201
    );
    let alice = sim.user_id("Alice Admin");
    assert_eq!(
        sim.api(
            "POST",
            "/api/v1/api-keys",
            &key,
            json!({"description": "x", "sub": alice})
        )
        .status,
        403
    );
    // validation
    assert_eq!(
        sim.api("POST", "/api/v1/api-keys", &admin, json!({}))
            .status,
        400
    );
    assert_eq!(
        sim.api(
            "POST",
            "/api/v1/api-keys",
            &admin,
            json!({"description": "d", "expiry": "P2Y"})
        )
        .status,
        400
    );
    assert_eq!(
        sim.api(
            "POST",
            "/api/v1/api-keys",
            &admin,
            json!({"description": "d", "expiry": "7 days"})
        )
        .status,
        400
    );
    // listing pages with startingAfter, never shows tokens
    let page = sim.api("GET", "/api/v1/api-keys?limit=1", &admin, Value::Null);
    assert_eq!(page.status, 200);
    assert_eq!(page.body["data"].as_array().unwrap().len(), 1);
    assert!(page.body["data"][0].get("token").is_none());
    let next = page.body["links"]["next"]["href"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(next.contains("startingAfter="), "{next}");
    let p2 = sim.api(
        "GET",
        &next[next.find("/api").unwrap()..],
        &admin,
        Value::Null,
    );
    assert_eq!(p2.body["data"].as_array().unwrap().len(), 1);
    assert_ne!(p2.body["data"][0]["id"], page.body["data"][0]["id"]);
    assert!(p2.body["links"]["prev"]["href"]
        .as_str()
        .unwrap()
        .contains("endingBefore="));
    let mine = sim.api("GET", "/api/v1/api-keys", &key, Value::Null);
    assert!(mine.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .all(|k| k["sub"] == carol.as_str()));
    // the key works on its own tenant only
    let other = sim.send(
        "GET",
        OTHER,
        "/api/v1/users",
        &[("authorization", &format!("Bearer {key}"))],
        &Value::Null,
    );
    assert_eq!(other.status, 401);
    // revoked -> 401
    assert_eq!(
        sim.api(
            "DELETE",
            &format!("/api/v1/api-keys/{key_id}"),
            &admin,
            Value::Null
        )
        .status,
        204
    );
    let after = sim.api("GET", "/api/v1/users/me", &key, Value::Null);
    assert_eq!(after.status, 401);
    assert!(after.body["errors"][0]["detail"]
        .as_str()
        .unwrap()
        .contains("revoked"));
    let listed = sim.api(
        "GET",
        &format!("/api/v1/api-keys/{key_id}"),
        &admin,
        Value::Null,
    );
    assert_eq!(listed.body["status"], "revoked");
    // expired -> 401
    let r = sim.api(
        "POST",
        "/api/v1/api-keys",
        &admin,
        json!({"description": "short", "expiry": "PT1H"}),
    );
    let short = r.body["token"].as_str().unwrap().to_string();
    assert_eq!(
        sim.api("GET", "/api/v1/users/actions/count", &short, Value::Null)
            .status,
        200
    );
    let t = sim
        .st
        .tenants
        .iter_mut()
        .find(|t| t.name == "acme")
        .unwrap();
    t.identity.api_keys.last_mut().unwrap().expiry_ms = 0;
    assert_eq!(
        sim.api("GET", "/api/v1/users/actions/count", &short, Value::Null)
            .status,
        401
    );
    let state = read_json_blocking(super::admin::state(&sim.st).unwrap());
    assert_eq!(state["tenants"][0]["apiKeys"], 3);
}

fn m2m(sim: &mut Sim, admin: &str, extra: Value) -> Value {
    let mut body = json!({"appType": "web", "clientName": "Provisioner",
        "allowedGrantTypes": ["client_credentials", wire::GRANT_IMPERSONATION],
        "allowedScopes": ["user_default"], "connectionConfig": {"consentMethod": "trusted"}});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let r = sim.api("POST", "/api/v1/oauth-clients", admin, body);
    assert_eq!(r.status, 201, "{}", r.body);
    r.body
}

#[test]
fn tenant_oauth_clients_and_their_grants() {
    let mut sim = sim_with_other();
    let admin = sim.admin();
    assert_eq!(
        sim.api(
            "POST",
            "/api/v1/oauth-clients",
            &admin,
            json!({"appType": "web"})
        )
        .status,
        400
    );
    assert_eq!(
        sim.api(
            "POST",
            "/api/v1/oauth-clients",
            &admin,
            json!({"clientName": "x"})
        )
        .status,
        400
    );
    let bad = sim.api(
        "POST",
        "/api/v1/oauth-clients",
        &admin,
        json!({"appType": "spa", "clientName": "x", "allowedGrantTypes": ["client_credentials"]}),
    );
    assert_eq!(bad.status, 400);
    assert_eq!(
        bad.body["errors"][0]["code"],
        wire::OAUTH_CLIENTS_BAD_REQUEST_CODE
    );
    assert!(bad.body.get("traceId").is_none());
    let c = m2m(&mut sim, &admin, json!({}));
    let id = c["clientId"].as_str().unwrap().to_string();
    let secret = c["clientSecret"].as_str().unwrap().to_string();
    assert_eq!(id.len(), 32);
    assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(c["createdByType"], "user");
    assert_eq!(c["clientSecrets"].as_array().unwrap().len(), 1);
    let got = sim.api(
        "GET",
        &format!("/api/v1/oauth-clients/{id}"),
        &admin,
        Value::Null,
    );
    assert_eq!(got.status, 200);
    assert!(got.body.get("clientSecret").is_none());
    let list = sim.api(
        "GET",
        "/api/v1/oauth-clients?filter=clientName%20eq%20%22provisioner%22&totalResults=true",
        &admin,
        Value::Null,
    );
    assert_eq!(list.body["totalResults"], 1);
    // client credentials on its own tenant: its bot, named after the client
    let tok = sim.token_body(
        ACME,
        json!({"client_id": id, "client_secret": secret, "grant_type": "client_credentials"}),
    );
    assert_eq!(tok.status, 200, "{}", tok.body);
    let tok = tok.body["access_token"].as_str().unwrap().to_string();
    let t = sim.st.tenant(&sim.st.source_tenant_id).unwrap();
    let bot = t
        .users
        .iter()
        .find(|u| u.client_id.as_deref() == Some(id.as_str()))
        .unwrap();
    assert_eq!(bot.name, "Provisioner");
    assert!(t.is_tenant_admin(&bot.id));
    assert_eq!(
        sim.api("GET", "/api/v1/oauth-clients", &tok, Value::Null)
            .status,
        200
    );
    // other tenant, wrong secret
    let body =
        json!({"client_id": id, "client_secret": secret, "grant_type": "client_credentials"});
    assert_eq!(sim.token_body(OTHER, body).status, 401);
    assert_eq!(
        sim.token_body(
            ACME,
            json!({"client_id": id, "client_secret": "nope", "grant_type": "client_credentials"})
        )
        .status,
        401
    );
    // impersonation
    let carol = sim.user_id("Carol Consumer");
    let subject = sim
        .st
        .tenant(&sim.st.source_tenant_id)
        .unwrap()
        .user(&carol)
        .unwrap()
        .subject
        .clone();
    let imp = sim.token_body(
        ACME,
        json!({"client_id": id, "client_secret": secret, "grant_type": wire::GRANT_IMPERSONATION,
        "user_lookup": {"field": "subject", "value": subject}}),
    );
    assert_eq!(imp.status, 200, "{}", imp.body);
    let imp = imp.body["access_token"].as_str().unwrap().to_string();
    let me = sim.api("GET", "/api/v1/users/me", &imp, Value::Null);
    assert!(me.headers["location"].to_str().unwrap().ends_with(&carol));
    assert_eq!(
        sim.api("GET", "/api/v1/oauth-clients", &imp, Value::Null)
            .status,
        403
    );
    let by_id = sim.token_body(
        ACME,
        json!({"client_id": id, "client_secret": secret, "grant_type": wire::GRANT_IMPERSONATION,
        "user_lookup": {"field": "userId", "value": carol}}),
    );
    assert_eq!(by_id.status, 200);
    let unknown = sim.token_body(
        ACME,
        json!({"client_id": id, "client_secret": secret, "grant_type": wire::GRANT_IMPERSONATION,
        "user_lookup": {"field": "userId", "value": "000000000000000000000000"}}),
    );
    assert_eq!(unknown.status, 400);
    // a client without the impersonation grant
    let plain = m2m(
        &mut sim,
        &admin,
        json!({"clientName": "Plain", "allowedGrantTypes": ["client_credentials"]}),
    );
    let r = sim.token_body(ACME, json!({"client_id": plain["clientId"], "client_secret": plain["clientSecret"],
        "grant_type": wire::GRANT_IMPERSONATION, "user_lookup": {"field": "userId", "value": carol}}));
    assert_eq!(r.status, wire::TOKEN_UNAUTHORIZED_CLIENT_STATUS);
    // secrets: at most 5
    for _ in 0..4 {
        let s = sim.api(
            "POST",
            &format!("/api/v1/oauth-clients/{id}/client-secrets"),
            &admin,
            Value::Null,
        );
        assert_eq!(s.status, 201);
        assert_eq!(s.body["clientId"], id.as_str());
    }
    let sixth = sim.api(
        "POST",
        &format!("/api/v1/oauth-clients/{id}/client-secrets"),
        &admin,
        Value::Null,
    );
    assert_eq!(sixth.status, 409);
    let hint = secret[secret.len() - 4..].to_string();
    assert_eq!(
        sim.api(
            "DELETE",
            &format!("/api/v1/oauth-clients/{id}/client-secrets/{hint}"),
            &admin,
            Value::Null
        )
        .status,
        204
    );
    assert_eq!(
        sim.token_body(
            ACME,
            json!({"client_id": id, "client_secret": secret, "grant_type": "client_credentials"})
        )
        .status,
        401
    );
    // patch
    let p = sim.api("PATCH", &format!("/api/v1/oauth-clients/{id}"), &admin,
        json!([{"op": "replace", "path": "/description", "value": "d"}, {"op": "add", "path": "/redirectUris/-", "value": "https://x/cb"}]));
    assert_eq!(p.status, 204, "{}", p.body);
    let got = sim.api(
        "GET",
        &format!("/api/v1/oauth-clients/{id}"),
        &admin,
        Value::Null,
    );
    assert_eq!(got.body["redirectUris"], json!(["https://x/cb"]));
    assert_eq!(
        sim.api(
            "PATCH",
            &format!("/api/v1/oauth-clients/{id}"),
            &admin,
            json!([{"op": "replace", "path": "/appType", "value": "spa"}])
        )
        .status,
        400
    );
    // delete needs the confirmation header
    let path = format!("/api/v1/oauth-clients/{id}");
    let missing = sim.api("DELETE", &path, &admin, Value::Null);
    assert_eq!(missing.status, 412);
    assert_eq!(
        missing.body["errors"][0]["code"],
        wire::OAUTH_CLIENTS_CONFIRM_CODE
    );
    let auth = format!("Bearer {admin}");
    let wrong = sim.send(
        "DELETE",
        ACME,
        &path,
        &[("authorization", &auth), ("qlik-confirm-delete", "other")],
        &Value::Null,
    );
    assert_eq!(wrong.status, 412);
    let state = read_json_blocking(super::admin::state(&sim.st).unwrap());
    assert_eq!(
        state["tenants"][0]["oauthClients"][0]["clientName"],
        "Provisioner"
    );
    assert!(!state.to_string().contains(&secret[..20]));
    let del = sim.send(
        "DELETE",
        ACME,
        &path,
        &[("authorization", &auth), ("qlik-confirm-delete", &id)],
        &Value::Null,
    );
    assert_eq!(del.status, 204);
    assert_eq!(sim.api("GET", &path, &admin, Value::Null).status, 404);
    assert_eq!(
        sim.api("GET", "/api/v1/users/actions/count", &tok, Value::Null)
            .status,
        401
    );
}

#[test]
fn private_key_jwt_authenticates_tenant_clients() {
    let mut sim = sim_with_other();
    let admin = sim.admin();
    let (pair, ec) = ec_pair();
    let c = m2m(
        &mut sim,
        &admin,
        json!({"allowedAuthMethods": ["private_key_jwt"], "publicKeys": [ec, rsa_jwk("r1", "RS256")]}),
    );
    assert!(c.get("clientSecret").is_none());
    let id = c["clientId"].as_str().unwrap().to_string();
    let now = sim.st.now() / 1000;
    let claims = |jti: &str, aud: &str| json!({"iss": id, "sub": id, "aud": aud, "jti": jti, "iat": now, "exp": now + 300});
    let body = |a: String| {
        json!({"client_id": id, "grant_type": "client_credentials",
        "client_assertion_type": wire::CLIENT_ASSERTION_TYPE, "client_assertion": a})
    };
    let ok = sim.token_body(
        ACME,
        body(sign_es(
            &pair,
            "ec1",
            &claims("j1", "http://acme.us.qlik.localhost:8080/oauth/token"),
        )),
    );
    assert_eq!(ok.status, 200, "{}", ok.body);
    // https form of the audience, RSA key, client_id omitted
    let mut b = body(sign_rs(
        "RS256",
        "r1",
        &claims("j2", "https://acme.us.qlik.localhost/oauth/token"),
    ));
    b.as_object_mut().unwrap().remove("client_id");
    assert_eq!(sim.token_body(ACME, b).status, 200);
    // replayed jti, wrong audience, unknown kid, a secret instead, wrong assertion type
    let replay = sim.token_body(
        ACME,
        body(sign_es(
            &pair,
            "ec1",
            &claims("j1", "http://acme.us.qlik.localhost:8080/oauth/token"),
        )),
    );
    assert_eq!(replay.status, 401);
    assert!(replay.body["errors"][0]["detail"]
        .as_str()
        .unwrap()
        .contains("jti"));
    let aud = sim.token_body(
        ACME,
        body(sign_es(
            &pair,
            "ec1",
            &claims("j3", "https://acme.us.qlik.localhost/oauth/token/"),
        )),
    );
    assert_eq!(aud.status, 401);
    assert_eq!(
        sim.token_body(
            ACME,
            body(sign_es(
                &pair,
                "zz",
                &claims("j4", "https://acme.us.qlik.localhost/oauth/token")
            ))
        )
        .status,
        401
    );
    let exp = json!({"iss": id, "sub": id, "aud": "https://acme.us.qlik.localhost/oauth/token", "jti": "j5", "exp": now - 10});
    assert_eq!(
        sim.token_body(ACME, body(sign_es(&pair, "ec1", &exp)))
            .status,
        401
    );
    assert_eq!(
        sim.token_body(
            ACME,
            json!({"client_id": id, "client_secret": "x", "grant_type": "client_credentials"})
        )
        .status,
        401
    );
    let mut b = body(sign_es(
        &pair,
        "ec1",
        &claims("j6", "https://acme.us.qlik.localhost/oauth/token"),
    ));
    b["client_assertion_type"] = json!("jwt");
    assert_eq!(sim.token_body(ACME, b).status, 400);
    // bad keys are refused at create
    let r = sim.api(
        "POST",
        "/api/v1/oauth-clients",
        &admin,
        json!({"appType": "web", "clientName": "k",
        "publicKeys": [{"kid": "a", "kty": "RSA", "alg": "ES384"}]}),
    );
    assert_eq!(r.status, 400);
}

fn jwt_idp() -> Value {
    json!({"protocol": "jwtAuth", "provider": "external", "interactive": false, "active": true,
           "description": "jwt", "options": {"issuer": "https://issuer.example", "staticKeys": [{"kid": "k1", "pem": RSA_PUBLIC_PEM}]}})
}

#[test]
fn identity_providers_validate_per_protocol() {
    let mut sim = sim_with_other();
    let admin = sim.admin();
    let tid = sim.st.source_tenant_id.clone();
    let r = sim.api("POST", "/api/v1/identity-providers", &admin, jwt_idp());
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(
        r.headers[wire::IDP_POPTS_HEADER].to_str().unwrap().len(),
        36
    );
    assert_eq!(r.body["tenantIds"], json!([tid]));
    let jwt_id = r.body["id"].as_str().unwrap().to_string();
    // jwtAuth: exactly one key, a real public key PEM, provider external
    let mut two = jwt_idp();
    two["options"]["staticKeys"] =
        json!([{"kid": "a", "pem": RSA_PUBLIC_PEM}, {"kid": "b", "pem": RSA_PUBLIC_PEM}]);
    assert_eq!(
        sim.api("POST", "/api/v1/identity-providers", &admin, two)
            .status,
        400
    );
    let mut pem = jwt_idp();
    pem["options"]["staticKeys"][0]["pem"] = json!("not a pem");
    let bad = sim.api("POST", "/api/v1/identity-providers", &admin, pem);
    assert_eq!(bad.status, 400);
    assert_eq!(bad.body["errors"][0]["status"], 400);
    assert_eq!(
        bad.body["errors"][0]["code"],
        wire::IDENTITIES_BAD_REQUEST_CODE
    );
    let mut prov = jwt_idp();
    prov["provider"] = json!("okta");
    assert_eq!(
        sim.api("POST", "/api/v1/identity-providers", &admin, prov)
            .status,
        400
    );
    let mut foreign = jwt_idp();
    foreign["tenantIds"] = json!(["someone-else"]);
    assert_eq!(
        sim.api("POST", "/api/v1/identity-providers", &admin, foreign)
            .status,
        403
    );
    let mut mine = jwt_idp();
    mine["tenantIds"] = json!([tid]);
    assert_eq!(
        sim.api("POST", "/api/v1/identity-providers", &admin, mine)
            .status,
        201
    );
    // multi-cloud: a base64Encoded value no deployment of the site issued is refused, in
    // Qlik's error shape (the issued-token case is in sim::qseow::tests)
    for garbage in ["c29tZS10b2tlbg==", "not base64 at all", "eyJraWQiOiJ4In0="] {
        let a = sim.api("POST", "/api/v1/identity-providers", &admin, json!({"provider": "qlik", "protocol": wire::MULTICLOUD_PROTOCOL,
            "interactive": false, "tenantIds": [tid], "description": "qseow", "base64Encoded": garbage}));
        assert_eq!(a.status, 400, "{}", a.body);
        assert_eq!(a.body["errors"][0]["status"], 400, "{}", a.body);
        assert!(a.body["errors"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("base64Encoded"));
    }
    // ... and the token a deployment of the site issued is accepted
    const XRF: &str = "abcdefghij012345";
    let site = |path: &str| format!("{path}?xrfkey={XRF}&qcsFormat=True");
    let headers = [("x-qlik-xrfkey", XRF), ("content-type", "application/json")];
    let d = sim.send("POST", crate::sim::qseow::HOST, &site("/api/hds/v1/Deployments"), &headers,
        &json!({"name": "Region1", "serviceUrl": format!("https://{ACME}"), "audience": "qlik.api"}));
    assert_eq!(d.status, 201, "{}", d.body);
    let did = d.body["id"].as_str().unwrap().to_string();
    let token = sim.send(
        "GET",
        crate::sim::qseow::HOST,
        &site(&format!("/api/hds/v1/Deployments/{did}/elastictokenconfig")),
        &headers,
        &Value::Null,
    );
    assert_eq!(token.status, 200);
    let a = sim.api("POST", "/api/v1/identity-providers", &admin, json!({"provider": "qlik", "protocol": wire::MULTICLOUD_PROTOCOL,
        "interactive": false, "tenantIds": [tid], "description": "qseow", "base64Encoded": token.text}));
    assert_eq!(a.status, 201, "{}", a.body);
    assert_eq!(a.body["base64Encoded"], token.text.as_str());
    assert_eq!(a.body["options"]["staticKeys"][0]["kid"], did.as_str());
    let b = sim.api("POST", "/api/v1/identity-providers", &admin, json!({"provider": "qlik", "protocol": wire::MULTICLOUD_PROTOCOL,
        "interactive": false, "options": {"issuer": "qseow.example", "staticKeys": [{"kid": "k", "pem": RSA_PUBLIC_PEM}]}}));
    assert_eq!(b.status, 201, "{}", b.body);
    assert_eq!(b.body["options"]["issuer"], "qseow.example");
    assert_eq!(b.body["active"], true);
    assert_eq!(b.body["interactive"], false);
    let neither =
        json!({"provider": "qlik", "protocol": wire::MULTICLOUD_PROTOCOL, "interactive": false});
    assert_eq!(
        sim.api("POST", "/api/v1/identity-providers", &admin, neither)
            .status,
        400
    );
    let wrong =
        json!({"provider": "okta", "protocol": wire::MULTICLOUD_PROTOCOL, "base64Encoded": "x"});
    assert_eq!(
        sim.api("POST", "/api/v1/identity-providers", &admin, wrong)
            .status,
        400
    );
    // OIDC: non-interactive needs options and claimsMapping
    let oidc = json!({"protocol": "OIDC", "provider": "generic", "interactive": false,
        "options": {"openid_configuration": {"issuer": "i", "authorization_endpoint": "a", "token_endpoint": "t", "jwks_uri": "j"},
                    "claimsMapping": {"sub": ["/sub"], "client_id": ["/azp"]}}});
    assert_eq!(
        sim.api("POST", "/api/v1/identity-providers", &admin, oidc.clone())
            .status,
        201
    );
    let mut no_map = oidc.clone();
    no_map["options"]
        .as_object_mut()
        .unwrap()
        .remove("claimsMapping");
    assert_eq!(
        sim.api("POST", "/api/v1/identity-providers", &admin, no_map)
            .status,
        400
    );
    // one active interactive IdP, which cannot be deleted
    let inter = json!({"protocol": "OIDC", "provider": "okta", "interactive": true, "skipVerify": true, "active": true,
        "options": {"discoveryUrl": "https://okta.example/.well-known/openid-configuration"}});
    let i = sim.api("POST", "/api/v1/identity-providers", &admin, inter.clone());
    assert_eq!(i.status, 201, "{}", i.body);
    assert_eq!(
        sim.api("POST", "/api/v1/identity-providers", &admin, inter)
            .status,
        400
    );
    let iid = i.body["id"].as_str().unwrap().to_string();
    assert_eq!(
        sim.api(
            "DELETE",
            &format!("/api/v1/identity-providers/{iid}"),
            &admin,
            Value::Null
        )
        .status,
        400
    );
    let status = sim.api(
        "GET",
        "/api/v1/identity-providers/status",
        &admin,
        Value::Null,
    );
    assert_eq!(status.body["active_interactive_idps_count"], 1);
    assert_eq!(status.body["idps_metadata"].as_array().unwrap().len(), 6);
    // patch: jwtAuth allows only /description
    let path = format!("/api/v1/identity-providers/{jwt_id}");
    assert_eq!(
        sim.api(
            "PATCH",
            &path,
            &admin,
            json!([{"op": "replace", "path": "/description", "value": "new"}])
        )
        .status,
        204
    );
    assert_eq!(
        sim.api(
            "PATCH",
            &path,
            &admin,
            json!([{"op": "replace", "path": "/active", "value": false}])
        )
        .status,
        400
    );
    assert_eq!(
        sim.api("GET", &path, &admin, Value::Null).body["description"],
        "new"
    );
    let oid = sim.api(
        "GET",
        "/api/v1/identity-providers?active=true&limit=100",
        &admin,
        Value::Null,
    );
    assert_eq!(oid.body["data"].as_array().unwrap().len(), 6);
    assert_eq!(
        sim.api(
            "PATCH",
            &format!("/api/v1/identity-providers/{iid}"),
            &admin,
            json!([{"op": "replace", "path": "/options/realm", "value": "r"}])
        )
        .status,
        204
    );
    assert_eq!(sim.api("DELETE", &path, &admin, Value::Null).status, 204);
    assert_eq!(sim.api("GET", &path, &admin, Value::Null).status, 404);
    assert_eq!(
        sim.api(
            "GET",
            "/api/v1/identity-providers/.well-known/metadata.json",
            &admin,
            Value::Null
        )
        .status,
        200
    );
    assert_eq!(
        sim.api(
            "GET",
            "/api/v1/identity-providers/me/meta",
            &admin,
            Value::Null
        )
        .status,
        200
    );
    let state = read_json_blocking(super::admin::state(&sim.st).unwrap());
    assert_eq!(
        state["tenants"][0]["identityProviders"]
            .as_array()
            .unwrap()
            .len(),
        5
    );
}

#[test]
fn rate_limits_are_kept_per_caller() {
    let mut sim = sim_with_other();
    let admin = sim.admin();
    let carol = sim.user_id("Carol Consumer");
    let key = sim.api(
        "POST",
        "/api/v1/api-keys",
        &admin,
        json!({"description": "c", "sub": carol}),
    );
    let key = key.body["token"].as_str().unwrap().to_string();
    let budget = super::limits::Tier::Tier2.budget();
    let patch = json!([{"op": "replace", "path": "/description", "value": "x"}]);
    let mut last = 0;
    // the admin spent one write creating the key
    for _ in 1..budget {
        last = sim
            .api("PATCH", "/api/v1/oauth-clients/none", &admin, patch.clone())
            .status;
    }
    assert_eq!(last, 404);
    assert_eq!(
        sim.api("PATCH", "/api/v1/oauth-clients/none", &admin, patch)
            .status,
        429
    );
    // the API key's user has a budget of its own
    assert_eq!(
        sim.api(
            "POST",
            "/api/v1/api-keys",
            &key,
            json!({"description": "own"})
        )
        .status,
        201
    );
}
