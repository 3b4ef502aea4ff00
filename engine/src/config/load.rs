//! Reading a module directory: parse every `*.hcl`/`*.tf` file with hcl-edit and lower the
//! top-level blocks into [`Module`]. Loading goes on past errors so one run reports every
//! mistake it can find.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use hcl_edit::Span as _;
use hcl_edit::expr::Expression;
use hcl_edit::structure::{Block, BlockLabel, Body as HclBody, Structure};
use hcl_edit::visit_mut::VisitMut as _;

use super::*;
use crate::addrs::ResourceMode;
use crate::diag::{Diagnostic, Diagnostics, SourceMap};

/// Loads module trees, registering every file it reads in a [`SourceMap`].
pub struct Loader {
    pub sources: SourceMap,
    /// Paths are shown relative to this directory.
    pub display_base: PathBuf,
    /// Finds the modules whose sources are not local paths; without one they are errors.
    resolver: Option<Arc<dyn ModuleResolver>>,
}

/// A module call whose source is not a local path.
pub struct ModuleRequest<'a> {
    /// The call's path from the root module, names joined by dots (`cluster.spark`), as
    /// Terraform's module manifest keys it.
    pub key: &'a str,
    pub name: &'a str,
    /// The source as written.
    pub raw: &'a str,
    pub source: &'a super::source::ModuleSource,
    pub span: Span,
}

/// Where the modules of remote sources are on disk: the working directory's installed
/// modules when planning, or a fresh download when `init` installs them.
pub trait ModuleResolver: Send + Sync {
    fn resolve(&self, request: &ModuleRequest<'_>) -> Result<PathBuf, Diagnostic>;
}

/// Is this a configuration file (not a variable-values file, nor a file of the test
/// command: `*.tftest.hcl` and `*.tfmock.hcl` belong to `meshform test`)?
pub(crate) fn is_config_file(name: &str) -> bool {
    let not_config = [".tfvars.hcl", ".tftest.hcl", ".tfmock.hcl"];
    (name.ends_with(".tf") || name.ends_with(".hcl"))
        && !not_config.iter().any(|suffix| name.ends_with(suffix))
        && !name.starts_with('.')
}

impl Loader {
    pub fn new(sources: SourceMap, display_base: impl Into<PathBuf>) -> Loader {
        Loader { sources, display_base: display_base.into(), resolver: None }
    }

    /// This loader, finding remote module sources through `resolver`.
    pub fn with_resolver(mut self, resolver: Arc<dyn ModuleResolver>) -> Loader {
        self.resolver = Some(resolver);
        self
    }

    /// Loads the module in `dir` and every module it calls.
    pub fn load(&self, dir: &Path) -> (Module, Diagnostics) {
        let mut diags = Diagnostics::new();
        let module = self.load_module(dir, "", &mut diags, &mut vec![dir.to_path_buf()]);
        (module, diags)
    }

    fn display_name(&self, path: &Path) -> String {
        let shown = path.strip_prefix(&self.display_base).unwrap_or(path);
        let shown = shown.strip_prefix(".").unwrap_or(shown);
        shown.display().to_string()
    }

    /// Parses one file's text; registers it in the source map.
    pub fn parse_file(&self, path: &Path, text: String) -> (FileId, Result<HclBody, Diagnostic>) {
        let name = self.display_name(path);
        let file = self.sources.add(name, path, text.as_str());
        let mut source = text.clone();
        let parsed = loop {
            match hcl_edit::parser::parse_body(&source) {
                Ok(mut body) => {
                    super::heredoc::normalize_flush_heredocs(&mut body, &source);
                    Compact.visit_body_mut(&mut body);
                    break Ok(body);
                }
                Err(e) => match continued_line(&source, e.location().offset()) {
                    Some(joined) => source = joined,
                    None => break Err(e),
                },
            }
        };
        let parsed = parsed.map_err(|e| {
            let loc = e.location();
            let offset = loc.offset().min(text.len());
            let end = text[offset..].chars().next().map_or(offset, |c| offset + c.len_utf8());
            Diagnostic::error("Invalid syntax")
                .with_detail(format!("The file could not be parsed: {}.", e.message()))
                .with_span(Span::new(file, offset..end))
                .with_label(e.message().to_string())
        });
        (file, parsed)
    }

    fn load_module(&self, dir: &Path, key: &str, diags: &mut Diagnostics, stack: &mut Vec<PathBuf>) -> Module {
        let mut module = Module { dir: dir.to_path_buf(), ..Module::default() };
        let mut names: Vec<PathBuf> = match std::fs::read_dir(dir) {
            Ok(entries) => entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_file() && p.file_name().and_then(|n| n.to_str()).is_some_and(is_config_file))
                .collect(),
            Err(e) => {
                diags.push(Diagnostic::error(format!(
                    "Cannot read the module directory {}: {e}",
                    self.display_name(dir)
                )));
                return module;
            }
        };
        names.sort();
        for path in names {
            let text = match std::fs::read_to_string(&path) {
                Ok(t) => t,
                Err(e) => {
                    diags.push(Diagnostic::error(format!("Cannot read {}: {e}", self.display_name(&path))));
                    continue;
                }
            };
            let (file, parsed) = self.parse_file(&path, text);
            match parsed {
                Ok(body) => {
                    let mut lowerer = Lowerer { file, diags: &mut *diags };
                    lowerer.file_body(body, &mut module);
                }
                Err(d) => diags.push(d),
            }
        }
        self.load_children(&mut module, key, diags, stack);
        module
    }

