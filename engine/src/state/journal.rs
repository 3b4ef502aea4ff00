//! The apply journal: one JSON line per finished instance, appended with a single write
//! as soon as the instance finishes. Recording stays O(1) however large the state is, and
//! a completed write survives `kill -9` of the process (it is in the kernel's page cache);
//! the journal is folded into the state file when the apply ends, or on the next run.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde_json::{Value as J, json};

use super::file::{instance_from_json, instance_json};
use super::{ResourceInstanceState, State, StateError};
use crate::addrs::ResourceInstanceAddr;

/// An open journal, appending records for one apply.
pub struct Journal {
    path: PathBuf,
    file: Mutex<File>,
}

impl Journal {
    /// Starts a journal for changes on top of the state with this lineage and serial.
    pub fn create(path: &Path, lineage: &str, base_serial: u64) -> Result<Journal, StateError> {
        let werr = |source| StateError::Write { path: path.display().to_string(), source };
        let mut file = open_private(path, true).map_err(werr)?;
        file.write_all(format!("{}\n", header_record(lineage, base_serial)).as_bytes()).map_err(werr)?;
        Ok(Journal { path: path.to_path_buf(), file: Mutex::new(file) })
    }

    fn append(&self, record: &J) -> Result<(), StateError> {
        let line = format!("{record}\n");
        let mut f = self.file.lock().unwrap_or_else(|e| e.into_inner());
        f.write_all(line.as_bytes())
            .map_err(|source| StateError::Write { path: self.path.display().to_string(), source })
    }

    /// Records a created or updated instance.
    pub fn record_set(&self, addr: &ResourceInstanceAddr, inst: &ResourceInstanceState) -> Result<(), StateError> {
        self.append(&set_record(addr, inst))
    }

    /// Records a deleted instance.
    pub fn record_remove(&self, addr: &ResourceInstanceAddr) -> Result<(), StateError> {
        self.append(&remove_record(addr))
    }

    /// Records an instance renamed by a `moved` block.
    pub fn record_move(&self, from: &ResourceInstanceAddr, to: &ResourceInstanceAddr) -> Result<(), StateError> {
        self.append(&move_record(from, to))
    }

    /// Records a create about to be made.
    pub fn record_intent(&self, intent: &Intent) -> Result<(), StateError> {
        self.append(&intent_record(intent))
    }
}

/// A create about to be asked of a provider, journaled first so a killed apply's work
/// can be found again (see [`crate::provider::Provider::adopt`]).
#[derive(Clone, Debug)]
pub struct Intent {
    pub addr: ResourceInstanceAddr,
    pub id: String,
    pub provider: String,
    /// What the provider is asked to make.
    pub planned: crate::eval::Value,
    pub dependencies: Vec<crate::addrs::AbsResource>,
    pub create_before_destroy: bool,
}

impl Intent {
    /// The instance the intent's object is recorded as, once found.
    pub fn instance(&self, value: crate::eval::Value) -> ResourceInstanceState {
        ResourceInstanceState {
            provider: self.provider.clone(),
            value,
            dependencies: self.dependencies.clone(),
            create_before_destroy: self.create_before_destroy,
        }
    }
}

/// The record of an intent.
pub fn intent_record(intent: &Intent) -> J {
    let inst = intent.instance(intent.planned.clone());
    json!({"op": "intent", "addr": intent.addr.to_string(), "intent": intent.id, "provider": intent.provider, "instance": instance_json(&intent.addr, &inst)})
}

/// What replaying a journal found.
#[derive(Debug, Default)]
pub struct Replayed {
    /// Finished operations applied to the state.
    pub applied: usize,
    /// Creates that were started but whose result was never recorded.
    pub pending: Vec<Intent>,
}

/// The first record of a journal: which state it is written on top of.
pub fn header_record(lineage: &str, base_serial: u64) -> J {
    json!({"journal": 1, "lineage": lineage, "base_serial": base_serial})
}

/// The record of a created or updated instance.
pub fn set_record(addr: &ResourceInstanceAddr, inst: &ResourceInstanceState) -> J {
    json!({"op": "set", "addr": addr.to_string(), "provider": inst.provider, "instance": instance_json(addr, inst)})
}

/// The record of a deleted instance.
pub fn remove_record(addr: &ResourceInstanceAddr) -> J {
    json!({"op": "remove", "addr": addr.to_string()})
}

