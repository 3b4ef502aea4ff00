//! The dependency graph of a configuration: one node per variable, local, output,
//! resource and module call of every module (by static module path), with an edge from
//! each thing to what references it. Plan and apply walk this one graph; `count` and
//! `for_each` are expanded into instances while walking, once their values are known.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt;

use petgraph::graph::{DiGraph, NodeIndex};

use crate::addrs::{InstanceKey, ModuleInstance, ResourceAddr, ResourceInstanceAddr, ResourceMode};
use crate::config::{Body, Expr, Module, load::closest};
use crate::diag::{Diagnostic, Diagnostics};
use crate::eval::expr::{Reference, references};

/// A module's place in the tree, by call names, keys not included: `["etl", "inner"]`.
pub type ModulePath = Vec<String>;

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NodeKind {
    Variable(String),
    /// The `validation` blocks of a variable, which may refer to anything in the module
    /// (Terraform 1.9), so they are checked once all that is known.
    VariableValidation(String),
    /// A `check` block: assertions (and a scoped data source) that warn, never fail.
    Check(String),
    Local(String),
    Output(String),
    Resource(ResourceAddr),
    ModuleCall(String),
}

/// A graph node: one configuration object in one module (all its instances together).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Node {
    pub module: ModulePath,
    pub kind: NodeKind,
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for m in &self.module {
            write!(f, "module.{m}.")?;
        }
        match &self.kind {
            NodeKind::Variable(n) => write!(f, "var.{n}"),
            NodeKind::VariableValidation(n) => write!(f, "var.{n} (validation)"),
            NodeKind::Check(n) => write!(f, "check.{n}"),
            NodeKind::Local(n) => write!(f, "local.{n}"),
            NodeKind::Output(n) => write!(f, "output.{n}"),
            NodeKind::Resource(r) => write!(f, "{r}"),
            NodeKind::ModuleCall(n) => write!(f, "module.{n}"),
        }
    }
}

/// The dependency graph. Edges point from a dependency to its dependents, so a
/// topological order evaluates dependencies first.
pub struct Graph {
    pub graph: DiGraph<Node, ()>,
    pub index: HashMap<Node, NodeIndex>,
    /// Where each node is declared, for diagnostics.
    pub spans: HashMap<NodeIndex, crate::diag::Span>,
}

/// Finds the module at a static path.
pub fn module_at<'a>(root: &'a Module, path: &[String]) -> Option<&'a Module> {
    let mut m = root;
    for name in path {
        m = m.module_calls.get(name)?.module.as_ref();
    }
    Some(m)
}

impl Graph {
    /// Builds the graph of a module tree; undeclared references and cycles are errors.
    pub fn build(root: &Module) -> Result<Graph, Diagnostics> {
        let mut b = Builder {
            graph: DiGraph::new(),
            index: HashMap::new(),
            spans: HashMap::new(),
            edges: HashSet::new(),
            under: HashMap::new(),
            diags: Diagnostics::new(),
        };
        b.add_module(root, &Vec::new());
        b.link_module(root, &Vec::new());
        let graph = Graph { graph: b.graph, index: b.index, spans: b.spans };
        let mut diags = b.diags;
        if let Err(d) = graph.check_cycles() {
            diags.push(d);
        }
        if diags.has_errors() { Err(diags) } else { Ok(graph) }
    }

    fn check_cycles(&self) -> Result<(), Diagnostic> {
        for scc in petgraph::algo::tarjan_scc(&self.graph) {
            let self_loop = scc.len() == 1 && self.graph.contains_edge(scc[0], scc[0]);
            if scc.len() > 1 || self_loop {
                let mut members: Vec<(String, NodeIndex)> =
                    scc.iter().map(|i| (self.graph[*i].to_string(), *i)).collect();
                members.sort();
                let names: Vec<&str> = members.iter().map(|(n, _)| n.as_str()).collect();
                let mut d = Diagnostic::error("Cycle in the configuration").with_detail(format!(
                    "These objects depend on each other, so none can be evaluated first: {}.",
                    names.join(", ")
                ));
                if let Some((name, span)) = members.iter().find_map(|(n, i)| self.spans.get(i).map(|s| (n, *s))) {
                    d = d.with_span(span).with_label(format!("{name} is part of the cycle"));
                }
                return Err(d);
            }
        }
        Ok(())
    }

