//! `meshform test`: runs the `run` blocks of a test file in order, each a plan or an apply
//! of the module under test (or of another module) against a state that lives in memory,
//! checks their assertions and expected failures, and destroys what the file made at the
//! end, newest state first. The semantics are those of Terraform's test framework; what is
//! shown and how is the caller's, through [`TestObserver`].

pub mod mock;
mod scope;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use crate::addrs::{ModuleInstance, ResourceAddr, ResourceInstanceAddr, ResourceMode, Target};
use crate::apply::{Quiet, StateRecorder};
use crate::config::test_file::{MockProvider, Override, OverrideDuring, OverrideKind, TestCommand, TestFile, TestRun};
use crate::config::{Expr, Loader, Module, ProviderRef};
use crate::diag::{Diagnostic, Diagnostics, Severity, SourceMap, Span};
use crate::eval::Value;
use crate::graph::Graph;
use crate::plan::{Plan, PlanMode, PlanOptions};
use crate::provider::ProviderRegistry;
use crate::state::{ResourceInstanceState, State};
use crate::walk::{self, InstanceNames, RawVariable, RunContext, Values};
use mock::MockValues;
use scope::{AssertionScope, FileVariablesScope, RunOutputs, RunVariablesScope};

/// What every test file of a module runs with.
pub struct TestEnv {
    /// The module under test.
    pub config: Arc<Module>,
    /// Its directory: where the command runs, and what `module { source }` is relative to.
    pub dir: PathBuf,
    pub sources: SourceMap,
    pub registry: ProviderRegistry,
    /// Values from the command line, the environment and variable files.
    pub globals: BTreeMap<String, RawVariable>,
    pub parallelism: usize,
    pub interrupted: Arc<AtomicBool>,
}

/// How a run, a file or the suite ended; a merge keeps the worst.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    Pending,
    Skip,
    Pass,
    /// An assertion was false.
    Fail,
    /// Anything else went wrong.
    Error,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Skip => "skip",
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Error => "error",
        }
    }
}

/// What a run left to show with `-verbose`.
pub enum RunOutcome {
    Plan(Box<Plan>),
    State(Box<State>),
}

pub struct RunReport {
    pub name: String,
    pub status: Status,
    pub diagnostics: Diagnostics,
    pub outcome: Option<RunOutcome>,
}

/// Objects a file's teardown could not destroy.
pub struct Leftover {
    /// The run whose state held them.
    pub run: String,
    pub resources: Vec<ResourceInstanceAddr>,
    pub diagnostics: Diagnostics,
}

pub struct FileReport {
    pub status: Status,
    pub runs: Vec<RunReport>,
    pub leftovers: Vec<Leftover>,
}

/// Told of each step as it happens; called from the task running the file.
pub trait TestObserver: Send + Sync {
    fn run_started(&self, file: &TestFile, run: &TestRun) {
        let _ = (file, run);
    }
    fn run_finished(&self, file: &TestFile, report: &RunReport);
    fn teardown_started(&self, file: &TestFile);
    /// The state last written by `run` is about to be destroyed.
    fn teardown_run(&self, file: &TestFile, run: &str) {
        let _ = (file, run);
    }
}

/// States of a test live in memory only.
struct InMemory;

impl StateRecorder for InMemory {
    fn record_set(&self, _: &ResourceInstanceAddr, _: &ResourceInstanceState) -> Result<(), Diagnostic> {
        Ok(())
    }
    fn record_remove(&self, _: &ResourceInstanceAddr) -> Result<(), Diagnostic> {
        Ok(())
    }
    fn record_move(&self, _: &ResourceInstanceAddr, _: &ResourceInstanceAddr) -> Result<(), Diagnostic> {
        Ok(())
    }
}

/// A state of the file, with what the last apply into it ran with (teardown destroys it
/// with the same configuration, providers and variables).
struct KeptState {
    state: State,
    last_run: usize,
    run_name: String,
    ctx: Arc<RunContext>,
}

/// A checkable object named in `expect_failures`, and the conditions whose failure it
/// expects.
struct Expected {
    label: String,
    span: Span,
    conditions: Vec<Span>,
    seen: bool,
}

