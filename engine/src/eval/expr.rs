//! The expression evaluator: hcl-edit expression trees (which keep byte spans) evaluated
//! to [`Value`]s with Terraform's semantics, unknowns and sensitive marks included.
//!
//! Names are resolved through a [`Scope`], so the evaluator knows nothing of resources,
//! modules or state.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use hcl_edit::Span as _;
use hcl_edit::expr::{
    BinaryOperator, Expression, ForExpr, FuncCall, ObjectKey, Traversal, TraversalOperator, UnaryOperator,
};
use hcl_edit::template::{Directive, Element, Template};

use super::functions::{self, FunctionContext};
use super::types::Type;
use super::value::{to_bool, to_number, to_string};
use super::{Number, Value};
use crate::diag::{Diagnostic, FileId, Span};

/// A reference as written: a root name and the static attribute names that follow it
/// (`var.workers` → root `var`, attrs `["workers"]`; `data.x.y.id` → `data`, `["x","y","id"]`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reference {
    pub root: String,
    pub attrs: Vec<String>,
    /// The static steps after the root as written, literal indexes included, up to the
    /// first dynamic one (`terraform_data.c[0].id` → `c`, `[0]`, `id`): how plan JSON and
    /// other reports name what a reference points at.
    pub path: Vec<Step>,
    /// Span of the whole traversal.
    pub span: Span,
}

/// One static step of a reference.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Step {
    Attr(String),
    Index(u64),
    Key(String),
}

impl Reference {
    /// The reference as text, steps included: `terraform_data.c[0].id`.
    pub fn display(&self) -> String {
        display_steps(&self.root, &self.path)
    }
}

/// `root` followed by `steps` as Terraform prints a traversal.
pub fn display_steps(root: &str, steps: &[Step]) -> String {
    let mut s = root.to_string();
    for step in steps {
        match step {
            Step::Attr(a) => {
                s.push('.');
                s.push_str(a);
            }
            Step::Index(i) => s.push_str(&format!("[{i}]")),
            Step::Key(k) => s.push_str(&format!("[{}]", serde_json::Value::from(k.as_str()))),
        }
    }
    s
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

    /// Where relative paths given to `file()` and `templatefile()` resolve.
    fn module_dir(&self) -> &Path;

    /// The type an expression's form fixes (a typed variable, `tostring(...)`), for typing
    /// the null it may give; `None` where the scope cannot tell.
    fn declared_type(&self, e: &Expression) -> Option<Type> {
        let _ = e;
        None
    }
}

/// The scope of expressions that may not reference anything.
pub struct ConstantScope;

impl Scope for ConstantScope {
    fn resolve(&self, r: &Reference) -> Result<Resolved, Diagnostic> {
        Err(Diagnostic::error("Variables not allowed")
            .with_detail(format!("\"{}\" cannot be referenced here: only constant values are allowed.", r.root))
            .with_span(r.span))
    }

    fn module_dir(&self) -> &Path {
        Path::new(".")
    }
}

/// Evaluates an expression parsed from file `file`.
pub fn eval(expr: &Expression, file: FileId, scope: &dyn Scope) -> Result<Value, Diagnostic> {
    Evaluator { file, scope, locals: Vec::new(), template_depth: 0 }.eval(expr)
}

/// Every reference an expression makes to names outside itself (names bound by `for`
/// expressions excluded), for building the dependency graph.
pub fn references(expr: &Expression, file: FileId) -> Vec<Reference> {
    let mut out = Vec::new();
    collect_refs(expr, file, &mut Vec::new(), &mut out);
    out
}

/// Renders a template text (as `templatefile` reads it) with only `vars` in scope.
pub fn render_template(
    text: &str,
    file: FileId,
    vars: &BTreeMap<String, Value>,
    module_dir: &Path,
) -> Result<Value, Diagnostic> {
    let template = hcl_edit::parser::parse_template(text)
        .map_err(|e| Diagnostic::error("Invalid template").with_detail(e.message().to_string()))?;
    let scope = VarsScope { vars, module_dir };
    let mut ev = Evaluator {
        file,
        scope: &scope,
        locals: vars.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        template_depth: 1,
    };
    ev.template(&template, false, false, true)
}

/// The scope of a `templatefile` template: its variables only.
struct VarsScope<'a> {
    vars: &'a BTreeMap<String, Value>,
    module_dir: &'a Path,
}

impl Scope for VarsScope<'_> {
    fn resolve(&self, r: &Reference) -> Result<Resolved, Diagnostic> {
        match self.vars.get(&r.root) {
            Some(v) => Ok(Resolved { value: v.clone(), consumed: 0 }),
            None => Err(Diagnostic::error("Invalid template variable")
                .with_detail(format!(
                    "The template refers to \"{}\", which is not among the variables given to templatefile.",
                    r.root
                ))
                .with_span(r.span)),
        }
    }

    fn module_dir(&self) -> &Path {
        self.module_dir
    }
}

struct Evaluator<'a> {
    file: FileId,
    scope: &'a dyn Scope,
    /// Names bound by enclosing `for` expressions and template `for` directives.
    locals: Vec<(String, Value)>,
    template_depth: usize,
}

type EvalResult = Result<Value, Diagnostic>;

fn err(summary: &str, detail: impl Into<String>, span: Span) -> Diagnostic {
    Diagnostic::error(summary).with_detail(detail).with_span(span)
}

