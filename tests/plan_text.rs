//! Plans as people read them, against terraform's: strings holding line breaks (scripts,
//! rendered configuration files) are shown as `<<-EOT` heredocs, one line of the string per
//! line of the plan, and an update shows which lines are removed and added. Each plan's
//! resource block must be the same text in both tools.

mod common;

use common::{Workspace, oracle};

/// A plan's block for `addr`: from its `# ADDR will be ...` line to the closing brace,
/// with ids (random in both tools) blanked.
fn block(stdout: &str, addr: &str) -> String {
    let mut out = Vec::new();
    let mut inside = false;
    for l in stdout.lines() {
        if l.trim_start().starts_with(&format!("# {addr} ")) {
            inside = true;
        }
        if inside {
            let l = match l.split_once("id     = \"") {
                Some((head, _)) => format!("{head}id     = \"ID\""),
                None => l.to_string(),
            };
            let end = l == "    }";
            out.push(l);
            if end {
                break;
            }
        }
    }
    out.join("\n")
}

const SPEC: &str = r##"variable "v" {
  default = "a"
}

resource "terraform_data" "x" {
  input = {
    script = "#!/bin/sh\necho ${var.v}\n  indented\nlast\n"
    one    = "single"
    list   = ["x\ny", "z"]
    long   = join("\n", concat([for i in range(6) : "line ${i}"], ["echo ${var.v}"], [for i in range(3) : "tail ${i}"]))
  }
}
"##;

#[test]
fn multi_line_strings_are_heredocs_as_in_terraform() {
    oracle::require();
    let ws = Workspace::new();
    ws.write("main.tf", SPEC);
    let tf = tempfile::tempdir().expect("tmp");
    std::fs::write(tf.path().join("main.tf"), SPEC).expect("spec");
    oracle::ok(tf.path(), &["init", "-input=false"]);

    let ours = ws.run(&["plan", "-no-color"]);
    ours.ok();
    let theirs = oracle::ok(tf.path(), &["plan", "-no-color", "-input=false"]);
    let create = block(&ours.stdout, "terraform_data.x");
    assert!(create.contains("          + script = <<-EOT\n                #!/bin/sh\n"), "{create}");
    assert_eq!(create, block(&theirs, "terraform_data.x"));

    ws.run(&["apply", "-auto-approve"]).ok();
    oracle::ok(tf.path(), &["apply", "-auto-approve", "-input=false"]);
    let ours = ws.run(&["plan", "-no-color", "-var", "v=b"]);
    ours.ok();
    let theirs = oracle::ok(tf.path(), &["plan", "-no-color", "-input=false", "-var", "v=b"]);
    let update = block(&ours.stdout, "terraform_data.x");
    assert!(update.contains("              - echo a\n              + echo b\n"), "{update}");
    assert_eq!(update, block(&theirs, "terraform_data.x"));
}
