//! A YAML reader for `yamldecode`: block and flow mappings and sequences, plain, quoted
//! and block scalars, typed with YAML 1.2's core schema. Mappings become objects and
//! sequences tuples, as in Terraform.

use std::collections::BTreeMap;

use crate::eval::{Number, Value};

#[derive(Debug)]
pub struct YamlError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

struct Line<'a> {
    no: usize,
    indent: usize,
    text: &'a str,
}

pub fn parse(src: &str) -> Result<Value, YamlError> {
    let lines: Vec<Line<'_>> = src
        .lines()
        .enumerate()
        .filter_map(|(i, l)| {
            let t = l.trim_end();
            let body = t.trim_start();
            if body.is_empty() || body.starts_with('#') || body == "---" || body == "..." {
                return None;
            }
            Some(Line { no: i + 1, indent: t.len() - body.len(), text: body })
        })
        .collect();
    let raw: Vec<&str> = src.lines().collect();
    let mut p = Parser { lines, raw, pos: 0 };
    if p.lines.is_empty() {
        return Ok(Value::Null);
    }
    let indent = p.lines[0].indent;
    let v = p.block(indent)?;
    if let Some(l) = p.lines.get(p.pos) {
        return Err(p.err(l.no, l.indent + 1, "unexpected content after the document"));
    }
    Ok(v)
}

struct Parser<'a> {
    lines: Vec<Line<'a>>,
    raw: Vec<&'a str>,
    pos: usize,
}

fn strip_comment(s: &str) -> &str {
    let mut in_single = false;
    let mut in_double = false;
    let bytes = s.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'\'' if !in_double => in_single = !in_single,
            b'"' if !in_single && (i == 0 || bytes[i - 1] != b'\\') => in_double = !in_double,
            b'#' if !in_single && !in_double && (i == 0 || bytes[i - 1] == b' ') => {
                return s[..i].trim_end();
            }
            _ => {}
        }
    }
    s
}

/// Splits `key: rest` at the first `: ` (or trailing `:`) outside quotes and brackets.
fn split_key(s: &str) -> Option<(&str, &str)> {
    let mut depth = 0i32;
    let mut in_single = false;
    let mut in_double = false;
    let bytes = s.as_bytes();
    for i in 0..bytes.len() {
        match bytes[i] {
            b'\'' if !in_double => in_single = !in_single,
            b'"' if !in_single => in_double = !in_double,
            b'[' | b'{' if !in_single && !in_double => depth += 1,
            b']' | b'}' if !in_single && !in_double => depth -= 1,
            b':' if !in_single && !in_double && depth == 0 && (i + 1 == bytes.len() || bytes[i + 1] == b' ') => {
                return Some((s[..i].trim(), s[i + 1..].trim()));
            }
            _ => {}
        }
    }
    None
}

impl Parser<'_> {
    fn err(&self, line: usize, column: usize, message: &str) -> YamlError {
        YamlError { line, column, message: message.to_string() }
    }

    /// A block node whose lines start at `indent`.
    fn block(&mut self, indent: usize) -> Result<Value, YamlError> {
        let Some(first) = self.lines.get(self.pos) else {
            return Ok(Value::Null);
        };
        let text = strip_comment(first.text);
        if text == "-" || text.starts_with("- ") {
            return self.sequence(indent);
        }
        if split_key(text).is_some() {
            return self.mapping(indent);
        }
        self.pos += 1;
        self.scalar_or_flow(text, first.no)
    }

    fn sequence(&mut self, indent: usize) -> Result<Value, YamlError> {
        let mut items = Vec::new();
        while let Some(l) = self.lines.get(self.pos) {
            let text = strip_comment(l.text);
            if l.indent != indent || !(text == "-" || text.starts_with("- ")) {
                break;
            }
            let rest = text[1..].trim_start();
            let no = l.no;
            if rest.is_empty() {
                self.pos += 1;
                let child = self.lines.get(self.pos).map(|c| c.indent).filter(|i| *i > indent);
                items.push(match child {
                    Some(ci) => self.block(ci)?,
                    None => Value::Null,
                });
                continue;
            }
            // The item's content starts after "- ": treat it as a line of its own.
            let item_indent = indent + (text.len() - rest.len());
            self.lines[self.pos] = Line { no, indent: item_indent, text: rest };
            items.push(self.block(item_indent)?);
        }
        Ok(Value::Tuple(items))
    }

    fn mapping(&mut self, indent: usize) -> Result<Value, YamlError> {
        let mut m = BTreeMap::new();
        while let Some(l) = self.lines.get(self.pos) {
            if l.indent != indent {
                if l.indent > indent {
                    return Err(self.err(l.no, l.indent + 1, "bad indentation of a mapping entry"));
                }
                break;
            }
            let text = strip_comment(l.text);
            let no = l.no;
            let Some((k, rest)) = split_key(text) else {
                return Err(self.err(no, indent + 1, "expected a \"key: value\" mapping entry"));
            };
            let key = match self.scalar_or_flow(k, no)? {
                Value::String(s) => s,
                Value::Null => "null".to_string(),
                other => crate::eval::expr::to_string(&other).unwrap_or_default(),
            };
            self.pos += 1;
            let value = if rest.is_empty() {
                match self.lines.get(self.pos) {
                    Some(c) if c.indent > indent => {
                        let ci = c.indent;
                        self.block(ci)?
                    }
                    Some(c) if c.indent == indent && (c.text.starts_with("- ") || c.text == "-") => {
                        self.sequence(indent)?
                    }
                    _ => Value::Null,
                }
            } else if rest.starts_with('|') || rest.starts_with('>') {
                self.block_scalar(rest, no, indent)?
            } else {
                self.scalar_or_flow(rest, no)?
            };
            m.insert(key, value);
        }
        Ok(Value::Object(m.into()))
    }

    /// `|`, `|-`, `>`, `>-` block scalars: the raw lines more indented than the key.
    fn block_scalar(&mut self, header: &str, no: usize, indent: usize) -> Result<Value, YamlError> {
        let literal = header.starts_with('|');
        let chomp = header[1..].trim();
        let mut body: Vec<String> = Vec::new();
        let mut line_no = no; // 1-based number of the header line
        let mut block_indent = None;
        while let Some(raw) = self.raw.get(line_no) {
            let ind = raw.len() - raw.trim_start().len();
            if !raw.trim().is_empty() && ind <= indent {
                break;
            }
            let bi = *block_indent.get_or_insert(if raw.trim().is_empty() { usize::MAX } else { ind });
            let bi = if bi == usize::MAX && !raw.trim().is_empty() {
                block_indent = Some(ind);
                ind
            } else {
                bi
            };
            body.push(raw.get(bi.min(raw.len())..).unwrap_or_default().to_string());
            line_no += 1;
        }
        while self.lines.get(self.pos).is_some_and(|l| l.no <= line_no) {
            self.pos += 1;
        }
        while body.last().is_some_and(|l| l.trim().is_empty()) {
            body.pop();
        }
        let mut text =
            if literal { body.join("\n") } else { body.iter().map(|l| l.trim()).collect::<Vec<_>>().join(" ") };
        match chomp {
            "-" => {}
            "+" => text.push('\n'),
            _ => text.push('\n'),
        }
        Ok(Value::String(text))
    }

    fn scalar_or_flow(&self, s: &str, no: usize) -> Result<Value, YamlError> {
        let mut flow = Flow { s: s.as_bytes(), text: s, i: 0, no };
        let v = flow.value().map_err(|m| self.err(no, flow.i + 1, &m))?;
        flow.skip_ws();
        if flow.i < s.len() {
            return Err(self.err(no, flow.i + 1, "unexpected characters after a value"));
        }
        Ok(v)
    }
}

