//! The module structure ARCHITECTURE.md promises: no two modules of a crate import from
//! each other, directly or through others. A child may use its parent's items; every other
//! reference (`crate::a::b`, `super::sibling`) is an edge, and the test fails naming the
//! modules of any cycle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Module path (`eval::expr`) -> the source of its file, test modules and comments left out.
fn modules(root: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("reading {}: {e}", dir.display())) {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            if path.extension().is_none_or(|x| x != "rs") {
                continue;
            }
            let rel = path.strip_prefix(root).expect("under the root").with_extension("");
            let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().to_string()).collect();
            if matches!(parts.last().map(String::as_str), Some("mod" | "lib" | "main")) {
                parts.pop();
            }
            let text = std::fs::read_to_string(&path).expect("a source file");
            let text = match text.find("#[cfg(test)]\nmod tests") {
                Some(i) => &text[..i],
                None => &text[..],
            };
            let code: Vec<&str> = text.lines().filter(|l| !l.trim_start().starts_with("//")).collect();
            out.insert(parts.join("::"), code.join("\n"));
        }
    }
    out
}

/// The modules each module refers to, to the deepest module a path names.
fn edges(mods: &BTreeMap<String, String>) -> BTreeMap<String, BTreeSet<String>> {
    let is_ident = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == ':';
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (name, code) in mods {
        let parent = name.rsplit_once("::").map_or("", |(p, _)| p);
        let mut deps = BTreeSet::new();
        for (prefix, base) in [("crate::", String::new()), ("super::", parent.to_string())] {
            for (at, _) in code.match_indices(prefix) {
                if at > 0 && code[..at].ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == ':') {
                    continue;
                }
                let rest: String = code[at + prefix.len()..].chars().take_while(|c| is_ident(*c)).collect();
                let parts: Vec<&str> = rest.split("::").filter(|p| !p.is_empty()).collect();
                for k in (1..=parts.len()).rev() {
                    let candidate = if base.is_empty() {
                        parts[..k].join("::")
                    } else {
                        format!("{base}::{}", parts[..k].join("::"))
                    };
                    if mods.contains_key(&candidate) {
                        let ancestor = name.starts_with(&format!("{candidate}::"));
                        if candidate != *name && !ancestor {
                            deps.insert(candidate);
                        }
                        break;
                    }
                }
            }
        }
        out.insert(name.clone(), deps);
    }
    out
}

/// One cycle, if there is any: the modules along it.
fn find_cycle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    // 0: not seen, 1: on the current path, 2: done.
    let mut mark: BTreeMap<&str, u8> = BTreeMap::new();
    fn visit<'a>(
        n: &'a str,
        edges: &'a BTreeMap<String, BTreeSet<String>>,
        mark: &mut BTreeMap<&'a str, u8>,
        path: &mut Vec<&'a str>,
    ) -> Option<Vec<String>> {
        mark.insert(n, 1);
        path.push(n);
        for next in edges.get(n).into_iter().flatten() {
            match mark.get(next.as_str()) {
                Some(1) => {
                    let from = path.iter().position(|p| *p == next).unwrap_or(0);
                    return Some(path[from..].iter().map(|s| s.to_string()).collect());
                }
                Some(_) => {}
                None => {
                    if let Some(c) = visit(next, edges, mark, path) {
                        return Some(c);
                    }
                }
            }
        }
        path.pop();
        mark.insert(n, 2);
        None
    }
    for n in edges.keys() {
        if !mark.contains_key(n.as_str())
            && let Some(c) = visit(n, edges, &mut mark, &mut Vec::new())
        {
            return Some(c);
        }
    }
    None
}

#[test]
fn no_module_imports_from_a_module_that_imports_from_it() {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    for root in
        ["src", "engine/src", "backend/src", "providers/aws/src", "providers/host/src", "providers/kubernetes/src"]
    {
        let mods = modules(&here.join(root));
        assert!(mods.len() > 1, "{root} has modules");
        if let Some(cycle) = find_cycle(&edges(&mods)) {
            panic!("{root}: these modules import from each other: {}", cycle.join(" -> "));
        }
    }
}

#[test]
fn a_cycle_is_found_and_a_child_using_its_parent_is_not_one() {
    let mods: BTreeMap<String, String> = [
        ("a", "use crate::b::thing;"),
        ("b", "fn f() { crate::a::g() }"),
        ("c", "mod d;"),
        ("c::d", "use super::shared;"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let e = edges(&mods);
    assert_eq!(e["c::d"], BTreeSet::new(), "a child's use of its parent is no edge");
    let cycle = find_cycle(&e).expect("a and b refer to each other");
    assert_eq!(cycle, vec!["a".to_string(), "b".to_string()]);
}
