//! `cluster create|add|remove`: imperative commands that leave a declarative spec behind.
//! `create` writes NAME.hcl (a module call per layer, formatted as `meshform fmt` would);
//! `add` and `remove` rewrite only the host list in it. Each then plans and applies as
//! `meshform apply` does, and when nothing was applied (the plan failed, or the answer
//! was no) the directory is put back as it was.

use std::path::{Path, PathBuf};

use meshform_engine::config::edit::{self, HostChange, quoted};
use meshform_engine::diag::{Diagnostic, Diagnostics};

use crate::args::CreateArgs;

type Res<T> = Result<T, Diagnostics>;

/// Where a cluster's hosts come from.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Provider {
    /// This machine, under several loopback names.
    Local,
    /// Existing hosts reached over SSH.
    Ssh,
    /// EC2 instances the aws-cluster module makes.
    Aws,
}

impl Provider {
    fn parse(s: &str) -> Res<Provider> {
        match s {
            "local" => Ok(Provider::Local),
            "ssh" => Ok(Provider::Ssh),
            "aws" => Ok(Provider::Aws),
            "azure" | "openstack" => Err(Diagnostic::error(format!("-p {s}: meshform ships no {s} cluster module"))
                .with_detail("cluster create makes clusters with -p local, -p ssh (existing hosts) and -p aws.")
                .into()),
            other => Err(Diagnostic::error(format!("-p {other:?} is not a provider cluster create knows"))
                .with_help("use -p local, -p ssh or -p aws")
                .into()),
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Provider::Local => "hosts on this machine",
            Provider::Ssh => "hosts reached over SSH",
            Provider::Aws => "EC2 instances",
        }
    }
}

/// What runs on a cluster, in the order the layers are written.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Service {
    Hadoop,
    Spark,
}

impl Service {
    fn layer(self) -> &'static str {
        match self {
            Service::Hadoop => "hadoop",
            Service::Spark => "spark",
        }
    }
}

fn services(s: &str) -> Res<Vec<Service>> {
    let mut out = Vec::new();
    for part in s.split(',').map(str::trim) {
        let svc = match part {
            "spark" => Service::Spark,
            "hadoop" => Service::Hadoop,
            other => {
                return Err(Diagnostic::error(format!("-service {other:?} is not a service cluster create knows"))
                    .with_help("use -service spark, -service hadoop or -service spark,hadoop")
                    .into());
            }
        };
        if !out.contains(&svc) {
            out.push(svc);
        }
    }
    out.sort_by_key(|s| *s as u8);
    Ok(out)
}

/// A cluster name is a module name: a letter, then letters, digits, `_` and `-`.
fn check_name(name: &str) -> Res<()> {
    let ok = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ok {
        Ok(())
    } else {
        Err(Diagnostic::error(format!("{name:?} is not a cluster name"))
            .with_detail("A cluster is named as a module is: a letter, then letters, digits, \"_\" and \"-\".")
            .into())
    }
}

/// One `-set [LAYER.]NAME=VALUE`.
struct Setting {
    layer: Option<String>,
    name: String,
    value: String,
}

fn settings(list: &[String]) -> Res<Vec<Setting>> {
    list.iter()
        .map(|s| {
            let bad = || {
                Diagnostic::error(format!("-set {s:?} is not [LAYER.]NAME=VALUE"))
                    .with_help("e.g. -set worker_memory=2g or -set spark.master_port=7177")
            };
            let (key, value) = s.split_once('=').ok_or_else(bad)?;
            let (layer, name) = match key.split_once('.') {
                Some((l, n)) => (Some(l.to_string()), n),
                None => (None, key),
            };
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(bad().into());
            }
            let literal = value.parse::<f64>().is_ok_and(f64::is_finite) || value == "true" || value == "false";
            let value = if literal { value.to_string() } else { quoted(value) };
            Ok(Setting { layer, name: name.to_string(), value })
        })
        .collect()
}

