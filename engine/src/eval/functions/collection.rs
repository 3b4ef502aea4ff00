//! Built-in functions: collections (`length`, `concat`, `merge`, `flatten`, sets, ...).

use std::collections::BTreeMap;

use super::args::{int, map, number, seq, string, strings};
use super::{Arity, FunctionContext, FunctionError, Handles, Registry};
use crate::eval::types::{convert, unified_type, unify};
use crate::eval::{Number, Value};

pub(super) fn register(r: &mut Registry) {
    r.add_with("length", Arity::Exactly(1), Handles::Unknowns, length);
    r.add("concat", Arity::AtLeast(0), concat);
    r.add("flatten", Arity::Exactly(1), |_, a| Ok(Value::Tuple(flatten_into(seq(&a, 0)?))));
    // Keys are known when the collection is, whatever its values.
    r.add_with("keys", Arity::Exactly(1), Handles::Unknowns, keys);
    r.add("values", Arity::Exactly(1), values);
    r.add("lookup", Arity::Between(2, 3), lookup);
    r.add("element", Arity::Exactly(2), element);
    r.add("contains", Arity::Exactly(2), |_, a| Ok(Value::Bool(seq(&a, 0)?.contains(&a[1]))));
    r.add("distinct", Arity::Exactly(1), distinct);
    r.add("compact", Arity::Exactly(1), compact);
    r.add_with("coalesce", Arity::AtLeast(1), Handles::Unknowns, coalesce);
    r.add("coalescelist", Arity::AtLeast(1), coalescelist);
    r.add_with("merge", Arity::AtLeast(0), Handles::Unknowns, merge);
    r.add("range", Arity::Between(1, 3), range);
    r.add("zipmap", Arity::Exactly(2), zipmap);
    r.add("setproduct", Arity::AtLeast(1), setproduct);
    r.add("setunion", Arity::AtLeast(1), |_, a| set_op(a, SetOp::Union));
    r.add("setintersection", Arity::AtLeast(1), |_, a| set_op(a, SetOp::Intersection));
    r.add("setsubtract", Arity::Exactly(2), |_, a| set_op(a, SetOp::Subtract));
    r.add("slice", Arity::Exactly(3), slice);
    r.add("sort", Arity::Exactly(1), sort);
    r.add("reverse", Arity::Exactly(1), reverse);
    r.add("index", Arity::Exactly(2), index);
    r.add("chunklist", Arity::Exactly(2), chunklist);
    r.add("alltrue", Arity::Exactly(1), |_, a| all_any(&a, true));
    r.add("anytrue", Arity::Exactly(1), |_, a| all_any(&a, false));
    r.add("one", Arity::Exactly(1), one);
    r.add("sum", Arity::Exactly(1), sum);
    r.add("transpose", Arity::Exactly(1), transpose);
    r.add("matchkeys", Arity::Exactly(3), matchkeys);
}

type R = Result<Value, FunctionError>;

fn length(_: &FunctionContext<'_>, a: Vec<Value>) -> R {
    match &a[0] {
        Value::Unknown => Ok(Value::Unknown),
        // Grapheme clusters, as Terraform counts them: "👾🕹️" is 2 long.
        Value::String(s) => {
            Ok(Value::from(unicode_segmentation::UnicodeSegmentation::graphemes(s.as_str(), true).count() as i64))
        }
        Value::List(xs) | Value::Tuple(xs) => Ok(Value::from(xs.len() as i64)),
        Value::Set(xs) if xs.iter().all(Value::is_wholly_known) => Ok(Value::from(xs.len() as i64)),
        Value::Set(_) => Ok(Value::Unknown),
        Value::Map(m) | Value::Object(m) => Ok(Value::from(m.len() as i64)),
        Value::Null => Err(FunctionError::at(0, "argument must not be null")),
        _ => Err(FunctionError::at(0, "argument must be a string, a collection type, or a structural type")),
    }
}

