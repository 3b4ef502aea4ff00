//! `show -json PLANFILE` against `schema/plan.schema.json` and against Terraform's plan
//! JSON. Each scenario applies a "before" spec of `terraform_data` resources, then saves a
//! plan of the "after" spec: create, update in place, replace through
//! `triggers_replace`, delete by removing the resource, one mixing them with `count` and
//! variables, and one calling a module with `for_each`. meshform's document must validate against the schema and carry the
//! expected actions; where `terraform` is installed the same scenario is run with it in
//! another directory and the two documents must have the same top-level keys (but for
//! [`KEY_EXCEPTIONS`]), the same resource changes with the same actions, reasons,
//! `change` keys and unknown attributes, the same output changes, the same relevant
//! attributes and the same `configuration.root_module`. The oracle must be installed
//! (`scripts/test` does it); without it the test fails.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use common::Workspace;
use serde_json::{Value as J, json};

/// Top-level keys only one side has, on purpose.
const KEY_EXCEPTIONS: [&str; 2] = [
    // Terraform's version; meshform is not Terraform and does not claim to be one.
    "terraform_version",
    // meshform's version, in its place.
    "meshform_version",
];

struct Scenario {
    /// `m/main.tf`, a module the specs may call ("" for none).
    module: &'static str,
    before: &'static str,
    after: &'static str,
    /// Address → actions meshform must plan, whether or not terraform is here.
    expect: &'static [(&'static str, &'static [&'static str])],
}

const CREATE: Scenario = Scenario {
    module: "",
    before: r#"variable "tag" {
  default = "v1"
}

resource "terraform_data" "base" {
  input = "base"
}
"#,
    after: r#"variable "tag" {
  default = "v1"
}

resource "terraform_data" "base" {
  input = "base"
}

resource "terraform_data" "new" {
  input = { tag = var.tag, n = [1, 2] }
}

output "new_id" {
  value = terraform_data.new.id
}
"#,
    expect: &[("terraform_data.base", &["no-op"]), ("terraform_data.new", &["create"])],
};

const UPDATE: Scenario = Scenario {
    module: "",
    before: r#"resource "terraform_data" "a" {
  input = "one"
}

output "a" {
  value = terraform_data.a.output
}
"#,
    after: r#"resource "terraform_data" "a" {
  input = "two"
}

output "a" {
  value = terraform_data.a.output
}
"#,
    expect: &[("terraform_data.a", &["update"])],
};

const REPLACE: Scenario = Scenario {
    module: "",
    before: r#"resource "terraform_data" "a" {
  input            = "x"
  triggers_replace = "1"
}

output "id" {
  value = terraform_data.a.id
}
"#,
    after: r#"resource "terraform_data" "a" {
  input            = "x"
  triggers_replace = "2"
}

output "id" {
  value = terraform_data.a.id
}
"#,
    expect: &[("terraform_data.a", &["delete", "create"])],
};

const DELETE: Scenario = Scenario {
    module: "",
    before: r#"resource "terraform_data" "a" {
  input = "a"
}

resource "terraform_data" "b" {
  input = "b"
}

output "b" {
  value = terraform_data.b.output
}
"#,
    after: r#"resource "terraform_data" "a" {
  input = "a"
}
"#,
    expect: &[("terraform_data.a", &["no-op"]), ("terraform_data.b", &["delete"])],
};

const MIXED: Scenario = Scenario {
    module: "",
    before: r#"variable "tag" {
  default = "v1"
}

resource "terraform_data" "updated" {
  input = "one"
}

resource "terraform_data" "replaced" {
  triggers_replace = "x"
}

resource "terraform_data" "deleted" {
  input = 1
}

resource "terraform_data" "many" {
  count = 2
  input = count.index
}

output "o" {
  value = terraform_data.updated.output
}

output "kept" {
  value = var.tag
}
"#,
    after: r#"variable "tag" {
  default = "v1"
}