/// A block of the spec being written: its header and `name = value` lines, values as HCL.
struct Block {
    header: String,
    /// The layer it is for (`hosts`, `spark`, `hadoop`), as `-set LAYER.NAME` names it.
    layer: &'static str,
    attrs: Vec<(String, String)>,
}

impl Block {
    fn module(name: &str, layer: &'static str, source: &str) -> Block {
        Block { header: format!("module {}", quoted(name)), layer, attrs: vec![("source".into(), quoted(source))] }
    }

    fn set(&mut self, name: &str, value: String) {
        match self.attrs.iter_mut().find(|(n, _)| n == name) {
            Some(a) => a.1 = value,
            None => self.attrs.push((name.to_string(), value)),
        }
    }

    fn text(&self) -> String {
        let mut s = format!("{} {{\n", self.header);
        for (n, v) in &self.attrs {
            s.push_str(&format!("  {n} = {v}\n"));
        }
        s.push_str("}\n");
        s
    }
}

/// The SSH connection object the service modules take.
fn connection(a: &CreateArgs) -> Res<String> {
    let mut fields = vec![("type".to_string(), quoted("ssh"))];
    if let Some(u) = &a.user {
        fields.push(("user".into(), quoted(u)));
    }
    let mut ports = Vec::new();
    for p in &a.port {
        let (host, port) = match p.split_once('=') {
            Some((h, n)) => (Some(h), n),
            None => (None, p.as_str()),
        };
        let n: u16 = port.parse().map_err(|_| {
            Diagnostic::error(format!("-port {p:?} is not a port"))
                .with_help("give -port 2222, or -port HOST=2222 for one host")
        })?;
        match host {
            Some(h) => ports.push(format!("{} = {n}", quoted(h))),
            None => fields.push(("port".into(), n.to_string())),
        }
    }
    if !ports.is_empty() {
        fields.push(("ports".into(), format!("{{ {} }}", ports.join(", "))));
    }
    if let Some(k) = &a.private_key {
        fields.push(("private_key_file".into(), quoted(k)));
    }
    if let Some(k) = &a.known_hosts {
        fields.push(("known_hosts_file".into(), quoted(k)));
    }
    let lines: Vec<String> = fields.iter().map(|(n, v)| format!("    {n} = {v}")).collect();
    Ok(format!("{{\n{}\n  }}", lines.join("\n")))
}

