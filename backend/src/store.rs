//! What a remote state backend stores, per workspace: the state document, the lock, and
//! the journal of the apply in progress. `pg` and `s3` implement it; the logic on top
//! (journal replay, serials, lock waiting) is shared in [`super::Backend`].

use std::time::Duration;

use meshform_engine::state::StateError;
use meshform_engine::state::local::LockInfo;

/// A lock held on one workspace's state. It is a lease: the store lets it go by itself
/// when the holding process dies. `release` gives it back at once.
#[async_trait::async_trait]
pub trait HeldLock: Send + Sync {
    async fn release(self: Box<Self>);
}

#[async_trait::async_trait]
pub trait Store: Send + Sync {
    /// A second handle on the same store with its own connection, made on the runtime
    /// this is awaited on (the journal writer's own thread).
    async fn reopen(&self) -> Result<std::sync::Arc<dyn Store>, StateError>;

    /// The backend as messages name it ("PostgreSQL at db:5432, schema x").
    fn describe(&self) -> String;

    /// The state document of a workspace, if there is one.
    async fn read(&self, workspace: &str) -> Result<Option<String>, StateError>;

    /// Replaces the state document of a workspace and clears its journal, at once.
    async fn write(&self, workspace: &str, text: &str, serial: u64) -> Result<(), StateError>;

    /// Takes the workspace's lock, waiting up to `timeout` while another run holds it.
    async fn lock(&self, workspace: &str, info: &LockInfo, timeout: Duration) -> Result<Box<dyn HeldLock>, StateError>;

    /// Breaks the lock whose ID is `id`.
    async fn force_unlock(&self, workspace: &str, id: &str) -> Result<LockInfo, StateError>;

    /// Starts a new journal (replacing any) with its header record.
    async fn journal_start(&self, workspace: &str, header: &str) -> Result<(), StateError>;

    /// Appends a record; it is durable when this returns.
    async fn journal_append(&self, workspace: &str, record: &str) -> Result<(), StateError>;

    /// The journal's records, one a line, if there is a journal.
    async fn journal_read(&self, workspace: &str) -> Result<Option<String>, StateError>;

    /// The workspaces that have a state.
    async fn workspaces(&self) -> Result<Vec<String>, StateError>;

    /// Deletes a workspace's state, journal and lock.
    async fn delete(&self, workspace: &str) -> Result<(), StateError>;
}
