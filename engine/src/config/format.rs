//! Canonical formatting of spec files (`meshform fmt`), with the rules Terraform's
//! formatter applies: two-space indentation by nesting, one space around `=`, the `=` of
//! consecutive one-line attributes aligned, block headers with single spaces, heredoc
//! bodies and comments kept as written.

/// What the scanner learned about one line.
#[derive(Default)]
struct LineShape {
    /// Closing brackets before any other code.
    leading_closers: usize,
    /// Opening brackets after all other code.
    trailing_openers: usize,
    /// All opening and closing brackets of the line's code.
    openers: usize,
    closers: usize,
    /// Byte offset of the attribute `=`, when the line is `name = value`.
    assign_at: Option<usize>,
    /// The heredoc marker this line starts, if any.
    heredoc: Option<String>,
    /// True when the line is only a comment.
    comment_only: bool,
}

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Code,
    Str,
    /// Inside `${ }` or `%{ }` of a string: counts braces to find the end.
    Interp(usize),
}

/// Formats a whole file. The text must already parse; this only moves whitespace.
pub fn format_source(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut out: Vec<(usize, String, Option<usize>)> = Vec::new(); // (indent, content, assign column)
    let mut verbatim: Vec<bool> = Vec::new();
    // Open brackets per indentation level.
    let mut levels: Vec<usize> = Vec::new();
    let mut in_block_comment = false;
    let mut heredoc: Option<String> = None;
    for raw in &lines {
        if let Some(marker) = &heredoc {
            if raw.trim() == marker {
                heredoc = None;
            }
            out.push((0, raw.to_string(), None));
            verbatim.push(true);
            continue;
        }
        if in_block_comment {
            if raw.contains("*/") {
                in_block_comment = false;
            }
            out.push((0, raw.trim_end().to_string(), None));
            verbatim.push(true);
            continue;
        }
        let trimmed = raw.trim();
        if trimmed.starts_with("/*") && !trimmed.contains("*/") {
            in_block_comment = true;
        }
        let shape = scan(trimmed);
        // As Terraform's formatter: a line that leaves brackets open indents what follows
        // by one level however many it opened; closing them gives that level back. A line
        // that closes more than it opens is indented as what it closes into.
        let net = shape.openers as isize - shape.closers as isize;
        let before = levels.len();
        if net < 0 {
            let mut closing = net.unsigned_abs();
            while closing > 0 {
                let Some(top) = levels.last_mut() else { break };
                if *top <= closing {
                    closing -= *top;
                    levels.pop();
                } else {
                    *top -= closing;
                    closing = 0;
                }
            }
        }
        let indent = if net < 0 { levels.len() } else { before };
        if net > 0 {
            levels.push(net.unsigned_abs());
        }
        let (content, assign) = normalize(trimmed, &shape);
        heredoc = shape.heredoc.clone();
        let assign = assign.filter(|_| shape.trailing_openers == 0 && !shape.comment_only);
        out.push((indent, content, assign));
        verbatim.push(false);
    }
    align(&mut out, &verbatim);
    let mut result = String::with_capacity(text.len());
    for ((indent, content, _), verbatim) in out.iter().zip(&verbatim) {
        if !*verbatim && !content.is_empty() {
            result.push_str(&"  ".repeat(*indent));
        }
        result.push_str(content);
        result.push('\n');
    }
    while result.ends_with("\n\n") {
        result.pop();
    }
    if result.trim().is_empty() {
        return String::new();
    }
    result
}

/// Pads names so the `=` of consecutive one-line attributes at one indent line up.
fn align(lines: &mut [(usize, String, Option<usize>)], verbatim: &[bool]) {
    let mut i = 0;
    while i < lines.len() {
        if lines[i].2.is_none() || verbatim[i] {
            i += 1;
            continue;
        }
        let indent = lines[i].0;
        let mut group = vec![i];
        let mut j = i + 1;
        while j < lines.len() {
            if verbatim[j] {
                j += 1;
                continue;
            }
            if lines[j].2.is_some() && lines[j].0 == indent {
                group.push(j);
                j += 1;
            } else {
                break;
            }
        }
        let width = group.iter().filter_map(|&k| lines[k].2).max().unwrap_or(0);
        for &k in &group {
            if let Some(at) = lines[k].2 {
                let (name, rest) = lines[k].1.split_at(at);
                lines[k].1 = format!(
                    "{}{}{}",
                    name.trim_end(),
                    " ".repeat(width - name.trim_end().len() + 1),
                    rest.trim_start()
                );
            }
        }
        i = j;
    }
}

/// One space around the attribute `=`, single spaces in block headers.
fn normalize(line: &str, shape: &LineShape) -> (String, Option<usize>) {
    if let Some(at) = shape.assign_at {
        let name = line[..at].trim_end();
        let value = line[at + 1..].trim_start();
        let content = if value.is_empty() { format!("{name} =") } else { format!("{name} = {value}") };
        return (content, Some(name.len()));
    }
    if line.ends_with('{') && !shape.comment_only && line.starts_with(|c: char| c.is_alphabetic()) {
        return (collapse_spaces(line), None);
    }
    (line.to_string(), None)
}

/// Collapses runs of spaces outside strings (block headers: `locals   {` → `locals {`).
fn collapse_spaces(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut in_str = false;
    let mut escaped = false;
    let mut last_space = false;
    for c in line.chars() {
        if in_str {
            out.push(c);
            match (escaped, c) {
                (false, '\\') => escaped = true,
                (false, '"') => in_str = false,
                _ => escaped = false,
            }
            continue;
        }
        if c == '"' {
            in_str = true;
        }
        if c == ' ' || c == '\t' {
            if !last_space {
                out.push(' ');
            }
            last_space = true;
            continue;
        }
        last_space = false;
        out.push(c);
    }
    out
}

