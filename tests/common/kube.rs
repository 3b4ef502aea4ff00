//! A stand-in Kubernetes API server: a loopback HTTP server that answers with exchanges a
//! test lays out in order (method, path, status, body) and keeps every request it got.
//! No Kubernetes API server can be installed on these machines, so the exchanges are
//! written by hand in the shape the API documents; they test the client side (requests
//! sent, answers handled), not a server's behaviour.

use std::io::Write;
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

type Handler = Arc<dyn Fn(&Request) -> (u16, String) + Send + Sync>;

/// Serves every connection to `listener` with `handler`, one thread per connection.
fn listen(handler: Handler) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    std::thread::spawn(move || {
        for mut conn in listener.incoming().flatten() {
            let handler = handler.clone();
            std::thread::spawn(move || {
                while let Some(req) = read_request(&mut conn) {
                    let (status, body) = handler(&req);
                    let text = format!(
                        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                        body.len()
                    );
                    if conn.write_all(text.as_bytes()).is_err() {
                        return;
                    }
                }
            });
        }
    });
    port
}

/// A kubeconfig pointing at a server on this port, with a bearer token.
fn kubeconfig(port: u16) -> String {
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: replay\n  cluster:\n    server: http://127.0.0.1:{port}\ncontexts:\n- name: replay\n  context:\n    cluster: replay\n    user: tester\ncurrent-context: replay\nusers:\n- name: tester\n  user:\n    token: replay-token\n"
    )
}

fn status(code: u16, reason: &str, message: &str) -> (u16, String) {
    let body = serde_json::json!({
        "kind": "Status", "apiVersion": "v1", "status": "Failure",
        "message": message, "reason": reason, "code": code,
    });
    (code, body.to_string())
}

impl Replay {
    pub fn start() -> Replay {
        let script = Arc::new(Mutex::new(Script::default()));
        let shared = script.clone();
        let port = listen(Arc::new(move |req: &Request| {
            let mut s = shared.lock().expect("script");
            let path = req.path.split('?').next().unwrap_or_default();
            let at = s.queue.iter().position(|e| e.method == req.method && path == e.path);
            s.seen.push(req.clone());
            match at {
                Some(i) => {
                    let e = s.queue.remove(i);
                    (e.status, e.body)
                }
                None => {
                    status(500, "InternalError", &format!("the replay has no answer for {} {}", req.method, req.path))
                }
            }
        }));
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

    pub fn kubeconfig(&self) -> String {
        kubeconfig(self.port)
    }
}

/// An in-memory stand-in API server for whole modules, where writing every exchange by
/// hand would be most of the test. It keeps the objects applied to it by path and answers
/// the way the API documents, no more: server-side apply stores the body (with uid,
/// resourceVersion and generation), workloads report themselves rolled out at once, Jobs
/// complete at once (or fail, when told to), a deleted object is still there for one more
/// read (so deleting has to wait), and a Job's pod log is the pod's command line. It
/// proves what meshform sends and in what order, not what a real cluster does.
pub struct Fake {
    pub port: u16,
    store: Arc<Mutex<Store>>,
}

#[derive(Default)]
struct Store {
    objects: std::collections::BTreeMap<String, serde_json::Value>,
    /// Deleted objects still visible to this many more reads.
    deleting: std::collections::BTreeMap<String, u32>,
    seen: Vec<Request>,
    version: u64,
    fail_jobs: bool,
}

impl Fake {
    pub fn start() -> Fake {
        let store = Arc::new(Mutex::new(Store::default()));
        let shared = store.clone();
        let port = listen(Arc::new(move |req: &Request| {
            let mut s = shared.lock().expect("store");
            s.seen.push(req.clone());
            s.handle(req)
        }));
        Fake { port, store }
    }

    pub fn kubeconfig(&self) -> String {
        kubeconfig(self.port)
    }

    pub fn requests(&self) -> Vec<Request> {
        self.store.lock().expect("store").seen.clone()
    }

    pub fn forget_requests(&self) {
        self.store.lock().expect("store").seen.clear();
    }

    /// Every object held, by API path.
    pub fn objects(&self) -> std::collections::BTreeMap<String, serde_json::Value> {
        self.store.lock().expect("store").objects.clone()
    }

    /// Jobs applied from now on fail rather than complete.
    pub fn fail_jobs(&self, fail: bool) {
        self.store.lock().expect("store").fail_jobs = fail;
    }

