//! Built-in functions: type conversion (`tostring`, `tolist`, `tomap`, ...) and the
//! sensitivity functions.

use super::{Arity, FunctionContext, FunctionError, Handles, Registry};
use crate::eval::Value;
use crate::eval::types::{Type, convert};

pub(super) fn register(r: &mut Registry) {
    r.add("tostring", Arity::Exactly(1), |_, a| to(a, Type::String, "string"));
    r.add("tonumber", Arity::Exactly(1), |_, a| to(a, Type::Number, "number"));
    r.add("tobool", Arity::Exactly(1), |_, a| to(a, Type::Bool, "bool"));
    r.add("tolist", Arity::Exactly(1), |_, a| to(a, Type::List(Box::new(Type::Any)), "list"));
    r.add("toset", Arity::Exactly(1), |_, a| to(a, Type::Set(Box::new(Type::Any)), "set"));
    r.add("tomap", Arity::Exactly(1), |_, a| to(a, Type::Map(Box::new(Type::Any)), "map"));
    r.add_with("sensitive", Arity::Exactly(1), Handles::Everything, |_, mut a| Ok(a.remove(0).mark_sensitive()));
    r.add_with("nonsensitive", Arity::Exactly(1), Handles::Everything, nonsensitive);
    r.add_with("issensitive", Arity::Exactly(1), Handles::Everything, |_, a| {
        Ok(Value::Bool(a[0].contains_sensitive()))
    });
}

use crate::eval::types::NO_COMMON_TYPE;

fn to(mut a: Vec<Value>, ty: Type, what: &str) -> Result<Value, FunctionError> {
    let v = a.remove(0);
    if matches!(ty, Type::String | Type::Number | Type::Bool)
        && matches!(v, Value::List(_) | Value::Tuple(_) | Value::Set(_) | Value::Map(_) | Value::Object(_))
    {
        return Err(FunctionError::at(0, format!("cannot convert {} to {what}", v.type_name())));
    }
    let shown = match &v {
        Value::String(s) => format!("{s:?}"),
        other => other.type_name().to_string(),
    };
    convert(v, &ty).map_err(|e| {
        if e.message == NO_COMMON_TYPE {
            return FunctionError::invalid(0, "v", format!("cannot convert {shown} to {what} of any single type"));
        }
        let hint = if what == "number" { "; given string must be a decimal representation of a number" } else { "" };
        FunctionError::at(0, format!("cannot convert {shown} to {what}{hint} ({e})"))
    })
}

fn nonsensitive(_: &FunctionContext<'_>, a: Vec<Value>) -> Result<Value, FunctionError> {
    let (v, _) = a.into_iter().next().unwrap_or(Value::Null).unmark_deep();
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_and_marks() {
        let ctx = FunctionContext { module_dir: std::path::Path::new(".") };
        assert!(to(vec!["0x10".into()], Type::Number, "number").is_err());
        assert_eq!(to(vec![Value::from(1)], Type::String, "string").unwrap(), Value::from("1"));
        let secret = Value::from("x").mark_sensitive();
        assert_eq!(nonsensitive(&ctx, vec![secret]).unwrap(), Value::from("x"));
    }
}
