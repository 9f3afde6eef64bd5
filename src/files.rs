//! The rules every file qops reads or writes follows, in one place.
//!
//! - One reader ([`read_file`], and [`FileRoots::read`] for paths a script names): regular files
//!   only (a FIFO, socket, device or directory is refused before it can block), at most
//!   [`MAX_FILE_BYTES`]. Scripts, modules, `.env`, data files, keys and certificates all go
//!   through it.
//! - Paths a script names (data, keys, certificates) are confined to the working directory and
//!   the `--allow-path` directories, with symlinks and `..` resolved before judging.
//! - Writes go to an exclusively created temp file with an unpredictable name in the target's
//!   directory (owner-only), fsync, rename, fsync of the directory. A target that is a
//!   directory or a symbolic link is refused before anything is written; a failed write leaves
//!   no temp file.

use std::ffi::OsStr;
use std::fs::{File, Metadata};
use std::io::{ErrorKind, Read, Write};
use std::path::{Path, PathBuf};

/// The largest script or data file qops reads.
pub const MAX_FILE_BYTES: u64 = 64 << 20;

/// Reads a regular file of at most [`MAX_FILE_BYTES`]; errors name `path`.
pub fn read_file(path: &Path) -> Result<Vec<u8>, String> {
    let shown = path.display().to_string();
    read_existing(path, &shown, Links::Follow)?.ok_or_else(|| missing(&shown))
}

/// [`read_file`] as UTF-8 text.
pub fn read_text_file(path: &Path) -> Result<String, String> {
    let shown = path.display().to_string();
    text(&shown, read_file(path)?)
}

/// [`read_text_file`], or `None` when the file does not exist.
pub fn read_text_if_exists(path: &Path) -> Result<Option<String>, String> {
    let shown = path.display().to_string();
    read_existing(path, &shown, Links::Follow)?
        .map(|bytes| text(&shown, bytes))
        .transpose()
}

/// Whether the last component of a path may be a symbolic link when opening it.
#[derive(Clone, Copy)]
enum Links {
    Follow,
    /// For paths already resolved by [`FileRoots`]: a link appearing there since is refused.
    Refuse,
}

fn missing(shown: &str) -> String {
    format!("{shown}: no such file")
}

fn text(shown: &str, bytes: Vec<u8>) -> Result<String, String> {
    String::from_utf8(bytes).map_err(|_| format!("{shown}: not UTF-8 text"))
}

/// The file's bytes, `None` when it does not exist. The kind is checked before opening (a
/// device's open can have effects) and again on the open file, which is opened non-blocking so
/// a FIFO swapped in meanwhile cannot hang the read.
fn read_existing(path: &Path, shown: &str, links: Links) -> Result<Option<Vec<u8>>, String> {
    match std::fs::metadata(path) {
        Ok(meta) => require_regular(shown, &meta)?,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("{shown}: {e}")),
    }
    let file = match open_for_reading(path, links) {
        Ok(file) => file,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("{shown}: {e}")),
    };
    let meta = file.metadata().map_err(|e| format!("{shown}: {e}"))?;
    require_regular(shown, &meta)?;
    require_size(shown, meta.len())?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("{shown}: {e}"))?;
    // The file may have grown since it was measured.
    require_size(shown, bytes.len() as u64)?;
    Ok(Some(bytes))
}

fn open_for_reading(path: &Path, links: Links) -> std::io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        let nofollow = match links {
            Links::Follow => 0,
            Links::Refuse => libc::O_NOFOLLOW,
        };
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY | nofollow);
    }
    #[cfg(not(unix))]
    let _ = links;
    options.open(path)
}

fn require_regular(shown: &str, meta: &Metadata) -> Result<(), String> {
    match kind_other_than_file(meta) {
        None => Ok(()),
        Some(kind) => Err(format!("{shown}: is {kind}, not a regular file")),
    }
}

fn require_size(shown: &str, len: u64) -> Result<(), String> {
    if len > MAX_FILE_BYTES {
        Err(format!(
            "{shown}: file is {len} bytes, the limit is {} MiB",
            MAX_FILE_BYTES >> 20
        ))
    } else {
        Ok(())
    }
}

/// What a non-regular file is, for messages.
fn kind_other_than_file(meta: &Metadata) -> Option<&'static str> {
    let kind = meta.file_type();
    if kind.is_file() {
        return None;
    }
    if kind.is_dir() {
        return Some("a directory");
    }
    if kind.is_symlink() {
        return Some("a symbolic link");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return Some("a FIFO (named pipe)");
        }
        if kind.is_socket() {
            return Some("a socket");
        }
        if kind.is_block_device() || kind.is_char_device() {
            return Some("a device");
        }
    }
    Some("a special file")
}