impl Evaluator<'_> {
    fn span(&self, range: Option<std::ops::Range<usize>>) -> Span {
        Span::from_opt(self.file, range)
    }

    fn eval(&mut self, e: &Expression) -> EvalResult {
        let span = self.span(e.span());
        match e {
            Expression::Null(_) => Ok(Value::Null),
            Expression::Bool(b) => Ok(Value::Bool(*b.value())),
            Expression::Number(n) => {
                let text = n.as_repr().map(|r| r.to_string()).unwrap_or_else(|| n.value().to_string());
                Number::parse(&text)
                    .map(Value::Number)
                    .ok_or_else(|| err("Invalid number", format!("{text:?} is not a number."), span))
            }
            Expression::String(s) => Ok(Value::String(s.value().to_string())),
            Expression::Array(items) => Ok(Value::Tuple(items.iter().map(|i| self.eval(i)).collect::<Result<_, _>>()?)),
            Expression::Object(obj) => self.object(obj),
            Expression::StringTemplate(t) => self.template(t, false, false, true),
            Expression::HeredocTemplate(h) => self.template(&h.template, false, false, true),
            Expression::Parenthesis(p) => self.eval(p.inner()),
            Expression::Variable(v) => {
                let name = v.value().as_str();
                self.resolve_traversal(name, &[], span)
            }
            Expression::Traversal(t) => self.traversal(t),
            Expression::Conditional(c) => {
                let cond = self.eval(&c.cond_expr)?;
                let cond_span = self.span(c.cond_expr.span());
                let (cond, marked) = cond.unmark();
                match cond {
                    Value::Unknown => Ok(Value::Unknown.mark_if(marked)),
                    Value::Null => Err(err(
                        "Null condition",
                        "The condition value is null. Conditions must either be true or false.",
                        cond_span,
                    )),
                    other => {
                        let b = to_bool(&other).ok_or_else(|| {
                            err("Incorrect condition type", "The condition expression must be of type bool.", cond_span)
                        })?;
                        // Only the chosen arm's errors count; the other arm, when it
                        // evaluates, still shapes the result type.
                        let (chosen, other) =
                            if b { (&c.true_expr, &c.false_expr) } else { (&c.false_expr, &c.true_expr) };
                        let chosen_value = self.eval(chosen)?;
                        let out = match self.eval(other) {
                            // A null arm still has a type: the one its expression declares.
                            Ok(o) if o.is_null() && !chosen_value.is_null() => match self.scope.declared_type(other) {
                                Some(ty) => convert_keeping_marks(chosen_value, &ty),
                                None => chosen_value,
                            },
                            Ok(o) if b => unify_pair(chosen_value, o).0,
                            Ok(o) => unify_pair(o, chosen_value).1,
                            Err(_) => chosen_value,
                        };
                        Ok(out.mark_if(marked))
                    }
                }
            }
            Expression::FuncCall(f) => self.call(f, span),
            Expression::UnaryOp(u) => {
                let v = self.eval(&u.expr)?;
                let operand_span = self.span(u.expr.span());
                let (v, marked) = v.unmark_deep();
                if v.is_unknown() {
                    return Ok(Value::Unknown.mark_if(marked));
                }
                let out = match u.operator.value() {
                    UnaryOperator::Neg => Value::Number(
                        to_number(&v).ok_or_else(|| operand_error("a number", operand_span, "operand"))?.neg(),
                    ),
                    UnaryOperator::Not => {
                        Value::Bool(!to_bool(&v).ok_or_else(|| operand_error("a bool", operand_span, "operand"))?)
                    }
                };
                Ok(out.mark_if(marked))
            }
            Expression::BinaryOp(b) => self.binary(b, span),
            Expression::ForExpr(f) => self.for_expr(f, span),
        }
    }

    fn object(&mut self, obj: &hcl_edit::expr::Object) -> EvalResult {
        let mut out = BTreeMap::new();
        let mut unknown = false;
        for (k, v) in obj.iter() {
            let key = match k {
                ObjectKey::Ident(i) => i.as_str().to_string(),
                ObjectKey::Expression(Expression::Variable(v)) => v.value().as_str().to_string(),
                ObjectKey::Expression(e) => {
                    let kspan = self.span(e.span());
                    let kv = self.eval(e)?.unmark_deep().0;
                    match kv {
                        Value::Unknown => {
                            unknown = true;
                            continue;
                        }
                        Value::Null => {
                            return Err(err(
                                "Invalid object key",
                                "Key expression results in null; a key must be a string.",
                                kspan,
                            ));
                        }
                        other => to_string(&other)
                            .ok_or_else(|| err("Invalid object key", "A key must be a string.", kspan))?,
                    }
                }
            };
            let value = self.eval(v.expr())?;
            out.insert(key, value);
        }
        Ok(if unknown { Value::Unknown } else { Value::Object(out.into()) })
    }

    fn local(&self, name: &str) -> Option<Value> {
        self.locals.iter().rev().find(|(n, _)| n == name).map(|(_, v)| v.clone())
    }

    /// A root name with leading static attributes, through locals or the scope.
    fn resolve_traversal(&mut self, root: &str, attrs: &[String], span: Span) -> EvalResult {
        if let Some(v) = self.local(root) {
            return self.get_attrs(v, attrs, span);
        }
        let path = attrs.iter().cloned().map(Step::Attr).collect();
        let r = Reference { root: root.to_string(), attrs: attrs.to_vec(), path, span };
        let resolved = self.scope.resolve(&r)?;
        let rest = attrs.get(resolved.consumed..).unwrap_or(&[]);
        self.get_attrs(resolved.value, rest, span)
    }

    fn get_attrs(&mut self, mut v: Value, attrs: &[String], span: Span) -> EvalResult {
        for a in attrs {
            v = get_attr(v, a, span)?;
        }
        Ok(v)
    }

    fn traversal(&mut self, t: &Traversal) -> EvalResult {
        let ops: Vec<&TraversalOperator> = t.operators.iter().map(|o| o.value()).collect();
        // A variable root with leading attribute names goes to the scope in one piece.
        let (mut value, mut rest) = match &t.expr {
            Expression::Variable(v) => {
                let attrs: Vec<String> = ops
                    .iter()
                    .map_while(|op| match op {
                        TraversalOperator::GetAttr(a) => Some(a.as_str().to_string()),
                        _ => None,
                    })
                    .collect();
                let n = attrs.len();
                let root_span = self.span(v.span());
                let end = t.operators.get(n.saturating_sub(1)).and_then(|o| o.span()).map(|r| r.end);
                let ref_span = match end {
                    Some(e) if n > 0 => Span { end: e, ..root_span },
                    _ => root_span,
                };
                (self.resolve_traversal(v.value().as_str(), &attrs, ref_span)?, &ops[n..])
            }
            other => (self.eval(other)?, &ops[..]),
        };
        while let Some((op, more)) = rest.split_first() {
            let op_span = self.span(t.operators.get(ops.len() - rest.len()).and_then(|o| o.span()));
            match op {
                TraversalOperator::GetAttr(a) => value = get_attr(value, a.as_str(), op_span)?,
                TraversalOperator::Index(e) => {
                    let key = self.eval(e)?;
                    value = index(value, key, self.span(e.span()))?;
                }
                TraversalOperator::LegacyIndex(i) => value = index(value, Value::from(*i.value() as i64), op_span)?,
                TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_) => {
                    let full = matches!(op, TraversalOperator::FullSplat(_));
                    // The splat applies the following steps to each element.
                    let steps: Vec<&TraversalOperator> = more
                        .iter()
                        .take_while(|o| full || matches!(o, TraversalOperator::GetAttr(_)))
                        .copied()
                        .collect();
                    let after = &more[steps.len()..];
                    value = self.splat(value, &steps, op_span)?;
                    rest = after;
                    continue;
                }
            }
            rest = more;
        }
        Ok(value)
    }

    fn splat(&mut self, value: Value, steps: &[&TraversalOperator], span: Span) -> EvalResult {
        let (value, marked) = value.unmark();
        let items = match value {
            Value::Unknown => return Ok(Value::Unknown.mark_if(marked)),
            Value::Null => return Ok(Value::Tuple(Vec::new())),
            Value::List(xs) | Value::Tuple(xs) | Value::Set(xs) => xs,
            other => vec![other],
        };
        let mut out = Vec::with_capacity(items.len());
        for mut item in items {
            for step in steps {
                item = match step {
                    TraversalOperator::GetAttr(a) => get_attr(item, a.as_str(), span)?,
                    TraversalOperator::Index(e) => {
                        let key = self.eval(e)?;
                        index(item, key, span)?
                    }
                    TraversalOperator::LegacyIndex(i) => index(item, Value::from(*i.value() as i64), span)?,
                    _ => item,
                };
            }
            out.push(item);
        }
        Ok(Value::Tuple(out).mark_if(marked))
    }

    fn binary(&mut self, b: &hcl_edit::expr::BinaryOp, span: Span) -> EvalResult {
        let lhs = self.eval(&b.lhs_expr)?;
        let rhs = self.eval(&b.rhs_expr)?;
        let (lspan, rspan) = (self.span(b.lhs_expr.span()), self.span(b.rhs_expr.span()));
        let op = *b.operator.value();
        let (lhs, lm) = lhs.unmark_deep();
        let (rhs, rm) = rhs.unmark_deep();
        let marked = lm || rm;
        use BinaryOperator as B;
        let result = match op {
            B::Eq | B::NotEq => {
                if !lhs.is_wholly_known() || !rhs.is_wholly_known() {
                    Value::Unknown
                } else {
                    let eq = values_equal(&lhs, &rhs);
                    Value::Bool(if op == B::Eq { eq } else { !eq })
                }
            }
            B::And | B::Or => {
                let l = bool_operand(&lhs, lspan, "left")?;
                let r = bool_operand(&rhs, rspan, "right")?;
                match (l, r) {
                    (Some(l), Some(r)) => Value::Bool(if op == B::And { l && r } else { l || r }),
                    (Some(false), None) | (None, Some(false)) if op == B::And => Value::Bool(false),
                    (Some(true), None) | (None, Some(true)) if op == B::Or => Value::Bool(true),
                    _ => Value::Unknown,
                }
            }
            _ => {
                let l = number_operand(&lhs, lspan, "left")?;
                let r = number_operand(&rhs, rspan, "right")?;
                let (Some(l), Some(r)) = (l, r) else {
                    return Ok(Value::Unknown.mark_if(marked));
                };
                match op {
                    B::Plus => Value::Number(l.add(&r)),
                    B::Minus => Value::Number(l.sub(&r)),
                    B::Mul => Value::Number(l.mul(&r)),
                    B::Div => Value::Number(l.div(&r).ok_or_else(|| {
                        err("Operation failed", "Error during operation: can't divide by zero.", span)
                    })?),
                    B::Mod => Value::Number(l.rem(&r).ok_or_else(|| {
                        err("Operation failed", "Error during operation: can't divide by zero.", span)
                    })?),
                    B::Less => Value::Bool(l < r),
                    B::LessEq => Value::Bool(l <= r),
                    B::Greater => Value::Bool(l > r),
                    B::GreaterEq => Value::Bool(l >= r),
                    _ => Value::Unknown,
                }
            }
        };
        Ok(result.mark_if(marked))
    }

    fn call(&mut self, f: &FuncCall, span: Span) -> EvalResult {
        let name = f.name.name.as_str();
        if !f.name.namespace.is_empty() {
            let ns: Vec<&str> = f.name.namespace.iter().map(|n| n.as_str()).collect();
            return Err(err(
                "Call to unknown function",
                format!("There is no function named \"{}::{name}\".", ns.join("::")),
                span,
            ));
        }
        match name {
            "try" => return self.call_try(f, span),
            "can" => return self.call_can(f, span),
            "templatefile" => return self.call_templatefile(f, span),
            "templatestring" => return self.call_templatestring(f, span),
            _ => {}
        }
        let Some(func) = functions::lookup(name) else {
            let names = functions::all_names();
            let mut d = err("Call to unknown function", format!("There is no function named \"{name}\"."), span);
            if let Some(h) = crate::config::load::closest(name, &names) {
                d = d.with_help(format!("did you mean {h}?"));
            }
            return Err(d);
        };
        let mut args = Vec::with_capacity(f.args.len());
        let mut spans = Vec::with_capacity(f.args.len());
        let n = f.args.len();
        for (i, a) in f.args.iter().enumerate() {
            let v = self.eval(a)?;
            let s = self.span(a.span());
            if i + 1 == n && f.args.expand_final() {
                let (v, marked) = v.unmark();
                match v {
                    Value::List(xs) | Value::Tuple(xs) | Value::Set(xs) => {
                        for x in xs {
                            args.push(x.mark_if(marked));
                            spans.push(s);
                        }
                    }
                    Value::Unknown => return Ok(Value::Unknown),
                    _ => {
                        return Err(err(
                            "Invalid expanding argument value",
                            "The expanding argument (indicated by ...) must be of a tuple, list, or set type.",
                            s,
                        ));
                    }
                }
            } else {
                args.push(v);
                spans.push(s);
            }
        }
        let ctx = FunctionContext { module_dir: self.scope.module_dir() };
        functions::call(func, &ctx, args).map_err(|e| {
            let at = e.arg.and_then(|i| spans.get(i).copied()).unwrap_or(span);
            if let Some(param) = e.param {
                return err(
                    "Invalid function argument",
                    format!("Invalid value for \"{param}\" parameter: {}.", e.message.trim_end_matches('.')),
                    at,
                )
                .with_label(format!("while calling {name}"));
            }
            err(
                "Error in function call",
                format!("Call to function \"{name}\" failed: {}.", e.message.trim_end_matches('.')),
                at,
            )
            .with_label(format!("while calling {name}"))
        })
    }

    fn call_try(&mut self, f: &FuncCall, span: Span) -> EvalResult {
        if f.args.is_empty() {
            return Err(err("Invalid function arguments", "The try function needs at least one argument.", span));
        }
        let mut last = None;
        for a in f.args.iter() {
            match self.eval(a) {
                Ok(v) if v.is_wholly_known() || !v.is_unknown() => return Ok(v),
                Ok(v) => return Ok(v),
                Err(d) => last = Some(d),
            }
        }
        Err(err(
            "Error in function call",
            format!(
                "Call to function \"try\" failed: no expression succeeded:\n- {}",
                last.map(|d| d.to_string()).unwrap_or_default()
            ),
            span,
        ))
    }

    fn call_can(&mut self, f: &FuncCall, span: Span) -> EvalResult {
        let [a] = f.args.iter().collect::<Vec<_>>()[..] else {
            return Err(err("Invalid function arguments", "The can function takes exactly one argument.", span));
        };
        Ok(match self.eval(a) {
            Ok(v) if !v.is_wholly_known() => Value::Unknown,
            Ok(_) => Value::Bool(true),
            Err(_) => Value::Bool(false),
        })
    }

    fn call_templatefile(&mut self, f: &FuncCall, span: Span) -> EvalResult {
        let args: Vec<&Expression> = f.args.iter().collect();
        let [path_e, vars_e] = args[..] else {
            return Err(err(
                "Invalid function arguments",
                "templatefile takes a path and an object of variables.",
                span,
            ));
        };
        if self.template_depth > 0 {
            return Err(err(
                "Error in function call",
                "Call to function \"templatefile\" failed: cannot recursively call templatefile from inside templatefile call.",
                span,
            ));
        }
        let path_span = self.span(path_e.span());
        let path = self.eval(path_e)?;
        let vars = self.eval(vars_e)?;
        if !path.is_wholly_known() || !vars.is_wholly_known() {
            return Ok(Value::Unknown);
        }
        let (vars, marked) = vars.unmark();
        let Some(vars) = vars.as_map().cloned() else {
            return Err(err(
                "Error in function call",
                "Call to function \"templatefile\" failed: the second argument must be an object or map of variables.",
                self.span(vars_e.span()),
            ));
        };
        let p = path.as_str().unwrap_or_default().to_string();
        let full = self.scope.module_dir().join(&p);
        let text = std::fs::read_to_string(&full).map_err(|_| {
            err("Error in function call", format!("Call to function \"templatefile\" failed: no file exists at \"{p}\"; this function works only with files that are distributed as part of the configuration source code, so if this file will be created by a resource in this configuration you must instead obtain this result from an attribute of that resource."), path_span)
        })?;
        render_template(&text, self.file, &vars, self.scope.module_dir()).map(|v| v.mark_if(marked)).map_err(|d| {
            let detail = d.to_string();
            err("Error in function call", format!("Call to function \"templatefile\" failed: {p}: {detail}."), span)
        })
    }

    fn call_templatestring(&mut self, f: &FuncCall, span: Span) -> EvalResult {
        let args: Vec<&Expression> = f.args.iter().collect();
        let [tpl_e, vars_e] = args[..] else {
            return Err(err(
                "Invalid function arguments",
                "templatestring takes a template string and an object of variables.",
                span,
            ));
        };
        let tpl = self.eval(tpl_e)?;
        let vars = self.eval(vars_e)?;
        if !tpl.is_wholly_known() || !vars.is_wholly_known() {
            return Ok(Value::Unknown);
        }
        let (tpl, m1) = tpl.unmark();
        let (vars, m2) = vars.unmark();
        let (Some(text), Some(vars)) = (tpl.as_str(), vars.as_map()) else {
            return Err(err(
                "Error in function call",
                "Call to function \"templatestring\" failed: it takes a string and an object of variables.",
                span,
            ));
        };
        render_template(text, self.file, vars, self.scope.module_dir()).map(|v| v.mark_if(m1 || m2)).map_err(|d| {
            err("Error in function call", format!("Call to function \"templatestring\" failed: {d}."), span)
        })
    }

    fn for_expr(&mut self, f: &ForExpr, span: Span) -> EvalResult {
        let coll = self.eval(&f.intro.collection_expr)?;
        let coll_span = self.span(f.intro.collection_expr.span());
        let (coll, marked) = coll.unmark();
        let pairs = match iterate(&coll) {
            Some(p) => p,
            None if coll.is_unknown() => return Ok(Value::Unknown.mark_if(marked)),
            None => {
                return Err(err(
                    "Iteration over non-iterable value",
                    format!(
                        "A value of type {} cannot be used as the collection in a 'for' expression.",
                        coll.type_name()
                    ),
                    coll_span,
                ));
            }
        };
        let key_var = f.intro.key_var.as_ref().map(|k| k.as_str().to_string());
        let value_var = f.intro.value_var.as_str().to_string();
        let mut list = Vec::new();
        let mut map: BTreeMap<String, Value> = BTreeMap::new();
        let mut groups: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        let mut unknown = false;
        for (k, v) in pairs {
            let depth = self.locals.len();
            if let Some(kv) = &key_var {
                self.locals.push((kv.clone(), k));
            }
            self.locals.push((value_var.clone(), v));
            let r = self.for_item(f, &mut list, &mut map, &mut groups, &mut unknown, span);
            self.locals.truncate(depth);
            r?;
        }
        if unknown {
            return Ok(Value::Unknown.mark_if(marked));
        }
        Ok(match &f.key_expr {
            None => Value::Tuple(list),
            Some(_) if f.grouping => {
                Value::Object(Arc::new(groups.into_iter().map(|(k, v)| (k, Value::Tuple(v))).collect()))
            }
            Some(_) => Value::Object(map.into()),
        }
        .mark_if(marked))
    }

    fn for_item(
        &mut self,
        f: &ForExpr,
        list: &mut Vec<Value>,
        map: &mut BTreeMap<String, Value>,
        groups: &mut BTreeMap<String, Vec<Value>>,
        unknown: &mut bool,
        span: Span,
    ) -> Result<(), Diagnostic> {
        if let Some(c) = &f.cond {
            let cspan = self.span(c.expr.span());
            match self.eval(&c.expr)?.unmark_deep().0 {
                Value::Unknown => {
                    *unknown = true;
                    return Ok(());
                }
                other => match to_bool(&other) {
                    Some(true) => {}
                    Some(false) => return Ok(()),
                    None => {
                        return Err(err("Invalid 'for' condition", "The 'if' clause value must be a bool.", cspan));
                    }
                },
            }
        }
        let value = self.eval(&f.value_expr)?;
        let Some(key_expr) = &f.key_expr else {
            list.push(value);
            return Ok(());
        };
        let kspan = self.span(key_expr.span());
        let key = match self.eval(key_expr)?.unmark_deep().0 {
            Value::Unknown => {
                *unknown = true;
                return Ok(());
            }
            Value::Null => {
                return Err(err(
                    "Invalid object key",
                    "Key expression in 'for' expression must not produce a null value.",
                    kspan,
                ));
            }
            other => to_string(&other).ok_or_else(|| {
                err("Invalid object key", "The key expression produced an invalid result: string required.", kspan)
            })?,
        };
        if f.grouping {
            groups.entry(key).or_default().push(value);
        } else {
            match map.entry(key) {
                std::collections::btree_map::Entry::Occupied(e) => {
                    return Err(err(
                        "Duplicate object key",
                        format!(
                            "Two different items produced the key \"{}\" in this 'for' expression. If duplicates are expected, use the ellipsis (...) after the value expression to enable grouping by key.",
                            e.key()
                        ),
                        span,
                    ));
                }
                std::collections::btree_map::Entry::Vacant(e) => {
                    e.insert(value);
                }
            }
        }
        Ok(())
    }

    /// Evaluates a template. A template that is a single interpolation gives its value as
    /// is; otherwise the pieces are joined into a string.
    fn template(&mut self, t: &Template, strip_first: bool, strip_last: bool, top: bool) -> EvalResult {
        let elements: Vec<&Element> = t.iter().collect();
        if top
            && elements.len() == 1
            && let Element::Interpolation(i) = elements[0]
        {
            return self.eval(&i.expr);
        }
        let mut out = String::new();
        let mut unknown = false;
        let mut marked = false;
        for (idx, el) in elements.iter().enumerate() {
            match el {
                Element::Literal(lit) => {
                    let strip_before = if idx == 0 { strip_first } else { strips_after(elements[idx - 1]) };
                    let strip_after =
                        if idx + 1 == elements.len() { strip_last } else { strips_before(elements[idx + 1]) };
                    let mut text: &str = lit.value();
                    if strip_before {
                        text = text.trim_start();
                    }
                    if strip_after {
                        text = text.trim_end();
                    }
                    out.push_str(text);
                }
                Element::Interpolation(i) => {
                    let v = self.eval(&i.expr)?;
                    let ispan = self.span(i.expr.span());
                    let (v, m) = v.unmark_deep();
                    marked |= m;
                    match v {
                        Value::Unknown => unknown = true,
                        Value::Null => {
                            return Err(err(
                                "Invalid template interpolation value",
                                "The expression result is null. Cannot include a null value in a string template.",
                                ispan,
                            ));
                        }
                        other => match to_string(&other) {
                            Some(s) => out.push_str(&s),
                            None if !other.is_wholly_known() => unknown = true,
                            None => {
                                return Err(err(
                                    "Invalid template interpolation value",
                                    format!(
                                        "Cannot include the given value in a string template: string required, but have {}.",
                                        other.type_name()
                                    ),
                                    ispan,
                                ));
                            }
                        },
                    }
                }
                Element::Directive(d) => match self.directive(d)? {
                    (Some(s), m) => {
                        marked |= m;
                        out.push_str(&s);
                    }
                    (None, m) => {
                        marked |= m;
                        unknown = true;
                    }
                },
            }
        }
        Ok(if unknown { Value::Unknown } else { Value::String(out) }.mark_if(marked))
    }

    /// A template directive's text; `None` when it depends on unknown values.
    fn directive(&mut self, d: &Directive) -> Result<(Option<String>, bool), Diagnostic> {
        match d {
            Directive::If(i) => {
                let cspan = self.span(i.if_expr.cond_expr.span());
                let (cond, marked) = self.eval(&i.if_expr.cond_expr)?.unmark_deep();
                let cond = match cond {
                    Value::Unknown => return Ok((None, marked)),
                    other => to_bool(&other)
                        .ok_or_else(|| err("Invalid template directive", "The if condition must be a bool.", cspan))?,
                };
                let else_strip_start = i.else_expr.as_ref().map(|e| e.strip.strip_start());
                let endif_strip_start = i.endif_expr.strip.strip_start();
                let v = if cond {
                    let last = else_strip_start.unwrap_or(endif_strip_start);
                    self.template(&i.if_expr.template, i.if_expr.strip.strip_end(), last, false)?
                } else if let Some(e) = &i.else_expr {
                    self.template(&e.template, e.strip.strip_end(), endif_strip_start, false)?
                } else {
                    Value::String(String::new())
                };
                let (v, m) = v.unmark();
                Ok((v.as_str().map(str::to_string), marked || m))
            }
            Directive::For(fd) => {
                let fe = &fd.for_expr;
                let cspan = self.span(fe.collection_expr.span());
                let (coll, marked) = self.eval(&fe.collection_expr)?.unmark();
                let Some(pairs) = iterate(&coll) else {
                    if coll.is_unknown() {
                        return Ok((None, marked));
                    }
                    return Err(err(
                        "Invalid template directive",
                        format!("A value of type {} cannot be iterated in a for directive.", coll.type_name()),
                        cspan,
                    ));
                };
                let mut out = String::new();
                let mut any_marked = marked;
                for (k, v) in pairs {
                    let depth = self.locals.len();
                    if let Some(kv) = &fe.key_var {
                        self.locals.push((kv.as_str().to_string(), k));
                    }
                    self.locals.push((fe.value_var.as_str().to_string(), v));
                    let r =
                        self.template(&fe.template, fe.strip.strip_end(), fd.endfor_expr.strip.strip_start(), false);
                    self.locals.truncate(depth);
                    let (v, m) = r?.unmark();
                    any_marked |= m;
                    match v.as_str() {
                        Some(s) => out.push_str(s),
                        None => return Ok((None, any_marked)),
                    }
                }
                Ok((Some(out), any_marked))
            }
        }
    }
}

