//! The `kubernetes` provider's client side, run through the built binary against
//! `common::kube::Replay`, a stand-in API server answering with hand-written exchanges.
//! No Kubernetes API server can be installed here, so what a real server would do with
//! these requests (admission, controllers, garbage collection) is not proven; what is
//! proven is what meshform sends and how it handles the answers: server-side apply with
//! the field manager and `force`, conflicts, waiting for a rollout, a 404 on refresh
//! planning a re-create, and delete waiting until the object is gone.

mod common;

use common::Workspace;
use common::kube::{Replay, answer};
use serde_json::{Value as J, json};

const DEPLOYMENTS: &str = "/apis/apps/v1/namespaces/default/deployments/web";

fn spec(ws: &Workspace, replay: &Replay, extra: &str) {
    ws.write("kubeconfig", &replay.kubeconfig());
    ws.write(
        "main.tf",
        &format!(
            r#"provider "kubernetes" {{
  config_path = "kubeconfig"
}}

variable "replicas" {{
  type    = number
  default = 2
}}

resource "kubernetes_manifest" "web" {{
  manifest = {{
    apiVersion = "apps/v1"
    kind       = "Deployment"
    metadata   = {{ name = "web", namespace = "default" }}
    spec = {{
      replicas = var.replicas
      selector = {{ matchLabels = {{ app = "web" }} }}
      template = {{
        metadata = {{ labels = {{ app = "web" }} }}
        spec = {{
          containers = [{{ name = "web", image = "nginx:1.27", ports = [{{ containerPort = 80 }}] }}]
        }}
      }}
    }}
  }}
  wait {{
    rollout = true
  }}
{extra}}}
"#
        ),
    );
}

/// The Deployment as the server returns it, with `replicas` and a rollout status.
fn deployment(replicas: i64, updated: i64, available: i64) -> J {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {
            "name": "web", "namespace": "default", "uid": "5f1c0d4e-0000-4000-8000-000000000001",
            "resourceVersion": "101", "generation": 1,
            "managedFields": [{"manager": "meshform", "operation": "Apply", "apiVersion": "apps/v1"}]
        },
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": "nginx:1.27", "ports": [{"containerPort": 80, "protocol": "TCP"}], "imagePullPolicy": "IfNotPresent"}]}
            },
            "strategy": {"type": "RollingUpdate"}
        },
        "status": {"observedGeneration": 1, "replicas": replicas, "updatedReplicas": updated, "availableReplicas": available}
    })
}

/// Diagnostics as one line: wrapped lines joined, the frame's bars dropped.
fn flat(text: &str) -> String {
    text.lines().map(|l| l.trim_start().trim_start_matches('|').trim()).collect::<Vec<_>>().join(" ").replace("- ", "-")
}

fn not_found() -> J {
    json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": "deployments.apps \"web\" not found", "reason": "NotFound", "code": 404})
}

