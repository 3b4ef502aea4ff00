//! Human-readable plan and value rendering, in the shape Terraform users know:
//! `+` create, `~` update, `-/+` replace, `-` destroy, "(known after apply)",
//! "(sensitive value)".

use std::fmt::Write as _;

use meshform_engine::eval::Value;
use meshform_engine::plan::{Action, ChangeReason, OutputChange, Plan, ResourceChange};

/// ANSI colouring, off when not on a terminal or with `-no-color`.
#[derive(Clone, Copy)]
pub struct Style {
    pub color: bool,
}

impl Style {
    pub fn paint(&self, code: &str, s: &str) -> String {
        if self.color { format!("\x1b[{code}m{s}\x1b[0m") } else { s.to_string() }
    }
    pub fn bold(&self, s: &str) -> String {
        self.paint("1", s)
    }
    fn symbol(&self, sym: &str) -> String {
        let code = match sym.trim() {
            "+" => "32",
            "-" => "31",
            "~" => "33",
            "-/+" | "+/-" => "35",
            "<=" => "36",
            _ => return sym.to_string(),
        };
        self.paint(code, sym)
    }
}

fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '-')
}

fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("{s:?}"))
}

/// The lines of a string shown as a heredoc (`<<-EOT`), as Terraform shows a string that
/// holds line breaks; `None` for a one-line string.
fn heredoc_lines(s: &str) -> Option<Vec<&str>> {
    s.contains('\n').then(|| s.strip_suffix('\n').unwrap_or(s).split('\n').collect())
}

/// Which lines of `a` and `b` are kept, removed and added, in order: a longest common
/// subsequence of lines.
fn line_diff<'a>(a: &[&'a str], b: &[&'a str]) -> Vec<(char, &'a str)> {
    let (n, m) = (a.len(), b.len());
    let mut lcs = vec![vec![0usize; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if a[i] == b[j] { lcs[i + 1][j + 1] + 1 } else { lcs[i + 1][j].max(lcs[i][j + 1]) };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            out.push((' ', a[i]));
            i += 1;
            j += 1;
        } else if i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1]) {
            out.push(('-', a[i]));
            i += 1;
        } else {
            out.push(('+', b[j]));
            j += 1;
        }
    }
    out
}

/// A value on one line if it is a scalar, or `None` when it needs several lines.
fn inline(v: &Value) -> Option<String> {
    Some(match v {
        Value::Null => "null".into(),
        Value::Unknown => "(known after apply)".into(),
        Value::Sensitive(_) => "(sensitive value)".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) if heredoc_lines(s).is_some() => return None,
        Value::String(s) => quote(s),
        Value::List(xs) | Value::Tuple(xs) | Value::Set(xs) if xs.is_empty() => "[]".into(),
        Value::Map(m) | Value::Object(m) if m.is_empty() => "{}".into(),
        _ => return None,
    })
}

struct Renderer<'a> {
    out: String,
    style: &'a Style,
}

