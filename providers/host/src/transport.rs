//! How commands reach a host: `sh -c` on this machine, or the OpenSSH client for
//! `type = "ssh"`. Everything the host provider does is a shell script run through a
//! [`Transport`], so local and remote hosts behave the same.
//!
//! The OpenSSH client is used as it is installed: `~/.ssh/config`, the agent and
//! `known_hosts` work as users expect, and one master connection per host (ControlMaster),
//! kept for a minute after its last command, is shared by all the commands of a run: a
//! host is logged in to once, not once per resource.

use std::process::Stdio;

use meshform_engine::eval::{Number, Value};
use meshform_engine::provider::ProviderError;
use tokio::io::AsyncWriteExt;

/// Where and how to run.
#[derive(Clone, Debug, PartialEq)]
pub enum Transport {
    Local,
    Ssh(SshTarget),
}

#[derive(Clone, Debug, PartialEq)]
pub struct SshTarget {
    pub host: String,
    pub port: u16,
    pub user: Option<String>,
    pub private_key_file: Option<String>,
    /// A key's text; written to a 0600 file for the ssh client, never shown.
    pub private_key: Option<Secret>,
    pub known_hosts_file: Option<String>,
    /// OpenSSH's StrictHostKeyChecking: `yes`, `accept-new` (default) or `no`.
    pub host_key_checking: String,
    /// An ssh_config file to use instead of `~/.ssh/config`.
    pub config_file: Option<String>,
    pub timeout_seconds: u64,
}

/// A secret that `Debug` does not print.
#[derive(Clone, PartialEq)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("(sensitive)")
    }
}

/// What a finished script printed.
pub struct Output {
    pub stdout: String,
    /// The same output as bytes, for file contents.
    pub bytes: Vec<u8>,
}

fn attr_str(conn: &Value, name: &str) -> Option<String> {
    conn.get_attr(name).and_then(Value::as_str).map(str::to_string)
}

impl Transport {
    /// The transport a resource's `connection` block asks for.
    pub fn from_connection(conn: &Value) -> Result<Transport, ProviderError> {
        match attr_str(conn, "type").as_deref().unwrap_or("local") {
            "local" => Ok(Transport::Local),
            "ssh" => {
                let host =
                    attr_str(conn, "host").ok_or_else(|| ProviderError::new("an ssh connection needs a host"))?;
                let port = conn.get_attr("port").and_then(Value::as_number).and_then(Number::to_i64).unwrap_or(22);
                let port =
                    u16::try_from(port).map_err(|_| ProviderError::new(format!("port {port} is not a TCP port")))?;
                let checking = attr_str(conn, "host_key_checking").unwrap_or_else(|| "accept-new".into());
                if !matches!(checking.as_str(), "yes" | "accept-new" | "no") {
                    return Err(ProviderError::new(format!(
                        "host_key_checking is \"yes\", \"accept-new\" or \"no\", not {checking:?}"
                    )));
                }
                Ok(Transport::Ssh(SshTarget {
                    host,
                    port,
                    user: attr_str(conn, "user"),
                    private_key_file: attr_str(conn, "private_key_file"),
                    private_key: attr_str(conn, "private_key").map(Secret),
                    known_hosts_file: attr_str(conn, "known_hosts_file"),
                    host_key_checking: checking,
                    config_file: attr_str(conn, "ssh_config_file"),
                    timeout_seconds: conn
                        .get_attr("timeout")
                        .and_then(Value::as_number)
                        .and_then(Number::to_i64)
                        .map_or(10, |t| t.max(1) as u64),
                }))
            }
            other => Err(ProviderError::new(format!("connection type {other:?} is not \"local\" or \"ssh\""))),
        }
    }

    /// The host as people name it in messages.
    pub fn describe(&self) -> String {
        match self {
            Transport::Local => "this machine".to_string(),
            Transport::Ssh(t) => {
                let user = t.user.as_ref().map(|u| format!("{u}@")).unwrap_or_default();
                format!("{user}{}:{}", t.host, t.port)
            }
        }
    }

    /// An interactive command: a login shell (or `command`) on the host, with the
    /// terminal attached.
    pub fn interactive(&self, command: Option<&str>) -> std::process::Command {
        match self {
            Transport::Local => {
                let mut c = std::process::Command::new("sh");
                if let Some(cmd) = command {
                    c.arg("-c").arg(cmd);
                }
                c
            }
            Transport::Ssh(t) => {
                let mut c = std::process::Command::new("ssh");
                let mut opts = ssh_options(t);
                if command.is_none() {
                    // A terminal for an interactive login.
                    opts.insert(0, "-t".into());
                }
                c.args(opts);
                if let Some(cmd) = command {
                    c.arg("--").arg(cmd);
                }
                c
            }
        }
    }

