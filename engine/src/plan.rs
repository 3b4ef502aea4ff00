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
use crate::provider::PlanRequest;
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
}

/// Counts for the summary line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PlanSummary {
    pub add: usize,
    pub change: usize,
    pub destroy: usize,
}

impl Plan {
    pub fn summary(&self) -> PlanSummary {
        let mut s = PlanSummary::default();
        for c in &self.changes {
            match c.action {
                Action::Create => s.add += 1,
                Action::Update => s.change += 1,
                Action::Delete => s.destroy += 1,
                Action::DeleteThenCreate | Action::CreateThenDelete => {
                    s.add += 1;
                    s.destroy += 1;
                }
                Action::NoOp | Action::Read => {}
            }
        }
        s
    }

    /// True when applying would change anything: a resource, an output, or drift to record.
    pub fn has_changes(&self) -> bool {
        self.changes.iter().any(|c| c.action != Action::NoOp)
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
    if diags.has_errors() { Err(diags) } else { Ok(walk) }
}

/// Every value of the configuration as a plan against `prior` sees it (no refresh), for
/// evaluating expressions interactively.
pub async fn evaluate(ctx: Arc<RunContext>, prior: &State) -> Result<Values, Diagnostics> {
    let opts = PlanOptions { refresh: false, ..PlanOptions::default() };
    let walk = run_walk(ctx, prior.clone(), opts).await?;
    Ok(std::mem::take(&mut *walk::write(&walk.values)))
}

/// Refreshes `prior` and plans the configuration against it.
pub async fn plan(ctx: Arc<RunContext>, prior: &State, opts: PlanOptions) -> Result<Plan, Diagnostics> {
    let (refreshed, drifted) = if opts.refresh { refresh(&ctx, prior).await? } else { (prior.clone(), Vec::new()) };
    if opts.mode == PlanMode::Destroy {
        return Ok(destroy_plan(refreshed, prior, opts));
    }
    let walk = run_walk(ctx, refreshed, opts).await?;
    let mut changes = std::mem::take(&mut *lock(&walk.changes));
    if walk.opts.mode == PlanMode::RefreshOnly {
        changes.retain(|_, _| false);
    } else {
        walk.plan_orphans(&mut changes);
    }
    let outputs = walk.output_changes(prior);
    let variables = walk::read(&walk.values)
        .variables
        .iter()
        .filter(|((m, _), _)| m.is_root())
        .map(|((_, n), v)| (n.clone(), v.clone()))
        .collect();
    Ok(Plan {
        variables,
        mode: walk.opts.mode,
        lineage: prior.lineage.clone(),
        serial: prior.serial,
        changes: changes.into_values().collect(),
        outputs,
        prior: walk.prior.clone(),
        targets: walk.opts.targets.clone(),
        drifted,
    })
}

fn destroy_plan(refreshed: State, prior: &State, opts: PlanOptions) -> Plan {
    let changes = refreshed
        .resources
        .iter()
        .filter(|(addr, _)| opts.targets.is_empty() || opts.targets.iter().any(|t| t.selects(addr)))
        .map(|(addr, inst)| ResourceChange {
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
    }
}

/// Reads every managed instance back from its provider; gone objects leave the state.
async fn refresh(ctx: &RunContext, prior: &State) -> Result<(State, Vec<ResourceInstanceAddr>), Diagnostics> {
    let sem = Arc::new(Semaphore::new(ctx.parallelism.max(1)));
    let mut set = tokio::task::JoinSet::new();
    for (addr, inst) in &prior.resources {
        if addr.resource.mode == ResourceMode::Data {
            continue;
        }
        let provider = match ctx.provider_named(&inst.provider, &addr.resource.type_name) {
            Ok((_, p)) => p,
            Err(d) => return Err(d.with_address(addr.to_string()).into()),
        };
        let (addr, value, sem) = (addr.clone(), inst.value.clone(), sem.clone());
        set.spawn(async move {
            let _permit = sem.acquire().await;
            let (plain, _) = value.clone().unmark_deep();
            let read = provider.read(&addr.resource.type_name, &plain).await;
            (addr, value, read)
        });
    }
    let mut state = prior.clone();
    let mut drifted = Vec::new();
    let mut diags = Diagnostics::new();
    while let Some(joined) = set.join_next().await {
        let Ok((addr, old, read)) = joined else {
            continue;
        };
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
            Err(e) => {
                diags.push(Diagnostic::error("Refresh failed").with_detail(e.message).with_address(addr.to_string()))
            }
        }
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
            return Err(Diagnostic::error("Unsupported resource type")
                .with_detail(format!(
                    "Provider \"{provider_name}\" has no {} type \"{}\".",
                    if abs.resource.mode == ResourceMode::Data { "data source" } else { "resource" },
                    abs.resource.type_name
                ))
                .with_span(res.span)
                .into());
        };
        let mut instance_values = BTreeMap::new();
        let mut diags = Diagnostics::new();
        for key in exp.keys() {
            let addr = abs.instance(key.clone());
            let prior = self.prior.resources.get(&addr).map(|s| s.value.clone());
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
            let planned = if abs.resource.mode == ResourceMode::Data {
                self.plan_data(&addr, &provider_name, provider.as_ref(), config).await
            } else {
                self.plan_managed(res, &addr, &provider_name, provider.as_ref(), prior, config, deps).await
            };
            match planned {
                Ok(v) => {
                    instance_values.insert(key, v);
                }
                Err(d) => diags.push(d.with_address(addr.to_string()).or_span(res.span)),
            }
        }
        walk::write(&self.values).resources.insert(abs.clone(), exp.collect(instance_values));
        if diags.has_errors() { Err(diags) } else { Ok(()) }
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

    /// Instances in state that the configuration no longer has.
    fn plan_orphans(&self, changes: &mut BTreeMap<ResourceInstanceAddr, ResourceChange>) {
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
            changes.insert(addr.clone(), delete_change(addr, inst, reason));
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
