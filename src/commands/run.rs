//! `plan`, `apply` and `destroy`: a run set up from the working directory, planned, shown and applied.

use std::io::{BufRead, IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use meshform_engine::addrs::{ResourceInstanceAddr, Target};
use meshform_engine::diag::{Diagnostic, Diagnostics};
use meshform_engine::graph::Graph;
use meshform_engine::plan::{Plan, PlanMode, PlanOptions};
use meshform_engine::state::State;
use meshform_engine::walk::RunContext;

use crate::args::{ApplyArgs, PlanArgs, PlanFlags};
use crate::backend;
use crate::render::{self, Style};
use crate::workdir::{self, Workdir};
use crate::{Outcome, print_diagnostics};

use super::{Res, confirm, parse_duration, watch_interrupts};

/// Loads everything a plan needs.
pub(super) async fn prepare(
    wd: &Workdir,
    flags: &PlanFlags,
    interrupted: Arc<AtomicBool>,
) -> Res<(Arc<RunContext>, Diagnostics)> {
    let (config, mut warnings) = wd.load_config()?;
    let graph = Graph::build(&config)?;
    let (mut vars, w) = wd.variables(&config, &flags.vars)?;
    warnings.extend(w);
    if flags.input && std::io::stdin().is_terminal() {
        prompt_missing_variables(&config, &mut vars)?;
    }
    let ctx = workdir::run_context(wd, config, graph, vars, flags.parallelism.max(1), interrupted).await?;
    Ok((Arc::new(ctx), warnings))
}

/// Asks on the terminal for root variables that have no value and no default, as
/// Terraform does unless `-input=false`.
fn prompt_missing_variables(
    config: &meshform_engine::config::Module,
    vars: &mut std::collections::BTreeMap<String, meshform_engine::walk::RawVariable>,
) -> Res<()> {
    for (name, v) in &config.variables {
        if v.default.is_some() || vars.contains_key(name) {
            continue;
        }
        println!("var.{name}");
        if let Some(d) = &v.description {
            println!("  {d}");
        }
        print!("\n  Enter a value: ");
        let _ = std::io::stdout().flush();
        let mut answer = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut answer)
            .map_err(|e| Diagnostic::error(format!("Cannot read the value of var.{name}: {e}")))?;
        println!();
        vars.insert(
            name.clone(),
            meshform_engine::walk::RawVariable::Literal {
                text: answer.trim_end_matches(['\n', '\r']).to_string(),
                origin: "the terminal".into(),
            },
        );
    }
    Ok(())
}

fn plan_options(flags: &PlanFlags, destroy: bool) -> Res<PlanOptions> {
    let targets: Vec<Target> = crate::planfile::parse_all(&flags.targets)?;
    let replace: Vec<ResourceInstanceAddr> = crate::planfile::parse_all(&flags.replace)?;
    let mode = if destroy {
        PlanMode::Destroy
    } else if flags.refresh_only {
        PlanMode::RefreshOnly
    } else {
        PlanMode::Normal
    };
    Ok(PlanOptions { mode, targets, replace, refresh: flags.refresh })
}

pub(super) async fn plan(wd: &Workdir, a: PlanArgs, style: Style) -> Res<Outcome> {
    let backend = backend::open(wd).await?;
    let timeout = parse_duration(&a.flags.lock_timeout)?;
    let (ctx, warnings) = prepare(wd, &a.flags, watch_interrupts()).await?;
    print_diagnostics(&warnings, &wd.sources);
    let lock = if a.flags.lock { Some(backend::lock(&backend, "plan", timeout).await?) } else { None };
    let (state, w) =
        if lock.is_some() { backend.load_for_update(&ctx.providers).await? } else { backend.load().await? };
    print_diagnostics(&w, &wd.sources);
    let opts = plan_options(&a.flags, a.destroy)?;
    let p = meshform_engine::plan::plan(ctx.clone(), &state, opts).await?;
    if crate::events::enabled() {
        crate::events::plan(&p, Some("plan"));
    } else {
        render::print_plan(&p, &style, a.summary);
    }
    print_diagnostics(&p.warnings, &wd.sources);
    if let Some(out) = &a.out {
        crate::planfile::save(out, wd, &ctx, &p, &a.flags, a.destroy)?;
        if crate::events::enabled() {
            crate::events::log(&format!("Saved the plan to: {}", out.display()));
        } else {
            println!(
                "\nSaved the plan to: {}\n\nTo perform exactly these actions, run:\n    meshform apply {}",
                out.display(),
                out.display()
            );
        }
    }
    if let Some(l) = lock {
        l.release().await;
    }
    Ok(if a.detailed_exitcode && p.has_changes() { Outcome::Changes } else { Outcome::Ok })
}

