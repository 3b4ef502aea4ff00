//! Type constraints (`string`, `list(number)`, `object({ a = optional(string, "x") })`, ...)
//! and the conversions Terraform applies when a value meets one.

use std::collections::BTreeMap;
use std::sync::Arc;

use hcl_edit::Span as _;
use hcl_edit::expr::{Expression, ObjectKey};

use super::Value;
use crate::diag::{Diagnostic, FileId, Span};

/// A type constraint as written in a `variable` block or a conversion function.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Type {
    /// `any`: accepts every value; inside a collection, elements are brought to one type.
    Any,
    String,
    Number,
    Bool,
    List(Box<Type>),
    Set(Box<Type>),
    Map(Box<Type>),
    Tuple(Vec<Type>),
    Object(BTreeMap<String, ObjectAttr>),
}

/// One attribute of an object type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectAttr {
    pub ty: Type,
    /// `Some` when declared `optional(...)`; the inner value is the default (`Null` if none).
    pub optional: Option<Value>,
}

/// Why a value could not be converted to a type. `path` names where inside the value
/// (`["a"][0]`), empty at the top.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConversionError {
    pub path: String,
    pub message: String,
}

impl std::fmt::Display for ConversionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.path.is_empty() { write!(f, "{}", self.message) } else { write!(f, "{}: {}", self.path, self.message) }
    }
}

fn fail<T>(message: impl Into<String>) -> Result<T, ConversionError> {
    Err(ConversionError { path: String::new(), message: message.into() })
}

fn at(prefix: String, mut e: ConversionError) -> ConversionError {
    e.path = format!("{prefix}{}", e.path);
    e
}

/// Converts `value` to `ty` as Terraform does for variables and the `to*` functions.
/// Marks and unknowns pass through; null is accepted by every type.
pub fn convert(value: Value, ty: &Type) -> Result<Value, ConversionError> {
    let (value, marked) = value.unmark();
    let out = match value {
        Value::Null | Value::Unknown => value,
        v => convert_known(v, ty)?,
    };
    Ok(out.mark_if(marked))
}

fn convert_known(v: Value, ty: &Type) -> Result<Value, ConversionError> {
    match ty {
        Type::Any => Ok(v),
        Type::String => match &v {
            Value::String(_) => Ok(v),
            Value::Number(n) => Ok(Value::String(n.to_string())),
            Value::Bool(b) => Ok(Value::String(b.to_string())),
            _ => fail("string required"),
        },
        Type::Number => match &v {
            Value::Number(_) => Ok(v),
            Value::String(s) => super::Number::parse(s)
                .map(Value::Number)
                .ok_or_else(|| ConversionError { path: String::new(), message: "a number is required".into() }),
            _ => fail("number required"),
        },
        Type::Bool => match &v {
            Value::Bool(_) => Ok(v),
            Value::String(s) if s == "true" || s == "1" => Ok(Value::Bool(true)),
            Value::String(s) if s == "false" || s == "0" => Ok(Value::Bool(false)),
            Value::String(_) => fail("a bool is required"),
            _ => fail("bool required"),
        },
        Type::List(el) | Type::Set(el) => {
            let items = match v {
                Value::List(xs) | Value::Tuple(xs) | Value::Set(xs) => xs,
                _ => {
                    return fail(
                        if matches!(ty, Type::Set(_)) { "set of " } else { "list of " }.to_string()
                            + &el.friendly_name()
                            + " required",
                    );
                }
            };
            let items = convert_elements(items, el)?;
            Ok(if matches!(ty, Type::Set(_)) { Value::set(items) } else { Value::List(items) })
        }
        Type::Map(el) => {
            let m = match v {
                Value::Map(m) | Value::Object(m) => m,
                _ => return fail(format!("map of {} required", el.friendly_name())),
            };
            let (keys, vals): (Vec<String>, Vec<Value>) = Arc::unwrap_or_clone(m).into_iter().unzip();
            let target = if **el == Type::Any {
                unified_type(&vals).map_err(|m| ConversionError { path: String::new(), message: m })?
            } else {
                (**el).clone()
            };
            let mut out = BTreeMap::new();
            for (k, x) in keys.into_iter().zip(vals) {
                let c = convert(x, &target).map_err(|e| at(format!("[{k:?}]"), e))?;
                out.insert(k, c);
            }
            Ok(Value::Map(out.into()))
        }
        Type::Tuple(types) => {
            let items = match v {
                Value::List(xs) | Value::Tuple(xs) => xs,
                _ => return fail("tuple required"),
            };
            if items.len() != types.len() {
                return fail(format!("tuple required with {} elements", types.len()));
            }
            let out = items
                .into_iter()
                .zip(types)
                .enumerate()
                .map(|(i, (x, t))| convert(x, t).map_err(|e| at(format!("[{i}]"), e)))
                .collect::<Result<_, _>>()?;
            Ok(Value::Tuple(out))
        }
        Type::Object(attrs) => {
            let mut m = match v {
                Value::Map(m) | Value::Object(m) => Arc::unwrap_or_clone(m),
                _ => return fail("object required"),
            };
            let mut out = BTreeMap::new();
            for (name, a) in attrs {
                let value = match m.remove(name) {
                    Some(Value::Null) | None if a.optional.is_some() => a.optional.clone().unwrap_or(Value::Null),
                    Some(x) => x,
                    None => return fail(format!("attribute \"{name}\" is required")),
                };
                let c = convert(value, &a.ty).map_err(|e| at(format!(".{name}"), e))?;
                out.insert(name.clone(), c);
            }
            Ok(Value::Object(out.into()))
        }
    }
}

