//! The `s3` backend: state as one object per workspace in an S3 bucket (or any
//! S3-compatible store, through `endpoint`). The lock is an object written with
//! `If-None-Match: *`, so of two writers only one can create it; it is a lease that names
//! an expiry time, renewed by the live process with `If-Match` on its own version, so a
//! killed run's lock expires by itself and is taken over (again conditionally) by the next
//! run. The apply journal is one object per record under `KEY.journal/`. Before relying on
//! conditional writes the backend checks once that the store honours them.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use aws_sdk_s3::Client;
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use meshform_engine::state::StateError;
use meshform_engine::state::local::LockInfo;
use tokio::sync::Mutex;

use super::store::{HeldLock, Store};

/// The backend block's settings.
#[derive(Clone, Debug, Default)]
pub struct S3Settings {
    pub bucket: String,
    pub key: String,
    pub region: Option<String>,
    pub endpoint: Option<String>,
    pub profile: Option<String>,
    pub access_key: Option<String>,
    pub secret_key: Option<String>,
    pub workspace_key_prefix: String,
    /// Seconds a lock lives without renewal.
    pub lock_ttl: u64,
}

pub struct S3Store {
    settings: S3Settings,
    client: Client,
    /// Next journal record number of the apply in progress.
    journal_seq: AtomicU64,
    /// The ID of the lock this run holds, if it took one: writes check that the lock object
    /// still names it, so a run whose lock was broken or taken over stops writing.
    held: std::sync::Mutex<Option<String>>,
}

fn now_secs() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// An SDK error as a line: the service's code and message, or what failed on the way.
fn error_text<E: ProvideErrorMetadata + std::error::Error + 'static, R: std::fmt::Debug>(e: &SdkError<E, R>) -> String {
    match e.as_service_error() {
        Some(se) => match (se.code(), se.message()) {
            (Some(c), Some(m)) => format!("{m} ({c})"),
            (Some(c), None) => c.to_string(),
            _ => DisplayErrorContext(e).to_string(),
        },
        None => DisplayErrorContext(e).to_string(),
    }
}

fn status<E, R: HasStatus>(e: &SdkError<E, R>) -> Option<u16> {
    e.raw_response().map(HasStatus::status_code)
}

trait HasStatus {
    fn status_code(&self) -> u16;
}

impl HasStatus for aws_sdk_s3::config::http::HttpResponse {
    fn status_code(&self) -> u16 {
        self.status().as_u16()
    }
}

impl S3Store {
    pub async fn open(settings: S3Settings) -> Result<S3Store, StateError> {
        let region = settings
            .region
            .clone()
            .or_else(|| std::env::var("AWS_REGION").ok())
            .or_else(|| std::env::var("AWS_DEFAULT_REGION").ok())
            .unwrap_or_else(|| "us-east-1".into());
        let mut loader =
            aws_config::defaults(aws_config::BehaviorVersion::latest()).region(aws_config::Region::new(region));
        if let Some(p) = &settings.profile {
            loader = loader.profile_name(p);
        }
        if let (Some(a), Some(s)) = (&settings.access_key, &settings.secret_key) {
            loader = loader.credentials_provider(aws_sdk_s3::config::Credentials::new(
                a.clone(),
                s.clone(),
                None,
                None,
                "backend block",
            ));
        }
        let shared = loader.load().await;
        let mut conf = aws_sdk_s3::config::Builder::from(&shared);
        if let Some(ep) = &settings.endpoint {
            conf = conf.endpoint_url(ep).force_path_style(true);
        }
        let store = S3Store {
            settings,
            client: Client::from_conf(conf.build()),
            journal_seq: AtomicU64::new(0),
            held: std::sync::Mutex::new(None),
        };
        store.check_bucket().await?;
        Ok(store)
    }

    fn err(&self, message: impl Into<String>) -> StateError {
        StateError::Backend { backend: self.describe(), message: message.into() }
    }

    async fn check_bucket(&self) -> Result<(), StateError> {
        match self.client.head_bucket().bucket(&self.settings.bucket).send().await {
            Ok(_) => Ok(()),
            Err(e) if status(&e) == Some(404) => Err(self.err(format!(
                "the bucket {:?} does not exist; create it first (meshform does not create the bucket its state lives in)",
                self.settings.bucket
            ))),
            Err(e) => Err(self.err(format!("cannot reach the bucket: {}", error_text(&e)))),
        }
    }

