//! The local backend: `meshform.tfstate` in the working directory, written atomically
//! (temporary file, fsync, rename, fsync of the directory) with mode 0600, the previous
//! version kept as `meshform.tfstate.backup`, guarded by a lock file that names its holder.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{Value as J, json};

use super::journal::{self, Journal, open_private};
use super::{State, StateError, file};

/// State kept in a file.
pub struct LocalBackend {
    path: PathBuf,
}

/// What loading found besides the state.
#[derive(Debug, Default)]
pub struct LoadReport {
    /// Journal records of an interrupted apply replayed onto the state.
    pub recovered: usize,
    /// Creates the interrupted apply started without recording their result; the caller
    /// reconciles them (adopt or forget) and then persists.
    pub pending: Vec<journal::Intent>,
}

/// Who holds a lock.
#[derive(Debug, Clone, PartialEq)]
pub struct LockInfo {
    pub id: String,
    pub operation: String,
    pub who: String,
    pub created: String,
    pub pid: u32,
    pub host: String,
}

impl LockInfo {
    /// A new lock for `operation` by this process.
    pub fn new(operation: &str) -> LockInfo {
        LockInfo {
            id: uuid::Uuid::new_v4().to_string(),
            operation: operation.to_string(),
            who: format!("{}@{}", std::env::var("USER").unwrap_or_else(|_| "unknown".into()), hostname()),
            created: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            pid: std::process::id(),
            host: hostname(),
        }
    }

    /// Terraform's lock-info JSON shape (plus PID and Host); `path` is what is locked.
    pub fn to_json(&self, path: &str) -> J {
        json!({
            "ID": self.id, "Operation": self.operation, "Who": self.who, "Version": env!("CARGO_PKG_VERSION"),
            "Created": self.created, "Path": path, "PID": self.pid, "Host": self.host,
        })
    }

    pub fn from_json(doc: &J) -> Option<LockInfo> {
        let s = |k: &str| doc.get(k).and_then(J::as_str).map(str::to_string);
        Some(LockInfo {
            id: s("ID")?,
            operation: s("Operation").unwrap_or_default(),
            who: s("Who").unwrap_or_default(),
            created: s("Created").unwrap_or_default(),
            pid: doc.get("PID").and_then(J::as_u64).and_then(|p| u32::try_from(p).ok()).unwrap_or(0),
            host: s("Host").unwrap_or_default(),
        })
    }
}

impl std::fmt::Display for LockInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} (operation {:?}, process {} on {}, since {}, lock ID {})",
            self.who, self.operation, self.pid, self.host, self.created, self.id
        )
    }
}

/// Holds the lock until dropped.
pub struct LockGuard {
    path: PathBuf,
    pub info: LockInfo,
    /// A lock left by a process that is gone was taken over.
    pub took_over: Option<LockInfo>,
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

fn io_read(path: &Path) -> impl Fn(std::io::Error) -> StateError + '_ {
    move |source| StateError::Read { path: path.display().to_string(), source }
}

fn io_write(path: &Path) -> impl Fn(std::io::Error) -> StateError + '_ {
    move |source| StateError::Write { path: path.display().to_string(), source }
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_os_string();
    s.push(suffix);
    PathBuf::from(s)
}

