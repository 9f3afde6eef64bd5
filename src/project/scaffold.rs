//! `qops new lib NAME`: a library directory that passes `qops check` and `qops test` as
//! created, with its manifest, one documented function, its test, a README generated from the
//! doc comments (as `qops docs --markdown` writes it) and a CI workflow.

use super::{names, MANIFEST};
use crate::failure::Failure;
use crate::script::docs;
use std::path::Path;

/// The library's one module: `NAME/NAME.rhai`, imported as `import "NAME"`.
fn module_text(name: &str) -> String {
    format!(
        r#"//! {name}: helpers our team shares. Say here what the library is for: this text opens its
//! README.

/// The names of the tenant's spaces, sorted: an example to replace with your team's helpers.
/// `t` is a tenant, e.g. `tenant(env("QLIK_TENANT"))`.
fn space_names(t) {{
    let names = t.spaces().map(|space| space.name);
    names.sort();
    names
}}
"#
    )
}

fn test_text(name: &str) -> String {
    format!(
        r#"//! Tests of {name}: `qops test` runs each `test_*` function against a fresh simulator.

import "{name}" as {alias};

fn test_space_names_are_sorted() {{
    let t = tenant(env("QLIK_TENANT"));
    t.create_space(#{{name: "Zulu", type: "shared"}});
    t.create_space(#{{name: "Alpha", type: "shared"}});
    let names = {alias}::space_names(t);
    assert(names.contains("Alpha") && names.contains("Zulu"), "both spaces are listed");
    assert(names.index_of("Alpha") < names.index_of("Zulu"), "in name order");
}}
"#,
        alias = alias(name)
    )
}

/// A Rhai identifier for `import ... as ALIAS`.
fn alias(name: &str) -> String {
    let mut alias: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if alias.starts_with(|c: char| c.is_ascii_digit()) {
        alias.insert(0, '_');
    }
    alias
}

fn manifest_text(name: &str) -> String {
    let v = super::qops_version();
    format!(
        "[library]\nname = \"{name}\"\nversion = \"0.1.0\"\ndescription = \"Helpers our team shares\"\nqops = \">={}.{}\"\n",
        v.major, v.minor
    )
}

const WORKFLOW: &str = r#"# Checks and tests the library on every push and pull request.
name: qops
on: [push, pull_request]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: dtolnay/rust-toolchain@stable
      - name: Install qops
        run: cargo install --locked --git "${QOPS_REPOSITORY:-https://github.com/your-org/qops}" qops
      - name: Compile every script and module
        run: qops check
      - name: Run the tests (each against its own simulator)
        run: qops test --junit test-results/qops.xml
      - name: Publish the test report
        if: always()
        uses: actions/upload-artifact@v4
        with:
          name: qops-test-results
          path: test-results/
"#;

const GITIGNORE: &str = "/qops_modules/\n/test-results/\n";

/// The README: the generated reference of the module's functions, with how to add the library.
pub fn readme(name: &str, module: &str) -> Result<String, Failure> {
    let engine = rhai::Engine::new_raw();
    let ast = engine
        .compile(module)
        .map_err(|e| Failure::Usage(format!("{name}.rhai: {e}")))?;
    let doc = module
        .lines()
        .take_while(|l| l.trim_start().starts_with("//!"))
        .map(|l| {
            let l = l.trim_start().trim_start_matches("//!");
            l.strip_prefix(' ').unwrap_or(l)
        })
        .collect::<Vec<_>>()
        .join("\n");
    let intro = format!(
        "{doc}\n\n## Use it\n\n```sh\nqops add {name} --git URL-OF-THIS-REPOSITORY --rev v0.1.0\n```\n\n\
         ```rhai\nimport \"{name}\" as {alias};\n```\n\n## Functions\n\n\
         (Generated from the doc comments: `qops docs {name} --markdown DIR` writes it again.)",
        alias = alias(name)
    );
    Ok(docs::markdown(
        name,
        &intro,
        &docs::script_functions(&ast, None),
        false,
    ))
}

/// Creates `./NAME` with the library's files; refuses to touch an existing directory.
pub fn new_lib(name: &str) -> Result<(), Failure> {
    names::check_name(name).map_err(Failure::Usage)?;
    let dir = Path::new(name);
    if std::fs::symlink_metadata(dir).is_ok() {
        return Err(Failure::Usage(format!(
            "{name} already exists: choose another name or remove it"
        )));
    }
    let module = module_text(name);
    let files = [
        (MANIFEST.to_string(), manifest_text(name)),
        (format!("{name}.rhai"), module.clone()),
        (format!("{name}_test.rhai"), test_text(name)),
        ("README.md".to_string(), readme(name, &module)?),
        (
            ".github/workflows/qops.yml".to_string(),
            WORKFLOW.to_string(),
        ),
        (".gitignore".to_string(), GITIGNORE.to_string()),
    ];
    for (rel, text) in &files {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| Failure::Runtime(format!("{}: {e}", parent.display())))?;
        }
        crate::files::write_file(&path, text.as_bytes()).map_err(Failure::Runtime)?;
    }
    crate::output::outln!(
        "created library {name}/ ({}); try: cd {name} && qops check && qops test",
        files
            .iter()
            .map(|(rel, _)| rel.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(())
}
