//! The `s3` state backend against moto's S3 server (see `common::moto`): round trips,
//! serials, workspaces, two concurrent applies, a killed apply's lease expiring by itself,
//! `init -migrate-state` from the local backend, and a missing bucket. Skipped with a notice
//! where moto is not installed.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::Workspace;
use common::moto::Moto;

const BUCKET: &str = "meshform-state";

fn backend(moto: &Moto, bucket: &str) -> String {
    format!(
        "terraform {{\n  backend \"s3\" {{\n    bucket     = \"{bucket}\"\n    key        = \"clusters/etl.tfstate\"\n    region     = \"eu-west-1\"\n    endpoint   = \"{}\"\n    access_key = \"test\"\n    secret_key = \"test\"\n    lock_ttl   = 3\n  }}\n}}\n",
        moto.endpoint()
    )
}

fn serial(moto: &Moto, key: &str) -> Option<u64> {
    let doc: serde_json::Value = serde_json::from_str(&moto.get(BUCKET, key)?).ok()?;
    doc["serial"].as_u64()
}

#[test]
fn state_round_trips_through_s3_with_one_serial_per_apply() {
    let Some(moto) = Moto::start() else { return };
    moto.create_bucket(BUCKET);
    let ws = Workspace::new();
    ws.write(
        "main.tf",
        &format!(
            "{}variable \"n\" {{\n  default = 2\n}}\nresource \"terraform_data\" \"node\" {{\n  count = var.n\n  input = count.index\n}}\noutput \"where\" {{\n  value = terraform.workspace\n}}\n",
            backend(&moto, BUCKET)
        ),
    );
    let init = ws.run(&["init"]);
    init.ok();
    assert!(init.stdout.contains("S3 bucket \"meshform-state\""), "{}", init.stdout);
    ws.run(&["apply", "-auto-approve"]).ok();
    assert!(!ws.state_path().exists());
    assert_eq!(serial(&moto, "clusters/etl.tfstate"), Some(1));
    assert_eq!(ws.run(&["plan", "-detailed-exitcode"]).code, 0);
    ws.run(&["apply", "-auto-approve", "-var", "n=4"]).ok();
    assert_eq!(serial(&moto, "clusters/etl.tfstate"), Some(2));
    assert_eq!(ws.addresses().len(), 4);
    assert!(moto.keys(BUCKET, "clusters/etl.tfstate.journal/").is_empty(), "journal folded in");
    assert!(moto.get(BUCKET, "clusters/etl.tfstate.lock").is_none(), "lock released");

    ws.run(&["workspace", "new", "dev"]).ok();
    ws.run(&["apply", "-auto-approve", "-var", "n=1"]).ok();
    assert_eq!(ws.outputs()["where"], "dev");
    assert_eq!(serial(&moto, "env:/dev/clusters/etl.tfstate"), Some(1));
    assert_eq!(ws.run(&["workspace", "list"]).stdout, "  default\n* dev\n");
    ws.run(&["destroy", "-auto-approve"]).ok();
    ws.run(&["workspace", "select", "default"]).ok();
    ws.run(&["workspace", "delete", "dev"]).ok();
    assert!(moto.keys(BUCKET, "env:/").is_empty());
    ws.run(&["destroy", "-auto-approve"]).ok();
    assert_eq!(serial(&moto, "clusters/etl.tfstate"), Some(3));
}

