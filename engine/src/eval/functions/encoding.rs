//! Built-in functions: encodings (JSON, YAML, base64, CSV, URL).

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;

use super::args::string;
use super::{Arity, FunctionContext, FunctionError, Registry};
use crate::eval::Value;

pub(super) fn register(r: &mut Registry) {
    r.add("jsonencode", Arity::Exactly(1), |_, a| Ok(Value::String(json_text(&a[0]))));
    r.add("jsondecode", Arity::Exactly(1), jsondecode);
    r.add("yamlencode", Arity::Exactly(1), |_, a| Ok(Value::String(super::yaml_encode::encode(&a[0]))));
    r.add("yamldecode", Arity::Exactly(1), yamldecode);
    r.add("base64encode", Arity::Exactly(1), |_, a| Ok(Value::String(B64.encode(string(&a, 0)?))));
    r.add("base64decode", Arity::Exactly(1), base64decode);
    r.add("textencodebase64", Arity::Exactly(2), textencodebase64);
    r.add("textdecodebase64", Arity::Exactly(2), textdecodebase64);
    r.add("csvdecode", Arity::Exactly(1), csvdecode);
    r.add("urlencode", Arity::Exactly(1), |_, a| Ok(Value::String(urlencode(&string(&a, 0)?))));
}

/// JSON as Terraform's `jsonencode` writes it: compact, keys sorted, and `<`, `>`, `&`
/// escaped as Go's encoder does.
pub fn json_text(v: &Value) -> String {
    let mut out = String::new();
    write_json(&mut out, v);
    out
}

fn write_json(out: &mut String, v: &Value) {
    match v {
        Value::Null | Value::Unknown => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => write_json_string(out, s),
        Value::List(xs) | Value::Tuple(xs) | Value::Set(xs) => {
            out.push('[');
            for (i, x) in xs.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(out, x);
            }
            out.push(']');
        }
        Value::Map(m) | Value::Object(m) => {
            out.push('{');
            for (i, (k, x)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json_string(out, k);
                out.push(':');
                write_json(out, x);
            }
            out.push('}');
        }
        Value::Sensitive(x) => write_json(out, x),
    }
}

fn write_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => out.push_str(&format!("\\u{:04x}", c as u32)),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A value from JSON text, numbers kept exact.
pub fn from_json_text(text: &str) -> Result<Value, String> {
    let j: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    Ok(Value::from_json(&j))
}

fn jsondecode(_: &FunctionContext<'_>, a: Vec<Value>) -> Result<Value, FunctionError> {
    let s = string(&a, 0)?;
    from_json_text(&s).map_err(|e| FunctionError::at(0, e))
}

fn base64decode(_: &FunctionContext<'_>, a: Vec<Value>) -> Result<Value, FunctionError> {
    let s = string(&a, 0)?;
    let bytes =
        B64.decode(s.as_bytes()).map_err(|_| FunctionError::at(0, format!("failed to decode base64 data {s:?}")))?;
    String::from_utf8(bytes)
        .map(Value::String)
        .map_err(|_| FunctionError::at(0, "the result of decoding the provided string is not valid UTF-8"))
}

