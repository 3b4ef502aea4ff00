//! What plan and apply share: the values of a run (variables, locals, outputs, resources,
//! module expansions), the scope that resolves references against them, evaluation of
//! non-resource nodes, `count`/`for_each` expansion, resource bodies evaluated against a
//! provider schema, and the bounded-parallel walk over the graph.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use petgraph::Direction;
use petgraph::graph::NodeIndex;

use crate::addrs::{AbsResource, InstanceKey, ModuleInstance, ResourceAddr, ResourceMode};
use crate::config::{Body, Expr, Module, ModuleCall, Variable, load::closest};
use crate::diag::{Diagnostic, Diagnostics, Span};
use crate::eval::expr::{ConstantScope, Reference, Resolved, Scope, eval};
use crate::eval::types::{self, Type};
use crate::eval::{Number, Value};
use crate::graph::{Graph, ModulePath, Node, NodeKind, module_at};
use crate::provider::{BlockNesting, Presence, Provider, ResourceSchema};

/// A value given for a root variable from outside the configuration.
#[derive(Clone, Debug)]
pub enum RawVariable {
    /// From `-var name=value` or `MESHFORM_VAR_name`: a string, parsed as an expression
    /// only when the variable's type is not a primitive.
    Literal { text: String, origin: String },
    /// From a `.tfvars` file: an expression with its span.
    Expr(Expr),
    /// Already evaluated (a test file's `variables`, which may refer to earlier runs),
    /// with the place it was written.
    Value { value: Value, span: Span },
}

/// How the instances of a resource or module are keyed.
#[derive(Clone, Debug, PartialEq)]
pub enum Expansion {
    Single,
    Count(i64),
    ForEach(BTreeMap<String, Value>),
}

impl Expansion {
    pub fn keys(&self) -> Vec<InstanceKey> {
        match self {
            Expansion::Single => vec![InstanceKey::None],
            Expansion::Count(n) => (0..*n).map(InstanceKey::Int).collect(),
            Expansion::ForEach(m) => m.keys().map(|k| InstanceKey::Str(k.clone())).collect(),
        }
    }

    /// `each.value` for a key.
    pub fn each_value(&self, key: &InstanceKey) -> Value {
        match (self, key) {
            (Expansion::ForEach(m), InstanceKey::Str(k)) => m.get(k).cloned().unwrap_or(Value::Null),
            _ => Value::Null,
        }
    }

    /// The value a reference to all instances sees: the object itself, a tuple, or an
    /// object keyed like `for_each`.
    pub fn collect(&self, mut instances: BTreeMap<InstanceKey, Value>) -> Value {
        match self {
            Expansion::Single => instances.remove(&InstanceKey::None).unwrap_or(Value::Null),
            Expansion::Count(_) => Value::Tuple(instances.into_values().collect()),
            Expansion::ForEach(_) => Value::Object(Arc::new(
                instances
                    .into_iter()
                    .map(|(k, v)| match k {
                        InstanceKey::Str(s) => (s, v),
                        other => (other.to_string(), v),
                    })
                    .collect(),
            )),
        }
    }
}

/// All values computed so far in a run.
#[derive(Default)]
pub struct Values {
    /// Instances of each module path; the root path has the root instance.
    pub modules: HashMap<ModulePath, Vec<ModuleInstance>>,
    /// How each module call expanded, per calling module instance.
    pub module_expansions: HashMap<(ModuleInstance, String), Expansion>,
    pub variables: HashMap<(ModuleInstance, String), Value>,
    pub locals: HashMap<(ModuleInstance, String), Value>,
    pub outputs: HashMap<(ModuleInstance, String), Value>,
    /// The types outputs' expressions declare, for the nulls and empty collections in
    /// their values.
    pub output_types: HashMap<(ModuleInstance, String), Type>,
    pub resources: HashMap<AbsResource, Value>,
}

/// The fixed inputs of a run.
pub struct RunContext {
    pub config: Arc<Module>,
    pub graph: Graph,
    pub providers: BTreeMap<String, Arc<dyn Provider>>,
    pub root_variables: BTreeMap<String, RawVariable>,
    /// Where the command runs (`path.cwd`) and the root module (`path.root`).
    pub cwd: PathBuf,
    pub parallelism: usize,
    /// Set on Ctrl-C: start no new work.
    pub interrupted: Arc<AtomicBool>,
    pub workspace: String,
    /// The configuration's files, for diagnostics that name another place in them.
    pub sources: crate::diag::SourceMap,
    /// Resources a test file overrides (by module path and address): these providers
    /// serve them instead of their own.
    pub overrides: BTreeMap<(ModulePath, ResourceAddr), Arc<dyn Provider>>,
}

impl RunContext {
    pub fn is_interrupted(&self) -> bool {
        self.interrupted.load(Ordering::SeqCst)
    }

    pub fn module(&self, path: &[String]) -> Option<&Module> {
        module_at(&self.config, path)
    }

