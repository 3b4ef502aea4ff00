//! The types of null values. Terraform's nulls are typed (`tostring(null)` is a null
//! string, a `string` variable left null is one too), and `output -json` reports those
//! types inside an output's type. meshform's values carry no type when null, so the types
//! are read from the expressions instead: [`declared_type`] says what an output's
//! expression gives where that is fixed by how it is written, and [`patch`] puts those
//! types into a value's type JSON, at its null places only.

use hcl_edit::expr::{Expression, ObjectKey, TraversalOperator};
use serde_json::{Value as J, json};

use crate::config::Module;
use crate::eval::{Type, Value};

/// How deep references are followed (a local naming a local naming a variable ...).
const MAX_DEPTH: usize = 8;

/// The type `e` gives, as far as its form fixes it, in `module`; `None` where it depends
/// on values. A `for` expression gives a map (or list) type: the type of every element.
pub fn declared_type(module: &Module, e: &Expression) -> Option<Type> {
    declared(module, e, 0, None)
}

/// What a module instance's walk knows beyond the configuration.
pub trait Known {
    /// What the expression gives in the instance's own scope, if it evaluates.
    fn value(&self, e: &Expression) -> Option<Value>;
    /// The declared type of output `output` of the instance's module call `call`, as
    /// worked out when that output was evaluated.
    fn child_output(&self, call: &str, output: &str) -> Option<Type>;
}

/// [`declared_type`], falling back, where the form fixes nothing, on the type of the value
/// `known` gives for the part, when that is known and non-null (an arm `{}` then takes the
/// other arm's type even when that comes from `merge(...)`), and on the types worked out
/// for child module outputs.
pub fn declared_type_with(module: &Module, e: &Expression, known: &dyn Known) -> Option<Type> {
    declared(module, e, 0, Some(known))
}

type Eval<'a> = Option<&'a dyn Known>;

fn declared(m: &Module, e: &Expression, depth: usize, eval: Eval<'_>) -> Option<Type> {
    if depth > MAX_DEPTH {
        return None;
    }
    let by_form = by_form(m, e, depth, eval);
    by_form.or_else(|| {
        let v = eval?.value(e)?;
        let full = v.is_wholly_known() && !v.is_null();
        // A value says its whole type only where nothing in it is untyped (null, empty).
        full.then(|| crate::eval::types::type_of(&v)).filter(fully_typed)
    })
}

/// Whether a value has places its own contents do not type: a null, or an empty
/// collection, anywhere in it.
pub fn has_untyped_places(v: &Value) -> bool {
    match v.peel() {
        Value::Null => true,
        Value::List(xs) | Value::Set(xs) | Value::Tuple(xs) => xs.is_empty() || xs.iter().any(has_untyped_places),
        Value::Map(m) | Value::Object(m) => m.is_empty() || m.values().any(has_untyped_places),
        _ => false,
    }
}

fn fully_typed(t: &Type) -> bool {
    match t {
        Type::Any => false,
        Type::String | Type::Number | Type::Bool => true,
        Type::List(e) | Type::Set(e) | Type::Map(e) => fully_typed(e),
        Type::Tuple(ts) => ts.iter().all(fully_typed),
        Type::Object(attrs) => attrs.values().all(|a| fully_typed(&a.ty)),
    }
}

