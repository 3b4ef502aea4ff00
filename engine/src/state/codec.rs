//! Values in files: plain JSON plus a type description (Terraform's type JSON, as in
//! `output -json`), so lists stay lists, sets stay sets and maps stay maps when read back;
//! and sensitive marks recorded as paths beside the value.

use std::collections::BTreeMap;

use serde_json::Value as J;

use crate::eval::types::type_json;
use crate::eval::{Number, Value};

/// A value as `(plain JSON, type JSON)`.
pub fn encode(v: &Value) -> (J, J) {
    (v.to_json(), type_json(v))
}

/// Reads a value back from its JSON and type JSON.
pub fn decode(j: &J, ty: &J) -> Result<Value, String> {
    if j.is_null() {
        return Ok(Value::Null);
    }
    match ty {
        J::String(t) => match t.as_str() {
            "string" => j.as_str().map(Value::from).ok_or_else(|| format!("expected a string, found {j}")),
            "number" => number(j),
            "bool" => j.as_bool().map(Value::Bool).ok_or_else(|| format!("expected a bool, found {j}")),
            "dynamic" => Ok(Value::from_json(j)),
            other => Err(format!("unknown type {other:?}")),
        },
        J::Array(parts) => {
            let kind = parts.first().and_then(J::as_str).unwrap_or_default();
            let inner = parts.get(1).unwrap_or(&J::Null);
            match kind {
                "list" | "set" => {
                    let items = j.as_array().ok_or_else(|| format!("expected a {kind}, found {j}"))?;
                    let vals = items.iter().map(|x| decode(x, inner)).collect::<Result<Vec<_>, _>>()?;
                    Ok(if kind == "list" { Value::List(vals) } else { Value::set(vals) })
                }
                "tuple" => {
                    let items = j.as_array().ok_or_else(|| format!("expected a tuple, found {j}"))?;
                    let types = inner.as_array().ok_or("a tuple type needs a list of element types")?;
                    if items.len() != types.len() {
                        return Err("tuple length does not match its type".into());
                    }
                    Ok(Value::Tuple(items.iter().zip(types).map(|(x, t)| decode(x, t)).collect::<Result<_, _>>()?))
                }
                "map" => {
                    let m = j.as_object().ok_or_else(|| format!("expected a map, found {j}"))?;
                    let entries: BTreeMap<String, Value> =
                        m.iter().map(|(k, x)| Ok((k.clone(), decode(x, inner)?))).collect::<Result<_, String>>()?;
                    Ok(Value::Map(entries.into()))
                }
                "object" => {
                    let m = j.as_object().ok_or_else(|| format!("expected an object, found {j}"))?;
                    let types = inner.as_object().ok_or("an object type needs attribute types")?;
                    let mut out = BTreeMap::new();
                    for (k, x) in m {
                        let t = types.get(k).unwrap_or(&J::Null);
                        out.insert(k.clone(), if t.is_null() { Value::from_json(x) } else { decode(x, t)? });
                    }
                    Ok(Value::Object(out.into()))
                }
                other => Err(format!("unknown type {other:?}")),
            }
        }
        J::Null => Ok(Value::from_json(j)),
        other => Err(format!("invalid type description {other}")),
    }
}

fn number(j: &J) -> Result<Value, String> {
    match j {
        J::Number(n) => Number::parse(&n.to_string()).map(Value::Number).ok_or_else(|| format!("invalid number {n}")),
        J::String(s) => Number::parse(s).map(Value::Number).ok_or_else(|| format!("invalid number {s:?}")),
        other => Err(format!("expected a number, found {other}")),
    }
}

/// One step into a value: an attribute or map key, or a list index.
fn step_json(k: &str) -> J {
    J::String(k.to_string())
}

/// Paths (as JSON arrays of keys and indexes) of every sensitive part of a value.
pub fn sensitive_paths(v: &Value) -> Vec<J> {
    let mut out = Vec::new();
    walk_marks(v, &mut Vec::new(), &mut out);
    out
}

fn walk_marks(v: &Value, path: &mut Vec<J>, out: &mut Vec<J>) {
    match v {
        Value::Sensitive(_) => out.push(J::Array(path.clone())),
        Value::List(xs) | Value::Tuple(xs) => {
            for (i, x) in xs.iter().enumerate() {
                path.push(J::from(i));
                walk_marks(x, path, out);
                path.pop();
            }
        }
        Value::Set(xs) if xs.iter().any(Value::contains_sensitive) => out.push(J::Array(path.clone())),
        Value::Map(m) | Value::Object(m) => {
            for (k, x) in m.iter() {
                path.push(step_json(k));
                walk_marks(x, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

/// Puts sensitive marks back at the given paths; paths that do not exist are ignored.
pub fn mark_paths(v: Value, paths: &[J]) -> Value {
    paths.iter().fold(v, |v, p| match p.as_array() {
        Some(steps) => mark_at(v, steps),
        None => v,
    })
}

fn mark_at(v: Value, steps: &[J]) -> Value {
    let Some((first, rest)) = steps.split_first() else {
        return v.mark_sensitive();
    };
    match (v, first) {
        (Value::Object(mut m), J::String(k)) => {
            let inner = std::sync::Arc::make_mut(&mut m);
            if let Some(x) = inner.remove(k) {
                inner.insert(k.clone(), mark_at(x, rest));
            }
            Value::Object(m)
        }
        (Value::Map(mut m), J::String(k)) => {
            let inner = std::sync::Arc::make_mut(&mut m);
            if let Some(x) = inner.remove(k) {
                inner.insert(k.clone(), mark_at(x, rest));
            }
            Value::Map(m)
        }
        (Value::List(xs), J::Number(i)) => Value::List(mark_index(xs, i, rest)),
        (Value::Tuple(xs), J::Number(i)) => Value::Tuple(mark_index(xs, i, rest)),
        (other, _) => other,
    }
}

fn mark_index(mut xs: Vec<Value>, i: &serde_json::Number, rest: &[J]) -> Vec<Value> {
    if let Some(slot) = i.as_u64().and_then(|i| xs.get_mut(usize::try_from(i).ok()?)) {
        let x = std::mem::replace(slot, Value::Null);
        *slot = mark_at(x, rest);
    }
    xs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(v: Value) {
        let (j, t) = encode(&v);
        let text = serde_json::to_string(&(j, t)).unwrap();
        let (j, t): (J, J) = serde_json::from_str(&text).unwrap();
        assert_eq!(decode(&j, &t).unwrap(), v);
    }

    #[test]
    fn collections_keep_their_kind() {
        round_trip(Value::List(vec![Value::from(1), Value::from(2)]));
        round_trip(Value::set(vec![Value::from("b"), Value::from("a")]));
        round_trip(Value::Map(std::sync::Arc::new([("k".to_string(), Value::from(true))].into())));
        round_trip(Value::object([("t", Value::Tuple(vec![Value::from("x"), Value::from(3)])), ("n", Value::Null)]));
        round_trip(Value::Number(Number::parse("123456789012345678901234567890").unwrap()));
    }

    #[test]
    fn marks_come_back_at_their_paths() {
        let v = Value::object([
            ("input", Value::object([("password", Value::from("p").mark_sensitive()), ("user", Value::from("u"))])),
            ("list", Value::List(vec![Value::from(1), Value::from(2).mark_sensitive()])),
        ]);
        let paths = sensitive_paths(&v);
        assert_eq!(paths.len(), 2);
        let plain = v.clone().unmark_deep().0;
        assert_eq!(mark_paths(plain, &paths), v);
    }
}