    /// Nodes in an order where every node comes after all it depends on.
    pub fn topological_order(&self) -> Vec<NodeIndex> {
        petgraph::algo::toposort(&self.graph, None).unwrap_or_default()
    }

    /// Each resource and the resources it depends on, through whatever variables, locals,
    /// outputs and module calls lie between, each dependency once (transitively reduced):
    /// (resource node name, its module path) and (dependent, dependency) pairs.
    fn resource_dependencies(&self) -> (BTreeMap<String, &Node>, BTreeSet<(String, String)>) {
        use petgraph::Direction::Incoming;
        let is_resource = |i: NodeIndex| matches!(self.graph[i].kind, NodeKind::Resource(_));
        let mut resources = BTreeMap::new();
        let mut edges = BTreeSet::new();
        for r in self.graph.node_indices().filter(|i| is_resource(*i)) {
            resources.insert(self.graph[r].to_string(), &self.graph[r]);
            let mut seen = HashSet::new();
            let mut todo: Vec<NodeIndex> = self.graph.neighbors_directed(r, Incoming).collect();
            while let Some(x) = todo.pop() {
                if !seen.insert(x) || x == r {
                    continue;
                }
                if is_resource(x) {
                    edges.insert((self.graph[r].to_string(), self.graph[x].to_string()));
                } else {
                    todo.extend(self.graph.neighbors_directed(x, Incoming));
                }
            }
        }
        (resources, transitive_reduction(edges))
    }

    /// The resources only, as people read a graph (Terraform's default since 1.7): each
    /// resource points at the resources it depends on, and the resources of each module
    /// sit in a box of their own.
    pub fn to_resource_dot(&self) -> String {
        let (resources, edges) = self.resource_dependencies();
        let mut modules: BTreeMap<ModulePath, BTreeSet<String>> = BTreeMap::new();
        for (name, node) in &resources {
            if let NodeKind::Resource(addr) = &node.kind {
                modules.entry(node.module.clone()).or_default().insert(format!("  \"{name}\" [label = \"{addr}\"]"));
            }
        }
        let mut out = String::from(DOT_HEAD);
        for (module, nodes) in &modules {
            let indent = if module.is_empty() { "" } else { "  " };
            if !module.is_empty() {
                let name: Vec<String> = module.iter().map(|m| format!("module.{m}")).collect();
                let name = name.join(".");
                out.push_str(&format!("  subgraph \"cluster_{name}\" {{\n    label = \"{name}\"\n"));
            }
            for n in nodes {
                out.push_str(indent);
                out.push_str(n);
                out.push('\n');
            }
            if !module.is_empty() {
                out.push_str("  }\n");
            }
        }
        for (a, b) in edges {
            out.push_str(&format!("  \"{a}\" -> \"{b}\"\n"));
        }
        out.push_str("}\n");
        out
    }

