//! A saved plan as Markdown (`show -markdown PLANFILE`), for a pull-request comment: the
//! counts as a heading, a table of the resource changes with why each happens, the
//! outputs that change, and the changed arguments folded away under `<details>`.
//!
//! Made from the plan's JSON document. Sensitive values never appear: wherever
//! `before_sensitive`/`after_sensitive` (or an output's `sensitive`) mark a value, only
//! "(sensitive value)" is written, and output values are never written at all.

use serde_json::Value as J;

/// What a change does, as one word.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Act {
    Create,
    Update,
    Replace,
    Delete,
    Read,
    NoOp,
}

impl Act {
    fn of(actions: &J) -> Act {
        let words: Vec<&str> = actions.as_array().into_iter().flatten().filter_map(J::as_str).collect();
        match words.as_slice() {
            ["create"] => Act::Create,
            ["update"] => Act::Update,
            ["delete"] => Act::Delete,
            ["read"] => Act::Read,
            ["delete", "create"] | ["create", "delete"] => Act::Replace,
            _ => Act::NoOp,
        }
    }

    fn word(self) -> &'static str {
        match self {
            Act::Create => "create",
            Act::Update => "update",
            Act::Replace => "replace",
            Act::Delete => "delete",
            Act::Read => "read",
            Act::NoOp => "no-op",
        }
    }

    fn symbol(self) -> &'static str {
        match self {
            Act::Create => "➕",
            Act::Update => "✏️",
            Act::Replace => "♻️",
            Act::Delete => "🗑️",
            Act::Read => "📖",
            Act::NoOp => "",
        }
    }
}

/// Why a change happens, where the plan says.
fn why(change: &J) -> String {
    let paths: Vec<String> = change["change"]["replace_paths"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| p.as_array().into_iter().flatten().map(path_step).collect::<Vec<_>>().join(""))
        .filter(|p| !p.is_empty())
        .map(|p| code(p.trim_start_matches('.')))
        .collect();
    match change["action_reason"].as_str() {
        Some("replace_because_cannot_update") if !paths.is_empty() => {
            format!("forces replacement: {}", paths.join(", "))
        }
        Some("replace_because_cannot_update") => "an argument forces replacement".into(),
        Some("replace_by_request") => format!("replacement asked for with {}", code("-replace")),
        Some("replace_by_triggers") => format!("{} changed", code("replace_triggered_by")),
        Some("replace_because_tainted") => "tainted".into(),
        Some("delete_because_no_resource_config") => "no longer in the configuration".into(),
        Some("delete_because_count_index") => format!("its index is beyond {}", code("count")),
        Some("delete_because_each_key") => format!("its key is no longer in {}", code("for_each")),
        Some("delete_because_no_module") => "its module instance is gone".into(),
        Some(other) => other.replace('_', " "),
        None => String::new(),
    }
}

fn path_step(step: &J) -> String {
    match step {
        J::String(s) => format!(".{s}"),
        other => format!("[{other}]"),
    }
}

/// `text` as an inline code span that no backtick or table pipe inside it can break.
fn code(text: &str) -> String {
    let text = text.replace('|', "\\|");
    let longest = longest_backtick_run(&text);
    let ticks = "`".repeat(longest + 1);
    if longest == 0 { format!("{ticks}{text}{ticks}") } else { format!("{ticks} {text} {ticks}") }
}

