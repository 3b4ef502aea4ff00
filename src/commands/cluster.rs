//! `cluster`: its subcommands, and the spec edits of `create`, `add` and `remove` planned and applied.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use meshform_engine::config::edit::HostChange;
use meshform_engine::diag::Diagnostic;

use crate::args::{ApplyArgs, PlanArgs, PlanFlags};
use crate::backend;
use crate::render::Style;
use crate::workdir::Workdir;
use crate::{Outcome, print_diagnostics};

use super::Res;
use super::run::{apply, plan, prepare};
use super::setup::install_modules;

/// Cluster commands: stop, start and kill are targeted applies; the rest act on the hosts
/// the state records.
pub(super) async fn cluster(wd: &Workdir, cmd: crate::args::ClusterCommand, style: Style) -> Res<Outcome> {
    use crate::args::ClusterCommand as C;
    let (state, w) = backend::open(wd).await?.load().await?;
    print_diagnostics(&w, &wd.sources);
    let targeted = |targets: Vec<String>, auto_approve: bool| ApplyArgs {
        flags: PlanFlags { targets, ..PlanFlags::cli_defaults() },
        auto_approve,
        summary: false,
        plan_file: None,
    };
    // A Spark cluster in Kubernetes is submitted to through its provider, configured here.
    let kube_provider = match &cmd {
        C::Submit { name, .. } => crate::cluster::kube_provider(&state, name),
        _ => None,
    };
    match cmd {
        C::Create(a) => {
            let written = vec![crate::clusterspec::create(&wd.dir, &a, &wd.sources)?];
            let result = async {
                install_modules(wd, false)?;
                plan_or_apply(wd, a.plan_only, a.auto_approve, style).await
            }
            .await;
            settle(wd, state.serial, &written, result).await
        }
        C::Add(a) => edit_cluster_hosts(wd, state.serial, &a, HostChange::Add(&a.hosts), style).await,
        C::Remove(a) => {
            crate::cluster::check_removable(&state, &a.name, &a.hosts)?;
            edit_cluster_hosts(wd, state.serial, &a, HostChange::Remove(&a.hosts), style).await
        }
        C::Stop { name, auto_approve } => {
            let services = crate::cluster::service_targets(&state, &name)?;
            if services.is_empty() {
                println!("Cluster {name} has no running services recorded.");
                return Ok(Outcome::Ok);
            }
            apply(wd, targeted(services, auto_approve), style, true).await
        }
        C::Start { name, auto_approve } => {
            // A cluster whose every resource was stopped is no longer in state: its module still is.
            let modules = crate::cluster::targets(&state, &name).unwrap_or_else(|_| vec![format!("module.{name}")]);
            apply(wd, targeted(modules, auto_approve), style, false).await
        }
        C::Kill { name, auto_approve } => {
            let modules = crate::cluster::targets(&state, &name)?;
            apply(wd, targeted(modules, auto_approve), style, true).await
        }
        C::Submit { name, job, class, args, .. } if kube_provider.is_some() => {
            let key = kube_provider.unwrap_or_default();
            let flags = PlanFlags { parallelism: 10, ..PlanFlags::default() };
            let (ctx, warnings) = prepare(wd, &flags, Arc::new(AtomicBool::new(false))).await?;
            print_diagnostics(&warnings, &wd.sources);
            let provider = ctx.providers.get(&key).cloned().ok_or_else(|| {
                Diagnostic::error(format!("The configuration has no provider {key:?} for cluster {name:?}"))
                    .with_detail("cluster submit reaches a Kubernetes cluster through the provider that made it.")
            })?;
            crate::cluster::submit_kube(&state, &name, &job, class.as_deref(), &args, provider.as_ref()).await
        }
        other => crate::cluster::run(other, &state).await,
    }
}

/// `cluster add|remove`: the host lists rewritten, then planned or applied.
async fn edit_cluster_hosts(
    wd: &Workdir,
    serial: u64,
    a: &crate::args::HostEditArgs,
    change: HostChange<'_>,
    style: Style,
) -> Res<Outcome> {
    let written = crate::clusterspec::edit_hosts(&wd.dir, &a.name, change, &wd.sources)?;
    wd.forget_config();
    let result = plan_or_apply(wd, a.plan_only, a.auto_approve, style).await;
    settle(wd, serial, &written, result).await
}

/// The plan of a spec `cluster create|add|remove` has just written, or its apply after
/// confirmation.
async fn plan_or_apply(wd: &Workdir, plan_only: bool, auto_approve: bool, style: Style) -> Res<Outcome> {
    let flags = PlanFlags::cli_defaults();
    if plan_only {
        let a = PlanArgs { flags, out: None, detailed_exitcode: false, destroy: false, summary: false };
        return plan(wd, a, style).await;
    }
    apply(wd, ApplyArgs { flags, auto_approve, summary: false, plan_file: None }, style, false).await
}

/// Keeps what `cluster create|add|remove` wrote once it was planned (-plan-only) or
/// applied; when the command failed before anything was applied (a refused plan, a "no"),
/// puts the directory back as it was.
async fn settle(
    wd: &Workdir,
    serial_before: u64,
    written: &[crate::clusterspec::Written],
    result: Res<Outcome>,
) -> Res<Outcome> {
    if result.is_ok() {
        return result;
    }
    let applied = match backend::open(wd).await {
        Ok(b) => b.load().await.map(|(s, _)| s.serial != serial_before).unwrap_or(true),
        Err(_) => true,
    };
    if !applied {
        for w in written {
            w.undo();
            eprintln!("Nothing was applied, so {} is as it was before.", w.name());
        }
    }
    result
}
