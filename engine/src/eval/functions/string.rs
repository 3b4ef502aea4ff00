//! Built-in functions: strings (`format`, `join`, `split`, `replace`, `regex`, ...).

use std::collections::BTreeMap;

use unicode_segmentation::UnicodeSegmentation;

use super::args::{int, seq, string};
use super::{Arity, FunctionContext, FunctionError, Handles, Registry};
use crate::eval::value::to_string;
use crate::eval::{Number, Value};

pub(super) fn register(r: &mut Registry) {
    r.add("format", Arity::AtLeast(1), format_fn);
    r.add("formatlist", Arity::AtLeast(1), formatlist);
    r.add("join", Arity::AtLeast(2), join);
    r.add("split", Arity::Exactly(2), split);
    r.add("replace", Arity::Exactly(3), replace);
    r.add("lower", Arity::Exactly(1), |_, a| Ok(Value::String(map_runes(&string(&a, 0)?, char::to_lowercase))));
    r.add("upper", Arity::Exactly(1), |_, a| Ok(Value::String(map_runes(&string(&a, 0)?, char::to_uppercase))));
    r.add("title", Arity::Exactly(1), title);
    r.add("trimspace", Arity::Exactly(1), |_, a| Ok(Value::String(string(&a, 0)?.trim().to_string())));
    r.add("trim", Arity::Exactly(2), trim);
    r.add("trimprefix", Arity::Exactly(2), |_, a| {
        let (s, p) = (string(&a, 0)?, string(&a, 1)?);
        Ok(Value::String(s.strip_prefix(p.as_str()).unwrap_or(&s).to_string()))
    });
    r.add("trimsuffix", Arity::Exactly(2), |_, a| {
        let (s, p) = (string(&a, 0)?, string(&a, 1)?);
        Ok(Value::String(s.strip_suffix(p.as_str()).unwrap_or(&s).to_string()))
    });
    r.add("chomp", Arity::Exactly(1), |_, a| {
        Ok(Value::String(string(&a, 0)?.trim_end_matches(['\n', '\r']).to_string()))
    });
    r.add("indent", Arity::Exactly(2), indent);
    r.add("substr", Arity::Exactly(3), substr);
    r.add("strrev", Arity::Exactly(1), |_, a| Ok(Value::String(string(&a, 0)?.graphemes(true).rev().collect())));
    r.add("startswith", Arity::Exactly(2), |_, a| Ok(Value::Bool(string(&a, 0)?.starts_with(&string(&a, 1)?))));
    r.add("endswith", Arity::Exactly(2), |_, a| Ok(Value::Bool(string(&a, 0)?.ends_with(&string(&a, 1)?))));
    r.add("strcontains", Arity::Exactly(2), |_, a| Ok(Value::Bool(string(&a, 0)?.contains(&string(&a, 1)?))));
    r.add("regex", Arity::Exactly(2), regex_fn);
    r.add("regexall", Arity::Exactly(2), regexall);
    r.add_with("ephemeralasnull", Arity::Exactly(1), Handles::Everything, |_, mut a| Ok(a.remove(0)));
}

/// Case mapping one character at a time, as Go's `strings.ToUpper` does: a character
/// whose mapping is several characters (`ß` → `SS`) stays as it is.
fn map_runes<I: Iterator<Item = char>>(s: &str, f: fn(char) -> I) -> String {
    s.chars()
        .map(|c| {
            let mut m = f(c);
            match (m.next(), m.next()) {
                (Some(one), None) => one,
                _ => c,
            }
        })
        .collect()
}

fn join(_: &FunctionContext<'_>, a: Vec<Value>) -> Result<Value, FunctionError> {
    let sep = string(&a, 0)?;
    let mut parts = Vec::new();
    for i in 1..a.len() {
        for v in seq(&a, i)? {
            match v {
                Value::Null => {
                    return Err(FunctionError::at(i, "element is null; cannot concatenate null values"));
                }
                other => parts.push(to_string(&other).ok_or_else(|| FunctionError::at(i, "list of string required"))?),
            }
        }
    }
    Ok(Value::String(parts.join(&sep)))
}

fn split(_: &FunctionContext<'_>, a: Vec<Value>) -> Result<Value, FunctionError> {
    let (sep, s) = (string(&a, 0)?, string(&a, 1)?);
    let parts: Vec<Value> = if sep.is_empty() {
        s.chars().map(|c| Value::String(c.to_string())).collect()
    } else {
        s.split(sep.as_str()).map(Value::from).collect()
    };
    Ok(Value::List(parts))
}