/// Builds a list whose elements are brought to one type, or a tuple when they cannot be.
fn concat(_: &FunctionContext<'_>, a: Vec<Value>) -> R {
    let mut out = Vec::new();
    let mut all_lists = true;
    for i in 0..a.len() {
        all_lists &= matches!(a[i], Value::List(_));
        out.extend(seq(&a, i)?);
    }
    Ok(if all_lists && !a.is_empty() { Value::List(out) } else { Value::Tuple(out) })
}

fn flatten_into(items: Vec<Value>) -> Vec<Value> {
    let mut out = Vec::new();
    for x in items {
        match x {
            Value::List(xs) | Value::Tuple(xs) | Value::Set(xs) => out.extend(flatten_into(xs)),
            other => out.push(other),
        }
    }
    out
}

fn keys(_: &FunctionContext<'_>, a: Vec<Value>) -> R {
    if a[0].is_unknown() {
        return Ok(Value::Unknown);
    }
    let m = map(&a, 0)?;
    let ks = m.keys().map(|k| Value::from(k.as_str())).collect();
    Ok(if matches!(a[0], Value::Map(_)) { Value::List(ks) } else { Value::Tuple(ks) })
}

fn values(_: &FunctionContext<'_>, a: Vec<Value>) -> R {
    let m = map(&a, 0)?;
    let vs = m.into_values().collect();
    Ok(if matches!(a[0], Value::Map(_)) { Value::List(vs) } else { Value::Tuple(vs) })
}

fn lookup(_: &FunctionContext<'_>, a: Vec<Value>) -> R {
    let m = map(&a, 0)?;
    let k = string(&a, 1)?;
    match (m.get(&k), a.get(2)) {
        (Some(v), _) => Ok(v.clone()),
        (None, Some(d)) => Ok(d.clone()),
        (None, None) => Err(FunctionError::at(1, format!("lookup failed to find key {k:?}"))),
    }
}

fn element(_: &FunctionContext<'_>, a: Vec<Value>) -> R {
    let xs = seq(&a, 0)?;
    let i = int(&a, 1)?;
    if xs.is_empty() {
        return Err(FunctionError::at(0, "cannot use element function with an empty list"));
    }
    if i < 0 {
        return Err(FunctionError::at(1, "cannot use element function with a negative index"));
    }
    Ok(xs[(i as usize) % xs.len()].clone())
}

fn distinct(_: &FunctionContext<'_>, a: Vec<Value>) -> R {
    let mut out: Vec<Value> = Vec::new();
    for x in seq(&a, 0)? {
        if !out.contains(&x) {
            out.push(x);
        }
    }
    Ok(Value::List(out))
}

fn compact(_: &FunctionContext<'_>, a: Vec<Value>) -> R {
    let xs = seq(&a, 0)?;
    Ok(Value::List(
        xs.into_iter()
            .filter(|x| !x.is_null() && x.as_str() != Some(""))
            .map(|x| match x {
                Value::Number(_) | Value::Bool(_) => {
                    Value::String(crate::eval::value::to_string(&x).unwrap_or_default())
                }
                other => other,
            })
            .collect(),
    ))
}

/// The first argument that is neither null nor an empty string, after every argument has
/// been brought to the one type they share (`coalesce(1, "x")` is `"1"`).
fn coalesce(_: &FunctionContext<'_>, a: Vec<Value>) -> R {
    let a = unify(a).map_err(|_| FunctionError::new("all arguments must have the same type"))?;
    for x in a {
        match x {
            Value::Unknown => return Ok(Value::Unknown),
            Value::Null => continue,
            Value::String(s) if s.is_empty() => continue,
            other => return Ok(other),
        }
    }
    Err(FunctionError::new("no non-null, non-empty-string arguments"))
}

