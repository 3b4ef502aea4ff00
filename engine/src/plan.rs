//! Refresh and diff: reads what the state records back from the providers, walks the
//! configuration, and decides per resource instance what apply will do.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex, RwLock};

use petgraph::Direction;
use petgraph::graph::NodeIndex;
use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;

use crate::addrs::{
    AbsResource, InstanceKey, ModuleInstance, ResourceAddr, ResourceInstanceAddr, ResourceMode, Target,
};
use crate::config::{IgnoreChanges, Resource};
use crate::diag::{Diagnostic, Diagnostics};
use crate::eval::Value;
use crate::eval::expr::references;
use crate::graph::{ModulePath, Node, NodeKind};
use crate::provider::{PlanRequest, Provider, ProviderError};
use crate::refactor;
use crate::state::{ResourceInstanceState, State};
use crate::walk::{self, InstanceNames, NodeFuture, RunContext, Values};

/// What apply will do to one resource instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    NoOp,
    Create,
    /// Read a data source during apply (its configuration was not known at plan time).
    Read,
    Update,
    /// Delete, then create (the default).
    DeleteThenCreate,
    /// Create the new object first (`create_before_destroy`), then delete the old.
    CreateThenDelete,
    Delete,
    /// Drop from the state without destroying (`removed` with `destroy = false`).
    Forget,
}

impl Action {
    pub fn is_replace(self) -> bool {
        matches!(self, Action::DeleteThenCreate | Action::CreateThenDelete)
    }

    /// Terraform's plan JSON spelling: `["create"]`, `["delete","create"]`, ...
    pub fn json_actions(self) -> &'static [&'static str] {
        match self {
            Action::NoOp => &["no-op"],
            Action::Create => &["create"],
            Action::Read => &["read"],
            Action::Update => &["update"],
            Action::DeleteThenCreate => &["delete", "create"],
            Action::CreateThenDelete => &["create", "delete"],
            Action::Delete => &["delete"],
            Action::Forget => &["forget"],
        }
    }
}

/// Why an instance is deleted or replaced, when it is not a plain attribute change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeReason {
    /// `-replace=ADDR`.
    ReplaceRequested,
    /// `replace_triggered_by` saw a change in the named resource.
    ReplaceTriggeredBy(String),
    /// Attributes that cannot be updated in place changed.
    AttributesForceReplace(Vec<String>),
    /// The resource block is gone from the configuration.
    NoResourceConfig,
    /// `count` shrank.
    CountIndexOutOfRange,
    /// A `for_each` key went away.
    EachKeyNotFound,
    /// The module instance it lived in is gone.
    NoModuleInstance,
    /// A `moved` block took it to an address the configuration does not declare.
    NoMoveTarget,
    /// `meshform destroy`.
    DestroyRequested,
    /// Refresh found the object gone, so it is created again.
    GoneOutOfBand,
}

/// The planned change of one resource instance.
#[derive(Clone, Debug)]
pub struct ResourceChange {
    pub addr: ResourceInstanceAddr,
    pub provider: String,
    pub action: Action,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub reason: Option<ChangeReason>,
    /// The resources this instance depends on, recorded in state for destroy order.
    pub dependencies: Vec<AbsResource>,
    pub create_before_destroy: bool,
    /// Where the state recorded it before a `moved` block (or an implied move) renamed it.
    pub previous: Option<ResourceInstanceAddr>,
    /// The id an `import` block brings it in by; `before` is the imported object.
    pub importing: Option<String>,
}

impl ResourceChange {
    /// True when apply does anything for it: an action, a new address to record, or an
    /// object to import.
    pub fn is_change(&self) -> bool {
        self.action != Action::NoOp || self.previous.is_some() || self.importing.is_some()
    }
}

/// The planned change of one root output.
#[derive(Clone, Debug, PartialEq)]
pub struct OutputChange {
    pub name: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub sensitive: bool,
}

impl OutputChange {
    /// Whether the value changes; sensitivity is recorded beside the value, so marks do
    /// not count.
    pub fn is_change(&self) -> bool {
        let plain = |v: &Option<Value>| v.clone().map(|v| v.unmark_deep().0);
        plain(&self.before) != plain(&self.after) || self.after.as_ref().is_some_and(|a| !a.is_wholly_known())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanMode {
    Normal,
    Destroy,
    /// `-refresh-only`: record drift, change nothing.
    RefreshOnly,
}

/// How to plan.
#[derive(Clone, Debug)]
pub struct PlanOptions {
    pub mode: PlanMode,
    pub targets: Vec<Target>,
    pub replace: Vec<ResourceInstanceAddr>,
    pub refresh: bool,
}

impl Default for PlanOptions {
    fn default() -> PlanOptions {
        PlanOptions { mode: PlanMode::Normal, targets: Vec::new(), replace: Vec::new(), refresh: true }
    }
}

/// A plan: every instance's change, bound to the state it was made from.
#[derive(Clone, Debug)]
pub struct Plan {
    pub mode: PlanMode,
    /// Lineage and serial of the state the plan was made from.
    pub lineage: String,
    pub serial: u64,
    pub changes: Vec<ResourceChange>,
    pub outputs: Vec<OutputChange>,
    /// The refreshed prior state.
    pub prior: State,
    pub targets: Vec<Target>,
    /// Instances whose recorded object changed outside meshform (refresh found drift).
    pub drifted: Vec<ResourceInstanceAddr>,
    /// The root module's variable values the plan was made with.
    pub variables: BTreeMap<String, Value>,
    /// What the plan warns of (moves that could not happen, failed checks).
    pub warnings: Diagnostics,
    /// Instances `moved` blocks renamed in `prior`: new address → recorded address.
    pub moved: BTreeMap<ResourceInstanceAddr, ResourceInstanceAddr>,
}

/// Counts for the summary line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PlanSummary {
    pub import: usize,
    pub add: usize,
    pub change: usize,
    pub destroy: usize,
}

impl Plan {
    pub fn summary(&self) -> PlanSummary {
        let mut s = PlanSummary::default();
        for c in &self.changes {
            if c.importing.is_some() {
                s.import += 1;
            }
            match c.action {
                Action::Create => s.add += 1,
                Action::Update => s.change += 1,
                Action::Delete => s.destroy += 1,
                Action::DeleteThenCreate | Action::CreateThenDelete => {
                    s.add += 1;
                    s.destroy += 1;
                }
                Action::NoOp | Action::Read | Action::Forget => {}
            }
        }
        s
    }

    /// True when applying would change anything: a resource (or its address), an output,
    /// or drift to record.
    pub fn has_changes(&self) -> bool {
        self.changes.iter().any(ResourceChange::is_change)
            || self.outputs.iter().any(OutputChange::is_change)
            || !self.drifted.is_empty()
    }