fn replace(_: &FunctionContext<'_>, a: Vec<Value>) -> Result<Value, FunctionError> {
    let (s, search, with) = (string(&a, 0)?, string(&a, 1)?, string(&a, 2)?);
    if search.len() > 1 && search.starts_with('/') && search.ends_with('/') {
        let re = compile(&search[1..search.len() - 1], 1)?;
        return Ok(Value::String(re.replace_all(&s, with.as_str()).into_owned()));
    }
    Ok(Value::String(s.replace(search.as_str(), &with)))
}

fn title(_: &FunctionContext<'_>, a: Vec<Value>) -> Result<Value, FunctionError> {
    let s = string(&a, 0)?;
    let mut out = String::with_capacity(s.len());
    let mut at_word_start = true;
    for c in s.chars() {
        if at_word_start && c.is_alphabetic() {
            out.push_str(&map_runes(&c.to_string(), char::to_uppercase));
        } else {
            out.push(c);
        }
        at_word_start = !c.is_alphanumeric() && c != '\'';
    }
    Ok(Value::String(out))
}

fn trim(_: &FunctionContext<'_>, a: Vec<Value>) -> Result<Value, FunctionError> {
    let (s, cut) = (string(&a, 0)?, string(&a, 1)?);
    Ok(Value::String(s.trim_matches(|c| cut.contains(c)).to_string()))
}

fn indent(_: &FunctionContext<'_>, a: Vec<Value>) -> Result<Value, FunctionError> {
    let n = usize::try_from(int(&a, 0)?).map_err(|_| FunctionError::at(0, "must not be negative"))?;
    let s = string(&a, 1)?;
    let pad = " ".repeat(n);
    let mut lines = s.split('\n');
    let mut out = lines.next().unwrap_or_default().to_string();
    for l in lines {
        out.push('\n');
        out.push_str(&pad);
        out.push_str(l);
    }
    Ok(Value::String(out))
}

fn substr(_: &FunctionContext<'_>, a: Vec<Value>) -> Result<Value, FunctionError> {
    // Offsets count user-perceived characters (grapheme clusters), as Terraform's do.
    let text = string(&a, 0)?;
    let s: Vec<&str> = text.graphemes(true).collect();
    let (mut offset, length) = (int(&a, 1)?, int(&a, 2)?);
    let len = s.len() as i64;
    if offset < 0 {
        offset += len;
    }
    if offset < 0 || offset > len {
        return Err(FunctionError::at(1, "offset out of range"));
    }
    let end = if length < 0 { len } else { (offset + length).min(len) };
    Ok(Value::String(s[offset as usize..end.max(offset) as usize].concat()))
}

fn compile(pattern: &str, arg: usize) -> Result<regex::Regex, FunctionError> {
    regex::Regex::new(pattern).map_err(|e| FunctionError::at(arg, format!("invalid regular expression pattern: {e}")))
}

/// One match as `regex` returns it: the string, a list of groups, or an object of
/// named groups.
fn captures_value(re: &regex::Regex, caps: &regex::Captures<'_>) -> Value {
    let names: Vec<Option<&str>> = re.capture_names().collect();
    if names.len() == 1 {
        return caps.get(0).map_or(Value::Null, |m| Value::from(m.as_str()));
    }
    let group = |i: usize| caps.get(i).map_or(Value::Null, |m| Value::from(m.as_str()));
    if names.iter().skip(1).any(Option::is_some) {
        let m: BTreeMap<String, Value> =
            names.iter().enumerate().skip(1).filter_map(|(i, n)| n.map(|n| (n.to_string(), group(i)))).collect();
        return Value::Object(m.into());
    }
    Value::Tuple((1..names.len()).map(group).collect())
}

fn regex_fn(_: &FunctionContext<'_>, a: Vec<Value>) -> Result<Value, FunctionError> {
    let (pattern, s) = (string(&a, 0)?, string(&a, 1)?);
    let re = compile(&pattern, 0)?;
    let caps =
        re.captures(&s).ok_or_else(|| FunctionError::new("pattern did not match any part of the given string"))?;
    Ok(captures_value(&re, &caps))
}

fn regexall(_: &FunctionContext<'_>, a: Vec<Value>) -> Result<Value, FunctionError> {
    let (pattern, s) = (string(&a, 0)?, string(&a, 1)?);
    let re = compile(&pattern, 0)?;
    Ok(Value::List(re.captures_iter(&s).map(|c| captures_value(&re, &c)).collect()))
}

fn format_fn(_: &FunctionContext<'_>, a: Vec<Value>) -> Result<Value, FunctionError> {
    let f = string(&a, 0)?;
    format_values(&f, &a[1..]).map(Value::String)
}