    /// The resource instances a plan or a state holds, in a box per module instance and,
    /// inside it, a box per host (the instances whose connection reaches that host).
    /// Dependencies are the resources', drawn between instances of the same key where the
    /// dependency has one (`env["h1"] -> install["h1"]`), else to each of its instances; a
    /// planned action colours its instance.
    pub fn to_instance_dot(&self, instances: &[DrawnInstance]) -> String {
        let (_, edges) = self.resource_dependencies();
        let node_of = |i: &DrawnInstance| {
            let module: ModulePath = i.addr.module.0.iter().map(|s| s.name.clone()).collect();
            Node { module, kind: NodeKind::Resource(i.addr.resource.clone()) }.to_string()
        };
        let mut by_node: BTreeMap<String, Vec<&DrawnInstance>> = BTreeMap::new();
        for i in instances {
            by_node.entry(node_of(i)).or_default().push(i);
        }
        let mut instance_edges = BTreeSet::new();
        for (a, b) in &edges {
            let (Some(from), Some(to)) = (by_node.get(a), by_node.get(b)) else { continue };
            for i in from {
                let same_key: Vec<&&DrawnInstance> =
                    to.iter().filter(|j| j.addr.key != InstanceKey::None && j.addr.key == i.addr.key).collect();
                let targets: Vec<&&DrawnInstance> = if same_key.is_empty() { to.iter().collect() } else { same_key };
                for j in targets {
                    instance_edges.insert((i.addr.to_string(), j.addr.to_string()));
                }
            }
        }
        // module instance -> host (None: not on one host) -> node lines
        let mut boxes: BTreeMap<String, BTreeMap<Option<String>, Vec<String>>> = BTreeMap::new();
        for i in instances {
            let addr = i.addr.to_string();
            // In its host's box, an instance keyed by that host needs no key in its label.
            let on_own_host = matches!((&i.addr.key, &i.host), (InstanceKey::Str(k), Some(h)) if k == h);
            let key = if on_own_host { InstanceKey::None } else { i.addr.key.clone() };
            let label = ResourceInstanceAddr { module: ModuleInstance::root(), key, ..i.addr.clone() }.to_string();
            let colour = match i.action.as_deref() {
                Some("create") => " style = \"filled\" fillcolor = \"#d4f7d4\"",
                Some("update") => " style = \"filled\" fillcolor = \"#fff2bf\"",
                Some("delete") => " style = \"filled\" fillcolor = \"#ffd6d6\"",
                Some("replace") => " style = \"filled\" fillcolor = \"#ffe0b3\"",
                _ => "",
            };
            let line = format!("\"{}\" [label = \"{}\"{colour}]", dot_escape(&addr), dot_escape(&label));
            boxes.entry(i.addr.module.to_string()).or_default().entry(i.host.clone()).or_default().push(line);
        }
        let mut out = String::from(DOT_HEAD);
        for (module, hosts) in &boxes {
            let depth = usize::from(!module.is_empty());
            if depth == 1 {
                out.push_str(&format!("  subgraph \"cluster_{0}\" {{\n    label = \"{0}\"\n", dot_escape(module)));
            }
            for (host, lines) in hosts {
                let pad = "  ".repeat(depth + 1 + usize::from(host.is_some()));
                if let Some(h) = host {
                    let inner = "  ".repeat(depth + 1);
                    out.push_str(&format!(
                        "{inner}subgraph \"cluster_{}_{}\" {{\n{inner}  label = \"{}\"\n{inner}  style = \"rounded\"\n",
                        dot_escape(module),
                        dot_escape(h),
                        dot_escape(h)
                    ));
                }
                for l in lines {
                    out.push_str(&pad);
                    out.push_str(l);
                    out.push('\n');
                }
                if host.is_some() {
                    out.push_str(&format!("{}}}\n", "  ".repeat(depth + 1)));
                }
            }
            if depth == 1 {
                out.push_str("  }\n");
            }
        }
        for (a, b) in transitive_reduction(instance_edges) {
            out.push_str(&format!("  \"{}\" -> \"{}\"\n", dot_escape(&a), dot_escape(&b)));
        }
        out.push_str("}\n");
        out
    }

    /// The graph as Graphviz DOT, one line per node and per edge.
    pub fn to_dot(&self) -> String {
        let mut out = String::from("digraph {\n  compound = \"true\"\n  newrank = \"true\"\n");
        let mut lines = BTreeSet::new();
        for i in self.graph.node_indices() {
            lines.insert(format!("  \"{}\"", self.graph[i]));
        }
        for e in self.graph.edge_indices() {
            if let Some((a, b)) = self.graph.edge_endpoints(e) {
                lines.insert(format!("  \"{}\" -> \"{}\"", self.graph[b], self.graph[a]));
            }
        }
        for l in lines {
            out.push_str(&l);
            out.push('\n');
        }
        out.push_str("}\n");
        out
    }
}

const DOT_HEAD: &str =
    "digraph {\n  compound = \"true\"\n  newrank = \"true\"\n  rankdir = \"LR\"\n  node [shape = \"box\"]\n";

/// One resource instance to draw: where it is, the host its connection reaches, and what
/// a plan does to it (`create`, `update`, `delete`, `replace`; None when no plan is shown).
#[derive(Clone, Debug)]
pub struct DrawnInstance {
    pub addr: ResourceInstanceAddr,
    pub host: Option<String>,
    pub action: Option<String>,
}

