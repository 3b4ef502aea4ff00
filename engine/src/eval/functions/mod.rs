//! The built-in function library: Terraform's functions by name.
//!
//! Each family lives in its own file with a `register` function. The registry wraps every
//! function so that unknown arguments give an unknown result and sensitive arguments give a
//! sensitive result, unless the function says it handles those itself.
//!
//! `try`, `can` and `templatefile` need unevaluated expressions or the template evaluator,
//! so the expression evaluator implements them; they are not in this registry.

mod collection;
mod confformat;
pub use confformat::xml_escape;
mod conversion;
mod crypto;
mod datetime;
mod encoding;
mod filesystem;
pub mod hostlist;
mod ipnet;
mod numeric;
mod string;
mod yaml;
mod yaml_encode;

use std::collections::HashMap;
use std::path::Path;
use std::sync::OnceLock;

use super::Value;

/// What a function may know about where it is called from.
pub struct FunctionContext<'a> {
    /// `path.module` of the calling module: relative paths in `file()` resolve against it.
    pub module_dir: &'a Path,
}

/// A function failed on its arguments. `arg` is the 0-based index of the argument at
/// fault, so the diagnostic can point at it.
/// `param` names the parameter when the value given for it is unsuitable, which
/// Terraform reports as an invalid argument rather than a failed call.
#[derive(Clone, Debug, PartialEq)]
pub struct FunctionError {
    pub message: String,
    pub arg: Option<usize>,
    pub param: Option<&'static str>,
}

impl FunctionError {
    pub fn new(message: impl Into<String>) -> FunctionError {
        FunctionError { message: message.into(), arg: None, param: None }
    }
    pub fn at(arg: usize, message: impl Into<String>) -> FunctionError {
        FunctionError { message: message.into(), arg: Some(arg), param: None }
    }
    /// The value given for parameter `name` (argument `arg`) is unsuitable.
    pub fn invalid(arg: usize, name: &'static str, message: impl Into<String>) -> FunctionError {
        FunctionError { message: message.into(), arg: Some(arg), param: Some(name) }
    }
}

pub type FunctionImpl = fn(&FunctionContext<'_>, Vec<Value>) -> Result<Value, FunctionError>;

/// How many arguments a function takes.
#[derive(Clone, Copy, Debug)]
pub enum Arity {
    Exactly(usize),
    /// At least this many; the rest are variadic.
    AtLeast(usize),
    Between(usize, usize),
}

/// Whether a function sees unknown and sensitive arguments itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Handles {
    /// The registry short-circuits: unknown in anywhere → unknown out; marks stripped
    /// before the call and put on the result.
    Nothing,
    /// The function gets unknowns (e.g. `length` of a list with unknown elements);
    /// marks are still stripped and re-applied.
    Unknowns,
    /// The function gets arguments exactly as they are, marks included
    /// (`sensitive`, `nonsensitive`, `issensitive`).
    Everything,
}

pub struct Function {
    pub name: &'static str,
    pub arity: Arity,
    pub handles: Handles,
    pub imp: FunctionImpl,
}

#[derive(Default)]
pub struct Registry {
    functions: HashMap<&'static str, Function>,
}

impl Registry {
    pub fn add(&mut self, name: &'static str, arity: Arity, imp: FunctionImpl) {
        self.add_with(name, arity, Handles::Nothing, imp);
    }

    pub fn add_with(&mut self, name: &'static str, arity: Arity, handles: Handles, imp: FunctionImpl) {
        self.functions.insert(name, Function { name, arity, handles, imp });
    }

    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.functions.keys().copied()
    }
}

fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        let mut r = Registry::default();
        collection::register(&mut r);
        confformat::register(&mut r);
        conversion::register(&mut r);
        crypto::register(&mut r);
        datetime::register(&mut r);
        encoding::register(&mut r);
        filesystem::register(&mut r);
        hostlist::register(&mut r);
        ipnet::register(&mut r);
        numeric::register(&mut r);
        string::register(&mut r);
        r
    })
}

/// Looks a function up by name (`provider::` namespaced names are not supported).
pub fn lookup(name: &str) -> Option<&'static Function> {
    registry().functions.get(name)
}

/// All function names, for "did you mean" suggestions.
pub fn all_names() -> Vec<&'static str> {
    let mut names: Vec<_> = registry().names().collect();
    names.sort_unstable();
    names
}

