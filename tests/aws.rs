//! The `aws` provider and `modules/aws-cluster` against moto's EC2 API (see
//! `common::moto`), run through the built binary. What meshform made is checked with EC2
//! calls from the test itself, never through meshform. moto stands in for AWS: it ignores
//! ClientToken and starts instances at once, so crash safety is proven by the intent tag,
//! and a proxy that holds RunInstances responses back gives the kill its window.
//! Skipped with a notice where moto is not installed.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::time::Duration;

use common::moto::{Moto, SlowProxy, xml_values};
use common::{Workspace, plan_line};

/// An image moto has (Ubuntu 14.04, owner Canonical).
const AMI: &str = "ami-1e749f67";

fn provider(endpoint: &str) -> String {
    format!(
        "variable \"endpoint\" {{\n  type    = string\n  default = \"{endpoint}\"\n}}\n\nprovider \"aws\" {{\n  region     = \"us-east-1\"\n  access_key = \"test\"\n  secret_key = \"test\"\n  endpoints {{\n    ec2 = var.endpoint\n  }}\n  default_tags {{\n    tags = {{ ManagedBy = \"meshform\" }}\n  }}\n}}\n"
    )
}

fn cluster_spec(ws: &Workspace, endpoint: &str, name: &str) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    common::spark::copy_dir(&root.join("modules/aws-cluster"), &ws.path().join("modules/aws-cluster"));
    ws.write("key.pub", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBv4yJ2Fq5m0mB3jv0r8e0o1V2pQ7r8Xq1n4W6c1d2e3 test\n");
    ws.write(
        "main.tf",
        &format!(
            "{}\nvariable \"hosts\" {{\n  default = \"node[1-3]\"\n}}\n\nmodule \"cluster\" {{\n  source               = \"./modules/aws-cluster\"\n  name                 = \"{name}\"\n  hostlist             = var.hosts\n  ssh_public_key       = file(\"key.pub\")\n  master_instance_type = \"t3.micro\"\n  worker_instance_type = \"t3.small\"\n  spot_workers         = true\n  user_data            = \"#!/bin/sh\\nhostnamectl set-hostname $${{host}}\\n\"\n}}\n\noutput \"hosts\" {{\n  value = module.cluster.hosts\n}}\n\noutput \"ids\" {{\n  value = module.cluster.instance_ids\n}}\n",
            provider(endpoint)
        ),
    );
}

/// Ids of what moto holds with tag Cluster=`name`, by kind.
fn leftovers(moto: &Moto, name: &str) -> Vec<String> {
    let f = format!("Filter.1.Name=tag:Cluster&Filter.1.Value.1={name}");
    let mut out = Vec::new();
    out.extend(xml_values(&moto.ec2(&format!("Action=DescribeVpcs&{f}")), "vpcId"));
    out.extend(xml_values(&moto.ec2(&format!("Action=DescribeSubnets&{f}")), "subnetId"));
    out.extend(xml_values(&moto.ec2(&format!("Action=DescribeInternetGateways&{f}")), "internetGatewayId"));
    out.extend(xml_values(&moto.ec2(&format!("Action=DescribeSecurityGroups&{f}")), "groupId"));
    out.extend(xml_values(&moto.ec2(&format!("Action=DescribeRouteTables&{f}")), "routeTableId"));
    out.extend(xml_values(&moto.ec2("Action=DescribeKeyPairs"), "keyName").into_iter().filter(|k| k.starts_with(name)));
    out.extend(moto.instances("Cluster", name, &["pending", "running", "stopping", "stopped"]));
    out.sort();
    out.dedup();
    out
}