impl LocalBackend {
    pub fn new(path: impl Into<PathBuf>) -> LocalBackend {
        LocalBackend { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn backup_path(&self) -> PathBuf {
        with_suffix(&self.path, ".backup")
    }

    pub fn journal_path(&self) -> PathBuf {
        with_suffix(&self.path, ".journal")
    }

    pub fn lock_path(&self) -> PathBuf {
        let name = self.path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        self.path.with_file_name(format!(".{name}.lock.info"))
    }

    /// The recorded state (a fresh one when there is none), with any journal of an
    /// interrupted apply replayed onto it in memory.
    pub fn load(&self) -> Result<(State, LoadReport), StateError> {
        let mut state = self.read_file()?.unwrap_or_default();
        let mut report = LoadReport::default();
        let journal = self.journal_path();
        if journal.exists() {
            let r = journal::replay(&journal, &mut state)?;
            report.recovered = r.applied;
            report.pending = r.pending;
        }
        Ok((state, report))
    }

    /// Like [`LocalBackend::load`], and when a journal was replayed, folds it into the
    /// state file at once (the caller holds the lock).
    pub fn load_for_update(&self) -> Result<(State, LoadReport), StateError> {
        let (mut state, report) = self.load()?;
        let journal = self.journal_path();
        if !report.pending.is_empty() {
            // Folded in once the caller has reconciled the pending creates.
        } else if report.recovered > 0 {
            state.serial += 1;
            self.persist(&state)?;
        } else if journal.exists() {
            std::fs::remove_file(&journal).map_err(io_write(&journal))?;
        }
        Ok((state, report))
    }

    fn read_file(&self) -> Result<Option<State>, StateError> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_read(&self.path)(e)),
        };
        parse(&text, &self.path.display().to_string()).map(Some)
    }

    /// Writes the state atomically, keeping the previous file as the backup, then removes
    /// the journal (its records are in the file now).
    pub fn persist(&self, state: &State) -> Result<(), StateError> {
        let text = file::checked_text(state)
            .map_err(|message| StateError::NotReadBack { path: self.path.display().to_string(), message })?;
        if self.path.exists() {
            self.keep_backup()?;
        }
        write_atomic(&self.path, &text)?;
        let journal = self.journal_path();
        if journal.exists() {
            std::fs::remove_file(&journal).map_err(io_write(&journal))?;
        }
        Ok(())
    }

    /// Makes the current file the backup: a hard link renamed into place (no copy), or a
    /// copy where links are not possible. The state file itself is never absent.
    fn keep_backup(&self) -> Result<(), StateError> {
        let backup = self.backup_path();
        let tmp = with_suffix(&backup, &format!(".tmp-{}", std::process::id()));
        let _ = std::fs::remove_file(&tmp);
        if std::fs::hard_link(&self.path, &tmp).is_ok() {
            return std::fs::rename(&tmp, &backup).map_err(io_write(&backup));
        }
        let old = std::fs::read(&self.path).map_err(io_read(&self.path))?;
        write_atomic(&backup, &old)
    }

    /// Starts the journal of an apply on top of `state`.
    pub fn journal(&self, state: &State) -> Result<Journal, StateError> {
        Journal::create(&self.journal_path(), &state.lineage, state.serial)
    }

    /// Takes the lock, waiting up to `timeout` for a live holder to let go. A lock whose
    /// holder process is gone (same host) is taken over.
    pub fn lock(&self, operation: &str, timeout: Duration) -> Result<LockGuard, StateError> {
        let deadline = Instant::now() + timeout;
        let info = LockInfo::new(operation);
        let path = self.lock_path();
        let mut took_over = None;
        loop {
            match self.try_create_lock(&path, &info) {
                Ok(()) => {
                    return Ok(LockGuard { path, info, took_over });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let holder = read_lock(&path);
                    if let Some(h) = holder.as_ref().filter(|h| h.host == hostname() && !process_alive(h.pid)) {
                        took_over = Some(h.clone());
                        let _ = std::fs::remove_file(&path);
                        continue;
                    }
                    if Instant::now() >= deadline {
                        let (holder, id) = match holder {
                            Some(h) => (h.to_string(), h.id),
                            None => ("an unknown process (the lock file cannot be read)".to_string(), String::new()),
                        };
                        return Err(StateError::Locked { holder, id });
                    }
                    std::thread::sleep(Duration::from_millis(250));
                }
                Err(e) => return Err(io_write(&path)(e)),
            }
        }
    }

    fn try_create_lock(&self, path: &Path, info: &LockInfo) -> std::io::Result<()> {
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
        let doc = info.to_json(&self.path.display().to_string());
        f.write_all(doc.to_string().as_bytes())?;
        f.sync_all()
    }

    /// Removes the lock if `id` is its ID.
    pub fn force_unlock(&self, id: &str) -> Result<LockInfo, StateError> {
        let path = self.lock_path();
        let Some(held) = read_lock(&path) else {
            return Err(StateError::NotLocked { path: self.path.display().to_string() });
        };
        if held.id != id {
            return Err(StateError::LockMismatch { given: id.to_string(), held: held.id });
        }
        std::fs::remove_file(&path).map_err(io_write(&path))?;
        Ok(held)
    }
}

