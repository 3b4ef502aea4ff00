//! `console` and `graph`: the configuration looked at, nothing changed.

use std::io::{BufRead, IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use meshform_engine::addrs::ResourceInstanceAddr;
use meshform_engine::diag::{Diagnostic, Diagnostics};
use meshform_engine::graph::Graph;
use meshform_engine::state::State;

use crate::args::PlanFlags;
use crate::backend;
use crate::render::{self};
use crate::workdir::Workdir;
use crate::{Outcome, print_diagnostics};

use super::Res;
use super::run::prepare;

/// Reads expressions from stdin and prints their values in the root module, as
/// `terraform console` does. Errors are shown and the session goes on.
pub(super) async fn console(wd: &Workdir, a: &crate::args::ConsoleArgs) -> Res<Outcome> {
    let (state, w) = backend::open(wd).await?.load().await?;
    print_diagnostics(&w, &wd.sources);
    let flags = PlanFlags { vars: a.vars.clone(), parallelism: 10, ..PlanFlags::default() };
    let (ctx, warnings) = prepare(wd, &flags, Arc::new(AtomicBool::new(false))).await?;
    print_diagnostics(&warnings, &wd.sources);
    let values = meshform_engine::plan::evaluate(ctx.clone(), &state).await?;
    let root = meshform_engine::addrs::ModuleInstance::root();
    let stdin = std::io::stdin();
    let mut line = String::new();
    let mut failed = false;
    loop {
        if stdin.is_terminal() {
            print!("> ");
            let _ = std::io::stdout().flush();
        }
        line.clear();
        if stdin.lock().read_line(&mut line).unwrap_or(0) == 0 {
            break;
        }
        let text = line.trim();
        if text.is_empty() {
            continue;
        }
        if text == "exit" {
            break;
        }
        let result = meshform_engine::config::parse_expression(&wd.sources, "<console>", text).and_then(|e| {
            check_declared(&ctx.config, &e)?;
            let s = meshform_engine::walk::scope(&ctx, &values, &ctx.config, &root, Default::default());
            meshform_engine::walk::eval_expr(&e, &s)
        });
        match result {
            Ok(v) => println!("{}", render::console_value(&v)),
            Err(d) => {
                failed = true;
                print_diagnostics(&d.into(), &wd.sources);
            }
        }
    }
    if failed && !std::io::stdin().is_terminal() { Err(Diagnostics::new()) } else { Ok(Outcome::Ok) }
}

/// Refuses references to names the root module does not declare.
fn check_declared(
    config: &meshform_engine::config::Module,
    e: &meshform_engine::config::Expr,
) -> Result<(), Diagnostic> {
    use meshform_engine::addrs::{ResourceAddr, ResourceMode};
    for r in meshform_engine::eval::expr::references(&e.expr, e.file) {
        let name = |i: usize| r.attrs.get(i).cloned().unwrap_or_default();
        let declared = match r.root.as_str() {
            "var" => config.variables.contains_key(&name(0)),
            "local" => config.locals.contains_key(&name(0)),
            "module" => config.module_calls.contains_key(&name(0)),
            "path" | "terraform" | "meshform" => true,
            "data" => config.resources.contains_key(&ResourceAddr {
                mode: ResourceMode::Data,
                type_name: name(0),
                name: name(1),
            }),
            other => config.resources.contains_key(&ResourceAddr {
                mode: ResourceMode::Managed,
                type_name: other.to_string(),
                name: name(0),
            }),
        };
        if !declared {
            return Err(Diagnostic::error("Reference to undeclared name")
                .with_detail(format!(
                    "The root module declares nothing that {} could refer to.",
                    r.root.clone() + &r.attrs.iter().map(|a| format!(".{a}")).collect::<String>()
                ))
                .with_span(r.span));
        }
    }
    Ok(())
}

pub(super) async fn graph(wd: &Workdir, a: &crate::args::GraphArgs) -> Res<Outcome> {
    let (config, _) = wd.load_config()?;
    let graph = Graph::build(&config)?;
    let dot = match a.kind.as_deref() {
        None | Some("resources") => {
            // Instances, grouped by host, where a plan or the state says what they are.
            let instances = match &a.plan {
                Some(file) => crate::planfile::drawn_instances(file)?,
                None => recorded_instances(&backend::open(wd).await?.load().await?.0),
            };
            if instances.is_empty() { graph.to_resource_dot() } else { graph.to_instance_dot(&instances) }
        }
        Some("full" | "plan" | "plan-refresh-only" | "plan-destroy" | "apply" | "validate") => graph.to_dot(),
        Some(other) => {
            return Err(Diagnostic::error(format!("Unknown graph type {other:?}"))
                .with_detail("-type is resources (the default) or full.")
                .into());
        }
    };
    let bytes = match a.format.as_str() {
        "dot" => dot.into_bytes(),
        "svg" | "png" => render_with_graphviz(&dot, &a.format)?,
        other => {
            return Err(Diagnostic::error(format!("Unknown graph format {other:?}"))
                .with_detail("-format is dot, svg or png.")
                .into());
        }
    };
    match &a.out {
        Some(path) => std::fs::write(path, &bytes)
            .map_err(|e| Diagnostic::error(format!("cannot write {}: {e}", path.display())))?,
        None => std::io::stdout()
            .write_all(&bytes)
            .map_err(|e| Diagnostic::error(format!("cannot write the graph: {e}")))?,
    }
    Ok(Outcome::Ok)
}

/// The state's resource instances, each with the host its connection reaches.
fn recorded_instances(state: &State) -> Vec<meshform_engine::graph::DrawnInstance> {
    state
        .resources
        .iter()
        .map(|(addr, inst)| meshform_engine::graph::DrawnInstance {
            addr: addr.clone(),
            host: inst
                .value
                .get_attr("connection")
                .and_then(|c| c.get_attr("host"))
                .and_then(|h| h.as_str())
                .map(str::to_string),
            action: None,
        })
        .collect()
}

/// DOT rendered by Graphviz's `dot` as svg or png.
fn render_with_graphviz(dot: &str, format: &str) -> Res<Vec<u8>> {
    let mut child = std::process::Command::new("dot")
        .arg(format!("-T{format}"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| {
            Diagnostic::error(format!("Cannot render {format}: Graphviz's dot is not available ({e})"))
                .with_help("install Graphviz (apt-get install graphviz), or use -format=dot and render it elsewhere")
        })?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(dot.as_bytes()).map_err(|e| Diagnostic::error(format!("cannot feed dot: {e}")))?;
    }
    let out = child.wait_with_output().map_err(|e| Diagnostic::error(format!("dot failed: {e}")))?;
    if !out.status.success() {
        return Err(Diagnostic::error("Graphviz's dot failed")
            .with_detail(String::from_utf8_lossy(&out.stderr).trim().to_string())
            .into());
    }
    Ok(out.stdout)
}

/// One instance's value among a walk's values (null when the walk has none).
pub(super) fn instance_value(
    values: &meshform_engine::walk::Values,
    addr: &ResourceInstanceAddr,
) -> meshform_engine::eval::Value {
    use meshform_engine::addrs::{AbsResource, InstanceKey};
    use meshform_engine::eval::Value;
    let abs = AbsResource { module: addr.module.clone(), resource: addr.resource.clone() };
    let Some(v) = values.resources.get(&abs) else { return Value::Null };
    let found = match &addr.key {
        InstanceKey::None => Some(v.clone()),
        InstanceKey::Int(i) => v.as_seq().and_then(|s| usize::try_from(*i).ok().and_then(|i| s.get(i))).cloned(),
        InstanceKey::Str(k) => v.get_attr(k).cloned(),
    };
    found.unwrap_or(Value::Null)
}
