//! Secrets never appear, and the sandbox is sealed: each test is a defect of an earlier build
//! (issue 8), driven through the real binary.

use crate::util::*;
use std::process::Command;

#[test]
fn a_malformed_env_file_is_reported_by_line_and_key_without_the_value() {
    let work = temp_dir("work");
    let cases = [
        (
            "QLIK_TENANT=acme.eu.qlikcloud.com\nQLIK_CLIENT_SECRET=\"abc-hunter2\n",
            ".env:2: QLIK_CLIENT_SECRET: unterminated double quote",
        ),
        (
            "QLIK_CLIENT_SECRET=hunter2 extra'\n",
            ".env:1: QLIK_CLIENT_SECRET: a value with blanks in it must be quoted",
        ),
        (
            "# pasted by mistake\nhunter2-alone\n",
            ".env:2: expected KEY=VALUE",
        ),
    ];
    for (text, want) in cases {
        std::fs::write(work.join(".env"), text).unwrap();
        let run = qops_in(&work, &["eval", "1"], &[]);
        run.fails_with(2);
        assert!(run.stderr.contains(want), "{text:?}: {}", run.stderr);
        assert!(!run.stderr.contains("hunter2"), "{}", run.stderr);
        std::fs::write(work.join("other.env"), text).unwrap();
        let run = qops_in(&work, &["eval", "1", "--env-file", "other.env"], &[]);
        run.fails_with(2);
        assert!(!run.stderr.contains("hunter2"), "{}", run.stderr);
        assert!(
            run.stderr.contains(&want.replace(".env:", "other.env:")),
            "{}",
            run.stderr
        );
    }
    std::fs::write(work.join(".env"), "GREETING='hello world' # fine\n").unwrap();
    let run = qops_in(&work, &["eval", r#"env("GREETING")"#], &[]);
    run.ok();
    assert_eq!(run.stdout.trim(), "hello world");
}

#[test]
fn an_error_quoting_a_source_line_masks_secret_literals() {
    let work = temp_dir("work");
    let jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJib3QifQ.c2lnbmF0dXJlLXZhbHVl";
    std::fs::write(
        work.join("leak.rhai"),
        "let c = #{clientSecret: \"s3cr3t-value\"}; throw \"x\";\n",
    )
    .unwrap();
    let run = qops_in(&work, &["run", "leak.rhai"], &[]);
    run.fails_with(1);
    assert!(run.stderr.contains("leak.rhai:1:"), "{}", run.stderr);
    assert!(!run.stderr.contains("s3cr3t-value"), "{}", run.stderr);
    assert!(
        run.stderr.contains("clientSecret: \"************\""),
        "{}",
        run.stderr
    );
    std::fs::write(
        work.join("leak.rhai"),
        format!("let t = \"{jwt}\"; t.nope();\n"),
    )
    .unwrap();
    // Caught by the checks before the run, which quote the line too.
    let run = qops_in(&work, &["run", "leak.rhai"], &[]);
    run.fails_with(2);
    assert!(run.stderr.contains("leak.rhai:1:"), "{}", run.stderr);
    assert!(!run.stderr.contains("c2lnbmF0dXJl"), "{}", run.stderr);
}

#[test]
fn qops_test_sees_its_simulator_and_qops_test_variables_only() {
    let work = temp_dir("work");
    std::fs::write(
        work.join(".env"),
        "QLIK_API_KEY=from-the-dotenv-file\nQLIK_EXTRA=dotenv\nQOPS_TEST_FROM_FILE=dotenv\n",
    )
    .unwrap();
    std::fs::write(
        work.join("sealed_test.rhai"),
        r#"
fn test_sealed() {
    assert_eq(env("QLIK_API_KEY", "unset"), "unset", ".env QLIK_API_KEY");
    assert_eq(env("QLIK_EXTRA", "unset"), "unset", ".env QLIK_EXTRA");
    assert_eq(env("QOPS_TEST_FROM_FILE", "unset"), "unset", ".env QOPS_TEST_*");
    assert_eq(env("QLIK_CALLER", "unset"), "unset", "the caller's QLIK_*");
    assert_eq(env("HOME", "unset"), "unset", "the caller's HOME");
    assert_eq(env("QOPS_TEST_GREETING"), "hello", "passed QOPS_TEST_*");
    assert(env("QLIK_TENANT").ends_with(".qlik.localhost"), "the simulator's tenant");
    assert_eq(tenant(env("QLIK_TENANT")).me().name.type_of(), "string");
}
"#,
    )
    .unwrap();
    let caller = [
        ("QLIK_CALLER", "caller"),
        ("QLIK_CLIENT_SECRET", "the-callers-secret"),
        ("QOPS_TEST_GREETING", "hello"),
    ];
    let run = qops_in(&work, &["test", "sealed_test.rhai"], &caller);
    run.ok();
    assert!(run.stdout.contains("1 passed, 0 failed"), "{}", run.stdout);
    let run = qops_in(
        &work,
        &["test", "sealed_test.rhai", "--env-file", ".env"],
        &[],
    );
    run.fails_with(2);
    assert!(
        run.stderr.contains("unexpected argument '--env-file'"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_simulator_beyond_loopback_needs_public_and_then_its_admin_token() {
    let mut cmd = Command::new(BIN);
    cmd.args(["sim", "--listen", "0.0.0.0:0"]);
    let run = Run::within(&mut cmd, LIMIT);
    run.fails_with(2);
    assert!(run.stderr.contains("--public"), "{}", run.stderr);

    let sim = Sim::start(&["--listen", "0.0.0.0:0", "--public"]);
    let token = sim.ready["admin_token"]
        .as_str()
        .expect("admin_token")
        .to_string();
    assert!(token.len() >= 32, "{token}");
    assert_eq!(sim.ready["env"]["QLIK_TENANT"], sim.env["QLIK_TENANT"]);
    // Only ever connect to loopback.
    let local = std::net::SocketAddr::from(([127, 0, 0, 1], sim.addr.port()));
    let state =
        |headers: &[(&str, &str)]| http(local, "GET", "127.0.0.1", "/_sim/state", headers, None);
    assert_eq!(state(&[]).status, 401);
    assert_eq!(state(&[("authorization", "Bearer wrong")]).status, 401);
    let bearer = format!("Bearer {token}");
    let reply = state(&[("authorization", &bearer)]);
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(reply.json()["tenants"].is_array());

    let loopback = Sim::start(&[]);
    assert!(loopback.ready.get("admin_token").is_none());
    assert!(loopback.admin("state")["tenants"].is_array());
    let other = Sim::start(&["--listen", "0.0.0.0:0", "--public"]);
    assert_ne!(other.ready["admin_token"], sim.ready["admin_token"]);
}
