//! State backends, as the root module's `meshform { backend "..." {} }` (or `terraform {
//! backend ... }`) block names them: `local` (the default, a file in the working directory,
//! kept by the engine's `state::local`), `pg` (PostgreSQL) or `s3`. Every backend keeps one
//! state per workspace, a lock per workspace, and the journal of the apply in progress;
//! loading for an update replays a journal an interrupted apply left and adopts the
//! creates it started. Errors become diagnostics that name the backend and the workspace.
//! Nothing here prints: what a caller should show comes back to it.

// Diagnostics travel unboxed on the error path; see the engine crate.
#![allow(clippy::result_large_err)]

pub mod pg;
#[cfg(feature = "s3")]
pub mod s3;
pub mod store;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use meshform_engine::addrs::ResourceInstanceAddr;
use meshform_engine::apply::StateRecorder;
use meshform_engine::config::BackendBlock;
use meshform_engine::configure::Providers;
use meshform_engine::diag::{Diagnostic, Diagnostics};
use meshform_engine::eval::Value;
use meshform_engine::state::journal::{self, Journal};
use meshform_engine::state::local::{LocalBackend, LockGuard, LockInfo};
use meshform_engine::state::{ResourceInstanceState, State, StateError};

use store::{HeldLock, Store};

/// The local backend's state file, in the working directory.
pub const STATE_FILE: &str = "meshform.tfstate";

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
    /// The lock of a run that is gone, which this one took over.
    pub fn took_over(&self) -> Option<&LockInfo> {
        match self {
            Lock::Local(g) => g.took_over.as_ref(),
            Lock::Remote(_) => None,
        }
    }

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
        StateError::Write { .. } | StateError::NotReadBack { .. } => {
            Diagnostic::error("Failed to write state").with_detail(e.to_string())
        }
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

/// A workspace name Terraform would refuse is an error naming it.
pub fn check_workspace_name(name: &str) -> Result<(), Diagnostics> {
    if valid_workspace_name(name) {
        Ok(())
    } else {
        Err(Diagnostic::error(format!("Invalid workspace name {name:?}"))
            .with_detail("Workspace names are letters, digits, '-', '_' and '.'.")
            .into())
    }
}

/// Workspace names as Terraform allows them.
fn valid_workspace_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 90
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && name != "."
        && name != ".."
}

/// The backend a configuration names: its type and literal arguments.
#[derive(Clone, Debug)]
pub struct BackendConfig {
    pub kind: String,
    pub args: BTreeMap<String, Value>,
    span: Option<meshform_engine::diag::Span>,
}

impl PartialEq for BackendConfig {
    fn eq(&self, other: &BackendConfig) -> bool {
        self.to_json() == other.to_json()
    }
}

/// Where the backend of the last run is remembered (0600: it may hold credentials).
const BACKEND_RECORD: &str = ".meshform/backend.json";

impl BackendConfig {
    fn to_json(&self) -> serde_json::Value {
        let args: serde_json::Map<String, serde_json::Value> =
            self.args.iter().map(|(k, v)| (k.clone(), v.to_json())).collect();
        serde_json::json!({"type": self.kind, "config": args})
    }

    /// What the root module's backend block says (local when there is none); `dir` is the
    /// root module's directory.
    pub fn of(block: Option<&BackendBlock>, dir: &Path) -> Result<BackendConfig, Diagnostics> {
        let Some(block) = block else {
            return Ok(BackendConfig { kind: "local".into(), args: BTreeMap::new(), span: None });
        };
        let args = backend_arguments(block, dir)?;
        validate_arguments(block)?;
        Ok(BackendConfig { kind: block.kind.clone(), args, span: Some(block.span) })
    }

