//! Crash safety measured: `kill -9` of meshform at 20 moments during a 50-resource apply
//! whose resources take real time (host commands that sleep and leave a mark per run),
//! each followed by the next apply. Afterwards every resource ran exactly once (no
//! duplicates), every mark is in the state (no orphans), and the state parsed after every
//! kill. The moments come from a fixed-seed generator, so a failure can be replayed; the
//! figures are printed.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::Workspace;

/// A small fixed-seed generator (xorshift), for reproducible kill moments.
struct Moments(u64);

impl Moments {
    fn next_ms(&mut self, lo: u64, hi: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        lo + self.0 % (hi - lo)
    }
}

#[test]
fn twenty_kills_during_an_apply_leave_no_orphan_and_no_duplicate() {
    let ws = Workspace::new();
    let marks = ws.path().join("marks");
    ws.write(
        "main.tf",
        &format!(
            "resource \"host_command\" \"step\" {{\n  count   = 50\n  command = \"sleep 1; mkdir -p {m}; echo ran >> {m}/${{count.index}}; echo ${{count.index}}\"\n}}\n",
            m = marks.display()
        ),
    );
    let mut moments = Moments(0x9e37_79b9_7f4a_7c15);
    let mut landed = 0;
    for round in 0..20 {
        let mut child = Command::new(env!("CARGO_BIN_EXE_meshform"))
            .args(["apply", "-auto-approve", "-parallelism=3", "-lock-timeout=30s"])
            .current_dir(ws.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("meshform");
        let wait = Duration::from_millis(moments.next_ms(100, 1500));
        let start = Instant::now();
        while start.elapsed() < wait {
            if child.try_wait().ok().flatten().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        if child.try_wait().ok().flatten().is_none() {
            landed += 1;
        }
        let _ = child.kill();
        let _ = child.wait();
        // The state parses after every kill (a journal beside it is replayed on reading).
        if ws.state_path().exists() {
            let text = std::fs::read_to_string(ws.state_path()).expect("state");
            serde_json::from_str::<serde_json::Value>(&text)
                .unwrap_or_else(|e| panic!("state unparsable after kill {round}: {e}"));
        }
        ws.run(&["state", "list"]).ok();
    }
    let last = ws.run(&["apply", "-auto-approve", "-lock-timeout=30s"]);
    last.ok();
    let recorded = ws.addresses();
    let mut duplicates = 0;
    let mut orphans = 0;
    let mut ran = 0;
    for i in 0..50 {
        let runs = std::fs::read_to_string(marks.join(i.to_string())).map_or(0, |t| t.lines().count());
        ran += runs;
        duplicates += runs.saturating_sub(1);
        if runs > 0 && !recorded.contains(&format!("host_command.step[{i}]")) {
            orphans += 1;
        }
    }
    println!(
        "crash test: {landed} of 20 kills landed mid-apply; {ran} runs for 50 resources; {duplicates} duplicates; {orphans} orphans; {} in state",
        recorded.len()
    );
    assert!(landed >= 15, "most kills must land during the apply: {landed}");
    assert_eq!(recorded.len(), 50);
    assert_eq!(duplicates, 0, "a resource ran twice");
    assert_eq!(orphans, 0, "a resource ran without being recorded");
    assert_eq!(ran, 50);
    assert_eq!(ws.run(&["plan", "-detailed-exitcode"]).code, 0);
}
