//! Makes a plan so: deletes first (dependents before what they depend on), then the
//! configuration graph walked again with creates and updates in parallel (bounded), then
//! the old halves of create-before-destroy replacements. Every finished instance is
//! handed to a [`StateRecorder`] at once, so an interrupted apply loses nothing that
//! finished.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex, RwLock};

use petgraph::graph::NodeIndex;
use tokio::sync::Semaphore;

use crate::addrs::{AbsResource, InstanceKey, ModuleInstance, ResourceAddr, ResourceInstanceAddr, ResourceMode};
use crate::config::Resource;
use crate::diag::{Diagnostic, Diagnostics};
use crate::eval::Value;
use crate::graph::{Node, NodeKind};
use crate::plan::{Action, Plan, PlanMode, ResourceChange, carry_marks};
use crate::provider::{ApplyRequest, PlanRequest, Provider};
use crate::state::{OutputState, ResourceInstanceState, State};
use crate::walk::{self, InstanceNames, NodeFuture, RunContext, Values};

/// Receives each finished instance as soon as it finishes (the state journal).
pub trait StateRecorder: Send + Sync {
    /// Records, before a provider is asked to create `addr`, that it is about to be, under
    /// `intent`, with what it is asked to make.
    fn record_intent(
        &self,
        addr: &ResourceInstanceAddr,
        intent: &crate::state::journal::Intent,
    ) -> Result<(), Diagnostic> {
        let _ = (addr, intent);
        Ok(())
    }
    fn record_set(&self, addr: &ResourceInstanceAddr, instance: &ResourceInstanceState) -> Result<(), Diagnostic>;
    fn record_remove(&self, addr: &ResourceInstanceAddr) -> Result<(), Diagnostic>;
    /// Records that the instance at `from` is now at `to` (a `moved` block), in one record,
    /// so no crash can leave it at both addresses or at neither.
    fn record_move(&self, from: &ResourceInstanceAddr, to: &ResourceInstanceAddr) -> Result<(), Diagnostic>;
}

/// Progress of an apply, for the CLI to show.
#[derive(Clone, Debug)]
pub enum ApplyEvent {
    /// An `import` block's object is being recorded.
    Imported {
        addr: ResourceInstanceAddr,
        id: String,
    },
    Started {
        addr: ResourceInstanceAddr,
        action: Action,
    },
    Finished {
        addr: ResourceInstanceAddr,
        action: Action,
        elapsed: std::time::Duration,
        id: Option<String>,
    },
    /// A started operation ended in an error (its diagnostic comes with the outcome).
    Failed {
        addr: ResourceInstanceAddr,
        action: Action,
    },
}

/// One provider operation as the observer sees it: `Started` when it is made, `Finished`
/// through [`Operation::finish`], and `Failed` when it is dropped unfinished, which every
/// early return of an operation that errs does.
struct Operation<'a> {
    observer: &'a dyn ApplyObserver,
    addr: &'a ResourceInstanceAddr,
    action: Action,
    started: std::time::Instant,
    finished: bool,
}

impl<'a> Operation<'a> {
    fn start(observer: &'a dyn ApplyObserver, addr: &'a ResourceInstanceAddr, action: Action) -> Operation<'a> {
        observer.event(ApplyEvent::Started { addr: addr.clone(), action });
        Operation { observer, addr, action, started: std::time::Instant::now(), finished: false }
    }

    fn finish(mut self, id: Option<String>) {
        self.finished = true;
        self.observer.event(ApplyEvent::Finished {
            addr: self.addr.clone(),
            action: self.action,
            elapsed: self.started.elapsed(),
            id,
        });
    }
}

impl Drop for Operation<'_> {
    fn drop(&mut self) {
        if !self.finished {
            self.observer.event(ApplyEvent::Failed { addr: self.addr.clone(), action: self.action });
        }
    }
}

