//! The expression evaluator: hcl-edit expression trees (which keep byte spans) evaluated
//! to [`Value`]s with Terraform's semantics, unknowns and sensitive marks included.
//!
//! Names are resolved through a [`Scope`], so the evaluator knows nothing of resources,
//! modules or state.

use std::path::Path;

use hcl_edit::expr::Expression;

use super::Value;
use crate::diag::{Diagnostic, FileId, Span};

/// A reference as written: a root name and the static attribute names that follow it
/// (`var.workers` → root `var`, attrs `["workers"]`; `data.x.y.id` → `data`, `["x","y","id"]`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reference {
    pub root: String,
    pub attrs: Vec<String>,
    /// Span of the whole traversal.
    pub span: Span,
}

/// What a scope made of a reference: the value and how many of `attrs` it used up.
/// The evaluator applies the remaining attributes and index steps itself.
#[derive(Clone, Debug)]
pub struct Resolved {
    pub value: Value,
    pub consumed: usize,
}

/// Where names come from during evaluation.
pub trait Scope {
    /// Resolves a reference (`var.x`, `local.y`, `terraform_data.a`, `each.key`, ...).
    /// An undeclared name is an error diagnostic spanning `reference.span`.
    fn resolve(&self, reference: &Reference) -> Result<Resolved, Diagnostic>;

    /// `path.module` of the module being evaluated: where `file()` looks.
    fn module_dir(&self) -> &Path;
}

/// Evaluates an expression parsed from file `file`.
pub fn eval(expr: &Expression, file: FileId, scope: &dyn Scope) -> Result<Value, Diagnostic> {
    // PLACEHOLDER until the evaluator lands.
    let _ = (expr, file, scope);
    Err(Diagnostic::error("expression evaluation is not available"))
}

/// Every reference an expression makes to names outside itself (names bound by `for`
/// expressions excluded), for building the dependency graph.
pub fn references(expr: &Expression, file: FileId) -> Vec<Reference> {
    let _ = (expr, file);
    Vec::new()
}