/// The directories scripts may read and write under (`write`), and those they may only read
/// from (`read`: the running script's own directory).
#[derive(Debug, Clone, Default)]
pub struct FileRoots {
    write: Vec<PathBuf>,
    read: Vec<PathBuf>,
}

/// What a path is checked for: reading admits the read-only roots too.
#[derive(Clone, Copy, PartialEq)]
enum Access {
    Read,
    Write,
}

impl FileRoots {
    /// The working directory and `extra`. Fails closed: if any of them cannot be resolved, no
    /// file is allowed at all. The CLI calls [`FileRoots::allowing`] instead, which says why.
    pub fn new(extra: &[PathBuf]) -> FileRoots {
        FileRoots::allowing(extra).unwrap_or_default()
    }

    /// The working directory, the `--allow-path` directories `extra` (each of which must exist
    /// and be a directory), and the user's secrets directory
    /// ([`crate::state_dirs::user_secrets_dir`], which may not exist yet).
    pub fn allowing(extra: &[PathBuf]) -> Result<FileRoots, String> {
        let here = std::env::current_dir()
            .and_then(|d| d.canonicalize())
            .map_err(|e| format!("the working directory: {e}"))?;
        let mut roots = vec![here];
        for dir in extra {
            let real = dir
                .canonicalize()
                .map_err(|e| format!("--allow-path {}: {e}", dir.display()))?;
            if !real.is_dir() {
                return Err(format!("--allow-path {}: not a directory", dir.display()));
            }
            roots.push(real);
        }
        let mut roots = FileRoots {
            write: roots,
            read: Vec::new(),
        };
        if let Some(secrets) = crate::state_dirs::user_secrets_dir() {
            roots.allow_state_dir(&secrets);
        }
        Ok(roots)
    }

    /// Lets scripts read and write under `dir`, a directory qops chose for state or secret files
    /// ([`crate::state_dirs`]); it may not exist yet.
    pub fn allow_state_dir(&mut self, dir: &Path) {
        if let Some(real) = resolve_future(dir) {
            self.write.push(real);
        }
    }

    /// Lets scripts read (not write) files under `dir`: the running script's own directory.
    pub fn allow_reading(&mut self, dir: &Path) {
        if let Ok(real) = dir.canonicalize() {
            self.read.push(real);
        }
    }

    /// Reads a file a script names (see [`read_file`]).
    pub fn read(&self, path: &str) -> Result<Vec<u8>, String> {
        self.read_if_exists(path)?.ok_or_else(|| missing(path))
    }

    /// [`FileRoots::read`] as UTF-8 text.
    pub fn read_text(&self, path: &str) -> Result<String, String> {
        text(path, self.read(path)?)
    }

    /// [`FileRoots::read_text`], or `None` when the file does not exist.
    pub fn read_text_if_exists(&self, path: &str) -> Result<Option<String>, String> {
        self.read_if_exists(path)?
            .map(|bytes| text(path, bytes))
            .transpose()
    }

    fn read_if_exists(&self, path: &str) -> Result<Option<Vec<u8>>, String> {
        read_existing(&self.confine(path, Access::Read)?, path, Links::Refuse)
    }

    /// Replaces the file at `path` with `bytes`, atomically, readable by its owner only.
    pub fn write(&self, path: &str, bytes: &[u8]) -> Result<(), String> {
        let target = self.confined_entry(path, Access::Write)?;
        match std::fs::symlink_metadata(&target) {
            Ok(meta) => require_regular(path, &meta)?,
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => return Err(format!("{path}: {e}")),
        }
        write_atomically(&target, bytes).map_err(|e| format!("{path}: {e}"))
    }

    /// The real path of `path` (relative to the working directory, symlinks and `..` resolved)
    /// if it lies under a root. A file that does not exist yet is judged by its directory.
    fn confine(&self, path: &str, access: Access) -> Result<PathBuf, String> {
        match Path::new(path).canonicalize() {
            Ok(real) => self.inside(path, real, access),
            Err(e) if e.kind() == ErrorKind::NotFound => self.confined_entry(path, access),
            Err(e) => Err(format!("{path}: {e}")),
        }
    }

