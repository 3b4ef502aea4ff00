//! `meshform cluster ...`: commands on a cluster as the state records it. A cluster is a
//! root module instance (`module.spark`, `module.etl["a"]`) holding `host_*` resources;
//! its hosts are the distinct `connection`s of those resources. A module holding a
//! Kubernetes object annotated `meshform.io/role = spark-master` (as the k8s-spark module
//! makes) is a cluster too, one that `list`, `info` and `submit` work on.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use meshform_engine::addrs::{ModuleInstance, ResourceInstanceAddr};
use meshform_engine::diag::{Diagnostic, Diagnostics};
use meshform_engine::eval::{Number, Value};
use meshform_engine::state::State;
use meshform_provider_host::transport::{Transport, quote};

use crate::Outcome;
use crate::args::ClusterCommand;

type Res<T> = Result<T, Diagnostics>;

/// What the state records of one cluster.
struct Cluster {
    name: String,
    /// Host name → how to reach it.
    hosts: BTreeMap<String, Transport>,
    services: Vec<Service>,
    /// The Spark master of a cluster running in Kubernetes.
    kube: Option<KubeMaster>,
}

/// A Spark master Deployment recorded as a `kubernetes_manifest`.
struct KubeMaster {
    addr: ResourceInstanceAddr,
    /// The provider configuration that made it (`kubernetes`, `kubernetes.prod`).
    provider: String,
    manifest: serde_json::Value,
}

impl KubeMaster {
    fn annotation(&self, k: &str) -> Option<&str> {
        self.manifest.pointer("/metadata/annotations").and_then(|a| a.get(k)).and_then(serde_json::Value::as_str)
    }

    fn namespace(&self) -> &str {
        self.manifest.pointer("/metadata/namespace").and_then(serde_json::Value::as_str).unwrap_or("default")
    }
}

/// A `host_service` instance as recorded.
struct Service {
    addr: ResourceInstanceAddr,
    host: String,
    pid: Option<i64>,
    /// Its `labels`: `role`, and for a Spark master `master_url`, `web_ui_url`,
    /// `spark_home`, `conf_dir`, `work_dir`, `python`.
    labels: BTreeMap<String, String>,
}

impl Service {
    fn label(&self, k: &str) -> Option<&str> {
        self.labels.get(k).map(String::as_str)
    }
}

/// Roles whose host is a cluster's master (`cluster run -master-only`).
fn is_master_role(role: &str) -> bool {
    matches!(role, "master" | "manager" | "spark-master" | "namenode" | "resourcemanager")
}

impl Cluster {
    /// The first service labelled with `role`.
    fn service(&self, role: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.label("role") == Some(role))
    }

    fn masters(&self) -> Vec<&str> {
        let mut m: Vec<&str> = self
            .services
            .iter()
            .filter(|s| s.label("role").is_some_and(is_master_role))
            .map(|s| s.host.as_str())
            .collect();
        m.sort();
        m.dedup();
        m
    }
}

/// The cluster a state address belongs to: its root module instance, where the layers
/// `cluster create` writes (`demo_hosts`, `demo_spark`, `demo_hadoop`) are one cluster.
fn cluster_name(addr: &ResourceInstanceAddr) -> Option<String> {
    let step = addr.module.0.first()?;
    Some(format!("{}{}", meshform_engine::config::edit::cluster_of(&step.name), step.key))
}

