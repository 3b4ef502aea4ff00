//! `host_file`: a file with given content (or a copy of a local file) and mode. Refresh
//! reads the checksum back, so an edit made on the host shows as drift.

use meshform_engine::eval::Value;
use meshform_engine::provider::{PlannedChange, ProviderError};
use sha2::{Digest, Sha256};

use crate::transport::quote;
use crate::{get, get_str, transport};

const DEFAULT_MODE: &str = "0644";

pub fn validate(config: &Value) -> Result<(), ProviderError> {
    if !get(config, "content").is_null() && !get(config, "source").is_null() {
        return Err(ProviderError::new("set either content or source, not both"));
    }
    if let Some(m) = get_str(config, "mode")
        && parse_mode(&m).is_none()
    {
        return Err(ProviderError::new(format!("mode {m:?} is not an octal permission like \"0644\"")));
    }
    Ok(())
}

fn parse_mode(m: &str) -> Option<u32> {
    u32::from_str_radix(m, 8).ok().filter(|m| *m <= 0o7777)
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// What the file's checksum will be, when the configuration says already.
fn expected_sha(config: &Value) -> Value {
    match (get(config, "content"), get_str(config, "source")) {
        (Value::String(c), _) => Value::String(sha256_hex(c.as_bytes())),
        (Value::Null, Some(src)) => std::fs::read(&src).map_or(Value::Unknown, |b| Value::String(sha256_hex(&b))),
        (Value::Null, None) => Value::String(sha256_hex(b"")),
        _ => Value::Unknown,
    }
}

fn object(config: &Value, sha: Value) -> Value {
    let mode = get_str(config, "mode").unwrap_or_else(|| DEFAULT_MODE.to_string());
    Value::object([
        ("id", get(config, "path")),
        ("path", get(config, "path")),
        ("content", get(config, "content")),
        ("source", get(config, "source")),
        ("mode", Value::String(mode)),
        ("sha256", sha),
        ("connection", get(config, "connection")),
        ("labels", get(config, "labels")),
    ])
}

pub fn plan(prior: Option<&Value>, config: &Value) -> Result<PlannedChange, ProviderError> {
    validate(config)?;
    let planned = object(config, expected_sha(config));
    let moved = |p: &Value| {
        get(p, "path") != get(config, "path")
            || ["type", "host", "port"]
                .iter()
                .any(|a| get(&get(p, "connection"), a) != get(&get(config, "connection"), a))
    };
    let requires_replace = match prior {
        Some(p) if moved(p) => vec!["path".to_string()],
        _ => Vec::new(),
    };
    Ok(PlannedChange { planned, requires_replace })
}

pub async fn create(planned: &Value) -> Result<Value, ProviderError> {
    let path = get_str(planned, "path").ok_or_else(|| ProviderError::new("path is required"))?;
    let bytes = match (get_str(planned, "content"), get_str(planned, "source")) {
        (Some(c), _) => c.into_bytes(),
        (None, Some(src)) => {
            tokio::fs::read(&src).await.map_err(|e| ProviderError::new(format!("cannot read {src}: {e}")))?
        }
        (None, None) => Vec::new(),
    };
    let mode = get_str(planned, "mode").unwrap_or_else(|| DEFAULT_MODE.to_string());
    let dir = std::path::Path::new(&path).parent().map(|d| d.display().to_string()).filter(|d| !d.is_empty());
    // The shell's pid makes the temporary name unique when hosts share a machine.
    let tmp = format!("{}.meshform-tmp-$$", quote(&path));
    let mkdir = dir.map(|d| format!("mkdir -p {} && ", quote(&d))).unwrap_or_default();
    let script = format!(
        "{mkdir}cat > {tmp} && chmod {mode} {tmp} && mv -f {tmp} {path}",
        mode = quote(&mode),
        path = quote(&path)
    );
    transport(planned)?.run(&script, Some(&bytes)).await?;
    Ok(object(planned, Value::String(sha256_hex(&bytes))))
}

pub async fn read(state: &Value) -> Result<Option<Value>, ProviderError> {
    let Some(path) = get_str(state, "path") else { return Ok(None) };
    let script = format!("if [ -f {p} ]; then sha256sum < {p}; else echo missing; fi", p = quote(&path));
    let out = transport(state)?.run(&script, None).await?;
    let word = out.stdout.split_whitespace().next().unwrap_or("missing");
    if word == "missing" {
        return Ok(None);
    }
    let mut obj = state.as_map().cloned().unwrap_or_default();
    obj.insert("sha256".into(), Value::String(word.to_string()));
    Ok(Some(Value::Object(obj.into())))
}

/// The file at `path` on the configuration's host, as the state would record it: its text
/// as content (unless the configuration copies a local file), so the plan shows how it
/// differs from the configuration.
pub async fn import(path: &str, config: Value) -> Result<Value, ProviderError> {
    let mut obj = config.as_map().cloned().unwrap_or_default();
    obj.insert("path".into(), Value::String(path.to_string()));
    let probe = Value::Object(obj.clone().into());
    let script = format!("if [ -f {p} ]; then cat {p}; fi", p = quote(path));
    let text = transport(&probe)?.run(&script, None).await?.stdout;
    if get(&probe, "source").is_null() {
        obj.insert("content".into(), Value::String(text.clone()));
    }
    let mode = get_str(&probe, "mode").unwrap_or_else(|| DEFAULT_MODE.to_string());
    obj.insert("mode".into(), Value::String(mode));
    obj.insert("id".into(), Value::String(path.to_string()));
    obj.insert("sha256".into(), Value::String(sha256_hex(text.as_bytes())));
    Ok(Value::Object(obj.into()))
}

pub async fn delete(prior: Option<&Value>) -> Result<Value, ProviderError> {
    if let Some(p) = prior
        && let Some(path) = get_str(p, "path")
    {
        transport(p)?.run(&format!("rm -f {}", quote(&path)), None).await?;
    }
    Ok(Value::Null)
}