fn strips_after(el: &Element) -> bool {
    match el {
        Element::Interpolation(i) => i.strip.strip_end(),
        Element::Directive(d) => match d.as_ref() {
            Directive::If(i) => i.endif_expr.strip.strip_end(),
            Directive::For(f) => f.endfor_expr.strip.strip_end(),
        },
        Element::Literal(_) => false,
    }
}

fn strips_before(el: &Element) -> bool {
    match el {
        Element::Interpolation(i) => i.strip.strip_start(),
        Element::Directive(d) => match d.as_ref() {
            Directive::If(i) => i.if_expr.strip.strip_start(),
            Directive::For(f) => f.for_expr.strip.strip_start(),
        },
        Element::Literal(_) => false,
    }
}

/// Key/value pairs of a collection in iteration order: lists by index, maps by key,
/// sets in set order (key = value).
fn iterate(v: &Value) -> Option<Vec<(Value, Value)>> {
    match v {
        Value::List(xs) | Value::Tuple(xs) => {
            Some(xs.iter().enumerate().map(|(i, x)| (Value::from(i as i64), x.clone())).collect())
        }
        Value::Set(xs) => Some(xs.iter().map(|x| (x.clone(), x.clone())).collect()),
        Value::Map(m) | Value::Object(m) => Some(m.iter().map(|(k, x)| (Value::from(k.as_str()), x.clone())).collect()),
        _ => None,
    }
}

