//! The "Create a tenant" tutorial, end to end.

use crate::util::*;

#[test]
fn tutorial_script_creates_a_tenant_and_meets_its_bot_user() {
    let sim = Sim::start(&[]);
    let script = repo_path("scripts/create_tenant.rhai");
    let run = sim.qops(&["run", script.to_str().unwrap()]);
    run.ok();
    let host = run.line("New tenant host:");
    assert!(
        host.ends_with(".us.qlik.localhost") && host != sim.tenant_host(),
        "{host}"
    );
    assert!(
        run.line("Bot user:")
            .starts_with("US OAuth Client (qlikbot\\"),
        "{}",
        run.stdout
    );
    // The simulator now knows the tenant, and the bot took one professional allotment there.
    let state = sim.admin("state");
    let tenant = state["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["hostnames"][0] == host.as_str())
        .expect("tenant in state");
    assert_eq!(tenant["status"], "active");
    assert_eq!(tenant["users"], 1);
    // The entitlement key never reaches the output.
    let key = sim
        .http(
            "GET",
            sim.tenant_host(),
            "/api/v1/licenses/overview",
            &[(
                "authorization",
                &format!("Bearer {}", sim.token(sim.tenant_host())),
            )],
            None,
        )
        .json()["licenseKey"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(!run.stdout.contains(&key) && !run.stderr.contains(&key));
}

#[test]
fn embedded_simulator_runs_the_tutorial_with_no_environment() {
    let script = repo_path("scripts/create_tenant.rhai");
    let run = Run::from(
        qops_cmd()
            .args(["run", script.to_str().unwrap(), "--sim"])
            .output()
            .unwrap(),
    );
    run.ok();
    assert!(run.line("New tenant host:").ends_with(".us.qlik.localhost"));
    assert!(run.line("Bot user:").contains("OAuth Client"));
}

#[test]
fn the_datacenter_argument_reaches_the_register_host() {
    let sim = Sim::start(&[]);
    let script = repo_path("scripts/create_tenant.rhai");
    let run = sim.qops(&[
        "run",
        script.to_str().unwrap(),
        "--arg",
        "datacenter=us-east-1",
    ]);
    run.ok();
    assert!(run.line("Created tenant:").ends_with("(us-east-1)"));
    // A datacenter of another region is refused by the us register host.
    let run = sim.qops(&[
        "run",
        script.to_str().unwrap(),
        "--arg",
        "datacenter=eu-west-1",
    ]);
    run.fails_with(1);
    assert!(
        run.stderr.contains("uncaught API error") && run.stderr.contains("400"),
        "{}",
        run.stderr
    );
}