/// The record of an instance renamed: it is at `addr` now, no longer at `from`.
pub fn move_record(from: &ResourceInstanceAddr, to: &ResourceInstanceAddr) -> J {
    json!({"op": "move", "addr": to.to_string(), "from": from.to_string()})
}

/// Opens a file for writing with mode 0600.
pub fn open_private(path: &Path, truncate: bool) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut o = OpenOptions::new();
    o.create(true).write(true).mode(0o600);
    if truncate {
        o.truncate(true);
    } else {
        o.append(true);
    }
    o.open(path)
}

/// Replays a journal onto `state` (which must be the state it was started from).
/// Returns how many records were applied; a torn last line (a crash mid-write) is ignored.
pub fn replay(path: &Path, state: &mut State) -> Result<Replayed, StateError> {
    let text = std::fs::read_to_string(path)
        .map_err(|source| StateError::Read { path: path.display().to_string(), source })?;
    replay_text(&text, &path.display().to_string(), state)
}

/// Replays a journal's text (one record a line, the header first); `origin` names it in
/// errors.
pub fn replay_text(text: &str, origin: &str, state: &mut State) -> Result<Replayed, StateError> {
    let jerr = |message: String| StateError::Journal { path: origin.to_string(), message };
    let mut lines = text.lines();
    let header: J = lines
        .next()
        .and_then(|l| serde_json::from_str(l).ok())
        .ok_or_else(|| jerr("the journal has no valid header line".into()))?;
    let lineage = header.get("lineage").and_then(J::as_str).unwrap_or_default();
    let base = header.get("base_serial").and_then(J::as_u64).unwrap_or(u64::MAX);
    let fresh = state.serial == 0 && state.resources.is_empty();
    if lineage == state.lineage && base < state.serial {
        // Left by a run killed after writing the state file but before removing the
        // journal: its records are in the file already.
        return Ok(Replayed::default());
    }
    if base != state.serial || (!fresh && lineage != state.lineage) {
        return Err(jerr(format!(
            "the journal was written on top of state serial {base} (lineage {lineage}), but the state is at serial {} (lineage {}); refusing to guess. Move the journal away to discard it.",
            state.serial, state.lineage
        )));
    }
    if fresh {
        state.lineage = lineage.to_string();
    }
    let mut applied = 0;
    let mut pending: Vec<Intent> = Vec::new();
    for line in lines {
        let Ok(record) = serde_json::from_str::<J>(line) else {
            break; // a torn final write
        };
        let addr: ResourceInstanceAddr = record
            .get("addr")
            .and_then(J::as_str)
            .and_then(|a| a.parse().ok())
            .ok_or_else(|| jerr(format!("record without a valid address: {line}")))?;
        let op = record.get("op").and_then(J::as_str);
        if op != Some("intent") {
            pending.retain(|i| i.addr != addr);
        }
        match op {
            Some("intent") => {
                let provider = record.get("provider").and_then(J::as_str).unwrap_or("terraform");
                let inst =
                    instance_from_json(&addr, provider, record.get("instance").unwrap_or(&J::Null)).map_err(jerr)?;
                let id = record.get("intent").and_then(J::as_str).unwrap_or_default().to_string();
                pending.retain(|i| i.addr != addr);
                pending.push(Intent {
                    addr,
                    id,
                    provider: inst.provider,
                    planned: inst.value,
                    dependencies: inst.dependencies,
                    create_before_destroy: inst.create_before_destroy,
                });
                continue;
            }
            Some("set") => {
                let provider = record.get("provider").and_then(J::as_str).unwrap_or("terraform");
                let inst =
                    instance_from_json(&addr, provider, record.get("instance").unwrap_or(&J::Null)).map_err(jerr)?;
                state.set_instance(addr, inst);
            }
            Some("remove") => {
                state.resources.remove(&addr);
            }
            Some("move") => {
                let from: ResourceInstanceAddr = record
                    .get("from")
                    .and_then(J::as_str)
                    .and_then(|a| a.parse().ok())
                    .ok_or_else(|| jerr(format!("move record without a valid source address: {line}")))?;
                if let Some(inst) = state.resources.remove(&from) {
                    state.set_instance(addr, inst);
                }
            }
            _ => return Err(jerr(format!("unknown record: {line}"))),
        }
        applied += 1;
    }
    Ok(Replayed { applied, pending })
}
