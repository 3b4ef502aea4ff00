//! What the state records: `output`, `show`, `state`, `import`, `force-unlock` and `workspace`.

use std::time::Duration;

use meshform_engine::addrs::{ResourceInstanceAddr, Target};
use meshform_engine::diag::Diagnostic;
use meshform_engine::eval::types::type_json;
use meshform_engine::state::State;

use crate::args::{OutputArgs, ShowArgs, StateCommand};
use crate::backend;
use crate::render::{self};
use crate::workdir::Workdir;
use crate::{Outcome, print_diagnostics};

use super::inspect::instance_value;
use super::run::{prepare, print_outputs};
use super::{Res, parse_duration, parse_targets, watch_interrupts};

pub(super) async fn output(wd: &Workdir, a: &OutputArgs) -> Res<Outcome> {
    let backend = backend::open(wd).await?;
    let (state, w) = backend.load().await?;
    print_diagnostics(&w, &wd.sources);
    if let Some(name) = &a.name {
        let Some(o) = state.outputs.get(name) else {
            return Err(Diagnostic::error(format!("Output \"{name}\" not found"))
                .with_detail("The output variable requested could not be found in the state file. If you recently added this to your configuration, be sure to run `meshform apply`.")
                .into());
        };
        if a.json {
            println!("{}", serde_json::to_string(&o.value.to_json()).unwrap_or_default());
        } else if a.raw {
            match o.value.peel() {
                meshform_engine::eval::Value::String(s) => print!("{s}"),
                meshform_engine::eval::Value::Number(n) => print!("{n}"),
                meshform_engine::eval::Value::Bool(b) => print!("{b}"),
                _ => {
                    return Err(Diagnostic::error("Unsupported value for raw output")
                        .with_detail("The -raw option only supports strings, numbers, and boolean values.")
                        .into());
                }
            }
        } else {
            println!("{}", render::output_value(&o.value));
        }
        return Ok(Outcome::Ok);
    }
    if a.json {
        let doc: serde_json::Map<String, serde_json::Value> = state
            .outputs
            .iter()
            .map(|(k, o)| {
                (
                    k.clone(),
                    serde_json::json!({"sensitive": o.sensitive, "type": output_type(o), "value": o.value.to_json()}),
                )
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
        return Ok(Outcome::Ok);
    }
    if state.outputs.is_empty() {
        eprintln!(
            "Warning: No outputs found\n\nThe state file either has no outputs defined, or all the defined outputs are empty."
        );
    }
    for (name, o) in &state.outputs {
        if o.sensitive {
            println!("{name} = <sensitive>");
        } else {
            println!("{name} = {}", render::output_value(&o.value));
        }
    }
    Ok(Outcome::Ok)
}

pub(super) async fn show(wd: &Workdir, a: &ShowArgs) -> Res<Outcome> {
    if a.markdown && a.file.is_none() {
        return Err(Diagnostic::error("-markdown shows a saved plan")
            .with_help("save one with `meshform plan -out=plan.bin`, then `meshform show -markdown plan.bin`")
            .into());
    }
    if let Some(file) = &a.file {
        use crate::planfile::PlanView;
        let view = match (a.json, a.markdown) {
            (true, _) => PlanView::Json,
            (_, true) => PlanView::Markdown,
            _ => PlanView::Text,
        };
        print!("{}", crate::planfile::show(file, view)?);
        return Ok(Outcome::Ok);
    }
    let backend = backend::open(wd).await?;
    let (state, w) = backend.load().await?;
    print_diagnostics(&w, &wd.sources);
    if a.json {
        println!("{}", serde_json::to_string_pretty(&state_json(&state)).unwrap_or_default());
        return Ok(Outcome::Ok);
    }
    print_state(&state);
    Ok(Outcome::Ok)
}

/// An output's type JSON, with the types of the nulls in it.
fn output_type(o: &meshform_engine::state::OutputState) -> serde_json::Value {
    match &o.null_types {
        Some(source) => meshform_engine::nulltypes::patch(type_json(&o.value), &o.value, source),
        None => type_json(&o.value),
    }
}

/// The state as `show` prints it: every instance, then the outputs.
pub(super) fn print_state(state: &State) {
    if state.resources.is_empty() && state.outputs.is_empty() {
        println!("The state file is empty. No resources are represented.");
        return;
    }
    for (addr, inst) in &state.resources {
        print_instance(addr, inst);
        println!();
    }
    print_outputs(state);
}

/// One recorded instance, sensitive values redacted.
fn print_instance(addr: &ResourceInstanceAddr, inst: &meshform_engine::state::ResourceInstanceState) {
    println!("# {addr}:");
    println!(
        "resource {:?} {:?} {}",
        addr.resource.type_name,
        addr.resource.name,
        render::output_value(&redact(&inst.value))
    );
}

fn redact(v: &meshform_engine::eval::Value) -> meshform_engine::eval::Value {
    use meshform_engine::eval::Value;
    match v {
        Value::Sensitive(_) => Value::String("(sensitive value)".into()),
        Value::Object(m) => Value::object(m.iter().map(|(k, x)| (k.clone(), redact(x)))),
        Value::Map(m) => Value::map(m.iter().map(|(k, x)| (k.clone(), redact(x)))),
        Value::List(xs) => Value::List(xs.iter().map(redact).collect()),
        Value::Tuple(xs) => Value::Tuple(xs.iter().map(redact).collect()),
        Value::Set(xs) => Value::Set(xs.iter().map(redact).collect()),
        other => other.clone(),
    }
}

/// The state in the shape of `terraform show -json`'s `values`.
fn state_json(state: &State) -> serde_json::Value {
    let resources: Vec<serde_json::Value> = state
        .resources
        .iter()
        .map(|(addr, inst)| {
            serde_json::json!({
                "address": addr.to_string(),
                "mode": if addr.resource.mode == meshform_engine::addrs::ResourceMode::Data { "data" } else { "managed" },
                "type": addr.resource.type_name,
                "name": addr.resource.name,
                "index": match &addr.key { meshform_engine::addrs::InstanceKey::None => serde_json::Value::Null, k => k.to_value().to_json() },
                "provider_name": inst.provider,
                "values": inst.value.to_json(),
            })
        })
        .collect();
    let outputs: serde_json::Map<String, serde_json::Value> = state
        .outputs
        .iter()
        .map(|(k, o)| {
            (
                k.clone(),
                serde_json::json!({"sensitive": o.sensitive, "value": o.value.to_json(), "type": output_type(o)}),
            )
        })
        .collect();
    serde_json::json!({
        "format_version": "1.0",
        "values": {"outputs": outputs, "root_module": {"resources": resources}},
    })
}

pub(super) async fn state(wd: &Workdir, cmd: StateCommand) -> Res<Outcome> {
    let backend = backend::open(wd).await?;
    match cmd {
        StateCommand::List { filters } => {
            let (state, w) = backend.load().await?;
            print_diagnostics(&w, &wd.sources);
            let targets: Vec<Target> = filters.iter().filter_map(|f| f.parse().ok()).collect();
            for addr in state.resources.keys() {
                if targets.is_empty() || targets.iter().any(|t| t.selects(addr)) {
                    println!("{addr}");
                }
            }
            Ok(Outcome::Ok)
        }
        StateCommand::Show { address } => {
            let (state, w) = backend.load().await?;
            print_diagnostics(&w, &wd.sources);
            let addr: ResourceInstanceAddr = address.parse().map_err(|e: meshform_engine::addrs::AddrParseError| {
                Diagnostic::error("Invalid address").with_detail(e.to_string())
            })?;
            let Some(inst) = state.resources.get(&addr) else {
                return Err(Diagnostic::error(format!("No instance found for the given address: {address}")).into());
            };
            print_instance(&addr, inst);
            Ok(Outcome::Ok)
        }
        StateCommand::Rm { addresses } => {
            let _lock = backend::lock(&backend, "state rm", Duration::ZERO).await?;
            let (mut state, _) = backend::load_for_update(&backend).await?;
            let targets = parse_targets(&addresses)?;
            let before = state.resources.len();
            let removed: Vec<ResourceInstanceAddr> =
                state.resources.keys().filter(|a| targets.iter().any(|t| t.selects(a))).cloned().collect();
            if removed.is_empty() {
                return Err(Diagnostic::error("Invalid target address")
                    .with_detail(format!("No matching objects found for {}.", addresses.join(", ")))
                    .into());
            }
            for a in &removed {
                state.resources.remove(a);
                println!("Removed {a}");
            }
            state.serial += 1;
            backend.persist(&state).await?;
            println!("Successfully removed {} resource instance(s).", before - state.resources.len());
            Ok(Outcome::Ok)
        }
        StateCommand::Mv { source, destination } => {
            let _lock = backend::lock(&backend, "state mv", Duration::ZERO).await?;
            let (mut state, _) = backend::load_for_update(&backend).await?;
            let parse = |s: &str| -> Res<ResourceInstanceAddr> {
                s.parse().map_err(|e: meshform_engine::addrs::AddrParseError| {
                    Diagnostic::error("Invalid address").with_detail(e.to_string()).into()
                })
            };
            let (from, to) = (parse(&source)?, parse(&destination)?);
            if state.resources.contains_key(&to) {
                return Err(Diagnostic::error("Invalid target address")
                    .with_detail(format!("Cannot move to {to}: there is already a resource instance at that address."))
                    .into());
            }
            let Some(inst) = state.resources.remove(&from) else {
                return Err(Diagnostic::error("Invalid source address")
                    .with_detail(format!("Cannot move {from}: it does not exist in the state."))
                    .into());
            };
            if from.resource.type_name != to.resource.type_name {
                return Err(Diagnostic::error("Invalid state move")
                    .with_detail("A resource can only move to an address of the same resource type.")
                    .into());
            }
            state.resources.insert(to.clone(), inst);
            state.serial += 1;
            backend.persist(&state).await?;
            println!("Move \"{from}\" to \"{to}\"\nSuccessfully moved 1 object(s).");
            Ok(Outcome::Ok)
        }
    }
}

/// Reads an existing object through its provider and records it at an address the
/// configuration declares, as `terraform import` does.
pub(super) async fn import(wd: &Workdir, a: &crate::args::ImportArgs) -> Res<Outcome> {
    let addr: ResourceInstanceAddr = a.address.parse().map_err(|e: meshform_engine::addrs::AddrParseError| {
        Diagnostic::error("Invalid address").with_detail(e.to_string())
    })?;
    let (ctx, warnings) = prepare(wd, &a.flags, watch_interrupts()).await?;
    print_diagnostics(&warnings, &wd.sources);
    let path: Vec<String> = addr.module.names().into_iter().map(str::to_string).collect();
    let res = ctx
        .module(&path)
        .and_then(|m| m.resources.get(&addr.resource))
        .filter(|r| r.addr.mode == meshform_engine::addrs::ResourceMode::Managed)
        .ok_or_else(|| {
            Diagnostic::error("Configuration for import target does not exist").with_detail(format!(
                "The configuration for the given import target {addr} does not exist. All target instances must have an associated configuration to be imported."
            ))
        })?;
    let (provider_key, provider) = ctx.provider_for(&path, res)?;
    let backend = backend::open(wd).await?;
    let lock = backend::lock(&backend, "import", parse_duration(&a.flags.lock_timeout)?).await?;
    let (mut state, w) = backend.load_for_update(&ctx.providers).await?;
    print_diagnostics(&w, &wd.sources);
    if state.resources.contains_key(&addr) {
        return Err(Diagnostic::error("Resource already managed by meshform")
            .with_detail(format!(
                "meshform is already managing a remote object for {addr}. To import to this address you must first remove the existing object from the state."
            ))
            .into());
    }
    println!("{addr}: Importing from ID \"{}\"...", a.id);
    // What the configuration says of the object, for providers that need it to find it.
    let config = match meshform_engine::plan::evaluate(ctx.clone(), &state).await {
        Ok(values) => instance_value(&values, &addr),
        Err(_) => meshform_engine::eval::Value::Null,
    };
    let value = provider.import(&addr.resource.type_name, &a.id, &config).await.map_err(|e| {
        let mut d = Diagnostic::error("Import failed").with_detail(e.message).with_address(addr.to_string());
        if let Some(code) = e.code {
            d = d.with_help(format!("the provider reported {code}"));
        }
        d
    })?;
    state.resources.insert(
        addr.clone(),
        meshform_engine::state::ResourceInstanceState {
            provider: provider_key,
            value,
            dependencies: Vec::new(),
            create_before_destroy: false,
        },
    );
    state.serial += 1;
    backend.persist(&state).await?;
    lock.release().await;
    println!("{addr}: Import prepared!\n\nImport successful!\n");
    println!("The resources that were imported are shown above. These resources are now in");
    println!("your meshform state and will henceforth be managed by meshform.");
    Ok(Outcome::Ok)
}

pub(super) async fn force_unlock(wd: &Workdir, id: &str) -> Res<Outcome> {
    backend::open(wd).await?.force_unlock(id).await?;
    println!(
        "meshform state has been successfully unlocked!\n\nThe state has been unlocked, and meshform commands should now be able to obtain a new lock on the remote state."
    );
    Ok(Outcome::Ok)
}

/// `workspace list|show|new|select|delete`: one state per workspace, in whatever backend
/// the configuration names.
pub(super) async fn workspace(wd: &Workdir, cmd: crate::args::WorkspaceCommand) -> Res<Outcome> {
    use crate::args::WorkspaceCommand as W;
    let backend = backend::open(wd).await?;
    let check = crate::backend::check_workspace_name;
    match cmd {
        W::Show => println!("{}", backend.workspace),
        W::List => {
            for name in backend.workspaces().await? {
                let mark = if name == backend.workspace { "*" } else { " " };
                println!("{mark} {name}");
            }
        }
        W::New { name } => {
            check(&name)?;
            if backend.workspaces().await?.contains(&name) {
                return Err(Diagnostic::error(format!("Workspace {name:?} already exists")).into());
            }
            let other = backend.on_workspace(&name);
            let lock = backend::lock(&other, "workspace new", Duration::ZERO).await?;
            other.create_workspace().await?;
            lock.release().await;
            crate::workdir::select_workspace(&wd.dir, &name)?;
            println!("Created and switched to workspace {name:?}!");
        }
        W::Select { name } => {
            check(&name)?;
            if !backend.workspaces().await?.contains(&name) {
                return Err(Diagnostic::error(format!("Workspace {name:?} doesn't exist"))
                    .with_help(format!("create it with: meshform workspace new {name}"))
                    .into());
            }
            crate::workdir::select_workspace(&wd.dir, &name)?;
            println!("Switched to workspace {name:?}.");
        }
        W::Delete { name, force } => {
            check(&name)?;
            if name == "default" {
                return Err(Diagnostic::error("The default workspace cannot be deleted").into());
            }
            if name == backend.workspace {
                return Err(Diagnostic::error(format!("Workspace {name:?} is the current one"))
                    .with_help("select another workspace first")
                    .into());
            }
            if !backend.workspaces().await?.contains(&name) {
                return Err(Diagnostic::error(format!("Workspace {name:?} doesn't exist")).into());
            }
            let other = backend.on_workspace(&name);
            let lock = backend::lock(&other, "workspace delete", Duration::ZERO).await?;
            let (state, _) = backend::load_for_update(&other).await?;
            if !state.resources.is_empty() && !force {
                return Err(Diagnostic::error(format!("Workspace {name:?} is not empty"))
                    .with_detail(format!(
                        "Its state still records {} resource instance(s); deleting it would lose track of them. Destroy them first, or pass -force.",
                        state.resources.len()
                    ))
                    .into());
            }
            other.delete_workspace().await?;
            lock.release().await;
            println!("Deleted workspace {name:?}!");
        }
    }
    Ok(Outcome::Ok)
}