/// Text inside a DOT double-quoted string.
fn dot_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// The edges no other path already implies (`a -> c` goes when `a -> b -> c` is there), so
/// a drawing shows each dependency once. Past a few thousand edges the graph is left whole.
fn transitive_reduction(edges: BTreeSet<(String, String)>) -> BTreeSet<(String, String)> {
    if edges.len() > 5000 {
        return edges;
    }
    let mut next: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (a, b) in &edges {
        next.entry(a.as_str()).or_default().push(b.as_str());
    }
    // Is `to` reachable from `from` without the direct edge between them?
    let implied = |from: &str, to: &str| {
        let mut seen = HashSet::new();
        let mut todo: Vec<&str> = next.get(from).into_iter().flatten().copied().filter(|n| *n != to).collect();
        while let Some(n) = todo.pop() {
            if n == to {
                return true;
            }
            if seen.insert(n) {
                todo.extend(next.get(n).into_iter().flatten().copied());
            }
        }
        false
    };
    edges.iter().filter(|(a, b)| !implied(a, b)).cloned().collect()
}

struct Builder {
    graph: DiGraph<Node, ()>,
    index: HashMap<Node, NodeIndex>,
    spans: HashMap<NodeIndex, crate::diag::Span>,
    /// The edges added so far. petgraph's own check for an existing edge scans the
    /// source's edges, which makes a node that everything refers to (a shared local)
    /// quadratic to link.
    edges: HashSet<(NodeIndex, NodeIndex)>,
    /// `resource_nodes_under`'s answers, by module path.
    under: HashMap<ModulePath, Vec<NodeIndex>>,
    diags: Diagnostics,
}

fn child_path(path: &ModulePath, name: &str) -> ModulePath {
    let mut p = path.clone();
    p.push(name.to_string());
    p
}

/// References made by a whole body, nested blocks included.
pub fn body_references(body: &Body) -> Vec<Reference> {
    let mut out = Vec::new();
    for a in &body.attributes {
        out.extend(references(&a.expr.expr, a.expr.file));
    }
    for b in &body.blocks {
        if b.kind != "dynamic" {
            out.extend(body_references(&b.body));
            continue;
        }
        // `dynamic "x"` names its iterator `x` (or `iterator = y`); those are not references
        // to anything declared.
        let iterator = match b.body.attribute("iterator").map(|a| a.expr.expr.as_ref()) {
            Some(hcl_edit::expr::Expression::Variable(v)) => v.value().as_str().to_string(),
            _ => b.labels.first().cloned().unwrap_or_default(),
        };
        for a in b.body.attributes.iter().filter(|a| a.name != "iterator") {
            out.extend(references(&a.expr.expr, a.expr.file).into_iter().filter(|r| r.root != iterator));
        }
        for inner in &b.body.blocks {
            out.extend(body_references(&inner.body).into_iter().filter(|r| r.root != iterator));
        }
    }
    out
}

/// References made by one expression.
pub fn expr_refs(e: &Expr) -> Vec<Reference> {
    references(&e.expr, e.file)
}

impl Builder {
    fn node(&mut self, module: &ModulePath, kind: NodeKind) -> NodeIndex {
        let node = Node { module: module.clone(), kind };
        if let Some(i) = self.index.get(&node) {
            return *i;
        }
        let i = self.graph.add_node(node.clone());
        self.index.insert(node, i);
        i
    }

    /// An edge from a dependency to its dependent, once.
    fn edge(&mut self, from: NodeIndex, to: NodeIndex) {
        if self.edges.insert((from, to)) {
            self.graph.add_edge(from, to, ());
        }
    }

    fn declare(&mut self, path: &ModulePath, kind: NodeKind, span: crate::diag::Span) {
        let i = self.node(path, kind);
        self.spans.insert(i, span);
    }

    /// Resource nodes of a module and the modules inside it, found once per module.
    fn resource_nodes_under(&mut self, path: &ModulePath) -> Vec<NodeIndex> {
        if let Some(found) = self.under.get(path) {
            return found.clone();
        }
        let found: Vec<NodeIndex> = self
            .index
            .iter()
            .filter(|(n, _)| n.module.starts_with(path) && matches!(n.kind, NodeKind::Resource(_)))
            .map(|(_, i)| *i)
            .collect();
        self.under.insert(path.clone(), found.clone());
        found
    }

    fn add_module(&mut self, m: &Module, path: &ModulePath) {
        for (n, v) in &m.variables {
            self.declare(path, NodeKind::Variable(n.clone()), v.span);
            if !v.validations.is_empty() {
                self.declare(path, NodeKind::VariableValidation(n.clone()), v.span);
            }
        }
        for (n, c) in &m.checks {
            self.declare(path, NodeKind::Check(n.clone()), c.span);
        }
        for (n, l) in &m.locals {
            self.declare(path, NodeKind::Local(n.clone()), l.span);
        }
        for (n, o) in &m.outputs {
            self.declare(path, NodeKind::Output(n.clone()), o.span);
        }
        for (r, res) in &m.resources {
            self.declare(path, NodeKind::Resource(r.clone()), res.span);
        }
        for (n, call) in &m.module_calls {
            self.declare(path, NodeKind::ModuleCall(n.clone()), call.span);
            self.add_module(&call.module, &child_path(path, n));
        }
    }

