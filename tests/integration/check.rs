//! `qops check` catches what a compiler would, `run` checks before it sends anything, and
//! run-time errors speak in operator words.

use crate::util::*;

/// Requests the simulator has answered so far.
fn requests(sim: &Sim) -> u64 {
    sim.admin("stats")["requests"].as_u64().unwrap_or(u64::MAX)
}

/// A script that first creates a space, then makes `mistake`.
fn creates_then(mistake: &str) -> String {
    format!(
        "import \"qlik/tenant\" as tn;\nlet t = tenant(env(\"QLIK_TENANT\"));\nt.create_space(#{{name: \"Half-done\", type: \"shared\"}});\n{mistake}\n"
    )
}

#[test]
fn check_reports_every_misspelt_name_with_the_nearest_and_its_signature() {
    let file = temp_file(
        "typos.rhai",
        "import \"qlik/tenant\" as tn;\nlet t = tenat(\"x\");\nlet u = t.usres();\ntn::ensure_usr(t, #{});\n",
    );
    let run = qops(&["check", file.to_str().unwrap()]);
    run.fails_with(2);
    let err = &run.stderr;
    assert!(
        err.contains("typos.rhai:2:9: no function 'tenat' — did you mean 'tenant'?"),
        "{err}"
    );
    assert!(err.contains("tenant(host: string) -> tenant"), "{err}");
    assert!(
        err.contains("typos.rhai:3:11: no method 'usres' — did you mean 'users'"),
        "{err}"
    );
    assert!(err.contains("t.users(filter: string) -> array"), "{err}");
    assert!(
        err.contains(
            "typos.rhai:4:5: no function 'ensure_usr' in module \"qlik/tenant\" — did you mean 'tn::ensure_user'"
        ),
        "{err}"
    );
    assert!(!err.contains("ImmutableString"), "{err}");
}

#[test]
fn check_reports_undefined_variables_and_wrong_arities() {
    let file = temp_file(
        "scope.rhai",
        "let customer = #{name: \"a\"};\nprint(custmer.name);\nfn greet(who) { print(customer) }\ngreet(\"a\", \"b\");\nlet t = tenant(\"x\");\nt.users(\"a\", 1, 2);\n",
    );
    let run = qops(&["check", file.to_str().unwrap()]);
    run.fails_with(2);
    let err = &run.stderr;
    assert!(
        err.contains(
            "scope.rhai:2:7: no variable 'custmer' is defined here — did you mean 'customer'?"
        ),
        "{err}"
    );
    // Functions do not see the script's variables.
    assert!(
        err.contains("scope.rhai:3:23: no variable 'customer' is defined here"),
        "{err}"
    );
    assert!(
        err.contains("a function sees only its parameters, not the script's variables: pass 'customer' as a parameter"),
        "{err}"
    );
    assert!(
        err.contains("scope.rhai:4:1: function 'greet' takes 1 argument, called with 2"),
        "{err}"
    );
    assert!(
        err.contains("scope.rhai:6:3: method 'users' takes 0, 1 or 2 arguments, called with 3"),
        "{err}"
    );
}

#[test]
fn run_stops_on_a_misspelling_before_any_request() {
    let sim = Sim::start(&[]);
    let before = requests(&sim);
    for (mistake, expected) in [
        ("t.usres();", "script.rhai:4:3: no method 'usres' — did you mean 'users'"),
        ("tenat(\"x\");", "script.rhai:4:1: no function 'tenat' — did you mean 'tenant'?"),
        (
            "tn::ensure_usr(t, #{});",
            "script.rhai:4:5: no function 'ensure_usr' in module \"qlik/tenant\" — did you mean 'tn::ensure_user'",
        ),
        ("print(undefined_thing);", "script.rhai:4:7: no variable 'undefined_thing'"),
    ] {
        let run = sim.script(&creates_then(mistake), &[]);
        run.fails_with(2);
        assert!(run.stderr.contains(expected), "{}", run.stderr);
        assert!(run.stderr.contains("nothing was run"), "{}", run.stderr);
    }
    assert_eq!(requests(&sim), before, "{}", sim.admin("stats"));
}

