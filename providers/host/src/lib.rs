//! The `host` provider: files, commands and long-running services on hosts.
//!
//! | resource       | what it manages |
//! |----------------|-----------------|
//! | `host_file`    | a file with given content and mode; drift found by checksum |
//! | `host_command` | a command run on create (and another on destroy), stdout captured |
//! | `host_service` | a detached process with a readiness check, stopped on destroy |
//! | `data "host_inventory"` | hosts declared once in a YAML inventory |
//! | `data "host_probe"` | a read-only command run while planning (what a host has) |
//!
//! Each resource has a `connection` block: `type = "local"` (the default) acts on this
//! machine, `type = "ssh"` on a host reached with the OpenSSH client.

mod command;
mod file;
mod inventory;
mod probe;
mod schema;
mod service;
pub mod transport;

use std::sync::Arc;

use meshform_engine::eval::Value;
use meshform_engine::provider::{ApplyRequest, PlanRequest, PlannedChange, Provider, ProviderError, ProviderSchema};

/// The provider's local name, as resource type prefixes imply it.
pub const NAME: &str = "host";

pub struct HostProvider;

/// Makes the provider, for a [`meshform_engine::provider::ProviderRegistry`].
pub fn factory() -> Arc<dyn Provider> {
    Arc::new(HostProvider)
}

pub(crate) fn get(v: &Value, name: &str) -> Value {
    v.get_attr(name).cloned().unwrap_or(Value::Null)
}

pub(crate) fn get_str(v: &Value, name: &str) -> Option<String> {
    v.get_attr(name).and_then(Value::as_str).map(str::to_string)
}

/// Plans a resource that is made once and redone from scratch when any `redo_on`
/// attribute changes; otherwise only the `in_place` attributes take the new values.
pub(crate) fn plan_redo(
    prior: Option<&Value>,
    config: &Value,
    redo_on: &[&str],
    in_place: &[&str],
    fresh: fn(&Value) -> Value,
) -> meshform_engine::provider::PlannedChange {
    use meshform_engine::provider::PlannedChange;
    let Some(prior) = prior else {
        return PlannedChange { planned: fresh(config), requires_replace: Vec::new() };
    };
    let changed: Vec<String> = redo_on
        .iter()
        .filter(|a| {
            let new = get(config, a);
            !new.is_wholly_known() || new != get(prior, a)
        })
        .map(|a| a.to_string())
        .collect();
    if !changed.is_empty() {
        return PlannedChange { planned: fresh(config), requires_replace: changed };
    }
    let mut obj = prior.as_map().cloned().unwrap_or_default();
    for a in in_place {
        obj.insert(a.to_string(), get(config, a));
    }
    PlannedChange { planned: Value::Object(obj.into()), requires_replace: Vec::new() }
}

/// The transport of a resource's `connection` block.
pub(crate) fn transport(config: &Value) -> Result<transport::Transport, ProviderError> {
    transport::Transport::from_connection(&get(config, "connection"))
}

#[async_trait::async_trait]
impl Provider for HostProvider {
    fn schema(&self) -> &ProviderSchema {
        schema::schema()
    }

    fn validate(&self, type_name: &str, config: &Value) -> Result<(), ProviderError> {
        transport(config)?;
        match type_name {
            "host_file" => file::validate(config),
            _ => Ok(()),
        }
    }

    async fn plan(&self, req: PlanRequest<'_>) -> Result<PlannedChange, ProviderError> {
        match req.type_name {
            "host_file" => file::plan(req.prior, req.config),
            "host_command" => Ok(command::plan(req.prior, req.config)),
            "host_service" => Ok(service::plan(req.prior, req.config)),
            other => Err(unknown(other)),
        }
    }

    async fn apply(&self, req: ApplyRequest<'_>) -> Result<Value, ProviderError> {
        match (req.type_name, req.planned) {
            ("host_file", Some(p)) => file::create(p).await,
            ("host_file", None) => file::delete(req.prior).await,
            ("host_command", Some(p)) => command::create(req.prior, p, req.intent).await,
            ("host_command", None) => command::delete(req.prior).await,
            // An in-place update only changes what the running process does not see.
            ("host_service", Some(p)) if req.prior.is_some() => Ok(p.clone()),
            ("host_service", Some(p)) => service::create(p, req.intent).await,
            ("host_service", None) => service::delete(req.prior).await,
            (other, _) => Err(unknown(other)),
        }
    }

    async fn adopt(&self, type_name: &str, intent: &str, planned: &Value) -> Result<Option<Value>, ProviderError> {
        match type_name {
            "host_command" => command::adopt(planned, intent).await,
            "host_service" => service::adopt(planned, intent).await,
            // Writing a file again is harmless: the next apply simply writes it.
            _ => Ok(None),
        }
    }

    /// `import` blocks: a file by its path, a running service by its process id, a command
    /// as already run (under any id). The configuration says which host it is on.
    async fn import(&self, type_name: &str, id: &str, config: &Value) -> Result<Value, ProviderError> {
        if get(&get(config, "connection"), "host").is_unknown() {
            return Err(ProviderError::new(
                "the connection depends on values not known yet, so the object cannot be found to import it",
            ));
        }
        let base = known_part(config);
        match type_name {
            "host_file" => file::import(id, base).await,
            "host_command" => Ok(command::import(id, base)),
            "host_service" => service::import(id, base),
            other => Err(unknown(other)),
        }
    }

    async fn read_data(&self, type_name: &str, config: &Value) -> Result<Value, ProviderError> {
        match type_name {
            "host_inventory" => inventory::read(config).await,
            "host_probe" => probe::read(config).await,
            other => Err(ProviderError::new(format!("the host provider has no data source {other:?}"))),
        }
    }

    async fn read(&self, type_name: &str, state: &Value) -> Result<Option<Value>, ProviderError> {
        match type_name {
            "host_file" => file::read(state).await,
            "host_command" => Ok(Some(state.clone())),
            "host_service" => service::read(state).await,
            other => Err(unknown(other)),
        }
    }
}

/// A configuration with what is not known yet taken out (null), as the base of an
/// imported object: what the object really is comes from the host.
fn known_part(v: &Value) -> Value {
    match v {
        Value::Unknown => Value::Null,
        Value::Object(m) if !v.is_wholly_known() => Value::object(m.iter().map(|(k, x)| (k.clone(), known_part(x)))),
        Value::Map(m) if !v.is_wholly_known() => Value::map(m.iter().map(|(k, x)| (k.clone(), known_part(x)))),
        other if !other.is_wholly_known() => Value::Null,
        other => other.clone(),
    }
}

fn unknown(type_name: &str) -> ProviderError {
    ProviderError::new(format!("the host provider has no resource type {type_name:?}"))
}