    fn link_module(&mut self, m: &Module, path: &ModulePath) {
        let call_node =
            path.split_last().map(|(last, parent)| self.node(&parent.to_vec(), NodeKind::ModuleCall(last.clone())));
        let link = |b: &mut Builder, to: NodeKind, refs: Vec<Reference>| {
            let to = b.node(path, to);
            if let Some(c) = call_node {
                b.edge(c, to);
            }
            for r in refs {
                // A validation refers to its own variable: that is the edge it already has.
                for from in b.resolve(m, path, &r).into_iter().filter(|f| *f != to) {
                    b.edge(from, to);
                }
            }
        };
        for (n, l) in &m.locals {
            link(self, NodeKind::Local(n.clone()), expr_refs(&l.expr));
        }
        for (n, o) in &m.outputs {
            let mut refs = expr_refs(&o.value);
            refs.extend(o.depends_on.iter().flat_map(expr_refs));
            for c in &o.preconditions {
                refs.extend(expr_refs(&c.condition));
                refs.extend(expr_refs(&c.error_message));
            }
            link(self, NodeKind::Output(n.clone()), refs);
        }
        for (addr, r) in &m.resources {
            // depends_on = [module.x] waits for everything in that module.
            let waits: Vec<NodeIndex> = r
                .depends_on
                .iter()
                .flat_map(expr_refs)
                .filter_map(|rf| {
                    (rf.root == "module" && rf.attrs.len() == 1 && m.module_calls.contains_key(&rf.attrs[0]))
                        .then(|| child_path(path, &rf.attrs[0]))
                })
                .flat_map(|p| self.resource_nodes_under(&p))
                .collect();
            let me = self.node(path, NodeKind::Resource(addr.clone()));
            for w in waits {
                self.edge(w, me);
            }
            let mut refs = body_references(&r.body);
            for e in r.count.iter().chain(&r.for_each).chain(&r.depends_on).chain(&r.lifecycle.replace_triggered_by) {
                refs.extend(expr_refs(e));
            }
            for c in &r.lifecycle.preconditions {
                refs.extend(expr_refs(&c.condition));
                refs.extend(expr_refs(&c.error_message));
            }
            link(self, NodeKind::Resource(addr.clone()), refs);
        }
        for (n, v) in &m.variables {
            link(self, NodeKind::Variable(n.clone()), Vec::new());
            if !v.validations.is_empty() {
                let mut refs = vec![];
                for c in &v.validations {
                    refs.extend(expr_refs(&c.condition));
                    refs.extend(expr_refs(&c.error_message));
                }
                link(self, NodeKind::VariableValidation(n.clone()), refs);
                let (var, validation) = (
                    self.node(path, NodeKind::Variable(n.clone())),
                    self.node(path, NodeKind::VariableValidation(n.clone())),
                );
                self.edge(var, validation);
            }
        }
        for (n, c) in &m.checks {
            let mut refs = vec![];
            for a in &c.asserts {
                refs.extend(expr_refs(&a.condition));
                refs.extend(expr_refs(&a.error_message));
            }
            // The scoped data source is the check's own: references to it stay inside.
            let own = c.data.as_ref().map(|d| d.addr.clone());
            refs.retain(|r| {
                own.as_ref().is_none_or(|d| {
                    !(r.root == "data" && r.attrs.first() == Some(&d.type_name) && r.attrs.get(1) == Some(&d.name))
                })
            });
            if let Some(d) = &c.data {
                refs.extend(body_references(&d.body));
                for e in d.count.iter().chain(&d.for_each).chain(&d.depends_on) {
                    refs.extend(expr_refs(e));
                }
            }
            link(self, NodeKind::Check(n.clone()), refs);
        }
        self.link_imports(m, path);
        // Provider blocks are evaluated before the walk (see `configure`); their references
        // are checked here like any other.
        for b in &m.providers {
            for r in body_references(&b.body) {
                self.resolve(m, path, &r);
            }
        }
        for (n, call) in &m.module_calls {
            let mut refs = Vec::new();
            for e in call.count.iter().chain(&call.for_each).chain(&call.depends_on) {
                refs.extend(expr_refs(e));
            }
            link(self, NodeKind::ModuleCall(n.clone()), refs);
            let child = child_path(path, n);
            for (input, attr) in &call.inputs {
                if !call.module.variables.contains_key(input) {
                    let names: Vec<&str> = call.module.variables.keys().map(String::as_str).collect();
                    let mut d = Diagnostic::error("Unsupported argument")
                        .with_detail(format!("Module \"{n}\" has no input variable named \"{input}\"."))
                        .with_span(attr.name_span);
                    if let Some(h) = closest(input, &names) {
                        d = d.with_help(format!("did you mean \"{h}\"?"));
                    }
                    self.diags.push(d);
                    continue;
                }
                let to = self.node(&child, NodeKind::Variable(input.clone()));
                for r in expr_refs(&attr.expr) {
                    for from in self.resolve(m, path, &r) {
                        self.edge(from, to);
                    }
                }
            }
            for (vname, v) in &call.module.variables {
                if v.default.is_none() && !call.inputs.contains_key(vname) {
                    self.diags.push(
                        Diagnostic::error("Missing required argument")
                            .with_detail(format!("Module \"{n}\" needs a value for its input variable \"{vname}\"."))
                            .with_span(call.span),
                    );
                }
            }
            self.link_module(&call.module, &child);
        }
    }

