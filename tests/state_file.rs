//! The state file on disk: it validates against `schema/state.schema.json`, is private
//! (0600) with a backup, and survives `kill -9` of an apply: what finished is recovered
//! from the journal and the next apply completes the rest without duplicates.

mod common;

use common::Workspace;
use serde_json::Value as J;

/// A small JSON Schema checker for the keywords the state schema uses.
fn check(schema: &J, root: &J, v: &J, path: &str, errors: &mut Vec<String>) {
    if let Some(r) = schema.get("$ref").and_then(J::as_str) {
        let name = r.trim_start_matches("#/$defs/");
        return check(&root["$defs"][name], root, v, path, errors);
    }
    if let Some(c) = schema.get("const")
        && c != v
    {
        errors.push(format!("{path}: expected {c}, found {v}"));
    }
    if let Some(options) = schema.get("enum").and_then(J::as_array)
        && !options.contains(v)
    {
        errors.push(format!("{path}: {v} is not one of {options:?}"));
    }
    if let Some(alts) = schema.get("oneOf").and_then(J::as_array) {
        let ok = alts.iter().filter(|a| {
            let mut e = Vec::new();
            check(a, root, v, path, &mut e);
            e.is_empty()
        });
        if ok.count() != 1 {
            errors.push(format!("{path}: {v} matches not exactly one alternative"));
        }
    }
    if let Some(t) = schema.get("type") {
        let types: Vec<&str> = match t {
            J::String(s) => vec![s.as_str()],
            J::Array(a) => a.iter().filter_map(J::as_str).collect(),
            _ => vec![],
        };
        let actual = match v {
            J::Null => "null",
            J::Bool(_) => "boolean",
            J::Number(n) if n.is_i64() || n.is_u64() => "integer",
            J::Number(_) => "number",
            J::String(_) => "string",
            J::Array(_) => "array",
            J::Object(_) => "object",
        };
        if !types.iter().any(|t| *t == actual || (*t == "number" && actual == "integer")) {
            errors.push(format!("{path}: expected {types:?}, found {actual}"));
        }
    }
    if let (Some(obj), J::Object(m)) = (schema.get("properties").and_then(J::as_object), v) {
        for req in schema.get("required").and_then(J::as_array).into_iter().flatten().filter_map(J::as_str) {
            if !m.contains_key(req) {
                errors.push(format!("{path}: missing required {req:?}"));
            }
        }
        for (k, x) in m {
            match obj.get(k) {
                Some(s) => check(s, root, x, &format!("{path}.{k}"), errors),
                None if schema.get("additionalProperties") == Some(&J::Bool(false)) => {
                    errors.push(format!("{path}: unexpected property {k:?}"))
                }
                None => {}
            }
        }
    }
    if let (Some(extra), J::Object(m)) = (schema.get("additionalProperties").filter(|a| a.is_object()), v)
        && schema.get("properties").is_none()
    {
        for (k, x) in m {
            check(extra, root, x, &format!("{path}.{k}"), errors);
        }
    }
    if let (Some(items), J::Array(xs)) = (schema.get("items"), v) {
        for (i, x) in xs.iter().enumerate() {
            check(items, root, x, &format!("{path}[{i}]"), errors);
        }
    }
}

fn validate(doc: &J) -> Vec<String> {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema/state.schema.json")).expect("schema");
    let schema: J = serde_json::from_str(&text).expect("schema is JSON");
    let mut errors = Vec::new();
    check(&schema, &schema, doc, "$", &mut errors);
    errors
}

