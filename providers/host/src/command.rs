//! `host_command`: a command run once on create (its output captured), and optionally
//! another on destroy. A changed command or trigger runs it again (replace).

use meshform_engine::eval::{Number, Value};
use meshform_engine::provider::{PlannedChange, ProviderError};

use crate::{get, get_str};

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
    ])
}

pub fn plan(prior: Option<&Value>, config: &Value) -> PlannedChange {
    let Some(prior) = prior else {
        return PlannedChange { planned: planned_new(config), requires_replace: Vec::new() };
    };
    let changed: Vec<String> = RERUN_ON
        .iter()
        .filter(|a| {
            let new = get(config, a);
            !new.is_wholly_known() || new != get(prior, a)
        })
        .map(|a| a.to_string())
        .collect();
    if !changed.is_empty() {
        return PlannedChange { planned: planned_new(config), requires_replace: changed };
    }
    let mut obj = prior.as_map().cloned().unwrap_or_default();
    obj.insert("destroy_command".into(), get(config, "destroy_command"));
    PlannedChange { planned: Value::Object(obj.into()), requires_replace: Vec::new() }
}

/// Runs `sh -c command`; a non-zero exit is an error carrying the exit code and stderr.
pub async fn run(command: &str, on: &Value) -> Result<String, ProviderError> {
    let mut cmd = tokio::process::Command::new("sh");
    cmd.arg("-c").arg(command).stdin(std::process::Stdio::null());
    if let Some(dir) = get_str(on, "working_dir") {
        cmd.current_dir(dir);
    }
    if let Some(env) = get(on, "environment").as_map() {
        for (k, v) in env.iter() {
            cmd.env(k, v.as_str().unwrap_or_default());
        }
    }
    let out = cmd.output().await.map_err(|e| ProviderError::new(format!("cannot start `{command}`: {e}")))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(10).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        return Err(ProviderError {
            message: format!("`{command}` failed with {}:\n{}", out.status, tail.join("\n")),
            code: out.status.code().map(|c| format!("exit {c}")),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

pub async fn create(prior: Option<&Value>, planned: &Value) -> Result<Value, ProviderError> {
    if prior.is_some() {
        // Only destroy_command changed: nothing to run now.
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