/// The summaries of the failures of custom conditions: the only errors that
/// `expect_failures` can expect.
const CONDITION_FAILURES: &[&str] = &[
    "Invalid value for variable",
    "Module output value precondition failed",
    "Resource precondition failed",
    "Resource postcondition failed",
    "Check block assertion failed",
];

const CHECK_FAILED: &str = "Check block assertion failed";

/// Runs one test file; the caller shows its progress through `observer`.
pub async fn run_file(env: &TestEnv, file: &TestFile, observer: &dyn TestObserver) -> FileReport {
    let mut f = FileRun {
        env,
        file,
        globals: BTreeMap::new(),
        file_values: BTreeMap::new(),
        runs: RunOutputs { names: file.runs.iter().map(|r| r.name.clone()).collect(), done: BTreeMap::new() },
        states: BTreeMap::new(),
        modules: BTreeMap::new(),
    };
    let mut reports = Vec::new();
    let setup = f.evaluate_file_values();
    let mut errored = false;
    for (i, run) in file.runs.iter().enumerate() {
        let report = if errored || env.interrupted.load(std::sync::atomic::Ordering::SeqCst) {
            RunReport { name: run.name.clone(), status: Status::Skip, diagnostics: Diagnostics::new(), outcome: None }
        } else {
            observer.run_started(file, run);
            match &setup {
                Ok(()) => f.run(i, run).await,
                Err(d) => {
                    RunReport { name: run.name.clone(), status: Status::Error, diagnostics: d.clone(), outcome: None }
                }
            }
        };
        errored |= report.status == Status::Error;
        observer.run_finished(file, &report);
        reports.push(report);
    }
    observer.teardown_started(file);
    let leftovers = f.teardown(observer).await;
    let mut status = if reports.is_empty() { Status::Pass } else { Status::Skip };
    for r in &reports {
        status = status.max(r.status);
    }
    if !leftovers.is_empty() {
        status = Status::Error;
    }
    FileReport { status, runs: reports, leftovers }
}

struct FileRun<'a> {
    env: &'a TestEnv,
    file: &'a TestFile,
    globals: BTreeMap<String, Value>,
    file_values: BTreeMap<String, Value>,
    runs: RunOutputs,
    states: BTreeMap<String, KeptState>,
    /// Modules of `module { source }` blocks, loaded once.
    modules: BTreeMap<String, Arc<Module>>,
}

fn error(status: &mut Status, diags: &mut Diagnostics, more: Diagnostics) {
    if more.has_errors() {
        *status = (*status).max(Status::Error);
    }
    diags.extend(more);
}

