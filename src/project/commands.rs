//! `qops add`, `qops install` and `qops update`.

use super::install::{self, Staged};
use super::lock::{Lock, Locked};
use super::manifest::{Manifest, Source};
use super::{names, Project, MANIFEST};
use crate::failure::Failure;
use std::path::{Path, PathBuf};

fn usage(message: String) -> Failure {
    Failure::Usage(message)
}

fn runtime(message: String) -> Failure {
    Failure::Runtime(message)
}

/// The project above the working directory, or an error saying how to start one.
fn project() -> Result<Project, Failure> {
    Project::find().ok_or_else(|| {
        usage(format!(
            "no {MANIFEST} here or in any parent directory: `qops add NAME --git URL` starts one"
        ))
    })
}

fn read_lock(project: &Project) -> Result<Lock, Failure> {
    Ok(Lock::read(&project.lock_path())
        .map_err(usage)?
        .unwrap_or_default())
}

fn short(commit: Option<&str>) -> String {
    commit.map_or_else(
        || "local files".to_string(),
        |c| c[..c.len().min(12)].to_string(),
    )
}

/// What a library at `staged` is, for the lines the commands print.
fn describe(name: &str, staged: &Staged) -> String {
    let version = staged
        .info
        .as_ref()
        .map(|i| match i.description.as_str() {
            "" => format!(" {}", i.version),
            d => format!(" {} ({d})", i.version),
        })
        .unwrap_or_default();
    format!(
        "{name}{version} at {}, from {}",
        short(staged.locked.commit.as_deref()),
        staged.locked.source.describe()
    )
}

/// `qops add NAME --git URL [--rev REV]` / `qops add NAME --path DIR`: records the dependency in
/// `qops.toml` (created in the working directory if there is none), installs it and locks it.
pub fn add(
    name: &str,
    git: Option<String>,
    rev: Option<String>,
    path: Option<PathBuf>,
) -> Result<(), Failure> {
    names::check_name(name).map_err(usage)?;
    let source = match (git, path) {
        (Some(url), None) => {
            names::check_url(&url).map_err(usage)?;
            if let Some(rev) = &rev {
                names::check_rev(rev).map_err(usage)?;
            }
            Source::Git { url, rev }
        }
        (None, Some(path)) => Source::Path {
            path: path
                .to_str()
                .ok_or_else(|| usage(format!("{}: not a UTF-8 path", path.display())))?
                .to_string(),
        },
        _ => return Err(usage("give either --git URL or --path DIR".into())),
    };
    let (project, mut manifest) = match Project::find() {
        Some(project) => {
            let manifest = Manifest::read(&project.manifest_path()).map_err(usage)?;
            (project, manifest)
        }
        None => {
            let root = std::env::current_dir()
                .and_then(|d| d.canonicalize())
                .map_err(|e| usage(format!("the working directory: {e}")))?;
            (Project { root }, Manifest::empty())
        }
    };
    let source = from_project_root(&project, source)?;
    if manifest.library.as_ref().is_some_and(|l| l.name == name) {
        return Err(usage(format!("{name} is this library's own name")));
    }
    let mut lock = read_lock(&project)?;
    let held = install::exclusive(&project).map_err(usage)?;
    install::sweep_staging(&project, &held);
    let staged = install::stage(&project, name, &source, None).map_err(runtime)?;
    let line = describe(name, &staged);
    let locked = staged.locked.clone();
    staged.put_in_place(&project).map_err(runtime)?;
    lock.libraries.insert(name.to_string(), locked);
    manifest.set_dependency(name, &source);
    crate::files::write_file(&project.manifest_path(), manifest.to_text().as_bytes())
        .map_err(runtime)?;
    lock.write(&project.lock_path()).map_err(runtime)?;
    crate::output::outln!("added {line}");
    Ok(())
}

/// A `--path` given from a subdirectory of the project, as the manifest records it: relative
/// to the project root (the working directory is always under it).
fn from_project_root(project: &Project, source: Source) -> Result<Source, Failure> {
    let Source::Path { path } = &source else {
        return Ok(source);
    };
    if Path::new(path).is_absolute() {
        return Ok(source);
    }
    let here = std::env::current_dir()
        .and_then(|d| d.canonicalize())
        .map_err(|e| usage(format!("the working directory: {e}")))?;
    let Ok(below) = here.strip_prefix(&project.root) else {
        return Ok(source);
    };
    // `sub/../lib` as `lib`: the directories walked down from the root are real ones.
    let mut parts: Vec<String> = Vec::new();
    for part in below.join(path).components() {
        match part {
            std::path::Component::ParentDir if parts.last().is_some_and(|p| p != "..") => {
                parts.pop();
            }
            std::path::Component::CurDir => {}
            other => parts.push(other.as_os_str().to_string_lossy().into_owned()),
        }
    }
    Ok(Source::Path {
        path: if parts.is_empty() {
            ".".to_string()
        } else {
            parts.join("/")
        },
    })
}