    /// The host's name as a cluster command takes it: the connection's host, or
    /// `localhost` for this machine.
    pub fn host_name(&self) -> String {
        match self {
            Transport::Local => "localhost".to_string(),
            Transport::Ssh(t) => t.host.clone(),
        }
    }

    /// The address to probe for a service's readiness port.
    pub fn address(&self) -> String {
        match self {
            Transport::Local => "127.0.0.1".to_string(),
            Transport::Ssh(t) => t.host.clone(),
        }
    }

    /// Runs a shell script on the host, with `stdin` fed to it; a non-zero exit is an
    /// error carrying the exit code and the end of stderr.
    pub async fn run(&self, script: &str, stdin: Option<&[u8]>) -> Result<Output, ProviderError> {
        let mut cmd = match self {
            Transport::Local => {
                let mut c = tokio::process::Command::new("sh");
                c.arg("-c").arg(script);
                c
            }
            Transport::Ssh(t) => {
                let mut c = tokio::process::Command::new("ssh");
                c.args(ssh_options(t)).arg("--").arg(format!("sh -c {}", quote(script)));
                c
            }
        };
        cmd.stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child =
            cmd.spawn().map_err(|e| ProviderError::new(format!("cannot run a command on {}: {e}", self.describe())))?;
        if let (Some(bytes), Some(mut pipe)) = (stdin, child.stdin.take()) {
            pipe.write_all(bytes)
                .await
                .map_err(|e| ProviderError::new(format!("cannot send data to {}: {e}", self.describe())))?;
            drop(pipe);
        }
        let out = child
            .wait_with_output()
            .await
            .map_err(|e| ProviderError::new(format!("lost the command on {}: {e}", self.describe())))?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        if !out.status.success() {
            let code = out.status.code();
            let tail: Vec<&str> = stderr.lines().rev().take(10).collect::<Vec<_>>().into_iter().rev().collect();
            let what = match (self, code) {
                (Transport::Ssh(_), Some(255)) => format!("cannot reach {} over ssh", self.describe()),
                _ => format!("command failed on {} with {}", self.describe(), out.status),
            };
            return Err(ProviderError {
                message: format!("{what}:\n{}", tail.join("\n")),
                code: code.map(|c| format!("exit {c}")),
            });
        }
        Ok(Output { stdout: String::from_utf8_lossy(&out.stdout).into_owned(), bytes: out.stdout })
    }

    /// Copies a local file to `remote` on the host (over SFTP for ssh hosts), making the
    /// remote directory first.
    pub async fn upload(&self, local: &std::path::Path, remote: &str) -> Result<(), ProviderError> {
        if let Some(dir) =
            std::path::Path::new(remote).parent().map(|d| d.display().to_string()).filter(|d| !d.is_empty())
        {
            self.run(&format!("mkdir -p {}", quote(&dir)), None).await?;
        }
        match self {
            Transport::Local => tokio::fs::copy(local, remote)
                .await
                .map(|_| ())
                .map_err(|e| ProviderError::new(format!("cannot copy {} to {remote}: {e}", local.display()))),
            Transport::Ssh(t) => {
                self.sftp(t, &format!("put {} {}", sftp_quote(&local.display().to_string()), sftp_quote(remote))).await
            }
        }
    }

    /// Copies `remote` on the host to a local file (over SFTP for ssh hosts).
    pub async fn download(&self, remote: &str, local: &std::path::Path) -> Result<(), ProviderError> {
        match self {
            Transport::Local => tokio::fs::copy(remote, local)
                .await
                .map(|_| ())
                .map_err(|e| ProviderError::new(format!("cannot copy {remote} to {}: {e}", local.display()))),
            Transport::Ssh(t) => {
                self.sftp(t, &format!("get {} {}", sftp_quote(remote), sftp_quote(&local.display().to_string()))).await
            }
        }
    }

    async fn sftp(&self, t: &SshTarget, batch: &str) -> Result<(), ProviderError> {
        let mut cmd = tokio::process::Command::new("sftp");
        cmd.arg("-q").arg("-b").arg("-").args(common_options(t)).arg(&t.host);
        cmd.stdin(Stdio::piped()).stdout(Stdio::null()).stderr(Stdio::piped()).kill_on_drop(true);
        let mut child =
            cmd.spawn().map_err(|e| ProviderError::new(format!("cannot start sftp to {}: {e}", self.describe())))?;
        if let Some(mut pipe) = child.stdin.take() {
            pipe.write_all(format!("{batch}\n").as_bytes())
                .await
                .map_err(|e| ProviderError::new(format!("cannot talk to sftp for {}: {e}", self.describe())))?;
        }
        let out = child
            .wait_with_output()
            .await
            .map_err(|e| ProviderError::new(format!("lost sftp to {}: {e}", self.describe())))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(ProviderError::new(format!(
                "sftp to {} failed ({}):\n{}",
                self.describe(),
                out.status,
                String::from_utf8_lossy(&out.stderr).trim_end()
            )))
        }
    }
}

