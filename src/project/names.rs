//! What a library name, a git URL and a revision may be. They come from the command line, a
//! manifest or a lock file someone else wrote, and end up as a directory name and as arguments
//! of `git`: each is refused unless plainly harmless.

/// A library name: one safe path segment, as it appears in `import "NAME/module"`.
pub fn check_name(name: &str) -> Result<(), String> {
    let ok_chars = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.');
    let first_ok = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    if name.is_empty() || name.len() > 64 || !ok_chars || !first_ok || name.contains("..") {
        return Err(format!(
            "library name {:?}: use 1 to 64 letters, digits, '_', '-' or '.', starting with a \
             letter, digit or '_' (it becomes a directory under qops_modules/)",
            crate::output::cut(name, 80)
        ));
    }
    Ok(())
}

/// A git revision: a branch, a tag or a commit id, never an option.
pub fn check_rev(rev: &str) -> Result<(), String> {
    let bad = rev.is_empty()
        || rev.len() > 200
        || rev.starts_with('-')
        || rev.contains("..")
        || rev.contains("@{")
        || rev
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || "~^:?*[\\".contains(c));
    if bad {
        return Err(format!(
            "revision {:?}: expected a branch, a tag or a commit id (no leading '-', spaces or \
             revision operators)",
            crate::output::cut(rev, 80)
        ));
    }
    Ok(())
}

/// A commit id as git prints it: 40 (SHA-1) or 64 (SHA-256) lowercase hex digits.
pub fn is_commit_id(rev: &str) -> bool {
    matches!(rev.len(), 40 | 64) && rev.chars().all(|c| c.is_ascii_hexdigit())
}

/// A git remote: a URL git fetches from with one of its ordinary transports, or a local path.
/// `ext::` (runs a command) and anything that reads as an option are refused.
pub fn check_url(url: &str) -> Result<(), String> {
    let lower = url.to_ascii_lowercase();
    let shown = crate::output::cut(url, 120);
    if url.is_empty() || url.starts_with('-') || url.chars().any(char::is_control) {
        return Err(format!("git URL {shown:?}: not a URL"));
    }
    // A host that reads as an option (`ssh://-oProxyCommand=...`) is how URLs once ran
    // commands through ssh.
    if url.contains("://-") || url.contains("@-") {
        return Err(format!("git URL {shown:?}: a host cannot start with '-'"));
    }
    if lower.starts_with("ext::") || lower.starts_with("fd::") {
        return Err(format!(
            "git URL {shown:?}: the {} transport runs commands; use https://, ssh:// or file://",
            &lower[..lower.find("::").unwrap_or(0)]
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_names_revisions_and_urls_are_refused() {
        for good in ["teamlib", "team-lib_2", "a.b", "_x"] {
            check_name(good).unwrap();
        }
        for bad in ["", "..", ".hidden", "a/b", "a\\b", "-x", "a..b", "x y", "é"] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
        for good in ["v1.2.0", "main", "feature/x", "0123abcd"] {
            check_rev(good).unwrap();
        }
        for bad in [
            "--upload-pack=x",
            "-n",
            "a..b",
            "HEAD~1",
            "x^{tree}",
            "a b",
            "@{-1}",
        ] {
            assert!(check_rev(bad).is_err(), "{bad}");
        }
        check_url("file:///tmp/x.git").unwrap();
        check_url("https://example.org/team/lib.git").unwrap();
        for bad in [
            "--upload-pack=touch /tmp/x",
            "ext::sh -c touch% /tmp/x",
            "EXT::x",
            "",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
        assert!(is_commit_id(&"a".repeat(40)));
        assert!(!is_commit_id("v1"));
    }
}
