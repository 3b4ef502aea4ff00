//! One OpenSSH `sshd` per host, each on its own loopback address 127.0.1.N and a free
//! port, with generated host and client keys in a temp dir; SFTP served by sshd itself.
//! `start` returns None (and the test skips with a notice) where `sshd` is not installed;
//! `scripts/test` installs Debian's openssh-server.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

pub const SSHD: &str = "/usr/sbin/sshd";

/// Running sshd processes; stopped when dropped.
pub struct SshHosts {
    pub dir: tempfile::TempDir,
    pub hosts: Vec<(String, u16)>,
    children: Vec<Child>,
}

impl Drop for SshHosts {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn keygen(path: &Path) {
    let ok = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(path)
        .status()
        .expect("ssh-keygen");
    assert!(ok.success());
}

impl SshHosts {
    /// Starts `n` sshd, on 127.0.1.2 upwards, each accepting `client_key`.
    pub fn start(n: usize) -> Option<SshHosts> {
        if !Path::new(SSHD).exists() {
            println!("sshd not found at {SSHD}: skipping SSH tests (scripts/test installs openssh-server)");
            return None;
        }
        let dir = tempfile::tempdir().expect("temp dir");
        keygen(&dir.path().join("client_key"));
        let _ = std::fs::create_dir_all("/run/sshd");
        let mut hosts = SshHosts { dir, hosts: Vec::new(), children: Vec::new() };
        for i in 0..n {
            let addr = format!("127.0.1.{}", i + 2);
            let port =
                std::net::TcpListener::bind((addr.as_str(), 0)).and_then(|l| l.local_addr()).expect("free port").port();
            let hdir = hosts.dir.path().join(format!("host{i}"));
            std::fs::create_dir_all(&hdir).expect("mkdir");
            keygen(&hdir.join("host_key"));
            std::fs::copy(hosts.dir.path().join("client_key.pub"), hdir.join("authorized_keys"))
                .expect("authorized_keys");
            let config = format!(
                "ListenAddress {addr}:{port}\nHostKey {hk}\nAuthorizedKeysFile {ak}\nPidFile {pid}\nStrictModes no\nUsePAM no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\nSubsystem sftp internal-sftp\n",
                hk = hdir.join("host_key").display(),
                ak = hdir.join("authorized_keys").display(),
                pid = hdir.join("sshd.pid").display(),
            );
            std::fs::write(hdir.join("sshd_config"), config).expect("config");
            let child = Command::new(SSHD)
                .arg("-D")
                .arg("-e")
                .arg("-f")
                .arg(hdir.join("sshd_config"))
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(hdir.join("sshd.log")).expect("log"))
                .spawn()
                .expect("start sshd");
            hosts.children.push(child);
            hosts.hosts.push((addr, port));
        }
        for (addr, port) in &hosts.hosts {
            let start = std::time::Instant::now();
            while std::net::TcpStream::connect((addr.as_str(), *port)).is_err() {
                assert!(start.elapsed().as_secs() < 10, "sshd on {addr}:{port} did not start");
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
        }
        Some(hosts)
    }

    pub fn key(&self) -> PathBuf {
        self.dir.path().join("client_key")
    }

    pub fn known_hosts(&self) -> PathBuf {
        self.dir.path().join("known_hosts")
    }

    /// Stops accepting the client key on host `i`.
    pub fn revoke_key(&self, i: usize) {
        std::fs::write(self.dir.path().join(format!("host{i}/authorized_keys")), "").expect("revoke");
    }

    pub fn allow_key(&self, i: usize) {
        let key = std::fs::read(self.dir.path().join("client_key.pub")).expect("pub");
        std::fs::write(self.dir.path().join(format!("host{i}/authorized_keys")), key).expect("allow");
    }

    /// `hosts = { h0 = { addr, port }, ... }` for specs.
    pub fn hosts_hcl(&self) -> String {
        let items: Vec<String> = self
            .hosts
            .iter()
            .enumerate()
            .map(|(i, (a, p))| format!("    h{i} = {{ addr = \"{a}\", port = {p} }}"))
            .collect();
        format!("{{\n{}\n  }}", items.join("\n"))
    }
}

/// The user the tests log in as: whoever runs them.
pub fn user() -> String {
    Command::new("id")
        .arg("-un")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "root".into())
}
