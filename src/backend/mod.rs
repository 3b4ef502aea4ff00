//! The state backend a command uses, as the root module's `meshform { backend "..." {} }`
//! (or `terraform { backend ... }`) block says: `local` (the default, a file in the working
//! directory), or `pg` (PostgreSQL). Every backend keeps one state per workspace, a lock per
//! workspace, and the journal of the apply in progress; errors become diagnostics that name
//! the backend and the workspace.

pub mod pg;
pub mod store;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use meshform_engine::addrs::ResourceInstanceAddr;
use meshform_engine::apply::StateRecorder;
use meshform_engine::config::BackendBlock;
use meshform_engine::diag::{Diagnostic, Diagnostics};
use meshform_engine::eval::Value;
use meshform_engine::state::journal::{self, Journal};
use meshform_engine::state::local::{LocalBackend, LockGuard, LockInfo};
use meshform_engine::state::{ResourceInstanceState, State, StateError};

use crate::workdir::Workdir;
use store::{HeldLock, Store};

/// Where the workspace a command works on is remembered (`workspace select`).
const ENVIRONMENT_FILE: &str = ".meshform/environment";
/// Non-default workspaces of the local backend, as Terraform's `terraform.tfstate.d`.
const LOCAL_WORKSPACES_DIR: &str = "meshform.tfstate.d";

pub struct Backend {
    kind: Kind,
    /// The workspace this command works on.
    pub workspace: String,
}

enum Kind {
    Local { dir: PathBuf, local: LocalBackend },
    Remote(Arc<dyn Store>),
}

/// A held state lock, given back when dropped (a remote one also when the process dies).
pub enum Lock {
    Local(Box<LockGuard>),
    Remote(Box<dyn HeldLock>),
}

impl Lock {
    /// Gives the lock back now.
    pub async fn release(self) {
        match self {
            Lock::Local(g) => drop(g),
            Lock::Remote(l) => l.release().await,
        }
    }
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
        StateError::Backend { .. } => Diagnostic::error("State backend error")
            .with_detail(format!("{e}. Nothing was written."))
            .with_help("check the backend block (or PG_CONN_STR), and that the service is reachable"),
    }
}

fn diags(e: StateError) -> Diagnostics {
    state_diagnostic(e).into()
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

/// The workspace a command in `dir` works on: `MESHFORM_WORKSPACE` (or `TF_WORKSPACE`),
/// else the one `workspace select` chose, else `default`.
pub fn current_workspace(dir: &Path) -> String {
    for var in ["MESHFORM_WORKSPACE", "TF_WORKSPACE"] {
        if let Ok(w) = std::env::var(var)
            && !w.trim().is_empty()
        {
            return w.trim().to_string();
        }
    }
    std::fs::read_to_string(dir.join(ENVIRONMENT_FILE))
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "default".into())
}

/// Remembers the selected workspace.
pub fn select_workspace(dir: &Path, name: &str) -> Result<(), Diagnostics> {
    let path = dir.join(ENVIRONMENT_FILE);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| Diagnostic::error(format!("cannot create {}: {e}", parent.display())))?;
    }
    std::fs::write(&path, format!("{name}\n"))
        .map_err(|e| Diagnostic::error(format!("cannot write {}: {e}", path.display())).into())
}

/// Workspace names as Terraform allows them.
pub fn valid_workspace_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 90
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && name != "."
        && name != ".."
}

/// The backend block's arguments: literal values only, as Terraform requires.
fn backend_arguments(b: &BackendBlock, dir: &Path) -> Result<BTreeMap<String, Value>, Diagnostics> {
    struct Literal<'a>(&'a Path);
    impl meshform_engine::eval::expr::Scope for Literal<'_> {
        fn resolve(
            &self,
            r: &meshform_engine::eval::expr::Reference,
        ) -> Result<meshform_engine::eval::expr::Resolved, Diagnostic> {
            Err(Diagnostic::error("Variables not allowed")
                .with_detail(format!(
                    "A backend block cannot refer to {}: its settings are read before anything else is evaluated. Use -backend-config or the backend's environment variables instead.",
                    r.root
                ))
                .with_span(r.span))
        }
        fn module_dir(&self) -> &Path {
            self.0
        }
    }
    let mut out = BTreeMap::new();
    let mut errs = Diagnostics::new();
    for a in &b.body.attributes {
        match meshform_engine::walk::eval_expr(&a.expr, &Literal(dir)) {
            Ok(v) => {
                out.insert(a.name.clone(), v);
            }
            Err(d) => errs.push(d),
        }
    }
    if errs.has_errors() { Err(errs) } else { Ok(out) }
}