fn formatlist(_: &FunctionContext<'_>, a: Vec<Value>) -> Result<Value, FunctionError> {
    let f = string(&a, 0)?;
    let mut n: Option<usize> = None;
    for (i, v) in a.iter().enumerate().skip(1) {
        if let Some(xs) = v.as_seq() {
            match n {
                Some(k) if k != xs.len() => {
                    return Err(FunctionError::at(
                        i,
                        format!(
                            "argument {i} has length {}, which is inconsistent with argument 1 of length {k}",
                            xs.len()
                        ),
                    ));
                }
                _ => n = Some(xs.len()),
            }
        }
    }
    let n = n.unwrap_or(1);
    let mut out = Vec::with_capacity(n);
    for row in 0..n {
        let args: Vec<Value> =
            a[1..].iter().map(|v| v.as_seq().map_or_else(|| v.clone(), |xs| xs[row].clone())).collect();
        out.push(Value::String(format_values(&f, &args)?));
    }
    Ok(Value::List(out))
}

struct Spec {
    minus: bool,
    plus: bool,
    zero: bool,
    sharp: bool,
    space: bool,
    width: Option<usize>,
    precision: Option<usize>,
}

/// Go-style `fmt` formatting as Terraform's `format` does it.
pub fn format_values(f: &str, args: &[Value]) -> Result<String, FunctionError> {
    let mut out = String::new();
    let mut chars = f.chars().peekable();
    let mut next = 0usize;
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        if chars.peek() == Some(&'%') {
            chars.next();
            out.push('%');
            continue;
        }
        let mut spec =
            Spec { minus: false, plus: false, zero: false, sharp: false, space: false, width: None, precision: None };
        while let Some(&fl) = chars.peek() {
            match fl {
                '-' => spec.minus = true,
                '+' => spec.plus = true,
                '0' => spec.zero = true,
                '#' => spec.sharp = true,
                ' ' => spec.space = true,
                _ => break,
            }
            chars.next();
        }
        if chars.peek() == Some(&'[') {
            chars.next();
            let digits: String = chars.by_ref().take_while(|c| *c != ']').collect();
            next = digits.parse::<usize>().map_err(|_| FunctionError::new("invalid argument index"))?.saturating_sub(1);
        }
        let digits: String = std::iter::from_fn(|| chars.next_if(char::is_ascii_digit)).collect();
        spec.width = digits.parse().ok();
        if chars.peek() == Some(&'.') {
            chars.next();
            let digits: String = std::iter::from_fn(|| chars.next_if(char::is_ascii_digit)).collect();
            spec.precision = Some(digits.parse().unwrap_or(0));
        }
        let verb = chars.next().ok_or_else(|| FunctionError::new("format string ends with an incomplete verb"))?;
        let arg = args
            .get(next)
            .ok_or_else(|| FunctionError::new(format!("not enough arguments for \"%{verb}\" at {next}")))?;
        let text = format_one(verb, &spec, arg)
            .map_err(|m| FunctionError::new(format!("unsupported value for \"%{verb}\" at {next}: {m}")))?;
        out.push_str(&pad(
            text,
            &spec,
            matches!(verb, 'd' | 'f' | 'F' | 'e' | 'E' | 'g' | 'G' | 'x' | 'X' | 'o' | 'b'),
        ));
        next += 1;
    }
    if next < args.len() {
        return Err(FunctionError::new(format!("too many arguments; only {next} used by format string")));
    }
    Ok(out)
}

fn pad(text: String, spec: &Spec, numeric: bool) -> String {
    let Some(w) = spec.width else { return text };
    let len = text.chars().count();
    if len >= w {
        return text;
    }
    let fill = w - len;
    if spec.minus {
        return format!("{text}{}", " ".repeat(fill));
    }
    if spec.zero && numeric {
        let (sign, digits) = match text.strip_prefix(['-', '+']) {
            Some(rest) => (&text[..1], rest.to_string()),
            None => ("", text.clone()),
        };
        return format!("{sign}{}{digits}", "0".repeat(fill));
    }
    format!("{}{text}", " ".repeat(fill))
}

fn number_arg(v: &Value) -> Result<Number, String> {
    crate::eval::value::to_number(v).ok_or_else(|| "number required".to_string())
}

