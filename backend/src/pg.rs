//! The `pg` backend: state in PostgreSQL, one row per workspace, in the tables of
//! `schema_name` (created when missing). The lock is a session-level advisory lock held
//! by a connection kept open for the run, so it is a lease the server ends by itself when
//! the holding process dies; a row beside it names the holder for messages and
//! `force-unlock`. The apply journal is rows appended one per finished instance.

use std::time::{Duration, Instant};

use meshform_engine::state::StateError;
use meshform_engine::state::local::LockInfo;
use tokio_postgres::{Client, NoTls};

use super::store::{HeldLock, Store};

pub struct PgStore {
    conn_str: String,
    schema: String,
    /// host:port/db, for messages (the connection string may hold a password).
    target: String,
    client: Client,
    /// The ID of the lock this run holds, if it took one: every write checks that the
    /// lock is still its own, so a run whose lock was broken cannot write over another's.
    held: std::sync::Mutex<Option<String>>,
}

/// Where a connection string points, without its password.
fn target(conn_str: &str) -> String {
    match conn_str.parse::<tokio_postgres::Config>() {
        Ok(c) => {
            let host = c
                .get_hosts()
                .first()
                .map(|h| match h {
                    tokio_postgres::config::Host::Tcp(h) => h.clone(),
                    tokio_postgres::config::Host::Unix(p) => p.display().to_string(),
                })
                .unwrap_or_else(|| "localhost".into());
            let port = c.get_ports().first().copied().unwrap_or(5432);
            format!("{host}:{port}/{}", c.get_dbname().unwrap_or("postgres"))
        }
        Err(_) => "an unparsable connection string".into(),
    }
}

fn valid_ident(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !s.starts_with(|c: char| c.is_ascii_digit())
}

impl PgStore {
    fn err(&self, e: impl std::fmt::Display) -> StateError {
        StateError::Backend { backend: self.describe(), message: e.to_string() }
    }

    async fn connect(conn_str: &str, describe: &str) -> Result<Client, StateError> {
        let fail = |message: String| StateError::Backend { backend: describe.to_string(), message };
        let connecting = tokio_postgres::connect(conn_str, NoTls);
        let (client, connection) = tokio::time::timeout(Duration::from_secs(15), connecting)
            .await
            .map_err(|_| fail("no answer within 15s".into()))?
            .map_err(|e| fail(format!("cannot connect: {}", error_text(&e))))?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(client)
    }

    pub async fn open(conn_str: &str, schema: &str, create_schema: bool) -> Result<PgStore, StateError> {
        let describe = format!("PostgreSQL at {} (schema {schema})", target(conn_str));
        if !valid_ident(schema) {
            return Err(StateError::Backend {
                backend: describe,
                message: "schema_name must be lower-case letters, digits and underscores".into(),
            });
        }
        let client = Self::connect(conn_str, &describe).await?;
        let store = PgStore {
            conn_str: conn_str.to_string(),
            schema: schema.to_string(),
            target: target(conn_str),
            client,
            held: std::sync::Mutex::new(None),
        };
        if create_schema {
            store.create_schema().await?;
        }
        Ok(store)
    }

    /// Creates the schema and tables where missing; a transaction-level advisory lock keeps
    /// two first runs from racing on it.
    async fn create_schema(&self) -> Result<(), StateError> {
        let s = &self.schema;
        let sql = format!(
            "BEGIN;
             SELECT pg_advisory_xact_lock(hashtextextended('meshform schema {s}', 0));
             CREATE SCHEMA IF NOT EXISTS {s};
             CREATE TABLE IF NOT EXISTS {s}.states (workspace text PRIMARY KEY, serial bigint NOT NULL, data text NOT NULL, updated_at timestamptz NOT NULL DEFAULT now());
             CREATE TABLE IF NOT EXISTS {s}.journal (seq bigserial PRIMARY KEY, workspace text NOT NULL, record text NOT NULL);
             CREATE INDEX IF NOT EXISTS journal_workspace ON {s}.journal (workspace, seq);
             CREATE TABLE IF NOT EXISTS {s}.locks (workspace text PRIMARY KEY, info text NOT NULL, backend_pid integer NOT NULL);
             COMMIT;"
        );
        self.client.batch_execute(&sql).await.map_err(|e| self.err(error_text(&e)))
    }

    fn lock_key(&self, workspace: &str) -> String {
        format!("meshform state {} {workspace}", self.schema)
    }
}

/// A driver error with the server's message when there is one.
fn error_text(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => {
            let mut s = e.to_string();
            let mut src = std::error::Error::source(e);
            while let Some(inner) = src {
                s.push_str(&format!(": {inner}"));
                src = inner.source();
            }
            s
        }
    }
}

struct PgLock {
    /// The connection whose session holds the advisory lock.
    client: Client,
    schema: String,
    workspace: String,
    key: String,
}

