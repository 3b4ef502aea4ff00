//! `meshform cluster ...`: commands on a cluster as the state records it. A cluster is a
//! root module instance (`module.spark`, `module.etl["a"]`) holding `host_*` resources;
//! its hosts are the distinct `connection`s of those resources.

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
    /// `host_service` instances: address, host name, pid.
    services: Vec<(ResourceInstanceAddr, String, Option<i64>)>,
}

/// The cluster a state address belongs to: its root module instance.
fn cluster_name(addr: &ResourceInstanceAddr) -> Option<String> {
    let step = addr.module.0.first()?;
    Some(format!("{}{}", step.name, step.key))
}

fn clusters(state: &State) -> BTreeMap<String, Cluster> {
    let mut out: BTreeMap<String, Cluster> = BTreeMap::new();
    for (addr, inst) in &state.resources {
        if !addr.resource.type_name.starts_with("host_") {
            continue;
        }
        let Some(name) = cluster_name(addr) else { continue };
        let Ok(t) = Transport::from_connection(&inst.value.get_attr("connection").cloned().unwrap_or(Value::Null))
        else {
            continue;
        };
        let c =
            out.entry(name.clone()).or_insert_with(|| Cluster { name, hosts: BTreeMap::new(), services: Vec::new() });
        let host = t.host_name();
        if addr.resource.type_name == "host_service" {
            let pid = inst.value.get_attr("pid").and_then(Value::as_number).and_then(Number::to_i64);
            c.services.push((addr.clone(), host.clone(), pid));
        }
        c.hosts.entry(host).or_insert(t);
    }
    out
}

fn find<'a>(all: &'a BTreeMap<String, Cluster>, name: &str) -> Res<&'a Cluster> {
    all.get(name).ok_or_else(|| {
        let known: Vec<&str> = all.keys().map(String::as_str).collect();
        Diagnostic::error(format!("No cluster named {name:?}"))
            .with_detail(if known.is_empty() {
                "The state records no cluster: a cluster is a module holding host_* resources.".to_string()
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
                println!("No clusters: the state records no module with host_* resources.");
            }
            for c in all.values() {
                println!("{}\t{} host(s)\t{} service(s)", c.name, c.hosts.len(), c.services.len());
            }
            Ok(Outcome::Ok)
        }
        ClusterCommand::Info { name } => info(find(&all, &name)?).await,
        ClusterCommand::Run { name, command } => run_everywhere(find(&all, &name)?, &command.join(" ")).await,
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
        ClusterCommand::Get { name, remote, local } => {
            let c = find(&all, &name)?;
            let (h, path) = host_path(&remote)?;
            let out = host(c, h)?.run(&format!("cat {}", quote(path)), None).await.map_err(provider_error)?;
            std::fs::write(&local, &out.bytes).map_err(|e| Diagnostic::error(format!("cannot write {local}: {e}")))?;
            println!("{remote} -> {local} ({} bytes)", out.bytes.len());
            Ok(Outcome::Ok)
        }
        ClusterCommand::Put { name, local, remote } => {
            let c = find(&all, &name)?;
            let (h, path) = host_path(&remote)?;
            put(host(c, h)?, &local, path).await?;
            println!("{local} -> {remote}");
            Ok(Outcome::Ok)
        }
        ClusterCommand::Copy { name, local, remote } => {
            let c = find(&all, &name)?;
            for (h, t) in &c.hosts {
                put(t, &local, &remote).await?;
                println!("{local} -> {h}:{remote}");
            }
            Ok(Outcome::Ok)
        }
        ClusterCommand::Stop { .. } | ClusterCommand::Start { .. } | ClusterCommand::Kill { .. } => {
            Err(Diagnostic::error("internal error: handled by the caller").into())
        }
    }
}

async fn put(t: &Transport, local: &str, remote: &str) -> Res<()> {
    let bytes = std::fs::read(local).map_err(|e| Diagnostic::error(format!("cannot read {local}: {e}")))?;
    let dir = Path::new(remote).parent().map(|d| d.display().to_string()).filter(|d| !d.is_empty());
    let mkdir = dir.map(|d| format!("mkdir -p {} && ", quote(&d))).unwrap_or_default();
    t.run(&format!("{mkdir}cat > {}", quote(remote)), Some(&bytes)).await.map_err(provider_error)?;
    Ok(())
}

async fn info(c: &Cluster) -> Res<Outcome> {
    println!("cluster {}", c.name);
    println!("hosts:");
    for (h, t) in &c.hosts {
        println!("  {h}\t{}", t.describe());
    }
    if !c.services.is_empty() {
        println!("services:");
    }
    for (addr, h, pid) in &c.services {
        let health = match (pid, c.hosts.get(h)) {
            (Some(pid), Some(t)) => {
                match t.run(&format!("kill -0 {pid} 2>/dev/null && echo running || echo stopped"), None).await {
                    Ok(o) => o.stdout.trim().to_string(),
                    Err(e) => format!("unreachable ({})", e.message.lines().next().unwrap_or_default()),
                }
            }
            _ => "unknown".to_string(),
        };
        println!("  {addr}\ton {h}\tpid {}\t{health}", pid.map_or("-".into(), |p| p.to_string()));
    }
    Ok(Outcome::Ok)
}

/// Runs a command on every host at once; output lines are prefixed with the host.
async fn run_everywhere(c: &Cluster, command: &str) -> Res<Outcome> {
    let mut set = tokio::task::JoinSet::new();
    for (h, t) in &c.hosts {
        let (h, t, command) = (h.clone(), t.clone(), command.to_string());
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

/// The `-target` address that selects a whole cluster.
pub fn target(state: &State, name: &str) -> Res<String> {
    let all = clusters(state);
    let c = find(&all, name)?;
    let module = state
        .resources
        .keys()
        .find(|a| cluster_name(a).as_deref() == Some(c.name.as_str()))
        .map(|a| ModuleInstance(a.module.0[..1].to_vec()).to_string())
        .unwrap_or_default();
    Ok(module)
}

/// `-target` addresses of a cluster's services.
pub fn service_targets(state: &State, name: &str) -> Res<Vec<String>> {
    let all = clusters(state);
    let c = find(&all, name)?;
    Ok(c.services.iter().map(|(a, _, _)| a.to_string()).collect())
}