/// A text encoding by its IANA name or alias, as Terraform's `textencodebase64` takes it.
enum TextEncoding {
    Utf8,
    /// UTF-16, big or little endian; plain "UTF-16" writes a byte-order mark, big endian.
    Utf16 {
        big_endian: bool,
        bom: bool,
    },
    Other(&'static encoding_rs::Encoding),
}

fn text_encoding(name: &str) -> Result<TextEncoding, FunctionError> {
    let upper = name.to_ascii_uppercase();
    Ok(match upper.as_str() {
        "UTF-8" | "UTF8" => TextEncoding::Utf8,
        "UTF-16LE" => TextEncoding::Utf16 { big_endian: false, bom: false },
        "UTF-16BE" => TextEncoding::Utf16 { big_endian: true, bom: false },
        "UTF-16" => TextEncoding::Utf16 { big_endian: true, bom: true },
        _ => match encoding_rs::Encoding::for_label(name.as_bytes()) {
            Some(e) if e != encoding_rs::REPLACEMENT => TextEncoding::Other(e),
            _ => {
                return Err(FunctionError::invalid(
                    1,
                    "encoding",
                    format!("{name:?} is not a supported IANA encoding name or alias in this Terraform version"),
                ));
            }
        },
    })
}

fn textencodebase64(_: &FunctionContext<'_>, a: Vec<Value>) -> Result<Value, FunctionError> {
    let (text, name) = (string(&a, 0)?, string(&a, 1)?);
    let bytes: Vec<u8> = match text_encoding(&name)? {
        TextEncoding::Utf8 => text.into_bytes(),
        TextEncoding::Utf16 { big_endian, bom } => {
            let units = bom.then_some(0xFEFF_u16).into_iter().chain(text.encode_utf16());
            units.flat_map(|u| if big_endian { u.to_be_bytes() } else { u.to_le_bytes() }).collect()
        }
        TextEncoding::Other(e) => {
            let (bytes, _, unmappable) = e.encode(&text);
            if unmappable {
                return Err(FunctionError::invalid(
                    0,
                    "string",
                    format!("the given string contains characters that cannot be represented in {name}"),
                ));
            }
            bytes.into_owned()
        }
    };
    Ok(Value::String(B64.encode(bytes)))
}

fn textdecodebase64(_: &FunctionContext<'_>, a: Vec<Value>) -> Result<Value, FunctionError> {
    let (encoded, name) = (string(&a, 0)?, string(&a, 1)?);
    let encoding = text_encoding(&name)?;
    let bytes = B64
        .decode(encoded.as_bytes())
        .map_err(|e| FunctionError::at(0, format!("the given value is has an invalid base64 symbol: {e}")))?;
    let invalid = || FunctionError::at(0, format!("the given string contains symbols that are not defined for {name}"));
    let text = match encoding {
        TextEncoding::Utf8 => String::from_utf8(bytes).map_err(|_| invalid())?,
        TextEncoding::Utf16 { big_endian, bom } => {
            if bytes.len() % 2 != 0 {
                return Err(invalid());
            }
            let mut units: Vec<u16> = bytes
                .chunks_exact(2)
                .map(|c| if big_endian { u16::from_be_bytes([c[0], c[1]]) } else { u16::from_le_bytes([c[0], c[1]]) })
                .collect();
            if bom && units.first() == Some(&0xFEFF) {
                units.remove(0);
            }
            String::from_utf16(&units).map_err(|_| invalid())?
        }
        TextEncoding::Other(e) => {
            let (text, malformed) = e.decode_without_bom_handling(&bytes);
            if malformed {
                return Err(invalid());
            }
            text.into_owned()
        }
    };
    Ok(Value::String(text))
}

fn csvdecode(_: &FunctionContext<'_>, a: Vec<Value>) -> Result<Value, FunctionError> {
    let s = string(&a, 0)?;
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(s.as_bytes());
    let headers: Vec<String> =
        reader.headers().map_err(|e| FunctionError::at(0, e.to_string()))?.iter().map(str::to_string).collect();
    let mut rows = Vec::new();
    for rec in reader.records() {
        let rec = rec.map_err(|e| FunctionError::at(0, e.to_string()))?;
        if rec.len() != headers.len() {
            return Err(FunctionError::at(0, "wrong number of fields in record"));
        }
        let obj: BTreeMap<String, Value> = headers.iter().cloned().zip(rec.iter().map(Value::from)).collect();
        rows.push(Value::Object(obj.into()));
    }
    Ok(Value::List(rows))
}

/// Go's `url.QueryEscape`: unreserved characters stay, space becomes `+`.
fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            b' ' => out.push('+'),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

fn yamldecode(_: &FunctionContext<'_>, a: Vec<Value>) -> Result<Value, FunctionError> {
    let s = string(&a, 0)?;
    super::yaml::parse(&s).map_err(|e| FunctionError::new(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::Number;

    #[test]
    fn jsonencode_matches_terraform() {
        let v = from_json_text(r#"{"b":[1,"<a>"],"a":null,"c":1.5}"#).unwrap();
        // What Terraform 1.11 gives for jsonencode({b=[1,"<a>"], a=null, c=1.5}).
        assert_eq!(json_text(&v), r#"{"a":null,"b":[1,"\u003ca\u003e"],"c":1.5}"#);
    }

    #[test]
    fn yamlencode_matches_terraform() {
        let v = Value::object([
            ("b", Value::Tuple(vec![Value::Number(Number::from_i64(1)), "x".into()])),
            ("a", Value::object([("c", Value::from("multi\nline"))])),
            ("d", true.into()),
            ("e", Value::Null),
        ]);
        // What Terraform 1.11 gives for the same value.
        assert_eq!(
            super::super::yaml_encode::encode(&v),
            "\"a\":\n  \"c\": |-\n    multi\n    line\n\"b\":\n- 1\n- \"x\"\n\"d\": true\n\"e\": null\n"
        );
    }

    #[test]
    fn urlencode_like_go() {
        assert_eq!(urlencode("a b&c/é"), "a+b%26c%2F%C3%A9");
    }
}