impl FileRun<'_> {
    fn evaluate_file_values(&mut self) -> Result<(), Diagnostics> {
        let mut diags = Diagnostics::new();
        for (name, raw) in &self.env.globals {
            let value = match raw {
                RawVariable::Literal { text, .. } => Ok(Value::from(text.as_str())),
                RawVariable::Expr(e) => walk::eval_constant(e),
                RawVariable::Value { value, .. } => Ok(value.clone()),
            };
            match value {
                Ok(v) => {
                    self.globals.insert(name.clone(), v);
                }
                Err(d) => diags.push(d),
            }
        }
        for a in &self.file.variables {
            let s = FileVariablesScope { globals: &self.globals, dir: &self.env.dir };
            match walk::eval_expr(&a.expr, &s) {
                Ok(v) => {
                    self.file_values.insert(a.name.clone(), v);
                }
                Err(d) => diags.push(d),
            }
        }
        if diags.has_errors() { Err(diags) } else { Ok(()) }
    }

    async fn run(&mut self, index: usize, run: &TestRun) -> RunReport {
        let mut report =
            RunReport { name: run.name.clone(), status: Status::Pass, diagnostics: Diagnostics::new(), outcome: None };
        if let Err(d) = self.run_steps(index, run, &mut report).await {
            error(&mut report.status, &mut report.diagnostics, d);
        }
        report
    }

    async fn run_steps(&mut self, index: usize, run: &TestRun, report: &mut RunReport) -> Result<(), Diagnostics> {
        let config = self.module_for(run)?;
        let key =
            run.state_key.clone().unwrap_or_else(|| run.module.as_ref().map(|m| m.source.clone()).unwrap_or_default());
        let mut expected = expected_failures(run, &config)?;
        let (variables, test_values, warnings) = self.variables(run, &config)?;
        report.diagnostics.extend(warnings);
        let ctx = Arc::new(self.context(run, config.clone(), variables).await?);
        let prior = self.states.get(&key).map(|k| k.state.clone()).unwrap_or_default();
        let opts = plan_options(run)?;
        let planned = crate::plan::plan_with_values(ctx.clone(), &prior, opts).await;
        let values = match run.command {
            TestCommand::Plan => {
                let (plan, values) = match planned {
                    Ok(p) => p,
                    Err(d) => {
                        let rest = settle_expected(d, &mut expected);
                        error(&mut report.status, &mut report.diagnostics, rest);
                        return Ok(());
                    }
                };
                let rest = settle_expected(plan.warnings.clone(), &mut expected);
                error(&mut report.status, &mut report.diagnostics, rest);
                if report.status == Status::Error {
                    return Ok(());
                }
                report.outcome = Some(RunOutcome::Plan(Box::new(plan)));
                values
            }
            TestCommand::Apply => {
                let plan = match planned {
                    Ok((p, _)) => p,
                    Err(d) => {
                        let mut out = Diagnostics::new();
                        for e in &expected {
                            if d.0.iter().any(|x| e.matches(x)) {
                                out.push(Diagnostic::warning("Expected failure while planning").with_detail(format!(
                                    "A custom condition within {} failed during the planning stage and prevented the requested apply operation. While this was an expected failure, the apply operation could not be executed and so the overall test case will be marked as a failure and the original diagnostic included in the test report.",
                                    e.label
                                )));
                            }
                        }
                        out.extend(d);
                        error(&mut report.status, &mut report.diagnostics, out);
                        return Ok(());
                    }
                };
                let refresh_only = plan.mode == PlanMode::RefreshOnly;
                let variables = plan.variables.clone();
                // Apply runs the checks again; their plan-time results would be doubled.
                let plan_warnings: Vec<Diagnostic> =
                    plan.warnings.0.iter().filter(|d| d.summary != CHECK_FAILED).cloned().collect();
                report.diagnostics.extend(Diagnostics(plan_warnings));
                let outcome = crate::apply::apply(ctx.clone(), plan, Arc::new(InMemory), Arc::new(Quiet)).await;
                self.states.insert(
                    key,
                    KeptState {
                        state: outcome.state.clone(),
                        last_run: index,
                        run_name: run.name.clone(),
                        ctx: ctx.clone(),
                    },
                );
                let rest = settle_expected(outcome.diagnostics, &mut expected);
                error(&mut report.status, &mut report.diagnostics, rest);
                if report.status == Status::Error {
                    return Ok(());
                }
                // A refresh-only apply evaluates nothing: what it recorded is the result.
                let values = if refresh_only { state_values(&outcome.state, variables) } else { outcome.values };
                report.outcome = Some(RunOutcome::State(Box::new(outcome.state)));
                values
            }
        };
        self.runs.done.insert(run.name.clone(), root_outputs(&config, &values));
        let (status, diags) = self.assertions(run, &ctx, &config, &values, &test_values);
        report.status = report.status.max(status);
        report.diagnostics.extend(diags);
        Ok(())
    }

    fn module_for(&mut self, run: &TestRun) -> Result<Arc<Module>, Diagnostics> {
        let Some(m) = &run.module else { return Ok(self.env.config.clone()) };
        if let Some(found) = self.modules.get(&m.source) {
            return Ok(found.clone());
        }
        if !(m.source.starts_with("./") || m.source.starts_with("../")) {
            return Err(Diagnostic::error("Invalid module source address")
                .with_detail("Only local module sources are currently supported from within test run blocks.")
                .with_span(m.span)
                .into());
        }
        let dir = self.env.dir.join(&m.source);
        if !dir.is_dir() {
            return Err(Diagnostic::error("Module not found")
                .with_detail(format!("There is no module directory at {}.", m.source))
                .with_span(m.span)
                .into());
        }
        let loader = Loader::new(self.env.sources.clone(), &self.env.dir);
        let (module, diags) = loader.load(&dir);
        if diags.has_errors() {
            return Err(diags);
        }
        let module = Arc::new(module);
        self.modules.insert(m.source.clone(), module.clone());
        Ok(module)
    }

    /// The variable values of a run: global values, then the file's, then the run's, for
    /// the variables the module declares. The rest are test-only values that assertions
    /// may read as `var.NAME`.
    #[allow(clippy::type_complexity)]
    fn variables(
        &self,
        run: &TestRun,
        config: &Module,
    ) -> Result<(BTreeMap<String, RawVariable>, BTreeMap<String, Value>, Diagnostics), Diagnostics> {
        let mut raw: BTreeMap<String, RawVariable> = BTreeMap::new();
        let mut test_values = self.globals.clone();
        for (name, v) in &self.env.globals {
            if config.variables.contains_key(name) {
                raw.insert(name.clone(), v.clone());
            }
        }
        for a in &self.file.variables {
            if let Some(v) = self.file_values.get(&a.name) {
                test_values.insert(a.name.clone(), v.clone());
                if config.variables.contains_key(&a.name) {
                    raw.insert(a.name.clone(), RawVariable::Value { value: v.clone(), span: a.expr.span() });
                }
            }
        }
        let mut diags = Diagnostics::new();
        let mut warnings = Diagnostics::new();
        for a in &run.variables {
            let s = RunVariablesScope {
                file_values: &self.file_values,
                globals: &self.globals,
                runs: &self.runs,
                dir: &self.env.dir,
            };
            let v = match walk::eval_expr(&a.expr, &s) {
                Ok(v) => v,
                Err(d) => {
                    diags.push(d);
                    continue;
                }
            };
            if !config.variables.contains_key(&a.name) && !references_var(run, &a.name) {
                warnings.push(
                    Diagnostic::warning("Value for undeclared variable")
                        .with_detail(format!(
                            "The module under test does not declare a variable named \"{}\", but it is declared in run block \"{}\".",
                            a.name, run.name
                        ))
                        .with_span(a.name_span),
                );
            }
            test_values.insert(a.name.clone(), v.clone());
            if config.variables.contains_key(&a.name) {
                raw.insert(a.name.clone(), RawVariable::Value { value: v, span: a.expr.span() });
            }
        }
        for (name, var) in &config.variables {
            if var.default.is_none() && !raw.contains_key(name) {
                diags.push(
                    Diagnostic::error("No value for required variable")
                        .with_detail(format!(
                            "The module under test for run block \"{}\" has a required variable \"{name}\" with no set value. Use a -var or -var-file command line argument or add this variable into a \"variables\" block within the test file or run block.",
                            run.name
                        ))
                        .with_span(var.span),
                );
            }
        }
        if diags.has_errors() { Err(diags) } else { Ok((raw, test_values, warnings)) }
    }

    /// The run's context: the module with the test file's provider blocks in place of its
    /// own, mocked providers, and overridden resources.
    async fn context(
        &self,
        run: &TestRun,
        config: Arc<Module>,
        variables: BTreeMap<String, RawVariable>,
    ) -> Result<RunContext, Diagnostics> {
        let key = |name: &str, alias: &Option<String>| {
            ProviderRef { name: name.to_string(), alias: alias.clone() }.to_string()
        };
        let mut module = (*config).clone();
        let mocked: Vec<String> = self.file.mocks.iter().map(|m| key(&m.name, &m.alias)).collect();
        module.providers.retain(|b| {
            let k = key(&b.name, &b.alias);
            !mocked.contains(&k) && !self.file.providers.iter().any(|p| key(&p.name, &p.alias) == k)
        });
        module.providers.extend(self.file.providers.iter().cloned());
        let graph = Graph::build(&module)?;
        let mut ctx = RunContext {
            config: Arc::new(module),
            graph,
            providers: BTreeMap::new(),
            root_variables: variables,
            cwd: self.env.dir.clone(),
            parallelism: self.env.parallelism,
            interrupted: self.env.interrupted.clone(),
            workspace: "default".into(),
            sources: self.env.sources.clone(),
            overrides: BTreeMap::new(),
        };
        ctx.providers = crate::configure::configure(&ctx, &self.env.registry).await?;
        let mut diags = Diagnostics::new();
        for m in &self.file.mocks {
            match self.mock(m) {
                Ok(p) => {
                    ctx.providers.insert(key(&m.name, &m.alias), p);
                }
                Err(d) => diags.extend(d),
            }
        }
        // `providers = { aws = aws.east }`: the module's `aws` is the file's `aws.east`.
        for (inner, outer) in &run.providers {
            match ctx.providers.get(&outer.to_string()).cloned() {
                Some(p) => {
                    ctx.providers.insert(inner.clone(), p);
                }
                None => diags.push(
                    Diagnostic::error(format!("Missing provider definition for {outer}"))
                        .with_detail("This provider block references a provider definition that does not exist.")
                        .with_span(run.span),
                ),
            }
        }
        let overrides: Vec<&Override> = run
            .overrides
            .iter()
            .chain(&self.file.overrides)
            .chain(self.file.mocks.iter().flat_map(|m| &m.overrides))
            .collect();
        for o in overrides {
            if let Err(d) = install_override(&mut ctx, o) {
                diags.push(d);
            }
        }
        if diags.has_errors() { Err(diags) } else { Ok(ctx) }
    }

    fn mock(&self, m: &MockProvider) -> Result<Arc<dyn crate::provider::Provider>, Diagnostics> {
        let Some(factory) = self.env.registry.factory(&m.name) else {
            return Err(Diagnostic::error("Unknown provider")
                .with_detail(format!(
                    "meshform has no provider \"{}\" to mock. Known providers: {}.",
                    m.name,
                    self.env.registry.names().collect::<Vec<_>>().join(", ")
                ))
                .with_span(m.span)
                .into());
        };
        let mut values = MockValues::default();
        let mut diags = Diagnostics::new();
        for (defaults, into) in [(&m.resources, &mut values.resources), (&m.data, &mut values.data)] {
            for d in defaults {
                let v = match &d.defaults {
                    Some(e) => match object_constant(e, "defaults") {
                        Ok(v) => v,
                        Err(e) => {
                            diags.push(e);
                            continue;
                        }
                    },
                    None => Value::object(Vec::<(String, Value)>::new()),
                };
                into.insert(d.type_name.clone(), v);
            }
        }
        if diags.has_errors() {
            return Err(diags);
        }
        Ok(mock::MockProvider::serving(factory().schema().clone(), values))
    }

    fn assertions(
        &self,
        run: &TestRun,
        ctx: &RunContext,
        config: &Module,
        values: &Values,
        test_values: &BTreeMap<String, Value>,
    ) -> (Status, Diagnostics) {
        let mut status = Status::Pass;
        let mut diags = Diagnostics::new();
        let root = ModuleInstance::root();
        for a in &run.asserts {
            let s = AssertionScope {
                module: walk::scope(ctx, values, config, &root, InstanceNames::default()),
                config,
                test_values,
                runs: &self.runs,
            };
            let message = walk::eval_expr(&a.error_message, &s);
            let condition = walk::eval_expr(&a.condition, &s);
            let (message, condition) = match (message, condition) {
                (Ok(m), Ok(c)) => (m.unmark_deep().0, c.unmark_deep().0),
                (m, c) => {
                    status = Status::Error;
                    diags.extend(Diagnostics(m.err().into_iter().chain(c.err()).collect()));
                    continue;
                }
            };
            let span = a.condition.span();
            let invalid = |detail: &str| Diagnostic::error("Invalid condition run").with_detail(detail).with_span(span);
            let holds = match condition {
                Value::Bool(b) => Ok(b),
                Value::String(s) if s == "true" || s == "false" => Ok(s == "true"),
                Value::Null => Err(invalid("Condition expression must return either true or false, not null.")),
                Value::Unknown => Err(Diagnostic::error("Unknown condition value")
                    .with_detail("Condition expression could not be evaluated at this time. This means you have executed a `run` block with `command = plan` and one of the values your condition depended on is not known until after the plan has been applied. Either remove this value from your condition, or execute an `apply` command from this `run` block. Alternatively, if there is an override for this value, you can make it available during the plan phase by setting `override_during = plan` in the `override_` block.")
                    .with_span(span)),
                _ => Err(invalid("Invalid condition run value: a bool is required.")),
            };
            match holds {
                Ok(true) => {}
                Ok(false) => {
                    status = status.max(Status::Fail);
                    let text = match message {
                        Value::String(m) => m,
                        Value::Unknown => "The error message is not known yet.".to_string(),
                        other => other.to_json().to_string(),
                    };
                    diags.push(
                        Diagnostic::error("Test assertion failed")
                            .with_detail(text)
                            .with_span(span)
                            .with_label(format!("in run \"{}\"", run.name)),
                    );
                }
                Err(d) => {
                    status = Status::Error;
                    diags.push(d);
                }
            }
        }
        (status, diags)
    }

    /// Destroys every state the file made, the one last applied to first.
    async fn teardown(&mut self, observer: &dyn TestObserver) -> Vec<Leftover> {
        let mut kept: Vec<KeptState> = std::mem::take(&mut self.states).into_values().collect();
        kept.retain(|k| k.state.resources.keys().any(|a| a.resource.mode == ResourceMode::Managed));
        kept.sort_by_key(|k| std::cmp::Reverse(k.last_run));
        let mut leftovers = Vec::new();
        for k in kept {
            observer.teardown_run(self.file, &k.run_name);
            let opts = PlanOptions { mode: PlanMode::Destroy, ..PlanOptions::default() };
            let (state, diagnostics) = match crate::plan::plan(k.ctx.clone(), &k.state, opts).await {
                Ok(plan) => {
                    let outcome = crate::apply::apply(k.ctx.clone(), plan, Arc::new(InMemory), Arc::new(Quiet)).await;
                    (outcome.state, outcome.diagnostics)
                }
                Err(d) => (k.state.clone(), d),
            };
            let resources: Vec<ResourceInstanceAddr> =
                state.resources.keys().filter(|a| a.resource.mode == ResourceMode::Managed).cloned().collect();
            if !resources.is_empty() || diagnostics.has_errors() {
                leftovers.push(Leftover { run: k.run_name, resources, diagnostics });
            }
        }
        leftovers
    }
}

