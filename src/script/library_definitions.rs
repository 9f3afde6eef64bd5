//! `qops definitions DIR`, for script libraries: one `.d.rhai` file per module of the bundled
//! stdlib and of the libraries in `./qops_modules` (and the project's), each opening with
//! `module "IMPORT-PATH";`. That is the Rhai language server's declaration of a module
//! imported by path (its test data `module-named.d.rhai`: "the contained definitions become
//! available according to Rhai module import semantics"), so `import "teamlib" as t;` then
//! completes `t::...` with the doc comments. Script functions are untyped: parameters and
//! results are `?`.

use super::docs::{module_doc, script_functions, FnDoc};
use super::modules::{Resolver, STDLIB};
use crate::failure::Failure;
use std::fmt::Write as _;
use std::path::Path;

/// The definition file of the module imported as `import_path`.
fn definition(import_path: &str, doc: &str, functions: &[FnDoc]) -> String {
    let mut out = String::new();
    for line in doc.lines() {
        let _ = writeln!(out, "/// {line}");
    }
    let _ = writeln!(out, "module {import_path:?};\n");
    for f in functions {
        for line in f.doc.lines() {
            let _ = writeln!(out, "/// {line}");
        }
        let params: Vec<String> = f.params.iter().map(|(n, _)| format!("{n}: ?")).collect();
        let _ = writeln!(out, "fn {}({}) -> ?;\n", f.name, params.join(", "));
    }
    out
}

/// Import path -> text of every library module there is: bundled ones, then installed ones
/// (a library's main module `NAME/NAME.rhai` as `NAME`, others as `NAME/module`; tests left
/// out), an installed module shadowing a bundled one of the same path as `import` does.
fn modules(resolver: &Resolver) -> Result<Vec<(String, String)>, Failure> {
    let mut found: std::collections::BTreeMap<String, String> = STDLIB
        .iter()
        .map(|(name, text)| (name.to_string(), text.to_string()))
        .collect();
    for dir in resolver.library_dirs().iter().rev() {
        let Ok(files) = super::runner::script_files(std::slice::from_ref(dir)) else {
            continue;
        };
        for file in files {
            let Ok(rel) = file.strip_prefix(dir) else {
                continue;
            };
            let rel = rel.with_extension("");
            let Some(rel) = rel.to_str() else { continue };
            let rel = rel.replace('\\', "/");
            if rel.ends_with("_test") || rel.starts_with('.') {
                continue;
            }
            let import = match rel.split_once('/') {
                Some((lib, module)) if lib == module => lib.to_string(),
                _ => rel,
            };
            let text = crate::files::read_text_file(&file).map_err(Failure::Usage)?;
            found.insert(import, text);
        }
    }
    Ok(found.into_iter().collect())
}

/// Writes `DIR/modules/IMPORT-PATH.d.rhai` (slashes as `-`) for every library module.
pub fn write(engine: &rhai::Engine, resolver: &Resolver, dir: &Path) -> Result<(), Failure> {
    let out_dir = dir.join("modules");
    std::fs::create_dir_all(&out_dir)
        .map_err(|e| Failure::Runtime(format!("{}: {e}", out_dir.display())))?;
    let mut written = 0;
    for (import, text) in modules(resolver)? {
        let ast = engine
            .compile(&text)
            .map_err(|e| Failure::Usage(super::report::parse_error(&import, &text, &e)))?;
        let path = out_dir.join(format!("{}.d.rhai", import.replace('/', "-")));
        let body = definition(&import, &module_doc(&text), &script_functions(&ast, None));
        crate::files::write_file(&path, body.as_bytes()).map_err(Failure::Runtime)?;
        written += 1;
    }
    crate::output::outln!(
        "wrote definitions of {written} library module(s) to {}",
        out_dir.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_library_module_is_declared_by_its_import_path() {
        let engine = rhai::Engine::new_raw();
        let ast = engine.compile("/// Adds.\nfn add(a, b) { a + b }").unwrap();
        let text = definition("teamlib", "Team helpers.", &script_functions(&ast, None));
        assert_eq!(
            text,
            "/// Team helpers.\nmodule \"teamlib\";\n\n/// Adds.\nfn add(a: ?, b: ?) -> ?;\n\n"
        );
    }
}