/// Converts list elements to `el`; with `any`, to the one type they all convert to.
fn convert_elements(items: Vec<Value>, el: &Type) -> Result<Vec<Value>, ConversionError> {
    let target = if *el == Type::Any {
        unified_type(&items).map_err(|m| ConversionError { path: String::new(), message: m })?
    } else {
        el.clone()
    };
    items.into_iter().enumerate().map(|(i, x)| convert(x, &target).map_err(|e| at(format!("[{i}]"), e))).collect()
}

/// Why [`unified_type`] found no type for a set of values.
pub const NO_COMMON_TYPE: &str = "all elements must have the same type";

/// The one type a set of values can all be converted to, as Terraform unifies the
/// elements of `list(any)`: mixed primitives become strings, lists of lists unify
/// their elements, objects of one shape stay objects.
pub fn unified_type(values: &[Value]) -> Result<Type, String> {
    let known: Vec<&Value> =
        values.iter().map(Value::peel).filter(|v| !matches!(v, Value::Null | Value::Unknown)).collect();
    let Some(first) = known.first() else {
        return Ok(Type::Any);
    };
    let primitive = |v: &Value| matches!(v, Value::String(_) | Value::Number(_) | Value::Bool(_));
    if known.iter().all(|v| primitive(v)) {
        // Mixed primitives meet at string, but only where a string is among them: a
        // number and a bool alone have no type in common.
        let t = type_of(first);
        if known.iter().all(|v| type_of(v) == t) {
            return Ok(t);
        }
        if known.iter().any(|v| matches!(v, Value::String(_))) {
            return Ok(Type::String);
        }
        return Err(NO_COMMON_TYPE.into());
    }
    if known.iter().all(|v| v.as_seq().is_some() && !matches!(v, Value::Set(_))) {
        let all: Vec<Value> = known.iter().flat_map(|v| v.as_seq().unwrap_or(&[]).to_vec()).collect();
        return Ok(Type::List(Box::new(unified_type(&all)?)));
    }
    if known.iter().all(|v| matches!(v, Value::Object(_))) {
        let shape = |v: &Value| v.as_map().map(|m| m.keys().cloned().collect::<Vec<_>>());
        if known.iter().all(|v| shape(v) == shape(first)) {
            let mut attrs = BTreeMap::new();
            for k in first.as_map().map(|m| m.keys().cloned().collect::<Vec<_>>()).unwrap_or_default() {
                let vals: Vec<Value> = known.iter().filter_map(|v| v.get_attr(&k).cloned()).collect();
                attrs.insert(k, ObjectAttr { ty: unified_type(&vals)?, optional: None });
            }
            return Ok(Type::Object(attrs));
        }
    }
    if known.iter().all(|v| v.as_map().is_some()) {
        let all: Vec<Value> = known
            .iter()
            .flat_map(|v| v.as_map().map(|m| m.values().cloned().collect::<Vec<_>>()).unwrap_or_default())
            .collect();
        return Ok(Type::Map(Box::new(unified_type(&all)?)));
    }
    if known.iter().all(|v| matches!(v, Value::Set(_))) {
        let all: Vec<Value> = known.iter().flat_map(|v| v.as_seq().unwrap_or(&[]).to_vec()).collect();
        return Ok(Type::Set(Box::new(unified_type(&all)?)));
    }
    Err(NO_COMMON_TYPE.into())
}