/// Whether an assertion of `run` reads `var.NAME`: such a value is for the test, not the
/// module, and is no mistake.
fn references_var(run: &TestRun, name: &str) -> bool {
    run.asserts.iter().any(|a| {
        [&a.condition, &a.error_message].iter().any(|e| {
            crate::eval::expr::references(&e.expr, e.file)
                .iter()
                .any(|r| r.root == "var" && r.attrs.first().is_some_and(|n| n == name))
        })
    })
}

/// The values a state records, as a walk would have computed them: each resource as one
/// value (its instances by key), the root outputs, and the root variables given.
fn state_values(state: &State, variables: BTreeMap<String, Value>) -> Values {
    let mut by_resource: BTreeMap<crate::addrs::AbsResource, BTreeMap<crate::addrs::InstanceKey, Value>> =
        BTreeMap::new();
    for (addr, inst) in &state.resources {
        let abs = crate::addrs::AbsResource { module: addr.module.clone(), resource: addr.resource.clone() };
        by_resource.entry(abs).or_default().insert(addr.key.clone(), inst.value.clone());
    }
    let mut values = Values::default();
    for (abs, instances) in by_resource {
        let expansion = match instances.keys().next() {
            Some(crate::addrs::InstanceKey::Int(_)) => walk::Expansion::Count(instances.len() as i64),
            Some(crate::addrs::InstanceKey::Str(_)) => walk::Expansion::ForEach(BTreeMap::new()),
            _ => walk::Expansion::Single,
        };
        values.resources.insert(abs, expansion.collect(instances));
    }
    let root = ModuleInstance::root();
    for (name, o) in &state.outputs {
        values.outputs.insert((root.clone(), name.clone()), o.value.clone().mark_if(o.sensitive));
    }
    for (name, v) in variables {
        values.variables.insert((root.clone(), name), v);
    }
    values
}

