//! The host provider on this machine (`connection { type = "local" }`): real files, real
//! commands and a real service process (Python's HTTP server on a free loopback port).

mod common;

use std::os::unix::fs::PermissionsExt;

use common::Workspace;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("free port")
}

fn alive(pid: u64) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| s.rsplit_once(')').is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z')))
        .unwrap_or(false)
}

fn port_open(port: u16) -> bool {
    std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
}

#[test]
fn files_are_written_and_drift_is_repaired() {
    let ws = Workspace::new();
    let target = ws.path().join("conf/spark-defaults.conf");
    let spec = |content: &str| {
        format!(
            "resource \"host_file\" \"conf\" {{\n  path    = \"{}\"\n  content = \"{content}\\n\"\n  mode    = \"0640\"\n  connection {{\n    type = \"local\"\n  }}\n}}\noutput \"sha\" {{\n  value = host_file.conf.sha256\n}}\n",
            target.display()
        )
    };
    ws.write("main.tf", &spec("spark.master spark://m:7077"));
    ws.run(&["apply", "-auto-approve"]).ok();
    assert_eq!(std::fs::read_to_string(&target).expect("file"), "spark.master spark://m:7077\n");
    assert_eq!(std::fs::metadata(&target).expect("meta").permissions().mode() & 0o777, 0o640);
    assert_eq!(ws.run(&["plan", "-detailed-exitcode"]).code, 0);
    // Someone edits the file on the host: the next plan shows it, apply puts it back.
    std::fs::write(&target, "edited by hand\n").expect("edit");
    let plan = ws.run(&["plan", "-detailed-exitcode"]);
    assert_eq!(plan.code, 2, "{}", plan.stdout);
    assert!(plan.stdout.contains("host_file.conf will be updated in-place"), "{}", plan.stdout);
    ws.run(&["apply", "-auto-approve"]).ok();
    assert_eq!(std::fs::read_to_string(&target).expect("file"), "spark.master spark://m:7077\n");
    // Deleted on the host: created again.
    std::fs::remove_file(&target).expect("rm");
    let plan = ws.run(&["plan"]);
    assert!(plan.stdout.contains("host_file.conf will be created"), "{}", plan.stdout);
    ws.run(&["destroy", "-auto-approve"]).ok();
    assert!(!target.exists());
}