#[test]
fn cluster_module_boots_shrinks_heals_and_goes() {
    let Some(moto) = Moto::start() else { return };
    let ws = Workspace::new();
    cluster_spec(&ws, &moto.endpoint(), "etl");

    let apply = ws.run(&["apply", "-auto-approve"]);
    apply.ok();
    assert!(apply.stdout.contains("Apply complete! Resources: 10 added"), "{}", apply.stdout);
    let running = moto.instances("Cluster", "etl", &["running"]);
    assert_eq!(running.len(), 3, "three instances run");
    for name in ["node1", "node2", "node3"] {
        assert_eq!(moto.instances("Name", name, &["running"]).len(), 1, "{name} runs once");
    }
    assert_eq!(moto.instances("Role", "master", &["running"]).len(), 1);
    let workers = moto.ec2("Action=DescribeInstances&Filter.1.Name=tag:Role&Filter.1.Value.1=worker");
    assert_eq!(xml_values(&workers, "instanceLifecycle"), ["spot", "spot"], "workers are spot instances");
    assert_eq!(moto.instances("ManagedBy", "meshform", &["running"]).len(), 3, "default tags reach instances");
    let described = moto.ec2(&format!("Action=DescribeInstances&InstanceId.1={}", running[0]));
    assert!(xml_values(&described, "instanceType").iter().any(|t| t.starts_with("t3.")), "{described}");
    assert_eq!(ws.outputs()["hosts"].as_array().map(Vec::len), Some(3));
    assert_eq!(ws.run(&["plan", "-detailed-exitcode"]).code, 0, "a fresh cluster plans no change");

    // Shrinking the host list destroys exactly the host that left.
    let plan = ws.run(&["plan", "-var", "hosts=node[1-2]"]);
    plan.ok();
    assert_eq!(plan_line(&plan.stdout), "Plan: 0 to add, 0 to change, 1 to destroy.", "{}", plan.stdout);
    assert!(plan.stdout.contains("aws_instance.host[\"node3\"] will be destroyed"), "{}", plan.stdout);
    ws.run(&["apply", "-auto-approve", "-var", "hosts=node[1-2]"]).ok();
    assert_eq!(moto.instances("Cluster", "etl", &["running"]).len(), 2);
    assert!(moto.instances("Name", "node3", &["running"]).is_empty());

    // An instance terminated out of band is re-created, and only that one.
    let node2 = common::id_of(&ws, "module.cluster.aws_instance.host[\"node2\"]");
    moto.ec2(&format!("Action=TerminateInstances&InstanceId.1={node2}"));
    let plan = ws.run(&["plan", "-var", "hosts=node[1-2]"]);
    plan.ok();
    assert_eq!(plan_line(&plan.stdout), "Plan: 1 to add, 0 to change, 0 to destroy.", "{}", plan.stdout);
    assert!(plan.stdout.contains("aws_instance.host[\"node2\"] will be created"), "{}", plan.stdout);
    ws.run(&["apply", "-auto-approve", "-var", "hosts=node[1-2]"]).ok();
    let node2_new = common::id_of(&ws, "module.cluster.aws_instance.host[\"node2\"]");
    assert_ne!(node2, node2_new);
    assert_eq!(moto.instances("Name", "node2", &["running"]), vec![node2_new]);

    // A type changed out of band is drift, put back in place (stop, modify, start).
    let node1 = common::id_of(&ws, "module.cluster.aws_instance.host[\"node1\"]");
    moto.ec2(&format!("Action=StopInstances&InstanceId.1={node1}"));
    moto.ec2(&format!("Action=ModifyInstanceAttribute&InstanceId={node1}&InstanceType.Value=t3.large"));
    moto.ec2(&format!("Action=StartInstances&InstanceId.1={node1}"));
    let plan = ws.run(&["plan", "-var", "hosts=node[1-2]"]);
    assert_eq!(plan_line(&plan.stdout), "Plan: 0 to add, 1 to change, 0 to destroy.", "{}", plan.stdout);
    assert!(plan.stdout.contains("\"t3.large\" -> \"t3.micro\""), "{}", plan.stdout);
    ws.run(&["apply", "-auto-approve", "-var", "hosts=node[1-2]"]).ok();
    let described = moto.ec2(&format!("Action=DescribeInstances&InstanceId.1={node1}"));
    assert_eq!(xml_values(&described, "instanceType"), vec!["t3.micro".to_string()]);
    assert_eq!(common::id_of(&ws, "module.cluster.aws_instance.host[\"node1\"]"), node1, "updated in place");

    ws.run(&["destroy", "-auto-approve", "-var", "hosts=node[1-2]"]).ok();
    assert_eq!(leftovers(&moto, "etl"), Vec::<String>::new(), "nothing of ours is left");
    assert!(ws.addresses().is_empty());
}

