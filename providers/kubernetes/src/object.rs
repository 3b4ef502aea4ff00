//! Plan, apply, read and delete, the same for every resource type: each is turned into
//! the object it stands for (its manifest), applied with server-side apply, and read back
//! as the live object projected onto the fields the manifest sets, so drift is a
//! difference in fields meshform manages and nothing else.

use std::time::Duration;

use kube::Client;
use kube::api::{DeleteParams, DynamicObject, Patch, PatchParams};
use meshform_engine::eval::Value;
use meshform_engine::provider::{PlannedChange, ProviderError, timeout, wait_for};
use serde_json::{Value as J, json};

use crate::client::{api, is_not_found, kube_error, resource_of};

const FIELD_MANAGER: &str = "meshform";

/// Attributes the server fills in.
const COMPUTED: [&str; 3] = ["object", "id", "status"];

fn get(v: &Value, name: &str) -> Value {
    v.get_attr(name).cloned().unwrap_or(Value::Null)
}

/// The first element of a block given as a one-element list (`metadata`).
fn first(v: &Value, name: &str) -> Value {
    match get(v, name) {
        Value::List(xs) | Value::Tuple(xs) => xs.into_iter().next().unwrap_or(Value::Null),
        other => other,
    }
}

fn json_of(v: &Value) -> J {
    v.clone().unmark_deep().0.to_json()
}

/// A value as it looks after a trip through JSON: the form state and reads have.
fn normal(v: &Value) -> Value {
    Value::from_json(&json_of(v))
}

fn drop_nulls(j: J) -> J {
    match j {
        J::Object(m) => {
            J::Object(m.into_iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| (k, drop_nulls(v))).collect())
        }
        J::Array(xs) => J::Array(xs.into_iter().map(drop_nulls).collect()),
        other => other,
    }
}

/// The object a resource stands for.
pub fn manifest_of(type_name: &str, v: &Value) -> Result<J, ProviderError> {
    let meta = first(v, "metadata");
    let metadata = || {
        drop_nulls(json!({
            "name": json_of(&get(&meta, "name")),
            "namespace": json_of(&get(&meta, "namespace")),
            "labels": json_of(&get(&meta, "labels")),
            "annotations": json_of(&get(&meta, "annotations")),
        }))
    };
    let m = match type_name {
        "kubernetes_manifest" => drop_nulls(json_of(&get(v, "manifest"))),
        "kubernetes_namespace" => json!({"apiVersion": "v1", "kind": "Namespace", "metadata": metadata()}),
        "kubernetes_config_map" => drop_nulls(json!({
            "apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata(),
            "data": json_of(&get(v, "data")), "binaryData": json_of(&get(v, "binary_data")),
        })),
        "kubernetes_secret" => {
            use base64::Engine as _;
            let data: serde_json::Map<String, J> = get(v, "data")
                .unmark_deep()
                .0
                .as_map()
                .map(|m| {
                    m.iter()
                        .filter_map(|(k, x)| {
                            Some((k.clone(), J::String(base64::engine::general_purpose::STANDARD.encode(x.as_str()?))))
                        })
                        .collect()
                })
                .unwrap_or_default();
            drop_nulls(json!({
                "apiVersion": "v1", "kind": "Secret", "metadata": metadata(),
                "type": json_of(&get(v, "type")), "data": if data.is_empty() { J::Null } else { J::Object(data) },
            }))
        }
        "kubernetes_job" => drop_nulls(json!({
            "apiVersion": "batch/v1", "kind": "Job", "metadata": metadata(), "spec": json_of(&get(v, "spec")),
        })),
        other => return Err(ProviderError::new(format!("the kubernetes provider has no resource type {other:?}"))),
    };
    if m.get("apiVersion").and_then(J::as_str).is_none() || m.get("kind").and_then(J::as_str).is_none() {
        return Err(ProviderError {
            message: "the manifest needs apiVersion and kind".into(),
            code: Some("Invalid".into()),
        });
    }
    if m.pointer("/metadata/name").and_then(J::as_str).is_none() {
        return Err(ProviderError { message: "the manifest needs metadata.name".into(), code: Some("Invalid".into()) });
    }
    Ok(m)
}

/// apiVersion, kind, namespace and name: what names the object, so a change replaces it.
fn identity(m: &J) -> [Option<&str>; 4] {
    [
        m.get("apiVersion").and_then(J::as_str),
        m.get("kind").and_then(J::as_str),
        // A namespaced object given no namespace lives in "default".
        m.pointer("/metadata/namespace")
            .and_then(J::as_str)
            .or_else(|| crate::validate::namespaced(m).then_some("default")),
        m.pointer("/metadata/name").and_then(J::as_str),
    ]
}