impl Renderer<'_> {
    fn line(&mut self, indent: usize, sym: &str, text: &str) {
        let _ = writeln!(self.out, "{}{} {}", " ".repeat(indent), self.style.symbol(sym), text);
    }

    fn plain(&mut self, indent: usize, text: &str) {
        let _ = writeln!(self.out, "{}{}", " ".repeat(indent), text);
    }

    /// `prefix` then the value; multi-line values continue at `indent` with `sym` on each line.
    fn value(&mut self, indent: usize, sym: &str, prefix: &str, v: &Value, suffix: &str) {
        self.value_under(indent, sym, sym, prefix, v, suffix);
    }

    /// Like [`Self::value`], with `head` as the first line's symbol.
    fn value_under(&mut self, indent: usize, head: &str, sym: &str, prefix: &str, v: &Value, suffix: &str) {
        if let Some(s) = inline(v) {
            self.line(indent, head, &format!("{prefix}{s}{suffix}"));
            return;
        }
        match v {
            Value::String(text) => {
                self.line(indent, head, &format!("{prefix}<<-EOT"));
                for l in heredoc_lines(text).unwrap_or_default() {
                    self.plain(indent + 6, l);
                }
                self.plain(indent + 2, &format!("EOT{suffix}"));
            }
            Value::List(xs) | Value::Tuple(xs) | Value::Set(xs) => {
                self.line(indent, head, &format!("{prefix}["));
                for x in xs {
                    self.value(indent + 4, sym, "", x, ",");
                }
                self.plain(indent + 2, &format!("]{suffix}"));
            }
            Value::Map(m) | Value::Object(m) => {
                let is_map = matches!(v, Value::Map(_));
                self.line(indent, head, &format!("{prefix}{{"));
                // Null attributes of a nested object say nothing on create or destroy.
                let shown: Vec<(&String, &Value)> = m.iter().filter(|(_, x)| is_map || !x.is_null()).collect();
                let width = shown.iter().map(|(k, _)| key_text(k, is_map).len()).max().unwrap_or(0);
                for (k, x) in shown {
                    let key = format!("{:width$} = ", key_text(k, is_map));
                    self.value(indent + 4, sym, &key, x, "");
                }
                self.plain(indent + 2, &format!("}}{suffix}"));
            }
            _ => {}
        }
    }

    /// An attribute that changed from `before` to `after`.
    fn diff(&mut self, indent: usize, key: &str, before: &Value, after: &Value, note: &str) {
        if let (Some(b), Some(a)) =
            (before.as_map().filter(|_| !before.is_sensitive()), after.as_map().filter(|_| !after.is_sensitive()))
        {
            let is_map = matches!(after, Value::Map(_));
            self.line(indent, "~", &format!("{key}{{{note}"));
            let keys: std::collections::BTreeSet<&String> = b.keys().chain(a.keys()).collect();
            let width = keys.iter().map(|k| key_text(k, is_map).len()).max().unwrap_or(0);
            let mut hidden = 0;
            for k in keys {
                let name = format!("{:width$} = ", key_text(k, is_map));
                match (b.get(k), a.get(k)) {
                    (Some(x), Some(y)) if x == y && y.is_wholly_known() => hidden += 1,
                    (Some(x), Some(y)) => self.diff(indent + 4, &name, x, y, ""),
                    (None, Some(y)) => self.value(indent + 4, "+", &name, y, ""),
                    (Some(x), None) => self.value(indent + 4, "-", &name, x, ""),
                    (None, None) => {}
                }
            }
            if hidden > 0 {
                self.plain(
                    indent + 6,
                    &format!(
                        "# ({hidden} unchanged {} hidden)",
                        if is_map {
                            plural(hidden, "element", "elements")
                        } else {
                            plural(hidden, "attribute", "attributes")
                        }
                    ),
                );
            }
            self.plain(indent + 2, "}");
            return;
        }
        if let (Value::String(b), Value::String(a)) = (before, after)
            && (heredoc_lines(b).is_some() || heredoc_lines(a).is_some())
        {
            let (b, a) = (heredoc_lines(b).unwrap_or(vec![b]), heredoc_lines(a).unwrap_or(vec![a]));
            self.line(indent, "~", &format!("{key}<<-EOT{note}"));
            for (change, l) in line_diff(&b, &a) {
                match change {
                    ' ' => self.plain(indent + 6, l),
                    c => self.line(indent + 4, &c.to_string(), l),
                }
            }
            self.plain(indent + 2, "EOT");
            return;
        }
        match (inline(before), inline(after)) {
            (Some(b), Some(a)) => self.line(indent, "~", &format!("{key}{b} -> {a}{note}")),
            (Some(b), None) => self.value(indent, "~", &format!("{key}{b} -> "), after, note),
            (None, _) => {
                let a = inline(after).unwrap_or_else(|| "(changed)".into());
                // A value that becomes unknown is marked changed; one that goes away, removed.
                let head = if after.is_null() { "-" } else { "~" };
                self.value_under(indent, head, "-", key, before, &format!(" -> {a}{note}"));
            }
        }
    }
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