    /// The provider configuration a resource in the module at `path` uses: its
    /// `provider = NAME.ALIAS` argument, or the local name its type implies, passed down
    /// through the `providers` maps of the module calls on the way.
    pub fn provider_for(
        &self,
        path: &[String],
        res: &crate::config::Resource,
    ) -> Result<(String, Arc<dyn Provider>), Diagnostic> {
        let mut r = res.provider.clone().unwrap_or_else(|| crate::config::ProviderRef {
            name: crate::provider::implied_provider(&res.addr.type_name).to_string(),
            alias: None,
        });
        for depth in (0..path.len()).rev() {
            let Some(call) = self.module(&path[..depth]).and_then(|m| m.module_calls.get(&path[depth])) else {
                break;
            };
            if let Some(outer) = call.providers.get(&r.to_string()) {
                r = outer.clone();
            }
        }
        let (name, provider) =
            self.provider_named(&r.to_string(), &res.addr.type_name).map_err(|d| d.with_span(res.span))?;
        match self.overrides.get(&(path.to_vec(), res.addr.clone())) {
            Some(o) => Ok((name, o.clone())),
            None => Ok((name, provider)),
        }
    }

    /// The provider of an instance the state records under provider configuration `recorded`.
    pub fn provider_of(
        &self,
        addr: &crate::addrs::ResourceInstanceAddr,
        recorded: &str,
    ) -> Result<(String, Arc<dyn Provider>), Diagnostic> {
        let (name, provider) = self.provider_named(recorded, &addr.resource.type_name)?;
        match self.overrides.get(&(addr.module.path(), addr.resource.clone())) {
            Some(o) => Ok((name, o.clone())),
            None => Ok((name, provider)),
        }
    }

    /// A provider configuration by name (`aws`, `aws.east`), as the state records it.
    pub fn provider_named(&self, key: &str, type_name: &str) -> Result<(String, Arc<dyn Provider>), Diagnostic> {
        if let Some(p) = self.providers.get(key) {
            return Ok((key.to_string(), p.clone()));
        }
        let name = key.split('.').next().unwrap_or(key);
        if name != key && self.providers.contains_key(name) {
            return Err(Diagnostic::error("Provider configuration not present").with_detail(format!(
                "{type_name} uses the provider configuration \"{key}\", but the root module has no `provider \"{name}\"` block with `alias = \"{}\"`.",
                &key[name.len() + 1..]
            )));
        }
        let d = Diagnostic::error("Unknown provider").with_detail(format!(
            "Resource type \"{type_name}\" belongs to provider \"{name}\", which meshform does not have. Known providers: {}.",
            self.providers.keys().filter(|k| !k.contains('.')).cloned().collect::<Vec<_>>().join(", ")
        ));
        Err(match self.closest_type(type_name) {
            Some(t) => d.with_help(format!("did you mean `{t}`?")),
            None => d,
        })
    }

    /// The resource or data source type of any provider closest to a mistyped one.
    pub fn closest_type(&self, type_name: &str) -> Option<String> {
        let names: Vec<&str> = self
            .providers
            .iter()
            .filter(|(k, _)| !k.contains('.'))
            .flat_map(|(_, p)| {
                let s = p.schema();
                s.resources.keys().chain(s.data_sources.keys()).map(String::as_str).collect::<Vec<_>>()
            })
            .collect();
        crate::config::load::closest(type_name, &names).map(str::to_string)
    }
}

/// Per-instance names: `count.index`, `each.key`/`each.value`.
#[derive(Clone, Debug, Default)]
pub struct InstanceNames {
    pub key: Option<InstanceKey>,
    pub each_value: Option<Value>,
}

/// Resolves references inside one module instance.
pub struct ModuleScope<'a> {
    pub values: &'a Values,
    pub module: &'a Module,
    pub instance: &'a ModuleInstance,
    pub names: InstanceNames,
    pub cwd: &'a Path,
    pub workspace: &'a str,
}

impl Scope for ModuleScope<'_> {
    fn resolve(&self, r: &Reference) -> Result<Resolved, Diagnostic> {
        let first = r.attrs.first().map(String::as_str);
        let found = |value: Value, consumed: usize| Ok(Resolved { value, consumed });
        let key = |n: &str| (self.instance.clone(), n.to_string());
        match (r.root.as_str(), first) {
            ("var", Some(n)) => found(self.values.variables.get(&key(n)).cloned().unwrap_or(Value::Unknown), 1),
            ("local", Some(n)) => found(self.values.locals.get(&key(n)).cloned().unwrap_or(Value::Unknown), 1),
            ("module", Some(n)) => found(self.module_value(n), 1),
            ("count", Some("index")) => match &self.names.key {
                Some(InstanceKey::Int(i)) => found(Value::from(*i), 1),
                _ => Err(Diagnostic::error("Reference to \"count\" in non-counted context")
                    .with_detail("count.index is only available in blocks that set \"count\".")
                    .with_span(r.span)),
            },
            ("each", Some(attr @ ("key" | "value"))) => match (&self.names.key, &self.names.each_value) {
                (Some(InstanceKey::Str(k)), Some(v)) => {
                    found(if attr == "key" { Value::from(k.as_str()) } else { v.clone() }, 1)
                }
                _ => Err(Diagnostic::error("each.key and each.value are only available with for_each")
                    .with_detail("Set \"for_each\" on this block to use \"each\".")
                    .with_span(r.span)),
            },
            ("path", Some(kind @ ("module" | "root" | "cwd"))) => {
                let p = match kind {
                    "module" => self.module.dir.display().to_string(),
                    "root" => ".".to_string(),
                    _ => self.cwd.display().to_string(),
                };
                found(Value::from(p), 1)
            }
            ("terraform" | "meshform", Some("workspace")) => found(Value::from(self.workspace), 1),
            ("data", Some(t)) => match r.attrs.get(1) {
                Some(n) => found(self.resource_value(ResourceMode::Data, t, n), 2),
                None => Err(Diagnostic::error("Invalid data source reference").with_span(r.span)),
            },
            (root, Some(n)) if !matches!(root, "var" | "local" | "module" | "count" | "each" | "path" | "self") => {
                found(self.resource_value(ResourceMode::Managed, root, n), 1)
            }
            (root, _) => Err(Diagnostic::error("Invalid reference")
                .with_detail(format!("\"{root}\" cannot be used here like this."))
                .with_span(r.span)),
        }
    }

    /// Relative file paths resolve against the working directory, as in Terraform
    /// (hence `path.module` in `file("${path.module}/x")`).
    fn module_dir(&self) -> &Path {
        self.cwd
    }

    fn declared_type(&self, e: &hcl_edit::expr::Expression) -> Option<Type> {
        crate::nulltypes::declared_type(self.module, e)
    }
}