/// The values brought to the one type they all convert to ([`unified_type`]), as
/// Terraform unifies a function's arguments or a collection's elements.
pub fn unify(values: Vec<Value>) -> Result<Vec<Value>, String> {
    let ty = unified_type(&values)?;
    values.into_iter().map(|v| convert(v, &ty).map_err(|e| e.to_string())).collect()
}

/// The type of a value.
pub fn type_of(v: &Value) -> Type {
    match v.peel() {
        Value::Null | Value::Unknown | Value::Sensitive(_) => Type::Any,
        Value::Bool(_) => Type::Bool,
        Value::Number(_) => Type::Number,
        Value::String(_) => Type::String,
        Value::List(xs) => Type::List(Box::new(xs.first().map_or(Type::Any, type_of))),
        Value::Set(xs) => Type::Set(Box::new(xs.first().map_or(Type::Any, type_of))),
        Value::Map(m) => Type::Map(Box::new(m.values().next().map_or(Type::Any, type_of))),
        Value::Tuple(xs) => Type::Tuple(xs.iter().map(type_of).collect()),
        Value::Object(m) => {
            Type::Object(m.iter().map(|(k, x)| (k.clone(), ObjectAttr { ty: type_of(x), optional: None })).collect())
        }
    }
}

impl Type {
    /// Terraform's spelling of the type, as in error messages: `list(string)`.
    pub fn friendly_name(&self) -> String {
        match self {
            Type::Any => "any".into(),
            Type::String => "string".into(),
            Type::Number => "number".into(),
            Type::Bool => "bool".into(),
            Type::List(t) => format!("list({})", t.friendly_name()),
            Type::Set(t) => format!("set({})", t.friendly_name()),
            Type::Map(t) => format!("map({})", t.friendly_name()),
            Type::Tuple(ts) => {
                format!("tuple([{}])", ts.iter().map(Type::friendly_name).collect::<Vec<_>>().join(", "))
            }
            Type::Object(attrs) => format!(
                "object({{{}}})",
                attrs.iter().map(|(k, a)| format!("{k}={}", a.ty.friendly_name())).collect::<Vec<_>>().join(", ")
            ),
        }
    }

    /// The type as Terraform's type JSON (`"string"`, `["list","number"]`).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::json;
        match self {
            Type::Any => json!("dynamic"),
            Type::String => json!("string"),
            Type::Number => json!("number"),
            Type::Bool => json!("bool"),
            Type::List(t) => json!(["list", t.to_json()]),
            Type::Set(t) => json!(["set", t.to_json()]),
            Type::Map(t) => json!(["map", t.to_json()]),
            Type::Tuple(ts) => json!(["tuple", ts.iter().map(Type::to_json).collect::<Vec<_>>()]),
            Type::Object(attrs) => {
                let m: serde_json::Map<String, serde_json::Value> =
                    attrs.iter().map(|(k, a)| (k.clone(), a.ty.to_json())).collect();
                json!(["object", m])
            }
        }
    }
}