pub(super) async fn apply(wd: &Workdir, a: ApplyArgs, style: Style, destroy: bool) -> Res<Outcome> {
    let backend = backend::open(wd).await?;
    let timeout = parse_duration(&a.flags.lock_timeout)?;
    let interrupted = watch_interrupts();
    let reloaded = match &a.plan_file {
        Some(file) if !destroy => Some(crate::planfile::load_context(file, wd, interrupted.clone()).await?),
        _ => None,
    };
    let ctx = match &reloaded {
        Some(r) => r.ctx.clone(),
        None => {
            let (ctx, warnings) = prepare(wd, &a.flags, interrupted).await?;
            print_diagnostics(&warnings, &wd.sources);
            ctx
        }
    };
    let lock = if a.flags.lock {
        Some(backend::lock(&backend, if destroy { "destroy" } else { "apply" }, timeout).await?)
    } else {
        None
    };
    let (state, w) =
        if lock.is_some() { backend.load_for_update(&ctx.providers).await? } else { backend.load().await? };
    print_diagnostics(&w, &wd.sources);
    let (p, from_file) = match &reloaded {
        Some(r) => (r.replan(&state).await?, true),
        None => (meshform_engine::plan::plan(ctx.clone(), &state, plan_options(&a.flags, destroy)?).await?, false),
    };
    let json = crate::events::enabled();
    if json && !from_file && !a.auto_approve {
        return Err(Diagnostic::error("Plan approval is needed")
            .with_detail("-json output cannot ask for approval: give -auto-approve, or apply a saved plan.")
            .into());
    }
    if !from_file {
        if json {
            crate::events::plan(&p, None);
        } else {
            render::print_plan(&p, &style, a.summary);
        }
        print_diagnostics(&p.warnings, &wd.sources);
        if !p.has_changes() {
            return finish_without_changes(&state, &p, &style);
        }
        if !a.auto_approve {
            if !a.flags.input {
                return Err(Diagnostic::error("No confirmation")
                    .with_detail("-input=false was given without -auto-approve, so the changes cannot be approved.")
                    .into());
            }
            if !confirm(destroy)? {
                eprintln!("Apply cancelled.");
                return Err(Diagnostics::new());
            }
        }
    }
    let recorder = backend.recorder(&state).await?;
    let mode = p.mode;
    let operations = p.changes.iter().filter(|c| c.action != meshform_engine::plan::Action::NoOp).count();
    let progress = Arc::new(crate::progress::ProgressPrinter::start(operations));
    let outcome = meshform_engine::apply::apply(ctx, p, recorder, progress.clone()).await;
    drop(progress);
    let mut new_state = outcome.state;
    new_state.serial = state.serial + 1;
    new_state.lineage = state.lineage.clone();
    backend.persist(&new_state).await?;
    if let Some(l) = lock {
        l.release().await;
    }
    let c = outcome.counts;
    if outcome.diagnostics.has_errors() {
        return Err(summarize_interruption(outcome.diagnostics, c));
    }
    print_diagnostics(&outcome.diagnostics, &wd.sources);
    let verb = if mode == PlanMode::Destroy { "Destroy" } else { "Apply" };
    if json {
        crate::events::summary(
            if mode == PlanMode::Destroy { "destroy" } else { "apply" },
            c.added,
            c.changed,
            c.destroyed,
        );
    } else if mode == PlanMode::Destroy {
        println!("\n{} Resources: {} destroyed.", style.bold(&format!("{verb} complete!")), c.destroyed);
    } else {
        let imported = if c.imported > 0 { format!("{} imported, ", c.imported) } else { String::new() };
        println!(
            "\n{} Resources: {imported}{} added, {} changed, {} destroyed.",
            style.bold(&format!("{verb} complete!")),
            c.added,
            c.changed,
            c.destroyed
        );
    }
    print_outputs(&new_state);
    Ok(Outcome::Ok)
}

/// One diagnostic for all the operations an interrupt kept from starting, instead of
/// one per operation.
fn summarize_interruption(diags: Diagnostics, c: meshform_engine::apply::ApplyCounts) -> Diagnostics {
    let (skipped, mut rest): (Vec<_>, Vec<_>) = diags.0.into_iter().partition(|d| d.summary == "Apply interrupted");
    if !skipped.is_empty() {
        rest.push(Diagnostic::error("Apply interrupted").with_detail(format!(
            "{} operation(s) were not started. What finished is recorded in the state ({} added, {} changed, {} destroyed); run apply again to finish.",
            skipped.len(),
            c.added,
            c.changed,
            c.destroyed
        )));
    }
    Diagnostics(rest)
}

/// Nothing to change: say so as Terraform does and show the recorded outputs.
fn finish_without_changes(state: &State, p: &Plan, style: &Style) -> Res<Outcome> {
    let verb = if p.mode == PlanMode::Destroy { "Destroy" } else { "Apply" };
    if crate::events::enabled() {
        crate::events::summary(if p.mode == PlanMode::Destroy { "destroy" } else { "apply" }, 0, 0, 0);
        print_outputs(state);
        return Ok(Outcome::Ok);
    }
    println!("\n{} Resources: 0 added, 0 changed, 0 destroyed.", style.bold(&format!("{verb} complete!")));
    print_outputs(state);
    Ok(Outcome::Ok)
}

pub(super) fn print_outputs(state: &State) {
    if crate::events::enabled() {
        let outputs: serde_json::Map<String, serde_json::Value> = state
            .outputs
            .iter()
            .map(|(name, o)| {
                let mut doc = serde_json::json!({"sensitive": o.sensitive});
                if !o.sensitive {
                    doc["value"] = o.value.clone().unmark_deep().0.to_json();
                }
                (name.clone(), doc)
            })
            .collect();
        crate::events::emit(
            "info",
            &format!("Outputs: {}", outputs.len()),
            "outputs",
            serde_json::json!({"outputs": outputs}),
        );
        return;
    }
    if state.outputs.is_empty() {
        return;
    }
    println!("\nOutputs:\n");
    for (name, o) in &state.outputs {
        if o.sensitive {
            println!("{name} = <sensitive>");
        } else {
            println!("{name} = {}", render::output_value(&o.value));
        }
    }
}