fn arg_str(args: &BTreeMap<String, Value>, name: &str) -> Option<String> {
    args.get(name).and_then(Value::as_str).map(str::to_string)
}

impl Backend {
    fn local_in(dir: &Path, workspace: &str) -> Backend {
        let path = if workspace == "default" {
            dir.join(crate::workdir::STATE_FILE)
        } else {
            dir.join(LOCAL_WORKSPACES_DIR).join(workspace).join(crate::workdir::STATE_FILE)
        };
        Backend {
            kind: Kind::Local { dir: dir.to_path_buf(), local: LocalBackend::new(path) },
            workspace: workspace.to_string(),
        }
    }

    /// The backend the working directory's configuration names, on the current workspace.
    /// A directory without configuration files uses the local backend.
    pub async fn open(wd: &Workdir) -> Result<Backend, Diagnostics> {
        let workspace = current_workspace(&wd.dir);
        if !valid_workspace_name(&workspace) {
            return Err(Diagnostic::error(format!("Invalid workspace name {workspace:?}"))
                .with_detail("Workspace names are letters, digits, '-', '_' and '.'.")
                .into());
        }
        let block = match wd.load_config() {
            Ok((config, _)) => config.backend.clone(),
            Err(d) if d.0.iter().any(|x| x.summary == "No configuration files") => None,
            Err(d) => return Err(d),
        };
        let Some(block) = block else { return Ok(Backend::local_in(&wd.dir, &workspace)) };
        let args = backend_arguments(&block, &wd.dir)?;
        match block.kind.as_str() {
            "local" => {
                let mut b = Backend::local_in(&wd.dir, &workspace);
                if let (Some(path), "default") = (arg_str(&args, "path"), workspace.as_str()) {
                    b.kind = Kind::Local { dir: wd.dir.clone(), local: LocalBackend::new(wd.dir.join(path)) };
                }
                Ok(b)
            }
            "pg" => {
                let conn_str =
                    arg_str(&args, "conn_str").or_else(|| std::env::var("PG_CONN_STR").ok()).ok_or_else(|| {
                        Diagnostic::error("The pg backend needs a connection string")
                            .with_detail("Set conn_str in the backend block, or PG_CONN_STR in the environment.")
                            .with_span(block.span)
                    })?;
                let schema = arg_str(&args, "schema_name")
                    .or_else(|| std::env::var("PG_SCHEMA_NAME").ok())
                    .unwrap_or_else(|| "meshform_remote_state".into());
                let skip = args.get("skip_schema_creation").and_then(Value::as_bool).unwrap_or(false);
                let store = pg::PgStore::open(&conn_str, &schema, !skip).await.map_err(diags)?;
                Ok(Backend { kind: Kind::Remote(Arc::new(store)), workspace })
            }
            other => Err(Diagnostic::error("Unsupported backend type")
                .with_detail(format!("There is no backend {other:?}; meshform has \"local\" and \"pg\"."))
                .with_span(block.span)
                .into()),
        }
    }

    /// The same backend on another workspace.
    pub fn on_workspace(&self, workspace: &str) -> Backend {
        match &self.kind {
            Kind::Local { dir, .. } => Backend::local_in(dir, workspace),
            Kind::Remote(s) => Backend { kind: Kind::Remote(s.clone()), workspace: workspace.to_string() },
        }
    }

    /// How messages name where this workspace's state lives.
    pub fn describe(&self) -> String {
        match &self.kind {
            Kind::Local { local, .. } => local.path().display().to_string(),
            Kind::Remote(s) => format!("{}, workspace {:?}", s.describe(), self.workspace),
        }
    }