    fn state_key(&self, workspace: &str) -> String {
        if workspace == "default" {
            self.settings.key.clone()
        } else {
            format!("{}/{workspace}/{}", self.settings.workspace_key_prefix, self.settings.key)
        }
    }

    fn lock_key(&self, workspace: &str) -> String {
        format!("{}.lock", self.state_key(workspace))
    }

    fn journal_prefix(&self, workspace: &str) -> String {
        format!("{}.journal/", self.state_key(workspace))
    }

    async fn get(&self, key: &str) -> Result<Option<(String, Option<String>)>, StateError> {
        match self.client.get_object().bucket(&self.settings.bucket).key(key).send().await {
            Ok(o) => {
                let etag = o.e_tag().map(str::to_string);
                let bytes =
                    o.body.collect().await.map_err(|e| self.err(format!("cannot read {key}: {e}")))?.into_bytes();
                let text = String::from_utf8(bytes.to_vec()).map_err(|_| self.err(format!("{key} is not UTF-8")))?;
                Ok(Some((text, etag)))
            }
            Err(e) if status(&e) == Some(404) => Ok(None),
            Err(e) => Err(self.err(format!("cannot read {key}: {}", error_text(&e)))),
        }
    }

    async fn put(&self, key: &str, body: &str) -> Result<(), StateError> {
        self.client
            .put_object()
            .bucket(&self.settings.bucket)
            .key(key)
            .body(ByteStream::from(body.as_bytes().to_vec()))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| self.err(format!("cannot write {key}: {}", error_text(&e))))
    }

    /// A conditional put: `Ok(Some(etag))` when written, `Ok(None)` when the condition
    /// did not hold (412, or 409 for a conflicting concurrent write).
    async fn put_if(
        &self,
        key: &str,
        body: &str,
        if_none_match: bool,
        if_match: Option<&str>,
    ) -> Result<Option<String>, StateError> {
        let mut req = self
            .client
            .put_object()
            .bucket(&self.settings.bucket)
            .key(key)
            .body(ByteStream::from(body.as_bytes().to_vec()));
        if if_none_match {
            req = req.if_none_match("*");
        }
        if let Some(etag) = if_match {
            req = req.if_match(etag);
        }
        match req.send().await {
            Ok(o) => Ok(Some(o.e_tag().unwrap_or_default().to_string())),
            Err(e) if matches!(status(&e), Some(412 | 409)) => Ok(None),
            Err(e) => Err(self.err(format!("cannot write {key}: {}", error_text(&e)))),
        }
    }

    async fn delete_key(&self, key: &str, if_match: Option<&str>) -> Result<bool, StateError> {
        let mut req = self.client.delete_object().bucket(&self.settings.bucket).key(key);
        if let Some(etag) = if_match {
            req = req.if_match(etag);
        }
        match req.send().await {
            Ok(_) => Ok(true),
            Err(e) if matches!(status(&e), Some(412 | 409)) => Ok(false),
            Err(e) if status(&e) == Some(404) => Ok(true),
            Err(e) => Err(self.err(format!("cannot delete {key}: {}", error_text(&e)))),
        }
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>, StateError> {
        let mut keys = Vec::new();
        let mut token = None;
        loop {
            let mut req = self.client.list_objects_v2().bucket(&self.settings.bucket).prefix(prefix);
            if let Some(t) = token {
                req = req.continuation_token(t);
            }
            let out = req.send().await.map_err(|e| self.err(format!("cannot list {prefix}: {}", error_text(&e))))?;
            keys.extend(out.contents().iter().filter_map(|o| o.key().map(str::to_string)));
            match out.next_continuation_token() {
                Some(t) if out.is_truncated().unwrap_or(false) => token = Some(t.to_string()),
                _ => break,
            }
        }
        keys.sort();
        Ok(keys)
    }

    async fn clear_journal(&self, workspace: &str) -> Result<(), StateError> {
        for key in self.list(&self.journal_prefix(workspace)).await? {
            self.delete_key(&key, None).await?;
        }
        Ok(())
    }

    /// Whether the store refuses a second `If-None-Match: *` write of the same key, as
    /// locking needs. Writes and removes a probe object.
    pub async fn honours_conditional_writes(&self) -> Result<bool, StateError> {
        let probe = format!("{}.probe-{}", self.settings.key, uuid::Uuid::new_v4());
        let first = self.put_if(&probe, "1", true, None).await?;
        let second = self.put_if(&probe, "2", true, None).await?;
        self.delete_key(&probe, None).await?;
        Ok(first.is_some() && second.is_none())
    }

    fn lock_doc(&self, info: &LockInfo, workspace: &str) -> String {
        let mut doc = info.to_json(&format!("s3://{}/{}", self.settings.bucket, self.state_key(workspace)));
        doc["Expires"] = serde_json::json!(now_secs() + self.settings.lock_ttl);
        doc.to_string()
    }
}

