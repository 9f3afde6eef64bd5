//! Putting one library into `qops_modules/NAME`, all or nothing: it is fetched and checked in a
//! temp directory inside `qops_modules/` (same file system), then renamed into place. A kill
//! at any point leaves either the old library or the new one, plus at worst a `.install-*`
//! directory that the next install removes (imports never see it: names cannot start with a
//! dot).

use super::content::{self, Files};
use super::lock::Locked;
use super::manifest::{LibraryInfo, Manifest, Source};
use super::{git, Project, MANIFEST};
use std::path::{Path, PathBuf};

const STAGING_PREFIX: &str = ".install-";

/// A library fetched and checked, ready to move into place.
pub struct Staged {
    name: String,
    /// Holds `lib/` (the library) until [`Staged::put_in_place`]; removed on drop.
    temp: tempfile::TempDir,
    pub locked: Locked,
    pub info: Option<LibraryInfo>,
}

impl Staged {
    fn lib_dir(&self) -> PathBuf {
        self.temp.path().join("lib")
    }

    /// Replaces `qops_modules/NAME` with the staged library.
    pub fn put_in_place(self, project: &Project) -> Result<(), String> {
        let target = project.library_dir(&self.name);
        let old = self.temp.path().join("old");
        match std::fs::symlink_metadata(&target) {
            Ok(_) => std::fs::rename(&target, &old)
                .map_err(|e| format!("cannot move the old {}: {e}", project.shown(&target)))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("{}: {e}", project.shown(&target))),
        }
        std::fs::rename(self.lib_dir(), &target)
            .map_err(|e| format!("cannot install {}: {e}", project.shown(&target)))
    }
}

/// `qops_modules` held by one `add`, `install` or `update` at a time (a lock on a file in it,
/// released when the process ends, however it ends): a second one refuses rather than sweep
/// away the first one's staging directories or interleave its renames.
pub struct Exclusive {
    _file: std::fs::File,
}

/// Takes [`Exclusive`] hold of the project's `qops_modules`, or says who has it.
pub fn exclusive(project: &Project) -> Result<Exclusive, String> {
    let modules = project.modules_dir();
    std::fs::create_dir_all(&modules).map_err(|e| format!("{}: {e}", project.shown(&modules)))?;
    let path = modules.join(".qops-install.lock");
    let mut options = std::fs::OpenOptions::new();
    options.create(true).write(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600).custom_flags(libc::O_NOFOLLOW);
    }
    let file = options
        .open(&path)
        .map_err(|e| format!("{}: {e}", project.shown(&path)))?;
    match file.try_lock() {
        Ok(()) => Ok(Exclusive { _file: file }),
        Err(std::fs::TryLockError::WouldBlock) => Err(format!(
            "another qops add, install or update is changing {} (it holds {}); run this one when it has finished",
            project.shown(&modules),
            project.shown(&path)
        )),
        Err(std::fs::TryLockError::Error(e)) => Err(format!("{}: {e}", project.shown(&path))),
    }
}

