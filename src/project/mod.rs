//! Team libraries as dependencies of an automation project: the `qops.toml` manifest, the
//! `qops.lock` lock file, installing libraries from git (or a local directory) into
//! `./qops_modules/NAME`, checking the installed ones against the lock before every run, and
//! scaffolding a new library (`qops new lib`).
//!
//! The project root is the nearest directory holding a `qops.toml`, from the working directory
//! up (as cargo and npm find theirs): the lock and `qops_modules/` live beside it. The working
//! directory, not the script's, decides, because `import` already looks in `./qops_modules`.

pub mod commands;
mod content;
mod git;
mod install;
mod lock;
mod manifest;
mod names;
pub mod scaffold;
pub mod verify;

use std::path::{Path, PathBuf};

/// The manifest's file name.
pub const MANIFEST: &str = "qops.toml";
/// The lock file's name, beside the manifest.
pub const LOCK: &str = "qops.lock";
/// Where libraries are installed, beside the manifest.
pub const MODULES: &str = "qops_modules";

/// An automation project: the directory of its `qops.toml`.
#[derive(Debug, Clone)]
pub struct Project {
    pub root: PathBuf,
}

impl Project {
    /// The project whose `qops.toml` is nearest above `start` (inclusive), if any.
    pub fn find_from(start: &Path) -> Option<Project> {
        let start = start.canonicalize().ok()?;
        start
            .ancestors()
            .find(|dir| dir.join(MANIFEST).is_file())
            .map(|dir| Project {
                root: dir.to_path_buf(),
            })
    }

    /// The project above the working directory, if any.
    pub fn find() -> Option<Project> {
        Project::find_from(Path::new("."))
    }

    pub fn manifest_path(&self) -> PathBuf {
        self.root.join(MANIFEST)
    }

    pub fn lock_path(&self) -> PathBuf {
        self.root.join(LOCK)
    }

    pub fn modules_dir(&self) -> PathBuf {
        self.root.join(MODULES)
    }

    /// Where library `name` is installed.
    pub fn library_dir(&self, name: &str) -> PathBuf {
        self.modules_dir().join(name)
    }

    /// `path` relative to the project root, for messages.
    pub fn shown(&self, path: &Path) -> String {
        path.strip_prefix(&self.root)
            .unwrap_or(path)
            .display()
            .to_string()
    }
}

/// The qops version this binary is, for libraries' `qops = ">=..."` requirements.
pub fn qops_version() -> semver::Version {
    semver::Version::parse(env!("CARGO_PKG_VERSION"))
        .unwrap_or_else(|_| semver::Version::new(0, 0, 0))
}
