//! No input crashes qops: malformed key files, deep and large values, and the panic hook.

use crate::util::*;
use std::process::{Command, Stdio};

/// Key files that once panicked, echoed their text, or are simply not keys; each line of
/// body text is secret and must never reach stderr.
fn bad_key_files() -> Vec<(&'static str, Vec<u8>)> {
    let rsa = std::fs::read_to_string(repo_path("tests/fixtures/rsa-test-key.pem")).unwrap();
    let truncated: String = rsa.lines().take(6).map(|l| format!("{l}\n")).collect();
    let p256 = ring::signature::EcdsaKeyPair::generate_pkcs8(
        &ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
        &ring::rand::SystemRandom::new(),
    )
    .unwrap();
    vec![
        ("garbage.pem", b"SECRETGARBAGE: not a key at all\n".to_vec()),
        ("truncated.pem", truncated.into_bytes()),
        (
            "bad-base64.pem",
            b"-----BEGIN PRIVATE KEY-----\nSECRETBODY!!not*base64\n-----END PRIVATE KEY-----\n"
                .to_vec(),
        ),
        (
            "empty-label.pem",
            b"-----BEGIN -----END -----SECRETTAIL\n".to_vec(),
        ),
        (
            "odd-label.pem",
            b"-----BEGIN SECRETLABEL lower-----\nAAAA\n-----END SECRETLABEL lower-----\n".to_vec(),
        ),
        ("p256.der", p256.as_ref().to_vec()),
    ]
}

/// `qops ARGS` without a simulator.
#[track_caller]
fn assert_clean_failure(run: &Run, path: &str, file: &[u8]) {
    assert!(
        run.code == 1 || run.code == 2,
        "{path}: exit {}\n{}",
        run.code,
        run.stderr
    );
    assert!(run.stderr.contains(path), "{path}: {}", run.stderr);
    assert!(!run.stderr.contains("SECRET"), "{path}: {}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{path}: {}", run.stderr);
    for line in String::from_utf8_lossy(file).lines() {
        let line = line.trim();
        if line.len() >= 8 && !line.starts_with("-----") {
            assert!(
                !run.stderr.contains(line),
                "{path} quoted {line:?}: {}",
                run.stderr
            );
        }
    }
}

#[test]
fn malformed_key_files_fail_with_their_path_and_never_their_text() {
    for (name, bytes) in bad_key_files() {
        let file = temp_file(name, "");
        std::fs::write(&file, &bytes).unwrap();
        let path = file.to_str().unwrap();
        let run = qops(&["eval", &format!("public_jwk({path:?})")]);
        assert_clean_failure(&run, path, &bytes);
        let run = qops(&[
            "eval",
            &format!(
                r#"tenant("acme.us.qlik.localhost", #{{client_id: "c1", private_key: {path:?}}})"#
            ),
        ]);
        assert_clean_failure(&run, path, &bytes);
    }
}

#[test]
fn a_der_key_file_is_read() {
    let pem = std::fs::read_to_string(repo_path("tests/fixtures/ec384-test-key.pem")).unwrap();
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    use base64::Engine as _;
    let der = base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap();
    let file = temp_file("ec384.der", "");
    std::fs::write(&file, der).unwrap();
    let pem_path = repo_path("tests/fixtures/ec384-test-key.pem");
    let run = qops(&[
        "eval",
        &format!(
            "public_jwk({:?}) == public_jwk({:?})",
            file.to_str().unwrap(),
            pem_path.to_str().unwrap()
        ),
        "--allow-path",
        pem_path.parent().unwrap().to_str().unwrap(),
    ]);
    run.ok();
    assert_eq!(run.stdout.trim(), "true");
}

