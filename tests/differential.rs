//! Differential tests: every spec in `tests/differential/` is applied with `terraform` and
//! with `meshform`, and `output -json` of both must agree (values, sensitivity and types); every
//! spec in `tests/differential-errors/` must be refused by both, each printing every line
//! of the spec's `expect` file. The oracle must be installed (`scripts/test` does it).
//!
//! `MESHFORM_DIFF_ONLY=substring` runs only the specs whose directory name contains it.

mod common;

use std::path::{Path, PathBuf};

use common::spark::copy_dir;
use std::process::Command;
use std::sync::Mutex;

fn spec_dirs() -> Vec<PathBuf> {
    dirs_in("tests/differential")
}

fn dirs_in(folder: &str) -> Vec<PathBuf> {
    common::case_dirs(folder, "MESHFORM_DIFF_ONLY")
}

/// Runs a command quietly (no colour, no checkpoint calls): its exit code and its stdout
/// and stderr.
fn run_quiet(cmd: &mut Command) -> Result<(Option<i32>, String, String), String> {
    let out = cmd
        .env("TF_IN_AUTOMATION", "1")
        .env("CHECKPOINT_DISABLE", "1")
        .env("NO_COLOR", "1")
        .output()
        .map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
    Ok((
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ))
}

/// Runs a command that must succeed; returns its stdout.
fn run(cmd: &mut Command) -> Result<String, String> {
    match run_quiet(cmd)? {
        (Some(0), stdout, _) => Ok(stdout),
        (code, stdout, stderr) => Err(format!("{cmd:?} failed (exit {code:?}):\n{stdout}{stderr}")),
    }
}

fn terraform_outputs(dir: &Path) -> Result<serde_json::Value, String> {
    let tf = |args: &[&str]| {
        let mut c = Command::new("terraform");
        c.args(args).current_dir(dir);
        run(&mut c)
    };
    tf(&["init", "-input=false", "-no-color"])?;
    tf(&["apply", "-auto-approve", "-input=false", "-no-color"])?;
    let text = tf(&["output", "-json"])?;
    serde_json::from_str(&text).map_err(|e| format!("terraform output -json: {e}"))
}

fn meshform_outputs(dir: &Path) -> Result<serde_json::Value, String> {
    let mf = |args: &[&str]| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_meshform"));
        c.args(args).current_dir(dir);
        run(&mut c)
    };
    mf(&["apply", "-auto-approve", "-input=false", "-no-color"])?;
    let text = mf(&["output", "-json"])?;
    serde_json::from_str(&text).map_err(|e| format!("meshform output -json: {e}"))
}

/// Differences in values, sensitivity or reported types (the types of typed nulls
/// inside values included).
fn compare(tf: &serde_json::Value, mf: &serde_json::Value) -> Vec<String> {
    let mut failures = Vec::new();
    let empty = serde_json::Map::new();
    let (t, m) = (tf.as_object().unwrap_or(&empty), mf.as_object().unwrap_or(&empty));
    for (name, tv) in t {
        let Some(mv) = m.get(name) else {
            failures.push(format!("output {name}: missing from meshform"));
            continue;
        };
        if tv["value"] != mv["value"] {
            failures.push(format!("output {name}:\n  terraform: {}\n  meshform:  {}", tv["value"], mv["value"]));
        }
        if tv["sensitive"] != mv["sensitive"] {
            failures.push(format!("output {name}: sensitive {} vs {}", tv["sensitive"], mv["sensitive"]));
        }
        if tv["type"] != mv["type"] {
            failures.push(format!("output {name}: type\n  terraform: {}\n  meshform:  {}", tv["type"], mv["type"]));
        }
    }
    for name in m.keys().filter(|k| !t.contains_key(*k)) {
        failures.push(format!("output {name}: only in meshform"));
    }
    failures
}