/// Calls a function with already evaluated arguments, applying the unknown and
/// sensitive rules of [`Handles`].
pub fn call(f: &Function, ctx: &FunctionContext<'_>, args: Vec<Value>) -> Result<Value, FunctionError> {
    let n = args.len();
    let arity_ok = match f.arity {
        Arity::Exactly(k) => n == k,
        Arity::AtLeast(k) => n >= k,
        Arity::Between(lo, hi) => (lo..=hi).contains(&n),
    };
    if !arity_ok {
        let expected = match f.arity {
            Arity::Exactly(k) => format!("exactly {k}"),
            Arity::AtLeast(k) => format!("at least {k}"),
            Arity::Between(lo, hi) => format!("{lo} to {hi}"),
        };
        return Err(FunctionError::new(format!("function \"{}\" takes {expected} argument(s), got {n}", f.name)));
    }
    if f.handles == Handles::Everything {
        return (f.imp)(ctx, args);
    }
    if f.handles == Handles::Nothing && !args.iter().all(Value::is_wholly_known) {
        let sensitive = args.iter().any(Value::contains_sensitive);
        return Ok(Value::Unknown.mark_if(sensitive));
    }
    let mut sensitive = false;
    let args = args
        .into_iter()
        .map(|a| {
            let (a, s) = a.unmark_deep();
            sensitive |= s;
            a
        })
        .collect();
    Ok((f.imp)(ctx, args)?.mark_if(sensitive))
}

/// Argument accessors shared by the function families: each names the argument at fault.
pub(crate) mod args {
    use super::FunctionError;
    use crate::eval::value::{to_number, to_string};
    use crate::eval::{Number, Value};
    use std::collections::BTreeMap;

    pub fn string(args: &[Value], i: usize) -> Result<String, FunctionError> {
        match args.get(i) {
            Some(Value::Null) => Err(FunctionError::at(i, "argument must not be null")),
            Some(v) => to_string(v).ok_or_else(|| FunctionError::at(i, "string required")),
            None => Err(FunctionError::at(i, "missing argument")),
        }
    }

    pub fn number(args: &[Value], i: usize) -> Result<Number, FunctionError> {
        match args.get(i) {
            Some(Value::Null) => Err(FunctionError::at(i, "argument must not be null")),
            Some(v) => to_number(v).ok_or_else(|| FunctionError::at(i, "a number is required")),
            None => Err(FunctionError::at(i, "missing argument")),
        }
    }

    pub fn int(args: &[Value], i: usize) -> Result<i64, FunctionError> {
        number(args, i)?.to_i64().ok_or_else(|| FunctionError::at(i, "value must be a whole number"))
    }

    /// Elements of a list, tuple or set argument.
    pub fn seq(args: &[Value], i: usize) -> Result<Vec<Value>, FunctionError> {
        match args.get(i) {
            Some(Value::List(xs) | Value::Tuple(xs) | Value::Set(xs)) => Ok(xs.clone()),
            Some(Value::Null) => Err(FunctionError::at(i, "argument must not be null")),
            Some(_) => Err(FunctionError::at(i, "list, tuple or set required")),
            None => Err(FunctionError::at(i, "missing argument")),
        }
    }

    /// Entries of a map or object argument.
    pub fn map(args: &[Value], i: usize) -> Result<BTreeMap<String, Value>, FunctionError> {
        match args.get(i) {
            Some(Value::Map(m) | Value::Object(m)) => Ok((**m).clone()),
            Some(Value::Null) => Err(FunctionError::at(i, "argument must not be null")),
            Some(_) => Err(FunctionError::at(i, "map or object required")),
            None => Err(FunctionError::at(i, "missing argument")),
        }
    }

    /// Strings of a list argument.
    pub fn strings(args: &[Value], i: usize) -> Result<Vec<String>, FunctionError> {
        seq(args, i)?
            .iter()
            .map(|v| to_string(v).ok_or_else(|| FunctionError::at(i, "list of string required")))
            .collect()
    }
}

/// Decodes YAML text as `yamldecode` does, for providers that read YAML files.
pub fn yaml_decode(text: &str) -> Result<Value, String> {
    yaml::parse(text).map_err(|e| e.to_string())
}
