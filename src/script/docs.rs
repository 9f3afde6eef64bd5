//! The reference of what scripts can call: native functions from the engine's metadata
//! (signatures with parameter names, doc comments) and script libraries' functions from their
//! `///` comments. Used by `qops docs`, `qops definitions` and the REPL's `:help`, completion and
//! hints.

use super::fn_metadata;
use super::modules::{Resolver, STDLIB};
use crate::failure::Failure;
use rhai::{Engine, FnAccess, AST};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

/// One callable function (or property getter) and its documentation.
#[derive(Debug, Clone)]
pub struct FnDoc {
    /// `None` for global functions; `policy` or a module alias otherwise.
    pub namespace: Option<String>,
    pub name: String,
    /// `(name, type)`; the type is empty for script functions.
    pub params: Vec<(String, String)>,
    pub ret: String,
    /// The doc comment without its `///` markers.
    pub doc: String,
}

impl FnDoc {
    /// `t.host` style getters are registered as `get$host`.
    pub fn property(&self) -> Option<&str> {
        self.name.strip_prefix("get$")
    }

    /// The receiver type when the function can be called as a method: `Tenant` for
    /// `users(t: &mut Tenant)`; `Array`, `Map`, `String`... for the standard library.
    pub fn receiver(&self) -> Option<String> {
        let (_, ty) = self.params.first()?;
        if ty.is_empty() {
            return None;
        }
        Some(type_key(ty))
    }

    /// The receiver when it is one of our handle types (`Tenant`, `Region`, `Site`), not a
    /// standard one: such functions read as methods, not as global functions.
    pub fn handle_receiver(&self) -> Option<String> {
        self.receiver().filter(|r| {
            r.starts_with(char::is_uppercase)
                && ![
                    "String", "INT", "FLOAT", "Array", "Map", "Dynamic", "Blob", "FnPtr",
                ]
                .contains(&r.as_str())
        })
    }

    pub fn qualified_name(&self) -> String {
        let name = self.property().unwrap_or(&self.name);
        fn_metadata::qualified(self.namespace.as_deref(), name)
    }

    /// As called on a value: `t.users(filter: &str) -> Array`.
    pub fn method_signature(&self) -> String {
        let Some((recv, _)) = self.params.first() else {
            return self.signature();
        };
        let mut shifted = self.clone();
        shifted.params.remove(0);
        format!("{recv}.{}", shifted.signature())
    }

    /// `users(t: &mut Tenant, filter: &str) -> Array`; `Tenant.host -> String` for getters.
    pub fn signature(&self) -> String {
        if let Some(prop) = self.property() {
            let recv = self.receiver().unwrap_or_default();
            return format!("{recv}.{prop} -> {}", self.ret);
        }
        let params: Vec<String> = self
            .params
            .iter()
            .map(|(n, t)| {
                if t.is_empty() {
                    n.clone()
                } else {
                    format!("{n}: {t}")
                }
            })
            .collect();
        let mut sig = format!("{}({})", self.qualified_name(), params.join(", "));
        if !self.ret.is_empty() && self.ret != "()" {
            let _ = write!(sig, " -> {}", self.ret);
        }
        sig
    }
}

/// A type as completion groups it: `&mut Tenant` -> `Tenant`, `&str` -> `String`.
pub fn type_key(ty: &str) -> String {
    let t = ty
        .trim()
        .trim_start_matches("&mut ")
        .trim_start_matches('&');
    match t {
        "str" | "ImmutableString" | "String" => "String".into(),
        "i64" | "INT" => "INT".into(),
        "f64" | "FLOAT" => "FLOAT".into(),
        "Array" | "Vec<Dynamic>" => "Array".into(),
        "Map" => "Map".into(),
        // Handles' type names as scripts see them (`type_of(t)`), as their methods are grouped.
        "tenant" => "Tenant".into(),
        "region" => "Region".into(),
        "site" => "Site".into(),
        "progress" => "Progress".into(),
        other => other.to_string(),
    }
}

/// The native functions of `engine` (global ones and those of static modules such as `policy`),
/// with the standard library when `include_std`.
pub fn native_functions(engine: &Engine, include_std: bool) -> Vec<FnDoc> {
    fn_metadata::native_functions(engine, include_std)
        .into_iter()
        .filter(|f| {
            !(f.name.starts_with("set$")
                || f.name.starts_with("index$")
                || f.name.starts_with("anon$"))
        })
        .map(|f| FnDoc {
            doc: strip_comments(f.doc_comments.iter().map(String::as_str)),
            namespace: f.namespace,
            name: f.name,
            params: f.params,
            ret: f.ret,
        })
        .collect()
}

