//! The tutorial and the onboarding run through a simulator that fails a fifth of its requests
//! (503s, 500/502s, connections reset before or after the change, slow answers): idempotent
//! calls are retried, 503s with `Retry-After` waited out, creates with an unknown outcome looked
//! up and adopted or sent again, and both runs end as clean runs do.

use crate::util::*;

#[test]
fn the_tutorial_and_onboarding_succeed_through_injected_faults() {
    // The whole mix: 503s with Retry-After, 500/502s, connections reset before and after the
    // change is applied, slow answers.
    let sim = Sim::start(&["--faults", "0.2", "--seed", "11"]);
    let script = repo_path("scripts/create_tenant.rhai");
    let tutorial = sim.qops(&["run", script.to_str().unwrap(), "-v"]);
    tutorial.ok();
    assert!(tutorial
        .line("New tenant host:")
        .ends_with(".us.qlik.localhost"));

    let (work, mut args) = onboarding_args("initech", "bob@acme.example");
    let work = work.as_path();
    args.push("-v".to_string());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let onboard = sim.run_repo_script(work, "scripts/onboard_customer.rhai", &args);
    onboard.ok();
    let last = onboard.stdout.lines().last().unwrap();
    assert!(
        last.starts_with("created ") && !last.starts_with("created 0,"),
        "{}",
        onboard.stdout
    );
    // Faults of several kinds were met and survived, and the tenants are those of clean runs:
    // the tutorial's and the customer's, no orphan.
    let stats = sim.admin("stats");
    let struck: Vec<u64> = stats["faults"]
        .as_object()
        .unwrap()
        .values()
        .map(|n| n.as_u64().unwrap())
        .collect();
    assert!(struck.iter().sum::<u64>() >= 5, "{stats}");
    assert!(struck.iter().filter(|n| **n > 0).count() >= 3, "{stats}");
    let tenants = sim.admin("state")["tenants"].as_array().unwrap().len();
    assert_eq!(tenants, 3, "source, tutorial, customer");
    let again = sim.run_repo_script(work, "scripts/onboard_customer.rhai", &args);
    assert_unchanged(&again);
}