/// The `id` attribute of an object, for the observer.
fn id_of(v: &Value) -> Option<String> {
    v.get_attr("id").and_then(Value::as_str).map(str::to_string)
}

/// Receives progress events; called from many tasks at once.
pub trait ApplyObserver: Send + Sync {
    fn event(&self, event: ApplyEvent);
}

/// An observer that ignores everything.
pub struct Quiet;

impl ApplyObserver for Quiet {
    fn event(&self, _: ApplyEvent) {}
}

/// What an apply did: the new state (complete even when some instances failed) and the
/// errors, if any.
pub struct ApplyOutcome {
    pub state: State,
    pub diagnostics: Diagnostics,
    pub counts: ApplyCounts,
    /// Every value the walk computed, as applied (empty when apply stopped before its walk).
    pub values: Values,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ApplyCounts {
    pub imported: usize,
    pub added: usize,
    pub changed: usize,
    pub destroyed: usize,
}

/// The plan's prior state with its moves undone: what is recorded when not even the moves
/// could be journaled.
fn prior_before_moves(plan: &Plan) -> State {
    let mut state = plan.prior.clone();
    for (to, from) in &plan.moved {
        if let Some(inst) = state.resources.remove(to) {
            state.resources.insert(from.clone(), inst);
        }
    }
    state
}

struct ApplyWalk {
    ctx: Arc<RunContext>,
    plan: Plan,
    /// Index of each instance's change in `plan.changes`.
    changes: HashMap<ResourceInstanceAddr, usize>,
    values: RwLock<Values>,
    state: Mutex<State>,
    recorder: Arc<dyn StateRecorder>,
    observer: Arc<dyn ApplyObserver>,
    calls: Semaphore,
    counts: Mutex<ApplyCounts>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Applies a plan. The returned state holds every instance that finished, whether or not
/// others failed; the caller persists it.
pub async fn apply(
    ctx: Arc<RunContext>,
    plan: Plan,
    recorder: Arc<dyn StateRecorder>,
    observer: Arc<dyn ApplyObserver>,
) -> ApplyOutcome {
    let mut state = plan.prior.clone();
    // Moves first: everything recorded after them names instances by their new address.
    for (to, from) in &plan.moved {
        if let Err(d) = recorder.record_move(from, to) {
            return ApplyOutcome {
                state: prior_before_moves(&plan),
                diagnostics: d.into(),
                counts: ApplyCounts::default(),
                values: Values::default(),
            };
        }
    }
    // Drift found by refresh becomes the recorded truth.
    for addr in &plan.drifted {
        match plan.prior.resources.get(addr) {
            Some(inst) => {
                let _ = recorder.record_set(addr, inst);
            }
            None => {
                let _ = recorder.record_remove(addr);
            }
        }
    }
    state.resources.retain(|a, _| a.resource.mode == ResourceMode::Managed);
    // Imported objects are recorded first, as the plan saw them; what else the plan does
    // to them (an update, a replacement) starts from there.
    let mut imported = 0;
    for c in plan.changes.iter().filter(|c| c.importing.is_some()) {
        let (Some(before), Some(id)) = (&c.before, &c.importing) else { continue };
        observer.event(ApplyEvent::Imported { addr: c.addr.clone(), id: id.clone() });
        let inst = ResourceInstanceState {
            provider: c.provider.clone(),
            value: before.clone(),
            dependencies: c.dependencies.clone(),
            create_before_destroy: c.create_before_destroy,
        };
        if let Err(d) = recorder.record_set(&c.addr, &inst) {
            return ApplyOutcome {
                state,
                diagnostics: d.into(),
                counts: ApplyCounts { imported, ..ApplyCounts::default() },
                values: Values::default(),
            };
        }
        state.resources.insert(c.addr.clone(), inst);
        imported += 1;
    }
    // Forgetting calls no provider: the state simply stops recording the object.
    for c in plan.changes.iter().filter(|c| c.action == Action::Forget) {
        if let Err(d) = recorder.record_remove(&c.addr) {
            return ApplyOutcome {
                state,
                diagnostics: d.into(),
                counts: ApplyCounts { imported, ..ApplyCounts::default() },
                values: Values::default(),
            };
        }
        state.resources.remove(&c.addr);
    }
    let changes = plan.changes.iter().enumerate().map(|(i, c)| (c.addr.clone(), i)).collect();
    let walk = Arc::new(ApplyWalk {
        calls: Semaphore::new(ctx.parallelism.max(1)),
        ctx,
        changes,
        values: RwLock::new(Values::default()),
        state: Mutex::new(state),
        recorder,
        observer,
        counts: Mutex::new(ApplyCounts { imported, ..ApplyCounts::default() }),
        plan,
    });
    let mut diags =
        walk.clone().delete_phase(|c| c.action == Action::Delete || c.action == Action::DeleteThenCreate).await;
    if !diags.has_errors() && walk.plan.mode == PlanMode::Normal {
        walk::write(&walk.values).modules.insert(Vec::new(), vec![ModuleInstance::root()]);
        let w = walk.clone();
        diags.extend(
            walk::walk_graph(&walk.ctx.graph, move |i| -> NodeFuture {
                let w = w.clone();
                Box::pin(async move { w.run_node(i).await })
            })
            .await,
        );
        diags.extend(walk.clone().delete_phase(|c| c.action == Action::CreateThenDelete).await);
    }
    if walk.plan.mode == PlanMode::Destroy {
        lock(&walk.state).outputs.clear();
    } else if walk.plan.mode == PlanMode::Normal && !diags.has_errors() {
        // A refresh-only apply evaluates no output: the recorded ones stay.
        walk.record_outputs();
    }
    if !walk.plan.targets.is_empty() {
        diags.push(Diagnostic::warning("Applied changes may be incomplete").with_detail(
            "The plan was created with the -target option in effect, so some changes requested in the configuration may have been ignored and the output values may not be fully updated. Run the following command to verify that no other changes are pending:\n    meshform plan\n\nNote that the -target option is not suitable for routine use, and is provided only for exceptional situations such as recovering from errors or mistakes, or when meshform specifically suggests to use it as part of an error message.",
        ));
    }
    let state = lock(&walk.state).clone();
    let counts = *lock(&walk.counts);
    let values = std::mem::take(&mut *walk::write(&walk.values));
    ApplyOutcome { state, diagnostics: diags, counts, values }
}

impl ApplyWalk {
    async fn run_node(self: Arc<Self>, i: NodeIndex) -> Result<(), Diagnostics> {
        let node = self.ctx.graph.graph[i].clone();
        match &node.kind {
            NodeKind::Resource(addr) => self.apply_resource(&node, addr).await,
            NodeKind::Check(name) => {
                let d = crate::checks::run(&self.ctx, &self.values, &node, name).await;
                if d.is_empty() { Ok(()) } else { Err(d) }
            }
            _ => walk::eval_plain_node(&self.ctx, &self.values, &node),
        }
    }

