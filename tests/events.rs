//! `-json` on commands: every line is one event of `schema/events.schema.json`, errors
//! included, and the human text stays out of stdout.

mod common;

use common::Workspace;

fn validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema/events.schema.json"))
        .expect("events schema");
    let schema: serde_json::Value = serde_json::from_str(&text).expect("schema JSON");
    jsonschema::validator_for(&schema).expect("a valid schema")
}

/// The events of a run, each checked against the schema; the first is the version.
fn events(stdout: &str) -> Vec<serde_json::Value> {
    let v = validator();
    let events: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}")))
        .collect();
    for e in &events {
        let errors: Vec<String> = v.iter_errors(e).map(|x| x.to_string()).collect();
        assert!(errors.is_empty(), "{e} does not match the schema: {errors:?}");
    }
    assert_eq!(events.first().map(|e| e["type"].clone()), Some("version".into()), "{stdout}");
    events
}

fn of_type<'a>(events: &'a [serde_json::Value], t: &str) -> Vec<&'a serde_json::Value> {
    events.iter().filter(|e| e["type"] == t).collect()
}

#[test]
fn plan_apply_and_errors_stream_schema_valid_events() {
    let ws = Workspace::new();
    ws.write(
        "main.tf",
        "variable \"n\" {\n  default = 2\n}\nresource \"terraform_data\" \"a\" {\n  count = var.n\n  input = count.index\n}\noutput \"first\" {\n  value = terraform_data.a[0].output\n}\noutput \"secret\" {\n  value     = \"hunter2\"\n  sensitive = true\n}\n",
    );
    let plan = ws.run(&["plan", "-json"]);
    plan.ok();
    let ev = events(&plan.stdout);
    let changes = of_type(&ev, "planned_change");
    assert_eq!(changes.len(), 2);
    assert_eq!(changes[0]["change"]["resource"]["addr"], "terraform_data.a[0]");
    assert_eq!(changes[0]["change"]["resource"]["resource_key"], 0);
    assert_eq!(changes[0]["change"]["action"], "create");
    let summary = of_type(&ev, "change_summary");
    assert_eq!(summary[0]["changes"], serde_json::json!({"add": 2, "change": 0, "remove": 0, "operation": "plan"}));

    let refused = ws.run(&["apply", "-json"]);
    assert_eq!(refused.code, 1, "-json cannot ask for approval");
    assert_eq!(of_type(&events(&refused.stdout), "diagnostic").len(), 1);

    let apply = ws.run(&["apply", "-json", "-auto-approve", "-var", "n=3"]);
    apply.ok();
    let ev = events(&apply.stdout);
    assert_eq!(of_type(&ev, "apply_start").len(), 3);
    assert_eq!(of_type(&ev, "apply_complete").len(), 3);
    let summary = of_type(&ev, "change_summary");
    assert_eq!(summary.last().map(|s| s["changes"]["operation"].clone()), Some("apply".into()));
    assert_eq!(summary.last().map(|s| s["changes"]["add"].clone()), Some(3.into()));
    let outputs = of_type(&ev, "outputs");
    assert_eq!(outputs[0]["outputs"]["first"]["value"], 0);
    assert!(outputs[0]["outputs"]["secret"].get("value").is_none(), "sensitive values stay out");
    assert!(!apply.stdout.contains("hunter2"));

    // An error is an event too, with where it is.
    ws.write("main.tf", "resource \"terraform_data\" \"a\" {\n  input = var.nope\n}\n");
    let bad = ws.run(&["plan", "-json"]);
    assert_eq!(bad.code, 1);
    let ev = events(&bad.stdout);
    let d = of_type(&ev, "diagnostic");
    assert_eq!(d[0]["diagnostic"]["range"]["filename"], "main.tf");
    assert_eq!(d[0]["diagnostic"]["range"]["start"]["line"], 2);
    assert!(bad.stderr.is_empty(), "nothing on stderr: {}", bad.stderr);
    // Other commands: their errors as events.
    let state = ws.run(&["state", "show", "-json", "terraform_data.nope"]);
    assert_eq!(state.code, 1);
    assert_eq!(of_type(&events(&state.stdout), "diagnostic").len(), 1);
}