    fn load_children(&self, module: &mut Module, key: &str, diags: &mut Diagnostics, stack: &mut Vec<PathBuf>) {
        for call in module.module_calls.values_mut() {
            let src = &call.source;
            let child_key = if key.is_empty() { call.name.clone() } else { format!("{key}.{}", call.name) };
            let parsed = match super::source::parse(src) {
                Ok(p) => p,
                Err(why) => {
                    diags.push(
                        Diagnostic::error("Invalid module source")
                            .with_detail(format!("Module \"{}\": {why}", call.name))
                            .with_span(call.source_span),
                    );
                    continue;
                }
            };
            let child_dir = match &parsed {
                super::source::ModuleSource::Local(path) => normalize(&module.dir.join(path)),
                remote => {
                    let request = ModuleRequest {
                        key: &child_key,
                        name: &call.name,
                        raw: src,
                        source: remote,
                        span: call.source_span,
                    };
                    let found = match &self.resolver {
                        Some(r) => r.resolve(&request),
                        None => Err(Diagnostic::error("Module not installed")
                            .with_detail(format!(
                                "Module \"{}\" has source {src:?}, which must be installed first: run \"meshform init\".",
                                call.name
                            ))
                            .with_span(call.source_span)),
                    };
                    match found {
                        Ok(dir) => dir,
                        Err(d) => {
                            diags.push(d);
                            continue;
                        }
                    }
                }
            };
            if stack.contains(&child_dir) {
                diags.push(
                    Diagnostic::error("Module calls itself")
                        .with_detail(format!("Module \"{}\" loads {src:?}, which is already being loaded.", call.name))
                        .with_span(call.span),
                );
                continue;
            }
            if !child_dir.is_dir() {
                diags.push(
                    Diagnostic::error("Module not found")
                        .with_detail(format!(
                            "Module \"{}\": no directory at {}.",
                            call.name,
                            self.display_name(&child_dir)
                        ))
                        .with_span(call.span),
                );
                continue;
            }
            stack.push(child_dir.clone());
            let child = self.load_module(&child_dir, &child_key, diags, stack);
            stack.pop();
            call.module = Arc::new(child);
        }
    }
}

/// hcl-edit refuses a line break right after an operator inside a `{ for ... }`
/// expression (`k => a ? b :` then the rest on the next line), which Terraform accepts:
/// an expression cannot end at an operator, so the break can only continue it. Where the
/// parser stopped at such a break, the text with that break made a space (same length, so
/// every span stays right); `None` where the error is anything else.
fn continued_line(source: &str, offset: usize) -> Option<String> {
    let bytes = source.as_bytes();
    let mut at = offset.min(bytes.len());
    while at < bytes.len() && matches!(bytes[at], b' ' | b'\t' | b'\r') {
        at += 1;
    }
    if bytes.get(at) != Some(&b'\n') {
        return None;
    }
    let before = source[..offset.min(source.len())].trim_end_matches([' ', '\t', '\r']);
    let last = before.chars().next_back()?;
    if !"?:=>+-*/%&|!<,(".contains(last) {
        return None;
    }
    let mut joined = source.to_string();
    joined.replace_range(at..=at, " ");
    Some(joined)
}

/// Removes `.` and `a/..` components without touching the file system.
fn normalize(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                // Only a named directory cancels out; leading ".." accumulate.
                let last_is_named = matches!(out.components().next_back(), Some(Component::Normal(_)));
                if last_is_named {
                    out.pop();
                } else {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    if out.as_os_str().is_empty() { PathBuf::from(".") } else { out }
}

/// Parses an expression from a string (a `-var` value, a console line), registering it as
/// a source named `name`.
pub fn parse_expression(sources: &SourceMap, name: &str, text: &str) -> Result<Expr, Diagnostic> {
    let file = sources.add(name, Path::new(name), text);
    match hcl_edit::parser::parse_expr(text) {
        Ok(expr) => Ok(Expr { file, expr: Arc::new(expr) }),
        Err(e) => {
            let offset = e.location().offset().min(text.len());
            Err(Diagnostic::error("Invalid expression")
                .with_detail(e.message().to_string())
                .with_span(Span::new(file, offset..offset)))
        }
    }
}

pub(super) struct Lowerer<'d> {
    pub(super) file: FileId,
    pub(super) diags: &'d mut Diagnostics,
}

fn label_str(l: &BlockLabel) -> &str {
    match l {
        BlockLabel::Ident(i) => i.as_str(),
        BlockLabel::String(s) => s.as_str(),
    }
}