    pub fn change(&self, addr: &ResourceInstanceAddr) -> Option<&ResourceChange> {
        self.changes.iter().find(|c| &c.addr == addr)
    }
}

/// Shared by the node tasks of one plan walk.
struct PlanWalk {
    ctx: Arc<RunContext>,
    values: RwLock<Values>,
    prior: State,
    opts: PlanOptions,
    changes: Mutex<BTreeMap<ResourceInstanceAddr, ResourceChange>>,
    /// Graph nodes inside the targeted set (all when no targets).
    in_scope: Option<HashSet<NodeIndex>>,
    calls: Semaphore,
    warnings: Mutex<Diagnostics>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Walks the configuration against a (refreshed) state, planning every instance.
async fn run_walk(ctx: Arc<RunContext>, refreshed: State, opts: PlanOptions) -> Result<Arc<PlanWalk>, Diagnostics> {
    let in_scope = targeted_nodes(&ctx, &opts.targets);
    let walk = Arc::new(PlanWalk {
        values: RwLock::new(Values::default()),
        prior: refreshed,
        calls: Semaphore::new(ctx.parallelism.max(1)),
        ctx,
        opts,
        changes: Mutex::new(BTreeMap::new()),
        in_scope,
        warnings: Mutex::new(Diagnostics::new()),
    });
    walk::write(&walk.values).modules.insert(Vec::new(), vec![ModuleInstance::root()]);
    let diags = {
        let w = walk.clone();
        walk::walk_graph(&walk.ctx.graph, move |i| -> NodeFuture {
            let w = w.clone();
            Box::pin(async move { w.run_node(i).await })
        })
        .await
    };
    if diags.has_errors() {
        // What the checks found is reported with the errors, as Terraform does.
        let mut diags = diags;
        diags.extend(std::mem::take(&mut *lock(&walk.warnings)));
        return Err(diags);
    }
    Ok(walk)
}

/// Every value of the configuration as a plan against `prior` sees it (no refresh), for
/// evaluating expressions interactively.
pub async fn evaluate(ctx: Arc<RunContext>, prior: &State) -> Result<Values, Diagnostics> {
    let opts = PlanOptions { refresh: false, ..PlanOptions::default() };
    let walk = run_walk(ctx, prior.clone(), opts).await?;
    Ok(std::mem::take(&mut *walk::write(&walk.values)))
}

/// Moves what `prior` records as the configuration's `moved` blocks say, refreshes it,
/// and plans the configuration against it.
pub async fn plan(ctx: Arc<RunContext>, prior: &State, opts: PlanOptions) -> Result<Plan, Diagnostics> {
    plan_with_values(ctx, prior, opts).await.map(|(p, _)| p)
}

/// [`plan`], also returning every value the walk computed (planned values, unknowns
/// where apply decides), for assertions about the plan; a destroy plan computes none.
pub async fn plan_with_values(
    ctx: Arc<RunContext>,
    prior: &State,
    opts: PlanOptions,
) -> Result<(Plan, Values), Diagnostics> {
    let (statements, mut diags) = refactor::statements(&ctx.config, &ctx.sources);
    let (removals, removal_diags) = refactor::removed_statements(&ctx.config);
    diags.extend(removal_diags);
    if diags.has_errors() {
        return Err(diags);
    }
    let mut moved_prior = prior.clone();
    upgrade_to_schemas(&ctx, &mut moved_prior);
    let moves = refactor::apply_moves(&ctx.config, &statements, &mut moved_prior);
    cross_type_moves(&moves, prior)?;
    moves_outside_targets(&moves, &opts.targets)?;
    let mut warnings = blocked_moves_warning(&moves);
    if !opts.targets.is_empty() {
        warnings.push(Diagnostic::warning("Resource targeting is in effect").with_detail(
            "You are creating a plan with the -target option, which means that the result of this plan may not represent all of the changes requested by the current configuration.\n\nThe -target option is not for routine use, and is provided only for exceptional situations such as recovering from errors or mistakes, or when meshform specifically suggests to use it as part of an error message.",
        ));
    }
    // What is only forgotten is not read back first, as in Terraform.
    let forgotten = |a: &ResourceInstanceAddr| removals.iter().any(|r| !r.destroy && r.selects(a));
    let (refreshed, drifted) =
        if opts.refresh { refresh(&ctx, &moved_prior, &forgotten).await? } else { (moved_prior.clone(), Vec::new()) };
    if opts.mode == PlanMode::Destroy {
        let mut plan = destroy_plan(refreshed, prior, opts);
        mark_moved(&mut plan.changes, &moves);
        plan.warnings = warnings;
        plan.moved = moves.moved;
        return Ok((plan, Values::default()));
    }
    let walk = run_walk(ctx, refreshed, opts).await?;
    let mut changes = std::mem::take(&mut *lock(&walk.changes));
    walk.moved_objects_still_declared(&statements, &changes)?;
    if walk.opts.mode == PlanMode::RefreshOnly {
        changes.retain(|_, _| false);
    } else {
        walk.plan_orphans(&mut changes, &removals);
    }
    let mut changes: Vec<ResourceChange> = changes.into_values().collect();
    mark_moved(&mut changes, &moves);
    warnings.extend(forget_warning(&changes));
    warnings.extend(std::mem::take(&mut *lock(&walk.warnings)));
    let outputs = walk.output_changes(prior);
    let variables = walk::read(&walk.values)
        .variables
        .iter()
        .filter(|((m, _), _)| m.is_root())
        .map(|((_, n), v)| (n.clone(), v.clone()))
        .collect();
    let plan = Plan {
        variables,
        mode: walk.opts.mode,
        lineage: prior.lineage.clone(),
        serial: prior.serial,
        changes,
        outputs,
        prior: walk.prior.clone(),
        targets: walk.opts.targets.clone(),
        drifted,
        warnings,
        moved: moves.moved,
    };
    let values = std::mem::take(&mut *walk::write(&walk.values));
    Ok((plan, values))
}

/// `rel` (a module path inside `inst`) as one module instance.
fn join(inst: &ModuleInstance, rel: &ModuleInstance) -> ModuleInstance {
    ModuleInstance(inst.0.iter().chain(&rel.0).cloned().collect())
}

/// A statement's address made absolute in one instance of its module.
fn prefixed(inst: &ModuleInstance, t: &Target) -> String {
    if inst.is_root() {
        return t.to_string();
    }
    format!("{inst}.{t}")
}

/// A targeted plan must cover both ends of every move, or it would record objects at
/// addresses it did not plan; Terraform refuses it and says which targets to add.
fn moves_outside_targets(moves: &refactor::MoveResults, targets: &[Target]) -> Result<(), Diagnostics> {
    if targets.is_empty() {
        return Ok(());
    }
    let covered = |a: &ResourceInstanceAddr| targets.iter().any(|t| t.selects(a));
    let mut missing: Vec<String> = moves
        .moved
        .iter()
        .flat_map(|(to, from)| [from, to])
        .filter(|a| !covered(a))
        .map(|a| format!("  -target={:?}", a.resource().to_string()))
        .collect();
    missing.sort();
    missing.dedup();
    if missing.is_empty() {
        return Ok(());
    }
    Err(Diagnostic::error("Moved resource instances excluded by targeting")
        .with_detail(format!(
            "Resource instances in your current state have moved to new addresses in the latest configuration. Terraform must include those resource instances while planning in order to ensure a correct result, but your -target=... options do not fully cover all of those resource instances.\n\nTo create a valid plan, either remove your -target=... options altogether or add the following additional target options:\n{}\n\nNote that adding these options may include further additional resource instances in your plan, in order to respect object dependencies.",
            missing.join("\n")
        ))
        .into())
}

/// Moves between resource types: Terraform asks the destination's provider to convert the
/// object, and none of meshform's providers can.
fn cross_type_moves(moves: &refactor::MoveResults, prior: &State) -> Result<(), Diagnostics> {
    let mut diags = Diagnostics::new();
    for (from, to) in &moves.cross_type {
        let provider = prior.resources.get(from).map_or("terraform", |i| i.provider.as_str());
        diags.push(
            Diagnostic::error("Unsupported `moved` across resource types")
                .with_detail(format!(
                    "The provider \"meshform.io/builtin/{}\" does not support moved operations across resource types and providers.",
                    provider.split('.').next().unwrap_or(provider)
                ))
                .with_address(format!("{from} -> {to}")),
        );
    }
    if diags.has_errors() { Err(diags) } else { Ok(()) }
}

fn invalid_import_id(detail: &str, e: &crate::config::Expr) -> Diagnostics {
    Diagnostic::error("Invalid import id argument").with_detail(detail).with_span(e.span()).into()
}

/// The `each.key`/`each.value` pairs of an import block's `for_each`: a map's entries, a
/// set's strings, or a list's elements by index.
fn import_repetition(
    fe: &crate::config::Expr,
    s: &dyn crate::eval::expr::Scope,
) -> Result<Vec<InstanceNames>, Diagnostics> {
    let v = walk::eval_expr(fe, s)?.unmark_deep().0;
    let pairs: Vec<(String, Value)> = match v {
        Value::Map(m) | Value::Object(m) => m.iter().map(|(k, x)| (k.clone(), x.clone())).collect(),
        Value::Set(xs) => xs.iter().map(|x| (x.as_str().unwrap_or_default().to_string(), x.clone())).collect(),
        Value::List(xs) | Value::Tuple(xs) => xs.into_iter().enumerate().map(|(i, x)| (i.to_string(), x)).collect(),
        _ => {
            return Err(Diagnostic::error("Invalid for_each argument")
                .with_detail("The \"for_each\" of an import block must be a map, a set of strings or a list.")
                .with_span(fe.span())
                .into());
        }
    };
    Ok(pairs.into_iter().map(|(k, v)| InstanceNames { key: Some(InstanceKey::Str(k)), each_value: Some(v) }).collect())
}

/// An instance key from the value of an index expression.
fn instance_key(v: Value, counted: bool, e: &crate::config::Expr) -> Result<InstanceKey, Diagnostic> {
    match v {
        Value::Number(n) => n.to_i64().map(InstanceKey::Int),
        Value::String(s) if counted => s.parse().ok().map(InstanceKey::Int),
        Value::String(s) => Some(InstanceKey::Str(s)),
        _ => None,
    }
    .ok_or_else(|| {
        Diagnostic::error("Invalid import 'to' expression")
            .with_detail("An instance key must be a whole number or a string known at plan time.")
            .with_span(e.span())
    })
}

/// Records on each change where a move took it from; what a move took out of the
/// configuration is deleted for that reason.
fn mark_moved(changes: &mut [ResourceChange], moves: &refactor::MoveResults) {
    for c in changes {
        c.previous = moves.moved.get(&c.addr).cloned();
        if c.previous.is_some() && c.reason == Some(ChangeReason::NoResourceConfig) && c.action == Action::Delete {
            c.reason = Some(ChangeReason::NoMoveTarget);
        }
    }
}

/// Terraform's warning listing what a plan forgets without destroying.
fn forget_warning(changes: &[ResourceChange]) -> Diagnostics {
    let forgotten: Vec<String> =
        changes.iter().filter(|c| c.action == Action::Forget).map(|c| format!(" - {}", c.addr)).collect();
    let mut out = Diagnostics::new();
    if !forgotten.is_empty() {
        out.push(Diagnostic::warning("Some objects will no longer be managed by Terraform").with_detail(format!(
            "If you apply this plan, Terraform will discard its tracking information for the following objects, but it will not delete them:\n{}\n\nAfter applying this plan, Terraform will no longer manage these objects. You will need to import them into Terraform to manage them again.",
            forgotten.join("\n")
        )));
    }
    out
}

/// Terraform's warning for moves whose destination already holds an object.
fn blocked_moves_warning(moves: &refactor::MoveResults) -> Diagnostics {
    let mut out = Diagnostics::new();
    if moves.blocked.is_empty() {
        return out;
    }
    let lines: Vec<String> =
        moves.blocked.iter().map(|(from, to)| format!("  - {from} could not move to {to}")).collect();
    out.push(Diagnostic::warning("Unresolved resource instance address changes").with_detail(format!(
        "Terraform tried to adjust resource instance addresses in the prior state based on change information recorded in the configuration, but some adjustments did not succeed due to existing objects already at the intended addresses:\n{}\n\nTerraform has planned to destroy these objects. If Terraform's proposed changes aren't appropriate, you must first resolve the conflicts using the \"terraform state\" subcommands and then create a new plan.",
        lines.join("\n")
    )));
    out
}

fn destroy_plan(refreshed: State, prior: &State, opts: PlanOptions) -> Plan {
    let changes = refreshed
        .resources
        .iter()
        .filter(|(addr, _)| opts.targets.is_empty() || opts.targets.iter().any(|t| t.selects(addr)))
        .map(|(addr, inst)| ResourceChange {
            previous: None,
            importing: None,
            addr: addr.clone(),
            provider: inst.provider.clone(),
            action: Action::Delete,
            before: Some(inst.value.clone()),
            after: None,
            reason: Some(ChangeReason::DestroyRequested),
            dependencies: inst.dependencies.clone(),
            create_before_destroy: false,
        })
        .collect();
    let outputs = if opts.targets.is_empty() {
        prior
            .outputs
            .iter()
            .map(|(n, o)| OutputChange {
                name: n.clone(),
                before: Some(o.value.clone()),
                after: None,
                sensitive: o.sensitive,
            })
            .collect()
    } else {
        Vec::new()
    };
    Plan {
        mode: PlanMode::Destroy,
        lineage: prior.lineage.clone(),
        serial: prior.serial,
        changes,
        outputs,
        prior: refreshed,
        targets: opts.targets,
        drifted: Vec::new(),
        variables: BTreeMap::new(),
        warnings: Diagnostics::new(),
        moved: BTreeMap::new(),
    }
}

/// Gives every recorded object the attributes its provider's schema now declares and the
/// state, written under an older schema, lacks (as null), as Terraform's state upgrade does:
/// an attribute a provider gained is no change to plan.
fn upgrade_to_schemas(ctx: &RunContext, state: &mut State) {
    for (addr, inst) in state.resources.iter_mut() {
        if addr.resource.mode == ResourceMode::Data {
            continue;
        }
        let Ok((_, provider)) = ctx.provider_of(addr, &inst.provider) else { continue };
        let Some(schema) = provider.schema().resources.get(&addr.resource.type_name) else { continue };
        let Value::Object(obj) = &inst.value else { continue };
        if schema.attributes.keys().all(|k| obj.contains_key(k)) {
            continue;
        }
        let mut obj = (**obj).clone();
        for k in schema.attributes.keys() {
            obj.entry(k.clone()).or_insert(Value::Null);
        }
        inst.value = Value::Object(obj.into());
    }
}

/// Reads every managed instance back from its provider (but those `skip` passes); gone
/// objects leave the state.
async fn refresh(
    ctx: &RunContext,
    prior: &State,
    skip: &dyn Fn(&ResourceInstanceAddr) -> bool,
) -> Result<(State, Vec<ResourceInstanceAddr>), Diagnostics> {
    type Read = (ResourceInstanceAddr, Value, Result<Option<Value>, ProviderError>);
    type Batch = (Arc<dyn Provider>, Vec<(ResourceInstanceAddr, Value)>);
    let sem = Arc::new(Semaphore::new(ctx.parallelism.max(1)));
    let mut set: tokio::task::JoinSet<Vec<Read>> = tokio::task::JoinSet::new();
    // Instances a provider reads many at a time, by provider and type.
    let mut batches: BTreeMap<(&str, &str), Batch> = BTreeMap::new();
    for (addr, inst) in &prior.resources {
        if addr.resource.mode == ResourceMode::Data || skip(addr) {
            continue;
        }
        let provider = match ctx.provider_of(addr, &inst.provider) {
            Ok((_, p)) => p,
            Err(d) => return Err(d.with_address(addr.to_string()).into()),
        };
        if provider.read_batch(&addr.resource.type_name) > 1 {
            let key = (inst.provider.as_str(), addr.resource.type_name.as_str());
            let batch = batches.entry(key).or_insert_with(|| (provider, Vec::new()));
            batch.1.push((addr.clone(), inst.value.clone()));
            continue;
        }
        let (addr, value, sem) = (addr.clone(), inst.value.clone(), sem.clone());
        set.spawn(async move {
            let _permit = sem.acquire().await;
            let (plain, _) = value.clone().unmark_deep();
            let read = provider.read(&addr.resource.type_name, &plain).await;
            vec![(addr, value, read)]
        });
    }
    for ((_, type_name), (provider, items)) in batches {
        let size = provider.read_batch(type_name);
        for chunk in items.chunks(size) {
            let (chunk, provider, sem, type_name) =
                (chunk.to_vec(), provider.clone(), sem.clone(), type_name.to_string());
            set.spawn(async move {
                let _permit = sem.acquire().await;
                let plain: Vec<Value> = chunk.iter().map(|(_, v)| v.clone().unmark_deep().0).collect();
                let mut reads = provider.read_many(&type_name, &plain).await.into_iter();
                chunk
                    .into_iter()
                    .map(|(addr, value)| {
                        let read = reads.next().unwrap_or_else(|| {
                            Err(ProviderError::new(format!(
                                "the provider gave no result for {addr} when reading it back"
                            )))
                        });
                        (addr, value, read)
                    })
                    .collect()
            });
        }
    }
    let mut state = prior.clone();
    let mut drifted = Vec::new();
    let mut diags = Diagnostics::new();
    let mut failed: BTreeMap<String, Vec<ResourceInstanceAddr>> = BTreeMap::new();
    while let Some(joined) = set.join_next().await {
        for (addr, old, read) in joined.unwrap_or_default() {
            match read {
                Ok(Some(new)) => {
                    let new = remark_like(new, &old);
                    if new != old {
                        drifted.push(addr.clone());
                        if let Some(i) = state.resources.get_mut(&addr) {
                            i.value = new;
                        }
                    }
                }
                Ok(None) => {
                    drifted.push(addr.clone());
                    state.resources.remove(&addr);
                }
                Err(e) => failed.entry(e.message).or_default().push(addr),
            }
        }
    }
    // A batched read that failed fails each of its instances the same way: said once.
    for (message, mut addrs) in failed {
        addrs.sort();
        let first = addrs.remove(0);
        let detail = match addrs.len() {
            0 => message,
            n => {
                let shown: Vec<String> = addrs.iter().take(5).map(ToString::to_string).collect();
                let more = if n > 5 { format!(" and {} more", n - 5) } else { String::new() };
                format!("{message}\n\nThe same error for {n} other instance(s): {}{more}.", shown.join(", "))
            }
        };
        diags.push(Diagnostic::error("Refresh failed").with_detail(detail).with_address(first.to_string()));
    }
    drifted.sort();
    if diags.has_errors() { Err(diags) } else { Ok((state, drifted)) }
}

/// Puts the top-level attribute marks of `like` on `v` (providers return unmarked values).
pub fn remark_like(v: Value, like: &Value) -> Value {
    mark_attributes(v, like, Value::is_sensitive)
}

/// Marks each top-level attribute of `planned` that is sensitive anywhere in `config`.
pub fn carry_marks(planned: Value, config: &Value) -> Value {
    mark_attributes(planned, config, Value::contains_sensitive)
}

/// Marks the attributes of `v` whose namesake in `like` passes `marked`.
fn mark_attributes(v: Value, like: &Value, marked: fn(&Value) -> bool) -> Value {
    let Value::Object(obj) = v else { return v };
    let mut obj = Arc::unwrap_or_clone(obj);
    if let Some(m) = like.as_map() {
        for (k, old) in m {
            if marked(old)
                && let Some(x) = obj.remove(k)
            {
                obj.insert(k.clone(), x.mark_sensitive());
            }
        }
    }
    Value::Object(obj.into())
}

/// The graph nodes a targeted plan may touch: the targets and all they depend on.
fn targeted_nodes(ctx: &RunContext, targets: &[Target]) -> Option<HashSet<NodeIndex>> {
    if targets.is_empty() {
        return None;
    }
    let g = &ctx.graph.graph;
    let mut keep = HashSet::new();
    let mut stack: Vec<NodeIndex> = g
        .node_indices()
        .filter(|i| {
            let node = &g[*i];
            match (&node.kind, targets) {
                (NodeKind::Resource(r), ts) => ts.iter().any(|t| target_touches(t, &node.module, r)),
                _ => false,
            }
        })
        .collect();
    while let Some(i) = stack.pop() {
        if keep.insert(i) {
            stack.extend(g.neighbors_directed(i, Direction::Incoming));
        }
    }
    Some(keep)
}

fn target_touches(t: &Target, module: &ModulePath, r: &ResourceAddr) -> bool {
    let names = |m: &ModuleInstance| m.0.iter().map(|s| s.name.clone()).collect::<Vec<_>>();
    match t {
        Target::Module(m) => module.starts_with(&names(m)),
        Target::Resource(a) => &names(&a.module) == module && &a.resource == r,
        Target::Instance(a) => &names(&a.module) == module && &a.resource == r,
    }
}

impl PlanWalk {
    async fn run_node(self: Arc<Self>, i: NodeIndex) -> Result<(), Diagnostics> {
        let node = self.ctx.graph.graph[i].clone();
        match &node.kind {
            NodeKind::Resource(addr) => self.plan_resource(i, &node, addr).await,
            NodeKind::Check(name) => {
                let d = crate::checks::run(&self.ctx, &self.values, &node, name).await;
                if d.has_errors() {
                    return Err(d);
                }
                lock(&self.warnings).extend(d);
                Ok(())
            }
            _ => walk::eval_plain_node(&self.ctx, &self.values, &node),
        }
    }

