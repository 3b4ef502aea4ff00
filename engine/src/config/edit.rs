//! Edits of spec files that leave every other byte as it was: the host list of a
//! cluster's module calls (`cluster add|remove`) is found by parsing, then only the text
//! of its expression is replaced. Parsing goes through the loader, so a file is read here
//! exactly as `plan` reads it.

use std::ops::Range;
use std::path::{Path, PathBuf};

use hcl_edit::Span as _;
use hcl_edit::expr::Expression;

use super::load::{Loader, is_config_file};
use crate::diag::{Diagnostic, FileId, SourceMap, Span};
use crate::eval::functions::hostlist;

/// What a cluster's host list gains or loses.
#[derive(Clone, Copy, Debug)]
pub enum HostChange<'a> {
    Add(&'a [String]),
    Remove(&'a [String]),
}

/// One host list rewritten: where, and the hosts before and after.
#[derive(Debug)]
pub struct HostListEdit {
    /// The module call it belongs to.
    pub module: String,
    pub line: usize,
    pub before: Vec<String>,
    pub after: Vec<String>,
}

/// A spec file with its host lists rewritten.
#[derive(Debug)]
pub struct FileEdit {
    pub path: PathBuf,
    pub old_text: String,
    pub new_text: String,
    pub edits: Vec<HostListEdit>,
}

/// The module calls a cluster is made of: `NAME`, and the layers `cluster create` writes
/// as `NAME_hosts`, `NAME_spark` and `NAME_hadoop`.
pub fn is_cluster_module(module: &str, cluster: &str) -> bool {
    cluster_of(module) == cluster
}

/// The cluster a root module call belongs to (see [`is_cluster_module`]).
pub fn cluster_of(module: &str) -> &str {
    CLUSTER_LAYERS.iter().find_map(|l| module.strip_suffix(l).filter(|n| !n.is_empty())).unwrap_or(module)
}

const CLUSTER_LAYERS: [&str; 3] = ["_hosts", "_spark", "_hadoop"];

/// The arguments that hold a cluster module's hosts: `hosts` (spark-standalone, hadoop)
/// and `hostlist` (the cloud cluster modules).
const HOST_ARGUMENTS: [&str; 2] = ["hosts", "hostlist"];

/// How a host list is written where it can be edited.
enum Form {
    /// `hostlist("node[01-03]")`
    Call { pattern: Range<usize> },
    /// `"node[01-03]"`
    Pattern,
    /// `["node01", "node02"]`
    List,
}

struct Site {
    module: String,
    span: Range<usize>,
    form: Form,
    hosts: Vec<String>,
}

/// Every spec file in `dir` (not test files), sorted.
fn spec_files(dir: &Path) -> Result<Vec<PathBuf>, Diagnostic> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| Diagnostic::error(format!("Cannot read the directory {}: {e}", dir.display())))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.file_name().and_then(|n| n.to_str()).is_some_and(is_config_file))
        .collect();
    files.sort();
    Ok(files)
}

/// A spec file as read and parsed.
struct ParsedFile {
    path: PathBuf,
    text: String,
    file: FileId,
    body: hcl_edit::structure::Body,
}

/// Every spec file of `dir`, parsed as the loader parses it.
fn parsed_files(dir: &Path, sources: &SourceMap) -> Result<Vec<ParsedFile>, Diagnostic> {
    let loader = Loader::new(sources.clone(), dir);
    spec_files(dir)?
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| Diagnostic::error(format!("Cannot read {}: {e}", path.display())))?;
            let (file, body) = loader.parse_file(&path, text.clone());
            Ok(ParsedFile { path, text, file, body: body? })
        })
        .collect()
}

/// The `module` blocks of a body that belong to `cluster`, with their names.
fn cluster_blocks<'a>(
    body: &'a hcl_edit::structure::Body,
    cluster: &'a str,
) -> impl Iterator<Item = (String, &'a hcl_edit::structure::Block)> {
    body.get_blocks("module").filter_map(move |block| {
        let name = block.labels.first()?.as_str().to_string();
        is_cluster_module(&name, cluster).then_some((name, block))
    })
}