    fn record_outputs(&self) {
        let values = walk::read(&self.values);
        let mut state = lock(&self.state);
        state.outputs.clear();
        for (name, o) in &self.ctx.config.outputs {
            // A null output is not recorded, as in Terraform.
            if let Some(v) = values.outputs.get(&(ModuleInstance::root(), name.clone())).filter(|v| !v.is_null()) {
                // The state keeps an output's sensitivity as its flag, as Terraform's does,
                // not as marks inside the value.
                let value = v.clone().unmark_deep().0;
                let null_types = values.output_types.get(&(ModuleInstance::root(), name.clone())).and_then(|ty| {
                    let (_, base) = crate::state::codec::encode(&value);
                    let patched = crate::nulltypes::patch(base.clone(), &value, &ty.to_json());
                    (patched != base).then_some(patched)
                });
                state.outputs.insert(name.clone(), OutputState { value, sensitive: o.sensitive, null_types });
            }
        }
    }

    async fn apply_resource(&self, node: &Node, addr: &ResourceAddr) -> Result<(), Diagnostics> {
        let Some(module) = self.ctx.module(&node.module) else {
            return Ok(());
        };
        let Some(res) = module.resources.get(addr) else {
            return Ok(());
        };
        let instances = walk::read(&self.values).modules.get(&node.module).cloned().unwrap_or_default();
        let mut diags = Diagnostics::new();
        for inst in instances {
            let abs = AbsResource { module: inst, resource: addr.clone() };
            if let Err(d) = self.apply_resource_in(module, res, &abs).await {
                diags.extend(d);
            }
        }
        if diags.has_errors() { Err(diags) } else { Ok(()) }
    }