fn by_form(m: &Module, e: &Expression, depth: usize, eval: Eval<'_>) -> Option<Type> {
    let d = |e: &Expression| declared(m, e, depth + 1, eval);
    match e {
        Expression::String(_) | Expression::StringTemplate(_) | Expression::HeredocTemplate(_) => Some(Type::String),
        Expression::Number(_) => Some(Type::Number),
        Expression::Bool(_) => Some(Type::Bool),
        Expression::Parenthesis(p) => d(p.inner()),
        Expression::Array(items) => Some(Type::Tuple(items.iter().map(|i| d(i).unwrap_or(Type::Any)).collect())),
        Expression::Object(obj) => {
            let mut attrs = std::collections::BTreeMap::new();
            for (k, v) in obj.iter() {
                let key = match k {
                    ObjectKey::Ident(i) => i.as_str().to_string(),
                    ObjectKey::Expression(Expression::Variable(v)) => v.value().as_str().to_string(),
                    ObjectKey::Expression(Expression::String(s)) => s.value().to_string(),
                    ObjectKey::Expression(_) => return None,
                };
                let ty = d(v.expr()).unwrap_or(Type::Any);
                attrs.insert(key, crate::eval::types::ObjectAttr { ty, optional: None });
            }
            Some(Type::Object(attrs))
        }
        Expression::Conditional(c) => match (&c.true_expr, &c.false_expr) {
            (Expression::Null(_), other) | (other, Expression::Null(_)) => d(other),
            // An empty `[]` or `{}` takes its type from the other arm.
            (a, b) => match (d(a), d(b)) {
                (Some(Type::Tuple(t)), Some(other)) if t.is_empty() => Some(other),
                (Some(Type::Object(o)), Some(other)) if o.is_empty() => Some(other),
                (Some(other), Some(Type::Tuple(t))) if t.is_empty() => Some(other),
                (Some(other), Some(Type::Object(o))) if o.is_empty() => Some(other),
                // Arms meet at a collection type where one of them is one.
                (Some(Type::Tuple(_) | Type::Object(_)), Some(c @ (Type::List(_) | Type::Set(_) | Type::Map(_)))) => {
                    Some(c)
                }
                (x, y) => x.or(y),
            },
        },
        Expression::FuncCall(f) if f.name.namespace.is_empty() => match f.name.name.as_str() {
            "tostring" | "format" | "join" | "upper" | "lower" | "title" | "trimspace" | "trim" | "replace"
            | "substr" | "jsonencode" | "yamlencode" | "base64encode" | "base64decode" | "sha256" | "md5"
            | "formatdate" | "timestamp" | "chomp" | "indent" | "templatefile" | "file" | "abspath" | "basename"
            | "dirname" => Some(Type::String),
            "tonumber" | "length" | "max" | "min" | "abs" | "ceil" | "floor" | "parseint" => Some(Type::Number),
            "tobool" | "contains" | "can" | "startswith" | "endswith" | "strcontains" | "alltrue" | "anytrue" => {
                Some(Type::Bool)
            }
            "compact" | "split" | "formatlist" | "sort" => Some(Type::List(Box::new(Type::String))),
            _ => None,
        },
        Expression::ForExpr(f) => {
            let each = d(&f.value_expr).unwrap_or(Type::Any);
            Some(if f.key_expr.is_some() { Type::Map(Box::new(each)) } else { Type::List(Box::new(each)) })
        }
        Expression::Traversal(t) => {
            let Expression::Variable(root) = &t.expr else { return None };
            let names: Vec<&str> = t
                .operators
                .iter()
                .map_while(|op| match op.value() {
                    TraversalOperator::GetAttr(a) => Some(a.as_str()),
                    _ => None,
                })
                .collect();
            if names.len() != t.operators.len() {
                return None;
            }
            let (base, rest) = match (root.value().as_str(), names.as_slice()) {
                ("var", [name, rest @ ..]) => (m.variables.get(*name).and_then(variable_type)?, rest),
                ("local", [name, rest @ ..]) => (declared(m, &m.locals.get(*name)?.expr.expr, depth + 1, eval)?, rest),
                ("module", [call]) => {
                    let child = &m.module_calls.get(*call)?;
                    if child.count.is_some() || child.for_each.is_some() {
                        return None;
                    }
                    let attrs = child
                        .module
                        .outputs
                        .iter()
                        .map(|(n, o)| {
                            let ty = declared(&child.module, &o.value.expr, depth + 1, None).unwrap_or(Type::Any);
                            (n.clone(), crate::eval::types::ObjectAttr { ty, optional: None })
                        })
                        .collect();
                    (Type::Object(attrs), &[][..])
                }
                ("module", [call, output, rest @ ..])
                    if eval.is_some_and(|k| k.child_output(call, output).is_some()) =>
                {
                    (eval?.child_output(call, output)?, rest)
                }
                ("module", [call, output, rest @ ..]) => {
                    let child = &m.module_calls.get(*call)?;
                    if child.count.is_some() || child.for_each.is_some() {
                        return None;
                    }
                    let out = child.module.outputs.get(*output)?;
                    (declared(&child.module, &out.value.expr, depth + 1, None)?, rest)
                }
                _ => return None,
            };
            rest.iter().try_fold(base, |ty, name| match ty {
                Type::Object(attrs) => attrs.get(*name).map(|a| a.ty.clone()),
                _ => None,
            })
        }
        _ => None,
    }
}

fn variable_type(v: &crate::config::Variable) -> Option<Type> {
    let t = v.type_expr.as_ref()?;
    crate::eval::types::parse_type_constraint(&t.expr, t.file, &|e| {
        crate::eval::expr::eval(e, t.file, &crate::eval::expr::ConstantScope)
    })
    .ok()
}

