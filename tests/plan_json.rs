//! `show -json PLANFILE` against Terraform's: the same `terraform_data` specs planned by
//! `terraform` and by meshform (create, update in place, replace through
//! `triggers_replace`, delete, an output that changes), then both plans' JSON compared: the
//! same top-level keys (but for the documented exception), the same resource changes with
//! the same actions, keys and reasons, the same output changes, the same addresses in
//! planned_values and prior_state. meshform's also validates against
//! `schema/plan.schema.json`. The comparison with terraform is skipped with a notice where
//! it is absent; the schema check runs anyway.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use common::Workspace;

const BEFORE: &str = "variable \"tag\" {\n  default = \"v1\"\n}\nresource \"terraform_data\" \"updated\" {\n  input = \"one\"\n}\nresource \"terraform_data\" \"replaced\" {\n  triggers_replace = \"x\"\n}\nresource \"terraform_data\" \"deleted\" {\n  input = 1\n}\nresource \"terraform_data\" \"many\" {\n  count = 2\n  input = count.index\n}\noutput \"o\" {\n  value = terraform_data.updated.output\n}\noutput \"kept\" {\n  value = var.tag\n}\n";
const AFTER: &str = "variable \"tag\" {\n  default = \"v1\"\n}\nresource \"terraform_data\" \"updated\" {\n  input = \"two\"\n}\nresource \"terraform_data\" \"replaced\" {\n  triggers_replace = \"y\"\n}\nresource \"terraform_data\" \"created\" {\n  input = { a = 1, b = [true] }\n}\nresource \"terraform_data\" \"many\" {\n  count = 1\n  input = count.index\n}\noutput \"o\" {\n  value = terraform_data.updated.output\n}\noutput \"kept\" {\n  value = var.tag\n}\n";

/// Keys only one side has, on purpose: meshform names its own version.
const EXCEPTIONS: [&str; 2] = ["terraform_version", "meshform_version"];

fn meshform_plan_json() -> serde_json::Value {
    let ws = Workspace::new();
    ws.write("main.tf", BEFORE);
    ws.run(&["apply", "-auto-approve"]).ok();
    ws.write("main.tf", AFTER);
    ws.run(&["plan", "-out=p.bin"]).ok();
    let show = ws.run(&["show", "-json", "p.bin"]);
    show.ok();
    serde_json::from_str(&show.stdout).expect("plan JSON")
}

fn terraform_plan_json() -> Option<serde_json::Value> {
    let tf = |dir: &Path, args: &[&str]| {
        let out = Command::new("terraform").args(args).current_dir(dir).env("TF_IN_AUTOMATION", "1").output().ok()?;
        out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("main.tf"), BEFORE).expect("write");
    tf(dir.path(), &["init", "-input=false"])?;
    tf(dir.path(), &["apply", "-auto-approve", "-input=false"])?;
    std::fs::write(dir.path().join("main.tf"), AFTER).expect("write");
    tf(dir.path(), &["plan", "-out=p.bin", "-input=false"])?;
    serde_json::from_str(&tf(dir.path(), &["show", "-json", "p.bin"])?).ok()
}

fn keys(v: &serde_json::Value) -> BTreeSet<String> {
    v.as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default()
}

fn changes(v: &serde_json::Value) -> BTreeSet<(String, String, String)> {
    v["resource_changes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            (
                r["address"].as_str().unwrap_or_default().to_string(),
                r["change"]["actions"].to_string(),
                r["action_reason"].as_str().unwrap_or("-").to_string(),
            )
        })
        .collect()
}

fn addresses(module: &serde_json::Value) -> BTreeSet<String> {
    module["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["address"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn show_json_matches_terraform_and_the_schema() {
    let mine = meshform_plan_json();
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema/plan.schema.json")).expect("schema");
    let schema: serde_json::Value = serde_json::from_str(&text).expect("schema JSON");
    let validator = jsonschema::validator_for(&schema).expect("a valid schema");
    let errors: Vec<String> = validator.iter_errors(&mine).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "meshform's plan JSON does not match its schema: {errors:#?}");
    let got = changes(&mine);
    assert!(
        got.contains(&(
            "terraform_data.replaced".into(),
            "[\"delete\",\"create\"]".into(),
            "replace_because_cannot_update".into()
        )),
        "{got:?}"
    );

    if Command::new("terraform").arg("version").output().is_err() {
        println!("terraform not found: skipping the comparison with Terraform's plan JSON");
        return;
    }
    let Some(theirs) = terraform_plan_json() else { panic!("terraform could not plan the spec") };
    let only = |a: &serde_json::Value, b: &serde_json::Value| -> Vec<String> {
        keys(a).difference(&keys(b)).filter(|k| !EXCEPTIONS.contains(&k.as_str())).cloned().collect()
    };
    assert!(only(&theirs, &mine).is_empty(), "keys Terraform has and meshform lacks: {:?}", only(&theirs, &mine));
    assert!(only(&mine, &theirs).is_empty(), "keys meshform has and Terraform lacks: {:?}", only(&mine, &theirs));
    assert_eq!(changes(&mine), changes(&theirs), "resource changes, actions and reasons");
    let (m0, t0) = (&mine["resource_changes"][0], &theirs["resource_changes"][0]);
    assert_eq!(keys(&m0["change"]), keys(&t0["change"]), "change keys");
    for (name, t) in theirs["output_changes"].as_object().into_iter().flatten() {
        let m = &mine["output_changes"][name];
        assert_eq!(m["actions"], t["actions"], "output {name}");
        assert_eq!(keys(m), keys(t), "output {name} keys");
    }
    assert_eq!(keys(&mine["output_changes"]), keys(&theirs["output_changes"]));
    assert_eq!(addresses(&mine["planned_values"]["root_module"]), addresses(&theirs["planned_values"]["root_module"]));
    assert_eq!(
        addresses(&mine["prior_state"]["values"]["root_module"]),
        addresses(&theirs["prior_state"]["values"]["root_module"])
    );
    assert_eq!(addresses(&mine["configuration"]["root_module"]), addresses(&theirs["configuration"]["root_module"]));
    assert_eq!(mine["variables"]["tag"]["value"], theirs["variables"]["tag"]["value"]);
}
