//! The spark-standalone module's tarball install, with real curl, sha512sum and tar: the
//! download is checked against its SHA-512, unpacked once per machine, and refused when the
//! checksum differs. The tarball is a small one made here with the layout of a Spark release
//! (`spark-X-bin/bin/spark-submit`, printing its version), so no network or real release is
//! needed; only the install step is applied (`-target`).

mod common;

use std::path::Path;

use common::{Workspace, spark};
use sha2::{Digest, Sha512};

fn release(ws: &Workspace) -> (String, String) {
    ws.write("release/spark-9.9.9-bin/bin/spark-submit", "#!/bin/sh\necho \"Welcome to Spark version 9.9.9\"\n");
    ws.write("release/spark-9.9.9-bin/README.md", "a Spark release\n");
    let bin = ws.path().join("release/spark-9.9.9-bin/bin/spark-submit");
    std::process::Command::new("chmod").arg("755").arg(&bin).status().expect("chmod");
    let tgz = ws.path().join("spark-9.9.9-bin.tgz");
    let ok = std::process::Command::new("tar")
        .arg("-czf")
        .arg(&tgz)
        .arg("-C")
        .arg(ws.path().join("release"))
        .arg("spark-9.9.9-bin")
        .status()
        .expect("tar");
    assert!(ok.success());
    let sha = Sha512::digest(std::fs::read(&tgz).expect("tgz")).iter().map(|b| format!("{b:02x}")).collect();
    (format!("file://{}", tgz.display()), sha)
}

fn spec(url: &str, sha: &str, install_dir: &Path) -> String {
    format!(
        r#"module "spark" {{
  source         = "./modules/spark-standalone"
  hosts          = ["127.0.1.1", "127.0.1.2"]
  install        = "tarball"
  tarball_url    = "{url}"
  tarball_sha512 = "{sha}"
  install_dir    = "{dir}"
  work_dir       = "{dir}/work"
  install_java   = false
}}
"#,
        dir = install_dir.display()
    )
}

const INSTALL: &str = "-target=module.spark.host_command.install";

#[test]
fn a_release_tarball_is_checked_unpacked_and_its_version_reported() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let ws = Workspace::new();
    spark::copy_dir(&root.join("modules/spark-standalone"), &ws.path().join("modules/spark-standalone"));
    let (url, sha) = release(&ws);
    let dir = ws.path().join("opt");

    // A checksum that does not match: refused, nothing installed, the download removed.
    let wrong = format!("{}0", &sha[..127]);
    let wrong = if wrong == sha { format!("{}1", &sha[..127]) } else { wrong };
    ws.write("main.tf", &spec(&url, &wrong, &dir));
    let r = ws.run(&["apply", "-auto-approve", INSTALL]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("does not match") && r.stderr.contains("refused"), "{}", r.stderr);
    assert!(!dir.join("spark").exists() && !dir.join("spark.tgz.part").exists());

    ws.write("main.tf", &spec(&url, &sha, &dir));
    ws.run(&["apply", "-auto-approve", INSTALL]).ok();
    assert!(dir.join("spark/bin/spark-submit").is_file(), "unpacked without its top directory");
    assert!(dir.join("spark/README.md").is_file());
    let state = ws.state();
    let versions: Vec<String> = state["resources"][0]["instances"]
        .as_array()
        .expect("instances")
        .iter()
        .map(|i| i["attributes"]["stdout"].as_str().unwrap_or_default().trim().to_string())
        .collect();
    assert_eq!(versions, ["version 9.9.9", "version 9.9.9"]);

    // Without a checksum the plan stops before anything runs.
    ws.write("main.tf", &spec(&url, "", &dir).replace("tarball_sha512 = \"\"", "tarball_sha512 = null"));
    let r = ws.run(&["plan", "-replace=module.spark.host_command.install[\"127.0.1.1\"]"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("needs tarball_url and its"), "{}", r.stderr);
}
