//! The `pg` state backend against a real PostgreSQL server (see `common::pg`): round trips,
//! serials, two concurrent applies, workspaces, a killed apply's lock and journal, and an
//! unreachable server. Skipped with a notice where the server binaries are missing.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::Workspace;
use common::pg::Postgres;

fn backend(pg: &Postgres) -> String {
    format!("meshform {{\n  backend \"pg\" {{\n    conn_str = \"{}\"\n  }}\n}}\n", pg.conn_str())
}

fn serial(pg: &Postgres, workspace: &str) -> Option<u64> {
    pg.psql(&format!("SELECT serial FROM meshform_remote_state.states WHERE workspace = '{workspace}'"))
        .and_then(|s| s.parse().ok())
}

#[test]
fn state_round_trips_through_postgres_with_one_serial_per_apply() {
    let Some(pg) = Postgres::start() else { return };
    let ws = Workspace::new();
    ws.write(
        "main.tf",
        &format!(
            "{}variable \"n\" {{\n  default = 3\n}}\nresource \"terraform_data\" \"node\" {{\n  count = var.n\n  input = \"node-${{count.index}}\"\n}}\noutput \"names\" {{\n  value = terraform_data.node[*].output\n}}\noutput \"workspace\" {{\n  value = terraform.workspace\n}}\n",
            backend(&pg)
        ),
    );
    ws.run(&["apply", "-auto-approve"]).ok();
    assert!(!ws.state_path().exists(), "no local state file with the pg backend");
    assert_eq!(serial(&pg, "default"), Some(1));
    assert_eq!(ws.outputs()["names"], serde_json::json!(["node-0", "node-1", "node-2"]));
    assert_eq!(ws.run(&["plan", "-detailed-exitcode"]).code, 0, "no changes after apply");
    ws.run(&["apply", "-auto-approve", "-var", "n=5"]).ok();
    assert_eq!(serial(&pg, "default"), Some(2));
    assert_eq!(ws.addresses().len(), 5);
    let text = pg.psql("SELECT data FROM meshform_remote_state.states WHERE workspace = 'default'").expect("row");
    let doc: serde_json::Value = serde_json::from_str(&text).expect("state JSON in the row");
    assert_eq!(doc["serial"], 2);
    assert_eq!(pg.psql("SELECT count(*) FROM meshform_remote_state.journal").as_deref(), Some("0"));
    assert_eq!(pg.psql("SELECT count(*) FROM meshform_remote_state.locks").as_deref(), Some("0"), "lock released");

    // Workspaces: each its own state row, terraform.workspace follows.
    ws.run(&["workspace", "new", "staging"]).ok();
    assert_eq!(ws.run(&["workspace", "show"]).stdout.trim(), "staging");
    ws.run(&["apply", "-auto-approve", "-var", "n=1"]).ok();
    assert_eq!(ws.outputs()["workspace"], "staging");
    assert_eq!(ws.addresses().len(), 1);
    let list = ws.run(&["workspace", "list"]);
    assert_eq!(list.stdout, "  default\n* staging\n");
    ws.run(&["workspace", "select", "default"]).ok();
    assert_eq!(ws.addresses().len(), 5, "default's state is untouched");
    let refused = ws.run(&["workspace", "delete", "staging"]);
    assert_eq!(refused.code, 1);
    assert!(refused.stderr.contains("is not empty"), "{}", refused.stderr);
    ws.run(&["workspace", "delete", "-force", "staging"]).ok();
    assert_eq!(pg.psql("SELECT count(*) FROM meshform_remote_state.states").as_deref(), Some("1"));

    ws.run(&["destroy", "-auto-approve"]).ok();
    assert!(ws.addresses().is_empty());
    assert_eq!(serial(&pg, "default"), Some(3));
}

