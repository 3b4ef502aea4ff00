//! Planning, the same for every resource type: the configuration where the user set a
//! value, the prior object's where EC2 decides, unknown where a new object will tell;
//! replacement when an attribute EC2 cannot change in place differs.

use std::collections::BTreeMap;

use meshform_engine::eval::Value;
use meshform_engine::provider::{BlockNesting, PlannedChange, Presence, ProviderError, ResourceSchema};

use crate::client::{map_value, string_map};
use crate::schema::{computed_blocks, schema};
use crate::{get, get_bool};

fn resource_schema(type_name: &str) -> Result<&'static ResourceSchema, ProviderError> {
    schema()
        .resources
        .get(type_name)
        .ok_or_else(|| ProviderError::new(format!("the aws provider has no resource type {type_name:?}")))
}

pub fn plan(
    type_name: &str,
    prior: Option<&Value>,
    config: &Value,
    default_tags: &BTreeMap<String, String>,
) -> Result<PlannedChange, ProviderError> {
    let schema = resource_schema(type_name)?;
    let config = normalize(type_name, config);
    let computed = computed_blocks(type_name);
    let with_tags = |v: Value| add_tags_all(v, &config, default_tags);
    let Some(prior) = prior else {
        return Ok(PlannedChange {
            planned: with_tags(merge(schema, None, &config, computed)),
            requires_replace: Vec::new(),
        });
    };
    let planned = with_tags(merge(schema, Some(prior), &config, computed));
    let mut replace = Vec::new();
    for (name, a) in &schema.attributes {
        if a.force_new && differs(&get(&planned, name), &get(prior, name)) {
            replace.push(name.clone());
        }
    }
    for (name, b) in &schema.blocks {
        if block_forces_new(&b.body) && differs(&get(&planned, name), &get(prior, name)) {
            replace.push(name.clone());
        }
    }
    if get_bool(&config, "user_data_replace_on_change") == Some(true)
        && differs(&get(&planned, "user_data"), &get(prior, "user_data"))
    {
        replace.push("user_data".into());
    }
    if replace.is_empty() {
        return Ok(PlannedChange { planned, requires_replace: Vec::new() });
    }
    Ok(PlannedChange { planned: with_tags(merge(schema, None, &config, computed)), requires_replace: replace })
}

fn differs(planned: &Value, prior: &Value) -> bool {
    !planned.is_wholly_known() || planned != prior
}

fn block_forces_new(body: &ResourceSchema) -> bool {
    body.attributes.values().any(|a| a.force_new) || body.blocks.values().any(|b| block_forces_new(&b.body))
}

/// The object after apply, from the configuration and what the prior object had.
fn merge(schema: &ResourceSchema, prior: Option<&Value>, config: &Value, computed: &[&str]) -> Value {
    let from_prior = |name: &str| prior.map_or(Value::Unknown, |p| get(p, name));
    let mut obj = BTreeMap::new();
    for (name, a) in &schema.attributes {
        let c = get(config, name);
        let v = match a.presence {
            Presence::Computed => from_prior(name),
            Presence::OptionalComputed if c.is_null() => from_prior(name),
            _ => c,
        };
        obj.insert(name.clone(), v);
    }
    for (name, b) in &schema.blocks {
        let c = get(config, name);
        let v = match b.nesting {
            BlockNesting::Single if c.is_null() => {
                if computed.contains(&name.as_str()) {
                    from_prior(name)
                } else {
                    Value::Null
                }
            }
            BlockNesting::Single => {
                let p = prior.map(|p| get(p, name)).filter(|p| !p.is_null());
                merge(&b.body, p.as_ref(), &c, &[])
            }
            _ => c,
        };
        obj.insert(name.clone(), v);
    }
    Value::Object(obj.into())
}

fn add_tags_all(v: Value, config: &Value, default_tags: &BTreeMap<String, String>) -> Value {
    let Some(m) = v.as_map() else { return v };
    if !m.contains_key("tags_all") {
        return v;
    }
    let tags = get(config, "tags");
    let all = if tags.is_wholly_known() {
        let mut all = default_tags.clone();
        all.extend(string_map(&tags));
        map_value(&all)
    } else {
        Value::Unknown
    };
    let mut m = m.clone();
    m.insert("tags_all".into(), all);
    Value::Object(m.into())
}

