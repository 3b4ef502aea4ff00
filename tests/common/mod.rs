//! Running the built `meshform` binary in a temporary working directory.

#![allow(dead_code)]

pub mod hadoop;
pub mod kube;
pub mod moto;
pub mod oracle;
pub mod pg;
pub mod spark;
pub mod ssh;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub struct Workspace {
    pub dir: tempfile::TempDir,
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn ok(&self) -> &Run {
        assert_eq!(self.code, 0, "meshform failed\nstdout:\n{}\nstderr:\n{}", self.stdout, self.stderr);
        self
    }
}

impl Workspace {
    pub fn new() -> Workspace {
        Workspace { dir: tempfile::tempdir().expect("temp dir") }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn write(&self, name: &str, text: &str) -> &Workspace {
        let p = self.dir.path().join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(p, text).expect("write");
        self
    }

    pub fn remove(&self, name: &str) {
        std::fs::remove_file(self.dir.path().join(name)).expect("remove");
    }

    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with_stdin(args, "")
    }

    pub fn run_with_stdin(&self, args: &[&str], stdin: &str) -> Run {
        self.run_command(self.command(args), stdin)
    }

    /// The command that runs meshform here, to add environment to or spawn.
    pub fn command(&self, args: &[&str]) -> Command {
        // A benchmark may measure another build (benches/ set it to a release binary).
        let bin = std::env::var_os("MESHFORM_TEST_BIN").unwrap_or_else(|| env!("CARGO_BIN_EXE_meshform").into());
        let mut c = Command::new(bin);
        c.args(args)
            .current_dir(self.dir.path())
            .env("NO_COLOR", "1")
            // Never ask a cloud metadata service for credentials: only loopback traffic.
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env_remove("RUST_BACKTRACE")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        c
    }

    pub fn run_command(&self, mut command: Command, stdin: &str) -> Run {
        use std::io::Write;
        let mut child = command.spawn().expect("spawn meshform");
        if let Some(mut s) = child.stdin.take() {
            let _ = s.write_all(stdin.as_bytes());
        }
        let out = child.wait_with_output().expect("wait meshform");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    pub fn state_path(&self) -> PathBuf {
        self.dir.path().join("meshform.tfstate")
    }

    pub fn state(&self) -> serde_json::Value {
        let text = std::fs::read_to_string(self.state_path()).expect("state file");
        serde_json::from_str(&text).expect("state JSON")
    }

    /// Addresses recorded in state, as `meshform state list` prints them.
    pub fn addresses(&self) -> Vec<String> {
        let r = self.run(&["state", "list"]);
        r.ok();
        r.stdout.lines().map(str::to_string).collect()
    }

    /// Root outputs as `output -json` gives them: name → value.
    pub fn outputs(&self) -> serde_json::Value {
        let r = self.run(&["output", "-json"]);
        r.ok();
        let doc: serde_json::Value = serde_json::from_str(&r.stdout).expect("output JSON");
        let map = doc.as_object().cloned().unwrap_or_default();
        serde_json::Value::Object(map.into_iter().map(|(k, v)| (k, v["value"].clone())).collect())
    }
}

/// Process ids of the host_service instances a workspace's state records.
pub fn service_pids(ws: &Workspace) -> Vec<u64> {
    ws.state()["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["type"] == "host_service")
        .flat_map(|r| r["instances"].as_array().cloned().unwrap_or_default())
        .filter_map(|i| i["attributes"]["pid"].as_u64())
        .collect()
}

/// Whether process `pid` runs (and is not a zombie).
pub fn alive(pid: u64) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| s.rsplit_once(')').is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z')))
        .unwrap_or(false)
}

pub fn listening(addr: &str, port: u16) -> bool {
    std::net::TcpStream::connect((addr, port)).is_ok()
}

/// The default of a variable of one of the project's modules (`modules/NAME/variables.hcl`),
/// as a string.
pub fn module_default(module: &str, variable: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("modules/{module}/variables.hcl"));
    let vars = std::fs::read_to_string(&path).expect("module variables");
    let block = vars.split(&format!("variable \"{variable}\"")).nth(1).expect("the variable");
    block
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("default")
                .map(|r| r.trim().trim_start_matches('=').trim().trim_matches('"').to_string())
        })
        .expect("its default")
}

