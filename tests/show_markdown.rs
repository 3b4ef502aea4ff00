//! `show -markdown PLANFILE`: the pull-request summary of a plan that creates, updates,
//! replaces and deletes, checked whole (snapshot); sensitive values never appear in it.

mod common;

use common::{Workspace, id_of};

const BEFORE: &str = r#"variable "password" {
  default   = "hunter2"
  sensitive = true
}

resource "terraform_data" "kept" {
  input = "one"
}

resource "terraform_data" "replaced" {
  input            = "r"
  triggers_replace = "x"
}

resource "terraform_data" "gone" {
  input = "bye"
}

output "o" {
  value = terraform_data.kept.output
}

output "pw" {
  value     = var.password
  sensitive = true
}
"#;

const AFTER: &str = r#"variable "password" {
  default   = "hunter3"
  sensitive = true
}

resource "terraform_data" "kept" {
  input = "two"
}

resource "terraform_data" "replaced" {
  input            = "r"
  triggers_replace = "y"
}

resource "terraform_data" "new" {
  input = { name = "n", password = var.password }
}

output "o" {
  value = terraform_data.kept.output
}

output "pw" {
  value     = var.password
  sensitive = true
}
"#;

#[test]
fn show_markdown_summarises_create_update_replace_and_delete() {
    let ws = Workspace::new();
    ws.write("main.tf", BEFORE);
    ws.run(&["apply", "-auto-approve", "-input=false"]).ok();
    let replaced_id = id_of(&ws, "terraform_data.replaced");
    ws.write("main.tf", AFTER);
    ws.run(&["plan", "-input=false", "-out=p.bin"]).ok();
    let r = ws.run(&["show", "-markdown", "p.bin"]);
    r.ok();
    for secret in ["hunter2", "hunter3"] {
        assert!(!r.stdout.contains(secret), "a sensitive value is shown:\n{}", r.stdout);
    }
    assert!(r.stdout.starts_with("### Plan: 2 to add, 1 to change, 2 to destroy\n"), "{}", r.stdout);
    assert!(!replaced_id.is_empty());
    insta::assert_snapshot!(r.stdout.replace(&replaced_id, "<id>"));
}

#[test]
fn show_markdown_wants_a_plan_file_and_not_json_too() {
    let ws = Workspace::new();
    ws.write("main.tf", "resource \"terraform_data\" \"a\" {}\n");
    let r = ws.run(&["show", "-markdown"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("-markdown shows a saved plan"), "{}", r.stderr);
    ws.run(&["plan", "-out=p.bin"]).ok();
    assert_ne!(ws.run(&["show", "-markdown", "-json", "p.bin"]).code, 0);
    ws.run(&["apply", "p.bin"]).ok();
    ws.run(&["plan", "-out=p.bin"]).ok();
    let none = ws.run(&["show", "-markdown", "p.bin"]);
    none.ok();
    assert_eq!(none.stdout, "### No changes\n\nThe infrastructure matches the configuration.\n");
}
