//! Tenant creation through the router: the entitlement's quota, a bulk of tenants.

use super::licenses::verify_license_key;
use super::test_support::{bearer, read_json_blocking, Answer, Sim};
use super::{admin, SimOptions};
use serde_json::{json, Value};

const ACME: &str = "acme.us.qlik.localhost";
const REG: &str = "register.us.qlik.localhost";

/// A simulator with the `us` region client's register token and the entitlement's key.
struct Registrar {
    sim: Sim,
    auth: String,
    key: String,
}

impl Registrar {
    fn new(opts: &SimOptions) -> Registrar {
        let mut sim = Sim::with_options(opts);
        let source = token(&mut sim, ACME);
        let ov = sim.call_blocking(
            "GET",
            ACME,
            "/api/v1/licenses/overview",
            &[("authorization", &bearer(&source))],
            "",
        );
        let key = ov.body["licenseKey"].as_str().unwrap().to_string();
        let auth = bearer(&token(&mut sim, REG));
        Registrar { sim, auth, key }
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
    let body = sim.client_credentials("us").to_string();
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