#[test]
fn no_check_runs_anyway_and_the_runtime_error_names_the_method() {
    let sim = Sim::start(&[]);
    let before = requests(&sim);
    let run = sim.script(&creates_then("t.usres();"), &["--no-check"]);
    run.fails_with(1);
    assert!(requests(&sim) > before, "the space was not created");
    assert!(
        run.stderr
            .contains("script.rhai:4:3: no method 'usres' for a tenant — did you mean 'users'"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("Function not found"), "{}", run.stderr);
}

#[test]
fn eval_and_test_check_before_running() {
    let run = qops(&["eval", "tenat(\"x\")"]);
    run.fails_with(2);
    assert!(
        run.stderr
            .contains("<eval>:1:1: no function 'tenat' — did you mean 'tenant'?"),
        "{}",
        run.stderr
    );
    let file = temp_file(
        "typo_test.rhai",
        "fn test_one() { assert_eq(1, 1); }\nfn test_two() { asert(true); }\n",
    );
    let run = qops(&["test", file.to_str().unwrap()]);
    run.fails_with(2);
    assert!(
        run.stderr
            .contains("typo_test.rhai:2:17: no function 'asert' — did you mean 'assert'?"),
        "{}",
        run.stderr
    );
    assert!(!run.stdout.contains("test_one ... ok"), "{}", run.stdout);
}

#[test]
fn the_repository_scripts_libraries_and_fixtures_pass_the_checks() {
    let run = Run::from(
        qops_cmd()
            .current_dir(repo_path(""))
            .args(["check", "scripts", "stdlib", "tests"])
            .output()
            .unwrap(),
    );
    run.ok();
    assert!(run.stderr.contains("files ok"), "{}", run.stderr);
}

#[test]
fn wrong_argument_types_list_the_overloads_and_the_call() {
    let sim = Sim::start(&[]);
    let run = sim.script("let t = tenant(env(\"QLIK_TENANT\"));\nt.users(42);\n", &[]);
    run.fails_with(1);
    assert!(
        run.stderr
            .contains("script.rhai:2:3: users([filter: string[, limit: int]]) — called with (int)"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("ImmutableString"), "{}", run.stderr);
}

#[test]
fn a_property_of_nothing_names_the_call_that_returned_nothing() {
    let sim = Sim::start(&[]);
    let run = sim.script(
        "let t = tenant(env(\"QLIK_TENANT\"));\nlet u = t.find_user(#{email: \"nobody@example.com\"});\nprint(u.id);\n",
        &[],
    );
    run.fails_with(1);
    assert!(
        run.stderr.contains(
            "script.rhai:3:9: u is empty (()): t.find_user(...) returned nothing, so u.id cannot be read"
        ),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("getter"), "{}", run.stderr);
}

#[test]
fn handles_show_as_operators_name_them() {
    let sim = Sim::start(&[]);
    let run = sim.script(
        "let t = tenant(env(\"QLIK_TENANT\"));\nprint(`to_string ${t}`);\nprint(`type ${type_of(t)}`);\nprint(`in array ${[t]}`);\nprint(`region ${region(\"us\")}`);\nt.hots\n",
        &[],
    );
    run.fails_with(1);
    let host = sim.tenant_host();
    assert_eq!(run.line("to_string "), format!("tenant {host}"));
    assert_eq!(run.line("type "), "tenant");
    assert!(
        run.line("in array ")
            .starts_with(&format!("[tenant {host}")),
        "{}",
        run.stdout
    );
    assert_eq!(run.line("region "), "region us");
    assert!(
        run.stderr
            .contains("a tenant has no property 'hots' — did you mean 'host'?"),
        "{}",
        run.stderr
    );
    assert!(!run.stdout.contains("qops::"), "{}", run.stdout);
    assert!(!run.stderr.contains("qops::"), "{}", run.stderr);

    // An `eval` result, bare, in an array, and in each --output format.
    let t = "tenant(env(\"QLIK_TENANT\"))";
    let bare = sim.qops(&["eval", t]).ok().stdout.clone();
    assert_eq!(bare, format!("tenant {host}\n"));
    let listed = sim.qops(&["eval", &format!("[{t}]")]).ok().stdout.clone();
    assert!(listed.contains(&format!("\"tenant {host}\"")), "{listed}");
    for format in ["json", "table", "csv"] {
        let out = sim
            .qops(&["eval", &format!("#{{t: {t}}}"), "--output", format])
            .ok()
            .stdout
            .clone();
        assert!(out.contains(&format!("tenant {host}")), "{format}: {out}");
    }
}

#[test]
fn a_missing_module_lists_every_place_searched() {
    let dir = temp_dir("app");
    let script = dir.join("main.rhai");
    std::fs::write(&script, "import \"ops\" as ops;\nops::run_all();\n").unwrap();
    for extra in [&[][..], &["--no-check"][..]] {
        let mut cmd = qops_cmd();
        cmd.current_dir(&dir)
            .env("QOPS_PATH", "/opt/qops-lib")
            .arg("run")
            .arg(&script)
            .args(extra);
        let run = Run::from(cmd.output().unwrap());
        assert_ne!(run.code, 0, "{}", run.stderr);
        let err = &run.stderr;
        assert!(err.contains("module not found: \"ops\""), "{err}");
        let local = format!("{}", dir.join("ops.rhai").display());
        let order = [
            local.as_str(),
            "qops_modules/ops.rhai",
            "/opt/qops-lib/ops.rhai",
            "the modules bundled in qops",
        ];
        let mut at = 0;
        for place in order {
            let found = err[at..]
                .find(place)
                .unwrap_or_else(|| panic!("{place} not listed in order in:\n{err}"));
            at += found + place.len();
        }
    }
}

#[test]
fn an_api_error_in_a_for_loop_names_the_item() {
    let sim = Sim::start(&[]);
    let run = sim.script(
        r#"let t = tenant(env("QLIK_TENANT"));
let customers = [#{name: "Alpha", id: "no-such-user-1"}, #{name: "Beta Corp", id: "000000000000000000000000"}];
for c in customers {
    if c.name == "Alpha" { continue; }
    t.user(c.id);
}
"#,
        &[],
    );
    run.fails_with(1);
    assert!(
        run.stderr.contains("script.rhai:5:7: uncaught API error"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("while processing c = name \"Beta Corp\" (the for loop at line 3)"),
        "{}",
        run.stderr
    );
}
