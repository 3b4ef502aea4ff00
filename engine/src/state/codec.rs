//! Values in files, losslessly: plain JSON plus a type description (Terraform's type JSON),
//! so lists stay lists, sets stay sets and maps stay maps when read back; and sensitive
//! marks recorded as paths beside the value.
//!
//! The type is worked out from every element of a collection, not the first one: where
//! elements disagree (which a well-typed value never has, but a value is not checked
//! against a type when it is made), the element type is `"dynamic"` and each element is
//! written as `{"value": ..., "type": ...}`, as Terraform writes dynamically typed values.
//! So `decode(encode(v)) == v` for every value without unknowns.

use std::collections::BTreeMap;

use serde_json::{Value as J, json};

use crate::eval::{Number, Value};

/// A value as `(JSON, type JSON)`.
pub fn encode(v: &Value) -> (J, J) {
    let ty = Ty::of(v);
    (encode_as(v, &ty), ty.to_json())
}

/// What the codec knows of a value's type while working it out.
#[derive(Clone, Debug, PartialEq)]
enum Ty {
    /// Nothing is known: every value seen here was null, or the collection is empty.
    Unset,
    /// Values of different types meet here: each is written with its own type.
    Dynamic,
    Bool,
    Number,
    String,
    List(Box<Ty>),
    Set(Box<Ty>),
    Map(Box<Ty>),
    Tuple(Vec<Ty>),
    Object(BTreeMap<String, Ty>),
}

impl Ty {
    fn of(v: &Value) -> Ty {
        match v.peel() {
            Value::Null | Value::Unknown | Value::Sensitive(_) => Ty::Unset,
            Value::Bool(_) => Ty::Bool,
            Value::Number(_) => Ty::Number,
            Value::String(_) => Ty::String,
            Value::List(xs) => Ty::List(Box::new(Ty::elements(xs.iter()))),
            Value::Set(xs) => Ty::Set(Box::new(Ty::elements(xs.iter()))),
            Value::Map(m) => Ty::Map(Box::new(Ty::elements(m.values()))),
            Value::Tuple(xs) => Ty::Tuple(xs.iter().map(Ty::of).collect()),
            Value::Object(m) => Ty::Object(m.iter().map(|(k, x)| (k.clone(), Ty::of(x))).collect()),
        }
    }

    fn elements<'a>(xs: impl Iterator<Item = &'a Value>) -> Ty {
        xs.fold(Ty::Unset, |acc, x| acc.merge(Ty::of(x)))
    }

    /// The one type that describes values of both `self` and `other` exactly.
    fn merge(self, other: Ty) -> Ty {
        match (self, other) {
            (Ty::Unset, t) | (t, Ty::Unset) => t,
            (Ty::List(a), Ty::List(b)) => Ty::List(Box::new(a.merge(*b))),
            (Ty::Set(a), Ty::Set(b)) => Ty::Set(Box::new(a.merge(*b))),
            (Ty::Map(a), Ty::Map(b)) => Ty::Map(Box::new(a.merge(*b))),
            (Ty::Tuple(a), Ty::Tuple(b)) if a.len() == b.len() => {
                Ty::Tuple(a.into_iter().zip(b).map(|(a, b)| a.merge(b)).collect())
            }
            (Ty::Object(a), Ty::Object(b)) if a.keys().eq(b.keys()) => {
                let mut b = b;
                Ty::Object(
                    a.into_iter()
                        .map(|(k, t)| {
                            let u = b.remove(&k).unwrap_or(Ty::Unset);
                            (k, t.merge(u))
                        })
                        .collect(),
                )
            }
            (a, b) if a == b => a,
            _ => Ty::Dynamic,
        }
    }

    fn to_json(&self) -> J {
        match self {
            Ty::Unset | Ty::Dynamic => json!("dynamic"),
            Ty::Bool => json!("bool"),
            Ty::Number => json!("number"),
            Ty::String => json!("string"),
            Ty::List(t) => json!(["list", t.to_json()]),
            Ty::Set(t) => json!(["set", t.to_json()]),
            Ty::Map(t) => json!(["map", t.to_json()]),
            Ty::Tuple(ts) => json!(["tuple", ts.iter().map(Ty::to_json).collect::<Vec<_>>()]),
            Ty::Object(attrs) => {
                json!([
                    "object",
                    attrs.iter().map(|(k, t)| (k.clone(), t.to_json())).collect::<serde_json::Map<_, _>>()
                ])
            }
        }
    }

    /// The type an element or attribute is written with.
    fn element(&self) -> &Ty {
        match self {
            Ty::List(t) | Ty::Set(t) | Ty::Map(t) => t,
            _ => &Ty::Unset,
        }
    }
}