/// The root module calls of `dir` that belong to `cluster`, with their spans.
pub fn cluster_modules(dir: &Path, cluster: &str, sources: &SourceMap) -> Result<Vec<(String, Span)>, Diagnostic> {
    let mut out = Vec::new();
    for f in parsed_files(dir, sources)? {
        out.extend(cluster_blocks(&f.body, cluster).map(|(name, block)| (name, Span::from_opt(f.file, block.span()))));
    }
    Ok(out)
}

/// Rewrites the host lists of `cluster`'s module calls in `dir`. Only literal host lists
/// are edited; where there is none, the error points at the line to change by hand.
/// Nothing is written: the caller writes [`FileEdit::new_text`].
pub fn edit_host_lists(
    dir: &Path,
    cluster: &str,
    change: HostChange<'_>,
    sources: &SourceMap,
) -> Result<Vec<FileEdit>, Diagnostic> {
    let mut edits = Vec::new();
    let mut not_literal: Option<Diagnostic> = None;
    let mut found_module = false;
    for ParsedFile { path, text, file, body } in parsed_files(dir, sources)? {
        let mut sites = Vec::new();
        for (name, block) in cluster_blocks(&body, cluster) {
            found_module = true;
            for arg in HOST_ARGUMENTS {
                let Some(attr) = block.body.get_attribute(arg) else { continue };
                match site(&name, &attr.value, &text) {
                    Ok(s) => sites.push(s),
                    Err(reason) => {
                        let span = Span::from_opt(file, attr.span());
                        let line = sources.line_col(span).map_or(0, |(_, l, _)| l);
                        not_literal.get_or_insert_with(|| {
                            Diagnostic::error(format!("The host list of cluster {cluster:?} is not one this command can edit"))
                                .with_detail(format!(
                                    "module.{name} takes its hosts from an expression ({reason}). Change line {line} of {} by hand, then run \"meshform apply\".",
                                    path.display()
                                ))
                                .with_span(span)
                                .with_label("the host list")
                        });
                    }
                }
            }
        }
        if sites.is_empty() {
            continue;
        }
        let mut file_edit =
            FileEdit { path: path.clone(), old_text: text.clone(), new_text: text.clone(), edits: Vec::new() };
        // From the end, so earlier spans stay right.
        sites.sort_by_key(|s| std::cmp::Reverse(s.span.start));
        for s in sites {
            let after = changed(&s.hosts, change, cluster)?;
            let replacement = render(&s, &after, &text);
            file_edit.new_text.replace_range(s.span.clone(), &replacement);
            let line = text[..s.span.start].matches('\n').count() + 1;
            file_edit.edits.push(HostListEdit { module: s.module, line, before: s.hosts, after });
        }
        file_edit.edits.reverse();
        edits.push(file_edit);
    }
    if !edits.is_empty() {
        return Ok(edits);
    }
    Err(not_literal.unwrap_or_else(|| {
        if found_module {
            Diagnostic::error(format!("Cluster {cluster:?} has no host list in its module calls"))
                .with_detail("cluster add and remove edit the hosts (or hostlist) argument of the cluster's module call.")
        } else {
            Diagnostic::error(format!("No module call for cluster {cluster:?} in {}", dir.display())).with_detail(
                format!("cluster add and remove edit the spec of module {cluster:?} (or {cluster}_hosts), as cluster create writes it."),
            )
        }
    }))
}

