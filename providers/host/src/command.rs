//! `host_command`: a command run once on create (its output captured), and optionally
//! another on destroy. A changed command or trigger runs it again (replace).

use meshform_engine::eval::{Number, Value};
use meshform_engine::provider::{PlannedChange, ProviderError};

use crate::transport::prelude;
use crate::{get, get_str, transport};

/// Attributes whose change means running the command again.
const RERUN_ON: [&str; 5] = ["command", "triggers", "working_dir", "environment", "connection"];

fn planned_new(config: &Value) -> Value {
    Value::object([
        ("id", Value::Unknown),
        ("command", get(config, "command")),
        ("destroy_command", get(config, "destroy_command")),
        ("triggers", get(config, "triggers")),
        ("working_dir", get(config, "working_dir")),
        ("environment", get(config, "environment")),
        ("stdout", Value::Unknown),
        ("exit_code", Value::Unknown),
        ("connection", get(config, "connection")),
        ("labels", get(config, "labels")),
    ])
}

pub fn plan(prior: Option<&Value>, config: &Value) -> PlannedChange {
    crate::plan_redo(prior, config, &RERUN_ON, &["destroy_command", "labels"], planned_new)
}

/// Runs a user's command in the resource's directory and environment on its host.
async fn run(command: &str, on: &Value) -> Result<String, ProviderError> {
    let script = format!("{}{command}", prelude(get_str(on, "working_dir").as_deref(), &get(on, "environment")));
    Ok(transport(on)?.run(&script, None).await?.stdout)
}

pub async fn create(prior: Option<&Value>, planned: &Value) -> Result<Value, ProviderError> {
    if prior.is_some() {
        // Only destroy_command or labels changed: nothing to run now.
        return Ok(planned.clone());
    }
    let command = get_str(planned, "command").ok_or_else(|| ProviderError::new("command is required"))?;
    let stdout = run(&command, planned).await?;
    let mut obj = planned.as_map().cloned().unwrap_or_default();
    obj.insert("id".into(), Value::String(uuid::Uuid::new_v4().to_string()));
    obj.insert("stdout".into(), Value::String(stdout));
    obj.insert("exit_code".into(), Value::Number(Number::from_i64(0)));
    Ok(Value::Object(obj.into()))
}

pub async fn delete(prior: Option<&Value>) -> Result<Value, ProviderError> {
    if let Some(p) = prior
        && let Some(cmd) = get_str(p, "destroy_command")
    {
        run(&cmd, p).await?;
    }
    Ok(Value::Null)
}
