//! `qops.toml`: a project's dependencies, and a library's own description.
//!
//! ```toml
//! [library]                 # only in a library
//! name = "teamlib"
//! version = "0.1.0"
//! description = "Helpers the platform team shares"
//! qops = ">=0.2"            # the qops versions it works with
//!
//! [dependencies]            # only in a project that uses libraries
//! teamlib = { git = "https://git.example.org/platform/teamlib.git", rev = "v1.2.0" }
//! local = { path = "../local" }
//! ```
//!
//! The document is kept as parsed (`toml_edit`), so `qops add` changes one entry and leaves the
//! rest (comments, order, layout) as the author wrote it.

use super::names;
use std::collections::BTreeMap;
use toml_edit::{DocumentMut, InlineTable, Item, Table, Value};

/// Where a dependency comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A git repository; `rev` a branch, tag or commit, else the remote's default branch.
    Git { url: String, rev: Option<String> },
    /// A directory, relative to the project root unless absolute.
    Path { path: String },
}

impl Source {
    /// As a person reads it in messages.
    pub fn describe(&self) -> String {
        match self {
            Source::Git {
                url,
                rev: Some(rev),
            } => format!("{url} at {rev}"),
            Source::Git { url, rev: None } => format!("{url} (default branch)"),
            Source::Path { path } => format!("path {path}"),
        }
    }

    fn to_inline(&self) -> InlineTable {
        let mut table = InlineTable::new();
        match self {
            Source::Git { url, rev } => {
                table.insert("git", Value::from(url.as_str()));
                if let Some(rev) = rev {
                    table.insert("rev", Value::from(rev.as_str()));
                }
            }
            Source::Path { path } => {
                table.insert("path", Value::from(path.as_str()));
            }
        }
        table
    }
}

/// A library's `[library]` table.
#[derive(Debug, Clone)]
pub struct LibraryInfo {
    pub name: String,
    pub version: semver::Version,
    pub description: String,
    /// The qops versions the library works with; any when absent.
    pub qops: Option<semver::VersionReq>,
}

impl LibraryInfo {
    /// Refuses a library written for another qops, naming both versions.
    pub fn check_compatible(&self, qops: &semver::Version) -> Result<(), String> {
        match &self.qops {
            Some(req) if !req.matches(qops) => Err(format!(
                "library {} {} requires qops {req}, but this is qops {qops}: upgrade qops, or \
                 pin a revision of {} that supports qops {qops}",
                self.name, self.version, self.name
            )),
            _ => Ok(()),
        }
    }
}

pub struct Manifest {
    pub library: Option<LibraryInfo>,
    pub dependencies: BTreeMap<String, Source>,
    document: DocumentMut,
}

impl Manifest {
    /// Parses `text`; errors start with `shown` (the file's name).
    pub fn parse(shown: &str, text: &str) -> Result<Manifest, String> {
        let document: DocumentMut = text
            .parse()
            .map_err(|e: toml_edit::TomlError| format!("{shown}: {}", e.to_string().trim_end()))?;
        for (key, _) in document.iter() {
            if key != "library" && key != "dependencies" {
                return Err(format!(
                    "{shown}: unknown section [{key}] (expected [library] or [dependencies])"
                ));
            }
        }
        let library = match document.get("library") {
            None => None,
            Some(item) => Some(library_info(shown, table(shown, "library", item)?)?),
        };
        let mut dependencies = BTreeMap::new();
        if let Some(item) = document.get("dependencies") {
            for (name, spec) in table(shown, "dependencies", item)?.iter() {
                names::check_name(name).map_err(|e| format!("{shown}: [dependencies] {e}"))?;
                dependencies.insert(name.to_string(), source(shown, name, spec)?);
            }
        }
        Ok(Manifest {
            library,
            dependencies,
            document,
        })
    }

    /// The manifest at `path`.
    pub fn read(path: &std::path::Path) -> Result<Manifest, String> {
        let text = crate::files::read_text_file(path)?;
        Manifest::parse(&path.display().to_string(), &text)
    }

    /// An empty project manifest.
    pub fn empty() -> Manifest {
        Manifest {
            library: None,
            dependencies: BTreeMap::new(),
            document: DocumentMut::new(),
        }
    }

    /// Adds or replaces dependency `name`, keeping the rest of the document as written.
    pub fn set_dependency(&mut self, name: &str, source: &Source) {
        let deps = self
            .document
            .entry("dependencies")
            .or_insert_with(|| Item::Table(Table::new()));
        if !deps.is_table_like() {
            *deps = Item::Table(Table::new());
        }
        deps[name] = Item::Value(Value::InlineTable(source.to_inline()));
        self.dependencies.insert(name.to_string(), source.clone());
    }

    pub fn to_text(&self) -> String {
        self.document.to_string()
    }
}

fn table<'a>(
    shown: &str,
    what: &str,
    item: &'a Item,
) -> Result<&'a dyn toml_edit::TableLike, String> {
    item.as_table_like()
        .ok_or_else(|| format!("{shown}: [{what}] must be a table"))
}

fn string(shown: &str, at: &str, item: Option<&Item>) -> Result<Option<String>, String> {
    match item {
        None => Ok(None),
        Some(item) => item
            .as_str()
            .map(|s| Some(s.to_string()))
            .ok_or_else(|| format!("{shown}: {at} must be a string")),
    }
}