    /// `import` blocks: only the root module's count; each makes its target resource wait
    /// for what its `id`, `for_each` and keys refer to.
    fn link_imports(&mut self, m: &Module, path: &ModulePath) {
        let mut seen: BTreeSet<String> = BTreeSet::new();
        for imp in &m.imports {
            if !path.is_empty() {
                let shown: Vec<String> = path.iter().map(|p| format!("module.{p}")).collect();
                self.diags.push(
                    Diagnostic::error("Invalid import configuration")
                        .with_detail(format!(
                            "An import block was detected in \"{}\". Import blocks are only allowed in the root module.",
                            shown.join(".")
                        ))
                        .with_span(imp.span),
                );
                continue;
            }
            let target_path = imp.target.module_path();
            let target_module = module_at(m, &target_path);
            if !target_module.is_some_and(|t| t.resources.contains_key(&imp.target.resource)) {
                let to = imp.to.expr.to_string();
                let detail = if target_module.is_none() {
                    format!(
                        "The configuration for the given import target {} does not exist. All target instances must have an associated configuration to be imported.",
                        to.trim()
                    )
                } else {
                    format!(
                        "The configuration for the given import target {} does not exist. If you wish to automatically generate config for this resource, use the -generate-config-out option within terraform plan. Otherwise, make sure the target resource exists within your configuration. For example:\n\n  terraform plan -generate-config-out=generated.tf",
                        to.trim()
                    )
                };
                self.diags.push(
                    Diagnostic::error("Configuration for import target does not exist")
                        .with_detail(detail)
                        .with_span(imp.to.span()),
                );
                continue;
            }
            let text = imp.to.expr.to_string().split_whitespace().collect::<String>();
            if imp.for_each.is_none() {
                if seen.contains(&text) {
                    self.diags.push(
                        Diagnostic::error(format!("Duplicate import configuration for \"{text}\""))
                            .with_detail(format!(
                                "An import block for the resource \"{text}\" was already declared. A resource can have only one import block."
                            ))
                            .with_span(imp.to.span()),
                    );
                    continue;
                }
                seen.insert(text);
            }
            let target = self.node(&target_path, NodeKind::Resource(imp.target.resource.clone()));
            let mut refs = expr_refs(&imp.id);
            for e in imp
                .for_each
                .iter()
                .chain(imp.target.key.iter())
                .chain(imp.target.modules.iter().filter_map(|(_, k)| k.as_ref()))
            {
                refs.extend(expr_refs(e));
            }
            for r in refs {
                for from in self.resolve(m, path, &r) {
                    self.edge(from, target);
                }
            }
        }
    }

