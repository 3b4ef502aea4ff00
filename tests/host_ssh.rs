//! The host provider over real SSH (see `common::ssh` for the sshd harness). Skipped with
//! a notice where `sshd` is not installed (`scripts/test` installs Debian's openssh-server).

mod common;

use common::Workspace;
use common::ssh::SshHosts;

fn connection(hosts: &SshHosts) -> String {
    let user = common::ssh::user();
    format!(
        "  connection {{\n    type             = \"ssh\"\n    host             = each.value.addr\n    port             = each.value.port\n    user             = \"{user}\"\n    private_key_file = \"{}\"\n    known_hosts_file = \"{}\"\n  }}\n",
        hosts.key().display(),
        hosts.known_hosts().display()
    )
}

fn alive(pid: u64) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| s.rsplit_once(')').is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z')))
        .unwrap_or(false)
}

#[test]
fn files_commands_and_services_on_three_ssh_hosts() {
    let Some(hosts) = SshHosts::start(3) else { return };
    let ws = Workspace::new();
    let data = ws.path().join("data");
    let web_port = std::net::TcpListener::bind("127.0.1.2:0").and_then(|l| l.local_addr()).expect("port").port();
    let spec = format!(
        "locals {{\n  hosts = {hosts_hcl}\n}}\n\
resource \"host_file\" \"conf\" {{\n  for_each = local.hosts\n  path     = \"{data}/${{each.key}}/node.conf\"\n  content  = \"node ${{each.key}} at ${{each.value.addr}}\\n\"\n{conn}}}\n\
resource \"host_command\" \"probe\" {{\n  for_each    = local.hosts\n  command     = \"cat {data}/${{each.key}}/node.conf; echo via $(echo $SSH_CONNECTION | cut -d' ' -f3)\"\n  depends_on  = [host_file.conf]\n{conn}}}\n\
resource \"host_service\" \"web\" {{\n  for_each   = {{ for k, v in local.hosts : k => v if k == \"h0\" }}\n  command    = \"python3 -m http.server {web_port} --bind ${{each.value.addr}}\"\n  working_dir = \"{data}\"\n  log_file   = \"{log}\"\n  ready_port = {web_port}\n  depends_on = [host_file.conf]\n{conn}}}\n\
output \"probe\" {{\n  value = {{ for k, c in host_command.probe : k => trimspace(c.stdout) }}\n}}\n\
output \"pid\" {{\n  value = host_service.web[\"h0\"].pid\n}}\n",
        hosts_hcl = hosts.hosts_hcl(),
        data = data.display(),
        log = ws.path().join("web.log").display(),
        conn = connection(&hosts),
    );
    ws.write("main.tf", &spec);
    let _cleanup = common::DestroyOnDrop(&ws);
    let applied = ws.run(&["apply", "-auto-approve"]);
    if applied.code != 0 {
        let log = std::fs::read_to_string(ws.path().join("web.log")).unwrap_or_default();
        panic!("apply failed:\n{}\nservice log:\n{log}", applied.stderr);
    }
    for (i, (addr, _)) in hosts.hosts.iter().enumerate() {
        let text = std::fs::read_to_string(data.join(format!("h{i}/node.conf"))).expect("file written over ssh");
        assert_eq!(text, format!("node h{i} at {addr}\n"));
    }
    let probe = ws.outputs()["probe"].clone();
    assert_eq!(probe["h1"], format!("node h1 at 127.0.1.3\nvia 127.0.1.3"), "{probe}");
    let pid = ws.outputs()["pid"].as_u64().expect("pid");
    assert!(alive(pid));
    assert!(std::net::TcpStream::connect(("127.0.1.2", web_port)).is_ok());
    assert_eq!(ws.run(&["plan", "-detailed-exitcode"]).code, 0, "a second plan over ssh is empty");
    // A file edited on one host is drift on that host only.
    std::fs::write(data.join("h2/node.conf"), "tampered\n").expect("tamper");
    let plan = ws.run(&["plan"]);
    assert!(plan.stdout.contains("host_file.conf[\"h2\"] will be updated in-place"), "{}", plan.stdout);
    assert!(plan.stdout.contains("Plan: 0 to add, 1 to change, 0 to destroy."), "{}", plan.stdout);
    ws.run(&["destroy", "-auto-approve"]).ok();
    assert!(!alive(pid), "service still running after destroy");
    assert!(!data.join("h0/node.conf").exists());
}

