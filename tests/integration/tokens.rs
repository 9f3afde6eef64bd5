//! Tokens: reused, refreshed after expiry, scoped to one tenant, never printed.

use crate::util::*;

#[test]
fn one_token_serves_many_calls() {
    let sim = Sim::start(&[]);
    let run = sim.script(
        r#"let t = tenant(env("QLIK_TENANT"));
           let a = t.me(); let n = t.count_users(); let i = t.info(); let r = t.roles();
           print(`calls done ${n}`);"#,
        &[],
    );
    run.ok();
    assert_eq!(sim.token_grants(sim.tenant_host()), 1);
}

#[test]
fn an_expired_token_is_replaced() {
    // 21600 s of simulated lifetime pass in about 1.1 s of real time.
    let sim = Sim::start(&["--time-scale", "20000"]);
    let run = sim.script(
        r#"let t = tenant(env("QLIK_TENANT"));
           let before = t.me().id;
           sleep(2.0);
           let after = t.me().id;
           print(`same user ${before == after}`);"#,
        &["-v"],
    );
    run.ok();
    assert_eq!(run.line("same user"), "true");
    assert_eq!(sim.token_grants(sim.tenant_host()), 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("rejected; fetching a new one"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_token_of_one_tenant_is_refused_by_another() {
    let sim = Sim::start(&[]);
    let run = sim.script(
        r#"let r = region("us");
           let t = r.create_tenant(#{licenseKey: tenant(env("QLIK_TENANT")).license_key()});
           print(`host ${t.hostnames[0]}`);
           // The same client works on both tenants, each with its own token.
           print(`bots ${tenant(env("QLIK_TENANT")).me().name} / ${r.tenant(t.hostnames[0]).me().name}`);"#,
        &[],
    );
    run.ok();
    let other = run.line("host");
    assert_eq!(sim.token_grants(sim.tenant_host()), 1);
    assert_eq!(sim.token_grants(&other), 1);

    let source_token = sim.token(sim.tenant_host());
    let auth = format!("Bearer {source_token}");
    let refused = sim.http(
        "GET",
        &other,
        "/api/v1/users/actions/count",
        &[("authorization", &auth)],
        None,
    );
    assert_eq!(refused.status, 401);
    assert!(refused.json()["errors"][0]["code"].is_string());
    let accepted = sim.http(
        "GET",
        sim.tenant_host(),
        "/api/v1/users/actions/count",
        &[("authorization", &auth)],
        None,
    );
    assert_eq!(accepted.status, 200);
    let missing = sim.http(
        "GET",
        sim.tenant_host(),
        "/api/v1/users/actions/count",
        &[],
        None,
    );
    assert_eq!(missing.status, 401);
}

#[test]
fn secrets_never_reach_output_or_logs() {
    let sim = Sim::start(&[]);
    let run = sim.script(
        r#"let t = tenant(env("QLIK_TENANT"));
           print(t); debug(t); print(t.me().name);
           try { tenant(env("QLIK_TENANT"), #{client_id: env("QLIK_CLIENT_ID"), client_secret: "wrong-secret-value"}).me() }
           catch (e) { print(e) }"#,
        &["-vvv"],
    );
    run.ok();
    let secret = &sim.env["QLIK_CLIENT_SECRET"];
    let token = sim.token(sim.tenant_host());
    for text in [&run.stdout, &run.stderr] {
        assert!(
            !text.contains(secret.as_str()),
            "client secret leaked:\n{text}"
        );
        assert!(
            !text.contains("wrong-secret-value"),
            "secret leaked:\n{text}"
        );
        let signature = token.rsplit('.').next().unwrap();
        assert!(!text.contains(signature), "token leaked:\n{text}");
    }
    assert!(run.stdout.contains("401"), "{}", run.stdout);
}