fn read_lock(path: &Path) -> Option<LockInfo> {
    let doc: J = serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
    let s = |k: &str| doc.get(k).and_then(J::as_str).unwrap_or_default().to_string();
    Some(LockInfo {
        id: s("ID"),
        operation: s("Operation"),
        who: s("Who"),
        created: s("Created"),
        pid: doc.get("PID").and_then(J::as_u64).unwrap_or(0) as u32,
        host: s("Host"),
    })
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .or_else(|_| std::env::var("HOSTNAME"))
        .unwrap_or_else(|_| "localhost".into())
}

/// Whether a process exists and is not a zombie (a killed run whose parent has not
/// reaped it holds nothing).
fn process_alive(pid: u32) -> bool {
    pid != 0
        && std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .is_ok_and(|stat| stat.rsplit_once(')').is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z')))
}

/// Temporary file in the same directory, fsync, rename over the target, fsync the directory.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), StateError> {
    let tmp = with_suffix(path, &format!(".tmp-{}", std::process::id()));
    let write = || -> std::io::Result<()> {
        let mut f = open_private(&tmp, true)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::File::open(dir)?.sync_all()?;
        }
        Ok(())
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        io_write(path)(e)
    })
}

/// Parses a state document; `origin` (a path, a backend's key) names it in errors.
pub fn parse(text: &str, origin: &str) -> Result<State, StateError> {
    let corrupt = |message: String| StateError::Corrupt { path: origin.to_string(), message };
    match file::from_text(text) {
        Ok(s) => Ok(s),
        Err(file::TextError::Content(m)) if m.starts_with("TOO_NEW:") => Err(StateError::TooNew {
            path: origin.to_string(),
            found: m.trim_start_matches("TOO_NEW:").parse().unwrap_or(0),
            supported: file::FORMAT_VERSION,
        }),
        Err(file::TextError::Syntax(m) | file::TextError::Content(m)) => Err(corrupt(m)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::addrs::ResourceInstanceAddr;
    use crate::eval::Value;
    use crate::state::ResourceInstanceState;

    fn inst(id: &str) -> ResourceInstanceState {
        ResourceInstanceState {
            provider: "terraform".into(),
            value: Value::object([("id", Value::from(id))]),
            dependencies: vec![],
            create_before_destroy: false,
        }
    }

    #[test]
    fn persist_keeps_backup_and_private_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let b = LocalBackend::new(dir.path().join("meshform.tfstate"));
        let mut s = State::new();
        s.serial = 1;
        b.persist(&s).unwrap();
        s.serial = 2;
        b.persist(&s).unwrap();
        let mode = std::fs::metadata(b.path()).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let backup = std::fs::read_to_string(b.backup_path()).unwrap();
        assert!(backup.contains("\"serial\": 1"));
        assert_eq!(b.load().unwrap().0.serial, 2);
    }

    #[test]
    fn corrupt_and_too_new_files_are_refused_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let b = LocalBackend::new(dir.path().join("meshform.tfstate"));
        std::fs::write(b.path(), "{\"serial\": ").unwrap();
        assert!(matches!(b.load(), Err(StateError::Corrupt { .. })));
        assert_eq!(std::fs::read_to_string(b.path()).unwrap(), "{\"serial\": ");
        std::fs::write(
            b.path(),
            "{\"format_version\": 9, \"serial\": 1, \"lineage\": \"x\", \"outputs\": {}, \"resources\": []}",
        )
        .unwrap();
        assert!(matches!(b.load(), Err(StateError::TooNew { found: 9, .. })));
    }

    #[test]
    fn journal_replays_full_records_and_ignores_a_torn_one() {
        let dir = tempfile::tempdir().unwrap();
        let b = LocalBackend::new(dir.path().join("meshform.tfstate"));
        let mut s = State::new();
        s.serial = 3;
        b.persist(&s).unwrap();
        let j = b.journal(&s).unwrap();
        let a: ResourceInstanceAddr = "terraform_data.a".parse().unwrap();
        let c: ResourceInstanceAddr = "terraform_data.c[1]".parse().unwrap();
        j.record_set(&a, &inst("1")).unwrap();
        j.record_set(&c, &inst("2")).unwrap();
        j.record_remove(&a).unwrap();
        drop(j);
        let mut f = std::fs::OpenOptions::new().append(true).open(b.journal_path()).unwrap();
        f.write_all(b"{\"op\": \"set\", \"addr\": \"terraform_da").unwrap();
        let (loaded, report) = b.load().unwrap();
        assert_eq!(report.recovered, 3);
        assert_eq!(loaded.resources.keys().collect::<Vec<_>>(), vec![&c]);
        let (folded, _) = b.load_for_update().unwrap();
        assert_eq!(folded.serial, 4);
        assert!(!b.journal_path().exists());
    }

    #[test]
    fn a_journal_already_in_the_state_file_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let b = LocalBackend::new(dir.path().join("meshform.tfstate"));
        let mut s = State::new();
        s.serial = 4;
        let j = b.journal(&s).unwrap();
        j.record_set(&"terraform_data.a".parse().unwrap(), &inst("1")).unwrap();
        drop(j);
        // The run wrote serial 5 and was killed before removing its journal.
        s.serial = 5;
        let text = {
            let mut v = Vec::new();
            crate::state::file::write_text(&s, &mut v).unwrap();
            v
        };
        std::fs::write(b.path(), text).unwrap();
        let (loaded, report) = b.load_for_update().unwrap();
        assert_eq!((loaded.serial, report.recovered), (5, 0));
        assert!(!b.journal_path().exists());
    }

    #[test]
    fn journal_of_another_state_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let b = LocalBackend::new(dir.path().join("meshform.tfstate"));
        let mut s = State::new();
        s.serial = 5;
        b.persist(&s).unwrap();
        // Another lineage, or a base newer than the file: never guessed at.
        let mut other = State::new();
        other.serial = 5;
        drop(b.journal(&other).unwrap());
        assert!(matches!(b.load(), Err(StateError::Journal { .. })));
        let mut ahead = s.clone();
        ahead.serial = 9;
        drop(b.journal(&ahead).unwrap());
        assert!(matches!(b.load(), Err(StateError::Journal { .. })));
    }

    #[test]
    fn live_lock_names_holder_and_dead_lock_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let b = LocalBackend::new(dir.path().join("meshform.tfstate"));
        let held = b.lock("apply", Duration::ZERO).unwrap();
        match b.lock("plan", Duration::from_millis(300)) {
            Err(StateError::Locked { holder, id }) => {
                assert!(holder.contains("apply"));
                assert_eq!(id, held.info.id);
            }
            other => panic!("expected Locked, got {:?}", other.map(|g| g.info.clone())),
        }
        assert!(matches!(b.force_unlock("wrong"), Err(StateError::LockMismatch { .. })));
        drop(held);
        std::fs::write(
            b.lock_path(),
            "{\"ID\": \"old\", \"PID\": 999999999, \"Host\": \"".to_string() + &hostname() + "\"}",
        )
        .unwrap();
        let g = b.lock("apply", Duration::ZERO).unwrap();
        assert_eq!(g.took_over.as_ref().map(|t| t.id.clone()), Some("old".to_string()));
    }
}
