//! Built-in functions for host lists in the Slurm / python-hostlist syntax:
//! `hostlist("host[01-03],login")` expands a pattern, `hostlist_compact(list)` folds names
//! back into one.

use std::collections::BTreeMap;

use super::args::{string, strings};
use super::{Arity, FunctionContext, FunctionError, Registry};
use crate::eval::Value;

pub(super) fn register(r: &mut Registry) {
    r.add("hostlist", Arity::Exactly(1), |_, a| {
        let names = expand(&string(&a, 0)?).map_err(|m| FunctionError::at(0, m))?;
        Ok(Value::List(names.into_iter().map(Value::String).collect()))
    });
    r.add("hostlist_compact", Arity::Exactly(1), compact_fn);
}

/// Expands a host list pattern; duplicates are dropped, order is kept.
pub fn expand(pattern: &str) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for item in split_top_level(pattern)? {
        if item.is_empty() {
            continue;
        }
        for name in expand_item(item)? {
            if !out.contains(&name) {
                out.push(name);
            }
        }
    }
    Ok(out)
}

/// Splits at commas outside brackets.
fn split_top_level(s: &str) -> Result<Vec<&str>, String> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (i, c) in s.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(s[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
        if !(0..=1).contains(&depth) {
            return Err(format!("invalid host list {s:?}: brackets do not nest"));
        }
    }
    if depth != 0 {
        return Err(format!("invalid host list {s:?}: a \"[\" is not closed"));
    }
    parts.push(s[start..].trim());
    Ok(parts)
}

/// One item: literal text and bracket groups, expanded as a cartesian product.
fn expand_item(item: &str) -> Result<Vec<String>, String> {
    let mut names = vec![String::new()];
    let mut rest = item;
    while !rest.is_empty() {
        let (literal, after) = match rest.find('[') {
            Some(i) => (&rest[..i], Some(&rest[i + 1..])),
            None => (rest, None),
        };
        if literal.contains(']') {
            return Err(format!("invalid host list item {item:?}: unexpected \"]\""));
        }
        for n in &mut names {
            n.push_str(literal);
        }
        let Some(after) = after else { break };
        let close = after.find(']').ok_or_else(|| format!("invalid host list item {item:?}: a \"[\" is not closed"))?;
        let values = expand_range_list(&after[..close], item)?;
        names = names.iter().flat_map(|n| values.iter().map(move |v| format!("{n}{v}"))).collect();
        rest = &after[close + 1..];
    }
    Ok(names)
}

/// `1,3-5,07-09` inside brackets.
fn expand_range_list(inner: &str, item: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for part in inner.split(',') {
        let part = part.trim();
        let (lo, hi) = part.split_once('-').unwrap_or((part, part));
        let numeric = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
        if !numeric(lo) || !numeric(hi) {
            return Err(format!("invalid range {part:?} in host list item {item:?}: ranges are numbers like 01-10"));
        }
        let (a, b): (u64, u64) = match (lo.parse(), hi.parse()) {
            (Ok(a), Ok(b)) => (a, b),
            _ => return Err(format!("invalid range {part:?} in host list item {item:?}: number too large")),
        };
        if a > b {
            return Err(format!("invalid range {part:?} in host list item {item:?}: {lo} is greater than {hi}"));
        }
        if b - a > 100_000 {
            return Err(format!("range {part:?} in host list item {item:?} is too large"));
        }
        let width = if lo.len() > 1 && lo.starts_with('0') { lo.len() } else { 0 };
        out.extend((a..=b).map(|n| format!("{n:0width$}")));
    }
    Ok(out)
}

fn compact_fn(_: &FunctionContext<'_>, a: Vec<Value>) -> Result<Value, FunctionError> {
    Ok(Value::String(compact(&strings(&a, 0)?)))
}

