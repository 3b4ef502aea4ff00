//! Refactoring what the state records: `moved` blocks, and the moves Terraform implies
//! when `count` is added to or taken from a resource, rename recorded instances before
//! anything is refreshed or planned, so a renamed resource keeps its object instead of
//! being destroyed and made again. Moves change addresses only; no provider is called.
//!
//! Statements are relative to the module that declares them and apply to every instance
//! of it. Each recorded object follows the chain of statements that match it (`a` → `b`,
//! `b` → `c` takes an object at `a` to `c`), each statement at most once.

use std::collections::{BTreeMap, BTreeSet};

use crate::addrs::{InstanceKey, ModuleInstance, ModuleStep, ResourceInstanceAddr, ResourceMode, Target};
use crate::config::{Endpoint, Module};
use crate::diag::{Diagnostic, Diagnostics, SourceMap, Span};
use crate::graph::ModulePath;
use crate::state::State;

/// One move, from a `moved` block or implied by a change of `count`.
#[derive(Clone, Debug)]
pub struct MoveStatement {
    /// The module that declares it, by static path.
    pub module: ModulePath,
    pub from: Target,
    pub to: Target,
    pub span: Span,
    /// Implied by `count` added or removed, not written by the user.
    pub implied: bool,
}

/// What applying the moves did to a state.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MoveResults {
    /// Each moved instance: new address → the address it was recorded at.
    pub moved: BTreeMap<ResourceInstanceAddr, ResourceInstanceAddr>,
    /// Moves that did not happen because an object is already recorded at the destination:
    /// `(from, to)`.
    pub blocked: Vec<(ResourceInstanceAddr, ResourceInstanceAddr)>,
    /// Moves to a resource of another type, which no provider here can convert: `(from, to)`.
    /// Nothing was moved for these.
    pub cross_type: Vec<(ResourceInstanceAddr, ResourceInstanceAddr)>,
}

/// The move statements of a module tree, checked: every error Terraform reports for a
/// `moved` block that could be found without the state.
pub fn statements(root: &Module, sources: &SourceMap) -> (Vec<MoveStatement>, Diagnostics) {
    let mut out = Vec::new();
    let mut diags = Diagnostics::new();
    collect(root, &mut Vec::new(), &mut out, &mut diags);
    check_ambiguity(&out, sources, &mut diags);
    if !diags.has_errors() {
        check_cycles(&out, sources, &mut diags);
    }
    (out, diags)
}

fn collect(m: &Module, path: &mut ModulePath, out: &mut Vec<MoveStatement>, diags: &mut Diagnostics) {
    for mv in &m.moved {
        if let Err(d) = check_statement(&mv.from, &mv.to) {
            diags.push(d.with_span(mv.span));
            continue;
        }
        let (from, to) = unify(mv.from.target.clone(), mv.to.target.clone());
        out.push(MoveStatement { module: path.clone(), from, to, span: mv.span, implied: false });
    }
    for (name, call) in &m.module_calls {
        path.push(name.clone());
        collect(&call.module, path, out, diags);
        path.pop();
    }
}

