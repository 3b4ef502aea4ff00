//! The checks an object passes before it is sent, without a server: it deserialises into
//! the `k8s-openapi` type of its kind with nothing left over (an unknown or misspelt field
//! is an error naming its path), and names, labels, selectors and ports are what an API
//! server would accept.

use k8s_openapi::api::{apps, batch, core, rbac};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value as J;

/// Kinds that live outside namespaces.
const CLUSTER_SCOPED: &[&str] = &[
    "Namespace",
    "ClusterRole",
    "ClusterRoleBinding",
    "PersistentVolume",
    "StorageClass",
    "CustomResourceDefinition",
    "Node",
];

/// True when the object's kind lives in a namespace.
pub fn namespaced(m: &J) -> bool {
    m.get("kind").and_then(J::as_str).is_none_or(|k| !CLUSTER_SCOPED.contains(&k))
}

/// Checks one object; the error says what is wrong and where (`spec.template.spec...`).
pub fn check(m: &J) -> Result<(), String> {
    let api_version = m.get("apiVersion").and_then(J::as_str).unwrap_or_default();
    let kind = m.get("kind").and_then(J::as_str).unwrap_or_default();
    match (api_version, kind) {
        ("v1", "Namespace") => strict::<core::v1::Namespace>(m)?,
        ("v1", "ConfigMap") => strict::<core::v1::ConfigMap>(m)?,
        ("v1", "Secret") => strict::<core::v1::Secret>(m)?,
        ("v1", "Service") => strict::<core::v1::Service>(m)?,
        ("v1", "ServiceAccount") => strict::<core::v1::ServiceAccount>(m)?,
        ("v1", "PersistentVolumeClaim") => strict::<core::v1::PersistentVolumeClaim>(m)?,
        ("v1", "Pod") => strict::<core::v1::Pod>(m)?,
        ("apps/v1", "Deployment") => strict::<apps::v1::Deployment>(m)?,
        ("apps/v1", "StatefulSet") => strict::<apps::v1::StatefulSet>(m)?,
        ("apps/v1", "DaemonSet") => strict::<apps::v1::DaemonSet>(m)?,
        ("batch/v1", "Job") => strict::<batch::v1::Job>(m)?,
        ("rbac.authorization.k8s.io/v1", "Role") => strict::<rbac::v1::Role>(m)?,
        ("rbac.authorization.k8s.io/v1", "RoleBinding") => strict::<rbac::v1::RoleBinding>(m)?,
        // Kinds without a type here (custom resources) are checked by the server alone.
        _ => return Ok(()),
    }
    check_names(m, kind)?;
    check_workload(m, kind)?;
    check_ports(m, "")?;
    Ok(())
}

/// Deserialises into `T` and back; a field of the input missing from the result is one
/// the type does not have.
fn strict<T: DeserializeOwned + Serialize>(m: &J) -> Result<(), String> {
    let text = m.to_string();
    let de = &mut serde_json::Deserializer::from_str(&text);
    let typed: T = serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        format!("{}: {}", if path == "." { "the object".to_string() } else { path }, e.inner())
    })?;
    let back = serde_json::to_value(&typed).map_err(|e| e.to_string())?;
    match leftover(m, &back, "") {
        Some(path) => Err(format!("{path}: unknown field \"{}\"", path.rsplit('.').next().unwrap_or(&path))),
        None => Ok(()),
    }
}

/// The first path of `input` that `typed` does not have.
fn leftover(input: &J, typed: &J, at: &str) -> Option<String> {
    let join = |k: &str| if at.is_empty() { k.to_string() } else { format!("{at}.{k}") };
    match (input, typed) {
        (J::Object(i), J::Object(t)) => i.iter().filter(|(_, v)| !v.is_null()).find_map(|(k, v)| match t.get(k) {
            None => Some(join(k)),
            Some(tv) => leftover(v, tv, &join(k)),
        }),
        (J::Array(i), J::Array(t)) => {
            i.iter().zip(t).enumerate().find_map(|(n, (a, b))| leftover(a, b, &format!("{at}[{n}]")))
        }
        _ => None,
    }
}

fn dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

fn dns_subdomain(s: &str) -> bool {
    s.len() <= 253 && s.split('.').all(dns_label)
}

fn label_part(s: &str) -> bool {
    s.len() <= 63
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && s.bytes().next().is_none_or(|b| b.is_ascii_alphanumeric())
        && s.bytes().last().is_none_or(|b| b.is_ascii_alphanumeric())
}