/// The type of a value, as `terraform output -json` reports it in its `type` field
/// (`"string"`, `["list","number"]`, `["object",{...}]`).
pub fn type_json(value: &Value) -> serde_json::Value {
    use serde_json::json;
    match value.peel() {
        Value::List(xs) => json!(["list", element_type_json(xs)]),
        Value::Set(xs) => json!(["set", element_type_json(xs)]),
        Value::Map(m) => json!(["map", element_type_json(&m.values().cloned().collect::<Vec<_>>())]),
        Value::Tuple(xs) => json!(["tuple", xs.iter().map(type_json).collect::<Vec<_>>()]),
        Value::Object(m) => {
            let attrs: serde_json::Map<String, serde_json::Value> =
                m.iter().map(|(k, v)| (k.clone(), type_json(v))).collect();
            json!(["object", attrs])
        }
        other => type_of(other).to_json(),
    }
}

fn element_type_json(xs: &[Value]) -> serde_json::Value {
    xs.iter().find(|x| !x.is_null() && !x.is_unknown()).map_or(serde_json::json!("dynamic"), type_json)
}

/// Parses a type constraint expression (`list(string)`, `object({...})`); `eval_default`
/// evaluates the default of an `optional(type, default)`.
pub fn parse_type_constraint(
    expr: &Expression,
    file: FileId,
    eval_default: &dyn Fn(&Expression) -> Result<Value, Diagnostic>,
) -> Result<Type, Diagnostic> {
    TypeParser { file, eval_default }.parse(expr, false).map(|(t, _)| t)
}

struct TypeParser<'a> {
    file: FileId,
    eval_default: &'a dyn Fn(&Expression) -> Result<Value, Diagnostic>,
}