fn library_info(shown: &str, t: &dyn toml_edit::TableLike) -> Result<LibraryInfo, String> {
    for (key, _) in t.iter() {
        if !["name", "version", "description", "qops"].contains(&key) {
            return Err(format!(
                "{shown}: [library] unknown key {key:?} (expected name, version, description, qops)"
            ));
        }
    }
    let name = string(shown, "[library] name", t.get("name"))?
        .ok_or_else(|| format!("{shown}: [library] needs a name"))?;
    names::check_name(&name).map_err(|e| format!("{shown}: [library] {e}"))?;
    let version = string(shown, "[library] version", t.get("version"))?
        .ok_or_else(|| format!("{shown}: [library] needs a version, e.g. \"0.1.0\""))?;
    let version = semver::Version::parse(&version).map_err(|e| {
        format!("{shown}: [library] version {version:?} is not a semantic version: {e}")
    })?;
    let description =
        string(shown, "[library] description", t.get("description"))?.unwrap_or_default();
    let qops = string(shown, "[library] qops", t.get("qops"))?
        .map(|req| {
            semver::VersionReq::parse(&req).map_err(|e| {
                format!("{shown}: [library] qops {req:?} is not a version requirement (e.g. \">=0.2\"): {e}")
            })
        })
        .transpose()?;
    Ok(LibraryInfo {
        name,
        version,
        description,
        qops,
    })
}

fn source(shown: &str, name: &str, spec: &Item) -> Result<Source, String> {
    let at = format!("[dependencies] {name}");
    let t = spec.as_table_like().ok_or_else(|| {
        format!("{shown}: {at} must be a table: {{ git = \"URL\", rev = \"REV\" }} or {{ path = \"DIR\" }}")
    })?;
    for (key, _) in t.iter() {
        if !["git", "rev", "path"].contains(&key) {
            return Err(format!(
                "{shown}: {at}: unknown key {key:?} (expected git, rev or path)"
            ));
        }
    }
    let git = string(shown, &format!("{at} git"), t.get("git"))?;
    let rev = string(shown, &format!("{at} rev"), t.get("rev"))?;
    let path = string(shown, &format!("{at} path"), t.get("path"))?;
    match (git, rev, path) {
        (Some(url), rev, None) => {
            names::check_url(&url).map_err(|e| format!("{shown}: {at}: {e}"))?;
            if let Some(rev) = &rev {
                names::check_rev(rev).map_err(|e| format!("{shown}: {at}: {e}"))?;
            }
            Ok(Source::Git { url, rev })
        }
        (None, None, Some(path)) if !path.is_empty() => Ok(Source::Path { path }),
        (None, Some(_), _) => Err(format!("{shown}: {at}: rev goes with git, not path")),
        _ => Err(format!(
            "{shown}: {at}: give either git (with an optional rev) or path"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dependencies_and_library_parse_and_edits_keep_the_rest() {
        let text = "# ours\n[dependencies]\nold = { path = \"../old\" } # kept\n";
        let mut m = Manifest::parse("qops.toml", text).unwrap();
        assert_eq!(
            m.dependencies["old"],
            Source::Path {
                path: "../old".into()
            }
        );
        m.set_dependency(
            "teamlib",
            &Source::Git {
                url: "file:///r.git".into(),
                rev: Some("v1".into()),
            },
        );
        let out = m.to_text();
        assert!(out.starts_with("# ours\n"), "{out}");
        assert!(out.contains("# kept"), "{out}");
        assert!(
            out.contains(r#"teamlib = { git = "file:///r.git", rev = "v1" }"#),
            "{out}"
        );
        let again = Manifest::parse("qops.toml", &out).unwrap();
        assert_eq!(again.dependencies.len(), 2);

        let lib = Manifest::parse(
            "qops.toml",
            "[library]\nname = \"t\"\nversion = \"1.0.0\"\nqops = \">=9.0\"\n",
        )
        .unwrap()
        .library
        .unwrap();
        let err = lib
            .check_compatible(&semver::Version::new(0, 2, 0))
            .unwrap_err();
        assert!(err.contains(">=9.0") && err.contains("qops 0.2.0"), "{err}");
    }

    #[test]
    fn bad_manifests_say_what_is_wrong() {
        for (text, expect) in [
            (
                "[dependencies]\nx = { git = \"u\", path = \"p\" }\n",
                "either git",
            ),
            (
                "[dependencies]\nx = { path = \"p\", rev = \"v\" }\n",
                "rev goes with git",
            ),
            (
                "[dependencies]\nx = { git = \"u\", rev = \"--upload-pack=x\" }\n",
                "revision",
            ),
            (
                "[dependencies]\n\"../x\" = { path = \"p\" }\n",
                "library name",
            ),
            ("[dependencies]\nx = \"1.0\"\n", "must be a table"),
            ("[package]\n", "unknown section"),
            (
                "[library]\nname = \"x\"\nversion = \"one\"\n",
                "semantic version",
            ),
            ("[dependencies\n", "qops.toml"),
        ] {
            let err = Manifest::parse("qops.toml", text).err().unwrap();
            assert!(err.contains(expect), "{text}: {err}");
        }
    }
}