impl Lowerer<'_> {
    pub(super) fn span(&self, range: Option<std::ops::Range<usize>>) -> Span {
        Span::from_opt(self.file, range)
    }

    pub(super) fn expr(&self, e: Expression) -> Expr {
        Expr { file: self.file, expr: Arc::new(e) }
    }

    pub(super) fn error(&mut self, summary: &str, detail: String, span: Span) {
        self.diags.push(Diagnostic::error(summary).with_detail(detail).with_span(span));
    }

    fn file_body(&mut self, body: HclBody, module: &mut Module) {
        for s in body {
            match s {
                Structure::Attribute(a) => {
                    let span = self.span(a.span());
                    self.error(
                        "Unsupported argument",
                        format!("An argument named \"{}\" is not expected at the top level of a file.", a.key.as_str()),
                        span,
                    );
                }
                Structure::Block(b) => self.top_block(b, module),
            }
        }
    }

    pub(super) fn labels(&mut self, b: &Block, n: usize, what: &str) -> Option<Vec<String>> {
        if b.labels.len() == n {
            return Some(b.labels.iter().map(|l| label_str(l).to_string()).collect());
        }
        let span = self.span(b.ident.span());
        self.error(
            "Wrong number of block labels",
            format!("A {} block takes {n} label(s) ({what}), found {}.", b.ident.as_str(), b.labels.len()),
            span,
        );
        None
    }

    fn top_block(&mut self, b: Block, module: &mut Module) {
        let span = self.span(b.span());
        let kind = b.ident.as_str().to_string();
        match kind.as_str() {
            "variable" => {
                if let Some(l) = self.labels(&b, 1, "the variable name") {
                    let body = self.body(b.body);
                    let v = self.variable(&l[0], body, span);
                    self.insert_unique(&mut module.variables, &l[0], v, "variable", span);
                }
            }
            "locals" => {
                for s in b.body {
                    match s {
                        Structure::Attribute(a) => {
                            let name = a.key.as_str().to_string();
                            let local =
                                Local { name: name.clone(), span: self.span(a.span()), expr: self.expr(a.value) };
                            let lspan = local.span;
                            self.insert_unique(&mut module.locals, &name, local, "local value", lspan);
                        }
                        Structure::Block(inner) => {
                            let s = self.span(inner.span());
                            self.error("Unexpected block", "A locals block holds only attributes.".into(), s);
                        }
                    }
                }
            }
            "output" => {
                if let Some(l) = self.labels(&b, 1, "the output name") {
                    let body = self.body(b.body);
                    let o = self.output(&l[0], body, span);
                    self.insert_unique(&mut module.outputs, &l[0], o, "output", span);
                }
            }
            "resource" | "data" => {
                if let Some(l) = self.labels(&b, 2, "the type and the name") {
                    let mode = if kind == "data" { ResourceMode::Data } else { ResourceMode::Managed };
                    let addr = ResourceAddr { mode, type_name: l[0].to_string(), name: l[1].to_string() };
                    let body = self.body(b.body);
                    let r = self.resource(addr.clone(), body, span);
                    match module.resources.entry(addr) {
                        std::collections::btree_map::Entry::Occupied(e) => {
                            let detail = format!("{} is declared more than once.", e.key());
                            self.error("Duplicate resource", detail, span);
                        }
                        std::collections::btree_map::Entry::Vacant(e) => {
                            e.insert(r);
                        }
                    }
                }
            }
            "module" => {
                if let Some(l) = self.labels(&b, 1, "the module name") {
                    let body = self.body(b.body);
                    if let Some(call) = self.module_call(&l[0], body, span) {
                        self.insert_unique(&mut module.module_calls, &l[0], call, "module", span);
                    }
                }
            }
            "provider" => {
                if let Some(l) = self.labels(&b, 1, "the provider name") {
                    let body = self.body(b.body);
                    let alias = body.attribute("alias").and_then(|a| self.static_string(&a.expr));
                    module.providers.push(ProviderBlock { name: l[0].to_string(), alias, span, body });
                }
            }
            "terraform" | "meshform" => self.settings_block(b, module),
            "moved" => {
                let body = self.body(b.body);
                if let Some(m) = self.moved(body, span) {
                    module.moved.push(m);
                }
            }
            "removed" => {
                let body = self.body(b.body);
                if let Some(r) = self.removed(body, span) {
                    module.removed.push(r);
                }
            }
            "import" => {
                let body = self.body(b.body);
                if let Some(i) = self.import(body, span) {
                    module.imports.push(i);
                }
            }
            "check" => {
                if let Some(l) = self.labels(&b, 1, "the check name") {
                    let body = self.body(b.body);
                    let c = self.check(&l[0], body, span);
                    self.insert_unique(&mut module.checks, &l[0], c, "check block", span);
                }
            }
            other => {
                let s = self.span(b.ident.span());
                let help = closest(
                    other,
                    &[
                        "variable", "locals", "output", "resource", "data", "module", "provider", "meshform", "moved",
                        "removed", "import", "check",
                    ],
                );
                let mut d = Diagnostic::error("Unsupported block type")
                    .with_detail(format!("Blocks of type \"{other}\" are not expected here."))
                    .with_span(s);
                if let Some(h) = help {
                    d = d.with_help(format!("did you mean \"{h}\"?"));
                }
                self.diags.push(d);
            }
        }
    }

    fn insert_unique<T>(&mut self, map: &mut BTreeMap<String, T>, name: &str, item: T, what: &str, span: Span) {
        if map.contains_key(name) {
            self.error(
                &format!("Duplicate {what}"),
                format!("A {what} named \"{name}\" is declared more than once."),
                span,
            );
        } else {
            map.insert(name.to_string(), item);
        }
    }

    fn settings_block(&mut self, b: Block, module: &mut Module) {
        for s in b.body {
            if let Structure::Block(inner) = s
                && inner.ident.as_str() == "backend"
                && let Some(l) = self.labels(&inner, 1, "the backend type")
            {
                let span = self.span(inner.span());
                module.backend = Some(BackendBlock { kind: l[0].to_string(), span, body: self.body(inner.body) });
            }
            // required_providers, cloud and other settings are accepted and ignored.
        }
    }

    /// Lowers a block body generically, keeping `dynamic` blocks as nested blocks.
    pub(super) fn body(&mut self, body: HclBody) -> Body {
        let mut out = Body { span: self.span(body.span()), ..Body::default() };
        for s in body {
            match s {
                Structure::Attribute(a) => {
                    let name = a.key.as_str().to_string();
                    let name_span = self.span(a.key.span());
                    if out.attribute(&name).is_some() {
                        self.error(
                            "Duplicate argument",
                            format!("The argument \"{name}\" was already set."),
                            name_span,
                        );
                        continue;
                    }
                    out.attributes.push(Attribute { name, name_span, expr: self.expr(a.value) });
                }
                Structure::Block(b) => {
                    let span = self.span(b.span());
                    let nested = NestedBlock {
                        kind: b.ident.as_str().to_string(),
                        labels: b.labels.iter().map(|l| label_str(l).to_string()).collect(),
                        body: self.body(b.body),
                        span,
                    };
                    out.blocks.push(nested);
                }
            }
        }
        out
    }

    pub(super) fn static_bool(&mut self, e: &Expr) -> bool {
        match e.expr.as_ref() {
            Expression::Bool(b) => *b.value(),
            _ => {
                self.error("Invalid value", "A literal true or false is expected here.".into(), e.span());
                false
            }
        }
    }

    /// A string known without evaluating anything: a literal, or a template (quoted or
    /// heredoc) with no interpolation or directive, as Terraform accepts there.
    pub(super) fn static_string(&mut self, e: &Expr) -> Option<String> {
        let literal = |t: &hcl_edit::template::Template| -> Option<String> {
            t.iter()
                .map(|el| match el {
                    hcl_edit::template::Element::Literal(l) => Some(l.value().to_string()),
                    _ => None,
                })
                .collect()
        };
        let found = match e.expr.as_ref() {
            Expression::String(s) => Some(s.value().to_string()),
            Expression::Variable(v) => Some(v.value().as_str().to_string()),
            Expression::StringTemplate(t) => literal(t),
            Expression::HeredocTemplate(h) => literal(&h.template),
            Expression::Parenthesis(p) => {
                let inner = Expr { file: e.file, expr: Arc::new(p.inner().clone()) };
                return self.static_string(&inner);
            }
            _ => None,
        };
        match found {
            Some(s) => Some(s),
            None => {
                self.error("Invalid value", "A literal string is expected here.".into(), e.span());
                None
            }
        }
    }

    /// `[a.b, c.d]` as a list of expressions (for `depends_on`, `replace_triggered_by`).
    pub(super) fn expr_list(&mut self, e: &Expr) -> Vec<Expr> {
        match e.expr.as_ref() {
            Expression::Array(items) => {
                items.iter().map(|i| Expr { file: e.file, expr: Arc::new(i.clone()) }).collect()
            }
            _ => {
                self.error("Invalid value", "A list of references is expected here.".into(), e.span());
                Vec::new()
            }
        }
    }

    pub(super) fn reject_unknown(&mut self, body: &Body, allowed_attrs: &[&str], allowed_blocks: &[&str], what: &str) {
        for a in &body.attributes {
            if !allowed_attrs.contains(&a.name.as_str()) {
                let mut d = Diagnostic::error("Unsupported argument")
                    .with_detail(format!("An argument named \"{}\" is not expected in a {what} block.", a.name))
                    .with_span(a.name_span);
                if let Some(h) = closest(&a.name, allowed_attrs) {
                    d = d.with_help(format!("did you mean \"{h}\"?"));
                }
                self.diags.push(d);
            }
        }
        for b in &body.blocks {
            if !allowed_blocks.contains(&b.kind.as_str()) {
                self.error(
                    "Unsupported block type",
                    format!("Blocks of type \"{}\" are not expected in a {what} block.", b.kind),
                    b.span,
                );
            }
        }
    }

    fn variable(&mut self, name: &str, body: Body, span: Span) -> Variable {
        self.reject_unknown(
            &body,
            &["type", "default", "description", "sensitive", "nullable", "ephemeral"],
            &["validation"],
            "variable",
        );
        let get = |n: &str| body.attribute(n).map(|a| a.expr.clone());
        let mut v = Variable {
            name: name.to_string(),
            span,
            type_expr: get("type"),
            default: get("default"),
            description: None,
            sensitive: false,
            nullable: true,
            validations: Vec::new(),
        };
        if let Some(e) = get("description") {
            v.description = self.static_string(&e);
        }
        if let Some(e) = get("sensitive") {
            v.sensitive = self.static_bool(&e);
        }
        if let Some(e) = get("nullable") {
            v.nullable = self.static_bool(&e);
        }
        v.validations = self.conditions(&body, "validation");
        v
    }

    /// `validation`, `precondition` blocks: a condition and an error message each.
    pub(super) fn conditions(&mut self, body: &Body, kind: &str) -> Vec<Validation> {
        let mut out = Vec::new();
        for b in body.blocks.iter().filter(|b| b.kind == kind) {
            match (b.body.attribute("condition"), b.body.attribute("error_message")) {
                (Some(c), Some(m)) => out.push(Validation { condition: c.expr.clone(), error_message: m.expr.clone() }),
                _ => self.error(
                    &format!("Incomplete {kind} block"),
                    format!("A {kind} block needs both \"condition\" and \"error_message\"."),
                    b.span,
                ),
            }
        }
        out
    }

    fn output(&mut self, name: &str, body: Body, span: Span) -> Output {
        self.reject_unknown(
            &body,
            &["value", "description", "sensitive", "depends_on", "ephemeral"],
            &["precondition"],
            "output",
        );
        let value = match body.attribute("value") {
            Some(a) => a.expr.clone(),
            None => {
                self.error("Missing required argument", format!("Output \"{name}\" needs a \"value\"."), span);
                Expr { file: self.file, expr: Arc::new(Expression::null()) }
            }
        };
        let description = body.attribute("description").and_then(|a| self.static_string(&a.expr));
        let sensitive = body.attribute("sensitive").is_some_and(|a| self.static_bool(&a.expr));
        let depends_on = body.attribute("depends_on").map(|a| self.expr_list(&a.expr)).unwrap_or_default();
        let preconditions = self.conditions(&body, "precondition");
        Output { name: name.to_string(), span, value, description, sensitive, depends_on, preconditions }
    }

    fn resource(&mut self, addr: ResourceAddr, mut body: Body, span: Span) -> Resource {
        let mut take = |n: &str| {
            let i = body.attributes.iter().position(|a| a.name == n)?;
            Some(body.attributes.remove(i))
        };
        let count = take("count").map(|a| a.expr);
        let for_each = take("for_each").map(|a| a.expr);
        let depends_on = take("depends_on").map(|a| a.expr);
        let provider = take("provider").map(|a| a.expr);
        let depends_on = depends_on.map(|e| self.expr_list(&e)).unwrap_or_default();
        let provider = provider.and_then(|e| self.provider_ref(&e));
        if let (Some(c), Some(_)) = (&count, &for_each) {
            self.error(
                "Invalid combination of \"count\" and \"for_each\"",
                "The \"count\" and \"for_each\" meta-arguments are mutually exclusive; only one may be used.".into(),
                c.span(),
            );
        }
        let mut lifecycle = Lifecycle::default();
        let mut rest = Vec::new();
        for nb in std::mem::take(&mut body.blocks) {
            match nb.kind.as_str() {
                "lifecycle" => lifecycle = self.lifecycle(&nb.body),
                "provisioner" | "connection" if addr.mode == ResourceMode::Managed && nb.kind == "provisioner" => {
                    self.error(
                        "Provisioners are not supported",
                        "Use a host resource instead of a provisioner.".into(),
                        nb.span,
                    );
                }
                _ => rest.push(nb),
            }
        }
        body.blocks = rest;
        Resource { addr, span, provider, count, for_each, depends_on, lifecycle, body }
    }

    pub(super) fn provider_ref(&mut self, e: &Expr) -> Option<ProviderRef> {
        if let Expression::Variable(v) = e.expr.as_ref() {
            return Some(ProviderRef { name: v.value().as_str().to_string(), alias: None });
        }
        if let Expression::Traversal(t) = e.expr.as_ref()
            && let (Expression::Variable(v), [op]) = (&t.expr, t.operators.as_slice())
            && let hcl_edit::expr::TraversalOperator::GetAttr(a) = op.value()
        {
            return Some(ProviderRef {
                name: v.value().as_str().to_string(),
                alias: Some(a.value().as_str().to_string()),
            });
        }
        self.error("Invalid provider reference", "Expected a provider name such as aws or aws.east.".into(), e.span());
        None
    }

    fn lifecycle(&mut self, body: &Body) -> Lifecycle {
        self.reject_unknown(
            body,
            &["create_before_destroy", "prevent_destroy", "ignore_changes", "replace_triggered_by"],
            &["precondition", "postcondition"],
            "lifecycle",
        );
        let mut lc = Lifecycle::default();
        if let Some(a) = body.attribute("create_before_destroy") {
            lc.create_before_destroy = self.static_bool(&a.expr);
        }
        if let Some(a) = body.attribute("prevent_destroy") {
            lc.prevent_destroy = self.static_bool(&a.expr);
        }
        if let Some(a) = body.attribute("ignore_changes") {
            lc.ignore_changes = self.ignore_changes(&a.expr);
        }
        if let Some(a) = body.attribute("replace_triggered_by") {
            lc.replace_triggered_by = self.expr_list(&a.expr);
        }
        lc.preconditions = self.conditions(body, "precondition");
        lc
    }

    fn ignore_changes(&mut self, e: &Expr) -> IgnoreChanges {
        if let Expression::Variable(v) = e.expr.as_ref()
            && v.value().as_str() == "all"
        {
            return IgnoreChanges::All;
        }
        let mut names = Vec::new();
        for item in self.expr_list(e) {
            match item.expr.as_ref() {
                Expression::Variable(v) => names.push(v.value().as_str().to_string()),
                Expression::Traversal(t) => {
                    if let Expression::Variable(v) = &t.expr {
                        names.push(v.value().as_str().to_string());
                    }
                }
                Expression::String(s) => names.push(s.value().to_string()),
                _ => self.error("Invalid ignore_changes entry", "Expected an attribute name.".into(), item.span()),
            }
        }
        IgnoreChanges::Attributes(names)
    }

    fn module_call(&mut self, name: &str, body: Body, span: Span) -> Option<ModuleCall> {
        let mut source = None;
        let mut call = ModuleCall {
            name: name.to_string(),
            span,
            source: String::new(),
            source_span: span,
            count: None,
            for_each: None,
            depends_on: Vec::new(),
            providers: BTreeMap::new(),
            inputs: BTreeMap::new(),
            module: Arc::new(Module::default()),
        };
        for a in &body.attributes {
            match a.name.as_str() {
                "source" => {
                    source = self.static_string(&a.expr);
                    call.source_span = a.expr.span();
                }
                "version" => {}
                "count" => call.count = Some(a.expr.clone()),
                "for_each" => call.for_each = Some(a.expr.clone()),
                "depends_on" => call.depends_on = self.expr_list(&a.expr),
                "providers" => call.providers = self.providers_map(&a.expr),
                _ => {
                    call.inputs.insert(a.name.clone(), a.clone());
                }
            }
        }
        for nb in &body.blocks {
            self.error("Unsupported block type", format!("A module block takes no \"{}\" blocks.", nb.kind), nb.span);
        }
        match source {
            Some(s) => {
                call.source = s;
                Some(call)
            }
            None => {
                self.error("Missing required argument", format!("Module \"{name}\" needs a \"source\"."), span);
                None
            }
        }
    }

    /// An address written as a reference (`module.a["x"].terraform_data.b[0]`).
    fn endpoint(&mut self, e: &Expr, what: &str) -> Option<Endpoint> {
        let parsed = address_text(&e.expr).and_then(|t| t.parse::<crate::addrs::Target>().ok());
        match parsed {
            Some(target) => Some(Endpoint { target, span: e.span() }),
            None => {
                self.error(
                    "Invalid address",
                    format!("The {what} address must be a module or resource address, such as module.a or terraform_data.b[0], with literal keys."),
                    e.span(),
                );
                None
            }
        }
    }

    pub(super) fn required(&mut self, body: &Body, name: &str, block: &str, span: Span) -> Option<Expr> {
        match body.attribute(name) {
            Some(a) => Some(a.expr.clone()),
            None => {
                self.error(
                    "Missing required argument",
                    format!("The argument \"{name}\" is required in a {block} block."),
                    span,
                );
                None
            }
        }
    }

    fn moved(&mut self, body: Body, span: Span) -> Option<Moved> {
        self.reject_unknown(&body, &["from", "to"], &[], "moved");
        let from = self.required(&body, "from", "moved", span);
        let to = self.required(&body, "to", "moved", span);
        let from = self.endpoint(&from?, "from");
        let to = self.endpoint(&to?, "to");
        Some(Moved { from: from?, to: to?, span })
    }

    fn removed(&mut self, body: Body, span: Span) -> Option<Removed> {
        self.reject_unknown(&body, &["from"], &["lifecycle", "provisioner", "connection"], "removed");
        let from = self.required(&body, "from", "removed", span)?;
        let from = self.endpoint(&from, "from")?;
        let keyed_module =
            |m: &crate::addrs::ModuleInstance| m.0.iter().any(|s| s.key != crate::addrs::InstanceKey::None);
        match &from.target {
            crate::addrs::Target::Instance(_) => {
                self.error(
                    "Resource instance keys not allowed",
                    "Resource address must be a resource (e.g. \"test_instance.foo\"), not a resource instance (e.g. \"test_instance.foo[1]\").".into(),
                    from.span,
                );
                return None;
            }
            crate::addrs::Target::Module(m) if keyed_module(m) => {
                self.error(
                    "Module instance keys not allowed",
                    "Module address must be a module (e.g. \"module.foo\"), not a module instance (e.g. \"module.foo[1]\").".into(),
                    from.span,
                );
                return None;
            }
            crate::addrs::Target::Resource(r) if keyed_module(&r.module) => {
                self.error(
                    "Module instance keys not allowed",
                    "Module address must be a module (e.g. \"module.foo\"), not a module instance (e.g. \"module.foo[1]\").".into(),
                    from.span,
                );
                return None;
            }
            _ => {}
        }
        let mut destroy = true;
        for lc in body.blocks.iter().filter(|b| b.kind == "lifecycle") {
            self.reject_unknown(&lc.body, &["destroy"], &[], "lifecycle");
            if let Some(a) = lc.body.attribute("destroy") {
                destroy = self.static_bool(&a.expr);
            }
        }
        Some(Removed { from, destroy, span })
    }

    fn import(&mut self, body: Body, span: Span) -> Option<Import> {
        self.reject_unknown(&body, &["to", "id", "for_each", "provider", "identity"], &[], "import");
        let to = self.required(&body, "to", "import", span)?;
        let id = self.required(&body, "id", "import", span)?;
        let for_each = body.attribute("for_each").map(|a| a.expr.clone());
        let provider = body.attribute("provider").map(|a| a.expr.clone());
        let provider = provider.and_then(|e| self.provider_ref(&e));
        let Some(target) = import_target(&to) else {
            self.error(
                "Invalid import address",
                "The import block \"to\" argument must be a resource instance address, such as terraform_data.x or module.m.terraform_data.x[each.key].".into(),
                to.span(),
            );
            return None;
        };
        if target.resource.mode == ResourceMode::Data {
            self.error("Invalid import address", "Only managed resources can be imported.".into(), to.span());
            return None;
        }
        Some(Import { to, target, id, for_each, provider, span })
    }

    fn check(&mut self, name: &str, body: Body, span: Span) -> Check {
        self.reject_unknown(&body, &[], &["data", "assert"], "check");
        let mut data = None;
        for nb in body.blocks.iter().filter(|b| b.kind == "data") {
            if nb.labels.len() != 2 {
                self.error(
                    "Wrong number of block labels",
                    "A data block takes 2 labels (the type and the name).".into(),
                    nb.span,
                );
                continue;
            }
            if data.is_some() {
                self.error(
                    "Multiple data blocks",
                    format!("A check block may contain at most one data block; check \"{name}\" has more."),
                    nb.span,
                );
                continue;
            }
            let addr =
                ResourceAddr { mode: ResourceMode::Data, type_name: nb.labels[0].clone(), name: nb.labels[1].clone() };
            data = Some(self.resource(addr, nb.body.clone(), nb.span));
        }
        let asserts = self.conditions(&body, "assert");
        if asserts.is_empty() {
            self.error("Missing required block", format!("Check \"{name}\" needs at least one assert block."), span);
        }
        Check { name: name.to_string(), span, data, asserts }
    }

    pub(super) fn providers_map(&mut self, e: &Expr) -> BTreeMap<String, ProviderRef> {
        let mut out = BTreeMap::new();
        let Expression::Object(obj) = e.expr.as_ref() else {
            self.error("Invalid providers map", "Expected { child_name = provider.alias, ... }.".into(), e.span());
            return out;
        };
        for (k, v) in obj.iter() {
            let key = match k {
                hcl_edit::expr::ObjectKey::Ident(i) => i.as_str().to_string(),
                hcl_edit::expr::ObjectKey::Expression(x) => match x {
                    Expression::String(s) => s.value().to_string(),
                    Expression::Variable(v) => v.value().as_str().to_string(),
                    Expression::Traversal(_) => hcl_edit::expr::Expression::to_string(x).trim().to_string(),
                    _ => continue,
                },
            };
            let value = Expr { file: e.file, expr: Arc::new(v.expr().clone()) };
            if let Some(r) = self.provider_ref(&value) {
                out.insert(key, r);
            }
        }
        out
    }
}