    /// Where a file a script names would be (its directory resolved and confined, its own name
    /// not followed), for files opened by other means (the journal).
    pub fn entry_path(&self, path: &str) -> Result<PathBuf, String> {
        self.confined_entry(path, Access::Write)
    }

    /// `path` as the real path of its directory (which must lie under a root) joined with its
    /// last component, which is not resolved: the entry itself, even if it is a link.
    fn confined_entry(&self, path: &str, access: Access) -> Result<PathBuf, String> {
        let (dir, name) = entry(path)?;
        let real_dir = dir
            .canonicalize()
            .map_err(|e| format!("{path}: directory {}: {e}", dir.display()))?;
        let real_dir = self.inside(path, real_dir, access)?;
        Ok(real_dir.join(name))
    }

    fn inside(&self, path: &str, real: PathBuf, access: Access) -> Result<PathBuf, String> {
        let under = |roots: &[PathBuf]| roots.iter().any(|root| real.starts_with(root));
        if under(&self.write) || (access == Access::Read && under(&self.read)) {
            Ok(real)
        } else if under(&self.read) {
            Err(format!(
                "{path} is beside the script, where files are read, not written; write under the working directory, or allow it with --allow-path DIR"
            ))
        } else {
            Err(format!(
                "{path} is outside the working directory; allow it with --allow-path DIR"
            ))
        }
    }
}

/// The real path `dir` will have: its nearest existing ancestor resolved, the missing
/// components appended (none of them can be a link yet). `None` for a path with `..` among
/// the missing components.
fn resolve_future(dir: &Path) -> Option<PathBuf> {
    let mut missing = Vec::new();
    let mut at = dir;
    loop {
        match at.canonicalize() {
            Ok(mut real) => {
                real.extend(missing.iter().rev());
                return Some(real);
            }
            Err(_) => {
                missing.push(at.file_name()?);
                at = at.parent().filter(|p| !p.as_os_str().is_empty())?;
            }
        }
    }
}

impl FileRoots {
    /// Starts replacing the file at `path` a piece at a time (a download), with the checks of
    /// [`FileRoots::write`]; at most `limit` bytes.
    pub fn write_streaming(&self, path: &str, limit: u64) -> Result<Streaming, String> {
        let target = self.confined_entry(path, Access::Write)?;
        match std::fs::symlink_metadata(&target) {
            Ok(meta) => require_regular(path, &meta)?,
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => return Err(format!("{path}: {e}")),
        }
        let dir = target.parent().unwrap_or(Path::new("."));
        let tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| format!("{path}: {e}"))?;
        Ok(Streaming {
            tmp,
            target,
            shown: path.to_string(),
            written: 0,
            limit,
        })
    }
}

/// A file being written a piece at a time: an exclusively created owner-only temp file next to
/// its target, renamed over it by [`Streaming::finish`]. Dropped unfinished (an error, a cut
/// download), it leaves nothing behind.
pub struct Streaming {
    tmp: tempfile::NamedTempFile,
    target: PathBuf,
    shown: String,
    written: u64,
    limit: u64,
}

impl Streaming {
    /// Appends `chunk`; past the limit, an error (and nothing is kept).
    pub fn write(&mut self, chunk: &[u8]) -> Result<(), String> {
        self.written += chunk.len() as u64;
        if self.written > self.limit {
            return Err(format!(
                "{}: more than {} bytes; not written",
                self.shown, self.limit
            ));
        }
        self.tmp
            .write_all(chunk)
            .map_err(|e| format!("{}: {e}", self.shown))
    }

    /// Forgets what was written (a download starting over).
    pub fn restart(&mut self) -> Result<(), String> {
        use std::io::Seek;
        let file = self.tmp.as_file_mut();
        file.set_len(0)
            .and_then(|_| file.rewind())
            .map_err(|e| format!("{}: {e}", self.shown))?;
        self.written = 0;
        Ok(())
    }

    /// Makes the file durable and puts it in place of the target.
    pub fn finish(self) -> Result<u64, String> {
        let shown = self.shown;
        let fail = |e: std::io::Error| format!("{shown}: {e}");
        self.tmp.as_file().sync_all().map_err(fail)?;
        self.tmp.persist(&self.target).map_err(|e| fail(e.error))?;
        let dir = self.target.parent().unwrap_or(Path::new("."));
        sync_directory(dir).map_err(fail)?;
        Ok(self.written)
    }
}

