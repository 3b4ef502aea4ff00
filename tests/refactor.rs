//! `moved` and `removed` blocks against Terraform. Each scenario applies a "before" spec
//! with both tools, then plans an "after" spec that refactors it; the plan JSON of both
//! must have the same resource changes (address, actions, `previous_address`,
//! `action_reason`), and meshform's must also be the one written down here, so the test
//! says what is expected even where both tools could agree on something wrong. Applying
//! the refactoring must keep every moved object (the same `id`: nothing destroyed or made
//! again) and make no provider call. Error scenarios must fail in both tools with the
//! same summary.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::{Workspace, oracle};
use serde_json::Value as J;

/// One scenario: files before and after (a file absent after is deleted), and the
/// changes meshform must plan: `(address, actions, previous address, reason)`.
struct Scenario {
    name: &'static str,
    before: &'static [(&'static str, &'static str)],
    after: &'static [(&'static str, &'static str)],
    expect: &'static [(&'static str, &'static str, Option<&'static str>, Option<&'static str>)],
}

const MODULE: &str = r#"resource "terraform_data" "a" {
  input = "in module"
}
"#;

const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "rename",
        before: &[("main.tf", "resource \"terraform_data\" \"old\" {\n  input = \"hello\"\n}\n")],
        after: &[(
            "main.tf",
            "resource \"terraform_data\" \"new\" {\n  input = \"hello\"\n}\n\nmoved {\n  from = terraform_data.old\n  to   = terraform_data.new\n}\n",
        )],
        expect: &[("terraform_data.new", "no-op", Some("terraform_data.old"), None)],
    },
    Scenario {
        name: "into-module",
        before: &[
            ("main.tf", "resource \"terraform_data\" \"a\" {\n  input = \"in module\"\n}\n"),
            ("m/main.tf", MODULE),
        ],
        after: &[
            (
                "main.tf",
                "module \"m\" {\n  source = \"./m\"\n}\n\nmoved {\n  from = terraform_data.a\n  to   = module.m.terraform_data.a\n}\n",
            ),
            ("m/main.tf", MODULE),
        ],
        expect: &[("module.m.terraform_data.a", "no-op", Some("terraform_data.a"), None)],
    },
    Scenario {
        name: "out-of-module",
        before: &[("main.tf", "module \"m\" {\n  source = \"./m\"\n}\n"), ("m/main.tf", MODULE)],
        after: &[
            (
                "main.tf",
                "resource \"terraform_data\" \"a\" {\n  input = \"in module\"\n}\n\nmoved {\n  from = module.m.terraform_data.a\n  to   = terraform_data.a\n}\n",
            ),
            ("m/main.tf", MODULE),
        ],
        expect: &[("terraform_data.a", "no-op", Some("module.m.terraform_data.a"), None)],
    },
    Scenario {
        name: "module-rename-and-key",
        before: &[("main.tf", "module \"m\" {\n  source = \"./m\"\n}\n"), ("m/main.tf", MODULE)],
        after: &[
            (
                "main.tf",
                "module \"n\" {\n  source   = \"./m\"\n  for_each = toset([\"k\"])\n}\n\nmoved {\n  from = module.m\n  to   = module.n[\"k\"]\n}\n",
            ),
            ("m/main.tf", MODULE),
        ],
        expect: &[("module.n[\"k\"].terraform_data.a", "no-op", Some("module.m.terraform_data.a"), None)],
    },
    Scenario {
        name: "moved-inside-a-module-with-for-each",
        before: &[
            ("main.tf", "module \"m\" {\n  source   = \"./m\"\n  for_each = toset([\"a\", \"b\"])\n}\n"),
            ("m/main.tf", "resource \"terraform_data\" \"old\" {\n  input = 1\n}\n"),
        ],
        after: &[
            ("main.tf", "module \"m\" {\n  source   = \"./m\"\n  for_each = toset([\"a\", \"b\"])\n}\n"),
            (
                "m/main.tf",
                "resource \"terraform_data\" \"new\" {\n  input = 1\n}\n\nmoved {\n  from = terraform_data.old\n  to   = terraform_data.new\n}\n",
            ),
        ],
        expect: &[
            ("module.m[\"a\"].terraform_data.new", "no-op", Some("module.m[\"a\"].terraform_data.old"), None),
            ("module.m[\"b\"].terraform_data.new", "no-op", Some("module.m[\"b\"].terraform_data.old"), None),
        ],
    },
    Scenario {
        name: "module-gains-count",
        before: &[("main.tf", "module \"m\" {\n  source = \"./m\"\n}\n"), ("m/main.tf", MODULE)],
        after: &[
            (
                "main.tf",
                "module \"m\" {\n  source = \"./m\"\n  count  = 1\n}\n\nmoved {\n  from = module.m\n  to   = module.m[0]\n}\n",
            ),
            ("m/main.tf", MODULE),
        ],
        expect: &[("module.m[0].terraform_data.a", "no-op", Some("module.m.terraform_data.a"), None)],
    },
    Scenario {
        name: "count-to-for-each",
        before: &[("main.tf", "resource \"terraform_data\" \"x\" {\n  count = 2\n  input = count.index\n}\n")],
        after: &[(
            "main.tf",
            "resource \"terraform_data\" \"x\" {\n  for_each = { a = 0, b = 1 }\n  input    = each.value\n}\n\nmoved {\n  from = terraform_data.x[0]\n  to   = terraform_data.x[\"a\"]\n}\n\nmoved {\n  from = terraform_data.x[1]\n  to   = terraform_data.x[\"b\"]\n}\n",
        )],
        expect: &[
            ("terraform_data.x[\"a\"]", "no-op", Some("terraform_data.x[0]"), None),
            ("terraform_data.x[\"b\"]", "no-op", Some("terraform_data.x[1]"), None),
        ],
    },
    Scenario {
        name: "chain",
        before: &[("main.tf", "resource \"terraform_data\" \"a\" {\n  input = 1\n}\n")],
        after: &[(
            "main.tf",
            "resource \"terraform_data\" \"c\" {\n  input = 1\n}\n\nmoved {\n  from = terraform_data.a\n  to   = terraform_data.b\n}\n\nmoved {\n  from = terraform_data.b\n  to   = terraform_data.c\n}\n",
        )],
        expect: &[("terraform_data.c", "no-op", Some("terraform_data.a"), None)],
    },
    Scenario {
        name: "whole-resource-keeps-keys",
        before: &[("main.tf", "resource \"terraform_data\" \"x\" {\n  count = 2\n  input = count.index\n}\n")],
        after: &[(
            "main.tf",
            "resource \"terraform_data\" \"y\" {\n  count = 2\n  input = count.index\n}\n\nmoved {\n  from = terraform_data.x\n  to   = terraform_data.y\n}\n",
        )],
        expect: &[
            ("terraform_data.y[0]", "no-op", Some("terraform_data.x[0]"), None),
            ("terraform_data.y[1]", "no-op", Some("terraform_data.x[1]"), None),
        ],
    },
    Scenario {
        name: "implied-count-added",
        before: &[("main.tf", "resource \"terraform_data\" \"x\" {\n  input = \"v\"\n}\n")],
        after: &[("main.tf", "resource \"terraform_data\" \"x\" {\n  count = 1\n  input = \"v\"\n}\n")],
        expect: &[("terraform_data.x[0]", "no-op", Some("terraform_data.x"), None)],
    },
    Scenario {
        name: "implied-count-removed",
        before: &[("main.tf", "resource \"terraform_data\" \"x\" {\n  count = 1\n  input = \"v\"\n}\n")],
        after: &[("main.tf", "resource \"terraform_data\" \"x\" {\n  input = \"v\"\n}\n")],
        expect: &[("terraform_data.x", "no-op", Some("terraform_data.x[0]"), None)],
    },
    Scenario {
        name: "moved-and-updated",
        before: &[("main.tf", "resource \"terraform_data\" \"a\" {\n  input = \"one\"\n}\n")],
        after: &[(
            "main.tf",
            "resource \"terraform_data\" \"q\" {\n  input = \"two\"\n}\n\nmoved {\n  from = terraform_data.a\n  to   = terraform_data.q\n}\n",
        )],
        expect: &[("terraform_data.q", "update", Some("terraform_data.a"), None)],
    },
    Scenario {
        name: "moved-out-of-configuration",
        before: &[(
            "main.tf",
            "resource \"terraform_data\" \"b\" {\n  input = 1\n}\n\nresource \"terraform_data\" \"k\" {\n  input = 2\n}\n",
        )],
        after: &[(
            "main.tf",
            "resource \"terraform_data\" \"k\" {\n  input = 2\n}\n\nmoved {\n  from = terraform_data.b\n  to   = terraform_data.z\n}\n",
        )],
        expect: &[
            ("terraform_data.z", "delete", Some("terraform_data.b"), Some("delete_because_no_move_target")),
            ("terraform_data.k", "no-op", None, None),
        ],
    },
    Scenario {
        name: "blocked",
        before: &[(
            "main.tf",
            "resource \"terraform_data\" \"a\" {\n  input = 1\n}\n\nresource \"terraform_data\" \"b\" {\n  input = 2\n}\n",
        )],
        after: &[(
            "main.tf",
            "resource \"terraform_data\" \"b\" {\n  input = 2\n}\n\nmoved {\n  from = terraform_data.a\n  to   = terraform_data.b\n}\n",
        )],
        expect: &[
            ("terraform_data.a", "delete", None, Some("delete_because_no_resource_config")),
            ("terraform_data.b", "no-op", None, None),
        ],
    },
    Scenario {
        name: "removed-forget",
        before: &[(
            "main.tf",
            "resource \"terraform_data\" \"keep\" {\n  input = 1\n}\n\nresource \"terraform_data\" \"other\" {\n  input = 2\n}\n",
        )],
        after: &[(
            "main.tf",
            "resource \"terraform_data\" \"other\" {\n  input = 2\n}\n\nremoved {\n  from = terraform_data.keep\n\n  lifecycle {\n    destroy = false\n  }\n}\n",
        )],
        expect: &[
            ("terraform_data.keep", "forget", None, Some("delete_because_no_resource_config")),
            ("terraform_data.other", "no-op", None, None),
        ],
    },
    Scenario {
        name: "removed-module-forget",
        before: &[("main.tf", "module \"m\" {\n  source = \"./m\"\n}\n"), ("m/main.tf", MODULE)],
        after: &[
            ("main.tf", "removed {\n  from = module.m\n\n  lifecycle {\n    destroy = false\n  }\n}\n"),
            ("m/main.tf", MODULE),
        ],
        expect: &[("module.m.terraform_data.a", "forget", None, Some("delete_because_no_resource_config"))],
    },
    Scenario {
        name: "removed-destroy",
        before: &[("main.tf", "resource \"terraform_data\" \"gone\" {\n  input = 1\n}\n")],
        after: &[("main.tf", "removed {\n  from = terraform_data.gone\n}\n")],
        expect: &[("terraform_data.gone", "delete", None, Some("delete_because_no_resource_config"))],
    },
];

