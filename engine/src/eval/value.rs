//! The one value type every stage shares: what expressions produce, what providers take
//! and return, and what the state records.
//!
//! Unknown values ("known after apply") and the `sensitive` mark live in the type itself,
//! so no stage can forget them.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::sync::Arc;

use super::Number;

/// A value of the Terraform language.
///
/// Sets are kept sorted and without duplicates (see [`Value::set`]); maps and objects are
/// ordered by key, as Terraform prints them.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Value {
    Null,
    /// A value that will only be known after apply.
    Unknown,
    Bool(bool),
    Number(Number),
    String(String),
    List(Vec<Value>),
    Tuple(Vec<Value>),
    Set(Vec<Value>),
    Map(Arc<BTreeMap<String, Value>>),
    Object(Arc<BTreeMap<String, Value>>),
    /// A value marked sensitive: redacted wherever it is shown.
    Sensitive(Box<Value>),
}

impl Value {
    pub fn string(s: impl Into<String>) -> Value {
        Value::String(s.into())
    }

    pub fn number(n: impl Into<Number>) -> Value {
        Value::Number(n.into())
    }

    /// A set: sorted, duplicates removed. A set's elements cannot be addressed, so marks
    /// on them move to the set itself, as in Terraform.
    pub fn set(items: Vec<Value>) -> Value {
        let (mut items, marked) =
            if items.iter().any(Value::contains_sensitive) { unmark_all(items) } else { (items, false) };
        items.sort();
        items.dedup();
        Value::Set(items).mark_if(marked)
    }

    pub fn object<K: Into<String>>(pairs: impl IntoIterator<Item = (K, Value)>) -> Value {
        Value::Object(Arc::new(pairs.into_iter().map(|(k, v)| (k.into(), v)).collect()))
    }

    pub fn map<K: Into<String>>(pairs: impl IntoIterator<Item = (K, Value)>) -> Value {
        Value::Map(Arc::new(pairs.into_iter().map(|(k, v)| (k.into(), v)).collect()))
    }

    pub fn is_null(&self) -> bool {
        match self {
            Value::Null => true,
            Value::Sensitive(v) => v.is_null(),
            _ => false,
        }
    }

    pub fn is_unknown(&self) -> bool {
        match self {
            Value::Unknown => true,
            Value::Sensitive(v) => v.is_unknown(),
            _ => false,
        }
    }

    /// True when no unknown value is anywhere inside.
    pub fn is_wholly_known(&self) -> bool {
        match self {
            Value::Unknown => false,
            Value::Sensitive(v) => v.is_wholly_known(),
            Value::List(xs) | Value::Tuple(xs) | Value::Set(xs) => xs.iter().all(Value::is_wholly_known),
            Value::Map(m) | Value::Object(m) => m.values().all(Value::is_wholly_known),
            _ => true,
        }
    }

    /// True when this value or anything inside it is marked sensitive.
    pub fn contains_sensitive(&self) -> bool {
        match self {
            Value::Sensitive(_) => true,
            Value::List(xs) | Value::Tuple(xs) | Value::Set(xs) => xs.iter().any(Value::contains_sensitive),
            Value::Map(m) | Value::Object(m) => m.values().any(Value::contains_sensitive),
            _ => false,
        }
    }

    /// True when the value itself (not something inside) is marked sensitive.
    pub fn is_sensitive(&self) -> bool {
        matches!(self, Value::Sensitive(_))
    }

    /// Marks the value sensitive (idempotent).
    pub fn mark_sensitive(self) -> Value {
        match self {
            Value::Sensitive(_) => self,
            v => Value::Sensitive(Box::new(v)),
        }
    }

    /// Marks the value sensitive when `sensitive` holds.
    pub fn mark_if(self, sensitive: bool) -> Value {
        if sensitive { self.mark_sensitive() } else { self }
    }

