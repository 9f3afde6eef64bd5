//! Before a run (`run`, `eval`, `check`, `test`, `repl`): the installed libraries must be what
//! `qops.lock` records, so a script runs with the code it was reviewed and tested with.
//!
//! Cheap by construction: nothing happens without a `qops.toml` above the working directory;
//! with one, only the locked libraries' files are read and hashed (script libraries are a few
//! kilobytes), and the manifest and lock are two small files.

use super::content::{self, Difference};
use super::lock::Lock;
use super::manifest::Manifest;
use super::{Project, MANIFEST};
use crate::failure::Failure;

/// Reports libraries that differ from the lock: an error (exit 2) unless `allow_modified`,
/// then a warning.
pub fn installed_libraries(allow_modified: bool) -> Result<(), Failure> {
    let Some(project) = Project::find() else {
        return Ok(());
    };
    let problems = problems(&project).map_err(Failure::Usage)?;
    if problems.is_empty() {
        return Ok(());
    }
    let list = problems
        .iter()
        .map(|p| format!("  {p}"))
        .collect::<Vec<_>>()
        .join("\n");
    if allow_modified {
        eprintln!(
            "warning: installed libraries differ from qops.lock (running anyway: --allow-modified):\n{list}"
        );
        return Ok(());
    }
    Err(Failure::Usage(format!(
        "installed libraries differ from qops.lock:\n{list}\n`qops install` restores them; \
         --allow-modified runs anyway"
    )))
}

/// An installed library written for another qops is an error whatever `--allow-modified`
/// says: it was installed by a colleague's qops, or edited.
fn compatible(manifest: &std::path::Path, name: &str) -> Result<(), String> {
    let Ok(Some(text)) = crate::files::read_text_if_exists(manifest) else {
        return Ok(());
    };
    let Ok(manifest) = Manifest::parse(&format!("{name}/{MANIFEST}"), &text) else {
        return Ok(());
    };
    match manifest.library {
        Some(info) => info.check_compatible(&super::qops_version()),
        None => Ok(()),
    }
}

/// One line per library that is missing or differs.
fn problems(project: &Project) -> Result<Vec<String>, String> {
    let manifest = Manifest::read(&project.manifest_path())?;
    let lock = Lock::read(&project.lock_path())?;
    let lock = match lock {
        Some(lock) => lock,
        None if manifest.dependencies.is_empty() => return Ok(Vec::new()),
        None => Lock::default(),
    };
    let mut out = Vec::new();
    for name in manifest.dependencies.keys() {
        if !lock.libraries.contains_key(name) {
            out.push(format!(
                "{name}: in qops.toml but not installed and locked (run `qops install`)"
            ));
        }
    }
    for (name, locked) in &lock.libraries {
        let dir = project.library_dir(name);
        let shown = project.shown(&dir);
        if !dir.is_dir() {
            out.push(format!("{name}: not installed ({shown} is missing)"));
            continue;
        }
        match content::files_of(&dir) {
            Ok(files) => {
                let diff = Difference::between(&locked.files, &files);
                if !diff.is_empty() {
                    out.push(format!("{name}: modified in {shown}: {}", diff.describe()));
                }
            }
            Err(e) => out.push(format!("{name}: {e}")),
        }
        compatible(&dir.join(MANIFEST), name)?;
    }
    Ok(out)
}