    /// Removes an object behind meshform's back.
    pub fn remove(&self, path: &str) -> bool {
        self.store.lock().expect("store").objects.remove(path).is_some()
    }
}

impl Store {
    fn handle(&mut self, req: &Request) -> (u16, String) {
        let (path, query) = req.path.split_once('?').unwrap_or((&req.path, ""));
        let path = path.to_string();
        if req.method == "GET" && path.ends_with("/pods") {
            return self.pods(&path, query);
        }
        if req.method == "GET" && path.ends_with("/log") {
            return self.log(&path);
        }
        match req.method.as_str() {
            "PATCH" => {
                let Ok(mut body) = serde_json::from_str::<serde_json::Value>(&req.body) else {
                    return status(400, "BadRequest", "the body is not JSON");
                };
                self.version += 1;
                let prior = self.objects.get(&path).cloned();
                let generation = match &prior {
                    Some(p) if p.get("spec") == body.get("spec") => p["metadata"]["generation"].as_i64().unwrap_or(1),
                    Some(p) => p["metadata"]["generation"].as_i64().unwrap_or(1) + 1,
                    None => 1,
                };
                let uid = prior
                    .as_ref()
                    .and_then(|p| p["metadata"]["uid"].as_str().map(str::to_string))
                    .unwrap_or_else(|| format!("00000000-0000-4000-8000-{:012}", self.version));
                body["metadata"]["uid"] = uid.into();
                body["metadata"]["resourceVersion"] = self.version.to_string().into();
                body["metadata"]["generation"] = generation.into();
                body["metadata"]["creationTimestamp"] = "2026-01-01T00:00:00Z".into();
                body["status"] = self.status_of(&body, generation);
                self.objects.insert(path, body.clone());
                (if prior.is_some() { 200 } else { 201 }, body.to_string())
            }
            "GET" => match self.objects.get(&path) {
                Some(o) => {
                    let o = o.clone();
                    if let Some(n) = self.deleting.get_mut(&path) {
                        *n -= 1;
                        if *n == 0 {
                            self.deleting.remove(&path);
                            self.objects.remove(&path);
                        }
                    }
                    (200, o.to_string())
                }
                None => status(404, "NotFound", &format!("{path} not found")),
            },
            "DELETE" => match self.objects.get_mut(&path) {
                Some(o) => {
                    o["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:01Z".into();
                    let o = o.clone();
                    self.deleting.insert(path, 1);
                    (200, o.to_string())
                }
                None => status(404, "NotFound", &format!("{path} not found")),
            },
            _ => status(405, "MethodNotAllowed", &format!("{} is not handled here", req.method)),
        }
    }

    fn status_of(&self, o: &serde_json::Value, generation: i64) -> serde_json::Value {
        let replicas = o.pointer("/spec/replicas").and_then(serde_json::Value::as_i64).unwrap_or(1);
        match o["kind"].as_str().unwrap_or_default() {
            "Deployment" => serde_json::json!({
                "observedGeneration": generation, "replicas": replicas,
                "updatedReplicas": replicas, "availableReplicas": replicas, "readyReplicas": replicas,
            }),
            "StatefulSet" => serde_json::json!({
                "observedGeneration": generation, "replicas": replicas, "readyReplicas": replicas,
                "updatedReplicas": replicas, "currentRevision": "r1", "updateRevision": "r1",
            }),
            "Job" if self.fail_jobs => serde_json::json!({
                "failed": 1, "startTime": "2026-01-01T00:00:00Z",
                "conditions": [{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded", "message": "Job has reached the specified backoff limit"}],
            }),
            "Job" => serde_json::json!({
                "succeeded": 1, "startTime": "2026-01-01T00:00:00Z", "completionTime": "2026-01-01T00:00:09Z",
                "conditions": [{"type": "Complete", "status": "True"}],
            }),
            _ => serde_json::Value::Null,
        }
    }

    /// The pods of a Job, listed by `job-name=...`: one per Job.
    fn pods(&self, path: &str, query: &str) -> (u16, String) {
        let namespace_path = path.trim_end_matches("/pods");
        let wanted = query
            .split('&')
            .find_map(|kv| kv.strip_prefix("labelSelector="))
            .map(|v| v.replace("%3D", "=").replace("%3d", "="))
            .and_then(|v| v.strip_prefix("job-name=").map(str::to_string));
        let items: Vec<serde_json::Value> = wanted
            .iter()
            .filter(|job| self.objects.contains_key(&format!("{}/jobs/{job}", namespace_path.replace("/api/v1/", "/apis/batch/v1/"))))
            .map(|job| {
                serde_json::json!({
                    "apiVersion": "v1", "kind": "Pod",
                    "metadata": {"name": format!("{job}-x7k2p"), "labels": {"job-name": job}, "creationTimestamp": "2026-01-01T00:00:00Z"},
                })
            })
            .collect();
        (200, serde_json::json!({"apiVersion": "v1", "kind": "PodList", "metadata": {}, "items": items}).to_string())
    }

    /// A Job pod's log: its command line.
    fn log(&self, path: &str) -> (u16, String) {
        let pod = path.trim_end_matches("/log").rsplit('/').next().unwrap_or_default();
        let job = pod.trim_end_matches("-x7k2p");
        let jobs = path.split("/pods/").next().unwrap_or_default().replace("/api/v1/", "/apis/batch/v1/");
        match self.objects.get(&format!("{jobs}/jobs/{job}")) {
            Some(j) => {
                let command = j.pointer("/spec/template/spec/containers/0/command").cloned().unwrap_or_default();
                let words: Vec<&str> = command.as_array().into_iter().flatten().filter_map(|w| w.as_str()).collect();
                (200, format!("ran: {}\n", words.join(" ")))
            }
            None => status(404, "NotFound", &format!("pod {pod} not found")),
        }
    }
}

fn read_request(s: &mut std::net::TcpStream) -> Option<Request> {
    let (buf, head_end) = super::read_http_message(s)?;
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.lines();
    let mut first = lines.next()?.split_whitespace();
    let (method, path) = (first.next()?.to_string(), first.next()?.to_string());
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':').map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string())))
        .collect();
    let body = String::from_utf8_lossy(&buf[head_end..]).to_string();
    Some(Request { method, path, headers, body })
}
