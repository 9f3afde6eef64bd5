//! Output that pipes: `print` of data as JSON, `--output json|table|csv` for `eval` and `run`
//! with script prints kept off stdout, CSV that round-trips, and `qops docs` finding library
//! functions and Rhai's built-ins.

use crate::util::*;
use serde_json::Value;

/// Strings that break hand-made JSON and CSV.
const TRICKY: &str = r#"["plain", "comma, here", "quote \" here", "line\nbreak", "crlf\r\nend", "tab\tand \\ slash", " padded ", "ünï©ødé", ""]"#;

#[test]
fn print_shows_maps_and_arrays_as_json_that_parses_back() {
    let dir = temp_dir("print");
    let script = format!(
        r#"
        let tricky = {TRICKY};
        print(#{{texts: tricky, n: 3, ok: true, none: ()}});
        print([1, 2.5, "x"]);
        print("a plain string");
        for t in tricky {{
            if parse_json(to_json(t)) != t {{ throw `to_json lost ${{t}}`; }}
        }}
        let back = parse_json(#{{texts: tricky}}.to_json());
        if back.texts != tricky {{ throw "to_json of a map lost text"; }}
        "#
    );
    std::fs::write(dir.join("p.rhai"), script).unwrap();
    let run = qops_in(&dir, &["run", "p.rhai"], &[]);
    run.ok();
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", run.stdout);
    let map: Value = serde_json::from_str(lines[0]).expect("print of a map is JSON");
    let want: Value = serde_json::from_str(TRICKY).unwrap();
    assert_eq!(map["texts"], want);
    assert_eq!(map["none"], Value::Null);
    assert_eq!(map["n"], 3);
    assert_eq!(lines[1], r#"[1,2.5,"x"]"#);
    assert_eq!(lines[2], "a plain string");
}

#[test]
fn eval_with_output_json_keeps_prints_off_stdout() {
    let sim = Sim::start(&[]);
    let expr =
        r#"print("looking up users"); print(#{step: 1}); tenant(env("QLIK_TENANT")).users()"#;
    let run = sim.qops(&["eval", "--output", "json", expr]);
    run.ok();
    assert_eq!(run.stdout.lines().count(), 1, "{}", run.stdout);
    let users: Value = serde_json::from_str(&run.stdout).expect("stdout is only the result");
    assert!(users
        .as_array()
        .unwrap()
        .iter()
        .any(|u| u["email"] == "alice@acme.example"));
    assert!(run.stderr.contains("looking up users\n"), "{}", run.stderr);
    assert!(run.stderr.contains(r#"{"step":1}"#), "{}", run.stderr);

    // Without --output: prints and the (indented) result both on stdout, as before.
    let run = sim.qops(&["eval", r#"print("hi"); #{a: [1]}"#]);
    run.ok();
    assert_eq!(run.stdout, "hi\n{\n  \"a\": [\n    1\n  ]\n}\n");
}

/// `src.users()` as CSV: one row per user, every key a column, nested values as JSON.
fn users_csv(stdout: &str) -> Vec<std::collections::HashMap<String, String>> {
    let mut reader = csv::Reader::from_reader(stdout.as_bytes());
    let headers = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            headers
                .iter()
                .zip(r.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

#[test]
fn eval_and_run_print_csv_and_tables() {
    let sim = Sim::start(&[]);
    let users = r#"tenant(env("QLIK_TENANT")).users()"#;
    let run = sim.qops(&["eval", "--output", "csv", users]);
    run.ok();
    let rows = users_csv(&run.stdout);
    let alice = rows
        .iter()
        .find(|r| r["email"] == "alice@acme.example")
        .expect("alice's row");
    assert_eq!(alice["name"], "Alice Admin");
    let roles: Value = serde_json::from_str(&alice["assignedRoles"]).expect("nested as JSON");
    assert_eq!(roles[0]["name"], "TenantAdmin");

    let run = sim.qops(&["eval", "--output", "table", users]);
    run.ok();
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert!(
        lines[0].starts_with("name ") && lines[0].contains("roles"),
        "{}",
        run.stdout
    );
    let alice = lines.iter().find(|l| l.starts_with("Alice Admin")).unwrap();
    assert!(alice.contains("TenantAdmin"), "{}", run.stdout);
    assert!(run.stdout.trim_end().ends_with(" rows)"), "{}", run.stdout);

    // A run whose script ends in a value prints it only with --output; its prints go to stderr.
    let script = format!("print(\"counting\");\nlet users = {users};\nusers.map(|u| #{{name: u.name, roles: u.roles}})\n");
    let run = sim.script(&script, &[]);
    run.ok();
    assert_eq!(run.stdout, "counting\n");
    let run = sim.script(&script, &["--output", "csv"]);
    run.ok();
    assert!(!run.stdout.contains("counting"), "{}", run.stdout);
    assert!(run.stderr.contains("counting"), "{}", run.stderr);
    let rows = users_csv(&run.stdout);
    let alice = rows.iter().find(|r| r["name"] == "Alice Admin").unwrap();
    assert_eq!(alice["roles"], r#"["TenantAdmin"]"#);
    let run = sim.script(&script, &["--output", "table"]);
    run.ok();
    assert!(run.stdout.starts_with("name "), "{}", run.stdout);
    // A script ending in a statement prints no result, whatever --output says.
    let run = sim.script("print(\"done\");\nlet x = 1;\n", &["--output", "json"]);
    run.ok();
    assert_eq!(run.stdout, "");
}

#[test]
fn csv_written_then_read_gives_back_the_same_rows() {
    let dir = temp_dir("csv");
    let script = format!(
        r#"
        let rows = [];
        for t in {TRICKY} {{ rows.push(#{{id: `${{rows.len()}}`, text: t, tags: ["a,b", t], meta: #{{k: t}}}}); }}
        write_csv("out.csv", rows);
        let back = read_csv("out.csv");
        if back.len() != rows.len() {{ throw `${{back.len()}} rows read back`; }}
        for i in 0..rows.len() {{
            if back[i].text != rows[i].text {{ throw `row ${{i}}: ${{back[i].text}}`; }}
            if parse_json(back[i].tags) != rows[i].tags {{ throw `tags ${{i}}`; }}
            if parse_json(back[i].meta) != rows[i].meta {{ throw `meta ${{i}}`; }}
        }}
        write_csv("picked.csv", rows, ["text", "id"]);
        print(read_csv("picked.csv")[1]);
        "#
    );
    std::fs::write(dir.join("c.rhai"), script).unwrap();
    let run = qops_in(&dir, &["run", "c.rhai"], &[]);
    run.ok();
    assert_eq!(run.stdout, "{\"id\":\"1\",\"text\":\"comma, here\"}\n");
    let written = std::fs::read_to_string(dir.join("out.csv")).unwrap();
    assert!(written.starts_with("id,meta,tags,text\n"), "{written}");
    assert!(written.contains("\"quote \"\" here\""), "{written}");
}

#[test]
fn read_csv_takes_rfc_4180_and_names_the_line_of_a_ragged_row() {
    let dir = temp_dir("csvin");
    std::fs::write(
        dir.join("in.csv"),
        "\u{feff}email,name\r\nann@x,\"Ann, \"\"the\"\" admin\"\r\nbob@x,\"Bob\r\nB\"\r\n",
    )
    .unwrap();
    std::fs::write(dir.join("bad.csv"), "email,name\nann@x,Ann\nbob@x\n").unwrap();
    let run = qops_in(
        &dir,
        &["eval", "--output", "json", r#"read_csv("in.csv")"#],
        &[],
    );
    run.ok();
    let rows: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        rows,
        serde_json::json!([
            {"email": "ann@x", "name": "Ann, \"the\" admin"},
            {"email": "bob@x", "name": "Bob\r\nB"}
        ])
    );
    let run = qops_in(&dir, &["eval", r#"read_csv("bad.csv")"#], &[]);
    run.fails_with(1);
    assert!(
        run.stderr
            .contains("bad.csv: line 3: 1 fields, but the header has 2"),
        "{}",
        run.stderr
    );
}

#[test]
fn docs_finds_library_functions_by_name_and_lists_builtins_never_closures() {
    let dir = temp_dir("docs");
    let lib = dir.join("lib/acme");
    std::fs::create_dir_all(&lib).unwrap();
    std::fs::write(
        lib.join("greet.rhai"),
        "//! Greetings.\n\n/// Says hello to everyone.\nfn hello_all(names) { names.map(|n| `hello ${n}`) }\n",
    )
    .unwrap();
    let qops_path = dir.join("lib");
    let vars = [("QOPS_PATH", qops_path.to_str().unwrap())];
    let docs = |args: &[&str]| {
        let mut all = vec!["docs"];
        all.extend_from_slice(args);
        let run = qops_in(&dir, &all, &vars);
        run.ok();
        run.stdout.clone()
    };

    let out = docs(&["ensure_user"]);
    assert!(
        out.starts_with("import \"qlik/tenant\" as tenant;\n  ensure_user(t, user)"),
        "{out}"
    );
    let out = docs(&["hello_all"]);
    assert!(
        out.contains("import \"acme/greet\"") && out.contains("Says hello to everyone."),
        "{out}"
    );
    let out = docs(&["acme/greet"]);
    assert!(
        out.contains("hello_all(names)") && !out.contains("anon$"),
        "{out}"
    );

    let out = docs(&["split"]);
    assert!(out.starts_with("Rhai built-in: "), "{out}");
    assert!(out.contains("split(string: "), "{out}");

    let all = docs(&[]);
    assert!(!all.contains("anon$"), "a closure is listed");
    let builtins = &all[all.find("Rhai built-ins").expect("a built-ins section")..];
    for name in [
        "len",
        "push",
        "contains",
        "split",
        "keys",
        "values",
        "to_upper",
        "parse_int",
    ] {
        let line = builtins
            .lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("{name} not listed:\n{builtins}"));
        assert!(
            line.split_whitespace().count() > 3,
            "{name} has no description: {line}"
        );
    }
}
