//! `parallel`, `progress` and Ctrl-C: bulk runs against `qops sim`.

use crate::util::*;
use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// The summary line of a `parallel` call: `500 done, 3 failed in 41.2 s`.
fn summary(stderr: &str) -> Option<(u64, u64)> {
    stderr.lines().find_map(|line| {
        let line = line.split(';').next()?;
        let (counts, time) = line.split_once(" in ")?;
        if !time.ends_with(" s") {
            return None;
        }
        let (done, failed) = counts.split_once(" done, ")?;
        Some((
            done.parse().ok()?,
            failed.strip_suffix(" failed")?.parse().ok()?,
        ))
    })
}

/// Subjects of the source tenant's users, through the API.
fn subjects(sim: &Sim) -> Vec<String> {
    let host = sim.tenant_host().to_string();
    let auth = format!("Bearer {}", sim.token(&host));
    let reply = sim.http(
        "GET",
        &host,
        "/api/v1/users?limit=100",
        &[("authorization", &auth)],
        None,
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.json()["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|u| u["subject"].as_str().map(str::to_string))
        .collect()
}

fn sigint(child: &Child) {
    // SAFETY: kill(2) with a pid we spawned and still own (not yet waited on).
    let rc = unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
    assert_eq!(rc, 0, "kill -INT failed");
}

/// Spawns `qops run SCRIPT` without a simulator and waits until it printed `started` (from
/// inside a `parallel` item when the test is about a `parallel` call).
fn spawn_until_started(script: &str) -> Child {
    let file = temp_file("script.rhai", script);
    let mut child = qops_cmd()
        .args(["run", file.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn qops");
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line.trim(), "started");
    child
}

#[test]
fn results_keep_input_order_and_carry_per_item_errors() {
    let sim = Sim::start(&[]);
    let script = temp_file(
        "bulk.rhai",
        r#"
        import "naming" as naming;
        fn label(c) { naming::prefix() + c.name }
        let t = tenant(env("QLIK_TENANT"));
        let suffix = "!";
        let customers = [#{name: "a"}, #{name: "b"}, #{name: "boom"}, #{name: "c"}, #{name: "a"}];
        let results = parallel(customers, |c| {
            if c.name == "boom" { throw "cannot onboard " + c.name }
            label(c) + suffix + " " + type_of(t.me())
        }, #{concurrency: 3});
        for r in results {
            if type_of(r) == "map" {
                print(`failed: ${r.item.name}: ${r.error.message} / ${r.error.item.name}`);
            } else {
                print(`ok: ${r}`);
            }
        }
        // An API error map of an item carries the item; re-thrown, the report names it.
        let missing = parallel(["no-such-user"], |id| t.user(id));
        print(`status: ${missing[0].error.status}, item: ${missing[0].item}`);
        throw missing[0].error;
        "#,
    );
    std::fs::write(
        script.with_file_name("naming.rhai"),
        "fn prefix() { \"customer-\" }\n",
    )
    .unwrap();
    let run = sim.qops(&["run", script.to_str().unwrap()]);
    run.fails_with(1);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines[0], "ok: customer-a! map", "{}", run.stdout);
    assert_eq!(lines[1], "ok: customer-b! map");
    assert_eq!(lines[2], "failed: boom: cannot onboard boom / boom");
    assert_eq!(lines[3], "ok: customer-c! map");
    assert_eq!(lines[4], "ok: customer-a! map");
    assert_eq!(lines[5], "status: 404, item: no-such-user");
    assert_eq!(summary(&run.stderr), Some((5, 1)), "{}", run.stderr);
    assert!(
        run.stderr.contains("5 done, 1 failed in "),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(r#"(item: "no-such-user")"#),
        "{}",
        run.stderr
    );
}

#[test]
fn the_tenant_token_is_fetched_once_for_32_items() {
    let sim = Sim::start(&[]);
    let host = sim.tenant_host().to_string();
    let run = sim.script(
        r#"let t = tenant(env("QLIK_TENANT"));
           let xs = []; xs.pad(32, 0);
           let r = parallel(xs, |x| t.me().subject, #{concurrency: 8});
           print(`${r.len()} ${r.filter(|s| type_of(s) == "string").len()}`);"#,
        &[],
    );
    run.ok();
    assert_eq!(run.stdout.trim(), "32 32");
    assert_eq!(sim.token_grants(&host), 1);
}

#[test]
fn items_really_overlap() {
    // 16 items of 3 calls each at 300 ms: 14.4 s one after the other, about 1.2 s 16 at once.
    let sim = Sim::start(&["--latency", "300"]);
    let started = Instant::now();
    let run = sim.script(
        r#"let t = tenant(env("QLIK_TENANT"));
           let xs = []; xs.pad(16, 0);
           parallel(xs, |x| { t.me(); t.me(); t.me(); }, #{concurrency: 16});"#,
        &[],
    );
    let elapsed = started.elapsed();
    run.ok();
    assert!(
        elapsed < Duration::from_millis(16 * 3 * 300),
        "took {elapsed:?}: no faster than one at a time"
    );
}

#[test]
fn concurrency_0_and_absurd_values_are_refused() {
    let sim = Sim::start(&[]);
    for n in ["0", "100000", "-3", "many"] {
        let run = sim.script("print(1);", &[&format!("--concurrency={n}")]);
        run.fails_with(2);
        assert!(run.stderr.contains("--concurrency"), "{}", run.stderr);
        assert!(run.stdout.is_empty());
    }
    let run = sim.script("print(1);", &["--concurrency", "0"]);
    assert!(
        run.stderr
            .contains("concurrency must be from 1 to 256, got 0"),
        "{}",
        run.stderr
    );
    let run = sim.script("parallel([1, 2], |x| x, #{concurrency: 0});", &[]);
    run.fails_with(1);
    assert!(
        run.stderr
            .contains("concurrency must be from 1 to 256, got 0"),
        "{}",
        run.stderr
    );
    // The flag sets the default of every call in the run.
    let run = sim.script(
        "print(parallel([1, 2, 3], |x| x * 2));",
        &["--concurrency", "1"],
    );
    run.ok();
    // (print shows an array as JSON.)
    assert_eq!(run.stdout.trim(), "[2,4,6]");
}

#[test]
fn a_summary_line_ends_each_call_and_q_silences_it() {
    let sim = Sim::start(&[]);
    let script = r#"let r = parallel([1, 2, 3], |x| if x == 2 { throw "two" } else { x });
                    for x in progress([1, 2]) {}
                    print("end");"#;
    let run = sim.script(script, &[]);
    run.ok();
    assert_eq!(summary(&run.stderr), Some((3, 1)), "{}", run.stderr);
    assert!(run.stderr.contains("2 done in "), "{}", run.stderr);
    let quiet = sim.script(script, &["-q"]);
    quiet.ok();
    assert_eq!(quiet.stdout.trim(), "end");
    assert_eq!(quiet.stderr, "", "-q prints nothing");
}

#[test]
fn without_a_terminal_progress_is_a_plain_line_without_ansi() {
    // 12 items two at a time at 1 s each: about 7 s, so the 5-second line shows.
    let sim = Sim::start(&["--latency", "1000"]);
    let run = sim.script(
        r#"let t = tenant(env("QLIK_TENANT"));
           let xs = []; xs.pad(12, 0);
           parallel(xs, |x| t.me(), #{concurrency: 2});"#,
        &[],
    );
    run.ok();
    assert!(!run.stderr.contains('\x1b'), "ANSI codes: {:?}", run.stderr);
    assert!(!run.stderr.contains('\r'), "redraws: {:?}", run.stderr);
    let line = run
        .stderr
        .lines()
        .find(|l| l.starts_with("progress: "))
        .unwrap_or_else(|| panic!("no progress line: {}", run.stderr));
    let re = regex::Regex::new(r"^progress: \d+/12 done, 0 failed, \d+\.\d/s(, ETA .+)?$").unwrap();
    assert!(re.is_match(line), "{line}");
    assert_eq!(summary(&run.stderr), Some((12, 0)), "{}", run.stderr);
}

#[test]
fn progress_gives_a_for_loop_the_plain_items() {
    let sim = Sim::start(&[]);
    let run = sim.script(
        r#"for (c, i) in progress([#{name: "a"}, #{name: "b"}]) { print(`${i} ${type_of(c)} ${c.name}`); }
           for x in progress([1, 2, 3]) { if x == 2 { break; } }"#,
        &[],
    );
    run.ok();
    assert_eq!(run.stdout, "0 map a\n1 map b\n");
    assert!(run.stderr.contains("2 done in "), "{}", run.stderr);
    assert!(run.stderr.contains("1 of 3 done in "), "{}", run.stderr);
}

#[test]
fn ctrl_c_lets_items_in_progress_finish_starts_no_more_and_exits_130() {
    let sim = Sim::start(&["--latency", "1500"]);
    let host = sim.tenant_host().to_string();
    let before = subjects(&sim);
    let grants = sim.token_grants(&host);
    let script = temp_file(
        "bulk.rhai",
        r#"let t = tenant(env("QLIK_TENANT"));
           let xs = []; for i in 0..12 { xs.push(i) }
           parallel(xs, |i| t.create_user(#{subject: `auth0|bulk-${i}`, name: `Bulk ${i}`, status: "active"}),
                    #{concurrency: 3});
           print("not reached");"#,
    );
    let child = sim
        .command(&["run", script.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn qops");
    // Once the token is granted, the first three items are on their way (1.5 s each).
    let deadline = Instant::now() + Duration::from_secs(30);
    while sim.token_grants(&host) == grants {
        assert!(Instant::now() < deadline, "no token granted");
        std::thread::sleep(Duration::from_millis(50));
    }
    sigint(&child);
    let out = child.wait_with_output().unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(130), "{stdout}\n{stderr}");
    assert!(!stdout.contains("not reached"));
    assert!(stderr.contains("interrupted (Ctrl-C)"), "{stderr}");
    let (done, failed) = summary(&stderr).unwrap_or_else(|| panic!("no summary: {stderr}"));
    assert_eq!(failed, 0, "{stderr}");
    assert!((3..12).contains(&done), "{stderr}");
    // The items in progress finished: their users exist. The others never ran.
    let created: Vec<String> = subjects(&sim)
        .into_iter()
        .filter(|s| !before.contains(s))
        .collect();
    assert_eq!(created.len() as u64, done, "{created:?}\n{stderr}");
    for i in 0..12 {
        let exists = created.contains(&format!("auth0|bulk-{i}"));
        assert_eq!(exists, (i as u64) < done, "item {i}: {created:?}");
    }
    let state = sim.admin("state");
    let users = state["tenants"][0]["users"].as_u64().unwrap();
    assert_eq!(users as usize, before.len() + done as usize);
}

#[test]
fn a_second_ctrl_c_stops_at_once() {
    let child = spawn_until_started(
        r#"parallel([1, 2, 3], |x| { if x == 1 { print("started") } sleep(60) });"#,
    );
    sigint(&child);
    std::thread::sleep(Duration::from_millis(300));
    let second = Instant::now();
    sigint(&child);
    let out = child.wait_with_output().unwrap();
    let waited = second.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(waited < Duration::from_secs(5), "waited {waited:?}");
    assert!(stderr.contains("Ctrl-C again to stop at once"), "{stderr}");
}

#[test]
fn items_that_outlast_the_grace_period_are_stopped() {
    let child = spawn_until_started(
        r#"parallel([1, 2], |x| { if x == 1 { print("started") } sleep(60) });"#,
    );
    let started = Instant::now();
    sigint(&child);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    // The 10-second grace, not the 60-second sleep.
    assert!(started.elapsed() < Duration::from_secs(40), "{stderr}");
    assert!(stderr.contains("did not finish in time"), "{stderr}");
}

#[test]
fn ctrl_c_stops_a_sequential_script_with_130() {
    let child = spawn_until_started(r#"print("started"); sleep(60); print("not reached");"#);
    let started = Instant::now();
    sigint(&child);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(20));
    assert!(!String::from_utf8_lossy(&out.stdout).contains("not reached"));
    assert!(stderr.contains("interrupted (Ctrl-C)"), "{stderr}");
}