fn operand_error(what: &str, span: Span, side: &str) -> Diagnostic {
    err(&format!("Invalid {side}"), format!("Unsuitable value for {side}: {what} is required."), span)
}

fn number_operand(v: &Value, span: Span, side: &str) -> Result<Option<Number>, Diagnostic> {
    match v {
        Value::Unknown => Ok(None),
        Value::Null => Err(err(
            "Invalid operand",
            format!("Unsuitable value for {side} operand: argument must not be null."),
            span,
        )),
        other => to_number(other).map(Some).ok_or_else(|| {
            err("Invalid operand", format!("Unsuitable value for {side} operand: a number is required."), span)
        }),
    }
}

fn bool_operand(v: &Value, span: Span, side: &str) -> Result<Option<bool>, Diagnostic> {
    match v {
        Value::Unknown => Ok(None),
        Value::Null => Err(err(
            "Invalid operand",
            format!("Unsuitable value for {side} operand: argument must not be null."),
            span,
        )),
        other => to_bool(other).map(Some).ok_or_else(|| {
            err("Invalid operand", format!("Unsuitable value for {side} operand: a bool is required."), span)
        }),
    }
}

/// Equality as `==` sees it: the same kind and the same content (a list never equals a
/// tuple, as in Terraform); numbers compare by value.
fn values_equal(a: &Value, b: &Value) -> bool {
    a == b
}