    fn is_targeted(&self, i: NodeIndex, addr: &ResourceInstanceAddr) -> bool {
        match &self.in_scope {
            None => true,
            Some(set) => {
                set.contains(&i)
                    && (self.opts.targets.iter().any(|t| t.selects(addr))
                        || self.ctx.graph.graph.neighbors_directed(i, Direction::Outgoing).any(|n| set.contains(&n)))
            }
        }
    }

    async fn plan_resource(&self, i: NodeIndex, node: &Node, addr: &ResourceAddr) -> Result<(), Diagnostics> {
        let Some(module) = self.ctx.module(&node.module) else {
            return Ok(());
        };
        let Some(res) = module.resources.get(addr) else {
            return Ok(());
        };
        let instances = walk::read(&self.values).modules.get(&node.module).cloned().unwrap_or_default();
        let deps = self.dependencies(i);
        let mut diags = Diagnostics::new();
        for inst in instances {
            let abs = AbsResource { module: inst.clone(), resource: addr.clone() };
            if let Err(d) = self.plan_resource_in(module, res, &abs, i, &deps).await {
                diags.extend(d);
            }
        }
        if diags.has_errors() { Err(diags) } else { Ok(()) }
    }

    /// Resources this node depends on, through locals, variables and module outputs.
    fn dependencies(&self, i: NodeIndex) -> Vec<AbsResource> {
        let g = &self.ctx.graph.graph;
        let values = walk::read(&self.values);
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        let mut stack: Vec<NodeIndex> = g.neighbors_directed(i, Direction::Incoming).collect();
        while let Some(n) = stack.pop() {
            if !seen.insert(n) {
                continue;
            }
            match &g[n].kind {
                NodeKind::Resource(r) => {
                    for inst in values.modules.get(&g[n].module).into_iter().flatten() {
                        out.push(AbsResource { module: inst.clone(), resource: r.clone() });
                    }
                }
                _ => stack.extend(g.neighbors_directed(n, Direction::Incoming)),
            }
        }
        out.sort();
        out.dedup();
        out
    }