/// Where the hosts are in `value`, when it is a literal this module can rewrite.
fn site(module: &str, value: &Expression, text: &str) -> Result<Site, String> {
    let span = value.span().ok_or("it has no position")?;
    let (form, hosts) = match value {
        Expression::String(s) => (Form::Pattern, hostlist::expand(s.value())?),
        Expression::FuncCall(call) if call.name.name.as_str() == "hostlist" && call.args.len() == 1 => {
            match call.args.get(0) {
                Some(Expression::String(s)) => {
                    let pattern = s.span().ok_or("it has no position")?;
                    (Form::Call { pattern }, hostlist::expand(s.value())?)
                }
                _ => return Err("hostlist() of something other than a literal string".into()),
            }
        }
        Expression::Array(items) => {
            let hosts = items
                .iter()
                .map(|e| match e {
                    Expression::String(s) => Ok(s.value().to_string()),
                    _ => Err("a list with elements other than literal strings".to_string()),
                })
                .collect::<Result<Vec<_>, _>>()?;
            (Form::List, hosts)
        }
        _ => return Err(format!("`{}`", text.get(span.clone()).unwrap_or_default().trim())),
    };
    Ok(Site { module: module.to_string(), span, form, hosts })
}

fn changed(hosts: &[String], change: HostChange<'_>, cluster: &str) -> Result<Vec<String>, Diagnostic> {
    let mut out = hosts.to_vec();
    match change {
        HostChange::Add(new) => {
            if let Some(h) = new.iter().find(|h| hosts.contains(h)) {
                return Err(Diagnostic::error(format!("Cluster {cluster:?} already has the host {h:?}")));
            }
            out.extend(new.iter().cloned());
        }
        HostChange::Remove(gone) => {
            if let Some(h) = gone.iter().find(|h| !hosts.contains(h)) {
                return Err(Diagnostic::error(format!("Cluster {cluster:?} has no host {h:?}"))
                    .with_detail(format!("Its hosts are: {}.", hosts.join(", "))));
            }
            out.retain(|h| !gone.contains(h));
        }
    }
    Ok(out)
}

/// The new text of a site: the same form, the hosts in the same order. A pattern is
/// folded (`node[01-04]`) where the folding keeps the order, else written out.
fn render(site: &Site, hosts: &[String], text: &str) -> String {
    let pattern = || pattern(hosts);
    match &site.form {
        Form::Pattern => quoted(&pattern()),
        Form::Call { pattern: p } => {
            let mut call = text[site.span.clone()].to_string();
            call.replace_range(p.start - site.span.start..p.end - site.span.start, &quoted(&pattern()));
            call
        }
        Form::List => {
            let old = &text[site.span.clone()];
            let items: Vec<String> = hosts.iter().map(|h| quoted(h)).collect();
            if !old.contains('\n') {
                return format!("[{}]", items.join(", "));
            }
            // One element per line, indented and closed as before.
            let indent = old.lines().nth(1).map_or("  ", |l| &l[..l.len() - l.trim_start().len()]);
            let close = old.lines().last().map_or("", |l| &l[..l.len() - l.trim_start().len()]);
            let trailing = old.trim_end_matches(']').trim_end().ends_with(',');
            let body: Vec<String> = items.iter().map(|i| format!("{indent}{i}")).collect();
            format!("[\n{}{}\n{close}]", body.join(",\n"), if trailing { "," } else { "" })
        }
    }
}

/// Hosts as one host list pattern: folded (`node[01-04]`) where that keeps their order,
/// else comma-separated.
pub fn pattern(hosts: &[String]) -> String {
    let folded = hostlist::compact(hosts);
    if hostlist::expand(&folded).is_ok_and(|h| h == hosts) { folded } else { hosts.join(",") }
}

