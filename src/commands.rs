//! One function per command. Each prints its own results and diagnostics and returns how
//! it ended; the engine does the work.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use meshform_engine::addrs::{ResourceInstanceAddr, Target};
use meshform_engine::config::edit::HostChange;
use meshform_engine::diag::{Diagnostic, Diagnostics};
use meshform_engine::eval::types::type_json;
use meshform_engine::graph::Graph;
use meshform_engine::plan::{Plan, PlanMode, PlanOptions};
use meshform_engine::state::State;
use meshform_engine::walk::RunContext;

use crate::args::{ApplyArgs, Command, OutputArgs, PlanArgs, PlanFlags, ShowArgs, StateCommand};
use crate::backend::Backend;
use crate::render::{self, Style};
use crate::workdir::{self, Workdir};
use crate::{Outcome, print_diagnostics};

type CmdResult = Result<Outcome, ()>;

pub async fn run(command: Command, style: Style) -> CmdResult {
    let wd = Workdir::new(PathBuf::from("."));
    let result = match command {
        Command::Init(a) => init(&wd, &a).await,
        Command::Validate(a) => validate(&wd, a.json),
        Command::Fmt(a) => fmt(&a),
        Command::Plan(a) => plan(&wd, a, style).await,
        Command::Apply(a) => apply(&wd, a, style, false).await,
        Command::Destroy(a) => apply(&wd, a, style, true).await,
        Command::Output(a) => output(&wd, &a).await,
        Command::Show(a) => show(&wd, &a).await,
        Command::State(s) => state(&wd, s).await,
        Command::Graph(a) => graph(&wd, &a).await,
        Command::Console(a) => console(&wd, &a).await,
        Command::Cluster(c) => cluster(&wd, c, style).await,
        Command::Workspace(w) => workspace(&wd, w).await,
        Command::ForceUnlock(a) => force_unlock(&wd, &a.lock_id).await,
        Command::Import(a) => import(&wd, &a).await,
        Command::Test(a) => crate::testcmd::test(&wd, a, style).await,
        Command::Version => {
            println!("meshform v{}", env!("CARGO_PKG_VERSION"));
            Ok(Outcome::Ok)
        }
    };
    result.map_err(|diags| print_diagnostics(&diags, &wd.sources))
}

type Res<T> = Result<T, Diagnostics>;

async fn init(wd: &Workdir, a: &crate::args::InitArgs) -> Res<Outcome> {
    install_modules(wd, a.upgrade)?;
    if a.backend {
        let backend = Backend::init(wd, a.migrate_state, a.reconfigure).await?;
        println!("Backend: {}.", backend.describe());
    }
    println!("\nmeshform has been successfully initialized!\n");
    println!("The configuration loads, and every provider it uses is built in. You may now run \"meshform plan\".");
    Ok(Outcome::Ok)
}

/// What `init` does first: installs the modules the configuration calls, and checks that
/// it loads and makes a graph.
fn install_modules(wd: &Workdir, upgrade: bool) -> Res<()> {
    crate::modules::ignore_runtime_dir(&wd.dir);
    let installer = std::sync::Arc::new(crate::modules::Installer::new(&wd.dir, upgrade));
    let (config, warnings) = wd.load_config_with(installer.clone()).inspect_err(|_| installer.abort())?;
    installer.finish()?;
    // What was loaded before (the backend block) may name modules that were not there.
    wd.forget_config();
    print_diagnostics(&warnings, &wd.sources);
    Graph::build(&config)?;
    Ok(())
}

fn validate(wd: &Workdir, json: bool) -> Res<Outcome> {
    let checked = wd.load_config().and_then(|(config, w)| Graph::build(&config).map(|_| w));
    if json {
        let (valid, diags) = match &checked {
            Ok(w) => (true, w.clone()),
            Err(d) => (false, d.clone()),
        };
        let doc = serde_json::json!({
            "format_version": "1.0",
            "valid": valid,
            "error_count": diags.0.iter().filter(|d| d.is_error()).count(),
            "warning_count": diags.0.iter().filter(|d| !d.is_error()).count(),
            "diagnostics": diags.0.iter().map(|d| diagnostic_json(d, wd)).collect::<Vec<_>>(),
        });
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
        return if valid { Ok(Outcome::Ok) } else { Err(Diagnostics::new()) };
    }
    let warnings = checked?;
    print_diagnostics(&warnings, &wd.sources);
    println!("Success! The configuration is valid.");
    Ok(Outcome::Ok)
}

/// A diagnostic in Terraform's JSON shape (`validate -json`).
pub fn diagnostic_json(d: &Diagnostic, wd: &Workdir) -> serde_json::Value {
    let range = d.span.and_then(|s| {
        let (file, line, column) = wd.sources.line_col(s)?;
        Some(serde_json::json!({"filename": file, "start": {"line": line, "column": column, "byte": s.start}}))
    });
    serde_json::json!({
        "severity": if d.is_error() { "error" } else { "warning" },
        "summary": d.summary,
        "detail": d.detail.clone().unwrap_or_default(),
        "address": d.address,
        "range": range,
    })
}