/// An import block's `to` taken apart; indexes may be any expression.
fn import_target(to: &Expr) -> Option<ImportTarget> {
    use hcl_edit::expr::TraversalOperator;
    let Expression::Traversal(t) = to.expr.as_ref() else { return None };
    let Expression::Variable(root) = &t.expr else { return None };
    let expr = |e: &Expression| Expr { file: to.file, expr: Arc::new(e.clone()) };
    let mut names: Vec<(String, Option<Expr>)> = vec![(root.value().as_str().to_string(), None)];
    for op in &t.operators {
        match op.value() {
            TraversalOperator::GetAttr(a) => names.push((a.as_str().to_string(), None)),
            TraversalOperator::Index(e) => names.last_mut()?.1 = Some(expr(e)),
            TraversalOperator::LegacyIndex(i) => {
                let n = Expression::Number(hcl_edit::Formatted::new(hcl_edit::Number::from(*i.value())));
                names.last_mut()?.1 = Some(expr(&n));
            }
            _ => return None,
        }
    }
    let mut modules = Vec::new();
    let mut rest = names.as_slice();
    while let [(m, None), (name, key), tail @ ..] = rest
        && m == "module"
    {
        modules.push((name.clone(), key.clone()));
        rest = tail;
    }
    let (mode, rest) = match rest {
        [(d, None), tail @ ..] if d == "data" => (ResourceMode::Data, tail),
        _ => (ResourceMode::Managed, rest),
    };
    match rest {
        [(type_name, None), (name, key)] => Some(ImportTarget {
            modules,
            resource: ResourceAddr { mode, type_name: type_name.clone(), name: name.clone() },
            key: key.clone(),
        }),
        _ => None,
    }
}