#[test]
fn of_two_concurrent_applies_one_proceeds_and_the_other_names_the_holder() {
    let Some(pg) = Postgres::start() else { return };
    let spec = format!(
        "{}resource \"host_command\" \"slow\" {{\n  count   = 2\n  command = \"sleep 1; echo ${{count.index}}\"\n}}\n",
        backend(&pg)
    );
    let (a, b) = (Workspace::new(), Workspace::new());
    a.write("main.tf", &spec);
    b.write("main.tf", &spec);
    let spawn = |ws: &Workspace| {
        Command::new(env!("CARGO_BIN_EXE_meshform"))
            .args(["apply", "-auto-approve", "-no-color"])
            .current_dir(ws.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("meshform")
    };
    let (pa, pb) = (spawn(&a), spawn(&b));
    let (oa, ob) = (pa.wait_with_output().expect("a"), pb.wait_with_output().expect("b"));
    let codes = [oa.status.code(), ob.status.code()];
    assert!(codes.contains(&Some(0)) && codes.contains(&Some(1)), "exactly one proceeds: {codes:?}");
    let loser = if oa.status.success() { &ob } else { &oa };
    let err = String::from_utf8_lossy(&loser.stderr);
    assert!(err.contains("Error acquiring the state lock"), "{err}");
    assert!(err.contains("operation \"apply\"") && err.contains("lock ID"), "the holder is named: {err}");
    assert_eq!(serial(&pg, "default"), Some(1), "one apply, one serial");
    assert_eq!(a.addresses().len(), 2);
    // With -lock-timeout the second run waits for the first instead.
    a.run(&["destroy", "-auto-approve"]).ok();
    let (pa, pb) = (spawn(&a), {
        std::thread::sleep(Duration::from_millis(300));
        Command::new(env!("CARGO_BIN_EXE_meshform"))
            .args(["plan", "-lock-timeout=30s", "-no-color"])
            .current_dir(b.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("meshform")
    });
    let (oa, ob) = (pa.wait_with_output().expect("a"), pb.wait_with_output().expect("b"));
    assert!(oa.status.success() && ob.status.success(), "{}", String::from_utf8_lossy(&ob.stderr));
    assert!(String::from_utf8_lossy(&ob.stdout).contains("No changes"), "the waiting plan saw the finished apply");
    a.run(&["destroy", "-auto-approve"]).ok();
}

#[test]
fn a_killed_apply_leaves_no_lock_and_its_finished_work_is_kept() {
    let Some(pg) = Postgres::start() else { return };
    let ws = Workspace::new();
    let marks = ws.path().join("marks");
    ws.write(
        "main.tf",
        &format!(
            "{}resource \"host_command\" \"step\" {{\n  count   = 12\n  command = \"sleep 0.2; echo ${{count.index}} >> {}\"\n}}\n",
            backend(&pg),
            marks.display()
        ),
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_meshform"))
        .args(["apply", "-auto-approve", "-parallelism=1"])
        .current_dir(ws.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("meshform");
    let start = Instant::now();
    while std::fs::read_to_string(&marks).map_or(0, |t| t.lines().count()) < 4 {
        assert!(start.elapsed().as_secs() < 30, "the apply made no progress");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().expect("kill -9");
    let _ = child.wait();
    let journaled: u64 = pg
        .psql("SELECT count(*) FROM meshform_remote_state.journal WHERE record LIKE '%\"op\":\"set\"%'")
        .and_then(|s| s.parse().ok())
        .expect("journal rows");
    assert!(journaled >= 3, "finished instances were journaled before the kill: {journaled}");
    // No force-unlock needed: the lock died with the process's session.
    let rerun = ws.run(&["apply", "-auto-approve", "-lock-timeout=5s"]);
    rerun.ok();
    assert!(rerun.stderr.contains("Recovered an interrupted apply"), "{}", rerun.stderr);
    assert_eq!(ws.addresses().len(), 12);
    let lines = std::fs::read_to_string(&marks).expect("marks").lines().count() as u64;
    assert!(lines <= 13, "journaled instances ran once; at most the one in flight ran again: {lines}");
    ws.run(&["destroy", "-auto-approve"]).ok();
}

#[test]
fn an_unreachable_server_is_a_clear_error_and_nothing_is_written() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("port").port();
    let ws = Workspace::new();
    ws.write(
        "main.tf",
        &format!(
            "meshform {{\n  backend \"pg\" {{\n    conn_str = \"host=127.0.0.1 port={port} user=meshform password=hunter2 dbname=postgres\"\n  }}\n}}\nresource \"terraform_data\" \"x\" {{\n  input = 1\n}}\n"
        ),
    );
    let r = ws.run(&["apply", "-auto-approve"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("State backend error"), "{}", r.stderr);
    assert!(r.stderr.contains(&format!("127.0.0.1:{port}/postgres")), "names the server: {}", r.stderr);
    assert!(r.stderr.contains("cannot connect"), "{}", r.stderr);
    assert!(!r.stderr.contains("hunter2"), "the password stays out of messages: {}", r.stderr);
    assert!(!ws.state_path().exists());
    // A variable in the backend block is refused where it stands.
    ws.write(
        "main.tf",
        "variable \"c\" {\n  default = \"x\"\n}\nmeshform {\n  backend \"pg\" {\n    conn_str = var.c\n  }\n}\n",
    );
    let r = ws.run(&["plan"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("Variables not allowed") && r.stderr.contains("main.tf:6"), "{}", r.stderr);
}

#[test]
fn force_unlock_breaks_a_hung_run_s_lock() {
    let Some(pg) = Postgres::start() else { return };
    let (hung, other) = (Workspace::new(), Workspace::new());
    let spec = format!("{}resource \"host_command\" \"hang\" {{\n  command = \"sleep 6\"\n}}\n", backend(&pg));
    hung.write("main.tf", &spec);
    other.write("main.tf", &format!("{}resource \"terraform_data\" \"x\" {{}}\n", backend(&pg)));
    let child = Command::new(env!("CARGO_BIN_EXE_meshform"))
        .args(["apply", "-auto-approve"])
        .current_dir(hung.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("meshform");
    let start = Instant::now();
    while pg.psql("SELECT count(*) FROM meshform_remote_state.locks").as_deref() != Some("1") {
        assert!(start.elapsed().as_secs() < 20, "the first run never took the lock");
        std::thread::sleep(Duration::from_millis(50));
    }
    let blocked = other.run(&["plan"]);
    assert_eq!(blocked.code, 1);
    let id = pg.psql("SELECT info::json->>'ID' FROM meshform_remote_state.locks").expect("lock row");
    assert!(blocked.stderr.contains(&id) && blocked.stderr.contains("force-unlock"), "{}", blocked.stderr);
    let wrong = other.run(&["force-unlock", "not-the-id"]);
    assert_eq!(wrong.code, 1);
    assert!(wrong.stderr.contains("does not match"), "{}", wrong.stderr);
    other.run(&["force-unlock", &id]).ok();
    other.run(&["apply", "-auto-approve"]).ok();
    // The hung run lost its session: it stops with an error instead of writing over.
    let out = child.wait_with_output().expect("hung run");
    assert!(!out.status.success());
    assert_eq!(other.addresses(), ["terraform_data.x"]);
}