fn fmt(a: &crate::args::FmtArgs) -> Res<Outcome> {
    let roots = if a.paths.is_empty() { vec![PathBuf::from(".")] } else { a.paths.clone() };
    let mut files = Vec::new();
    for root in roots {
        collect_spec_files(&root, a.recursive, &mut files);
    }
    let mut differs = false;
    let mut diags = Diagnostics::new();
    let sources = meshform_engine::diag::SourceMap::new();
    for f in files {
        let text =
            std::fs::read_to_string(&f).map_err(|e| Diagnostic::error(format!("Cannot read {}: {e}", f.display())))?;
        let loader = meshform_engine::config::Loader::new(sources.clone(), ".");
        if let (_, Err(d)) = loader.parse_file(&f, text.clone()) {
            diags.push(d);
            continue;
        }
        let formatted = meshform_engine::config::format::format_source(&text);
        if formatted == text {
            continue;
        }
        differs = true;
        println!("{}", f.display());
        if a.diff {
            print_line_diff(&text, &formatted);
        }
        if !a.check {
            std::fs::write(&f, formatted)
                .map_err(|e| Diagnostic::error(format!("Cannot write {}: {e}", f.display())))?;
        }
    }
    if diags.has_errors() {
        print_diagnostics(&diags, &sources);
        return Err(Diagnostics::new());
    }
    Ok(if a.check && differs { Outcome::FmtDiffers } else { Outcome::Ok })
}

fn collect_spec_files(path: &std::path::Path, recursive: bool, out: &mut Vec<PathBuf>) {
    if path.is_file() {
        out.push(path.to_path_buf());
        return;
    }
    let Ok(entries) = std::fs::read_dir(path) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        let name = p.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        if p.is_dir() {
            if recursive && !name.starts_with('.') {
                collect_spec_files(&p, recursive, out);
            }
        } else if name.ends_with(".tf") || name.ends_with(".hcl") || name.ends_with(".tfvars") {
            out.push(p);
        }
    }
}

fn print_line_diff(old: &str, new: &str) {
    for (a, b) in old.lines().zip(new.lines()) {
        if a != b {
            println!("-{a}\n+{b}");
        }
    }
}

/// Loads everything a plan needs.
async fn prepare(wd: &Workdir, flags: &PlanFlags, interrupted: Arc<AtomicBool>) -> Res<(Arc<RunContext>, Diagnostics)> {
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

fn parse_duration(s: &str) -> Res<Duration> {
    let s = s.trim();
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(s.len()));
    let n: f64 = num.parse().map_err(|_| {
        Diagnostic::error("Invalid duration").with_detail(format!("{s:?} is not a duration like 30s or 5m."))
    })?;
    let secs = match unit {
        "" | "s" => n,
        "ms" => n / 1000.0,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => {
            return Err(Diagnostic::error("Invalid duration")
                .with_detail(format!("{s:?}: unknown unit {unit:?}"))
                .into());
        }
    };
    Ok(Duration::from_secs_f64(secs.max(0.0)))
}

/// Sets the interrupted flag on the first Ctrl-C; a second one exits at once.
pub fn watch_interrupts() -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    let f = flag.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!(
                "\nInterrupt received. Waiting for running operations to finish and recording them; no new ones start."
            );
            f.store(true, Ordering::SeqCst);
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!("Two interrupts received. Exiting immediately; the journal keeps what finished.");
                std::process::exit(1);
            }
        }
    });
    flag
}

