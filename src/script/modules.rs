//! Where `import "name"` looks, in order: the importing script's directory, `./qops_modules/`,
//! the project's `qops_modules/` (beside the nearest `qops.toml` above, when that is not the
//! working directory), each directory of `QOPS_PATH`, then the stdlib bundled in the binary (so
//! `import "qlik/tenant"` works with no files on disk). In each directory, `import "NAME"` also
//! finds a library's main module `NAME/NAME.rhai` (how `qops add` installs one). Cycles are
//! reported, not looped.

use rhai::{Engine, EvalAltResult, Module, ModuleResolver, Position, Scope, Shared};
use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The modules shipped inside the binary, by import name.
pub const STDLIB: &[(&str, &str)] = &[
    ("qlik/tenant", include_str!("../../stdlib/qlik/tenant.rhai")),
    (
        "qlik/multicloud",
        include_str!("../../stdlib/qlik/multicloud.rhai"),
    ),
    ("qlik/apps", include_str!("../../stdlib/qlik/apps.rhai")),
];

pub struct Resolver {
    /// `./qops_modules` and the `QOPS_PATH` directories.
    search: Vec<PathBuf>,
    cache: Mutex<HashMap<String, Shared<Module>>>,
}

thread_local! {
    /// Modules being loaded on this thread, outermost first: an import of one of them is a cycle.
    static LOADING: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

impl Resolver {
    pub fn new(qops_path: Option<&str>) -> Resolver {
        let mut search = vec![PathBuf::from(crate::project::MODULES)];
        if let Some(project) = crate::project::Project::find() {
            let here = std::env::current_dir().and_then(|d| d.canonicalize()).ok();
            if here.as_deref() != Some(project.root.as_path()) {
                search.push(project.modules_dir());
            }
        }
        if let Some(list) = qops_path {
            search.extend(std::env::split_paths(list).filter(|p| !p.as_os_str().is_empty()));
        }
        Resolver {
            search,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The directories searched after the importing script's own: `./qops_modules` and the
    /// `QOPS_PATH` directories, in order.
    pub fn search_dirs(&self) -> &[PathBuf] {
        &self.search
    }

    /// The directories searched after the script's own, in order, that exist.
    pub fn library_dirs(&self) -> Vec<PathBuf> {
        self.search_dirs()
            .iter()
            .filter(|d| d.is_dir())
            .cloned()
            .collect()
    }

    /// Where `path` is found, and its text: a file, or a bundled module (`stdlib:` + name). A
    /// file that exists but cannot be read as a script (a FIFO, too large) is an error, not
    /// skipped.
    pub fn locate(
        &self,
        source: Option<&str>,
        path: &str,
    ) -> Result<Option<(String, String)>, String> {
        let file = if path.ends_with(".rhai") {
            path.to_string()
        } else {
            format!("{path}.rhai")
        };
        for dir in self.dirs(source) {
            let found = candidates(&dir, &file, path)
                .into_iter()
                .find(|c| c.exists());
            if let Some(candidate) = found {
                let text = crate::files::read_text_file(&candidate)?;
                let name = candidate
                    .canonicalize()
                    .unwrap_or(candidate)
                    .display()
                    .to_string();
                return Ok(Some((name, text)));
            }
        }
        Ok(STDLIB
            .iter()
            .find(|(name, _)| *name == path.trim_end_matches(".rhai"))
            .map(|(name, text)| (format!("stdlib:{name}"), text.to_string())))
    }
}

impl Resolver {
    /// The directories `import` looks in from `source`, in order.
    fn dirs(&self, source: Option<&str>) -> Vec<PathBuf> {
        // A bundled module imports bundled modules; typed input (the REPL, `eval`) imports
        // from the working directory.
        let script_dir = match source {
            Some(s) if s.starts_with("stdlib:") => None,
            Some(s) if !s.starts_with('<') => Path::new(s).parent().map(Path::to_path_buf),
            _ => Some(PathBuf::from(".")),
        };
        script_dir
            .into_iter()
            .chain(self.search.iter().cloned())
            .collect()
    }

    /// `module not found: "ops"` and every place looked in, in order, for a report.
    pub fn not_found(&self, source: Option<&str>, path: &str) -> (String, Vec<String>) {
        let file = if path.ends_with(".rhai") {
            path.to_string()
        } else {
            format!("{path}.rhai")
        };
        let mut notes = vec!["searched, in order:".to_string()];
        for dir in self.dirs(source) {
            let dir = if dir.as_os_str().is_empty() {
                PathBuf::from(".")
            } else {
                dir
            };
            for candidate in candidates(&dir, &file, path) {
                notes.push(format!("  {}", candidate.display()));
            }
        }
        let bundled: Vec<&str> = STDLIB.iter().map(|(n, _)| *n).collect();
        notes.push(format!(
            "  the modules bundled in qops ({})",
            bundled.join(", ")
        ));
        (format!("module not found: \"{path}\""), notes)
    }
}

/// Where `import "PATH"` may be in `dir`: `PATH.rhai`, and for a bare name also a library's
/// main module `NAME/NAME.rhai`.
fn candidates(dir: &Path, file: &str, path: &str) -> Vec<PathBuf> {
    let bare = path.trim_end_matches(".rhai");
    let mut found = vec![dir.join(file)];
    if !bare.contains(['/', '\\']) {
        found.push(dir.join(bare).join(format!("{bare}.rhai")));
    }
    found
}

impl ModuleResolver for Resolver {
    fn resolve(
        &self,
        engine: &Engine,
        source: Option<&str>,
        path: &str,
        pos: Position,
    ) -> Result<Shared<Module>, Box<EvalAltResult>> {
        let unreadable = |message: String| {
            let err = EvalAltResult::ErrorRuntime(message.into(), pos);
            Box::new(EvalAltResult::ErrorInModule(
                path.to_string(),
                err.into(),
                pos,
            ))
        };
        let Some((name, text)) = self.locate(source, path).map_err(unreadable)? else {
            return Err(Box::new(EvalAltResult::ErrorModuleNotFound(
                path.to_string(),
                pos,
            )));
        };
        if let Some(m) = self
            .cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&name)
        {
            return Ok(m.clone());
        }
        let cycle = LOADING.with(|l| {
            let l = l.borrow();
            l.iter().position(|n| n == &name).map(|i| {
                let mut chain: Vec<&str> = l[i..].iter().map(String::as_str).collect();
                chain.push(&name);
                chain.join(" -> ")
            })
        });
        if let Some(chain) = cycle {
            let err = EvalAltResult::ErrorRuntime(format!("import cycle: {chain}").into(), pos);
            return Err(Box::new(EvalAltResult::ErrorInModule(
                path.to_string(),
                Box::new(err),
                pos,
            )));
        }
        let in_module =
            |e: Box<EvalAltResult>| Box::new(EvalAltResult::ErrorInModule(name.clone(), e, pos));
        let mut ast = engine.compile(&text).map_err(|e| in_module(e.into()))?;
        ast.set_source(name.as_str());
        LOADING.with(|l| l.borrow_mut().push(name.clone()));
        let module = Module::eval_ast_as_new(Scope::new(), &ast, engine);
        LOADING.with(|l| l.borrow_mut().pop());
        let module: Shared<Module> = Arc::new(module.map_err(in_module)?);
        self.cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(name, module.clone());
        Ok(module)
    }
}