/// A lock object and the task that keeps renewing its lease.
struct S3Lock {
    store: Arc<S3Store>,
    key: String,
    etag: Arc<Mutex<String>>,
    renewer: tokio::task::JoinHandle<()>,
}

#[async_trait::async_trait]
impl HeldLock for S3Lock {
    async fn release(self: Box<Self>) {
        self.renewer.abort();
        let etag = self.etag.lock().await.clone();
        let _ = self.store.delete_key(&self.key, Some(&etag)).await;
    }
}

impl Drop for S3Lock {
    fn drop(&mut self) {
        self.renewer.abort();
    }
}

/// The S3 store behind an `Arc`, as the lock's renewal task needs it.
pub struct SharedS3(pub Arc<S3Store>);

#[async_trait::async_trait]
impl Store for SharedS3 {
    async fn reopen(&self) -> Result<Arc<dyn Store>, StateError> {
        let store = S3Store::open(self.0.settings.clone()).await?;
        store.journal_seq.store(self.0.journal_seq.load(Ordering::SeqCst), Ordering::SeqCst);
        *store.held.lock().unwrap_or_else(|e| e.into_inner()) = self.0.held_id();
        Ok(Arc::new(SharedS3(Arc::new(store))))
    }

    fn describe(&self) -> String {
        self.0.describe()
    }

    async fn read(&self, workspace: &str) -> Result<Option<String>, StateError> {
        Ok(self.0.get(&self.0.state_key(workspace)).await?.map(|(t, _)| t))
    }

    async fn write(&self, workspace: &str, text: &str, _serial: u64) -> Result<(), StateError> {
        self.0.check_held(workspace).await?;
        // The state first, then the journal it holds: a crash between the two leaves a
        // journal that the next load recognises as already folded in.
        self.0.put(&self.0.state_key(workspace), text).await?;
        self.0.clear_journal(workspace).await
    }

