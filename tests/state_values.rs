//! Values of every kind go through apply into the state and read back equal.
//!
//! 10 000 generated values (nested objects and tuples, lists, sets and maps made with the
//! conversion functions, numbers of every size, unicode strings, nulls, sensitive ones)
//! become root outputs and resource inputs. After apply, `output -json` (which reads the
//! state file) must give back exactly the values written, and a second plan must find
//! nothing to do. The first few hundred are also applied by terraform, and both tools'
//! `output -json` must agree. Then applies are killed with SIGKILL at many moments while
//! the state is being written: every time, the state left behind must read back whole
//! (the old one or the new one).

mod common;

use std::fmt::Write as _;

use common::{Workspace, oracle};
use serde_json::{Value as J, json};

/// A small deterministic generator, so a failure can be reproduced.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A string literal for HCL: JSON's escapes are HCL's, but `${` and `%{` start templates.
fn hcl_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default().replace("${", "$${").replace("%{", "%%{")
}

const WORDS: &[&str] = &[
    "",
    "a",
    "namenode",
    "ünïcödé",
    "日本語",
    "👾🕹️",
    "line\nbreak",
    "tab\there",
    "quote\"d",
    "${x}",
    "%{y}",
    "back\\slash",
    "null",
    "1",
    "true",
];

/// One generated value: its HCL text and the JSON `output -json` must give for it.
fn value(r: &mut Rng, depth: u32) -> (String, J) {
    let choice = if depth == 0 { r.below(5) } else { r.below(11) };
    match choice {
        0 => ("null".into(), J::Null),
        1 => {
            let b = r.below(2) == 0;
            (b.to_string(), J::Bool(b))
        }
        2 => {
            let n: i64 = (r.next() as i64) - (1 << 30);
            let n = n * (r.below(1000) as i64 + 1);
            (n.to_string(), json!(n))
        }
        3 => {
            let text = match r.below(4) {
                0 => "0.5".to_string(),
                1 => "1234567890123456789012345".to_string(),
                2 => "3.25e-7".to_string(),
                _ => format!("{}.{}", r.below(100000), r.below(1000) + 1),
            };
            let j: J = serde_json::from_str(&text).unwrap_or(J::Null);
            (text, j)
        }
        4 => {
            let s = WORDS[r.below(WORDS.len() as u64) as usize].to_string() + &r.below(10).to_string();
            (hcl_string(&s), J::String(s))
        }
        5 | 6 => {
            // A tuple of anything.
            let n = r.below(4);
            let items: Vec<(String, J)> = (0..n).map(|_| value(r, depth - 1)).collect();
            (
                format!("[{}]", items.iter().map(|(h, _)| h.as_str()).collect::<Vec<_>>().join(", ")),
                J::Array(items.into_iter().map(|(_, j)| j).collect()),
            )
        }
        7 | 8 => {
            // An object of anything.
            let n = r.below(4);
            let mut hcl = String::from("{");
            let mut obj = serde_json::Map::new();
            for i in 0..n {
                let key = format!("k{i}_{}", r.below(50));
                let (h, j) = value(r, depth - 1);
                let _ = write!(hcl, "\n{} = {h}", hcl_string(&key));
                obj.insert(key, j);
            }
            hcl.push_str("\n}");
            (hcl, J::Object(obj))
        }
        9 => {
            // A list or a set made by conversion: one kind of primitive stays that kind,
            // mixed primitives become strings.
            let n = r.below(4) + 1;
            let kind = r.below(4);
            // Mixed kinds always hold a string: a number and a bool alone do not convert.
            let items: Vec<(String, J)> = (0..n)
                .enumerate()
                .map(|(i, _)| {
                    match if kind == 3 && i > 0 {
                        r.below(3)
                    } else if kind == 3 {
                        2
                    } else {
                        kind
                    } {
                        0 => {
                            let i = r.below(100);
                            (i.to_string(), json!(i))
                        }
                        1 => {
                            let b = r.below(2) == 0;
                            (b.to_string(), json!(b))
                        }
                        _ => {
                            let s = format!("s{}", r.below(100));
                            (hcl_string(&s), json!(s))
                        }
                    }
                })
                .collect();
            let list = items.iter().map(|(h, _)| h.as_str()).collect::<Vec<_>>().join(", ");
            let first = items[0].1.clone();
            let one_kind = items.iter().all(|(_, j)| std::mem::discriminant(j) == std::mem::discriminant(&first));
            let mut values: Vec<J> = items
                .into_iter()
                .map(|(_, j)| match (&j, one_kind) {
                    (_, true) | (J::String(_), false) => j,
                    (other, false) => J::String(other.to_string()),
                })
                .collect();
            if r.below(2) == 0 {
                (format!("tolist([{list}])"), J::Array(values))
            } else {
                // Sets iterate numbers by value, booleans false first, strings lexically.
                values.sort_by(|a, b| match (a, b) {
                    (J::Number(x), J::Number(y)) => {
                        x.as_f64().partial_cmp(&y.as_f64()).unwrap_or(std::cmp::Ordering::Equal)
                    }
                    (J::Bool(x), J::Bool(y)) => x.cmp(y),
                    _ => a.as_str().cmp(&b.as_str()),
                });
                values.dedup();
                (format!("toset([{list}])"), J::Array(values))
            }
        }
        _ => {
            // A map of numbers.
            let n = r.below(3) + 1;
            let mut obj = serde_json::Map::new();
            let mut hcl = String::from("tomap({");
            for i in 0..n {
                let v = r.below(1000);
                let _ = write!(hcl, "\n\"m{i}\" = {v}");
                obj.insert(format!("m{i}"), json!(v));
            }
            hcl.push_str("\n})");
            (hcl, J::Object(obj))
        }
    }
}

