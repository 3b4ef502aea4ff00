//! A real Hadoop cluster on this machine, from the hadoop module with its jars resolved from
//! Maven Central: NameNode, ResourceManager and JobHistoryServer on 127.0.1.21, a DataNode
//! and a NodeManager on each of 127.0.1.22 upwards, every daemon a JVM of its own.
//!
//! One test walks the cluster's life: HDFS and YARN report every worker; files go in and out
//! of HDFS byte-exact; MapReduce wordcount runs on YARN through `cluster submit` (a failing
//! job exits non-zero) and the JobHistoryServer lists it; a pyspark job runs on the same
//! YARN through `cluster submit -master yarn`; a re-apply is a no-op; a DataNode
//! killed out of band is drift that apply restarts; growing adds only the new host; removing
//! a DataNode decommissions it first, so a file with blocks on it stays whole and fully
//! replicated, while with decommission off the same removal loses a block; destroy leaves
//! no Hadoop JVM or port. Skipped with a notice where java or mvn is missing.

mod common;

use std::path::Path;

use common::{Workspace, hadoop, spark};

const MASTER: &str = "127.0.1.21";

fn spec(workers: &[&str], work: &Path, decommission: bool) -> String {
    let mut hosts = vec![MASTER];
    hosts.extend_from_slice(workers);
    hadoop::module(&hosts, work, decommission, "{}")
}

