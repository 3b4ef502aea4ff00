//! `meshform test` against `terraform test`: every module of `tests/moduletest/` holds
//! test files (passing and failing assertions, expected failures, apply runs whose outputs
//! later runs use, alternate modules, state keys, plan options, mocks and overrides), and
//! both tools must give each run block, each file and the suite the same status, report
//! the same diagnostics (severity and summary) for each run, print the same progress lines
//! and exit alike. The oracle must be installed (`scripts/test` does it).
//!
//! `MESHFORM_TEST_ONLY=substring` runs only the modules whose name contains it.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::oracle;
use common::spark::copy_dir;

fn cases() -> Vec<PathBuf> {
    common::case_dirs("tests/moduletest", "MESHFORM_TEST_ONLY")
}

fn meshform(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_meshform"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("run meshform");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// What a `test -json` run says, in order, without timestamps and wording that differs
/// by tool: run, file and suite statuses, teardowns, and each diagnostic's run, severity
/// and summary.
fn digest(json_lines: &str, code: i32) -> Vec<String> {
    let mut out = Vec::new();
    for line in json_lines.lines() {
        let Ok(d) = serde_json::from_str::<serde_json::Value>(line) else {
            out.push(format!("not JSON: {line}"));
            continue;
        };
        let s = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_string();
        match s(&d["type"]).as_str() {
            "test_run" => {
                let r = &d["test_run"];
                match s(&r["progress"]).as_str() {
                    "complete" => out.push(format!("run {} {} {}", s(&r["path"]), s(&r["run"]), s(&r["status"]))),
                    "teardown" => out.push(format!("teardown {} {}", s(&r["path"]), s(&r["run"]))),
                    _ => {}
                }
            }
            "test_file" if s(&d["test_file"]["progress"]) == "complete" => {
                out.push(format!("file {} {}", s(&d["test_file"]["path"]), s(&d["test_file"]["status"])))
            }
            "diagnostic" => out.push(format!(
                "diagnostic {} {} {} {}",
                s(&d["@testfile"]),
                s(&d["@testrun"]),
                s(&d["diagnostic"]["severity"]),
                s(&d["diagnostic"]["summary"])
            )),
            "test_summary" => out.push(format!("summary {}", d["test_summary"])),
            _ => {}
        }
    }
    out.push(format!("exit {code}"));
    out
}

/// The progress lines of the human view: files, runs and the conclusion.
fn progress(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter(|l| {
            l.starts_with("  run \"")
                || l.starts_with("Success!")
                || l.starts_with("Failure!")
                || (l.contains(".tftest.hcl... ") && !l.starts_with(' '))
        })
        .map(str::to_string)
        .collect()
}

#[test]
fn test_files_give_the_same_results_as_terraform_test() {
    oracle::require();
    let work = tempfile::tempdir().expect("tempdir");
    let mut failures = Vec::new();
    let mut files = 0;
    for case in cases() {
        let name = case.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        let (tf_dir, mf_dir) = (work.path().join(format!("{name}-tf")), work.path().join(format!("{name}-mf")));
        copy_dir(&case, &tf_dir);
        copy_dir(&case, &mf_dir);
        files += meshform_engine::config::test_file::discover(&case, Path::new("tests")).len();
        oracle::ok(&tf_dir, &["init", "-input=false", "-no-color"]);
        let tf = oracle::run(&tf_dir, &["test", "-json"]);
        let (code, stdout, stderr) = meshform(&mf_dir, &["test", "-json"]);
        let (want, got) = (digest(&tf.stdout, tf.code), digest(&stdout, code));
        if want != got {
            failures.push(format!(
                "{name}: -json differs\nterraform:\n  {}\nmeshform:\n  {}\nmeshform stderr:\n{stderr}",
                want.join("\n  "),
                got.join("\n  ")
            ));
            continue;
        }
        let tf = oracle::run(&tf_dir, &["test", "-no-color"]);
        let (_, stdout, _) = meshform(&mf_dir, &["test", "-no-color"]);
        if progress(&tf.stdout) != progress(&stdout) {
            failures.push(format!(
                "{name}: progress lines differ\nterraform:\n{}\nmeshform:\n{}",
                progress(&tf.stdout).join("\n"),
                progress(&stdout).join("\n")
            ));
        }
    }
    assert!(files >= 12, "the corpus has {files} test files; it keeps at least 12");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn a_filter_runs_only_the_named_file_and_an_unknown_one_runs_nothing() {
    let work = tempfile::tempdir().expect("tempdir");
    let case = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/moduletest/assertions");
    copy_dir(&case, work.path());
    let (code, stdout, _) = meshform(work.path(), &["test", "-no-color", "-filter=tests/conditions.tftest.hcl"]);
    assert_eq!(code, 1, "{stdout}");
    assert_eq!(
        progress(&stdout),
        [
            "tests/conditions.tftest.hcl... in progress",
            "  run \"string_true\"... pass",
            "  run \"null_condition\"... fail",
            "  run \"after_null\"... skip",
            "tests/conditions.tftest.hcl... tearing down",
            "tests/conditions.tftest.hcl... fail",
            "Failure! 1 passed, 1 failed, 1 skipped.",
        ]
    );
    let (code, stdout, _) = meshform(work.path(), &["test", "-filter=tests/nothing.tftest.hcl"]);
    assert_eq!((code, progress(&stdout)), (0, vec!["Success! 0 passed, 0 failed.".to_string()]));
}

#[test]
fn verbose_shows_each_runs_plan_or_state() {
    let work = tempfile::tempdir().expect("tempdir");
    let case = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/moduletest/chain");
    copy_dir(&case, work.path());
    let (code, stdout, stderr) = meshform(work.path(), &["test", "-no-color", "-verbose", "-filter=chain.tftest.hcl"]);
    assert_eq!(code, 1, "plan_shrink fails on purpose:\n{stdout}{stderr}");
    // The apply of "first" shows the state it left, the plan of "plan_shrink" its changes.
    assert!(stdout.contains("# terraform_data.item[\"a\"]:"), "{stdout}");
    assert!(stdout.contains("names = [\n  \"ALPHA-a\",\n  \"ALPHA-b\",\n]"), "{stdout}");
    assert!(stdout.contains("Plan: 1 to add, 0 to change, 3 to destroy."), "{stdout}");
}

#[test]
fn every_module_has_tests_of_its_own_and_they_pass() {
    let modules = Path::new(env!("CARGO_MANIFEST_DIR")).join("modules");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&modules)
        .expect("modules/ exists")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 5, "modules: {dirs:?}");
    let mut failures = Vec::new();
    for dir in dirs {
        let own = meshform_engine::config::test_file::discover(&dir, Path::new("tests"));
        if !own.iter().any(|f| f.parent().is_some_and(|p| p.ends_with("tests"))) {
            failures.push(format!("{} has no tests/*.tftest.hcl", dir.display()));
            continue;
        }
        // A copy, so nothing the run might write lands in the repository.
        let work = tempfile::tempdir().expect("tempdir");
        copy_dir(&dir, work.path());
        let (code, stdout, stderr) = meshform(work.path(), &["test", "-no-color"]);
        let last = stdout.lines().last().unwrap_or_default().to_string();
        if code != 0 || !last.starts_with("Success!") || last.starts_with("Success! 0 passed") {
            failures.push(format!("{}: exit {code}\n{stdout}{stderr}", dir.display()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