/// Every output the module declares, as `run.NAME` shows them (null where there is none).
fn root_outputs(config: &Module, values: &Values) -> Value {
    let root = ModuleInstance::root();
    Value::object(config.outputs.keys().map(|name| {
        let v = values.outputs.get(&(root.clone(), name.clone())).cloned().unwrap_or(Value::Null);
        (name.clone(), v)
    }))
}

impl Expected {
    /// Whether `d` is the failure of one of the conditions this entry expects to fail.
    /// Check failures are warnings outside a test, and count too.
    fn matches(&self, d: &Diagnostic) -> bool {
        (d.is_error() || d.summary == CHECK_FAILED)
            && CONDITION_FAILURES.contains(&d.summary.as_str())
            && d.span.is_some_and(|s| self.conditions.contains(&s))
    }
}

/// Takes out of `diags` the failures `expected` expects, turns check failures nobody
/// expects into errors (a test treats them as such), and adds an
/// error for each expected failure that did not happen.
fn settle_expected(diags: Diagnostics, expected: &mut [Expected]) -> Diagnostics {
    let mut out = Diagnostics::new();
    for mut d in diags {
        if let Some(e) = expected.iter_mut().find(|e| e.matches(&d)) {
            e.seen = true;
            continue;
        }
        if d.summary == CHECK_FAILED {
            d.severity = Severity::Error;
        }
        out.push(d);
    }
    for e in expected.iter().filter(|e| !e.seen) {
        out.push(
            Diagnostic::error("Missing expected failure")
                .with_detail(format!("The checkable object, {}, was expected to report an error but did not.", e.label))
                .with_span(e.span),
        );
    }
    out
}