/// `path` split into its directory and the name of an entry in it. A path ending in `/`, `.`
/// or `..` names a directory, not a file.
fn entry(path: &str) -> Result<(&Path, &OsStr), String> {
    let last = path.rsplit(std::path::is_separator).next().unwrap_or(path);
    let given = Path::new(path);
    let name = match given.file_name() {
        Some(name) if !matches!(last, "" | "." | "..") => name,
        _ => return Err(format!("{path}: names a directory, not a file")),
    };
    let dir = given
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    Ok((dir, name))
}

/// Replaces the file at `target` (a path qops itself chose: a manifest, a lock, a report)
/// with `bytes`, atomically; a directory or symbolic link there is refused.
pub fn write_file(target: &Path, bytes: &[u8]) -> Result<(), String> {
    let shown = target.display().to_string();
    match std::fs::symlink_metadata(target) {
        Ok(meta) => require_regular(&shown, &meta)?,
        Err(e) if e.kind() == ErrorKind::NotFound => {}
        Err(e) => return Err(format!("{shown}: {e}")),
    }
    // A bare file name has an empty parent, which cannot be opened to sync.
    let target = if target.parent().is_some_and(|p| p.as_os_str().is_empty()) {
        Path::new(".").join(target)
    } else {
        target.to_path_buf()
    };
    write_atomically(&target, bytes).map_err(|e| format!("{shown}: {e}"))
}

/// Writes `bytes` to a fresh temp file beside `target` and renames it over `target`. The temp
/// file is created exclusively (a link planted at its name is never followed) with mode 0600,
/// and removed if anything fails before the rename.
fn write_atomically(target: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = target.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(target).map_err(|e| e.error)?;
    sync_directory(dir)
}