/// The two arms of a conditional brought to one type where Terraform would: a number and
/// a string become strings, a bool and a string become strings.
/// `v` converted to `ty` where it converts (its sensitivity kept); as it is otherwise.
fn convert_keeping_marks(v: Value, ty: &Type) -> Value {
    let (plain, marked) = v.clone().unmark();
    match crate::eval::types::convert(plain, ty) {
        Ok(c) => c.mark_if(marked),
        Err(_) => v,
    }
}

fn unify_pair(t: Value, f: Value) -> (Value, Value) {
    let stringish = |v: &Value| matches!(v.peel(), Value::String(_));
    let primitive = |v: &Value| matches!(v.peel(), Value::Number(_) | Value::Bool(_));
    if stringish(&t) && primitive(&f) {
        let s = to_string(&f).map_or(f.clone(), Value::String);
        return (t, s.mark_if(f.is_sensitive()));
    }
    if stringish(&f) && primitive(&t) {
        let s = to_string(&t).map_or(t.clone(), Value::String);
        return (s.mark_if(t.is_sensitive()), f);
    }
    // Collections meet at their common type as HCL unifies them: tuples of one length
    // element by element, objects of one shape attribute by attribute, and otherwise a
    // list (of sequences) or a map (of objects) of the elements' common type.
    match (t.peel(), f.peel()) {
        (Value::Tuple(a), Value::Tuple(b)) if a.len() == b.len() => {
            let (x, y): (Vec<Value>, Vec<Value>) =
                a.iter().cloned().zip(b.iter().cloned()).map(|(x, y)| unify_pair(x, y)).unzip();
            (Value::Tuple(x).mark_if(t.is_sensitive()), Value::Tuple(y).mark_if(f.is_sensitive()))
        }
        (Value::Object(a), Value::Object(b)) if a.keys().eq(b.keys()) => {
            let mut x = BTreeMap::new();
            let mut y = BTreeMap::new();
            for (k, av) in a.iter() {
                let (p, q) = unify_pair(av.clone(), b.get(k).cloned().unwrap_or(Value::Null));
                x.insert(k.clone(), p);
                y.insert(k.clone(), q);
            }
            (Value::Object(x.into()).mark_if(t.is_sensitive()), Value::Object(y.into()).mark_if(f.is_sensitive()))
        }
        (Value::Tuple(_) | Value::List(_) | Value::Set(_), Value::Tuple(_) | Value::List(_) | Value::Set(_))
        | (Value::Object(_) | Value::Map(_), Value::Object(_) | Value::Map(_))
            if crate::eval::types::type_of(&t) != crate::eval::types::type_of(&f) =>
        {
            let is_set = |v: &Value| matches!(v.peel(), Value::Set(_));
            let ty = if is_set(&t) || is_set(&f) {
                // A sequence and a set meet at a set.
                let all: Vec<Value> = [&t, &f].iter().flat_map(|v| v.peel().as_seq().unwrap_or(&[]).to_vec()).collect();
                crate::eval::types::unified_type(&all).map(|e| Type::Set(Box::new(e)))
            } else {
                crate::eval::types::unified_type(&[t.clone(), f.clone()])
            };
            let Ok(ty) = ty else { return (t, f) };
            match (crate::eval::types::convert(t.clone(), &ty), crate::eval::types::convert(f.clone(), &ty)) {
                (Ok(x), Ok(y)) => (x, y),
                _ => (t, f),
            }
        }
        _ => (t, f),
    }
}