fn clusters(state: &State) -> BTreeMap<String, Cluster> {
    let mut out: BTreeMap<String, Cluster> = BTreeMap::new();
    for (addr, inst) in &state.resources {
        if !addr.resource.type_name.starts_with("host_") {
            continue;
        }
        let Some(name) = cluster_name(addr) else { continue };
        let conn = inst.value.get_attr("connection").cloned().unwrap_or(Value::Null);
        let Ok(t) = Transport::from_connection(&conn) else {
            continue;
        };
        let c = out.entry(name.clone()).or_insert_with(|| Cluster::named(name));
        // Local hosts are named by their connection's host too (127.0.1.2), so a cluster
        // laid out on this machine reads like one spread over several.
        let host = conn.get_attr("host").and_then(Value::as_str).map_or_else(|| t.host_name(), str::to_string);
        if addr.resource.type_name == "host_service" {
            let pid = inst.value.get_attr("pid").and_then(Value::as_number).and_then(Number::to_i64);
            let labels = inst
                .value
                .get_attr("labels")
                .and_then(Value::as_map)
                .map(|m| m.iter().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string()))).collect())
                .unwrap_or_default();
            c.services.push(Service { addr: addr.clone(), host: host.clone(), pid, labels });
        }
        c.hosts.entry(host).or_insert(t);
    }
    for (addr, inst) in &state.resources {
        if addr.resource.type_name != "kubernetes_manifest" {
            continue;
        }
        let Some(name) = cluster_name(addr) else { continue };
        let manifest = inst.value.get_attr("manifest").map(|m| m.clone().unmark_deep().0.to_json()).unwrap_or_default();
        let master = KubeMaster { addr: addr.clone(), provider: inst.provider.clone(), manifest };
        if master.annotation("meshform.io/role") == Some("spark-master") {
            out.entry(name.clone()).or_insert_with(|| Cluster::named(name)).kube = Some(master);
        }
    }
    out
}

impl Cluster {
    fn named(name: String) -> Cluster {
        Cluster { name, hosts: BTreeMap::new(), services: Vec::new(), kube: None }
    }
}

fn find<'a>(all: &'a BTreeMap<String, Cluster>, name: &str) -> Res<&'a Cluster> {
    all.get(name).ok_or_else(|| {
        let known: Vec<&str> = all.keys().map(String::as_str).collect();
        Diagnostic::error(format!("No cluster named {name:?}"))
            .with_detail(if known.is_empty() {
                "The state records no cluster: a cluster is a module holding host_* resources, or a Kubernetes Spark master (the k8s-spark module).".to_string()
            } else {
                format!("The state records these clusters: {}.", known.join(", "))
            })
            .into()
    })
}

fn host<'a>(c: &'a Cluster, name: &str) -> Res<&'a Transport> {
    c.hosts.get(name).ok_or_else(|| {
        Diagnostic::error(format!("No host {name:?} in cluster {:?}", c.name))
            .with_detail(format!("Its hosts are: {}.", c.hosts.keys().cloned().collect::<Vec<_>>().join(", ")))
            .into()
    })
}

/// `HOST:PATH` as the get and put commands take it.
fn host_path(s: &str) -> Res<(&str, &str)> {
    s.split_once(':').filter(|(h, p)| !h.is_empty() && !p.is_empty()).ok_or_else(|| {
        Diagnostic::error(format!("{s:?} is not HOST:PATH"))
            .with_help("name the host, e.g. node01:/opt/data/out.csv")
            .into()
    })
}

fn provider_error(e: meshform_engine::provider::ProviderError) -> Diagnostics {
    Diagnostic::error(e.message).into()
}

