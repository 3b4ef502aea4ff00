//! moto's S3 server (PyPI `moto[server]`, installed by `scripts/test` into `.venv`) on
//! 127.0.0.1 at a free port, for the s3 backend tests; stopped when dropped. `start`
//! returns None, and the test skips with a notice, where moto is not installed.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

pub struct Moto {
    pub port: u16,
    child: Child,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn server() -> Option<PathBuf> {
    let from_env = std::env::var("MESHFORM_MOTO_SERVER").ok().map(PathBuf::from);
    let in_venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/moto_server");
    from_env.into_iter().chain([in_venv]).find(|p| p.exists())
}

impl Moto {
    pub fn start() -> Option<Moto> {
        let Some(bin) = server() else {
            println!("moto_server not found (scripts/test installs it into .venv): skipping the S3 test");
            return None;
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("port").port();
        let child = Command::new(bin)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start moto_server");
        let moto = Moto { port, child };
        let start = std::time::Instant::now();
        while moto.request("GET", "/", "").is_none() {
            assert!(start.elapsed().as_secs() < 60, "moto_server did not start");
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        Some(moto)
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// One HTTP request as an authenticated client (moto does not verify signatures, but
    /// treats requests without one as anonymous); status and body.
    pub fn request(&self, method: &str, path: &str, body: &str) -> Option<(u16, String)> {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        let req = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nAuthorization: AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.port,
            body.len()
        );
        s.write_all(req.as_bytes()).ok()?;
        let mut text = String::new();
        s.read_to_string(&mut text).ok()?;
        let status = text.split_whitespace().nth(1)?.parse().ok()?;
        let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
        Some((status, body))
    }

    pub fn create_bucket(&self, name: &str) {
        let (status, body) = self.request("PUT", &format!("/{name}"), "").expect("create bucket");
        assert_eq!(status, 200, "{body}");
    }

    /// Keys under `prefix` in `bucket`.
    pub fn keys(&self, bucket: &str, prefix: &str) -> Vec<String> {
        let (status, body) = self.request("GET", &format!("/{bucket}?list-type=2&prefix={prefix}"), "").expect("list");
        if status == 404 {
            return Vec::new(); // no such bucket: nothing in it
        }
        assert_eq!(status, 200, "listing {bucket}: {body}");
        body.split("<Key>").skip(1).filter_map(|p| p.split_once("</Key>").map(|(k, _)| k.to_string())).collect()
    }

    pub fn get(&self, bucket: &str, key: &str) -> Option<String> {
        match self.request("GET", &format!("/{bucket}/{key}"), "")? {
            (200, body) => Some(body),
            _ => None,
        }
    }
}
