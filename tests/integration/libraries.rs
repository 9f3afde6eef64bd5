//! Script libraries: `qops test` on a library, `qops check` on a broken module, and the order in
//! which `import` looks for modules (script dir, ./qops_modules, QOPS_PATH, bundled stdlib).

use crate::util::{qops_in, repo_path, temp_dir};
use std::path::Path;

fn write(dir: &Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

#[test]
fn qops_test_reports_passing_and_failing_tests() {
    let dir = temp_dir("test");
    write(
        &dir,
        "lib/greet.rhai",
        "/// A greeting.\nfn hello(name) { `hello ${name}` }\n",
    );
    write(
        &dir,
        "lib/greet_test.rhai",
        r#"import "greet" as greet;

fn test_hello_and_the_simulated_tenant() {
    assert_eq(greet::hello("qlik"), "hello qlik");
    let t = tenant(env("QLIK_TENANT"));
    assert(t.users().len() > 0, "the simulator has users");
}

fn test_broken() {
    let answer = 41;
    assert_eq(answer, 42, "the answer");
}

fn helper_not_a_test() { throw "never run"; }
"#,
    );
    let run = qops_in(&dir, &["test", "lib"], &[]);
    run.fails_with(1);
    let out = &run.stdout;
    assert!(
        out.contains("test lib/greet_test.rhai::test_hello_and_the_simulated_tenant ... ok"),
        "{out}"
    );
    assert!(
        out.contains("test lib/greet_test.rhai::test_broken ... FAILED"),
        "{out}"
    );
    assert!(
        out.contains("lib/greet_test.rhai:11:5: assert_eq failed: the answer"),
        "{out}"
    );
    assert!(out.contains("left:  41"), "{out}");
    assert!(!out.contains("helper_not_a_test"), "{out}");
    assert!(out.trim_end().ends_with("1 passed, 1 failed"), "{out}");

    let run = qops_in(&dir, &["test", "lib", "--filter", "hello"], &[]);
    run.ok();
    assert!(run.stdout.contains("1 passed, 0 failed"), "{}", run.stdout);
}

/// Each test gets a fresh simulator: what one test creates, the next does not see.
#[test]
fn each_test_runs_against_a_fresh_simulator() {
    let dir = temp_dir("fresh");
    let body = r#"
    let t = tenant(env("QLIK_TENANT"));
    assert_eq(t.groups("name eq \"Fresh\"").len(), 0, "no group yet");
    t.create_group(#{name: "Fresh"});
"#;
    write(
        &dir,
        "fresh_test.rhai",
        &format!("fn test_a() {{{body}}}\nfn test_b() {{{body}}}\n"),
    );
    qops_in(&dir, &["test"], &[]).ok();
}

#[test]
fn the_bundled_stdlib_passes_its_own_tests() {
    let run = qops_in(&repo_path(""), &["test", "stdlib"], &[]);
    run.ok();
    assert!(run.stdout.contains(" 0 failed"), "{}", run.stdout);
    assert!(
        run.stdout.contains("tenant_test.rhai::test_ensure_space"),
        "{}",
        run.stdout
    );
}

#[test]
fn qops_check_reports_a_broken_imported_module_at_its_location() {
    let dir = temp_dir("check");
    write(
        &dir,
        "app/main.rhai",
        "import \"helper\" as h;\nprint(h::f());\n",
    );
    write(
        &dir,
        "app/helper.rhai",
        "fn f() {\n    let x = (1 + ;\n    x\n}\n",
    );
    write(
        &dir,
        "app/more/missing.rhai",
        "let a = 1;\nimport \"nowhere\" as n;\n",
    );
    // Only the main script is named: the error is found through its import.
    let run = qops_in(&dir, &["check", "app/main.rhai"], &[]);
    run.fails_with(2);
    assert!(
        run.stderr.contains("helper.rhai:2:18: Unexpected ';'"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(" 2 |     let x = (1 + ;"),
        "{}",
        run.stderr
    );
    // A directory: every script under it, recursively.
    let run = qops_in(&dir, &["check", "app"], &[]);
    run.fails_with(2);
    assert!(
        run.stderr
            .contains("app/more/missing.rhai:2:1: module not found: \"nowhere\""),
        "{}",
        run.stderr
    );
    std::fs::write(dir.join("app/helper.rhai"), "fn f() { 1 }\n").unwrap();
    std::fs::remove_file(dir.join("app/more/missing.rhai")).unwrap();
    let run = qops_in(&dir, &["check", "app"], &[]);
    run.ok();
    assert!(run.stderr.contains("2 files ok"), "{}", run.stderr);
}

#[test]
fn modules_resolve_from_script_dir_then_qops_modules_then_qops_path_then_stdlib() {
    let dir = temp_dir("order");
    let module = |who: &str| format!("fn who() {{ \"{who}\" }}\n");
    write(
        &dir,
        "scripts/main.rhai",
        "import \"m\" as m;\nprint(m::who());\n",
    );
    write(&dir, "scripts/m.rhai", &module("script dir"));
    write(&dir, "work/qops_modules/m.rhai", &module("qops_modules"));
    write(&dir, "path1/m.rhai", &module("first QOPS_PATH dir"));
    write(&dir, "path2/m.rhai", &module("second QOPS_PATH dir"));
    let work = dir.join("work");
    let qops_path = std::env::join_paths([dir.join("path1"), dir.join("path2")]).unwrap();
    let qops_path = qops_path.to_str().unwrap();
    let main = dir.join("scripts/main.rhai");
    let main = main.to_str().unwrap();
    let who = || {
        let run = qops_in(&work, &["run", main], &[("QOPS_PATH", qops_path)]);
        run.ok();
        run.stdout.trim().to_string()
    };
    assert_eq!(who(), "script dir");
    std::fs::remove_file(dir.join("scripts/m.rhai")).unwrap();
    assert_eq!(who(), "qops_modules");
    std::fs::remove_file(dir.join("work/qops_modules/m.rhai")).unwrap();
    assert_eq!(who(), "first QOPS_PATH dir");
    std::fs::remove_file(dir.join("path1/m.rhai")).unwrap();
    assert_eq!(who(), "second QOPS_PATH dir");
    std::fs::remove_file(dir.join("path2/m.rhai")).unwrap();
    // The checks before the run find the module missing; without them, the run does.
    let run = qops_in(&work, &["run", main], &[("QOPS_PATH", qops_path)]);
    run.fails_with(2);
    assert!(
        run.stderr
            .contains("main.rhai:1:1: module not found: \"m\""),
        "{}",
        run.stderr
    );
    let run = qops_in(
        &work,
        &["run", "--no-check", main],
        &[("QOPS_PATH", qops_path)],
    );
    run.fails_with(1);
    assert!(run.stderr.contains("main.rhai:1:8"), "{}", run.stderr);

    // A QOPS_PATH module shadows the bundled one of the same name.
    write(&dir, "path2/qlik/tenant.rhai", &module("shadowed stdlib"));
    write(
        &dir,
        "scripts/std.rhai",
        "import \"qlik/tenant\" as t;\nprint(t::who());\n",
    );
    let std_script = dir.join("scripts/std.rhai");
    let run = qops_in(
        &work,
        &["run", std_script.to_str().unwrap()],
        &[("QOPS_PATH", qops_path)],
    );
    run.ok();
    assert_eq!(run.stdout.trim(), "shadowed stdlib");
}

#[test]
fn the_bundled_stdlib_imports_with_no_files_on_disk() {
    let dir = temp_dir("bundled");
    let run = qops_in(
        &dir,
        &[
            "eval",
            r#"import "qlik/tenant" as tenant; tenant::report("space", "Sales", "created", #{id: "s1"}).id"#,
        ],
        &[],
    );
    run.ok();
    assert_eq!(run.stdout.trim(), "s1");
    let run = qops_in(&dir, &["docs", "qlik/tenant"], &[]);
    run.ok();
    assert!(
        run.stdout.contains("ensure_space(t, space)"),
        "{}",
        run.stdout
    );
}

#[test]
fn import_cycles_are_reported_not_looped() {
    let dir = temp_dir("cycle");
    write(&dir, "a.rhai", "import \"b\" as b;\nfn fa() { 1 }\n");
    write(&dir, "b.rhai", "import \"a\" as a;\nfn fb() { 2 }\n");
    write(&dir, "main.rhai", "import \"a\" as a;\nprint(a::fa());\n");
    let run = qops_in(&dir, &["run", "main.rhai"], &[]);
    run.fails_with(1);
    assert!(run.stderr.contains("import cycle"), "{}", run.stderr);
    assert!(run.stderr.contains("a.rhai -> "), "{}", run.stderr);
}

#[test]
fn docs_and_definitions_describe_native_and_library_functions() {
    let dir = temp_dir("docs");
    let run = qops_in(&dir, &["docs", "users"], &[]);
    run.ok();
    assert!(
        run.stdout
            .contains("users(t: &mut Tenant, filter: &str) -> Array"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("Every user of the tenant, all pages."),
        "{}",
        run.stdout
    );
    qops_in(&dir, &["docs", "--markdown", "md"], &[]).ok();
    let md = std::fs::read_to_string(dir.join("md/qops.md")).unwrap();
    assert!(md.contains("### `tenant(host: &str) -> Tenant`"), "{md}");
    let lib = std::fs::read_to_string(dir.join("md/qlik-tenant.md")).unwrap();
    assert!(lib.contains("### `ensure_space(t, space)`"), "{lib}");
    qops_in(&dir, &["definitions", "defs"], &[]).ok();
    let defs = std::fs::read_to_string(dir.join("defs/__static__.d.rhai")).unwrap();
    assert!(
        defs.contains("fn users(t: Tenant, filter: String) -> Array")
            || defs.contains("fn users(t: Tenant, filter: string) -> array"),
        "{defs}"
    );
    assert!(dir.join("defs/policy.d.rhai").is_file());
    let run = qops_in(&dir, &["docs", "no_such_thing"], &[]);
    run.fails_with(2);
}
