//! The quickstart end to end with real Spark (from the pyspark package) on this machine:
//! a master on 127.0.1.1 and workers on 127.0.1.2-3, a job's result, growing to three
//! workers touching only the new host, and no Spark process left after destroy.
//! Skipped with a notice where python3 or java is missing.

mod common;

use std::io::{Read, Write};
use std::path::Path;

use common::Workspace;

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read").filter_map(Result::ok) {
        let name = e.file_name();
        if name.to_string_lossy().starts_with('.') || name.to_string_lossy().ends_with(".tfstate") {
            continue;
        }
        let (src, dst) = (e.path(), to.join(&name));
        if src.is_dir() { copy_dir(&src, &dst) } else { std::fs::copy(&src, &dst).map(|_| ()).expect("copy") }
    }
}

/// The master's /json/ document.
fn master_json() -> serde_json::Value {
    let mut s = std::net::TcpStream::connect(("127.0.1.1", 8080)).expect("master web UI");
    s.write_all(b"GET /json/ HTTP/1.0\r\nHost: 127.0.1.1\r\n\r\n").expect("request");
    let mut text = String::new();
    s.read_to_string(&mut text).expect("response");
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or_default();
    serde_json::from_str(body).expect("json")
}

fn alive_workers() -> u64 {
    // Registration takes a moment after the worker's port opens.
    for _ in 0..100 {
        let n = master_json()["aliveworkers"].as_u64().unwrap_or(0);
        if n > 0 {
            return n;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    0
}

fn spark_processes(marker: &str) -> usize {
    std::fs::read_dir("/proc")
        .map(|rd| {
            rd.filter_map(Result::ok)
                .filter(|e| {
                    let cmd = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
                    let stat = std::fs::read_to_string(e.path().join("stat")).unwrap_or_default();
                    let zombie = stat.rsplit_once(')').is_some_and(|(_, r)| r.trim_start().starts_with('Z'));
                    !zombie
                        && String::from_utf8_lossy(&cmd).contains(marker)
                        && String::from_utf8_lossy(&cmd).contains("org.apache.spark")
                })
                .count()
        })
        .unwrap_or(0)
}

#[test]
fn quickstart_spark_cluster_runs_a_job_grows_and_leaves_nothing() {
    let have = |c: &str| std::process::Command::new(c).arg("--version").output().is_ok_and(|o| o.status.success());
    if !have("python3")
        || !std::process::Command::new("java").arg("-version").output().is_ok_and(|o| o.status.success())
    {
        println!("python3 or java not found: skipping the Spark test");
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let ws = Workspace::new();
    copy_dir(&root.join("examples/quickstart"), &ws.path().join("examples/quickstart"));
    copy_dir(&root.join("modules/spark-standalone"), &ws.path().join("modules/spark-standalone"));
    let q = ws.path().join("examples/quickstart");
    // Spark's venv is kept between runs in the target dir, so it is installed once.
    let install = Path::new(env!("CARGO_TARGET_TMPDIR")).join("spark-venv");
    let var = format!("install_dir={}", install.display());
    let qs = |args: &[&str]| {
        let mut all = vec!["-chdir", q.to_str().unwrap_or_default()];
        all.extend_from_slice(args);
        all.push("-var");
        all.push(&var);
        ws.run(&all)
    };
    struct Down<'a>(&'a dyn Fn(&[&str]) -> common::Run);
    impl Drop for Down<'_> {
        fn drop(&mut self) {
            let _ = (self.0)(&["destroy", "-auto-approve"]);
        }
    }
    let _down = Down(&qs);
    let apply = qs(&["apply", "-auto-approve", "-summary"]);
    apply.ok();
    let out = ws.run(&["-chdir", q.to_str().unwrap_or_default(), "output", "-raw", "pi"]);
    assert!(out.stdout.starts_with("Pi is roughly 3."), "{}", out.stdout);
    assert_eq!(alive_workers(), 2);
    // A third worker: only its host's resources are added, and the master's workers file.
    let plan = qs(&["plan", "-var", "workers=3"]);
    plan.ok();
    assert!(plan.stdout.contains("Plan: 3 to add, 1 to change, 0 to destroy."), "{}", plan.stdout);
    assert!(plan.stdout.contains("host_service.worker[\"127.0.1.4\"] will be created"), "{}", plan.stdout);
    qs(&["apply", "-auto-approve", "-var", "workers=3", "-summary"]).ok();
    let start = std::time::Instant::now();
    while master_json()["aliveworkers"].as_u64() != Some(3) && start.elapsed().as_secs() < 30 {
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    assert_eq!(master_json()["aliveworkers"].as_u64(), Some(3));
    let work = q.join(".spark-work").display().to_string();
    assert_eq!(spark_processes(&work), 4);
    qs(&["destroy", "-auto-approve", "-var", "workers=3"]).ok();
    assert_eq!(spark_processes(&work), 0, "Spark processes left after destroy");
}