/// The moves Terraform implies for what `state` records: `count` added to a resource
/// moves its one instance to `[0]`, `count` taken away moves `[0]` back, unless a `moved`
/// block of that module already names the resource. Only resources the state holds such
/// an instance of are looked at, so a large configuration costs nothing here.
fn implied(root: &Module, explicit: &[MoveStatement], state: &State) -> Vec<MoveStatement> {
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for addr in state.resources.keys() {
        if addr.resource.mode != ResourceMode::Managed || !matches!(addr.key, InstanceKey::None | InstanceKey::Int(0)) {
            continue;
        }
        let path = addr.module.path();
        if !seen.insert((path.clone(), addr.resource.clone())) {
            continue;
        }
        let Some(res) = crate::graph::module_at(root, &path).and_then(|m| m.resources.get(&addr.resource)) else {
            continue;
        };
        let named = addr.resource.to_string();
        let mentioned = explicit.iter().any(|s| {
            s.module == path
                && (resource_of(&s.from).as_ref() == Some(&named) || resource_of(&s.to).as_ref() == Some(&named))
        });
        if mentioned {
            continue;
        }
        let abs = crate::addrs::AbsResource { module: ModuleInstance::root(), resource: addr.resource.clone() };
        let (from, to) = match (&res.count, &res.for_each) {
            (None, None) => (abs.instance(InstanceKey::Int(0)), abs.instance(InstanceKey::None)),
            (Some(_), None) => (abs.instance(InstanceKey::None), abs.instance(InstanceKey::Int(0))),
            _ => continue,
        };
        out.push(MoveStatement {
            module: path,
            from: Target::Instance(from),
            to: Target::Instance(to),
            span: res.span,
            implied: true,
        });
    }
    out
}

fn resource_of(t: &Target) -> Option<String> {
    match t {
        Target::Resource(r) if r.module.is_root() => Some(r.resource.to_string()),
        Target::Instance(i) if i.module.is_root() => Some(i.resource.to_string()),
        _ => None,
    }
}

/// Terraform settles an address without a key against the other endpoint: where either
/// names an instance (has a key), both do, and a key-less address is the no-key instance.
fn unify(from: Target, to: Target) -> (Target, Target) {
    let as_instance = |t: Target| match t {
        Target::Resource(r) => Target::Instance(r.instance(InstanceKey::None)),
        other => other,
    };
    // Module endpoints need no rewriting: a key-less last step against a keyed one is
    // matched as the no-key instance when the moves are applied (see `rewrite`).
    if matches!(from, Target::Instance(_)) || matches!(to, Target::Instance(_)) {
        (as_instance(from), as_instance(to))
    } else {
        (from, to)
    }
}

/// The checks of one statement that need only the configuration.
fn check_statement(from: &Endpoint, to: &Endpoint) -> Result<(), Diagnostic> {
    let (f, t) = (&from.target, &to.target);
    let is_module = |t: &Target| matches!(t, Target::Module(_));
    if is_module(f) != is_module(t) {
        return Err(Diagnostic::error("Invalid \"moved\" addresses").with_detail(
            "The \"from\" and \"to\" addresses must either both refer to resources or both refer to modules.",
        ));
    }
    if f == t {
        return Err(Diagnostic::error("Redundant move statement").with_detail(format!(
            "This statement declares a move from {} to the same address, which is the same as not declaring this move at all.",
            f
        )));
    }
    Ok(())
}

/// Whether a module statement moves a whole call (every instance, keys kept): neither
/// endpoint has a key on its last step.
pub fn moves_whole_call(from: &Target, to: &Target) -> bool {
    let unkeyed = |t: &Target| matches!(t, Target::Module(m) if m.0.last().is_some_and(|s| s.key == InstanceKey::None));
    unkeyed(from) && unkeyed(to)
}

/// What a statement's `from` names, as Terraform words it: (noun, short noun).
pub fn nouns(from: &Target, to: &Target) -> (&'static str, &'static str) {
    match from {
        Target::Module(_) if moves_whole_call(from, to) => ("module call", "call"),
        Target::Module(_) => ("module instance", "instance"),
        Target::Instance(_) => ("resource instance", "instance"),
        Target::Resource(_) => ("resource", "resource"),
    }
}