#[test]
fn outputs_match_terraform() {
    assert!(
        Command::new("terraform").arg("version").output().is_ok_and(|o| o.status.success()),
        "terraform (the differential oracle) is not installed; scripts/test installs it"
    );
    let dirs = spec_dirs();
    assert!(!dirs.is_empty(), "no differential specs found");
    let failures = Mutex::new(Vec::new());
    let queue = Mutex::new(dirs.clone());
    std::thread::scope(|s| {
        for _ in 0..3 {
            s.spawn(|| {
                loop {
                    let Some(dir) = queue.lock().unwrap_or_else(|e| e.into_inner()).pop() else { break };
                    let name = dir.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
                    let tmp = tempfile::tempdir().expect("temp dir");
                    let (tf_dir, mf_dir) = (tmp.path().join("tf"), tmp.path().join("mf"));
                    copy_dir(&dir, &tf_dir);
                    copy_dir(&dir, &mf_dir);
                    let result = match (terraform_outputs(&tf_dir), meshform_outputs(&mf_dir)) {
                        (Err(e), _) => Err(format!("terraform itself failed (a broken spec):\n{e}")),
                        (_, Err(e)) => Err(e),
                        (Ok(t), Ok(m)) => {
                            let f = compare(&t, &m);
                            if f.is_empty() { Ok(()) } else { Err(f.join("\n")) }
                        }
                    };
                    if let Err(e) = result {
                        failures.lock().unwrap_or_else(|e| e.into_inner()).push(format!("== {name}\n{e}"));
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap_or_default();
    println!("differential specs: {} run, {} failed", dirs.len(), failures.len());
    assert!(failures.is_empty(), "{} of {} specs differ:\n\n{}", failures.len(), dirs.len(), failures.join("\n\n"));
}

/// Runs a command that must fail with exit 1; returns all it printed.
fn run_failing(cmd: &mut Command) -> Result<String, String> {
    match run_quiet(cmd)? {
        (Some(1), stdout, stderr) => Ok(format!("{stdout}{stderr}")),
        (code, stdout, stderr) => Err(format!("{cmd:?} exited {code:?}, not 1:\n{stdout}{stderr}")),
    }
}

/// Both tools wrap long lines of their messages behind a gutter (`│`, `|`); compare the
/// text with the gutters dropped and whitespace folded.
fn folded(s: &str) -> String {
    s.lines()
        .map(|l| l.trim_start().trim_start_matches(['│', '|', '╷', '╵', 'x']).trim_start())
        .collect::<Vec<_>>()
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn refusals_match_terraform() {
    assert!(
        Command::new("terraform").arg("version").output().is_ok_and(|o| o.status.success()),
        "terraform (the differential oracle) is not installed; scripts/test installs it"
    );
    let dirs = dirs_in("tests/differential-errors");
    assert!(!dirs.is_empty(), "no refusal specs found");
    let mut failures = Vec::new();
    for dir in &dirs {
        let name = dir.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        let expect = std::fs::read_to_string(dir.join("expect")).expect("expect file");
        let tmp = tempfile::tempdir().expect("temp dir");
        let (tf_dir, mf_dir) = (tmp.path().join("tf"), tmp.path().join("mf"));
        copy_dir(dir, &tf_dir);
        copy_dir(dir, &mf_dir);
        let tf = run(Command::new("terraform").args(["init", "-input=false", "-no-color"]).current_dir(&tf_dir))
            .and_then(|_| {
                run_failing(
                    Command::new("terraform")
                        .args(["apply", "-auto-approve", "-input=false", "-no-color"])
                        .current_dir(&tf_dir),
                )
            });
        let mf = run_failing(
            Command::new(env!("CARGO_BIN_EXE_meshform"))
                .args(["apply", "-auto-approve", "-input=false", "-no-color"])
                .current_dir(&mf_dir),
        );
        for (who, result) in [("terraform", tf), ("meshform", mf)] {
            match result {
                Err(e) => failures.push(format!("== {name}: {who}: {e}")),
                Ok(text) => {
                    for line in expect.lines().filter(|l| !l.trim().is_empty()) {
                        if !folded(&text).contains(&folded(line)) {
                            failures.push(format!("== {name}: {who} does not say {line:?}:\n{text}"));
                        }
                    }
                }
            }
        }
        if mf_dir.join("meshform.tfstate").exists()
            && std::fs::read_to_string(mf_dir.join("meshform.tfstate")).is_ok_and(|t| t.contains("\"instances\""))
        {
            failures.push(format!("== {name}: meshform recorded something although it refused"));
        }
    }
    println!("refusal specs: {} run, {} failures", dirs.len(), failures.len());
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