fn format_one(verb: char, spec: &Spec, v: &Value) -> Result<String, String> {
    if v.is_null() {
        return Ok("null".into());
    }
    match verb {
        'v' if spec.sharp => Ok(super::encoding::json_text(v)),
        'v' => Ok(match v {
            Value::String(_) | Value::Number(_) | Value::Bool(_) => to_string(v).unwrap_or_default(),
            other => super::encoding::json_text(other),
        }),
        's' => to_string(v).ok_or_else(|| "string required".into()).map(|s| match spec.precision {
            Some(p) => s.chars().take(p).collect(),
            None => s,
        }),
        'q' => {
            to_string(v).ok_or_else(|| "string required".into()).map(|s| serde_json::to_string(&s).unwrap_or_default())
        }
        't' => crate::eval::value::to_bool(v).map(|b| b.to_string()).ok_or_else(|| "bool required".into()),
        'd' => {
            let n = number_arg(v)?;
            let i = n.to_i64().filter(|_| n.is_integer()).ok_or("an integer is required")?;
            Ok(if spec.plus && i >= 0 {
                format!("+{i}")
            } else if spec.space && i >= 0 {
                format!(" {i}")
            } else {
                i.to_string()
            })
        }
        'x' | 'X' | 'o' | 'b' => {
            if let Value::String(s) = v
                && matches!(verb, 'x' | 'X')
            {
                let h: String = s.bytes().map(|b| format!("{b:02x}")).collect();
                return Ok(if verb == 'X' { h.to_uppercase() } else { h });
            }
            let n = number_arg(v)?;
            let i = n.to_i64().filter(|_| n.is_integer()).ok_or("an integer is required")?;
            let (neg, u) = (i < 0, i.unsigned_abs());
            let body = match verb {
                'x' => format!("{u:x}"),
                'X' => format!("{u:X}"),
                'o' => format!("{u:o}"),
                _ => format!("{u:b}"),
            };
            Ok(if neg { format!("-{body}") } else { body })
        }
        'f' | 'F' => {
            let f = number_arg(v)?.to_f64();
            let s = format!("{:.*}", spec.precision.unwrap_or(6), f);
            Ok(if spec.plus && f >= 0.0 { format!("+{s}") } else { s })
        }
        'e' | 'E' => {
            let s = go_exp(number_arg(v)?.to_f64(), spec.precision.unwrap_or(6));
            Ok(if verb == 'E' { s.to_uppercase() } else { s })
        }
        'g' | 'G' => {
            let n = number_arg(v)?;
            let f = n.to_f64();
            let exp = if f == 0.0 { 0 } else { f.abs().log10().floor() as i32 };
            Ok(if spec.precision.is_none() && (-4..21).contains(&exp) {
                n.to_string()
            } else {
                go_exp(f, spec.precision.unwrap_or(6))
            })
        }
        other => Err(format!("unrecognized format verb '{other}'")),
    }
}

/// `1.234568e+04` as Go prints it (sign and at least two exponent digits).
fn go_exp(f: f64, precision: usize) -> String {
    let s = format!("{:.*e}", precision, f);
    match s.split_once('e') {
        Some((m, e)) => {
            let (sign, digits) = match e.strip_prefix('-') {
                Some(d) => ('-', d),
                None => ('+', e),
            };
            format!("{m}e{sign}{digits:0>2}")
        }
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(f: &str, args: Vec<Value>) -> String {
        format_values(f, &args).unwrap()
    }

    // Expected strings are what Terraform 1.11's console gives.
    #[test]
    fn format_verbs_match_terraform() {
        let n = |s: &str| Value::Number(Number::parse(s).unwrap());
        assert_eq!(
            fmt(
                "%5.2f|%-4s|%04d|%x|%q|%v|%t|%%|%e",
                vec![
                    n("3.14159"),
                    "ab".into(),
                    n("7"),
                    n("255"),
                    "hi".into(),
                    Value::Tuple(vec![n("1")]),
                    true.into(),
                    n("12345.678")
                ]
            ),
            " 3.14|ab  |0007|ff|\"hi\"|[1]|true|%|1.234568e+04"
        );
        assert_eq!(fmt("%8.3f|%-8d|%+d", vec![n("1.5"), n("3"), n("4")]), "   1.500|3       |+4");
        assert!(format_values("%d", &[n("1.5")]).is_err());
        assert!(format_values("%s", &[Value::Tuple(vec![])]).is_err());
    }

    #[test]
    fn title_substr_indent() {
        let ctx = FunctionContext { module_dir: std::path::Path::new(".") };
        assert_eq!(title(&ctx, vec!["hello world".into()]).unwrap(), Value::from("Hello World"));
        assert_eq!(substr(&ctx, vec!["héllo".into(), 1.into(), Value::from(-1)]).unwrap(), Value::from("éllo"));
        assert_eq!(indent(&ctx, vec![2.into(), "a\nb\n".into()]).unwrap(), Value::from("a\n  b\n  "));
    }

    #[test]
    fn regex_shapes() {
        let ctx = FunctionContext { module_dir: std::path::Path::new(".") };
        assert_eq!(
            regex_fn(&ctx, vec!["(\\d+)-(\\d+)".into(), "10-20".into()]).unwrap(),
            Value::Tuple(vec!["10".into(), "20".into()])
        );
        assert_eq!(
            regex_fn(&ctx, vec!["(?P<x>\\d+)".into(), "a1".into()]).unwrap(),
            Value::object([("x", Value::from("1"))])
        );
        assert_eq!(replace(&ctx, vec!["hello".into(), "/l+/".into(), "L".into()]).unwrap(), Value::from("heLo"));
    }
}