impl ModuleScope<'_> {
    fn resource_value(&self, mode: ResourceMode, type_name: &str, name: &str) -> Value {
        let addr = AbsResource {
            module: self.instance.clone(),
            resource: ResourceAddr { mode, type_name: type_name.to_string(), name: name.to_string() },
        };
        self.values.resources.get(&addr).cloned().unwrap_or(Value::Unknown)
    }

    fn module_value(&self, name: &str) -> Value {
        let Some(call) = self.module.module_calls.get(name) else {
            return Value::Unknown;
        };
        let Some(expansion) = self.values.module_expansions.get(&(self.instance.clone(), name.to_string())) else {
            return Value::Unknown;
        };
        let mut instances = BTreeMap::new();
        for key in expansion.keys() {
            let child = self.instance.child(name, key.clone());
            let outputs = call
                .module
                .outputs
                .keys()
                .map(|o| {
                    (o.clone(), self.values.outputs.get(&(child.clone(), o.clone())).cloned().unwrap_or(Value::Unknown))
                })
                .collect();
            instances.insert(key, Value::Object(Arc::new(outputs)));
        }
        expansion.collect(instances)
    }
}

/// Evaluates an expression in a scope, for callers that hold the values.
pub fn eval_expr(e: &Expr, scope: &dyn Scope) -> Result<Value, Diagnostic> {
    eval(&e.expr, e.file, scope)
}

/// Evaluates `count` or `for_each` into an expansion; both must be known at plan time.
pub fn expansion(count: Option<&Expr>, for_each: Option<&Expr>, scope: &dyn Scope) -> Result<Expansion, Diagnostic> {
    if let Some(c) = count {
        let v = eval_expr(c, scope)?;
        let (v, _) = v.unmark_deep();
        if v.is_unknown() {
            return Err(Diagnostic::error("Invalid count argument")
                .with_detail("The \"count\" value depends on values that cannot be determined until apply.")
                .with_span(c.span()));
        }
        let n = v.as_number().and_then(Number::to_i64).or_else(|| v.as_str().and_then(|s| s.parse().ok()));
        return match n {
            Some(n) if n >= 0 => Ok(Expansion::Count(n)),
            _ => Err(Diagnostic::error("Invalid count argument")
                .with_detail(format!(
                    "The \"count\" argument must be a whole number of zero or more, not {}.",
                    display_short(&v)
                ))
                .with_span(c.span())),
        };
    }
    let Some(fe) = for_each else {
        return Ok(Expansion::Single);
    };
    let (v, _) = eval_expr(fe, scope)?.unmark_deep();
    if !v.is_wholly_known() && (v.is_unknown() || v.as_seq().is_some()) {
        return Err(Diagnostic::error("Invalid for_each argument")
            .with_detail("The \"for_each\" keys depend on values that cannot be determined until apply.")
            .with_span(fe.span()));
    }
    match &v {
        Value::Map(m) | Value::Object(m) => Ok(Expansion::ForEach((**m).clone())),
        Value::Set(items) => {
            let mut m = BTreeMap::new();
            for item in items {
                match item.as_str() {
                    Some(s) => {
                        m.insert(s.to_string(), item.clone());
                    }
                    None => {
                        return Err(Diagnostic::error("Invalid for_each set argument")
                            .with_detail("A set given to for_each must hold strings only.")
                            .with_span(fe.span()));
                    }
                }
            }
            Ok(Expansion::ForEach(m))
        }
        Value::Null => Err(Diagnostic::error("Invalid for_each argument")
            .with_detail("The for_each value is null; it must be a map or a set of strings.")
            .with_span(fe.span())),
        other => Err(Diagnostic::error("Invalid for_each argument")
            .with_detail(format!(
                "The \"for_each\" argument must be a map or a set of strings, and you have provided a value of type {}.",
                other.type_name()
            ))
            .with_help("convert a list with toset(...)")
            .with_span(fe.span())),
    }
}

fn display_short(v: &Value) -> String {
    match v {
        Value::String(s) => format!("{s:?}"),
        Value::Number(n) => n.to_string(),
        Value::Null => "null".into(),
        other => other.type_name().to_string(),
    }
}