fn instances_spec(ws: &Workspace, endpoint: &str, count: usize) {
    ws.write(
        "main.tf",
        &format!(
            "{}\nresource \"aws_instance\" \"node\" {{\n  for_each      = toset(hostlist(\"n[01-{count:02}]\"))\n  ami           = \"{AMI}\"\n  instance_type = \"t3.micro\"\n  tags = {{\n    Name  = each.key\n    Batch = \"crash\"\n  }}\n}}\n",
            provider(endpoint)
        ),
    );
}

#[test]
fn killed_during_run_instances_then_applied_again_boots_each_instance_once() {
    let Some(moto) = Moto::start() else { return };
    // moto loads its EC2 data on the first EC2 call, taking seconds; done here, so that a
    // call in flight lands at once, as it does on AWS.
    moto.instances("Batch", "crash", &["running"]);
    // RunInstances reaches moto, which boots the instance, and its answer is held back:
    // the kill lands while calls are in flight.
    let proxy = SlowProxy::start(&moto, "RunInstances", Duration::from_millis(1500));
    let ws = Workspace::new();
    instances_spec(&ws, &proxy.endpoint(), 10);
    let mut adopted_runs = 0;
    for round in 0..3 {
        let mut cmd = ws.command(&["apply", "-auto-approve", "-parallelism=3"]);
        let mut child = cmd.spawn().expect("spawn apply");
        let stdout = child.stdout.take().expect("stdout");
        let mut creating = 0;
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.contains("Creating...") {
                creating += 1;
            }
            if creating == 3 {
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(700));
        let _ = child.kill();
        let _ = child.wait();
        assert!(creating == 3, "round {round}: the apply was creating when killed");
        let again = ws.run(&["plan"]);
        again.ok();
        if again.stderr.contains("Adopted the work of an interrupted apply") {
            adopted_runs += 1;
        }
    }
    assert_eq!(adopted_runs, 3, "each rerun after a kill adopted the instances the killed run booted");
    ws.run(&["apply", "-auto-approve"]).ok();
    let running = moto.instances("Batch", "crash", &["pending", "running"]);
    assert_eq!(running.len(), 10, "exactly the spec's instances run: {running:?}");
    for i in 1..=10 {
        assert_eq!(moto.instances("Name", &format!("n{i:02}"), &["pending", "running"]).len(), 1, "n{i:02} once");
    }
    let mut in_state: Vec<String> =
        (1..=10).map(|i| common::id_of(&ws, &format!("aws_instance.node[\"n{i:02}\"]"))).collect();
    in_state.sort();
    assert_eq!(in_state, running, "every running instance is in the state");
    assert_eq!(ws.run(&["plan", "-detailed-exitcode"]).code, 0);
    ws.run(&["destroy", "-auto-approve"]).ok();
    assert!(moto.instances("Batch", "crash", &["pending", "running"]).is_empty());
}

/// The `ClientToken` of each RunInstances call the proxy saw, in order.
fn client_tokens(proxy: &SlowProxy) -> Vec<String> {
    let requests = proxy.requests.lock().map(|r| r.clone()).unwrap_or_default();
    requests
        .iter()
        .filter_map(|r| r.split("ClientToken=").nth(1).map(|t| t.split('&').next().unwrap_or_default().to_string()))
        .collect()
}