    async fn plan_resource_in(
        &self,
        module: &crate::config::Module,
        res: &Resource,
        abs: &AbsResource,
        i: NodeIndex,
        deps: &[AbsResource],
    ) -> Result<(), Diagnostics> {
        let outside = self.in_scope.as_ref().is_some_and(|set| !set.contains(&i));
        let exp = match walk::resource_expansion(&self.ctx, &self.values, module, res, abs) {
            Ok(exp) => exp,
            // Left out by -target: what the state records stands, even where the
            // expansion cannot be known yet.
            Err(_) if outside => {
                let recorded = self.prior.resources.iter().filter(|(a, _)| a.resource() == *abs);
                let instances: BTreeMap<InstanceKey, Value> =
                    recorded.map(|(a, inst)| (a.key.clone(), inst.value.clone())).collect();
                if instances.is_empty() {
                    walk::write(&self.values).resources.insert(abs.clone(), Value::Unknown);
                    return Ok(());
                }
                let exp = match instances.keys().next() {
                    Some(InstanceKey::Int(_)) => walk::Expansion::Count(instances.len() as i64),
                    Some(InstanceKey::Str(_)) => walk::Expansion::ForEach(
                        instances
                            .keys()
                            .filter_map(|k| match k {
                                InstanceKey::Str(s) => Some((s.clone(), Value::Null)),
                                _ => None,
                            })
                            .collect(),
                    ),
                    _ => walk::Expansion::Single,
                };
                walk::write(&self.values).resources.insert(abs.clone(), exp.collect(instances));
                return Ok(());
            }
            Err(d) => return Err(d.into()),
        };
        let (provider_name, provider) = self.ctx.provider_for(&self.ctx.graph.graph[i].module, res)?;
        let schema = match abs.resource.mode {
            ResourceMode::Managed => provider.schema().resources.get(&abs.resource.type_name),
            ResourceMode::Data => provider.schema().data_sources.get(&abs.resource.type_name),
        };
        let Some(schema) = schema else {
            let d = Diagnostic::error("Unsupported resource type")
                .with_detail(format!(
                    "Provider \"{provider_name}\" has no {} type \"{}\".",
                    if abs.resource.mode == ResourceMode::Data { "data source" } else { "resource" },
                    abs.resource.type_name
                ))
                .with_span(res.span);
            return Err(match self.ctx.closest_type(&abs.resource.type_name) {
                Some(t) => d.with_help(format!("did you mean `{t}`?")),
                None => d,
            }
            .into());
        };
        let mut instance_values = BTreeMap::new();
        let mut diags = Diagnostics::new();
        let imports =
            if abs.resource.mode == ResourceMode::Managed { self.imports_for(abs, res)? } else { BTreeMap::new() };
        for key in exp.keys() {
            let addr = abs.instance(key.clone());
            let mut prior = self.prior.resources.get(&addr).map(|s| s.value.clone());
            if !self.is_targeted(i, &addr) {
                instance_values.insert(key, prior.unwrap_or(Value::Unknown));
                continue;
            }
            let config = {
                let v = walk::read(&self.values);
                let names = InstanceNames {
                    key: Some(key.clone()).filter(|k| *k != InstanceKey::None),
                    each_value: Some(exp.each_value(&key)),
                };
                let s = walk::scope(&self.ctx, &v, module, &abs.module, names);
                walk::check_conditions(
                    &res.lifecycle.preconditions,
                    &s,
                    "Resource precondition failed",
                    "this precondition failed",
                )
                .and_then(|()| walk::eval_body(&res.body, schema, &s))
            };
            let config = match config {
                Ok(c) => c,
                Err(d) => {
                    for d in d {
                        diags.push(d.with_address(addr.to_string()));
                    }
                    continue;
                }
            };
            // An import block's object is planned against as though it were recorded; one
            // already recorded is not imported again, as in Terraform. The provider gets
            // the configuration too: it may say how to reach the object (a host).
            let importing = match (&prior, imports.get(&key)) {
                (None, Some(id)) => match self.import_object(&addr, provider.as_ref(), id, &config).await {
                    Ok(v) => {
                        prior = Some(v);
                        Some(id.clone())
                    }
                    Err(d) => {
                        diags.push(d.with_address(addr.to_string()).or_span(res.span));
                        continue;
                    }
                },
                _ => None,
            };
            let planned = if abs.resource.mode == ResourceMode::Data {
                self.plan_data(&addr, &provider_name, provider.as_ref(), config).await
            } else {
                self.plan_managed(res, &addr, &provider_name, provider.as_ref(), prior, config, deps).await
            };
            match planned {
                Ok(v) => {
                    instance_values.insert(key, v);
                    if let Some(c) = lock(&self.changes).get_mut(&addr) {
                        c.importing = importing;
                    }
                }
                Err(d) => diags.push(d.with_address(addr.to_string()).or_span(res.span)),
            }
        }
        let declared = exp.keys();
        for key in imports.keys().filter(|k| !declared.contains(k)) {
            diags.push(
                Diagnostic::error("Configuration for import target does not exist")
                    .with_detail(format!(
                        "The configuration for the given import {} does not exist. All target instances must have an associated configuration to be imported.",
                        abs.instance(key.clone())
                    ))
                    .with_span(res.span),
            );
        }
        walk::write(&self.values).resources.insert(abs.clone(), exp.collect(instance_values));
        if diags.has_errors() { Err(diags) } else { Ok(()) }
    }

