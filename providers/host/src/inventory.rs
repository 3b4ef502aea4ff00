//! `data "host_inventory"`: hosts declared once in a YAML inventory (the cloudmesh-inventory
//! fields: ip or address, dns, user, port, keyfile, cluster, service, services, tags), so
//! on-premises machines are not repeated in every spec.

use std::collections::BTreeMap;

use meshform_engine::eval::{Number, Value};
use meshform_engine::provider::ProviderError;

use crate::{get, get_str};

/// One host of the inventory with every field present (null when not given).
fn host(name: &str, entry: &Value) -> Result<Value, ProviderError> {
    let field = |k: &str| get(entry, k);
    let text = |k: &str| match field(k) {
        Value::Null => Value::Null,
        v => meshform_engine::eval::value::to_string(&v).map_or(Value::Null, Value::String),
    };
    let address =
        [text("ip"), text("address"), text("dns")].into_iter().find(|v| !v.is_null()).unwrap_or(Value::from(name));
    let port = match field("port") {
        Value::Null => Value::Number(Number::from_i64(22)),
        v => match meshform_engine::eval::value::to_number(&v) {
            Some(n) => Value::Number(n),
            None => return Err(ProviderError::new(format!("inventory host {name:?}: port {v:?} is not a number"))),
        },
    };
    let service = text("service");
    if let Some(s) = service.as_str().filter(|s| !matches!(*s, "manager" | "worker")) {
        return Err(ProviderError::new(format!(
            "inventory host {name:?}: service is \"manager\" or \"worker\", not {s:?}"
        )));
    }
    let list = |k: &str| match field(k) {
        Value::Null => Value::List(Vec::new()),
        Value::Tuple(xs) | Value::List(xs) => {
            Value::List(xs.iter().filter_map(meshform_engine::eval::value::to_string).map(Value::String).collect())
        }
        v => meshform_engine::eval::value::to_string(&v)
            .map_or(Value::List(Vec::new()), |s| Value::List(s.split(',').map(|p| Value::from(p.trim())).collect())),
    };
    Ok(Value::object([
        ("name", Value::from(name)),
        ("address", address),
        ("ip", text("ip")),
        ("dns", text("dns")),
        ("user", text("user")),
        ("port", port),
        ("keyfile", text("keyfile")),
        ("cluster", text("cluster")),
        ("service", service),
        ("services", list("services")),
        ("tags", list("tags")),
    ]))
}

pub async fn read(config: &Value) -> Result<Value, ProviderError> {
    let path = get_str(config, "path").ok_or_else(|| ProviderError::new("path is required"))?;
    let text = tokio::fs::read_to_string(&path)
        .await
        .map_err(|e| ProviderError::new(format!("cannot read inventory {path}: {e}")))?;
    let doc =
        meshform_engine::eval::functions::yaml_decode(&text).map_err(|e| ProviderError::new(format!("{path}: {e}")))?;
    let Some(entries) = doc.as_map() else {
        return Err(ProviderError::new(format!("{path}: the inventory is a mapping of host names to their fields")));
    };
    let wanted = get_str(config, "cluster");
    let mut hosts = BTreeMap::new();
    for (name, entry) in entries.iter() {
        let h = host(name, entry)?;
        if wanted.is_none() || h.get_attr("cluster").and_then(Value::as_str) == wanted.as_deref() {
            hosts.insert(name.clone(), h);
        }
    }
    let names_with = |role: Option<&str>| {
        Value::List(
            hosts
                .iter()
                .filter(|(_, h)| role.is_none() || h.get_attr("service").and_then(Value::as_str) == role)
                .map(|(n, _)| Value::from(n.as_str()))
                .collect(),
        )
    };
    Ok(Value::object([
        ("id", Value::from(path.as_str())),
        ("path", Value::from(path.as_str())),
        ("cluster", get(config, "cluster")),
        ("names", names_with(None)),
        ("managers", names_with(Some("manager"))),
        ("workers", names_with(Some("worker"))),
        ("hosts", Value::Map(hosts.into())),
    ]))
}