/// Runs `meshform destroy` when dropped, so a failing test leaves no service running.
pub struct DestroyOnDrop<'a>(pub &'a Workspace);

impl Drop for DestroyOnDrop<'_> {
    fn drop(&mut self) {
        let _ = self.0.run(&["destroy", "-auto-approve", "-input=false"]);
    }
}

/// The id recorded for an instance.
pub fn id_of(ws: &Workspace, addr: &str) -> String {
    let r = ws.run(&["state", "show", addr]);
    r.ok();
    let line = r.stdout.lines().find(|l| l.trim_start().starts_with("\"id\"")).unwrap_or_default().to_string();
    line.split('"').nth(3).unwrap_or_default().to_string()
}

/// One HTTP message (headers and a Content-Length body) off a stream, and where its
/// body starts.
pub fn read_http_message(s: &mut std::net::TcpStream) -> Option<(Vec<u8>, usize)> {
    use std::io::Read;
    let mut buf = Vec::new();
    let mut byte = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = s.read(&mut byte).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&byte[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:").map(|v| v.trim().parse().unwrap_or(0)))
        .unwrap_or(0);
    while buf.len() < head_end + len {
        let n = s.read(&mut byte).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&byte[..n]);
    }
    buf.truncate(head_end + len);
    Some((buf, head_end))
}

/// A diagnostic's text as one line: the renderer wraps long messages behind `|` and marks
/// them with `x`.
pub fn one_line(stderr: &str) -> String {
    stderr
        .lines()
        .map(|l| l.trim_start().trim_start_matches(['|', 'x']).trim())
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The `Plan: N to add, ...` line of a plan's output.
/// The directories in `folder` (relative to the crate), by name, each a test case;
/// the environment variable `only` keeps those whose name contains its value.
pub fn case_dirs(folder: &str, only: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(folder);
    let only = std::env::var(only).unwrap_or_default();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{folder} cannot be read: {e}"))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir() && p.file_name().is_some_and(|n| n.to_string_lossy().contains(&only)))
        .collect();
    dirs.sort();
    dirs
}

pub fn plan_line(stdout: &str) -> String {
    stdout.lines().find(|l| l.starts_with("Plan:")).unwrap_or("no plan line").to_string()
}

/// An HTTP server on a free loopback port serving the files of a directory (`GET /NAME`;
/// 404 for anything else), counting the requests it answers.
pub struct FileServer {
    pub port: u16,
    hits: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl FileServer {
    pub fn start(dir: PathBuf) -> FileServer {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let hits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counted = hits.clone();
        std::thread::spawn(move || {
            for mut s in listener.incoming().filter_map(Result::ok) {
                let mut head = Vec::new();
                let mut b = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && s.read(&mut b).is_ok_and(|n| n == 1) {
                    head.push(b[0]);
                }
                counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let head = String::from_utf8_lossy(&head).to_string();
                let path = head.split_whitespace().nth(1).unwrap_or("/").split('?').next().unwrap_or("/").to_string();
                let file = dir.join(path.trim_start_matches('/'));
                let (status, body) = match std::fs::read(&file) {
                    Ok(b) if !path.contains("..") => ("200 OK", b),
                    _ => ("404 Not Found", b"not found\n".to_vec()),
                };
                let _ = s.write_all(
                    format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len())
                        .as_bytes(),
                );
                let _ = s.write_all(&body);
            }
        });
        FileServer { port, hits }
    }

    pub fn url(&self, name: &str) -> String {
        format!("http://127.0.0.1:{}/{name}", self.port)
    }

    pub fn hits(&self) -> usize {
        self.hits.load(std::sync::atomic::Ordering::SeqCst)
    }
}