    async fn apply_resource_in(
        &self,
        module: &crate::config::Module,
        res: &Resource,
        abs: &AbsResource,
    ) -> Result<(), Diagnostics> {
        let exp = walk::resource_expansion(&self.ctx, &self.values, module, res, abs)?;
        let path: Vec<String> = abs.module.names().into_iter().map(str::to_string).collect();
        let (_, provider) = self.ctx.provider_for(&path, res)?;
        let mut tasks = Vec::new();
        for key in exp.keys() {
            let addr = abs.instance(key.clone());
            let names = InstanceNames {
                key: Some(key.clone()).filter(|k| *k != InstanceKey::None),
                each_value: Some(exp.each_value(&key)),
            };
            tasks.push(self.apply_instance(module, res, addr, names, provider.clone()));
        }
        let results = join_all(tasks).await;
        let mut diags = Diagnostics::new();
        let mut instance_values = BTreeMap::new();
        for (key, r) in exp.keys().into_iter().zip(results) {
            match r {
                Ok(v) => {
                    instance_values.insert(key, v);
                }
                Err(d) => {
                    instance_values.insert(key, Value::Unknown);
                    diags.push(d);
                }
            }
        }
        walk::write(&self.values).resources.insert(abs.clone(), exp.collect(instance_values));
        if diags.has_errors() { Err(diags) } else { Ok(()) }
    }