fn get_attr(v: Value, name: &str, span: Span) -> EvalResult {
    let (v, marked) = v.unmark();
    let out = match v {
        Value::Unknown => Value::Unknown,
        Value::Object(m) => match m.get(name) {
            Some(x) => x.clone(),
            None => {
                let names: Vec<&str> = m.keys().map(String::as_str).collect();
                let mut d = err(
                    "Unsupported attribute",
                    format!("This object does not have an attribute named \"{name}\"."),
                    span,
                );
                if let Some(h) = crate::config::load::closest(name, &names) {
                    d = d.with_help(format!("did you mean \"{h}\"?"));
                }
                return Err(d);
            }
        },
        Value::Map(m) => match m.get(name) {
            Some(x) => x.clone(),
            None => {
                return Err(err(
                    "Invalid index",
                    format!("The given key does not identify an element in this collection value: \"{name}\"."),
                    span,
                ));
            }
        },
        Value::Null => {
            return Err(err(
                "Attempt to get attribute from null value",
                "This value is null, so it does not have any attributes.",
                span,
            ));
        }
        Value::List(_) | Value::Tuple(_) | Value::Set(_) => {
            return Err(err(
                "Unsupported attribute",
                format!(
                    "Can't access attributes on a list of objects. Did you mean to access attribute \"{name}\" for a specific element of the list, or across all elements of the list?"
                ),
                span,
            ));
        }
        other => {
            return Err(err(
                "Unsupported attribute",
                format!("Can't access attributes on a primitive-typed value ({}).", other.type_name()),
                span,
            ));
        }
    };
    Ok(out.mark_if(marked))
}