/// A create whose call was lost before EC2 saw it leaves nothing for adoption to find; EC2
/// may yet show such a machine late, so the create is made again under the same
/// `ClientToken`, on which EC2 dedupes. moto ignores ClientToken, so what is asserted is
/// the token that is sent.
#[test]
fn a_create_whose_machine_was_not_found_is_made_again_under_the_same_client_token() {
    let Some(moto) = Moto::start() else { return };
    moto.instances("Batch", "crash", &["running"]);
    let proxy = SlowProxy::start(&moto, "RunInstances", Duration::ZERO);
    proxy.lose.store(1, std::sync::atomic::Ordering::SeqCst);
    let ws = Workspace::new();
    instances_spec(&ws, &proxy.endpoint(), 1);
    let mut child = ws.command(&["apply", "-auto-approve"]).spawn().expect("spawn apply");
    let started = std::time::Instant::now();
    while client_tokens(&proxy).is_empty() {
        assert!(started.elapsed() < Duration::from_secs(120), "apply never called RunInstances");
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(moto.instances("Batch", "crash", &["pending", "running"]).is_empty(), "the lost call made nothing");

    let plan = ws.run(&["plan"]);
    plan.ok();
    assert!(!plan.stderr.contains("Adopted"), "nothing was there to adopt: {}", plan.stderr);
    assert!(plan.stdout.contains("1 to add"), "{}", plan.stdout);
    let state = std::fs::read_to_string(ws.state_path()).unwrap_or_default();
    assert!(state.contains("\"unadopted_creates\""), "the lost create's intent is kept: {state}");
    ws.run(&["apply", "-auto-approve"]).ok();
    let tokens = client_tokens(&proxy);
    assert_eq!(tokens.len(), 2, "{tokens:?}");
    assert!(!tokens[0].is_empty(), "a token is sent");
    assert_eq!(tokens[1], tokens[0], "the create is made again under the first call's token");
    assert_eq!(moto.instances("Batch", "crash", &["pending", "running"]).len(), 1);
    let state = std::fs::read_to_string(ws.state_path()).unwrap_or_default();
    assert!(!state.contains("unadopted_creates"), "made, so no longer pending: {state}");

    // Once the address holds a machine, a replacement is a create of its own.
    ws.run(&["apply", "-auto-approve", "-replace=aws_instance.node[\"n01\"]"]).ok();
    let tokens = client_tokens(&proxy);
    assert_eq!(tokens.len(), 3, "{tokens:?}");
    assert_ne!(tokens[2], tokens[0], "a new create has a new token");
    ws.run(&["destroy", "-auto-approve"]).ok();
}

#[test]
fn bad_input_names_the_resource_and_the_aws_error_and_records_nothing() {
    let Some(moto) = Moto::start() else { return };
    let ws = Workspace::new();
    let spec = |ami: &str, instance_type: &str, endpoint: &str| {
        format!(
            "{}\nresource \"aws_instance\" \"web\" {{\n  ami           = \"{ami}\"\n  instance_type = \"{instance_type}\"\n}}\n",
            provider(endpoint)
        )
    };
    ws.write("main.tf", &spec(AMI, "m9.enormous", &moto.endpoint()));
    let r = ws.run(&["apply", "-auto-approve"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("aws_instance.web") && r.stderr.contains("InvalidInstanceType"), "{}", r.stderr);

    ws.write("main.tf", &spec("ami-00000000", "t3.micro", &moto.endpoint()));
    let r = ws.run(&["apply", "-auto-approve"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("aws_instance.web") && r.stderr.contains("InvalidAMIID"), "{}", r.stderr);

    ws.write("main.tf", &spec(AMI, "t3.micro", "http://127.0.0.1:9"));
    let r = ws.run(&["apply", "-auto-approve"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("aws_instance.web") && r.stderr.contains("RequestError"), "{}", r.stderr);
    assert!(r.stderr.contains("could not be reached"), "{}", r.stderr);

    // No credentials anywhere: not in the block, the environment or a shared file.
    ws.write(
        "main.tf",
        &format!(
            "provider \"aws\" {{\n  region = \"us-east-1\"\n  endpoints {{\n    ec2 = \"{}\"\n  }}\n}}\n\nresource \"aws_instance\" \"web\" {{\n  ami           = \"{AMI}\"\n  instance_type = \"t3.micro\"\n}}\n",
            moto.endpoint()
        ),
    );
    let mut cmd = ws.command(&["apply", "-auto-approve"]);
    for v in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
    ] {
        cmd.env_remove(v);
    }
    cmd.env("HOME", ws.path())
        .env("AWS_CONFIG_FILE", ws.path().join("none"))
        .env("AWS_SHARED_CREDENTIALS_FILE", ws.path().join("none"));
    let r = ws.run_command(cmd, "");
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("aws_instance.web") && r.stderr.contains("NoCredentialProviders"), "{}", r.stderr);

    assert!(moto.instances("ManagedBy", "meshform", &["pending", "running"]).is_empty(), "nothing booted");
    assert!(ws.run(&["state", "list"]).stdout.trim().is_empty(), "nothing recorded");
}

#[test]
fn import_adopts_an_existing_instance() {
    let Some(moto) = Moto::start() else { return };
    let booted = moto.ec2(&format!(
        "Action=RunInstances&ImageId={AMI}&InstanceType=t3.micro&MinCount=1&MaxCount=1&TagSpecification.1.ResourceType=instance&TagSpecification.1.Tag.1.Key=Name&TagSpecification.1.Tag.1.Value=legacy"
    ));
    let id = xml_values(&booted, "instanceId").into_iter().next().expect("an instance id");
    let ws = Workspace::new();
    ws.write(
        "main.tf",
        &format!(
            "{}\nresource \"aws_instance\" \"legacy\" {{\n  ami           = \"{AMI}\"\n  instance_type = \"t3.micro\"\n  tags = {{\n    Name = \"legacy\"\n  }}\n}}\n",
            provider(&moto.endpoint())
        ),
    );
    let r = ws.run(&["import", "aws_instance.legacy", &id]);
    r.ok();
    assert!(r.stdout.contains("Import successful!"), "{}", r.stdout);
    assert_eq!(common::id_of(&ws, "aws_instance.legacy"), id);
    let plan = ws.run(&["plan"]);
    plan.ok();
    assert!(!plan.stdout.contains("must be replaced") && !plan.stdout.contains("will be created"), "{}", plan.stdout);

    let again = ws.run(&["import", "aws_instance.legacy", &id]);
    assert_eq!(again.code, 1);
    assert!(again.stderr.contains("already managed"), "{}", again.stderr);
    let missing = ws.run(&["import", "aws_instance.other", &id]);
    assert_eq!(missing.code, 1);
    assert!(missing.stderr.contains("Configuration for import target does not exist"), "{}", missing.stderr);
    ws.run(&["state", "rm", "aws_instance.legacy"]).ok();
    let gone = ws.run(&["import", "aws_instance.legacy", "i-0000000000000dead"]);
    assert_eq!(gone.code, 1);
    assert!(gone.stderr.contains("aws_instance.legacy") && gone.stderr.contains("NotFound"), "{}", gone.stderr);

    // The same through an import block: planned as an import, recorded by apply, and
    // with nothing booted.
    ws.write("import.tf", &format!("import {{\n  to = aws_instance.legacy\n  id = \"{id}\"\n}}\n"));
    let plan = ws.run(&["plan", "-input=false"]);
    plan.ok();
    // Imported, then updated in place to take the provider's default tags.
    assert!(plan.stdout.contains(&format!("# (imported from \"{id}\")")), "{}", plan.stdout);
    assert!(plan.stdout.contains("Plan: 1 to import, 0 to add"), "{}", plan.stdout);
    let applied = ws.run(&["apply", "-auto-approve", "-input=false"]);
    applied.ok();
    assert!(applied.stdout.contains("Resources: 1 imported, 0 added"), "{}", applied.stdout);
    assert_eq!(common::id_of(&ws, "aws_instance.legacy"), id);
    assert_eq!(moto.instances("Name", "legacy", &["pending", "running"]), std::slice::from_ref(&id));
    ws.write("import.tf", "import {\n  to = aws_instance.legacy\n  id = \"i-0000000000000dead\"\n}\n");
    let recorded = ws.run(&["plan", "-input=false", "-detailed-exitcode"]);
    assert_eq!(
        recorded.code, 0,
        "an import block for a recorded instance is not imported again:\n{}{}",
        recorded.stdout, recorded.stderr
    );
}

#[test]
fn aws_spark_example_makes_its_machines_on_the_emulator_and_plans_spark_onto_them() {
    let Some(moto) = Moto::start() else { return };
    let ws = Workspace::new();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for dir in ["examples/aws-spark", "modules/aws-cluster", "modules/spark-standalone"] {
        common::spark::copy_dir(&root.join(dir), &ws.path().join(dir));
    }
    ws.write(
        "examples/aws-spark/k.pub",
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBv4yJ2Fq5m0mB3jv0r8e0o1V2pQ7r8Xq1n4W6c1d2e3 test\n",
    );
    let endpoint = format!("endpoint={}", moto.endpoint());
    let run = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend([
            "-var",
            &endpoint,
            "-var",
            "region=us-east-1",
            "-var",
            "ssh_public_key_file=k.pub",
            "-var",
            "ssh_private_key_file=k",
        ]);
        let mut cmd = ws.command(&all);
        cmd.current_dir(ws.path().join("examples/aws-spark"))
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test");
        ws.run_command(cmd, "")
    };
    let apply = run(&["apply", "-auto-approve", "-target=module.cluster"]);
    apply.ok();
    let running = moto.instances("Cluster", "spark-demo", &["running"]);
    assert_eq!(running.len(), 3, "{}", apply.stdout);
    assert_eq!(moto.instances("Project", "spark-demo", &["running"]).len(), 3, "default tags from the example");

    let plan = run(&["plan"]);
    plan.ok();
    assert_eq!(plan_line(&plan.stdout), "Plan: 13 to add, 0 to change, 0 to destroy.", "{}", plan.stdout);
    let hosts: Vec<String> = apply
        .stdout
        .split("hosts = [")
        .last()
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.trim().strip_suffix("\",").and_then(|l| l.strip_prefix('"')).map(str::to_string))
        .collect();
    assert_eq!(hosts.len(), 3, "{}", apply.stdout);
    for h in &hosts {
        assert!(plan.stdout.contains(&format!("module.spark.host_command.install[\"{h}\"] will be created")), "{h}");
    }
    assert_eq!(plan.stdout.matches("module.spark.host_service.worker[").count(), 2, "{}", plan.stdout);

    run(&["destroy", "-auto-approve"]).ok();
    assert_eq!(leftovers(&moto, "spark-demo"), Vec::<String>::new());
}