/// Scenarios whose "after" spec both tools must refuse: `(name, before, after, summary)`.
const REFUSED: &[(&str, &str, &str, &str)] = &[
    (
        "moved-object-still-exists",
        "resource \"terraform_data\" \"old\" {\n  input = 1\n}\n",
        "resource \"terraform_data\" \"old\" {\n  input = 1\n}\n\nresource \"terraform_data\" \"new\" {\n  input = 1\n}\n\nmoved {\n  from = terraform_data.old\n  to   = terraform_data.new\n}\n",
        "Moved object still exists",
    ),
    (
        "moved-instance-still-exists",
        "resource \"terraform_data\" \"x\" {\n  count = 2\n  input = 1\n}\n",
        "resource \"terraform_data\" \"x\" {\n  count = 2\n  input = 1\n}\n\nmoved {\n  from = terraform_data.x[1]\n  to   = terraform_data.x[5]\n}\n",
        "Moved object still exists",
    ),
    (
        "ambiguous",
        "resource \"terraform_data\" \"a\" {\n  input = 1\n}\n",
        "resource \"terraform_data\" \"c\" {\n  input = 1\n}\n\nresource \"terraform_data\" \"d\" {\n  input = 1\n}\n\nmoved {\n  from = terraform_data.a\n  to   = terraform_data.c\n}\n\nmoved {\n  from = terraform_data.a\n  to   = terraform_data.d\n}\n",
        "Ambiguous move statements",
    ),
    (
        "cycle",
        "resource \"terraform_data\" \"a\" {\n  input = 1\n}\n",
        "resource \"terraform_data\" \"c\" {\n  input = 1\n}\n\nmoved {\n  from = terraform_data.a\n  to   = terraform_data.b\n}\n\nmoved {\n  from = terraform_data.b\n  to   = terraform_data.a\n}\n",
        "Cyclic dependency in move statements",
    ),
    (
        "resource-to-module",
        "resource \"terraform_data\" \"a\" {\n  input = 1\n}\n",
        "module \"m\" {\n  source = \"./m\"\n}\n\nmoved {\n  from = terraform_data.a\n  to   = module.m\n}\n",
        "Invalid \"moved\" addresses",
    ),
    (
        "redundant",
        "resource \"terraform_data\" \"a\" {\n  input = 1\n}\n",
        "resource \"terraform_data\" \"a\" {\n  input = 1\n}\n\nmoved {\n  from = terraform_data.a\n  to   = terraform_data.a\n}\n",
        "Redundant move statement",
    ),
    (
        "removed-still-exists",
        "resource \"terraform_data\" \"a\" {\n  input = 1\n}\n",
        "resource \"terraform_data\" \"a\" {\n  input = 1\n}\n\nremoved {\n  from = terraform_data.a\n}\n",
        "Removed resource still exists",
    ),
    (
        "removed-instance-key",
        "resource \"terraform_data\" \"a\" {\n  count = 1\n  input = 1\n}\n",
        "removed {\n  from = terraform_data.a[0]\n}\n",
        "Resource instance keys not allowed",
    ),
];