async fn plan(wd: &Workdir, a: PlanArgs, style: Style) -> Res<Outcome> {
    let backend = Backend::open(wd).await?;
    let timeout = parse_duration(&a.flags.lock_timeout)?;
    let (ctx, warnings) = prepare(wd, &a.flags, watch_interrupts()).await?;
    print_diagnostics(&warnings, &wd.sources);
    let lock = if a.flags.lock { Some(backend.lock("plan", timeout).await?) } else { None };
    let (state, w) =
        if lock.is_some() { backend.load_for_update_with(&ctx.providers).await? } else { backend.load().await? };
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

fn confirm(destroy: bool) -> Res<bool> {
    // Like Terraform, the answer is read from stdin even when it is not a terminal.
    let stdin = std::io::stdin();
    let question = if destroy {
        "Do you really want to destroy all resources?\n  meshform will destroy all your managed infrastructure, as shown above.\n  There is no undo. Only 'yes' will be accepted to confirm."
    } else {
        "Do you want to perform these actions?\n  meshform will perform the actions described above.\n  Only 'yes' will be accepted to approve."
    };
    print!("\n{question}\n\n  Enter a value: ");
    let _ = std::io::stdout().flush();
    let mut answer = String::new();
    let read =
        stdin.lock().read_line(&mut answer).map_err(|e| Diagnostic::error(format!("Cannot read the answer: {e}")))?;
    println!();
    Ok(read > 0 && answer.trim() == "yes")
}

async fn apply(wd: &Workdir, a: ApplyArgs, style: Style, destroy: bool) -> Res<Outcome> {
    let backend = Backend::open(wd).await?;
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
    let lock =
        if a.flags.lock { Some(backend.lock(if destroy { "destroy" } else { "apply" }, timeout).await?) } else { None };
    let (state, w) =
        if lock.is_some() { backend.load_for_update_with(&ctx.providers).await? } else { backend.load().await? };
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

fn print_outputs(state: &State) {
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

async fn output(wd: &Workdir, a: &OutputArgs) -> Res<Outcome> {
    let backend = Backend::open(wd).await?;
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

async fn show(wd: &Workdir, a: &ShowArgs) -> Res<Outcome> {
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
    let backend = Backend::open(wd).await?;
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
pub fn print_state(state: &State) {
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

async fn state(wd: &Workdir, cmd: StateCommand) -> Res<Outcome> {
    let backend = Backend::open(wd).await?;
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
            let _lock = backend.lock("state rm", Duration::ZERO).await?;
            let (mut state, _) = backend.load_for_update().await?;
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
            let _lock = backend.lock("state mv", Duration::ZERO).await?;
            let (mut state, _) = backend.load_for_update().await?;
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

fn parse_targets(list: &[String]) -> Res<Vec<Target>> {
    list.iter()
        .map(|s| {
            s.parse().map_err(|e: meshform_engine::addrs::AddrParseError| {
                Diagnostic::error("Invalid address").with_detail(e.to_string()).into()
            })
        })
        .collect()
}

/// Cluster commands: stop, start and kill are targeted applies; the rest act on the hosts
/// the state records.
async fn cluster(wd: &Workdir, cmd: crate::args::ClusterCommand, style: Style) -> Res<Outcome> {
    use crate::args::ClusterCommand as C;
    let (state, w) = Backend::open(wd).await?.load().await?;
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
    let applied = match Backend::open(wd).await {
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

/// Reads expressions from stdin and prints their values in the root module, as
/// `terraform console` does. Errors are shown and the session goes on.
async fn console(wd: &Workdir, a: &crate::args::ConsoleArgs) -> Res<Outcome> {
    let (state, w) = Backend::open(wd).await?.load().await?;
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

async fn graph(wd: &Workdir, a: &crate::args::GraphArgs) -> Res<Outcome> {
    let (config, _) = wd.load_config()?;
    let graph = Graph::build(&config)?;
    let dot = match a.kind.as_deref() {
        None | Some("resources") => {
            // Instances, grouped by host, where a plan or the state says what they are.
            let instances = match &a.plan {
                Some(file) => crate::planfile::drawn_instances(file)?,
                None => recorded_instances(&Backend::open(wd).await?.load().await?.0),
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
fn instance_value(values: &meshform_engine::walk::Values, addr: &ResourceInstanceAddr) -> meshform_engine::eval::Value {
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

/// Reads an existing object through its provider and records it at an address the
/// configuration declares, as `terraform import` does.
async fn import(wd: &Workdir, a: &crate::args::ImportArgs) -> Res<Outcome> {
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
    let backend = Backend::open(wd).await?;
    let lock = backend.lock("import", parse_duration(&a.flags.lock_timeout)?).await?;
    let (mut state, w) = backend.load_for_update_with(&ctx.providers).await?;
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

async fn force_unlock(wd: &Workdir, id: &str) -> Res<Outcome> {
    Backend::open(wd).await?.force_unlock(id).await?;
    println!(
        "meshform state has been successfully unlocked!\n\nThe state has been unlocked, and meshform commands should now be able to obtain a new lock on the remote state."
    );
    Ok(Outcome::Ok)
}

/// `workspace list|show|new|select|delete`: one state per workspace, in whatever backend
/// the configuration names.
async fn workspace(wd: &Workdir, cmd: crate::args::WorkspaceCommand) -> Res<Outcome> {
    use crate::args::WorkspaceCommand as W;
    let backend = Backend::open(wd).await?;
    let check = |name: &str| -> Res<()> {
        if crate::backend::valid_workspace_name(name) {
            Ok(())
        } else {
            Err(Diagnostic::error(format!("Invalid workspace name {name:?}"))
                .with_detail("Workspace names are letters, digits, '-', '_' and '.'.")
                .into())
        }
    };
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
            let lock = other.lock("workspace new", Duration::ZERO).await?;
            other.create_workspace().await?;
            lock.release().await;
            crate::backend::select_workspace(&wd.dir, &name)?;
            println!("Created and switched to workspace {name:?}!");
        }
        W::Select { name } => {
            check(&name)?;
            if !backend.workspaces().await?.contains(&name) {
                return Err(Diagnostic::error(format!("Workspace {name:?} doesn't exist"))
                    .with_help(format!("create it with: meshform workspace new {name}"))
                    .into());
            }
            crate::backend::select_workspace(&wd.dir, &name)?;
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
            let lock = other.lock("workspace delete", Duration::ZERO).await?;
            let (state, _) = other.load_for_update().await?;
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
