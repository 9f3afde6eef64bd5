//! The command line itself: eval, check, exit codes, arguments.

use crate::util::*;

#[test]
fn eval_prints_maps_as_json() {
    let run = qops(&["eval", r#"#{name: "acme", hosts: ["a", "b"], n: 2}"#]);
    run.ok();
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"name": "acme", "hosts": ["a", "b"], "n": 2})
    );
    assert_eq!(qops(&["eval", "40 + 2"]).ok().stdout, "42\n");
}

#[test]
fn check_reports_every_broken_file_with_line_and_column() {
    let good = temp_file("good.rhai", "let x = 1;\nprint(x);\n");
    let bad = temp_file("bad.rhai", "let a = 1;\nlet b = (2 + ;\n");
    let worse = temp_file("worse.rhai", "fn f( {\n");
    let run = qops(&[
        "check",
        good.to_str().unwrap(),
        bad.to_str().unwrap(),
        worse.to_str().unwrap(),
    ]);
    run.fails_with(2);
    assert!(
        run.stderr.contains("bad.rhai:2:14: Unexpected ';'"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains(" 2 | let b = (2 + ;\n   |              ^"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("worse.rhai:1:"), "{}", run.stderr);
    assert!(run.stderr.contains("2 of 3 files failed"), "{}", run.stderr);
    qops(&["check", good.to_str().unwrap()]).ok();
}

#[test]
fn run_passes_args_and_reports_runtime_errors_with_location() {
    let file = temp_file(
        "args.rhai",
        "print(`hello ${args.name}`);\nlet x = args.missing.len();\n",
    );
    let run = qops(&["run", file.to_str().unwrap(), "--arg", "name=acme"]);
    run.fails_with(1);
    assert_eq!(run.line("hello"), "acme");
    assert!(run.stderr.contains("args.rhai:2:"), "{}", run.stderr);
}

#[test]
fn usage_errors_exit_2() {
    qops(&["run"]).fails_with(2);
    qops(&["frobnicate"]).fails_with(2);
    qops(&["run", "/nonexistent/script.rhai"]).fails_with(2);
    qops(&["run", "x.rhai", "--arg", "novalue"]).fails_with(2);
    qops(&["eval", "1 +"]).fails_with(2);
}

#[test]
fn max_operations_stops_a_runaway_loop() {
    let run = qops(&["eval", "loop { }", "--max-operations", "10000"]);
    run.fails_with(1);
    assert!(
        run.stderr.to_lowercase().contains("too many operations"),
        "{}",
        run.stderr
    );
}

#[test]
fn plain_http_to_a_real_host_is_refused() {
    let run = Run::from(
        qops_cmd()
            .args(["eval", r#"tenant("http://acme.us.qlikcloud.com").me()"#])
            .env("QLIK_CLIENT_ID", "id")
            .env("QLIK_CLIENT_SECRET", "secret")
            .output()
            .unwrap(),
    );
    run.fails_with(1);
    assert!(run.stderr.contains("refusing plain http"), "{}", run.stderr);
}

#[test]
fn env_file_is_read_and_real_environment_wins() {
    let file = temp_file(
        "test.env",
        "QOPS_TEST_FROM_FILE=file\nQOPS_TEST_BOTH=file\n",
    );
    let run = Run::from(
        qops_cmd()
            .args(["eval", r#"env("QOPS_TEST_FROM_FILE") + "," + env("QOPS_TEST_BOTH") + "," + env("QOPS_TEST_NONE", "dflt")"#])
            .arg("--env-file")
            .arg(&file)
            .env("QOPS_TEST_BOTH", "real")
            .output()
            .unwrap(),
    );
    run.ok();
    assert_eq!(run.stdout.trim(), "file,real,dflt");
    qops(&["eval", "1", "--env-file", "/nonexistent.env"]).fails_with(2);
}

#[test]
fn run_dash_reads_the_script_from_stdin() {
    use std::io::Write;
    let mut child = qops_cmd()
        .args(["run", "-", "--arg", "who=pipe"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"print(`hello ${args.who}`);\nthrow \"stop\";\n")
        .unwrap();
    let run = Run::from(child.wait_with_output().unwrap());
    run.fails_with(1);
    assert_eq!(run.stdout.trim(), "hello pipe");
    assert!(run.stderr.contains("<stdin>:2:"), "{}", run.stderr);
}

#[test]
fn logs_in_a_pipe_carry_no_colour_codes() {
    let sim = Sim::start(&[]);
    let run = sim.qops(&["eval", r#"tenant(env("QLIK_TENANT")).me().name"#, "-v"]);
    run.ok();
    assert!(run.stderr.contains("INFO GET "), "{}", run.stderr);
    assert!(!run.stderr.contains('\u{1b}'), "{:?}", run.stderr);
}

#[test]
fn csv_and_json_round_trip_quotes_commas_and_newlines() {
    let dir = temp_file("README", "csv\n").parent().unwrap().to_path_buf();
    let run = Run::from(
        qops_cmd()
            .current_dir(&dir)
            .args([
                "eval",
                r#"let rows = [#{name: "Smith, Jo", note: "says \"hi\"\nthen leaves", roles: ["a", "b"]}, #{name: "Lee"}];
                   write_csv("out.csv", rows, ["name", "note", "roles"]);
                   write_text("out.txt", rows.to_json());
                   let back = read_csv("out.csv");
                   [back[0].name, back[0].note, parse_json(back[0].roles)[1], back[1].note,
                    parse_json(read_text("out.txt"))[0].note == rows[0].note].to_json()"#,
            ])
            .output()
            .unwrap(),
    );
    run.ok();
    assert_eq!(
        run.stdout.trim(),
        r#"["Smith, Jo","says \"hi\"\nthen leaves","b","",true]"#
    );
    let csv = std::fs::read_to_string(dir.join("out.csv")).unwrap();
    assert!(
        csv.starts_with("name,note,roles\n\"Smith, Jo\",\"says \"\"hi\"\"\nthen leaves\""),
        "{csv}"
    );
}

#[test]
fn version_completions_and_man_page() {
    let version = Run::from(qops_cmd().arg("--version").output().unwrap());
    version.ok();
    assert!(version.stdout.contains(", built 20"), "{}", version.stdout);
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let run = qops(&["completions", shell]);
        run.ok();
        assert!(
            run.stdout.contains("completions") && run.stdout.len() > 500,
            "{shell}"
        );
    }
    let man = Run::from(qops_cmd().arg("man").output().unwrap());
    man.ok();
    assert!(man.stdout.contains(".TH qops 1"), "{}", man.stdout);
    assert!(
        man.stdout.contains("journal"),
        "the global flags are documented"
    );
}

#[test]
fn each_subcommand_shows_only_the_flags_that_affect_it() {
    let help = |sub: &str| qops(&[sub, "--help"]).ok().stdout.clone();
    let run = help("run");
    for flag in [
        "--sim",
        "--journal",
        "--dry-run",
        "--allow-path",
        "--output",
        "--verbose",
    ] {
        assert!(run.contains(flag), "run --help lacks {flag}:\n{run}");
    }
    let sim = help("sim");
    for flag in [
        "--sim ",
        "--sim-url",
        "--journal",
        "--dry-run",
        "--env-file",
        "--max-depth",
    ] {
        assert!(!sim.contains(flag), "sim --help shows {flag}:\n{sim}");
    }
    let test = help("test");
    assert!(test.contains("--sim-tenant-quota"), "{test}");
    assert!(
        !test.contains("--env-file") && !test.contains("--journal"),
        "{test}"
    );
    let check = help("check");
    assert!(
        check.contains("--env-file") && !check.contains("--dry-run"),
        "{check}"
    );
    // A flag given to a subcommand it does not affect is refused, not ignored.
    qops(&["sim", "--sim"]).fails_with(2);
    qops(&["eval", "1", "--output", "json", "--dry-run"]).ok();
}
