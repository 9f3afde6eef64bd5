//! Exactly once: the journal, dry-run plans, and runs killed at random points then resumed.

use crate::util::*;
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

fn onboarding_args<'a>(name: &'a str, keys: &'a str, jwt_key: &'a str) -> Vec<&'a str> {
    vec![
        "--arg",
        name,
        "--arg",
        "admin=alice@acme.example",
        "--arg",
        jwt_key,
        "--allow-path",
        keys,
    ]
}

/// The simulator's state without what changes by itself (the clock).
fn state(sim: &Sim) -> Value {
    let mut s = sim.admin("state");
    s.as_object_mut().unwrap().remove("now");
    s
}

#[test]
fn a_dry_run_changes_nothing_and_plans_every_change() {
    let sim = Sim::start(&[]);
    let work = temp_file("README", "dry run\n");
    let work = work.parent().unwrap();
    let key = repo_path("scripts/keys/example-jwt-signer.pub.pem");
    let jwt_key = format!("jwt_key={}", key.display());
    let keys = key.parent().unwrap().to_str().unwrap().to_string();
    // The first token on a tenant creates the client's bot user there: take it before looking.
    sim.token(sim.tenant_host());
    let before = state(&sim);
    let mut args = onboarding_args("name=hooli", &keys, &jwt_key);
    args.extend(["--dry-run", "--output", "json"]);
    let run = sim.run_repo_script(work, "scripts/onboard_customer.rhai", &args);
    run.ok();
    assert_eq!(state(&sim), before, "a dry run changed the simulator");
    let stats = sim.admin("stats");
    let plan_start = run.stdout.find("[\n").expect("a JSON plan");
    let plan: Vec<Value> = serde_json::from_str(run.stdout[plan_start..].trim()).unwrap();
    let whats: Vec<&str> = plan.iter().map(|s| s["what"].as_str().unwrap()).collect();
    for kind in [
        "tenant",
        "user",
        "identity-provider",
        "group",
        "space",
        "space-assignment",
        "oauth-client",
    ] {
        assert!(
            whats.iter().any(|w| w.split(' ').next() == Some(kind)),
            "{kind} missing from the plan {whats:?}"
        );
    }
    assert!(plan.iter().all(|s| s["method"] != "GET"), "{plan:?}");
    // Planned ids flow on: the planned tenant was configured, not an error.
    assert!(run.stdout.contains("planned-tenant-1"), "{}", run.stdout);
    assert!(!stats.to_string().contains("\"POST 201\""), "{stats}");
    // Local files are planned too: a planned id never lands in a file a real run reads.
    assert!(!work.join("qops-inventory.json").exists());
    assert!(!work.join("qops-journal.jsonl").exists());
    assert!(
        plan.iter()
            .any(|s| s["method"] == "WRITE" && s["target"] == "qops-inventory.json"),
        "{plan:?}"
    );
}

#[test]
fn a_second_process_cannot_share_a_journal() {
    let sim = Sim::start(&[]);
    let journal = temp_file("README", "busy\n")
        .parent()
        .unwrap()
        .join("run.jsonl");
    let file = temp_file(
        "slow.rhai",
        "tenant(env(\"QLIK_TENANT\")).me(); sleep(30.0);",
    );
    let mut first = qops_cmd();
    first
        .envs(&sim.env)
        .args([
            "run",
            file.to_str().unwrap(),
            "--sim-url",
            &sim.url,
            "--journal",
        ])
        .arg(&journal)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut first = first.spawn().unwrap();
    // Wait until the first run holds the journal.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !journal.exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    let second = sim.qops(&["eval", "1", "--journal", journal.to_str().unwrap()]);
    let _ = first.kill();
    let _ = first.wait();
    second.fails_with(2);
    assert!(
        second.stderr.contains("in use by another qops process"),
        "{}",
        second.stderr
    );
}

/// Runs onboarding with a journal and kills it with SIGKILL after `after`.
fn killed_run(sim: &Sim, work: &Path, args: &[&str], after: Duration) -> bool {
    let mut cmd = Command::new(BIN);
    for (k, _) in std::env::vars() {
        if k.starts_with("QLIK_") || k.starts_with("QOPS_") {
            cmd.env_remove(k);
        }
    }
    let script = repo_path("scripts/onboard_customer.rhai");
    let mut child = cmd
        .current_dir(work)
        .envs(&sim.env)
        .arg("run")
        .arg(&script)
        .args(args)
        .args(["--sim-url", &sim.url])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(after);
    let finished = matches!(child.try_wait(), Ok(Some(_)));
    let _ = child.kill();
    let _ = child.wait();
    finished
}

#[test]
fn onboarding_killed_at_random_points_ends_as_one_clean_run() {
    // 20 ms per answer: a run takes about a second, so kills land all over it.
    let sim = Sim::start(&["--latency", "20", "--seed", "5"]);
    let work = temp_file("README", "killed\n");
    let work = work.parent().unwrap();
    let key = repo_path("scripts/keys/example-jwt-signer.pub.pem");
    let jwt_key = format!("jwt_key={}", key.display());
    let keys = key.parent().unwrap().to_str().unwrap().to_string();
    let args = onboarding_args("name=umbrella", &keys, &jwt_key);
    let mut rng = 0x2545_f491_u64;
    for _ in 0..12 {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let after = Duration::from_millis(50 + rng % 900);
        if killed_run(&sim, work, &args, after) {
            break;
        }
    }
    let last = sim.run_repo_script(work, "scripts/onboard_customer.rhai", &args);
    last.ok();
    // Exactly one of everything, as one clean run leaves it.
    let state = sim.admin("state");
    let tenants: Vec<&Value> = state["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["source"] == false)
        .collect();
    assert_eq!(tenants.len(), 1, "orphans: {tenants:#?}");
    let t = tenants[0];
    assert_eq!(t["name"], "umbrella");
    assert_eq!(t["users"], 2, "{t}"); // the bot and the admin
    assert_eq!(t["groups"], 1, "{t}");
    assert_eq!(t["spaces"]["count"], 2, "{t}");
    assert_eq!(t["spaceAssignments"], 2, "{t}");
    let saved = std::fs::read_to_string(work.join("umbrella-oauth-client.json")).unwrap();
    let saved: Value = serde_json::from_str(&saved).unwrap();
    assert!(saved["clientSecret"]
        .as_str()
        .is_some_and(|s| !s.is_empty()));
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