pub async fn run(cmd: ClusterCommand, state: &State) -> Res<Outcome> {
    let all = clusters(state);
    match cmd {
        ClusterCommand::List => {
            if all.is_empty() {
                println!(
                    "No clusters: the state records no module with host_* resources or a Spark master in Kubernetes."
                );
            }
            for c in all.values() {
                match &c.kube {
                    Some(k) => println!("{}\tkubernetes\tnamespace {}", c.name, k.namespace()),
                    None => println!("{}\t{} host(s)\t{} service(s)", c.name, c.hosts.len(), c.services.len()),
                }
            }
            Ok(Outcome::Ok)
        }
        ClusterCommand::Info { name } => info(find(&all, &name)?).await,
        ClusterCommand::Run { name, master_only, command } => {
            let c = find(&all, &name)?;
            let hosts: Vec<&str> = if master_only {
                let m = c.masters();
                if m.is_empty() {
                    return Err(Diagnostic::error(format!("Cluster {name:?} has no master host recorded"))
                        .with_detail("A master is the host of a service labelled with role = \"spark-master\", \"namenode\", \"resourcemanager\" or \"master\".")
                        .into());
                }
                m
            } else {
                c.hosts.keys().map(String::as_str).collect()
            };
            run_on(c, &hosts, &command.join(" ")).await
        }
        ClusterCommand::Submit { name, job, class, master, args } => {
            let c = find(&all, &name)?;
            match (c.service("resourcemanager"), c.service("spark-master"), master.as_deref()) {
                (Some(rm), _, Some("yarn")) => submit_yarn(c, rm, &job, class.as_deref(), &args).await,
                (None, _, Some("yarn")) => Err(Diagnostic::error(format!("Cluster {name:?} has no YARN"))
                    .with_detail("-master yarn needs a host_service labelled role = \"resourcemanager\", as the hadoop module makes.")
                    .into()),
                (_, _, Some(other)) if other != "spark" => Err(Diagnostic::error(format!("-master {other:?} is not a master this command knows"))
                    .with_help("use -master yarn for a Hadoop cluster's YARN; leave it out for a Spark standalone cluster")
                    .into()),
                (Some(rm), None, None) => submit_yarn(c, rm, &job, class.as_deref(), &args).await,
                _ => submit(c, &job, class.as_deref(), &args).await,
            }
        }
        ClusterCommand::Ssh { name, host: h, command } => {
            let c = find(&all, &name)?;
            let t = host(c, &h)?;
            let cmd = (!command.is_empty()).then(|| command.join(" "));
            let status = t
                .interactive(cmd.as_deref())
                .status()
                .map_err(|e| Diagnostic::error(format!("cannot start a session on {}: {e}", t.describe())))?;
            if status.success() {
                Ok(Outcome::Ok)
            } else {
                Err(Diagnostic::error(format!("the session on {h} ended with {status}")).into())
            }
        }
        ClusterCommand::Get { name, remote, local } if is_hdfs(&remote) => {
            let c = find(&all, &name)?;
            hdfs_get(c, &remote, &local).await?;
            println!("{remote} -> {local}");
            Ok(Outcome::Ok)
        }
        ClusterCommand::Put { name, local, remote } if is_hdfs(&remote) => {
            let c = find(&all, &name)?;
            readable(&local)?;
            hdfs_put(c, &local, &remote).await?;
            println!("{local} -> {remote}");
            Ok(Outcome::Ok)
        }
        ClusterCommand::Get { name, remote, local } => {
            let c = find(&all, &name)?;
            let (h, path) = host_path(&remote)?;
            host(c, h)?.download(path, Path::new(&local)).await.map_err(provider_error)?;
            println!("{remote} -> {local}");
            Ok(Outcome::Ok)
        }
        ClusterCommand::Put { name, local, remote } => {
            let c = find(&all, &name)?;
            let (h, path) = host_path(&remote)?;
            readable(&local)?;
            host(c, h)?.upload(Path::new(&local), path).await.map_err(provider_error)?;
            println!("{local} -> {remote}");
            Ok(Outcome::Ok)
        }
        ClusterCommand::Copy { name, local, remote } => {
            let c = find(&all, &name)?;
            readable(&local)?;
            let mut set = tokio::task::JoinSet::new();
            for (h, t) in &c.hosts {
                let (h, t, local, remote) = (h.clone(), t.clone(), local.clone(), remote.clone());
                set.spawn(async move { (h, t.upload(Path::new(&local), &remote).await) });
            }
            let mut failed = Vec::new();
            let mut done = Vec::new();
            while let Some(Ok((h, r))) = set.join_next().await {
                match r {
                    Ok(()) => done.push(h),
                    Err(e) => failed.push(format!("{h}: {}", e.message)),
                }
            }
            done.sort();
            for h in done {
                println!("{local} -> {h}:{remote}");
            }
            if failed.is_empty() {
                Ok(Outcome::Ok)
            } else {
                failed.sort();
                Err(Diagnostic::error("the copy failed on some hosts").with_detail(failed.join("\n")).into())
            }
        }
        ClusterCommand::Stop { .. }
        | ClusterCommand::Start { .. }
        | ClusterCommand::Kill { .. }
        | ClusterCommand::Create(_)
        | ClusterCommand::Add(_)
        | ClusterCommand::Remove(_) => Err(Diagnostic::error("internal error: handled by the caller").into()),
    }
}

