//! Plan, apply and destroy of `terraform_data` through the built binary: create, update in
//! place, replace, count and for_each growth and shrink, destroy order, exit codes and
//! saved plans.

mod common;

use common::{Workspace, id_of};

const CHAIN: &str = r#"
variable "v" {
  default = "a"
}
resource "terraform_data" "first" {
  input = var.v
}
resource "terraform_data" "second" {
  input = terraform_data.first.output
}
resource "terraform_data" "third" {
  input = "${terraform_data.second.output}-3"
}
output "third" {
  value = terraform_data.third.output
}
"#;

#[test]
fn create_then_no_changes() {
    let ws = Workspace::new();
    ws.write("main.hcl", CHAIN);
    let plan = ws.run(&["plan", "-input=false"]);
    plan.ok();
    assert!(plan.stdout.contains("# terraform_data.first will be created"), "{}", plan.stdout);
    assert!(plan.stdout.contains("Plan: 3 to add, 0 to change, 0 to destroy."), "{}", plan.stdout);
    assert!(plan.stdout.contains("(known after apply)"));
    ws.run(&["apply", "-auto-approve", "-input=false"]).ok();
    assert_eq!(ws.outputs()["third"], "a-3");
    let again = ws.run(&["plan", "-input=false", "-detailed-exitcode"]);
    assert_eq!(again.code, 0, "{}{}", again.stdout, again.stderr);
    assert!(again.stdout.contains("No changes."), "{}", again.stdout);
    let state = ws.state();
    assert_eq!(state["serial"], 1);
}

#[test]
fn update_in_place_keeps_ids_and_detailed_exitcode_reports_changes() {
    let ws = Workspace::new();
    ws.write("main.hcl", CHAIN);
    ws.run(&["apply", "-auto-approve"]).ok();
    let id = id_of(&ws, "terraform_data.first");
    let plan = ws.run(&["plan", "-var", "v=b", "-detailed-exitcode"]);
    assert_eq!(plan.code, 2, "{}{}", plan.stdout, plan.stderr);
    assert!(plan.stdout.contains("# terraform_data.first will be updated in-place"), "{}", plan.stdout);
    assert!(plan.stdout.contains("~ input  = \"a\" -> \"b\""), "{}", plan.stdout);
    assert!(plan.stdout.contains("Plan: 0 to add, 3 to change, 0 to destroy."), "{}", plan.stdout);
    ws.run(&["apply", "-auto-approve", "-var", "v=b"]).ok();
    assert_eq!(id_of(&ws, "terraform_data.first"), id);
    assert_eq!(ws.outputs()["third"], "b-3");
    assert_eq!(ws.state()["serial"], 2);
}

#[test]
fn triggers_replace_replaces_and_says_why() {
    let ws = Workspace::new();
    let spec =
        |t: &str| format!("resource \"terraform_data\" \"r\" {{\n  input = 1\n  triggers_replace = [\"{t}\"]\n}}\n");
    ws.write("main.tf", &spec("one"));
    ws.run(&["apply", "-auto-approve"]).ok();
    let id = id_of(&ws, "terraform_data.r");
    ws.write("main.tf", &spec("two"));
    let plan = ws.run(&["plan"]);
    plan.ok();
    assert!(plan.stdout.contains("# terraform_data.r must be replaced"), "{}", plan.stdout);
    assert!(plan.stdout.contains("-/+ resource \"terraform_data\" \"r\""), "{}", plan.stdout);
    assert!(plan.stdout.contains("# forces replacement"), "{}", plan.stdout);
    assert!(plan.stdout.contains("Plan: 1 to add, 0 to change, 1 to destroy."), "{}", plan.stdout);
    ws.run(&["apply", "-auto-approve"]).ok();
    assert_ne!(id_of(&ws, "terraform_data.r"), id);
}

