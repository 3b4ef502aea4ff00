//! The parts of plan JSON that come from the configuration rather than from values:
//! `configuration` (every module's resources, outputs, variables and module calls, each
//! expression given as the references it makes or, when it makes none, its constant value)
//! and `relevant_attributes` (which the engine's `relevance` finds; written here).

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Map, Value as J, json};

use meshform_engine::addrs::ResourceMode;
use meshform_engine::config::{Body, Expr, Module, ModuleCall, Output, Resource, Variable};
use meshform_engine::describe::{constant_value, reference_names};
use meshform_engine::eval::expr::{Step, display_steps, references};
use meshform_engine::plan::Plan;
use meshform_engine::provider::implied_provider;

use super::insert_nonempty;

/// The whole module tree as Terraform's `configuration` object.
pub fn configuration(root: &Module) -> J {
    let mut providers = Map::new();
    let scope = ModuleScope { path: Vec::new(), provider_keys: declared_provider_keys(root, &[], BTreeMap::new()) };
    let root_module = module_json(root, &scope, &mut providers);
    let mut o = Map::new();
    insert_nonempty(&mut o, "provider_config", J::Object(providers));
    o.insert("root_module".into(), root_module);
    J::Object(o)
}

/// Where a module sits and which provider configurations its resources reach.
struct ModuleScope {
    path: Vec<String>,
    /// A provider as a resource names it (`aws`, `aws.east`) → Terraform's provider config
    /// key: `aws` at the root, `module.a:aws` for a configuration of module `a`'s own. A
    /// name not listed has an implied configuration of the module's own.
    provider_keys: BTreeMap<String, String>,
}

impl ModuleScope {
    fn provider_key(&self, name: &str) -> String {
        match self.provider_keys.get(name) {
            Some(key) => key.clone(),
            None if self.path.is_empty() => name.to_string(),
            None => format!("{}:{name}", module_address(&self.path)),
        }
    }

    /// The scope of a module call's module. As in Terraform, a default provider the
    /// module does not configure comes from this module where this module has a
    /// configuration of it (`known` holds the keys seen so far), else it is implied anew.
    fn child(&self, call: &ModuleCall, known: &Map<String, J>) -> ModuleScope {
        let mut path = self.path.clone();
        path.push(call.name.clone());
        let mut keys = BTreeMap::new();
        for r in call.module.resources.values().filter(|r| r.provider.is_none()) {
            let name = implied_provider(&r.addr.type_name);
            let outer = self.provider_key(name);
            if known.contains_key(&outer) {
                keys.insert(name.to_string(), outer);
            }
        }
        for (inner, outer) in &call.providers {
            keys.insert(inner.clone(), self.provider_key(&outer.to_string()));
        }
        ModuleScope { provider_keys: declared_provider_keys(&call.module, &path, keys), path }
    }
}

/// `keys` with the provider configurations module `m` at `path` declares itself.
fn declared_provider_keys(m: &Module, path: &[String], mut keys: BTreeMap<String, String>) -> BTreeMap<String, String> {
    for b in &m.providers {
        let name = b.alias.as_ref().map_or_else(|| b.name.clone(), |a| format!("{}.{a}", b.name));
        let key = if path.is_empty() { name.clone() } else { format!("{}:{name}", module_address(path)) };
        keys.insert(name, key);
    }
    keys
}

/// `module.a.module.b` for the path `["a", "b"]`; empty at the root.
fn module_address(path: &[String]) -> String {
    path.iter().map(|n| format!("module.{n}")).collect::<Vec<_>>().join(".")
}

/// The provider config entry for `key`, as `provider_config` lists it.
fn provider_entry(key: &str, provider: &str) -> J {
    let (module, local) = key.split_once(':').unwrap_or(("", key));
    let mut entry = Map::new();
    entry.insert("name".into(), json!(provider));
    entry.insert("full_name".into(), json!(super::provider_name(provider)));
    if let Some((_, alias)) = local.split_once('.') {
        entry.insert("alias".into(), json!(alias));
    }
    if !module.is_empty() {
        entry.insert("module_address".into(), json!(module));
    }
    J::Object(entry)
}

/// An expression that says nothing (`{}`) is left out, as Terraform leaves out count and
/// for_each expressions it cannot show.
fn insert_expression(o: &mut Map<String, J>, key: &str, e: Option<&Expr>, dir: &Path) {
    if let Some(e) = e {
        insert_nonempty(o, key, expression(e, dir));
    }
}