#[test]
fn an_unreachable_host_fails_alone_and_a_rerun_finishes_it() {
    let Some(hosts) = SshHosts::start(2) else { return };
    hosts.revoke_key(1);
    let ws = Workspace::new();
    let data = ws.path().join("data");
    let spec = format!(
        "locals {{\n  hosts = {}\n}}\nresource \"host_file\" \"f\" {{\n  for_each = local.hosts\n  path     = \"{}/${{each.key}}.txt\"\n  content  = each.key\n{}}}\n",
        hosts.hosts_hcl(),
        data.display(),
        connection(&hosts)
    );
    ws.write("main.tf", &spec);
    let r = ws.run(&["apply", "-auto-approve"]);
    assert_eq!(r.code, 1);
    let (addr, port) = &hosts.hosts[1];
    assert!(r.stderr.contains(&format!("{addr}:{port}")), "the error names the host: {}", r.stderr);
    assert!(r.stderr.contains("host_file.f[\"h1\"]"), "{}", r.stderr);
    assert!(r.stderr.contains("Permission denied"), "{}", r.stderr);
    assert_eq!(ws.addresses(), ["host_file.f[\"h0\"]"], "the reachable host was applied and recorded");
    hosts.allow_key(1);
    ws.run(&["apply", "-auto-approve"]).ok();
    assert_eq!(ws.addresses().len(), 2);
    assert_eq!(std::fs::read_to_string(data.join("h1.txt")).expect("h1"), "h1");
}

#[test]
fn cluster_commands_over_ssh() {
    let Some(hosts) = SshHosts::start(2) else { return };
    let ws = Workspace::new();
    let data = ws.path().join("data");
    ws.write(
        "main.tf",
        &format!(
            "module \"edge\" {{\n  source = \"./node\"\n  hosts  = {}\n  dir    = \"{}\"\n}}\n",
            hosts.hosts_hcl(),
            data.display()
        ),
    );
    ws.write(
        "node/main.tf",
        &format!(
            "variable \"hosts\" {{}}\nvariable \"dir\" {{}}\nresource \"host_file\" \"marker\" {{\n  for_each = var.hosts\n  path     = \"${{var.dir}}/${{each.key}}.txt\"\n  content  = each.key\n{}}}\n",
            connection(&hosts)
        ),
    );
    let _cleanup = common::DestroyOnDrop(&ws);
    ws.run(&["apply", "-auto-approve"]).ok();
    let list = ws.run(&["cluster", "list"]);
    assert_eq!(list.stdout.trim(), "edge\t2 host(s)\t0 service(s)");
    let run = ws.run(&["cluster", "run", "edge", "echo $SSH_CONNECTION | cut -d' ' -f3"]);
    run.ok();
    assert_eq!(run.stdout, "127.0.1.2: 127.0.1.2\n127.0.1.3: 127.0.1.3\n");
    let payload: Vec<u8> = (0..=255u8).rev().cycle().take(50_000).collect();
    std::fs::write(ws.path().join("p.bin"), &payload).expect("payload");
    let remote = data.join("copied/p.bin");
    ws.run(&[
        "cluster",
        "put",
        "edge",
        &ws.path().join("p.bin").display().to_string(),
        &format!("127.0.1.3:{}", remote.display()),
    ])
    .ok();
    ws.run(&[
        "cluster",
        "get",
        "edge",
        &format!("127.0.1.3:{}", remote.display()),
        &ws.path().join("back.bin").display().to_string(),
    ])
    .ok();
    assert_eq!(std::fs::read(ws.path().join("back.bin")).expect("back"), payload);
    let ssh = ws.run(&["cluster", "ssh", "edge", "127.0.1.2", "cat", &data.join("h0.txt").display().to_string()]);
    ssh.ok();
    assert_eq!(ssh.stdout, "h0");
    let unknown = ws.run(&["cluster", "ssh", "edge", "127.0.1.9"]);
    assert_eq!(unknown.code, 1);
    assert!(unknown.stderr.contains("No host \"127.0.1.9\""), "{}", unknown.stderr);
    ws.run(&["cluster", "kill", "edge", "-auto-approve"]).ok();
    assert!(!data.join("h0.txt").exists() && !data.join("h1.txt").exists());
}

