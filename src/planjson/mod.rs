//! A plan in the shape of Terraform's plan JSON (`terraform show -json PLANFILE`), so tools
//! written for Terraform (policy checks, cost estimates, review bots) read meshform plans.
//! `schema/plan.schema.json` describes the document; `tests/plan_json.rs` holds it against
//! Terraform's own for the same specs.
//!
//! Keys Terraform leaves out when empty (`variables`, `resource_changes`, `output_changes`,
//! `prior_state` of an empty state, `relevant_attributes`, and within them `outputs` and
//! `resources`) are left out here too, so a tool sees the same document shape from both.
//! Values are given in full with their sensitive parts marked (`*_sensitive`), as Terraform
//! does: the file is for machines; `show -markdown` is the one for people.

mod configuration;

use std::collections::BTreeMap;

use serde_json::{Map, Value as J, json};

use meshform_engine::addrs::{InstanceKey, ModuleInstance, ResourceInstanceAddr, ResourceMode};
use meshform_engine::config::Module;
use meshform_engine::eval::Value;
use meshform_engine::eval::types::type_json;
use meshform_engine::plan::{Action, ChangeReason, OutputChange, Plan, ResourceChange};

pub const FORMAT_VERSION: &str = "1.2";

/// The plan as Terraform's plan JSON document. `config` is the module tree it was made
/// from; `variables` the root variables as `{"name": {"value": ...}}`.
pub fn plan_json(p: &Plan, config: &Module, variables: &Map<String, J>) -> J {
    let mut doc = Map::new();
    doc.insert("format_version".into(), json!(FORMAT_VERSION));
    // Where Terraform writes `terraform_version`: claiming a Terraform version would mislead
    // tools that switch on it.
    doc.insert("meshform_version".into(), json!(env!("CARGO_PKG_VERSION")));
    insert_nonempty(&mut doc, "variables", J::Object(variables.clone()));
    doc.insert("planned_values".into(), planned_values(p));
    let resource_changes =
        p.changes.iter().filter(|c| c.action != Action::Read || c.after.is_some()).map(resource_change).collect();
    insert_nonempty(&mut doc, "resource_changes", J::Array(resource_changes));
    let output_changes = p.outputs.iter().map(|o| (o.name.clone(), output_change(o))).collect();
    insert_nonempty(&mut doc, "output_changes", J::Object(output_changes));
    if !p.prior.resources.is_empty() || !p.prior.outputs.is_empty() {
        doc.insert("prior_state".into(), prior_state(p));
    }
    doc.insert("configuration".into(), configuration::configuration(config));
    insert_nonempty(&mut doc, "relevant_attributes", J::Array(configuration::relevant_attributes(p, config)));
    doc.insert("timestamp".into(), json!(chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)));
    doc.insert("applyable".into(), json!(p.has_changes()));
    doc.insert("complete".into(), json!(true));
    doc.insert("errored".into(), json!(false));
    J::Object(doc)
}

/// Inserts `value` unless it is an empty object or array (Terraform's `omitempty`).
fn insert_nonempty(o: &mut Map<String, J>, key: &str, value: J) {
    let empty = match &value {
        J::Object(m) => m.is_empty(),
        J::Array(xs) => xs.is_empty(),
        _ => false,
    };
    if !empty {
        o.insert(key.into(), value);
    }
}

/// A value as Terraform writes a planned one: unknown attributes of objects and maps left
/// out, unknown elements of sequences as null (their place is kept so that `after_unknown`
/// lines up). `None` when the value itself is unknown.
fn known_json(v: &Value) -> Option<J> {
    Some(match v {
        Value::Unknown => return None,
        Value::Sensitive(inner) => return known_json(inner),
        Value::List(xs) | Value::Tuple(xs) | Value::Set(xs) => {
            J::Array(xs.iter().map(|x| known_json(x).unwrap_or(J::Null)).collect())
        }
        Value::Map(m) | Value::Object(m) => {
            J::Object(m.iter().filter_map(|(k, x)| Some((k.clone(), known_json(x)?))).collect())
        }
        leaf => leaf.to_json(),
    })
}

fn known_or_null(v: Option<&Value>) -> J {
    v.and_then(known_json).unwrap_or(J::Null)
}

/// `true` where the value is unknown, mirroring its structure; `false` for known leaves.
fn unknown_json(v: &Value) -> J {
    match v {
        Value::Unknown => J::Bool(true),
        Value::Sensitive(inner) => unknown_json(inner),
        Value::List(xs) | Value::Tuple(xs) | Value::Set(xs) => J::Array(xs.iter().map(unknown_json).collect()),
        Value::Map(m) | Value::Object(m) => J::Object(
            m.iter()
                .filter_map(|(k, x)| {
                    let u = unknown_json(x);
                    (u != J::Bool(false)).then(|| (k.clone(), u))
                })
                .collect(),
        ),
        _ => J::Bool(false),
    }
}

