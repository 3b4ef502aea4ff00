//! Machine-readable output (`-json` on any command): one JSON object a line on stdout,
//! Terraform's UI event shape (`@level`, `@message`, `@module`, `@timestamp`, `type`),
//! versioned by the first line's `ui` field. Its JSON Schema is `schema/events.schema.json`.
//!
//! | type | when |
//! |------|------|
//! | `version` | first line |
//! | `diagnostic` | every error and warning, with its file, line and column |
//! | `planned_change` | each resource instance a plan changes |
//! | `change_summary` | counts after a plan or an apply |
//! | `apply_start`, `apply_complete` | each instance an apply works on |
//! | `outputs` | root outputs after an apply |
//! | `log` | anything else a command says |

use std::sync::atomic::{AtomicBool, Ordering};

use meshform_engine::diag::{Diagnostic, Severity, SourceMap};
use meshform_engine::plan::{Action, Plan};
use serde_json::{Value as J, json};

/// The event format's version.
pub const UI_VERSION: &str = "1.0";

static JSON: AtomicBool = AtomicBool::new(false);

pub fn enabled() -> bool {
    JSON.load(Ordering::Relaxed)
}

/// Turns JSON events on, and says which version they are.
pub fn enable() {
    JSON.store(true, Ordering::Relaxed);
    emit(
        "info",
        &format!("meshform {}", env!("CARGO_PKG_VERSION")),
        "version",
        json!({
            "meshform": env!("CARGO_PKG_VERSION"),
            "ui": UI_VERSION,
        }),
    );
}

/// Takes `-json` out of the arguments of commands that have no `-json` of their own and
/// turns events on for them.
pub fn take_json_flag(args: Vec<String>) -> Vec<String> {
    const OWN_FLAG: [&str; 3] = ["validate", "show", "output"];
    let command = args.iter().skip(1).find(|a| !a.starts_with('-')).cloned().unwrap_or_default();
    let is_flag = |a: &String| a == "-json" || a == "--json";
    let end = args.iter().position(|a| a == "--").unwrap_or(args.len());
    // A cluster command's trailing command line is the user's, -json included.
    // validate, show and output print one JSON document of Terraform's shape of their own.
    if command == "cluster" || OWN_FLAG.contains(&command.as_str()) || !args[..end].iter().any(is_flag) {
        return args;
    }
    enable();
    args.iter().enumerate().filter(|(i, a)| *i >= end || !is_flag(a)).map(|(_, a)| a.clone()).collect()
}

pub fn emit(level: &str, message: &str, kind: &str, fields: J) {
    let mut doc = json!({
        "@level": level,
        "@message": message,
        "@module": "meshform.ui",
        "@timestamp": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        "type": kind,
    });
    if let (Some(d), J::Object(f)) = (doc.as_object_mut(), fields) {
        d.extend(f);
    }
    println!("{doc}");
}

pub fn log(message: &str) {
    emit("info", message, "log", json!({}));
}

/// A diagnostic as Terraform's JSON shows it: severity, summary, detail, and where.
pub fn diagnostic_json(d: &Diagnostic, sources: &SourceMap) -> J {
    let range = d.span.and_then(|s| {
        let (file, line, column) = sources.line_col(s)?;
        Some(json!({"filename": file, "start": {"line": line, "column": column, "byte": s.start}}))
    });
    let mut doc = json!({
        "severity": if d.severity == Severity::Error { "error" } else { "warning" },
        "summary": d.summary,
        "detail": d.detail.clone().unwrap_or_default(),
    });
    if let Some(r) = range {
        doc["range"] = r;
    }
    if let Some(a) = &d.address {
        doc["address"] = J::String(a.clone());
    }
    doc
}

pub fn diagnostic(d: &Diagnostic, sources: &SourceMap) {
    diagnostic_with(d, sources, json!({}));
}

/// A diagnostic event with more fields beside it (`@testfile`, `@testrun`).
pub fn diagnostic_with(d: &Diagnostic, sources: &SourceMap, extra: J) {
    let level = if d.severity == Severity::Error { "error" } else { "warn" };
    let text = match &d.detail {
        Some(detail) => format!("{}: {}: {detail}", if level == "error" { "Error" } else { "Warning" }, d.summary),
        None => d.summary.clone(),
    };
    let mut fields = json!({"diagnostic": diagnostic_json(d, sources)});
    if let (Some(f), J::Object(more)) = (fields.as_object_mut(), extra) {
        f.extend(more);
    }
    emit(level, &text, "diagnostic", fields);
}

fn action_word(a: Action) -> &'static str {
    match a {
        Action::NoOp => "noop",
        Action::Create => "create",
        Action::Read => "read",
        Action::Update => "update",
        Action::DeleteThenCreate | Action::CreateThenDelete => "replace",
        Action::Delete => "delete",
        Action::Forget => "remove",
    }
}

fn resource_json(addr: &meshform_engine::addrs::ResourceInstanceAddr) -> J {
    let r = &addr.resource;
    json!({
        "addr": addr.to_string(),
        "module": addr.module.to_string(),
        "resource": format!("{}.{}{}", r.type_name, r.name, addr.key),
        "implied_provider": r.type_name.split('_').next().unwrap_or_default(),
        "resource_type": r.type_name,
        "resource_name": r.name,
        "resource_key": addr.key.to_value().to_json(),
    })
}

/// A plan's changes, and with `operation` its summary.
pub fn plan(p: &Plan, operation: Option<&str>) {
    let (mut add, mut change, mut remove) = (0, 0, 0);
    for c in p.changes.iter().filter(|c| c.is_change()) {
        match c.action {
            Action::Create => add += 1,
            Action::Update => change += 1,
            Action::Delete => remove += 1,
            Action::DeleteThenCreate | Action::CreateThenDelete => {
                add += 1;
                remove += 1;
            }
            _ => {}
        }
        // An import or a move with nothing else to do is Terraform's "import" or "move".
        let word = match (c.action, &c.importing) {
            (Action::NoOp, Some(_)) => "import",
            (Action::NoOp, None) => "move",
            (a, _) => action_word(a),
        };
        let mut change = json!({"resource": resource_json(&c.addr), "action": word});
        if let Some(from) = &c.previous {
            change["previous_resource"] = resource_json(from);
        }
        if let Some(id) = &c.importing {
            change["importing"] = json!({ "id": id });
        }
        emit("info", &format!("{}: Plan to {word}", c.addr), "planned_change", json!({ "change": change }));
    }
    if let Some(op) = operation {
        summary(op, add, change, remove);
    }
}

pub fn summary(operation: &str, add: usize, change: usize, remove: usize) {
    let verb = if operation == "plan" { "Plan" } else { "Apply complete!" };
    let msg = if operation == "plan" {
        format!("{verb}: {add} to add, {change} to change, {remove} to destroy.")
    } else {
        format!("{verb} Resources: {add} added, {change} changed, {remove} destroyed.")
    };
    emit(
        "info",
        &msg,
        "change_summary",
        json!({
            "changes": {"add": add, "change": change, "remove": remove, "operation": operation}
        }),
    );
}
