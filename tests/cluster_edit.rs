//! `cluster create|add|remove`: a Spark cluster made from an empty directory by one
//! command, its spec file grown and shrunk by one host with format-preserving edits (each
//! a one-line diff; the user's comments and spacing stay), the plan touching only that
//! host's resources and the master's workers file, and `cluster kill` leaving no process;
//! once on this machine (`-p local`) and once over the test sshd (`-p ssh`). Real Spark
//! from the pyspark package; skipped with a notice where python3, java or sshd is missing.

mod common;

use common::ssh::SshHosts;
use common::{Workspace, spark};

/// Spark's ports here, apart from the other Spark tests'.
struct Ports {
    master: u16,
    ui: u16,
    worker: u16,
    worker_ui: u16,
}

fn port_settings(p: &Ports) -> Vec<String> {
    vec![
        format!("master_port={}", p.master),
        format!("master_webui_port={}", p.ui),
        format!("worker_port_base={}", p.worker),
        format!("worker_webui_port_base={}", p.worker_ui),
    ]
}

/// The lines of `after` that differ from `before`, as (before, after) pairs; both files
/// must have as many lines.
fn changed_lines(before: &str, after: &str) -> Vec<(String, String)> {
    assert_eq!(before.lines().count(), after.lines().count(), "lines were added or removed:\n{after}");
    before.lines().zip(after.lines()).filter(|(a, b)| a != b).map(|(a, b)| (a.to_string(), b.to_string())).collect()
}

/// The addresses a plan's text says it creates, updates and destroys.
fn planned(stdout: &str) -> (Vec<String>, Vec<String>, Vec<String>) {
    let pick = |what: &str| -> Vec<String> {
        stdout.lines().filter_map(|l| l.trim().strip_prefix("# ")?.strip_suffix(what).map(str::to_string)).collect()
    };
    (pick(" will be created"), pick(" will be updated in-place"), pick(" will be destroyed"))
}

