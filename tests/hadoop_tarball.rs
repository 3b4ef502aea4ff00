//! The hadoop module's tarball install, for real: a release tarball served over HTTP on
//! loopback (a self-hosted mirror), fetched with curl, checked against its SHA-512, unpacked,
//! and its daemons started from the release's `share/hadoop` tree: a NameNode, a DataNode, a
//! ResourceManager and a NodeManager that HDFS and YARN then count, a file through HDFS
//! byte-exact, and nothing left running after destroy.
//!
//! Apache's release is not reachable from here, so the tarball is made by the test with the
//! layout of a Hadoop release (`hadoop-X/share/hadoop/{common,hdfs,yarn,mapreduce}` and
//! their `lib` dirs) from the same Maven Central jars the maven install resolves. Skipped
//! with a notice where java or mvn is missing.

mod common;

use std::path::{Path, PathBuf};

use common::{Workspace, hadoop, spark};
use sha2::{Digest, Sha512};

const MASTER: &str = "127.0.1.51";
const WORKER: &str = "127.0.1.52";

/// Where a jar of Hadoop's goes in a release: Hadoop's own jars by project, everything they
/// depend on in common/lib.
fn release_dir(jar: &str) -> &'static str {
    match jar {
        j if j.starts_with("hadoop-hdfs") => "hdfs",
        j if j.starts_with("hadoop-yarn-server-timelineservice") => "yarn/timelineservice",
        j if j.starts_with("hadoop-yarn") => "yarn",
        j if j.starts_with("hadoop-mapreduce") => "mapreduce",
        j if j.starts_with("hadoop-") => "common",
        _ => "common/lib",
    }
}

/// A release-shaped tarball of Hadoop VERSION made from the jars in `lib`, and its SHA-512.
fn release(ws: &Workspace, lib: &Path) -> (PathBuf, String) {
    let v = hadoop::version();
    let top = ws.path().join("release").join(format!("hadoop-{v}"));
    let jars = std::fs::read_dir(lib).expect("the maven install's lib dir");
    let mut n = 0;
    for jar in jars.filter_map(Result::ok) {
        let name = jar.file_name().to_string_lossy().to_string();
        let dir = top.join("share/hadoop").join(release_dir(&name));
        std::fs::create_dir_all(&dir).expect("release dir");
        std::fs::hard_link(jar.path(), dir.join(&name))
            .or_else(|_| std::fs::copy(jar.path(), dir.join(&name)).map(|_| ()))
            .expect("jar");
        n += 1;
    }
    assert!(n > 100, "the maven install holds Hadoop's jars ({n})");
    ws.write(&format!("release/hadoop-{v}/README.txt"), "Apache Hadoop, release layout\n");
    let tgz = ws.path().join(format!("hadoop-{v}.tar.gz"));
    let ok = std::process::Command::new("tar")
        .arg("-czf")
        .arg(&tgz)
        .arg("-C")
        .arg(ws.path().join("release"))
        .arg(format!("hadoop-{v}"))
        .status()
        .expect("tar");
    assert!(ok.success());
    let sha = Sha512::digest(std::fs::read(&tgz).expect("tgz")).iter().map(|b| format!("{b:02x}")).collect();
    (tgz, sha)
}

#[test]
fn a_release_tarball_from_a_mirror_runs_hdfs_and_yarn() {
    if !hadoop::prerequisites() {
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let ws = Workspace::new();
    spark::copy_dir(&root.join("modules/hadoop"), &ws.path().join("modules/hadoop"));
    let work = ws.path().join("work");
    let maven = hadoop::module(&[MASTER, WORKER], &work, true, "{}");

    // The jars, from Maven Central once (the other Hadoop tests share them).
    ws.write("main.tf", &maven);
    ws.run(&["apply", "-auto-approve", "-target=module.hadoop.host_command.install"]).ok();
    let lib = hadoop::install_dir().join(format!("hadoop-{}/lib", hadoop::version()));
    let (tgz, sha) = release(&ws, &lib);
    std::fs::remove_file(ws.state_path()).expect("a fresh state");
    std::fs::remove_dir_all(ws.path().join("release")).expect("release dir");

    let mirror = common::FileServer::start(tgz.parent().expect("dir").to_path_buf());
    let url = mirror.url(&format!("hadoop-{}.tar.gz", hadoop::version()));
    let install = ws.path().join("install");
    let text = maven
        .replace(
            "  install       = \"maven\"\n",
            &format!("  install       = \"tarball\"\n  tarball_url    = \"{url}\"\n  tarball_sha512 = \"{sha}\"\n"),
        )
        .replace(&hadoop::install_dir().display().to_string(), &install.display().to_string());
    assert!(text.contains("tarball_sha512"), "{text}");
    ws.write("main.tf", &text);
    let _cleanup = common::DestroyOnDrop(&ws);
    let daemons = ["namenode@", "resourcemanager@"]
        .map(|r| format!("-target=module.hadoop.host_service.daemon[\"{r}{MASTER}\"]"))
        .into_iter()
        .chain(
            ["datanode@", "nodemanager@"]
                .map(|r| format!("-target=module.hadoop.host_service.daemon[\"{r}{WORKER}\"]")),
        )
        .collect::<Vec<_>>();
    let mut args = vec!["apply", "-auto-approve"];
    args.extend(daemons.iter().map(String::as_str));
    let started = std::time::Instant::now();
    ws.run(&args).ok();
    println!("tarball cluster (4 daemons) up in {:.1}s", started.elapsed().as_secs_f64());

    // Downloaded once per machine (the hosts share install_dir), unpacked without its top dir.
    assert_eq!(mirror.hits(), 1);
    let v = hadoop::version();
    assert!(install.join(format!("hadoop/share/hadoop/hdfs/hadoop-hdfs-{v}.jar")).is_file());
    assert!(!install.join("hadoop.tgz.part").exists(), "the download is not left behind");
    let launcher = std::fs::read_to_string(work.join(WORKER).join("bin/hdfs")).expect("launcher");
    assert!(launcher.contains(&format!("{}/hadoop/share/hadoop/hdfs/lib/*", install.display())), "{launcher}");

    // HDFS and YARN count the worker, and a file goes through HDFS byte-exact.
    assert_eq!(hadoop::wait_for(&[WORKER], || hadoop::in_service_datanodes(&work, MASTER)), [WORKER]);
    assert_eq!(hadoop::wait_for(&[WORKER], || hadoop::running_nodemanagers(&work, MASTER)), [WORKER]);
    let payload: Vec<u8> = (0..1_000_003u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8).collect();
    std::fs::write(ws.path().join("p.bin"), &payload).expect("payload");
    ws.run(&["cluster", "put", "hadoop", "p.bin", "hdfs:/t/p.bin"]).ok();
    ws.run(&["cluster", "get", "hadoop", "hdfs:/t/p.bin", "back.bin"]).ok();
    assert_eq!(std::fs::read(ws.path().join("back.bin")).expect("back"), payload);

    // A re-apply of the same targets changes nothing.
    let mut again = vec!["plan", "-detailed-exitcode"];
    again.extend(daemons.iter().map(String::as_str));
    assert_eq!(ws.run(&again).code, 0, "a second plan is a no-op");

    ws.run(&["destroy", "-auto-approve"]).ok();
    let marker = ws.path().display().to_string();
    assert_eq!(hadoop::hadoop_processes(&marker), 0, "no Hadoop JVM is left");
    for port in [9000, 8032, hadoop::datanode_port(WORKER)] {
        assert!(
            !common::listening(if port == 9000 || port == 8032 { MASTER } else { WORKER }, port),
            "{port} still open"
        );
    }
}
