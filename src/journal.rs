//! The journal (`--journal FILE`, `QOPS_JOURNAL`): an append-only JSON-lines record of every
//! mutating request of a run, so that a rerun after a crash does each change exactly once.
//!
//! Before a mutation is sent its *intent* is recorded under a key; after, its *outcome* (status
//! and body — created secrets included: the file is owner-only, 0600) or that it *failed*
//! without effect. Every record is on disk (fsync) before the request leaves or the answer
//! reaches the script; records of concurrent requests share one fsync (group commit).
//!
//! The key is deterministic: a digest of the call's place in the run (the unit of work and the
//! ordinal of the mutation within it, see [`crate::callsite`]) and its method, URL and body.
//! A rerun meets the same keys: a recorded outcome is answered from the journal; an intent
//! without an outcome (the process died in between) is reconciled before anything is resent.
//!
//! A journal is the record of one job: rerunning the job with it — after a crash, or after it
//! finished — answers every recorded change from the record, so nothing is done twice. A new
//! job takes a new journal; one journal serving several jobs must name their units
//! (`journal_key`), or equal changes at equal places would share a record.
//!
//! One process at a time: the file is locked for the run; a second process refuses.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

/// The journal format's version, written in every record.
const VERSION: u8 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// About to send.
    Intent,
    /// Answered with a success; the answer is in the record.
    Outcome,
    /// Answered with an error that changed nothing (a 4xx): a rerun sends it again.
    Failed,
}

/// One line of the journal.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Record {
    pub v: u8,
    pub kind: Kind,
    pub key: String,
    /// The unit of work (`""` for the top level) and the ordinal of the mutation in it.
    pub unit: String,
    pub ordinal: u64,
    pub method: String,
    pub url: String,
    /// Milliseconds since the Unix epoch.
    pub at: u128,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// The answer's body as text (outcomes), or the error (failures).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// How the outcome was learnt when it was not the answer itself (`reconciled`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
}

/// What the journal knows of a key.
#[derive(Debug, Clone)]
pub enum Known {
    /// Never seen, or seen to fail without effect: send it.
    New,
    /// Sent, answer unknown (the process died, or the answer was lost): reconcile first.
    Pending,
    /// Done: this was the answer.
    Done { status: u16, body: String },
}

/// Failures of the journal itself.
#[derive(Debug)]
pub enum JournalError {
    Busy(PathBuf),
    Io(PathBuf, String),
    Corrupt(PathBuf, usize, String),
}

impl std::fmt::Display for JournalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JournalError::Busy(p) => write!(
                f,
                "journal {} is in use by another qops process; wait for it to finish (two runs must not share a journal)",
                p.display()
            ),
            JournalError::Io(p, e) => write!(f, "journal {}: {e}", p.display()),
            JournalError::Corrupt(p, line, e) => {
                write!(f, "journal {}:{line}: not a journal record ({e})", p.display())
            }
        }
    }
}

type Ack = tokio::sync::oneshot::Sender<Result<(), String>>;
/// A line to write and whom to tell once it is on disk.
type Pending = (Vec<u8>, Ack);

pub struct Journal {
    path: PathBuf,
    known: Mutex<HashMap<String, Known>>,
    /// `None` once dropped: the writer thread then finishes and releases the file and its lock.
    writer: Mutex<Option<mpsc::Sender<Pending>>>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl Drop for Journal {
    fn drop(&mut self) {
        self.writer.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(thread) = self.thread.lock().unwrap_or_else(|p| p.into_inner()).take() {
            let _ = thread.join();
        }
    }
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Journal({})", self.path.display())
    }
}

impl Journal {
    /// Opens (or creates, owner-only) and locks the journal, and reads what it holds. A last
    /// line cut short by a crash is dropped; any other unreadable line is an error.
    pub fn open(path: &Path) -> Result<Journal, JournalError> {
        let io = |e: std::io::Error| JournalError::Io(path.to_path_buf(), e.to_string());
        let mut options = OpenOptions::new();
        options.read(true).append(true).create(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            // A journal path that is a symlink is refused, not followed.
            options.mode(0o600).custom_flags(libc::O_NOFOLLOW);
        }
        let mut file = options.open(path).map_err(io)?;
        if !file.metadata().map_err(io)?.is_file() {
            return Err(JournalError::Io(
                path.to_path_buf(),
                "not a regular file".into(),
            ));
        }
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(JournalError::Busy(path.to_path_buf()))
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
        }
        let (known, good_len) = read_records(path, &file)?;
        let len = file.metadata().map_err(io)?.len();
        if good_len < len {
            tracing::warn!(
                "journal {}: dropping an incomplete last record ({} bytes)",
                path.display(),
                len - good_len
            );
            file.set_len(good_len).map_err(io)?;
            file.seek(SeekFrom::End(0)).map_err(io)?;
        }
        let (tx, rx) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("qops-journal".into())
            .spawn(move || group_commit(file, rx))
            .map_err(io)?;
        Ok(Journal {
            path: path.to_path_buf(),
            known: Mutex::new(known),
            writer: Mutex::new(Some(tx)),
            thread: Mutex::new(Some(thread)),
        })
    }

    /// What the journal knows of `key`.
    pub fn known(&self, key: &str) -> Known {
        self.known
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(key)
            .cloned()
            .unwrap_or(Known::New)
    }

    /// Appends a record and returns once it is on disk.
    pub async fn append(&self, record: Record) -> Result<(), JournalError> {
        let mut line = serde_json::to_vec(&record)
            .map_err(|e| JournalError::Io(self.path.clone(), e.to_string()))?;
        line.push(b'\n');
        let (ack, done) = tokio::sync::oneshot::channel();
        let sent = match &*self.writer.lock().unwrap_or_else(|p| p.into_inner()) {
            Some(writer) => writer.send((line, ack)).is_ok(),
            None => false,
        };
        let stopped = || Err("the journal writer stopped".to_string());
        let written = if sent {
            done.await.unwrap_or_else(|_| stopped())
        } else {
            stopped()
        };
        written.map_err(|e| JournalError::Io(self.path.clone(), e))?;
        let mut known = self.known.lock().unwrap_or_else(|p| p.into_inner());
        apply(&mut known, &record);
        Ok(())
    }
}