impl TypeParser<'_> {
    fn error(&self, e: &Expression, detail: impl Into<String>) -> Diagnostic {
        Diagnostic::error("Invalid type specification")
            .with_detail(detail)
            .with_span(Span::from_opt(self.file, e.span()))
    }

    /// Returns the type and, inside an object, the optional marker.
    fn parse(&self, e: &Expression, in_object: bool) -> Result<(Type, Option<Value>), Diagnostic> {
        match e {
            Expression::Variable(v) => Ok((self.keyword(v.value().as_str(), e)?, None)),
            Expression::String(s) => Ok((self.keyword(s.value(), e)?, None)),
            Expression::Parenthesis(p) => self.parse(p.inner(), in_object),
            Expression::FuncCall(f) => {
                let name = f.name.name.as_str();
                let args: Vec<&Expression> = f.args.iter().collect();
                let one = |what: &str| -> Result<&Expression, Diagnostic> {
                    match args[..] {
                        [a] => Ok(a),
                        _ => Err(self.error(e, format!("The {what} type constructor requires one argument specifying the element type."))),
                    }
                };
                match name {
                    "list" => Ok((Type::List(Box::new(self.parse(one("list")?, false)?.0)), None)),
                    "set" => Ok((Type::Set(Box::new(self.parse(one("set")?, false)?.0)), None)),
                    "map" => Ok((Type::Map(Box::new(self.parse(one("map")?, false)?.0)), None)),
                    "tuple" => match one("tuple")? {
                        Expression::Array(items) => Ok((Type::Tuple(items.iter().map(|i| self.parse(i, false).map(|p| p.0)).collect::<Result<_, _>>()?), None)),
                        other => Err(self.error(other, "The tuple type constructor requires a list of element types.")),
                    },
                    "object" => match one("object")? {
                        Expression::Object(obj) => {
                            let mut attrs = BTreeMap::new();
                            for (k, v) in obj.iter() {
                                let key = match k {
                                    ObjectKey::Ident(i) => i.as_str().to_string(),
                                    ObjectKey::Expression(Expression::String(s)) => s.value().to_string(),
                                    ObjectKey::Expression(Expression::Variable(v)) => v.value().as_str().to_string(),
                                    ObjectKey::Expression(other) => return Err(self.error(other, "Object type attribute names must be identifiers.")),
                                };
                                let (ty, optional) = self.parse(v.expr(), true)?;
                                attrs.insert(key, ObjectAttr { ty, optional });
                            }
                            Ok((Type::Object(attrs), None))
                        }
                        other => Err(self.error(other, "The object type constructor requires an object of attribute types.")),
                    },
                    "optional" if in_object => {
                        let (ty, _) = match args.first() {
                            Some(a) => self.parse(a, false)?,
                            None => return Err(self.error(e, "optional requires a type.")),
                        };
                        let default = match args.get(1) {
                            Some(d) => {
                                let v = (self.eval_default)(d)?;
                                convert(v, &ty).map_err(|c| self.error(d, format!("Invalid default value for optional attribute: {c}.")))?
                            }
                            None => Value::Null,
                        };
                        Ok((ty, Some(default)))
                    }
                    "optional" => Err(self.error(e, "Keyword \"optional\" is valid only as a modifier for object type attributes.")),
                    other => Err(self.error(e, format!("Keyword \"{other}\" is not a valid type constructor."))),
                }
            }
            other => Err(self.error(other, "A type specification is either a primitive type keyword (bool, number, string) or a complex type constructor call, like list(string).")),
        }
    }

    fn keyword(&self, name: &str, e: &Expression) -> Result<Type, Diagnostic> {
        Ok(match name {
            "string" => Type::String,
            "number" => Type::Number,
            "bool" => Type::Bool,
            "any" => Type::Any,
            "list" => Type::List(Box::new(Type::Any)),
            "map" => Type::Map(Box::new(Type::Any)),
            "set" => Type::Set(Box::new(Type::Any)),
            other => {
                return Err(self.error(e, format!("The keyword \"{other}\" is not a valid type specification.")));
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ty(src: &str) -> Type {
        let e = hcl_edit::parser::parse_expr(src).unwrap();
        parse_type_constraint(&e, FileId(0), &|d| {
            crate::eval::expr::eval(d, FileId(0), &crate::eval::expr::ConstantScope)
        })
        .unwrap()
    }

    fn val(src: &str) -> Value {
        let e = hcl_edit::parser::parse_expr(src).unwrap();
        crate::eval::expr::eval(&e, FileId(0), &crate::eval::expr::ConstantScope).unwrap()
    }

    // Expected values are what Terraform 1.11 gives for the same variable defaults.
    #[test]
    fn list_of_any_unifies_to_strings() {
        let v = convert(val("[1, \"a\"]"), &ty("list(any)")).unwrap();
        assert_eq!(v, Value::List(vec![Value::from("1"), Value::from("a")]));
        assert_eq!(type_json(&v), serde_json::json!(["list", "string"]));
    }

    #[test]
    fn objects_get_optional_defaults_and_lose_extra_attributes() {
        let t = ty("object({ x = optional(string, \"d\"), y = optional(number), z = list(string) })");
        let v = convert(val("{ z = [1, true], extra = 1 }"), &t).unwrap();
        assert_eq!(
            v,
            Value::object([
                ("x", Value::from("d")),
                ("y", Value::Null),
                ("z", Value::List(vec![Value::from("1"), Value::from("true")]))
            ])
        );
    }

    #[test]
    fn sets_sort_and_tuples_convert_per_element() {
        assert_eq!(
            convert(val("[\"b\", \"a\", \"b\"]"), &ty("set(string)")).unwrap(),
            Value::set(vec!["a".into(), "b".into()])
        );
        assert_eq!(
            convert(val("[\"1\", \"2\"]"), &ty("tuple([string, number])")).unwrap(),
            Value::Tuple(vec!["1".into(), Value::from(2)])
        );
    }

    #[test]
    fn errors_say_where() {
        let e = convert(val("{ z = [{}] }"), &ty("object({ z = list(string) })")).unwrap_err();
        assert_eq!(e.to_string(), ".z[0]: string required");
        let e = convert(val("\"many\""), &Type::Number).unwrap_err();
        assert_eq!(e.message, "a number is required");
        let e = convert(val("{}"), &ty("object({ a = string })")).unwrap_err();
        assert_eq!(e.message, "attribute \"a\" is required");
    }
}
