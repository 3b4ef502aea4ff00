//! A Spark standalone cluster over real SSH: one sshd per host on 127.0.1.2-5 (see
//! `common::ssh`), Spark from the pyspark package, the spark-standalone module applied with
//! `type = "ssh"` connections. Checks the master's /json for ALIVE workers, `cluster submit`,
//! growing and shrinking the hostlist, `cluster get`/`put` over SFTP, and that
//! `cluster kill` leaves no Spark process or port behind. Skipped with a notice where sshd,
//! python3 or java is missing.

mod common;

use std::path::Path;

use common::ssh::SshHosts;
use common::{Workspace, spark};

const MASTER_PORT: u16 = 17077;
const MASTER_UI: u16 = 18080;
const WORKER_PORT_BASE: u16 = 17078;

fn spec(hosts: &SshHosts, n: usize, install: &Path, work: &Path) -> String {
    let addrs: Vec<String> = hosts.hosts[..n].iter().map(|(a, _)| format!("\"{a}\"")).collect();
    let ports: Vec<String> = hosts.hosts.iter().map(|(a, p)| format!("\"{a}\" = {p}")).collect();
    format!(
        r#"module "spark" {{
  source      = "./modules/spark-standalone"
  hosts       = [{addrs}]
  install_dir = "{install}"
  work_dir    = "{work}"
  connection = {{
    type             = "ssh"
    user             = "{user}"
    ports            = {{ {ports} }}
    private_key_file = "{key}"
    known_hosts_file = "{known}"
  }}
  master_port            = {MASTER_PORT}
  master_webui_port      = {MASTER_UI}
  worker_port_base       = {WORKER_PORT_BASE}
  worker_webui_port_base = 18081
}}

output "master_url" {{
  value = module.spark.master_url
}}
"#,
        addrs = addrs.join(", "),
        install = install.display(),
        work = work.display(),
        user = common::ssh::user(),
        ports = ports.join(", "),
        key = hosts.key().display(),
        known = hosts.known_hosts().display(),
    )
}

#[test]
fn spark_cluster_over_ssh_runs_jobs_grows_shrinks_and_is_killed() {
    if !spark::prerequisites() {
        return;
    }
    let Some(hosts) = SshHosts::start(4) else { return };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let ws = Workspace::new();
    spark::copy_dir(&root.join("modules/spark-standalone"), &ws.path().join("modules/spark-standalone"));
    let work = ws.path().join("work");
    let install = spark::install_dir();
    let master = hosts.hosts[0].0.clone();
    ws.write("main.tf", &spec(&hosts, 3, &install, &work));
    let _cleanup = common::DestroyOnDrop(&ws);

    ws.run(&["apply", "-auto-approve", "-summary"]).ok();
    assert_eq!(ws.outputs()["master_url"], format!("spark://{master}:{MASTER_PORT}"));
    assert_eq!(spark::wait_alive_workers(&master, MASTER_UI, 2), 2, "2 ALIVE workers");
    // Every daemon was started over SSH on its own host.
    let env = std::fs::read_to_string(work.join(format!("{}/conf/spark-env.sh", hosts.hosts[1].0))).expect("env");
    assert!(env.contains(&format!("export SPARK_LOCAL_IP=\"{}\"", hosts.hosts[1].0)), "{env}");
    assert!(env.contains("export SPARK_WORKER_CORES=\"1\""), "{env}");

    // A job through cluster submit: the driver's output here, the job's exit code passed on.
    ws.write("sum.py", "import sys\nfrom pyspark.sql import SparkSession\ns = SparkSession.builder.appName('sum').getOrCreate()\nn = int(sys.argv[1])\nprint('sum', s.sparkContext.parallelize(range(n + 1), 4).sum())\ns.stop()\n");
    let job = ws.run(&["cluster", "submit", "spark", "sum.py", "1000"]);
    job.ok();
    assert!(job.stdout.lines().any(|l| l == "sum 500500"), "{}", job.stdout);
    ws.write("fail.py", "import sys\nsys.exit(7)\n");
    assert_eq!(ws.run(&["cluster", "submit", "spark", "fail.py"]).code, 7);
    let only = ws.run(&["cluster", "run", "-master-only", "spark", "echo $SSH_CONNECTION | cut -d' ' -f3"]);
    only.ok();
    assert_eq!(only.stdout, format!("{master}: {master}\n"));

    // A fourth host: only its resources are added, and the master's workers file changes.
    ws.write("main.tf", &spec(&hosts, 4, &install, &work));
    let plan = ws.run(&["plan"]);
    plan.ok();
    assert!(plan.stdout.contains("Plan: 4 to add, 1 to change, 0 to destroy."), "{}", plan.stdout);
    let fourth = &hosts.hosts[3].0;
    assert!(plan.stdout.contains(&format!("host_service.worker[\"{fourth}\"] will be created")), "{}", plan.stdout);
    assert!(plan.stdout.contains("module.spark.host_file.workers will be updated in-place"), "{}", plan.stdout);
    ws.run(&["apply", "-auto-approve", "-summary"]).ok();
    assert_eq!(spark::wait_alive_workers(&master, MASTER_UI, 3), 3, "3 ALIVE workers");
    // And back: only that host's resources go.
    ws.write("main.tf", &spec(&hosts, 3, &install, &work));
    let plan = ws.run(&["plan"]);
    assert!(plan.stdout.contains("Plan: 0 to add, 1 to change, 4 to destroy."), "{}", plan.stdout);
    ws.run(&["apply", "-auto-approve", "-summary"]).ok();
    assert_eq!(spark::wait_alive_workers(&master, MASTER_UI, 2), 2, "back to 2 ALIVE workers");
    assert_eq!(ws.run(&["plan", "-detailed-exitcode"]).code, 0, "nothing left to do after the shrink");

    // get/put over SFTP, byte-exact.
    let payload: Vec<u8> = (0..=255u8).rev().cycle().take(100_003).collect();
    std::fs::write(ws.path().join("p.bin"), &payload).expect("payload");
    let remote = format!("{}:{}", hosts.hosts[2].0, work.join("in/p.bin").display());
    ws.run(&["cluster", "put", "spark", "p.bin", &remote]).ok();
    ws.run(&["cluster", "get", "spark", &remote, "back.bin"]).ok();
    assert_eq!(std::fs::read(ws.path().join("back.bin")).expect("back"), payload);

    // kill: no Spark process and no Spark port left.
    let before = common::service_pids(&ws);
    assert_eq!(before.len(), 3);
    assert!(before.iter().all(|p| common::alive(*p)));
    ws.run(&["cluster", "kill", "spark", "-auto-approve"]).ok();
    assert!(ws.addresses().is_empty());
    for p in before {
        assert!(!common::alive(p), "process {p} is still running");
    }
    assert_eq!(spark::spark_processes(&work.display().to_string()), 0, "Spark processes left");
    assert!(!common::listening(&master, MASTER_PORT), "the master's port still answers");
    for (i, (a, _)) in hosts.hosts[1..3].iter().enumerate() {
        assert!(!common::listening(a, WORKER_PORT_BASE + i as u16), "worker port on {a} still answers");
    }
}
