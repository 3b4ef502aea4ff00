//! The quickstart end to end with real Spark (from the pyspark package) on this machine:
//! a master on 127.0.1.1 and workers on 127.0.1.2-3, a job's result, growing to three
//! workers touching only the new host, and no Spark process left after destroy.
//! Skipped with a notice where python3 or java is missing.

mod common;

use std::path::Path;

use common::{Workspace, spark};

#[test]
fn quickstart_spark_cluster_runs_a_job_grows_and_leaves_nothing() {
    if !spark::prerequisites() {
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let ws = Workspace::new();
    spark::copy_dir(&root.join("examples/quickstart"), &ws.path().join("examples/quickstart"));
    spark::copy_dir(&root.join("modules/spark-standalone"), &ws.path().join("modules/spark-standalone"));
    let q = ws.path().join("examples/quickstart");
    let install = spark::install_dir();
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
    assert_eq!(spark::wait_alive_workers("127.0.1.1", 8080, 2), 2);
    // A third worker: only its host's resources are added, and the master's workers file.
    let plan = qs(&["plan", "-var", "workers=3"]);
    plan.ok();
    assert!(plan.stdout.contains("Plan: 4 to add, 1 to change, 0 to destroy."), "{}", plan.stdout);
    assert!(plan.stdout.contains("host_service.worker[\"127.0.1.4\"] will be created"), "{}", plan.stdout);
    qs(&["apply", "-auto-approve", "-var", "workers=3", "-summary"]).ok();
    assert_eq!(spark::wait_alive_workers("127.0.1.1", 8080, 3), 3);
    let work = q.join(".spark-work").display().to_string();
    assert_eq!(spark::spark_processes(&work), 4);
    qs(&["destroy", "-auto-approve", "-var", "workers=3"]).ok();
    assert_eq!(spark::spark_processes(&work), 0, "Spark processes left after destroy");
}