fn check_labels(labels: Option<&J>, at: &str) -> Result<(), String> {
    for (k, v) in labels.and_then(J::as_object).into_iter().flatten() {
        let (prefix, name) = k.rsplit_once('/').map_or((None, k.as_str()), |(p, n)| (Some(p), n));
        if name.is_empty() || !label_part(name) || prefix.is_some_and(|p| !dns_subdomain(p)) {
            return Err(format!(
                "{at}: invalid label key {k:?}: a name of at most 63 letters, digits, '-', '_' or '.', starting and ending alphanumeric, with an optional DNS prefix"
            ));
        }
        if !v.as_str().is_some_and(label_part) {
            return Err(format!(
                "{at}: invalid value {v} of label {k:?}: at most 63 letters, digits, '-', '_' or '.', starting and ending alphanumeric"
            ));
        }
    }
    Ok(())
}

fn check_names(m: &J, kind: &str) -> Result<(), String> {
    let name = m.pointer("/metadata/name").and_then(J::as_str).unwrap_or_default();
    let ok = match kind {
        "Namespace" => dns_label(name),
        // Services need a DNS-1035 label: it starts with a letter.
        "Service" => dns_label(name) && name.starts_with(|c: char| c.is_ascii_lowercase()),
        _ => dns_subdomain(name),
    };
    if !ok {
        return Err(format!(
            "metadata.name: {name:?} is not a valid {kind} name: lower case letters, digits and '-' (and '.' between labels), starting and ending alphanumeric, at most {} characters",
            if kind == "Namespace" || kind == "Service" { 63 } else { 253 }
        ));
    }
    if let Some(ns) = m.pointer("/metadata/namespace").and_then(J::as_str)
        && !dns_label(ns)
    {
        return Err(format!("metadata.namespace: {ns:?} is not a valid namespace name"));
    }
    check_labels(m.pointer("/metadata/labels"), "metadata.labels")?;
    check_labels(m.pointer("/spec/template/metadata/labels"), "spec.template.metadata.labels")
}

fn check_workload(m: &J, kind: &str) -> Result<(), String> {
    if matches!(kind, "Deployment" | "StatefulSet" | "DaemonSet") {
        let Some(selector) = m.pointer("/spec/selector/matchLabels").and_then(J::as_object) else {
            return Err("spec.selector.matchLabels: required, and must match spec.template.metadata.labels".into());
        };
        let labels = m.pointer("/spec/template/metadata/labels").and_then(J::as_object);
        for (k, v) in selector {
            if labels.and_then(|l| l.get(k)) != Some(v) {
                return Err(format!(
                    "spec.template.metadata.labels: selector does not match template labels: {k}={} is selected but the pod template does not have it",
                    v
                ));
            }
        }
    }
    let pod = match kind {
        "Pod" => m.get("spec"),
        "Job" | "Deployment" | "StatefulSet" | "DaemonSet" => m.pointer("/spec/template/spec"),
        _ => None,
    };
    if let Some(pod) = pod {
        let at = if kind == "Pod" { "spec" } else { "spec.template.spec" };
        let claims = m.pointer("/spec/volumeClaimTemplates").and_then(J::as_array).cloned().unwrap_or_default();
        let volumes: std::collections::BTreeSet<&str> = pod
            .get("volumes")
            .and_then(J::as_array)
            .into_iter()
            .flatten()
            .chain(claims.iter().filter_map(|c| c.get("metadata")))
            .filter_map(|v| v.get("name").and_then(J::as_str))
            .collect();
        if kind == "Job" && !matches!(pod.get("restartPolicy").and_then(J::as_str), Some("Never" | "OnFailure")) {
            return Err(format!("{at}.restartPolicy: a Job's pods need \"Never\" or \"OnFailure\""));
        }
        let mut seen = std::collections::BTreeSet::new();
        for list in ["initContainers", "containers"] {
            for (i, c) in pod.get(list).and_then(J::as_array).into_iter().flatten().enumerate() {
                let name = c.get("name").and_then(J::as_str).unwrap_or_default();
                if !dns_label(name) {
                    return Err(format!("{at}.{list}[{i}].name: {name:?} is not a valid container name"));
                }
                if !seen.insert(name.to_string()) {
                    return Err(format!("{at}.{list}[{i}].name: {name:?} is used twice"));
                }
                let here = format!("{at}.{list}[{i}]");
                let mut port_names = std::collections::BTreeSet::new();
                for (j, p) in c.get("ports").and_then(J::as_array).into_iter().flatten().enumerate() {
                    if let Some(n) = p.get("name").and_then(J::as_str) {
                        port_name(n, &format!("{here}.ports[{j}].name"))?;
                        if !port_names.insert(n) {
                            return Err(format!("{here}.ports[{j}].name: {n:?} is used twice"));
                        }
                    }
                }
                for (j, v) in c.get("volumeMounts").and_then(J::as_array).into_iter().flatten().enumerate() {
                    let name = v.get("name").and_then(J::as_str).unwrap_or_default();
                    if !volumes.contains(name) {
                        return Err(format!(
                            "{here}.volumeMounts[{j}].name: no volume {name:?} in {at}.volumes{}",
                            if kind == "StatefulSet" { " or spec.volumeClaimTemplates" } else { "" }
                        ));
                    }
                }
            }
        }
    }
    if kind == "Service" {
        let ports = m.pointer("/spec/ports").and_then(J::as_array).cloned().unwrap_or_default();
        let mut names = std::collections::BTreeSet::new();
        for (i, p) in ports.iter().enumerate() {
            match p.get("name").and_then(J::as_str) {
                Some(n) => {
                    port_name(n, &format!("spec.ports[{i}].name"))?;
                    if !names.insert(n) {
                        return Err(format!("spec.ports[{i}].name: {n:?} is used twice"));
                    }
                }
                None if ports.len() > 1 => {
                    return Err(format!("spec.ports[{i}].name: required when a Service has more than one port"));
                }
                None => {}
            }
        }
    }
    Ok(())
}

