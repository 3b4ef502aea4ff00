//! Progress while an apply waits, as Terraform shows it: `ADDR: Still creating... [10s
//! elapsed]` every 10 s for each operation still running, and the same as `apply_progress`
//! events with `-json`; an operation that fails stops being reported. On a terminal, a
//! live status line, cleared before every other line.

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

#[test]
fn a_terminal_gets_a_live_status_line_that_is_cleared_before_every_other_line() {
    if std::process::Command::new("script").arg("-V").output().is_err() {
        println!("util-linux's script not found: skipping the terminal test");
        return;
    }
    let ws = Workspace::new();
    ws.write(
        "main.tf",
        "resource \"host_command\" \"slow\" {\n  command = \"sleep 3\"\n}\n\nresource \"host_command\" \"quick\" {\n  command = \"true\"\n}\n",
    );
    // script(1) gives meshform a pseudo-terminal as its standard output.
    let line = format!("{} apply -auto-approve -no-color", env!("CARGO_BIN_EXE_meshform"));
    let mut c = std::process::Command::new("script");
    c.args(["-qec", &line, "/dev/null"]);
    let out = c.current_dir(ws.path()).output().expect("script");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout).replace("\r\n", "\n");
    const CLEAR: &str = "\r\x1b[2K";
    assert!(text.contains(&format!("{CLEAR}1/2 done, 1 running: host_command.slow (2s)")), "{text:?}");
    assert!(text.contains(&format!("{CLEAR}2/2 done{CLEAR}\nApply complete!")), "cleared at the end: {text:?}");
    // Every line Terraform would print starts on a cleared line, never after a status.
    // (In each piece between clears, the text up to its last newline is whole lines; what
    // follows is a status line.)
    let lines: Vec<&str> = text
        .split(CLEAR)
        .filter_map(|seg| seg.rsplit_once('\n').map(|(whole, _)| whole))
        .flat_map(str::lines)
        .collect();
    assert!(lines.contains(&"host_command.quick: Creating..."), "{lines:?}");
    assert!(lines.iter().any(|l| l.starts_with("host_command.slow: Creation complete after 3s")), "{lines:?}");
    assert!(lines.iter().all(|l| !l.contains(" done")), "a status line was left in the log: {lines:?}");
    // Without a terminal there is no status line at all.
    let plain = ws.run(&["apply", "-auto-approve", "-replace=host_command.quick"]);
    plain.ok();
    assert!(!plain.stdout.contains("done") && !plain.stdout.contains('\x1b'), "{}", plain.stdout);
}