/// One module as Terraform's configuration gives it; the provider configurations its
/// resources use are added to `providers`.
fn module_json(m: &Module, scope: &ModuleScope, providers: &mut Map<String, J>) -> J {
    let mut o = Map::new();
    let outputs = m.outputs.iter().map(|(name, out)| (name.clone(), output_json(out, &m.dir))).collect();
    insert_nonempty(&mut o, "outputs", J::Object(outputs));
    let mut resources: Vec<&Resource> = m.resources.values().collect();
    resources.sort_by_key(|r| r.addr.to_string());
    let resources = resources.into_iter().map(|r| resource_json(r, &m.dir, scope, providers)).collect();
    insert_nonempty(&mut o, "resources", J::Array(resources));
    let calls: Map<String, J> = m
        .module_calls
        .iter()
        .map(|(name, call)| {
            let mut d = Map::new();
            d.insert("source".into(), json!(call.source));
            let inputs = call.inputs.iter().map(|(k, a)| (k.clone(), expression(&a.expr, &m.dir))).collect();
            insert_nonempty(&mut d, "expressions", J::Object(inputs));
            insert_expression(&mut d, "count_expression", call.count.as_ref(), &m.dir);
            insert_expression(&mut d, "for_each_expression", call.for_each.as_ref(), &m.dir);
            d.insert("module".into(), module_json(&call.module, &scope.child(call, providers), providers));
            insert_nonempty(&mut d, "depends_on", depends_on(&call.depends_on));
            (name.clone(), J::Object(d))
        })
        .collect();
    insert_nonempty(&mut o, "module_calls", J::Object(calls));
    let variables = m.variables.iter().map(|(name, v)| (name.clone(), variable_json(v, &m.dir))).collect();
    insert_nonempty(&mut o, "variables", J::Object(variables));
    J::Object(o)
}

fn output_json(out: &Output, dir: &Path) -> J {
    let mut d = Map::new();
    if out.sensitive {
        d.insert("sensitive".into(), json!(true));
    }
    d.insert("expression".into(), expression(&out.value, dir));
    if let Some(desc) = &out.description {
        d.insert("description".into(), json!(desc));
    }
    insert_nonempty(&mut d, "depends_on", depends_on(&out.depends_on));
    J::Object(d)
}

fn resource_json(r: &Resource, dir: &Path, scope: &ModuleScope, providers: &mut Map<String, J>) -> J {
    let named = r.provider.as_ref().map_or_else(|| implied_provider(&r.addr.type_name).to_string(), |p| p.to_string());
    let key = scope.provider_key(&named);
    let provider = named.split('.').next().unwrap_or_default();
    providers.entry(key.clone()).or_insert_with(|| provider_entry(&key, provider));
    let mut d = Map::new();
    d.insert("address".into(), json!(r.addr.to_string()));
    d.insert("mode".into(), json!(if r.addr.mode == ResourceMode::Data { "data" } else { "managed" }));
    d.insert("type".into(), json!(r.addr.type_name));
    d.insert("name".into(), json!(r.addr.name));
    d.insert("provider_config_key".into(), json!(key));
    d.insert("expressions".into(), body_expressions(&r.body, dir));
    d.insert("schema_version".into(), json!(0));
    insert_expression(&mut d, "count_expression", r.count.as_ref(), dir);
    insert_expression(&mut d, "for_each_expression", r.for_each.as_ref(), dir);
    insert_nonempty(&mut d, "depends_on", depends_on(&r.depends_on));
    J::Object(d)
}

fn variable_json(v: &Variable, dir: &Path) -> J {
    let mut d = Map::new();
    if let Some(default) = v.default.as_ref().and_then(|e| constant_value(e, dir)).map(|v| v.to_json()) {
        d.insert("default".into(), default);
    }
    if let Some(desc) = &v.description {
        d.insert("description".into(), json!(desc));
    }
    if v.sensitive {
        d.insert("sensitive".into(), json!(true));
    }
    J::Object(d)
}

/// A body's arguments by name; nested blocks by type, each a list of bodies.
fn body_expressions(body: &Body, dir: &Path) -> J {
    let mut o: Map<String, J> = body.attributes.iter().map(|a| (a.name.clone(), expression(&a.expr, dir))).collect();
    for b in &body.blocks {
        let list = o.entry(b.kind.clone()).or_insert_with(|| J::Array(Vec::new()));
        if let J::Array(xs) = list {
            xs.push(body_expressions(&b.body, dir));
        }
    }
    J::Object(o)
}

fn depends_on(list: &[Expr]) -> J {
    J::Array(
        list.iter().flat_map(|e| references(&e.expr, e.file)).map(|r| json!(display_steps(&r.root, &r.path))).collect(),
    )
}

/// `{"references": [...]}` when the expression refers to anything, else
/// `{"constant_value": v}` when it is a constant Terraform would evaluate without a
/// context, else `{}`.
fn expression(e: &Expr, dir: &Path) -> J {
    let shown = reference_names(e);
    if !shown.is_empty() {
        return json!({"references": shown});
    }
    constant_value(e, dir).map_or_else(|| json!({}), |v| json!({"constant_value": v.to_json()}))
}

/// `relevant_attributes` as plan JSON writes it.
pub fn relevant_attributes(p: &Plan, root: &Module) -> Vec<J> {
    meshform_engine::relevance::relevant_attributes(p, root)
        .into_iter()
        .map(|a| json!({"resource": a.resource, "attribute": steps_json(&a.attribute)}))
        .collect()
}

fn steps_json(steps: &[Step]) -> J {
    J::Array(
        steps
            .iter()
            .map(|s| match s {
                Step::Attr(a) | Step::Key(a) => json!(a),
                Step::Index(i) => json!(i),
            })
            .collect(),
    )
}
