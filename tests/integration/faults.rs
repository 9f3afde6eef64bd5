//! The tutorial and the onboarding run through a simulator that fails a fifth of its API
//! requests with 503: idempotent calls are retried, the rest wait out `Retry-After`, and both
//! runs end as a clean run does.

use crate::util::*;

#[test]
fn the_tutorial_and_onboarding_succeed_through_injected_faults() {
    // Only 503 + Retry-After faults (never applied): the full mix (500/502, resets before and
    // after the change, slow answers) needs the journal's reconciliation of creates whose
    // outcome is unknown, which another change builds.
    let sim = Sim::start(&[
        "--faults",
        "0.2",
        "--fault-kinds",
        "unavailable",
        "--seed",
        "11",
    ]);
    let script = repo_path("scripts/create_tenant.rhai");
    let tutorial = sim.qops(&["run", script.to_str().unwrap(), "-v"]);
    tutorial.ok();
    assert!(tutorial
        .line("New tenant host:")
        .ends_with(".us.qlik.localhost"));

    let work = temp_file("README", "faults work dir\n");
    let work = work.parent().unwrap();
    let key = repo_path("scripts/keys/example-jwt-signer.pub.pem");
    let jwt_key = format!("jwt_key={}", key.display());
    let keys = key.parent().unwrap().to_str().unwrap().to_string();
    let args = [
        "--arg",
        "name=initech",
        "--arg",
        "admin=bob@acme.example",
        "--arg",
        &jwt_key,
        "--allow-path",
        &keys,
        "-v",
    ];
    let onboard = sim.run_repo_script(work, "scripts/onboard_customer.rhai", &args);
    onboard.ok();
    let last = onboard.stdout.lines().last().unwrap();
    assert!(
        last.starts_with("created ") && !last.starts_with("created 0,"),
        "{}",
        onboard.stdout
    );
    // Faults were met and survived, the same tenant count as a clean run.
    let faults = tutorial.stderr.matches(": 503").count() + onboard.stderr.matches(": 503").count();
    assert!(faults >= 3, "{}\n{}", tutorial.stderr, onboard.stderr);
    let again = sim.run_repo_script(work, "scripts/onboard_customer.rhai", &args);
    again.ok();
    assert!(
        again
            .stdout
            .lines()
            .last()
            .unwrap()
            .starts_with("created 0, updated 0, unchanged "),
        "{}",
        again.stdout
    );
}