#[test]
fn graph_renders_dot_svg_and_png() {
    let ws = Workspace::new();
    ws.write(
        "main.tf",
        "resource \"terraform_data\" \"a\" {}\nresource \"terraform_data\" \"b\" {\n  input = terraform_data.a.id\n}\n",
    );
    let dot = ws.run(&["graph"]);
    dot.ok();
    assert!(dot.stdout.starts_with("digraph"), "{}", dot.stdout);
    let bad = ws.run(&["graph", "-format=gif"]);
    assert_eq!(bad.code, 1);
    assert!(bad.stderr.contains("-format is dot, svg or png"), "{}", bad.stderr);
    if std::process::Command::new("dot").arg("-V").output().is_err() {
        println!("Graphviz's dot not found (scripts/test installs it): skipping svg and png");
        return;
    }
    let svg = ws.run(&["graph", "-format=svg"]);
    svg.ok();
    assert!(svg.stdout.contains("<svg") && svg.stdout.contains("terraform_data.b"), "{}", svg.stdout);
    ws.run(&["graph", "-format=png", "-out=g.png"]).ok();
    let png = std::fs::read(ws.path().join("g.png")).expect("png");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
}

#[test]
fn the_quickstart_graph_shows_resources_by_module_and_fits_a_screen() {
    let ws = Workspace::new();
    let quickstart = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/quickstart");
    let chdir = format!("-chdir={}", quickstart.display());
    let dot = ws.run(&[&chdir, "graph"]);
    dot.ok();
    insta::assert_snapshot!(dot.stdout);
    let full = ws.run(&[&chdir, "graph", "-type=full"]);
    assert!(full.stdout.contains("module.spark.local."), "every local with -type=full");
    assert_eq!(ws.run(&[&chdir, "graph", "-type=pretty"]).code, 1);
    if std::process::Command::new("dot").arg("-V").output().is_err() {
        println!("Graphviz's dot not found (scripts/test installs it): skipping the png");
        return;
    }
    let png = ws.path().join("g.png");
    ws.run(&[&chdir, "graph", "-format=png", &format!("-out={}", png.display())]).ok();
    fits_a_screen(&png);
}

#[test]
fn a_planned_quickstart_is_drawn_by_host_with_its_actions() {
    let ws = Workspace::new();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    common::spark::copy_dir(&root.join("examples/quickstart"), &ws.path().join("examples/quickstart"));
    common::spark::copy_dir(&root.join("modules/spark-standalone"), &ws.path().join("modules/spark-standalone"));
    let chdir = format!("-chdir={}", ws.path().join("examples/quickstart").display());
    ws.run(&[&chdir, "plan", "-out=q.plan"]).ok();
    let dot = ws.run(&[&chdir, "graph", "-plan=q.plan"]);
    dot.ok();
    // A box per host inside the module's; every instance is to be created.
    insta::assert_snapshot!(dot.stdout);
    if std::process::Command::new("dot").arg("-V").output().is_err() {
        println!("Graphviz's dot not found (scripts/test installs it): skipping the png");
        return;
    }
    let png = ws.path().join("g.png");
    ws.run(&[&chdir, "graph", "-plan=q.plan", "-format=png", &format!("-out={}", png.display())]).ok();
    fits_a_screen(&png);
}

fn fits_a_screen(png: &std::path::Path) {
    let head = std::fs::read(png).expect("png");
    let (w, h) = (
        u32::from_be_bytes([head[16], head[17], head[18], head[19]]),
        u32::from_be_bytes([head[20], head[21], head[22], head[23]]),
    );
    assert!(w <= 1920 && h <= 1080, "{w}x{h} does not fit a screen");
}