#[test]
fn hadoop_cluster_runs_jobs_grows_and_shrinks_without_losing_a_block() {
    if !hadoop::prerequisites() {
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let ws = Workspace::new();
    spark::copy_dir(&root.join("modules/hadoop"), &ws.path().join("modules/hadoop"));
    let work = ws.path().join("work");
    let (w2, w3, w4) = ("127.0.1.22", "127.0.1.23", "127.0.1.24");
    ws.write("main.tf", &spec(&[w2, w3], &work, true));
    let _cleanup = common::DestroyOnDrop(&ws);

    let started = std::time::Instant::now();
    ws.run(&["apply", "-auto-approve", "-summary"]).ok();
    println!(
        "cluster up in {:.1}s (jars cached: {})",
        started.elapsed().as_secs_f64(),
        hadoop::examples_jar().exists()
    );
    assert_eq!(hadoop::wait_for(&[w2, w3], || hadoop::in_service_datanodes(&work, MASTER)), [w2, w3]);
    assert_eq!(hadoop::wait_for(&[w2, w3], || hadoop::running_nodemanagers(&work, MASTER)), [w2, w3]);
    let info = ws.run(&["cluster", "info", "hadoop"]);
    info.ok();
    assert!(info.stdout.contains("HDFS: 2 live DataNode(s)"), "{}", info.stdout);
    assert!(info.stdout.contains("YARN: 2 running NodeManager(s)"), "{}", info.stdout);
    assert!(info.stdout.contains(&format!("web UI (namenode): http://{MASTER}:9870")), "{}", info.stdout);

    // Files in and out of HDFS, byte-exact.
    let payload: Vec<u8> = (0..3_000_017u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    std::fs::write(ws.path().join("p.bin"), &payload).expect("payload");
    ws.run(&["cluster", "put", "hadoop", "p.bin", "hdfs:/data/p.bin"]).ok();
    ws.run(&["cluster", "get", "hadoop", "hdfs:/data/p.bin", "back.bin"]).ok();
    assert_eq!(std::fs::read(ws.path().join("back.bin")).expect("back"), payload);

    // MapReduce wordcount on YARN.
    let (text, counts) = hadoop::words();
    ws.write("words.txt", &text);
    ws.run(&["cluster", "put", "hadoop", "words.txt", "hdfs:/in/words.txt"]).ok();
    let jar = hadoop::examples_jar();
    let jar = jar.to_str().unwrap_or_default();
    let started = std::time::Instant::now();
    let job =
        ws.run(&["cluster", "submit", "hadoop", jar, "-class", "org.apache.hadoop.examples.WordCount", "/in", "/out"]);
    println!("wordcount on YARN in {:.1}s", started.elapsed().as_secs_f64());
    job.ok();
    ws.run(&["cluster", "get", "hadoop", "hdfs:/out/part-r-00000", "counts.txt"]).ok();
    let got = std::fs::read_to_string(ws.path().join("counts.txt")).expect("counts");
    assert_eq!(hadoop::parse_counts(&got), counts);
    hadoop::more_jobs(&ws, &work, MASTER);

    // A re-apply changes nothing; HDFS keeps its data across it.
    assert_eq!(ws.run(&["plan", "-detailed-exitcode"]).code, 0, "a re-apply must be a no-op");

    // A DataNode killed out of band is drift; apply starts it again.
    let dn3 = common::id_of(&ws, &format!("module.hadoop.host_service.daemon[\"datanode@{w3}\"]"));
    std::process::Command::new("kill").args(["-9", &dn3]).status().expect("kill");
    std::thread::sleep(std::time::Duration::from_millis(500));
    let plan = ws.run(&["plan"]);
    assert!(
        plan.stdout.contains(&format!("host_service.daemon[\"datanode@{w3}\"] will be created")),
        "{}",
        plan.stdout
    );
    assert_eq!(common::plan_line(&plan.stdout), "Plan: 1 to add, 0 to change, 0 to destroy.");
    ws.run(&["apply", "-auto-approve", "-summary"]).ok();
    assert_eq!(hadoop::wait_for(&[w2, w3], || hadoop::in_service_datanodes(&work, MASTER)), [w2, w3]);

    // Growing: only the new host's resources, and the files that list the workers.
    ws.write("main.tf", &spec(&[w2, w3, w4], &work, true));
    let plan = ws.run(&["plan"]);
    plan.ok();
    for line in plan.stdout.lines().filter(|l| l.trim_start().starts_with("# module.")) {
        assert!(
            line.contains(w4) || line.contains("host_file.workers[") && line.contains("updated in-place"),
            "growing touches more than the new host: {line}\n{}",
            plan.stdout
        );
    }
    assert!(common::plan_line(&plan.stdout).ends_with("1 to change, 0 to destroy."), "{}", plan.stdout);
    ws.run(&["apply", "-auto-approve", "-summary"]).ok();
    let three = [w2, w3, w4];
    assert_eq!(hadoop::wait_for(&three, || hadoop::in_service_datanodes(&work, MASTER)), three);
    assert_eq!(hadoop::wait_for(&three, || hadoop::running_nodemanagers(&work, MASTER)), three);

    // A file of six blocks at replication 2, and one block at replication 1: the worker to
    // remove is the one holding that single replica (and some of the other file's).
    let big: Vec<u8> = (0..6_000_000u32).map(|i| (i.wrapping_mul(40_503) >> 7) as u8).collect();
    std::fs::write(ws.path().join("big.bin"), &big).expect("big");
    let stage = ws.path().join("big.bin");
    let put = |file: &Path, to: &str, opts: &[&str]| {
        let mut args = vec!["dfs"];
        args.extend_from_slice(opts);
        args.extend_from_slice(&["-put", "-f", file.to_str().unwrap_or_default(), to]);
        let o = hadoop::command(&work, MASTER, "hdfs", &args);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    put(&stage, "/big.bin", &["-D", "dfs.blocksize=1048576"]);
    let one: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(ws.path().join("one.bin"), &one).expect("one");
    put(&ws.path().join("one.bin"), "/one.bin", &["-D", "dfs.replication=1"]);
    let victim = hadoop::block_hosts(&work, MASTER, "/one.bin", &three)[0][0].clone();
    let big_blocks = hadoop::block_hosts(&work, MASTER, "/big.bin", &three);
    assert_eq!(big_blocks.len(), 6, "{big_blocks:?}");
    assert!(big_blocks.iter().all(|b| b.len() == 2), "replication 2: {big_blocks:?}");
    assert!(big_blocks.iter().any(|b| b.contains(&victim)), "no block of big.bin on {victim}: {big_blocks:?}");

    // Removing it: the plan shows the decommission, apply waits for it, nothing is lost.
    let rest: Vec<&str> = three.iter().copied().filter(|w| *w != victim).collect();
    ws.write("main.tf", &spec(&rest, &work, true));
    let plan = ws.run(&["plan"]);
    plan.ok();
    assert!(
        plan.stdout.contains(&format!("host_command.decommission_datanode[\"{victim}\"] will be destroyed")),
        "{}",
        plan.stdout
    );
    assert!(plan.stdout.contains(&format!("meshform-admin decommission-datanode {victim}")), "{}", plan.stdout);
    let started = std::time::Instant::now();
    ws.run(&["apply", "-auto-approve", "-summary"]).ok();
    println!("DataNode {victim} decommissioned and removed in {:.1}s", started.elapsed().as_secs_f64());
    assert_eq!(hadoop::fsck(&work, MASTER, "/"), ("HEALTHY".to_string(), 0), "after the decommissioned shrink");
    for (file, want) in [("/big.bin", &big), ("/one.bin", &one)] {
        let o = hadoop::command(&work, MASTER, "hdfs", &["dfs", "-cat", file]);
        assert!(o.status.success() && &o.stdout == want, "{file} is not whole after the shrink");
    }
    assert!(hadoop::block_hosts(&work, MASTER, "/big.bin", &rest).iter().all(|b| b.len() == 2), "fully replicated");
    assert_eq!(hadoop::wait_for(&rest, || hadoop::in_service_datanodes(&work, MASTER)), rest);
    assert_eq!(hadoop::wait_for(&rest, || hadoop::running_nodemanagers(&work, MASTER)), rest);

    // The same removal with decommission off loses the replica the removed node held.
    ws.write("main.tf", &spec(&rest, &work, false));
    let plan = ws.run(&["plan"]);
    assert!(common::plan_line(&plan.stdout).starts_with("Plan: 0 to add,"), "{}", plan.stdout);
    assert!(common::plan_line(&plan.stdout).ends_with("0 to destroy."), "{}", plan.stdout);
    ws.run(&["apply", "-auto-approve", "-summary"]).ok();
    put(&ws.path().join("one.bin"), "/two.bin", &["-D", "dfs.replication=1"]);
    let second = hadoop::block_hosts(&work, MASTER, "/two.bin", &rest)[0][0].clone();
    let last: Vec<&str> = rest.iter().copied().filter(|w| *w != second).collect();
    ws.write("main.tf", &spec(&last, &work, false));
    ws.run(&["apply", "-auto-approve", "-summary"]).ok();
    let start = std::time::Instant::now();
    let lost = loop {
        let (status, _) = hadoop::fsck(&work, MASTER, "/two.bin");
        if status != "HEALTHY" || start.elapsed().as_secs() > 60 {
            break status;
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
    };
    assert_eq!(lost, "CORRUPT", "without decommission the only replica of /two.bin is gone");

    // destroy: no Hadoop JVM and no port left.
    let pids = common::service_pids(&ws);
    assert_eq!(pids.len(), 5, "namenode, resourcemanager, historyserver, one datanode, one nodemanager");
    assert!(pids.iter().all(|p| common::alive(*p)));
    ws.run(&["destroy", "-auto-approve"]).ok();
    for p in pids {
        assert!(!common::alive(p), "process {p} is still running");
    }
    assert_eq!(hadoop::hadoop_processes(&work.display().to_string()), 0, "Hadoop JVMs left");
    for port in [9000, 9870, 8032, 8088, 10020, 19888] {
        assert!(!common::listening(MASTER, port), "{MASTER}:{port} still answers");
    }
    for w in three {
        assert!(!common::listening(w, hadoop::datanode_port(w)), "a DataNode port on {w} still answers");
    }
}
