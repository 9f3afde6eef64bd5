//! Tenant creation through the router: the entitlement's quota, names chosen by the caller and
//! the lookups they allow.

use super::licenses::verify_license_key;
use super::test_support::{bearer, read_json_blocking, Answer, Sim};
use super::{admin, SimOptions};
use serde_json::{json, Value};

const ACME: &str = "acme.us.qlik.localhost";
const REG: &str = "register.us.qlik.localhost";

/// A simulator with the `us` region client's register token, the entitlement's key, and the
/// client's token on the source tenant.
struct Registrar {
    sim: Sim,
    auth: String,
    key: String,
    source: String,
}

impl Registrar {
    fn new(opts: &SimOptions) -> Registrar {
        let mut sim = Sim::with_options(opts);
        let source = token(&mut sim, ACME);
        let ov = sim.get_blocking(ACME, "/api/v1/licenses/overview", &source);
        let key = ov.body["licenseKey"].as_str().unwrap().to_string();
        let auth = bearer(&token(&mut sim, REG));
        Registrar {
            sim,
            auth,
            key,
            source,
        }
    }

    /// Sets the source tenant's alias hostname (PATCH `/hostnames/1`).
    fn alias_source(&mut self, value: &str) {
        let path = format!("/api/v1/tenants/{}", self.sim.st.source_tenant_id);
        let patch = json!([{"op": "replace", "path": "/hostnames/1", "value": value}]);
        let a = self.sim.call_blocking(
            "PATCH",
            ACME,
            &path,
            &[("authorization", &bearer(&self.source))],
            &patch.to_string(),
        );
        assert_eq!(a.status, 204, "{}", a.text);
    }

    /// `POST /api/v1/tenants` with `body` plus the license key.
    fn create(&mut self, mut body: Value) -> Answer {
        body["licenseKey"] = json!(self.key);
        self.sim.call_blocking(
            "POST",
            REG,
            "/api/v1/tenants",
            &[
                ("authorization", &self.auth),
                ("content-type", "application/json"),
            ],
            &body.to_string(),
        )
    }

    fn state(&self) -> Value {
        read_json_blocking(admin::state(&self.sim.st).unwrap())
    }
}

/// A client-credentials access token of the `us` region client on `host`.
fn token(sim: &mut Sim, host: &str) -> String {
    token_of(sim, host, "us")
}

/// A client-credentials access token of `region`'s client on `host`.
fn token_of(sim: &mut Sim, host: &str, region: &str) -> String {
    let body = sim.client_credentials(region).to_string();
    let t = sim.call_blocking(
        "POST",
        host,
        "/oauth/token",
        &[("content-type", "application/json")],
        &body,
    );
    assert_eq!(t.status, 200, "{}", t.text);
    t.body["access_token"].as_str().unwrap().to_string()
}

#[track_caller]
fn assert_quota_reached(a: &Answer, quota: usize) {
    assert_eq!(a.status, 403, "{}", a.text);
    let e = &a.body["errors"][0];
    assert_eq!(e["code"], "TENANTS-22");
    assert_eq!(e["title"], "License quota limit reached");
    assert_eq!(
        e["detail"],
        format!("The entitlement allows {quota} tenants")
    );
}

#[test]
fn the_default_quota_is_25_tenants_the_source_included() {
    let mut r = Registrar::new(&SimOptions::default());
    for n in 2..=25 {
        assert_eq!(r.create(json!({})).status, 201, "tenant {n}");
    }
    assert_quota_reached(&r.create(json!({})), 25);
}

#[test]
fn a_quota_of_30_allows_five_more_and_the_signed_key_carries_it() {
    let mut r = Registrar::new(&SimOptions {
        tenant_quota: 30,
        ..SimOptions::default()
    });
    let claims = verify_license_key(&r.sim.st.license_signing_key, &r.key).unwrap();
    assert_eq!(claims.tenant_quota, 30);
    for n in 2..=30 {
        let a = r.create(json!({}));
        assert_eq!(a.status, 201, "tenant {n}: {}", a.text);
    }
    assert_quota_reached(&r.create(json!({})), 30);
    let state = r.state();
    assert_eq!(state["entitlements"][0]["tenantQuota"], 30);
    assert_eq!(state["entitlements"][0]["tenants"], 30);
    assert_eq!(state["tenants"].as_array().unwrap().len(), 30);
}

#[track_caller]
fn assert_bad(a: &Answer, pointer: &str, detail: &str) {
    assert_eq!(a.status, 400, "{}", a.text);
    let e = &a.body["errors"][0];
    assert_eq!(e["code"], "HTTP-400");
    assert_eq!(e["status"], "400");
    assert_eq!(e["source"]["pointer"], pointer, "{}", a.text);
    assert!(
        e["detail"].as_str().unwrap().contains(detail),
        "{detail}: {}",
        a.text
    );
}

