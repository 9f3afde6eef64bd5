//! The README's examples as a user runs them, and where runs keep their files: every `qops ...
//! --sim` command of the README runs twice in one directory; the headline `region("eu")` example
//! works as written; the onboarding script runs from any directory; `script_dir()`; state and
//! secret files never land in the working directory; secret files go to the user's data
//! directory, owner-only.

use crate::util::*;
use std::path::{Path, PathBuf};

/// README commands with `--sim` that this test does not run, and why. Everything else found in
/// the README's code blocks runs, so a new example is covered without touching this file.
const NOT_RUN: &[(&str, &str)] = &[(
    "qops repl --sim",
    "interactive: the REPL is driven through a terminal in repl.rs",
)];

/// The fenced code blocks of the README: (language, text).
fn code_blocks(readme: &str) -> Vec<(String, String)> {
    let mut blocks = Vec::new();
    let mut open: Option<(String, String)> = None;
    for line in readme.lines() {
        let fence = line.trim_start().strip_prefix("```");
        match (fence, open.take()) {
            (Some(lang), None) => open = Some((lang.trim().to_string(), String::new())),
            (Some(_), Some(block)) => blocks.push(block),
            (None, Some((lang, mut text))) => {
                text.push_str(line);
                text.push('\n');
                open = Some((lang, text));
            }
            (None, None) => {}
        }
    }
    blocks
}

/// Every command line in the README's code blocks that runs against an embedded simulator
/// (`--sim` as a word), as a shell line starting with `qops`: `$ ` prompts and `# comments`
/// dropped, and `cargo run [--release] --` read as `qops`.
fn sim_commands(readme: &str) -> Vec<String> {
    let mut commands = Vec::new();
    for (_, text) in code_blocks(readme) {
        for line in text.lines() {
            let line = line.trim().trim_start_matches("$ ");
            let line = line.split(" #").next().unwrap_or(line).trim();
            let words: Vec<&str> = line.split_whitespace().collect();
            let args = match words.as_slice() {
                ["qops", rest @ ..] => rest.to_vec(),
                ["cargo", "run", rest @ ..] => match rest.iter().position(|w| *w == "--") {
                    Some(i) => rest[i + 1..].to_vec(),
                    None => continue,
                },
                _ => continue,
            };
            if !args.contains(&"--sim") {
                continue;
            }
            let rest = match line.strip_prefix("qops ") {
                Some(rest) => rest,
                None => line.split_once(" -- ").map_or(line, |(_, rest)| rest),
            };
            commands.push(format!("qops {}", rest.trim()));
        }
    }
    commands
}

/// The files a shell line writes by redirection (`> FILE`), which its run may leave behind.
fn redirected(line: &str) -> Vec<String> {
    let words: Vec<&str> = line.split_whitespace().collect();
    words
        .windows(2)
        .filter(|w| w[0] == ">" || w[0] == ">>")
        .map(|w| w[1].to_string())
        .collect()
}