    async fn load_remote(&self, store: &dyn Store) -> Result<(State, usize), StateError> {
        let origin = self.describe();
        let mut state = match store.read(&self.workspace).await? {
            Some(text) => meshform_engine::state::local::parse(&text, &origin)?,
            None => State::default(),
        };
        let recovered = match store.journal_read(&self.workspace).await? {
            Some(text) => journal::replay_text(&text, &format!("the journal of {origin}"), &mut state)?,
            None => 0,
        };
        Ok((state, recovered))
    }

    /// The recorded state (fresh when there is none), for reading.
    pub async fn load(&self) -> Result<(State, Diagnostics), Diagnostics> {
        match &self.kind {
            Kind::Local { local, .. } => {
                let (state, report) = local.load().map_err(diags)?;
                Ok((state, recovered_warning(report.recovered)))
            }
            Kind::Remote(store) => {
                let (state, n) = self.load_remote(store.as_ref()).await.map_err(diags)?;
                Ok((state, recovered_warning(n)))
            }
        }
    }

    /// The recorded state for a command that will write it (call with the lock held):
    /// a journal left by an interrupted apply is folded into the state first.
    pub async fn load_for_update(&self) -> Result<(State, Diagnostics), Diagnostics> {
        match &self.kind {
            Kind::Local { local, .. } => {
                let (state, report) = local.load_for_update().map_err(diags)?;
                Ok((state, recovered_warning(report.recovered)))
            }
            Kind::Remote(store) => {
                let (mut state, n) = self.load_remote(store.as_ref()).await.map_err(diags)?;
                if n > 0 {
                    state.serial += 1;
                    self.persist(&state).await?;
                }
                Ok((state, recovered_warning(n)))
            }
        }
    }

    pub async fn lock(&self, operation: &str, timeout: Duration) -> Result<Lock, Diagnostics> {
        match &self.kind {
            Kind::Local { local, .. } => {
                let guard = local.lock(operation, timeout).map_err(diags)?;
                if let Some(old) = &guard.took_over {
                    eprintln!("Warning: took over the state lock of a run that is gone: {old}");
                }
                Ok(Lock::Local(Box::new(guard)))
            }
            Kind::Remote(store) => {
                let info = LockInfo::new(operation);
                Ok(Lock::Remote(store.lock(&self.workspace, &info, timeout).await.map_err(diags)?))
            }
        }
    }

    pub async fn persist(&self, state: &State) -> Result<(), Diagnostics> {
        match &self.kind {
            Kind::Local { local, .. } => local.persist(state).map_err(diags),
            Kind::Remote(store) => {
                let mut text = Vec::new();
                meshform_engine::state::file::write_text(state, &mut text)
                    .map_err(|e| Diagnostic::error(format!("cannot encode the state: {e}")))?;
                let text = String::from_utf8(text).map_err(|e| Diagnostic::error(format!("state encoding: {e}")))?;
                store.write(&self.workspace, &text, state.serial).await.map_err(diags)
            }
        }
    }

    pub async fn force_unlock(&self, id: &str) -> Result<(), Diagnostics> {
        match &self.kind {
            Kind::Local { local, .. } => local.force_unlock(id).map(|_| ()).map_err(diags),
            Kind::Remote(store) => store.force_unlock(&self.workspace, id).await.map(|_| ()).map_err(diags),
        }
    }

    /// A recorder that appends each finished instance to the journal.
    pub async fn recorder(&self, base: &State) -> Result<Arc<dyn StateRecorder>, Diagnostics> {
        match &self.kind {
            Kind::Local { local, .. } => Ok(Arc::new(JournalRecorder { journal: local.journal(base).map_err(diags)? })),
            Kind::Remote(store) => {
                let header = journal::header_record(&base.lineage, base.serial).to_string();
                store.journal_start(&self.workspace, &header).await.map_err(diags)?;
                Ok(Arc::new(RemoteRecorder::start(store.clone(), self.workspace.clone()).await.map_err(diags)?))
            }
        }
    }