/// `base`, the type JSON of `value`, with the types `source` (a type JSON) gives at the
/// places where `value` is null and `base` says `"dynamic"`. Everything else stays as it
/// is, so the value reads back from its JSON exactly as before.
pub fn patch(base: J, value: &Value, source: &J) -> J {
    let kind = |t: &J| t.get(0).and_then(J::as_str).map(str::to_string);
    match value.peel() {
        Value::Null if base == json!("dynamic") && source != &J::Null => source.clone(),
        Value::Object(m) | Value::Map(m) => {
            let (Some(bk), Some(sk)) = (kind(&base), kind(source)) else { return base };
            let inner = |k: &str| -> J {
                match sk.as_str() {
                    "object" => source.get(1).and_then(|o| o.get(k)).cloned().unwrap_or(J::Null),
                    "map" => source.get(1).cloned().unwrap_or(J::Null),
                    _ => J::Null,
                }
            };
            match (bk.as_str(), base.get(1)) {
                ("object", Some(J::Object(attrs))) => {
                    let patched: serde_json::Map<String, J> = attrs
                        .iter()
                        .map(|(k, t)| {
                            let v = m.get(k).cloned().unwrap_or(Value::Null);
                            (k.clone(), patch(t.clone(), &v, &inner(k)))
                        })
                        .collect();
                    json!(["object", patched])
                }
                ("map", Some(elem)) if m.values().all(Value::is_null) && sk == "map" => {
                    json!(["map", patch(elem.clone(), &Value::Null, &inner(""))])
                }
                _ => base,
            }
        }
        Value::Tuple(xs) => {
            let (Some(sk), Some(J::Array(types))) = (kind(source), base.get(1).cloned()) else { return base };
            let patched: Vec<J> = types
                .into_iter()
                .zip(xs)
                .enumerate()
                .map(|(i, (t, v))| {
                    let s = match sk.as_str() {
                        "tuple" => source.get(1).and_then(|s| s.get(i)).cloned().unwrap_or(J::Null),
                        "list" | "set" => source.get(1).cloned().unwrap_or(J::Null),
                        _ => J::Null,
                    };
                    patch(t, v, &s)
                })
                .collect();
            json!(["tuple", patched])
        }
        Value::List(xs) | Value::Set(xs) if xs.iter().all(Value::is_null) => {
            let (Some(bk), Some(elem)) = (kind(&base), base.get(1).cloned()) else { return base };
            match kind(source).as_deref() {
                Some("list" | "set") => {
                    let s = source.get(1).cloned().unwrap_or(J::Null);
                    json!([bk, patch(elem, &Value::Null, &s)])
                }
                Some("map") if bk == "map" => {
                    let s = source.get(1).cloned().unwrap_or(J::Null);
                    json!([bk, patch(elem, &Value::Null, &s)])
                }
                _ => base,
            }
        }
        _ => base,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn declared_of(src: &str, text: &str) -> Option<Type> {
        let sources = crate::diag::SourceMap::new();
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("main.tf"), src).expect("write");
        let (m, d) = crate::config::Loader::new(sources.clone(), dir.path()).load(dir.path());
        assert!(!d.has_errors(), "{d:?}");
        let e = crate::config::parse_expression(&sources, "e", text).expect("expression");
        declared_type(&m, &e.expr)
    }

    #[test]
    fn types_come_from_conversions_variables_locals_and_branches() {
        let src = "variable \"s\" {\n  type = string\n}\nvariable \"o\" {\n  type = object({ a = number })\n}\nlocals {\n  l = tobool(null)\n}\n";
        assert_eq!(declared_of(src, "tostring(null)"), Some(Type::String));
        assert_eq!(declared_of(src, "var.s"), Some(Type::String));
        assert_eq!(declared_of(src, "var.o.a"), Some(Type::Number));
        assert_eq!(declared_of(src, "local.l"), Some(Type::Bool));
        assert_eq!(declared_of(src, "true ? null : var.s"), Some(Type::String));
        assert_eq!(declared_of(src, "{ for k in [1] : k => var.s }"), Some(Type::Map(Box::new(Type::String))));
        assert_eq!(declared_of(src, "false ? [\"x\"] : compact([])"), Some(Type::List(Box::new(Type::String))));
        assert_eq!(declared_of(src, "merge(var.o, {})"), None);
    }

    #[test]
    fn patching_touches_only_null_places() {
        let v = Value::object([("a", Value::Null), ("b", Value::from("x"))]);
        let base = json!(["object", {"a": "dynamic", "b": "string"}]);
        let source = json!(["object", {"a": "string", "b": "number"}]);
        assert_eq!(patch(base, &v, &source), json!(["object", {"a": "string", "b": "string"}]));
        let t = Value::Tuple(vec![Value::Null, Value::Null]);
        let base = json!(["tuple", ["dynamic", "dynamic"]]);
        assert_eq!(
            patch(base.clone(), &t, &json!(["tuple", ["number", "dynamic"]])),
            json!(["tuple", ["number", "dynamic"]])
        );
        assert_eq!(patch(base, &t, &json!(["list", "bool"])), json!(["tuple", ["bool", "bool"]]));
    }
}