/// The text of NAME.hcl.
fn spec_text(a: &CreateArgs) -> Res<String> {
    check_name(&a.name)?;
    let provider = Provider::parse(&a.provider)?;
    let services = services(&a.service)?;
    let hosts = meshform_engine::eval::functions::hostlist::expand(&a.hosts)
        .map_err(|e| Diagnostic::error(format!("Invalid host list {:?}", a.hosts)).with_detail(e))?;
    if services.contains(&Service::Spark) && hosts.len() < 2 {
        return Err(Diagnostic::error(format!("A Spark cluster needs two hosts or more; {:?} is one", a.hosts))
            .with_detail("The first host runs the master, every other host a worker.")
            .into());
    }
    let name = &a.name;
    let layered = services.len() > 1 || provider == Provider::Aws;
    let module_name = |layer: &str| if layered { format!("{name}_{layer}") } else { name.clone() };
    let mut blocks = Vec::new();
    let (hosts_expr, connection) = match provider {
        Provider::Aws => {
            let key = a.private_key.clone().unwrap_or_else(|| "~/.ssh/id_ed25519".into());
            let mut b = Block::module(&module_name("hosts"), "hosts", "meshform/aws-cluster");
            b.set("name", quoted(name));
            b.set("hostlist", quoted(&a.hosts));
            b.set("ssh_public_key", format!("file(pathexpand({}))", quoted(&format!("{key}.pub"))));
            b.set("private_key_file", format!("pathexpand({})", quoted(&key)));
            blocks.push(b);
            let hosts = module_name("hosts");
            (format!("module.{hosts}.hosts"), Some(format!("module.{hosts}.connection")))
        }
        Provider::Ssh => (format!("hostlist({})", quoted(&a.hosts)), Some(connection(a)?)),
        Provider::Local => (format!("hostlist({})", quoted(&a.hosts)), None),
    };
    for svc in &services {
        let (source, layer) = match svc {
            Service::Spark => ("meshform/spark-standalone", "spark"),
            Service::Hadoop => ("meshform/hadoop", "hadoop"),
        };
        let mut b = Block::module(&module_name(layer), layer, source);
        b.set("hosts", hosts_expr.clone());
        if let Some(c) = &connection {
            b.set("connection", c.clone());
        }
        let work = if services.len() > 1 { format!("{name}/{layer}") } else { name.clone() };
        match provider {
            Provider::Local => {
                b.set("install_dir", format!("abspath(\"${{path.root}}/.meshform/{layer}\")"));
                b.set("work_dir", format!("abspath(\"${{path.root}}/.meshform/clusters/{work}\")"));
            }
            Provider::Ssh | Provider::Aws => b.set("work_dir", quoted(&format!("/opt/meshform/clusters/{work}"))),
        }
        if *svc == Service::Hadoop {
            b.set("install", quoted("maven"));
            if provider == Provider::Local {
                // The workers share this machine: their ports must differ.
                b.set("port_step", "100".into());
            }
        }
        blocks.push(b);
    }
    for s in settings(&a.set)? {
        let layer = match (&s.layer, blocks.len()) {
            (Some(l), _) => l.clone(),
            (None, 1) => services[0].layer().to_string(),
            (None, _) => {
                let layers: Vec<String> = blocks.iter().map(|b| b.layer.to_string()).collect();
                return Err(Diagnostic::error(format!("-set {}: say which module it is for", s.name))
                    .with_help(format!("write LAYER.{}=..., LAYER one of {}", s.name, layers.join(", ")))
                    .into());
            }
        };
        let block = blocks
            .iter_mut()
            .find(|b| b.layer == layer)
            .ok_or_else(|| Diagnostic::error(format!("-set {layer}.{}: the cluster has no {layer} module", s.name)))?;
        block.set(&s.name, s.value);
    }
    let mut text = format!(
        "# Cluster {name:?}: {} on {} ({}).\n# Written by `meshform cluster create`; `meshform cluster add|remove -n {name} HOST`\n# edit its host list. It is a spec like any other: review it, change it, keep it in git.\n",
        services.iter().map(|s| s.layer()).collect::<Vec<_>>().join(" and "),
        a.hosts,
        provider.describe(),
    );
    for b in &blocks {
        text.push('\n');
        text.push_str(&b.text());
    }
    Ok(meshform_engine::config::format::format_source(&text))
}

/// A written spec file and what it held before, to put back when nothing was applied.
pub struct Written {
    path: PathBuf,
    before: Option<String>,
}

impl Written {
    /// Puts the directory back as it was.
    pub fn undo(&self) {
        let _ = match &self.before {
            Some(text) => write_atomically(&self.path, text),
            None => std::fs::remove_file(&self.path).map_err(|e| e.to_string()),
        };
    }

    /// The file's name, as messages show it.
    pub fn name(&self) -> String {
        self.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
    }
}

