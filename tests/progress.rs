//! Progress while an apply waits, as Terraform shows it: `ADDR: Still creating... [10s
//! elapsed]` every 10 s for each operation still running, and the same as `apply_progress`
//! events with `-json`; an operation that fails stops being reported.

mod common;

use common::Workspace;

/// The lines of `out` about `addr`, with ids cut off.
fn lines_about(out: &str, addr: &str) -> String {
    out.lines()
        .filter(|l| l.starts_with(&format!("{addr}:")))
        .map(|l| l.split(" [id=").next().unwrap_or(l).to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn an_operation_of_25_seconds_is_reported_twice_while_it_runs() {
    let ws = Workspace::new();
    ws.write(
        "main.tf",
        "resource \"host_command\" \"slow\" {\n  command = \"sleep 25\"\n}\n\nresource \"host_command\" \"quick\" {\n  command = \"true\"\n}\n",
    );
    let r = ws.run(&["apply", "-auto-approve"]);
    r.ok();
    insta::assert_snapshot!(lines_about(&r.stdout, "host_command.slow"));
    assert_eq!(
        lines_about(&r.stdout, "host_command.quick"),
        "host_command.quick: Creating...\nhost_command.quick: Creation complete after 0s"
    );

    // The same as events, and a failing operation's last word is apply_errored.
    ws.write(
        "main.tf",
        "resource \"host_command\" \"slow\" {\n  command = \"sleep 12; exit 3\"\n  triggers = { n = 2 }\n}\n",
    );
    let r = ws.run(&["apply", "-auto-approve", "-json"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    let events: Vec<serde_json::Value> = r.stdout.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    let about: Vec<(String, serde_json::Value)> = events
        .iter()
        .filter(|e| e["hook"]["resource"]["addr"] == "host_command.slow")
        .map(|e| (e["type"].as_str().unwrap_or_default().to_string(), e["hook"]["elapsed_seconds"].clone()))
        .collect();
    let kinds: Vec<&str> = about.iter().map(|(k, _)| k.as_str()).collect();
    assert!(kinds.contains(&"apply_progress"), "{kinds:?}");
    let progress = about.iter().find(|(k, _)| k == "apply_progress").map(|(_, e)| e.clone());
    assert_eq!(progress, Some(serde_json::json!(10)), "{about:?}");
    assert_eq!(kinds.last(), Some(&"apply_errored"), "{kinds:?}");
}