/// `expect_failures` taken apart: for each entry, the spans of the conditions whose
/// failure it expects.
fn expected_failures(run: &TestRun, config: &Module) -> Result<Vec<Expected>, Diagnostics> {
    let mut out = Vec::new();
    let mut diags = Diagnostics::new();
    for e in &run.expect_failures {
        let label = crate::config::load::address_text_of(e).unwrap_or_default();
        let parts: Vec<&str> = label.split('.').collect();
        let conditions: Option<Vec<Span>> = match parts.as_slice() {
            ["var", name] => {
                config.variables.get(*name).map(|v| v.validations.iter().map(|c| c.condition.span()).collect())
            }
            ["output", name] => {
                config.outputs.get(*name).map(|o| o.preconditions.iter().map(|c| c.condition.span()).collect())
            }
            ["check", name] => config.checks.get(*name).map(|c| c.asserts.iter().map(|a| a.condition.span()).collect()),
            _ => resource_conditions(&label, config),
        };
        match conditions {
            Some(conditions) => out.push(Expected { label, span: e.span(), conditions, seen: false }),
            None => diags.push(
                Diagnostic::error("Invalid `expect_failures` reference")
                    .with_detail(format!(
                        "You cannot expect failures from {label}. You can only expect failures from checkable objects such as input variables, output values, check blocks, managed resources and data sources."
                    ))
                    .with_span(e.span()),
            ),
        }
    }
    if diags.has_errors() { Err(diags) } else { Ok(out) }
}

