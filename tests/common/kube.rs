//! A stand-in Kubernetes API server: a loopback HTTP server that answers with exchanges a
//! test lays out in order (method, path, status, body) and keeps every request it got.
//! No Kubernetes API server can be installed on these machines, so the exchanges are
//! written by hand in the shape the API documents; they test the client side (requests
//! sent, answers handled), not a server's behaviour.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

/// One answer: to the next request with this method and this path (query aside).
#[derive(Clone, Debug)]
pub struct Exchange {
    pub method: &'static str,
    pub path: String,
    pub status: u16,
    pub body: String,
}

pub fn answer(method: &'static str, path: &str, status: u16, body: serde_json::Value) -> Exchange {
    Exchange { method, path: path.to_string(), status, body: body.to_string() }
}

/// A request the server got: method, path with query, headers (lower case) and body.
#[derive(Clone, Debug)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

#[derive(Default)]
struct Script {
    queue: Vec<Exchange>,
    seen: Vec<Request>,
}

pub struct Replay {
    pub port: u16,
    script: Arc<Mutex<Script>>,
}

impl Replay {
    pub fn start() -> Replay {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("address").port();
        let script = Arc::new(Mutex::new(Script::default()));
        let shared = script.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let shared = shared.clone();
                std::thread::spawn(move || serve(conn, &shared));
            }
        });
        Replay { port, script }
    }

    /// Replaces what is left of the script, and forgets the requests seen.
    pub fn script(&self, exchanges: Vec<Exchange>) {
        let mut s = self.script.lock().expect("script");
        s.queue = exchanges;
        s.seen.clear();
    }

    pub fn requests(&self) -> Vec<Request> {
        self.script.lock().expect("script").seen.clone()
    }

    /// Exchanges the run did not ask for.
    pub fn unused(&self) -> Vec<Exchange> {
        self.script.lock().expect("script").queue.clone()
    }

    /// A kubeconfig pointing at this server, with a bearer token.
    pub fn kubeconfig(&self) -> String {
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: replay\n  cluster:\n    server: http://127.0.0.1:{}\ncontexts:\n- name: replay\n  context:\n    cluster: replay\n    user: tester\ncurrent-context: replay\nusers:\n- name: tester\n  user:\n    token: replay-token\n",
            self.port
        )
    }
}

fn serve(mut conn: std::net::TcpStream, script: &Mutex<Script>) {
    loop {
        let Some(req) = read_request(&mut conn) else { return };
        let reply = {
            let mut s = script.lock().expect("script");
            let path = req.path.split('?').next().unwrap_or_default();
            let at = s.queue.iter().position(|e| e.method == req.method && path == e.path);
            s.seen.push(req.clone());
            match at {
                Some(i) => s.queue.remove(i),
                None => Exchange {
                    method: "",
                    path: String::new(),
                    status: 500,
                    body: format!(
                        "{{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"message\":\"the replay has no answer for {} {}\",\"reason\":\"InternalError\",\"code\":500}}",
                        req.method, req.path
                    ),
                },
            }
        };
        let text = format!(
            "HTTP/1.1 {} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{}",
            reply.status,
            reply.body.len(),
            reply.body
        );
        if conn.write_all(text.as_bytes()).is_err() {
            return;
        }
    }
}

fn read_request(s: &mut std::net::TcpStream) -> Option<Request> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = s.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.lines();
    let mut first = lines.next()?.split_whitespace();
    let (method, path) = (first.next()?.to_string(), first.next()?.to_string());
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':').map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string())))
        .collect();
    let len: usize = headers.iter().find(|(k, _)| k == "content-length").and_then(|(_, v)| v.parse().ok()).unwrap_or(0);
    while buf.len() < head_end + len {
        let n = s.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = String::from_utf8_lossy(&buf[head_end..head_end + len]).to_string();
    Some(Request { method, path, headers, body })
}