fn index(v: Value, key: Value, span: Span) -> EvalResult {
    let (v, marked) = v.unmark();
    let (key, key_marked) = key.unmark_deep();
    let marked = marked || key_marked;
    if v.is_unknown() || key.is_unknown() {
        return Ok(Value::Unknown.mark_if(marked));
    }
    let out = match v {
        Value::List(xs) | Value::Tuple(xs) => {
            let i = to_number(&key).and_then(|n| n.to_i64()).ok_or_else(|| {
                err(
                    "Invalid index",
                    "The given key does not identify an element in this collection value: a number is required.",
                    span,
                )
            })?;
            let len = xs.len();
            usize::try_from(i)
                .ok()
                .and_then(|i| xs.into_iter().nth(i))
                .ok_or_else(|| err("Invalid index", format!("The given key does not identify an element in this collection value: the collection has {len} element(s), so index {i} is out of range."), span))?
        }
        Value::Map(m) | Value::Object(m) => {
            let k = to_string(&key).ok_or_else(|| {
                err(
                    "Invalid index",
                    "The given key does not identify an element in this collection value: string required.",
                    span,
                )
            })?;
            m.get(&k).cloned().ok_or_else(|| {
                err(
                    "Invalid index",
                    format!("The given key does not identify an element in this collection value: \"{k}\"."),
                    span,
                )
            })?
        }
        Value::Set(_) => {
            return Err(err(
                "Invalid index",
                "Elements of a set are identified only by their value and don't have any separate index or key to select with, so it's only possible to perform operations across all elements of the set.",
                span,
            ));
        }
        Value::Null => {
            return Err(err(
                "Attempt to index null value",
                "This value is null, so it does not have any indices.",
                span,
            ));
        }
        other => {
            return Err(err(
                "Invalid index",
                format!("This value does not have any indices: it is a {}.", other.type_name()),
                span,
            ));
        }
    };
    Ok(out.mark_if(marked))
}

/// Collects references, skipping names bound by enclosing `for` expressions.
fn collect_refs(e: &Expression, file: FileId, bound: &mut Vec<String>, out: &mut Vec<Reference>) {
    let span = |r: Option<std::ops::Range<usize>>| Span::from_opt(file, r);
    match e {
        Expression::Variable(v) => {
            let name = v.value().as_str();
            if !bound.iter().any(|b| b == name) {
                out.push(Reference {
                    root: name.to_string(),
                    attrs: Vec::new(),
                    path: Vec::new(),
                    span: span(v.span()),
                });
            }
        }
        Expression::Traversal(t) => {
            if let Expression::Variable(v) = &t.expr {
                let name = v.value().as_str();
                if !bound.iter().any(|b| b == name) {
                    let attrs: Vec<String> = t
                        .operators
                        .iter()
                        .map_while(|op| match op.value() {
                            TraversalOperator::GetAttr(a) => Some(a.as_str().to_string()),
                            _ => None,
                        })
                        .collect();
                    let mut s = span(v.span());
                    if let Some(last) = t.operators.get(attrs.len().saturating_sub(1)).filter(|_| !attrs.is_empty())
                        && let Some(r) = last.span()
                    {
                        s.end = r.end;
                    }
                    let path = static_steps(&t.operators);
                    out.push(Reference { root: name.to_string(), attrs, path, span: s });
                }
            } else {
                collect_refs(&t.expr, file, bound, out);
            }
            for op in &t.operators {
                if let TraversalOperator::Index(i) = op.value() {
                    collect_refs(i, file, bound, out);
                }
            }
        }
        Expression::Array(items) => items.iter().for_each(|i| collect_refs(i, file, bound, out)),
        Expression::Object(obj) => {
            for (k, v) in obj.iter() {
                if let ObjectKey::Expression(ke) = k
                    && !matches!(ke, Expression::Variable(_))
                {
                    collect_refs(ke, file, bound, out);
                }
                collect_refs(v.expr(), file, bound, out);
            }
        }
        Expression::StringTemplate(t) => template_refs(t, file, bound, out),
        Expression::HeredocTemplate(h) => template_refs(&h.template, file, bound, out),
        Expression::Parenthesis(p) => collect_refs(p.inner(), file, bound, out),
        Expression::Conditional(c) => {
            collect_refs(&c.cond_expr, file, bound, out);
            collect_refs(&c.true_expr, file, bound, out);
            collect_refs(&c.false_expr, file, bound, out);
        }
        Expression::FuncCall(f) => f.args.iter().for_each(|a| collect_refs(a, file, bound, out)),
        Expression::UnaryOp(u) => collect_refs(&u.expr, file, bound, out),
        Expression::BinaryOp(b) => {
            collect_refs(&b.lhs_expr, file, bound, out);
            collect_refs(&b.rhs_expr, file, bound, out);
        }
        Expression::ForExpr(f) => {
            collect_refs(&f.intro.collection_expr, file, bound, out);
            let depth = bound.len();
            if let Some(k) = &f.intro.key_var {
                bound.push(k.as_str().to_string());
            }
            bound.push(f.intro.value_var.as_str().to_string());
            if let Some(k) = &f.key_expr {
                collect_refs(k, file, bound, out);
            }
            collect_refs(&f.value_expr, file, bound, out);
            if let Some(c) = &f.cond {
                collect_refs(&c.expr, file, bound, out);
            }
            bound.truncate(depth);
        }
        Expression::Null(_) | Expression::Bool(_) | Expression::Number(_) | Expression::String(_) => {}
    }
}

/// The leading attribute names and literal indexes of a traversal.
fn static_steps(operators: &[hcl_edit::Decorated<TraversalOperator>]) -> Vec<Step> {
    operators
        .iter()
        .map_while(|op| match op.value() {
            TraversalOperator::GetAttr(a) => Some(Step::Attr(a.as_str().to_string())),
            TraversalOperator::LegacyIndex(i) => Some(Step::Index(*i.value())),
            TraversalOperator::Index(Expression::Number(n)) => n.value().as_u64().map(Step::Index),
            TraversalOperator::Index(Expression::String(k)) => Some(Step::Key(k.value().to_string())),
            _ => None,
        })
        .collect()
}

