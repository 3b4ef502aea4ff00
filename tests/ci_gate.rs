//! `examples/ci/gate.sh` as a pipeline runs it against a spec directory: exit 0 with no
//! changes, 2 with changes (plan, Markdown and JSON written), 1 on an unformatted or
//! invalid spec or a plan that fails.

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

fn read(ws: &Workspace, name: &str) -> String {
    std::fs::read_to_string(ws.path().join("out").join(name)).unwrap_or_else(|e| panic!("out/{name}: {e}"))
}

const BEFORE: &str = "resource \"terraform_data\" \"kept\" {\n  input = \"one\"\n}\n\nresource \"terraform_data\" \"replaced\" {\n  triggers_replace = \"x\"\n}\n\nresource \"terraform_data\" \"gone\" {}\n\noutput \"o\" {\n  value = terraform_data.kept.output\n}\n";
const AFTER: &str = "resource \"terraform_data\" \"kept\" {\n  input = \"two\"\n}\n\nresource \"terraform_data\" \"replaced\" {\n  triggers_replace = \"y\"\n}\n\nresource \"terraform_data\" \"new\" {\n  input = sensitive(\"secret-ish\")\n}\n\noutput \"o\" {\n  value = terraform_data.kept.output\n}\n";

#[test]
fn the_gate_exits_0_without_changes_2_with_changes_and_1_on_errors() {
    let ws = Workspace::new();
    ws.write("spec/main.tf", BEFORE);
    ws.run(&["-chdir=spec", "apply", "-auto-approve"]).ok();
    let (code, err) = gate(&ws);
    assert_eq!(code, 0, "no changes: {err}");
    assert!(read(&ws, "plan.md").starts_with("### No changes"), "{}", read(&ws, "plan.md"));

    ws.write("spec/main.tf", AFTER);
    let (code, err) = gate(&ws);
    assert_eq!(code, 2, "changes: {err}");
    let md = read(&ws, "plan.md");
    assert!(md.starts_with("### Plan: 2 to add, 1 to change, 2 to destroy\n"), "{md}");
    assert!(!md.contains("secret-ish"), "a sensitive value in the summary:\n{md}");
    let json: serde_json::Value = serde_json::from_str(&read(&ws, "plan.json")).expect("plan JSON");
    assert_eq!(json["resource_changes"].as_array().map(Vec::len), Some(4));
    assert!(ws.path().join("out/plan.bin").exists());
    ws.run(&["-chdir=spec", "apply", "-input=false", "../out/plan.bin"]).ok();
    assert_eq!(gate(&ws).0, 0, "the saved plan applied leaves nothing to do");

    ws.write("spec/main.tf", "resource \"terraform_data\" \"x\" {\ninput=1\n}\n");
    let (code, err) = gate(&ws);
    assert_eq!(code, 1);
    assert!(err.contains("not formatted"), "{err}");
    ws.write("spec/main.tf", "resource \"terraform_data\" \"x\" {\n  input = var.missing\n}\n");
    let (code, err) = gate(&ws);
    assert_eq!(code, 1);
    assert!(err.contains("undeclared input variable"), "{err}");
    ws.write(
        "spec/main.tf",
        "variable \"needed\" {}\n\nresource \"terraform_data\" \"x\" {\n  input = var.needed\n}\n",
    );
    let (code, err) = gate(&ws);
    assert_eq!(code, 1, "a plan that fails: {err}");
    assert!(err.contains("No value for required variable"), "{err}");
}