fn readable(local: &str) -> Res<()> {
    std::fs::File::open(local).map(|_| ()).map_err(|e| Diagnostic::error(format!("cannot read {local}: {e}")).into())
}

/// Copies the job to the master's work directory and runs spark-submit there, the driver's
/// output streaming to this terminal.
async fn submit(c: &Cluster, job: &str, class: Option<&str>, args: &[String]) -> Res<Outcome> {
    let master = c.services.iter().find(|s| s.label("role") == Some("spark-master")).ok_or_else(|| {
        Diagnostic::error(format!("Cluster {:?} has no Spark master recorded", c.name)).with_detail(
            "cluster submit looks for a host_service labelled role = \"spark-master\", as the spark-standalone module makes.",
        )
    })?;
    let need = |k: &str| {
        master.label(k).ok_or_else(|| {
            Diagnostic::error(format!("The Spark master {} has no {k:?} label", master.addr))
                .with_detail("cluster submit needs master_url, spark_home and work_dir labels on the master service.")
        })
    };
    let (url, home, work) = (need("master_url")?, need("spark_home")?, need("work_dir")?);
    readable(job)?;
    let is_jar = job.ends_with(".jar");
    if is_jar && class.is_none() {
        return Err(Diagnostic::error(format!("{job} is a .jar: name its main class with -class")).into());
    }
    let t = host(c, &master.host)?;
    let remote = stage_job(t, job, work).await?;
    let mut script = format!("cd {} && ", quote(work));
    for (var, label) in [("SPARK_CONF_DIR", "conf_dir"), ("PYSPARK_PYTHON", "python"), ("JAVA_HOME", "java_home")] {
        if let Some(v) = master.label(label) {
            script.push_str(&format!("export {var}={} && ", quote(v)));
        }
    }
    script.push_str(&format!("exec {}/bin/spark-submit --master {}", quote(home), quote(url)));
    if let Some(class) = class {
        script.push_str(&format!(" --class {}", quote(class)));
    }
    script.push_str(&format!(" {}", quote(&remote)));
    run_job(t, script, args, "spark-submit", &master.host)
}

/// Copies a job to `work/jobs/` on its host; where it landed.
async fn stage_job(t: &Transport, job: &str, work: &str) -> Res<String> {
    let file = Path::new(job).file_name().map(|f| f.to_string_lossy().to_string()).unwrap_or_else(|| "job".into());
    let remote = format!("{work}/jobs/{file}");
    t.upload(Path::new(job), &remote).await.map_err(provider_error)?;
    Ok(remote)
}

/// Runs a job's command line, with its arguments, attached to this terminal; the job's exit
/// code is meshform's.
fn run_job(t: &Transport, mut script: String, args: &[String], what: &str, host: &str) -> Res<Outcome> {
    for a in args {
        script.push_str(&format!(" {}", quote(a)));
    }
    let status = t
        .interactive(Some(&script))
        .status()
        .map_err(|e| Diagnostic::error(format!("cannot start {what} on {}: {e}", t.describe())))?;
    job_outcome(status, what, host)
}

/// A job's exit status as meshform's outcome.
fn job_outcome(status: std::process::ExitStatus, what: &str, host: &str) -> Res<Outcome> {
    match status.code() {
        Some(0) => Ok(Outcome::Ok),
        Some(code) => {
            eprintln!("The job exited with code {code}.");
            Ok(Outcome::Exit(u8::try_from(code).unwrap_or(1)))
        }
        None => Err(Diagnostic::error(format!("{what} on {host} ended by a signal ({status})")).into()),
    }
}