    /// Every workspace with a state, `default` always among them.
    pub async fn workspaces(&self) -> Result<Vec<String>, Diagnostics> {
        let mut names = match &self.kind {
            Kind::Local { dir, .. } => std::fs::read_dir(dir.join(LOCAL_WORKSPACES_DIR))
                .map(|rd| {
                    rd.filter_map(Result::ok)
                        .filter(|e| e.path().is_dir())
                        .map(|e| e.file_name().to_string_lossy().to_string())
                        .collect()
                })
                .unwrap_or_default(),
            Kind::Remote(store) => store.workspaces().await.map_err(diags)?,
        };
        names.push("default".into());
        names.sort();
        names.dedup();
        Ok(names)
    }

    /// Makes an empty state for a new workspace.
    pub async fn create_workspace(&self) -> Result<(), Diagnostics> {
        if let Kind::Local { local, .. } = &self.kind
            && let Some(parent) = local.path().parent()
        {
            std::fs::create_dir_all(parent)
                .map_err(|e| Diagnostic::error(format!("cannot create {}: {e}", parent.display())))?;
        }
        self.persist(&State::default()).await
    }

    /// Deletes this workspace's state (the caller checked it may).
    pub async fn delete_workspace(&self) -> Result<(), Diagnostics> {
        match &self.kind {
            Kind::Local { dir, .. } => {
                let path = dir.join(LOCAL_WORKSPACES_DIR).join(&self.workspace);
                std::fs::remove_dir_all(&path)
                    .map_err(|e| Diagnostic::error(format!("cannot remove {}: {e}", path.display())).into())
            }
            Kind::Remote(store) => store.delete(&self.workspace).await.map_err(diags),
        }
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

type Ack = std::sync::mpsc::Sender<Result<(), StateError>>;

/// Appends journal records to a remote store; each call returns when the record is stored.
/// The engine records from its worker threads while holding its state lock, so the writes
/// run on a thread of their own, with their own runtime and connection: a blocked worker
/// can never hold up the write it waits for.
struct RemoteRecorder {
    records: Mutex<std::sync::mpsc::Sender<(String, Ack)>>,
}

impl RemoteRecorder {
    async fn start(store: Arc<dyn Store>, workspace: String) -> Result<RemoteRecorder, StateError> {
        let (tx, rx) = std::sync::mpsc::channel::<(String, Ack)>();
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
        std::thread::spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(r) => r,
                Err(e) => {
                    let _ = ready_tx.send(Err(StateError::Backend {
                        backend: store.describe(),
                        message: format!("cannot start the journal writer: {e}"),
                    }));
                    return;
                }
            };
            runtime.block_on(async move {
                let own = match store.reopen().await {
                    Ok(s) => s,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                let _ = ready_tx.send(Ok(()));
                while let Ok((record, ack)) = rx.recv() {
                    let _ = ack.send(own.journal_append(&workspace, &record).await);
                }
            });
        });
        match ready_rx.await {
            Ok(Ok(())) => Ok(RemoteRecorder { records: Mutex::new(tx) }),
            Ok(Err(e)) => Err(e),
            Err(_) => {
                Err(StateError::Backend { backend: "journal".into(), message: "the journal writer stopped".into() })
            }
        }
    }

    fn append(&self, record: String) -> Result<(), Diagnostic> {
        let (ack, done) = std::sync::mpsc::channel();
        let sent = self.records.lock().unwrap_or_else(|e| e.into_inner()).send((record, ack));
        let stopped = || Diagnostic::error("Failed to record the apply: the journal writer stopped");
        sent.map_err(|_| stopped())?;
        done.recv().map_err(|_| stopped())?.map_err(state_diagnostic)
    }
}

impl StateRecorder for RemoteRecorder {
    fn record_set(&self, addr: &ResourceInstanceAddr, instance: &ResourceInstanceState) -> Result<(), Diagnostic> {
        self.append(journal::set_record(addr, instance).to_string())
    }

    fn record_remove(&self, addr: &ResourceInstanceAddr) -> Result<(), Diagnostic> {
        self.append(journal::remove_record(addr).to_string())
    }
}