/// Evaluates a resource body against its schema into an object value.
pub fn eval_body(body: &Body, schema: &ResourceSchema, scope: &dyn Scope) -> Result<Value, Diagnostics> {
    let mut diags = Diagnostics::new();
    let mut obj = BTreeMap::new();
    let names: Vec<&str> = schema.attributes.keys().map(String::as_str).collect();
    for a in &body.attributes {
        if let Some(bs) = schema.blocks.get(&a.name).filter(|b| b.nesting == BlockNesting::Single) {
            // A single nested block may be given whole, as an object: `connection = local.conn`.
            match eval_expr(&a.expr, scope).and_then(|v| block_from_object(v, &a.name, &bs.body, a.expr.span())) {
                Ok(v) => {
                    obj.insert(a.name.clone(), v);
                }
                Err(d) => diags.push(d),
            }
            continue;
        }
        match schema.attributes.get(&a.name) {
            None => {
                let mut d = Diagnostic::error("Unsupported argument")
                    .with_detail(format!("An argument named \"{}\" is not expected here.", a.name))
                    .with_span(a.name_span);
                if let Some(h) = closest(&a.name, &names) {
                    d = d.with_help(format!("did you mean \"{h}\"?"));
                }
                diags.push(d);
            }
            Some(s) if s.presence == Presence::Computed => diags.push(
                Diagnostic::error("Invalid argument")
                    .with_detail(format!("\"{}\" is set by the provider; it cannot be configured.", a.name))
                    .with_span(a.name_span),
            ),
            Some(s) => match eval_expr(&a.expr, scope) {
                Ok(v) => match convert_attr(v, &s.ty, s.sensitive) {
                    Ok(v) => {
                        obj.insert(a.name.clone(), v);
                    }
                    Err(e) => diags.push(
                        Diagnostic::error("Incorrect attribute value type")
                            .with_detail(format!("Inappropriate value for attribute \"{}\": {e}.", a.name))
                            .with_span(a.expr.span()),
                    ),
                },
                Err(d) => diags.push(d),
            },
        }
    }
    for (name, s) in &schema.attributes {
        if obj.contains_key(name) {
            continue;
        }
        if s.presence == Presence::Required {
            diags.push(
                Diagnostic::error("Missing required argument")
                    .with_detail(format!("The argument \"{name}\" is required, but no definition was found."))
                    .with_span(body.span),
            );
        }
        // Unset attributes are null in configuration; providers plan what they compute.
        obj.insert(name.clone(), Value::Null);
    }
    eval_blocks(body, schema, scope, &mut obj, &mut diags);
    if diags.has_errors() { Err(diags) } else { Ok(Value::Object(obj.into())) }
}

fn convert_attr(v: Value, ty: &Type, sensitive: bool) -> Result<Value, types::ConversionError> {
    Ok(types::convert(v, ty)?.mark_if(sensitive))
}

/// An object given for a single nested block, checked and converted as the block's body
/// would be.
fn block_from_object(v: Value, name: &str, schema: &ResourceSchema, span: Span) -> Result<Value, Diagnostic> {
    let v = v.unmark_deep();
    let fields = match &v.0 {
        Value::Null => return Ok(Value::Null),
        Value::Object(m) | Value::Map(m) => m.clone(),
        other => {
            return Err(Diagnostic::error("Incorrect attribute value type")
                .with_detail(format!(
                    "\"{name}\" takes an object with the block's arguments, not {}.",
                    other.type_name()
                ))
                .with_span(span));
        }
    };
    if let Some(k) = fields.keys().find(|k| !schema.attributes.contains_key(k.as_str())) {
        return Err(Diagnostic::error("Unsupported argument")
            .with_detail(format!("\"{name}\" has no argument \"{k}\"."))
            .with_span(span));
    }
    let mut out = BTreeMap::new();
    for (attr, s) in &schema.attributes {
        let given = fields.get(attr).cloned().unwrap_or(Value::Null);
        let converted = convert_attr(given, &s.ty, s.sensitive).map_err(|e| {
            Diagnostic::error("Incorrect attribute value type")
                .with_detail(format!("Inappropriate value for \"{name}.{attr}\": {e}."))
                .with_span(span)
        })?;
        out.insert(attr.clone(), converted);
    }
    // Sensitivity of the whole object carries over.
    Ok(Value::Object(out.into()).mark_if(v.1))
}

fn eval_blocks(
    body: &Body,
    schema: &ResourceSchema,
    scope: &dyn Scope,
    obj: &mut BTreeMap<String, Value>,
    diags: &mut Diagnostics,
) {
    let mut found: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
    for b in &body.blocks {
        let (kind, content) = if b.kind == "dynamic" {
            (b.labels.first().map(String::as_str).unwrap_or(""), None)
        } else {
            (b.kind.as_str(), Some(&b.body))
        };
        let Some(bs) = schema.blocks.get(kind) else {
            diags.push(
                Diagnostic::error("Unsupported block type")
                    .with_detail(format!("Blocks of type \"{kind}\" are not expected here."))
                    .with_span(b.span),
            );
            continue;
        };
        match content {
            Some(inner) => match eval_body(inner, &bs.body, scope) {
                Ok(v) => found.entry(kind).or_default().push(v),
                Err(d) => diags.extend(d),
            },
            None => match expand_dynamic(b, &bs.body, scope) {
                Ok(vs) => found.entry(kind).or_default().extend(vs),
                Err(d) => diags.extend(d),
            },
        }
    }
    for (name, bs) in &schema.blocks {
        let items = found.remove(name.as_str()).unwrap_or_default();
        if obj.contains_key(name) {
            if !items.is_empty() {
                diags.push(
                    Diagnostic::error("Duplicate block")
                        .with_detail(format!("\"{name}\" is given both as an argument and as a block."))
                        .with_span(body.span),
                );
            }
            continue;
        }
        let v = match bs.nesting {
            BlockNesting::Single => items.into_iter().next().unwrap_or(Value::Null),
            BlockNesting::List => Value::List(items),
            BlockNesting::Set => Value::set(items),
        };
        obj.insert(name.clone(), v);
    }
}

