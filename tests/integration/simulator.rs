//! Options of the simulator itself, over the wire: the entitlement's tenant quota (`qops sim
//! --tenant-quota`, and for embedded simulators `--sim-tenant-quota` / `QOPS_SIM_TENANT_QUOTA`)
//! and the kinds of injected fault (`--fault-kinds`), as a raw client and qops see them.

use crate::util::*;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// Creates tenants until the entitlement refuses; prints `created N` and the refusal's code.
const FILL_THE_QUOTA: &str = r#"
let key = tenant(env("QLIK_TENANT")).license_key();
let r = region("us");
let n = 0;
loop {
    try {
        r.create_tenant(#{licenseKey: key});
        n += 1;
    } catch (e) {
        print(`created ${n}, then ${e.status} ${e.code} ${e.title}`);
        break;
    }
}
"#;

#[test]
fn qops_sim_takes_a_tenant_quota() {
    let sim = Sim::start(&["--tenant-quota", "30"]);
    let run = sim.script(FILL_THE_QUOTA, &[]);
    run.ok();
    assert_eq!(
        run.line("created"),
        "29, then 403 TENANTS-22 License quota limit reached"
    );
    let ent = &sim.admin("state")["entitlements"][0];
    assert_eq!(ent["tenantQuota"], 30);
    assert_eq!(ent["tenants"], 30);
}

/// `qops ARGS` with `env` set (no simulator of the harness's).
fn qops(args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = qops_cmd();
    cmd.args(args).envs(env.iter().copied());
    Run::from(cmd.output().expect("run qops"))
}

/// `qops run <FILL_THE_QUOTA> --sim ARGS` with `env` set.
fn fill_embedded(args: &[&str], env: &[(&str, &str)]) -> Run {
    let file = temp_file("fill.rhai", FILL_THE_QUOTA);
    let mut all = vec!["run", file.to_str().unwrap(), "--sim"];
    all.extend_from_slice(args);
    qops(&all, env)
}

#[test]
fn an_embedded_simulator_takes_the_quota_from_the_flag_or_the_environment() {
    let by_default = fill_embedded(&[], &[]);
    assert_eq!(
        by_default.ok().line("created"),
        "24, then 403 TENANTS-22 License quota limit reached"
    );
    let by_env = fill_embedded(&[], &[("QOPS_SIM_TENANT_QUOTA", "27")]);
    assert!(by_env.ok().line("created").starts_with("26, then 403"));
    let flag_wins = fill_embedded(
        &["--sim-tenant-quota", "30"],
        &[("QOPS_SIM_TENANT_QUOTA", "27")],
    );
    assert!(flag_wins.ok().line("created").starts_with("29, then 403"));
    // Nonsense is a usage error, from the flag or the variable.
    fill_embedded(&["--sim-tenant-quota", "0"], &[]).fails_with(2);
    let bad_env = fill_embedded(&[], &[("QOPS_SIM_TENANT_QUOTA", "many")]);
    bad_env.fails_with(2);
    assert!(
        bad_env.stderr.contains("QOPS_SIM_TENANT_QUOTA"),
        "{}",
        bad_env.stderr
    );
}

#[test]
fn qops_test_gives_each_test_a_simulator_with_that_quota() {
    let body = FILL_THE_QUOTA.replace("print(", "throw(");
    let file = temp_file("quota_test.rhai", &format!("fn test_fill() {{{body}}}\n"));
    let run = qops(
        &["test", file.to_str().unwrap(), "--sim-tenant-quota", "28"],
        &[],
    );
    run.fails_with(1);
    assert!(
        run.stdout.contains("created 27, then 403 TENANTS-22"),
        "{}",
        run.stdout
    );
}

#[test]
fn the_quota_flag_needs_an_embedded_simulator() {
    let run = qops(&["eval", "1", "--sim-tenant-quota", "30"], &[]);
    run.fails_with(2);
    assert!(run.stderr.contains("--sim-tenant-quota"), "{}", run.stderr);
}

/// `POST /oauth/token` with the simulator's client over a fresh connection; every byte received
/// until the server closed it, whichever way it did.
fn raw_token_request(sim: &Sim) -> String {
    let body = serde_json::json!({
        "client_id": sim.env["QLIK_CLIENT_ID"], "client_secret": sim.env["QLIK_CLIENT_SECRET"],
        "grant_type": "client_credentials"
    })
    .to_string();
    let mut stream = TcpStream::connect(sim.addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let req = format!(
        "POST /oauth/token HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        sim.tenant_host(),
        body.len()
    );
    stream.write_all(req.as_bytes()).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
    String::from_utf8_lossy(&got).into_owned()
}

#[test]
fn reset_before_closes_the_connection_without_a_byte_and_grants_nothing() {
    let sim = Sim::start(&["--faults", "1", "--fault-kinds", "reset-before"]);
    assert_eq!(raw_token_request(&sim), "");
    let stats = sim.admin("stats");
    assert_eq!(stats["faults"]["reset-before"], 1);
    assert_eq!(sim.token_grants(sim.tenant_host()), 0);
}

#[test]
fn reset_after_grants_then_cuts_the_answer_short_of_its_length() {
    let sim = Sim::start(&["--faults", "1", "--fault-kinds", "reset-after"]);
    let got = raw_token_request(&sim);
    let (head, body) = got.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length: "))
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        !body.is_empty() && body.len() < length,
        "{} of {length}",
        body.len()
    );
    assert_eq!(sim.token_grants(sim.tenant_host()), 1);

    // qops sees a failed exchange (retried, then reported), never a short success.
    let run = sim.qops(&["eval", r#"tenant(env("QLIK_TENANT")).me().name"#]);
    run.fails_with(1);
    assert!(
        run.stderr
            .contains("end of file before message length reached"),
        "{}",
        run.stderr
    );
}

#[test]
fn fault_kinds_must_be_known() {
    let run = qops(
        &[
            "sim",
            "--faults",
            "0.1",
            "--fault-kinds",
            "unavailable,timeout",
        ],
        &[],
    );
    run.fails_with(2);
    assert!(
        run.stderr.contains("unknown fault kind \"timeout\""),
        "{}",
        run.stderr
    );
}

#[test]
fn a_tenant_created_with_a_name_is_found_by_its_hostname() {
    let sim = Sim::start(&[]);
    let run = sim.script(
        r#"
        let key = tenant(env("QLIK_TENANT")).license_key();
        let r = region("us");
        let created = r.create_tenant(#{licenseKey: key, name: "globex"});
        print(`created ${created.hostnames[0]}`);
        try { r.create_tenant(#{licenseKey: key, name: "globex"}); } catch (e) { print(`again ${e.status} ${e.code}`); }
        let found = r.tenant("globex.us.qlik.localhost").info();
        print(`found ${found.id == created.id} ${found.name}`);
        try { r.tenant("nobody.us.qlik.localhost").info(); } catch (e) { print(`unknown ${e.status}`); }
        "#,
        &[],
    );
    run.ok();
    assert_eq!(run.line("created"), "globex.us.qlik.localhost");
    assert_eq!(run.line("again"), "409 HTTP-409");
    assert_eq!(run.line("found"), "true globex");
    assert_eq!(run.line("unknown"), "404");
}