fn longest_backtick_run(text: &str) -> usize {
    text.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

/// Whether a mark (`true`, or an object or array of marks) marks anything.
fn any_true(mark: &J) -> bool {
    match mark {
        J::Bool(b) => *b,
        J::Array(xs) => xs.iter().any(any_true),
        J::Object(m) => m.values().any(any_true),
        _ => false,
    }
}

/// One attribute's value for the details: compact JSON, shortened, or what stands in for it.
fn shown(value: Option<&J>, sensitive: &J, unknown: &J) -> String {
    if any_true(sensitive) {
        return "(sensitive value)".into();
    }
    if unknown == &J::Bool(true) {
        return "(known after apply)".into();
    }
    let text = value.map_or("null".to_string(), J::to_string);
    const MAX: usize = 120;
    if text.chars().count() > MAX { format!("{}…", text.chars().take(MAX).collect::<String>()) } else { text }
}

/// The lines saying which top-level arguments change and how.
fn attribute_lines(c: &J) -> Vec<String> {
    let ch = &c["change"];
    let (before, after) = (&ch["before"], &ch["after"]);
    let mut names: Vec<&String> = before.as_object().into_iter().flat_map(|o| o.keys()).collect();
    for k in after
        .as_object()
        .into_iter()
        .flat_map(|o| o.keys())
        .chain(ch["after_unknown"].as_object().into_iter().flat_map(|o| o.keys()))
    {
        if !names.contains(&k) {
            names.push(k);
        }
    }
    names.sort();
    let mut lines = Vec::new();
    for name in names {
        let b = shown(before.get(name), &ch["before_sensitive"][name], &J::Null);
        let a = shown(after.get(name), &ch["after_sensitive"][name], &ch["after_unknown"][name]);
        let line = match Act::of(&ch["actions"]) {
            Act::Create | Act::Read if a != "null" => format!("+ {name} = {a}"),
            Act::Update | Act::Replace if a != b => format!("~ {name}: {b} → {a}"),
            _ => continue,
        };
        lines.push(line);
    }
    lines
}

/// Markdown of a plan JSON document.
pub fn render(plan: &J) -> String {
    let changes: Vec<(Act, &J)> = plan["resource_changes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| (Act::of(&c["change"]["actions"]), c))
        .filter(|(a, _)| *a != Act::NoOp)
        .collect();
    let outputs: Vec<(&String, Act, bool)> = plan["output_changes"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(n, o)| (n, Act::of(&o["actions"]), o["after_sensitive"] == J::Bool(true)))
        .filter(|(_, a, _)| *a != Act::NoOp)
        .collect();
    if changes.is_empty() && outputs.is_empty() {
        return "### No changes\n\nThe infrastructure matches the configuration.\n".into();
    }
    let count = |want: &[Act]| changes.iter().filter(|(a, _)| want.contains(a)).count();
    let mut md = format!(
        "### Plan: {} to add, {} to change, {} to destroy\n\n",
        count(&[Act::Create, Act::Replace]),
        count(&[Act::Update]),
        count(&[Act::Delete, Act::Replace])
    );
    md.push_str(&resource_table(&changes));
    md.push_str(&output_table(&outputs));
    md.push_str(&details(&changes));
    md
}

fn resource_table(changes: &[(Act, &J)]) -> String {
    if changes.is_empty() {
        return String::new();
    }
    let mut md = String::from("| | action | resource | why |\n|---|---|---|---|\n");
    for (a, c) in changes {
        let addr = c["address"].as_str().unwrap_or_default();
        md.push_str(&format!("| {} | {} | {} | {} |\n", a.symbol(), a.word(), code(addr), why(c)));
    }
    md.push('\n');
    md
}

fn output_table(outputs: &[(&String, Act, bool)]) -> String {
    if outputs.is_empty() {
        return String::new();
    }
    let mut md = String::from("| | action | output |\n|---|---|---|\n");
    for (name, a, sensitive) in outputs {
        let note = if *sensitive { " (sensitive)" } else { "" };
        md.push_str(&format!("| {} | {} | {}{note} |\n", a.symbol(), a.word(), code(name)));
    }
    md.push('\n');
    md
}

/// The changed arguments of every resource, folded away.
fn details(changes: &[(Act, &J)]) -> String {
    let sections: Vec<String> = changes
        .iter()
        .filter_map(|(a, c)| {
            let lines = attribute_lines(c);
            let addr = c["address"].as_str().unwrap_or_default();
            (!lines.is_empty()).then(|| format!("# {addr} ({})\n{}", a.word(), lines.join("\n")))
        })
        .collect();
    if sections.is_empty() {
        return String::new();
    }
    let body = sections.join("\n\n");
    let fence = "`".repeat(longest_backtick_run(&body).max(2) + 1);
    format!("<details><summary>Changed arguments</summary>\n\n{fence}\n{body}\n{fence}\n\n</details>\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sensitive_values_are_never_written() {
        let plan = json!({
            "resource_changes": [{
                "address": "terraform_data.s",
                "change": {
                    "actions": ["update"],
                    "before": {"input": "old-secret", "plain": "a"},
                    "after": {"input": "new-secret", "plain": "b"},
                    "after_unknown": {},
                    "before_sensitive": {"input": true},
                    "after_sensitive": {"input": true},
                }
            }],
            "output_changes": {"pw": {"actions": ["update"], "before": "x1", "after": "x2", "after_sensitive": true}}
        });
        let md = render(&plan);
        for secret in ["old-secret", "new-secret", "x1", "x2"] {
            assert!(!md.contains(secret), "{secret} shown:\n{md}");
        }
        assert!(md.contains("~ plain: \"a\" → \"b\""), "{md}");
        assert!(md.contains("`pw` (sensitive)"), "{md}");
    }

    #[test]
    fn code_spans_survive_backticks_and_pipes() {
        assert_eq!(code("a.b"), "`a.b`");
        assert_eq!(code("x[\"a|`b\"]"), "`` x[\"a\\|`b\"] ``");
    }
}