/// `dynamic "x" { for_each = ...; iterator = it; content { ... } }` → one block per element.
fn expand_dynamic(
    b: &crate::config::NestedBlock,
    schema: &ResourceSchema,
    scope: &dyn Scope,
) -> Result<Vec<Value>, Diagnostics> {
    let label = b.labels.first().cloned().unwrap_or_default();
    let Some(fe) = b.body.attribute("for_each") else {
        return Err(Diagnostic::error("Missing for_each in dynamic block").with_span(b.span).into());
    };
    let iterator = match b.body.attribute("iterator") {
        Some(a) => match a.expr.expr.as_ref() {
            hcl_edit::expr::Expression::Variable(v) => v.value().as_str().to_string(),
            _ => {
                return Err(Diagnostic::error("Invalid iterator name").with_span(a.expr.span()).into());
            }
        },
        None => label.clone(),
    };
    let Some(content) = b.body.blocks.iter().find(|c| c.kind == "content") else {
        return Err(Diagnostic::error("Missing content block in dynamic block").with_span(b.span).into());
    };
    let coll = eval_expr(&fe.expr, scope)?;
    let (coll, _) = coll.unmark_deep();
    let pairs: Vec<(Value, Value)> = match &coll {
        Value::List(xs) | Value::Tuple(xs) | Value::Set(xs) => {
            xs.iter().enumerate().map(|(i, x)| (Value::from(i as i64), x.clone())).collect()
        }
        Value::Map(m) | Value::Object(m) => m.iter().map(|(k, v)| (Value::from(k.as_str()), v.clone())).collect(),
        Value::Null => Vec::new(),
        _ => {
            return Err(Diagnostic::error("Invalid dynamic for_each value").with_span(fe.expr.span()).into());
        }
    };
    let mut out = Vec::new();
    for (k, v) in pairs {
        let it = Value::object([("key", k), ("value", v)]);
        let inner = IteratorScope { parent: scope, name: &iterator, value: it };
        out.push(eval_body(&content.body, schema, &inner)?);
    }
    Ok(out)
}

/// A scope that adds one name (a dynamic block's iterator) on top of another.
struct IteratorScope<'a> {
    parent: &'a dyn Scope,
    name: &'a str,
    value: Value,
}

impl Scope for IteratorScope<'_> {
    fn resolve(&self, r: &Reference) -> Result<Resolved, Diagnostic> {
        if r.root == self.name {
            return Ok(Resolved { value: self.value.clone(), consumed: 0 });
        }
        self.parent.resolve(r)
    }

    fn module_dir(&self) -> &Path {
        self.parent.module_dir()
    }
}

/// Evaluates a non-resource node for every instance of its module.
pub fn eval_plain_node(ctx: &RunContext, values: &RwLock<Values>, node: &Node) -> Result<(), Diagnostics> {
    let Some(module) = ctx.module(&node.module) else {
        return Ok(());
    };
    let instances = read(values).modules.get(&node.module).cloned().unwrap_or_default();
    let mut diags = Diagnostics::new();
    for inst in &instances {
        let result = match &node.kind {
            NodeKind::Variable(n) => eval_variable(ctx, values, module, inst, n),
            NodeKind::Local(n) => eval_local(ctx, values, module, inst, n),
            NodeKind::Output(n) => eval_output(ctx, values, module, inst, n),
            NodeKind::ModuleCall(n) => eval_module_call(ctx, values, module, &node.module, inst, n),
            NodeKind::VariableValidation(n) => eval_variable_validation(ctx, values, module, inst, n),
            // Checks warn; plan and apply run them themselves.
            NodeKind::Resource(_) | NodeKind::Check(_) => Ok(()),
        };
        if let Err(d) = result {
            diags.extend(d);
        }
    }
    if diags.has_errors() { Err(diags) } else { Ok(()) }
}

pub fn read(values: &RwLock<Values>) -> std::sync::RwLockReadGuard<'_, Values> {
    values.read().unwrap_or_else(|e| e.into_inner())
}

pub fn write(values: &RwLock<Values>) -> std::sync::RwLockWriteGuard<'_, Values> {
    values.write().unwrap_or_else(|e| e.into_inner())
}

/// Builds the scope of a module instance over the current values.
pub fn scope<'a>(
    ctx: &'a RunContext,
    v: &'a Values,
    module: &'a Module,
    inst: &'a ModuleInstance,
    names: InstanceNames,
) -> ModuleScope<'a> {
    ModuleScope { values: v, module, instance: inst, names, cwd: &ctx.cwd, workspace: &ctx.workspace }
}