/// `qops install`: every dependency as `qops.lock` records it; a dependency the lock does not
/// know yet (or whose source changed in `qops.toml`) at the newest commit its source allows,
/// then locked. Libraries dropped from `qops.toml` are removed.
pub fn install() -> Result<(), Failure> {
    let project = project()?;
    let manifest = Manifest::read(&project.manifest_path()).map_err(usage)?;
    let mut lock = read_lock(&project)?;
    let held = install::exclusive(&project).map_err(usage)?;
    install::sweep_staging(&project, &held);
    if manifest.dependencies.is_empty() {
        crate::output::outln!(
            "nothing to install: {} has no [dependencies]",
            project.shown(&project.manifest_path())
        );
    }
    let mut changed = false;
    for (name, source) in &manifest.dependencies {
        let pinned = lock.libraries.get(name).filter(|l| &l.source == source);
        if let Some(locked) = pinned {
            if install::is_installed(&project, name, locked) {
                crate::output::outln!(
                    "{name} ({}) is installed as locked",
                    short(locked.commit.as_deref())
                );
                continue;
            }
        }
        let staged = install::stage(&project, name, source, pinned).map_err(runtime)?;
        let line = describe(name, &staged);
        let locked = staged.locked.clone();
        staged.put_in_place(&project).map_err(runtime)?;
        if pinned.is_none() {
            changed = true;
            crate::output::outln!("installed {line} (newly locked)");
        } else {
            crate::output::outln!("installed {line}");
        }
        lock.libraries.insert(name.clone(), locked);
    }
    changed |= drop_unlisted(&project, &manifest, &mut lock)?;
    if changed {
        lock.write(&project.lock_path()).map_err(runtime)?;
    }
    Ok(())
}

/// Removes locked libraries `qops.toml` no longer lists; whether any were.
fn drop_unlisted(project: &Project, manifest: &Manifest, lock: &mut Lock) -> Result<bool, Failure> {
    let gone: Vec<String> = lock
        .libraries
        .keys()
        .filter(|name| !manifest.dependencies.contains_key(*name))
        .cloned()
        .collect();
    for name in &gone {
        lock.libraries.remove(name);
        let dir = project.library_dir(name);
        if dir.is_dir() {
            std::fs::remove_dir_all(&dir)
                .map_err(|e| runtime(format!("{}: {e}", project.shown(&dir))))?;
        }
        crate::output::outln!("removed {name} (no longer in {MANIFEST})");
    }
    Ok(!gone.is_empty())
}

/// `qops update [NAME]`: moves the named library (or every one) to the newest commit its
/// source allows — the tip of a branch, a tag's commit, the default branch; a commit id stays —
/// and rewrites the lock.
pub fn update(only: Option<&str>) -> Result<(), Failure> {
    let project = project()?;
    let manifest = Manifest::read(&project.manifest_path()).map_err(usage)?;
    if let Some(name) = only {
        if !manifest.dependencies.contains_key(name) {
            return Err(usage(format!(
                "{name} is not a dependency in {}",
                project.shown(&project.manifest_path())
            )));
        }
    }
    let mut lock = read_lock(&project)?;
    let held = install::exclusive(&project).map_err(usage)?;
    install::sweep_staging(&project, &held);
    for (name, source) in &manifest.dependencies {
        if only.is_some_and(|o| o != name) {
            continue;
        }
        let staged = install::stage(&project, name, source, None).map_err(runtime)?;
        let line = describe(name, &staged);
        let before: Option<&Locked> = lock.libraries.get(name);
        let news = match before {
            Some(b) if b.hash == staged.locked.hash && b.commit == staged.locked.commit => {
                format!("{name} is up to date ({})", short(b.commit.as_deref()))
            }
            Some(b) => format!("updated {line}, was {}", short(b.commit.as_deref())),
            None => format!("installed {line}"),
        };
        let locked = staged.locked.clone();
        staged.put_in_place(&project).map_err(runtime)?;
        lock.libraries.insert(name.clone(), locked);
        crate::output::outln!("{news}");
    }
    if only.is_none() {
        drop_unlisted(&project, &manifest, &mut lock)?;
    }
    lock.write(&project.lock_path()).map_err(runtime)
}