pub fn plan(type_name: &str, prior: Option<&Value>, config: &Value) -> Result<PlannedChange, ProviderError> {
    let mut planned = config.as_map().cloned().unwrap_or_default();
    let known = config.is_wholly_known();
    // Nulls are left out of what is sent, so they are left out of what is planned too.
    // (Unknown values stay as they are until they are known.)
    for (kind, attr) in [("kubernetes_manifest", "manifest"), ("kubernetes_job", "spec")] {
        let v = get(config, attr);
        if type_name == kind && v.is_wholly_known() {
            planned.insert(attr.into(), Value::from_json(&drop_nulls(json_of(&v))));
        }
    }
    let fresh = |mut planned: std::collections::BTreeMap<String, Value>| {
        for computed in COMPUTED {
            if planned.contains_key(computed) {
                planned.insert(computed.into(), Value::Unknown);
            }
        }
        set_meta_computed(&mut planned, None);
        Value::Object(planned.into())
    };
    if known {
        let m = manifest_of(type_name, config)?;
        crate::validate::check(&m).map_err(|e| ProviderError { message: e, code: Some("Invalid".into()) })?;
    }
    let Some(prior) = prior else {
        return Ok(PlannedChange { planned: fresh(planned), requires_replace: Vec::new() });
    };
    if known && let (Ok(new), Ok(old)) = (manifest_of(type_name, config), manifest_of(type_name, prior)) {
        if identity(&new) != identity(&old) {
            let attr = if type_name == "kubernetes_manifest" { "manifest" } else { "metadata" };
            return Ok(PlannedChange { planned: fresh(planned), requires_replace: vec![attr.into()] });
        }
        if get(config, "type") != get(prior, "type") && type_name == "kubernetes_secret" {
            return Ok(PlannedChange { planned: fresh(planned), requires_replace: vec!["type".into()] });
        }
        // A Job's pod template cannot change once it exists.
        if type_name == "kubernetes_job" && new.get("spec") != old.get("spec") {
            return Ok(PlannedChange { planned: fresh(planned), requires_replace: vec!["spec".into()] });
        }
    }
    let mut candidate = planned.clone();
    for computed in COMPUTED {
        if candidate.contains_key(computed) {
            candidate.insert(computed.into(), get(prior, computed));
        }
    }
    set_meta_computed(&mut candidate, Some(prior));
    let candidate = Value::Object(candidate.into());
    if normal(&candidate) == normal(prior) {
        return Ok(PlannedChange { planned: prior.clone(), requires_replace: Vec::new() });
    }
    // An update: the object as it will be where the manifest says, its version and
    // status as the server makes them.
    let mut updated = candidate.as_map().cloned().unwrap_or_default();
    if updated.contains_key("object") {
        let manifest = get(config, "manifest");
        let object = match (get(prior, "object"), manifest.is_wholly_known()) {
            (Value::Null, _) | (_, false) => Value::Unknown,
            (live, true) => expected_object(&json_of(&live), &drop_nulls(json_of(&manifest))),
        };
        updated.insert("object".into(), object);
    }
    Ok(PlannedChange { planned: Value::Object(updated.into()), requires_replace: Vec::new() })
}

/// The live object with the manifest applied over it (lists of the same length merged
/// element by element, so what the server defaulted in them stays), and what the server
/// sets on every change (version, generation, status) unknown.
fn expected_object(live: &J, manifest: &J) -> Value {
    fn merge(live: &J, m: &J) -> J {
        match (live, m) {
            (J::Object(l), J::Object(o)) => {
                let mut out = l.clone();
                for (k, v) in o {
                    let merged = l.get(k).map_or_else(|| v.clone(), |lv| merge(lv, v));
                    out.insert(k.clone(), merged);
                }
                J::Object(out)
            }
            (J::Array(l), J::Array(o)) if l.len() == o.len() => {
                J::Array(l.iter().zip(o).map(|(a, b)| merge(a, b)).collect())
            }
            _ => m.clone(),
        }
    }
    let merged = Value::from_json(&merge(live, manifest));
    let mut top = merged.as_map().cloned().unwrap_or_default();
    if let Some(meta) = top.get("metadata").and_then(Value::as_map) {
        let mut meta = meta.clone();
        for server_set in ["resourceVersion", "generation"] {
            if meta.contains_key(server_set) {
                meta.insert(server_set.into(), Value::Unknown);
            }
        }
        top.insert("metadata".into(), Value::Object(meta.into()));
    }
    if top.contains_key("status") {
        top.insert("status".into(), Value::Unknown);
    }
    Value::Object(top.into())
}

