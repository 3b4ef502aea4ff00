//! `yamldecode`: YAML read with saphyr's parser (YAML 1.2, anchors and aliases anywhere,
//! flow collections included), its scalars typed as Terraform's YAML reader types them.
//! Mappings become objects and sequences tuples; `<<` merges mappings in; a tag other than
//! the core schema's is an error, as in Terraform.

use std::collections::{BTreeMap, HashMap};

use saphyr_parser::{Event, Parser, ScalarStyle, Tag};

use crate::eval::{Number, Value};

/// Why a text is not YAML `yamldecode` reads; `line` is 0 where no position applies.
#[derive(Debug)]
pub struct YamlError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl std::fmt::Display for YamlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line == 0 {
            f.write_str(&self.message)
        } else {
            write!(f, "on line {}, column {}: {}", self.line, self.column, self.message)
        }
    }
}

fn error(message: impl Into<String>) -> YamlError {
    YamlError { line: 0, column: 0, message: message.into() }
}

/// Decodes one YAML document (none is `null`).
pub fn parse(src: &str) -> Result<Value, YamlError> {
    let mut reader = Reader { events: Parser::new_from_str(src), anchors: HashMap::new() };
    let mut value = Value::Null;
    let mut documents = 0;
    loop {
        let (event, span) = reader.next()?;
        match event {
            Event::StreamEnd => return Ok(value),
            Event::DocumentStart(_) if documents > 0 => {
                return Err(YamlError {
                    line: span.start.line(),
                    column: span.start.col() + 1,
                    message: "unexpected extra content after value".into(),
                });
            }
            Event::DocumentStart(_) => {
                documents += 1;
                let (first, _) = reader.next()?;
                value = match first {
                    Event::DocumentEnd => Value::Null,
                    other => {
                        let v = reader.node(other)?;
                        reader.expect_document_end()?;
                        v
                    }
                };
            }
            _ => {}
        }
    }
}

struct Reader<'a> {
    events: Parser<'a, saphyr_parser::StrInput<'a>>,
    anchors: HashMap<usize, Value>,
}

impl<'a> Reader<'a> {
    fn next(&mut self) -> Result<(Event<'a>, saphyr_parser::Span), YamlError> {
        match self.events.next() {
            Some(Ok(e)) => Ok(e),
            Some(Err(e)) => {
                Err(YamlError { line: e.marker().line(), column: e.marker().col() + 1, message: e.info().to_string() })
            }
            None => Ok((Event::StreamEnd, saphyr_parser::Span::default())),
        }
    }

    fn expect_document_end(&mut self) -> Result<(), YamlError> {
        match self.next()? {
            (Event::DocumentEnd, _) => Ok(()),
            (_, span) => Err(YamlError {
                line: span.start.line(),
                column: span.start.col() + 1,
                message: "unexpected extra content after value".into(),
            }),
        }
    }

    /// The value of the node that `first` starts.
    fn node(&mut self, first: Event<'a>) -> Result<Value, YamlError> {
        let (value, anchor) = match first {
            Event::Alias(id) => {
                return self.anchors.get(&id).cloned().ok_or_else(|| error("unknown anchor referenced by an alias"));
            }
            Event::Scalar(text, style, anchor, tag) => (scalar(&text, style, tag.as_deref())?, anchor),
            Event::SequenceStart(anchor, tag) => {
                check_tag(tag.as_deref(), "seq")?;
                let mut items = Vec::new();
                loop {
                    match self.next()?.0 {
                        Event::SequenceEnd => break,
                        e => items.push(self.node(e)?),
                    }
                }
                (Value::Tuple(items), anchor)
            }
            Event::MappingStart(anchor, tag) => {
                check_tag(tag.as_deref(), "map")?;
                (self.mapping()?, anchor)
            }
            _ => return Err(error("unexpected YAML event")),
        };
        if anchor != 0 {
            self.anchors.insert(anchor, value.clone());
        }
        Ok(value)
    }

    /// A mapping's entries; `<<` merges mappings whose keys the mapping's own override.
    fn mapping(&mut self) -> Result<Value, YamlError> {
        let mut own = BTreeMap::new();
        let mut merged = BTreeMap::new();
        loop {
            let key = match self.next()?.0 {
                Event::MappingEnd => break,
                Event::Scalar(text, style, anchor, tag) => {
                    let merge = style == ScalarStyle::Plain && tag.is_none() && text == "<<";
                    let key = scalar(&text, style, tag.as_deref())?;
                    if anchor != 0 {
                        self.anchors.insert(anchor, key.clone());
                    }
                    if merge {
                        let first = self.next()?.0;
                        let v = self.node(first)?;
                        merge_into(&mut merged, v)?;
                        continue;
                    }
                    key_string(&key)?
                }
                Event::Alias(id) => key_string(self.anchors.get(&id).unwrap_or(&Value::Null))?,
                _ => return Err(error("only strings are allowed as mapping keys")),
            };
            let first = self.next()?.0;
            let v = self.node(first)?;
            own.insert(key, v);
        }
        merged.extend(own);
        Ok(Value::Object(merged.into()))
    }
}

fn merge_into(out: &mut BTreeMap<String, Value>, v: Value) -> Result<(), YamlError> {
    match v {
        Value::Object(m) => {
            for (k, x) in m.iter() {
                out.entry(k.clone()).or_insert_with(|| x.clone());
            }
            Ok(())
        }
        Value::Tuple(items) => items.into_iter().try_for_each(|i| merge_into(out, i)),
        _ => Err(error("map merge requires map or sequence of maps as the value")),
    }
}

