//! `examples/ci/gate.sh` and `show -markdown` as a pipeline uses them: exit 0 with no
//! changes, 2 with changes (plan, Markdown and JSON written), 1 on unformatted or invalid
//! specs; the Markdown summary checked whole.

mod common;

use std::process::Command;

use common::Workspace;

fn gate(ws: &Workspace) -> (i32, String) {
    let out = Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/ci/gate.sh"))
        .arg(ws.path().join("spec"))
        .arg(ws.path().join("out"))
        .env("MESHFORM", env!("CARGO_BIN_EXE_meshform"))
        .env("NO_COLOR", "1")
        .output()
        .expect("gate.sh");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into_owned())
}

const BEFORE: &str = "resource \"terraform_data\" \"kept\" {\n  input = \"one\"\n}\n\nresource \"terraform_data\" \"replaced\" {\n  triggers_replace = \"x\"\n}\n\nresource \"terraform_data\" \"gone\" {}\n\noutput \"o\" {\n  value = terraform_data.kept.output\n}\n";
const AFTER: &str = "resource \"terraform_data\" \"kept\" {\n  input = \"two\"\n}\n\nresource \"terraform_data\" \"replaced\" {\n  triggers_replace = \"y\"\n}\n\nresource \"terraform_data\" \"new\" {\n  input = \"secret-ish\"\n}\n\noutput \"o\" {\n  value = terraform_data.kept.output\n}\n";

#[test]
fn the_gate_exits_0_2_or_1_and_writes_the_review_files() {
    let ws = Workspace::new();
    ws.write("spec/main.tf", BEFORE);
    ws.run(&["-chdir=spec", "apply", "-auto-approve"]).ok();
    let (code, err) = gate(&ws);
    assert_eq!(code, 0, "no changes: {err}");
    let md = std::fs::read_to_string(ws.path().join("out/plan.md")).expect("plan.md");
    assert!(md.starts_with("### meshform plan: no changes"), "{md}");

    ws.write("spec/main.tf", AFTER);
    let (code, err) = gate(&ws);
    assert_eq!(code, 2, "changes: {err}");
    let md = std::fs::read_to_string(ws.path().join("out/plan.md")).expect("plan.md");
    insta::assert_snapshot!("gate_plan_markdown", md);
    assert!(!md.contains("secret-ish") && !md.contains("two"), "no values in the summary");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(ws.path().join("out/plan.json")).expect("json")).expect("JSON");
    assert_eq!(json["resource_changes"].as_array().map(Vec::len), Some(4));
    assert!(ws.path().join("out/plan.bin").exists());

    ws.write("spec/main.tf", "resource \"terraform_data\" \"x\" {\ninput=1\n}\n");
    let (code, err) = gate(&ws);
    assert_eq!(code, 1);
    assert!(err.contains("not formatted"), "{err}");
    ws.write("spec/main.tf", "resource \"terraform_data\" \"x\" {\n  input = var.missing\n}\n");
    let (code, err) = gate(&ws);
    assert_eq!(code, 1);
    assert!(err.contains("undeclared input variable"), "{err}");
    let r = ws.run(&["-chdir=spec", "show", "-markdown"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("-markdown shows a saved plan"), "{}", r.stderr);
}