/// Two statements in one module that send the same object to different places, or bring
/// different objects to the same place.
fn check_ambiguity(stmts: &[MoveStatement], sources: &SourceMap, diags: &mut Diagnostics) {
    for (i, a) in stmts.iter().enumerate() {
        let short = nouns(&a.from, &a.to).1;
        for b in &stmts[..i] {
            if a.module != b.module {
                continue;
            }
            let detail = if a.from == b.from && a.to != b.to {
                format!(
                    "A statement at {} declared that {} moved to {}, but this statement instead declares that it moved to {}.\n\nEach {short} can move to only one destination {short}.",
                    sources.describe(b.span),
                    a.from,
                    b.to,
                    a.to
                )
            } else if a.to == b.to && a.from != b.from {
                format!(
                    "A statement at {} declared that {} moved to {}, but this statement instead declares that {} moved there.\n\nEach {short} can have moved from only one source {short}.",
                    sources.describe(b.span),
                    b.from,
                    a.to,
                    a.from
                )
            } else {
                continue;
            };
            diags.push(Diagnostic::error("Ambiguous move statements").with_detail(detail).with_span(a.span));
        }
    }
}

/// An address as Terraform shows it in a cycle: whole resources and calls with `[*]`.
fn wildcard(module: &ModulePath, t: &Target) -> String {
    let prefix: String = module.iter().map(|m| format!("module.{m}[*].")).collect();
    match t {
        Target::Resource(r) => format!("{prefix}{}[*]", r),
        Target::Module(m) if m.0.last().is_some_and(|s| s.key == InstanceKey::None) => format!("{prefix}{m}[*]"),
        other => format!("{prefix}{other}"),
    }
}

/// Statements whose chain comes back to where it started: none of them can end anywhere.
fn check_cycles(stmts: &[MoveStatement], sources: &SourceMap, diags: &mut Diagnostics) {
    let explicit: Vec<&MoveStatement> = stmts.iter().collect();
    let mut reported: BTreeSet<usize> = BTreeSet::new();
    for i in 0..explicit.len() {
        if reported.contains(&i) {
            continue;
        }
        let mut chain = vec![i];
        let mut current = i;
        loop {
            let here = explicit[current];
            let Some(next) =
                explicit.iter().position(|s| s.module == here.module && s.from == here.to && s.to != s.from)
            else {
                break;
            };
            if next == i {
                let mut lines: Vec<String> = chain
                    .iter()
                    .map(|&k| {
                        let s = explicit[k];
                        format!(
                            "{}: {} \u{2192} {}",
                            sources.describe(s.span),
                            wildcard(&s.module, &s.from),
                            wildcard(&s.module, &s.to)
                        )
                    })
                    .collect();
                lines.sort();
                reported.extend(chain.iter().copied());
                diags.push(Diagnostic::error("Cyclic dependency in move statements").with_detail(format!(
                    "The following chained move statements form a cycle, and so there is no final location to move objects to:\n  - {}\n\nA chain of move statements must end with an address that doesn't appear in any other statements, and which typically also refers to an object still declared in the configuration.",
                    lines.join("\n  - ")
                )));
                break;
            }
            if chain.contains(&next) {
                break;
            }
            chain.push(next);
            current = next;
        }
    }
}

/// One `removed` block, made absolute by the static path of the module declaring it.
#[derive(Clone, Debug)]
pub struct RemoveStatement {
    /// The removed resource or module call, by static path: module names, then the
    /// resource if it is one.
    pub module: ModulePath,
    pub resource: Option<crate::addrs::ResourceAddr>,
    pub destroy: bool,
    pub span: Span,
}

impl RemoveStatement {
    /// Whether a recorded instance is one of those this statement removes.
    pub fn selects(&self, addr: &ResourceInstanceAddr) -> bool {
        let path = addr.module.path();
        match &self.resource {
            Some(r) => path == self.module && addr.resource == *r,
            None => path.starts_with(&self.module),
        }
    }

    /// The address as the user wrote it, made absolute.
    pub fn describe(&self) -> String {
        let mut out: Vec<String> = self.module.iter().map(|m| format!("module.{m}")).collect();
        if let Some(r) = &self.resource {
            out.push(r.to_string());
        }
        out.join(".")
    }
}

