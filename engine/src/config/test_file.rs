//! What a test file says. `*.tftest.hcl` files hold `run` blocks that plan or apply the
//! module under test and assert on the result, in Terraform's test language; they are
//! read here, with every mistake reported at once, and run by [`crate::moduletest`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use hcl_edit::expr::Expression;
use hcl_edit::structure::Structure;

use super::load::{Loader, Lowerer};
use super::{Attribute, Body, Expr, ProviderBlock, ProviderRef, Validation};
use crate::diag::{Diagnostic, Diagnostics, Span};

/// One test file.
#[derive(Clone, Debug)]
pub struct TestFile {
    /// The name it is shown by, relative to the module under test (`tests/main.tftest.hcl`).
    pub name: String,
    pub span: Span,
    /// File-level `variables`: values for every run in the file.
    pub variables: Vec<Attribute>,
    /// `provider` blocks that configure the providers of every run instead of the module's.
    pub providers: Vec<ProviderBlock>,
    pub mocks: Vec<MockProvider>,
    pub overrides: Vec<Override>,
    pub runs: Vec<TestRun>,
}

/// What a run block does with the module.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TestCommand {
    Plan,
    Apply,
}

/// `plan_options { ... }` of a run block.
#[derive(Clone, Debug)]
pub struct RunPlanOptions {
    pub refresh_only: bool,
    pub refresh: bool,
    pub replace: Vec<Expr>,
    pub target: Vec<Expr>,
}

/// One `run "name" { ... }` block.
#[derive(Clone, Debug)]
pub struct TestRun {
    pub name: String,
    pub span: Span,
    pub command: TestCommand,
    pub plan_options: RunPlanOptions,
    pub variables: Vec<Attribute>,
    /// `module { source = ... }`: another module to run instead of the one under test.
    pub module: Option<RunModule>,
    pub asserts: Vec<Validation>,
    /// The checkable objects (`var.x`, `output.y`, `check.z`, resources) expected to fail.
    pub expect_failures: Vec<Expr>,
    /// `providers = { aws = aws.east }`: which of the file's providers the module gets.
    pub providers: BTreeMap<String, ProviderRef>,
    pub overrides: Vec<Override>,
    /// Runs with the same key share one state; by default the key is the module's source.
    pub state_key: Option<String>,
}

#[derive(Clone, Debug)]
pub struct RunModule {
    pub source: String,
    pub span: Span,
}

/// `mock_provider "aws" { ... }`: a provider whose resources are never made, their
/// computed attributes filled with made-up values or the defaults given here.
#[derive(Clone, Debug)]
pub struct MockProvider {
    pub name: String,
    pub alias: Option<String>,
    pub span: Span,
    pub resources: Vec<MockDefaults>,
    pub data: Vec<MockDefaults>,
    pub overrides: Vec<Override>,
}

/// `mock_resource "type" { defaults = {...} }` or `mock_data`.
#[derive(Clone, Debug)]
pub struct MockDefaults {
    pub type_name: String,
    pub defaults: Option<Expr>,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OverrideKind {
    Resource,
    Data,
    Module,
}

/// When an override's values are used: from the plan on, or only once applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OverrideDuring {
    Plan,
    Apply,
}

/// `override_resource`, `override_data`, `override_module`: fixed values for one object.
#[derive(Clone, Debug)]
pub struct Override {
    pub kind: OverrideKind,
    /// The address as written (`aws_instance.web`, `module.net`).
    pub target: String,
    /// `values` (resources, data) or `outputs` (modules).
    pub values: Option<Expr>,
    pub during: Option<OverrideDuring>,
    pub span: Span,
}

/// The test files of the module in `dir`: `*.tftest.hcl` there and in `test_dir` (relative
/// to `dir`), in the order Terraform runs them (by name, the module's own first).
pub fn discover(dir: &Path, test_dir: &Path) -> Vec<PathBuf> {
    let list = |d: &Path| -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(d)
            .map(|rd| {
                rd.filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| p.is_file() && p.to_string_lossy().ends_with(".tftest.hcl"))
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    };
    let mut files = list(dir);
    files.extend(list(&dir.join(test_dir)));
    files
}

impl Loader {
    /// Reads one test file; `None` when it cannot be parsed at all.
    pub fn load_test_file(&self, path: &Path) -> (Option<TestFile>, Diagnostics) {
        let mut diags = Diagnostics::new();
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => {
                diags.push(Diagnostic::error(format!("Cannot read {}: {e}", path.display())));
                return (None, diags);
            }
        };
        let len = text.len();
        let (file, parsed) = self.parse_file(path, text);
        let body = match parsed {
            Ok(b) => b,
            Err(d) => {
                diags.push(d);
                return (None, diags);
            }
        };
        let name = self.sources.get(file).map_or_else(|| path.display().to_string(), |f| f.name);
        let mut tf = TestFile {
            name,
            span: Span::new(file, 0..len.min(1)),
            variables: Vec::new(),
            providers: Vec::new(),
            mocks: Vec::new(),
            overrides: Vec::new(),
            runs: Vec::new(),
        };
        let mut lowerer = Lowerer { file, diags: &mut diags };
        lowerer.test_file(body, &mut tf);
        (Some(tf), diags)
    }
}