#[test]
fn server_side_apply_waits_for_the_rollout_and_refresh_and_delete_follow_the_server() {
    let replay = Replay::start();
    let ws = Workspace::new();
    spec(&ws, &replay, "");

    // Applied once, then two reads until the rollout is complete.
    replay.script(vec![
        answer("PATCH", DEPLOYMENTS, 200, deployment(2, 0, 0)),
        answer("GET", DEPLOYMENTS, 200, deployment(2, 1, 1)),
        answer("GET", DEPLOYMENTS, 200, deployment(2, 2, 2)),
    ]);
    let apply = ws.run(&["apply", "-auto-approve"]);
    apply.ok();
    assert!(replay.unused().is_empty(), "the rollout was waited for: {:?}", replay.unused());
    let requests = replay.requests();
    let patch = &requests[0];
    assert_eq!(patch.method, "PATCH");
    assert!(patch.path.contains("fieldManager=meshform"), "{}", patch.path);
    assert!(!patch.path.contains("force=true"), "no force unless asked: {}", patch.path);
    assert_eq!(patch.header("content-type"), Some("application/apply-patch+yaml"));
    assert_eq!(patch.header("authorization"), Some("Bearer replay-token"));
    let sent: J = serde_json::from_str(&patch.body).expect("JSON body");
    assert_eq!(sent["spec"]["replicas"], 2);
    assert_eq!(sent["spec"]["template"]["spec"]["containers"][0]["image"], "nginx:1.27");

    // Refresh: the live object agrees, so nothing is planned.
    replay.script(vec![answer("GET", DEPLOYMENTS, 200, deployment(2, 2, 2))]);
    assert_eq!(ws.run(&["plan", "-detailed-exitcode"]).code, 0);

    // Drift in a managed field (replicas scaled out of band) is an in-place update.
    replay.script(vec![answer("GET", DEPLOYMENTS, 200, deployment(5, 5, 5))]);
    let plan = ws.run(&["plan"]);
    plan.ok();
    assert!(plan.stdout.contains("kubernetes_manifest.web will be updated in-place"), "{}", plan.stdout);
    assert!(plan.stdout.contains("5 -> 2"), "{}", plan.stdout);

    // Changing replicas in the spec is an update in place, applied the same way.
    replay.script(vec![
        answer("GET", DEPLOYMENTS, 200, deployment(2, 2, 2)),
        answer("PATCH", DEPLOYMENTS, 200, deployment(3, 3, 3)),
        answer("GET", DEPLOYMENTS, 200, deployment(3, 3, 3)),
    ]);
    let apply = ws.run(&["apply", "-auto-approve", "-var", "replicas=3"]);
    apply.ok();
    assert!(apply.stdout.contains("0 added, 1 changed, 0 destroyed"), "{}", apply.stdout);

    // Deleted out of band: refresh gets a 404 and the plan creates it again.
    replay.script(vec![answer("GET", DEPLOYMENTS, 404, not_found())]);
    let plan = ws.run(&["plan", "-var", "replicas=3"]);
    plan.ok();
    assert!(plan.stdout.contains("kubernetes_manifest.web will be created"), "{}", plan.stdout);

    // Destroy deletes, then waits until the object is gone.
    replay.script(vec![
        answer("GET", DEPLOYMENTS, 200, deployment(3, 3, 3)),
        answer("DELETE", DEPLOYMENTS, 200, json!({"kind": "Status", "status": "Success"})),
        answer("GET", DEPLOYMENTS, 200, deployment(3, 3, 3)),
        answer("GET", DEPLOYMENTS, 404, not_found()),
    ]);
    ws.run(&["destroy", "-auto-approve", "-var", "replicas=3"]).ok();
    assert!(replay.unused().is_empty(), "deletion was waited for: {:?}", replay.unused());
    assert!(ws.addresses().is_empty());
}