/// A reference with literal keys, as address text: `module.a["x"].terraform_data.b[0]`.
/// An address written as a reference (`module.a.terraform_data.b[0]`), as text.
pub fn address_text_of(e: &Expr) -> Option<String> {
    address_text(&e.expr)
}

pub(super) fn address_text(e: &Expression) -> Option<String> {
    use hcl_edit::expr::TraversalOperator;
    match e {
        Expression::Variable(v) => Some(v.value().as_str().to_string()),
        Expression::Traversal(t) => {
            let mut out = address_text(&t.expr)?;
            for op in &t.operators {
                match op.value() {
                    TraversalOperator::GetAttr(a) => {
                        out.push('.');
                        out.push_str(a.as_str());
                    }
                    TraversalOperator::Index(Expression::Number(n)) => out.push_str(&format!("[{}]", n.value())),
                    TraversalOperator::Index(Expression::String(s)) => {
                        out.push_str(&format!("[{}]", serde_json::to_string(s.value()).ok()?))
                    }
                    TraversalOperator::LegacyIndex(i) => out.push_str(&format!("[{}]", i.value())),
                    _ => return None,
                }
            }
            Some(out)
        }
        _ => None,
    }
}

/// The candidate closest to `name` by edit distance, if it is close enough to be a typo.
pub fn closest<'a>(name: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (edit_distance(name, c), *c))
        .filter(|(d, c)| *d <= (c.len().max(name.len()) / 3).max(1))
        .min()
        .map(|(_, c)| c)
}

