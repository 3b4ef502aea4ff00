//! `check` blocks: assertions about the whole configuration that warn and never stop a
//! run, as in Terraform. Plan runs them against planned values (an assertion that cannot
//! be known yet says so), apply runs them again once everything is made. A check's scoped
//! data source is read first; if it cannot be read, that too is only a warning, and the
//! check's assertions are not run.

use std::sync::RwLock;

use crate::addrs::{AbsResource, ModuleInstance};
use crate::config::Check;
use crate::diag::{Diagnostic, Diagnostics};
use crate::eval::Value;
use crate::graph::Node;
use crate::walk::{self, InstanceNames, RunContext, Values};

/// Runs the check named `name` of `node`'s module in each of its instances. Failed
/// assertions come back as warnings; a condition that cannot be evaluated is an error.
pub async fn run(ctx: &RunContext, values: &RwLock<Values>, node: &Node, name: &str) -> Diagnostics {
    let mut out = Diagnostics::new();
    let Some(module) = ctx.module(&node.module) else { return out };
    let Some(check) = module.checks.get(name) else { return out };
    let instances = walk::read(values).modules.get(&node.module).cloned().unwrap_or_default();
    for inst in &instances {
        if let Some(problem) = read_scoped_data(ctx, values, node, module, check, inst).await {
            out.extend(problem);
            continue;
        }
        let guard = walk::read(values);
        let s = walk::scope(ctx, &guard, module, inst, InstanceNames::default());
        for a in &check.asserts {
            let condition = match walk::eval_expr(&a.condition, &s) {
                Ok(v) => v.unmark_deep().0,
                Err(d) => {
                    out.push(d);
                    continue;
                }
            };
            match condition {
                Value::Bool(true) => {}
                Value::Unknown => out.push(
                    Diagnostic::warning("Check block assertion known after apply")
                        .with_detail("The condition could not be evaluated at this time, a result will be known when this plan is applied.")
                        .with_span(a.condition.span())
                        .with_label(format!("in check \"{name}\"")),
                ),
                Value::Bool(false) => {
                    let message = match walk::eval_expr(&a.error_message, &s).map(|v| v.unmark_deep().0) {
                        Ok(Value::String(m)) => m,
                        _ => "This check failed, but has an invalid error message as described in the other accompanying messages.".into(),
                    };
                    out.push(
                        Diagnostic::warning("Check block assertion failed")
                            .with_detail(message)
                            .with_span(a.condition.span())
                            .with_label(format!("in check \"{name}\"")),
                    );
                }
                Value::Null => out.push(
                    Diagnostic::error("Invalid condition result")
                        .with_detail("Condition expression must return either true or false, not null.")
                        .with_span(a.condition.span()),
                ),
                other => out.push(
                    Diagnostic::error("Invalid condition result")
                        .with_detail(format!("Invalid condition result value: {}.", crate::eval::types::type_of(&other).friendly_name()))
                        .with_span(a.condition.span()),
                ),
            }
        }
    }
    out
}

/// Reads a check's own data source into the values its assertions see. Returns the
/// warnings to give instead of running the assertions when it could not be read.
async fn read_scoped_data(
    ctx: &RunContext,
    values: &RwLock<Values>,
    node: &Node,
    module: &crate::config::Module,
    check: &Check,
    inst: &ModuleInstance,
) -> Option<Diagnostics> {
    let data = check.data.as_ref()?;
    let abs = AbsResource { module: inst.clone(), resource: data.addr.clone() };
    let as_warnings = |d: Diagnostics| {
        Diagnostics(
            d.0.into_iter()
                .map(|mut d| {
                    d.severity = crate::diag::Severity::Warning;
                    d
                })
                .collect(),
        )
    };
    let (_, provider) = match ctx.provider_for(&node.module, data) {
        Ok(p) => p,
        Err(d) => return Some(as_warnings(d.into())),
    };
    let Some(schema) = provider.schema().data_sources.get(&data.addr.type_name) else {
        return Some(as_warnings(
            Diagnostic::error("Unsupported data source")
                .with_detail(format!("There is no data source \"{}\".", data.addr.type_name))
                .with_span(data.span)
                .into(),
        ));
    };
    let config = {
        let guard = walk::read(values);
        let s = walk::scope(ctx, &guard, module, inst, InstanceNames::default());
        walk::eval_body(&data.body, schema, &s)
    };
    let config = match config {
        Ok(c) => c.unmark_deep().0,
        Err(d) => return Some(as_warnings(d)),
    };
    let value = if config.is_wholly_known() {
        match provider.read_data(&data.addr.type_name, &config).await {
            Ok(v) => v,
            Err(e) => {
                return Some(as_warnings(
                    Diagnostic::error("Failed to read data source")
                        .with_detail(e.message)
                        .with_address(abs.to_string())
                        .with_span(data.span)
                        .into(),
                ));
            }
        }
    } else {
        Value::Unknown
    };
    walk::write(values).resources.insert(abs, value);
    None
}
