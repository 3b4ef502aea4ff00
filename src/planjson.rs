//! A plan in the shape of Terraform's plan JSON (`terraform show -json PLANFILE`), so tools
//! written for Terraform (policy checks, cost estimates, review bots) read meshform plans.

use serde_json::{Map, Value as J, json};

use meshform_engine::addrs::{InstanceKey, ResourceMode};
use meshform_engine::eval::Value;
use meshform_engine::plan::{Action, ChangeReason, Plan, ResourceChange};

pub const FORMAT_VERSION: &str = "1.2";

/// A value with unknowns as null (they are listed in `after_unknown` instead).
fn known_json(v: &Value) -> J {
    v.to_json()
}

/// `true` where the value is unknown, mirroring its structure; `false` for known leaves.
fn unknown_json(v: &Value) -> J {
    match v {
        Value::Unknown => J::Bool(true),
        Value::Sensitive(inner) => unknown_json(inner),
        Value::List(xs) | Value::Tuple(xs) | Value::Set(xs) => J::Array(xs.iter().map(unknown_json).collect()),
        Value::Map(m) | Value::Object(m) => {
            let inner: Map<String, J> = m
                .iter()
                .filter_map(|(k, x)| {
                    let u = unknown_json(x);
                    (u != J::Bool(false)).then(|| (k.clone(), u))
                })
                .collect();
            J::Object(inner)
        }
        _ => J::Bool(false),
    }
}

/// `true` where the value is sensitive, mirroring its structure.
fn sensitive_json(v: &Value) -> J {
    match v {
        Value::Sensitive(_) => J::Bool(true),
        Value::List(xs) | Value::Tuple(xs) | Value::Set(xs) => J::Array(xs.iter().map(sensitive_json).collect()),
        Value::Map(m) | Value::Object(m) => {
            let inner: Map<String, J> = m
                .iter()
                .filter_map(|(k, x)| {
                    let s = sensitive_json(x);
                    (s != J::Bool(false)).then(|| (k.clone(), s))
                })
                .collect();
            J::Object(inner)
        }
        _ => J::Bool(false),
    }
}

fn opt(v: Option<&Value>, f: fn(&Value) -> J, absent: J) -> J {
    v.map_or(absent, f)
}

fn action_reason(c: &ResourceChange) -> Option<&'static str> {
    Some(match c.reason.as_ref()? {
        ChangeReason::ReplaceRequested => "replace_by_request",
        ChangeReason::ReplaceTriggeredBy(_) => "replace_by_triggers",
        ChangeReason::AttributesForceReplace(_) => "replace_because_cannot_update",
        ChangeReason::NoResourceConfig => "delete_because_no_resource_config",
        ChangeReason::CountIndexOutOfRange => "delete_because_count_index",
        ChangeReason::EachKeyNotFound => "delete_because_each_key",
        ChangeReason::NoModuleInstance => "delete_because_no_module",
        ChangeReason::DestroyRequested | ChangeReason::GoneOutOfBand => return None,
    })
}

fn resource_change(c: &ResourceChange) -> J {
    let a = &c.addr;
    let mut o = Map::new();
    o.insert("address".into(), json!(a.to_string()));
    if !a.module.is_root() {
        o.insert("module_address".into(), json!(a.module.to_string()));
    }
    o.insert("mode".into(), json!(if a.resource.mode == ResourceMode::Data { "data" } else { "managed" }));
    o.insert("type".into(), json!(a.resource.type_name));
    o.insert("name".into(), json!(a.resource.name));
    if a.key != InstanceKey::None {
        o.insert("index".into(), a.key.to_value().to_json());
    }
    o.insert("provider_name".into(), json!(format!("meshform.io/builtin/{}", c.provider)));
    let mut change = Map::new();
    change.insert("actions".into(), json!(c.action.json_actions()));
    change.insert("before".into(), opt(c.before.as_ref(), known_json, J::Null));
    change.insert("after".into(), opt(c.after.as_ref(), known_json, J::Null));
    change.insert("after_unknown".into(), opt(c.after.as_ref(), unknown_json, J::Object(Map::new())));
    change.insert("before_sensitive".into(), opt(c.before.as_ref(), sensitive_json, J::Bool(false)));
    change.insert("after_sensitive".into(), opt(c.after.as_ref(), sensitive_json, J::Bool(false)));
    if let Some(ChangeReason::AttributesForceReplace(attrs)) = &c.reason {
        change.insert("replace_paths".into(), json!(attrs.iter().map(|a| vec![a]).collect::<Vec<_>>()));
    }
    o.insert("change".into(), J::Object(change));
    if let Some(r) = action_reason(c) {
        o.insert("action_reason".into(), json!(r));
    }
    J::Object(o)
}

/// The plan as Terraform's plan JSON document.
pub fn plan_json(p: &Plan, variables: &Map<String, J>) -> J {
    let resource_changes: Vec<J> =
        p.changes.iter().filter(|c| c.action != Action::Read || c.after.is_some()).map(resource_change).collect();
    let output_changes: Map<String, J> = p
        .outputs
        .iter()
        .map(|o| {
            let actions = match (&o.before, &o.after) {
                (None, Some(_)) => vec!["create"],
                (Some(_), None) => vec!["delete"],
                _ if o.is_change() => vec!["update"],
                _ => vec!["no-op"],
            };
            (
                o.name.clone(),
                json!({
                    "actions": actions,
                    "before": opt(o.before.as_ref(), known_json, J::Null),
                    "after": opt(o.after.as_ref(), known_json, J::Null),
                    "after_unknown": o.after.as_ref().is_some_and(|a| !a.is_wholly_known()),
                    "before_sensitive": o.sensitive,
                    "after_sensitive": o.sensitive,
                }),
            )
        })
        .collect();
    json!({
        "format_version": FORMAT_VERSION,
        "meshform_version": env!("CARGO_PKG_VERSION"),
        "variables": variables,
        "resource_changes": resource_changes,
        "output_changes": output_changes,
        "errored": false,
        "applyable": p.has_changes(),
        "complete": true,
    })
}