/// The parallel-apply benchmark (`benches/aws_parallel.sh` runs it): 20 instances through
/// a proxy that gives every EC2 call 200 ms of latency, applied at `-parallelism` 1 and
/// 10; prints the wall time against the sum of the calls' times. Not part of the suite.
#[test]
#[ignore = "a benchmark: run by benches/aws_parallel.sh"]
fn benchmark_parallel_apply_of_20_instances() {
    let Some(moto) = Moto::start() else { return };
    moto.instances("Batch", "bench", &["running"]);
    println!("| -parallelism | EC2 calls | sum of call times | apply wall time | overlap (sum / wall) |");
    println!("|---|---|---|---|---|");
    for parallelism in [1, 10] {
        let proxy = SlowProxy::start(&moto, "", Duration::from_millis(200));
        let ws = Workspace::new();
        instances_spec(&ws, &proxy.endpoint(), 20);
        ws.run(&["init"]).ok();
        let started = std::time::Instant::now();
        ws.run(&["apply", "-auto-approve", "-refresh=false", &format!("-parallelism={parallelism}")]).ok();
        let wall = started.elapsed();
        let calls = proxy.calls.lock().map(|c| c.clone()).unwrap_or_default();
        let sum: Duration = calls.iter().map(|(_, d)| *d).sum();
        println!(
            "| {parallelism} | {} | {:.2} s | {:.2} s | {:.1}× |",
            calls.len(),
            sum.as_secs_f64(),
            wall.as_secs_f64(),
            sum.as_secs_f64() / wall.as_secs_f64()
        );
        ws.run(&["destroy", "-auto-approve"]).ok();
    }
}