fn write_all(dir: &Path, files: &[(&str, &str)]) {
    for (name, text) in files {
        let p = dir.join(name);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write spec");
    }
}

/// Makes `dir` hold exactly the spec files given (state files stay).
fn replace_spec(dir: &Path, files: &[(&str, &str)]) {
    for name in ["main.tf", "m/main.tf"] {
        let _ = std::fs::remove_file(dir.join(name));
    }
    write_all(dir, files);
}

/// `(address, actions, previous_address, action_reason)` of every resource change.
fn changes(plan: &J) -> BTreeSet<(String, String, Option<String>, Option<String>)> {
    plan["resource_changes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| {
            let actions: Vec<&str> =
                c["change"]["actions"].as_array().into_iter().flatten().filter_map(J::as_str).collect();
            (
                c["address"].as_str().unwrap_or_default().to_string(),
                actions.join(","),
                c["previous_address"].as_str().map(str::to_string),
                c["action_reason"].as_str().map(str::to_string),
            )
        })
        .collect()
}

fn terraform_plan(s: &Scenario) -> J {
    let dir = tempfile::tempdir().expect("temp dir");
    write_all(dir.path(), s.before);
    oracle::ok(dir.path(), &["init", "-input=false", "-no-color"]);
    oracle::ok(dir.path(), &["apply", "-auto-approve", "-input=false", "-no-color"]);
    replace_spec(dir.path(), s.after);
    oracle::ok(dir.path(), &["init", "-input=false", "-no-color"]);
    let plan = oracle::run(dir.path(), &["plan", "-out=p.bin", "-input=false", "-no-color", "-detailed-exitcode"]);
    assert_eq!(plan.code, 2, "{}: terraform plan:\n{}{}", s.name, plan.stdout, plan.stderr);
    serde_json::from_str(&oracle::ok(dir.path(), &["show", "-json", "p.bin"])).expect("terraform plan JSON")
}