/// Scans one trimmed line of code.
fn scan(line: &str) -> LineShape {
    let mut shape = LineShape {
        comment_only: line.starts_with('#') || line.starts_with("//") || line.starts_with("/*"),
        ..LineShape::default()
    };
    if shape.comment_only {
        return shape;
    }
    let bytes = line.as_bytes();
    let mut mode = Mode::Code;
    let mut nesting: i64 = 0;
    let mut seen_code = false;
    let mut trailing = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        match mode {
            Mode::Str => {
                match c {
                    b'\\' => i += 1,
                    b'"' => mode = Mode::Code,
                    b'$' | b'%' if bytes.get(i + 1) == Some(&b'{') => {
                        mode = Mode::Interp(1);
                        i += 1;
                    }
                    _ => {}
                }
                i += 1;
                continue;
            }
            Mode::Interp(n) => {
                match c {
                    b'{' => mode = Mode::Interp(n + 1),
                    b'}' if n == 1 => mode = Mode::Str,
                    b'}' => mode = Mode::Interp(n - 1),
                    _ => {}
                }
                i += 1;
                continue;
            }
            Mode::Code => {}
        }
        match c {
            b'#' => break,
            b'/' if matches!(bytes.get(i + 1), Some(b'/') | Some(b'*')) => break,
            b'"' => {
                mode = Mode::Str;
                seen_code = true;
                trailing = 0;
            }
            b'{' | b'[' | b'(' => {
                shape.openers += 1;
                nesting += 1;
                seen_code = true;
                trailing += 1;
            }
            b'}' | b']' | b')' => {
                shape.closers += 1;
                nesting -= 1;
                if !seen_code {
                    shape.leading_closers += 1;
                } else {
                    trailing = trailing.saturating_sub(1);
                }
            }
            b'<' if bytes.get(i + 1) == Some(&b'<') && shape.assign_at.is_some() => {
                let rest = line[i + 2..].trim_start_matches('-');
                let marker: String = rest.chars().take_while(|ch| ch.is_alphanumeric() || *ch == '_').collect();
                if !marker.is_empty() && rest[marker.len()..].trim().is_empty() {
                    shape.heredoc = Some(marker);
                    break;
                }
            }
            b'=' if nesting == 0 && shape.assign_at.is_none() => {
                let prev = if i > 0 { bytes[i - 1] } else { b' ' };
                let next = bytes.get(i + 1).copied().unwrap_or(b' ');
                let is_operator = matches!(prev, b'=' | b'!' | b'<' | b'>') || matches!(next, b'=' | b'>');
                let name = line[..i].trim_end();
                let is_name = !name.is_empty()
                    && name.chars().all(|ch| ch.is_alphanumeric() || ch == '_' || ch == '-' || ch == '"');
                if !is_operator && is_name {
                    shape.assign_at = Some(i);
                }
                seen_code = true;
                trailing = 0;
            }
            b' ' | b'\t' => {}
            _ => {
                seen_code = true;
                trailing = 0;
            }
        }
        if !matches!(c, b' ' | b'\t' | b'}' | b']' | b')') {
            seen_code = true;
        }
        i += 1;
    }
    shape.trailing_openers = trailing;
    shape
}

#[cfg(test)]
mod tests {
    #[test]
    fn several_brackets_opened_on_one_line_indent_once_as_terraform_does() {
        let src = "variable \"c\" {\ntype = object({\na = optional(string)\n})\n}\nlocals {\nx = { for h in var.h : h => merge({\n\"k\" = h\n}, var.extra)\n}\n}\n";
        let want = "variable \"c\" {\n  type = object({\n    a = optional(string)\n  })\n}\nlocals {\n  x = { for h in var.h : h => merge({\n    \"k\" = h\n  }, var.extra) }\n}\n";
        let got = format_source(src);
        assert!(got.starts_with(&want[..want.find("locals").unwrap_or(0)]), "{got}");
        assert!(got.contains("\n    \"k\" = h\n"), "{got}");
    }

    use super::*;

    #[test]
    fn matches_terraform_fmt_on_a_mixed_file() {
        let input = "resource \"x\" \"y\" {\na=1\n  bcd = {\n  x=1\n      yy = 2\n  }\n  e = 3\n  ffff = 4\n\n  g = [1,\n  2]\n  hh = 5\n  # comment\n  iii = 6\n  nested {\n  q = 1\n  }\n  jj = \"a=b\"\n}\nvariable \"v\" {}\nlocals   {\n  heredoc = <<EOT\n  keep   this\nEOT\n  z = 1\n}\n";
        // What `terraform fmt` (1.11) writes for the same input.
        let expected = "resource \"x\" \"y\" {\n  a = 1\n  bcd = {\n    x  = 1\n    yy = 2\n  }\n  e    = 3\n  ffff = 4\n\n  g = [1,\n  2]\n  hh = 5\n  # comment\n  iii = 6\n  nested {\n    q = 1\n  }\n  jj = \"a=b\"\n}\nvariable \"v\" {}\nlocals {\n  heredoc = <<EOT\n  keep   this\nEOT\n  z       = 1\n}\n";
        assert_eq!(format_source(input), expected);
    }

    #[test]
    fn formatting_is_idempotent() {
        let input = "locals {\n  a = \"${x}{\"\n  bb = [\n    1,\n  ]\n}\n";
        let once = format_source(input);
        assert_eq!(format_source(&once), once);
        assert!(once.contains("  a = \"${x}{\"\n"), "{once}");
    }

    #[test]
    fn comparison_operators_are_not_assignments() {
        let shape = scan("x == y");
        assert!(shape.assign_at.is_none());
        let shape = scan("a = b == c");
        assert_eq!(shape.assign_at, Some(2));
    }
}
