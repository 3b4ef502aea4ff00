//! `host_service`: a long-running process started detached in its own session (process
//! group), with a readiness check on a TCP port. Refresh notices when it died, so the next
//! plan starts it again; destroy stops the whole process group.

use std::time::{Duration, Instant};

use meshform_engine::eval::{Number, Value};
use meshform_engine::provider::{PlannedChange, ProviderError};

use crate::transport::{Transport, prelude, quote};
use crate::{get, get_str, transport};

const RESTART_ON: [&str; 7] =
    ["command", "triggers", "working_dir", "environment", "log_file", "ready_port", "connection"];

fn planned_new(config: &Value) -> Value {
    let mut obj = config.as_map().cloned().unwrap_or_default();
    obj.insert("id".into(), Value::Unknown);
    obj.insert("pid".into(), Value::Unknown);
    Value::Object(obj.into())
}

pub fn plan(prior: Option<&Value>, config: &Value) -> PlannedChange {
    crate::plan_redo(prior, config, &RESTART_ON, &["ready_timeout", "ready_command", "labels"], planned_new)
}

fn pid_of(v: &Value) -> Option<u32> {
    v.get_attr("pid").and_then(Value::as_number).and_then(Number::to_i64).and_then(|p| u32::try_from(p).ok())
}

/// Shell test that process `pid` exists and is not a zombie.
fn alive_test(pid: u32) -> String {
    format!(
        "[ \"$(sed -e 's/^.*) //' /proc/{pid}/stat 2>/dev/null | cut -c1)\" != '' ] && [ \"$(sed -e 's/^.*) //' /proc/{pid}/stat 2>/dev/null | cut -c1)\" != Z ]"
    )
}

async fn alive(t: &Transport, pid: u32) -> Result<bool, ProviderError> {
    let out = t.run(&format!("if {}; then echo alive; else echo dead; fi", alive_test(pid)), None).await?;
    Ok(out.stdout.trim() == "alive")
}

fn started(planned: &Value, pid: u32) -> Value {
    let mut obj = planned.as_map().cloned().unwrap_or_default();
    obj.insert("id".into(), Value::String(pid.to_string()));
    obj.insert("pid".into(), Value::Number(Number::from_i64(i64::from(pid))));
    Value::Object(obj.into())
}

/// A service started under `intent` by an apply that was killed before recording it:
/// adopted while it runs (and once it is ready).
pub async fn adopt(planned: &Value, intent: &str) -> Result<Option<Value>, ProviderError> {
    let t = transport(planned)?;
    let script = format!("cat {}/{}.service 2>/dev/null || true", crate::command::INTENTS, quote(intent));
    let Ok(pid) = t.run(&script, None).await?.stdout.trim().parse::<u32>() else { return Ok(None) };
    if !alive(&t, pid).await? {
        return Ok(None);
    }
    if let Err(e) = wait_ready(&t, planned, pid).await {
        let _ = stop(&t, pid).await;
        return Err(e);
    }
    Ok(Some(started(planned, pid)))
}

pub async fn create(planned: &Value, intent: &str) -> Result<Value, ProviderError> {
    let command = get_str(planned, "command").ok_or_else(|| ProviderError::new("command is required"))?;
    let t = transport(planned)?;
    let log = get_str(planned, "log_file").unwrap_or_else(|| "/dev/null".into());
    // The log's directory is made first, so the service's output has somewhere to go.
    let mkdir = match log.rsplit_once('/') {
        Some((dir, _)) if !dir.is_empty() && log != "/dev/null" => format!("mkdir -p {} && ", quote(dir)),
        _ => String::new(),
    };
    // The pid is left under the intent's id, so a killed apply's service is adopted, not
    // started twice.
    let keep = if intent.is_empty() {
        String::new()
    } else {
        format!("d={}; mkdir -p \"$d\"; echo $! > \"$d\"/{}.service; ", crate::command::INTENTS, quote(intent))
    };
    // Only setsid goes to the background, so $! is the service itself (its session and
    // process group leader), and a failing `cd` fails the script instead of the service.
    let script = format!(
        "{mkdir}{}{{ setsid sh -c {} > {} 2>&1 < /dev/null & {keep}echo $!; }}",
        prelude(get_str(planned, "working_dir").as_deref(), &get(planned, "environment")),
        quote(&format!("exec {command}")),
        quote(&log)
    );
    port_free(&t, planned).await?;
    let out = t.run(&script, None).await?;
    let pid: u32 = out
        .stdout
        .trim()
        .parse()
        .map_err(|_| ProviderError::new(format!("starting `{command}` on {} gave no process id", t.describe())))?;
    let mut obj = planned.as_map().cloned().unwrap_or_default();
    obj.insert("id".into(), Value::String(pid.to_string()));
    obj.insert("pid".into(), Value::Number(Number::from_i64(i64::from(pid))));
    if let Err(e) = wait_ready(&t, planned, pid).await {
        let _ = stop(&t, pid).await;
        return Err(e);
    }
    Ok(Value::Object(obj.into()))
}

/// The host and port a service answers on once ready, if it has one.
fn ready_address(t: &Transport, planned: &Value) -> Result<Option<(String, u16)>, ProviderError> {
    let Some(port) = planned.get_attr("ready_port").and_then(Value::as_number).and_then(Number::to_i64) else {
        return Ok(None);
    };
    let port = u16::try_from(port).map_err(|_| ProviderError::new(format!("ready_port {port} is not a TCP port")))?;
    // The connection's host is where the service listens, even for local hosts on
    // other loopback addresses.
    let host =
        get(planned, "connection").get_attr("host").and_then(Value::as_str).map_or_else(|| t.address(), str::to_string);
    Ok(Some((host, port)))
}