/// How a resource expands in one module instance.
pub fn resource_expansion(
    ctx: &RunContext,
    values: &RwLock<Values>,
    module: &Module,
    res: &crate::config::Resource,
    abs: &AbsResource,
) -> Result<Expansion, Diagnostic> {
    let guard = read(values);
    let s = scope(ctx, &guard, module, &abs.module, InstanceNames::default());
    expansion(res.count.as_ref(), res.for_each.as_ref(), &s).map_err(|d| d.with_address(abs.to_string()))
}

/// Evaluates an expression in a module instance, with no per-instance names.
fn eval_in(
    ctx: &RunContext,
    values: &RwLock<Values>,
    module: &Module,
    inst: &ModuleInstance,
    e: &Expr,
) -> Result<Value, Diagnostic> {
    let guard = read(values);
    eval_expr(e, &scope(ctx, &guard, module, inst, InstanceNames::default()))
}

fn eval_local(
    ctx: &RunContext,
    values: &RwLock<Values>,
    module: &Module,
    inst: &ModuleInstance,
    name: &str,
) -> Result<(), Diagnostics> {
    let Some(local) = module.locals.get(name) else {
        return Ok(());
    };
    let v = eval_in(ctx, values, module, inst, &local.expr)?;
    write(values).locals.insert((inst.clone(), name.to_string()), v);
    Ok(())
}

/// What the walk knows in one module instance, for working out output types.
struct KnownValues<'a> {
    ctx: &'a RunContext,
    values: &'a RwLock<Values>,
    module: &'a Module,
    inst: &'a ModuleInstance,
    file: crate::diag::FileId,
}

impl crate::nulltypes::Known for KnownValues<'_> {
    fn value(&self, e: &hcl_edit::expr::Expression) -> Option<Value> {
        let guard = read(self.values);
        eval(e, self.file, &scope(self.ctx, &guard, self.module, self.inst, InstanceNames::default())).ok()
    }

    fn child_output(&self, call: &str, output: &str) -> Option<Type> {
        let child = self.inst.child(call, InstanceKey::None);
        read(self.values).output_types.get(&(child, output.to_string())).cloned()
    }
}

fn eval_output(
    ctx: &RunContext,
    values: &RwLock<Values>,
    module: &Module,
    inst: &ModuleInstance,
    name: &str,
) -> Result<(), Diagnostics> {
    let Some(out) = module.outputs.get(name) else {
        return Ok(());
    };
    if !out.preconditions.is_empty() {
        let guard = read(values);
        let s = scope(ctx, &guard, module, inst, InstanceNames::default());
        check_conditions(
            &out.preconditions,
            &s,
            "Module output value precondition failed",
            "this precondition failed",
        )?;
    }
    let v = eval_in(ctx, values, module, inst, &out.value)?;
    // Only a value with untyped places (nulls, empty collections) needs its type worked out.
    if crate::nulltypes::has_untyped_places(&v) {
        let known = KnownValues { ctx, values, module, inst, file: out.value.file };
        if let Some(ty) = crate::nulltypes::declared_type_with(module, &out.value.expr, &known) {
            write(values).output_types.insert((inst.clone(), name.to_string()), ty);
        }
    }
    if inst.is_root() && v.contains_sensitive() && !out.sensitive {
        return Err(Diagnostic::error("Output refers to sensitive values")
            .with_detail("To reduce the risk of accidentally exporting sensitive data, an output that includes a sensitive value must itself be marked sensitive.")
            .with_help("add `sensitive = true` to this output block")
            .with_span(out.span)
            .into());
    }
    let v = v.mark_if(out.sensitive);
    write(values).outputs.insert((inst.clone(), name.to_string()), v);
    Ok(())
}

fn eval_module_call(
    ctx: &RunContext,
    values: &RwLock<Values>,
    module: &Module,
    path: &ModulePath,
    inst: &ModuleInstance,
    name: &str,
) -> Result<(), Diagnostics> {
    let Some(call) = module.module_calls.get(name) else {
        return Ok(());
    };
    let exp = {
        let guard = read(values);
        let s = scope(ctx, &guard, module, inst, InstanceNames::default());
        expansion(call.count.as_ref(), call.for_each.as_ref(), &s)?
    };
    let mut child_path = path.clone();
    child_path.push(name.to_string());
    let mut w = write(values);
    let list = w.modules.entry(child_path).or_default();
    for key in exp.keys() {
        list.push(inst.child(name, key));
    }
    w.module_expansions.insert((inst.clone(), name.to_string()), exp);
    Ok(())
}

fn eval_variable(
    ctx: &RunContext,
    values: &RwLock<Values>,
    module: &Module,
    inst: &ModuleInstance,
    name: &str,
) -> Result<(), Diagnostics> {
    let Some(var) = module.variables.get(name) else {
        return Ok(());
    };
    let ty = variable_type(var)?;
    let raw =
        if inst.is_root() { root_variable_value(ctx, var, &ty)? } else { module_input_value(ctx, values, inst, name)? };
    let (value, span) = match raw {
        Some((v, span)) => (v, span),
        None => match &var.default {
            Some(d) => (eval_constant(d)?, d.span()),
            None => {
                return Err(Diagnostic::error("No value for required variable")
                    .with_detail(format!(
                        "The root module input variable \"{name}\" is not set, and has no default value. Use a -var or -var-file command line argument, or set MESHFORM_VAR_{name}, to provide a value for this variable."
                    ))
                    .with_span(var.span)
                    .into());
            }
        },
    };
    let value = check_variable(var, &ty, value, span)?;
    write(values).variables.insert((inst.clone(), name.to_string()), value.mark_if(var.sensitive));
    Ok(())
}