resource "terraform_data" "updated" {
  input = "two"
}

resource "terraform_data" "replaced" {
  triggers_replace = "y"
}

resource "terraform_data" "created" {
  input = { a = 1, b = [true], c = terraform_data.many[0].output }
}

resource "terraform_data" "many" {
  count = 1
  input = count.index
}

output "o" {
  value = terraform_data.updated.output
}

output "kept" {
  value = var.tag
}
"#,
    expect: &[
        ("terraform_data.created", &["create"]),
        ("terraform_data.deleted", &["delete"]),
        ("terraform_data.many[0]", &["no-op"]),
        ("terraform_data.many[1]", &["delete"]),
        ("terraform_data.replaced", &["delete", "create"]),
        ("terraform_data.updated", &["update"]),
    ],
};

const MODULE: &str = r#"variable "x" {}

resource "terraform_data" "in" {
  input = var.x
}

output "o" {
  value = terraform_data.in.output
}
"#;

const MODULES: Scenario = Scenario {
    module: MODULE,
    before: r#"resource "terraform_data" "root" {
  input = "r"
}
"#,
    after: r#"resource "terraform_data" "root" {
  input = "r"
}

module "one" {
  source   = "./m"
  for_each = toset(["a", "b"])
  x        = each.key
}

resource "terraform_data" "uses" {
  input      = module.one["a"].o
  depends_on = [module.one]
}

output "from_module" {
  value     = module.one["b"].o
  sensitive = true
}
"#,
    expect: &[
        ("module.one[\"a\"].terraform_data.in", &["create"]),
        ("module.one[\"b\"].terraform_data.in", &["create"]),
        ("terraform_data.root", &["no-op"]),
        ("terraform_data.uses", &["create"]),
    ],
};

fn meshform_plan(s: &Scenario) -> J {
    let ws = Workspace::new();
    if !s.module.is_empty() {
        ws.write("m/main.tf", s.module);
    }
    ws.write("main.tf", s.before);
    ws.run(&["apply", "-auto-approve", "-input=false"]).ok();
    ws.write("main.tf", s.after);
    ws.run(&["plan", "-input=false", "-out=p.bin"]).ok();
    let show = ws.run(&["show", "-json", "p.bin"]);
    show.ok();
    serde_json::from_str(&show.stdout).expect("plan JSON")
}