    /// Applies one instance's planned change; returns the value references now see.
    async fn apply_instance(
        &self,
        module: &crate::config::Module,
        res: &Resource,
        addr: ResourceInstanceAddr,
        names: InstanceNames,
        provider: Arc<dyn Provider>,
    ) -> Result<Value, Diagnostic> {
        let recorded = lock(&self.state).resources.get(&addr).cloned();
        let Some(change) = self.changes.get(&addr).and_then(|i| self.plan.changes.get(*i)) else {
            // Not in the plan (targeted out): references see the recorded object.
            return Ok(recorded.map_or(Value::Unknown, |r| r.value));
        };
        match change.action {
            Action::NoOp => {
                return Ok(change.after.clone().or(recorded.map(|r| r.value)).unwrap_or(Value::Null));
            }
            Action::Delete => return Ok(Value::Null),
            _ => {}
        }
        if self.ctx.is_interrupted() {
            return Err(Diagnostic::error("Apply interrupted")
                .with_detail("Not started: meshform was interrupted.")
                .with_address(addr.to_string()));
        }
        let config = {
            let v = walk::read(&self.values);
            let s = walk::scope(&self.ctx, &v, module, &addr.module, names);
            let schema = provider.schema();
            let schema = match addr.resource.mode {
                ResourceMode::Managed => schema.resources.get(&addr.resource.type_name),
                ResourceMode::Data => schema.data_sources.get(&addr.resource.type_name),
            };
            let Some(schema) = schema else {
                return Err(Diagnostic::error("Unsupported resource type").with_address(addr.to_string()));
            };
            walk::eval_body(&res.body, schema, &s).map_err(|d| first_error(d).with_address(addr.to_string()))?
        };
        let (plain_config, _) = config.clone().unmark_deep();
        let _permit = self.calls.acquire().await;
        let operation = Operation::start(&*self.observer, &addr, change.action);
        if change.action == Action::Read {
            let v = provider
                .read_data(&addr.resource.type_name, &plain_config)
                .await
                .map_err(|e| provider_error("Failed to read data source", e, &addr).with_span(res.span))?;
            operation.finish(id_of(&v));
            return Ok(carry_marks(v, &config));
        }
        // After a delete-then-create the old object is gone; create-before-destroy keeps
        // the old one (deleted later), so the new one starts from nothing too.
        let prior = match change.action {
            Action::Update => recorded.as_ref().map(|r| r.value.clone().unmark_deep().0),
            _ => None,
        };
        let planned = provider
            .plan(PlanRequest { type_name: &addr.resource.type_name, prior: prior.as_ref(), config: &plain_config })
            .await
            .map_err(|e| provider_error("Provider failed to plan", e, &addr).with_span(res.span))?;
        // A create an interrupted apply started, and whose object was not found, is made
        // again under the same intent id (see `State::unadopted`).
        let reused = if prior.is_none() { lock(&self.state).unadopted.get(&addr).cloned() } else { None };
        let intent = reused.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        if prior.is_none() {
            self.recorder.record_intent(
                &addr,
                &crate::state::journal::Intent {
                    addr: addr.clone(),
                    id: intent.clone(),
                    provider: change.provider.clone(),
                    planned: planned.planned.clone(),
                    dependencies: change.dependencies.clone(),
                    create_before_destroy: change.create_before_destroy,
                },
            )?;
        }
        let new = provider
            .apply(ApplyRequest {
                type_name: &addr.resource.type_name,
                prior: prior.as_ref(),
                planned: Some(&planned.planned),
                config: &plain_config,
                intent: &intent,
            })
            .await
            .map_err(|e| provider_error("Provider failed to apply", e, &addr).with_span(res.span))?;
        let new = carry_marks(new, &config);
        operation.finish(id_of(&new));
        let instance = ResourceInstanceState {
            provider: change.provider.clone(),
            value: new.clone(),
            dependencies: change.dependencies.clone(),
            create_before_destroy: change.create_before_destroy,
        };
        self.record(&addr, Some(instance), change.action)?;
        Ok(new)
    }

    /// Records a finished instance in memory and in the journal.
    fn record(
        &self,
        addr: &ResourceInstanceAddr,
        instance: Option<ResourceInstanceState>,
        action: Action,
    ) -> Result<(), Diagnostic> {
        {
            let mut counts = lock(&self.counts);
            match action {
                Action::Create | Action::DeleteThenCreate | Action::CreateThenDelete if instance.is_some() => {
                    counts.added += 1
                }
                Action::Update => counts.changed += 1,
                _ if instance.is_none() => counts.destroyed += 1,
                _ => {}
            }
        }
        let mut state = lock(&self.state);
        match instance {
            Some(i) => {
                self.recorder.record_set(addr, &i)?;
                state.set_instance(addr.clone(), i);
            }
            None => {
                self.recorder.record_remove(addr)?;
                state.resources.remove(addr);
            }
        }
        Ok(())
    }

