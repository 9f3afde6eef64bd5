//! What an installed library holds, file by file, and the one hash that sums it up.
//!
//! The hash is SHA-256 over the files in path order: for each, its relative path (`/`
//! separators), a NUL, the SHA-256 of its bytes in hex, and a newline. `.git` is left out;
//! anything but directories and regular files (a symbolic link could point anywhere) is refused.

use ring::digest::{digest, Context, SHA256};
use std::collections::BTreeMap;
use std::path::Path;

/// Relative path -> SHA-256 of the file's bytes, in hex.
pub type Files = BTreeMap<String, String>;

/// The files under `dir` (which must exist) and their digests.
pub fn files_of(dir: &Path) -> Result<Files, String> {
    let mut out = Files::new();
    walk(dir, "", &mut out)?;
    Ok(out)
}

fn walk(dir: &Path, prefix: &str, out: &mut Files) -> Result<(), String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("{}: {e}", dir.display()))?;
        let path = entry.path();
        let name = entry.file_name();
        let name = name
            .to_str()
            .ok_or_else(|| format!("{}: the file name is not UTF-8", path.display()))?;
        if name == ".git" {
            continue;
        }
        let rel = format!("{prefix}{name}");
        let kind = entry
            .file_type()
            .map_err(|e| format!("{}: {e}", path.display()))?;
        if kind.is_dir() {
            walk(&path, &format!("{rel}/"), out)?;
        } else if kind.is_file() {
            let bytes = crate::files::read_file(&path)?;
            out.insert(rel, hex(digest(&SHA256, &bytes).as_ref()));
        } else {
            return Err(format!(
                "{}: is not a regular file or directory (libraries hold only those)",
                path.display()
            ));
        }
    }
    Ok(())
}

/// The content hash of `files`, as `sha256:HEX`.
pub fn hash(files: &Files) -> String {
    let mut ctx = Context::new(&SHA256);
    for (path, file_digest) in files {
        ctx.update(path.as_bytes());
        ctx.update(b"\0");
        ctx.update(file_digest.as_bytes());
        ctx.update(b"\n");
    }
    format!("sha256:{}", hex(ctx.finish().as_ref()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// How installed files differ from the recorded ones.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Difference {
    pub changed: Vec<String>,
    pub added: Vec<String>,
    pub removed: Vec<String>,
}

impl Difference {
    pub fn between(recorded: &Files, installed: &Files) -> Difference {
        let mut d = Difference::default();
        for (path, want) in recorded {
            match installed.get(path) {
                None => d.removed.push(path.clone()),
                Some(have) if have != want => d.changed.push(path.clone()),
                Some(_) => {}
            }
        }
        d.added = installed
            .keys()
            .filter(|p| !recorded.contains_key(*p))
            .cloned()
            .collect();
        d
    }

    pub fn is_empty(&self) -> bool {
        self.changed.is_empty() && self.added.is_empty() && self.removed.is_empty()
    }

    /// `changed: a.rhai; added: b.rhai; removed: c.rhai`.
    pub fn describe(&self) -> String {
        [
            ("changed", &self.changed),
            ("added", &self.added),
            ("removed", &self.removed),
        ]
        .iter()
        .filter(|(_, list)| !list.is_empty())
        .map(|(what, list)| format!("{what}: {}", list.join(", ")))
        .collect::<Vec<_>>()
        .join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_follows_paths_and_bytes_and_differences_name_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("sub")).unwrap();
        std::fs::create_dir_all(dir.path().join(".git")).unwrap();
        std::fs::write(dir.path().join("a.rhai"), "fn a() { 1 }").unwrap();
        std::fs::write(dir.path().join("sub/b.rhai"), "fn b() { 2 }").unwrap();
        std::fs::write(dir.path().join(".git/HEAD"), "ignored").unwrap();
        let before = files_of(dir.path()).unwrap();
        assert_eq!(before.keys().collect::<Vec<_>>(), ["a.rhai", "sub/b.rhai"]);
        let h = hash(&before);
        assert!(h.starts_with("sha256:") && h.len() == 7 + 64, "{h}");
        std::fs::write(dir.path().join("a.rhai"), "fn a() { 3 }").unwrap();
        std::fs::write(dir.path().join("c.rhai"), "").unwrap();
        std::fs::remove_file(dir.path().join("sub/b.rhai")).unwrap();
        let after = files_of(dir.path()).unwrap();
        assert_ne!(hash(&after), h);
        let d = Difference::between(&before, &after);
        assert_eq!(
            d.describe(),
            "changed: a.rhai; added: c.rhai; removed: sub/b.rhai"
        );
    }
}