/// Refuses to start a service whose ready port something else already answers on: it
/// could not bind there, and the other process would pass for it being ready.
async fn port_free(t: &Transport, planned: &Value) -> Result<(), ProviderError> {
    let Some((host, port)) = ready_address(t, planned)? else { return Ok(()) };
    if tokio::net::TcpStream::connect((host.as_str(), port)).await.is_err() {
        return Ok(());
    }
    let holder = t
        .run(&format!("ss -Hltnp 'sport = :{port}' 2>/dev/null | head -3 || true"), None)
        .await
        .map(|o| o.stdout.trim().to_string())
        .unwrap_or_default();
    Err(ProviderError::new(format!(
        "{host}:{port} is already in use on {}, so the service was not started{}",
        t.describe(),
        if holder.is_empty() { String::new() } else { format!("; listening there:\n{holder}") }
    )))
}

async fn wait_ready(t: &Transport, planned: &Value, pid: u32) -> Result<(), ProviderError> {
    let timeout = planned.get_attr("ready_timeout").and_then(Value::as_number).map_or(60.0, Number::to_f64);
    let deadline = Instant::now() + Duration::from_secs_f64(timeout.max(0.0));
    wait_port(t, planned, pid, timeout, deadline).await?;
    let Some(check) = get_str(planned, "ready_command") else { return Ok(()) };
    loop {
        // One run of the check may not outlast the deadline: a client that retries for
        // minutes (a YARN or HDFS command whose master is gone) is stopped at it.
        let left = deadline.saturating_duration_since(Instant::now()).as_secs().max(1);
        let bounded = format!(
            "if command -v timeout > /dev/null 2>&1; then exec timeout -k 5 {left} sh -c {q}; else exec sh -c {q}; fi",
            q = quote(&check)
        );
        let out = match tokio::time::timeout(Duration::from_secs(left + 15), t.run(&bounded, None)).await {
            Ok(out) => out,
            Err(_) => Err(ProviderError::new(format!("the ready_command did not finish within {left}s"))),
        };
        if out.is_ok() {
            return Ok(());
        }
        if !alive(t, pid).await? {
            return Err(ProviderError::new(format!(
                "the service on {} exited before its ready_command succeeded{}",
                t.describe(),
                log_tail(t, planned).await
            )));
        }
        if Instant::now() >= deadline {
            let said = out.err().map(|e| e.message).unwrap_or_default();
            return Err(ProviderError::new(format!(
                "the service on {} started, but its ready_command did not succeed within {timeout}s, so it was stopped: {said}",
                t.describe()
            )));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Waits for the service's ready port to accept connections, while it runs.
async fn wait_port(
    t: &Transport,
    planned: &Value,
    pid: u32,
    timeout: f64,
    deadline: Instant,
) -> Result<(), ProviderError> {
    let Some((host, port)) = ready_address(t, planned)? else { return Ok(()) };
    loop {
        if tokio::net::TcpStream::connect((host.as_str(), port)).await.is_ok() {
            return Ok(());
        }
        if !alive(t, pid).await? {
            return Err(ProviderError::new(format!(
                "the service on {} exited before {host}:{port} accepted connections{}",
                t.describe(),
                log_tail(t, planned).await
            )));
        }
        if Instant::now() >= deadline {
            return Err(ProviderError::new(format!("{host}:{port} did not accept connections within {timeout}s")));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The last lines of the service's log file, to say why it ended ("" when it has none).
async fn log_tail(t: &Transport, planned: &Value) -> String {
    let Some(log) = get_str(planned, "log_file").filter(|l| l != "/dev/null") else { return String::new() };
    match t.run(&format!("tail -n 15 {} 2>/dev/null || true", quote(&log)), None).await {
        Ok(out) if !out.stdout.trim().is_empty() => format!("; the end of {log}:\n{}", out.stdout.trim_end()),
        _ => String::new(),
    }
}

/// TERM to the process group, up to 10 s to go, then KILL.
async fn stop(t: &Transport, pid: u32) -> Result<(), ProviderError> {
    let script = format!(
        // The process group, and the process itself for one that leads none (an imported one).
        "env kill -s TERM -- -{pid} 2>/dev/null; env kill -s TERM {pid} 2>/dev/null; i=0; while [ $i -lt 100 ] && {alive}; do sleep 0.1; i=$((i+1)); done; env kill -s KILL -- -{pid} 2>/dev/null; env kill -s KILL {pid} 2>/dev/null; true",
        alive = alive_test(pid)
    );
    t.run(&script, None).await.map(|_| ())
}

/// A running service by its process id; refresh then checks that it is alive.
pub fn import(id: &str, config: Value) -> Result<Value, ProviderError> {
    let pid: i64 = id.trim().parse().map_err(|_| {
        ProviderError::new(format!("a host_service is imported by its process id, and {id:?} is not one"))
    })?;
    let mut obj = config.as_map().cloned().unwrap_or_default();
    obj.insert("id".into(), Value::String(pid.to_string()));
    obj.insert("pid".into(), Value::Number(Number::from(pid)));
    Ok(Value::Object(obj.into()))
}

pub async fn read(state: &Value) -> Result<Option<Value>, ProviderError> {
    let Some(pid) = pid_of(state) else { return Ok(None) };
    Ok(if alive(&transport(state)?, pid).await? { Some(state.clone()) } else { None })
}

pub async fn delete(prior: Option<&Value>) -> Result<Value, ProviderError> {
    if let Some(p) = prior
        && let Some(pid) = pid_of(p)
    {
        stop(&transport(p)?, pid).await?;
    }
    Ok(Value::Null)
}