/// The batched-refresh benchmark (`benches/aws_refresh.sh` runs it): 500 instances made
/// through a plain relay, then planned through a proxy that gives every EC2 call 200 ms of
/// latency; prints the plan's wall time, how many DescribeInstances calls it made, the
/// longest call (moto's own time included) and the plan with no latency added. Not part of
/// the suite.
#[test]
#[ignore = "a benchmark: run by benches/aws_refresh.sh"]
fn benchmark_refresh_of_500_instances() {
    let Some(moto) = Moto::start() else { return };
    moto.instances("Batch", "crash", &["running"]);
    let relay = SlowProxy::start(&moto, "", Duration::ZERO);
    let ws = Workspace::new();
    instances_spec(&ws, &relay.endpoint(), 500);
    ws.run(&["apply", "-auto-approve", "-parallelism=20"]).ok();
    let slow = SlowProxy::start(&moto, "", Duration::from_millis(200));
    ws.write("terraform.tfvars", &format!("endpoint = \"{}\"\n", slow.endpoint()));
    println!(
        "| instances | latency per call | plan wall time | DescribeInstances calls | all EC2 calls | longest call | plan with no latency added |"
    );
    println!("|---|---|---|---|---|---|---|");
    let started = std::time::Instant::now();
    let plan = ws.run(&["plan", "-detailed-exitcode"]);
    let wall = started.elapsed();
    assert_eq!(plan.code, 0, "the instances are as recorded: {}{}", plan.stdout, plan.stderr);
    let calls = slow.calls.lock().map(|c| c.clone()).unwrap_or_default();
    let describes = calls.iter().filter(|(a, _)| a == "DescribeInstances").count();
    let longest = calls.iter().map(|(_, d)| d.as_secs_f64()).fold(0.0, f64::max);
    if let Ok(mut c) = relay.calls.lock() {
        c.clear();
    }
    let started = std::time::Instant::now();
    ws.run(&["plan", "-var", &format!("endpoint={}", relay.endpoint())]).ok();
    let direct = started.elapsed();
    println!(
        "| 500 | 200 ms | {:.2} s | {describes} | {} | {longest:.2} s | {:.2} s |",
        wall.as_secs_f64(),
        calls.len(),
        direct.as_secs_f64()
    );
    ws.run(&["destroy", "-auto-approve", "-var", &format!("endpoint={}", relay.endpoint())]).ok();
}

