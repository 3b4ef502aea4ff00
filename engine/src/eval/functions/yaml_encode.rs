//! `yamlencode`: block-style YAML laid out byte for byte as Terraform's emitter lays it
//! out: keys and strings double-quoted, multi-line strings as literal blocks when YAML
//! allows it, sequences under a key not indented, long quoted strings folded at 80 columns.

use crate::eval::Value;

/// Indentation step of each nesting level.
const INDENT: usize = 2;
/// Column after which a double-quoted string is folded at its next space.
const BEST_WIDTH: usize = 80;
/// Longest key (in bytes) written as a simple `key: value` pair.
const MAX_SIMPLE_KEY: usize = 128;

pub(super) fn encode(value: &Value) -> String {
    let mut w = YamlWriter::default();
    match value.peel() {
        Value::Map(m) | Value::Object(m) if !m.is_empty() => w.mapping(m, 0, Start::NewLine),
        Value::List(xs) | Value::Tuple(xs) | Value::Set(xs) if !xs.is_empty() => w.sequence(xs, 0, Start::NewLine),
        scalar => {
            w.scalar(scalar, INDENT);
            w.end_line();
            // A bare scalar document is "open ended": the emitter closes it explicitly.
            if is_plain(scalar) {
                w.out.push_str("...\n");
            }
        }
    }
    w.out
}

/// Whether a node starts on the line already begun (after `- `) or on a new line.
#[derive(Clone, Copy, PartialEq)]
enum Start {
    SameLine,
    NewLine,
}

#[derive(Default)]
struct YamlWriter {
    out: String,
}

impl YamlWriter {
    fn column(&self) -> usize {
        let line_start = self.out.rfind('\n').map_or(0, |i| i + 1);
        self.out.get(line_start..).map_or(0, |l| l.chars().count())
    }

    fn end_line(&mut self) {
        if !self.out.is_empty() && !self.out.ends_with('\n') {
            self.out.push('\n');
        }
    }

    fn pad(&mut self, indent: usize) {
        self.out.extend(std::iter::repeat_n(' ', indent));
    }

    fn mapping(&mut self, entries: &std::collections::BTreeMap<String, Value>, indent: usize, start: Start) {
        for (i, (key, value)) in entries.iter().enumerate() {
            if i > 0 || start == Start::NewLine {
                self.pad(indent);
            }
            if key.len() > MAX_SIMPLE_KEY {
                self.out.push_str("? ");
                self.double_quoted(key, indent + INDENT, Folding::Never);
                self.out.push('\n');
                self.pad(indent);
                self.out.push(':');
            } else {
                self.double_quoted(key, indent + INDENT, Folding::Never);
                self.out.push(':');
            }
            self.mapping_value(value.peel(), indent);
        }
    }

    fn mapping_value(&mut self, value: &Value, indent: usize) {
        match value {
            Value::Map(m) | Value::Object(m) if !m.is_empty() => {
                self.out.push('\n');
                self.mapping(m, indent + INDENT, Start::NewLine);
            }
            // Sequences under a key sit at the key's own indentation.
            Value::List(xs) | Value::Tuple(xs) | Value::Set(xs) if !xs.is_empty() => {
                self.out.push('\n');
                self.sequence(xs, indent, Start::NewLine);
            }
            scalar => {
                self.out.push(' ');
                self.scalar(scalar, indent + INDENT);
                self.end_line();
            }
        }
    }

    fn sequence(&mut self, items: &[Value], indent: usize, start: Start) {
        for (i, item) in items.iter().enumerate() {
            if i > 0 || start == Start::NewLine {
                self.pad(indent);
            }
            self.out.push_str("- ");
            match item.peel() {
                Value::Map(m) | Value::Object(m) if !m.is_empty() => self.mapping(m, indent + INDENT, Start::SameLine),
                Value::List(xs) | Value::Tuple(xs) | Value::Set(xs) if !xs.is_empty() => {
                    self.sequence(xs, indent + INDENT, Start::SameLine)
                }
                scalar => {
                    self.scalar(scalar, indent + INDENT);
                    self.end_line();
                }
            }
        }
    }

    /// A scalar or empty collection; `indent` is where continuation lines go.
    fn scalar(&mut self, value: &Value, indent: usize) {
        match value {
            Value::Null | Value::Unknown => self.out.push_str("null"),
            Value::Bool(b) => self.out.push_str(if *b { "true" } else { "false" }),
            Value::Number(n) => self.out.push_str(&n.to_string()),
            Value::String(s) if s.contains('\n') && literal_allowed(s) => self.literal(s, indent),
            Value::String(s) => self.double_quoted(s, indent, Folding::AtWidth),
            Value::List(_) | Value::Tuple(_) | Value::Set(_) => self.out.push_str("[]"),
            Value::Map(_) | Value::Object(_) => self.out.push_str("{}"),
            Value::Sensitive(v) => self.scalar(v, indent),
        }
    }