#[async_trait::async_trait]
impl HeldLock for PgLock {
    async fn release(self: Box<Self>) {
        let _ = self
            .client
            .execute(&format!("DELETE FROM {}.locks WHERE workspace = $1", self.schema), &[&self.workspace])
            .await;
        let _ = self.client.execute("SELECT pg_advisory_unlock(hashtextextended($1, 0))", &[&self.key]).await;
    }
}

#[async_trait::async_trait]
impl Store for PgStore {
    async fn reopen(&self) -> Result<std::sync::Arc<dyn Store>, StateError> {
        let other = PgStore::open(&self.conn_str, &self.schema, false).await?;
        *other.held.lock().unwrap_or_else(|e| e.into_inner()) = self.held_id();
        Ok(std::sync::Arc::new(other))
    }

    fn describe(&self) -> String {
        format!("PostgreSQL at {} (schema {})", self.target, self.schema)
    }

    async fn read(&self, workspace: &str) -> Result<Option<String>, StateError> {
        let row = self
            .client
            .query_opt(&format!("SELECT data FROM {}.states WHERE workspace = $1", self.schema), &[&workspace])
            .await
            .map_err(|e| self.err(error_text(&e)))?;
        Ok(row.map(|r| r.get::<_, String>(0)))
    }

    async fn write(&self, workspace: &str, text: &str, serial: u64) -> Result<(), StateError> {
        let s = &self.schema;
        let serial = i64::try_from(serial).map_err(|_| self.err("serial out of range"))?;
        // Writes happen with the lock held and no journal record in flight, so nothing
        // else runs on this connection inside the transaction.
        self.client.batch_execute("BEGIN").await.map_err(|e| self.err(error_text(&e)))?;
        let done = async {
            if let Some(id) = self.held_id() {
                let row = self
                    .client
                    .query_opt(&format!("SELECT info FROM {s}.locks WHERE workspace = $1 FOR UPDATE"), &[&workspace])
                    .await?;
                let still_ours = row.is_some_and(|r| r.get::<_, String>(0).contains(&format!("\"ID\":\"{id}\"")));
                if !still_ours {
                    return Ok(false);
                }
            }
            self.client
                .execute(
                    &format!(
                        "INSERT INTO {s}.states (workspace, serial, data) VALUES ($1, $2, $3)
                         ON CONFLICT (workspace) DO UPDATE SET serial = EXCLUDED.serial, data = EXCLUDED.data, updated_at = now()"
                    ),
                    &[&workspace, &serial, &text],
                )
                .await?;
            self.client.execute(&format!("DELETE FROM {s}.journal WHERE workspace = $1"), &[&workspace]).await?;
            self.client.batch_execute("COMMIT").await.map(|_| true)
        }
        .await;
        match done {
            Ok(true) => Ok(()),
            Ok(false) => {
                let _ = self.client.batch_execute("ROLLBACK").await;
                Err(self.lost_lock())
            }
            Err(e) => {
                let _ = self.client.batch_execute("ROLLBACK").await;
                Err(self.err(error_text(&e)))
            }
        }
    }