    /// The nodes a reference depends on; an undeclared name is reported.
    fn resolve(&mut self, m: &Module, path: &ModulePath, r: &Reference) -> Vec<NodeIndex> {
        let first = r.attrs.first().map(String::as_str);
        let undeclared = |what: &str, name: &str, candidates: Vec<&str>| {
            let mut d = Diagnostic::error(format!("Reference to undeclared {what}"))
                .with_detail(format!("No {what} named \"{name}\" is declared in this module."))
                .with_span(r.span);
            if let Some(h) = closest(name, &candidates) {
                let prefix = match what {
                    "input variable" => "var.",
                    "local value" => "local.",
                    "module" => "module.",
                    _ => "",
                };
                d = d.with_help(format!("did you mean {prefix}{h}?"));
            }
            d
        };
        match (r.root.as_str(), first) {
            ("each" | "count" | "self" | "path" | "terraform", _) => Vec::new(),
            ("var", Some(n)) => {
                match m.variables.get(n) {
                    // What uses a variable waits for its validation, so no invalid value
                    // reaches it (as in Terraform).
                    Some(v) if !v.validations.is_empty() => vec![
                        self.node(path, NodeKind::Variable(n.to_string())),
                        self.node(path, NodeKind::VariableValidation(n.to_string())),
                    ],
                    Some(_) => vec![self.node(path, NodeKind::Variable(n.to_string()))],
                    None => {
                        let d = undeclared("input variable", n, m.variables.keys().map(String::as_str).collect());
                        self.diags.push(d);
                        Vec::new()
                    }
                }
            }
            ("local", Some(n)) => {
                if m.locals.contains_key(n) {
                    vec![self.node(path, NodeKind::Local(n.to_string()))]
                } else {
                    let d = undeclared("local value", n, m.locals.keys().map(String::as_str).collect());
                    self.diags.push(d);
                    Vec::new()
                }
            }
            ("module", Some(n)) => {
                let Some(call) = m.module_calls.get(n) else {
                    let d = undeclared("module", n, m.module_calls.keys().map(String::as_str).collect());
                    self.diags.push(d);
                    return Vec::new();
                };
                let child = child_path(path, n);
                let mut out = vec![self.node(path, NodeKind::ModuleCall(n.to_string()))];
                let named = r.attrs.get(1).filter(|o| call.module.outputs.contains_key(o.as_str()));
                match named {
                    Some(o) => out.push(self.node(&child, NodeKind::Output(o.clone()))),
                    None => {
                        for o in call.module.outputs.keys() {
                            out.push(self.node(&child, NodeKind::Output(o.clone())));
                        }
                    }
                }
                out
            }
            ("data", Some(t)) => match r.attrs.get(1) {
                Some(n) => self.resource_node(m, path, r, ResourceMode::Data, t, n),
                None => {
                    self.diags.push(
                        Diagnostic::error("Invalid data source reference")
                            .with_detail("A data source reference needs a type and a name: data.TYPE.NAME.")
                            .with_span(r.span),
                    );
                    Vec::new()
                }
            },
            (root, Some(n)) => self.resource_node(m, path, r, ResourceMode::Managed, root, n),
            (root, None) => {
                self.diags.push(
                    Diagnostic::error("Invalid reference")
                        .with_detail(format!(
                            "\"{root}\" alone is not a value: a reference names var.NAME, local.NAME, module.NAME, data.TYPE.NAME or TYPE.NAME."
                        ))
                        .with_span(r.span),
                );
                Vec::new()
            }
        }
    }

    fn resource_node(
        &mut self,
        m: &Module,
        path: &ModulePath,
        r: &Reference,
        mode: ResourceMode,
        type_name: &str,
        name: &str,
    ) -> Vec<NodeIndex> {
        let addr = ResourceAddr { mode, type_name: type_name.to_string(), name: name.to_string() };
        if m.resources.contains_key(&addr) {
            return vec![self.node(path, NodeKind::Resource(addr))];
        }
        let declared: Vec<String> = m.resources.keys().filter(|a| a.mode == mode).map(ToString::to_string).collect();
        let wanted = addr.to_string();
        let mut d = Diagnostic::error("Reference to undeclared resource")
            .with_detail(format!(
                "A {} named \"{name}\" of type \"{type_name}\" is not declared in this module.",
                if mode == ResourceMode::Data { "data source" } else { "resource" }
            ))
            .with_span(r.span);
        if let Some(h) = closest(&wanted, &declared.iter().map(String::as_str).collect::<Vec<_>>()) {
            d = d.with_help(format!("did you mean {h}?"));
        }
        self.diags.push(d);
        Vec::new()
    }
}