/// Writes `v` as a value of type `ty` (worked out by [`Ty::of`] for `v` or a collection
/// holding it).
fn encode_as(v: &Value, ty: &Ty) -> J {
    let v = v.peel();
    if v.is_null() || v.is_unknown() {
        return J::Null;
    }
    if matches!(ty, Ty::Dynamic | Ty::Unset) {
        let own = Ty::of(v);
        return json!({"value": encode_as(v, &own), "type": own.to_json()});
    }
    match v {
        Value::Bool(b) => J::Bool(*b),
        Value::Number(n) => number_json(n),
        Value::String(s) => J::String(s.clone()),
        Value::List(xs) | Value::Set(xs) => J::Array(xs.iter().map(|x| encode_as(x, ty.element())).collect()),
        Value::Map(m) => J::Object(m.iter().map(|(k, x)| (k.clone(), encode_as(x, ty.element()))).collect()),
        Value::Tuple(xs) => {
            let types = match ty {
                Ty::Tuple(ts) => ts.as_slice(),
                _ => &[],
            };
            J::Array(xs.iter().enumerate().map(|(i, x)| encode_as(x, types.get(i).unwrap_or(&Ty::Unset))).collect())
        }
        Value::Object(m) => {
            let types = match ty {
                Ty::Object(ts) => Some(ts),
                _ => None,
            };
            J::Object(
                m.iter()
                    .map(|(k, x)| (k.clone(), encode_as(x, types.and_then(|t| t.get(k)).unwrap_or(&Ty::Unset))))
                    .collect(),
            )
        }
        Value::Null | Value::Unknown | Value::Sensitive(_) => J::Null,
    }
}