/// Every `id` recorded, by address.
fn ids(ws: &Workspace) -> std::collections::BTreeMap<String, String> {
    let state = ws.state();
    let mut out = std::collections::BTreeMap::new();
    for r in state["resources"].as_array().into_iter().flatten() {
        let module = r["module"].as_str().map(|m| format!("{m}.")).unwrap_or_default();
        for i in r["instances"].as_array().into_iter().flatten() {
            let key = match &i["index_key"] {
                J::Number(n) => format!("[{n}]"),
                J::String(s) => format!("[{s:?}]"),
                _ => String::new(),
            };
            let addr =
                format!("{module}{}.{}{key}", r["type"].as_str().unwrap_or(""), r["name"].as_str().unwrap_or(""));
            ids_insert(&mut out, addr, &i["attributes"]["id"]);
        }
    }
    out
}

fn ids_insert(out: &mut std::collections::BTreeMap<String, String>, addr: String, id: &J) {
    out.insert(addr, id.as_str().unwrap_or_default().to_string());
}

fn run_scenario(s: &Scenario) -> Result<(), String> {
    let ws = Workspace::new();
    write_all(ws.path(), s.before);
    ws.run(&["apply", "-auto-approve", "-input=false"]).ok();
    let before_ids = ids(&ws);
    replace_spec(ws.path(), s.after);
    let plan = ws.run(&["plan", "-out=p.bin", "-input=false", "-detailed-exitcode"]);
    if plan.code != 2 {
        return Err(format!("{}: plan exited {} (expected 2)\n{}{}", s.name, plan.code, plan.stdout, plan.stderr));
    }
    let shown = ws.run(&["show", "-json", "p.bin"]);
    shown.ok();
    let mine: J = serde_json::from_str(&shown.stdout).map_err(|e| format!("{}: plan JSON: {e}", s.name))?;
    let got = changes(&mine);
    let expected: BTreeSet<_> = s
        .expect
        .iter()
        .map(|(a, act, prev, why)| (a.to_string(), act.to_string(), prev.map(str::to_string), why.map(str::to_string)))
        .collect();
    if got != expected {
        return Err(format!("{}: meshform planned\n  {got:?}\nexpected\n  {expected:?}", s.name));
    }
    let theirs = changes(&terraform_plan(s));
    if got != theirs {
        return Err(format!("{}: meshform planned\n  {got:?}\nterraform planned\n  {theirs:?}", s.name));
    }
    for (addr, _, prev, _) in s.expect.iter().filter(|(_, act, prev, _)| prev.is_some() && *act == "no-op") {
        if !plan.stdout.contains(&format!("# {} has moved to {addr}", prev.unwrap_or_default())) {
            return Err(format!("{}: the plan does not say {addr} has moved:\n{}", s.name, plan.stdout));
        }
    }
    let applied = ws.run(&["apply", "-input=false", "p.bin"]);
    applied.ok();
    let after_ids = ids(&ws);
    for (addr, act, prev, _) in s.expect {
        let Some(prev) = prev else { continue };
        if *act == "delete" {
            continue;
        }
        let (old, new) = (before_ids.get(*prev), after_ids.get(*addr));
        if old.is_none() || old != new {
            return Err(format!("{}: {prev} had id {old:?}, {addr} has {new:?} after apply", s.name));
        }
    }
    for (addr, act, _, _) in s.expect.iter().filter(|(_, act, _, _)| *act == "forget") {
        if after_ids.contains_key(*addr) {
            return Err(format!("{}: {addr} ({act}) is still recorded", s.name));
        }
    }
    let pure_moves = s.expect.iter().all(|(_, act, _, _)| *act == "no-op" || *act == "forget");
    if pure_moves && !applied.stdout.contains("Resources: 0 added, 0 changed, 0 destroyed.") {
        return Err(format!("{}: apply did more than record new addresses:\n{}", s.name, applied.stdout));
    }
    let again = ws.run(&["plan", "-input=false", "-detailed-exitcode"]);
    if again.code != 0 {
        return Err(format!(
            "{}: a second plan is not empty ({}):\n{}{}",
            s.name, again.code, again.stdout, again.stderr
        ));
    }
    Ok(())
}

