//! A real PostgreSQL server for a test: `initdb` into a temp dir and `postgres` on
//! 127.0.0.1 at a free port, as the `nobody` user when the tests run as root (PostgreSQL
//! refuses to run as root). Stopped (fast shutdown) when dropped. `start` returns None, and
//! the test skips with a notice, where the server binaries are not installed.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

pub struct Postgres {
    _dir: tempfile::TempDir,
    bin: PathBuf,
    pub port: u16,
    child: Child,
}

impl Drop for Postgres {
    fn drop(&mut self) {
        // SIGINT: fast shutdown, backends included.
        let _ = Command::new("kill").arg("-INT").arg(self.child.id().to_string()).status();
        let _ = self.child.wait();
    }
}

fn bin_dir() -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.path().join("bin"))
        .filter(|p| p.join("initdb").exists() && p.join("postgres").exists())
        .collect();
    dirs.sort();
    dirs.pop()
}

fn running_as_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// A command run as the server's user.
fn as_server_user(program: &Path) -> Command {
    if running_as_root() {
        // setpriv execs the program in place, so signals reach it directly.
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

impl Postgres {
    pub fn start() -> Option<Postgres> {
        let Some(bin) = bin_dir() else {
            println!("PostgreSQL server binaries not found under /usr/lib/postgresql: skipping");
            return None;
        };
        let dir = tempfile::tempdir().expect("temp dir");
        let data = dir.path().join("data");
        std::fs::create_dir(&data).expect("data dir");
        if running_as_root() {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
            std::os::unix::fs::chown(&data, Some(65534), Some(65534)).expect("chown data dir to nobody");
        }
        let init = as_server_user(&bin.join("initdb"))
            .args(["-A", "trust", "-U", "meshform", "-E", "UTF8", "--no-sync", "-D"])
            .arg(&data)
            .stdout(Stdio::null())
            .output()
            .expect("initdb");
        assert!(init.status.success(), "initdb failed: {}", String::from_utf8_lossy(&init.stderr));
        let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("port").port();
        let child = as_server_user(&bin.join("postgres"))
            .arg("-D")
            .arg(&data)
            .args(["-p", &port.to_string(), "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-k"])
            .arg(&data)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.path().join("server.log")).expect("log"))
            .spawn()
            .expect("start postgres");
        let pg = Postgres { _dir: dir, bin, port, child };
        let start = std::time::Instant::now();
        while pg.psql("SELECT 1").is_none_or(|o| o != "1") {
            assert!(start.elapsed().as_secs() < 30, "PostgreSQL did not start");
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        Some(pg)
    }

    pub fn conn_str(&self) -> String {
        format!("host=127.0.0.1 port={} user=meshform dbname=postgres", self.port)
    }

    /// Runs one query with psql; its unaligned output, or None when it failed.
    pub fn psql(&self, sql: &str) -> Option<String> {
        let out = Command::new(self.bin.join("psql"))
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-U", "meshform", "-d", "postgres", "-Atc", sql])
            .output()
            .ok()?;
        out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
    }
}