fn resource_conditions(label: &str, config: &Module) -> Option<Vec<Span>> {
    let target: Target = label.parse().ok()?;
    let addr = match &target {
        Target::Resource(r) if r.module.is_root() => &r.resource,
        Target::Instance(i) if i.module.is_root() => &i.resource,
        _ => return None,
    };
    let res = config.resources.get(addr)?;
    Some(res.lifecycle.preconditions.iter().map(|c| c.condition.span()).collect())
}

/// `plan_options` as the plan takes them; addresses are read as written.
fn plan_options(run: &TestRun) -> Result<PlanOptions, Diagnostics> {
    let o = &run.plan_options;
    let mut diags = Diagnostics::new();
    if o.refresh_only && !o.refresh {
        diags.push(
            Diagnostic::error("Incompatible plan options")
                .with_detail(
                    "The \"refresh\" option cannot be set to false when running a test in \"refresh-only\" mode.",
                )
                .with_span(run.span),
        );
    }
    let mut targets = Vec::new();
    for e in &o.target {
        match crate::config::load::address_text_of(e).and_then(|t| t.parse::<Target>().ok()) {
            Some(t) => targets.push(t),
            None => diags.push(
                Diagnostic::error("Invalid target address")
                    .with_detail("A target is a module or resource address, such as module.a or terraform_data.b[0].")
                    .with_span(e.span()),
            ),
        }
    }
    let mut replace = Vec::new();
    for e in &o.replace {
        let text = crate::config::load::address_text_of(e).unwrap_or_default();
        match text.parse::<Target>() {
            Ok(Target::Instance(i)) if i.resource.mode == ResourceMode::Managed => replace.push(i),
            Ok(Target::Resource(r)) if r.resource.mode == ResourceMode::Managed => {
                replace.push(r.instance(crate::addrs::InstanceKey::None))
            }
            _ => diags.push(
                Diagnostic::error("Can only target managed resources for forced replacements.")
                    .with_detail(text)
                    .with_span(e.span()),
            ),
        }
    }
    if diags.has_errors() {
        return Err(diags);
    }
    let mode = if o.refresh_only { PlanMode::RefreshOnly } else { PlanMode::Normal };
    Ok(PlanOptions { mode, targets, replace, refresh: o.refresh })
}

