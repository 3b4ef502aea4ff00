//! What the Spark tests share: Spark's venv kept in the target dir (installed once), the
//! master's JSON status, and a count of the Spark processes under a directory.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// Whether python3 and java are here (Spark tests skip with a notice otherwise).
pub fn prerequisites() -> bool {
    let ok = |c: &str, a: &str| std::process::Command::new(c).arg(a).output().is_ok_and(|o| o.status.success());
    let have = ok("python3", "--version") && ok("java", "-version");
    if !have {
        println!("python3 or java not found: skipping the Spark test");
    }
    have
}

/// Spark's venv, kept between runs in the target dir so it is installed once.
pub fn install_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("spark-venv")
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read").filter_map(Result::ok) {
        let name = e.file_name();
        if name.to_string_lossy().starts_with('.') || name.to_string_lossy().ends_with(".tfstate") {
            continue;
        }
        let (src, dst) = (e.path(), to.join(&name));
        if src.is_dir() { copy_dir(&src, &dst) } else { std::fs::copy(&src, &dst).map(|_| ()).expect("copy") }
    }
}

/// The master's /json/ document.
pub fn master_json(host: &str, port: u16) -> serde_json::Value {
    let mut s = std::net::TcpStream::connect((host, port)).expect("master web UI");
    s.write_all(format!("GET /json/ HTTP/1.0\r\nHost: {host}\r\n\r\n").as_bytes()).expect("request");
    let mut text = String::new();
    s.read_to_string(&mut text).expect("response");
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or_default();
    serde_json::from_str(body).expect("json")
}

/// Waits up to 30 s for the master to count `n` ALIVE workers; the count it saw last.
pub fn wait_alive_workers(host: &str, port: u16, n: u64) -> u64 {
    let start = std::time::Instant::now();
    loop {
        let seen = master_json(host, port)["aliveworkers"].as_u64().unwrap_or(0);
        if seen == n || start.elapsed().as_secs() >= 30 {
            return seen;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

/// Live (not zombie) Spark JVMs whose command line mentions `marker`.
pub fn spark_processes(marker: &str) -> usize {
    std::fs::read_dir("/proc")
        .map(|rd| {
            rd.filter_map(Result::ok)
                .filter(|e| {
                    let cmd = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
                    let stat = std::fs::read_to_string(e.path().join("stat")).unwrap_or_default();
                    let zombie = stat.rsplit_once(')').is_some_and(|(_, r)| r.trim_start().starts_with('Z'));
                    !zombie
                        && String::from_utf8_lossy(&cmd).contains(marker)
                        && String::from_utf8_lossy(&cmd).contains("org.apache.spark")
                })
                .count()
        })
        .unwrap_or(0)
}

/// The pyspark release the spark-standalone module installs by default.
fn module_pyspark_version() -> String {
    super::module_default("spark-standalone", "pyspark_version")
}

/// pyspark installed in the shared venv (as the module would, under the same lock); the
/// directory of the pyspark package, with Spark's and Hadoop's jars in `jars/`.
pub fn ensure_pyspark() -> PathBuf {
    let dir = install_dir();
    let d = dir.display();
    let script = format!(
        "set -e; mkdir -p {d}; exec 9> {d}/.install.lock; flock 9; \
         [ -x {d}/bin/python ] || python3 -m venv {d}; \
         {d}/bin/python -c 'import pyspark' 2>/dev/null || {d}/bin/pip install -q pyspark=={v}; \
         {d}/bin/python -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))'",
        v = module_pyspark_version()
    );
    let out = std::process::Command::new("sh").arg("-c").arg(&script).output().expect("sh");
    assert!(out.status.success(), "installing pyspark failed: {}", String::from_utf8_lossy(&out.stderr));
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}