#[test]
fn a_chosen_name_becomes_the_hostname_and_the_region_client_finds_the_tenant_there() {
    let mut r = Registrar::new(&SimOptions::default());
    let created = r.create(json!({"name": "globex"}));
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.body["id"].as_str().unwrap().to_string();
    assert_eq!(created.body["name"], "globex");
    assert_eq!(
        created.body["hostnames"],
        json!(["globex.us.qlik.localhost"])
    );

    // A token there with the same region client, then tenants/me: 302 to the tenant.
    let host = "globex.us.qlik.localhost";
    let tok = token(&mut r.sim, host);
    let me = r.sim.get_blocking(host, "/api/v1/tenants/me", &tok);
    assert_eq!(me.status, 302);
    let location = format!("http://{host}/api/v1/tenants/{id}");
    assert_eq!(me.header("location"), location);
    let target = format!("/api/v1/tenants/{id}");
    let t = r.sim.get_blocking(host, &target, &tok);
    assert_eq!((t.status, &t.body["name"]), (200, &json!("globex")));
    // Another region's client gets no token there; an unknown host stays unknown.
    let eu = r.sim.client_credentials("eu").to_string();
    let refused = r.sim.call_blocking("POST", host, "/oauth/token", &[], &eu);
    assert_eq!(refused.status, 401);
    let nobody = "nobody.us.qlik.localhost";
    let unknown = r.sim.get_blocking(nobody, "/api/v1/tenants/me", &tok);
    assert_eq!(unknown.status, 404);
    assert_eq!(
        unknown.body["errors"][0]["detail"],
        format!("No tenant or service at host {nobody}")
    );
    // Without a name, the name is generated as before.
    let generated = r.create(json!({}));
    assert_eq!(generated.body["name"].as_str().unwrap().len(), 15);
}

#[test]
fn hostnames_hold_one_entry_lining_up_with_the_name() {
    let mut r = Registrar::new(&SimOptions::default());
    let both = r.create(json!({"name": "initech", "hostnames": ["initech.us.qlik.localhost"]}));
    assert_eq!(both.status, 201, "{}", both.text);
    assert_eq!(both.body["hostnames"], json!(["initech.us.qlik.localhost"]));
    let bare = r.create(json!({"name": "Hooli", "hostnames": ["hooli"]}));
    assert_eq!(bare.status, 201, "{}", bare.text);
    assert_eq!(
        bare.body["name"], "hooli",
        "names are lowercased like aliases"
    );
    let alone = r.create(json!({"hostnames": ["Umbrella.US.qlik.localhost"]}));
    assert_eq!(alone.status, 201, "{}", alone.text);
    assert_eq!(alone.body["name"], "umbrella");
    assert_eq!(
        alone.body["hostnames"],
        json!(["umbrella.us.qlik.localhost"])
    );

    let misaligned =
        r.create(json!({"name": "soylent", "hostnames": ["tyrell.us.qlik.localhost"]}));
    assert_bad(
        &misaligned,
        "/hostnames/0",
        "expected soylent.us.qlik.localhost",
    );
    let two = r.create(json!({"hostnames": ["a1a.us.qlik.localhost", "b2b.us.qlik.localhost"]}));
    assert_bad(&two, "/hostnames", "single entry");
    assert_bad(
        &r.create(json!({"hostnames": []})),
        "/hostnames",
        "single entry",
    );
    assert_bad(&r.create(json!({"hostnames": "x"})), "/hostnames", "array");
    assert_bad(
        &r.create(json!({"hostnames": [42]})),
        "/hostnames/0",
        "array",
    );
    let other_region = r.create(json!({"hostnames": ["tyrell.eu.qlik.localhost"]}));
    assert_bad(&other_region, "/hostnames/0", "letters, digits");
    assert_eq!(r.state()["tenants"].as_array().unwrap().len(), 4);
}

#[test]
fn names_follow_the_alias_rule() {
    let mut r = Registrar::new(&SimOptions::default());
    let length = "Subdomain should be between 3 and 63 characters";
    let chars = "Subdomain may contain only letters, digits and inner hyphens";
    for (name, detail) in [
        (json!("ab"), length),
        (json!("a".repeat(64)), length),
        (json!("under_score"), chars),
        (json!("dotted.name"), chars),
        (json!("-lead"), chars),
        (json!("trail-"), chars),
        (json!("register"), "reserved"),
        (json!("qseow"), "reserved"),
        (json!(42), "name must be a string"),
    ] {
        assert_bad(&r.create(json!({ "name": name })), "/name", detail);
    }
    for name in ["a-1", &"b".repeat(63)] {
        let a = r.create(json!({ "name": name }));
        assert_eq!(a.status, 201, "{name}: {}", a.text);
    }
}