/// An expression that must be a constant object (`defaults`, `values`).
fn object_constant(e: &Expr, what: &str) -> Result<Value, Diagnostic> {
    let v = walk::eval_constant(e)?;
    match v.peel() {
        Value::Object(_) | Value::Map(_) => Ok(v),
        _ => Err(Diagnostic::error(format!("Invalid {what} attribute"))
            .with_detail(format!("The {what} attribute must be an object."))
            .with_span(e.span())),
    }
}

/// Serves one overridden resource or data source from a mock provider with the
/// override's values, keeping the real provider's schema.
fn install_override(ctx: &mut RunContext, o: &Override) -> Result<(), Diagnostic> {
    let target: Option<Target> = o.target.parse().ok();
    let (path, addr): (Vec<String>, ResourceAddr) = match (&target, o.kind) {
        (Some(Target::Resource(r)), OverrideKind::Resource) if r.resource.mode == ResourceMode::Managed => {
            (r.module.path(), r.resource.clone())
        }
        (Some(Target::Resource(r)), OverrideKind::Data) if r.resource.mode == ResourceMode::Data => {
            (r.module.path(), r.resource.clone())
        }
        (_, OverrideKind::Module) => {
            return Err(Diagnostic::error("Unsupported override")
                .with_detail(format!(
                    "override_module ({}) is not supported by meshform test; override the module's resources instead.",
                    o.target
                ))
                .with_span(o.span));
        }
        (Some(Target::Instance(_)), _) => {
            return Err(Diagnostic::error("Unsupported override")
                .with_detail(format!(
                    "{} names one instance; meshform test overrides whole resources (all their instances).",
                    o.target
                ))
                .with_span(o.span));
        }
        _ => {
            let what = if o.kind == OverrideKind::Resource { "resources" } else { "data sources" };
            return Err(Diagnostic::error("Invalid override target")
                .with_detail(format!("You can only target {what} from this override block, not {}.", o.target))
                .with_span(o.span));
        }
    };
    if ctx.overrides.contains_key(&(path.clone(), addr.clone())) {
        // A run's override comes first, then the file's, then a mock provider's.
        return Ok(());
    }
    let Some(res) = ctx.module(&path).and_then(|m| m.resources.get(&addr)).cloned() else {
        return Ok(());
    };
    let (_, provider) = ctx.provider_for(&path, &res)?;
    let values = match &o.values {
        Some(e) => object_constant(e, "values")?,
        None => Value::object(Vec::<(String, Value)>::new()),
    };
    let mut mv = MockValues { at_plan: o.during == Some(OverrideDuring::Plan), ..MockValues::default() };
    if addr.mode == ResourceMode::Data {
        mv.data.insert(addr.type_name.clone(), values);
    } else {
        mv.resources.insert(addr.type_name.clone(), values);
    }
    ctx.overrides.insert((path, addr), mock::MockProvider::serving(provider.schema().clone(), mv));
    Ok(())
}