#[test]
fn replace_flag_forces_replacement() {
    let ws = Workspace::new();
    ws.write("main.tf", "resource \"terraform_data\" \"r\" {\n  input = 1\n}\n");
    ws.run(&["apply", "-auto-approve"]).ok();
    let plan = ws.run(&["plan", "-replace=terraform_data.r"]);
    plan.ok();
    assert!(plan.stdout.contains("will be replaced, as requested"), "{}", plan.stdout);
}

#[test]
fn count_growth_and_shrink_change_only_the_delta() {
    let ws = Workspace::new();
    let spec = |n: u32| format!("resource \"terraform_data\" \"n\" {{\n  count = {n}\n  input = count.index\n}}\n");
    ws.write("main.tf", &spec(2));
    ws.run(&["apply", "-auto-approve"]).ok();
    let id0 = id_of(&ws, "terraform_data.n[0]");
    ws.write("main.tf", &spec(4));
    let plan = ws.run(&["plan"]);
    assert!(plan.stdout.contains("Plan: 2 to add, 0 to change, 0 to destroy."), "{}", plan.stdout);
    assert!(plan.stdout.contains("terraform_data.n[3] will be created"));
    ws.run(&["apply", "-auto-approve"]).ok();
    assert_eq!(ws.addresses().len(), 4);
    ws.write("main.tf", &spec(1));
    let plan = ws.run(&["plan"]);
    assert!(plan.stdout.contains("Plan: 0 to add, 0 to change, 3 to destroy."), "{}", plan.stdout);
    assert!(plan.stdout.contains("(because index [3] is out of range for count)"), "{}", plan.stdout);
    ws.run(&["apply", "-auto-approve"]).ok();
    assert_eq!(ws.addresses(), ["terraform_data.n[0]"]);
    assert_eq!(id_of(&ws, "terraform_data.n[0]"), id0);
}

#[test]
fn for_each_growth_and_shrink_change_only_the_delta() {
    let ws = Workspace::new();
    let spec = |keys: &str| {
        format!("resource \"terraform_data\" \"h\" {{\n  for_each = toset([{keys}])\n  input = each.key\n}}\n")
    };
    ws.write("main.tf", &spec("\"a\", \"b\""));
    ws.run(&["apply", "-auto-approve"]).ok();
    let id_a = id_of(&ws, "terraform_data.h[\"a\"]");
    ws.write("main.tf", &spec("\"a\", \"c\""));
    let plan = ws.run(&["plan"]);
    assert!(plan.stdout.contains("Plan: 1 to add, 0 to change, 1 to destroy."), "{}", plan.stdout);
    assert!(plan.stdout.contains("terraform_data.h[\"c\"] will be created"), "{}", plan.stdout);
    assert!(plan.stdout.contains("terraform_data.h[\"b\"] will be destroyed"), "{}", plan.stdout);
    ws.run(&["apply", "-auto-approve"]).ok();
    assert_eq!(ws.addresses(), ["terraform_data.h[\"a\"]", "terraform_data.h[\"c\"]"]);
    assert_eq!(id_of(&ws, "terraform_data.h[\"a\"]"), id_a);
}

#[test]
fn destroy_runs_in_reverse_dependency_order() {
    let ws = Workspace::new();
    ws.write("main.hcl", CHAIN);
    let apply = ws.run(&["apply", "-auto-approve"]);
    apply.ok();
    let created: Vec<&str> = apply.stdout.lines().filter(|l| l.contains("Creation complete")).collect();
    assert_eq!(created.len(), 3);
    assert!(created[0].starts_with("terraform_data.first"), "{created:?}");
    assert!(created[2].starts_with("terraform_data.third"), "{created:?}");
    let destroy = ws.run(&["destroy", "-auto-approve"]);
    destroy.ok();
    let order: Vec<&str> = destroy
        .stdout
        .lines()
        .filter(|l| l.contains("Destruction complete"))
        .map(|l| l.split(':').next().unwrap_or_default())
        .collect();
    assert_eq!(order, ["terraform_data.third", "terraform_data.second", "terraform_data.first"]);
    assert!(ws.addresses().is_empty());
    assert!(destroy.stdout.contains("Destroy complete! Resources: 3 destroyed."), "{}", destroy.stdout);
}