fn readme() -> String {
    std::fs::read_to_string(repo_path("README.md")).unwrap()
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn the_readme_commands_are_found() {
    let commands = sim_commands(&readme());
    for expected in [
        "qops run scripts/create_tenant.rhai --sim",
        "qops run scripts/onboard_customer.rhai --arg name=acme --arg admin=alice@acme.example --sim",
        "qops run scripts/multicloud_setup.rhai --sim",
        "qops repl --sim",
    ] {
        assert!(
            commands.iter().any(|c| c == expected),
            "{expected} not among {commands:#?}"
        );
    }
}

#[test]
fn every_readme_sim_example_runs_twice_in_one_directory() {
    let work = temp_dir("work");
    let data_home = temp_dir("data-home");
    let bin_dir = Path::new(BIN).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let repo_scripts = format!("{}/", repo_path("scripts").display());
    let mut ran = 0;
    let mut written = Vec::new();
    for line in sim_commands(&readme()) {
        if NOT_RUN.iter().any(|(skip, _)| line == *skip) {
            continue;
        }
        // Paths are the repository's; the run is elsewhere (the examples work from anywhere).
        let shell_line = line.replace(" scripts/", &format!(" {repo_scripts}"));
        written.extend(redirected(&line));
        for round in ["first", "second"] {
            let mut sh = std::process::Command::new("sh");
            sh.current_dir(&work)
                .env("PATH", &path)
                .env("XDG_DATA_HOME", &data_home)
                .args(["-c", &shell_line]);
            for (k, _) in std::env::vars() {
                if k.starts_with("QLIK_") || k.starts_with("QOPS_") || k == "RUST_LOG" {
                    sh.env_remove(k);
                }
            }
            let run = Run::within(&mut sh, LIMIT);
            assert_eq!(
                run.code, 0,
                "{round} run of `{line}` failed:\n{}\n{}",
                run.stdout, run.stderr
            );
        }
        ran += 1;
    }
    assert!(ran >= 5, "only {ran} README examples ran");
    // No inventory, journal or secret file in the working directory (only what an example
    // redirects its output to), nor in the user's own secrets directory: simulated runs keep
    // theirs with their simulator.
    written.sort();
    written.dedup();
    assert_eq!(entries(&work), written);
    assert_eq!(entries(&data_home), Vec::<String>::new());
}

/// The README's first Rhai block, run as written under `--sim`: a tenant created in eu, reached
/// with the eu region's client.
#[test]
fn the_headline_example_creates_a_tenant_in_eu_under_sim() {
    let (_, headline) = code_blocks(&readme())
        .into_iter()
        .find(|(lang, _)| lang == "rhai")
        .unwrap();
    assert!(
        headline.contains("region(\"eu\").create_tenant"),
        "{headline}"
    );
    let file = temp_file("headline.rhai", &headline);
    let work = file.parent().unwrap();
    let run = qops_in(work, &["run", file.to_str().unwrap(), "--sim"], &[]);
    run.ok();
    let lines: Vec<&str> = run.stdout.lines().filter(|l| !l.is_empty()).collect();
    assert_eq!(
        lines,
        ["EU OAuth Client", "alice@acme.example"],
        "{}",
        run.stdout
    );

    let script = temp_file(
        "eu.rhai",
        r#"let key = tenant(env("QLIK_TENANT")).license_key();
           let created = region("eu").create_tenant(#{licenseKey: key});
           print(`host ${created.hostnames[0]}`);
           print(`datacenter ${created.datacenter}`);
           print(`bot ${region("eu").tenant(created.hostnames[0]).me().name}`);
           print(`us ${region("us").tenant(env("QLIK_TENANT")).me().name}`);"#,
    );
    let run = qops_in(work, &["run", script.to_str().unwrap(), "--sim"], &[]);
    run.ok();
    assert!(
        run.line("host").ends_with(".eu.qlik.localhost"),
        "{}",
        run.stdout
    );
    assert_eq!(run.line("datacenter"), "eu-west-1");
    assert_eq!(run.line("bot"), "EU OAuth Client");
    assert_eq!(run.line("us"), "US OAuth Client");
}

#[test]
fn region_eu_works_against_a_running_simulator_with_its_published_variables() {
    let sim = Sim::start(&[]);
    assert!(sim.env.contains_key("QLIK_CLIENT_ID_EU"));
    assert_eq!(sim.env["QLIK_CLIENT_ID_US"], sim.env["QLIK_CLIENT_ID"]);
    let run = sim.script(
        r#"let created = region("eu").create_tenant(#{licenseKey: tenant(env("QLIK_TENANT")).license_key()});
           print(`bot ${region("eu").tenant(created.hostnames[0]).me().name}`);"#,
        &[],
    );
    run.ok();
    assert_eq!(run.line("bot"), "EU OAuth Client");
    // Without the region's own client, the region is refused as Qlik refuses it.
    let mut cmd = sim.command(&["eval", r#"region("eu").create_tenant(#{licenseKey: "x"})"#]);
    cmd.env_remove("QLIK_CLIENT_ID_EU")
        .env_remove("QLIK_CLIENT_SECRET_EU");
    let refused = Run::from(cmd.output().unwrap());
    refused.fails_with(1);
    assert!(
        refused.stderr.contains("belongs to region us, not eu"),
        "{}",
        refused.stderr
    );
}

#[test]
fn onboarding_runs_from_any_directory_twice_against_one_simulator() {
    let sim = Sim::start(&[]);
    let work = temp_dir("elsewhere");
    // No --allow-path and no key argument: the key beside the script is found by script_dir().
    let args = ["--arg", "name=wayne", "--arg", "admin=alice@acme.example"];
    let first = sim.run_repo_script(&work, "scripts/onboard_customer.rhai", &args);
    first.ok();
    let last = first.stdout.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("created ") && !last.starts_with("created 0,"),
        "{}",
        first.stdout
    );
    let second = sim.run_repo_script(&work, "scripts/onboard_customer.rhai", &args);
    assert_unchanged(&second);
    assert_eq!(entries(&work), Vec::<String>::new());
    let state = sim.state_dir();
    assert_eq!(
        entries(&state),
        ["qops-inventory.json", "qops-journal-wayne.jsonl", "secrets"]
    );
    assert_eq!(entries(&state.join("secrets")), ["wayne-oauth-client.json"]);
    #[cfg(unix)]
    {
        assert_eq!(mode(&state), 0o700);
        assert_eq!(mode(&state.join("secrets")), 0o700);
        assert_eq!(mode(&state.join("secrets/wayne-oauth-client.json")), 0o600);
    }
}

#[test]
fn a_restarted_simulator_never_meets_the_files_of_the_one_before() {
    let one = Sim::start(&[]);
    let two = Sim::start(&[]);
    assert_ne!(one.state_dir(), two.state_dir());
    // A simulator known only by its address keys its directory by that address.
    let mut cmd = one.command(&["eval", "state_dir()"]);
    cmd.env_remove("QOPS_SIM_INSTANCE");
    let run = Run::from(cmd.output().unwrap());
    run.ok();
    let expected = format!("sim-{}", one.addr.to_string().replace(':', "-"));
    assert!(run.stdout.trim().ends_with(&expected), "{}", run.stdout);
}

#[test]
fn script_dir_is_the_scripts_directory_read_only() {
    let script_home = temp_dir("script-home");
    std::fs::create_dir(script_home.join("lib")).unwrap();
    std::fs::write(script_home.join("data.json"), r#"{"x": 42}"#).unwrap();
    std::fs::write(
        script_home.join("lib/where.rhai"),
        "fn dir() { script_dir() }\n",
    )
    .unwrap();
    std::fs::write(
        script_home.join("main.rhai"),
        r#"import "lib/where" as where;
           print(`dir ${script_dir()}`);
           print(`module ${where::dir()}`);
           print(`beside ${read_json(script_dir() + "/data.json").x}`);
           print(`relative ${read_json("data.json", "absent")}`);
           try { write_json(script_dir() + "/out.json", #{}); } catch (e) { print(`write ${e}`); }
           write_json("here.json", #{ok: true});"#,
    )
    .unwrap();
    let work = temp_dir("cwd");
    let run = qops_in(
        &work,
        &["run", script_home.join("main.rhai").to_str().unwrap()],
        &[],
    );
    run.ok();
    let home = script_home.display().to_string();
    assert_eq!(run.line("dir"), home);
    assert_eq!(
        run.line("module"),
        home,
        "a module sees the running script's directory"
    );
    assert_eq!(run.line("beside"), "42");
    assert_eq!(
        run.line("relative"),
        "absent",
        "relative paths are the working directory's"
    );
    assert!(
        run.line("write")
            .contains("where files are read, not written"),
        "{}",
        run.stdout
    );
    assert!(!script_home.join("out.json").exists());
    assert_eq!(entries(&work), ["here.json"]);
    // With --allow-path the script's directory may be written too.
    let allowed = qops_in(
        &work,
        &[
            "run",
            script_home.join("main.rhai").to_str().unwrap(),
            "--allow-path",
            script_home.to_str().unwrap(),
        ],
        &[],
    );
    allowed.ok();
    assert!(script_home.join("out.json").exists());

    // In `qops test`, the test file's directory; state files go with each test's simulator.
    std::fs::write(
        script_home.join("dir_test.rhai"),
        format!(
            "fn test_dir() {{ assert_eq(script_dir(), {home:?}); assert_eq(read_json(script_dir() + \"/data.json\").x, 42); assert(state_dir() != script_dir()); }}\n"
        ),
    )
    .unwrap();
    let tested = qops_in(&work, &["test", script_home.to_str().unwrap()], &[]);
    tested.ok();
    assert!(
        tested.stdout.contains("1 passed, 0 failed"),
        "{}",
        tested.stdout
    );

    // Without a script file: the working directory.
    let eval = qops_in(&work, &["eval", "script_dir()"], &[]);
    eval.ok();
    assert_eq!(
        eval.stdout.trim().trim_matches('"'),
        work.display().to_string()
    );
}

#[test]
fn secret_files_go_to_the_users_data_directory_owner_only() {
    let work = temp_dir("cwd");
    let data_home = temp_dir("xdg");
    let xdg = [("XDG_DATA_HOME", data_home.to_str().unwrap())];
    let run = qops_in(
        &work,
        &[
            "eval",
            r#"let p = secret_path("acme-oauth-client.json"); write_json(p, #{clientSecret: "s"}); p"#,
        ],
        &xdg,
    );
    run.ok();
    let secrets: PathBuf = data_home.join("qops/secrets");
    let file = secrets.join("acme-oauth-client.json");
    assert_eq!(
        run.stdout.trim().trim_matches('"'),
        file.display().to_string()
    );
    assert!(file.is_file());
    assert_eq!(entries(&work), Vec::<String>::new());
    #[cfg(unix)]
    {
        assert_eq!(mode(&secrets), 0o700);
        assert_eq!(mode(&file), 0o600);
        // A directory left too open is narrowed before a secret goes in.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&secrets, std::fs::Permissions::from_mode(0o755)).unwrap();
        qops_in(&work, &["eval", r#"secret_path("b.json")"#], &xdg).ok();
        assert_eq!(mode(&secrets), 0o700);
    }
    // Without XDG_DATA_HOME: ~/.local/share/qops/secrets.
    let home = temp_dir("home");
    let mut cmd = qops_cmd();
    cmd.current_dir(&work)
        .env_remove("XDG_DATA_HOME")
        .env("HOME", &home)
        .args(["eval", r#"secret_path("x.json")"#]);
    let run = Run::within(&mut cmd, LIMIT);
    run.ok();
    assert_eq!(
        run.stdout.trim().trim_matches('"'),
        home.join(".local/share/qops/secrets/x.json")
            .display()
            .to_string()
    );
    // A name with a directory in it is refused: a script naming a path uses write_json directly.
    let bad = qops_in(&work, &["eval", r#"secret_path("../x.json")"#], &xdg);
    bad.fails_with(1);
    assert!(bad.stderr.contains("is not a file name"), "{}", bad.stderr);
    // Under a simulator, secrets stay with it: the user's directory is not touched.
    let data_home = temp_dir("xdg-sim");
    let run = qops_in(
        &work,
        &["eval", r#"secret_path("x.json")"#, "--sim"],
        &[("XDG_DATA_HOME", data_home.to_str().unwrap())],
    );
    run.ok();
    assert!(
        !run.stdout.contains(data_home.to_str().unwrap()),
        "{}",
        run.stdout
    );
    assert_eq!(entries(&data_home), Vec::<String>::new());
}