#[test]
fn of_two_concurrent_applies_one_proceeds_and_the_other_names_the_holder() {
    let Some(moto) = Moto::start() else { return };
    moto.create_bucket(BUCKET);
    let spec = format!(
        "{}resource \"host_command\" \"slow\" {{\n  count   = 2\n  command = \"sleep 1\"\n}}\n",
        backend(&moto, BUCKET)
    );
    let (a, b) = (Workspace::new(), Workspace::new());
    a.write("main.tf", &spec);
    b.write("main.tf", &spec);
    // The conditional-write check runs once per directory, before the race.
    a.run(&["init"]).ok();
    b.run(&["init"]).ok();
    let spawn = |ws: &Workspace| {
        Command::new(env!("CARGO_BIN_EXE_meshform"))
            .args(["apply", "-auto-approve", "-no-color"])
            .current_dir(ws.path())
            .env("AWS_EC2_METADATA_DISABLED", "true")
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
    assert!(err.contains("Error acquiring the state lock") && err.contains("operation \"apply\""), "{err}");
    assert_eq!(serial(&moto, "clusters/etl.tfstate"), Some(1));
    a.run(&["destroy", "-auto-approve"]).ok();
}

#[test]
fn a_killed_apply_s_lease_expires_and_its_finished_work_is_kept() {
    let Some(moto) = Moto::start() else { return };
    moto.create_bucket(BUCKET);
    let ws = Workspace::new();
    let marks = ws.path().join("marks");
    ws.write(
        "main.tf",
        &format!(
            "{}resource \"host_command\" \"step\" {{\n  count   = 10\n  command = \"sleep 0.2; echo ${{count.index}} >> {}\"\n}}\n",
            backend(&moto, BUCKET),
            marks.display()
        ),
    );
    ws.run(&["init"]).ok();
    let mut child = Command::new(env!("CARGO_BIN_EXE_meshform"))
        .args(["apply", "-auto-approve", "-parallelism=1"])
        .current_dir(ws.path())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("meshform");
    let start = Instant::now();
    while std::fs::read_to_string(&marks).map_or(0, |t| t.lines().count()) < 4 {
        assert!(start.elapsed().as_secs() < 60, "the apply made no progress");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().expect("kill -9");
    let _ = child.wait();
    assert!(moto.get(BUCKET, "clusters/etl.tfstate.lock").is_some(), "the killed run's lock is left");
    let blocked = ws.run(&["plan"]);
    assert_eq!(blocked.code, 1, "the lease is still running");
    assert!(blocked.stderr.contains("Error acquiring the state lock"), "{}", blocked.stderr);
    // Waiting past the lease takes the lock over; no force-unlock needed.
    let rerun = ws.run(&["apply", "-auto-approve", "-lock-timeout=20s"]);
    rerun.ok();
    assert!(rerun.stderr.contains("took over an expired state lock"), "{}", rerun.stderr);
    assert!(rerun.stderr.contains("Recovered an interrupted apply"), "{}", rerun.stderr);
    assert_eq!(ws.addresses().len(), 10);
    let lines = std::fs::read_to_string(&marks).expect("marks").lines().count();
    assert!(lines <= 11, "journaled instances ran once; at most the one in flight ran again: {lines}");
    ws.run(&["destroy", "-auto-approve"]).ok();
}

#[test]
fn init_migrate_state_moves_local_state_into_s3() {
    let Some(moto) = Moto::start() else { return };
    moto.create_bucket(BUCKET);
    let ws = Workspace::new();
    let resources = "resource \"terraform_data\" \"a\" {\n  count = 3\n  input = count.index\n}\n";
    ws.write("main.tf", resources);
    ws.run(&["apply", "-auto-approve"]).ok();
    let ids: Vec<String> = (0..3).map(|i| common::id_of(&ws, &format!("terraform_data.a[{i}]"))).collect();
    ws.write("main.tf", &format!("{}{resources}", backend(&moto, BUCKET)));
    let refused = ws.run(&["plan"]);
    assert_eq!(refused.code, 1);
    assert!(refused.stderr.contains("Backend configuration changed"), "{}", refused.stderr);
    assert!(refused.stderr.contains("init -migrate-state"), "{}", refused.stderr);
    let init = ws.run(&["init", "-migrate-state"]);
    init.ok();
    assert!(init.stdout.contains("Copied workspace \"default\" (3 resource instance(s))"), "{}", init.stdout);
    assert_eq!(ws.run(&["plan", "-detailed-exitcode"]).code, 0, "the same resources, now from S3");
    let moved: Vec<String> = (0..3).map(|i| common::id_of(&ws, &format!("terraform_data.a[{i}]"))).collect();
    assert_eq!(ids, moved);
    ws.run(&["destroy", "-auto-approve"]).ok();
}

#[test]
fn a_missing_bucket_is_a_clear_error_and_nothing_is_written() {
    let Some(moto) = Moto::start() else { return };
    let ws = Workspace::new();
    ws.write("main.tf", &format!("{}resource \"terraform_data\" \"x\" {{}}\n", backend(&moto, "no-such-bucket")));
    let r = ws.run(&["apply", "-auto-approve"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("State backend error"), "{}", r.stderr);
    assert!(r.stderr.contains("\"no-such-bucket\" does not exist"), "{}", r.stderr);
    assert!(!ws.state_path().exists());
    assert!(moto.keys("no-such-bucket", "").is_empty());
    let r = ws.run(&["init"]);
    assert_eq!(r.code, 1);
    ws.write("main.tf", &backend(&moto, BUCKET).replace("lock_ttl", "dynamodb_table = \"locks\"\n    lock_ttl"));
    let r = ws.run(&["plan"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("Unsupported backend argument") && r.stderr.contains("dynamodb_table"), "{}", r.stderr);
}
