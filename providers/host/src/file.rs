//! `host_file`: a file with given content (or a copy of a local file) and mode. Refresh
//! reads the checksum back, so an edit made on the host shows as drift.

use std::os::unix::fs::PermissionsExt;

use meshform_engine::eval::Value;
use meshform_engine::provider::{PlannedChange, ProviderError};
use sha2::{Digest, Sha256};

use crate::{get, get_str};

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
    ])
}

pub fn plan(prior: Option<&Value>, config: &Value) -> Result<PlannedChange, ProviderError> {
    validate(config)?;
    let planned = object(config, expected_sha(config));
    let requires_replace = match prior {
        Some(p) if get(p, "path") != get(config, "path") || get(p, "connection") != get(config, "connection") => {
            vec!["path".to_string()]
        }
        _ => Vec::new(),
    };
    Ok(PlannedChange { planned, requires_replace })
}

pub async fn create(planned: &Value) -> Result<Value, ProviderError> {
    let path = get_str(planned, "path").ok_or_else(|| ProviderError::new("path is required"))?;
    let bytes = match (get_str(planned, "content"), get_str(planned, "source")) {
        (Some(c), _) => c.into_bytes(),
        (None, Some(src)) => tokio::fs::read(&src).await.map_err(|e| io_error("read", &src, e))?,
        (None, None) => Vec::new(),
    };
    let mode = get_str(planned, "mode").and_then(|m| parse_mode(&m)).unwrap_or(0o644);
    let target = std::path::Path::new(&path);
    if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
        tokio::fs::create_dir_all(dir)
            .await
            .map_err(|e| io_error("create directory", &dir.display().to_string(), e))?;
    }
    let tmp = format!("{path}.meshform-tmp-{}", std::process::id());
    tokio::fs::write(&tmp, &bytes).await.map_err(|e| io_error("write", &tmp, e))?;
    tokio::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(mode))
        .await
        .map_err(|e| io_error("chmod", &tmp, e))?;
    tokio::fs::rename(&tmp, &path).await.map_err(|e| io_error("rename into", &path, e))?;
    Ok(object(planned, Value::String(sha256_hex(&bytes))))
}

pub async fn read(state: &Value) -> Result<Option<Value>, ProviderError> {
    let Some(path) = get_str(state, "path") else { return Ok(None) };
    match tokio::fs::read(&path).await {
        Ok(bytes) => {
            let mut obj = state.as_map().cloned().unwrap_or_default();
            obj.insert("sha256".into(), Value::String(sha256_hex(&bytes)));
            Ok(Some(Value::Object(obj.into())))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_error("read", &path, e)),
    }
}

pub async fn delete(prior: Option<&Value>) -> Result<Value, ProviderError> {
    if let Some(path) = prior.and_then(|p| get_str(p, "path")) {
        match tokio::fs::remove_file(&path).await {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_error("remove", &path, e)),
        }
    }
    Ok(Value::Null)
}

fn io_error(what: &str, path: &str, e: std::io::Error) -> ProviderError {
    ProviderError {
        message: format!("cannot {what} {path}: {e}"),
        code: e.raw_os_error().map(|c| format!("errno {c}")),
    }
}