fn key_text(k: &str, is_map: bool) -> String {
    if is_map || !is_ident(k) { quote(k) } else { k.to_string() }
}

fn header(c: &ResourceChange) -> (String, &'static str) {
    let a = &c.addr;
    match (c.action, &c.reason) {
        (Action::Create, _) => (format!("# {a} will be created"), "+"),
        (Action::Read, _) => (format!("# {a} will be read during apply"), "<="),
        (Action::Update, _) => (format!("# {a} will be updated in-place"), "~"),
        (Action::DeleteThenCreate | Action::CreateThenDelete, Some(ChangeReason::ReplaceRequested)) => {
            (format!("# {a} will be replaced, as requested"), replace_symbol(c.action))
        }
        (Action::DeleteThenCreate | Action::CreateThenDelete, Some(ChangeReason::ReplaceTriggeredBy(_))) => {
            (format!("# {a} will be replaced due to changes in replace_triggered_by"), replace_symbol(c.action))
        }
        (Action::DeleteThenCreate | Action::CreateThenDelete, _) => {
            (format!("# {a} must be replaced"), replace_symbol(c.action))
        }
        (Action::Delete, _) => (format!("# {a} will be destroyed"), "-"),
        (Action::Forget, _) => {
            (format!("# {a} will no longer be managed by Terraform, but will not be destroyed"), ".")
        }
        (Action::NoOp, _) => match (&c.previous, &c.importing) {
            (_, Some(_)) => (format!("# {a} will be imported"), " "),
            (Some(from), None) => (format!("# {from} has moved to {a}"), " "),
            (None, None) => (String::new(), " "),
        },
    }
}

fn replace_symbol(a: Action) -> &'static str {
    if a == Action::CreateThenDelete { "+/-" } else { "-/+" }
}

fn delete_reason(c: &ResourceChange) -> Option<String> {
    let a = &c.addr;
    Some(match c.reason.as_ref()? {
        ChangeReason::NoResourceConfig => {
            format!("# (because {} is not in configuration)", a.resource())
        }
        ChangeReason::CountIndexOutOfRange => {
            format!("# (because index {} is out of range for count)", a.key)
        }
        ChangeReason::EachKeyNotFound => {
            format!("# (because key {} is not in for_each map)", a.key)
        }
        ChangeReason::NoModuleInstance => {
            format!("# (because {} is not in configuration)", a.module)
        }
        ChangeReason::NoMoveTarget => {
            let from = c.previous.as_ref().map_or_else(|| a.to_string(), ToString::to_string);
            format!("# (because {from} was moved to {a}, which is not in configuration)")
        }
        _ => return None,
    })
}

