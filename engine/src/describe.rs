//! Language facts that a description of the configuration shows (plan JSON's
//! `configuration`): the names a reference lists, and the value of an expression that is a
//! constant.

use std::path::Path;

use hcl_edit::expr::{Expression, FuncCall};
use hcl_edit::visit::Visit;

use crate::config::Expr;
use crate::diag::Diagnostic;
use crate::eval::expr::{Reference, Resolved, Scope, Step, display_steps, references};
use crate::eval::value::Value;
use crate::relevance::NOT_RESOURCES;

/// What Terraform lists for the references of an expression: each reference as written,
/// then the object it belongs to (`terraform_data.c[0].id` → that, `terraform_data.c[0]`,
/// `terraform_data.c`), without a name repeated back to back.
pub fn reference_names(e: &Expr) -> Vec<String> {
    let mut shown: Vec<String> = Vec::new();
    for r in &references(&e.expr, e.file) {
        for s in names_of(r) {
            if shown.last() != Some(&s) {
                shown.push(s);
            }
        }
    }
    shown
}

fn names_of(r: &Reference) -> Vec<String> {
    let mut names = vec![r.display()];
    let owner_len = match r.root.as_str() {
        "data" => 2,
        "module" => 1,
        root if NOT_RESOURCES.contains(&root) => return names,
        _ => 1,
    };
    if r.path.len() < owner_len {
        return names;
    }
    let keyed = matches!(r.path.get(owner_len), Some(Step::Index(_) | Step::Key(_)));
    if keyed {
        names.push(display_steps(&r.root, &r.path[..=owner_len]));
    }
    // A module call instance is the last thing named; a resource's is followed by the
    // resource itself.
    if !keyed || r.root != "module" {
        names.push(display_steps(&r.root, &r.path[..owner_len]));
    }
    names.dedup();
    names
}

/// The value of an expression Terraform evaluates without a context: no reference, no
/// function call, wholly known and nothing sensitive. `None` for anything else.
pub fn constant_value(e: &Expr, dir: &Path) -> Option<Value> {
    if !references(&e.expr, e.file).is_empty() || calls_a_function(&e.expr) {
        return None;
    }
    let v = crate::eval::expr::eval(&e.expr, e.file, &NoNames(dir)).ok()?;
    (v.is_wholly_known() && !v.contains_sensitive()).then_some(v)
}

/// Resolves no name: constants only.
struct NoNames<'a>(&'a Path);

impl Scope for NoNames<'_> {
    fn resolve(&self, r: &Reference) -> Result<Resolved, Diagnostic> {
        Err(Diagnostic::error(format!("{} is not a constant", r.root)))
    }

    fn module_dir(&self) -> &Path {
        self.0
    }
}

#[derive(Default)]
struct CallFinder(bool);

impl Visit for CallFinder {
    fn visit_func_call(&mut self, _: &FuncCall) {
        self.0 = true;
    }
}

fn calls_a_function(e: &Expression) -> bool {
    let mut f = CallFinder::default();
    f.visit_expr(e);
    f.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::SourceMap;

    fn parse(text: &str) -> Expr {
        let sources = SourceMap::new();
        crate::config::parse_expression(&sources, "t", text).expect("expression")
    }

    #[test]
    fn references_name_the_object_they_belong_to() {
        let names = |text: &str| reference_names(&parse(text));
        assert_eq!(names("terraform_data.n.output"), ["terraform_data.n.output", "terraform_data.n"]);
        assert_eq!(
            names("terraform_data.c[0].output"),
            ["terraform_data.c[0].output", "terraform_data.c[0]", "terraform_data.c"]
        );
        assert_eq!(names("data.t.n.id"), ["data.t.n.id", "data.t.n"]);
        assert_eq!(names("module.m.out"), ["module.m.out", "module.m"]);
        assert_eq!(names("module.m[\"k\"].out"), ["module.m[\"k\"].out", "module.m[\"k\"]"]);
        assert_eq!(names("var.a.b"), ["var.a.b"]);
        assert_eq!(names("count.index"), ["count.index"]);
        assert_eq!(names("[var.a, var.a]"), ["var.a"]);
    }

    #[test]
    fn constants_are_what_needs_no_context() {
        let constant = |text: &str| constant_value(&parse(text), Path::new(".")).map(|v| v.to_json());
        assert_eq!(constant("{ a = 1, b = [true] }"), Some(serde_json::json!({"a": 1, "b": [true]})));
        assert_eq!(constant("\"x-${1 + 1}\""), Some(serde_json::json!("x-2")));
        assert_eq!(constant("sensitive(\"s\")"), None);
        assert_eq!(constant("upper(\"s\")"), None);
        assert_eq!(constant("var.a"), None);
    }
}
