//! What the Hadoop tests share: the module's jars installed once (from Maven Central, into
//! the target dir, so later runs reuse them), the spec they apply, and what HDFS and YARN
//! report of themselves through each host's commands.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// Whether java and mvn are here (Hadoop tests skip with a notice otherwise; `scripts/test`
/// installs Maven where it is missing).
pub fn prerequisites() -> bool {
    let ok = |c: &str, a: &str| Command::new(c).arg(a).output().is_ok_and(|o| o.status.success());
    let have = ok("java", "-version") && ok("mvn", "-v");
    if !have {
        println!("java or mvn not found: skipping the Hadoop test");
    }
    have
}

/// Where the module installs Hadoop's jars: kept between runs in the target dir.
pub fn install_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("hadoop-install")
}

/// The Hadoop release the module installs by default.
pub fn version() -> String {
    super::module_default("hadoop", "hadoop_version")
}

/// The MapReduce examples jar the module installed.
pub fn examples_jar() -> PathBuf {
    let v = version();
    install_dir().join(format!("hadoop-{v}/lib/hadoop-mapreduce-examples-{v}.jar"))
}

/// The base DataNode transfer port of the spec below; a worker's is moved by 100 times
/// the number its address ends with.
pub const DATANODE_PORT: u16 = 9866;

pub fn datanode_port(host: &str) -> u16 {
    let n: u16 = host.rsplit('.').next().and_then(|n| n.parse().ok()).expect("numbered host");
    DATANODE_PORT + 100 * n
}

/// A hadoop module call: masters on the first host, a DataNode and a NodeManager on each
/// of the others, with small heaps and quick decommission and dead-node detection, and
/// Spark on YARN from the pyspark venv the Spark tests share.
pub fn module(hosts: &[&str], work: &Path, decommission: bool, connection: &str) -> String {
    let list: Vec<String> = hosts.iter().map(|h| format!("\"{h}\"")).collect();
    format!(
        r#"module "hadoop" {{
  source        = "./modules/hadoop"
  hosts         = [{hosts}]
  install       = "maven"
  install_dir   = "{install}"
  work_dir      = "{work}"
  port_step     = 100
  replication   = 2
  daemon_memory = "384m"
  decommission  = {decommission}
  connection    = {connection}
  spark_on_yarn     = true
  spark_install_dir = "{spark}"
  spark_conf = {{
    "spark.yarn.am.memory"     = "384m"
    "spark.executor.memory"    = "512m"
    "spark.executor.instances" = "2"
    "spark.executor.cores"     = "1"
  }}
  hdfs_site = {{
    "dfs.namenode.safemode.extension"         = "0"
    "dfs.namenode.decommission.interval"      = "2"
    "dfs.namenode.heartbeat.recheck-interval" = "2000"
    "dfs.heartbeat.interval"                  = "1"
  }}
  yarn_site = {{
    "yarn.nodemanager.resource.memory-mb"                                       = "3072"
    "yarn.scheduler.minimum-allocation-mb"                                      = "256"
    "yarn.nodemanager.disk-health-checker.max-disk-utilization-per-disk-percentage" = "99.9"
  }}
  mapred_site = {{
    "yarn.app.mapreduce.am.resource.mb" = "512"
    "yarn.app.mapreduce.am.command-opts" = "-Xmx384m"
    "mapreduce.map.memory.mb"            = "512"
    "mapreduce.reduce.memory.mb"         = "512"
    "mapreduce.map.java.opts"            = "-Xmx384m"
    "mapreduce.reduce.java.opts"         = "-Xmx384m"
  }}
}}

output "commands" {{
  value = module.hadoop.commands
}}
"#,
        hosts = list.join(", "),
        install = install_dir().display(),
        work = work.display(),
        spark = super::spark::install_dir().display(),
    )
}

/// Runs one of a host's Hadoop commands (`hdfs dfsadmin -report`) as the module set it up.
pub fn command(work: &Path, host: &str, tool: &str, args: &[&str]) -> std::process::Output {
    Command::new(work.join(host).join("bin").join(tool)).args(args).output().expect("a Hadoop command")
}

pub fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

/// The DataNodes the NameNode counts live and in service, by hostname.
pub fn in_service_datanodes(work: &Path, namenode: &str) -> Vec<String> {
    let report = stdout(&command(work, namenode, "hdfs", &["dfsadmin", "-report", "-live"]));
    let mut out = Vec::new();
    let mut host = String::new();
    for l in report.lines() {
        if let Some(h) = l.strip_prefix("Hostname: ") {
            host = h.trim().to_string();
        }
        if l.trim() == "Decommission Status : Normal" {
            out.push(host.clone());
        }
    }
    out.sort();
    out
}

/// The NodeManagers the ResourceManager counts RUNNING, by host.
pub fn running_nodemanagers(work: &Path, rm: &str) -> Vec<String> {
    let list = stdout(&command(work, rm, "yarn", &["node", "-list"]));
    let mut out: Vec<String> = list
        .lines()
        .filter(|l| l.split_whitespace().nth(1) == Some("RUNNING"))
        .filter_map(|l| l.split_whitespace().next().and_then(|id| id.split(':').next()).map(str::to_string))
        .collect();
    out.sort();
    out
}