    async fn lock(&self, workspace: &str, info: &LockInfo, timeout: Duration) -> Result<Box<dyn HeldLock>, StateError> {
        let s = &self.0;
        let key = s.lock_key(workspace);
        let deadline = Instant::now() + timeout;
        loop {
            let doc = s.lock_doc(info, workspace);
            let mut etag = s.put_if(&key, &doc, true, None).await?;
            let mut holder = None;
            if etag.is_none() {
                // Held: take it over only if its lease ran out, and only if nobody else
                // changed it meanwhile.
                if let Some((text, held_etag)) = s.get(&key).await? {
                    let held: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
                    let expires = held.get("Expires").and_then(serde_json::Value::as_u64).unwrap_or(0);
                    if expires < now_secs()
                        && let Some(t) = held_etag.as_deref()
                    {
                        etag = s.put_if(&key, &doc, false, Some(t)).await?;
                        if etag.is_some() {
                            eprintln!(
                                "Warning: took over an expired state lock: {}",
                                LockInfo::from_json(&held).map_or_else(|| text.clone(), |h| h.to_string())
                            );
                        }
                    }
                    holder = LockInfo::from_json(&held);
                }
            }
            if let Some(etag) = etag {
                *s.held.lock().unwrap_or_else(|e| e.into_inner()) = Some(info.id.clone());
                let etag = Arc::new(Mutex::new(etag));
                let renewer =
                    tokio::spawn(renew(self.0.clone(), key.clone(), info.clone(), workspace.to_string(), etag.clone()));
                return Ok(Box::new(S3Lock { store: self.0.clone(), key, etag, renewer }));
            }
            if Instant::now() >= deadline {
                return Err(match holder {
                    Some(h) => StateError::Locked { holder: h.to_string(), id: h.id },
                    None => {
                        StateError::Locked { holder: format!("another run (lock object {key})"), id: String::new() }
                    }
                });
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    async fn force_unlock(&self, workspace: &str, id: &str) -> Result<LockInfo, StateError> {
        let s = &self.0;
        let key = s.lock_key(workspace);
        let Some((text, etag)) = s.get(&key).await? else {
            return Err(StateError::NotLocked {
                path: format!("s3://{}/{}", s.settings.bucket, s.state_key(workspace)),
            });
        };
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        let held = LockInfo::from_json(&doc).ok_or_else(|| s.err(format!("the lock object {key} is unreadable")))?;
        if held.id != id {
            return Err(StateError::LockMismatch { given: id.to_string(), held: held.id });
        }
        if !s.delete_key(&key, etag.as_deref()).await? {
            return Err(s.err("the lock changed while it was being removed; try again"));
        }
        Ok(held)
    }

    async fn journal_start(&self, workspace: &str, header: &str) -> Result<(), StateError> {
        self.0.clear_journal(workspace).await?;
        self.0.journal_seq.store(0, Ordering::SeqCst);
        self.journal_append(workspace, header).await
    }

    async fn journal_append(&self, workspace: &str, record: &str) -> Result<(), StateError> {
        self.0.check_held(workspace).await?;
        let n = self.0.journal_seq.fetch_add(1, Ordering::SeqCst);
        self.0.put(&format!("{}{n:010}", self.0.journal_prefix(workspace)), record).await
    }

    async fn journal_read(&self, workspace: &str) -> Result<Option<String>, StateError> {
        let keys = self.0.list(&self.0.journal_prefix(workspace)).await?;
        if keys.is_empty() {
            return Ok(None);
        }
        let mut text = String::new();
        for key in keys {
            if let Some((record, _)) = self.0.get(&key).await? {
                text.push_str(record.trim_end());
                text.push('\n');
            }
        }
        Ok(Some(text))
    }

    async fn workspaces(&self) -> Result<Vec<String>, StateError> {
        let s = &self.0;
        let prefix = format!("{}/", s.settings.workspace_key_prefix);
        let suffix = format!("/{}", s.settings.key);
        let mut names: Vec<String> = s
            .list(&prefix)
            .await?
            .iter()
            .filter_map(|k| k.strip_prefix(&prefix)?.strip_suffix(&suffix).map(str::to_string))
            .filter(|w| !w.contains('/'))
            .collect();
        if s.get(&s.settings.key).await?.is_some() {
            names.push("default".into());
        }
        Ok(names)
    }

    async fn delete(&self, workspace: &str) -> Result<(), StateError> {
        let s = &self.0;
        s.clear_journal(workspace).await?;
        s.delete_key(&s.state_key(workspace), None).await?;
        s.delete_key(&s.lock_key(workspace), None).await.map(|_| ())
    }
}

impl S3Store {
    fn held_id(&self) -> Option<String> {
        self.held.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Fails when this run took a lock that the lock object no longer names.
    async fn check_held(&self, workspace: &str) -> Result<(), StateError> {
        let Some(id) = self.held_id() else { return Ok(()) };
        let current = self.get(&self.lock_key(workspace)).await?.and_then(|(text, _)| {
            let doc: serde_json::Value = serde_json::from_str(&text).ok()?;
            LockInfo::from_json(&doc).map(|l| l.id)
        });
        if current.as_deref() == Some(id.as_str()) {
            Ok(())
        } else {
            Err(self.err(
                "this run's state lock was broken (force-unlock) or taken over after it expired; nothing more was written",
            ))
        }
    }

    pub fn describe(&self) -> String {
        let at = self.settings.endpoint.as_ref().map(|e| format!(" at {e}")).unwrap_or_default();
        format!("S3 bucket {:?}{at}, key {:?}", self.settings.bucket, self.settings.key)
    }
}

/// Renews the lease every third of its lifetime, conditionally on still holding it.
async fn renew(store: Arc<S3Store>, key: String, info: LockInfo, workspace: String, etag: Arc<Mutex<String>>) {
    let every = Duration::from_secs((store.settings.lock_ttl / 3).max(1));
    loop {
        tokio::time::sleep(every).await;
        let mut current = etag.lock().await;
        let doc = store.lock_doc(&info, &workspace);
        match store.put_if(&key, &doc, false, Some(&current)).await {
            Ok(Some(new)) => *current = new,
            Ok(None) => {
                eprintln!("Warning: the state lock {key} was taken by another run; this run no longer holds it");
                return;
            }
            Err(_) => {} // a passing network error: try again next round
        }
    }
}
