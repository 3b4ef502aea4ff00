//! `meshform cluster ...` on a cluster of this machine (`connection { type = "local" }`):
//! list, info, run, put/get, stop/start and kill, with a real service process.

mod common;

use common::Workspace;

fn alive(pid: u64) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| s.rsplit_once(')').is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z')))
        .unwrap_or(false)
}

fn pid(ws: &Workspace) -> u64 {
    ws.outputs()["pid"].as_u64().expect("pid output")
}

#[test]
fn cluster_commands_on_a_local_cluster() {
    let ws = Workspace::new();
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("port").port();
    ws.write(
        "main.tf",
        &format!("module \"demo\" {{\n  source = \"./node\"\n  port   = {port}\n  dir    = \"{}\"\n}}\noutput \"pid\" {{\n  value = module.demo.pid\n}}\n", ws.path().join("data").display()),
    );
    ws.write(
        "node/main.tf",
        "variable \"port\" {}\nvariable \"dir\" {}\nresource \"host_file\" \"index\" {\n  path    = \"${var.dir}/index.html\"\n  content = \"hello\\n\"\n}\nresource \"host_service\" \"web\" {\n  command     = \"python3 -m http.server ${var.port} --bind 127.0.0.1\"\n  working_dir = var.dir\n  ready_port  = var.port\n  depends_on  = [host_file.index]\n}\noutput \"pid\" {\n  value = host_service.web.pid\n}\n",
    );
    let _cleanup = common::DestroyOnDrop(&ws);
    ws.run(&["apply", "-auto-approve"]).ok();
    let list = ws.run(&["cluster", "list"]);
    list.ok();
    assert_eq!(list.stdout.trim(), "demo\t1 host(s)\t1 service(s)");
    let info = ws.run(&["cluster", "info", "demo"]);
    info.ok();
    assert!(info.stdout.contains("module.demo.host_service.web") && info.stdout.contains("running"), "{}", info.stdout);
    let run = ws.run(&["cluster", "run", "demo", "cat", &ws.path().join("data/index.html").display().to_string()]);
    run.ok();
    assert_eq!(run.stdout, "localhost: hello\n");
    let failing = ws.run(&["cluster", "run", "demo", "exit 4"]);
    assert_eq!(failing.code, 1);
    assert!(failing.stderr.contains("failed on localhost"), "{}", failing.stderr);
    // Byte-exact round trip of a binary file.
    let payload: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    std::fs::write(ws.path().join("payload.bin"), &payload).expect("payload");
    let remote = format!("localhost:{}", ws.path().join("data/in/payload.bin").display());
    ws.run(&["cluster", "put", "demo", &ws.path().join("payload.bin").display().to_string(), &remote]).ok();
    ws.run(&["cluster", "get", "demo", &remote, &ws.path().join("back.bin").display().to_string()]).ok();
    assert_eq!(std::fs::read(ws.path().join("back.bin")).expect("back"), payload);
    // Stop keeps the files, start brings the service back, kill removes everything.
    let first = pid(&ws);
    ws.run(&["cluster", "stop", "demo", "-auto-approve"]).ok();
    assert!(!alive(first), "service still running after stop");
    assert!(ws.path().join("data/index.html").exists());
    ws.run(&["cluster", "start", "demo", "-auto-approve"]).ok();
    let second = pid(&ws);
    assert!(alive(second));
    ws.run(&["cluster", "kill", "demo", "-auto-approve"]).ok();
    assert!(!alive(second));
    assert!(ws.addresses().is_empty());
    assert!(!ws.path().join("data/index.html").exists());
    let gone = ws.run(&["cluster", "info", "demo"]);
    assert_eq!(gone.code, 1);
    assert!(gone.stderr.contains("No cluster named \"demo\""), "{}", gone.stderr);
}
