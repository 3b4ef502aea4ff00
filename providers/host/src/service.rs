//! `host_service`: a long-running process started detached in its own process group,
//! with a readiness check on a TCP port. Refresh notices when it died, so the next plan
//! starts it again; destroy stops the whole process group.

use std::time::{Duration, Instant};

use meshform_engine::eval::{Number, Value};
use meshform_engine::provider::{PlannedChange, ProviderError};

use crate::{get, get_str};

const RESTART_ON: [&str; 6] = ["command", "working_dir", "environment", "log_file", "ready_port", "connection"];

fn planned_new(config: &Value) -> Value {
    let mut obj = config.as_map().cloned().unwrap_or_default();
    obj.insert("id".into(), Value::Unknown);
    obj.insert("pid".into(), Value::Unknown);
    Value::Object(obj.into())
}

pub fn plan(prior: Option<&Value>, config: &Value) -> PlannedChange {
    let Some(prior) = prior else {
        return PlannedChange { planned: planned_new(config), requires_replace: Vec::new() };
    };
    let changed: Vec<String> = RESTART_ON
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
    obj.insert("ready_timeout".into(), get(config, "ready_timeout"));
    PlannedChange { planned: Value::Object(obj.into()), requires_replace: Vec::new() }
}

/// Whether a process is running (and not a zombie waiting to be reaped).
fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat.rsplit_once(')').is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}

fn pid_of(v: &Value) -> Option<u32> {
    v.get_attr("pid").and_then(Value::as_number).and_then(Number::to_i64).and_then(|p| u32::try_from(p).ok())
}

pub async fn create(planned: &Value) -> Result<Value, ProviderError> {
    let command = get_str(planned, "command").ok_or_else(|| ProviderError::new("command is required"))?;
    let mut cmd = std::process::Command::new("sh");
    cmd.arg("-c").arg(format!("exec {command}")).stdin(std::process::Stdio::null());
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let log = match get_str(planned, "log_file") {
        Some(path) => Some(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .map_err(|e| ProviderError::new(format!("cannot open log file {path}: {e}")))?,
        ),
        None => None,
    };
    match &log {
        Some(f) => {
            let out = f.try_clone().map_err(|e| ProviderError::new(e.to_string()))?;
            cmd.stdout(out).stderr(f.try_clone().map_err(|e| ProviderError::new(e.to_string()))?);
        }
        None => {
            cmd.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null());
        }
    }
    if let Some(dir) = get_str(planned, "working_dir") {
        cmd.current_dir(dir);
    }
    if let Some(env) = get(planned, "environment").as_map() {
        for (k, v) in env.iter() {
            cmd.env(k, v.as_str().unwrap_or_default());
        }
    }
    let child = cmd.spawn().map_err(|e| ProviderError::new(format!("cannot start `{command}`: {e}")))?;
    let pid = child.id();
    // The child outlives this process on purpose; it is tracked by its pid from now on.
    drop(child);
    let mut obj = planned.as_map().cloned().unwrap_or_default();
    obj.insert("id".into(), Value::String(pid.to_string()));
    obj.insert("pid".into(), Value::Number(Number::from_i64(i64::from(pid))));
    let state = Value::Object(obj.into());
    if let Err(e) = wait_ready(planned, pid).await {
        stop(pid).await;
        return Err(e);
    }
    Ok(state)
}

async fn wait_ready(planned: &Value, pid: u32) -> Result<(), ProviderError> {
    let Some(port) = planned.get_attr("ready_port").and_then(Value::as_number).and_then(Number::to_i64) else {
        return Ok(());
    };
    let host = get(planned, "connection").get_attr("host").and_then(Value::as_str).unwrap_or("127.0.0.1").to_string();
    let timeout = planned.get_attr("ready_timeout").and_then(Value::as_number).map_or(60.0, Number::to_f64);
    let deadline = Instant::now() + Duration::from_secs_f64(timeout.max(0.0));
    loop {
        if !alive(pid) {
            return Err(ProviderError::new(format!("the service exited before {host}:{port} accepted connections")));
        }
        if tokio::net::TcpStream::connect((host.as_str(), port as u16)).await.is_ok() {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(ProviderError::new(format!("{host}:{port} did not accept connections within {timeout}s")));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Sends TERM to the process group, then KILL if it is still there after 10 s.
async fn stop(pid: u32) {
    let signal = |sig: &str| {
        let _ = std::process::Command::new("kill").args([sig, "--", &format!("-{pid}")]).output();
    };
    signal("-TERM");
    let deadline = Instant::now() + Duration::from_secs(10);
    while alive(pid) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    if alive(pid) {
        signal("-KILL");
    }
}

pub fn read(state: &Value) -> Option<Value> {
    pid_of(state).filter(|p| alive(*p)).map(|_| state.clone())
}

pub async fn delete(prior: Option<&Value>) -> Result<Value, ProviderError> {
    if let Some(pid) = prior.and_then(pid_of).filter(|p| alive(*p)) {
        stop(pid).await;
    }
    Ok(Value::Null)
}
