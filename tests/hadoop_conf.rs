//! The hadoop module's rendered configuration, read back by Hadoop itself: every host's
//! core-, hdfs-, yarn- and mapred-site.xml is loaded with `org.apache.hadoop.conf.Configuration`
//! (from the Hadoop client jars that ship inside pyspark, run by `tests/hadoop/ConfCheck.java`)
//! and the values it sees are checked, for a cluster where all five roles are on different
//! hosts. The hosts have no Hadoop installed, so the module stops after rendering.
//! Skipped with a notice where python3 or java is missing.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{Workspace, spark};

/// What Hadoop's Configuration reads for `names` from the given files.
fn hadoop_reads(jars: &Path, files: &[std::path::PathBuf], names: &[&str]) -> BTreeMap<String, String> {
    let checker = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/hadoop/ConfCheck.java");
    let out = std::process::Command::new("java")
        .arg("-cp")
        .arg(format!("{}/*", jars.display()))
        .arg(checker)
        .args(files)
        .arg("--")
        .args(names)
        .output()
        .expect("java");
    assert!(out.status.success(), "Hadoop could not load {files:?}:\n{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn rendered_configs_for_all_five_roles_load_in_hadoop() {
    if !spark::prerequisites() {
        return;
    }
    let jars = spark::ensure_pyspark().join("jars");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let ws = Workspace::new();
    spark::copy_dir(&root.join("modules/hadoop"), &ws.path().join("modules/hadoop"));
    let work = ws.path().join("work");
    ws.write(
        "main.tf",
        &format!(
            r#"module "hadoop" {{
  source          = "./modules/hadoop"
  hosts           = hostlist("127.0.1.[1-5]")
  namenode        = "127.0.1.1"
  resourcemanager = "127.0.1.2"
  historyserver   = "127.0.1.3"
  hadoop_home     = "{home}"
  work_dir        = "{work}"
  core_site       = {{ "meshform.test.escaped" = "a & b < c > \"d\" 'e'" }}
  yarn_site       = {{ "yarn.nodemanager.resource.memory-mb" = "2048" }}
}}

output "roles" {{
  value = module.hadoop.roles
}}

output "installed" {{
  value = module.hadoop.installed
}}
"#,
            home = ws.path().join("no-hadoop-here").display(),
            work = work.display()
        ),
    );
    let _cleanup = common::DestroyOnDrop(&ws);
    ws.run(&["apply", "-auto-approve", "-summary"]).ok();
    let roles = &ws.outputs()["roles"];
    assert_eq!(roles["127.0.1.1"], serde_json::json!(["namenode"]));
    assert_eq!(roles["127.0.1.2"], serde_json::json!(["resourcemanager"]));
    assert_eq!(roles["127.0.1.3"], serde_json::json!(["historyserver"]));
    assert_eq!(roles["127.0.1.4"], serde_json::json!(["datanode", "nodemanager"]));
    // No Hadoop on the hosts: configuration only, no daemon started.
    assert!(ws.outputs()["installed"].as_object().expect("installed").values().all(|v| v == false));
    assert!(!ws.addresses().iter().any(|a| a.contains("host_service")), "{:?}", ws.addresses());

    let names = [
        "fs.defaultFS",
        "meshform.test.escaped",
        "dfs.replication",
        "dfs.namenode.rpc-address",
        "dfs.datanode.address",
        "dfs.datanode.data.dir",
        "yarn.resourcemanager.hostname",
        "yarn.nodemanager.hostname",
        "yarn.nodemanager.aux-services",
        "yarn.nodemanager.resource.memory-mb",
        "mapreduce.framework.name",
        "mapreduce.jobhistory.address",
    ];
    for i in 1..=5 {
        let host = format!("127.0.1.{i}");
        let conf = work.join(&host).join("conf");
        let files: Vec<_> = ["core-site.xml", "hdfs-site.xml", "yarn-site.xml", "mapred-site.xml"]
            .iter()
            .map(|f| conf.join(f))
            .collect();
        let got = hadoop_reads(&jars, &files, &names);
        let expect = |k: &str, v: &str| assert_eq!(got.get(k).map(String::as_str), Some(v), "{k} on {host}: {got:?}");
        expect("fs.defaultFS", "hdfs://127.0.1.1:9000");
        expect("meshform.test.escaped", "a & b < c > \"d\" 'e'");
        expect("dfs.replication", "2");
        expect("dfs.namenode.rpc-address", "127.0.1.1:9000");
        expect("dfs.datanode.address", &format!("{host}:9866"));
        expect("dfs.datanode.data.dir", &format!("file://{}/{host}/dfs/data", work.display()));
        expect("yarn.resourcemanager.hostname", "127.0.1.2");
        expect("yarn.nodemanager.hostname", &host);
        expect("yarn.nodemanager.aux-services", "mapreduce_shuffle");
        expect("yarn.nodemanager.resource.memory-mb", "2048");
        expect("mapreduce.framework.name", "yarn");
        expect("mapreduce.jobhistory.address", "127.0.1.3:10020");
    }
    let workers = std::fs::read_to_string(work.join("127.0.1.1/conf/workers")).expect("workers file");
    assert_eq!(workers, "127.0.1.4\n127.0.1.5\n");
    ws.run(&["destroy", "-auto-approve"]).ok();
    assert!(!work.join("127.0.1.1/conf/core-site.xml").exists());
}