/// Removes what interrupted installs left behind; only the holder of [`Exclusive`] may, since
/// a running install's staging directory looks the same.
pub fn sweep_staging(project: &Project, _held: &Exclusive) {
    let Ok(entries) = std::fs::read_dir(project.modules_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        if entry
            .file_name()
            .to_string_lossy()
            .starts_with(STAGING_PREFIX)
        {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Fetches library `name` from `source` at `commit` (the lock's), or at the newest commit the
/// source allows when `None`, and checks it: its qops requirement, and the lock's hash when a
/// commit is given.
pub fn stage(
    project: &Project,
    name: &str,
    source: &Source,
    pinned: Option<&Locked>,
) -> Result<Staged, String> {
    let modules = project.modules_dir();
    std::fs::create_dir_all(&modules).map_err(|e| format!("{}: {e}", project.shown(&modules)))?;
    let temp = tempfile::Builder::new()
        .prefix(&format!("{STAGING_PREFIX}{name}-"))
        .tempdir_in(&modules)
        .map_err(|e| format!("{}: {e}", project.shown(&modules)))?;
    let lib = temp.path().join("lib");
    let commit = match source {
        Source::Git { url, rev } => {
            git::clone(&project.root, url, &lib)?;
            let commit = match pinned.and_then(|p| p.commit.as_deref()) {
                Some(commit) if git::has_commit(&lib, commit) => commit.to_string(),
                Some(commit) => {
                    return Err(format!(
                        "{name}: commit {commit} recorded in qops.lock is not in {url} any more \
                         (was history rewritten?); `qops update {name}` picks a new one"
                    ))
                }
                None => git::resolve(&lib, url, rev.as_deref())?,
            };
            git::checkout(&lib, &commit)?;
            std::fs::remove_dir_all(lib.join(".git"))
                .map_err(|e| format!("{name}: cannot remove the clone's .git: {e}"))?;
            Some(commit)
        }
        Source::Path { path } => {
            let from = project.root.join(path);
            if !from.is_dir() {
                return Err(format!("{name}: {} is not a directory", from.display()));
            }
            copy_tree(&from, &lib)?;
            None
        }
    };
    let files = content::files_of(&lib).map_err(|e| format!("{name}: {e}"))?;
    let hash = content::hash(&files);
    if let Some(pinned) = pinned {
        if pinned.hash != hash {
            let what = match source {
                Source::Git { .. } => "the files of the recorded commit differ from",
                Source::Path { .. } => "the files at its path differ from",
            };
            let diff = content::Difference::between(&pinned.files, &files);
            return Err(format!(
                "{name}: {what} qops.lock ({}); `qops update {name}` records the new content",
                diff.describe()
            ));
        }
    }
    let info = library_info(&lib, name)?;
    Ok(Staged {
        name: name.to_string(),
        locked: Locked {
            source: source.clone(),
            commit,
            hash,
            files,
        },
        info,
        temp,
    })
}

/// The library's own `[library]` table, refused when it wants another qops.
fn library_info(dir: &Path, name: &str) -> Result<Option<LibraryInfo>, String> {
    let path = dir.join(MANIFEST);
    let Some(text) = crate::files::read_text_if_exists(&path)? else {
        return Ok(None);
    };
    let manifest = Manifest::parse(&format!("{name}/{MANIFEST}"), &text)?;
    if let Some(info) = &manifest.library {
        info.check_compatible(&super::qops_version())?;
    }
    Ok(manifest.library)
}

/// Copies directories and regular files (not `.git`); anything else is refused.
fn copy_tree(from: &Path, to: &Path) -> Result<(), String> {
    std::fs::create_dir_all(to).map_err(|e| format!("{}: {e}", to.display()))?;
    let entries = std::fs::read_dir(from).map_err(|e| format!("{}: {e}", from.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("{}: {e}", from.display()))?;
        let path = entry.path();
        if entry.file_name() == ".git" || entry.file_name() == super::MODULES {
            continue;
        }
        let kind = entry
            .file_type()
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let dest = to.join(entry.file_name());
        if kind.is_dir() {
            copy_tree(&path, &dest)?;
        } else if kind.is_file() {
            let bytes = crate::files::read_file(&path)?;
            std::fs::write(&dest, bytes).map_err(|e| format!("{}: {e}", dest.display()))?;
        } else {
            return Err(format!(
                "{}: is not a regular file or directory (libraries hold only those)",
                path.display()
            ));
        }
    }
    Ok(())
}

/// The recorded files of a library already installed as `locked` says, if they are.
pub fn is_installed(project: &Project, name: &str, locked: &Locked) -> bool {
    let dir = project.library_dir(name);
    dir.is_dir() && content::files_of(&dir).is_ok_and(|files: Files| files == locked.files)
}