/// A Hadoop service's `bin_dir` label: the host's hadoop, hdfs, yarn and mapred commands.
fn bin_dir<'a>(s: &'a Service, what: &str) -> Res<&'a str> {
    s.label("bin_dir").ok_or_else(|| {
        Diagnostic::error(format!("The {} {} has no \"bin_dir\" label", s.label("role").unwrap_or("service"), s.addr))
            .with_detail(format!(
                "{what} runs Hadoop's commands from the directory that label names, as the hadoop module records it."
            ))
            .into()
    })
}

/// Runs a job on a Hadoop cluster's YARN from the resourcemanager's host: a .jar with
/// `hadoop jar` (its manifest's main class, or -class), a .py with the spark-submit onto
/// YARN that its `spark_submit` label names.
async fn submit_yarn(c: &Cluster, rm: &Service, job: &str, class: Option<&str>, args: &[String]) -> Res<Outcome> {
    let bin = bin_dir(rm, "cluster submit")?;
    let work = rm.label("work_dir").unwrap_or("/tmp");
    readable(job)?;
    let t = host(c, &rm.host)?;
    let remote = stage_job(t, job, work).await?;
    let mut script = format!("cd {} && ", quote(work));
    let what = if job.ends_with(".jar") {
        match class {
            // `hadoop jar` would take the manifest's main class over a named one.
            Some(class) => script.push_str(&format!(
                "HADOOP_CLASSPATH={} exec {}/hadoop {}",
                quote(&remote),
                quote(bin),
                quote(class)
            )),
            None => script.push_str(&format!("exec {}/hadoop jar {}", quote(bin), quote(&remote))),
        }
        "hadoop jar"
    } else {
        let Some(spark_submit) = rm.label("spark_submit") else {
            return Err(Diagnostic::error(format!("Cluster {:?} has no Spark to submit {job} to YARN with", c.name))
                .with_detail("A .py job runs with a spark-submit onto YARN on the resourcemanager's host (its service's spark_submit label): the hadoop module sets one up with spark_on_yarn = true.")
                .into());
        };
        // That spark-submit is set up for this YARN (--master yarn, its jars, its python).
        script.push_str(&format!("exec {} {}", quote(spark_submit), quote(&remote)));
        "spark-submit"
    };
    run_job(t, script, args, what, &rm.host)
}

/// Whether a get/put path names a file in HDFS (`hdfs:/in/data.txt`, `hdfs://nn:9000/x`).
fn is_hdfs(path: &str) -> bool {
    path.starts_with("hdfs:")
}

/// The namenode's service, through which get and put reach HDFS.
fn namenode(c: &Cluster) -> Res<&Service> {
    c.service("namenode").ok_or_else(|| {
        Diagnostic::error(format!("Cluster {:?} has no HDFS", c.name))
            .with_detail("hdfs: paths need a host_service labelled role = \"namenode\", as the hadoop module makes.")
            .into()
    })
}

/// Runs an HDFS command on the namenode's host; its stderr is the error.
async fn hdfs_run(t: &Transport, script: &str, what: &str) -> Res<()> {
    t.run(script, None).await.map(|_| ()).map_err(|e| {
        Diagnostic::error(format!("{what} failed on {}", t.describe()))
            .with_detail(e.message.lines().filter(|l| !l.trim().is_empty()).take(8).collect::<Vec<_>>().join("\n"))
            .into()
    })
}

/// A scratch path on the namenode's host for a file on its way in or out of HDFS.
fn staging(nn: &Service) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    format!("{}/tmp/transfer-{}-{nanos}", nn.label("work_dir").unwrap_or("/tmp"), std::process::id())
}