/// Doc-comment lines (`/// text`, `/** text */`) as plain text.
fn strip_comments<'a>(lines: impl Iterator<Item = &'a str>) -> String {
    let mut out = Vec::new();
    for block in lines {
        for line in block.lines() {
            let l = line.trim();
            let l = l
                .strip_prefix("///")
                .or_else(|| l.strip_prefix("/**"))
                .unwrap_or(l);
            let l = l.strip_suffix("*/").unwrap_or(l);
            let l = l.strip_prefix(' ').unwrap_or(l);
            out.push(l.trim_end().to_string());
        }
    }
    while out.last().is_some_and(String::is_empty) {
        out.pop();
    }
    out.join("\n")
}

/// The public functions of a compiled script library, under `namespace`.
pub fn script_functions(ast: &AST, namespace: Option<&str>) -> Vec<FnDoc> {
    let mut out: Vec<FnDoc> = ast
        .iter_functions()
        // Closures compile to functions named `anon$…`: not callable by name, never listed.
        .filter(|f| f.access != FnAccess::Private && !f.name.starts_with("anon$"))
        .map(|f| FnDoc {
            namespace: namespace.map(str::to_string),
            name: f.name.to_string(),
            params: fn_metadata::script_params(&f),
            ret: String::new(),
            doc: strip_comments(f.comments.iter().copied()),
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// The `//!` comment at the top of a library.
pub fn module_doc(text: &str) -> String {
    text.lines()
        .take_while(|l| l.trim_start().starts_with("//!"))
        .map(|l| {
            let l = l.trim_start().trim_start_matches("//!");
            l.strip_prefix(' ').unwrap_or(l).to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A library found like `import` finds it: its source name, module doc and functions.
pub struct Library {
    pub name: String,
    pub doc: String,
    pub functions: Vec<FnDoc>,
}

pub fn library(
    engine: &Engine,
    resolver: &Resolver,
    path: &str,
) -> Option<Result<Library, Failure>> {
    let (source, text) = match resolver.locate(None, path).transpose()? {
        Ok(found) => found,
        Err(message) => return Some(Err(Failure::Usage(message))),
    };
    Some(match engine.compile(&text) {
        Ok(ast) => Ok(Library {
            name: path.trim_end_matches(".rhai").to_string(),
            doc: module_doc(&text),
            functions: script_functions(&ast, None),
        }),
        Err(e) => Err(Failure::Usage(super::report::parse_error(
            &source, &text, &e,
        ))),
    })
}

/// The import names of the libraries `import` can find by name outside a script's own
/// directory: the bundled ones, then the `.rhai` files (tests, `*_test.rhai`, left out) under
/// `./qops_modules` and the `QOPS_PATH` directories, a few levels deep.
pub fn library_names(resolver: &Resolver) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, depth: usize, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        let mut paths: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for path in paths {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default();
            if name.starts_with('.') {
                continue;
            }
            if path.is_dir() && depth > 0 {
                walk(root, &path, depth - 1, out);
            } else if name.ends_with(".rhai") && !name.ends_with("_test.rhai") {
                if let Ok(rel) = path.strip_prefix(root) {
                    let rel = rel.to_string_lossy().replace('\\', "/");
                    out.push(rel.trim_end_matches(".rhai").to_string());
                }
            }
        }
    }
    let mut names: Vec<String> = STDLIB.iter().map(|(n, _)| n.to_string()).collect();
    for dir in resolver.search_dirs() {
        let mut found = Vec::new();
        walk(dir, dir, 3, &mut found);
        for name in found {
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    names
}

/// The library functions called `name` (`ensure_user`), or `alias::name` where the alias is
/// the library's last path segment (`tenant::ensure_user`), each with its library's import name.
/// Libraries that do not compile are skipped here (`qops docs LIBRARY` reports their errors).
pub fn library_functions_named(
    engine: &Engine,
    resolver: &Resolver,
    name: &str,
) -> Vec<(String, FnDoc)> {
    let (alias, bare) = match name.rsplit_once("::") {
        Some((a, b)) => (Some(a), b),
        None => (None, name),
    };
    let mut out = Vec::new();
    for lib in library_names(resolver) {
        if alias.is_some_and(|a| lib.rsplit('/').next() != Some(a)) {
            continue;
        }
        if let Some(Ok(found)) = library(engine, resolver, &lib) {
            for f in found.functions.into_iter().filter(|f| f.name == bare) {
                out.push((found.name.clone(), f));
            }
        }
    }
    out
}

/// Library functions as `qops docs NAME` shows them: the import line, signatures, docs.
pub fn library_functions_text(found: &[(String, FnDoc)]) -> String {
    let mut out = String::new();
    for (lib, f) in found {
        let _ = writeln!(
            out,
            "import \"{lib}\" as {};",
            lib.rsplit('/').next().unwrap_or(lib)
        );
        let _ = writeln!(out, "  {}", f.signature());
        for line in f.doc.lines() {
            let _ = writeln!(out, "      {line}");
        }
        out.push('\n');
    }
    out
}

/// A built-in's overloads and its one-line description, or `None` when `name` is not one.
fn builtin_text(engine: &Engine, name: &str) -> Option<String> {
    let overloads = super::builtins::registered(engine).remove(name)?;
    let mut out = format!(
        "Rhai built-in: {}\n\n",
        super::builtins::description(name).unwrap_or("")
    );
    let mut signatures: Vec<String> = overloads.iter().map(FnDoc::signature).collect();
    signatures.sort();
    signatures.dedup();
    for s in signatures {
        let _ = writeln!(out, "  {s}");
    }
    Some(out)
}

/// Native functions grouped for reading: global functions, then methods by receiver type, then
/// each static module.
fn grouped(functions: &[FnDoc]) -> BTreeMap<String, Vec<&FnDoc>> {
    let mut groups: BTreeMap<String, Vec<&FnDoc>> = BTreeMap::new();
    for f in functions {
        let group = match (&f.namespace, f.handle_receiver()) {
            (Some(ns), _) => format!("3 {ns}::"),
            (None, Some(recv)) => format!("2 {recv} methods"),
            _ => "1 global functions".to_string(),
        };
        groups.entry(group).or_default().push(f);
    }
    for list in groups.values_mut() {
        list.sort_by(|a, b| {
            a.name
                .cmp(&b.name)
                .then(a.params.len().cmp(&b.params.len()))
        });
    }
    groups
}

/// Plain-text reference: one signature per line, its doc indented below.
pub fn text(functions: &[FnDoc]) -> String {
    let mut out = String::new();
    for (group, list) in grouped(functions) {
        let _ = writeln!(out, "{}\n", &group[2..]);
        for f in list {
            let _ = writeln!(out, "  {}", f.signature());
            for line in f.doc.lines() {
                let _ = writeln!(out, "      {line}");
            }
        }
        out.push('\n');
    }
    out
}

/// Markdown reference of native functions.
pub fn markdown(title: &str, intro: &str, functions: &[FnDoc], by_group: bool) -> String {
    let mut out = format!("# {title}\n\n");
    if !intro.is_empty() {
        let _ = writeln!(out, "{intro}\n");
    }
    let groups = if by_group {
        grouped(functions)
    } else {
        BTreeMap::from([("0 functions".to_string(), functions.iter().collect())])
    };
    for (group, list) in groups {
        if by_group {
            let _ = writeln!(out, "## {}\n", &group[2..]);
        }
        for f in list {
            let _ = writeln!(out, "### `{}`\n", f.signature());
            if !f.doc.is_empty() {
                let _ = writeln!(out, "{}\n", f.doc);
            }
        }
    }
    out
}

/// `qops docs [NAME] [--markdown DIR]`.
pub fn docs(
    engine: &Engine,
    resolver: &Resolver,
    name: Option<&str>,
    markdown_dir: Option<&Path>,
) -> Result<(), Failure> {
    let natives = native_functions(engine, false);
    if let Some(dir) = markdown_dir {
        std::fs::create_dir_all(dir)
            .map_err(|e| Failure::Usage(format!("{}: {e}", dir.display())))?;
        let write = |file: String, text: String| {
            let path = dir.join(file);
            std::fs::write(&path, text)
                .map_err(|e| Failure::Runtime(format!("{}: {e}", path.display())))?;
            crate::output::outln!("wrote {}", path.display());
            Ok::<(), Failure>(())
        };
        let libraries: Vec<String> = match name {
            Some(n) => vec![n.to_string()],
            None => STDLIB.iter().map(|(n, _)| n.to_string()).collect(),
        };
        if name.is_none() {
            write(
                "qops.md".into(),
                markdown(
                    "qops native functions",
                    "Signatures and doc comments of every function qops registers.",
                    &natives,
                    true,
                ),
            )?;
        }
        for lib in libraries {
            let Some(found) = library(engine, resolver, &lib) else {
                return Err(Failure::Usage(format!("no library named {lib:?}")));
            };
            let found = found?;
            let intro = format!("`import \"{}\" as m;`\n\n{}", found.name, found.doc);
            write(
                format!("{}.md", found.name.replace(['/', '\\'], "-")),
                markdown(&found.name, &intro, &found.functions, false),
            )?;
        }
        return Ok(());
    }
    match name {
        None => {
            crate::output::out!("{}", text(&natives));
            crate::output::outln!("{}", super::builtins::text(engine));
            crate::output::outln!(
                "libraries (qops docs NAME): {}",
                STDLIB
                    .iter()
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            Ok(())
        }
        Some(name) => {
            let matching: Vec<FnDoc> = natives
                .iter()
                .filter(|f| {
                    f.name == name || f.qualified_name() == name || f.property() == Some(name)
                })
                .cloned()
                .collect();
            let mut shown = String::new();
            if !matching.is_empty() {
                shown.push_str(&text(&matching));
            }
            if let Some(builtin) = builtin_text(engine, name) {
                shown.push_str(&builtin);
                shown.push('\n');
            }
            shown.push_str(&library_functions_text(&library_functions_named(
                engine, resolver, name,
            )));
            if !shown.is_empty() {
                crate::output::out!("{shown}");
                return Ok(());
            }
            match library(engine, resolver, name) {
                Some(found) => {
                    let found = found?;
                    crate::output::outln!("import \"{}\"\n", found.name);
                    if !found.doc.is_empty() {
                        crate::output::outln!("{}\n", found.doc);
                    }
                    for f in &found.functions {
                        crate::output::outln!("  {}", f.signature());
                        for line in f.doc.lines() {
                            crate::output::outln!("      {line}");
                        }
                    }
                    Ok(())
                }
                None => Err(Failure::Usage(format!(
                    "no function or library named {name:?}"
                ))),
            }
        }
    }
}

/// `qops definitions DIR`: `.d.rhai` files for the Rhai language server.
pub fn definitions(engine: &Engine, dir: &Path) -> Result<(), Failure> {
    engine
        .definitions()
        .with_headers(true)
        .include_standard_packages(true)
        .write_to_dir(dir)
        .map_err(|e| Failure::Runtime(format!("{}: {e}", dir.display())))?;
    crate::output::outln!("wrote definitions to {}", dir.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closures_are_never_listed_as_library_functions() {
        let engine = Engine::new();
        let ast = engine
            .compile("/// Doubles.\nfn double(xs) { xs.map(|x| x * 2) }\nprivate fn hidden() {}")
            .unwrap();
        assert!(
            ast.iter_functions().any(|f| f.name.starts_with("anon$")),
            "Rhai compiles the closure to an anon$ function"
        );
        let names: Vec<String> = script_functions(&ast, None)
            .into_iter()
            .map(|f| f.name)
            .collect();
        assert_eq!(names, ["double"]);
    }

    #[test]
    fn library_functions_are_found_by_their_own_name_and_by_alias() {
        let session = std::sync::Arc::new(crate::session::Session::new(Default::default()));
        let engine = super::super::engine::build(&session, &Default::default());
        let resolver = Resolver::new(None);
        for name in ["ensure_user", "tenant::ensure_user"] {
            let found = library_functions_named(&engine, &resolver, name);
            assert_eq!(found.len(), 1, "{name}");
            assert_eq!(found[0].0, "qlik/tenant");
            assert!(found[0].1.doc.contains("A user exists"), "{:?}", found[0].1);
        }
        assert!(library_functions_named(&engine, &resolver, "multicloud::ensure_user").is_empty());
        let text =
            library_functions_text(&library_functions_named(&engine, &resolver, "ensure_user"));
        assert!(
            text.starts_with("import \"qlik/tenant\" as tenant;\n  ensure_user(t, user)\n"),
            "{text}"
        );
    }
}
