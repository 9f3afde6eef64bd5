//! Exactly once: the journal, dry-run plans, and runs killed at random points then resumed.

use crate::util::*;
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

/// The simulator's state without what changes by itself (the clock).
fn state(sim: &Sim) -> Value {
    let mut s = sim.admin("state");
    s.as_object_mut().unwrap().remove("now");
    s
}

#[test]
fn a_dry_run_changes_nothing_and_plans_every_change() {
    let sim = Sim::start(&[]);
    let (work, mut args) = onboarding_args("hooli", "alice@acme.example");
    let work = work.as_path();
    // The first token on a tenant creates the client's bot user there: take it before looking.
    sim.token(sim.tenant_host());
    let before = state(&sim);
    args.extend(["--dry-run", "--output", "json"].map(String::from));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
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
    assert!(!work.join("qops-journal-hooli.jsonl").exists());
    assert!(
        plan.iter().any(|s| s["method"] == "WRITE"
            && s["target"]
                .as_str()
                .is_some_and(|t| t.ends_with("/qops-inventory.json"))),
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
    let sim = Sim::start(&["--latency", "30", "--seed", "5"]);
    let (work, args) = onboarding_args("umbrella", "alice@acme.example");
    let work = work.as_path();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut killed = 0;
    for after in delays(0x2545_f491, 30, 600).take(12) {
        if killed_run(&sim, work, &args, after) {
            break;
        }
        killed += 1;
    }
    assert!(killed >= 1, "no run was killed before it finished");
    let last = sim.run_repo_script(work, "scripts/onboard_customer.rhai", &args);
    last.ok();
    // Exactly one of everything, as one clean run leaves it.
    let state = sim.admin("state");
    let tenants = customer_tenants(&state);
    assert_eq!(tenants.len(), 1, "orphans: {tenants:#?}");
    let t = tenants[0];
    assert_eq!(t["name"], "umbrella");
    assert_eq!(t["users"], 2, "{t}"); // the bot and the admin
    assert_eq!(t["groups"], 1, "{t}");
    assert_eq!(t["spaces"]["count"], 2, "{t}");
    assert_eq!(t["spaceAssignments"], 2, "{t}");
    let saved = std::fs::read_to_string(sim.state_dir().join("secrets/umbrella-oauth-client.json"))
        .unwrap();
    let saved: Value = serde_json::from_str(&saved).unwrap();
    assert!(saved["clientSecret"]
        .as_str()
        .is_some_and(|s| !s.is_empty()));
    let again = sim.run_repo_script(work, "scripts/onboard_customer.rhai", &args);
    assert_unchanged(&again);
}

/// The tenants of `/_sim/state` other than the seeded source tenant.
fn customer_tenants(state: &Value) -> Vec<&Value> {
    state["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["source"] == false)
        .collect()
}

/// Kill delays: a fixed xorshift sequence, `base` plus up to `span` milliseconds.
fn delays(seed: u64, base: u64, span: u64) -> impl Iterator<Item = Duration> {
    std::iter::successors(Some(seed), |x| {
        let mut x = *x;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        Some(x)
    })
    .skip(1)
    .map(move |x| Duration::from_millis(base + x % span))
}

/// A CSV of `n` customers in a fresh directory, and that directory.
fn customers(n: usize) -> (std::path::PathBuf, String) {
    let mut csv = String::from("name\n");
    for i in 0..n {
        csv.push_str(&format!("cust-{i:03}\n"));
    }
    let file = temp_file("customers.csv", &csv);
    let dir = file.parent().unwrap().to_path_buf();
    (dir, file.to_str().unwrap().to_string())
}

/// Every customer tenant holds exactly one IdP, its five users (and the bot) and five licenses.
#[track_caller]
fn exactly_one_of_everything(sim: &Sim, n: usize) {
    let state = sim.admin("state");
    let tenants = customer_tenants(&state);
    assert_eq!(tenants.len(), n, "tenants (orphans?)");
    let mut names: Vec<&str> = tenants
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), n, "duplicate tenant names");
    for t in tenants {
        assert_eq!(
            t["identityProviders"].as_array().map(Vec::len),
            Some(1),
            "{t}"
        );
        assert_eq!(t["users"], 6, "{t}");
        assert_eq!(t["licenseAssignments"], 6, "{t}");
    }
}