#[test]
fn written_state_matches_the_schema_and_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let ws = Workspace::new();
    ws.write(
        "main.tf",
        r#"
variable "secret" {
  default   = "s3cr3t"
  sensitive = true
}
resource "terraform_data" "set" {
  for_each = toset(["a", "b"])
  input    = { name = each.key, tags = ["x"], secret = var.secret }
}
module "m" {
  source = "./m"
}
output "names" { value = [for k, v in terraform_data.set : v.output.name] }
"#,
    );
    ws.write("m/main.tf", "resource \"terraform_data\" \"inner\" {\n  count = 2\n  input = count.index\n}\n");
    ws.run(&["apply", "-auto-approve"]).ok();
    let errors = validate(&ws.state());
    assert!(errors.is_empty(), "{errors:#?}");
    let mode = std::fs::metadata(ws.state_path()).expect("state").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let text = std::fs::read_to_string(ws.state_path()).expect("state");
    assert!(text.contains("\"sensitive_attributes\""), "{text}");
    ws.run(&["apply", "-auto-approve", "-var", "secret=other"]).ok();
    assert!(ws.path().join("meshform.tfstate.backup").exists());
    assert!(
        validate(
            &serde_json::from_str(&std::fs::read_to_string(ws.path().join("meshform.tfstate.backup")).expect("backup"))
                .expect("json")
        )
        .is_empty()
    );
}

#[test]
fn kill_dash_nine_during_apply_loses_nothing_that_finished() {
    let ws = Workspace::new();
    let n = 3000;
    let mut spec = String::new();
    for i in 0..n {
        spec.push_str(&format!("resource \"terraform_data\" \"r{i}\" {{\n  input = {i}\n}}\n"));
    }
    ws.write("main.tf", &spec);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_meshform"))
        .args(["apply", "-auto-approve", "-parallelism=2"])
        .current_dir(ws.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    // Wait until the journal shows the apply has started recording, then kill it hard.
    let journal = ws.path().join("meshform.tfstate.journal");
    let started = std::time::Instant::now();
    while std::fs::metadata(&journal).map(|m| m.len()).unwrap_or(0) < 2000 && started.elapsed().as_secs() < 30 {
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    let _ = std::process::Command::new("kill").args(["-9", &child.id().to_string()]).status();
    let _ = child.wait();
    let interrupted = journal.exists();
    let recorded = ws.addresses().len();
    println!("killed after {recorded} of {n} instances were recorded (journal left: {interrupted})");
    assert!(recorded <= n);
    if interrupted {
        // Everything that finished before the kill is readable from the journal.
        assert!(recorded > 0, "the journal had records, but none were recovered");
        let warn = ws.run(&["state", "list"]);
        assert!(warn.stderr.contains("Recovered an interrupted apply"), "{}", warn.stderr);
    }
    // The lock of the killed run is taken over; the rest is created, nothing twice.
    let r = ws.run(&["apply", "-auto-approve"]);
    r.ok();
    let addresses = ws.addresses();
    assert_eq!(addresses.len(), n, "after recovery: {}", r.stdout.lines().last().unwrap_or_default());
    let again = ws.run(&["plan", "-detailed-exitcode"]);
    assert_eq!(again.code, 0, "{}", again.stdout);
    assert!(!journal.exists());
    assert!(validate(&ws.state()).is_empty());
}

#[test]
fn ctrl_c_stops_new_work_records_finished_work_and_exits_1() {
    let ws = Workspace::new();
    let n = 3000;
    let mut spec = String::new();
    for i in 0..n {
        spec.push_str(&format!("resource \"terraform_data\" \"r{i}\" {{\n  input = {i}\n}}\n"));
    }
    ws.write("main.tf", &spec);
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_meshform"))
        .args(["apply", "-auto-approve", "-parallelism=1"])
        .current_dir(ws.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let journal = ws.path().join("meshform.tfstate.journal");
    let started = std::time::Instant::now();
    while std::fs::metadata(&journal).map(|m| m.len()).unwrap_or(0) < 2000 && started.elapsed().as_secs() < 30 {
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    let _ = std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status();
    let out = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let recorded = ws.addresses().len();
    if recorded < n {
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains("Apply interrupted"), "{stderr}");
        assert_eq!(stderr.matches("Apply interrupted").count(), 1, "one summary, not one per resource");
        // Finished work was folded into the state file itself, not left in the journal.
        assert!(!journal.exists());
    }
    ws.run(&["apply", "-auto-approve"]).ok();
    assert_eq!(ws.addresses().len(), n);
}