    fn recorded(dir: &Path) -> Option<BackendConfig> {
        let doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join(BACKEND_RECORD)).ok()?).ok()?;
        let kind = doc.get("type")?.as_str()?.to_string();
        let args = doc.get("config")?.as_object()?.iter().map(|(k, v)| (k.clone(), Value::from_json(v))).collect();
        Some(BackendConfig { kind, args, span: None })
    }

    fn record(&self, dir: &Path) -> Result<(), Diagnostics> {
        let path = dir.join(BACKEND_RECORD);
        let fail = |e: std::io::Error| Diagnostic::error(format!("cannot write {}: {e}", path.display()));
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(fail)?;
        }
        let mut f = meshform_engine::state::journal::open_private(&path, true).map_err(fail)?;
        use std::io::Write;
        f.write_all(format!("{:#}\n", self.to_json()).as_bytes()).map_err(fail)?;
        Ok(())
    }
}

fn validate_arguments(block: &BackendBlock) -> Result<(), Diagnostics> {
    let known: &[&str] = match block.kind.as_str() {
        "local" => &["path", "workspace_dir"],
        "pg" => &["conn_str", "schema_name", "skip_schema_creation", "skip_table_creation", "skip_index_creation"],
        "s3" => &[
            "bucket",
            "key",
            "region",
            "endpoint",
            "endpoints",
            "profile",
            "access_key",
            "secret_key",
            "workspace_key_prefix",
            "lock_ttl",
            "use_lockfile",
            "use_path_style",
            "encrypt",
            "skip_credentials_validation",
            "skip_region_validation",
            "skip_requesting_account_id",
            "skip_metadata_api_check",
            "skip_s3_checksum",
        ],
        _ => return Ok(()),
    };
    match block.body.attributes.iter().find(|a| !known.contains(&a.name.as_str())) {
        Some(a) => Err(Diagnostic::error("Unsupported backend argument")
            .with_detail(format!(
                "The {} backend has no argument {:?}; it takes {}.",
                block.kind,
                a.name,
                known.join(", ")
            ))
            .with_span(a.name_span)
            .into()),
        None => Ok(()),
    }
}