    /// The value with its own top-level mark removed, and whether it had one.
    pub fn unmark(self) -> (Value, bool) {
        match self {
            Value::Sensitive(v) => (v.unmark().0, true),
            v => (v, false),
        }
    }

    /// The value with every mark removed at every depth, and whether any was there.
    pub fn unmark_deep(self) -> (Value, bool) {
        // Most values hold no mark: they are given back as they are, their shared
        // collections not copied.
        if !self.contains_sensitive() {
            return (self, false);
        }
        match self {
            Value::Sensitive(v) => (v.unmark_deep().0, true),
            Value::List(xs) => {
                let (xs, s) = unmark_all(xs);
                (Value::List(xs), s)
            }
            Value::Tuple(xs) => {
                let (xs, s) = unmark_all(xs);
                (Value::Tuple(xs), s)
            }
            Value::Set(xs) => {
                let (xs, s) = unmark_all(xs);
                (Value::set(xs), s)
            }
            Value::Map(m) => {
                let (m, s) = unmark_map(Arc::unwrap_or_clone(m));
                (Value::Map(m.into()), s)
            }
            Value::Object(m) => {
                let (m, s) = unmark_map(Arc::unwrap_or_clone(m));
                (Value::Object(m.into()), s)
            }
            v => (v, false),
        }
    }

    /// Borrow through a sensitive mark.
    pub fn peel(&self) -> &Value {
        match self {
            Value::Sensitive(v) => v.peel(),
            v => v,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self.peel() {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self.peel() {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_number(&self) -> Option<&Number> {
        match self.peel() {
            Value::Number(n) => Some(n),
            _ => None,
        }
    }

    /// Elements of a list, tuple or set.
    pub fn as_seq(&self) -> Option<&[Value]> {
        match self.peel() {
            Value::List(xs) | Value::Tuple(xs) | Value::Set(xs) => Some(xs),
            _ => None,
        }
    }

    /// Entries of a map or object.
    pub fn as_map(&self) -> Option<&BTreeMap<String, Value>> {
        match self.peel() {
            Value::Map(m) | Value::Object(m) => Some(m),
            _ => None,
        }
    }

    /// The attribute `name` of an object or map, if present.
    pub fn get_attr(&self, name: &str) -> Option<&Value> {
        self.as_map().and_then(|m| m.get(name))
    }

    /// A short name of the value's kind, for error messages ("string", "list of ...").
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Unknown => "unknown",
            Value::Bool(_) => "bool",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::List(_) => "list",
            Value::Tuple(_) => "tuple",
            Value::Set(_) => "set",
            Value::Map(_) => "map",
            Value::Object(_) => "object",
            Value::Sensitive(v) => v.type_name(),
        }
    }

    /// JSON as Terraform writes values (state, `output -json`): marks dropped,
    /// unknowns as null.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Value::Null | Value::Unknown => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Number(n) => number_to_json(n),
            Value::String(s) => J::String(s.clone()),
            Value::List(xs) | Value::Tuple(xs) | Value::Set(xs) => J::Array(xs.iter().map(Value::to_json).collect()),
            Value::Map(m) | Value::Object(m) => J::Object(m.iter().map(|(k, v)| (k.clone(), v.to_json())).collect()),
            Value::Sensitive(v) => v.to_json(),
        }
    }

    /// A value from JSON without a type to guide it: arrays become tuples, objects objects.
    pub fn from_json(j: &serde_json::Value) -> Value {
        use serde_json::Value as J;
        match j {
            J::Null => Value::Null,
            J::Bool(b) => Value::Bool(*b),
            J::Number(n) => Number::parse(&n.to_string()).map_or(Value::Null, Value::Number),
            J::String(s) => Value::String(s.clone()),
            J::Array(xs) => Value::Tuple(xs.iter().map(Value::from_json).collect()),
            J::Object(m) => Value::Object(Arc::new(m.iter().map(|(k, v)| (k.clone(), Value::from_json(v))).collect())),
        }
    }
}