#[test]
fn keys_and_passwords_stay_out_of_plans_and_logs() {
    let Some(hosts) = SshHosts::start(1) else { return };
    let ws = Workspace::new();
    let key = std::fs::read_to_string(hosts.key()).expect("key");
    let key_line = key.lines().nth(1).expect("key body").to_string();
    let (addr, port) = &hosts.hosts[0];
    let out = ws.path().join("secret.txt");
    ws.write(
        "main.tf",
        &format!(
            r#"variable "db_password" {{
  type      = string
  sensitive = true
}}

resource "host_command" "store" {{
  command     = "printf %s \"$DB_PASSWORD\" > {out}"
  environment = {{ DB_PASSWORD = var.db_password }}
  connection {{
    type             = "ssh"
    host             = "{addr}"
    port             = {port}
    user             = "{user}"
    private_key      = file("{key}")
    known_hosts_file = "{known}"
  }}
}}
"#,
            out = out.display(),
            user = common::ssh::user(),
            key = hosts.key().display(),
            known = hosts.known_hosts().display()
        ),
    );
    let password = "s3cr3t-Pa55word";
    let var = format!("db_password={password}");
    let plan = ws.run(&["plan", "-var", &var]);
    plan.ok();
    let apply = ws.run(&["apply", "-auto-approve", "-var", &var]);
    apply.ok();
    // The key given as text logged in, and the password reached the host.
    assert_eq!(std::fs::read_to_string(&out).expect("written over ssh"), password);
    for (what, text) in
        [("plan", &plan.stdout), ("plan", &plan.stderr), ("apply", &apply.stdout), ("apply", &apply.stderr)]
    {
        assert!(!text.contains(password), "the password shows in the {what} output:\n{text}");
        assert!(!text.contains(&key_line), "the private key shows in the {what} output:\n{text}");
    }
    assert!(plan.stdout.contains("(sensitive value)"), "{}", plan.stdout);
    let show = ws.run(&["show"]);
    assert!(!show.stdout.contains(password) && !show.stdout.contains(&key_line), "{}", show.stdout);
    // The state holds them (destroy needs the connection), readable by its owner alone.
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(ws.state_path()).expect("state").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "state file mode {mode:o}");
    let state = ws.state();
    let sensitive = state["resources"][0]["instances"][0]["sensitive_attributes"].to_string();
    assert!(sensitive.contains("connection") && sensitive.contains("environment"), "{sensitive}");
    ws.run(&["destroy", "-auto-approve", "-var", &var]).ok();
}

