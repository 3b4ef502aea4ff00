//! Module sources other than local paths, in a spec outside this repository: the modules
//! shipped inside the binary (`meshform/spark-standalone`, applied for real: a Spark master
//! and a worker), a module from a git server (`git daemon` on loopback) at a tag, archives
//! (.tar.gz and .zip) from an HTTP server on loopback. `init` installs them under
//! `.meshform/modules/`; every other command refuses a module that is missing or whose
//! source changed since; `init -upgrade` takes a new tag; bad sources are clear errors.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use common::{Workspace, spark};

const MASTER: &str = "127.0.1.61";
const WORKER: &str = "127.0.1.62";

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(["-c", "user.email=ci@example.com", "-c", "user.name=ci", "-c", "init.defaultBranch=main"])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// A repository of modules with tags v1.0.0 and v2.0.0 (its `greet` module says which),
/// as a bare repository under `root` for git daemon to serve.
fn modules_repo(root: &Path) {
    let work = root.join("work");
    std::fs::create_dir_all(work.join("greet")).expect("dir");
    git(&work, &["init", "-q"]);
    for v in ["v1.0.0", "v2.0.0"] {
        std::fs::write(
            work.join("greet/main.tf"),
            format!(
                "variable \"who\" {{\n  type = string\n}}\n\noutput \"text\" {{\n  value = \"hello ${{var.who}} from {v}\"\n}}\n"
            ),
        )
        .expect("module");
        git(&work, &["add", "-A"]);
        git(&work, &["commit", "-q", "-m", v]);
        git(&work, &["tag", v]);
    }
    git(root, &["clone", "-q", "--bare", "work", "mods.git"]);
}

/// `git daemon` serving `root` on a free loopback port; killed on drop.
struct GitDaemon {
    child: Child,
    port: u16,
}

impl GitDaemon {
    fn start(root: &Path) -> GitDaemon {
        let port =
            std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("port");
        let child = Command::new("git")
            .arg("daemon")
            .arg("--reuseaddr")
            .arg("--export-all")
            .arg("--listen=127.0.0.1")
            .arg(format!("--port={port}"))
            .arg(format!("--base-path={}", root.display()))
            .arg(root)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("git daemon");
        let start = std::time::Instant::now();
        while !common::listening("127.0.0.1", port) && start.elapsed() < std::time::Duration::from_secs(20) {
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        GitDaemon { child, port }
    }
}

impl Drop for GitDaemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spec(git_port: u16, tag: &str, work: &Path) -> String {
    format!(
        r#"module "spark" {{
  source                 = "meshform/spark-standalone"
  hosts                  = ["{MASTER}", "{WORKER}"]
  install_dir            = "{install}"
  work_dir               = "{work}"
  master_port            = 27077
  master_webui_port      = 28080
  worker_port_base       = 27078
  worker_webui_port_base = 28081
}}

module "greet" {{
  source = "git::git://127.0.0.1:{git_port}/mods.git//greet?ref={tag}"
  who    = module.spark.master_url
}}

output "text" {{
  value = module.greet.text
}}
"#,
        install = spark::install_dir().display(),
        work = work.display(),
    )
}

