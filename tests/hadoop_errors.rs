//! The hadoop module's bad input against the real thing: a Maven mirror that does not
//! answer, a tarball whose SHA-512 does not match, a port another process holds, and a
//! NodeManager offered more memory than its host has. Each fails with an error naming the
//! host and the role (the resource address, and Maven's or the system's own words), exits
//! non-zero, and leaves nothing recorded as running that is not. Skipped with a notice
//! where java or mvn is missing.

mod common;

use std::path::Path;

use common::{Workspace, hadoop, spark};

const MASTER: &str = "127.0.1.41";
const WORKER: &str = "127.0.1.42";

fn workspace() -> Workspace {
    let ws = Workspace::new();
    spark::copy_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("modules/hadoop"), &ws.path().join("modules/hadoop"));
    ws
}

/// The hadoop module on MASTER and WORKER, with `extra` lines in the module block.
fn spec(ws: &Workspace, extra: &str) -> String {
    hadoop::module(&[MASTER, WORKER], &ws.path().join("work"), true, "{}").replacen(
        "  install       = \"maven\"\n",
        &format!("  install       = \"maven\"\n{extra}\n"),
        1,
    )
}

/// Every host_service the state records, and whether its process is alive.
fn recorded_services(ws: &Workspace) -> Vec<(u64, bool)> {
    common::service_pids(ws).into_iter().map(|p| (p, common::alive(p))).collect()
}

#[test]
fn a_maven_mirror_that_does_not_answer_is_named_with_mavens_error() {
    if !hadoop::prerequisites() {
        return;
    }
    let ws = workspace();
    let repo = ws.path().join("empty-m2");
    let mut text = spec(
        &ws,
        &format!(
            "  maven_repository = \"http://127.0.0.1:9/maven2\"\n  maven_local_repository = \"{}\"",
            repo.display()
        ),
    );
    text = text.replace(&hadoop::install_dir().display().to_string(), &ws.path().join("install").display().to_string());
    ws.write("main.tf", &text);
    let _cleanup = common::DestroyOnDrop(&ws);
    let r = ws.run(&["apply", "-auto-approve"]);
    let err = common::one_line(&r.stderr);
    assert_eq!(r.code, 1, "{}", r.stdout);
    for want in [
        format!("module.hadoop.host_command.install[\"{MASTER}\"]"),
        "resolving Hadoop".to_string(),
        "from http://127.0.0.1:9/maven2 failed".to_string(),
        "Connection refused".to_string(),
    ] {
        assert!(err.contains(&want), "{want:?} missing from:\n{}", r.stderr);
    }
    assert!(recorded_services(&ws).is_empty(), "services recorded: {:?}", recorded_services(&ws));
    assert!(
        !ws.path().join("install").join(format!("hadoop-{}", hadoop::version())).exists(),
        "a failed install is not left as installed"
    );
}

#[test]
fn a_tarball_that_does_not_match_its_checksum_is_refused() {
    let ws = workspace();
    ws.write("hadoop.tgz", "not really a tarball");
    let url = format!("file://{}", ws.path().join("hadoop.tgz").display());
    let mut text = spec(&ws, &format!("  tarball_url = \"{url}\"\n  tarball_sha512 = \"{}\"", "ab".repeat(64)));
    text = text.replace("install       = \"maven\"", "install       = \"tarball\"");
    text = text.replace(&hadoop::install_dir().display().to_string(), &ws.path().join("install").display().to_string());
    ws.write("main.tf", &text);
    let _cleanup = common::DestroyOnDrop(&ws);
    let r = ws.run(&["apply", "-auto-approve"]);
    let err = common::one_line(&r.stderr);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(err.contains(&format!("module.hadoop.host_command.install[\"{WORKER}\"]")), "{}", r.stderr);
    assert!(err.contains(&format!("the download of {url} does not match tarball_sha512: refused")), "{}", r.stderr);
    assert!(recorded_services(&ws).is_empty());
    assert!(!ws.path().join("install/hadoop").exists(), "nothing unpacked");
}

#[test]
fn a_port_another_process_holds_fails_that_daemon_before_it_starts() {
    if !hadoop::prerequisites() {
        return;
    }
    let ws = workspace();
    // Something else answers on the namenode's RPC port.
    let squatter = std::net::TcpListener::bind((MASTER, 9000)).expect("bind");
    // Without a namenode the datanode never registers: it is given 20 s to.
    ws.write("main.tf", &spec(&ws, "  start_timeout = 20"));
    let _cleanup = common::DestroyOnDrop(&ws);
    let r = ws.run(&["apply", "-auto-approve"]);
    let err = common::one_line(&r.stderr);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(err.contains(&format!("module.hadoop.host_service.daemon[\"namenode@{MASTER}\"]")), "{}", r.stderr);
    assert!(
        err.contains(&format!("{MASTER}:9000 is already in use on this machine, so the service was not started")),
        "{}",
        r.stderr
    );
    // Whatever the state records as running is running; neither the namenode nor the
    // datanode that could not register with it is recorded.
    let addrs = ws.addresses();
    assert!(!addrs.iter().any(|a| a.contains("namenode@") || a.contains("datanode@")), "{addrs:?}");
    assert!(err.contains(&format!("module.hadoop.host_service.daemon[\"datanode@{WORKER}\"]")), "{}", r.stderr);
    assert!(
        err.contains("started, but its ready_command did not succeed within 20s, so it was stopped"),
        "{}",
        r.stderr
    );
    assert!(recorded_services(&ws).iter().all(|(_, alive)| *alive), "{:?}", recorded_services(&ws));
    drop(squatter);
}

#[test]
fn a_nodemanager_offered_more_memory_than_its_host_has_is_refused_at_plan() {
    if !hadoop::prerequisites() {
        return;
    }
    let ws = workspace();
    let text = spec(&ws, "").replace(
        "\"yarn.nodemanager.resource.memory-mb\"                                       = \"3072\"",
        "\"yarn.nodemanager.resource.memory-mb\" = \"99999999\"",
    );
    ws.write("main.tf", &text);
    let r = ws.run(&["plan"]);
    let err = common::one_line(&r.stderr);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(err.contains(&format!("with module.hadoop.host_service.daemon[\"nodemanager@{WORKER}\"]")), "{}", r.stderr);
    assert!(
        err.contains(&format!("The NodeManager on {WORKER} would offer 99999999 MB to containers")),
        "{}",
        r.stderr
    );
    assert!(ws.addresses().is_empty());
}