#[cfg(feature = "s3")]
fn short_hash(s: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(s.as_bytes()).iter().take(8).map(|b| format!("{b:02x}")).collect()
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
            dir.join(STATE_FILE)
        } else {
            dir.join(LOCAL_WORKSPACES_DIR).join(workspace).join(STATE_FILE)
        };
        Backend {
            kind: Kind::Local { dir: dir.to_path_buf(), local: LocalBackend::new(path) },
            workspace: workspace.to_string(),
        }
    }

    /// The backend `config` names, for the working directory `dir`, on `workspace`; refused
    /// when it is not the one the directory's last run used. `force_check` re-runs the
    /// checks a backend makes once (an S3 store's conditional writes), as `init` does.
    pub async fn open(
        dir: &Path,
        workspace: &str,
        config: &BackendConfig,
        force_check: bool,
    ) -> Result<Backend, Diagnostics> {
        check_workspace_name(workspace)?;
        match BackendConfig::recorded(dir) {
            Some(old) if old != *config => {
                return Err(Diagnostic::error("Backend configuration changed")
                    .with_detail(format!(
                        "The state was last kept in the {} backend and the configuration now names the {} backend{}. Using the new one as it is could lose track of everything the old one records.",
                        old.kind,
                        config.kind,
                        if old.kind == config.kind { " with other settings" } else { "" }
                    ))
                    .with_help("run `meshform init -migrate-state` to copy the state over, or `meshform init -reconfigure` to use the new backend as it is")
                    .into());
            }
            Some(_) => {}
            None => config.record(dir)?,
        }
        Backend::build(dir, config, workspace, force_check).await
    }

    /// `init`: checks the backend, and when its configuration changed since the last run,
    /// copies every workspace's state over (`migrate`) or just takes the new one
    /// (`reconfigure`); `providers` adopt what interrupted applies made. Gives back the
    /// backend and a line for each workspace it copied.
    pub async fn init(
        dir: &Path,
        workspace: &str,
        config: &BackendConfig,
        migrate: bool,
        reconfigure: bool,
        providers: &Providers,
    ) -> Result<(Backend, Vec<String>), Diagnostics> {
        let old = BackendConfig::recorded(dir).filter(|old| old != config);
        let new = Backend::build(dir, config, workspace, true).await?;
        let mut copied = Vec::new();
        if let Some(old) = old {
            if migrate {
                let from = Backend::build(dir, &old, workspace, false).await?;
                copied = from.migrate_to(&new, providers).await?;
            } else if !reconfigure {
                let was = Backend::build(dir, &old, "default", false).await?;
                let mut any = false;
                for w in was.workspaces().await? {
                    let (st, _) = was.on_workspace(&w).load().await?;
                    any |= !st.resources.is_empty();
                }
                if any {
                    return Err(Diagnostic::error("Backend configuration changed")
                        .with_detail(format!(
                            "The {} backend still records resources; the configuration now names the {} backend.",
                            old.kind, config.kind
                        ))
                        .with_help("pass -migrate-state to copy the state over, or -reconfigure to leave it behind")
                        .into());
                }
            }
        }
        config.record(dir)?;
        Ok((new, copied))
    }

    /// Copies every workspace's state to `to`, each under both locks; refuses to overwrite
    /// a workspace that already records resources there.
    async fn migrate_to(&self, to: &Backend, providers: &Providers) -> Result<Vec<String>, Diagnostics> {
        let mut copied = Vec::new();
        for w in self.workspaces().await? {
            let (src, dst) = (self.on_workspace(&w), to.on_workspace(&w));
            let l1 = src.lock("migrate-state", Duration::from_secs(10)).await?;
            let l2 = dst.lock("migrate-state", Duration::from_secs(10)).await?;
            let (state, _) = src.load_for_update(providers).await?;
            let (there, _) = dst.load_for_update(providers).await?;
            if !there.resources.is_empty() && there.lineage != state.lineage {
                return Err(Diagnostic::error(format!("Workspace {w:?} already has state in the new backend"))
                    .with_detail(format!(
                        "{} records {} resource instance(s) of another lineage; meshform will not overwrite it.",
                        dst.describe(),
                        there.resources.len()
                    ))
                    .into());
            }
            if w != "default" {
                dst.create_workspace().await?;
            }
            dst.persist(&state).await?;
            copied.push(format!(
                "Copied workspace {w:?} ({} resource instance(s)) to {}.",
                state.resources.len(),
                dst.describe()
            ));
            l2.release().await;
            l1.release().await;
        }
        Ok(copied)
    }

    async fn build(
        dir: &Path,
        config: &BackendConfig,
        workspace: &str,
        force_check: bool,
    ) -> Result<Backend, Diagnostics> {
        let workspace = workspace.to_string();
        // Only the s3 backend has a check to force.
        let _ = force_check;
        let args = &config.args;
        let span_err = |d: Diagnostic| match config.span {
            Some(sp) => d.with_span(sp),
            None => d,
        };
        match config.kind.as_str() {
            "local" => {
                let mut b = Backend::local_in(dir, &workspace);
                if let (Some(path), "default") = (arg_str(args, "path"), workspace.as_str()) {
                    b.kind = Kind::Local { dir: dir.to_path_buf(), local: LocalBackend::new(dir.join(path)) };
                }
                Ok(b)
            }
            "pg" => {
                let conn_str = arg_str(args, "conn_str")
                    .or_else(|| std::env::var("PG_CONN_STR").ok())
                    .ok_or_else(|| {
                        Diagnostic::error("The pg backend needs a connection string")
                            .with_detail("Set conn_str in the backend block, or PG_CONN_STR in the environment.")
                    })
                    .map_err(span_err)?;
                let schema = arg_str(args, "schema_name")
                    .or_else(|| std::env::var("PG_SCHEMA_NAME").ok())
                    .unwrap_or_else(|| "meshform_remote_state".into());
                let skip = args.get("skip_schema_creation").and_then(Value::as_bool).unwrap_or(false);
                let store = pg::PgStore::open(&conn_str, &schema, !skip).await.map_err(diags)?;
                Ok(Backend { kind: Kind::Remote(Arc::new(store)), workspace })
            }
            #[cfg(not(feature = "s3"))]
            "s3" => Err(span_err(Diagnostic::error("The s3 backend is not in this build").with_detail(
                "This meshform was built without its aws feature (as scripts/quickstart builds it); build it with the default features for the s3 backend.",
            ))
            .into()),
            #[cfg(feature = "s3")]
            "s3" => {
                let need = |k: &str| {
                    arg_str(args, k).ok_or_else(|| {
                        Diagnostic::error(format!("The s3 backend needs {k}"))
                            .with_detail("Set bucket and key in the backend block.")
                    })
                };
                let endpoint = arg_str(args, "endpoint").or_else(|| {
                    args.get("endpoints").and_then(|e| e.get_attr("s3")).and_then(Value::as_str).map(str::to_string)
                });
                let settings = s3::S3Settings {
                    bucket: need("bucket").map_err(span_err)?,
                    key: need("key").map_err(span_err)?,
                    region: arg_str(args, "region"),
                    endpoint: endpoint.or_else(|| std::env::var("AWS_ENDPOINT_URL_S3").ok()),
                    profile: arg_str(args, "profile"),
                    access_key: arg_str(args, "access_key"),
                    secret_key: arg_str(args, "secret_key"),
                    workspace_key_prefix: arg_str(args, "workspace_key_prefix").unwrap_or_else(|| "env:".into()),
                    lock_ttl: args
                        .get("lock_ttl")
                        .and_then(Value::as_number)
                        .and_then(meshform_engine::eval::Number::to_i64)
                        .map_or(30, |t| t.max(3) as u64),
                };
                let marker = dir.join(format!(
                    ".meshform/s3-conditional-writes-{}",
                    short_hash(&format!("{:?}|{}", settings.endpoint, settings.bucket))
                ));
                let store = s3::S3Store::open(settings).await.map_err(diags)?;
                if force_check || !marker.exists() {
                    if !store.honours_conditional_writes().await.map_err(diags)? {
                        return Err(Diagnostic::error("The S3 store does not honour conditional writes")
                            .with_detail(format!(
                                "{} accepted a second If-None-Match: * write of the same object, so two runs could both take the state lock. meshform will not keep state there.",
                                store.describe()
                            ))
                            .into());
                    }
                    if let Some(parent) = marker.parent() {
                        let _ = std::fs::create_dir_all(parent);
                    }
                    let _ = std::fs::write(&marker, "checked\n");
                }
                Ok(Backend { kind: Kind::Remote(Arc::new(s3::SharedS3(Arc::new(store)))), workspace })
            }
            other => Err(span_err(
                Diagnostic::error("Unsupported backend type")
                    .with_detail(format!("There is no backend {other:?}; meshform has \"local\", \"pg\" and \"s3\".")),
            )
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

    async fn load_remote(&self, store: &dyn Store) -> Result<(State, journal::Replayed), StateError> {
        let origin = self.describe();
        let mut state = match store.read(&self.workspace).await? {
            Some(text) => meshform_engine::state::local::parse(&text, &origin)?,
            None => State::default(),
        };
        let replayed = match store.journal_read(&self.workspace).await? {
            Some(text) => journal::replay_text(&text, &format!("the journal of {origin}"), &mut state)?,
            None => journal::Replayed::default(),
        };
        Ok((state, replayed))
    }

    /// The recorded state (fresh when there is none), for reading.
    pub async fn load(&self) -> Result<(State, Diagnostics), Diagnostics> {
        match &self.kind {
            Kind::Local { local, .. } => {
                let (state, report) = local.load().map_err(diags)?;
                Ok((state, recovered_warning(report.recovered)))
            }
            Kind::Remote(store) => {
                let (state, r) = self.load_remote(store.as_ref()).await.map_err(diags)?;
                Ok((state, recovered_warning(r.applied)))
            }
        }
    }

    /// The recorded state for a command that will write it (call with the lock held):
    /// a journal left by an interrupted apply is folded into the state first, and the
    /// creates it started without recording a result are adopted where one of `providers`
    /// finds what they made.
    pub async fn load_for_update(&self, providers: &Providers) -> Result<(State, Diagnostics), Diagnostics> {
        let (mut state, applied, pending) = match &self.kind {
            Kind::Local { local, .. } => {
                let (state, report) = local.load_for_update().map_err(diags)?;
                (state, report.recovered, report.pending)
            }
            Kind::Remote(store) => {
                let (state, r) = self.load_remote(store.as_ref()).await.map_err(diags)?;
                (state, r.applied, r.pending)
            }
        };
        let mut warnings = recovered_warning(applied);
        let remote = matches!(self.kind, Kind::Remote(_));
        if pending.is_empty() {
            if remote && applied > 0 {
                state.serial += 1;
                self.persist(&state).await?;
            }
            return Ok((state, warnings));
        }
        let mut adopted = Vec::new();
        for intent in pending {
            let type_name = &intent.addr.resource.type_name;
            let Some(provider) = providers.get(&intent.provider) else {
                state.unadopted.insert(intent.addr.clone(), intent.id.clone());
                continue;
            };
            match provider.adopt(type_name, &intent.id, &intent.planned).await {
                Ok(Some(value)) => {
                    adopted.push(intent.addr.to_string());
                    state.set_instance(intent.addr.clone(), intent.instance(value));
                }
                Ok(None) => {
                    state.unadopted.insert(intent.addr.clone(), intent.id.clone());
                }
                Err(e) => {
                    return Err(Diagnostic::error("Failed to reconcile an interrupted apply")
                        .with_detail(format!(
                            "{} was being created when an apply stopped; looking for it failed: {}",
                            intent.addr, e.message
                        ))
                        .with_help("run again once the host or service is reachable; nothing was written")
                        .into());
                }
            }
        }
        if !adopted.is_empty() {
            warnings.push(Diagnostic::warning("Adopted the work of an interrupted apply").with_detail(format!(
                "These were made by an apply that stopped before recording them, and are in the state now: {}.",
                adopted.join(", ")
            )));
        }
        state.serial += 1;
        self.persist(&state).await?;
        Ok((state, warnings))
    }

    pub async fn lock(&self, operation: &str, timeout: Duration) -> Result<Lock, Diagnostics> {
        match &self.kind {
            Kind::Local { local, .. } => {
                let guard = local.lock(operation, timeout).map_err(diags)?;
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
                let text = meshform_engine::state::file::checked_text(state)
                    .map_err(|message| state_diagnostic(StateError::NotReadBack { path: store.describe(), message }))?;
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
    fn record_intent(&self, _: &ResourceInstanceAddr, intent: &journal::Intent) -> Result<(), Diagnostic> {
        self.journal.record_intent(intent).map_err(state_diagnostic)
    }

    fn record_set(&self, addr: &ResourceInstanceAddr, instance: &ResourceInstanceState) -> Result<(), Diagnostic> {
        self.journal.record_set(addr, instance).map_err(state_diagnostic)
    }

    fn record_remove(&self, addr: &ResourceInstanceAddr) -> Result<(), Diagnostic> {
        self.journal.record_remove(addr).map_err(state_diagnostic)
    }

    fn record_move(&self, from: &ResourceInstanceAddr, to: &ResourceInstanceAddr) -> Result<(), Diagnostic> {
        self.journal.record_move(from, to).map_err(state_diagnostic)
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
    fn record_intent(&self, _: &ResourceInstanceAddr, intent: &journal::Intent) -> Result<(), Diagnostic> {
        self.append(journal::intent_record(intent).to_string())
    }

    fn record_set(&self, addr: &ResourceInstanceAddr, instance: &ResourceInstanceState) -> Result<(), Diagnostic> {
        self.append(journal::set_record(addr, instance).to_string())
    }

    fn record_remove(&self, addr: &ResourceInstanceAddr) -> Result<(), Diagnostic> {
        self.append(journal::remove_record(addr).to_string())
    }

    fn record_move(&self, from: &ResourceInstanceAddr, to: &ResourceInstanceAddr) -> Result<(), Diagnostic> {
        self.append(journal::move_record(from, to).to_string())
    }
}