#[test]
fn a_conflict_names_the_resource_and_force_conflicts_takes_the_fields() {
    let replay = Replay::start();
    let ws = Workspace::new();
    spec(&ws, &replay, "");
    let conflict = json!({
        "kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "Conflict", "code": 409,
        "message": "Apply failed with 1 conflict: conflict with \"kubectl-edit\" using apps/v1: .spec.replicas"
    });
    replay.script(vec![answer("PATCH", DEPLOYMENTS, 409, conflict)]);
    let r = ws.run(&["apply", "-auto-approve"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("kubernetes_manifest.web"), "{}", r.stderr);
    let text = flat(&r.stderr);
    assert!(text.contains("kubectl-edit") && text.contains("force_conflicts = true"), "{}", r.stderr);
    assert!(r.stderr.contains("Conflict"), "{}", r.stderr);
    assert!(ws.run(&["state", "list"]).stdout.trim().is_empty(), "nothing recorded");

    spec(&ws, &replay, "  field_manager {\n    force_conflicts = true\n  }\n");
    replay.script(vec![
        answer("PATCH", DEPLOYMENTS, 200, deployment(2, 2, 2)),
        answer("GET", DEPLOYMENTS, 200, deployment(2, 2, 2)),
    ]);
    ws.run(&["apply", "-auto-approve"]).ok();
    assert!(replay.requests()[0].path.contains("force=true"), "{}", replay.requests()[0].path);
}

#[test]
fn invalid_manifests_and_unreachable_servers_fail_before_anything_is_recorded() {
    let replay = Replay::start();
    let ws = Workspace::new();
    spec(&ws, &replay, "");
    let text = std::fs::read_to_string(ws.path().join("main.tf")).unwrap_or_default();

    // An unknown field, caught before any request.
    ws.write("main.tf", &text.replace("image = \"nginx:1.27\"", "image = \"nginx:1.27\", imagePolicy = \"Always\""));
    replay.script(Vec::new());
    let r = ws.run(&["plan"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("kubernetes_manifest.web"), "{}", r.stderr);
    assert!(r.stderr.contains("spec.template.spec.containers[0].imagePolicy"), "{}", r.stderr);
    assert!(replay.requests().is_empty(), "nothing was sent");

    // A wrong type.
    ws.write("main.tf", &text.replace("replicas = var.replicas", "replicas = \"two\""));
    let r = ws.run(&["plan"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("spec.replicas"), "{}", r.stderr);

    // A selector that does not select the pods.
    ws.write("main.tf", &text.replace("matchLabels = { app = \"web\" }", "matchLabels = { app = \"api\" }"));
    let r = ws.run(&["plan"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("selector does not match"), "{}", r.stderr);

    // No kubeconfig where the block says.
    ws.write("main.tf", &text.replace("config_path = \"kubeconfig\"", "config_path = \"missing/kubeconfig\""));
    let r = ws.run(&["apply", "-auto-approve"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("kubernetes_manifest.web") && r.stderr.contains("missing/kubeconfig"), "{}", r.stderr);

    // A server that does not answer.
    ws.write("main.tf", &text);
    ws.write("kubeconfig", &replay.kubeconfig().replace(&format!(":{}", replay.port), ":9"));
    let r = ws.run(&["apply", "-auto-approve"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("kubernetes_manifest.web") && r.stderr.contains("could not be reached"), "{}", r.stderr);
    assert!(ws.run(&["state", "list"]).stdout.trim().is_empty(), "nothing recorded");
}

#[test]
fn namespace_config_map_and_secret_are_applied_and_read_back_without_drift() {
    let replay = Replay::start();
    let ws = Workspace::new();
    ws.write("kubeconfig", &replay.kubeconfig());
    ws.write(
        "main.tf",
        r#"provider "kubernetes" {
  config_path = "kubeconfig"
}

resource "kubernetes_namespace" "etl" {
  metadata {
    name   = "etl"
    labels = { team = "data" }
  }
}

resource "kubernetes_config_map" "conf" {
  metadata {
    name      = "hadoop-conf"
    namespace = kubernetes_namespace.etl.metadata[0].name
  }
  data = { "core-site.xml" = "<configuration/>" }
}

resource "kubernetes_secret" "token" {
  metadata {
    name      = "token"
    namespace = kubernetes_namespace.etl.metadata[0].name
  }
  data = { token = "s3cr3t-value" }
}
"#,
    );
    let meta = |name: &str, ns: Option<&str>, extra: J| {
        let mut m = json!({"name": name, "uid": format!("uid-{name}"), "resourceVersion": "7"});
        if let Some(ns) = ns {
            m["namespace"] = json!(ns);
        }
        if let (Some(m), Some(x)) = (m.as_object_mut(), extra.as_object()) {
            m.extend(x.clone());
        }
        m
    };
    let namespace = json!({"apiVersion": "v1", "kind": "Namespace",
        "metadata": meta("etl", None, json!({"labels": {"team": "data", "kubernetes.io/metadata.name": "etl"}})),
        "status": {"phase": "Active"}});
    let config_map = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta("hadoop-conf", Some("etl"), json!({})),
        "data": {"core-site.xml": "<configuration/>"}});
    let secret = json!({"apiVersion": "v1", "kind": "Secret", "metadata": meta("token", Some("etl"), json!({})),
        "type": "Opaque", "data": {"token": "czNjcjN0LXZhbHVl"}});
    let (ns_path, cm_path, secret_path) = (
        "/api/v1/namespaces/etl",
        "/api/v1/namespaces/etl/configmaps/hadoop-conf",
        "/api/v1/namespaces/etl/secrets/token",
    );
    replay.script(vec![
        answer("PATCH", ns_path, 200, namespace.clone()),
        answer("PATCH", cm_path, 200, config_map.clone()),
        answer("PATCH", secret_path, 200, secret.clone()),
    ]);
    let apply = ws.run(&["apply", "-auto-approve"]);
    apply.ok();
    assert!(!apply.stdout.contains("s3cr3t-value"), "the secret stays out of the output");
    let requests = replay.requests();
    let sent = |path: &str| -> J {
        let r = requests.iter().find(|r| r.path.starts_with(&format!("{path}?"))).expect("request sent");
        serde_json::from_str(&r.body).expect("JSON")
    };
    assert_eq!(sent(secret_path)["data"]["token"], "czNjcjN0LXZhbHVl", "secret data goes base64-encoded");
    assert_eq!(sent(cm_path)["metadata"]["namespace"], "etl");
    assert_eq!(sent(ns_path)["metadata"]["labels"]["team"], "data");

    // The server's own label on the namespace is not drift.
    replay.script(vec![
        answer("GET", ns_path, 200, namespace),
        answer("GET", cm_path, 200, config_map.clone()),
        answer("GET", secret_path, 200, secret),
    ]);
    let plan = ws.run(&["plan", "-detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);

    // A secret changed out of band is drift, and its value is still not shown.
    let mut changed = config_map;
    changed["data"]["core-site.xml"] = json!("<configuration><property/></configuration>");
    replay.script(vec![
        answer("GET", ns_path, 200, json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "etl", "labels": {"team": "data"}}})),
        answer("GET", cm_path, 200, changed),
        answer("GET", secret_path, 200, json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "token", "namespace": "etl"}, "data": {"token": "b3RoZXI="}})),
    ]);
    let plan = ws.run(&["plan"]);
    plan.ok();
    assert!(plan.stdout.contains("kubernetes_config_map.conf will be updated in-place"), "{}", plan.stdout);
    assert!(plan.stdout.contains("kubernetes_secret.token will be updated in-place"), "{}", plan.stdout);
    assert!(!plan.stdout.contains("s3cr3t-value") && !plan.stdout.contains("other"), "{}", plan.stdout);
}