    /// The ids import blocks bring to the instances of `abs`, by instance key; the
    /// blocks' `for_each`, keys and ids are evaluated in the root module.
    fn imports_for(&self, abs: &AbsResource, res: &Resource) -> Result<BTreeMap<InstanceKey, String>, Diagnostics> {
        let root = &self.ctx.config;
        let mut out = BTreeMap::new();
        if root.imports.is_empty() {
            return Ok(out);
        }
        let path = abs.module.path();
        let root_inst = ModuleInstance::root();
        for imp in root.imports.iter().filter(|i| i.target.module_path() == path && i.target.resource == abs.resource) {
            let v = walk::read(&self.values);
            let each = match &imp.for_each {
                None => vec![InstanceNames::default()],
                Some(fe) => {
                    let s = walk::scope(&self.ctx, &v, root, &root_inst, InstanceNames::default());
                    import_repetition(fe, &s)?
                }
            };
            for names in each {
                let s = walk::scope(&self.ctx, &v, root, &root_inst, names);
                let key_of = |e: &Option<crate::config::Expr>, counted: bool| -> Result<InstanceKey, Diagnostic> {
                    match e {
                        None => Ok(InstanceKey::None),
                        Some(e) => instance_key(walk::eval_expr(e, &s)?.unmark_deep().0, counted, e),
                    }
                };
                let mut module = ModuleInstance::root();
                let mut m: &crate::config::Module = root;
                for (name, k) in &imp.target.modules {
                    let call = m.module_calls.get(name);
                    let counted = call.is_some_and(|c| c.count.is_some());
                    module = module.child(name, key_of(k, counted)?);
                    if let Some(c) = call {
                        m = c.module.as_ref();
                    }
                }
                if module != abs.module {
                    continue;
                }
                let key = key_of(&imp.target.key, res.count.is_some())?;
                let id = walk::eval_expr(&imp.id, &s)?.unmark_deep().0;
                let id = match id {
                    Value::String(s) if s.is_empty() => {
                        return Err(invalid_import_id(
                            "The import ID value evaluates to an empty string, please provide a non-empty value.",
                            &imp.id,
                        ));
                    }
                    Value::String(s) => s,
                    Value::Null => return Err(invalid_import_id("The import ID cannot be null.", &imp.id)),
                    Value::Unknown => {
                        return Err(invalid_import_id(
                            "The import block \"id\" argument depends on resource attributes that cannot be determined until apply, so Terraform cannot plan to import this resource.",
                            &imp.id,
                        ));
                    }
                    Value::Number(n) => n.to_string(),
                    Value::Bool(b) => b.to_string(),
                    _ => return Err(invalid_import_id("The import ID value is unsuitable: not a string.", &imp.id)),
                };
                out.insert(key, id);
            }
        }
        Ok(out)
    }

