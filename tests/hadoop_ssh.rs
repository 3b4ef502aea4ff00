//! The hadoop module over real SSH: one sshd per host on 127.0.1.2-4 (see `common::ssh`),
//! the masters on the first and a DataNode and a NodeManager on each of the others, every
//! command (the Maven install included) run through the hosts' sshd. Checks that HDFS and
//! YARN report both workers, a file through HDFS byte-exact, wordcount on YARN through
//! `cluster submit` (and a failing job's exit code), a pyspark job on the same YARN, the
//! history server's job list, and that destroy leaves no Hadoop JVM. Skipped with a notice where
//! sshd, java or mvn is missing.

mod common;

use std::path::Path;

use common::ssh::SshHosts;
use common::{Workspace, hadoop, spark};

#[test]
fn hadoop_cluster_over_ssh_stores_files_and_runs_wordcount() {
    if !hadoop::prerequisites() {
        return;
    }
    let Some(ssh) = SshHosts::start(3) else { return };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let ws = Workspace::new();
    spark::copy_dir(&root.join("modules/hadoop"), &ws.path().join("modules/hadoop"));
    let work = ws.path().join("work");
    let hosts: Vec<&str> = ssh.hosts.iter().map(|(a, _)| a.as_str()).collect();
    let ports: Vec<String> = ssh.hosts.iter().map(|(a, p)| format!("\"{a}\" = {p}")).collect();
    let connection = format!(
        r#"{{
    type             = "ssh"
    user             = "{user}"
    ports            = {{ {ports} }}
    private_key_file = "{key}"
    known_hosts_file = "{known}"
  }}"#,
        user = common::ssh::user(),
        ports = ports.join(", "),
        key = ssh.key().display(),
        known = ssh.known_hosts().display(),
    );
    ws.write("main.tf", &hadoop::module(&hosts, &work, true, &connection));
    let _cleanup = common::DestroyOnDrop(&ws);
    ws.run(&["apply", "-auto-approve", "-summary"]).ok();
    let (master, workers) = (hosts[0], &hosts[1..]);
    assert_eq!(hadoop::wait_for(workers, || hadoop::in_service_datanodes(&work, master)), workers);
    assert_eq!(hadoop::wait_for(workers, || hadoop::running_nodemanagers(&work, master)), workers);
    // Every daemon was started over SSH, on its own host.
    let daemons = ws.run(&["cluster", "info", "hadoop"]);
    daemons.ok();
    let user = common::ssh::user();
    for h in &hosts {
        assert!(daemons.stdout.contains(&format!("\t{user}@{h}:")), "{h} is not reached over SSH: {}", daemons.stdout);
    }

    let payload: Vec<u8> = (0..1_500_007u32).map(|i| (i.wrapping_mul(2_246_822_519) >> 11) as u8).collect();
    std::fs::write(ws.path().join("p.bin"), &payload).expect("payload");
    ws.run(&["cluster", "put", "hadoop", "p.bin", "hdfs:/p.bin"]).ok();
    ws.run(&["cluster", "get", "hadoop", "hdfs:/p.bin", "back.bin"]).ok();
    assert_eq!(std::fs::read(ws.path().join("back.bin")).expect("back"), payload);

    let (text, counts) = hadoop::words();
    ws.write("words.txt", &text);
    ws.run(&["cluster", "put", "hadoop", "words.txt", "hdfs:/in/words.txt"]).ok();
    let jar = hadoop::examples_jar();
    ws.run(&["cluster", "submit", "hadoop", jar.to_str().unwrap_or_default(), "wordcount", "/in", "/out"]).ok();
    ws.run(&["cluster", "get", "hadoop", "hdfs:/out/part-r-00000", "counts.txt"]).ok();
    let got = std::fs::read_to_string(ws.path().join("counts.txt")).expect("counts");
    assert_eq!(hadoop::parse_counts(&got), counts);
    hadoop::more_jobs(&ws, &work, master);

    let pids = common::service_pids(&ws);
    assert_eq!(pids.len(), 7);
    ws.run(&["destroy", "-auto-approve"]).ok();
    for p in pids {
        assert!(!common::alive(p), "process {p} is still running");
    }
    assert_eq!(hadoop::hadoop_processes(&work.display().to_string()), 0, "Hadoop JVMs left");
}