fn variable_type(var: &Variable) -> Result<Type, Diagnostic> {
    match &var.type_expr {
        Some(t) => types::parse_type_constraint(&t.expr, t.file, &|e| eval(e, t.file, &ConstantScope)),
        None => Ok(Type::Any),
    }
}

fn check_variable(var: &Variable, ty: &Type, value: Value, span: Span) -> Result<Value, Diagnostic> {
    if value.is_null() {
        if !var.nullable {
            return Err(Diagnostic::error("Required variable not set")
                .with_detail(format!("The variable \"{}\" is not nullable, but null was given.", var.name))
                .with_span(span));
        }
        return Ok(value);
    }
    types::convert(value, ty).map_err(|e| {
        Diagnostic::error("Invalid value for input variable")
            .with_detail(format!("The given value is not suitable for var.{}: {e}.", var.name))
            .with_label(format!("expected {}", ty.friendly_name()))
            .with_span(span)
    })
}

/// A variable's `validation` blocks, against everything they refer to (other variables,
/// locals, data sources) in this module instance.
fn eval_variable_validation(
    ctx: &RunContext,
    values: &RwLock<Values>,
    module: &Module,
    inst: &ModuleInstance,
    name: &str,
) -> Result<(), Diagnostics> {
    let Some(var) = module.variables.get(name) else {
        return Ok(());
    };
    let guard = read(values);
    let s = scope(ctx, &guard, module, inst, InstanceNames::default());
    check_conditions(&var.validations, &s, "Invalid value for variable", "this validation failed")
}

/// Checks `validation` or `precondition` blocks: a false condition is an error with the
/// block's message; an unknown one is checked later (at apply).
pub fn check_conditions(
    conds: &[crate::config::Validation],
    s: &dyn Scope,
    summary: &str,
    label: &str,
) -> Result<(), Diagnostics> {
    for v in conds {
        let ok = eval_expr(&v.condition, s)?;
        match ok.unmark_deep().0 {
            Value::Bool(true) | Value::Unknown => {}
            Value::Bool(false) => {
                let msg = eval_expr(&v.error_message, s)?;
                let msg = msg.as_str().unwrap_or("The condition is not met.").to_string();
                return Err(Diagnostic::error(summary)
                    .with_detail(msg)
                    .with_label(label)
                    .with_span(v.condition.span())
                    .into());
            }
            _ => {
                return Err(Diagnostic::error("Invalid condition")
                    .with_detail("The condition must give true or false.")
                    .with_span(v.condition.span())
                    .into());
            }
        }
    }
    Ok(())
}

fn root_variable_value(ctx: &RunContext, var: &Variable, ty: &Type) -> Result<Option<(Value, Span)>, Diagnostic> {
    let Some(raw) = ctx.root_variables.get(&var.name) else {
        return Ok(None);
    };
    match raw {
        RawVariable::Expr(e) => Ok(Some((eval_constant(e)?, e.span()))),
        RawVariable::Value { value, span } => Ok(Some((value.clone(), *span))),
        RawVariable::Literal { text, origin } => {
            let primitive = matches!(ty, Type::String | Type::Number | Type::Bool | Type::Any);
            if primitive {
                return Ok(Some((Value::from(text.as_str()), var.span)));
            }
            match hcl_edit::parser::parse_expr(text) {
                // The text is not a file: errors point at the variable's declaration.
                Ok(expr) => eval(&expr, var.span.file, &ConstantScope).map(|v| Some((v, var.span))).map_err(|d| {
                    Diagnostic { span: Some(var.span), label: None, ..d }
                        .with_detail(format!("while reading the value of var.{} from {origin}", var.name))
                }),
                Err(e) => Err(Diagnostic::error("Invalid value for variable")
                    .with_detail(format!(
                        "The value of var.{} from {origin} is not a valid expression: {}.",
                        var.name,
                        e.message()
                    ))
                    .with_span(var.span)),
            }
        }
    }
}

fn module_input_value(
    ctx: &RunContext,
    values: &RwLock<Values>,
    inst: &ModuleInstance,
    name: &str,
) -> Result<Option<(Value, Span)>, Diagnostic> {
    let Some((step, parent_steps)) = inst.0.split_last() else {
        return Ok(None);
    };
    let parent = ModuleInstance(parent_steps.to_vec());
    let parent_path: Vec<String> = parent.names().iter().map(|s| s.to_string()).collect();
    let Some(parent_module) = ctx.module(&parent_path) else {
        return Ok(None);
    };
    let Some(call): Option<&ModuleCall> = parent_module.module_calls.get(&step.name) else {
        return Ok(None);
    };
    let Some(input) = call.inputs.get(name) else {
        return Ok(None);
    };
    let guard = read(values);
    let exp = guard.module_expansions.get(&(parent.clone(), step.name.clone())).cloned().unwrap_or(Expansion::Single);
    let names = InstanceNames {
        key: Some(step.key.clone()).filter(|k| *k != InstanceKey::None),
        each_value: Some(exp.each_value(&step.key)),
    };
    let s = scope(ctx, &guard, parent_module, &parent, names);
    Ok(Some((eval_expr(&input.expr, &s)?, input.expr.span())))
}

/// Evaluates an expression that may reference nothing (defaults, tfvars values).
pub fn eval_constant(e: &Expr) -> Result<Value, Diagnostic> {
    eval(&e.expr, e.file, &ConstantScope)
}