/// Creates, grows, shrinks and kills cluster `demo` on `hosts` (the first the master),
/// growing by `extra`; `create_flags` are the provider's flags.
fn lifecycle(
    ws: &Workspace,
    provider: &str,
    create_flags: &[String],
    hosts: &str,
    master: &str,
    extra: &str,
    p: &Ports,
) {
    let install = spark::install_dir();
    let mut args: Vec<String> = ["cluster", "create", "-n", "demo", "-p", provider, "-service", "spark"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.extend(create_flags.iter().cloned());
    for s in port_settings(p).into_iter().chain([format!("install_dir={}", install.display())]) {
        args.extend(["-set".to_string(), s]);
    }
    args.extend([hosts.to_string(), "-auto-approve".to_string()]);
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let create = ws.run(&argv);
    create.ok();
    assert!(create.stdout.contains("Apply complete! Resources: 13 added"), "{}", create.stdout);
    assert_eq!(spark::wait_alive_workers(master, p.ui, 2), 2, "2 ALIVE workers after create");
    let spec = ws.path().join("demo.hcl");
    let written = std::fs::read_to_string(&spec).expect("demo.hcl");
    assert!(written.contains(&format!("hostlist(\"{hosts}\")")), "{written}");
    assert_eq!(ws.run(&["fmt", "-check", "demo.hcl"]).code, 0, "the written spec is formatted:\n{written}");

    // The user's own comment and spacing in the file survive every edit.
    let edited_by_hand = written.replacen("module \"demo\" {", "module \"demo\" {   # ours, not meshform's", 1);
    std::fs::write(&spec, &edited_by_hand).expect("write");

    // Saying no changes nothing.
    let declined = ws.run_with_stdin(&["cluster", "add", "-n", "demo", extra], "no\n");
    assert_eq!(declined.code, 1, "{}", declined.stdout);
    assert!(declined.stderr.contains("Nothing was applied, so demo.hcl is as it was before."), "{}", declined.stderr);
    assert_eq!(std::fs::read_to_string(&spec).expect("spec"), edited_by_hand);

    let add = ws.run(&["cluster", "add", "-n", "demo", extra, "-auto-approve"]);
    add.ok();
    let grown = std::fs::read_to_string(&spec).expect("spec");
    let diff = changed_lines(&edited_by_hand, &grown);
    assert_eq!(diff.len(), 1, "one line changes: {diff:?}");
    assert!(diff[0].1.contains("hostlist(") && !diff[0].0.contains(extra) && !diff[0].1.is_empty(), "{diff:?}");
    assert!(grown.contains("# ours, not meshform's"));
    let (created, updated, destroyed) = planned(&add.stdout);
    assert_eq!(created.len(), 4, "{created:?}");
    assert!(created.iter().all(|a| a.ends_with(&format!("[\"{extra}\"]"))), "only the new host's: {created:?}");
    assert_eq!(updated, ["module.demo.host_file.workers"]);
    assert!(destroyed.is_empty(), "{destroyed:?}");
    assert_eq!(spark::wait_alive_workers(master, p.ui, 3), 3, "3 ALIVE workers after add");

    // The master stays: removing it is refused, and nothing is touched.
    let refused = ws.run(&["cluster", "remove", "-n", "demo", master, "-auto-approve"]);
    assert_eq!(refused.code, 1);
    assert!(
        common::one_line(&refused.stderr).contains(&format!("{master} is a master host of cluster \"demo\"")),
        "{}",
        refused.stderr
    );
    assert_eq!(std::fs::read_to_string(&spec).expect("spec"), grown);

    let remove = ws.run(&["cluster", "remove", "-n", "demo", extra, "-auto-approve"]);
    remove.ok();
    assert_eq!(std::fs::read_to_string(&spec).expect("spec"), edited_by_hand, "back to the file as it was");
    let (created, updated, destroyed) = planned(&remove.stdout);
    assert!(created.is_empty(), "{created:?}");
    assert_eq!(updated, ["module.demo.host_file.workers"]);
    assert_eq!(destroyed.len(), 4, "{destroyed:?}");
    assert_eq!(spark::wait_alive_workers(master, p.ui, 2), 2, "2 ALIVE workers after remove");

    let pids = common::service_pids(ws);
    assert_eq!(pids.len(), 3);
    ws.run(&["cluster", "kill", "-n", "demo", "-auto-approve"]).ok();
    assert!(ws.addresses().is_empty());
    for pid in pids {
        assert!(!common::alive(pid), "process {pid} is still running");
    }
    assert_eq!(spark::spark_processes(&ws.path().display().to_string()), 0, "Spark processes left");
    assert!(!common::listening(master, p.master), "the master's port still answers");
}

#[test]
fn a_local_cluster_is_created_grown_shrunk_and_killed_by_commands() {
    if !spark::prerequisites() {
        return;
    }
    let ws = Workspace::new();
    let _cleanup = common::DestroyOnDrop(&ws);
    let ports = Ports { master: 27377, ui: 28380, worker: 27378, worker_ui: 28381 };
    lifecycle(&ws, "local", &[], "127.0.1.[71-73]", "127.0.1.71", "127.0.1.74", &ports);
}

#[test]
fn an_ssh_cluster_is_created_grown_shrunk_and_killed_by_commands() {
    if !spark::prerequisites() {
        return;
    }
    let Some(hosts) = SshHosts::start(4) else { return };
    let ws = Workspace::new();
    let _cleanup = common::DestroyOnDrop(&ws);
    let mut flags = vec![
        "-user".to_string(),
        common::ssh::user(),
        "-private-key".into(),
        hosts.key().display().to_string(),
        "-known-hosts".into(),
        hosts.known_hosts().display().to_string(),
        "-set".into(),
        format!("work_dir={}", ws.path().join("work").display()),
    ];
    // Every sshd listens on a port of its own; the fourth host is in the map before it
    // joins, as it would be in a team's SSH settings.
    for (addr, port) in &hosts.hosts {
        flags.extend(["-port".to_string(), format!("{addr}={port}")]);
    }
    let ports = Ports { master: 27477, ui: 28480, worker: 27478, worker_ui: 28481 };
    let first = &hosts.hosts[0].0;
    lifecycle(&ws, "ssh", &flags, "127.0.1.[2-4]", first, &hosts.hosts[3].0, &ports);
    let spec = std::fs::read_to_string(ws.path().join("demo.hcl")).expect("spec");
    assert!(spec.contains("type             = \"ssh\""), "{spec}");
}

#[test]
fn what_the_commands_cannot_do_they_refuse_and_leave_the_directory_alone() {
    let ws = Workspace::new();
    // A host list that is an expression: the error names the line to change.
    let spec = "variable \"n\" {\n  default = 3\n}\n\nmodule \"demo\" {\n  source = \"./m\"\n  hosts  = hostlist(\"127.0.1.[1-${var.n}]\")\n}\n";
    ws.write("main.tf", spec).write("m/main.tf", "variable \"hosts\" {}\n");
    let r = ws.run(&["cluster", "add", "-n", "demo", "127.0.1.9"]);
    assert_eq!(r.code, 1);
    let err = common::one_line(&r.stderr);
    assert!(err.contains("The host list of cluster \"demo\" is not one this command can edit"), "{err}");
    assert!(err.contains("Change line 7 of"), "{err}");
    assert_eq!(std::fs::read_to_string(ws.path().join("main.tf")).expect("spec"), spec);

    // create refuses a name that is taken, and a bad host list, writing nothing.
    let r = ws.run(&["cluster", "create", "-n", "demo", "-p", "local", "h[1-2]"]);
    assert_eq!(r.code, 1);
    assert!(common::one_line(&r.stderr).contains("Cluster \"demo\" is declared already"), "{}", r.stderr);
    let r = ws.run(&["cluster", "create", "-n", "other", "-p", "local", "h[2-1]"]);
    assert!(common::one_line(&r.stderr).contains("Invalid host list"), "{}", r.stderr);
    assert!(!ws.path().join("other.hcl").exists());

    // A spec whose plan fails (an argument of the wrong type) is taken back.
    let r = ws.run(&[
        "cluster",
        "create",
        "-n",
        "one",
        "-p",
        "local",
        "-service",
        "hadoop",
        "-set",
        "hosts=[]",
        "127.0.1.1",
        "-auto-approve",
    ]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stderr.contains("Nothing was applied, so one.hcl is as it was before."), "{}", r.stderr);
    assert!(!ws.path().join("one.hcl").exists());

    // Spark and Hadoop together are layers of one cluster, planned without applying.
    let both = Workspace::new();
    let r = both.run(&[
        "cluster",
        "create",
        "-n",
        "data",
        "-p",
        "local",
        "-service",
        "spark,hadoop",
        "127.0.1.[1-3]",
        "-plan-only",
    ]);
    r.ok();
    let text = std::fs::read_to_string(both.path().join("data.hcl")).expect("spec");
    assert!(text.contains("module \"data_hadoop\"") && text.contains("module \"data_spark\""), "{text}");
    let (created, _, _) = planned(&r.stdout);
    assert!(created.iter().any(|a| a.starts_with("module.data_hadoop.")), "{created:?}");
    assert!(created.iter().any(|a| a.starts_with("module.data_spark.")), "{created:?}");
    assert!(!both.state_path().exists() || both.addresses().is_empty(), "a plan applies nothing");
    // Both host lists grow together.
    let r = both.run(&["cluster", "add", "-n", "data", "127.0.1.4", "-plan-only"]);
    r.ok();
    let grown = std::fs::read_to_string(both.path().join("data.hcl")).expect("spec");
    let diff = changed_lines(&text, &grown);
    assert_eq!(diff.len(), 2, "{diff:?}");
    assert!(diff.iter().all(|(_, b)| b.contains("hostlist(\"127.0.1.[1-4]\")")), "{diff:?}");
}