/// Refresh reads a provider's instances many at a time: five instances are one
/// DescribeInstances call, and one terminated behind meshform's back is found gone.
#[test]
fn refresh_reads_instances_in_one_call_and_finds_one_that_is_gone() {
    let Some(moto) = Moto::start() else { return };
    let proxy = SlowProxy::start(&moto, "", Duration::ZERO);
    let ws = Workspace::new();
    instances_spec(&ws, &proxy.endpoint(), 5);
    ws.run(&["apply", "-auto-approve"]).ok();
    let gone = common::id_of(&ws, "aws_instance.node[\"n03\"]");
    moto.ec2(&format!("Action=TerminateInstances&InstanceId.1={gone}"));
    if let Ok(mut c) = proxy.calls.lock() {
        c.clear();
    }
    let plan = ws.run(&["plan"]);
    plan.ok();
    let calls = proxy.calls.lock().map(|c| c.clone()).unwrap_or_default();
    let describes = calls.iter().filter(|(a, _)| a == "DescribeInstances").count();
    assert_eq!(describes, 1, "one call reads all five: {calls:?}");
    assert!(plan.stdout.contains("aws_instance.node[\"n03\"] will be created"), "{}", plan.stdout);
    assert!(plan.stdout.contains("1 to add, 0 to change, 0 to destroy"), "{}", plan.stdout);
    ws.run(&["destroy", "-auto-approve"]).ok();
}