/// `true` where the value is sensitive, mirroring its structure.
fn sensitive_json(v: &Value) -> J {
    match v {
        Value::Sensitive(_) => J::Bool(true),
        Value::List(xs) | Value::Tuple(xs) | Value::Set(xs) => J::Array(xs.iter().map(sensitive_json).collect()),
        Value::Map(m) | Value::Object(m) => J::Object(
            m.iter()
                .filter_map(|(k, x)| {
                    let s = sensitive_json(x);
                    (s != J::Bool(false)).then(|| (k.clone(), s))
                })
                .collect(),
        ),
        _ => J::Bool(false),
    }
}

fn mode(addr: &ResourceInstanceAddr) -> &'static str {
    if addr.resource.mode == ResourceMode::Data { "data" } else { "managed" }
}

fn provider_name(provider: &str) -> String {
    // The state names a configuration (`aws.east`); the plan names the provider.
    let name = provider.split('.').next().unwrap_or(provider);
    format!("meshform.io/builtin/{name}")
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
        ChangeReason::NoMoveTarget => "delete_because_no_move_target",
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
    o.insert("mode".into(), json!(mode(a)));
    o.insert("type".into(), json!(a.resource.type_name));
    o.insert("name".into(), json!(a.resource.name));
    if a.key != InstanceKey::None {
        o.insert("index".into(), a.key.to_value().to_json());
    }
    if let Some(from) = &c.previous {
        o.insert("previous_address".into(), json!(from.to_string()));
    }
    o.insert("provider_name".into(), json!(provider_name(&c.provider)));
    let mut change = Map::new();
    change.insert("actions".into(), json!(c.action.json_actions()));
    change.insert("before".into(), known_or_null(c.before.as_ref()));
    change.insert("after".into(), known_or_null(c.after.as_ref()));
    change.insert("after_unknown".into(), c.after.as_ref().map_or(J::Object(Map::new()), unknown_json));
    change.insert("before_sensitive".into(), c.before.as_ref().map_or(J::Bool(false), sensitive_json));
    change.insert("after_sensitive".into(), c.after.as_ref().map_or(J::Bool(false), sensitive_json));
    if let Some(ChangeReason::AttributesForceReplace(attrs)) = &c.reason {
        change.insert("replace_paths".into(), json!(attrs.iter().map(|a| vec![a]).collect::<Vec<_>>()));
    }
    if let Some(id) = &c.importing {
        change.insert("importing".into(), json!({ "id": id }));
    }
    o.insert("change".into(), J::Object(change));
    if let Some(r) = action_reason(c) {
        o.insert("action_reason".into(), json!(r));
    }
    J::Object(o)
}

/// Terraform's spelling of what happens to a root output.
pub fn output_action(o: &OutputChange) -> &'static str {
    match (&o.before, &o.after) {
        (None, Some(_)) => "create",
        (Some(_), None) => "delete",
        _ if o.is_change() => "update",
        _ => "no-op",
    }
}

fn output_change(o: &OutputChange) -> J {
    let mut doc = Map::new();
    doc.insert("actions".into(), json!([output_action(o)]));
    doc.insert("before".into(), known_or_null(o.before.as_ref()));
    // A wholly unknown value has no `after` at all, as in Terraform's JSON.
    match o.after.as_ref() {
        Some(after) if after.is_unknown() => {}
        after => {
            doc.insert("after".into(), known_or_null(after));
        }
    }
    let unknown = match o.after.as_ref() {
        Some(after) if !after.is_wholly_known() => unknown_json(after),
        _ => J::Bool(false),
    };
    doc.insert("after_unknown".into(), unknown);
    doc.insert("before_sensitive".into(), json!(o.sensitive));
    doc.insert("after_sensitive".into(), json!(o.sensitive));
    J::Object(doc)
}

/// One instance as `planned_values` and `prior_state` list it.
fn resource_value(addr: &ResourceInstanceAddr, provider: &str, v: &Value) -> J {
    let mut o = Map::new();
    o.insert("address".into(), json!(addr.to_string()));
    o.insert("mode".into(), json!(mode(addr)));
    o.insert("type".into(), json!(addr.resource.type_name));
    o.insert("name".into(), json!(addr.resource.name));
    if addr.key != InstanceKey::None {
        o.insert("index".into(), addr.key.to_value().to_json());
    }
    o.insert("provider_name".into(), json!(provider_name(provider)));
    o.insert("schema_version".into(), json!(0));
    o.insert("values".into(), known_json(v).unwrap_or_else(|| J::Object(Map::new())));
    let sensitive = match sensitive_json(v) {
        J::Bool(false) => J::Object(Map::new()),
        other => other,
    };
    o.insert("sensitive_values".into(), sensitive);
    J::Object(o)
}