/// The `removed` blocks of a module tree, the first for each address winning (a parent
/// module's before its children's), with every error Terraform reports for them.
pub fn removed_statements(root: &Module) -> (Vec<RemoveStatement>, Diagnostics) {
    let mut out: Vec<RemoveStatement> = Vec::new();
    let mut diags = Diagnostics::new();
    collect_removed(root, root, &mut Vec::new(), &mut out, &mut diags);
    (out, diags)
}

fn collect_removed(
    root: &Module,
    m: &Module,
    path: &mut ModulePath,
    out: &mut Vec<RemoveStatement>,
    diags: &mut Diagnostics,
) {
    for r in &m.removed {
        let (mut module, resource) = match &r.from.target {
            Target::Resource(res) => {
                (res.module.0.iter().map(|s| s.name.clone()).collect::<Vec<_>>(), Some(res.resource.clone()))
            }
            Target::Module(mi) => (mi.0.iter().map(|s| s.name.clone()).collect(), None),
            Target::Instance(_) => continue,
        };
        if resource.as_ref().is_some_and(|res| res.mode == ResourceMode::Data) {
            diags.push(
                Diagnostic::error("Data source address not allowed")
                    .with_detail("Data sources are never destroyed, so they are not valid targets of removed blocks. To remove the data source from state, remove the data source block from configuration.")
                    .with_span(r.from.span),
            );
            continue;
        }
        let mut full = path.clone();
        full.append(&mut module);
        let statement = RemoveStatement { module: full, resource, destroy: r.destroy, span: r.span };
        if let Some(d) = still_declared(root, &statement) {
            diags.push(d);
            continue;
        }
        if !out.iter().any(|o| o.module == statement.module && o.resource == statement.resource) {
            out.push(statement);
        }
    }
    for (name, call) in &m.module_calls {
        path.push(name.clone());
        collect_removed(root, &call.module, path, out, diags);
        path.pop();
    }
}

/// A removed block for something the configuration still declares.
fn still_declared(root: &Module, s: &RemoveStatement) -> Option<Diagnostic> {
    match &s.resource {
        Some(r) => {
            let m = crate::graph::module_at(root, &s.module)?;
            let res = m.resources.get(r)?;
            Some(
                Diagnostic::error("Removed resource still exists")
                    .with_detail(format!(
                        "This statement declares that {} was removed, but it is still declared in configuration.",
                        s.describe()
                    ))
                    .with_span(res.span),
            )
        }
        None => {
            let (last, parent) = s.module.split_last()?;
            let call = crate::graph::module_at(root, parent)?.module_calls.get(last)?;
            Some(
                Diagnostic::error("Removed module still exists")
                    .with_detail(format!(
                        "This statement declares that {} was removed, but it is still declared in configuration.",
                        s.describe()
                    ))
                    .with_span(call.span),
            )
        }
    }
}

/// Renames the instances of `state` that the `moved` blocks (`explicit`, from
/// [`statements`]) and the moves `count` changes imply move. An object whose destination
/// is already taken stays where it is and is reported as blocked.
pub fn apply_moves(root: &Module, explicit: &[MoveStatement], state: &mut State) -> MoveResults {
    let mut results = MoveResults::default();
    let mut stmts = explicit.to_vec();
    stmts.extend(implied(root, explicit, state));
    if stmts.is_empty() {
        return results;
    }
    let recorded: Vec<ResourceInstanceAddr> = state.resources.keys().cloned().collect();
    let mut plans: Vec<(ResourceInstanceAddr, ResourceInstanceAddr, bool)> = Vec::new();
    for addr in &recorded {
        if let Some((dest, implied)) = destination(&stmts, addr) {
            plans.push((addr.clone(), dest, implied));
        }
    }
    let leaving: BTreeSet<&ResourceInstanceAddr> = plans.iter().map(|(from, _, _)| from).collect();
    let mut taken: BTreeSet<ResourceInstanceAddr> = recorded.iter().filter(|a| !leaving.contains(a)).cloned().collect();
    let mut moves = Vec::new();
    for (from, to, implied) in &plans {
        if from.resource.type_name != to.resource.type_name || from.resource.mode != to.resource.mode {
            results.cross_type.push((from.clone(), to.clone()));
            taken.insert(from.clone());
            continue;
        }
        if taken.contains(to) {
            // An implied move that cannot happen is simply not made, as in Terraform.
            if !implied {
                results.blocked.push((from.clone(), to.clone()));
            }
            taken.insert(from.clone());
        } else {
            taken.insert(to.clone());
            moves.push((from.clone(), to.clone()));
        }
    }
    for (from, to) in moves {
        if let Some(inst) = state.resources.remove(&from) {
            state.resources.insert(to.clone(), inst);
            results.moved.insert(to, from);
        }
    }
    // Instances name what they depend on by resource address; a moved dependency is
    // renamed there too.
    let renamed: BTreeMap<_, _> = results.moved.iter().map(|(to, from)| (from.resource(), to.resource())).collect();
    for inst in state.resources.values_mut() {
        for d in &mut inst.dependencies {
            if let Some(n) = renamed.get(d) {
                *d = n.clone();
            }
        }
    }
    results
}