#[test]
fn apply_asks_for_confirmation_and_only_yes_approves() {
    let ws = Workspace::new();
    ws.write("main.tf", "resource \"terraform_data\" \"r\" {}\n");
    let no = ws.run_with_stdin(&["apply"], "no\n");
    assert_eq!(no.code, 1);
    assert!(!ws.state_path().exists() || ws.addresses().is_empty());
    let yes = ws.run_with_stdin(&["apply"], "yes\n");
    yes.ok();
    assert_eq!(ws.addresses(), ["terraform_data.r"]);
}

#[test]
fn saved_plan_applies_and_a_stale_one_is_refused() {
    let ws = Workspace::new();
    ws.write(
        "main.tf",
        "variable \"n\" {\n  default = 1\n}\nresource \"terraform_data\" \"r\" {\n  input = var.n\n}\n",
    );
    ws.run(&["plan", "-out=first.plan", "-var", "n=5"]).ok();
    ws.run(&["plan", "-out=second.plan", "-var", "n=6"]).ok();
    ws.run(&["apply", "first.plan"]).ok();
    assert_eq!(ws.state()["serial"], 1);
    let stale = ws.run(&["apply", "second.plan"]);
    assert_eq!(stale.code, 1);
    assert!(stale.stderr.contains("Saved plan is stale"), "{}", stale.stderr);
}

#[test]
fn outputs_in_terraform_json_shape_and_raw() {
    let ws = Workspace::new();
    ws.write(
        "main.tf",
        "output \"s\" {\n  value = \"x\"\n}\noutput \"secret\" {\n  value = \"p\"\n  sensitive = true\n}\noutput \"l\" {\n  value = [1, 2]\n}\n",
    );
    ws.run(&["apply", "-auto-approve"]).ok();
    let r = ws.run(&["output", "-json"]);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(doc["s"], serde_json::json!({"sensitive": false, "type": "string", "value": "x"}));
    assert_eq!(doc["secret"]["sensitive"], true);
    assert_eq!(doc["l"]["type"], serde_json::json!(["tuple", ["number", "number"]]));
    let raw = ws.run(&["output", "-raw", "s"]);
    assert_eq!(raw.stdout, "x");
    let plain = ws.run(&["output"]);
    assert!(plain.stdout.contains("secret = <sensitive>"), "{}", plain.stdout);
}

#[test]
fn modules_with_for_each_have_full_addresses() {
    let ws = Workspace::new();
    ws.write(
        "main.tf",
        "module \"etl\" {\n  source   = \"./mod\"\n  for_each = toset([\"a\", \"b\"])\n  name     = each.key\n}\noutput \"names\" {\n  value = { for k, m in module.etl : k => m.name }\n}\n",
    );
    ws.write(
        "mod/main.tf",
        "variable \"name\" {}\nresource \"terraform_data\" \"node\" {\n  for_each = toset([\"x\"])\n  input    = \"${var.name}-${each.key}\"\n}\noutput \"name\" {\n  value = terraform_data.node[\"x\"].output\n}\n",
    );
    ws.run(&["apply", "-auto-approve"]).ok();
    assert_eq!(
        ws.addresses(),
        ["module.etl[\"a\"].terraform_data.node[\"x\"]", "module.etl[\"b\"].terraform_data.node[\"x\"]"]
    );
    assert_eq!(ws.outputs()["names"], serde_json::json!({"a": "a-x", "b": "b-x"}));
    let plan = ws.run(&[
        "plan",
        "-target=module.etl[\"a\"].terraform_data.node[\"x\"]",
        "-replace=module.etl[\"a\"].terraform_data.node[\"x\"]",
    ]);
    plan.ok();
    assert!(plan.stdout.contains("Plan: 1 to add, 0 to change, 1 to destroy."), "{}", plan.stdout);
}
