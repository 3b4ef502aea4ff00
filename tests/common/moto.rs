//! moto's server (PyPI `moto[server]`, installed by `scripts/test` into `.venv`) on
//! 127.0.0.1 at a free port, for the s3 backend and the EC2 provider tests; stopped when
//! dropped. `start` returns None, and the test skips with a notice, where moto is not
//! installed. EC2 instance types and AMIs are validated, as AWS does.
//!
//! [`SlowProxy`] sits between meshform and moto and holds some responses back, so a test
//! can kill meshform while a call has reached the service but not returned, and a
//! benchmark can give each call a real service's latency.

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
            .env("MOTO_EC2_ENABLE_INSTANCE_TYPE_VALIDATION", "true")
            .env("MOTO_ENABLE_AMI_VALIDATION", "true")
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
        self.request_to("s3", method, path, body)
    }

    fn request_to(&self, service: &str, method: &str, path: &str, body: &str) -> Option<(u16, String)> {
        self.request_in("us-east-1", service, method, path, body)
    }

    fn request_in(&self, region: &str, service: &str, method: &str, path: &str, body: &str) -> Option<(u16, String)> {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        let req = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nAuthorization: AWS4-HMAC-SHA256 Credential=test/20260101/{region}/{service}/aws4_request, SignedHeaders=host, Signature=0\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
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

impl Moto {
    /// One EC2 Query API call in us-east-1 (`Action=...&...`, values URL-safe); the XML
    /// response. Panics on an error status.
    pub fn ec2(&self, params: &str) -> String {
        self.ec2_in("us-east-1", params)
    }

    /// [`Moto::ec2`] in another region.
    pub fn ec2_in(&self, region: &str, params: &str) -> String {
        let (status, body) =
            self.request_in(region, "ec2", "POST", "/", &format!("{params}&Version=2016-11-15")).expect("EC2 request");
        assert_eq!(status, 200, "{params}: {body}");
        body
    }

    /// Ids of the instances in `states` that carry tag `key=value`, each once.
    pub fn instances(&self, key: &str, value: &str, states: &[&str]) -> Vec<String> {
        let mut q = format!(
            "Action=DescribeInstances&Filter.1.Name=tag:{key}&Filter.1.Value.1={value}&Filter.2.Name=instance-state-name"
        );
        for (i, s) in states.iter().enumerate() {
            q.push_str(&format!("&Filter.2.Value.{}={s}", i + 1));
        }
        let mut ids = xml_values(&self.ec2(&q), "instanceId");
        ids.sort();
        ids.dedup();
        ids
    }
}

/// The text of every `<tag>...</tag>` in an XML document, in order.
pub fn xml_values(xml: &str, tag: &str) -> Vec<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    xml.split(&open).skip(1).filter_map(|p| p.split_once(close.as_str()).map(|(v, _)| v.to_string())).collect()
}

/// A loopback HTTP proxy to moto that holds back the response of every call whose body
/// contains `slow_action` by `delay` (all calls when `slow_action` is empty), and records
/// how long each call took as seen from the proxy.
pub struct SlowProxy {
    pub port: u16,
    pub calls: std::sync::Arc<std::sync::Mutex<Vec<(String, std::time::Duration)>>>,
    /// How many more `slow_action` calls are answered with EC2's throttling error instead
    /// of being passed on.
    pub throttle: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    /// How many more `slow_action` calls are lost on the way: never passed on and never
    /// answered, as when a client dies before its request is out.
    pub lose: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    /// The request text of every `slow_action` call.
    pub requests: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl SlowProxy {
    pub fn start(moto: &Moto, slow_action: &str, delay: std::time::Duration) -> SlowProxy {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let port = listener.local_addr().expect("proxy address").port();
        let calls = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let throttle = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let lose = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let requests = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (target, slow) = (moto.port, slow_action.to_string());
        let faults =
            Faults { log: calls.clone(), throttle: throttle.clone(), lose: lose.clone(), requests: requests.clone() };
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let (slow, faults) = (slow.clone(), faults.clone());
                std::thread::spawn(move || serve(conn, target, &slow, delay, &faults));
            }
        });
        SlowProxy { port, calls, throttle, lose, requests }
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

/// What the proxy records and the faults it is told to make.
#[derive(Clone)]
struct Faults {
    log: std::sync::Arc<std::sync::Mutex<Vec<(String, std::time::Duration)>>>,
    throttle: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    lose: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    requests: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

/// Takes one from `n` if it is not zero.
fn take_one(n: &std::sync::atomic::AtomicUsize) -> bool {
    use std::sync::atomic::Ordering;
    n.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok()
}

/// Relays requests of one client connection, one at a time, each over a fresh
/// connection to moto.
fn serve(mut client: std::net::TcpStream, target: u16, slow: &str, delay: std::time::Duration, faults: &Faults) {
    let log = &faults.log;
    loop {
        let Some((request, _)) = super::read_http_message(&mut client) else { return };
        let started = std::time::Instant::now();
        let text = String::from_utf8_lossy(&request).to_string();
        let action = text.split("Action=").nth(1).and_then(|a| a.split('&').next()).unwrap_or("?").to_string();
        let matches = slow.is_empty() || text.contains(&format!("Action={slow}"));
        if matches && let Ok(mut r) = faults.requests.lock() {
            r.push(text.clone());
        }
        if matches && take_one(&faults.lose) {
            if let Ok(mut l) = log.lock() {
                l.push((format!("{action} (lost)"), started.elapsed()));
            }
            // Held until the client goes away; nothing reaches moto.
            let mut sink = [0u8; 1024];
            while matches!(std::io::Read::read(&mut client, &mut sink), Ok(n) if n > 0) {}
            return;
        }
        if matches && take_one(&faults.throttle) {
            let body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>throttled</RequestID></Response>";
            let response = format!(
                "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/xml\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
            if let Ok(mut l) = log.lock() {
                l.push((format!("{action} (throttled)"), started.elapsed()));
            }
            if client.write_all(response.as_bytes()).is_err() {
                return;
            }
            continue;
        }
        let Ok(mut upstream) = std::net::TcpStream::connect(("127.0.0.1", target)) else { return };
        if upstream.write_all(&request).is_err() {
            return;
        }
        let Some((response, _)) = super::read_http_message(&mut upstream) else { return };
        if matches {
            std::thread::sleep(delay);
        }
        if let Ok(mut l) = log.lock() {
            l.push((action, started.elapsed()));
        }
        if client.write_all(&response).is_err() {
            return;
        }
    }
}
