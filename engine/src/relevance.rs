//! Terraform's `relevant_attributes`: the resource attributes a plan's changes read,
//! found by following references from every changing resource and root output through
//! locals, module variables and outputs and other resources' arguments.

use std::collections::BTreeSet;

use crate::addrs::{ResourceAddr, ResourceMode};
use crate::config::Module;
use crate::eval::expr::{Reference, Step, display_steps};
use crate::graph::{body_references, expr_refs, module_at};
use crate::plan::{Action, Plan};

/// Roots that name something other than a resource.
pub const NOT_RESOURCES: [&str; 7] = ["var", "local", "module", "count", "each", "path", "terraform"];

/// A resource attribute a planned change depends on: the instance (or resource) and the
/// steps into it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct RelevantAttribute {
    /// The instance (`module.m["a"].terraform_data.x[0]`) or, where a reference does not
    /// say which, the resource.
    pub resource: String,
    /// The steps into it (`output`, `["k"]`).
    pub attribute: Vec<Step>,
}

/// A module instance as far as it is known: each call's name and its key as written in an
/// address (`[0]`), or empty where there is none or a reference does not say which.
type ModulePath = Vec<(String, String)>;

fn names(path: &ModulePath) -> Vec<String> {
    path.iter().map(|(n, _)| n.clone()).collect()
}

/// Terraform's `relevant_attributes`: starting from the references of every resource
/// whose action is not no-op and every root output that changes, references are followed
/// through locals, module variables and outputs and other resources' arguments; the
/// resource attributes met on the way are the result, sorted.
pub fn relevant_attributes(p: &Plan, root: &Module) -> Vec<RelevantAttribute> {
    let mut pending: Vec<(ModulePath, Reference)> = Vec::new();
    for c in p.changes.iter().filter(|c| c.action != Action::NoOp) {
        let path: ModulePath = c.addr.module.0.iter().map(|s| (s.name.clone(), s.key.to_string())).collect();
        let Some(r) = module_at(root, &names(&path)).and_then(|m| m.resources.get(&c.addr.resource)) else {
            continue;
        };
        let mut refs = body_references(&r.body);
        refs.extend(r.count.iter().chain(&r.for_each).flat_map(expr_refs));
        pending.extend(refs.into_iter().map(|r| (path.clone(), r)));
    }
    for o in p.outputs.iter().filter(|o| o.is_change()) {
        if let Some(out) = root.outputs.get(&o.name) {
            pending.extend(expr_refs(&out.value).into_iter().map(|r| (Vec::new(), r)));
        }
    }
    let mut seen = BTreeSet::new();
    let mut found = BTreeSet::new();
    while let Some((path, r)) = pending.pop() {
        if !seen.insert((path.clone(), r.display())) {
            continue;
        }
        let Some(m) = module_at(root, &names(&path)) else { continue };
        pending.extend(follow(root, m, &path, &r, &mut found));
    }
    found.into_iter().collect()
}

fn attr_name(step: Option<&Step>) -> Option<&str> {
    match step {
        Some(Step::Attr(a)) => Some(a),
        _ => None,
    }
}

fn key_text(step: Option<&Step>) -> String {
    match step {
        Some(k @ (Step::Index(_) | Step::Key(_))) => display_steps("", std::slice::from_ref(k)),
        _ => String::new(),
    }
}

/// The references one reference leads to, recording the resource attributes it names.
fn follow(
    root: &Module,
    m: &Module,
    path: &ModulePath,
    r: &Reference,
    found: &mut BTreeSet<RelevantAttribute>,
) -> Vec<(ModulePath, Reference)> {
    let at = |p: &ModulePath, refs: Vec<Reference>| refs.into_iter().map(|r| (p.clone(), r)).collect::<Vec<_>>();
    let first = attr_name(r.path.first());
    match r.root.as_str() {
        "local" => first.and_then(|n| m.locals.get(n)).map_or_else(Vec::new, |l| at(path, expr_refs(&l.expr))),
        "var" => {
            let Some(((call, _), parent)) = path.split_last() else { return Vec::new() };
            let parent = parent.to_vec();
            let input = module_at(root, &names(&parent))
                .and_then(|pm| pm.module_calls.get(call))
                .and_then(|c| c.inputs.get(first.unwrap_or_default()));
            input.map_or_else(Vec::new, |a| at(&parent, expr_refs(&a.expr)))
        }
        "module" => {
            let Some(call) = first.and_then(|n| m.module_calls.get(n)) else { return Vec::new() };
            let mut inner = path.clone();
            inner.push((call.name.clone(), key_text(r.path.get(1))));
            let output = r.path.iter().skip(1).find_map(|s| attr_name(Some(s)));
            call.module
                .outputs
                .iter()
                .filter(|(name, _)| output.is_none_or(|o| o == name.as_str()))
                .flat_map(|(_, o)| at(&inner, expr_refs(&o.value)))
                .collect()
        }
        root_name if NOT_RESOURCES.contains(&root_name) => Vec::new(),
        _ => resource_attr(m, path, r, found),
    }
}

/// Records `r` as an attribute of the resource it names, and follows the argument it reads.
fn resource_attr(
    m: &Module,
    path: &ModulePath,
    r: &Reference,
    found: &mut BTreeSet<RelevantAttribute>,
) -> Vec<(ModulePath, Reference)> {
    let (addr, owner_len) = if r.root == "data" {
        let (Some(t), Some(n)) = (attr_name(r.path.first()), attr_name(r.path.get(1))) else { return Vec::new() };
        (ResourceAddr { mode: ResourceMode::Data, type_name: t.into(), name: n.into() }, 2)
    } else {
        let Some(n) = attr_name(r.path.first()) else { return Vec::new() };
        (ResourceAddr { mode: ResourceMode::Managed, type_name: r.root.clone(), name: n.into() }, 1)
    };
    let Some(resource) = m.resources.get(&addr) else { return Vec::new() };
    let instance_len = owner_len + usize::from(!key_text(r.path.get(owner_len)).is_empty());
    let prefix: String = path.iter().map(|(n, k)| format!("module.{n}{k}.")).collect();
    found.insert(RelevantAttribute {
        resource: format!("{prefix}{}", display_steps(&r.root, &r.path[..instance_len])),
        attribute: r.path[instance_len..].to_vec(),
    });
    let argument = attr_name(r.path.get(instance_len)).and_then(|a| resource.body.attribute(a));
    argument.map_or_else(Vec::new, |a| expr_refs(&a.expr).into_iter().map(|x| (path.clone(), x)).collect())
}
