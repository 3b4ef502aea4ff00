//! What the user wrote: the `*.hcl` and `*.tf` files of a module tree, lowered from
//! hcl-edit's syntax tree into typed blocks. Expressions stay hcl-edit trees (which keep
//! their byte spans) and are evaluated later by [`crate::eval::expr`].

pub mod edit;
pub mod format;
mod heredoc;
pub mod load;
pub mod source;
pub mod test_file;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use hcl_edit::expr::Expression;

use crate::addrs::ResourceAddr;
use crate::diag::{FileId, Span};

pub use load::{Loader, ModuleRequest, ModuleResolver, parse_expression};

/// An expression together with the file it was parsed from.
#[derive(Clone, Debug)]
pub struct Expr {
    pub file: FileId,
    pub expr: Arc<Expression>,
}

impl Expr {
    pub fn span(&self) -> Span {
        use hcl_edit::Span as _;
        Span::from_opt(self.file, self.expr.span())
    }
}

/// `name = expr` inside a block.
#[derive(Clone, Debug)]
pub struct Attribute {
    pub name: String,
    pub name_span: Span,
    pub expr: Expr,
}

/// A block body kept whole, for bodies whose shape a provider's schema decides
/// (resource, data and provider blocks).
#[derive(Clone, Debug, Default)]
pub struct Body {
    pub attributes: Vec<Attribute>,
    pub blocks: Vec<NestedBlock>,
    pub span: Span,
}

impl Body {
    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }
}

/// A nested block (`root_block_device { ... }`, `dynamic "x" { ... }`).
#[derive(Clone, Debug)]
pub struct NestedBlock {
    pub kind: String,
    pub labels: Vec<String>,
    pub body: Body,
    pub span: Span,
}

/// One module: the files of one directory.
#[derive(Clone, Debug, Default)]
pub struct Module {
    /// The directory, as given (relative to the working directory where it can be).
    pub dir: PathBuf,
    pub variables: BTreeMap<String, Variable>,
    pub locals: BTreeMap<String, Local>,
    pub outputs: BTreeMap<String, Output>,
    pub resources: BTreeMap<ResourceAddr, Resource>,
    pub module_calls: BTreeMap<String, ModuleCall>,
    pub providers: Vec<ProviderBlock>,
    pub backend: Option<BackendBlock>,
    /// `moved` blocks, in file order.
    pub moved: Vec<Moved>,
    /// `removed` blocks, in file order.
    pub removed: Vec<Removed>,
    /// `import` blocks (the root module's only are honoured, as in Terraform).
    pub imports: Vec<Import>,
    /// `check` blocks by name.
    pub checks: BTreeMap<String, Check>,
}

/// What a `moved` or `removed` block names, relative to the module it is declared in:
/// a module call or instance (`module.a`, `module.a[0]`), a whole resource
/// (`terraform_data.x`, every instance), or one resource instance (`terraform_data.x[0]`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    pub target: crate::addrs::Target,
    pub span: Span,
}

/// `moved { from = ..., to = ... }`: the object recorded at `from` is now at `to`.
#[derive(Clone, Debug)]
pub struct Moved {
    pub from: Endpoint,
    pub to: Endpoint,
    pub span: Span,
}

/// `removed { from = ... lifecycle { destroy = false } }`: the configuration no longer
/// has `from`; its objects are destroyed, or with `destroy = false` only forgotten.
#[derive(Clone, Debug)]
pub struct Removed {
    pub from: Endpoint,
    pub destroy: bool,
    pub span: Span,
}

/// `import { to = ..., id = ... }`: an existing object to record at `to`.
#[derive(Clone, Debug)]
pub struct Import {
    /// The address expression as written: a reference whose indexes may be expressions of
    /// `each.key`/`each.value`.
    pub to: Expr,
    /// `to` taken apart: the module calls on the way (each with its index, if any), the
    /// resource, and its index.
    pub target: ImportTarget,
    pub id: Expr,
    pub for_each: Option<Expr>,
    pub provider: Option<ProviderRef>,
    pub span: Span,
}