fn bulk(sim: &Sim, dir: &Path, csv: &str, journal: &Path, extra: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    for (k, _) in std::env::vars() {
        if k.starts_with("QLIK_") || k.starts_with("QOPS_") {
            cmd.env_remove(k);
        }
    }
    let script = repo_path("scripts/bulk_onboard.rhai");
    let key = repo_path("scripts/keys/example-jwt-signer.pub.pem");
    cmd.current_dir(dir)
        .envs(&sim.env)
        .arg("run")
        .arg(&script)
        .args(["--arg", &format!("customers={csv}")])
        .args(["--arg", &format!("jwt_key={}", key.display())])
        .args(["--allow-path", key.parent().unwrap().to_str().unwrap()])
        .arg("--journal")
        .arg(journal)
        .args(["--sim-url", &sim.url])
        .args(extra);
    cmd
}

#[test]
fn a_parallel_run_killed_at_random_points_ends_as_one_clean_run() {
    let n = 12;
    let sim = Sim::start(&["--latency", "15", "--tenant-quota", "100", "--seed", "9"]);
    let (dir, csv) = customers(n);
    let journal = dir.join("bulk.jsonl");
    let mut killed = 0;
    for after in delays(0x9e37_79b9, 30, 900).take(8) {
        let mut child = bulk(
            &sim,
            &dir,
            &csv,
            &journal,
            &["--concurrency", "4", "-q", "--arg", "full=true"],
        )
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
        std::thread::sleep(after);
        let done = matches!(child.try_wait(), Ok(Some(_)));
        let _ = child.kill();
        let _ = child.wait();
        if done {
            break;
        }
        killed += 1;
    }
    assert!(killed >= 1, "no run was killed before it finished");
    let last = Run::from(
        bulk(
            &sim,
            &dir,
            &csv,
            &journal,
            &["--concurrency", "4", "--arg", "full=true"],
        )
        .output()
        .unwrap(),
    );
    last.ok();
    assert_eq!(last.line("onboarded"), format!("{n} of {n} customers"));
    exactly_one_of_everything(&sim, n);
    // The full set: a group, a space shared with it, an OAuth client and its secret file each.
    let state = sim.admin("state");
    let secrets = sim.state_dir().join("secrets");
    for t in customer_tenants(&state) {
        assert_eq!(t["groups"], 1, "{t}");
        assert_eq!(t["spaces"]["count"], 1, "{t}");
        assert_eq!(t["spaceAssignments"], 1, "{t}");
        assert_eq!(t["oauthClients"].as_array().map(Vec::len), Some(1), "{t}");
        let file = secrets.join(format!("{}-oauth-client.json", t["name"].as_str().unwrap()));
        let saved: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        assert!(
            saved["clientSecret"]
                .as_str()
                .is_some_and(|s| !s.is_empty()),
            "{saved}"
        );
    }
}

#[test]
fn a_hundred_tenants_through_a_faulty_simulator_end_exact() {
    let n = 100;
    let sim = Sim::start(&["--faults", "0.1", "--tenant-quota", "200", "--seed", "3"]);
    let (dir, csv) = customers(n);
    let journal = dir.join("bulk.jsonl");
    let run = Run::from(
        bulk(&sim, &dir, &csv, &journal, &["--concurrency", "16"])
            .output()
            .unwrap(),
    );
    run.ok();
    assert_eq!(run.line("onboarded"), format!("{n} of {n} customers"));
    exactly_one_of_everything(&sim, n);
    let faults = &sim.admin("stats")["faults"];
    for kind in ["reset-after", "reset-before", "error", "unavailable"] {
        assert!(
            faults[kind].as_u64().unwrap_or(0) > 0,
            "no {kind} fault in {faults}"
        );
    }
}

#[test]
fn a_journal_path_from_a_script_stays_in_the_root() {
    let outside = std::env::temp_dir().join(format!("qops-outside-{}.jsonl", std::process::id()));
    for path in ["../escape.jsonl", outside.to_str().unwrap()] {
        let run = Run::from(
            qops_cmd()
                .current_dir(temp_file("README", "root\n").parent().unwrap())
                .args(["eval", &format!("journal({path:?})")])
                .output()
                .unwrap(),
        );
        run.fails_with(1);
        assert!(
            run.stderr.contains("outside the working directory"),
            "{}",
            run.stderr
        );
    }
    assert!(!outside.exists());
}
