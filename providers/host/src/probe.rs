//! `data "host_probe"`: a read-only command run on a host while planning, so what a host
//! has (an installed Hadoop, a kernel version) can shape the plan. A non-zero exit is
//! reported in `exit_code`, not an error; an unreachable host is an error.

use meshform_engine::eval::{Number, Value};
use meshform_engine::provider::ProviderError;

use crate::transport::{prelude, quote};
use crate::{get, get_str, transport};

/// Separates the command's output from its exit code.
const MARK: char = '\u{1e}';

pub async fn read(config: &Value) -> Result<Value, ProviderError> {
    let command = get_str(config, "command").ok_or_else(|| ProviderError::new("command is required"))?;
    let t = transport(config)?;
    let script = format!(
        "{}sh -c {}; printf '{MARK}%d' $?",
        prelude(get_str(config, "working_dir").as_deref(), &get(config, "environment")),
        quote(&command)
    );
    let out = t.run(&script, None).await?;
    let (stdout, code) = out
        .stdout
        .rsplit_once(MARK)
        .and_then(|(s, c)| Some((s.to_string(), c.trim().parse::<i64>().ok()?)))
        .ok_or_else(|| ProviderError::new(format!("`{command}` on {} gave no exit code", t.describe())))?;
    let mut obj = config.as_map().cloned().unwrap_or_default();
    obj.insert("id".into(), Value::String(format!("{}:{command}", t.describe())));
    obj.insert("stdout".into(), Value::String(stdout));
    obj.insert("exit_code".into(), Value::Number(Number::from_i64(code)));
    Ok(Value::Object(obj.into()))
}