impl Lowerer<'_> {
    fn test_file(&mut self, body: hcl_edit::structure::Body, tf: &mut TestFile) {
        for s in body {
            let b = match s {
                Structure::Block(b) => b,
                Structure::Attribute(a) => {
                    let span = self.span(a.span());
                    self.error(
                        "Unsupported argument",
                        format!("An argument named \"{}\" is not expected here.", a.key.as_str()),
                        span,
                    );
                    continue;
                }
            };
            use hcl_edit::Span as _;
            let span = self.span(b.span());
            let kind = b.ident.as_str().to_string();
            match kind.as_str() {
                "variables" => {
                    let body = self.body(b.body);
                    self.only_attributes(&body);
                    tf.variables.extend(body.attributes);
                }
                "run" => {
                    if let Some(l) = self.labels(&b, 1, "the run name") {
                        let body = self.body(b.body);
                        let run = self.run(&l[0], body, span);
                        if tf.runs.iter().any(|r| r.name == run.name) {
                            self.error(
                                "Duplicate \"run\" block names",
                                format!(
                                    "This test file already has a run block named {}. Each run block must have a unique name.",
                                    run.name
                                ),
                                span,
                            );
                            continue;
                        }
                        tf.runs.push(run);
                    }
                }
                "provider" => {
                    if let Some(l) = self.labels(&b, 1, "the provider name") {
                        let body = self.body(b.body);
                        let alias = body.attribute("alias").and_then(|a| self.static_string(&a.expr));
                        tf.providers.push(ProviderBlock { name: l[0].clone(), alias, span, body });
                    }
                }
                "mock_provider" => {
                    if let Some(l) = self.labels(&b, 1, "the provider name") {
                        let body = self.body(b.body);
                        let mock = self.mock_provider(&l[0], body, span);
                        tf.mocks.push(mock);
                    }
                }
                "override_resource" | "override_data" | "override_module" => {
                    let body = self.body(b.body);
                    if let Some(o) = self.override_block(&kind, &body, span) {
                        tf.overrides.push(o);
                    }
                }
                other => {
                    let s = self.span(b.ident.span());
                    let mut d = Diagnostic::error("Unsupported block type")
                        .with_detail(format!("Blocks of type \"{other}\" are not expected here."))
                        .with_span(s);
                    let known = [
                        "run",
                        "variables",
                        "provider",
                        "mock_provider",
                        "override_resource",
                        "override_data",
                        "override_module",
                    ];
                    if let Some(h) = super::load::closest(other, &known) {
                        d = d.with_help(format!("did you mean \"{h}\"?"));
                    }
                    self.diags.push(d);
                }
            }
        }
    }

    fn run(&mut self, name: &str, body: Body, span: Span) -> TestRun {
        self.reject_unknown(
            &body,
            &["command", "expect_failures", "providers", "state_key", "parallel"],
            &["plan_options", "variables", "module", "assert", "override_resource", "override_data", "override_module"],
            "run",
        );
        let mut run = TestRun {
            name: name.to_string(),
            span,
            command: TestCommand::Apply,
            plan_options: RunPlanOptions {
                refresh_only: false,
                refresh: true,
                replace: Vec::new(),
                target: Vec::new(),
            },
            variables: Vec::new(),
            module: None,
            asserts: self.conditions(&body, "assert"),
            expect_failures: Vec::new(),
            providers: BTreeMap::new(),
            overrides: Vec::new(),
            state_key: None,
        };
        if let Some(a) = body.attribute("command") {
            run.command = self.test_command(&a.expr);
        }
        if let Some(a) = body.attribute("expect_failures") {
            run.expect_failures = self.expr_list(&a.expr);
        }
        if let Some(a) = body.attribute("providers") {
            run.providers = self.providers_map(&a.expr);
        }
        if let Some(a) = body.attribute("state_key") {
            run.state_key = self.static_string(&a.expr);
        }
        for nb in &body.blocks {
            match nb.kind.as_str() {
                "plan_options" => run.plan_options = self.plan_options(&nb.body),
                "variables" => {
                    self.only_attributes(&nb.body);
                    run.variables.extend(nb.body.attributes.iter().cloned());
                }
                "module" => {
                    self.reject_unknown(&nb.body, &["source", "version"], &[], "module");
                    if let Some(e) = self.required(&nb.body, "source", "module", nb.span)
                        && let Some(source) = self.static_string(&e)
                    {
                        run.module = Some(RunModule { source, span: e.span() });
                    }
                }
                kind @ ("override_resource" | "override_data" | "override_module") => {
                    if let Some(o) = self.override_block(kind, &nb.body, nb.span) {
                        run.overrides.push(o);
                    }
                }
                _ => {}
            }
        }
        run
    }

    /// A `variables` block holds `name = value` lines only.
    fn only_attributes(&mut self, body: &Body) {
        for b in &body.blocks {
            self.error(
                "Unsupported block type",
                format!("Blocks of type \"{}\" are not expected in a variables block.", b.kind),
                b.span,
            );
        }
    }

    /// `command = plan` or `apply`: a keyword, not a string.
    fn test_command(&mut self, e: &Expr) -> TestCommand {
        match e.expr.as_ref() {
            Expression::Variable(v) if v.value().as_str() == "plan" => TestCommand::Plan,
            Expression::Variable(v) if v.value().as_str() == "apply" => TestCommand::Apply,
            _ => {
                self.error(
                    "Invalid \"command\" keyword",
                    "The \"command\" argument requires one of the following keywords without quotes: apply or plan."
                        .into(),
                    e.span(),
                );
                TestCommand::Apply
            }
        }
    }

    fn plan_options(&mut self, body: &Body) -> RunPlanOptions {
        self.reject_unknown(body, &["mode", "refresh", "replace", "target"], &[], "plan_options");
        let mut o = RunPlanOptions { refresh_only: false, refresh: true, replace: Vec::new(), target: Vec::new() };
        if let Some(a) = body.attribute("mode") {
            match a.expr.expr.as_ref() {
                Expression::Variable(v) if v.value().as_str() == "normal" => {}
                Expression::Variable(v) if v.value().as_str() == "refresh-only" => o.refresh_only = true,
                _ => self.error(
                    "Invalid \"mode\" keyword",
                    "The \"mode\" argument requires one of the following keywords without quotes: normal or refresh-only."
                        .into(),
                    a.expr.span(),
                ),
            }
        }
        if let Some(a) = body.attribute("refresh") {
            o.refresh = self.static_bool(&a.expr);
        }
        if let Some(a) = body.attribute("replace") {
            o.replace = self.expr_list(&a.expr);
        }
        if let Some(a) = body.attribute("target") {
            o.target = self.expr_list(&a.expr);
        }
        o
    }

    fn mock_provider(&mut self, name: &str, body: Body, span: Span) -> MockProvider {
        self.reject_unknown(
            &body,
            &["alias", "source"],
            &["mock_resource", "mock_data", "override_resource", "override_data"],
            "mock_provider",
        );
        let alias = body.attribute("alias").and_then(|a| self.static_string(&a.expr));
        let mut mock = MockProvider {
            name: name.to_string(),
            alias,
            span,
            resources: Vec::new(),
            data: Vec::new(),
            overrides: Vec::new(),
        };
        if let Some(a) = body.attribute("source") {
            self.error(
                "Unsupported argument",
                "Mock data files (source = ...) are not supported; give mock_resource and mock_data blocks inline."
                    .into(),
                a.name_span,
            );
        }
        for nb in &body.blocks {
            match nb.kind.as_str() {
                kind @ ("mock_resource" | "mock_data") => {
                    self.reject_unknown(&nb.body, &["defaults"], &[], kind);
                    let Some(type_name) = nb.labels.first() else {
                        self.error(
                            "Missing name for mock",
                            format!("A {kind} block needs one label: the type it mocks."),
                            nb.span,
                        );
                        continue;
                    };
                    let d = MockDefaults {
                        type_name: type_name.clone(),
                        defaults: nb.body.attribute("defaults").map(|a| a.expr.clone()),
                        span: nb.span,
                    };
                    if kind == "mock_resource" { mock.resources.push(d) } else { mock.data.push(d) }
                }
                kind => {
                    if let Some(o) = self.override_block(kind, &nb.body, nb.span) {
                        mock.overrides.push(o);
                    }
                }
            }
        }
        mock
    }

    fn override_block(&mut self, kind: &str, body: &Body, span: Span) -> Option<Override> {
        let (kind, values_name) = match kind {
            "override_resource" => (OverrideKind::Resource, "values"),
            "override_data" => (OverrideKind::Data, "values"),
            _ => (OverrideKind::Module, "outputs"),
        };
        self.reject_unknown(body, &["target", values_name, "override_during"], &[], "override");
        let target = self.required(body, "target", "override", span)?;
        let Some(text) = super::load::address_text(&target.expr) else {
            self.error(
                "Invalid override target",
                "The target must be the address of a resource, data source or module call, such as aws_instance.web."
                    .into(),
                target.span(),
            );
            return None;
        };
        let during = match body.attribute("override_during").map(|a| a.expr.expr.as_ref()) {
            None => None,
            Some(Expression::Variable(v)) if v.value().as_str() == "plan" => Some(OverrideDuring::Plan),
            Some(Expression::Variable(v)) if v.value().as_str() == "apply" => Some(OverrideDuring::Apply),
            Some(_) => {
                let s = body.attribute("override_during").map_or(span, |a| a.expr.span());
                self.error(
                    "Invalid `override_during` value",
                    "The override_during attribute must be a keyword, apply or plan.".into(),
                    s,
                );
                None
            }
        };
        Some(Override { kind, target: text, values: body.attribute(values_name).map(|a| a.expr.clone()), during, span })
    }
}