/// Edit distance where swapping two neighbouring characters counts as one edit
/// (`nmae` is one typo away from `name`).
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1).min(d[i][j - 1] + 1).min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

/// Gives back what the parser over-allocates: every traversal's operator list is grown
/// for four and most hold one or two, and the tree lives as long as the run.
struct Compact;

impl hcl_edit::visit_mut::VisitMut for Compact {
    fn visit_traversal_mut(&mut self, node: &mut hcl_edit::expr::Traversal) {
        node.operators.shrink_to_fit();
        hcl_edit::visit_mut::visit_traversal_mut(self, node);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_str(files: &[(&str, &str)]) -> (Module, Diagnostics) {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let p = dir.path().join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        let loader = Loader::new(SourceMap::new(), dir.path());
        loader.load(dir.path())
    }

    #[test]
    fn lowers_every_top_level_block() {
        let (m, d) = load_str(&[
            (
                "main.hcl",
                r#"
variable "n" {
  type    = number
  default = 2
  validation {
    condition     = var.n > 0
    error_message = "positive"
  }
}
locals { a = 1 }
resource "terraform_data" "x" {
  count = var.n
  input = local.a
  lifecycle { create_before_destroy = true }
}
module "child" {
  source = "./child"
  x      = 1
}
output "o" { value = 1 }
"#,
            ),
            ("child/main.tf", "variable \"x\" {}\n"),
        ]);
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(m.variables["n"].validations.len(), 1);
        assert!(m.locals.contains_key("a"));
        let r = m.resources.values().next().unwrap();
        assert!(r.count.is_some() && r.lifecycle.create_before_destroy);
        assert_eq!(r.body.attributes.len(), 1);
        assert!(m.module_calls["child"].module.variables.contains_key("x"));
        assert!(m.outputs.contains_key("o"));
    }

    #[test]
    fn reports_errors_from_every_file() {
        let (_, d) = load_str(&[("a.tf", "resource \"x\" {\n"), ("b.tf", "variabel \"x\" {}\n")]);
        assert_eq!(d.0.len(), 2, "{d:?}");
        assert_eq!(d.0[1].help.as_deref(), Some("did you mean \"variable\"?"));
    }

    #[test]
    fn parent_directories_accumulate() {
        assert_eq!(normalize(Path::new("./../../modules/x")), PathBuf::from("../../modules/x"));
        assert_eq!(normalize(Path::new("a/b/../c")), PathBuf::from("a/c"));
        assert_eq!(normalize(Path::new("a/..")), PathBuf::from("."));
    }

    #[test]
    fn a_line_break_after_an_operator_in_a_for_object_continues_the_expression() {
        let (m, d) = load_str(&[(
            "main.tf",
            "locals {\n  a = { for k in [\"x\"] : k => k == \"none\" ? 1 :\n    k == \"y\" ? 2 :\n    3\n  }\n}\n",
        )]);
        assert!(d.is_empty(), "{d:?}");
        assert!(m.locals.contains_key("a"));
        // A break after something complete is still an error.
        let (_, d) = load_str(&[("main.tf", "locals {\n  a = { for k in [\"x\"] : k => k\n    == 1 }\n}\n")]);
        assert_eq!(d.0.len(), 1, "{d:?}");
    }

    #[test]
    fn tfvars_hcl_files_are_not_config() {
        assert!(!is_config_file("prod.tfvars.hcl"));
        assert!(!is_config_file("main.tftest.hcl"));
        assert!(!is_config_file("mock.tfmock.hcl"));
        assert!(is_config_file("main.hcl"));
        assert!(is_config_file("main.tf"));
    }
}