/// The issue's example, a bit deeper than the old 8 MiB stack held while building it: every
/// walk over the value stops at the depth limit with a clear error, or cuts the text.
#[test]
fn a_deeply_nested_value_fails_cleanly_wherever_it_is_walked() {
    let sim = Sim::start(&[]);
    let run = sim.script(
        r#"let a = []; for i in 0..7000 { a = [a] }
           try { print(a) } catch (e) { print(`print: ${e}`) }
           try { debug(a) } catch (e) { print(`debug: ${e}`) }
           try { a == a } catch (e) { print(`compare: ${e}`) }
           let text = `${a}`;
           print(`interpolate: ${text.len()} ${text.contains("[…]")}`);
           let t = tenant(env("QLIK_TENANT"));
           try { t.create_user(#{subject: "auth0|deep", name: "Deep", tags: a}) }
           catch (e) { print(`send: ${e}`) }
           print(`users named Deep: ${t.users().filter(|u| u.name == "Deep").len()}`);
           a"#,
        &[],
    );
    let too_deep = "value nested deeper than 64 levels (--max-depth raises the limit)";
    for what in ["print", "debug", "compare", "send"] {
        assert_eq!(run.line(&format!("{what}: ")), too_deep, "{}", run.stderr);
    }
    assert_eq!(
        run.line("interpolate: "),
        format!("{} true", 64 * 2 + "[…]".chars().count())
    );
    assert_eq!(run.line("users named Deep: "), "0");
    // The script's last value is not shown by `run`; `eval` shows its result, or says why not.
    run.ok();
    let eval = sim.qops(&["eval", "let a = []; for i in 0..100 { a = [a] } a"]);
    eval.fails_with(1);
    assert!(eval.stderr.contains(too_deep), "{}", eval.stderr);
}

#[test]
fn max_depth_raises_the_depth_limit() {
    let script = "let a = []; for i in 0..80 { a = [a] } a == a";
    let run = qops(&["eval", script]);
    run.fails_with(1);
    assert!(
        run.stderr.contains("deeper than 64 levels"),
        "{}",
        run.stderr
    );
    let run = qops(&["eval", script, "--max-depth", "100"]);
    run.ok();
    assert_eq!(run.stdout.trim(), "true");
}

#[test]
fn size_limits_hold_and_flags_raise_them() {
    let arrays = "let a = []; for i in 0..200 { a.push(i) } a.len()";
    let maps = "let m = #{}; for i in 0..200 { m[`k${i}`] = i } m.len()";
    for script in [arrays, maps] {
        let run = qops(&[
            "eval",
            script,
            "--max-array-size",
            "100",
            "--max-map-size",
            "100",
        ]);
        run.fails_with(1);
        assert!(run.stderr.contains("Size of"), "{}", run.stderr);
        let run = qops(&[
            "eval",
            script,
            "--max-array-size",
            "1000",
            "--max-map-size",
            "1000",
        ]);
        run.ok();
        assert_eq!(run.stdout.trim(), "200");
    }
}

/// A key doubled in a loop: each key fits the string limit, all of them together do not.
#[test]
fn map_keys_count_against_the_string_limit() {
    let script = r#"let m = #{}; let k = "k"; for i in 0..9 { k += k; m[k] = i; } m"#;
    let run = qops(&["eval", script, "--max-string-size", "1000"]);
    run.fails_with(1);
    assert!(
        run.stderr
            .contains("value holds more than 1000 bytes of strings and map keys"),
        "{}",
        run.stderr
    );
    let run = qops(&["eval", script, "--max-string-size", "1100"]);
    run.ok();
}

/// Should a panic remain, the hook prints one line without the panic's message, and exit
/// code 3 (debug builds panic on request for this test).
#[test]
fn a_panic_prints_one_line_without_its_message_and_exits_3() {
    let run = Run::from(
        qops_cmd()
            .args(["eval", "1"])
            .env("QOPS_DEBUG_PANIC", "1")
            .output()
            .unwrap(),
    );
    run.fails_with(3);
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{}", run.stderr);
    assert!(
        lines[0].starts_with("internal error: src/cli/mod.rs:")
            && lines[0].ends_with(" — please report"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("requested"), "{}", run.stderr);
}

/// A closed stdout (`qops ... | head -1`) ends the run quietly and successfully.
#[test]
fn a_closed_pipe_ends_the_run_quietly() {
    let mut child = Command::new(BIN)
        .args([
            "eval",
            r#"sleep(0.5); for i in 0..1000 { print(i) } "done""#,
        ])
        .current_dir(std::env::temp_dir())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let run = Run::from(child.wait_with_output().unwrap());
    run.ok();
    assert!(run.stderr.is_empty(), "{}", run.stderr);
}

/// Map keys escape Rhai's own size checks: the memory ceiling stops such a script with an
/// error at its next operation, long before the allocator would abort the process.
#[test]
fn a_script_past_the_memory_ceiling_stops_with_an_error() {
    let script = r#"let m = #{}; let k = "x"; k.pad(65536, "y");
        for i in 0..100000 { m[k + i] = i; } m.len()"#;
    let run = qops(&["eval", script, "--max-memory", "64"]);
    run.fails_with(1);
    assert!(
        run.stderr.contains("memory limit of 64 MiB reached"),
        "{}",
        run.stderr
    );
    assert!(qops(&["eval", "1", "--max-memory", "1"]).code == 2);
}