/// A port name: at most 15 lower case letters, digits and single '-' between them, with at
/// least one letter (IANA_SVC_NAME).
fn port_name(n: &str, at: &str) -> Result<(), String> {
    let ok = !n.is_empty()
        && n.len() <= 15
        && n.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && n.bytes().any(|b| b.is_ascii_lowercase())
        && !n.starts_with('-')
        && !n.ends_with('-')
        && !n.contains("--");
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{at}: {n:?} is not a valid port name: at most 15 lower case letters, digits and '-', with a letter"
        ))
    }
}

/// Every port number anywhere in the object is in 1-65535.
fn check_ports(v: &J, at: &str) -> Result<(), String> {
    match v {
        J::Object(m) => {
            for (k, x) in m {
                let path = if at.is_empty() { k.clone() } else { format!("{at}.{k}") };
                if matches!(k.as_str(), "containerPort" | "port" | "targetPort" | "hostPort" | "nodePort")
                    && let Some(n) = x.as_i64()
                    && !(1..=65535).contains(&n)
                {
                    return Err(format!("{path}: {n} is not a port number (1-65535)"));
                }
                check_ports(x, &path)?;
            }
            Ok(())
        }
        J::Array(xs) => xs.iter().enumerate().try_for_each(|(i, x)| check_ports(x, &format!("{at}[{i}]"))),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn deployment() -> J {
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "labels": {"app": "web"}},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "web", "image": "nginx", "ports": [{"containerPort": 80}]}]}
                }
            }
        })
    }

    #[test]
    fn a_good_deployment_passes() {
        assert_eq!(check(&deployment()), Ok(()));
    }

    #[test]
    fn an_unknown_field_is_named_by_its_path() {
        let mut d = deployment();
        d["spec"]["template"]["spec"]["containers"][0]["imagePullPolicyy"] = json!("Always");
        let e = check(&d).unwrap_err();
        assert!(e.contains("spec.template.spec.containers[0].imagePullPolicyy"), "{e}");
    }

    #[test]
    fn a_wrong_type_is_named_by_its_path() {
        let mut d = deployment();
        d["spec"]["replicas"] = json!("two");
        let e = check(&d).unwrap_err();
        assert!(e.contains("spec.replicas"), "{e}");
    }

    #[test]
    fn selectors_names_and_ports_are_checked() {
        let mut d = deployment();
        d["spec"]["selector"]["matchLabels"]["app"] = json!("other");
        assert!(check(&d).unwrap_err().contains("selector does not match"));
        let mut d = deployment();
        d["metadata"]["name"] = json!("Web_1");
        assert!(check(&d).unwrap_err().contains("metadata.name"));
        let mut d = deployment();
        d["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"] = json!(70000);
        assert!(check(&d).unwrap_err().contains("containerPort: 70000"));
        let mut d = deployment();
        d["metadata"]["labels"] = json!({"bad key!": "x"});
        assert!(check(&d).unwrap_err().contains("invalid label key"));
    }

    #[test]
    fn port_names_and_volume_mounts_are_checked() {
        let mut d = deployment();
        d["spec"]["template"]["spec"]["containers"][0]["ports"][0]["name"] = json!("resource-tracker");
        assert!(check(&d).unwrap_err().contains("ports[0].name: \"resource-tracker\" is not a valid port name"));
        let mut d = deployment();
        d["spec"]["template"]["spec"]["containers"][0]["volumeMounts"] =
            json!([{"name": "conf", "mountPath": "/etc/x"}]);
        assert!(check(&d).unwrap_err().contains("volumeMounts[0].name: no volume \"conf\""));
        d["spec"]["template"]["spec"]["volumes"] = json!([{"name": "conf", "configMap": {"name": "c"}}]);
        assert_eq!(check(&d), Ok(()));
        let svc = json!({
            "apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
            "spec": {"ports": [{"name": "http", "port": 80}, {"port": 443}]}
        });
        assert!(check(&svc).unwrap_err().contains("spec.ports[1].name: required"));
    }
}
