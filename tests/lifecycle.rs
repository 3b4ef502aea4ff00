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
fn a_state_written_before_a_provider_gained_an_attribute_plans_no_change() {
    let ws = Workspace::new();
    ws.write("main.hcl", CHAIN);
    ws.run(&["apply", "-auto-approve"]).ok();
    // As an older provider would have written it: one attribute fewer on every object.
    let mut state = ws.state();
    for r in state["resources"].as_array_mut().into_iter().flatten() {
        for i in r["instances"].as_array_mut().into_iter().flatten() {
            assert!(i["attributes"].as_object_mut().and_then(|a| a.remove("triggers_replace")).is_some());
        }
    }
    state["serial"] = serde_json::json!(state["serial"].as_u64().unwrap_or(0) + 1);
    std::fs::write(ws.state_path(), serde_json::to_vec_pretty(&state).expect("json")).expect("write");
    let plan = ws.run(&["plan", "-detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
    assert!(plan.stdout.contains("No changes."), "{}", plan.stdout);
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

#[test]
fn prevent_destroy_refuses_replacement_and_ignore_changes_keeps_values() {
    let ws = Workspace::new();
    let spec = |v: &str| {
        format!(
            "resource \"terraform_data\" \"keep\" {{\n  input = \"{v}\"\n  triggers_replace = [\"{v}\"]\n  lifecycle {{\n    prevent_destroy = true\n  }}\n}}\nresource \"terraform_data\" \"ign\" {{\n  input = \"{v}\"\n  lifecycle {{\n    ignore_changes = [input]\n  }}\n}}\n"
        )
    };
    ws.write("main.tf", &spec("a"));
    ws.run(&["apply", "-auto-approve"]).ok();
    ws.write("main.tf", &spec("b"));
    let r = ws.run(&["plan"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("Instance cannot be destroyed"), "{}", r.stderr);
    assert!(r.stderr.contains("terraform_data.keep"), "{}", r.stderr);
    let ws2 = Workspace::new();
    ws2.write(
        "main.tf",
        "resource \"terraform_data\" \"ign\" {\n  input = \"a\"\n  lifecycle {\n    ignore_changes = [input]\n  }\n}\n",
    );
    ws2.run(&["apply", "-auto-approve"]).ok();
    ws2.write(
        "main.tf",
        "resource \"terraform_data\" \"ign\" {\n  input = \"b\"\n  lifecycle {\n    ignore_changes = [input]\n  }\n}\n",
    );
    let plan = ws2.run(&["plan", "-detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}", plan.stdout);
}

#[test]
fn create_before_destroy_creates_the_new_object_first() {
    let ws = Workspace::new();
    let spec = |t: &str| {
        format!(
            "resource \"terraform_data\" \"r\" {{\n  triggers_replace = \"{t}\"\n  lifecycle {{\n    create_before_destroy = true\n  }}\n}}\n"
        )
    };
    ws.write("main.tf", &spec("1"));
    ws.run(&["apply", "-auto-approve"]).ok();
    ws.write("main.tf", &spec("2"));
    let plan = ws.run(&["plan"]);
    assert!(plan.stdout.contains("+/- resource \"terraform_data\" \"r\""), "{}", plan.stdout);
    let apply = ws.run(&["apply", "-auto-approve"]);
    apply.ok();
    let lines: Vec<&str> = apply.stdout.lines().filter(|l| l.contains("complete after")).collect();
    assert!(lines[0].contains("Creation complete"), "{lines:?}");
    assert!(lines[1].contains("Destruction complete"), "{lines:?}");
    assert_eq!(ws.addresses(), ["terraform_data.r"]);
}

#[test]
fn state_rm_and_mv_edit_the_recorded_addresses() {
    let ws = Workspace::new();
    ws.write("main.tf", "resource \"terraform_data\" \"a\" {\n  count = 2\n  input = count.index\n}\n");
    ws.run(&["apply", "-auto-approve"]).ok();
    ws.run(&["state", "mv", "terraform_data.a[1]", "terraform_data.b"]).ok();
    assert_eq!(ws.addresses(), ["terraform_data.a[0]", "terraform_data.b"]);
    ws.run(&["state", "rm", "terraform_data.b"]).ok();
    assert_eq!(ws.addresses(), ["terraform_data.a[0]"]);
    assert_eq!(ws.state()["serial"], 3);
    let bad = ws.run(&["state", "rm", "terraform_data.zzz"]);
    assert_eq!(bad.code, 1);
    let plan = ws.run(&["plan"]);
    assert!(plan.stdout.contains("Plan: 1 to add, 0 to change, 0 to destroy."), "{}", plan.stdout);
}

#[test]
fn a_lock_held_by_a_live_run_is_refused_naming_the_holder() {
    let ws = Workspace::new();
    ws.write("main.tf", "resource \"terraform_data\" \"a\" {}\n");
    ws.run(&["apply", "-auto-approve"]).ok();
    let before = std::fs::read(ws.state_path()).expect("state");
    struct Holder(std::process::Child);
    impl Drop for Holder {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let holder = Holder(std::process::Command::new("sleep").arg("30").spawn().expect("sleep"));
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let lock = serde_json::json!({
        "ID": "11111111-2222-3333-4444-555555555555", "Operation": "apply", "Who": "ops@ci",
        "Created": "2026-01-01T00:00:00Z", "PID": holder.0.id(), "Host": host.trim(),
    });
    std::fs::write(ws.path().join(".meshform.tfstate.lock.info"), lock.to_string()).expect("lock");
    let r = ws.run(&["apply", "-auto-approve"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("ops@ci"), "{}", r.stderr);
    assert!(
        r.stderr.contains("force-unlock") && r.stderr.contains("11111111-2222-3333-4444-555555555555"),
        "{}",
        r.stderr
    );
    assert_eq!(std::fs::read(ws.state_path()).expect("state"), before);
    let wrong = ws.run(&["force-unlock", "nope"]);
    assert_eq!(wrong.code, 1);
    ws.run(&["force-unlock", "11111111-2222-3333-4444-555555555555"]).ok();
    ws.run(&["apply", "-auto-approve"]).ok();
}

#[test]
fn fmt_validate_graph_and_show() {
    let ws = Workspace::new();
    ws.write(
        "main.tf",
        "resource \"terraform_data\" \"a\" {\ninput=1\n}\noutput \"o\" {\n  value = terraform_data.a.output\n}\n",
    );
    let check = ws.run(&["fmt", "-check"]);
    assert_eq!(check.code, 3);
    ws.run(&["fmt"]).ok();
    assert_eq!(ws.run(&["fmt", "-check"]).code, 0);
    assert!(std::fs::read_to_string(ws.path().join("main.tf")).expect("read").contains("  input = 1\n"));
    ws.run(&["validate"]).ok();
    let v = ws.run(&["validate", "-json"]);
    let doc: serde_json::Value = serde_json::from_str(&v.stdout).expect("json");
    assert_eq!(doc["valid"], true);
    let g = ws.run(&["graph", "-type=full"]);
    assert!(g.stdout.starts_with("digraph {"), "{}", g.stdout);
    assert!(g.stdout.contains("\"output.o\" -> \"terraform_data.a\""), "{}", g.stdout);
    ws.run(&["plan", "-out=p.plan"]).ok();
    let show = ws.run(&["show", "-json", "p.plan"]);
    let plan: serde_json::Value = serde_json::from_str(&show.stdout).expect("plan json");
    assert_eq!(plan["resource_changes"][0]["change"]["actions"], serde_json::json!(["create"]));
    assert_eq!(plan["resource_changes"][0]["change"]["after_unknown"]["id"], true);
    let human = ws.run(&["show", "p.plan"]);
    assert!(human.stdout.contains("terraform_data.a will be created"), "{}", human.stdout);
    ws.run(&["apply", "p.plan"]).ok();
    let state = ws.run(&["show", "-json"]);
    let doc: serde_json::Value = serde_json::from_str(&state.stdout).expect("state json");
    assert_eq!(doc["values"]["root_module"]["resources"][0]["address"], "terraform_data.a");
}

#[test]
fn variables_from_env_and_var_files_with_precedence() {
    let ws = Workspace::new();
    ws.write("main.tf", "variable \"a\" {}\nvariable \"b\" {}\nvariable \"c\" {}\noutput \"all\" {\n  value = [var.a, var.b, var.c]\n}\n");
    ws.write("terraform.tfvars", "a = \"tfvars\"\nb = \"tfvars\"\nc = \"tfvars\"\n");
    ws.write("extra.tfvars", "b = \"file\"\nc = \"file\"\n");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_meshform"))
        .args(["apply", "-auto-approve", "-var-file=extra.tfvars", "-var", "c=flag"])
        .env("MESHFORM_VAR_a", "env")
        .current_dir(ws.path())
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(ws.outputs()["all"], serde_json::json!(["tfvars", "file", "flag"]));
    let missing = Workspace::new();
    missing.write("main.tf", "variable \"needed\" {}\n");
    let r = missing.run(&["plan", "-input=false"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("No value for required variable"), "{}", r.stderr);
    let undeclared = missing.run(&["plan", "-var", "nedded=1"]);
    assert!(undeclared.stderr.contains("did you mean -var needed=...?"), "{}", undeclared.stderr);
}

#[test]
fn console_evaluates_against_configuration_and_state() {
    let ws = Workspace::new();
    ws.write(
        "main.tf",
        "variable \"n\" {\n  default = 2\n}\nlocals {\n  names = [for i in range(var.n) : \"w${i}\"]\n}\nresource \"terraform_data\" \"a\" {\n  input = local.names\n}\n",
    );
    let before = ws.run_with_stdin(&["console"], "local.names\nterraform_data.a.output\n");
    before.ok();
    assert!(before.stdout.contains("\"w1\""), "{}", before.stdout);
    assert!(before.stdout.contains("(known after apply)"), "{}", before.stdout);
    ws.run(&["apply", "-auto-approve"]).ok();
    let after = ws.run_with_stdin(&["console"], "length(terraform_data.a.output)\nupper(local.names[0])\n");
    after.ok();
    assert_eq!(after.stdout, "2\n\"W0\"\n");
    let bad = ws.run_with_stdin(&["console"], "var.missing\n");
    assert_eq!(bad.code, 1);
    assert!(bad.stderr.contains("var.missing"), "{}", bad.stderr);
}
