//! What the expressions of a test file can refer to: file-level `variables` see the
//! global values only; a run's `variables` also see the file's values and the outputs of
//! earlier runs (`run.NAME.OUTPUT`); assertions see the module under test as it was
//! planned or applied, plus `output.NAME` and the earlier runs.

use std::collections::BTreeMap;
use std::path::Path;

use crate::addrs::ModuleInstance;
use crate::config::Module;
use crate::config::load::closest;
use crate::diag::Diagnostic;
use crate::eval::Value;
use crate::eval::expr::{Reference, Resolved, Scope};
use crate::walk::ModuleScope;

/// The outputs of the runs of one file so far, each an object of every output of the
/// module that run executed.
pub struct RunOutputs {
    /// Every run of the file, in order.
    pub names: Vec<String>,
    pub done: BTreeMap<String, Value>,
}

/// Which expression refers to a run: the wording of Terraform's errors differs.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Referrer {
    RunVariables,
    Assertion,
}

impl RunOutputs {
    fn resolve(&self, r: &Reference, referrer: Referrer) -> Result<Resolved, Diagnostic> {
        let Some(name) = r.attrs.first() else {
            return Err(Diagnostic::error("Invalid reference")
                .with_detail("A reference to a run block needs its name, such as run.setup.")
                .with_span(r.span));
        };
        if let Some(v) = self.done.get(name) {
            return Ok(Resolved { value: v.clone(), consumed: 1 });
        }
        let d = if self.names.contains(name) {
            match referrer {
                Referrer::RunVariables => Diagnostic::error("Reference to unavailable run block").with_detail(format!(
                    "The run block \"{name}\" has not executed yet. You can only reference run blocks that are in the same test file and will execute before the current run block."
                )),
                Referrer::Assertion => Diagnostic::error("Reference to unevaluated run block").with_detail(format!(
                    "The run \"{name}\" block has not yet been evaluated, so its results are not available here."
                )),
            }
        } else {
            let names: Vec<&str> = self.names.iter().map(String::as_str).collect();
            let hint = closest(name, &names).map(|h| format!(" Did you mean \"{h}\"?")).unwrap_or_default();
            match referrer {
                Referrer::RunVariables => Diagnostic::error("Reference to unknown run block").with_detail(format!(
                    "The run block \"{name}\" does not exist within this test file. You can only reference run blocks that are in the same test file and will execute before the current run block.{hint}"
                )),
                Referrer::Assertion => Diagnostic::error("Reference to undeclared run block")
                    .with_detail(format!("There is no run \"{name}\" declared in this test suite.{hint}")),
            }
        };
        Err(d.with_span(r.span))
    }
}

fn variable(values: &[&BTreeMap<String, Value>], r: &Reference) -> Option<Resolved> {
    let name = r.attrs.first()?;
    values.iter().find_map(|m| m.get(name)).map(|v| Resolved { value: v.clone(), consumed: 1 })
}

/// The scope of a file's `variables` block: global values only.
pub struct FileVariablesScope<'a> {
    pub globals: &'a BTreeMap<String, Value>,
    pub dir: &'a Path,
}

impl Scope for FileVariablesScope<'_> {
    fn resolve(&self, r: &Reference) -> Result<Resolved, Diagnostic> {
        match r.root.as_str() {
            "var" => variable(&[self.globals], r).ok_or_else(|| {
                Diagnostic::error("Reference to unavailable variable")
                    .with_detail(format!(
                        "The input variable \"{}\" is not available to the current context. You can only reference global variables.",
                        r.attrs.first().map_or("", String::as_str)
                    ))
                    .with_span(r.span)
            }),
            "run" => Err(Diagnostic::error("Invalid reference")
                .with_detail("You can not reference run blocks from within the file variables block.")
                .with_span(r.span)),
            _ => Err(Diagnostic::error("Invalid reference")
                .with_detail("You can only reference global variables within the test file variables block.")
                .with_span(r.span)),
        }
    }

    fn module_dir(&self) -> &Path {
        self.dir
    }
}

/// The scope of a run's `variables` block (and of a test file's `provider` blocks).
pub struct RunVariablesScope<'a> {
    pub file_values: &'a BTreeMap<String, Value>,
    pub globals: &'a BTreeMap<String, Value>,
    pub runs: &'a RunOutputs,
    pub dir: &'a Path,
}

impl Scope for RunVariablesScope<'_> {
    fn resolve(&self, r: &Reference) -> Result<Resolved, Diagnostic> {
        match r.root.as_str() {
            "var" => variable(&[self.file_values, self.globals], r).ok_or_else(|| {
                Diagnostic::error("Reference to unavailable variable")
                    .with_detail(format!(
                        "The input variable \"{}\" is not available to the current run block. You can only reference variables defined at the file or global levels.",
                        r.attrs.first().map_or("", String::as_str)
                    ))
                    .with_span(r.span)
            }),
            "run" => self.runs.resolve(r, Referrer::RunVariables),
            _ => Err(Diagnostic::error("Invalid reference")
                .with_detail("You can only reference earlier run blocks, file level, and global variables while defining variables from inside a run block.")
                .with_span(r.span)),
        }
    }

    fn module_dir(&self) -> &Path {
        self.dir
    }
}

/// The scope of a run's assertions: the module under test after the run, its outputs as
/// `output.NAME`, values the test gives for variables the module does not declare, and
/// the earlier runs.
pub struct AssertionScope<'a> {
    pub module: ModuleScope<'a>,
    pub config: &'a Module,
    pub test_values: &'a BTreeMap<String, Value>,
    pub runs: &'a RunOutputs,
}

impl Scope for AssertionScope<'_> {
    fn resolve(&self, r: &Reference) -> Result<Resolved, Diagnostic> {
        let first = r.attrs.first();
        match (r.root.as_str(), first) {
            ("run", _) => self.runs.resolve(r, Referrer::Assertion),
            ("output", Some(name)) => {
                if !self.config.outputs.contains_key(name) {
                    let names: Vec<&str> = self.config.outputs.keys().map(String::as_str).collect();
                    let mut d = Diagnostic::error("Reference to undeclared output value")
                        .with_detail(format!("An output value with the name \"{name}\" has not been declared."))
                        .with_span(r.span);
                    if let Some(h) = closest(name, &names) {
                        d = d.with_help(format!("did you mean \"{h}\"?"));
                    }
                    return Err(d);
                }
                let key = (ModuleInstance::root(), name.clone());
                let value = self.module.values.outputs.get(&key).cloned().unwrap_or(Value::Null);
                Ok(Resolved { value, consumed: 1 })
            }
            ("var", Some(name)) if !self.config.variables.contains_key(name) => {
                variable(&[self.test_values], r).ok_or_else(|| {
                    Diagnostic::error("Reference to undeclared input variable")
                        .with_detail(format!(
                            "An input variable with the name \"{name}\" has not been declared. This variable can be declared with a variable \"{name}\" {{}} block."
                        ))
                        .with_span(r.span)
                })
            }
            _ => self.module.resolve(r),
        }
    }

    fn module_dir(&self) -> &Path {
        self.module.module_dir()
    }
}