async fn hdfs_put(c: &Cluster, local: &str, remote: &str) -> Res<()> {
    let nn = namenode(c)?;
    let bin = bin_dir(nn, "cluster put")?;
    let t = host(c, &nn.host)?;
    let stage = staging(nn);
    t.upload(Path::new(local), &stage).await.map_err(provider_error)?;
    let parent = remote.rsplit_once('/').map(|(p, _)| p).filter(|p| !p.ends_with(':') && !p.ends_with("//"));
    let mkdir = parent.map(|p| format!("{}/hdfs dfs -mkdir -p {} && ", quote(bin), quote(p))).unwrap_or_default();
    let r = hdfs_run(
        t,
        &format!("{mkdir}{}/hdfs dfs -put -f {} {}", quote(bin), quote(&stage), quote(remote)),
        &format!("copying {local} to {remote}"),
    )
    .await;
    let _ = t.run(&format!("rm -f {}", quote(&stage)), None).await;
    r
}

async fn hdfs_get(c: &Cluster, remote: &str, local: &str) -> Res<()> {
    let nn = namenode(c)?;
    let bin = bin_dir(nn, "cluster get")?;
    let t = host(c, &nn.host)?;
    let stage = staging(nn);
    let fetched = hdfs_run(
        t,
        &format!(
            "mkdir -p \"$(dirname {s})\" && {}/hdfs dfs -get {} {s}",
            quote(bin),
            quote(remote),
            s = quote(&stage)
        ),
        &format!("copying {remote} out of HDFS"),
    )
    .await;
    let r = match fetched {
        Ok(()) => t.download(&stage, Path::new(local)).await.map_err(provider_error),
        Err(e) => Err(e),
    };
    let _ = t.run(&format!("rm -rf {}", quote(&stage)), None).await;
    r
}

/// What HDFS and YARN say of themselves: capacity and live DataNodes from `dfsadmin
/// -report`, running NodeManagers from `yarn node -list`.
async fn hadoop_health(c: &Cluster) {
    if let Some(nn) = c.service("namenode")
        && let (Some(bin), Some(t)) = (nn.label("bin_dir"), c.hosts.get(&nn.host))
    {
        match t.run(&format!("{}/hdfs dfsadmin -report 2>/dev/null", quote(bin)), None).await {
            Ok(o) => {
                let field = |k: &str| {
                    o.stdout.lines().find_map(|l| l.strip_prefix(k)).map(|v| v.trim().to_string()).unwrap_or_default()
                };
                let live = o
                    .stdout
                    .lines()
                    .find_map(|l| {
                        l.strip_prefix("Live datanodes (").and_then(|r| r.split_once(')')).map(|(n, _)| n.to_string())
                    })
                    .unwrap_or_else(|| "0".into());
                println!(
                    "HDFS: {live} live DataNode(s); capacity {}; remaining {}",
                    human(&field("Configured Capacity:")),
                    human(&field("DFS Remaining:"))
                );
            }
            Err(e) => println!("HDFS: unreachable ({})", e.message.lines().next().unwrap_or_default()),
        }
    }
    if let Some(rm) = c.service("resourcemanager")
        && let (Some(bin), Some(t)) = (rm.label("bin_dir"), c.hosts.get(&rm.host))
    {
        match t.run(&format!("{}/yarn node -list 2>/dev/null", quote(bin)), None).await {
            Ok(o) => {
                let running = o.stdout.lines().filter(|l| l.split_whitespace().nth(1) == Some("RUNNING")).count();
                println!("YARN: {running} running NodeManager(s)");
            }
            Err(e) => println!("YARN: unreachable ({})", e.message.lines().next().unwrap_or_default()),
        }
    }
}

/// `541106348032 (503.94 GB)` as `503.94 GB`.
fn human(v: &str) -> String {
    v.split_once('(').and_then(|(_, r)| r.strip_suffix(')')).map_or_else(|| v.to_string(), str::to_string)
}