/// A number as a JSON number where its text is one, else as a string (which
/// [`decode`] reads back too), so no number is ever written as something else.
fn number_json(n: &Number) -> J {
    let text = n.to_string();
    match serde_json::from_str::<serde_json::Number>(&text) {
        Ok(num) => J::Number(num),
        Err(_) => J::String(text),
    }
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
            "dynamic" => dynamic(j),
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

/// A value written with its own type (`{"value": ..., "type": ...}`); a bare value under
/// `"dynamic"` is read as JSON says, as states written before types were recorded were.
fn dynamic(j: &J) -> Result<Value, String> {
    match j.as_object() {
        Some(o) if o.len() == 2 && o.contains_key("value") && o.contains_key("type") => decode(&o["value"], &o["type"]),
        _ => Ok(Value::from_json(j)),
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
        // Marks inside a marked value are kept too, so the value reads back as it was.
        Value::Sensitive(inner) => {
            out.push(J::Array(path.clone()));
            if inner.contains_sensitive() {
                walk_marks(inner, path, out);
            }
        }
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
        (Value::Sensitive(inner), _) => mark_at(*inner, steps).mark_sensitive(),
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
    fn elements_of_different_types_read_back_as_they_were() {
        // setproduct(["staging", "production"], ["a", 2]) once made a value like this,
        // recorded as list(tuple([string, string])) while it held the number 2.
        round_trip(Value::List(vec![
            Value::Tuple(vec![Value::from("staging"), Value::from("a")]),
            Value::Tuple(vec![Value::from("staging"), Value::from(2)]),
        ]));
        round_trip(Value::List(vec![Value::from(1), Value::from("1"), Value::Null, Value::List(vec![])]));
        round_trip(Value::map([("a", Value::List(vec![])), ("b", Value::List(vec![Value::from(true)]))]));
        round_trip(Value::set(vec![Value::from(1), Value::from("x")]));
    }

    #[test]
    fn marks_inside_marked_values_are_kept() {
        let v = Value::object([("a", Value::from(1).mark_sensitive())]).mark_sensitive();
        let paths = sensitive_paths(&v);
        assert_eq!(mark_paths(v.clone().unmark_deep().0, &paths), v);
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

    mod generated {
        use super::super::*;
        use proptest::prelude::*;

        fn number() -> impl Strategy<Value = Value> {
            prop_oneof![
                any::<i64>().prop_map(Value::from),
                any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| Value::Number(
                    Number::parse(&format!("{f:e}")).unwrap_or_else(|| Number::from(0i64))
                )),
                "[1-9][0-9]{20,40}(\\.[0-9]{1,20})?"
                    .prop_map(|s| Value::Number(Number::parse(&s).unwrap_or_else(|| Number::from(0i64)))),
            ]
        }

        fn leaf() -> impl Strategy<Value = Value> {
            prop_oneof![
                Just(Value::Null),
                any::<bool>().prop_map(Value::Bool),
                number(),
                any::<String>().prop_map(Value::String),
            ]
        }

        /// Values of every kind, nested, with elements of mixed types and sensitive marks
        /// anywhere.
        pub fn value() -> impl Strategy<Value = Value> {
            let tree = leaf().prop_recursive(4, 48, 6, |inner| {
                let entries = prop::collection::btree_map("[a-z_\\-]{0,6}|.{0,4}", inner.clone(), 0..5);
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..5).prop_map(Value::List),
                    prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Tuple),
                    prop::collection::vec(inner.clone(), 0..5).prop_map(Value::set),
                    entries.clone().prop_map(|m| Value::Map(m.into())),
                    entries.prop_map(|m| Value::Object(m.into())),
                ]
            });
            (tree, any::<u8>()).prop_map(|(v, seed)| mark_some(v, seed))
        }

        /// Marks some parts sensitive, chosen by `seed`; set elements are left alone,
        /// as a set carries its elements' marks itself.
        fn mark_some(v: Value, seed: u8) -> Value {
            let v = match v {
                Value::List(xs) => Value::List(mark_each(xs, seed)),
                Value::Tuple(xs) => Value::Tuple(mark_each(xs, seed)),
                Value::Map(m) => Value::Map(mark_entries(&m, seed).into()),
                Value::Object(m) => Value::Object(mark_entries(&m, seed).into()),
                other => other,
            };
            if seed.is_multiple_of(7) { v.mark_sensitive() } else { v }
        }

        fn mark_each(xs: Vec<Value>, seed: u8) -> Vec<Value> {
            xs.into_iter().enumerate().map(|(i, x)| mark_some(x, seed.wrapping_mul(31).wrapping_add(i as u8))).collect()
        }

        fn mark_entries(m: &BTreeMap<String, Value>, seed: u8) -> BTreeMap<String, Value> {
            m.iter()
                .enumerate()
                .map(|(i, (k, x))| (k.clone(), mark_some(x.clone(), seed.wrapping_mul(17).wrapping_add(i as u8))))
                .collect()
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(10_000))]

            #[test]
            fn every_value_reads_back_equal(v in value()) {
                let (j, t) = encode(&v);
                let text = serde_json::to_string(&(j, t, sensitive_paths(&v))).unwrap();
                let (j, t, paths): (J, J, Vec<J>) = serde_json::from_str(&text).unwrap();
                let back = mark_paths(decode(&j, &t).unwrap(), &paths);
                prop_assert_eq!(back, v);
            }
        }
    }
}