/// Instances as Terraform's module tree: a module's own `resources`, then `child_modules`
/// nested by module instance, each with its `address`.
fn module_tree(items: Vec<(ModuleInstance, J)>) -> J {
    let mut by_module: BTreeMap<Vec<String>, Vec<J>> = BTreeMap::new();
    for (module, r) in items {
        let steps: Vec<String> = module.0.iter().map(|s| format!("module.{}{}", s.name, s.key)).collect();
        // Every module on the way down is there, even one holding no resource itself.
        for n in 1..steps.len() {
            by_module.entry(steps[..n].to_vec()).or_default();
        }
        by_module.entry(steps).or_default().push(r);
    }
    module_node(&[], &mut by_module)
}

fn module_node(path: &[String], by_module: &mut BTreeMap<Vec<String>, Vec<J>>) -> J {
    let mut o = Map::new();
    if !path.is_empty() {
        o.insert("address".into(), json!(path.join(".")));
    }
    insert_nonempty(&mut o, "resources", J::Array(by_module.remove(path).unwrap_or_default()));
    let children: Vec<Vec<String>> =
        by_module.keys().filter(|k| k.len() == path.len() + 1 && k.starts_with(path)).cloned().collect();
    let children: Vec<J> = children.iter().map(|c| module_node(c, by_module)).collect();
    insert_nonempty(&mut o, "child_modules", J::Array(children));
    J::Object(o)
}

/// A root output's value as `planned_values` and `prior_state` give it: the value and
/// its type where known.
fn output_value(v: Option<&Value>, sensitive: bool) -> J {
    let mut d = Map::new();
    d.insert("sensitive".into(), json!(sensitive));
    if let Some(v) = v.filter(|v| v.is_wholly_known()) {
        d.insert("type".into(), type_json(v));
        d.insert("value".into(), v.to_json());
    }
    J::Object(d)
}

fn planned_values(p: &Plan) -> J {
    let items = p
        .changes
        .iter()
        .filter_map(|c| Some((c.addr.module.clone(), resource_value(&c.addr, &c.provider, c.after.as_ref()?))))
        .collect();
    let outputs: Map<String, J> = p
        .outputs
        .iter()
        .filter(|o| o.after.is_some())
        .map(|o| (o.name.clone(), output_value(o.after.as_ref(), o.sensitive)))
        .collect();
    let mut values = Map::new();
    insert_nonempty(&mut values, "outputs", J::Object(outputs));
    values.insert("root_module".into(), module_tree(items));
    J::Object(values)
}

fn prior_state(p: &Plan) -> J {
    let items =
        p.prior.resources.iter().map(|(a, i)| (a.module.clone(), resource_value(a, &i.provider, &i.value))).collect();
    let outputs: Map<String, J> =
        p.prior.outputs.iter().map(|(name, o)| (name.clone(), output_value(Some(&o.value), o.sensitive))).collect();
    let mut values = Map::new();
    insert_nonempty(&mut values, "outputs", J::Object(outputs));
    values.insert("root_module".into(), module_tree(items));
    json!({"format_version": "1.0", "values": values})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_attributes_are_left_out_and_unknown_elements_are_null() {
        let v = Value::object([
            ("id", Value::Unknown),
            ("input", Value::Tuple(vec![Value::from(1), Value::Unknown])),
            ("secret", Value::Sensitive(Box::new(Value::from("s")))),
        ]);
        assert_eq!(known_json(&v), Some(json!({"input": [1, null], "secret": "s"})));
        assert_eq!(unknown_json(&v), json!({"id": true, "input": [false, true]}));
        assert_eq!(sensitive_json(&v), json!({"input": [false, false], "secret": true}));
        assert_eq!(known_json(&Value::Unknown), None);
    }

    #[test]
    fn modules_nest_as_child_modules() {
        let addr = |m: &str| -> ResourceInstanceAddr { format!("{m}terraform_data.a").parse().expect("address") };
        let tree = module_tree(vec![
            (ModuleInstance::root(), json!("root")),
            (addr("module.a.module.b[\"k\"].").module, json!("deep")),
        ]);
        assert_eq!(
            tree,
            json!({
                "resources": ["root"],
                "child_modules": [{
                    "address": "module.a",
                    "child_modules": [{"address": "module.a.module.b[\"k\"]", "resources": ["deep"]}]
                }]
            })
        );
    }
}