async fn info(c: &Cluster) -> Res<Outcome> {
    println!("cluster {}", c.name);
    if let Some(k) = &c.kube {
        println!("runs in: Kubernetes, namespace {} (provider {})", k.namespace(), k.provider);
        println!("master: {}", k.addr);
        if let Some(url) = k.annotation("meshform.io/master-url") {
            println!("master URL: {url}");
        }
    }
    let masters = c.masters();
    println!("hosts:");
    for (h, t) in &c.hosts {
        let role = if masters.contains(&h.as_str()) { "master" } else { "worker" };
        println!("  {h}\t{role}\t{}", t.describe());
    }
    for s in &c.services {
        for (label, what) in [("master_url", "master URL"), ("web_ui_url", "web UI")] {
            if let Some(v) = s.label(label) {
                match s.label("role") {
                    Some(role) => println!("{what} ({role}): {v}"),
                    None => println!("{what}: {v}"),
                }
            }
        }
    }
    hadoop_health(c).await;
    if !c.services.is_empty() {
        println!("services:");
    }
    for s in &c.services {
        let health = match (s.pid, c.hosts.get(&s.host)) {
            (Some(pid), Some(t)) => {
                match t.run(&format!("kill -0 {pid} 2>/dev/null && echo running || echo stopped"), None).await {
                    Ok(o) => o.stdout.trim().to_string(),
                    Err(e) => format!("unreachable ({})", e.message.lines().next().unwrap_or_default()),
                }
            }
            _ => "unknown".to_string(),
        };
        let role = s.label("role").map(|r| format!("\t{r}")).unwrap_or_default();
        println!("  {}{role}\ton {}\tpid {}\t{health}", s.addr, s.host, s.pid.map_or("-".into(), |p| p.to_string()));
    }
    Ok(Outcome::Ok)
}

/// Runs a command on the given hosts at once; output lines are prefixed with the host.
async fn run_on(c: &Cluster, hosts: &[&str], command: &str) -> Res<Outcome> {
    let mut set = tokio::task::JoinSet::new();
    for h in hosts {
        let t = host(c, h)?;
        let (h, t, command) = (h.to_string(), t.clone(), command.to_string());
        set.spawn(async move {
            let r = t.run(&command, None).await;
            (h, r)
        });
    }
    let mut results = Vec::new();
    while let Some(Ok(r)) = set.join_next().await {
        results.push(r);
    }
    results.sort_by(|a, b| a.0.cmp(&b.0));
    let mut failed = Vec::new();
    let mut stdout = std::io::stdout().lock();
    for (h, r) in results {
        match r {
            Ok(o) => {
                for line in o.stdout.lines() {
                    let _ = writeln!(stdout, "{h}: {line}");
                }
            }
            Err(e) => {
                for line in e.message.lines() {
                    let _ = writeln!(stdout, "{h}: {line}");
                }
                failed.push(h);
            }
        }
    }
    if failed.is_empty() {
        Ok(Outcome::Ok)
    } else {
        Err(Diagnostic::error(format!("the command failed on {}", failed.join(", "))).into())
    }
}

/// The provider configuration of a cluster running in Kubernetes, `None` for one on hosts.
pub fn kube_provider(state: &State, name: &str) -> Option<String> {
    clusters(state).remove(name).and_then(|c| c.kube).map(|k| k.provider)
}

/// Without the kubernetes provider in the build, a Kubernetes cluster takes no jobs.
#[cfg(not(feature = "kubernetes"))]
pub async fn submit_kube(
    _state: &State,
    name: &str,
    _job: &str,
    _class: Option<&str>,
    _args: &[String],
    _provider: &dyn meshform_engine::provider::Provider,
) -> Res<Outcome> {
    Err(Diagnostic::error("The kubernetes provider is not in this build")
        .with_detail(format!(
            "Cluster {name:?} runs in Kubernetes, and this meshform was built without its kubernetes feature; build it with the default features."
        ))
        .into())
}