/// Makes the rename durable.
fn sync_directory(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh directory and the roots holding only it.
    fn sandbox(name: &str) -> (PathBuf, FileRoots) {
        let dir = std::env::temp_dir().join(format!("qops-files-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        let real = dir.canonicalize().unwrap();
        (
            real.clone(),
            FileRoots {
                write: vec![real],
                read: Vec::new(),
            },
        )
    }

    fn at(dir: &Path, name: &str) -> String {
        dir.join(name).display().to_string()
    }

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn paths_outside_the_roots_are_refused() {
        let (dir, roots) = sandbox("roots");
        assert!(roots.confine(&at(&dir, "new.json"), Access::Write).is_ok());
        let escape = at(&dir, "../outside.json");
        assert!(roots
            .confine(&escape, Access::Read)
            .unwrap_err()
            .contains("--allow-path"));
        assert!(roots.confine("/etc/passwd", Access::Read).is_err());
        assert!(roots.read("/etc/passwd").is_err());
        std::fs::write(dir.join("ok.txt"), "fine").unwrap();
        assert_eq!(roots.read_text(&at(&dir, "sub/../ok.txt")).unwrap(), "fine");
        assert_eq!(
            FileRoots::default()
                .read_text(&at(&dir, "ok.txt"))
                .unwrap_err(),
            format!(
                "{} is outside the working directory; allow it with --allow-path DIR",
                at(&dir, "ok.txt")
            )
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_out_of_the_root_is_judged_by_where_it_points() {
        let (dir, roots) = sandbox("links");
        let (outside, _) = sandbox("links-outside");
        std::fs::write(outside.join("secret.txt"), "x").unwrap();
        std::os::unix::fs::symlink(&outside, dir.join("escape")).unwrap();
        std::os::unix::fs::symlink(outside.join("secret.txt"), dir.join("leak.txt")).unwrap();
        for path in ["escape/secret.txt", "leak.txt", "escape/new.json"] {
            let err = roots.read(&at(&dir, path)).unwrap_err();
            assert!(
                err.contains("outside the working directory"),
                "{path}: {err}"
            );
        }
        assert!(roots.write(&at(&dir, "escape/new.json"), b"{}").is_err());
        assert!(!outside.join("new.json").exists());
    }

    #[test]
    fn writes_replace_the_file_and_leave_nothing_else() {
        let (dir, roots) = sandbox("write");
        let path = at(&dir, "out.json");
        roots.write(&path, b"one").unwrap();
        roots.write(&path, b"two").unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.join("out.json")).unwrap(),
            "two"
        );
        assert_eq!(entries(&dir), ["out.json", "sub"]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join("out.json"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_directory_is_never_a_write_target() {
        let (dir, roots) = sandbox("dirs");
        for path in [".", "sub", "sub/", "sub/.", "..", "sub/.."] {
            let err = roots.write(&at(&dir, path), b"{}").unwrap_err();
            assert!(err.contains("directory"), "{path}: {err}");
        }
        assert_eq!(entries(&dir), ["sub"]);
        assert!(entries(&dir.join("sub")).is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_at_the_target_is_refused_not_followed() {
        let (dir, roots) = sandbox("target-link");
        std::fs::write(dir.join("real.json"), "keep").unwrap();
        std::os::unix::fs::symlink(dir.join("real.json"), dir.join("link.json")).unwrap();
        let err = roots.write(&at(&dir, "link.json"), b"{}").unwrap_err();
        assert!(err.contains("symbolic link"), "{err}");
        assert_eq!(
            std::fs::read_to_string(dir.join("real.json")).unwrap(),
            "keep"
        );
        assert_eq!(entries(&dir), ["link.json", "real.json", "sub"]);
    }

    #[cfg(unix)]
    #[test]
    fn special_and_oversized_files_are_refused() {
        let (dir, roots) = sandbox("special");
        let fifo = dir.join("pipe");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let err = read_file(&fifo).unwrap_err();
        assert_eq!(
            err,
            format!(
                "{}: is a FIFO (named pipe), not a regular file",
                fifo.display()
            )
        );
        assert!(roots.read(&at(&dir, "pipe")).unwrap_err().contains("FIFO"));
        assert!(read_file(Path::new("/dev/null"))
            .unwrap_err()
            .contains("a device"));
        assert!(read_file(&dir).unwrap_err().contains("a directory"));
        let big = dir.join("big.json");
        File::create(&big)
            .unwrap()
            .set_len(MAX_FILE_BYTES + 1)
            .unwrap();
        assert_eq!(
            read_file(&big).unwrap_err(),
            format!(
                "{}: file is {} bytes, the limit is 64 MiB",
                big.display(),
                MAX_FILE_BYTES + 1
            )
        );
        assert_eq!(read_text_if_exists(&dir.join("absent")).unwrap(), None);
    }

    #[test]
    fn the_scripts_directory_is_read_not_written() {
        let (_, mut roots) = sandbox("read-root");
        let (beside, _) = sandbox("read-root-script");
        std::fs::write(beside.join("key.pem"), "k").unwrap();
        roots.allow_reading(&beside);
        assert_eq!(roots.read_text(&at(&beside, "key.pem")).unwrap(), "k");
        let err = roots.write(&at(&beside, "out.json"), b"{}").unwrap_err();
        assert!(err.contains("where files are read, not written"), "{err}");
        assert!(roots.entry_path(&at(&beside, "journal.jsonl")).is_err());
        assert!(!beside.join("out.json").exists());
    }

    #[test]
    fn a_state_directory_not_made_yet_is_a_root_once_made() {
        let (_, mut roots) = sandbox("state-root");
        let (base, _) = sandbox("state-root-base");
        let state = base.join("a/b");
        roots.allow_state_dir(&state);
        std::fs::create_dir_all(&state).unwrap();
        roots.write(&at(&state, "inv.json"), b"{}").unwrap();
        assert!(roots.write(&at(&base, "beside.json"), b"{}").is_err());
    }

    #[test]
    fn allow_paths_must_exist() {
        let missing = std::env::temp_dir().join("qops-no-such-dir-for-allow-path");
        let err = FileRoots::allowing(std::slice::from_ref(&missing)).unwrap_err();
        assert!(err.starts_with("--allow-path "), "{err}");
        assert!(FileRoots::new(&[missing]).write.is_empty());
    }

    #[test]
    fn a_streamed_file_appears_whole_or_not_at_all() {
        let (dir, roots) = sandbox("streaming");
        let mut f = roots.write_streaming(&at(&dir, "a.qvf"), 8).unwrap();
        f.write(b"abcd").unwrap();
        f.restart().unwrap();
        f.write(b"xyz").unwrap();
        assert!(!dir.join("a.qvf").exists());
        assert_eq!(f.finish().unwrap(), 3);
        assert_eq!(std::fs::read(dir.join("a.qvf")).unwrap(), b"xyz");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join("a.qvf"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // Over the limit: an error, and neither a file nor a temp file remains.
        let mut big = roots.write_streaming(&at(&dir, "b.qvf"), 4).unwrap();
        assert!(big
            .write(b"12345")
            .unwrap_err()
            .contains("more than 4 bytes"));
        drop(big);
        assert_eq!(entries(&dir), vec!["a.qvf".to_string(), "sub".to_string()]);
        assert!(roots.write_streaming(&at(&dir, "sub"), 4).is_err());
    }
}
