//! `host_command`: a command run once on create (its output captured), and optionally
//! another on destroy. A changed command or trigger runs it again (replace).

use meshform_engine::eval::{Number, Value};
use meshform_engine::provider::{PlannedChange, ProviderError};

use crate::transport::{prelude, quote};
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

/// A command recorded as already run, under the id given: importing one says "this was
/// done", so apply does not run it again.
pub fn import(id: &str, config: Value) -> Value {
    let mut obj = planned_new(&config).as_map().cloned().unwrap_or_default();
    obj.insert("id".into(), Value::String(id.to_string()));
    obj.insert("stdout".into(), Value::String(String::new()));
    obj.insert("exit_code".into(), Value::Number(Number::from(0i64)));
    Value::Object(obj.into())
}

/// Runs a user's command in the resource's directory and environment on its host.
async fn run(command: &str, on: &Value) -> Result<String, ProviderError> {
    let script = format!("{}{command}", prelude(get_str(on, "working_dir").as_deref(), &get(on, "environment")));
    Ok(transport(on)?.run(&script, None).await?.stdout)
}

/// The directory on a host where creates leave what [`adopt`] looks for.
pub(crate) const INTENTS: &str = "\"${HOME:-/tmp}/.meshform/intents\"";

/// Runs the command so that a killed apply can find its result: its pid while it runs,
/// and its output once it succeeded, are kept under the intent's id on the host.
fn run_script(command: &str, on: &Value, intent: &str) -> String {
    let id = quote(intent);
    format!(
        "d={INTENTS}; mkdir -p \"$d\"; find \"$d\" -type f -mtime +7 -delete 2>/dev/null; echo $$ > \"$d\"/{id}.pid; \
         ( {prelude}{command}\n) > \"$d\"/{id}.tmp; rc=$?; cat \"$d\"/{id}.tmp; \
         if [ $rc = 0 ]; then mv -f \"$d\"/{id}.tmp \"$d\"/{id}.out; else rm -f \"$d\"/{id}.tmp; fi; \
         rm -f \"$d\"/{id}.pid; exit $rc",
        prelude = prelude(get_str(on, "working_dir").as_deref(), &get(on, "environment")),
    )
}

fn finished(planned: &Value, stdout: String) -> Value {
    let mut obj = planned.as_map().cloned().unwrap_or_default();
    obj.insert("id".into(), Value::String(uuid::Uuid::new_v4().to_string()));
    obj.insert("stdout".into(), Value::String(stdout));
    obj.insert("exit_code".into(), Value::Number(Number::from_i64(0)));
    Value::Object(obj.into())
}

/// What a create under `intent` left on the host: waits while it still runs, then its
/// output if it succeeded.
pub async fn adopt(planned: &Value, intent: &str) -> Result<Option<Value>, ProviderError> {
    let id = quote(intent);
    let script = format!(
        "d={INTENTS}; i=0; while [ -f \"$d\"/{id}.pid ] && kill -0 \"$(cat \"$d\"/{id}.pid 2>/dev/null)\" 2>/dev/null && [ $i -lt 6000 ]; do sleep 0.1; i=$((i+1)); done; \
         if [ -f \"$d\"/{id}.out ]; then echo found; cat \"$d\"/{id}.out; else echo none; fi"
    );
    let out = transport(planned)?.run(&script, None).await?;
    match out.stdout.split_once('\n') {
        Some(("found", stdout)) => Ok(Some(finished(planned, stdout.to_string()))),
        _ => Ok(None),
    }
}

pub async fn create(prior: Option<&Value>, planned: &Value, intent: &str) -> Result<Value, ProviderError> {
    if prior.is_some() {
        // Only destroy_command or labels changed: nothing to run now.
        return Ok(planned.clone());
    }
    let command = get_str(planned, "command").ok_or_else(|| ProviderError::new("command is required"))?;
    let stdout = if intent.is_empty() {
        run(&command, planned).await?
    } else {
        transport(planned)?.run(&run_script(&command, planned, intent), None).await?.stdout
    };
    Ok(finished(planned, stdout))
}

pub async fn delete(prior: Option<&Value>) -> Result<Value, ProviderError> {
    if let Some(p) = prior
        && let Some(cmd) = get_str(p, "destroy_command")
    {
        run(&cmd, p).await?;
    }
    Ok(Value::Null)
}