fn terraform(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("terraform")
        .args(args)
        .current_dir(dir)
        .env("TF_IN_AUTOMATION", "1")
        .env("CHECKPOINT_DISABLE", "1")
        .env("NO_COLOR", "1")
        .output()
        .expect("run terraform");
    assert!(
        out.status.success(),
        "terraform {args:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn terraform_plan(s: &Scenario) -> J {
    let dir = tempfile::tempdir().expect("temp dir");
    if !s.module.is_empty() {
        std::fs::create_dir(dir.path().join("m")).expect("mkdir");
        std::fs::write(dir.path().join("m/main.tf"), s.module).expect("write");
    }
    std::fs::write(dir.path().join("main.tf"), s.before).expect("write");
    terraform(dir.path(), &["init", "-input=false", "-no-color"]);
    terraform(dir.path(), &["apply", "-auto-approve", "-input=false", "-no-color"]);
    std::fs::write(dir.path().join("main.tf"), s.after).expect("write");
    // Again: the "after" spec may call a module the "before" one did not.
    terraform(dir.path(), &["init", "-input=false", "-no-color"]);
    terraform(dir.path(), &["plan", "-input=false", "-no-color", "-out=p.bin"]);
    serde_json::from_str(&terraform(dir.path(), &["show", "-json", "p.bin"])).expect("terraform plan JSON")
}

fn schema_errors(doc: &J) -> Vec<String> {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema/plan.schema.json")).expect("schema");
    let schema: J = serde_json::from_str(&text).expect("schema JSON");
    let validator = jsonschema::validator_for(&schema).expect("a valid draft 2020-12 schema");
    validator.iter_errors(doc).map(|e| format!("{e} at {}", e.instance_path())).collect()
}

fn keys(v: &J) -> BTreeSet<String> {
    v.as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default()
}

/// Address → the resource change.
fn changes(doc: &J) -> BTreeMap<String, J> {
    doc["resource_changes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| (r["address"].as_str().unwrap_or_default().to_string(), r.clone()))
        .collect()
}

fn output_actions(doc: &J) -> BTreeMap<String, J> {
    doc["output_changes"].as_object().into_iter().flatten().map(|(k, v)| (k.clone(), v["actions"].clone())).collect()
}

fn as_set(v: &J) -> BTreeSet<String> {
    v.as_array().into_iter().flatten().map(J::to_string).collect()
}

/// Differences between Terraform's document and meshform's, one line each.
fn differences(theirs: &J, mine: &J) -> Vec<String> {
    let mut out = Vec::new();
    let (t, m) = (keys(theirs), keys(mine));
    for k in t.difference(&m).filter(|k| !KEY_EXCEPTIONS.contains(&k.as_str())) {
        out.push(format!("top-level key {k}: Terraform has it, meshform lacks it"));
    }
    for k in m.difference(&t).filter(|k| !KEY_EXCEPTIONS.contains(&k.as_str())) {
        out.push(format!("top-level key {k}: meshform has it, Terraform does not"));
    }
    let (tc, mc) = (changes(theirs), changes(mine));
    if tc.keys().ne(mc.keys()) {
        out.push(format!("resource_changes addresses: {:?} vs {:?}", tc.keys(), mc.keys()));
    }
    for (addr, tr) in &tc {
        let Some(mr) = mc.get(addr) else { continue };
        for field in ["actions", "after_unknown", "replace_paths"] {
            if tr["change"][field] != mr["change"][field] {
                out.push(format!("{addr} change.{field}: {} vs {}", tr["change"][field], mr["change"][field]));
            }
        }
        if tr["action_reason"] != mr["action_reason"] {
            out.push(format!("{addr} action_reason: {} vs {}", tr["action_reason"], mr["action_reason"]));
        }
        if keys(&tr["change"]) != keys(&mr["change"]) {
            out.push(format!("{addr} change keys: {:?} vs {:?}", keys(&tr["change"]), keys(&mr["change"])));
        }
    }
    if output_actions(theirs) != output_actions(mine) {
        out.push(format!("output_changes actions: {:?} vs {:?}", output_actions(theirs), output_actions(mine)));
    }
    for (name, to) in theirs["output_changes"].as_object().into_iter().flatten() {
        let mo = &mine["output_changes"][name];
        if keys(to) != keys(mo) || to["after_unknown"] != mo["after_unknown"] {
            out.push(format!("output {name}: {to} vs {mo}"));
        }
    }
    // Terraform's order is its own; the set is what counts.
    if as_set(&theirs["relevant_attributes"]) != as_set(&mine["relevant_attributes"]) {
        out.push(format!("relevant_attributes: {} vs {}", theirs["relevant_attributes"], mine["relevant_attributes"]));
    }
    let config = |d: &J| d["configuration"]["root_module"].clone();
    if config(theirs) != config(mine) {
        out.push(format!("configuration.root_module:\n  {}\n  {}", config(theirs), config(mine)));
    }
    out
}

fn check(name: &str, s: &Scenario) {
    let mine = meshform_plan(s);
    let errors = schema_errors(&mine);
    assert!(errors.is_empty(), "{name}: meshform's plan JSON does not match the schema: {errors:#?}\n{mine:#}");
    let got: BTreeMap<String, J> =
        changes(&mine).into_iter().map(|(a, c)| (a, c["change"]["actions"].clone())).collect();
    let want: BTreeMap<String, J> = s.expect.iter().map(|(a, acts)| (a.to_string(), json!(acts))).collect();
    assert_eq!(got, want, "{name}: planned actions");
    common::oracle::require();
    let theirs = terraform_plan(s);
    let diffs = differences(&theirs, &mine);
    assert!(
        diffs.is_empty(),
        "{name}: meshform's plan JSON differs from Terraform's (Terraform first):\n{}",
        diffs.join("\n")
    );
}

#[test]
fn plan_json_create_matches_schema_and_terraform() {
    check("create", &CREATE);
}

#[test]
fn plan_json_update_matches_schema_and_terraform() {
    check("update", &UPDATE);
}

#[test]
fn plan_json_replace_matches_schema_and_terraform() {
    check("replace", &REPLACE);
}

#[test]
fn plan_json_delete_matches_schema_and_terraform() {
    check("delete", &DELETE);
}

#[test]
fn plan_json_mixed_matches_schema_and_terraform() {
    check("mixed", &MIXED);
}

#[test]
fn plan_json_modules_match_schema_and_terraform() {
    check("modules", &MODULES);
}

#[test]
fn plan_json_schema_rejects_what_meshform_never_writes() {
    let mut doc = meshform_plan(&UPDATE);
    assert!(schema_errors(&doc).is_empty());
    let mut bad = doc.clone();
    bad["resource_changes"][0]["change"]["actions"] = json!(["update", "create"]);
    assert!(!schema_errors(&bad).is_empty(), "an impossible action list passes");
    let mut bad = doc.clone();
    bad["surprise"] = json!(1);
    assert!(!schema_errors(&bad).is_empty(), "an undocumented top-level key passes");
    doc.as_object_mut().map(|o| o.remove("planned_values"));
    assert!(!schema_errors(&doc).is_empty(), "a document without planned_values passes");
}

#[test]
fn plan_json_of_modules_and_of_destroy_plans_fits_the_schema() {
    let ws = Workspace::new();
    ws.write("m/main.tf", MODULE);
    ws.write("main.tf", MODULES.after);
    ws.run(&["plan", "-input=false", "-out=p.bin"]).ok();
    let doc: J = serde_json::from_str(&ws.run(&["show", "-json", "p.bin"]).stdout).expect("plan JSON");
    let errors = schema_errors(&doc);
    assert!(errors.is_empty(), "{errors:#?}\n{doc:#}");
    let modules = &doc["planned_values"]["root_module"]["child_modules"];
    assert_eq!(modules[0]["address"], "module.one[\"a\"]", "{modules:#}");
    assert_eq!(modules[0]["resources"][0]["address"], "module.one[\"a\"].terraform_data.in");
    let change = changes(&doc).remove("module.one[\"b\"].terraform_data.in").expect("module change");
    assert_eq!(change["module_address"], "module.one[\"b\"]");
    let config = &doc["configuration"]["root_module"];
    assert!(config["module_calls"]["one"].get("for_each_expression").is_none(), "toset() is not shown: {config:#}");
    assert_eq!(config["resources"][1]["address"], "terraform_data.uses");
    assert_eq!(config["resources"][1]["depends_on"], json!(["module.one"]));
    assert_eq!(config["outputs"]["from_module"]["sensitive"], true);
    assert!(
        as_set(&doc["relevant_attributes"])
            .contains(&json!({"resource": "module.one[\"a\"].terraform_data.in", "attribute": ["output"]}).to_string()),
        "{}",
        doc["relevant_attributes"]
    );

    ws.run(&["apply", "p.bin"]).ok();
    ws.run(&["plan", "-destroy", "-input=false", "-out=d.bin"]).ok();
    let doc: J = serde_json::from_str(&ws.run(&["show", "-json", "d.bin"]).stdout).expect("plan JSON");
    let errors = schema_errors(&doc);
    assert!(errors.is_empty(), "{errors:#?}\n{doc:#}");
    assert!(changes(&doc).values().all(|c| c["change"]["actions"] == json!(["delete"])), "{doc:#}");
}