/// A string literal in HCL.
pub fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edit(text: &str, cluster: &str, change: HostChange<'_>) -> Result<Vec<FileEdit>, Diagnostic> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("c.hcl"), text).unwrap();
        edit_host_lists(dir.path(), cluster, change, &SourceMap::new())
    }

    fn hosts(h: &[&str]) -> Vec<String> {
        h.iter().map(|s| s.to_string()).collect()
    }

    const SPEC: &str = "# my cluster\nmodule \"demo\" {\n  source = \"meshform/spark-standalone\" # shipped\n  hosts  = hostlist(\"127.0.1.[1-3]\")\n  work_dir    = \"/w\"\n}\n";

    #[test]
    fn adding_a_host_changes_only_its_pattern() {
        let e = edit(SPEC, "demo", HostChange::Add(&hosts(&["127.0.1.4"]))).unwrap();
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].new_text, SPEC.replace("[1-3]", "[1-4]"));
        assert_eq!(e[0].edits[0].line, 4);
        assert_eq!(e[0].edits[0].after.len(), 4);
        let e = edit(SPEC, "demo", HostChange::Remove(&hosts(&["127.0.1.2"]))).unwrap();
        assert_eq!(e[0].new_text, SPEC.replace("[1-3]", "[1,3]"));
    }

    #[test]
    fn order_is_kept_where_folding_would_change_it() {
        let spec = SPEC.replace("127.0.1.[1-3]", "node[05-06]");
        let e = edit(&spec, "demo", HostChange::Add(&hosts(&["node01"]))).unwrap();
        assert_eq!(e[0].new_text, spec.replace("node[05-06]", "node05,node06,node01"));
    }

    #[test]
    fn lists_and_patterns_of_layers_are_edited() {
        let spec = "module \"c_hosts\" {\n  hostlist = \"h[1-2]\"\n}\nmodule \"c_spark\" {\n  hosts = module.c_hosts.hosts\n}\nmodule \"other\" {\n  hosts = [\"x\"]\n}\n";
        let e = edit(spec, "c", HostChange::Add(&hosts(&["h3"]))).unwrap();
        assert_eq!(e[0].new_text, spec.replace("h[1-2]", "h[1-3]"));
        let list = "module \"c\" {\n  hosts = [\n    \"a\",\n    \"b\",\n  ]\n}\n";
        let e = edit(list, "c", HostChange::Add(&hosts(&["c"]))).unwrap();
        assert_eq!(e[0].new_text, "module \"c\" {\n  hosts = [\n    \"a\",\n    \"b\",\n    \"c\",\n  ]\n}\n");
        let e = edit(list, "c", HostChange::Remove(&hosts(&["a"]))).unwrap();
        assert_eq!(e[0].new_text, "module \"c\" {\n  hosts = [\n    \"b\",\n  ]\n}\n");
    }

    #[test]
    fn what_cannot_be_edited_says_which_line_to_change() {
        let spec = "module \"demo\" {\n  source = \"x\"\n  hosts = hostlist(\"127.0.1.[1-${var.n}]\")\n}\n";
        let e = edit(spec, "demo", HostChange::Add(&hosts(&["h"]))).unwrap_err();
        assert!(e.detail.as_deref().unwrap_or_default().contains("Change line 3 of"), "{e:?}");
        let e = edit(SPEC, "demo", HostChange::Add(&hosts(&["127.0.1.2"]))).unwrap_err();
        assert!(e.summary.contains("already has the host \"127.0.1.2\""), "{e:?}");
        let e = edit(SPEC, "demo", HostChange::Remove(&hosts(&["127.0.1.9"]))).unwrap_err();
        assert!(e.summary.contains("has no host \"127.0.1.9\""), "{e:?}");
        let e = edit(SPEC, "nope", HostChange::Remove(&hosts(&["127.0.1.9"]))).unwrap_err();
        assert!(e.summary.contains("No module call for cluster \"nope\""), "{e:?}");
    }

    #[test]
    fn layers_belong_to_their_cluster() {
        assert_eq!(cluster_of("demo_spark"), "demo");
        assert_eq!(cluster_of("demo_hosts"), "demo");
        assert_eq!(cluster_of("spark"), "spark");
        assert_eq!(cluster_of("_spark"), "_spark");
        assert!(is_cluster_module("demo", "demo"));
        assert!(!is_cluster_module("demo2", "demo"));
    }

    #[test]
    fn strings_are_quoted_for_hcl() {
        assert_eq!(quoted("a\"b\\c${x}%{y}$z"), "\"a\\\"b\\\\c$${x}%%{y}$z\"");
    }
}