/// Brings a configuration to the form EC2 reads back, so an unchanged object plans no
/// change: rule lists default to empty, protocols to their names.
fn normalize(type_name: &str, config: &Value) -> Value {
    let Some(m) = config.as_map() else { return config.clone() };
    let mut m = m.clone();
    match type_name {
        "aws_security_group" => {
            for dir in ["ingress", "egress"] {
                let rules = m
                    .get(dir)
                    .and_then(Value::as_seq)
                    .map(|r| r.iter().map(normalize_rule).collect())
                    .unwrap_or_default();
                m.insert(dir.into(), Value::set(rules));
            }
        }
        "aws_route_table" => {
            let routes = m
                .get("route")
                .and_then(Value::as_seq)
                .map(|r| {
                    r.iter()
                        .map(|route| {
                            let gw = get(route, "gateway_id");
                            Value::object([
                                ("cidr_block", get(route, "cidr_block")),
                                ("gateway_id", if gw.is_null() { Value::from("") } else { gw }),
                            ])
                        })
                        .collect()
                })
                .unwrap_or_default();
            m.insert("route".into(), Value::set(routes));
        }
        _ => {}
    }
    Value::Object(m.into())
}

pub fn protocol_name(p: &str) -> String {
    match p.to_ascii_lowercase().as_str() {
        "all" | "-1" => "-1".into(),
        "6" => "tcp".into(),
        "17" => "udp".into(),
        "1" => "icmp".into(),
        other => other.to_string(),
    }
}

fn normalize_rule(r: &Value) -> Value {
    let or = |name: &str, d: Value| {
        let v = get(r, name);
        if v.is_null() { d } else { v }
    };
    let protocol = match get(r, "protocol").as_str() {
        Some(p) => Value::from(protocol_name(p)),
        None => get(r, "protocol"),
    };
    Value::object([
        ("from_port", get(r, "from_port")),
        ("to_port", get(r, "to_port")),
        ("protocol", protocol),
        ("cidr_blocks", or("cidr_blocks", Value::List(Vec::new()))),
        ("security_groups", or("security_groups", Value::set(Vec::new()))),
        ("self", or("self", Value::Bool(false))),
        ("description", or("description", Value::from(""))),
    ])
}

/// An object of a type with every attribute null: what import reads into.
pub fn import_base(type_name: &str) -> Value {
    let Ok(schema) = resource_schema(type_name) else { return Value::Null };
    Value::object(schema.attributes.keys().chain(schema.blocks.keys()).map(|k| (k.clone(), Value::Null)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instance(ami: &str, instance_type: &str) -> Value {
        let mut m = import_base("aws_instance").as_map().cloned().unwrap_or_default();
        m.insert("ami".into(), Value::from(ami));
        m.insert("instance_type".into(), Value::from(instance_type));
        Value::Object(m.into())
    }

    fn recorded(config: &Value) -> Value {
        // What a create returns: every attribute known.
        let planned = plan("aws_instance", None, config, &BTreeMap::new()).map(|p| p.planned).unwrap_or(Value::Null);
        let m = planned.as_map().cloned().unwrap_or_default();
        Value::Object(
            m.into_iter()
                .map(|(k, v)| (k, if v.is_unknown() { Value::from("x") } else { v }))
                .collect::<BTreeMap<_, _>>()
                .into(),
        )
    }

    #[test]
    fn an_unchanged_instance_plans_its_prior_object() {
        let config = instance("ami-1", "t3.micro");
        let prior = recorded(&config);
        let p = plan("aws_instance", Some(&prior), &config, &BTreeMap::new()).map_err(|e| e.message);
        assert_eq!(p.as_ref().map(|p| &p.planned), Ok(&prior));
    }

    #[test]
    fn a_new_ami_replaces_and_a_new_type_updates_in_place() {
        let prior = recorded(&instance("ami-1", "t3.micro"));
        let p = plan("aws_instance", Some(&prior), &instance("ami-2", "t3.micro"), &BTreeMap::new());
        assert_eq!(p.map(|p| p.requires_replace).map_err(|e| e.message), Ok(vec!["ami".to_string()]));
        let p = plan("aws_instance", Some(&prior), &instance("ami-1", "t3.large"), &BTreeMap::new());
        let p = p.map_err(|e| e.message);
        assert_eq!(p.as_ref().map(|p| p.requires_replace.is_empty()), Ok(true));
        assert_eq!(p.map(|p| get(&p.planned, "id")), Ok(get(&prior, "id")));
    }

    #[test]
    fn tags_all_merges_default_tags_under_the_resource_tags() {
        let mut m = instance("ami-1", "t3.micro").as_map().cloned().unwrap_or_default();
        m.insert("tags".into(), Value::map([("Name", Value::from("a")), ("Team", Value::from("mine"))]));
        let defaults =
            BTreeMap::from([("Team".to_string(), "theirs".to_string()), ("Env".to_string(), "prod".to_string())]);
        let p = plan("aws_instance", None, &Value::Object(m.into()), &defaults).map_err(|e| e.message);
        let want =
            Value::map([("Env", Value::from("prod")), ("Name", Value::from("a")), ("Team", Value::from("mine"))]);
        assert_eq!(p.map(|p| get(&p.planned, "tags_all")), Ok(want));
    }
}