    /// Reads the object an import block names, and reads it back as refresh would.
    async fn import_object(
        &self,
        addr: &ResourceInstanceAddr,
        provider: &dyn crate::provider::Provider,
        id: &str,
        config: &Value,
    ) -> Result<Value, Diagnostic> {
        let _permit = self.calls.acquire().await;
        let failed = |e: crate::provider::ProviderError| {
            let detail = match e.code {
                Some(code) => format!("{} ({code})", e.message),
                None => e.message,
            };
            Diagnostic::error("Failed to import").with_detail(format!("Importing {addr} from ID {id:?}: {detail}"))
        };
        let config = config.clone().unmark_deep().0;
        let imported = provider.import(&addr.resource.type_name, id, &config).await.map_err(failed)?;
        match provider.read(&addr.resource.type_name, &imported).await.map_err(failed)? {
            Some(v) => Ok(v),
            None => Err(Diagnostic::error("Cannot import non-existent remote object").with_detail(format!(
                "While attempting to import an existing object to {addr}, the provider detected that no object exists with the given id. Only pre-existing objects can be imported; check that the id is correct and that it is associated with the provider's configured region or endpoint, or use \"terraform apply\" to create a new remote object for this resource."
            ))),
        }
    }

    async fn plan_data(
        &self,
        addr: &ResourceInstanceAddr,
        provider_name: &str,
        provider: &dyn crate::provider::Provider,
        config: Value,
    ) -> Result<Value, Diagnostic> {
        let (plain, sensitive) = config.clone().unmark_deep();
        let (action, value) = if plain.is_wholly_known() {
            let _permit = self.calls.acquire().await;
            let v = provider.read_data(&addr.resource.type_name, &plain).await.map_err(|e| {
                let detail = match e.code {
                    Some(code) => format!("{} ({code})", e.message),
                    None => e.message,
                };
                Diagnostic::error("Failed to read data source").with_detail(detail)
            })?;
            (Action::NoOp, carry_marks(v, &config).mark_if(sensitive && config.is_sensitive()))
        } else {
            (Action::Read, Value::Unknown)
        };
        lock(&self.changes).insert(
            addr.clone(),
            ResourceChange {
                previous: None,
                importing: None,
                addr: addr.clone(),
                provider: provider_name.to_string(),
                action,
                before: None,
                after: Some(value.clone()),
                reason: None,
                dependencies: Vec::new(),
                create_before_destroy: false,
            },
        );
        Ok(value)
    }