/// Submits a job to a Spark cluster in Kubernetes: a Job running spark-submit against its
/// master; the driver's log is printed when it ends.
#[cfg(feature = "kubernetes")]
pub async fn submit_kube(
    state: &State,
    name: &str,
    job: &str,
    class: Option<&str>,
    args: &[String],
    provider: &dyn meshform_engine::provider::Provider,
) -> Res<Outcome> {
    use meshform_provider_kubernetes::{KubernetesProvider, submit::Submission};
    let all = clusters(state);
    let c = find(&all, name)?;
    let Some(k) = &c.kube else {
        return Err(Diagnostic::error(format!("Cluster {name:?} does not run in Kubernetes")).into());
    };
    let Some(kube) = provider.as_any().and_then(|p| p.downcast_ref::<KubernetesProvider>()) else {
        return Err(Diagnostic::error(format!(
            "provider {:?} of {} is not the kubernetes provider",
            k.provider, k.addr
        ))
        .into());
    };
    let master_url = k.annotation("meshform.io/master-url").ok_or_else(|| {
        Diagnostic::error(format!("The Spark master {} has no meshform.io/master-url annotation", k.addr))
    })?;
    if job.ends_with(".jar") && class.is_none() {
        return Err(Diagnostic::error(format!("{job} is a .jar: name its main class with -class")).into());
    }
    let content = std::fs::read(job).map_err(|e| Diagnostic::error(format!("cannot read {job}: {e}")))?;
    let file_name = Path::new(job).file_name().map_or_else(|| "job".into(), |f| f.to_string_lossy().to_string());
    let s = Submission {
        cluster: c.name.clone(),
        master: k.manifest.clone(),
        master_url: master_url.to_string(),
        spark_home: k.annotation("meshform.io/spark-home").unwrap_or("/opt/spark").to_string(),
        file_name,
        content,
        class: class.map(str::to_string),
        args: args.to_vec(),
        timeout: std::time::Duration::from_secs(6 * 3600),
    };
    let done = kube.submit(&s).await.map_err(|e| {
        Diagnostic::error(format!("Submitting to cluster {name:?} failed")).with_detail(format!(
            "{}{}",
            e.message,
            e.code.map(|c| format!(" ({c})")).unwrap_or_default()
        ))
    })?;
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(done.log.as_bytes());
    let _ = stdout.flush();
    if done.succeeded {
        Ok(Outcome::Ok)
    } else {
        eprintln!("The job {} in namespace {} failed.", done.job, done.namespace);
        Ok(Outcome::Exit(1))
    }
}

/// The `-target` address that selects a whole cluster.
pub fn targets(state: &State, name: &str) -> Res<Vec<String>> {
    let all = clusters(state);
    let c = find(&all, name)?;
    let mut modules: Vec<String> = state
        .resources
        .keys()
        .filter(|a| cluster_name(a).as_deref() == Some(c.name.as_str()))
        .map(|a| ModuleInstance(a.module.0[..1].to_vec()).to_string())
        .collect();
    modules.sort();
    modules.dedup();
    Ok(modules)
}

/// Refuses to take a master's host out of a cluster: the cluster would stop working, and
/// the workers with it.
pub fn check_removable(state: &State, name: &str, hosts: &[String]) -> Res<()> {
    let all = clusters(state);
    let Some(c) = all.get(name) else { return Ok(()) };
    let masters = c.masters();
    match hosts.iter().find(|h| masters.contains(&h.as_str())) {
        None => Ok(()),
        Some(h) => {
            let roles: Vec<String> = c
                .services
                .iter()
                .filter(|s| &s.host == h && s.label("role").is_some_and(is_master_role))
                .map(|s| format!("{} ({})", s.label("role").unwrap_or_default(), s.addr))
                .collect();
            Err(Diagnostic::error(format!("{h} is a master host of cluster {name:?}"))
                .with_detail(format!(
                    "It runs {}. Removing it would stop the cluster; move that role to another host in the spec first (the module's master, namenode or resourcemanager argument), or remove the whole cluster with cluster kill.",
                    roles.join(", ")
                ))
                .into())
        }
    }
}

/// `-target` addresses of a cluster's services.
pub fn service_targets(state: &State, name: &str) -> Res<Vec<String>> {
    let all = clusters(state);
    let c = find(&all, name)?;
    Ok(c.services.iter().map(|s| s.addr.to_string()).collect())
}
