//! Bad input gives a clear error naming the file and line (or the state file), exit 1,
//! and leaves the state byte-identical. The rendered diagnostics are snapshot-tested.

mod common;

use common::Workspace;

/// A workspace with one applied resource, so there is a state to keep intact.
fn applied() -> Workspace {
    let ws = Workspace::new();
    ws.write("main.tf", "resource \"terraform_data\" \"keep\" {\n  input = \"x\"\n}\n");
    ws.run(&["apply", "-auto-approve"]).ok();
    ws
}

/// Runs `plan` on a broken spec; checks exit 1 and an untouched state; returns stderr.
fn plan_fails(ws: &Workspace, args: &[&str]) -> String {
    let before = std::fs::read(ws.state_path()).expect("state");
    let mut all = vec!["plan", "-input=false"];
    all.extend_from_slice(args);
    let r = ws.run(&all);
    assert_eq!(r.code, 1, "expected failure\nstdout:\n{}\nstderr:\n{}", r.stdout, r.stderr);
    let apply = ws.run(&["apply", "-auto-approve", "-input=false"]);
    assert_eq!(apply.code, 1);
    assert_eq!(std::fs::read(ws.state_path()).expect("state"), before, "state changed");
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    assert!(!r.stderr.contains("RUST_BACKTRACE"), "{}", r.stderr);
    r.stderr
}

#[test]
fn syntax_error_points_at_file_and_line() {
    let ws = applied();
    ws.write("broken.tf", "resource \"terraform_data\" \"b\" {\n  input = [1, 2\n}\n");
    let err = plan_fails(&ws, &[]);
    assert!(err.contains("broken.tf:3"), "{err}");
    insta::assert_snapshot!(err);
}

#[test]
fn cycle_names_every_member() {
    let ws = applied();
    ws.write(
        "cycle.tf",
        "locals {\n  a = local.b\n  b = terraform_data.c.output\n}\nresource \"terraform_data\" \"c\" {\n  input = local.a\n}\n",
    );
    let err = plan_fails(&ws, &[]);
    for member in ["local.a", "local.b", "terraform_data.c"] {
        assert!(err.contains(member), "{member} missing: {err}");
    }
    insta::assert_snapshot!(err);
}

#[test]
fn undeclared_reference_suggests_the_close_name() {
    let ws = applied();
    ws.write("vars.tf", "variable \"workers\" {\n  default = 2\n}\noutput \"w\" {\n  value = var.worker\n}\n");
    let err = plan_fails(&ws, &[]);
    assert!(err.contains("vars.tf:5"), "{err}");
    assert!(err.contains("did you mean var.workers?"), "{err}");
    insta::assert_snapshot!(err);
}

#[test]
fn wrong_type_for_var_is_refused() {
    let ws = applied();
    ws.write("vars.tf", "variable \"n\" {\n  type = number\n}\noutput \"n\" {\n  value = var.n\n}\n");
    let err = plan_fails(&ws, &["-var", "n=many"]);
    assert!(err.contains("Invalid value for input variable"), "{err}");
    assert!(err.contains("vars.tf:1"), "{err}");
    insta::assert_snapshot!(err);
}

#[test]
fn function_error_points_at_the_call() {
    let ws = applied();
    ws.write("net.tf", "output \"subnet\" {\n  value = cidrsubnet(\"10.0.0.0/8\", 30, 1)\n}\n");
    let err = plan_fails(&ws, &[]);
    assert!(err.contains("net.tf:2"), "{err}");
    assert!(err.contains("cidrsubnet"), "{err}");
    insta::assert_snapshot!(err);
}

#[test]
fn corrupt_state_is_refused_and_left_alone() {
    let ws = applied();
    let corrupt = b"{\"format_version\": 1, \"serial\": ";
    std::fs::write(ws.state_path(), corrupt).expect("write");
    let r = ws.run(&["plan"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stderr.contains("meshform.tfstate"), "{}", r.stderr);
    let r = ws.run(&["apply", "-auto-approve"]);
    assert_eq!(r.code, 1);
    assert_eq!(std::fs::read(ws.state_path()).expect("state"), corrupt);
}

#[test]
fn newer_state_format_is_refused() {
    let ws = applied();
    let mut state = ws.state();
    state["format_version"] = serde_json::json!(99);
    let text = serde_json::to_string(&state).expect("json");
    std::fs::write(ws.state_path(), &text).expect("write");
    let r = ws.run(&["apply", "-auto-approve"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("newer"), "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(ws.state_path()).expect("state"), text);
}

#[test]
fn failed_preconditions_stop_the_plan_with_their_message() {
    let ws = applied();
    ws.write(
        "checks.tf",
        "variable \"n\" {\n  default = 3\n}\nresource \"terraform_data\" \"r\" {\n  input = var.n\n  lifecycle {\n    precondition {\n      condition     = var.n < 2\n      error_message = \"n must be below 2.\"\n    }\n  }\n}\noutput \"o\" {\n  value = var.n\n  precondition {\n    condition     = var.n > 5\n    error_message = \"n must be above 5.\"\n  }\n}\n",
    );
    let err = plan_fails(&ws, &[]);
    assert!(err.contains("Resource precondition failed") && err.contains("n must be below 2."), "{err}");
    assert!(err.contains("terraform_data.r"), "{err}");
    assert!(err.contains("Module output value precondition failed") && err.contains("n must be above 5."), "{err}");
    assert!(err.contains("checks.tf:8"), "{err}");
}

#[test]
fn mistyped_resource_types_suggest_the_close_type() {
    let ws = applied();
    ws.write("typo.tf", "resource \"terraform_dta\" \"x\" {\n  input = 1\n}\n");
    let err = plan_fails(&ws, &[]);
    assert!(err.contains("did you mean `terraform_data`?"), "{err}");
    ws.write("typo.tf", "resource \"aws_instnace\" \"x\" {\n  ami = \"ami-1\"\n}\n");
    let err = plan_fails(&ws, &[]);
    assert!(err.contains("did you mean `aws_instance`?"), "{err}");
    ws.write("typo.tf", "resource \"awss_instance\" \"x\" {\n  ami = \"ami-1\"\n}\n");
    let err = plan_fails(&ws, &[]);
    assert!(err.contains("did you mean `aws_instance`?"), "{err}");
}