// The k8s-hadoop and k8s-spark modules, through examples/k8s-hadoop-spark, against
// `common::kube::Fake`: an in-memory stand-in for the API server (see there for what it
// does and does not do). What is proven: every object the modules make passes the strict
// typed check, per-object plans, in-place updates, ordering of creates and deletes, waits
// on deletion, and `cluster submit` on a Kubernetes cluster. What a real cluster would do
// with the objects (scheduling, images, Hadoop and Spark starting) is not.

use common::kube::Fake;
use common::plan_line;

const NS: &str = "/api/v1/namespaces/data";
const APPS: &str = "/apis/apps/v1/namespaces/data";

/// The example and its modules in a workspace, its kubeconfig pointing at `fake`.
fn example(fake: &Fake) -> Workspace {
    let ws = Workspace::new();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for dir in ["examples/k8s-hadoop-spark", "modules/k8s-hadoop", "modules/k8s-spark"] {
        common::spark::copy_dir(&root.join(dir), &ws.path().join(dir));
    }
    ws.write("kubeconfig", &fake.kubeconfig());
    ws
}

/// meshform run in the example's directory, with KUBECONFIG set.
fn k8s(ws: &Workspace, args: &[&str]) -> common::Run {
    let mut cmd = ws.command(args);
    cmd.current_dir(ws.path().join("examples/k8s-hadoop-spark")).env("KUBECONFIG", ws.path().join("kubeconfig"));
    ws.run_command(cmd, "")
}

/// Paths of the requests with this method, in order.
fn paths(fake: &Fake, method: &str) -> Vec<String> {
    fake.requests()
        .iter()
        .filter(|r| r.method == method)
        .map(|r| r.path.split('?').next().unwrap_or_default().to_string())
        .collect()
}

fn position(list: &[String], path: &str) -> usize {
    list.iter().position(|p| p == path).unwrap_or_else(|| panic!("{path} not in {list:#?}"))
}