#[test]
fn a_spec_outside_the_repository_uses_shipped_modules_and_git_tags() {
    if !spark::prerequisites() {
        return;
    }
    spark::ensure_pyspark();
    let ws = Workspace::new();
    let served = tempfile::tempdir().expect("tmp");
    modules_repo(served.path());
    let daemon = GitDaemon::start(served.path());
    let work = ws.path().join("work");
    ws.write("main.tf", &spec(daemon.port, "v1.0.0", &work));

    // Nothing is installed yet: every command but init says so, at the source.
    let r = ws.run(&["plan"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    let err = common::one_line(&r.stderr);
    assert!(err.contains("Module not installed"), "{}", r.stderr);
    assert!(err.contains("Module \"spark\" has source \"meshform/spark-standalone\""), "{}", r.stderr);
    assert!(err.contains("run \"meshform init\""), "{}", r.stderr);
    assert!(r.stderr.contains("main.tf:2:"), "the source line is pointed at: {}", r.stderr);

    let init = ws.run(&["init"]);
    init.ok();
    assert!(init.stdout.contains("Initializing modules..."), "{}", init.stdout);
    assert!(init.stdout.contains("- greet in .meshform/modules/greet/greet"), "{}", init.stdout);
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(ws.path().join(".meshform/modules/modules.json")).expect("manifest"),
    )
    .expect("json");
    let keys: Vec<&str> =
        manifest["Modules"].as_array().expect("modules").iter().filter_map(|m| m["Key"].as_str()).collect();
    assert_eq!(keys, ["greet", "spark"]);
    assert_eq!(
        std::fs::read_to_string(ws.path().join(".meshform/.gitignore")).map(|t| t.contains("\n*\n")).ok(),
        Some(true)
    );

    let _cleanup = common::DestroyOnDrop(&ws);
    ws.run(&["apply", "-auto-approve"]).ok();
    assert_eq!(ws.outputs()["text"], format!("hello spark://{MASTER}:27077 from v1.0.0"));
    assert_eq!(spark::wait_alive_workers(MASTER, 28080, 1), 1, "the shipped module's Spark runs");

    // A new tag: refused until init takes it, then only the git module's output changes.
    ws.write("main.tf", &spec(daemon.port, "v2.0.0", &work));
    let r = ws.run(&["plan"]);
    assert_eq!(r.code, 1);
    assert!(common::one_line(&r.stderr).contains("Module source has changed"), "{}", r.stderr);
    ws.run(&["init", "-upgrade"]).ok();
    let plan = ws.run(&["plan"]);
    plan.ok();
    assert!(plan.stdout.contains("Changes to Outputs"), "{}", plan.stdout);
    assert!(!plan.stdout.contains("will be "), "only the output changes: {}", plan.stdout);
    ws.run(&["apply", "-auto-approve"]).ok();
    assert_eq!(ws.outputs()["text"], format!("hello spark://{MASTER}:27077 from v2.0.0"));
    assert_eq!(ws.run(&["plan", "-detailed-exitcode"]).code, 0);

    // A tag that does not exist: git's own words, and the installed modules stay as they were.
    ws.write("main.tf", &spec(daemon.port, "v9.9.9", &work));
    let r = ws.run(&["init"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    let err = common::one_line(&r.stderr);
    assert!(err.contains("Failed to download module"), "{}", r.stderr);
    assert!(err.contains("git could not fetch v9.9.9 of git://127.0.0.1:"), "{}", r.stderr);
    assert!(err.contains("Remote branch v9.9.9 not found"), "{}", r.stderr);
    ws.write("main.tf", &spec(daemon.port, "v2.0.0", &work));
    assert_eq!(ws.run(&["plan", "-detailed-exitcode"]).code, 0, "the v2.0.0 install is still there");

    ws.run(&["destroy", "-auto-approve"]).ok();
    assert_eq!(spark::spark_processes(&work.display().to_string()), 0, "destroy leaves no Spark process");
}

/// An archive of a module printing `tag`: a .tar.gz (with a top directory) or a .zip.
fn archive(dir: &Path, name: &str, tag: &str) -> PathBuf {
    let src = dir.join(format!("src-{tag}"));
    std::fs::create_dir_all(src.join("pkg/net")).expect("dir");
    std::fs::write(
        src.join("pkg/net/main.tf"),
        format!("output \"cidr\" {{\n  value = cidrsubnet(\"10.0.0.0/16\", 8, 3)\n}}\n\noutput \"tag\" {{\n  value = \"{tag}\"\n}}\n"),
    )
    .expect("module");
    let out = dir.join(name);
    let ok = if name.ends_with(".zip") {
        Command::new("sh")
            .arg("-c")
            .arg(format!("cd {} && python3 -m zipfile -c {} pkg", src.display(), out.display()))
            .status()
    } else {
        Command::new("tar").arg("-czf").arg(&out).arg("-C").arg(&src).arg("pkg").status()
    };
    assert!(ok.is_ok_and(|s| s.success()), "making {name}");
    out
}

#[test]
fn archives_over_http_and_bad_sources_are_clear_errors() {
    let ws = Workspace::new();
    let served = tempfile::tempdir().expect("tmp");
    archive(served.path(), "net-1.0.tar.gz", "tgz");
    archive(served.path(), "net.zip", "zip");
    let http = common::FileServer::start(served.path().to_path_buf());
    ws.write(
        "main.tf",
        &format!(
            "module \"a\" {{\n  source = \"{}//pkg/net\"\n}}\n\nmodule \"b\" {{\n  source = \"{}//pkg/net\"\n}}\n\noutput \"o\" {{\n  value = [module.a.cidr, module.a.tag, module.b.tag]\n}}\n",
            http.url("net-1.0.tar.gz"),
            http.url("net.zip")
        ),
    );
    let init = ws.run(&["init"]);
    init.ok();
    assert!(init.stdout.contains("- a in .meshform/modules/a/pkg/net"), "{}", init.stdout);
    assert_eq!(http.hits(), 2);
    ws.run(&["apply", "-auto-approve"]).ok();
    assert_eq!(ws.outputs()["o"], serde_json::json!(["10.0.3.0/24", "tgz", "zip"]));
    // Installed once: a second init downloads nothing.
    ws.run(&["init"]).ok();
    assert_eq!(http.hits(), 2);

    // What cannot be fetched says why, at the source.
    for (source, want) in [
        (http.url("gone.tar.gz"), "The requested URL returned error: 404".to_string()),
        ("hashicorp/consul/aws".to_string(), "is a module registry address".to_string()),
        ("meshform/no-such-module".to_string(), "meshform ships no module \"no-such-module\"; it ships".to_string()),
        ("s3::https://bucket.example.com/m.zip".to_string(), "asks for the \"s3\" getter".to_string()),
        (format!("{}//no/dir", http.url("net.zip")), "the package has no directory".to_string()),
    ] {
        ws.write("main.tf", &format!("module \"m\" {{\n  source = \"{source}\"\n}}\n"));
        let r = ws.run(&["init"]);
        assert_eq!(r.code, 1, "{source}: {}", r.stdout);
        assert!(common::one_line(&r.stderr).contains(&want), "{source}: {want:?} missing from {}", r.stderr);
        assert!(r.stderr.contains("main.tf:2:"), "{source}: the source line is pointed at: {}", r.stderr);
    }
}