/// A mapping key as text: scalars are typed first, so `y:` is the key `"true"`.
fn key_string(v: &Value) -> Result<String, YamlError> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Null => Ok("null".into()),
        _ => Err(error("only strings are allowed as mapping keys")),
    }
}

/// The core schema's tag for a collection, or none.
fn check_tag(tag: Option<&Tag>, kind: &str) -> Result<(), YamlError> {
    match tag {
        None => Ok(()),
        Some(t) if t.is_yaml_core_schema() && t.suffix == kind => Ok(()),
        Some(t) => Err(error(format!("unsupported tag \"{}\"", tag_name(t)))),
    }
}

fn tag_name(t: &Tag) -> String {
    if t.is_yaml_core_schema() { format!("!!{}", t.suffix) } else { format!("{}{}", t.handle, t.suffix) }
}

/// A scalar: quoted ones are strings, plain ones typed, tagged ones as their tag says.
fn scalar(text: &str, style: ScalarStyle, tag: Option<&Tag>) -> Result<Value, YamlError> {
    let Some(tag) = tag else {
        return Ok(if style == ScalarStyle::Plain { plain_scalar(text) } else { Value::from(text) });
    };
    if !tag.is_yaml_core_schema() {
        // A lone `!` asks for no resolution: the text as it is.
        if tag.handle == "!" && tag.suffix.is_empty() {
            return Ok(Value::from(text));
        }
        return Err(error(format!("unsupported tag \"{}\"", tag_name(tag))));
    }
    let invalid = || error(format!("cannot decode {:?} as {}", text, tag_name(tag)));
    match tag.suffix.as_str() {
        "str" | "binary" | "timestamp" => Ok(Value::from(text)),
        "null" => Ok(Value::Null),
        "bool" => match plain_scalar(text) {
            b @ Value::Bool(_) => Ok(b),
            _ => Err(invalid()),
        },
        "int" | "float" => match plain_scalar(text) {
            n @ Value::Number(_) => Ok(n),
            _ => Err(invalid()),
        },
        _ => Err(error(format!("unsupported tag \"{}\"", tag_name(tag)))),
    }
}

/// A plain scalar typed the way Terraform's YAML reader types it: the core schema plus
/// YAML 1.1's `yes`/`no`/`on`/`off`/`y`/`n` booleans and hexadecimal integers.
fn plain_scalar(s: &str) -> Value {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => Value::Null,
        "true" | "True" | "TRUE" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "y" | "Y" => Value::Bool(true),
        "false" | "False" | "FALSE" | "no" | "No" | "NO" | "off" | "Off" | "OFF" | "n" | "N" => Value::Bool(false),
        _ => {
            if let Some(hex) = s.strip_prefix("0x")
                && let Ok(i) = i64::from_str_radix(hex, 16)
            {
                return Value::from(i);
            }
            if let Some(oct) = s.strip_prefix("0o")
                && let Ok(i) = i64::from_str_radix(oct, 8)
            {
                return Value::from(i);
            }
            let numeric = s.trim_start_matches(['-', '+']);
            let looks_numeric = numeric.chars().next().is_some_and(|c| c.is_ascii_digit() || c == '.')
                && numeric.chars().all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '-' | '+'));
            match Number::parse(s.trim_start_matches('+')).filter(|_| looks_numeric) {
                Some(n) => Value::Number(n),
                None => Value::String(s.to_string()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_nested_blocks_and_flows() {
        let v = parse(
            "a:\n  b: 1\n  c: [x, \"y\", 2]\nlist:\n- one\n- k: v\n  k2: true\ntext: |\n  line1\n  line2\nempty:\n",
        )
        .unwrap();
        let expected = Value::object([
            (
                "a",
                Value::object([
                    ("b", Value::from(1)),
                    ("c", Value::Tuple(vec!["x".into(), "y".into(), Value::from(2)])),
                ]),
            ),
            ("list", Value::Tuple(vec!["one".into(), Value::object([("k", "v".into()), ("k2", true.into())])])),
            ("text", Value::from("line1\nline2\n")),
            ("empty", Value::Null),
        ]);
        assert_eq!(v, expected);
    }

    #[test]
    fn anchors_and_aliases_work_inside_flow_collections() {
        let v = parse("a: &x [1, 2]\nb: [*x, 3]\nc: {k: &v {num: 1}, m: *v}").unwrap();
        let one_two = Value::Tuple(vec![Value::from(1), Value::from(2)]);
        let n = Value::object([("num", Value::from(1))]);
        assert_eq!(
            v,
            Value::object([
                ("a", one_two.clone()),
                ("b", Value::Tuple(vec![one_two, Value::from(3)])),
                ("c", Value::object([("k", n.clone()), ("m", n)])),
            ])
        );
    }

    #[test]
    fn merge_keys_and_typed_keys_as_terraform() {
        let v = parse("base: &b {x: 1}\nderived:\n  <<: *b\n  y: 2").unwrap();
        let derived = v.get_attr("derived").cloned().unwrap();
        assert_eq!(derived, Value::object([("true", Value::from(2)), ("x", Value::from(1))]));
    }

    #[test]
    fn unknown_tags_and_extra_documents_are_errors() {
        assert_eq!(parse("a: !foo bar").unwrap_err().to_string(), "unsupported tag \"!foo\"");
        assert_eq!(parse("a: !!str 12").unwrap(), Value::object([("a", Value::from("12"))]));
        let e = parse("---\na: 1\n---\nb: 2").unwrap_err();
        assert_eq!(e.message, "unexpected extra content after value");
    }

    #[test]
    fn reports_position_of_errors() {
        let e = parse("a: [1, 2\n").unwrap_err();
        assert!(e.line >= 1, "{e:?}");
    }
}