/// A new record stamped now.
pub fn record(kind: Kind, key: &str, unit: &str, ordinal: u64, method: &str, url: &str) -> Record {
    Record {
        v: VERSION,
        kind,
        key: key.to_string(),
        unit: unit.to_string(),
        ordinal,
        method: method.to_string(),
        url: url.to_string(),
        at: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or(0),
        status: None,
        body: None,
        via: None,
    }
}

/// The key of a mutation: its place in the run, method, URL and body.
pub fn key(unit: &str, ordinal: u64, method: &str, url: &str, body: &[u8]) -> String {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    for part in [
        unit.as_bytes(),
        &ordinal.to_le_bytes(),
        method.as_bytes(),
        url.as_bytes(),
        body,
    ] {
        ctx.update(&(part.len() as u64).to_le_bytes());
        ctx.update(part);
    }
    ctx.finish().as_ref()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn apply(known: &mut HashMap<String, Known>, record: &Record) {
    let state = match record.kind {
        Kind::Intent => Known::Pending,
        Kind::Failed => Known::New,
        Kind::Outcome => Known::Done {
            status: record.status.unwrap_or(200),
            body: record.body.clone().unwrap_or_default(),
        },
    };
    known.insert(record.key.clone(), state);
}

/// Every record of the file, and the length of its complete lines.
fn read_records(path: &Path, file: &File) -> Result<(HashMap<String, Known>, u64), JournalError> {
    let io = |e: std::io::Error| JournalError::Io(path.to_path_buf(), e.to_string());
    let mut reader = BufReader::new(file.try_clone().map_err(io)?);
    reader.seek(SeekFrom::Start(0)).map_err(io)?;
    let mut known = HashMap::new();
    let (mut good, mut number) = (0u64, 0usize);
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = reader.read_until(b'\n', &mut line).map_err(io)?;
        if n == 0 {
            break;
        }
        number += 1;
        if line.last() != Some(&b'\n') {
            break; // cut short by a crash: dropped by the caller
        }
        let record: Record = serde_json::from_slice(&line)
            .map_err(|e| JournalError::Corrupt(path.to_path_buf(), number, e.to_string()))?;
        apply(&mut known, &record);
        good += n as u64;
    }
    Ok((known, good))
}

/// The writer thread: takes every record waiting, writes them, one fsync, acknowledges all.
fn group_commit(mut file: File, rx: mpsc::Receiver<Pending>) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        batch.extend(rx.try_iter());
        let mut bytes = Vec::new();
        for (line, _) in &batch {
            bytes.extend_from_slice(line);
        }
        let result = file
            .write_all(&bytes)
            .and_then(|()| file.sync_data())
            .map_err(|e| e.to_string());
        for (_, ack) in batch {
            let _ = ack.send(result.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("qops-journal-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir.join("run.jsonl")
    }

    #[test]
    fn records_survive_a_reopen_and_a_torn_last_line_is_dropped() {
        let path = temp("reopen");
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        {
            let j = Journal::open(&path).unwrap();
            let k = key("", 0, "POST", "https://x/api/v1/users", b"{}");
            rt.block_on(j.append(record(Kind::Intent, &k, "", 0, "POST", "u")))
                .unwrap();
            assert!(matches!(j.known(&k), Known::Pending));
            let mut done = record(Kind::Outcome, &k, "", 0, "POST", "u");
            done.status = Some(201);
            done.body = Some("{\"id\":\"1\"}".into());
            rt.block_on(j.append(done)).unwrap();
            let other = key("", 1, "POST", "https://x/api/v1/users", b"{}");
            assert_ne!(k, other);
            rt.block_on(j.append(record(Kind::Intent, &other, "", 1, "POST", "u")))
                .unwrap();
        }
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"{\"v\":1,\"kind\":\"outc")
            .unwrap();
        let j = Journal::open(&path).unwrap();
        let k = key("", 0, "POST", "https://x/api/v1/users", b"{}");
        assert!(matches!(j.known(&k), Known::Done { status: 201, .. }));
        let other = key("", 1, "POST", "https://x/api/v1/users", b"{}");
        assert!(matches!(j.known(&other), Known::Pending));
        assert!(std::fs::read_to_string(&path).unwrap().ends_with("}\n"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_second_opener_is_refused() {
        let path = temp("busy");
        let _first = Journal::open(&path).unwrap();
        let err = Journal::open(&path).unwrap_err().to_string();
        assert!(err.contains("in use by another qops process"), "{err}");
    }
}
