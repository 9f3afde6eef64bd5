//! `qops.lock`: for each library, where it came from, the exact commit installed and the
//! content of its files (a hash per file and one for the whole), so a colleague's `qops
//! install` reproduces it and every run can tell when an installed copy was changed.

use super::content::{self, Files};
use super::manifest::Source;
use super::names;
use std::collections::BTreeMap;
use toml_edit::{ArrayOfTables, DocumentMut, Item, Table, Value};

const HEADER: &str = "# Written by qops (add, install, update): commit it with qops.toml.\n";
const FORMAT: i64 = 1;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Locked {
    pub source: Source,
    /// The commit installed; `None` for a path dependency.
    pub commit: Option<String>,
    /// `sha256:HEX` over the files, see [`content::hash`].
    pub hash: String,
    pub files: Files,
}

/// Library name -> what is installed.
#[derive(Debug, Default)]
pub struct Lock {
    pub libraries: BTreeMap<String, Locked>,
}

impl Lock {
    pub fn parse(shown: &str, text: &str) -> Result<Lock, String> {
        let bad = |what: String| {
            format!("{shown}: {what} (restore it with your version control, or delete it and run `qops install`)")
        };
        let doc: DocumentMut = text
            .parse()
            .map_err(|e: toml_edit::TomlError| bad(e.to_string().trim_end().to_string()))?;
        match doc.get("version").and_then(Item::as_integer) {
            Some(FORMAT) => {}
            Some(other) => {
                return Err(bad(format!(
                    "lock format {other}; this qops reads format {FORMAT}"
                )))
            }
            None => return Err(bad("no `version`".into())),
        }
        let mut libraries = BTreeMap::new();
        let Some(item) = doc.get("library") else {
            return Ok(Lock { libraries });
        };
        let tables = item
            .as_array_of_tables()
            .ok_or_else(|| bad("`library` must be [[library]] tables".into()))?;
        for t in tables {
            let get = |key: &str| t.get(key).and_then(Item::as_str).map(str::to_string);
            let name = get("name").ok_or_else(|| bad("a [[library]] without a name".into()))?;
            names::check_name(&name).map_err(bad)?;
            let at = |what: &str| bad(format!("library {name}: {what}"));
            let source = match (get("git"), get("path")) {
                (Some(url), None) => {
                    names::check_url(&url).map_err(|e| at(&e))?;
                    let rev = get("rev");
                    if let Some(rev) = &rev {
                        names::check_rev(rev).map_err(|e| at(&e))?;
                    }
                    Source::Git { url, rev }
                }
                (None, Some(path)) => Source::Path { path },
                _ => return Err(at("needs either git or path")),
            };
            let commit = get("commit");
            match (&source, &commit) {
                (Source::Git { .. }, Some(c)) if names::is_commit_id(c) => {}
                (Source::Git { .. }, _) => return Err(at("needs a full commit id")),
                (Source::Path { .. }, None) => {}
                (Source::Path { .. }, Some(_)) => return Err(at("a path library has no commit")),
            }
            let hash = get("hash")
                .filter(|h| h.starts_with("sha256:"))
                .ok_or_else(|| at("needs a hash (sha256:...)"))?;
            let files = t
                .get("files")
                .and_then(Item::as_table_like)
                .ok_or_else(|| at("needs a files table"))?
                .iter()
                .map(|(path, digest)| {
                    digest
                        .as_str()
                        .map(|d| (path.to_string(), d.to_string()))
                        .ok_or_else(|| at(&format!("files.{path:?} must be a string")))
                })
                .collect::<Result<Files, String>>()?;
            if content::hash(&files) != hash {
                return Err(at("its files do not add up to its hash (edited by hand?)"));
            }
            libraries.insert(
                name,
                Locked {
                    source,
                    commit,
                    hash,
                    files,
                },
            );
        }
        Ok(Lock { libraries })
    }

    pub fn read(path: &std::path::Path) -> Result<Option<Lock>, String> {
        crate::files::read_text_if_exists(path)?
            .map(|text| Lock::parse(&path.display().to_string(), &text))
            .transpose()
    }

    pub fn to_text(&self) -> String {
        let mut doc = DocumentMut::new();
        doc["version"] = toml_edit::value(FORMAT);
        let mut tables = ArrayOfTables::new();
        for (name, locked) in &self.libraries {
            let mut t = Table::new();
            t["name"] = toml_edit::value(name.as_str());
            match &locked.source {
                Source::Git { url, rev } => {
                    t["git"] = toml_edit::value(url.as_str());
                    if let Some(rev) = rev {
                        t["rev"] = toml_edit::value(rev.as_str());
                    }
                }
                Source::Path { path } => t["path"] = toml_edit::value(path.as_str()),
            }
            if let Some(commit) = &locked.commit {
                t["commit"] = toml_edit::value(commit.as_str());
            }
            t["hash"] = toml_edit::value(locked.hash.as_str());
            let mut files = Table::new();
            for (path, digest) in &locked.files {
                files.insert(path, Item::Value(Value::from(digest.as_str())));
            }
            t.insert("files", Item::Table(files));
            tables.push(t);
        }
        if !tables.is_empty() {
            doc.insert("library", Item::ArrayOfTables(tables));
        }
        format!("{HEADER}{doc}")
    }

    /// Writes the lock atomically (a temp file renamed over it).
    pub fn write(&self, path: &std::path::Path) -> Result<(), String> {
        crate::files::write_file(path, self.to_text().as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lock_reads_back_as_written_and_tampering_is_refused() {
        let files: Files = [("a.rhai".to_string(), "ab".repeat(32))].into();
        let mut lock = Lock::default();
        lock.libraries.insert(
            "teamlib".into(),
            Locked {
                source: Source::Git {
                    url: "file:///r.git".into(),
                    rev: Some("v1".into()),
                },
                commit: Some("c".repeat(40)),
                hash: content::hash(&files),
                files,
            },
        );
        let text = lock.to_text();
        let again = Lock::parse("qops.lock", &text).unwrap();
        assert_eq!(again.libraries, lock.libraries);
        let tampered = text.replace(&"ab".repeat(32), &"cd".repeat(32));
        let err = Lock::parse("qops.lock", &tampered).unwrap_err();
        assert!(err.contains("do not add up"), "{err}");
        let hostile = text.replace("\"v1\"", "\"--upload-pack=x\"");
        assert!(Lock::parse("qops.lock", &hostile).is_err());
    }
}