    #[allow(clippy::too_many_arguments)]
    async fn plan_managed(
        &self,
        res: &Resource,
        addr: &ResourceInstanceAddr,
        provider_name: &str,
        provider: &dyn crate::provider::Provider,
        prior: Option<Value>,
        config: Value,
        deps: &[AbsResource],
    ) -> Result<Value, Diagnostic> {
        let config = apply_ignore_changes(config, prior.as_ref(), &res.lifecycle.ignore_changes);
        let (plain_config, _) = config.clone().unmark_deep();
        provider
            .validate(&addr.resource.type_name, &plain_config)
            .map_err(|e| Diagnostic::error("Invalid resource configuration").with_detail(e.message))?;
        let plain_prior = prior.clone().map(|p| p.unmark_deep().0);
        let resp = {
            let _permit = self.calls.acquire().await;
            provider
                .plan(PlanRequest {
                    type_name: &addr.resource.type_name,
                    prior: plain_prior.as_ref(),
                    config: &plain_config,
                })
                .await
                .map_err(|e| Diagnostic::error("Provider failed to plan").with_detail(e.message))?
        };
        let planned = carry_marks(resp.planned, &config);
        let (mut action, mut reason) = match &prior {
            None => (Action::Create, None),
            Some(_) if !resp.requires_replace.is_empty() => {
                (Action::DeleteThenCreate, Some(ChangeReason::AttributesForceReplace(resp.requires_replace.clone())))
            }
            Some(p) if *p == planned => (Action::NoOp, None),
            Some(_) => (Action::Update, None),
        };
        if prior.is_some() && action != Action::DeleteThenCreate {
            if self.opts.replace.contains(addr) {
                action = Action::DeleteThenCreate;
                reason = Some(ChangeReason::ReplaceRequested);
            } else if let Some(trigger) = self.replace_trigger(res, addr) {
                action = Action::DeleteThenCreate;
                reason = Some(ChangeReason::ReplaceTriggeredBy(trigger));
            }
        }
        if action == Action::DeleteThenCreate {
            if res.lifecycle.create_before_destroy {
                action = Action::CreateThenDelete;
            }
            if res.lifecycle.prevent_destroy {
                return Err(Diagnostic::error("Instance cannot be destroyed")
                    .with_detail(format!(
                        "{addr} has lifecycle.prevent_destroy set, but the plan calls for this resource to be replaced."
                    ))
                    .with_span(res.span));
            }
        }
        // A replaced object's new attributes are planned from scratch.
        let after = if action.is_replace() {
            let (plain_config, _) = config.clone().unmark_deep();
            let fresh = provider
                .plan(PlanRequest { type_name: &addr.resource.type_name, prior: None, config: &plain_config })
                .await
                .map_err(|e| Diagnostic::error("Provider failed to plan").with_detail(e.message))?;
            carry_marks(fresh.planned, &config)
        } else {
            planned
        };
        lock(&self.changes).insert(
            addr.clone(),
            ResourceChange {
                previous: None,
                importing: None,
                addr: addr.clone(),
                provider: provider_name.to_string(),
                action,
                before: prior.clone(),
                after: Some(after.clone()),
                reason,
                dependencies: deps.to_vec(),
                create_before_destroy: res.lifecycle.create_before_destroy,
            },
        );
        Ok(after)
    }

    /// The first `replace_triggered_by` reference whose resource has a planned change.
    fn replace_trigger(&self, res: &Resource, addr: &ResourceInstanceAddr) -> Option<String> {
        let changes = lock(&self.changes);
        for e in &res.lifecycle.replace_triggered_by {
            for r in references(&e.expr, e.file) {
                let Some(name) = r.attrs.first() else {
                    continue;
                };
                let target =
                    ResourceAddr { mode: ResourceMode::Managed, type_name: r.root.clone(), name: name.clone() };
                let changed = changes.values().any(|c| {
                    c.addr.module == addr.module
                        && c.addr.resource == target
                        && matches!(
                            c.action,
                            Action::Create | Action::Update | Action::DeleteThenCreate | Action::CreateThenDelete
                        )
                });
                if changed {
                    return Some(format!("{}.{}", r.root, name));
                }
            }
        }
        None
    }

    /// A `moved` block whose `from` the configuration still declares: Terraform refuses
    /// it, since both addresses would claim one object. Checked for every instance of the
    /// module that declares the block, once the walk has expanded them.
    fn moved_objects_still_declared(
        &self,
        statements: &[refactor::MoveStatement],
        planned: &BTreeMap<ResourceInstanceAddr, ResourceChange>,
    ) -> Result<(), Diagnostics> {
        let mut diags = Diagnostics::new();
        let values = walk::read(&self.values);
        for s in statements {
            for inst in values.modules.get(&s.module).into_iter().flatten() {
                let Some((from, place)) = self.still_declared(&values, planned, s, inst) else { continue };
                let (noun, short) = refactor::nouns(&s.from, &s.to);
                let to = prefixed(inst, &s.to);
                diags.push(
                    Diagnostic::error("Moved object still exists")
                        .with_detail(format!(
                            "This statement declares a move from {from}, but that {noun} is still declared at {}.\n\nChange your configuration so that this {short} will be declared as {to} instead.",
                            self.ctx.sources.describe(place)
                        ))
                        .with_span(s.span),
                );
            }
        }
        if diags.has_errors() { Err(diags) } else { Ok(()) }
    }