#[test]
fn commands_capture_output_and_failures_name_the_resource() {
    let ws = Workspace::new();
    let marker = ws.path().join("destroyed");
    ws.write(
        "main.tf",
        &format!(
            "resource \"host_command\" \"hello\" {{\n  command         = \"echo hello $NAME\"\n  environment     = {{ NAME = \"spark\" }}\n  destroy_command = \"touch {}\"\n}}\noutput \"out\" {{\n  value = trimspace(host_command.hello.stdout)\n}}\n",
            marker.display()
        ),
    );
    ws.run(&["apply", "-auto-approve"]).ok();
    assert_eq!(ws.outputs()["out"], "hello spark");
    ws.run(&["destroy", "-auto-approve"]).ok();
    assert!(marker.exists(), "destroy_command did not run");

    let bad = Workspace::new();
    bad.write("main.tf", "resource \"host_command\" \"fails\" {\n  command = \"echo oops >&2; exit 3\"\n}\nresource \"host_command\" \"ok\" {\n  command = \"true\"\n}\n");
    let r = bad.run(&["apply", "-auto-approve"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("host_command.fails"), "{}", r.stderr);
    assert!(r.stderr.contains("oops"), "{}", r.stderr);
    assert!(r.stderr.contains("exit 3"), "{}", r.stderr);
    // The independent one was applied and recorded; the failed one was not.
    assert_eq!(bad.addresses(), ["host_command.ok"]);
}

#[test]
fn services_start_detached_restart_after_dying_and_stop_on_destroy() {
    let ws = Workspace::new();
    let port = free_port();
    ws.write(
        "main.tf",
        &format!(
            "resource \"host_service\" \"web\" {{\n  command    = \"python3 -m http.server {port} --bind 127.0.0.1\"\n  working_dir = \"{}\"\n  ready_port = {port}\n  ready_timeout = 30\n}}\noutput \"pid\" {{\n  value = host_service.web.pid\n}}\n",
            ws.path().display()
        ),
    );
    let _cleanup = common::DestroyOnDrop(&ws);
    ws.run(&["apply", "-auto-approve"]).ok();
    let pid = ws.outputs()["pid"].as_u64().expect("pid");
    assert!(alive(pid) && port_open(port));
    assert_eq!(ws.run(&["plan", "-detailed-exitcode"]).code, 0);
    // It dies out of band: the next plan starts it again.
    let _ = std::process::Command::new("kill").args(["-KILL", &pid.to_string()]).status();
    let started = std::time::Instant::now();
    while alive(pid) && started.elapsed().as_secs() < 10 {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let plan = ws.run(&["plan"]);
    assert!(plan.stdout.contains("host_service.web will be created"), "{}", plan.stdout);
    ws.run(&["apply", "-auto-approve"]).ok();
    let pid2 = ws.outputs()["pid"].as_u64().expect("pid");
    assert_ne!(pid, pid2);
    assert!(alive(pid2) && port_open(port));
    ws.run(&["destroy", "-auto-approve"]).ok();
    assert!(!alive(pid2), "the service is still running");
    assert!(!port_open(port), "the port is still open");
}

#[test]
fn a_service_is_up_when_its_ready_command_says_so_and_is_stopped_when_it_never_does() {
    let ws = Workspace::new();
    let flag = ws.path().join("registered");
    // The service says it is ready a second after it starts.
    ws.write(
        "main.tf",
        &format!(
            "resource \"host_service\" \"s\" {{\n  command       = \"sh -c 'sleep 1; touch {f}; exec sleep 60'\"\n  ready_command = \"test -f {f}\"\n  ready_timeout = 20\n}}\noutput \"pid\" {{\n  value = host_service.s.pid\n}}\n",
            f = flag.display()
        ),
    );
    let _cleanup = common::DestroyOnDrop(&ws);
    ws.run(&["apply", "-auto-approve"]).ok();
    assert!(flag.exists(), "apply returned before the ready_command succeeded");
    let pid = ws.outputs()["pid"].as_u64().expect("pid");
    assert!(alive(pid));
    ws.run(&["destroy", "-auto-approve"]).ok();
    assert!(!alive(pid));

    // One that never gets ready is stopped and not recorded.
    let marker = ws.path().join("never-ready-pid");
    ws.write(
        "main.tf",
        &format!(
            "resource \"host_service\" \"s\" {{\n  command       = \"sh -c 'echo $$ > {m}; exec sleep 60'\"\n  ready_command = \"echo not registered >&2; false\"\n  ready_timeout = 2\n}}\n",
            m = marker.display()
        ),
    );
    let r = ws.run(&["apply", "-auto-approve"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    // The diagnostic as one line: the renderer wraps long messages behind "| ".
    let err = common::one_line(&r.stderr);
    assert!(err.contains("host_service.s"), "{}", r.stderr);
    assert!(
        err.contains("started, but its ready_command did not succeed within 2s, so it was stopped"),
        "{}",
        r.stderr
    );
    assert!(err.contains("not registered"), "the command's own words: {}", r.stderr);
    assert!(ws.addresses().is_empty(), "{:?}", ws.addresses());
    let never: u64 = std::fs::read_to_string(&marker).expect("pid file").trim().parse().expect("pid");
    assert!(!alive(never), "a service that never got ready is left running");

    // A check that never returns (a client retrying a master that is gone) is cut off at
    // the timeout, not waited for.
    std::fs::remove_file(&marker).expect("marker");
    ws.write(
        "main.tf",
        &format!(
            "resource \"host_service\" \"s\" {{\n  command       = \"sh -c 'echo $$ > {m}; exec sleep 60'\"\n  ready_command = \"sleep 300\"\n  ready_timeout = 3\n}}\n",
            m = marker.display()
        ),
    );
    let started = std::time::Instant::now();
    let r = ws.run(&["apply", "-auto-approve"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(started.elapsed() < std::time::Duration::from_secs(60), "the check ran on for {:?}", started.elapsed());
    let err = common::one_line(&r.stderr);
    assert!(err.contains("did not succeed within 3s"), "{}", r.stderr);
    assert!(ws.addresses().is_empty(), "{:?}", ws.addresses());
    let never: u64 = std::fs::read_to_string(&marker).expect("pid file").trim().parse().expect("pid");
    assert!(!alive(never), "a service that never got ready is left running");
}

#[test]
fn a_service_whose_directory_is_missing_fails_clearly() {
    let ws = Workspace::new();
    ws.write(
        "main.tf",
        "resource \"host_service\" \"s\" {\n  command     = \"sleep 30\"\n  working_dir = \"/nonexistent/dir\"\n}\n",
    );
    let r = ws.run(&["apply", "-auto-approve"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("host_service.s") && r.stderr.contains("/nonexistent/dir"), "{}", r.stderr);
    assert!(ws.addresses().is_empty());
}

#[test]
fn inventory_data_source_declares_hosts_once() {
    let ws = Workspace::new();
    ws.write(
        "inventory.yaml",
        "red01:\n  cluster: red\n  ip: 127.0.1.2\n  user: spark\n  service: manager\n  services: [spark, hdfs]\nred02:\n  cluster: red\n  dns: red02.local\n  port: 2222\n  service: worker\nblue01:\n  cluster: blue\n  service: worker\n",
    );
    ws.write(
        "main.tf",
        "data \"host_inventory\" \"red\" {\n  path    = \"inventory.yaml\"\n  cluster = \"red\"\n}\noutput \"names\" {\n  value = data.host_inventory.red.names\n}\noutput \"managers\" {\n  value = data.host_inventory.red.managers\n}\noutput \"addresses\" {\n  value = { for n, h in data.host_inventory.red.hosts : n => \"${h.user == null ? \"\" : \"${h.user}@\"}${h.address}:${h.port}\" }\n}\noutput \"services\" {\n  value = data.host_inventory.red.hosts[\"red01\"].services\n}\n",
    );
    ws.run(&["apply", "-auto-approve"]).ok();
    let out = ws.outputs();
    assert_eq!(out["names"], serde_json::json!(["red01", "red02"]));
    assert_eq!(out["managers"], serde_json::json!(["red01"]));
    assert_eq!(out["addresses"], serde_json::json!({"red01": "spark@127.0.1.2:22", "red02": "red02.local:2222"}));
    assert_eq!(out["services"], serde_json::json!(["spark", "hdfs"]));
    ws.write("inventory.yaml", "red01:\n  service: boss\n");
    let r = ws.run(&["plan"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("data.host_inventory.red") && r.stderr.contains("\"boss\""), "{}", r.stderr);
}

#[test]
fn import_blocks_take_over_a_file_a_running_service_and_a_command_already_run() {
    let ws = Workspace::new();
    let conf = ws.path().join("spark-defaults.conf");
    std::fs::write(&conf, "spark.master local\n").expect("existing file");
    // A daemon started by hand: in a session of its own, not a child of this test.
    let started = std::process::Command::new("sh")
        .args(["-c", "setsid sleep 300 >/dev/null 2>&1 & echo $!"])
        .output()
        .expect("start a daemon");
    let pid: u32 = String::from_utf8_lossy(&started.stdout).trim().parse().expect("its pid");
    let spec = |content: &str| {
        format!(
            r#"
import {{
  to = host_file.conf
  id = "{conf}"
}}
import {{
  to = host_service.daemon
  id = "{pid}"
}}
import {{
  to = host_command.setup
  id = "done-before"
}}
resource "host_file" "conf" {{
  path    = "{conf}"
  content = "{content}\n"
  connection {{
    type = "local"
  }}
}}
resource "host_service" "daemon" {{
  command = "sleep 300"
  connection {{
    type = "local"
  }}
}}
resource "host_command" "setup" {{
  command = "echo ran >> {marker}"
  connection {{
    type = "local"
  }}
}}
output "pid" {{
  value = host_service.daemon.pid
}}
"#,
            conf = conf.display(),
            marker = ws.path().join("ran").display(),
        )
    };
    // The file already says what the configuration says: imported, nothing to change.
    ws.write("main.tf", &spec("spark.master local"));
    let plan = ws.run(&["plan", "-no-color"]);
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
    for addr in ["host_file.conf", "host_service.daemon", "host_command.setup"] {
        assert!(plan.stdout.contains(&format!("# {addr} will be imported")), "{addr}:\n{}", plan.stdout);
    }
    assert!(plan.stdout.contains("Plan: 3 to import, 0 to add, 0 to change, 0 to destroy."), "{}", plan.stdout);
    ws.run(&["apply", "-auto-approve"]).ok();
    assert_eq!(ws.run(&["output", "-raw", "pid"]).stdout, pid.to_string(), "the running process is the one recorded");
    assert!(!ws.path().join("ran").exists(), "an imported command is not run again");
    assert!(alive(u64::from(pid)), "importing a service does not restart it");
    assert_eq!(ws.run(&["plan", "-detailed-exitcode"]).code, 0, "nothing left to do");
    // From then on the file is managed: a new content is written.
    ws.write("main.tf", &spec("spark.master spark://m:7077"));
    ws.run(&["apply", "-auto-approve"]).ok();
    assert_eq!(std::fs::read_to_string(&conf).expect("file"), "spark.master spark://m:7077\n");
    // And destroy stops the imported service.
    ws.run(&["destroy", "-auto-approve"]).ok();
    assert!(!alive(u64::from(pid)), "destroy stops the imported service");
}

#[test]
fn importing_what_is_not_there_fails_and_records_nothing() {
    let ws = Workspace::new();
    let missing = ws.path().join("nope.conf");
    ws.write(
        "main.tf",
        &format!(
            "import {{\n  to = host_service.gone\n  id = \"999999999\"\n}}\nresource \"host_service\" \"gone\" {{\n  command = \"sleep 1\"\n  connection {{\n    type = \"local\"\n  }}\n}}\nimport {{\n  to = host_file.f\n  id = \"{}\"\n}}\nresource \"host_file\" \"f\" {{\n  path    = \"{}\"\n  content = \"x\"\n  connection {{\n    type = \"local\"\n  }}\n}}\n",
            missing.display(),
            missing.display()
        ),
    );
    let plan = ws.run(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(plan.code, 1, "{}", plan.stdout);
    assert!(plan.stderr.contains("Cannot import non-existent remote object"), "{}", plan.stderr);
    assert!(plan.stderr.contains("host_service.gone"), "{}", plan.stderr);
    assert!(plan.stderr.contains("host_file.f"), "{}", plan.stderr);
    assert!(!missing.exists());
}