fn coalescelist(_: &FunctionContext<'_>, a: Vec<Value>) -> R {
    for (i, _) in a.iter().enumerate() {
        let xs = seq(&a, i)?;
        if !xs.is_empty() {
            return Ok(a[i].clone());
        }
    }
    Err(FunctionError::new("no non-null arguments"))
}

fn merge(_: &FunctionContext<'_>, a: Vec<Value>) -> R {
    let mut out = BTreeMap::new();
    let mut all_maps = true;
    for (i, x) in a.iter().enumerate() {
        match x {
            Value::Null => continue,
            Value::Unknown => return Ok(Value::Unknown),
            Value::Map(m) => out.extend(m.iter().map(|(k, v)| (k.clone(), v.clone()))),
            Value::Object(m) => {
                all_maps = false;
                out.extend(m.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
            _ => {
                return Err(FunctionError::at(i, "arguments must be maps or objects, got a value of another type"));
            }
        }
    }
    Ok(if all_maps && !a.is_empty() { Value::Map(out.into()) } else { Value::Object(out.into()) })
}

fn range(_: &FunctionContext<'_>, a: Vec<Value>) -> R {
    let (start, end, step) = match a.len() {
        1 => (Number::zero(), number(&a, 0)?, Number::from_i64(1)),
        2 => {
            let (s, e) = (number(&a, 0)?, number(&a, 1)?);
            let step = if e < s { Number::from_i64(-1) } else { Number::from_i64(1) };
            (s, e, step)
        }
        _ => (number(&a, 0)?, number(&a, 1)?, number(&a, 2)?),
    };
    if step == Number::zero() {
        return Err(FunctionError::at(2, "step must not be zero"));
    }
    let up = !step.is_negative();
    if (up && end < start) || (!up && end > start) {
        return Err(FunctionError::new(if up {
            "when step is positive, start must be less than or equal to end"
        } else {
            "when step is negative, start must be greater than or equal to end"
        }));
    }
    let mut out = Vec::new();
    let mut x = start;
    while (up && x < end) || (!up && x > end) {
        if out.len() >= 1024 {
            return Err(FunctionError::new(
                "more than 1024 values were generated; either decrease the difference between start and end or use a smaller step",
            ));
        }
        out.push(Value::Number(x.clone()));
        x = x.add(&step);
    }
    Ok(Value::List(out))
}

fn zipmap(_: &FunctionContext<'_>, a: Vec<Value>) -> R {
    let ks = strings(&a, 0)?;
    let vs = seq(&a, 1)?;
    if ks.len() != vs.len() {
        return Err(FunctionError::new(format!(
            "number of keys ({}) does not match number of values ({})",
            ks.len(),
            vs.len()
        )));
    }
    let m: BTreeMap<String, Value> = ks.into_iter().zip(vs).collect();
    Ok(if matches!(a[1], Value::Tuple(_)) { Value::Object(m.into()) } else { Value::Map(m.into()) })
}

/// Every combination of one element from each argument, as tuples; a list when every
/// argument is a list or tuple, else a set. Each argument's elements are first brought to
/// one type, as Terraform does (`["a", 2]` takes part as `["a", "2"]`).
fn setproduct(_: &FunctionContext<'_>, a: Vec<Value>) -> R {
    if a.len() < 2 {
        return Err(FunctionError::new("at least two arguments are required"));
    }
    let mut rows: Vec<Vec<Value>> = vec![Vec::new()];
    for i in 0..a.len() {
        let xs = seq(&a, i)?;
        let xs = if matches!(a[i], Value::Set(_)) {
            xs
        } else {
            unify(xs).map_err(|_| FunctionError::invalid(i, "sets", "all elements must be of the same type"))?
        };
        rows = rows
            .into_iter()
            .flat_map(|r| {
                xs.iter().map(move |x| {
                    let mut r = r.clone();
                    r.push(x.clone());
                    r
                })
            })
            .collect();
    }
    let items: Vec<Value> = rows.into_iter().map(Value::Tuple).collect();
    Ok(if a.iter().all(|x| matches!(x, Value::List(_) | Value::Tuple(_))) {
        Value::List(items)
    } else {
        Value::set(items)
    })
}

enum SetOp {
    Union,
    Intersection,
    Subtract,
}

/// Union, intersection or difference of sets whose elements are first brought to the one
/// type all the arguments' elements share (`setunion([1], ["a"])` is `["1", "a"]`).
fn set_op(a: Vec<Value>, op: SetOp) -> R {
    let args: Vec<Vec<Value>> = (0..a.len()).map(|i| seq(&a, i)).collect::<Result<_, _>>()?;
    let all: Vec<Value> = args.iter().flatten().cloned().collect();
    let ty = unified_type(&all).map_err(|_| FunctionError::new("given sets must all have compatible element types"))?;
    let convert_all = |xs: Vec<Value>| -> Result<Vec<Value>, FunctionError> {
        xs.into_iter().map(|x| convert(x, &ty).map_err(|e| FunctionError::new(e.to_string()))).collect()
    };
    let mut args = args.into_iter();
    let mut acc = convert_all(args.next().unwrap_or_default())?;
    for other in args {
        let other = convert_all(other)?;
        acc = match op {
            SetOp::Union => acc.into_iter().chain(other).collect(),
            SetOp::Intersection => acc.into_iter().filter(|x| other.contains(x)).collect(),
            SetOp::Subtract => acc.into_iter().filter(|x| !other.contains(x)).collect(),
        };
    }
    Ok(Value::set(acc))
}

fn slice(_: &FunctionContext<'_>, a: Vec<Value>) -> R {
    let xs = seq(&a, 0)?;
    let (s, e) = (int(&a, 1)?, int(&a, 2)?);
    if s < 0 || e > xs.len() as i64 || s > e {
        return Err(FunctionError::new(format!(
            "the start ({s}) and end ({e}) indexes must be within the list of length {} and start must not be greater than end",
            xs.len()
        )));
    }
    let part = xs[s as usize..e as usize].to_vec();
    Ok(if matches!(a[0], Value::Tuple(_)) { Value::Tuple(part) } else { Value::List(part) })
}

fn sort(_: &FunctionContext<'_>, a: Vec<Value>) -> R {
    let mut ss = strings(&a, 0)?;
    ss.sort();
    Ok(Value::List(ss.into_iter().map(Value::String).collect()))
}

fn reverse(_: &FunctionContext<'_>, a: Vec<Value>) -> R {
    let mut xs = seq(&a, 0)?;
    xs.reverse();
    Ok(if matches!(a[0], Value::Tuple(_)) { Value::Tuple(xs) } else { Value::List(xs) })
}

fn index(_: &FunctionContext<'_>, a: Vec<Value>) -> R {
    seq(&a, 0)?
        .iter()
        .position(|x| *x == a[1])
        .map(|i| Value::from(i as i64))
        .ok_or_else(|| FunctionError::new("item not found"))
}

fn chunklist(_: &FunctionContext<'_>, a: Vec<Value>) -> R {
    let xs = seq(&a, 0)?;
    let n = int(&a, 1)?;
    if n < 0 {
        return Err(FunctionError::at(1, "the size argument must be positive"));
    }
    if n == 0 {
        return Ok(Value::List(vec![Value::List(xs)]));
    }
    Ok(Value::List(xs.chunks(n as usize).map(|c| Value::List(c.to_vec())).collect()))
}

fn all_any(a: &[Value], all: bool) -> R {
    let xs = seq(a, 0)?;
    let mut bools = Vec::new();
    for x in &xs {
        bools.push(crate::eval::value::to_bool(x).ok_or_else(|| FunctionError::at(0, "list of bool required"))?);
    }
    Ok(Value::Bool(if all { bools.iter().all(|b| *b) } else { bools.iter().any(|b| *b) }))
}

fn one(_: &FunctionContext<'_>, a: Vec<Value>) -> R {
    let xs = seq(&a, 0)?;
    match xs.len() {
        0 => Ok(Value::Null),
        1 => Ok(xs[0].clone()),
        _ => Err(FunctionError::at(0, "must be a list, set, or tuple value with either zero or one elements")),
    }
}

fn sum(_: &FunctionContext<'_>, a: Vec<Value>) -> R {
    let xs = seq(&a, 0)?;
    if xs.is_empty() {
        return Err(FunctionError::at(0, "cannot sum an empty list"));
    }
    let mut total = Number::zero();
    for x in &xs {
        let n = crate::eval::value::to_number(x)
            .ok_or_else(|| FunctionError::at(0, "argument must be list, set, or tuple of number values"))?;
        total = total.add(&n);
    }
    Ok(Value::Number(total))
}

fn transpose(_: &FunctionContext<'_>, a: Vec<Value>) -> R {
    let m = map(&a, 0)?;
    let mut out: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for (k, v) in m {
        for s in v.as_seq().unwrap_or(&[]) {
            let s = crate::eval::value::to_string(s)
                .ok_or_else(|| FunctionError::at(0, "input must be a map of lists of strings"))?;
            out.entry(s).or_default().push(Value::from(k.as_str()));
        }
    }
    Ok(Value::Map(std::sync::Arc::new(out.into_iter().map(|(k, v)| (k, Value::List(v))).collect())))
}

fn matchkeys(_: &FunctionContext<'_>, a: Vec<Value>) -> R {
    let (vals, ks, search) = (seq(&a, 0)?, seq(&a, 1)?, seq(&a, 2)?);
    if vals.len() != ks.len() {
        return Err(FunctionError::new("length of keys and values should be equal"));
    }
    Ok(Value::List(vals.into_iter().zip(ks).filter(|(_, k)| search.contains(k)).map(|(v, _)| v).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(name: &str, args: Vec<Value>) -> Value {
        let f = super::super::lookup(name).unwrap();
        super::super::call(f, &FunctionContext { module_dir: std::path::Path::new(".") }, args).unwrap()
    }

    fn nums(xs: &[i64]) -> Vec<Value> {
        xs.iter().map(|x| Value::from(*x)).collect()
    }

    // Expected values are what Terraform 1.11's console gives.
    #[test]
    fn collection_functions_match_terraform() {
        assert_eq!(call("element", vec![Value::Tuple(nums(&[1, 2, 3])), 4.into()]), Value::from(2));
        assert_eq!(call("distinct", vec![Value::Tuple(nums(&[1, 2, 1]))]), Value::List(nums(&[1, 2])));
        assert_eq!(call("range", vec![3.into()]), Value::List(nums(&[0, 1, 2])));
        assert_eq!(
            call("slice", vec![Value::Tuple(nums(&[1, 2, 3, 4])), 1.into(), 3.into()]),
            Value::Tuple(nums(&[2, 3]))
        );
        assert_eq!(
            call(
                "merge",
                vec![
                    Value::object([("a", 1.into())]),
                    Value::object([("b", 2.into())]),
                    Value::object([("a", 3.into())])
                ]
            ),
            Value::object([("a", 3.into()), ("b", 2.into())])
        );
        assert_eq!(
            call("flatten", vec![Value::Tuple(vec![Value::Tuple(vec![1.into(), Value::Tuple(nums(&[2]))]), 3.into()])]),
            Value::Tuple(nums(&[1, 2, 3]))
        );
        assert_eq!(call("length", vec![Value::List(vec![Value::Unknown])]), Value::from(1));
        assert_eq!(call("coalesce", vec!["".into(), "b".into()]), Value::from("b"));
        assert_eq!(
            call("setproduct", vec![Value::Tuple(vec!["a".into(), "b".into()]), Value::Tuple(nums(&[1, 2]))])
                .as_seq()
                .map(<[Value]>::len),
            Some(4)
        );
    }
}