/// Fills `uid` and `resource_version` of a `metadata` block from the prior object, or
/// leaves them unknown, and the namespace `default` where none is given.
fn set_meta_computed(obj: &mut std::collections::BTreeMap<String, Value>, prior: Option<&Value>) {
    let Some(meta) = obj.get("metadata").cloned() else { return };
    let mut m = match &meta {
        Value::List(xs) | Value::Tuple(xs) => xs.first().and_then(Value::as_map).cloned().unwrap_or_default(),
        _ => return,
    };
    let prior_meta = prior.map(|p| first(p, "metadata"));
    for computed in ["uid", "resource_version"] {
        m.insert(computed.into(), prior_meta.as_ref().map_or(Value::Unknown, |p| get(p, computed)));
    }
    if m.contains_key("namespace") && m.get("namespace").is_none_or(Value::is_null) {
        m.insert("namespace".into(), Value::from("default"));
    }
    obj.insert("metadata".into(), Value::List(vec![Value::Object(m.into())]));
}

async fn locate(client: &Client, m: &J) -> Result<(kube::Api<DynamicObject>, String), ProviderError> {
    let [api_version, kind, namespace, name] = identity(m);
    let (api_version, kind, name) =
        (api_version.unwrap_or_default(), kind.unwrap_or_default(), name.unwrap_or_default());
    let (ar, namespaced) = resource_of(client, api_version, kind).await?;
    Ok((api(client, &ar, namespaced, namespace.unwrap_or("default")), name.to_string()))
}

fn live_json(o: &DynamicObject) -> J {
    let mut j = serde_json::to_value(o).unwrap_or(J::Null);
    if let Some(meta) = j.get_mut("metadata").and_then(J::as_object_mut) {
        meta.remove("managedFields");
    }
    j
}

pub async fn apply(client: &Client, type_name: &str, planned: &Value) -> Result<Value, ProviderError> {
    let mut m = manifest_of(type_name, planned)?;
    if crate::validate::namespaced(&m) && m.pointer("/metadata/namespace").is_none() {
        m["metadata"]["namespace"] = J::String("default".into());
    }
    let (api, name) = locate(client, &m).await?;
    let fm = get(planned, "field_manager");
    let manager = fm.get_attr("name").and_then(Value::as_str).unwrap_or(FIELD_MANAGER).to_string();
    let mut params = PatchParams::apply(&manager);
    if fm.get_attr("force_conflicts").and_then(Value::as_bool) == Some(true) {
        params = params.force();
    }
    let applied = api.patch(&name, &params, &Patch::Apply(&m)).await.map_err(|e| {
        let mut err = kube_error("server-side apply", e);
        if err.code.as_deref() == Some("Conflict") {
            err.message.push_str("; another field manager owns these fields: set `field_manager { force_conflicts = true }` to take them over");
        }
        err
    })?;
    let limit = timeout(planned, "create", Duration::from_secs(600))?;
    let mut wanted = get(planned, "wait");
    if type_name == "kubernetes_job" && get(planned, "wait_for_completion").as_bool() != Some(false) {
        let complete = Value::object([("type", Value::from("Complete"))]);
        wanted = Value::object([("condition", Value::List(vec![complete]))]);
    }
    let live = wait(&api, &name, &wanted, limit).await?.unwrap_or_else(|| live_json(&applied));
    Ok(to_state(type_name, planned, &m, &live))
}

/// The recorded object, as the live one is now: `None` when it is gone.
pub async fn read(client: &Client, type_name: &str, state: &Value) -> Result<Option<Value>, ProviderError> {
    let Ok(mut m) = manifest_of(type_name, state) else { return Ok(None) };
    if crate::validate::namespaced(&m) && m.pointer("/metadata/namespace").is_none() {
        m["metadata"]["namespace"] = J::String("default".into());
    }
    let (api, name) = locate(client, &m).await?;
    match api.get(&name).await {
        Ok(o) => Ok(Some(to_state(type_name, state, &m, &live_json(&o)))),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(kube_error("read", e)),
    }
}

pub async fn delete(client: &Client, type_name: &str, prior: &Value) -> Result<(), ProviderError> {
    let m = manifest_of(type_name, prior)?;
    let (api, name) = locate(client, &m).await?;
    match api.delete(&name, &DeleteParams::background()).await {
        Ok(_) => {}
        Err(e) if is_not_found(&e) => return Ok(()),
        Err(e) => return Err(kube_error("delete", e)),
    }
    let limit = timeout(prior, "delete", Duration::from_secs(300))?;
    wait_for(&format!("{name} to be deleted"), limit, || async {
        match api.get(&name).await {
            Err(e) if is_not_found(&e) => Ok(Some(())),
            Ok(_) => Ok(None),
            Err(e) => Err(kube_error("read", e)),
        }
    })
    .await
}