#[test]
fn hadoop_and_spark_modules_apply_valid_objects_in_order_update_in_place_and_delete_in_reverse() {
    let fake = Fake::start();
    let ws = example(&fake);
    let run = |args: &[&str]| k8s(&ws, args);

    let plan = run(&["plan"]);
    plan.ok();
    assert_eq!(plan_line(&plan.stdout), "Plan: 16 to add, 0 to change, 0 to destroy.", "{}", plan.stdout);
    for addr in [
        "module.hadoop.kubernetes_namespace.this[0]",
        "module.hadoop.kubernetes_manifest.namenode",
        "module.hadoop.kubernetes_manifest.datanode",
        "module.hadoop.kubernetes_manifest.deployment[\"nodemanager\"]",
        "module.hadoop.kubernetes_manifest.service[\"resourcemanager\"]",
        "module.spark.kubernetes_manifest.master",
        "module.spark.kubernetes_job.job[\"pi\"]",
    ] {
        assert!(plan.stdout.contains(&format!("# {addr} will be created")), "{addr}:\n{}", plan.stdout);
    }
    assert!(fake.requests().is_empty(), "a first plan reads nothing from the server: {:?}", fake.requests());

    run(&["apply", "-auto-approve"]).ok();
    let applied = paths(&fake, "PATCH");
    assert_eq!(applied.len(), 16, "{applied:#?}");
    // Every object sent passes the typed check of its kind, with nothing left over.
    let typed = ["Namespace", "ConfigMap", "Service", "StatefulSet", "Deployment", "Job"];
    for r in fake.requests().iter().filter(|r| r.method == "PATCH") {
        let body: J = serde_json::from_str(&r.body).expect("JSON body");
        assert!(typed.contains(&body["kind"].as_str().unwrap_or_default()), "{}", r.body);
        meshform_provider_kubernetes::validate::check(&body).unwrap_or_else(|e| panic!("{}: {e}", r.path));
        assert_eq!(r.header("content-type"), Some("application/apply-patch+yaml"));
        assert!(r.path.contains("fieldManager=meshform"), "{}", r.path);
    }
    // Dependencies first: the namespace, then what lives in it; the namenode before the
    // datanodes; the workers before the job.
    let ns = position(&applied, "/api/v1/namespaces/data");
    let conf = position(&applied, &format!("{NS}/configmaps/hadoop-conf"));
    let namenode = position(&applied, &format!("{APPS}/statefulsets/hadoop-namenode"));
    let datanode = position(&applied, &format!("{APPS}/statefulsets/hadoop-datanode"));
    let spark_conf = position(&applied, &format!("{NS}/configmaps/spark-conf"));
    let workers = position(&applied, &format!("{APPS}/deployments/spark-worker"));
    let job = position(&applied, "/apis/batch/v1/namespaces/data/jobs/spark-job-pi");
    assert!(ns < conf && conf < namenode && namenode < datanode && ns < spark_conf && workers < job, "{applied:#?}");

    let objects = fake.objects();
    let hdfs_site = objects[&format!("{NS}/configmaps/hadoop-conf")]["data"]["hdfs-site.xml"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(hdfs_site.contains("<name>dfs.replication</name>\n    <value>3</value>"), "{hdfs_site}");
    let datanodes = &objects[&format!("{APPS}/statefulsets/hadoop-datanode")];
    assert_eq!(datanodes["spec"]["replicas"], 3);
    assert_eq!(datanodes["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"], "50Gi");
    let master = &objects[&format!("{APPS}/deployments/spark-master")];
    let mounts = &master["spec"]["template"]["spec"]["volumes"];
    assert_eq!(mounts[1]["configMap"]["name"], "hadoop-conf", "spark reads the Hadoop configuration: {mounts}");
    let outputs = outputs_of(&run);
    assert_eq!(outputs["spark_master_url"], "spark://spark-master.data.svc:7077");
    assert_eq!(outputs["fs_default_fs"], "hdfs://hadoop-namenode.data.svc:8020");
    assert_eq!(outputs["pi_job"]["succeeded"], 1, "{outputs}");

    let again = run(&["plan"]);
    again.ok();
    assert!(again.stdout.contains("No changes."), "{}", again.stdout);

    // More datanodes: the StatefulSet is updated in place, and nothing else is sent.
    fake.forget_requests();
    let more = run(&["plan", "-var", "datanodes=4"]);
    more.ok();
    assert_eq!(plan_line(&more.stdout), "Plan: 0 to add, 1 to change, 0 to destroy.", "{}", more.stdout);
    assert!(
        more.stdout.contains("# module.hadoop.kubernetes_manifest.datanode will be updated in-place"),
        "{}",
        more.stdout
    );
    // The live object is shown as it will be: the changed field, and what the server sets.
    assert_eq!(more.stdout.matches("~ replicas").count(), 2, "in the manifest and the object: {}", more.stdout);
    assert!(!more.stdout.contains("- object"), "{}", more.stdout);
    assert!(more.stdout.contains("generation") && more.stdout.contains("-> (known after apply)"), "{}", more.stdout);
    fake.forget_requests();
    run(&["apply", "-auto-approve", "-var", "datanodes=4"]).ok();
    assert_eq!(paths(&fake, "PATCH"), [format!("{APPS}/statefulsets/hadoop-datanode")]);
    assert_eq!(fake.objects()[&format!("{APPS}/statefulsets/hadoop-datanode")]["spec"]["replicas"], 4);

    // Deleted behind meshform's back: planned again, exactly that object.
    assert!(fake.remove(&format!("{APPS}/deployments/spark-worker")));
    let drift = run(&["plan", "-var", "datanodes=4"]);
    drift.ok();
    assert_eq!(plan_line(&drift.stdout), "Plan: 1 to add, 0 to change, 0 to destroy.", "{}", drift.stdout);
    assert!(drift.stdout.contains("# module.spark.kubernetes_manifest.workers will be created"), "{}", drift.stdout);
    run(&["apply", "-auto-approve", "-var", "datanodes=4"]).ok();

    // Destroy: what depends on a thing goes before it, and each delete is waited for.
    fake.forget_requests();
    run(&["destroy", "-auto-approve", "-var", "datanodes=4"]).ok();
    assert!(fake.objects().is_empty(), "{:#?}", fake.objects().keys());
    let requests: Vec<(String, String)> = fake
        .requests()
        .iter()
        .map(|r| (r.method.clone(), r.path.split('?').next().unwrap_or_default().to_string()))
        .collect();
    let deleted = paths(&fake, "DELETE");
    assert_eq!(deleted.len(), 16, "{deleted:#?}");
    let at = |path: &str| requests.iter().position(|(m, p)| m == "DELETE" && p == path).expect("deleted");
    // The last read of an object: the one that found it gone.
    let last_read = |path: &str| requests.iter().rposition(|(m, p)| m == "GET" && p == path).expect("read");
    for p in &deleted {
        assert!(last_read(p) > at(p), "no wait after deleting {p}");
    }
    assert!(
        last_read(&format!("{APPS}/statefulsets/hadoop-datanode"))
            < at(&format!("{APPS}/statefulsets/hadoop-namenode"))
    );
    assert!(last_read(&format!("{APPS}/statefulsets/hadoop-namenode")) < at(&format!("{NS}/configmaps/hadoop-conf")));
    assert!(
        last_read("/apis/batch/v1/namespaces/data/jobs/spark-job-pi") < at(&format!("{APPS}/deployments/spark-worker"))
    );
    for p in deleted.iter().filter(|p| p.as_str() != "/api/v1/namespaces/data") {
        assert!(last_read(p) < at("/api/v1/namespaces/data"), "{p} must be gone before its namespace is deleted");
    }
}

/// Root outputs through `output -json`.
fn outputs_of(run: &impl Fn(&[&str]) -> common::Run) -> J {
    let r = run(&["output", "-json"]);
    r.ok();
    let doc: J = serde_json::from_str(&r.stdout).expect("output JSON");
    J::Object(doc.as_object().cloned().unwrap_or_default().into_iter().map(|(k, v)| (k, v["value"].clone())).collect())
}

#[test]
fn cluster_submit_runs_a_job_on_a_spark_cluster_in_kubernetes_and_cleans_up() {
    let fake = Fake::start();
    let ws = example(&fake);
    let run = |args: &[&str]| k8s(&ws, args);
    run(&["apply", "-auto-approve", "-var", "datanodes=1"]).ok();
    let list = run(&["cluster", "list"]);
    list.ok();
    assert!(list.stdout.contains("spark\tkubernetes\tnamespace data"), "{}", list.stdout);
    ws.write("examples/k8s-hadoop-spark/count.py", "print('counted')\n");

    fake.forget_requests();
    let submit = run(&["cluster", "submit", "spark", "count.py", "hdfs:///in", "$HOME"]);
    submit.ok();
    let ran = submit.stdout.lines().find(|l| l.starts_with("ran: ")).unwrap_or_else(|| panic!("{}", submit.stdout));
    assert!(
        ran.starts_with(
            "ran: /opt/spark/bin/spark-submit --master spark://spark-master.data.svc:7077 --deploy-mode client"
        ),
        "{ran}"
    );
    assert!(ran.ends_with("/opt/meshform/job/count.py hdfs:///in $$HOME"), "{ran}");
    let sent = fake.requests();
    let cm =
        sent.iter().find(|r| r.method == "PATCH" && r.path.contains("/configmaps/spark-submit-")).expect("config map");
    let body: J = serde_json::from_str(&cm.body).expect("JSON");
    assert_eq!(body["binaryData"]["count.py"], "cHJpbnQoJ2NvdW50ZWQnKQo=");
    let job = sent.iter().find(|r| r.method == "PATCH" && r.path.contains("/jobs/spark-submit-")).expect("job");
    let job: J = serde_json::from_str(&job.body).expect("JSON");
    assert_eq!(job["spec"]["template"]["spec"]["containers"][0]["image"], "apache/spark:3.5.3");
    let mut made: Vec<String> = paths(&fake, "PATCH");
    let mut deleted = paths(&fake, "DELETE");
    made.sort();
    deleted.sort();
    assert_eq!(made.len(), 2, "{made:?}");
    assert_eq!(deleted, made, "the job and its config map are deleted");

    fake.fail_jobs(true);
    let failed = run(&["cluster", "submit", "spark", "count.py"]);
    assert_eq!(failed.code, 1, "{}\n{}", failed.stdout, failed.stderr);
    assert!(failed.stderr.contains("failed"), "{}", failed.stderr);
    let missing = run(&["cluster", "submit", "spark", "nope.py"]);
    assert_ne!(missing.code, 0);
    assert!(missing.stderr.contains("nope.py"), "{}", missing.stderr);
    fake.fail_jobs(false);
    run(&["destroy", "-auto-approve", "-var", "datanodes=1"]).ok();
}

#[test]
fn a_job_is_waited_for_and_a_failed_job_fails_the_apply_naming_it() {
    let fake = Fake::start();
    let ws = Workspace::new();
    ws.write("kubeconfig", &fake.kubeconfig());
    ws.write(
        "main.tf",
        r#"provider "kubernetes" {
  config_path = "kubeconfig"
}

variable "n" {
  default = "1"
}

resource "kubernetes_job" "once" {
  metadata {
    name = "once"
  }
  spec = {
    backoffLimit = 0
    template = {
      spec = {
        restartPolicy = "Never"
        containers    = [{ name = "run", image = "busybox:1.36", command = ["echo", var.n] }]
      }
    }
  }
}

output "status" {
  value = kubernetes_job.once.status
}
"#,
    );
    ws.run(&["apply", "-auto-approve"]).ok();
    let status = &ws.outputs()["status"];
    assert_eq!(status["succeeded"], 1, "{status}");
    assert_eq!(status["complete"], true, "{status}");
    assert_eq!(status["completion_time"], "2026-01-01T00:00:09Z", "{status}");
    let reads = paths(&fake, "GET");
    assert!(reads.iter().any(|p| p == "/apis/batch/v1/namespaces/default/jobs/once"), "waited for: {reads:?}");
    let again = ws.run(&["plan"]);
    again.ok();
    assert!(again.stdout.contains("No changes."), "{}", again.stdout);

    // A new spec replaces the Job (its template cannot change); this one fails.
    fake.fail_jobs(true);
    let plan = ws.run(&["plan", "-var", "n=2"]);
    plan.ok();
    assert!(plan.stdout.contains("kubernetes_job.once must be replaced"), "{}", plan.stdout);
    let r = ws.run(&["apply", "-auto-approve", "-var", "n=2"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    let err = flat(&r.stderr);
    assert!(err.contains("kubernetes_job.once") && err.contains("the job failed"), "{err}");
    assert!(err.contains("backoff limit"), "the Job's own reason: {err}");
    assert!(ws.run(&["state", "list"]).stdout.trim().is_empty(), "a failed job is not recorded as made");
}