/// One resource change as Terraform shows it.
pub fn resource_change(c: &ResourceChange, style: &Style) -> String {
    let (head, sym) = header(c);
    let mut r = Renderer { out: String::new(), style };
    if c.action == Action::Forget {
        return forget_change(c, &head, style);
    }
    r.plain(2, &style.bold(&head));
    if let Some(reason) = delete_reason(c) {
        r.plain(2, &reason);
    }
    if let (Some(from), false) = (&c.previous, c.action == Action::NoOp) {
        r.plain(2, &format!("# (moved from {from})"));
    }
    if let (Some(id), false) = (&c.importing, c.action == Action::NoOp) {
        r.plain(2, &format!("# (imported from {})", quote(id)));
        if c.action.is_replace() {
            r.plain(2, "# Warning: this will destroy the imported resource");
        }
    }
    let mode = if c.addr.resource.mode == meshform_engine::addrs::ResourceMode::Data { "data" } else { "resource" };
    r.line(2, sym, &format!("{mode} {} {} {{", quote(&c.addr.resource.type_name), quote(&c.addr.resource.name)));
    let empty = std::collections::BTreeMap::new();
    let before = c.before.as_ref().and_then(Value::as_map).unwrap_or(&empty);
    let after = c.after.as_ref().and_then(Value::as_map).unwrap_or(&empty);
    let forcing: &[String] = match &c.reason {
        Some(ChangeReason::AttributesForceReplace(attrs)) => attrs,
        _ => &[],
    };
    let keys: std::collections::BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    let shown: Vec<&String> = keys
        .into_iter()
        .filter(|k| match c.action {
            Action::Create | Action::Read => after.get(*k).is_some_and(|v| !v.is_null()),
            Action::Delete => before.get(*k).is_some_and(|v| !v.is_null()),
            _ => !(before.get(*k).is_none_or(Value::is_null) && after.get(*k).is_none_or(Value::is_null)),
        })
        .collect();
    let width = shown.iter().map(|k| k.len()).max().unwrap_or(0);
    let mut hidden = 0;
    for k in shown {
        let key = format!("{k:width$} = ");
        let note = if forcing.contains(k) { " # forces replacement" } else { "" };
        match c.action {
            Action::Create | Action::Read => r.value(6, "+", &key, &after[k], ""),
            Action::Delete => r.value(6, "-", &key, &before[k], " -> null"),
            _ => {
                let (b, a) = (before.get(k).unwrap_or(&Value::Null), after.get(k).unwrap_or(&Value::Null));
                if b == a && a.is_wholly_known() {
                    match inline(a).filter(|_| k == "id" || k == "name") {
                        Some(text) => r.plain(8, &format!("{key}{text}")),
                        None => hidden += 1,
                    }
                } else if b.is_null() {
                    r.value(6, "+", &key, a, note);
                } else if a.is_null() {
                    r.value(6, "-", &key, b, &format!(" -> null{note}"));
                } else {
                    r.diff(6, &key, b, a, note);
                }
            }
        }
    }
    if hidden > 0 {
        r.plain(8, &format!("# ({hidden} unchanged {} hidden)", plural(hidden, "attribute", "attributes")));
    }
    r.plain(4, "}");
    r.out
}

/// A forgotten instance, as Terraform shows one: its identifying attributes only.
fn forget_change(c: &ResourceChange, head: &str, style: &Style) -> String {
    let mut r = Renderer { out: String::new(), style };
    r.plain(1, &style.bold(head));
    r.plain(1, "# (destroy = false is set in the configuration)");
    r.plain(1, &format!(". resource {} {} {{", quote(&c.addr.resource.type_name), quote(&c.addr.resource.name)));
    let before = c.before.as_ref().and_then(Value::as_map);
    for k in ["id", "name"] {
        if let Some(text) = before.and_then(|b| b.get(k)).and_then(inline) {
            r.plain(8, &format!("{k} = {text}"));
        }
    }
    r.plain(4, "}");
    r.out
}

/// The whole plan: changes, summary line, output changes.
pub fn plan(p: &Plan, style: &Style, summary_only: bool) -> String {
    let mut text = String::new();
    write_plan(p, style, summary_only, &mut |s| text.push_str(s));
    text
}

/// Prints [`plan`]'s text as it is made: a plan of many resources is tens of megabytes.
pub fn print_plan(p: &Plan, style: &Style, summary_only: bool) {
    use std::io::Write as _;
    let stdout = std::io::stdout();
    let mut w = std::io::BufWriter::new(stdout.lock());
    write_plan(p, style, summary_only, &mut |s| {
        let _ = w.write_all(s.as_bytes());
    });
    let _ = w.flush();
}

/// Where plan text goes, piece by piece.
struct Sink<'a>(&'a mut dyn FnMut(&str));

impl Sink<'_> {
    fn push_str(&mut self, s: &str) {
        (self.0)(s);
    }

    fn push(&mut self, c: char) {
        (self.0)(c.encode_utf8(&mut [0; 4]));
    }
}

impl std::fmt::Write for Sink<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        (self.0)(s);
        Ok(())
    }
}