fn number_to_json(n: &Number) -> serde_json::Value {
    let text = n.to_string();
    serde_json::from_str::<serde_json::Number>(&text).map_or(serde_json::Value::Null, serde_json::Value::Number)
}

fn unmark_all(xs: Vec<Value>) -> (Vec<Value>, bool) {
    let mut any = false;
    let xs = xs
        .into_iter()
        .map(|x| {
            let (x, s) = x.unmark_deep();
            any |= s;
            x
        })
        .collect();
    (xs, any)
}

fn unmark_map(m: BTreeMap<String, Value>) -> (BTreeMap<String, Value>, bool) {
    let mut any = false;
    let m = m
        .into_iter()
        .map(|(k, x)| {
            let (x, s) = x.unmark_deep();
            any |= s;
            (k, x)
        })
        .collect();
    (m, any)
}

impl PartialOrd for Value {
    fn partial_cmp(&self, other: &Value) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A total order, used to keep sets sorted: first by kind, then by content. Strings sort
/// lexically and numbers numerically, which is the order Terraform iterates sets in.
impl Ord for Value {
    fn cmp(&self, other: &Value) -> Ordering {
        fn rank(v: &Value) -> u8 {
            match v {
                Value::Null => 0,
                Value::Unknown => 1,
                Value::Bool(_) => 2,
                Value::Number(_) => 3,
                Value::String(_) => 4,
                Value::List(_) => 5,
                Value::Tuple(_) => 6,
                Value::Set(_) => 7,
                Value::Map(_) => 8,
                Value::Object(_) => 9,
                Value::Sensitive(v) => rank(v),
            }
        }
        match (self.peel(), other.peel()) {
            (Value::Bool(a), Value::Bool(b)) => a.cmp(b),
            (Value::Number(a), Value::Number(b)) => a.cmp(b),
            (Value::String(a), Value::String(b)) => a.cmp(b),
            (Value::List(a), Value::List(b)) | (Value::Tuple(a), Value::Tuple(b)) | (Value::Set(a), Value::Set(b)) => {
                a.cmp(b)
            }
            (Value::Map(a), Value::Map(b)) | (Value::Object(a), Value::Object(b)) => a.iter().cmp(b.iter()),
            (a, b) => rank(a).cmp(&rank(b)),
        }
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}
impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(s.to_string())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(s)
    }
}
impl From<i64> for Value {
    fn from(i: i64) -> Value {
        Value::Number(Number::from_i64(i))
    }
}

/// Terraform's automatic conversion to number (numeric strings convert).
pub fn to_number(v: &Value) -> Option<Number> {
    match v.peel() {
        Value::Number(n) => Some(n.clone()),
        Value::String(s) => Number::parse(s),
        _ => None,
    }
}

/// Terraform's automatic conversion to bool (`"true"`/`"false"` convert).
pub fn to_bool(v: &Value) -> Option<bool> {
    match v.peel() {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s == "true" => Some(true),
        Value::String(s) if s == "false" => Some(false),
        _ => None,
    }
}

/// Terraform's automatic conversion to string (numbers and bools convert).
pub fn to_string(v: &Value) -> Option<String> {
    match v.peel() {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_are_sorted_and_deduplicated() {
        let s = Value::set(vec!["b".into(), "a".into(), "b".into()]);
        assert_eq!(s, Value::Set(vec!["a".into(), "b".into()]));
    }

    #[test]
    fn unmark_deep_reports_nested_marks() {
        let v = Value::object([("a", Value::from("x").mark_sensitive())]);
        let (plain, marked) = v.unmark_deep();
        assert!(marked);
        assert!(!plain.contains_sensitive());
    }

    #[test]
    fn json_round_trip_keeps_structure() {
        let v = Value::object([("n", Value::from(3)), ("l", Value::Tuple(vec![true.into(), Value::Null]))]);
        assert_eq!(Value::from_json(&v.to_json()), v);
    }
}