/// A node's work, started by the walk.
pub type NodeFuture = std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), Diagnostics>> + Send + 'static>>;

/// Walks the graph: a node starts when all it depends on has finished (parallelism of
/// provider calls is bounded by the caller's semaphore). A failed node's dependents are
/// skipped; independent work goes on.
pub async fn walk_graph(graph: &Graph, run_node: impl Fn(NodeIndex) -> NodeFuture) -> Diagnostics {
    let g = &graph.graph;
    let mut pending: HashMap<NodeIndex, usize> =
        g.node_indices().map(|i| (i, g.neighbors_directed(i, Direction::Incoming).count())).collect();
    let mut failed: HashSet<NodeIndex> = HashSet::new();
    let mut ready: Vec<NodeIndex> = pending.iter().filter(|(_, n)| **n == 0).map(|(i, _)| *i).collect();
    ready.sort();
    let mut running = tokio::task::JoinSet::new();
    let mut diags = Diagnostics::new();
    loop {
        for i in ready.drain(..) {
            let fut = run_node(i);
            running.spawn(async move { (i, fut.await) });
        }
        let Some(joined) = running.join_next().await else {
            break;
        };
        let (i, result) = match joined {
            Ok(r) => r,
            Err(e) => {
                diags.push(Diagnostic::error(format!("internal error: a graph walk task failed: {e}")));
                continue;
            }
        };
        // Warnings alone (a failed check) hold nothing up.
        let ok = match result {
            Ok(()) => true,
            Err(d) => {
                let ok = !d.has_errors();
                diags.extend(d);
                ok
            }
        };
        for succ in g.neighbors_directed(i, Direction::Outgoing) {
            if !ok {
                failed.insert(succ);
            }
            if let Some(n) = pending.get_mut(&succ) {
                *n -= 1;
                if *n == 0 {
                    if failed.contains(&succ) {
                        skip(g, succ, &mut pending, &mut failed);
                    } else {
                        ready.push(succ);
                    }
                }
            }
        }
    }
    diags
}

/// Marks everything downstream of a skipped node as skipped too.
fn skip(
    g: &petgraph::graph::DiGraph<Node, ()>,
    i: NodeIndex,
    pending: &mut HashMap<NodeIndex, usize>,
    failed: &mut HashSet<NodeIndex>,
) {
    let mut stack = vec![i];
    while let Some(i) = stack.pop() {
        for succ in g.neighbors_directed(i, Direction::Outgoing) {
            failed.insert(succ);
            if let Some(n) = pending.get_mut(&succ) {
                *n -= 1;
                if *n == 0 {
                    stack.push(succ);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Loader;
    use crate::diag::SourceMap;
    use crate::provider::{AttributeSchema, BlockSchema};

    struct Roots;

    impl Scope for Roots {
        fn resolve(&self, r: &Reference) -> Result<Resolved, Diagnostic> {
            Err(Diagnostic::error(format!("unexpected reference to {}", r.root)))
        }
        fn module_dir(&self) -> &Path {
            Path::new(".")
        }
    }

    fn schema() -> ResourceSchema {
        let attr =
            |presence| AttributeSchema { ty: Type::Any, presence, force_new: false, sensitive: false, description: "" };
        let mut port = ResourceSchema::default();
        port.attributes.insert("number".into(), attr(Presence::Required));
        port.attributes.insert("proto".into(), attr(Presence::Optional));
        let mut s = ResourceSchema::default();
        s.attributes.insert("name".into(), attr(Presence::Required));
        s.blocks.insert("port".into(), BlockSchema { nesting: BlockNesting::List, body: port });
        s
    }

    fn body(text: &str) -> Body {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("main.tf"), text).unwrap();
        let (m, d) = Loader::new(SourceMap::new(), dir.path()).load(dir.path());
        assert!(d.is_empty(), "{d:?}");
        m.resources.into_values().next().unwrap().body
    }

    #[test]
    fn dynamic_blocks_expand_with_their_iterator() {
        let b = body(
            "resource \"x_y\" \"z\" {\n  name = \"svc\"\n  port {\n    number = 22\n  }\n  dynamic \"port\" {\n    for_each = { http = 80, https = 443 }\n    iterator = p\n    content {\n      number = p.value\n      proto  = p.key\n    }\n  }\n}\n",
        );
        let v = eval_body(&b, &schema(), &Roots).unwrap();
        let ports = v.get_attr("port").and_then(Value::as_seq).unwrap().to_vec();
        assert_eq!(ports.len(), 3);
        assert_eq!(ports[1], Value::object([("number", Value::from(80)), ("proto", Value::from("http"))]));
        assert_eq!(ports[2].get_attr("number"), Some(&Value::from(443)));
    }

    #[test]
    fn unknown_arguments_and_missing_required_ones_are_reported() {
        let b = body("resource \"x_y\" \"z\" {\n  nmae = \"svc\"\n}\n");
        let d = eval_body(&b, &schema(), &Roots).unwrap_err();
        let summaries: Vec<&str> = d.0.iter().map(|d| d.summary.as_str()).collect();
        assert_eq!(summaries, ["Unsupported argument", "Missing required argument"]);
        assert_eq!(d.0[0].help.as_deref(), Some("did you mean \"name\"?"));
    }
}