/// Folds names into a host list pattern: names that differ only in their last number
/// (of the same zero-padded width) become one bracket range.
pub fn compact(names: &[String]) -> String {
    // (prefix, suffix, width) -> numbers; names without a number stay as they are.
    let mut groups: BTreeMap<(String, String, usize), Vec<u64>> = BTreeMap::new();
    let mut plain: Vec<String> = Vec::new();
    // Zero-padded widths in use per prefix and suffix: `host10` joins `host09`'s group.
    let padded: Vec<(&str, &str, usize)> = names
        .iter()
        .filter_map(|n| split_last_number(n))
        .filter(|(_, d, _)| d.len() > 1 && d.starts_with('0'))
        .map(|(p, d, s)| (p, s, d.len()))
        .collect();
    for name in names {
        match split_last_number(name) {
            Some((prefix, digits, suffix)) => {
                let joins_padded = padded.iter().any(|&(p, s, w)| p == prefix && s == suffix && w == digits.len());
                let width =
                    if (digits.len() > 1 && digits.starts_with('0')) || joins_padded { digits.len() } else { 0 };
                let n = digits.parse().unwrap_or(0);
                groups.entry((prefix.to_string(), suffix.to_string(), width)).or_default().push(n);
            }
            None => {
                if !plain.contains(name) {
                    plain.push(name.clone());
                }
            }
        }
    }
    let mut items: Vec<String> = Vec::new();
    for ((prefix, suffix, width), mut numbers) in groups {
        numbers.sort_unstable();
        numbers.dedup();
        if numbers.len() == 1 {
            items.push(format!("{prefix}{:0width$}{suffix}", numbers[0]));
            continue;
        }
        let mut ranges: Vec<String> = Vec::new();
        let mut start = numbers[0];
        let mut prev = start;
        for &n in numbers.iter().skip(1).chain(std::iter::once(&u64::MAX)) {
            if n != prev.wrapping_add(1) {
                ranges.push(if start == prev {
                    format!("{start:0width$}")
                } else {
                    format!("{start:0width$}-{prev:0width$}")
                });
                start = n;
            }
            prev = n;
        }
        items.push(format!("{prefix}[{}]{suffix}", ranges.join(",")));
    }
    items.extend(plain);
    items.join(",")
}

fn split_last_number(name: &str) -> Option<(&str, &str, &str)> {
    let end = name.rfind(|c: char| c.is_ascii_digit())? + 1;
    let start = name[..end].rfind(|c: char| !c.is_ascii_digit()).map_or(0, |i| i + 1);
    Some((&name[..start], &name[start..end], &name[end..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(p: &str) -> Vec<String> {
        expand(p).unwrap()
    }

    #[test]
    fn expands_like_python_hostlist() {
        assert_eq!(names("host[01-03]"), ["host01", "host02", "host03"]);
        assert_eq!(names("n[9-11]"), ["n9", "n10", "n11"]);
        assert_eq!(names("a[1,3-5]"), ["a1", "a3", "a4", "a5"]);
        assert_eq!(names("red[01-02],red"), ["red01", "red02", "red"]);
        assert_eq!(names("n[1-2]-[3-4]"), ["n1-3", "n1-4", "n2-3", "n2-4"]);
        assert_eq!(names("h1,h1,h2"), ["h1", "h2"]);
    }

    #[test]
    fn bad_patterns_say_why() {
        assert!(expand("x[a-c]").unwrap_err().contains("ranges are numbers"));
        assert!(expand("h[3-1]").unwrap_err().contains("3 is greater than 1"));
        assert!(expand("h[1-2").unwrap_err().contains("not closed"));
        assert!(expand("h]1").is_err());
    }

    #[test]
    fn compact_is_the_inverse() {
        for p in ["host[01-03]", "n[1-3,5]", "red[01-02],red", "a[1-2]x"] {
            assert_eq!(compact(&names(p)), p, "{p}");
        }
        assert_eq!(compact(&names("n[9-11]")), "n[9-11]");
        assert_eq!(compact(&names("host[09-12]")), "host[09-12]");
    }
}