    fn literal(&mut self, s: &str, indent: usize) {
        self.out.push('|');
        if s.starts_with([' ', '\n']) || s.starts_with(is_break) {
            self.out.push_str(&INDENT.to_string());
        }
        self.out.push_str(chomping_indicator(s));
        self.out.push('\n');
        let mut at_line_start = true;
        for c in s.chars() {
            if is_break(c) {
                self.out.push(c);
                at_line_start = true;
            } else {
                if at_line_start {
                    self.pad(indent);
                    at_line_start = false;
                }
                self.out.push(c);
            }
        }
    }

    fn double_quoted(&mut self, s: &str, indent: usize, folding: Folding) {
        self.out.push('"');
        let mut after_space = false;
        let mut chars = s.char_indices().peekable();
        while let Some((at, c)) = chars.next() {
            if let Some(escape) = escape(c) {
                self.out.push_str(&escape);
                after_space = false;
            } else if c == ' ' {
                let inside = at > 0 && at + 1 < s.len();
                if folding == Folding::AtWidth && !after_space && inside && self.column() > BEST_WIDTH {
                    self.out.push('\n');
                    self.pad(indent);
                    // A second space would be lost in folding; escape it.
                    if matches!(chars.peek(), Some((_, ' '))) {
                        self.out.push('\\');
                    }
                } else {
                    self.out.push(' ');
                }
                after_space = true;
            } else {
                self.out.push(c);
                after_space = false;
            }
        }
        self.out.push('"');
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Folding {
    /// Keys: a simple key must stay on one line.
    Never,
    AtWidth,
}

fn is_plain(value: &Value) -> bool {
    matches!(value, Value::Null | Value::Unknown | Value::Bool(_) | Value::Number(_))
}

fn is_break(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// What the YAML emitter can print unescaped. Characters beyond the Basic Multilingual
/// Plane count as unprintable there and get `\U` escapes.
fn is_printable(c: char) -> bool {
    let u = u32::from(c);
    u == 0x0A
        || (0x20..=0x7E).contains(&u)
        || (0xA0..=0xD7FF).contains(&u)
        || ((0xE000..=0xFFFD).contains(&u) && u != 0xFEFF)
}

/// A literal block cannot carry trailing spaces, spaces before a line break, or
/// characters that need escapes; such strings stay double-quoted.
fn literal_allowed(s: &str) -> bool {
    if s.ends_with(' ') {
        return false;
    }
    let mut previous_space = false;
    for c in s.chars() {
        if !is_printable(c) {
            return false;
        }
        if is_break(c) && previous_space {
            return false;
        }
        previous_space = c == ' ';
    }
    true
}

/// `-` strips the final line break (none there), `+` keeps several, nothing keeps one.
fn chomping_indicator(s: &str) -> &'static str {
    let mut tail = s.chars().rev();
    match (tail.next(), tail.next()) {
        (None, _) => "-",
        (Some(last), _) if !is_break(last) => "-",
        (Some(_), None) => "+",
        (Some(_), Some(before)) if is_break(before) => "+",
        _ => "",
    }
}

fn escape(c: char) -> Option<String> {
    let short = match c {
        '\0' => "\\0",
        '\u{7}' => "\\a",
        '\u{8}' => "\\b",
        '\t' => "\\t",
        '\n' => "\\n",
        '\u{b}' => "\\v",
        '\u{c}' => "\\f",
        '\r' => "\\r",
        '\u{1b}' => "\\e",
        '"' => "\\\"",
        '\\' => "\\\\",
        '\u{85}' => "\\N",
        '\u{2028}' => "\\L",
        '\u{2029}' => "\\P",
        c if is_printable(c) => return None,
        c => {
            let u = u32::from(c);
            return Some(if u <= 0xFF {
                format!("\\x{u:02X}")
            } else if u <= 0xFFFF {
                format!("\\u{u:04X}")
            } else {
                format!("\\U{u:08X}")
            });
        }
    };
    Some(short.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::Number;

    fn num(text: &str) -> Value {
        Number::parse(text).map_or(Value::Null, Value::Number)
    }

    fn obj(pairs: Vec<(&str, Value)>) -> Value {
        Value::object(pairs)
    }

    /// Expected texts are what Terraform 1.11 gives (`jsonencode(yamlencode(...))` in
    /// `terraform console`).
    #[test]
    fn layout_matches_terraform() {
        let cases: Vec<(Value, &str)> = vec![
            (
                obj(vec![
                    ("a", num("1")),
                    ("b", "x".into()),
                    ("c", Value::Tuple(vec![num("1"), "two".into(), true.into(), Value::Null])),
                    ("d", obj(vec![("e", "f".into())])),
                    ("g", Value::Tuple(vec![])),
                    ("h", obj(vec![])),
                ]),
                "\"a\": 1\n\"b\": \"x\"\n\"c\":\n- 1\n- \"two\"\n- true\n- null\n\"d\":\n  \"e\": \"f\"\n\"g\": []\n\"h\": {}\n",
            ),
            ("hello".into(), "\"hello\"\n"),
            ("".into(), "\"\"\n"),
            (Value::Null, "null\n...\n"),
            (true.into(), "true\n...\n"),
            (num("1"), "1\n...\n"),
            (obj(vec![]), "{}\n"),
            (Value::Tuple(vec![]), "[]\n"),
            (
                Value::Tuple(vec![
                    "a".into(),
                    Value::Tuple(vec!["b".into(), "c".into()]),
                    obj(vec![("x", num("1"))]),
                    Value::Tuple(vec![]),
                ]),
                "- \"a\"\n- - \"b\"\n  - \"c\"\n- \"x\": 1\n- []\n",
            ),
            (Value::Tuple(vec![Value::Tuple(vec![Value::Tuple(vec!["x".into()])])]), "- - - \"x\"\n"),
            (
                obj(vec![("a", Value::Tuple(vec![obj(vec![("b", num("1")), ("c", Value::Tuple(vec![num("2")]))])]))]),
                "\"a\":\n- \"b\": 1\n  \"c\":\n  - 2\n",
            ),
        ];
        for (value, want) in cases {
            assert_eq!(encode(&value), want, "{value:?}");
        }
    }

    /// Expected texts are what Terraform 1.11 gives.
    #[test]
    fn strings_match_terraform() {
        let cases = [
            ("multi\nline\n", "|\n  multi\n  line\n"),
            ("multi\nline", "|-\n  multi\n  line\n"),
            ("trail \nx", "\"trail \\nx\"\n"),
            ("\nlead", "|2-\n\n  lead\n"),
            ("x\n\n", "|+\n  x\n\n"),
            ("x\n\ny", "|-\n  x\n\n  y\n"),
            ("\n", "|2+\n\n"),
            ("x\n ind", "|-\n  x\n   ind\n"),
            (" lead\nx", "|2-\n   lead\n  x\n"),
            ("a\tb\nc", "\"a\\tb\\nc\"\n"),
            ("é\nx", "|-\n  é\n  x\n"),
            ("😀\nx", "\"\\U0001F600\\nx\"\n"),
            ("tab\there", "\"tab\\there\"\n"),
            ("\u{1}", "\"\\x01\"\n"),
            ("a\u{a0}b", "\"a\u{a0}b\"\n"),
            ("\r\n", "\"\\r\\n\"\n"),
            ("\u{85}\u{2028}x", "\"\\N\\Lx\"\n"),
            ("x \u{2028}y", "\"x \\Ly\"\n"),
            ("yes", "\"yes\"\n"),
            ("a: b", "\"a: b\"\n"),
            ("\"d\"", "\"\\\"d\\\"\"\n"),
        ];
        for (input, want) in cases {
            assert_eq!(encode(&input.into()), want, "{input:?}");
        }
    }

    /// Expected texts are what Terraform 1.11 gives.
    #[test]
    fn long_strings_fold_like_terraform() {
        let words = "aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii jjjj kkkk llll mmmm nnnn oooo pppp";
        let long = format!("{words} qqqq rrrr ssss tttt uuuu vvvv wwww xxxx yyyy zzzz");
        assert_eq!(
            encode(&obj(vec![("key", long.as_str().into())])),
            "\"key\": \"aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii jjjj kkkk llll mmmm nnnn oooo\n  pppp qqqq rrrr ssss tttt uuuu vvvv wwww xxxx yyyy zzzz\"\n"
        );
        assert_eq!(
            encode(&long.as_str().into()),
            "\"aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii jjjj kkkk llll mmmm nnnn oooo pppp qqqq\n  rrrr ssss tttt uuuu vvvv wwww xxxx yyyy zzzz\"\n"
        );
        let double = format!("{words}  qqqq rrrr ssss tttt uuuu vvvv wwww xxxx yyyy zzzz");
        let nested = obj(vec![("a", obj(vec![("b", Value::Tuple(vec![double.as_str().into()]))]))]);
        assert_eq!(
            encode(&nested),
            "\"a\":\n  \"b\":\n  - \"aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii jjjj kkkk llll mmmm nnnn oooo pppp\n    \\ qqqq rrrr ssss tttt uuuu vvvv wwww xxxx yyyy zzzz\"\n"
        );
        let key =
            "aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii jjjj kkkk llll mmmm nnnn oooo pppp qqqq rrrr ssss tttt uuuu";
        assert_eq!(encode(&obj(vec![(key, num("1"))])), format!("\"{key}\": 1\n"));
    }

    /// Expected texts are what Terraform 1.11 gives.
    #[test]
    fn nested_literals_match_terraform() {
        let value = obj(vec![
            ("a", obj(vec![("b", "x\ny\n".into())])),
            ("c", Value::Tuple(vec!["p\nq".into(), obj(vec![("d", "r\ns".into())])])),
            ("e", Value::Tuple(vec![Value::Tuple(vec!["u\nv".into()])])),
        ]);
        assert_eq!(
            encode(&value),
            "\"a\":\n  \"b\": |\n    x\n    y\n\"c\":\n- |-\n  p\n  q\n- \"d\": |-\n    r\n    s\n\"e\":\n- - |-\n    u\n    v\n"
        );
    }
}
