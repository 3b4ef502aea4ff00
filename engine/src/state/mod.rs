//! The state: what meshform has made, recorded in `meshform.tfstate`.
//!
//! - [`State`] is the model; [`file`] reads and writes its JSON form (schema in
//!   `schema/state.schema.json`).
//! - [`local::LocalBackend`] keeps it in the working directory: atomic writes, a backup,
//!   a lock naming its holder, and a [`journal`] that records each finished instance at once.

pub mod codec;
pub mod file;
pub mod journal;
pub mod local;

use std::collections::BTreeMap;

use crate::addrs::{AbsResource, ResourceInstanceAddr};
use crate::eval::Value;

/// A root output as recorded.
#[derive(Clone, Debug, PartialEq)]
pub struct OutputState {
    pub value: Value,
    pub sensitive: bool,
    /// The output's type JSON where it says more than its value does: the types of the
    /// null values inside it (`{ a = tostring(null) }` has a string `a`).
    pub null_types: Option<serde_json::Value>,
}

/// One recorded resource instance.
#[derive(Clone, Debug, PartialEq)]
pub struct ResourceInstanceState {
    /// Local name of the provider that manages it.
    pub provider: String,
    /// The object's attributes, sensitive parts marked.
    pub value: Value,
    /// What it depended on when last applied: destroy order comes from here.
    pub dependencies: Vec<AbsResource>,
    pub create_before_destroy: bool,
}

/// Everything recorded for one working directory.
#[derive(Clone, Debug, PartialEq)]
pub struct State {
    /// Identifies this state's history; a plan or journal from another lineage is refused.
    pub lineage: String,
    /// Goes up by one with every write; 0 means nothing was ever written.
    pub serial: u64,
    pub outputs: BTreeMap<String, OutputState>,
    pub resources: BTreeMap<ResourceInstanceAddr, ResourceInstanceState>,
    /// Creates an interrupted apply started whose object its provider did not find when
    /// the next run looked (a cloud may show a new machine late): the intent id the next
    /// create of that address is made under again, so a provider that passes it on as an
    /// idempotency token (EC2's `ClientToken`) gets back what the first call made rather
    /// than a second machine. An entry goes once the address holds an object.
    pub unadopted: BTreeMap<ResourceInstanceAddr, String>,
}

impl State {
    /// An empty state with a fresh lineage.
    pub fn new() -> State {
        State {
            lineage: unique_lineage(),
            serial: 0,
            outputs: BTreeMap::new(),
            resources: BTreeMap::new(),
            unadopted: BTreeMap::new(),
        }
    }

    /// Records the object at `addr`; a create pending there is no longer unadopted.
    pub fn set_instance(&mut self, addr: ResourceInstanceAddr, instance: ResourceInstanceState) {
        self.unadopted.remove(&addr);
        self.resources.insert(addr, instance);
    }
}

impl Default for State {
    fn default() -> State {
        State::new()
    }
}

/// A fresh lineage id.
pub fn unique_lineage() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Why state could not be read, written or locked.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("cannot read {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("cannot write {path}: {source}")]
    Write { path: String, source: std::io::Error },
    #[error("{path} is not a valid state file: {message}")]
    Corrupt { path: String, message: String },
    #[error("{path} was written by a newer meshform (format version {found}; this one reads up to {supported})")]
    TooNew { path: String, found: u64, supported: u64 },
    #[error("the state is locked by {holder}")]
    Locked { holder: String, id: String },
    #[error("refusing to write {path}: {message}; the previous state is kept")]
    NotReadBack { path: String, message: String },
    #[error("{path}: {message}")]
    Journal { path: String, message: String },
    #[error("lock ID {given:?} does not match the lock held ({held:?})")]
    LockMismatch { given: String, held: String },
    #[error("no lock is held on {path}")]
    NotLocked { path: String },
    #[error("{backend}: {message}")]
    Backend { backend: String, message: String },
}