    /// The absolute `from` of a statement in one module instance and where the
    /// configuration declares it, if it does.
    fn still_declared(
        &self,
        values: &Values,
        planned: &BTreeMap<ResourceInstanceAddr, ResourceChange>,
        s: &refactor::MoveStatement,
        inst: &ModuleInstance,
    ) -> Option<(String, crate::diag::Span)> {
        let exists = |m: &ModuleInstance| values.modules.get(&m.path()).is_some_and(|l| l.contains(m));
        let repetition = |count: &Option<crate::config::Expr>, for_each: &Option<crate::config::Expr>, block| {
            count.as_ref().or(for_each.as_ref()).map_or(block, |e| e.span())
        };
        match &s.from {
            Target::Resource(r) => {
                let module = join(inst, &r.module);
                let res = self.ctx.module(&module.path())?.resources.get(&r.resource)?;
                exists(&module).then(|| {
                    (
                        AbsResource { module, resource: r.resource.clone() }.to_string(),
                        repetition(&res.count, &res.for_each, res.span),
                    )
                })
            }
            Target::Instance(i) => {
                let module = join(inst, &i.module);
                let abs = ResourceInstanceAddr { module, resource: i.resource.clone(), key: i.key.clone() };
                let res = self.ctx.module(&abs.module.path())?.resources.get(&i.resource)?;
                planned.contains_key(&abs).then(|| (abs.to_string(), repetition(&res.count, &res.for_each, res.span)))
            }
            Target::Module(m) => {
                let (last, parent) = m.0.split_last()?;
                let parent = join(inst, &ModuleInstance(parent.to_vec()));
                let call = self.ctx.module(&parent.path())?.module_calls.get(&last.name)?;
                if !exists(&parent) {
                    return None;
                }
                let whole = refactor::moves_whole_call(&s.from, &s.to);
                let child = parent.child(&last.name, last.key.clone());
                let declared = whole || exists(&child);
                let place = if whole { call.span } else { repetition(&call.count, &call.for_each, call.span) };
                declared.then(|| (child.to_string(), place))
            }
        }
    }

    /// Instances in state that the configuration no longer has: deleted, or only forgotten
    /// where a `removed` block says `destroy = false`.
    fn plan_orphans(
        &self,
        changes: &mut BTreeMap<ResourceInstanceAddr, ResourceChange>,
        removals: &[refactor::RemoveStatement],
    ) {
        let values = walk::read(&self.values);
        for (addr, inst) in &self.prior.resources {
            if changes.contains_key(addr) {
                continue;
            }
            if !self.opts.targets.is_empty() && !self.opts.targets.iter().any(|t| t.selects(addr)) {
                continue;
            }
            let Some(reason) = orphan_reason(&self.ctx, &values, addr) else {
                continue;
            };
            if addr.resource.mode == ResourceMode::Data {
                continue;
            }
            let mut change = delete_change(addr, inst, reason);
            if let Some(r) = removals.iter().find(|r| r.selects(addr)) {
                change.reason = Some(ChangeReason::NoResourceConfig);
                if !r.destroy {
                    change.action = Action::Forget;
                }
            }
            changes.insert(addr.clone(), change);
        }
    }

    fn output_changes(&self, prior: &State) -> Vec<OutputChange> {
        let values = walk::read(&self.values);
        let mut out = Vec::new();
        for (name, o) in &self.ctx.config.outputs {
            let after = values.outputs.get(&(ModuleInstance::root(), name.clone())).filter(|v| !v.is_null()).cloned();
            out.push(OutputChange {
                name: name.clone(),
                before: prior.outputs.get(name).map(|p| p.value.clone()),
                after,
                sensitive: o.sensitive,
            });
        }
        for (name, o) in &prior.outputs {
            if !self.ctx.config.outputs.contains_key(name) {
                out.push(OutputChange {
                    name: name.clone(),
                    before: Some(o.value.clone()),
                    after: None,
                    sensitive: o.sensitive,
                });
            }
        }
        out
    }
}

fn delete_change(addr: &ResourceInstanceAddr, inst: &ResourceInstanceState, reason: ChangeReason) -> ResourceChange {
    ResourceChange {
        previous: None,
        importing: None,
        addr: addr.clone(),
        provider: inst.provider.clone(),
        action: Action::Delete,
        before: Some(inst.value.clone()),
        after: None,
        reason: Some(reason),
        dependencies: inst.dependencies.clone(),
        create_before_destroy: inst.create_before_destroy,
    }
}

/// Why a recorded instance has no place in the configuration (`None`: it still has one).
fn orphan_reason(ctx: &RunContext, values: &Values, addr: &ResourceInstanceAddr) -> Option<ChangeReason> {
    let path: Vec<String> = addr.module.0.iter().map(|s| s.name.clone()).collect();
    let module_exists = values.modules.get(&path).is_some_and(|l| l.contains(&addr.module));
    if !module_exists {
        return Some(ChangeReason::NoModuleInstance);
    }
    let Some(module) = ctx.module(&path) else {
        return Some(ChangeReason::NoModuleInstance);
    };
    if !module.resources.contains_key(&addr.resource) {
        return Some(ChangeReason::NoResourceConfig);
    }
    Some(match addr.key {
        InstanceKey::Int(_) => ChangeReason::CountIndexOutOfRange,
        InstanceKey::Str(_) => ChangeReason::EachKeyNotFound,
        InstanceKey::None => ChangeReason::NoResourceConfig,
    })
}

/// Keeps prior values for attributes named in `ignore_changes`.
fn apply_ignore_changes(config: Value, prior: Option<&Value>, ignore: &IgnoreChanges) -> Value {
    let (Some(prior), Value::Object(mut obj)) = (prior, config.clone()) else {
        return config;
    };
    let ignored = |name: &str| match ignore {
        IgnoreChanges::Nothing => false,
        IgnoreChanges::All => true,
        IgnoreChanges::Attributes(names) => names.iter().any(|n| n == name),
    };
    for (k, v) in Arc::make_mut(&mut obj).iter_mut() {
        if let Some(p) = prior.get_attr(k).filter(|_| ignored(k)) {
            *v = p.clone();
        }
    }
    Value::Object(obj)
}