/// The spec of `count` outputs (every seventh sensitive, every tenth through a resource)
/// and what `output -json` must give for each.
fn spec(seed: u64, count: usize) -> (String, Vec<(String, J, bool)>) {
    let mut r = Rng(seed);
    let mut text = String::new();
    let mut expected = Vec::new();
    for i in 0..count {
        let (hcl, j) = value(&mut r, 3);
        let name = format!("v{i:05}");
        let sensitive = i % 7 == 3;
        let expr = if i % 10 == 0 {
            let _ = writeln!(text, "resource \"terraform_data\" \"{name}\" {{\n  input = {hcl}\n}}");
            format!("terraform_data.{name}.output")
        } else {
            hcl
        };
        let expr = if sensitive { format!("sensitive({expr})") } else { expr };
        let _ = writeln!(text, "output \"{name}\" {{\n  value = {expr}\n  sensitive = {sensitive}\n}}");
        expected.push((name, j, sensitive));
    }
    (text, expected)
}

/// JSON equality where numbers compare by value, not by how they are written
/// (`3.25e-7` and `0.000000325` are one number).
fn same(a: &J, b: &J) -> bool {
    match (a, b) {
        (J::Number(x), J::Number(y)) => {
            let (xs, ys) = (x.to_string(), y.to_string());
            xs == ys || (x.as_f64().is_some() && x.as_f64() == y.as_f64() && !(is_int(&xs) && is_int(&ys)))
        }
        (J::Array(x), J::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b)),
        (J::Object(x), J::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

fn is_int(s: &str) -> bool {
    s.chars().all(|c| c.is_ascii_digit() || c == '-')
}

fn output_json(ws: &Workspace) -> J {
    let r = ws.run(&["output", "-json"]);
    r.ok();
    serde_json::from_str(&r.stdout).expect("output -json")
}

#[test]
fn ten_thousand_values_read_back_from_the_state_as_written() {
    let ws = Workspace::new();
    let (text, expected) = spec(7, 10_000);
    ws.write("main.tf", &text);
    ws.run(&["apply", "-auto-approve", "-input=false"]).ok();
    let got = output_json(&ws);
    let mut wrong = Vec::new();
    for (name, j, sensitive) in &expected {
        // Terraform records no output whose value is null.
        if j.is_null() {
            if got.get(name).is_some() {
                wrong.push(format!("{name}: null recorded"));
            }
            continue;
        }
        let o = &got[name];
        if !same(&o["value"], j) || o["sensitive"] != J::Bool(*sensitive) {
            wrong.push(format!("{name}: wrote {j} (sensitive {sensitive}), read back {o}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} values read back differently:\n{}",
        wrong.len(),
        expected.len(),
        wrong.join("\n")
    );
    let again = ws.run(&["plan", "-input=false", "-detailed-exitcode"]);
    assert_eq!(again.code, 0, "a second plan found changes:\n{}{}", again.stdout, again.stderr);
}

#[test]
fn generated_values_read_back_as_terraform_reads_them() {
    oracle::require();
    let (text, _) = spec(11, 400);
    let ws = Workspace::new();
    ws.write("main.tf", &text);
    ws.run(&["apply", "-auto-approve", "-input=false"]).ok();
    let mine = output_json(&ws);
    let tf = tempfile::tempdir().expect("temp dir");
    std::fs::write(tf.path().join("main.tf"), &text).expect("spec");
    oracle::ok(tf.path(), &["init", "-input=false", "-no-color"]);
    oracle::ok(tf.path(), &["apply", "-auto-approve", "-input=false", "-no-color"]);
    let theirs: J = serde_json::from_str(&oracle::ok(tf.path(), &["output", "-json"])).expect("terraform output -json");
    let names: std::collections::BTreeSet<&String> = mine
        .as_object()
        .into_iter()
        .flatten()
        .chain(theirs.as_object().into_iter().flatten())
        .map(|(k, _)| k)
        .collect();
    let wrong: Vec<String> = names
        .into_iter()
        .filter(|n| {
            let (m, t) = (&mine[n.as_str()], &theirs[n.as_str()]);
            !same(&m["value"], &t["value"]) || m["type"] != t["type"] || m["sensitive"] != t["sensitive"]
        })
        .map(|n| format!("{n}:\n  meshform:  {}\n  terraform: {}", mine[n.as_str()], theirs[n.as_str()]))
        .collect();
    assert!(wrong.is_empty(), "{} outputs differ:\n{}", wrong.len(), wrong.join("\n"));
}

#[test]
fn a_kill_while_the_state_is_written_leaves_a_state_that_reads_back() {
    let ws = Workspace::new();
    let (text, _) = spec(3, 6_000);
    ws.write("main.tf", &text);
    ws.run(&["apply", "-auto-approve", "-input=false"]).ok();
    let mut r = Rng(99);
    let mut killed = 0;
    for round in 0..12 {
        // A new value for one output makes every apply write the whole state again.
        ws.write("extra.tf", &format!("output \"round\" {{\n  value = {round}\n}}\n"));
        let serial_before = ws.state()["serial"].as_u64().unwrap_or(0);
        let mut child = ws.command(&["apply", "-auto-approve", "-input=false"]).spawn().expect("spawn apply");
        std::thread::sleep(std::time::Duration::from_millis(200 + r.below(1200)));
        if child.try_wait().ok().flatten().is_none() {
            killed += 1;
        }
        let _ = child.kill();
        let _ = child.wait();
        let text = std::fs::read_to_string(ws.state_path()).expect("state file");
        let doc: J =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("round {round}: the state is not JSON: {e}"));
        let serial = doc["serial"].as_u64().unwrap_or(0);
        assert!(
            serial == serial_before || serial == serial_before + 1,
            "round {round}: serial {serial_before} -> {serial}"
        );
        let plan = ws.run(&["plan", "-input=false", "-detailed-exitcode"]);
        assert!(
            plan.code == 0 || plan.code == 2,
            "round {round}: the state does not read back:\n{}{}",
            plan.stdout,
            plan.stderr
        );
    }
    assert!(killed >= 3, "only {killed} of 12 applies were still running when killed");
}
