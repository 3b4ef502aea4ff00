//! Built-in functions: numbers (`min`, `max`, `floor`, `pow`, `parseint`, ...).

use super::args::{int, number, string};
use super::{Arity, FunctionContext, FunctionError, Registry};
use crate::eval::{Number, Value};

pub(super) fn register(r: &mut Registry) {
    r.add("abs", Arity::Exactly(1), |_, a| Ok(Value::Number(number(&a, 0)?.abs())));
    r.add("ceil", Arity::Exactly(1), |_, a| Ok(Value::Number(number(&a, 0)?.ceil())));
    r.add("floor", Arity::Exactly(1), |_, a| Ok(Value::Number(number(&a, 0)?.floor())));
    r.add("signum", Arity::Exactly(1), |_, a| {
        let n = number(&a, 0)?;
        Ok(Value::from(if n.is_negative() {
            -1
        } else if n == Number::zero() {
            0
        } else {
            1
        }))
    });
    r.add("max", Arity::AtLeast(1), |_, a| extreme(&a, true));
    r.add("min", Arity::AtLeast(1), |_, a| extreme(&a, false));
    r.add("pow", Arity::Exactly(2), |_, a| float(number(&a, 0)?.to_f64().powf(number(&a, 1)?.to_f64())));
    r.add("log", Arity::Exactly(2), |_, a| float(number(&a, 0)?.to_f64().ln() / number(&a, 1)?.to_f64().ln()));
    r.add("parseint", Arity::Exactly(2), parseint);
}

/// A float64 result, as Terraform computes `pow` and `log`.
fn float(f: f64) -> Result<Value, FunctionError> {
    let rounded = if (f - f.round()).abs() < 1e-9 * f.abs().max(1.0) { f.round() } else { f };
    Number::from_f64(rounded).map(Value::Number).ok_or_else(|| FunctionError::new("the result is not a number"))
}

fn extreme(a: &[Value], max: bool) -> Result<Value, FunctionError> {
    let mut best = number(a, 0)?;
    for i in 1..a.len() {
        let n = number(a, i)?;
        if (max && n > best) || (!max && n < best) {
            best = n;
        }
    }
    Ok(Value::Number(best))
}

fn parseint(_: &FunctionContext<'_>, a: Vec<Value>) -> Result<Value, FunctionError> {
    let s = string(&a, 0)?;
    let base = int(&a, 1)?;
    if !(2..=62).contains(&base) {
        return Err(FunctionError::at(1, "base must be a whole number between 2 and 62 inclusive"));
    }
    let (neg, digits) = match s.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, s.strip_prefix('+').unwrap_or(&s)),
    };
    if digits.is_empty() {
        return Err(FunctionError::at(0, format!("cannot parse {s:?} as a base {base} integer")));
    }
    let mut acc = Number::zero();
    let b = Number::from_i64(base);
    for c in digits.chars() {
        let d = match c {
            '0'..='9' => c as i64 - '0' as i64,
            'a'..='z' => c as i64 - 'a' as i64 + 10,
            'A'..='Z' if base <= 36 => c as i64 - 'A' as i64 + 10,
            'A'..='Z' => c as i64 - 'A' as i64 + 36,
            _ => -1,
        };
        if d < 0 || d >= base {
            return Err(FunctionError::at(0, format!("cannot parse {s:?} as a base {base} integer")));
        }
        acc = acc.mul(&b).add(&Number::from_i64(d));
    }
    Ok(Value::Number(if neg { acc.neg() } else { acc }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_functions_match_terraform() {
        let ctx = FunctionContext { module_dir: std::path::Path::new(".") };
        assert_eq!(parseint(&ctx, vec!["ff".into(), 16.into()]).unwrap(), Value::from(255));
        assert_eq!(parseint(&ctx, vec!["-101".into(), 2.into()]).unwrap(), Value::from(-5));
        assert!(parseint(&ctx, vec!["12".into(), 2.into()]).is_err());
        assert_eq!(float(8f64.ln() / 2f64.ln()).unwrap(), Value::from(3));
    }
}