    async fn lock(&self, workspace: &str, info: &LockInfo, timeout: Duration) -> Result<Box<dyn HeldLock>, StateError> {
        // Its own connection: the lock lives exactly as long as this session.
        let client = Self::connect(&self.conn_str, &self.describe()).await?;
        let key = self.lock_key(workspace);
        let deadline = Instant::now() + timeout;
        loop {
            let got: bool = client
                .query_one("SELECT pg_try_advisory_lock(hashtextextended($1, 0))", &[&key])
                .await
                .map_err(|e| self.err(error_text(&e)))?
                .get(0);
            if got {
                let doc = info.to_json(&format!("{}/{workspace}", self.describe())).to_string();
                client
                    .execute(
                        &format!(
                            "INSERT INTO {}.locks (workspace, info, backend_pid) VALUES ($1, $2, pg_backend_pid())
                             ON CONFLICT (workspace) DO UPDATE SET info = EXCLUDED.info, backend_pid = EXCLUDED.backend_pid",
                            self.schema
                        ),
                        &[&workspace, &doc],
                    )
                    .await
                    .map_err(|e| self.err(error_text(&e)))?;
                *self.held.lock().unwrap_or_else(|e| e.into_inner()) = Some(info.id.clone());
                return Ok(Box::new(PgLock { client, schema: self.schema.clone(), workspace: workspace.into(), key }));
            }
            if Instant::now() >= deadline {
                // The holder writes its row just after taking the lock: give it a moment.
                let mut holder = self.holder(workspace).await?;
                let asked = Instant::now();
                while holder.is_none() && asked.elapsed() < Duration::from_secs(2) {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    holder = self.holder(workspace).await?;
                }
                return Err(match holder {
                    Some((h, _)) => StateError::Locked { holder: h.to_string(), id: h.id },
                    None => StateError::Locked {
                        holder: format!("another session of {} (no holder recorded)", self.describe()),
                        id: String::new(),
                    },
                });
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    async fn force_unlock(&self, workspace: &str, id: &str) -> Result<LockInfo, StateError> {
        let Some((held, pid)) = self.holder(workspace).await? else {
            return Err(StateError::NotLocked { path: format!("{} workspace {workspace}", self.describe()) });
        };
        if held.id != id {
            return Err(StateError::LockMismatch { given: id.to_string(), held: held.id });
        }
        // Ends the session that holds the advisory lock, if it still does.
        self.client
            .execute(
                "SELECT pg_terminate_backend(l.pid) FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted AND l.pid = $1",
                &[&pid],
            )
            .await
            .map_err(|e| self.err(error_text(&e)))?;
        self.client
            .execute(&format!("DELETE FROM {}.locks WHERE workspace = $1", self.schema), &[&workspace])
            .await
            .map_err(|e| self.err(error_text(&e)))?;
        Ok(held)
    }

    async fn journal_start(&self, workspace: &str, header: &str) -> Result<(), StateError> {
        let s = &self.schema;
        self.client
            .execute(&format!("DELETE FROM {s}.journal WHERE workspace = $1"), &[&workspace])
            .await
            .map_err(|e| self.err(error_text(&e)))?;
        self.journal_append(workspace, header).await
    }

    async fn journal_append(&self, workspace: &str, record: &str) -> Result<(), StateError> {
        let s = &self.schema;
        let Some(id) = self.held_id() else {
            return self
                .client
                .execute(
                    &format!("INSERT INTO {s}.journal (workspace, record) VALUES ($1, $2)"),
                    &[&workspace, &record],
                )
                .await
                .map(|_| ())
                .map_err(|e| self.err(error_text(&e)));
        };
        // Written only while the lock is still this run's.
        let pattern = format!("%\"ID\":\"{id}\"%");
        let n = self
            .client
            .execute(
                &format!(
                    "INSERT INTO {s}.journal (workspace, record) SELECT $1, $2 WHERE EXISTS (SELECT 1 FROM {s}.locks WHERE workspace = $1 AND info LIKE $3)"
                ),
                &[&workspace, &record, &pattern],
            )
            .await
            .map_err(|e| self.err(error_text(&e)))?;
        if n == 1 { Ok(()) } else { Err(self.lost_lock()) }
    }

    async fn journal_read(&self, workspace: &str) -> Result<Option<String>, StateError> {
        let rows = self
            .client
            .query(
                &format!("SELECT record FROM {}.journal WHERE workspace = $1 ORDER BY seq", self.schema),
                &[&workspace],
            )
            .await
            .map_err(|e| self.err(error_text(&e)))?;
        if rows.is_empty() {
            return Ok(None);
        }
        Ok(Some(rows.iter().map(|r| format!("{}\n", r.get::<_, String>(0))).collect()))
    }

    async fn workspaces(&self) -> Result<Vec<String>, StateError> {
        let rows = self
            .client
            .query(&format!("SELECT workspace FROM {}.states ORDER BY workspace", self.schema), &[])
            .await
            .map_err(|e| self.err(error_text(&e)))?;
        Ok(rows.iter().map(|r| r.get::<_, String>(0)).collect())
    }

    async fn delete(&self, workspace: &str) -> Result<(), StateError> {
        let s = &self.schema;
        self.client.batch_execute("BEGIN").await.map_err(|e| self.err(error_text(&e)))?;
        for table in ["states", "journal", "locks"] {
            self.client
                .execute(&format!("DELETE FROM {s}.{table} WHERE workspace = $1"), &[&workspace])
                .await
                .map_err(|e| self.err(error_text(&e)))?;
        }
        self.client.batch_execute("COMMIT").await.map_err(|e| self.err(error_text(&e)))
    }
}

impl PgStore {
    fn held_id(&self) -> Option<String> {
        self.held.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn lost_lock(&self) -> StateError {
        self.err(
            "this run's state lock was broken (force-unlock) and may be held by another run now; nothing more was written",
        )
    }

    /// Who holds a workspace's lock (and their session's pid), if anyone does.
    async fn holder(&self, workspace: &str) -> Result<Option<(LockInfo, i32)>, StateError> {
        let row = self
            .client
            .query_opt(
                &format!("SELECT info, backend_pid FROM {}.locks WHERE workspace = $1", self.schema),
                &[&workspace],
            )
            .await
            .map_err(|e| self.err(error_text(&e)))?;
        Ok(row.and_then(|r| {
            let doc: serde_json::Value = serde_json::from_str(&r.get::<_, String>(0)).ok()?;
            Some((LockInfo::from_json(&doc)?, r.get::<_, i32>(1)))
        }))
    }
}
