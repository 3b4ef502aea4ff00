//! The differential oracle: `terraform`, run in a directory of its own with the same spec.
//! A test that needs it fails when it is missing (`scripts/test` installs it); it never
//! skips, so a green run always means the comparison was made.

use std::path::Path;
use std::process::Command;

/// What one terraform command did.
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `terraform ARGS` in `dir`, with no colour and no prompts.
pub fn run(dir: &Path, args: &[&str]) -> Output {
    let out = Command::new(binary())
        .args(args)
        .current_dir(dir)
        .env("TF_IN_AUTOMATION", "1")
        .env("CHECKPOINT_DISABLE", "1")
        .env("NO_COLOR", "1")
        .env("TF_CLI_CONFIG_FILE", "/dev/null")
        .output()
        .unwrap_or_else(|e| panic!("cannot run terraform ({e}); scripts/test installs it"));
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Like [`run`], and the command must succeed.
pub fn ok(dir: &Path, args: &[&str]) -> String {
    let o = run(dir, args);
    assert_eq!(o.code, 0, "terraform {args:?} failed in {}:\n{}{}", dir.display(), o.stdout, o.stderr);
    o.stdout
}

/// The terraform binary: `MESHFORM_TERRAFORM` if set, else `terraform` on the PATH.
pub fn binary() -> String {
    std::env::var("MESHFORM_TERRAFORM").unwrap_or_else(|_| "terraform".into())
}

/// Fails the test, with where to get one, when no oracle is installed.
pub fn require() {
    let found = Command::new(binary()).arg("version").output().is_ok_and(|o| o.status.success());
    assert!(found, "terraform (the differential oracle) is not installed; scripts/test installs it");
}