    /// Deletes the selected instances, each only after every selected instance that
    /// depends on it is gone.
    async fn delete_phase(self: Arc<Self>, select: impl Fn(&ResourceChange) -> bool) -> Diagnostics {
        let selected: Vec<ResourceChange> = self.plan.changes.iter().filter(|c| select(c)).cloned().collect();
        if selected.is_empty() {
            return Diagnostics::new();
        }
        // blockers[x] = how many selected instances depend on x and are not deleted yet.
        let by_resource: HashMap<AbsResource, Vec<usize>> =
            selected.iter().enumerate().fold(HashMap::new(), |mut m, (i, c)| {
                m.entry(c.addr.resource()).or_insert_with(Vec::new).push(i);
                m
            });
        let mut blockers = vec![0usize; selected.len()];
        let mut unblocks: Vec<Vec<usize>> = vec![Vec::new(); selected.len()];
        for (i, c) in selected.iter().enumerate() {
            let deps: HashSet<&AbsResource> = c.dependencies.iter().collect();
            for d in deps {
                for &j in by_resource.get(d).into_iter().flatten() {
                    if j != i {
                        blockers[j] += 1;
                        unblocks[i].push(j);
                    }
                }
            }
        }
        let mut ready: Vec<usize> = (0..selected.len()).filter(|i| blockers[*i] == 0).collect();
        let mut running = tokio::task::JoinSet::new();
        let mut diags = Diagnostics::new();
        let selected = Arc::new(selected);
        loop {
            for i in ready.drain(..) {
                let (w, sel) = (self.clone(), selected.clone());
                running.spawn(async move { (i, w.delete_instance(&sel[i]).await) });
            }
            let Some(joined) = running.join_next().await else {
                break;
            };
            let Ok((i, result)) = joined else { continue };
            if let Err(d) = result {
                diags.push(d);
                continue; // what it depends on stays: deleting it could break this one
            }
            for &j in &unblocks[i] {
                blockers[j] -= 1;
                if blockers[j] == 0 {
                    ready.push(j);
                }
            }
        }
        diags
    }

    async fn delete_instance(&self, change: &ResourceChange) -> Result<(), Diagnostic> {
        let addr = &change.addr;
        if self.ctx.is_interrupted() {
            return Err(Diagnostic::error("Apply interrupted")
                .with_detail("Not started: meshform was interrupted.")
                .with_address(addr.to_string()));
        }
        let (_, provider) =
            self.ctx.provider_of(addr, &change.provider).map_err(|d| d.with_address(addr.to_string()))?;
        let prior = change.before.clone().map(|v| v.unmark_deep().0);
        let Some(prior) = prior else { return Ok(()) };
        let operation = {
            let _permit = self.calls.acquire().await;
            let operation = Operation::start(&*self.observer, addr, Action::Delete);
            provider
                .apply(ApplyRequest {
                    type_name: &addr.resource.type_name,
                    prior: Some(&prior),
                    planned: None,
                    config: &Value::Null,
                    intent: "",
                })
                .await
                .map_err(|e| provider_error("Provider failed to delete", e, addr))?;
            operation
        };
        operation.finish(None);
        if change.action == Action::CreateThenDelete {
            // The new object is already recorded under this address; count the deletion only.
            lock(&self.counts).destroyed += 1;
            return Ok(());
        }
        self.record(addr, None, change.action)
    }
}

fn provider_error(summary: &str, e: crate::provider::ProviderError, addr: &ResourceInstanceAddr) -> Diagnostic {
    let detail = match &e.code {
        Some(code) => format!("{} ({code})", e.message),
        None => e.message,
    };
    Diagnostic::error(summary).with_detail(detail).with_address(addr.to_string())
}

fn first_error(d: Diagnostics) -> Diagnostic {
    d.0.into_iter()
        .find(Diagnostic::is_error)
        .unwrap_or_else(|| Diagnostic::error("configuration could not be evaluated"))
}

/// Runs futures concurrently on this task and collects their outputs in order.
async fn join_all<F: std::future::Future>(futures: Vec<F>) -> Vec<F::Output> {
    use std::pin::Pin;
    use std::task::Poll;
    let mut futures: Vec<Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    let mut remaining = futures.len();
    std::future::poll_fn(|cx| {
        for (i, f) in futures.iter_mut().enumerate() {
            if outputs[i].is_none()
                && let Poll::Ready(v) = f.as_mut().poll(cx)
            {
                outputs[i] = Some(v);
                remaining -= 1;
            }
        }
        if remaining == 0 { Poll::Ready(()) } else { Poll::Pending }
    })
    .await;
    outputs.into_iter().flatten().collect()
}