fn write_plan(p: &Plan, style: &Style, summary_only: bool, emit: &mut dyn FnMut(&str)) {
    let mut out = Sink(emit);
    let changes: Vec<&ResourceChange> = p.changes.iter().filter(|c| c.is_change()).collect();
    let outputs: Vec<&OutputChange> = p.outputs.iter().filter(|o| o.is_change()).collect();
    if changes.is_empty() {
        if outputs.is_empty() {
            out.push_str(&style.bold("No changes."));
            out.push_str(" Your infrastructure matches the configuration.\n");
            if !p.drifted.is_empty() {
                let _ = writeln!(
                    out,
                    "\nObjects changed outside meshform will be recorded in the state: {}.",
                    p.drifted.len()
                );
            }
            return;
        }
    } else {
        out.push_str("\nmeshform will perform the following actions:\n\n");
        for c in &changes {
            if summary_only {
                let (_, sym) = header(c);
                let _ = writeln!(out, "  {} {}", style.symbol(sym), c.addr);
            } else {
                out.push_str(&resource_change(c, style));
                out.push('\n');
            }
        }
        let s = p.summary();
        let imports = if s.import > 0 { format!("{} to import, ", s.import) } else { String::new() };
        let _ = writeln!(
            out,
            "{}: {imports}{} to add, {} to change, {} to destroy.",
            style.bold("Plan"),
            s.add,
            s.change,
            s.destroy
        );
    }
    if !outputs.is_empty() {
        out.push_str("\nChanges to Outputs:\n");
        let mut r = Renderer { out: String::new(), style };
        for o in outputs {
            let key = format!("{} = ", o.name);
            let hide = |v: &Value| {
                if o.sensitive { Value::Sensitive(Box::new(Value::Null)) } else { v.clone() }
            };
            match (&o.before, &o.after) {
                (None, Some(a)) => r.value(2, "+", &key, &hide(a), ""),
                (Some(b), None) => r.value(2, "-", &key, &hide(b), " -> null"),
                (Some(b), Some(a)) => r.diff(2, &key, &hide(b), &hide(a), ""),
                (None, None) => {}
            }
        }
        out.push_str(&r.out);
    }
}

/// A value as `console` shows it: like `output`, with unknown and sensitive values named.
pub fn console_value(v: &Value) -> String {
    match v {
        Value::Unknown => "(known after apply)".to_string(),
        Value::Sensitive(_) => "(sensitive value)".to_string(),
        other => output_value(other),
    }
}

/// A value as `output` shows it (HCL-like, multi-line for collections).
pub fn output_value(v: &Value) -> String {
    let mut out = String::new();
    write_hcl(&mut out, v, 0);
    out
}

fn write_hcl(out: &mut String, v: &Value, indent: usize) {
    let pad = " ".repeat(indent + 2);
    match v {
        Value::List(xs) | Value::Tuple(xs) | Value::Set(xs) if !xs.is_empty() => {
            let kind = if matches!(v, Value::Set(_)) { "toset(" } else { "" };
            out.push_str(kind);
            out.push_str("[\n");
            for x in xs {
                out.push_str(&pad);
                write_hcl(out, x, indent + 2);
                out.push_str(",\n");
            }
            out.push_str(&" ".repeat(indent));
            out.push(']');
            if !kind.is_empty() {
                out.push(')');
            }
        }
        Value::Map(m) | Value::Object(m) if !m.is_empty() => {
            let is_map = matches!(v, Value::Map(_));
            let kind = if is_map { "tomap(" } else { "" };
            out.push_str(kind);
            out.push_str("{\n");
            let width = m.keys().map(|k| quote(k).len()).max().unwrap_or(0);
            for (k, x) in m.iter() {
                let _ = write!(out, "{pad}{:width$} = ", quote(k));
                write_hcl(out, x, indent + 2);
                out.push('\n');
            }
            out.push_str(&" ".repeat(indent));
            out.push('}');
            if !kind.is_empty() {
                out.push(')');
            }
        }
        Value::String(s) if s.contains('\n') => {
            out.push_str("<<EOT\n");
            out.push_str(s);
            if !s.ends_with('\n') {
                out.push('\n');
            }
            out.push_str(&" ".repeat(indent));
            out.push_str("EOT");
        }
        other => out.push_str(&inline(other).unwrap_or_default()),
    }
}