/// Where the chain of statements takes an object recorded at `addr` (`None`: it stays),
/// and whether only implied moves took it there.
fn destination(stmts: &[MoveStatement], addr: &ResourceInstanceAddr) -> Option<(ResourceInstanceAddr, bool)> {
    let mut used = vec![false; stmts.len()];
    let mut current = addr.clone();
    let mut moved = false;
    let mut implied = true;
    loop {
        let next = stmts.iter().enumerate().find_map(|(i, s)| {
            if used[i] {
                return None;
            }
            rewrite(s, &current).map(|a| (i, a))
        });
        match next {
            Some((i, a)) => {
                used[i] = true;
                implied &= stmts[i].implied;
                current = a;
                moved = true;
            }
            None => return moved.then_some((current, implied)),
        }
    }
}

/// The address `addr` has under one statement, if the statement concerns it.
fn rewrite(s: &MoveStatement, addr: &ResourceInstanceAddr) -> Option<ResourceInstanceAddr> {
    let depth = s.module.len();
    let steps = &addr.module.0;
    if steps.len() < depth || steps[..depth].iter().map(|st| &st.name).ne(s.module.iter()) {
        return None;
    }
    let base = &steps[..depth];
    let rel_module = &steps[depth..];
    let join = |module: &[ModuleStep], rest: &[ModuleStep]| {
        ModuleInstance(base.iter().chain(module).chain(rest).cloned().collect())
    };
    match (&s.from, &s.to) {
        (Target::Module(f), Target::Module(t)) => {
            let n = f.0.len();
            if rel_module.len() < n || rel_module[..n - 1] != f.0[..n - 1] {
                return None;
            }
            let (want, have) = (&f.0[n - 1], &rel_module[n - 1]);
            if want.name != have.name {
                return None;
            }
            let mut to_steps = t.0.clone();
            match (&want.key, to_steps.last_mut()) {
                (InstanceKey::None, Some(last)) if last.key == InstanceKey::None => last.key = have.key.clone(),
                (InstanceKey::None, Some(_)) if have.key != InstanceKey::None => return None,
                (k, _) if *k != InstanceKey::None && *k != have.key => return None,
                _ => {}
            }
            Some(ResourceInstanceAddr {
                module: join(&to_steps, &rel_module[n..]),
                resource: addr.resource.clone(),
                key: addr.key.clone(),
            })
        }
        (from, to) => {
            let (f_module, f_resource, f_key) = match from {
                Target::Resource(r) => (&r.module, &r.resource, None),
                Target::Instance(i) => (&i.module, &i.resource, Some(&i.key)),
                Target::Module(_) => return None,
            };
            if rel_module != f_module.0.as_slice() || addr.resource != *f_resource {
                return None;
            }
            if f_key.is_some_and(|k| *k != addr.key) {
                return None;
            }
            let (t_module, t_resource, key) = match to {
                Target::Resource(r) if f_key.is_none() => (&r.module, &r.resource, addr.key.clone()),
                Target::Resource(r) => (&r.module, &r.resource, InstanceKey::None),
                Target::Instance(i) => (&i.module, &i.resource, i.key.clone()),
                Target::Module(_) => return None,
            };
            Some(ResourceInstanceAddr { module: join(&t_module.0, &[]), resource: t_resource.clone(), key })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::Value;
    use crate::state::ResourceInstanceState;

    fn stmt(from: &str, to: &str) -> MoveStatement {
        MoveStatement {
            module: Vec::new(),
            from: from.parse().unwrap(),
            to: to.parse().unwrap(),
            span: Span::default(),
            implied: false,
        }
    }

    fn state(addrs: &[&str]) -> State {
        let mut s = State::new();
        for a in addrs {
            s.resources.insert(
                a.parse().unwrap(),
                ResourceInstanceState {
                    provider: "terraform".into(),
                    value: Value::from(*a),
                    dependencies: Vec::new(),
                    create_before_destroy: false,
                },
            );
        }
        s
    }

    fn keys(s: &State) -> Vec<String> {
        let mut k: Vec<String> = s.resources.keys().map(ToString::to_string).collect();
        k.sort();
        k
    }

    #[test]
    fn renames_resources_instances_and_modules() {
        let mut s =
            state(&["terraform_data.a[0]", "terraform_data.a[1]", "module.m.terraform_data.x", "terraform_data.k[0]"]);
        let r = apply_moves(
            &Module::default(),
            &[
                stmt("terraform_data.a", "terraform_data.b"),
                stmt("module.m", "module.n[\"one\"]"),
                stmt("terraform_data.k[0]", "terraform_data.k[\"a\"]"),
            ],
            &mut s,
        );
        assert_eq!(
            keys(&s),
            [
                "module.n[\"one\"].terraform_data.x",
                "terraform_data.b[0]",
                "terraform_data.b[1]",
                "terraform_data.k[\"a\"]"
            ]
        );
        assert_eq!(r.moved.len(), 4);
        let old: ResourceInstanceAddr = "terraform_data.a[1]".parse().unwrap();
        assert_eq!(r.moved[&"terraform_data.b[1]".parse().unwrap()], old);
        assert_eq!(s.resources[&"terraform_data.b[1]".parse().unwrap()].value, Value::from("terraform_data.a[1]"));
    }

    #[test]
    fn chains_are_followed_to_their_end() {
        let mut s = state(&["terraform_data.a"]);
        apply_moves(
            &Module::default(),
            &[stmt("terraform_data.b", "terraform_data.c"), stmt("terraform_data.a", "terraform_data.b")],
            &mut s,
        );
        assert_eq!(keys(&s), ["terraform_data.c"]);
    }

    #[test]
    fn a_taken_destination_blocks_the_move() {
        let mut s = state(&["terraform_data.a", "terraform_data.b"]);
        let r = apply_moves(&Module::default(), &[stmt("terraform_data.a", "terraform_data.b")], &mut s);
        assert_eq!(keys(&s), ["terraform_data.a", "terraform_data.b"]);
        assert_eq!(r.blocked.len(), 1);
        assert!(r.moved.is_empty());
    }

    #[test]
    fn statements_in_a_module_apply_to_each_of_its_instances() {
        let mut s = state(&["module.m[0].terraform_data.a", "module.m[1].terraform_data.a", "terraform_data.a"]);
        let mut st = stmt("terraform_data.a", "terraform_data.b");
        st.module = vec!["m".into()];
        apply_moves(&Module::default(), &[st], &mut s);
        assert_eq!(keys(&s), ["module.m[0].terraform_data.b", "module.m[1].terraform_data.b", "terraform_data.a"]);
    }
}
