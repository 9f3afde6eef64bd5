//! Fetching libraries with the `git` command-line tool.
//!
//! Why the CLI and not a crate: operators already have git, configured the way their remotes
//! need (credential helpers, SSH keys, proxies, `insteadOf` rewrites), and qops inherits all of
//! it. `git2` needs libgit2, a C library to build; `gix` is pure Rust but large, and neither
//! would read the credential set-up people already have.
//!
//! Every call runs git directly (never a shell) with a non-interactive, predictable
//! environment: no prompts (`GIT_TERMINAL_PROMPT=0`, SSH in batch mode), no hooks, no
//! fsmonitor, the `ext::` transport refused, and the variables that redirect git to another
//! repository (`GIT_DIR` & co.) removed. URLs and revisions are checked by [`super::names`]
//! and always follow `--` or `--end-of-options`. `file://` needs no `protocol.file.allow`: git
//! restricts it for submodules only, and qops clones none.

use std::ffi::OsStr;
use std::path::Path;
use std::process::{Command, Stdio};

/// Variables that would point git at another repository, index or config than ours.
const REDIRECTING_VARS: &[&str] = &[
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_NAMESPACE",
    "GIT_CEILING_DIRECTORIES",
    "GIT_CONFIG_PARAMETERS",
    "GIT_CONFIG_COUNT",
    "GIT_EXEC_PATH",
    "GIT_TEMPLATE_DIR",
];

fn git(cwd: &Path) -> Command {
    let mut cmd = Command::new("git");
    for var in REDIRECTING_VARS {
        cmd.env_remove(var);
    }
    cmd.env("GIT_TERMINAL_PROMPT", "0")
        .env("GCM_INTERACTIVE", "never")
        .env("LC_ALL", "C");
    if std::env::var_os("GIT_SSH_COMMAND").is_none() && std::env::var_os("GIT_SSH").is_none() {
        cmd.env("GIT_SSH_COMMAND", "ssh -o BatchMode=yes");
    }
    let null = if cfg!(windows) { "NUL" } else { "/dev/null" };
    cmd.current_dir(cwd)
        .arg("-c")
        .arg(format!("core.hooksPath={null}"))
        .args(["-c", "core.fsmonitor=false"])
        .args(["-c", "protocol.ext.allow=never"])
        .args(["-c", "submodule.recurse=false"])
        .args(["-c", "advice.detachedHead=false"])
        .stdin(Stdio::null());
    cmd
}

/// Runs git; its trimmed stdout, or an error quoting what git said.
fn run<I, S>(cwd: &Path, what: &str, args: I) -> Result<String, String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let out = git(cwd).args(args).output().map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            "git is not installed (or not on PATH): qops fetches libraries with the git \
             command-line tool; install git (https://git-scm.com) and try again"
                .to_string()
        } else {
            format!("cannot run git: {e}")
        }
    })?;
    if out.status.success() {
        return Ok(String::from_utf8_lossy(&out.stdout).trim().to_string());
    }
    let said = String::from_utf8_lossy(&out.stderr);
    let said = said.trim();
    Err(format!(
        "{what} failed: {}",
        crate::output::cut(
            if said.is_empty() {
                "git gave no reason"
            } else {
                said
            },
            2000
        )
    ))
}

/// Clones `url` (resolved from `cwd` when relative) into `into`, without checking out.
pub fn clone(cwd: &Path, url: &str, into: &Path) -> Result<(), String> {
    run(
        cwd,
        &format!("git clone {url}"),
        [
            OsStr::new("clone"),
            OsStr::new("--quiet"),
            OsStr::new("--no-checkout"),
        ]
        .into_iter()
        .chain([OsStr::new("--"), OsStr::new(url), into.as_os_str()]),
    )
    .map(|_| ())
}

/// The commit `spec` names in `repo`, if any.
fn commit_of(repo: &Path, spec: &str) -> Option<String> {
    run(
        repo,
        "git rev-parse",
        [
            "rev-parse",
            "--verify",
            "--quiet",
            "--end-of-options",
            &format!("{spec}^{{commit}}"),
        ],
    )
    .ok()
    .filter(|c| super::names::is_commit_id(c))
}

/// The commit `rev` means in a fresh clone of `url`: a tag, a branch of the remote, or a
/// commit id; the remote's default branch without one.
pub fn resolve(repo: &Path, url: &str, rev: Option<&str>) -> Result<String, String> {
    let Some(rev) = rev else {
        return commit_of(repo, "HEAD")
            .ok_or_else(|| format!("{url} has no default branch to install from: give --rev"));
    };
    [
        format!("refs/tags/{rev}"),
        format!("refs/remotes/origin/{rev}"),
        rev.to_string(),
    ]
    .iter()
    .find_map(|spec| commit_of(repo, spec))
    .ok_or_else(|| format!("{url} has no branch, tag or commit {rev:?}"))
}

/// Whether `commit` is in the clone at `repo`.
pub fn has_commit(repo: &Path, commit: &str) -> bool {
    commit_of(repo, commit).is_some_and(|c| c == commit)
}

/// Checks `commit` out into the clone's work tree.
pub fn checkout(repo: &Path, commit: &str) -> Result<(), String> {
    run(
        repo,
        &format!("git checkout {commit}"),
        ["checkout", "--quiet", "--detach", commit],
    )
    .map(|_| ())
}