/// Flow-style values on one line: `[a, b]`, `{a: 1}`, quoted and plain scalars.
struct Flow<'a> {
    s: &'a [u8],
    text: &'a str,
    i: usize,
    #[allow(dead_code)]
    no: usize,
}

impl Flow<'_> {
    fn skip_ws(&mut self) {
        while self.s.get(self.i).is_some_and(|c| *c == b' ') {
            self.i += 1;
        }
    }

    fn value(&mut self) -> Result<Value, String> {
        self.skip_ws();
        match self.s.get(self.i) {
            Some(b'[') => {
                self.i += 1;
                let mut items = Vec::new();
                loop {
                    self.skip_ws();
                    if self.s.get(self.i) == Some(&b']') {
                        self.i += 1;
                        return Ok(Value::Tuple(items));
                    }
                    items.push(self.value()?);
                    self.skip_ws();
                    match self.s.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b']') => {}
                        _ => return Err("expected , or ] in a flow sequence".into()),
                    }
                }
            }
            Some(b'{') => {
                self.i += 1;
                let mut m = BTreeMap::new();
                loop {
                    self.skip_ws();
                    if self.s.get(self.i) == Some(&b'}') {
                        self.i += 1;
                        return Ok(Value::Object(m.into()));
                    }
                    let key = self.value()?;
                    self.skip_ws();
                    if self.s.get(self.i) != Some(&b':') {
                        return Err("expected : in a flow mapping".into());
                    }
                    self.i += 1;
                    let v = self.value()?;
                    m.insert(crate::eval::expr::to_string(&key).unwrap_or_else(|| "null".into()), v);
                    self.skip_ws();
                    match self.s.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b'}') => {}
                        _ => return Err("expected , or } in a flow mapping".into()),
                    }
                }
            }
            Some(b'"') => self.double_quoted(),
            Some(b'\'') => {
                self.i += 1;
                let mut out = String::new();
                loop {
                    let rest = &self.text[self.i..];
                    let Some(end) = rest.find('\'') else {
                        return Err("unterminated single-quoted string".into());
                    };
                    out.push_str(&rest[..end]);
                    self.i += end + 1;
                    if self.s.get(self.i) == Some(&b'\'') {
                        out.push('\'');
                        self.i += 1;
                    } else {
                        return Ok(Value::String(out));
                    }
                }
            }
            _ => {
                let start = self.i;
                let mut depth_end = self.s.len();
                for (j, c) in self.s.iter().enumerate().skip(start) {
                    if matches!(c, b',' | b']' | b'}') || (*c == b':' && self.s.get(j + 1).is_none_or(|n| *n == b' ')) {
                        depth_end = j;
                        break;
                    }
                }
                self.i = depth_end;
                Ok(plain_scalar(self.text[start..depth_end].trim()))
            }
        }
    }

    fn double_quoted(&mut self) -> Result<Value, String> {
        let rest = &self.text[self.i..];
        let mut end = None;
        let mut escaped = false;
        for (j, c) in rest.char_indices().skip(1) {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                end = Some(j);
                break;
            }
        }
        let end = end.ok_or("unterminated double-quoted string")?;
        let literal = &rest[..=end];
        self.i += end + 1;
        serde_json::from_str::<String>(literal).map(Value::String).map_err(|e| format!("invalid escape in string: {e}"))
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
    fn reports_position_of_errors() {
        let e = parse("a: [1, 2\n").unwrap_err();
        assert_eq!(e.line, 1);
    }
}
