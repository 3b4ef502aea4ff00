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

/// One instance as `planned_values` and `prior_state` list it.
fn resource_value(addr: &meshform_engine::addrs::ResourceInstanceAddr, provider: &str, v: &Value) -> J {
    let mut o = Map::new();
    o.insert("address".into(), json!(addr.to_string()));
    o.insert("mode".into(), json!(if addr.resource.mode == ResourceMode::Data { "data" } else { "managed" }));
    o.insert("type".into(), json!(addr.resource.type_name));
    o.insert("name".into(), json!(addr.resource.name));
    if addr.key != InstanceKey::None {
        o.insert("index".into(), addr.key.to_value().to_json());
    }
    o.insert("provider_name".into(), json!(format!("meshform.io/builtin/{provider}")));
    o.insert("schema_version".into(), json!(0));
    // Unknown attributes are left out of the values, as Terraform does.
    let values = match known_json(v) {
        J::Object(m) => {
            let unknown = unknown_json(v);
            J::Object(m.into_iter().filter(|(k, _)| unknown.get(k) != Some(&J::Bool(true))).collect())
        }
        other => other,
    };
    o.insert("values".into(), values);
    o.insert(
        "sensitive_values".into(),
        match sensitive_json(v) {
            J::Bool(false) => J::Object(Map::new()),
            other => other,
        },
    );
    J::Object(o)
}

/// Instances grouped as Terraform's `root_module` with `child_modules` by module address.
fn module_tree(items: Vec<(String, J)>) -> J {
    let mut root = Vec::new();
    let mut children: std::collections::BTreeMap<String, Vec<J>> = std::collections::BTreeMap::new();
    for (module, r) in items {
        if module.is_empty() {
            root.push(r);
        } else {
            children.entry(module).or_default().push(r);
        }
    }
    let mut o = Map::new();
    o.insert("resources".into(), J::Array(root));
    if !children.is_empty() {
        o.insert(
            "child_modules".into(),
            J::Array(children.into_iter().map(|(a, rs)| json!({"address": a, "resources": rs})).collect()),
        );
    }
    J::Object(o)
}

fn planned_values(p: &Plan) -> J {
    let items = p
        .changes
        .iter()
        .filter_map(|c| Some((c.addr.module.to_string(), resource_value(&c.addr, &c.provider, c.after.as_ref()?))))
        .collect();
    let outputs: Map<String, J> = p
        .outputs
        .iter()
        .filter_map(|o| {
            let after = o.after.as_ref()?;
            let mut d = json!({"sensitive": o.sensitive});
            if after.is_wholly_known() && !o.sensitive {
                d["value"] = known_json(after);
            }
            Some((o.name.clone(), d))
        })
        .collect();
    json!({"outputs": outputs, "root_module": module_tree(items)})
}

fn prior_state(p: &Plan) -> J {
    let items = p
        .prior
        .resources
        .iter()
        .map(|(a, i)| (a.module.to_string(), resource_value(a, &i.provider, &i.value)))
        .collect();
    let outputs: Map<String, J> = p
        .prior
        .outputs
        .iter()
        .map(|(name, o)| {
            let mut d = json!({"sensitive": o.sensitive});
            if !o.sensitive {
                d["value"] = known_json(&o.value);
            }
            (name.clone(), d)
        })
        .collect();
    json!({
        "format_version": "1.0",
        "values": {"outputs": outputs, "root_module": module_tree(items)},
    })
}

/// The configuration's resources and providers as the plan saw them (expressions are not
/// reproduced).
fn configuration(p: &Plan) -> J {
    let mut providers = Map::new();
    let mut seen = std::collections::BTreeSet::new();
    let mut items = Vec::new();
    for c in &p.changes {
        providers.insert(
            c.provider.clone(),
            json!({"name": c.provider, "full_name": format!("meshform.io/builtin/{}", c.provider)}),
        );
        let r = &c.addr.resource;
        let address = if r.mode == ResourceMode::Data {
            format!("data.{}.{}", r.type_name, r.name)
        } else {
            format!("{}.{}", r.type_name, r.name)
        };
        if !seen.insert((c.addr.module.to_string(), address.clone())) || c.after.is_none() {
            continue;
        }
        items.push((
            c.addr.module.to_string(),
            json!({
                "address": address,
                "mode": if r.mode == ResourceMode::Data { "data" } else { "managed" },
                "type": r.type_name,
                "name": r.name,
                "provider_config_key": c.provider,
                "schema_version": 0,
            }),
        ));
    }
    let outputs: Map<String, J> =
        p.outputs.iter().map(|o| (o.name.clone(), json!({"sensitive": o.sensitive}))).collect();
    let mut root = module_tree(items);
    root["outputs"] = J::Object(outputs);
    json!({"provider_config": providers, "root_module": root})
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
            let unknown = o.after.as_ref().is_some_and(|a| !a.is_wholly_known());
            let mut doc = json!({
                "actions": actions,
                "before": opt(o.before.as_ref(), known_json, J::Null),
                "after_unknown": unknown,
                "before_sensitive": o.sensitive,
                "after_sensitive": o.sensitive,
            });
            // An unknown value has no `after`, as in Terraform's JSON.
            if !unknown {
                doc["after"] = opt(o.after.as_ref(), known_json, J::Null);
            }
            (o.name.clone(), doc)
        })
        .collect();
    let mut doc = json!({
        "format_version": FORMAT_VERSION,
        "meshform_version": env!("CARGO_PKG_VERSION"),
        "planned_values": planned_values(p),
        "resource_changes": resource_changes,
        "output_changes": output_changes,
        "prior_state": prior_state(p),
        "configuration": configuration(p),
        "relevant_attributes": [],
        "timestamp": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "errored": false,
        "applyable": p.has_changes(),
        "complete": true,
    });
    // As in Terraform's, `variables` is there when the configuration declares some.
    if !variables.is_empty() {
        doc["variables"] = J::Object(variables.clone());
    }
    doc
}