/// Waits up to 90 s for `probe` to give `want`; what it gave last.
pub fn wait_for(want: &[&str], mut probe: impl FnMut() -> Vec<String>) -> Vec<String> {
    let start = Instant::now();
    loop {
        let seen = probe();
        if seen == want || start.elapsed() > Duration::from_secs(90) {
            return seen;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// The hosts (by the DataNode port each listens on) holding a replica of each block of
/// an HDFS file, as fsck reports them.
pub fn block_hosts(work: &Path, namenode: &str, path: &str, workers: &[&str]) -> Vec<Vec<String>> {
    let fsck = stdout(&command(work, namenode, "hdfs", &["fsck", path, "-files", "-blocks", "-locations"]));
    fsck.lines()
        .filter(|l| l.contains("DatanodeInfoWithStorage["))
        .map(|l| {
            let mut hosts: Vec<String> = l
                .split("DatanodeInfoWithStorage[")
                .skip(1)
                .filter_map(|r| r.split(',').next())
                .filter_map(|addr| addr.rsplit(':').next().and_then(|p| p.parse::<u16>().ok()))
                .filter_map(|port| workers.iter().find(|w| datanode_port(w) == port).map(|w| w.to_string()))
                .collect();
            hosts.sort();
            hosts
        })
        .collect()
}

/// fsck's verdict on a path (`HEALTHY`, `CORRUPT`) and its under-replicated block count.
pub fn fsck(work: &Path, namenode: &str, path: &str) -> (String, u64) {
    let out = stdout(&command(work, namenode, "hdfs", &["fsck", path]));
    let status = out.lines().find_map(|l| l.trim().strip_prefix("Status: ")).unwrap_or("none").trim().to_string();
    let under = out
        .lines()
        .find_map(|l| l.trim().strip_prefix("Under-replicated blocks:"))
        .and_then(|r| r.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(u64::MAX);
    (status, under)
}

/// Live Hadoop JVMs whose command line mentions `marker`.
pub fn hadoop_processes(marker: &str) -> usize {
    std::fs::read_dir("/proc")
        .map(|rd| {
            rd.filter_map(Result::ok)
                .filter(|e| {
                    let cmd = String::from_utf8_lossy(&std::fs::read(e.path().join("cmdline")).unwrap_or_default())
                        .to_string();
                    cmd.contains(marker)
                        && cmd.contains("org.apache.hadoop")
                        && e.file_name().to_string_lossy().parse::<u64>().is_ok_and(super::alive)
                })
                .count()
        })
        .unwrap_or(0)
}

/// A file of words and the counts wordcount must give for it.
pub fn words() -> (String, std::collections::BTreeMap<String, u64>) {
    let vocabulary = ["hdfs", "yarn", "block", "replica", "node", "mesh"];
    let mut text = String::new();
    let mut counts = std::collections::BTreeMap::new();
    for i in 0..2000u64 {
        let w = vocabulary[((i * 7 + i / 3) % vocabulary.len() as u64) as usize];
        text.push_str(w);
        text.push(if i % 11 == 10 { '\n' } else { ' ' });
        *counts.entry(w.to_string()).or_insert(0) += 1;
    }
    text.push('\n');
    (text, counts)
}

/// wordcount's output (`word<TAB>count` lines) as a map.
pub fn parse_counts(text: &str) -> std::collections::BTreeMap<String, u64> {
    text.lines()
        .filter_map(|l| l.split_once('\t'))
        .filter_map(|(w, n)| Some((w.to_string(), n.trim().parse().ok()?)))
        .collect()
}

/// The jobs the JobHistoryServer lists (name, state), waiting up to 60 s for `name`.
pub fn history_jobs(host: &str, port: u16, name: &str) -> String {
    let start = Instant::now();
    loop {
        let body = http_get(host, port, "/ws/v1/history/mapreduce/jobs");
        if body.contains(name) || start.elapsed() > Duration::from_secs(60) {
            return body;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

pub fn http_get(host: &str, port: u16, path: &str) -> String {
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect((host, port)) else { return String::new() };
    let _ = s.write_all(format!("GET {path} HTTP/1.0\r\nHost: {host}\r\nAccept: application/json\r\n\r\n").as_bytes());
    let mut text = String::new();
    let _ = s.read_to_string(&mut text);
    text.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default()
}

/// After a wordcount has run on the cluster: a job that fails exits non-zero, a pyspark job
/// runs on the same YARN (the driver here, executors in the NodeManagers' containers) and
/// YARN lists it, and the JobHistoryServer has the wordcount as SUCCEEDED.
pub fn more_jobs(ws: &super::Workspace, work: &Path, master: &str) {
    let jar = examples_jar();
    let jar = jar.to_str().unwrap_or_default();
    let failed = ws.run(&[
        "cluster",
        "submit",
        "hadoop",
        jar,
        "-class",
        "org.apache.hadoop.examples.WordCount",
        "/nothing",
        "/out2",
    ]);
    assert_ne!(failed.code, 0, "a job with no input must fail: {}", failed.stderr);
    ws.write("sum.py", "import sys\nfrom pyspark.sql import SparkSession\ns = SparkSession.builder.appName('sum-on-yarn').getOrCreate()\nn = int(sys.argv[1])\nprint('sum', s.sparkContext.parallelize(range(n + 1), 4).sum())\ns.stop()\n");
    let started = std::time::Instant::now();
    let spark = ws.run(&["cluster", "submit", "hadoop", "sum.py", "-master", "yarn", "1000"]);
    println!("pyspark on YARN in {:.1}s", started.elapsed().as_secs_f64());
    spark.ok();
    assert!(spark.stdout.lines().any(|l| l == "sum 500500"), "{}\n{}", spark.stdout, spark.stderr);
    let apps = stdout(&command(work, master, "yarn", &["application", "-list", "-appStates", "FINISHED"]));
    assert!(apps.lines().any(|l| l.contains("sum-on-yarn") && l.contains("SPARK")), "{apps}");
    let jobs = history_jobs(master, 19888, "word count");
    assert!(jobs.contains("\"name\":\"word count\"") && jobs.contains("\"state\":\"SUCCEEDED\""), "{jobs}");
}
