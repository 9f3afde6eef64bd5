//! JWT authorization sessions: `t.jwt_login` against a `jwtAuth` identity provider (user, groups
//! and license made on first login; reads and writes through the session), and every refusal of
//! `POST /login/jwt-session` on the wire, with its status and error body.

use crate::util::{repo_path, Reply, Sim};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use ring::rand::SystemRandom;
use ring::signature::{RsaKeyPair, RSA_PKCS1_SHA256};
use serde_json::{json, Value};
use std::time::{SystemTime, UNIX_EPOCH};

const ISSUER: &str = "https://embed.example.com";

fn rsa_path() -> String {
    repo_path("tests/fixtures/rsa-test-key.pem")
        .display()
        .to_string()
}

fn fixtures() -> String {
    repo_path("tests/fixtures").display().to_string()
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// The RSA test key, read from its PKCS#8 PEM.
fn rsa_key() -> RsaKeyPair {
    let pem = std::fs::read_to_string(rsa_path()).unwrap();
    let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    RsaKeyPair::from_pkcs8(&STANDARD.decode(b64).unwrap()).unwrap()
}

/// A compact RS256 JWS of `claims` with header `header`.
fn sign(header: &Value, claims: &Value) -> String {
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let key = rsa_key();
    let mut sig = vec![0; key.public().modulus_len()];
    key.sign(
        &RSA_PKCS1_SHA256,
        &SystemRandom::new(),
        input.as_bytes(),
        &mut sig,
    )
    .unwrap();
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
}

fn claims(sub: &str, jti: &str) -> Value {
    let t = now();
    json!({
        "iss": ISSUER, "aud": "qlik.api/login/jwt-session", "sub": sub, "subType": "user",
        "name": "Wire User", "email": "wire@example.com", "email_verified": true,
        "jti": jti, "iat": t, "nbf": t, "exp": t + 600, "groups": ["Wire"]
    })
}

fn header(kid: &str) -> Value {
    json!({"alg": "RS256", "kid": kid, "typ": "JWT"})
}

/// The public PEM of the RSA test key, as `public_pem` gives it.
fn public_pem(sim: &Sim) -> String {
    let run = sim.script(
        &format!("print(public_pem(\"{}\"));", rsa_path()),
        &["--allow-path", &fixtures()],
    );
    run.ok();
    assert!(run.stdout.starts_with("-----BEGIN PUBLIC KEY-----\n"));
    run.stdout.trim().to_string()
}

/// Creates a jwtAuth IdP trusting the RSA test key as `kid` under `issuer`.
fn create_idp(sim: &Sim, issuer: &str, kid: &str, pem: &str, extra: Value) -> Reply {
    let mut body = json!({
        "protocol": "jwtAuth", "provider": "external", "interactive": false,
        "options": {"issuer": issuer, "staticKeys": [{"kid": kid, "pem": pem}]}
    });
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    sim.send_json("POST", "/api/v1/identity-providers", &body)
}

fn login(sim: &Sim, token: &str) -> Reply {
    let auth = format!("Bearer {token}");
    sim.http(
        "POST",
        sim.tenant_host(),
        "/login/jwt-session",
        &[("authorization", &auth)],
        None,
    )
}

/// The `Cookie` header a browser would send back after `reply`.
fn cookies(reply: &Reply) -> String {
    reply
        .headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
        .filter_map(|(_, v)| v.split(';').next())
        .collect::<Vec<_>>()
        .join("; ")
}

#[track_caller]
fn assert_refused(reply: &Reply, status: u16, code: &str, detail: &str) {
    assert_eq!(reply.status, status, "{}", reply.body);
    let body = reply.json();
    let e = &body["errors"][0];
    assert_eq!(e["code"], code, "{body}");
    assert_eq!(e["status"], status.to_string(), "{body}");
    assert!(
        e["detail"].as_str().unwrap_or("").contains(detail),
        "{detail:?} not in {body}"
    );
    assert!(body["traceId"].is_string(), "{body}");
}

#[test]
fn jwt_login_creates_the_user_groups_and_license_and_acts_as_them() {
    let sim = Sim::start(&[]);
    let script = format!(
        r#"import "qlik/tenant" as tn;
        let key = "{key}";
        let t = tenant(env("QLIK_TENANT"));
        t.update_group_settings([#{{op: "replace", path: "/autoCreateGroups", value: true}}]);
        t.set_license_settings(#{{autoAssignProfessional: true, autoAssignAnalyzer: false}});
        let pem = public_pem(key);
        pem.replace("\n", "");
        let ann = #{{sub: "ext|ann", name: "Ann Analyst", email: "ann@example.com", groups: ["Sales", "Finance"]}};
        let idp = tn::ensure_idp(t, #{{protocol: "jwtAuth", provider: "external", interactive: false,
            description: "embedding", options: #{{issuer: "{ISSUER}", staticKeys: [#{{kid: "k1", pem: pem}}]}},
            verify: #{{claims: ann, private_key: key}}}});
        print(`idp ${{idp.action}} ${{idp.verified.action}} ${{idp.verified.value.subject}}`);
        print(`again ${{tn::ensure_idp(t, #{{protocol: "jwtAuth", description: "embedding", options: #{{issuer: "{ISSUER}"}}}}).action}}`);
        let s = t.jwt_login(ann, #{{private_key: key, kid: "k1", issuer: "{ISSUER}"}});
        print(`handle ${{s.to_debug()}}`);
        let me = s.me();
        print(`me ${{me.subject}} ${{me.name}} ${{me.email}} ${{me.status}}`);
        let names = me.assignedGroups.map(|g| g.name);
        names.sort();
        print(`groups ${{names}}`);
        let made = t.groups().filter(|g| g.name == "Sales" || g.name == "Finance");
        print(`idp groups ${{made.len()}} ${{made.map(|g| g.providerType)}}`);
        print(`users ${{t.users(`subject eq "ext|ann"`).len()}}`);
        print(`license ${{t.license_assignments(`subject eq "ext|ann"`).map(|a| a.type)}}`);
        try {{ s.create_group(#{{name: "Not yet"}}); }} catch (e) {{ print(`not admin ${{e.status}} ${{e.code}}`); }}
        t.update_user(me.id, [#{{op: "replace", path: "/assignedRoles", value: [#{{name: "TenantAdmin"}}]}}]);
        print(`write ${{s.create_group(#{{name: "Made by Ann"}}).name}}`);
        let later = t.jwt_login(#{{sub: "ext|ann", name: "Ann A.", email: "ann@example.com", groups: ["Sales"]}},
            #{{private_key: key, kid: "k1", issuer: "{ISSUER}"}});
        let again = later.me();
        print(`second ${{again.id == me.id}} ${{again.name}} ${{again.assignedGroups.map(|g| g.name)}}`);
        try {{ t.jwt_login(#{{sub: "x", name: "X", email: "x@example.com"}}, #{{private_key: key, kid: "other", issuer: "{ISSUER}"}}); }}
        catch (e) {{ print(`wrong kid ${{e.status}} ${{e.code}}`); }}
        try {{ t.jwt_login(#{{sub: "x", name: "X", email: "x@example.com", exp: 1000}}, #{{private_key: key, kid: "k1", issuer: "{ISSUER}"}}); }}
        catch (e) {{ print(`expired ${{e.status}} ${{e.code}} ${{e.detail}}`); }}
        try {{ t.jwt_login(#{{sub: "x", name: "X"}}, #{{private_key: key, kid: "k1", issuer: "{ISSUER}"}}); }}
        catch (e) {{ print(`no email ${{e.kind}}`); }}"#,
        key = rsa_path()
    );
    let run = sim.script(&script, &["--allow-path", &fixtures()]);
    run.ok();
    assert_eq!(run.line("idp"), "created verified ext|ann");
    assert_eq!(run.line("again"), "unchanged");
    assert_eq!(run.line("me"), "ext|ann Ann Analyst ann@example.com active");
    assert_eq!(run.line("groups"), r#"["Finance", "Sales"]"#);
    assert_eq!(run.line("idp groups"), r#"2 ["idp", "idp"]"#);
    assert_eq!(run.line("users"), "1");
    assert_eq!(run.line("license"), r#"["professional"]"#);
    assert_eq!(run.line("not admin"), "403 GROUPS-3");
    assert_eq!(run.line("write"), "Made by Ann");
    assert_eq!(run.line("second"), r#"true Ann A. ["Sales"]"#);
    assert_eq!(run.line("wrong kid"), "401 LOGIN-1");
    assert!(run
        .line("expired")
        .starts_with("400 INTERNAL-TOKEN-1 JWT_LOGIN_VALIDATIONS"));
    assert_eq!(run.line("no email"), "usage");
    // The handle shows how it authenticates, never the session's cookies or CSRF token.
    assert_eq!(
        run.line("handle"),
        format!("tenant {} (jwt session)", sim.tenant_host())
    );
    assert!(!run.stdout.contains("_session=") && !run.stderr.contains("_session="));
}

#[test]
fn a_session_reads_and_writes_only_with_its_csrf_token() {
    let sim = Sim::start(&[]);
    let pem = public_pem(&sim);
    // Pasted as Qlik's tutorials paste it: newlines stripped.
    let created = create_idp(&sim, ISSUER, "k1", &pem.replace('\n', ""), json!({}));
    assert_eq!(created.status, 201, "{}", created.body);
    let reply = login(&sim, &sign(&header("k1"), &claims("ext|wire", "j-1")));
    assert_eq!(reply.status, 200, "{}", reply.body);
    let cookie = cookies(&reply);
    for name in ["_session=", "_session.sig=", "_csrfToken="] {
        assert!(cookie.contains(name), "{cookie}");
    }
    let host = sim.tenant_host();
    let me = sim.http(
        "GET",
        host,
        "/api/v1/users/me",
        &[("cookie", &cookie)],
        None,
    );
    assert_eq!(me.status, 301, "{}", me.body);
    let user_path = me.header("location").unwrap().to_string();
    let user_path = &user_path[user_path.find("/api/").unwrap()..];
    let user = sim.http("GET", host, user_path, &[("cookie", &cookie)], None);
    assert_eq!(user.status, 200, "{}", user.body);
    assert_eq!(user.json()["subject"], "ext|wire");
    // Make the user an admin so that a write is allowed once the CSRF check passes.
    let id = user.json()["id"].as_str().unwrap().to_string();
    let patch =
        json!([{"op": "replace", "path": "/assignedRoles", "value": [{"name": "TenantAdmin"}]}]);
    let patched = sim.send_json("PATCH", &format!("/api/v1/users/{id}"), &patch);
    assert_eq!(patched.status, 204, "{}", patched.body);

    let body = json!({"name": "Through the session"}).to_string();
    let json_ct = ("content-type", "application/json");
    let refused = sim.http(
        "POST",
        host,
        "/api/v1/groups",
        &[("cookie", &cookie), json_ct],
        Some(&body),
    );
    assert_refused(&refused, 403, "CSRF-1", "qlik-csrf-token");
    let wrong = sim.http(
        "POST",
        host,
        "/api/v1/groups",
        &[("cookie", &cookie), ("qlik-csrf-token", "guess"), json_ct],
        Some(&body),
    );
    assert_eq!(wrong.status, 403, "{}", wrong.body);
    let csrf = sim.http(
        "GET",
        host,
        "/api/v1/csrf-token",
        &[("cookie", &cookie)],
        None,
    );
    assert_eq!(csrf.status, 204, "{}", csrf.body);
    let token = csrf.header("qlik-csrf-token").unwrap().to_string();
    let made = sim.http(
        "POST",
        host,
        "/api/v1/groups",
        &[("cookie", &cookie), ("qlik-csrf-token", &token), json_ct],
        Some(&body),
    );
    assert_eq!(made.status, 201, "{}", made.body);
    // csrf-token is for sessions only (documented 400 for other auth).
    let bearer = format!("Bearer {}", sim.token(host));
    let other = sim.http(
        "GET",
        host,
        "/api/v1/csrf-token",
        &[("authorization", &bearer)],
        None,
    );
    assert_eq!(other.status, 400, "{}", other.body);
    // A forged session cookie is no session.
    let forged = cookie.replacen("_session=", "_session=x", 1);
    let denied = sim.http("GET", host, "/api/v1/groups", &[("cookie", &forged)], None);
    assert_eq!(denied.status, 401, "{}", denied.body);
}

#[test]
fn every_refusal_has_its_status_and_error_body() {
    let sim = Sim::start(&[]);
    let pem = public_pem(&sim);
    assert_eq!(create_idp(&sim, ISSUER, "k1", &pem, json!({})).status, 201);
    let inactive = create_idp(
        &sim,
        "https://off.example.com",
        "k1",
        &pem.replace('\n', "\\n"),
        json!({"active": false}),
    );
    assert_eq!(inactive.status, 201, "{}", inactive.body);
    let closed = create_idp(
        &sim,
        "https://closed.example.com",
        "k1",
        &pem,
        json!({"createNewUsersOnLogin": false}),
    );
    assert_eq!(closed.status, 201, "{}", closed.body);

    let good = sign(&header("k1"), &claims("ext|once", "j-once"));
    assert_eq!(login(&sim, &good).status, 200);
    assert_refused(
        &login(&sim, &good),
        400,
        "INTERNAL-TOKEN-1",
        "jti has already been used",
    );

    let with = |edit: &dyn Fn(&mut Value), jti: &str| {
        let mut c = claims("ext|other", jti);
        edit(&mut c);
        login(&sim, &sign(&header("k1"), &c))
    };
    let unknown_issuer = with(&|c| c["iss"] = json!("https://nobody.example.com"), "j-2");
    assert_refused(&unknown_issuer, 401, "LOGIN-1", "No JWT identity provider");
    let off = with(&|c| c["iss"] = json!("https://off.example.com"), "j-3");
    assert_refused(&off, 401, "LOGIN-1", "not active");
    let unknown_kid = login(&sim, &sign(&header("k2"), &claims("ext|other", "j-4")));
    assert_refused(&unknown_kid, 401, "LOGIN-1", "kid");

    let mut parts: Vec<String> = sign(&header("k1"), &claims("ext|other", "j-5"))
        .split('.')
        .map(str::to_string)
        .collect();
    let mut tampered = claims("ext|admin", "j-5");
    tampered["name"] = json!("Someone Else");
    parts[1] = URL_SAFE_NO_PAD.encode(tampered.to_string());
    assert_refused(&login(&sim, &parts.join(".")), 401, "LOGIN-1", "signature");

    let hs = format!(
        "{}.{}.AAAA",
        URL_SAFE_NO_PAD.encode(json!({"alg": "HS256", "kid": "k1"}).to_string()),
        URL_SAFE_NO_PAD.encode(claims("ext|other", "j-6").to_string())
    );
    assert_refused(&login(&sim, &hs), 401, "LOGIN-1", "HS256");

    let t = now();
    let expired = with(
        &|c| {
            c["iat"] = json!(t - 7200);
            c["nbf"] = json!(t - 7200);
            c["exp"] = json!(t - 3600);
        },
        "j-7",
    );
    assert_refused(&expired, 400, "INTERNAL-TOKEN-1", "jwt expired");
    let early = with(
        &|c| {
            c["nbf"] = json!(t + 600);
            c["exp"] = json!(t + 1200);
        },
        "j-8",
    );
    assert_refused(&early, 400, "INTERNAL-TOKEN-1", "not active");
    let too_long = with(&|c| c["exp"] = json!(t + 7200), "j-9");
    assert_refused(&too_long, 400, "INTERNAL-TOKEN-1", "3600 seconds");
    let wrong_aud = with(&|c| c["aud"] = json!("qlik.api"), "j-10");
    assert_refused(&wrong_aud, 400, "INTERNAL-TOKEN-1", "aud must be");
    let no_nbf = with(
        &|c| {
            c.as_object_mut().unwrap().remove("nbf");
        },
        "j-11",
    );
    assert_refused(
        &no_nbf,
        400,
        "INTERNAL-TOKEN-1",
        "JWT_LOGIN_VALIDATIONS Missing required claim: nbf",
    );
    let wrong_type = with(&|c| c["subType"] = json!("client"), "j-12");
    assert_refused(&wrong_type, 400, "INTERNAL-TOKEN-1", "subType");
    let no_header = sim.http("POST", sim.tenant_host(), "/login/jwt-session", &[], None);
    assert_refused(&no_header, 401, "LOGIN-1", "Authorization");
    let stranger = with(&|c| c["iss"] = json!("https://closed.example.com"), "j-13");
    assert_refused(&stranger, 403, "AUTH-5", "not a member");

    // Refused logins made nobody: only ext|once exists among the JWT subjects.
    let auth = format!("Bearer {}", sim.token(sim.tenant_host()));
    let users = sim.http(
        "GET",
        sim.tenant_host(),
        "/api/v1/users?filter=subject%20co%20%22ext%7C%22",
        &[("authorization", &auth)],
        None,
    );
    let subjects: Vec<Value> = users.json()["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["subject"].clone())
        .collect();
    assert_eq!(subjects, vec![json!("ext|once")]);
}

#[test]
fn static_keys_are_accepted_in_the_pasted_shapes_and_private_keys_refused() {
    let sim = Sim::start(&[]);
    let pem = public_pem(&sim);
    for (i, shape) in [
        pem.replace('\n', ""),
        pem.replace('\n', "\\n"),
        pem.replace('\n', "\r\n"),
    ]
    .iter()
    .enumerate()
    {
        let issuer = format!("https://shape{i}.example.com");
        let reply = create_idp(&sim, &issuer, "k1", shape, json!({}));
        assert_eq!(reply.status, 201, "{shape:?}: {}", reply.body);
        let mut c = claims(&format!("ext|shape{i}"), &format!("shape-{i}"));
        c["iss"] = json!(issuer);
        assert_eq!(login(&sim, &sign(&header("k1"), &c)).status, 200);
    }
    let private = std::fs::read_to_string(rsa_path()).unwrap();
    let refused = create_idp(&sim, "https://oops.example.com", "k1", &private, json!({}));
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(
        refused.body.contains("never send a private key"),
        "{}",
        refused.body
    );
    assert!(!refused.body.contains(&private[40..80]));
}

#[test]
fn an_es384_key_signs_logins_too() {
    let sim = Sim::start(&[]);
    let ec = repo_path("tests/fixtures/ec384-test-key.pem")
        .display()
        .to_string();
    let script = format!(
        r#"let t = tenant(env("QLIK_TENANT"));
        t.create_idp(#{{protocol: "jwtAuth", provider: "external", interactive: false,
            options: #{{issuer: "https://ec.example.com", staticKeys: [#{{kid: "ec", pem: public_pem("{ec}")}}]}}}});
        let s = t.jwt_login(#{{sub: "ext|eve", name: "Eve", email: "eve@example.com"}},
            #{{private_key: "{ec}", kid: "ec", issuer: "https://ec.example.com"}});
        print(`eve ${{s.me().subject}}`);
        try {{ t.jwt_login(#{{sub: "ext|eve", name: "Eve", email: "eve@example.com"}},
            #{{private_key: "{rsa}", kid: "ec", issuer: "https://ec.example.com"}}); }}
        catch (e) {{ print(`other key ${{e.status}} ${{e.code}}`); }}"#,
        rsa = rsa_path()
    );
    let run = sim.script(&script, &["--allow-path", &fixtures()]);
    run.ok();
    assert_eq!(run.line("eve"), "ext|eve");
    assert_eq!(run.line("other key"), "401 LOGIN-1");
}

#[test]
fn a_dry_run_plans_the_login_and_creates_no_user() {
    let sim = Sim::start(&[]);
    let pem = public_pem(&sim);
    assert_eq!(create_idp(&sim, ISSUER, "k1", &pem, json!({})).status, 201);
    let script = format!(
        r#"let t = tenant(env("QLIK_TENANT"));
        try {{ t.jwt_login(#{{sub: "ext|dry", name: "Dry", email: "dry@example.com"}},
            #{{private_key: "{key}", kid: "k1", issuer: "{ISSUER}"}}); }}
        catch (e) {{ print(`dry ${{e.kind}} ${{e.message}}`); }}"#,
        key = rsa_path()
    );
    let run = sim.script(&script, &["--allow-path", &fixtures(), "--dry-run"]);
    run.ok();
    assert!(run.line("dry").starts_with("usage "), "{}", run.stdout);
    assert!(run.line("dry").contains("planned"), "{}", run.stdout);
    assert!(
        (run.stdout.clone() + &run.stderr).contains("/login/jwt-session"),
        "the plan lists the login:\n{}\n{}",
        run.stdout,
        run.stderr
    );
    let auth = format!("Bearer {}", sim.token(sim.tenant_host()));
    let users = sim.http(
        "GET",
        sim.tenant_host(),
        "/api/v1/users?filter=subject%20eq%20%22ext%7Cdry%22",
        &[("authorization", &auth)],
        None,
    );
    assert_eq!(users.json()["data"], json!([]));
}
