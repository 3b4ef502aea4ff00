//! The state backend a command uses (the local file for now), with its errors turned into
//! diagnostics that name the state file.

use std::path::Path;
use std::time::Duration;

use meshform_engine::addrs::ResourceInstanceAddr;
use meshform_engine::apply::StateRecorder;
use meshform_engine::diag::{Diagnostic, Diagnostics};
use meshform_engine::state::journal::Journal;
use meshform_engine::state::local::{LocalBackend, LockGuard};
use meshform_engine::state::{ResourceInstanceState, State, StateError};

pub struct Backend {
    local: LocalBackend,
}

/// A state error as the user sees it.
pub fn state_diagnostic(e: StateError) -> Diagnostic {
    match &e {
        StateError::Corrupt { .. } | StateError::Read { .. } => Diagnostic::error("Failed to load state")
            .with_detail(format!("{e}. The file was left as it is."))
            .with_help("restore it from meshform.tfstate.backup or from version control"),
        StateError::TooNew { .. } => Diagnostic::error("Failed to load state")
            .with_detail(format!("{e}. The file was left as it is."))
            .with_help("use a newer meshform"),
        StateError::Locked { id, .. } => {
            let d = Diagnostic::error("Error acquiring the state lock").with_detail(format!(
                "{e}. Another meshform run is using this state; wait for it to finish, or pass -lock-timeout to wait."
            ));
            if id.is_empty() {
                d
            } else {
                d.with_help(format!("if that run is gone, remove its lock with: meshform force-unlock {id}"))
            }
        }
        StateError::Journal { .. } => {
            Diagnostic::error("Failed to recover the apply journal").with_detail(e.to_string())
        }
        StateError::Write { .. } => Diagnostic::error("Failed to write state").with_detail(e.to_string()),
        StateError::LockMismatch { .. } | StateError::NotLocked { .. } => {
            Diagnostic::error("Failed to unlock state").with_detail(e.to_string())
        }
    }
}

fn diags(e: StateError) -> Diagnostics {
    state_diagnostic(e).into()
}

impl Backend {
    pub fn local(dir: &Path) -> Backend {
        Backend { local: LocalBackend::new(dir.join(crate::workdir::STATE_FILE)) }
    }

    fn recovered_warning(n: usize) -> Diagnostics {
        if n == 0 {
            return Diagnostics::new();
        }
        Diagnostic::warning("Recovered an interrupted apply")
            .with_detail(format!(
                "{n} finished operation(s) of an apply that did not complete were read back from the journal."
            ))
            .into()
    }

    /// The recorded state (fresh when there is none), for reading.
    pub fn load(&self) -> Result<(State, Diagnostics), Diagnostics> {
        let (state, report) = self.local.load().map_err(diags)?;
        Ok((state, Self::recovered_warning(report.recovered)))
    }

    /// The recorded state for a command that will write it (call with the lock held):
    /// a journal left by an interrupted apply is folded into the file first.
    pub fn load_for_update(&self) -> Result<(State, Diagnostics), Diagnostics> {
        let (state, report) = self.local.load_for_update().map_err(diags)?;
        Ok((state, Self::recovered_warning(report.recovered)))
    }

    pub fn lock(&self, operation: &str, timeout: Duration) -> Result<LockGuard, Diagnostics> {
        let guard = self.local.lock(operation, timeout).map_err(diags)?;
        if let Some(old) = &guard.took_over {
            eprintln!("Warning: took over the state lock of a run that is gone: {old}");
        }
        Ok(guard)
    }

    pub fn persist(&self, state: &State) -> Result<(), Diagnostics> {
        self.local.persist(state).map_err(diags)
    }

    pub fn force_unlock(&self, id: &str) -> Result<(), Diagnostics> {
        self.local.force_unlock(id).map(|_| ()).map_err(diags)
    }

    /// A recorder that appends each finished instance to the journal.
    pub fn recorder(&self, base: &State) -> Result<JournalRecorder, Diagnostics> {
        Ok(JournalRecorder { journal: self.local.journal(base).map_err(diags)? })
    }
}

pub struct JournalRecorder {
    journal: Journal,
}

impl StateRecorder for JournalRecorder {
    fn record_set(&self, addr: &ResourceInstanceAddr, instance: &ResourceInstanceState) -> Result<(), Diagnostic> {
        self.journal.record_set(addr, instance).map_err(state_diagnostic)
    }

    fn record_remove(&self, addr: &ResourceInstanceAddr) -> Result<(), Diagnostic> {
        self.journal.record_remove(addr).map_err(state_diagnostic)
    }
}
