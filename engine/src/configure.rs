//! Provider configurations. Every `provider` block of the root module is evaluated against
//! the root variables and locals it refers to and handed to a fresh provider instance
//! before anything is read, planned or adopted; a provider with no block gets `null`.
//! A configuration is named by its local name and alias: `aws`, `aws.east`.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, RwLock};

use petgraph::visit::{Dfs, Reversed};

use crate::addrs::ModuleInstance;
use crate::config::{Module, ProviderRef};
use crate::diag::{Diagnostic, Diagnostics};
use crate::graph::{Node, NodeKind, body_references};
use crate::provider::{Provider, ProviderRegistry};
use crate::walk::{self, InstanceNames, RunContext, Values};

/// The configured provider instances of a run, by configuration name.
pub type Providers = BTreeMap<String, Arc<dyn Provider>>;

/// Instances of every provider meshform has, configured with `null` (no `provider`
/// block): for commands that reach providers without a configuration at hand.
pub async fn unconfigured(registry: &ProviderRegistry) -> Providers {
    let mut out = Providers::new();
    for name in registry.names() {
        if let Some(f) = registry.factory(name) {
            let p = f();
            // Configuring with null cannot fail for a provider that accepts no block.
            if p.configure(&crate::eval::Value::Null).await.is_ok() {
                out.insert(name.to_string(), p);
            }
        }
    }
    out
}

/// Configures one instance per `provider` block of the root module, and one per
/// registered provider that has no unaliased block.
pub async fn configure(ctx: &RunContext, registry: &ProviderRegistry) -> Result<Providers, Diagnostics> {
    let root = ctx.config.as_ref();
    let mut diags = Diagnostics::new();
    for (path, m) in child_modules(root, Vec::new()) {
        for b in &m.providers {
            diags.push(
                Diagnostic::error("Provider configuration in a child module")
                    .with_detail(format!(
                        "module.{} declares provider \"{}\". Providers are configured in the root module and passed to modules with `providers = {{ ... }}` in the module block.",
                        path.join(".module."),
                        b.name
                    ))
                    .with_span(b.span),
            );
        }
    }
    if diags.has_errors() {
        return Err(diags);
    }
    let values = root_values(ctx, root)?;
    let mut out = Providers::new();
    for b in &root.providers {
        let key = ProviderRef { name: b.name.clone(), alias: b.alias.clone() }.to_string();
        let Some(factory) = registry.factory(&b.name) else {
            diags.push(
                Diagnostic::error("Unknown provider")
                    .with_detail(format!(
                        "meshform has no provider \"{}\". Known providers: {}.",
                        b.name,
                        registry.names().collect::<Vec<_>>().join(", ")
                    ))
                    .with_span(b.span),
            );
            continue;
        };
        if out.contains_key(&key) {
            diags.push(
                Diagnostic::error("Duplicate provider configuration")
                    .with_detail(format!(
                        "A provider configuration \"{key}\" is already given; set `alias` to tell them apart."
                    ))
                    .with_span(b.span),
            );
            continue;
        }
        let provider = factory();
        let config = {
            let guard = walk::read(&values);
            let root_inst = ModuleInstance::root();
            let scope = walk::scope(ctx, &guard, root, &root_inst, InstanceNames::default());
            // `alias` names the configuration; the provider never sees it.
            let mut body = b.body.clone();
            body.attributes.retain(|a| a.name != "alias");
            walk::eval_body(&body, &provider.schema().provider, &scope)
        };
        let config = match config {
            Ok(c) => c,
            Err(d) => {
                diags.extend(d);
                continue;
            }
        };
        if !config.is_wholly_known() {
            diags.push(
                Diagnostic::error("Provider configuration depends on values not known yet")
                    .with_detail(format!(
                        "provider \"{key}\" is configured from values that are only known after apply. A provider configuration may refer to variables and locals, not to resource attributes."
                    ))
                    .with_span(b.span),
            );
            continue;
        }
        let (plain, _) = config.unmark_deep();
        if let Err(e) = provider.configure(&plain).await {
            diags.push(
                Diagnostic::error("Invalid provider configuration")
                    .with_detail(format!("provider \"{key}\": {}", e.message))
                    .with_span(b.span),
            );
            continue;
        }
        out.insert(key, provider);
    }
    for name in registry.names() {
        if out.contains_key(name) {
            continue;
        }
        if let Some(f) = registry.factory(name) {
            let p = f();
            match p.configure(&crate::eval::Value::Null).await {
                Ok(()) => {
                    out.insert(name.to_string(), p);
                }
                Err(e) => diags.push(
                    Diagnostic::error("Invalid provider configuration")
                        .with_detail(format!("provider \"{name}\" (no provider block): {}", e.message)),
                ),
            }
        }
    }
    if diags.has_errors() { Err(diags) } else { Ok(out) }
}

fn child_modules(m: &Module, path: Vec<String>) -> Vec<(Vec<String>, &Module)> {
    let mut out = Vec::new();
    for (name, call) in &m.module_calls {
        let mut p = path.clone();
        p.push(name.clone());
        out.push((p.clone(), call.module.as_ref()));
        out.extend(child_modules(&call.module, p));
    }
    out
}

/// The root variables and locals the provider blocks refer to, directly or through
/// each other, evaluated in dependency order. Resource attributes stay unknown.
fn root_values(ctx: &RunContext, root: &Module) -> Result<RwLock<Values>, Diagnostics> {
    let values = RwLock::new(Values::default());
    walk::write(&values).modules.insert(Vec::new(), vec![ModuleInstance::root()]);
    let g = &ctx.graph;
    let mut needed = HashSet::new();
    for b in &root.providers {
        for r in body_references(&b.body) {
            let kind = match (r.root.as_str(), r.attrs.first()) {
                ("var", Some(n)) => NodeKind::Variable(n.clone()),
                ("local", Some(n)) => NodeKind::Local(n.clone()),
                _ => continue,
            };
            let Some(&start) = g.index.get(&Node { module: Vec::new(), kind }) else { continue };
            let reversed = Reversed(&g.graph);
            let mut dfs = Dfs::new(reversed, start);
            while let Some(i) = dfs.next(reversed) {
                needed.insert(i);
            }
        }
    }
    let mut diags = Diagnostics::new();
    for i in g.topological_order() {
        if !needed.contains(&i) {
            continue;
        }
        let node = &g.graph[i];
        let plain = matches!(node.kind, NodeKind::Variable(_) | NodeKind::Local(_)) && node.module.is_empty();
        // Only what the root's own variables and locals need; a failing input stops here
        // as it would stop the plan.
        if plain && let Err(d) = walk::eval_plain_node(ctx, &values, node) {
            diags.extend(d);
        }
    }
    if diags.has_errors() { Err(diags) } else { Ok(values) }
}