#[test]
fn provider_aliases_pick_the_region_and_modules_take_them_through_providers_maps() {
    let Some(moto) = Moto::start() else { return };
    let ws = Workspace::new();
    let west = "provider \"aws\" {\n  alias      = \"west\"\n  region     = \"us-west-2\"\n  access_key = \"test\"\n  secret_key = \"test\"\n  endpoints {\n    ec2 = var.endpoint\n  }\n}\n";
    ws.write(
        "main.tf",
        &format!(
            "{}{west}\nresource \"aws_vpc\" \"east\" {{\n  cidr_block = \"10.1.0.0/16\"\n  tags       = {{ Name = \"alias-east\" }}\n}}\n\nresource \"aws_vpc\" \"west\" {{\n  provider   = aws.west\n  cidr_block = \"10.2.0.0/16\"\n  tags       = {{ Name = \"alias-west\" }}\n}}\n\nmodule \"inner\" {{\n  source    = \"./inner\"\n  providers = {{ aws = aws.west }}\n}}\n",
            provider(&moto.endpoint())
        ),
    );
    ws.write("inner/main.tf", "resource \"aws_vpc\" \"this\" {\n  cidr_block = \"10.3.0.0/16\"\n  tags       = { Name = \"alias-inner\" }\n}\n");
    ws.run(&["apply", "-auto-approve"]).ok();
    let vpcs = |region: &str, name: &str| {
        xml_values(
            &moto.ec2_in(region, &format!("Action=DescribeVpcs&Filter.1.Name=tag:Name&Filter.1.Value.1={name}")),
            "vpcId",
        )
        .len()
    };
    assert_eq!((vpcs("us-east-1", "alias-east"), vpcs("us-west-2", "alias-east")), (1, 0));
    assert_eq!((vpcs("us-east-1", "alias-west"), vpcs("us-west-2", "alias-west")), (0, 1));
    assert_eq!((vpcs("us-east-1", "alias-inner"), vpcs("us-west-2", "alias-inner")), (0, 1));
    assert_eq!(ws.run(&["plan", "-detailed-exitcode"]).code, 0, "each is read back where it is");
    ws.run(&["destroy", "-auto-approve"]).ok();
    assert_eq!(vpcs("us-west-2", "alias-west") + vpcs("us-west-2", "alias-inner") + vpcs("us-east-1", "alias-east"), 0);

    ws.write(
        "main.tf",
        "resource \"aws_vpc\" \"x\" {\n  provider   = aws.nowhere\n  cidr_block = \"10.9.0.0/16\"\n}\n",
    );
    ws.remove("inner/main.tf");
    let r = ws.run(&["plan"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("Provider configuration not present") && r.stderr.contains("aws.nowhere"),
        "{}",
        r.stderr
    );
    ws.write("main.tf", "provider \"aws\" {\n  region = var.nope\n}\n");
    let r = ws.run(&["plan"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("undeclared input variable") && r.stderr.contains("main.tf:2"), "{}", r.stderr);
}

#[test]
fn throttled_calls_are_retried_with_backoff() {
    let Some(moto) = Moto::start() else { return };
    let proxy = SlowProxy::start(&moto, "RunInstances", Duration::ZERO);
    proxy.throttle.store(2, std::sync::atomic::Ordering::SeqCst);
    let ws = Workspace::new();
    instances_spec(&ws, &proxy.endpoint(), 1);
    ws.run(&["apply", "-auto-approve"]).ok();
    let calls = proxy.calls.lock().map(|c| c.clone()).unwrap_or_default();
    let runs: Vec<&str> = calls.iter().map(|(a, _)| a.as_str()).filter(|a| a.starts_with("RunInstances")).collect();
    assert_eq!(runs, ["RunInstances (throttled)", "RunInstances (throttled)", "RunInstances"], "{calls:?}");
    assert_eq!(moto.instances("Batch", "crash", &["running"]).len(), 1, "booted once");

    // Throttled past max_retries: the error says so, with AWS's code.
    proxy.throttle.store(10, std::sync::atomic::Ordering::SeqCst);
    ws.write(
        "main.tf",
        &std::fs::read_to_string(ws.path().join("main.tf"))
            .unwrap_or_default()
            .replace("n[01-01]", "n[01-02]")
            .replace("  secret_key = \"test\"\n", "  secret_key = \"test\"\n  max_retries = 1\n"),
    );
    let r = ws.run(&["apply", "-auto-approve"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("aws_instance.node[\"n02\"]") && r.stderr.contains("RequestLimitExceeded"),
        "{}",
        r.stderr
    );
    ws.run(&["destroy", "-auto-approve"]).ok();
}