/// Waits for what the `wait` block asks; the live object at the end, `None` when there
/// was nothing to wait for.
async fn wait(
    api: &kube::Api<DynamicObject>,
    name: &str,
    w: &Value,
    limit: Duration,
) -> Result<Option<J>, ProviderError> {
    let rollout = w.get_attr("rollout").and_then(Value::as_bool) == Some(true);
    let conditions: Vec<(String, String)> = match get(w, "condition") {
        Value::List(xs) | Value::Tuple(xs) | Value::Set(xs) => xs
            .iter()
            .filter_map(|c| {
                let t = c.get_attr("type")?.as_str()?.to_string();
                Some((t, c.get_attr("status").and_then(Value::as_str).unwrap_or("True").to_string()))
            })
            .collect(),
        _ => Vec::new(),
    };
    let fields: Vec<(String, String)> = get(w, "fields")
        .as_map()
        .map(|m| m.iter().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string()))).collect())
        .unwrap_or_default();
    if !rollout && conditions.is_empty() && fields.is_empty() {
        return Ok(None);
    }
    let what = format!("{name} to be ready");
    wait_for(&what, limit, || async {
        let live = live_json(&api.get(name).await.map_err(|e| kube_error("read", e))?);
        if let Some(failure) = failed(&live) {
            return Err(ProviderError { message: format!("{name}: {failure}"), code: Some("Failed".into()) });
        }
        let done = (!rollout || rolled_out(&live))
            && conditions.iter().all(|(t, s)| has_condition(&live, t, s))
            && fields.iter().all(|(path, want)| field(&live, path).as_deref() == Some(want.as_str()));
        Ok(done.then_some(live))
    })
    .await
    .map(Some)
}

fn has_condition(live: &J, kind: &str, status: &str) -> bool {
    live.pointer("/status/conditions").and_then(J::as_array).is_some_and(|cs| {
        cs.iter().any(|c| {
            c.get("type").and_then(J::as_str) == Some(kind) && c.get("status").and_then(J::as_str) == Some(status)
        })
    })
}

/// A Job that failed for good, which no waiting mends.
fn failed(live: &J) -> Option<String> {
    if live.get("kind").and_then(J::as_str) == Some("Job") && has_condition(live, "Failed", "True") {
        let cs = live.pointer("/status/conditions").and_then(J::as_array)?;
        let c = cs.iter().find(|c| c.get("type").and_then(J::as_str) == Some("Failed"))?;
        return Some(format!("the job failed: {}", c.get("message").and_then(J::as_str).unwrap_or("no message")));
    }
    None
}

/// A value at a dotted path (`status.phase`, `status.conditions.0.type`) as text.
fn field(live: &J, path: &str) -> Option<String> {
    let mut at = live;
    for part in path.split('.') {
        at = match at {
            J::Array(xs) => xs.get(part.parse::<usize>().ok()?)?,
            _ => at.get(part)?,
        };
    }
    Some(match at {
        J::String(s) => s.clone(),
        other => other.to_string(),
    })
}

/// A Deployment, StatefulSet or DaemonSet whose new pods all run and are available.
fn rolled_out(live: &J) -> bool {
    let n = |p: &str| live.pointer(p).and_then(J::as_i64).unwrap_or(0);
    let generation = n("/metadata/generation");
    if n("/status/observedGeneration") < generation {
        return false;
    }
    match live.get("kind").and_then(J::as_str) {
        Some("Deployment") => {
            let want = live.pointer("/spec/replicas").and_then(J::as_i64).unwrap_or(1);
            n("/status/updatedReplicas") >= want
                && n("/status/availableReplicas") >= want
                && n("/status/replicas") == want
        }
        Some("StatefulSet") => {
            let want = live.pointer("/spec/replicas").and_then(J::as_i64).unwrap_or(1);
            n("/status/readyReplicas") >= want
                && n("/status/updatedReplicas") >= want
                && live.pointer("/status/currentRevision") == live.pointer("/status/updateRevision")
        }
        Some("DaemonSet") => {
            let want = n("/status/desiredNumberScheduled");
            n("/status/updatedNumberScheduled") >= want && n("/status/numberAvailable") >= want
        }
        _ => true,
    }
}