fn template_refs(t: &Template, file: FileId, bound: &mut Vec<String>, out: &mut Vec<Reference>) {
    for el in t.iter() {
        match el {
            Element::Literal(_) => {}
            Element::Interpolation(i) => collect_refs(&i.expr, file, bound, out),
            Element::Directive(d) => match d.as_ref() {
                Directive::If(i) => {
                    collect_refs(&i.if_expr.cond_expr, file, bound, out);
                    template_refs(&i.if_expr.template, file, bound, out);
                    if let Some(e) = &i.else_expr {
                        template_refs(&e.template, file, bound, out);
                    }
                }
                Directive::For(f) => {
                    let fe = &f.for_expr;
                    collect_refs(&fe.collection_expr, file, bound, out);
                    let depth = bound.len();
                    if let Some(k) = &fe.key_var {
                        bound.push(k.as_str().to_string());
                    }
                    bound.push(fe.value_var.as_str().to_string());
                    template_refs(&fe.template, file, bound, out);
                    bound.truncate(depth);
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Roots(BTreeMap<String, Value>);

    impl Scope for Roots {
        fn resolve(&self, r: &Reference) -> Result<Resolved, Diagnostic> {
            match self.0.get(&r.root) {
                Some(v) => Ok(Resolved { value: v.clone(), consumed: 0 }),
                None => Err(Diagnostic::error("Reference to undeclared name").with_span(r.span)),
            }
        }
        fn module_dir(&self) -> &Path {
            Path::new(".")
        }
    }

    fn ev(src: &str) -> Value {
        try_ev(src).unwrap_or_else(|d| panic!("{src}: {d}"))
    }

    fn try_ev(src: &str) -> Result<Value, Diagnostic> {
        let expr = hcl_edit::parser::parse_expr(src).expect("parse");
        let roots = Roots(BTreeMap::from([
            ("var".to_string(), Value::object([("n", Value::from(3)), ("s", Value::from("x")), ("u", Value::Unknown)])),
            ("secret".to_string(), Value::from("p").mark_sensitive()),
        ]));
        eval(&expr, FileId(0), &roots)
    }

    fn n(i: i64) -> Value {
        Value::from(i)
    }

    #[test]
    fn arithmetic_and_comparison() {
        assert_eq!(ev("1 + 2 * 3"), n(7));
        assert_eq!(ev("var.n % 2"), n(1));
        assert_eq!(ev("\"5\" + 1"), n(6));
        assert_eq!(ev("1 == 1.0"), Value::Bool(true));
        assert_eq!(ev("1 == \"1\""), Value::Bool(false));
        assert_eq!(ev("!(1 < 2) || 3 >= 3"), Value::Bool(true));
        assert!(try_ev("1 / 0").is_err());
    }

    #[test]
    fn unknowns_propagate_and_marks_survive() {
        assert_eq!(ev("var.u + 1"), Value::Unknown);
        assert_eq!(ev("\"a-${var.u}\""), Value::Unknown);
        assert_eq!(ev("var.u ? 1 : 2"), Value::Unknown);
        assert!(ev("\"x${secret}\"").is_sensitive());
        assert!(ev("[secret][0]").is_sensitive());
    }

    #[test]
    fn for_expressions_filter_and_group() {
        assert_eq!(ev("[for x in [1, 2, 3] : x * 2 if x != 2]"), Value::Tuple(vec![n(2), n(6)]));
        assert_eq!(
            ev("{for k, v in {a = 1, b = 2} : v => k}"),
            Value::object([("1", Value::from("a")), ("2", Value::from("b"))])
        );
        assert_eq!(
            ev("{for s in [\"ab\", \"ac\", \"b\"] : (s == \"b\" ? \"one\" : \"two\") => s...}"),
            Value::object([
                ("one", Value::Tuple(vec![Value::from("b")])),
                ("two", Value::Tuple(vec![Value::from("ab"), Value::from("ac")])),
            ])
        );
    }

    #[test]
    fn duplicate_for_keys_are_an_error() {
        let e = try_ev("{for x in [1, 1] : \"k\" => x}").unwrap_err();
        assert_eq!(e.summary, "Duplicate object key");
    }

    #[test]
    fn splats_and_indexes() {
        assert_eq!(ev("[{a = 1}, {a = 2}][*].a"), Value::Tuple(vec![n(1), n(2)]));
        assert_eq!(ev("[{a = 1}, {a = 2}].*.a"), Value::Tuple(vec![n(1), n(2)]));
        assert_eq!(ev("[[1, 2], [3]][1][0]"), n(3));
        assert_eq!(ev("{a = {b = \"c\"}}.a.b"), Value::from("c"));
        let e = try_ev("[1, 2][5]").unwrap_err();
        assert_eq!(e.summary, "Invalid index");
        let e = try_ev("{abc = 1}.abd").unwrap_err();
        assert_eq!(e.help.as_deref(), Some("did you mean \"abc\"?"));
    }

    #[test]
    fn templates_with_directives_and_strip_markers() {
        assert_eq!(ev("\"${var.n}\""), n(3));
        assert_eq!(ev("\"n=${var.n}\""), Value::from("n=3"));
        assert_eq!(ev("\"%{ for x in [1, 2] }<${x}>%{ endfor }\""), Value::from("<1><2>"));
        assert_eq!(ev("\"a %{~ if true ~} b %{~ endif ~} c\""), Value::from("abc"));
        assert_eq!(ev("\"%{if false}yes%{else}no%{endif}\""), Value::from("no"));
        assert_eq!(ev("\"$${literal}\""), Value::from("${literal}"));
    }

    #[test]
    fn heredocs_keep_lines_and_dedent() {
        assert_eq!(ev("<<EOT\nhello\n  world\nEOT"), Value::from("hello\n  world\n"));
        assert_eq!(ev("<<-EOT\n    hello\n      world\n    EOT"), Value::from("hello\n  world\n"));
    }

    #[test]
    fn references_keep_literal_indexes_in_their_path() {
        let expr = hcl_edit::parser::parse_expr(r#"terraform_data.c[0].id == module.m["k"].out[var.i].x"#).unwrap();
        let shown: Vec<String> = references(&expr, FileId(0)).iter().map(Reference::display).collect();
        assert_eq!(shown, ["terraform_data.c[0].id", "module.m[\"k\"].out", "var.i"]);
    }

    #[test]
    fn references_skip_for_bound_names() {
        let expr =
            hcl_edit::parser::parse_expr("[for x in var.list : x.a + local.k + terraform_data.r[0].id]").unwrap();
        let refs: Vec<(String, Vec<String>)> =
            references(&expr, FileId(0)).into_iter().map(|r| (r.root, r.attrs)).collect();
        assert_eq!(
            refs,
            vec![
                ("var".into(), vec!["list".into()]),
                ("local".into(), vec!["k".into()]),
                ("terraform_data".into(), vec!["r".into()]),
            ]
        );
    }

    #[test]
    fn unknown_function_suggests_a_name() {
        let e = try_ev("lenght([1])").unwrap_err();
        assert_eq!(e.summary, "Call to unknown function");
    }

    #[test]
    fn try_and_can() {
        assert_eq!(ev("try({}.a, \"fallback\")"), Value::from("fallback"));
        assert_eq!(ev("can({}.a)"), Value::Bool(false));
        assert_eq!(ev("can(var.n)"), Value::Bool(true));
    }
}