/// The many-hosts benchmark (`benches/ssh_hosts.sh` runs it): 100 sshd's on 127.0.1.x, each
/// given three files and two commands, by meshform (`host_file`, `host_command`) and by
/// terraform (`file` and `remote-exec` provisioners), side by side at the same
/// `-parallelism`. The provisioners are on `terraform_data`, Terraform's built-in successor
/// to `null_resource`: terraform-provider-null is not to be had from the Go module proxy
/// here, and provisioners run in Terraform's core either way. Prints a Markdown table. Not
/// part of the suite.
#[test]
#[ignore = "a benchmark: run by benches/ssh_hosts.sh"]
fn benchmark_configure_100_hosts() {
    let n: usize = std::env::var("MESHFORM_BENCH_HOSTS").ok().and_then(|v| v.parse().ok()).unwrap_or(100);
    let Some(hosts) = SshHosts::start(n) else { return };
    let user = common::ssh::user();
    println!("| hosts | -parallelism | meshform apply | terraform apply | speed-up |");
    println!("|---|---|---|---|---|");
    let levels = std::env::var("MESHFORM_BENCH_PARALLELISM").unwrap_or_else(|_| "10".into());
    for parallelism in levels.split_whitespace().filter_map(|p| p.parse::<usize>().ok()) {
        let p = format!("-parallelism={parallelism}");
        let ws = Workspace::new();
        let data = ws.path().join("mf");
        let conn = connection(&hosts);
        let files: String = (1..=3)
            .map(|i| {
                format!(
                    "resource \"host_file\" \"f{i}\" {{\n  for_each = local.hosts\n  path     = \"{data}/${{each.key}}/f{i}.conf\"\n  content  = \"file {i} of ${{each.key}} at ${{each.value.addr}}\\n\"\n{conn}}}\n",
                    data = data.display()
                )
            })
            .collect();
        let spec = format!(
            "locals {{\n  hosts = {hosts_hcl}\n}}\n{files}\
resource \"host_command\" \"c1\" {{\n  for_each   = local.hosts\n  command    = \"cat {data}/${{each.key}}/f*.conf | wc -l > {data}/${{each.key}}/lines\"\n  depends_on = [host_file.f1, host_file.f2, host_file.f3]\n{conn}}}\n\
resource \"host_command\" \"c2\" {{\n  for_each   = local.hosts\n  command    = \"hostname >> {data}/${{each.key}}/lines\"\n  depends_on = [host_command.c1]\n{conn}}}\n",
            hosts_hcl = hosts.hosts_hcl(),
            data = data.display(),
        );
        ws.write("main.tf", &spec);
        let started = std::time::Instant::now();
        ws.run(&["apply", "-auto-approve", &p]).ok();
        let meshform = started.elapsed();
        for i in 0..n {
            let lines = std::fs::read_to_string(data.join(format!("h{i}/lines"))).unwrap_or_default();
            assert!(lines.starts_with('3'), "h{i} was configured: {lines:?}");
        }
        let terraform = if std::env::var("MESHFORM_BENCH_TERRAFORM").is_ok_and(|v| v == "0") {
            None
        } else {
            let dir = ws.path().join("tf");
            std::fs::create_dir_all(&dir).expect("tf dir");
            let data = dir.join("data");
            let provisioners: String = (1..=3)
                .map(|i| format!("  provisioner \"file\" {{\n    content     = \"file {i} of ${{each.key}} at ${{each.value.addr}}\\n\"\n    destination = \"{data}/${{each.key}}/f{i}.conf\"\n  }}\n", data = data.display()))
                .collect();
            let spec = format!(
                "locals {{\n  hosts = {hosts_hcl}\n}}\nresource \"terraform_data\" \"node\" {{\n  for_each = local.hosts\n  connection {{\n    type        = \"ssh\"\n    host        = each.value.addr\n    port        = each.value.port\n    user        = \"{user}\"\n    private_key = file(\"{key}\")\n  }}\n  provisioner \"remote-exec\" {{\n    inline = [\"mkdir -p {data}/${{each.key}}\"]\n  }}\n{provisioners}  provisioner \"remote-exec\" {{\n    inline = [\"cat {data}/${{each.key}}/f*.conf | wc -l > {data}/${{each.key}}/lines\"]\n  }}\n  provisioner \"remote-exec\" {{\n    inline = [\"hostname >> {data}/${{each.key}}/lines\"]\n  }}\n}}\n",
                hosts_hcl = hosts.hosts_hcl(),
                key = hosts.key().display(),
                data = data.display(),
            );
            std::fs::write(dir.join("main.tf"), spec).expect("tf spec");
            let tf = |args: &[&str]| {
                let out = std::process::Command::new(common::oracle::binary())
                    .args(args)
                    .current_dir(&dir)
                    .env("TF_IN_AUTOMATION", "1")
                    .env("CHECKPOINT_DISABLE", "1")
                    .env("TF_CLI_CONFIG_FILE", "/dev/null")
                    .output()
                    .expect("run terraform");
                assert!(out.status.success(), "terraform {args:?}: {}", String::from_utf8_lossy(&out.stderr));
            };
            tf(&["init", "-input=false"]);
            let started = std::time::Instant::now();
            tf(&["apply", "-auto-approve", "-input=false", &p]);
            let elapsed = started.elapsed();
            for i in 0..n {
                let lines = std::fs::read_to_string(data.join(format!("h{i}/lines"))).unwrap_or_default();
                assert!(lines.starts_with('3'), "terraform configured h{i}: {lines:?}");
            }
            Some(elapsed)
        };
        let (tf, ratio) = match terraform {
            Some(t) => {
                (format!("{:.2} s", t.as_secs_f64()), format!("{:.1}×", t.as_secs_f64() / meshform.as_secs_f64()))
            }
            None => ("(not run)".into(), "–".into()),
        };
        println!("| {n} | {parallelism} | {:.2} s | {tf} | {ratio} |", meshform.as_secs_f64());
    }
}