/// Where an `import` block puts what it imports.
#[derive(Clone, Debug)]
pub struct ImportTarget {
    pub modules: Vec<(String, Option<Expr>)>,
    pub resource: ResourceAddr,
    pub key: Option<Expr>,
}

impl ImportTarget {
    /// The static path of the module holding the resource.
    pub fn module_path(&self) -> Vec<String> {
        self.modules.iter().map(|(m, _)| m.clone()).collect()
    }
}

/// `check "name" { data ... assert { ... } }`: assertions that warn, never stop a run.
#[derive(Clone, Debug)]
pub struct Check {
    pub name: String,
    pub span: Span,
    /// The one data source a check may scope to itself.
    pub data: Option<Resource>,
    pub asserts: Vec<Validation>,
}

#[derive(Clone, Debug)]
pub struct Variable {
    pub name: String,
    pub span: Span,
    /// The `type` constraint expression, parsed into a type when the variable is evaluated.
    pub type_expr: Option<Expr>,
    pub default: Option<Expr>,
    pub description: Option<String>,
    pub sensitive: bool,
    pub nullable: bool,
    pub validations: Vec<Validation>,
}

#[derive(Clone, Debug)]
pub struct Validation {
    pub condition: Expr,
    pub error_message: Expr,
}

#[derive(Clone, Debug)]
pub struct Local {
    pub name: String,
    pub span: Span,
    pub expr: Expr,
}

#[derive(Clone, Debug)]
pub struct Output {
    pub name: String,
    pub span: Span,
    pub value: Expr,
    pub description: Option<String>,
    pub sensitive: bool,
    pub depends_on: Vec<Expr>,
    /// `precondition` blocks, checked before the value is taken.
    pub preconditions: Vec<Validation>,
}

/// `ignore_changes` of a `lifecycle` block.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum IgnoreChanges {
    #[default]
    Nothing,
    All,
    Attributes(Vec<String>),
}

#[derive(Clone, Debug, Default)]
pub struct Lifecycle {
    pub create_before_destroy: bool,
    pub prevent_destroy: bool,
    pub ignore_changes: IgnoreChanges,
    pub replace_triggered_by: Vec<Expr>,
    /// `precondition` blocks, checked for each instance before it is planned.
    pub preconditions: Vec<Validation>,
}

/// A `resource` or `data` block.
#[derive(Clone, Debug)]
pub struct Resource {
    pub addr: ResourceAddr,
    pub span: Span,
    /// `provider = aws.east` as written: local name and optional alias.
    pub provider: Option<ProviderRef>,
    pub count: Option<Expr>,
    pub for_each: Option<Expr>,
    pub depends_on: Vec<Expr>,
    pub lifecycle: Lifecycle,
    /// Everything else: the provider's schema gives it meaning.
    pub body: Body,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProviderRef {
    pub name: String,
    pub alias: Option<String>,
}

impl std::fmt::Display for ProviderRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.alias {
            Some(a) => write!(f, "{}.{a}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

/// A `module` block and the module it loads.
#[derive(Clone, Debug)]
pub struct ModuleCall {
    pub name: String,
    pub span: Span,
    pub source: String,
    /// Where `source` is written (the block's span where it is missing).
    pub source_span: Span,
    pub count: Option<Expr>,
    pub for_each: Option<Expr>,
    pub depends_on: Vec<Expr>,
    /// `providers = { aws = aws.east }`: child name → provider in this module.
    pub providers: BTreeMap<String, ProviderRef>,
    /// Input variables of the child, by name.
    pub inputs: BTreeMap<String, Attribute>,
    pub module: Arc<Module>,
}

/// A `provider` block.
#[derive(Clone, Debug)]
pub struct ProviderBlock {
    pub name: String,
    pub alias: Option<String>,
    pub span: Span,
    pub body: Body,
}

/// `backend "NAME" { ... }` inside a `meshform` or `terraform` block.
#[derive(Clone, Debug)]
pub struct BackendBlock {
    pub kind: String,
    pub span: Span,
    pub body: Body,
}