fn write_atomically(path: &Path, text: &str) -> Result<(), String> {
    let tmp = path.with_extension("hcl.tmp");
    std::fs::write(&tmp, text)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Writes NAME.hcl into `dir` for `cluster create`; refuses when the file or a module
/// call of that cluster exists already.
pub fn create(dir: &Path, a: &CreateArgs, sources: &meshform_engine::diag::SourceMap) -> Res<Written> {
    let text = spec_text(a)?;
    let path = dir.join(format!("{}.hcl", a.name));
    if path.exists() {
        return Err(Diagnostic::error(format!("{} exists already", path.display()))
            .with_detail(format!(
                "cluster create writes a new file. To change cluster {:?}, edit that file, or use cluster add|remove.",
                a.name
            ))
            .into());
    }
    if let Some((module, span)) = edit::cluster_modules(dir, &a.name, sources)?.into_iter().next() {
        return Err(Diagnostic::error(format!("Cluster {:?} is declared already", a.name))
            .with_detail(format!("module.{module} belongs to it; choose another name, or use cluster add|remove."))
            .with_span(span)
            .into());
    }
    write_atomically(&path, &text).map_err(Diagnostic::error)?;
    println!("Wrote {}:\n", path.display());
    for line in text.lines() {
        println!("    {line}");
    }
    println!();
    Ok(Written { path, before: None })
}

/// Rewrites the host lists of cluster `name` for `cluster add` or `cluster remove`,
/// showing each changed line.
pub fn edit_hosts(
    dir: &Path,
    name: &str,
    change: HostChange<'_>,
    sources: &meshform_engine::diag::SourceMap,
) -> Res<Vec<Written>> {
    let edits = edit::edit_host_lists(dir, name, change, sources)?;
    let mut written = Vec::new();
    for e in edits {
        for h in &e.edits {
            println!(
                "{}:{}: module.{} hosts: {} -> {}",
                e.path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default(),
                h.line,
                h.module,
                edit::pattern(&h.before),
                edit::pattern(&h.after)
            );
        }
        if let Err(m) = write_atomically(&e.path, &e.new_text) {
            written.iter().for_each(Written::undo);
            return Err(Diagnostic::error(m).into());
        }
        written.push(Written { path: e.path, before: Some(e.old_text) });
    }
    println!();
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(provider: &str, service: &str, hosts: &str) -> CreateArgs {
        CreateArgs {
            name: "demo".into(),
            hosts: hosts.into(),
            provider: provider.into(),
            service: service.into(),
            user: None,
            port: vec![],
            private_key: None,
            known_hosts: None,
            set: vec![],
            plan_only: false,
            auto_approve: false,
        }
    }

    #[test]
    fn a_local_spark_cluster_is_one_module_call() {
        let text = spec_text(&args("local", "spark", "127.0.1.[1-3]")).unwrap();
        assert!(text.contains("module \"demo\" {\n  source      = \"meshform/spark-standalone\"\n  hosts       = hostlist(\"127.0.1.[1-3]\")\n"), "{text}");
        assert_eq!(meshform_engine::config::format::format_source(&text), text);
    }

    #[test]
    fn layers_are_named_after_the_cluster() {
        let mut a = args("ssh", "hadoop,spark", "node[01-04]");
        a.user = Some("ops".into());
        a.port = vec!["node01=2201".into(), "2222".into()];
        a.set = vec!["spark.worker_memory=2g".into(), "hadoop.replication=2".into()];
        let text = spec_text(&a).unwrap();
        assert!(text.find("module \"demo_hadoop\"") < text.find("module \"demo_spark\""), "{text}");
        assert!(text.contains("ports = { \"node01\" = 2201 }"), "{text}");
        assert!(text.contains("worker_memory = \"2g\""), "{text}");
        assert!(text.contains("replication = 2"), "{text}");
        let aws = spec_text(&args("aws", "spark", "spark[01-03]")).unwrap();
        assert!(aws.contains("hosts      = module.demo_hosts.hosts"), "{aws}");
    }

    #[test]
    fn bad_input_says_what_is_wrong() {
        let e = |a: CreateArgs| spec_text(&a).unwrap_err().0.remove(0).summary;
        assert!(e(args("azure", "spark", "h[1-2]")).contains("no azure cluster module"));
        assert!(e(args("gcp", "spark", "h[1-2]")).contains("not a provider"));
        assert!(e(args("local", "flink", "h[1-2]")).contains("not a service"));
        assert!(e(args("local", "spark", "h[2-1]")).contains("Invalid host list"));
        assert!(e(args("local", "spark", "h1")).contains("two hosts or more"));
        let mut a = args("local", "spark,hadoop", "h[1-2]");
        a.set = vec!["x=1".into()];
        assert!(e(a).contains("say which module"));
        let mut a = args("local", "spark", "h[1-2]");
        a.name = "9x".into();
        assert!(e(a).contains("not a cluster name"));
    }
}
