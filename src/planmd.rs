//! A saved plan as Markdown (`show -markdown PLANFILE`), for a pull-request comment: the
//! counts, a table of the resource changes with why each happens, and the outputs that
//! change. Made from the plan's JSON document; values are never shown, so nothing sensitive
//! can leak into a comment.

use serde_json::Value as J;

fn action(actions: &J) -> &'static str {
    let words: Vec<&str> = actions.as_array().into_iter().flatten().filter_map(J::as_str).collect();
    match words.as_slice() {
        ["create"] => "create",
        ["update"] => "update",
        ["delete"] => "delete",
        ["read"] => "read",
        ["delete", "create"] | ["create", "delete"] => "replace",
        _ => "no-op",
    }
}

fn symbol(action: &str) -> &'static str {
    match action {
        "create" => "➕",
        "update" => "✏️",
        "delete" => "🗑️",
        "replace" => "♻️",
        "read" => "📖",
        _ => "",
    }
}

fn why(change: &J) -> String {
    let paths: Vec<String> = change["change"]["replace_paths"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| p.as_array().into_iter().flatten().filter_map(J::as_str).collect::<Vec<_>>().join("."))
        .filter(|p| !p.is_empty())
        .map(|p| format!("`{p}`"))
        .collect();
    match change["action_reason"].as_str() {
        Some("replace_because_cannot_update") if !paths.is_empty() => {
            format!("{} forces replacement", paths.join(", "))
        }
        Some("replace_because_cannot_update") => "an argument forces replacement".into(),
        Some("replace_by_request") => "`-replace` asked for it".into(),
        Some("replace_by_triggers") => "`replace_triggered_by`".into(),
        Some("replace_because_tainted") => "tainted".into(),
        Some("delete_because_no_resource_config") => "no longer in the configuration".into(),
        Some("delete_because_count_index") => "its index is beyond `count`".into(),
        Some("delete_because_each_key") => "its key is no longer in `for_each`".into(),
        Some("delete_because_no_module") => "its module instance is gone".into(),
        Some(other) => other.replace('_', " "),
        None => String::new(),
    }
}

/// Markdown of a plan JSON document.
pub fn render(plan: &J) -> String {
    let rows: Vec<(&'static str, String, String)> = plan["resource_changes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| (action(&c["change"]["actions"]), c["address"].as_str().unwrap_or_default().to_string(), why(c)))
        .filter(|(a, _, _)| *a != "no-op")
        .collect();
    let count = |a: &str| rows.iter().filter(|r| r.0 == a).count();
    let (add, change, destroy) =
        (count("create") + count("replace"), count("update"), count("delete") + count("replace"));
    let outputs: Vec<(String, &'static str)> = plan["output_changes"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(n, o)| (n.clone(), action(&o["actions"])))
        .filter(|(_, a)| *a != "no-op")
        .collect();
    let mut md = String::new();
    if rows.is_empty() && outputs.is_empty() {
        md.push_str("### meshform plan: no changes\n\nThe infrastructure matches the configuration.\n");
        return md;
    }
    md.push_str(&format!("### meshform plan: {add} to add, {change} to change, {destroy} to destroy\n\n"));
    if !rows.is_empty() {
        md.push_str("| | action | resource | why |\n|---|---|---|---|\n");
        for (a, addr, why) in &rows {
            md.push_str(&format!("| {} | {a} | `{}` | {why} |\n", symbol(a), addr.replace('|', "\\|")));
        }
        md.push('\n');
    }
    if !outputs.is_empty() {
        let list: Vec<String> = outputs.iter().map(|(n, a)| format!("`{n}` ({a})")).collect();
        md.push_str(&format!("**Outputs:** {}\n", list.join(", ")));
    }
    md
}