#[test]
fn refactorings_plan_as_terraform_plans_them_and_keep_every_object() {
    oracle::require();
    let failures: Vec<String> = SCENARIOS.iter().filter_map(|s| run_scenario(s).err()).collect();
    assert!(
        failures.is_empty(),
        "{} of {} scenarios failed:\n\n{}",
        failures.len(),
        SCENARIOS.len(),
        failures.join("\n\n")
    );
}

#[test]
fn invalid_refactorings_are_refused_as_terraform_refuses_them() {
    oracle::require();
    let mut failures = Vec::new();
    for (name, before, after, summary) in REFUSED {
        let files_before = [("main.tf", *before), ("m/main.tf", MODULE)];
        let files_after = [("main.tf", *after), ("m/main.tf", MODULE)];
        let ws = Workspace::new();
        write_all(ws.path(), &files_before);
        ws.run(&["apply", "-auto-approve", "-input=false"]).ok();
        let state_before = std::fs::read(ws.state_path()).expect("state");
        replace_spec(ws.path(), &files_after);
        let mine = ws.run(&["plan", "-input=false"]);
        if mine.code != 1 || !mine.stderr.contains(summary) {
            failures.push(format!(
                "{name}: meshform exited {} without {summary:?}:\n{}{}",
                mine.code, mine.stdout, mine.stderr
            ));
        }
        let applied = ws.run(&["apply", "-auto-approve", "-input=false"]);
        if applied.code != 1 || std::fs::read(ws.state_path()).expect("state") != state_before {
            failures.push(format!("{name}: apply went on or changed the state:\n{}{}", applied.stdout, applied.stderr));
        }
        let dir = tempfile::tempdir().expect("temp dir");
        write_all(dir.path(), &files_before);
        oracle::ok(dir.path(), &["init", "-input=false", "-no-color"]);
        oracle::ok(dir.path(), &["apply", "-auto-approve", "-input=false", "-no-color"]);
        replace_spec(dir.path(), &files_after);
        let _ = oracle::run(dir.path(), &["init", "-input=false", "-no-color"]);
        let theirs = oracle::run(dir.path(), &["plan", "-input=false", "-no-color"]);
        let text = format!("{}{}", theirs.stdout, theirs.stderr);
        if theirs.code != 1 || !text.contains(summary) {
            failures.push(format!("{name}: terraform exited {} without {summary:?}:\n{text}", theirs.code));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn a_killed_apply_keeps_each_moved_object_at_exactly_one_address() {
    // The move is journaled in one record before anything else, so a run killed after
    // it leaves the object at its new address only, and the next plan has nothing to do.
    let ws = Workspace::new();
    ws.write("main.tf", "resource \"terraform_data\" \"a\" {\n  input = 1\n}\n");
    ws.run(&["apply", "-auto-approve", "-input=false"]).ok();
    let id = ids(&ws)["terraform_data.a"].clone();
    // A journal as a killed run leaves it: the header and the move record.
    let state = ws.state();
    let journal = format!(
        "{}\n{}\n",
        serde_json::json!({"journal": 1, "lineage": state["lineage"], "base_serial": state["serial"]}),
        serde_json::json!({"op": "move", "addr": "terraform_data.b", "from": "terraform_data.a"})
    );
    std::fs::write(ws.path().join("meshform.tfstate.journal"), journal).expect("journal");
    ws.write("main.tf", "resource \"terraform_data\" \"b\" {\n  input = 1\n}\n\nmoved {\n  from = terraform_data.a\n  to   = terraform_data.b\n}\n");
    let plan = ws.run(&["plan", "-input=false", "-detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
    assert_eq!(ws.addresses(), ["terraform_data.b"]);
    assert_eq!(ids(&ws)["terraform_data.b"], id);
}

/// `(address, actions, importing id)` of every resource change.
fn imports(plan: &J) -> BTreeSet<(String, String, Option<String>)> {
    plan["resource_changes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| {
            let actions: Vec<&str> =
                c["change"]["actions"].as_array().into_iter().flatten().filter_map(J::as_str).collect();
            (
                c["address"].as_str().unwrap_or_default().to_string(),
                actions.join(","),
                c["change"]["importing"]["id"].as_str().map(str::to_string),
            )
        })
        .collect()
}

#[test]
fn import_blocks_plan_and_apply_as_terraform_does() {
    oracle::require();
    let spec = r#"resource "terraform_data" "x" {
}

import {
  to = terraform_data.x
  id = "abc-123"
}

resource "terraform_data" "y" {
  for_each = toset(["a", "b"])
  input    = each.key
}

import {
  for_each = { a = "id-a", b = "id-b" }
  to       = terraform_data.y[each.key]
  id       = each.value
}

module "m" {
  source = "./m"
}

import {
  to = module.m.terraform_data.a
  id = "in-module"
}
"#;
    let files = [("main.tf", spec), ("m/main.tf", MODULE)];
    let ws = Workspace::new();
    write_all(ws.path(), &files);
    let plan = ws.run(&["plan", "-out=p.bin", "-input=false", "-detailed-exitcode"]);
    assert_eq!(plan.code, 2, "{}{}", plan.stdout, plan.stderr);
    assert!(plan.stdout.contains("# terraform_data.x will be imported"), "{}", plan.stdout);
    assert!(plan.stdout.contains("Plan: 4 to import, 0 to add, 3 to change, 0 to destroy."), "{}", plan.stdout);
    let shown = ws.run(&["show", "-json", "p.bin"]);
    shown.ok();
    let mine = imports(&serde_json::from_str(&shown.stdout).expect("plan JSON"));
    let dir = tempfile::tempdir().expect("temp dir");
    write_all(dir.path(), &files);
    oracle::ok(dir.path(), &["init", "-input=false", "-no-color"]);
    oracle::ok(dir.path(), &["plan", "-out=p.bin", "-input=false", "-no-color"]);
    let theirs: J = serde_json::from_str(&oracle::ok(dir.path(), &["show", "-json", "p.bin"])).expect("plan JSON");
    assert_eq!(mine, imports(&theirs), "meshform's imports differ from terraform's");
    let applied = ws.run(&["apply", "-input=false", "p.bin"]);
    applied.ok();
    assert!(applied.stdout.contains("Resources: 4 imported, 0 added, 3 changed, 0 destroyed."), "{}", applied.stdout);
    assert_eq!(ids(&ws)["terraform_data.x"], "abc-123");
    assert_eq!(ids(&ws)["module.m.terraform_data.a"], "in-module");
    let again = ws.run(&["plan", "-input=false", "-detailed-exitcode"]);
    assert_eq!(again.code, 0, "the imports were not recorded:\n{}{}", again.stdout, again.stderr);
}

#[test]
fn check_blocks_warn_at_plan_and_apply_and_never_fail() {
    let ws = Workspace::new();
    ws.write(
        "main.tf",
        r#"variable "one" {
  default = 1
}

resource "terraform_data" "x" {
  input = "v"
}

check "failing" {
  assert {
    condition     = var.one == 2
    error_message = "One is not two (got ${var.one})."
  }
}

check "later" {
  assert {
    condition     = terraform_data.x.output == "w"
    error_message = "x is ${terraform_data.x.output}."
  }
}

check "passing" {
  assert {
    condition     = var.one == 1
    error_message = "never shown"
  }
}
"#,
    );
    let plan = ws.run(&["plan", "-input=false"]);
    plan.ok();
    assert!(
        plan.stderr.contains("Check block assertion failed") && plan.stderr.contains("One is not two (got 1)."),
        "{}",
        plan.stderr
    );
    assert!(plan.stderr.contains("Check block assertion known after apply"), "{}", plan.stderr);
    assert!(!plan.stderr.contains("never shown"), "{}", plan.stderr);
    let apply = ws.run(&["apply", "-auto-approve", "-input=false"]);
    apply.ok();
    assert!(apply.stderr.contains("x is v."), "the check was not run again at apply:\n{}", apply.stderr);
}

#[test]
fn a_targeted_plan_must_cover_both_ends_of_every_move() {
    oracle::require();
    let before = "resource \"terraform_data\" \"a\" {\n  input = 1\n}\n\nresource \"terraform_data\" \"other\" {\n  input = 1\n}\n";
    let after = "resource \"terraform_data\" \"q\" {\n  input = 1\n}\n\nresource \"terraform_data\" \"other\" {\n  input = 2\n}\n\nmoved {\n  from = terraform_data.a\n  to   = terraform_data.q\n}\n";
    let summary = "Moved resource instances excluded by targeting";
    let ws = Workspace::new();
    ws.write("main.tf", before);
    ws.run(&["apply", "-auto-approve", "-input=false"]).ok();
    ws.write("main.tf", after);
    let mine = ws.run(&["plan", "-input=false", "-target=terraform_data.other"]);
    assert_eq!(mine.code, 1, "{}{}", mine.stdout, mine.stderr);
    assert!(mine.stderr.contains(summary) && mine.stderr.contains("-target=\"terraform_data.q\""), "{}", mine.stderr);
    let covered = ws.run(&["plan", "-input=false", "-target=terraform_data.a", "-target=terraform_data.q"]);
    covered.ok();
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("main.tf"), before).expect("spec");
    oracle::ok(dir.path(), &["init", "-input=false", "-no-color"]);
    oracle::ok(dir.path(), &["apply", "-auto-approve", "-input=false", "-no-color"]);
    std::fs::write(dir.path().join("main.tf"), after).expect("spec");
    let theirs = oracle::run(dir.path(), &["plan", "-input=false", "-no-color", "-target=terraform_data.other"]);
    assert_eq!(theirs.code, 1);
    assert!(format!("{}{}", theirs.stdout, theirs.stderr).contains(summary), "{}{}", theirs.stdout, theirs.stderr);
}
