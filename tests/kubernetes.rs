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