/// OpenSSH client options for a target, master connection shared per host, as `-o`
/// options that both `ssh` and `sftp` take.
fn common_options(t: &SshTarget) -> Vec<String> {
    let control_dir = std::env::temp_dir().join(format!("meshform-ssh-{}", whoami()));
    let _ = std::fs::create_dir_all(&control_dir);
    // Control sockets and keys given as text live here: the owner's alone.
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&control_dir, std::fs::Permissions::from_mode(0o700));
    }
    let mut o: Vec<String> = vec![
        "-o".into(),
        "BatchMode=yes".into(),
        "-o".into(),
        format!("ConnectTimeout={}", t.timeout_seconds),
        "-o".into(),
        format!("StrictHostKeyChecking={}", t.host_key_checking),
        "-o".into(),
        "ControlMaster=auto".into(),
        "-o".into(),
        format!("ControlPath={}/%C", control_dir.display()),
        "-o".into(),
        "ControlPersist=60s".into(),
        "-o".into(),
        format!("Port={}", t.port),
    ];
    if let Some(f) = &t.config_file {
        o.extend(["-F".into(), f.clone()]);
    }
    let key_file = match &t.private_key {
        Some(key) => key_file(&control_dir, key),
        None => t.private_key_file.clone(),
    };
    if let Some(k) = key_file {
        o.extend(["-i".into(), k, "-o".into(), "IdentitiesOnly=yes".into()]);
    }
    if let Some(k) = &t.known_hosts_file {
        o.extend(["-o".into(), format!("UserKnownHostsFile={k}")]);
    }
    if let Some(u) = &t.user {
        o.extend(["-o".into(), format!("User={u}")]);
    }
    o
}

/// A key given as text, in a file only its owner can read (named by its checksum, so
/// each key is written once); None when it cannot be written.
fn key_file(dir: &std::path::Path, key: &Secret) -> Option<String> {
    use sha2::Digest;
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let digest: String = sha2::Sha256::digest(key.0.as_bytes()).iter().take(12).map(|b| format!("{b:02x}")).collect();
    let path = dir.join(format!("key-{digest}"));
    if !path.exists() {
        let tmp = dir.join(format!("key-{digest}.{}", std::process::id()));
        let mut f = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&tmp).ok()?;
        let text = if key.0.ends_with('\n') { key.0.clone() } else { format!("{}\n", key.0) };
        f.write_all(text.as_bytes()).ok()?;
        std::fs::rename(&tmp, &path).ok()?;
    }
    Some(path.display().to_string())
}

/// `ssh` arguments up to the command.
fn ssh_options(t: &SshTarget) -> Vec<String> {
    let mut o = common_options(t);
    o.push(t.host.clone());
    o
}

/// A path as an sftp batch line takes it.
fn sftp_quote(p: &str) -> String {
    format!("\"{}\"", p.replace('\\', "\\\\").replace('"', "\\\""))
}

fn whoami() -> String {
    std::env::var("USER").unwrap_or_else(|_| "user".into())
}

/// Quotes a string for a POSIX shell.
pub fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// `cd DIR && export K='v' ... && ` for a script that runs a user's command.
pub fn prelude(working_dir: Option<&str>, environment: &Value) -> String {
    let mut p = String::new();
    if let Some(dir) = working_dir {
        p.push_str(&format!("cd {} && ", quote(dir)));
    }
    if let Some(env) = environment.as_map() {
        for (k, v) in env.iter() {
            if k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') && !k.is_empty() {
                p.push_str(&format!("export {k}={} && ", quote(v.as_str().unwrap_or_default())));
            }
        }
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_survives_single_quotes() {
        assert_eq!(quote("it's"), "'it'\\''s'");
    }

    #[test]
    fn ssh_connections_need_a_host_and_a_valid_checking_mode() {
        let conn = Value::object([("type", Value::from("ssh"))]);
        assert!(Transport::from_connection(&conn).is_err());
        let conn = Value::object([
            ("type", Value::from("ssh")),
            ("host", Value::from("h")),
            ("host_key_checking", Value::from("maybe")),
        ]);
        assert!(Transport::from_connection(&conn).is_err());
        let conn =
            Value::object([("type", Value::from("ssh")), ("host", Value::from("h")), ("user", Value::from("spark"))]);
        assert_eq!(Transport::from_connection(&conn).map(|t| t.describe()).ok(), Some("spark@h:22".to_string()));
    }
}