/// The live object cut down to the fields `shape` has.
pub fn project(live: &J, shape: &J) -> J {
    match (live, shape) {
        (J::Object(l), J::Object(s)) => {
            J::Object(s.iter().filter_map(|(k, sv)| l.get(k).map(|lv| (k.clone(), project(lv, sv)))).collect())
        }
        (J::Array(l), J::Array(s)) if l.len() == s.len() => {
            J::Array(l.iter().zip(s).map(|(a, b)| project(a, b)).collect())
        }
        _ => live.clone(),
    }
}

/// A resource's recorded value from the live object: what it sets, as it is now.
fn to_state(type_name: &str, base: &Value, sent: &J, live: &J) -> Value {
    let seen = project(live, sent);
    let mut obj = base.as_map().cloned().unwrap_or_default();
    if type_name == "kubernetes_manifest" {
        // The manifest as written where the live object agrees, so an unchanged object
        // plans nothing; the live values where it does not, which is drift.
        let written = drop_nulls(json_of(&get(base, "manifest")));
        let manifest = if project(&seen, &written) == written { written } else { seen.clone() };
        obj.insert("manifest".into(), Value::from_json(&manifest));
        obj.insert("object".into(), Value::from_json(live));
        return Value::Object(obj.into());
    }
    let name = live.pointer("/metadata/name").and_then(J::as_str).unwrap_or_default();
    let namespace = live.pointer("/metadata/namespace").and_then(J::as_str);
    obj.insert("id".into(), Value::from(namespace.map_or(name.to_string(), |ns| format!("{ns}/{name}"))));
    let mut meta = first(base, "metadata").as_map().cloned().unwrap_or_default();
    meta.insert("name".into(), Value::from(name));
    if let Some(ns) = namespace {
        meta.insert("namespace".into(), Value::from(ns));
    }
    for (attr, key) in [("labels", "labels"), ("annotations", "annotations")] {
        if meta.get(attr).is_some_and(|v| !v.is_null()) {
            let v = seen.pointer(&format!("/metadata/{key}")).cloned().unwrap_or(json!({}));
            meta.insert(attr.into(), Value::from_json(&v).to_map_value());
        }
    }
    meta.insert("uid".into(), Value::from(live.pointer("/metadata/uid").and_then(J::as_str).unwrap_or_default()));
    meta.insert(
        "resource_version".into(),
        Value::from(live.pointer("/metadata/resourceVersion").and_then(J::as_str).unwrap_or_default()),
    );
    obj.insert("metadata".into(), Value::List(vec![Value::Object(meta.into())]));
    match type_name {
        "kubernetes_config_map" => {
            for (attr, key) in [("data", "data"), ("binary_data", "binaryData")] {
                if obj.get(attr).is_some_and(|v| !v.is_null()) {
                    let v = seen.get(key).cloned().unwrap_or(json!({}));
                    obj.insert(attr.into(), Value::from_json(&v).to_map_value());
                }
            }
        }
        "kubernetes_job" => {
            let status = live.get("status").cloned().unwrap_or(json!({}));
            let n = |k: &str| status.get(k).and_then(J::as_i64).unwrap_or(0);
            let s = |k: &str| status.get(k).cloned().unwrap_or(J::Null);
            let condition = |kind: &str| has_condition(live, kind, "True");
            obj.insert(
                "status".into(),
                Value::from_json(&json!({
                    "active": n("active"), "succeeded": n("succeeded"), "failed": n("failed"),
                    "start_time": s("startTime"), "completion_time": s("completionTime"),
                    "complete": condition("Complete"), "failed_for_good": condition("Failed"),
                })),
            );
        }
        "kubernetes_secret" => {
            use base64::Engine as _;
            if obj.get("data").is_some_and(|v| !v.is_null()) {
                let decoded = seen
                    .get("data")
                    .and_then(J::as_object)
                    .map(|m| {
                        m.iter()
                            .filter_map(|(k, v)| {
                                let bytes = base64::engine::general_purpose::STANDARD.decode(v.as_str()?).ok()?;
                                Some((k.clone(), Value::from(String::from_utf8_lossy(&bytes).to_string())))
                            })
                            .collect::<Vec<_>>()
                    })
                    .unwrap_or_default();
                obj.insert("data".into(), Value::map(decoded).mark_sensitive());
            }
        }
        _ => {}
    }
    Value::Object(obj.into())
}

trait MapValue {
    fn to_map_value(self) -> Value;
}

impl MapValue for Value {
    /// A JSON object read back as a map of strings, as the schema types it.
    fn to_map_value(self) -> Value {
        match self {
            Value::Object(m) => Value::Map(m),
            other => other,
        }
    }
}