#[test]
fn a_taken_name_is_a_conflict_even_when_the_quota_is_spent() {
    let mut r = Registrar::new(&SimOptions {
        tenant_quota: 2,
        ..SimOptions::default()
    });
    let taken = r.create(json!({"name": "acme"}));
    assert_eq!(taken.status, 409, "{}", taken.text);
    let e = &taken.body["errors"][0];
    assert_eq!(e["code"], "HTTP-409");
    assert_eq!(e["title"], "Conflict");
    assert_eq!(e["status"], "409");
    assert_eq!(e["source"]["pointer"], "/name");
    assert_eq!(
        e["detail"],
        "The hostname acme.us.qlik.localhost is already in use"
    );
    assert!(!taken.text.contains(&r.sim.st.source_tenant_id));

    assert_eq!(r.create(json!({"name": "wayne"})).status, 201);
    // The answer was lost; the same request again: taken, not "quota reached".
    assert_eq!(r.create(json!({"name": "wayne"})).status, 409);
    assert_quota_reached(&r.create(json!({"name": "stark"})), 2);
    // An invalid license is refused before anything is said about names.
    r.key = "not-a-key".into();
    let a = r.create(json!({"name": "acme"}));
    assert_eq!(a.body["errors"][0]["code"], "TENANTS-23");
}

#[test]
fn an_alias_takes_its_name_and_the_same_name_is_free_in_another_region() {
    let mut r = Registrar::new(&SimOptions::default());
    r.alias_source("acme-alias");
    assert_eq!(r.create(json!({"name": "acme-alias"})).status, 409);

    let eu_reg = "register.eu.qlik.localhost";
    let auth = bearer(&token_of(&mut r.sim, eu_reg, "eu"));
    let body = json!({"licenseKey": r.key, "name": "acme"}).to_string();
    let eu = r.sim.call_blocking(
        "POST",
        eu_reg,
        "/api/v1/tenants",
        &[("authorization", &auth)],
        &body,
    );
    assert_eq!(eu.status, 201, "{}", eu.text);
    assert_eq!(eu.body["hostnames"], json!(["acme.eu.qlik.localhost"]));
}

#[test]
fn a_thousand_tenants_each_found_by_its_hostname() {
    let mut r = Registrar::new(&SimOptions {
        tenant_quota: 1000,
        ..SimOptions::default()
    });
    let mut created = Vec::new();
    for i in 1..1000 {
        // The register host's Tier 2 budget is not what this test is about.
        r.sim.st.limiter = Default::default();
        let a = r.create(json!({ "name": format!("bulk{i:04}") }));
        assert_eq!(a.status, 201, "{}", a.text);
        created.push(a.body["id"].as_str().unwrap().to_string());
    }
    assert_quota_reached(&r.create(json!({})), 1000);
    for (i, id) in created.iter().enumerate() {
        let host = format!("bulk{:04}.us.qlik.localhost", i + 1);
        let tok = token(&mut r.sim, &host.to_uppercase());
        let me = r.sim.get_blocking(&host, "/api/v1/tenants/me", &tok);
        assert_eq!(me.status, 302, "{host}: {}", me.text);
        assert!(me.header("location").ends_with(id.as_str()), "{host}");
    }
    let state = r.state();
    assert_eq!(state["entitlements"][0]["tenants"], 1000);
    assert_eq!(state["tenants"].as_array().unwrap().len(), 1000);
}

#[test]
fn aliases_move_in_the_host_index() {
    let mut r = Registrar::new(&SimOptions::default());
    let found = |r: &Registrar, host: &str| r.sim.st.tenant_by_host(host).map(|t| t.name.clone());
    r.alias_source("first");
    assert_eq!(
        found(&r, "First.us.qlik.localhost").as_deref(),
        Some("acme")
    );
    r.alias_source("second");
    assert_eq!(found(&r, "first.us.qlik.localhost"), None);
    assert_eq!(
        found(&r, "second.us.qlik.localhost").as_deref(),
        Some("acme")
    );
    // The alias may repeat the primary hostname; replacing it keeps the primary.
    r.alias_source("acme");
    r.alias_source("third");
    assert_eq!(found(&r, ACME).as_deref(), Some("acme"));
    assert_eq!(found(&r, "second.us.qlik.localhost"), None);
    // A freed alias can name a new tenant.
    assert_eq!(r.create(json!({"name": "second"})).status, 201);
    assert_eq!(r.create(json!({"name": "third"})).status, 409);
}
