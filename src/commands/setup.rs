//! `init`, `validate` and `fmt`: getting a working directory ready and its files checked.

use std::path::PathBuf;

use meshform_engine::diag::{Diagnostic, Diagnostics};
use meshform_engine::graph::Graph;

use crate::backend;
use crate::workdir::Workdir;
use crate::{Outcome, print_diagnostics};

use super::Res;

pub(super) async fn init(wd: &Workdir, a: &crate::args::InitArgs) -> Res<Outcome> {
    install_modules(wd, a.upgrade)?;
    if a.backend {
        let backend = backend::init(wd, a.migrate_state, a.reconfigure).await?;
        println!("Backend: {}.", backend.describe());
    }
    println!("\nmeshform has been successfully initialized!\n");
    println!("The configuration loads, and every provider it uses is built in. You may now run \"meshform plan\".");
    Ok(Outcome::Ok)
}

/// What `init` does first: installs the modules the configuration calls, and checks that
/// it loads and makes a graph.
pub(super) fn install_modules(wd: &Workdir, upgrade: bool) -> Res<()> {
    crate::modules::ignore_runtime_dir(&wd.dir);
    let installer = std::sync::Arc::new(crate::modules::Installer::new(&wd.dir, upgrade));
    let (config, warnings) = wd.load_config_with(installer.clone()).inspect_err(|_| installer.abort())?;
    installer.finish()?;
    print_diagnostics(&warnings, &wd.sources);
    Graph::build(&config)?;
    Ok(())
}

pub(super) fn validate(wd: &Workdir, json: bool) -> Res<Outcome> {
    let checked = wd.load_config().and_then(|(config, w)| Graph::build(&config).map(|_| w));
    if json {
        let (valid, diags) = match &checked {
            Ok(w) => (true, w.clone()),
            Err(d) => (false, d.clone()),
        };
        let doc = serde_json::json!({
            "format_version": "1.0",
            "valid": valid,
            "error_count": diags.0.iter().filter(|d| d.is_error()).count(),
            "warning_count": diags.0.iter().filter(|d| !d.is_error()).count(),
            "diagnostics": diags.0.iter().map(|d| diagnostic_json(d, wd)).collect::<Vec<_>>(),
        });
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
        return if valid { Ok(Outcome::Ok) } else { Err(Diagnostics::new()) };
    }
    let warnings = checked?;
    print_diagnostics(&warnings, &wd.sources);
    println!("Success! The configuration is valid.");
    Ok(Outcome::Ok)
}

/// A diagnostic in Terraform's JSON shape (`validate -json`).
fn diagnostic_json(d: &Diagnostic, wd: &Workdir) -> serde_json::Value {
    let range = d.span.and_then(|s| {
        let (file, line, column) = wd.sources.line_col(s)?;
        Some(serde_json::json!({"filename": file, "start": {"line": line, "column": column, "byte": s.start}}))
    });
    serde_json::json!({
        "severity": if d.is_error() { "error" } else { "warning" },
        "summary": d.summary,
        "detail": d.detail.clone().unwrap_or_default(),
        "address": d.address,
        "range": range,
    })
}

pub(super) fn fmt(a: &crate::args::FmtArgs) -> Res<Outcome> {
    let roots = if a.paths.is_empty() { vec![PathBuf::from(".")] } else { a.paths.clone() };
    let mut files = Vec::new();
    for root in roots {
        collect_spec_files(&root, a.recursive, &mut files);
    }
    let mut differs = false;
    let mut diags = Diagnostics::new();
    let sources = meshform_engine::diag::SourceMap::new();
    for f in files {
        let text =
            std::fs::read_to_string(&f).map_err(|e| Diagnostic::error(format!("Cannot read {}: {e}", f.display())))?;
        let loader = meshform_engine::config::Loader::new(sources.clone(), ".");
        if let (_, Err(d)) = loader.parse_file(&f, text.clone()) {
            diags.push(d);
            continue;
        }
        let formatted = meshform_engine::config::format::format_source(&text);
        if formatted == text {
            continue;
        }
        differs = true;
        println!("{}", f.display());
        if a.diff {
            print_line_diff(&text, &formatted);
        }
        if !a.check {
            std::fs::write(&f, formatted)
                .map_err(|e| Diagnostic::error(format!("Cannot write {}: {e}", f.display())))?;
        }
    }
    if diags.has_errors() {
        print_diagnostics(&diags, &sources);
        return Err(Diagnostics::new());
    }
    Ok(if a.check && differs { Outcome::FmtDiffers } else { Outcome::Ok })
}

fn collect_spec_files(path: &std::path::Path, recursive: bool, out: &mut Vec<PathBuf>) {
    if path.is_file() {
        out.push(path.to_path_buf());
        return;
    }
    let Ok(entries) = std::fs::read_dir(path) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        let name = p.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        if p.is_dir() {
            if recursive && !name.starts_with('.') {
                collect_spec_files(&p, recursive, out);
            }
        } else if name.ends_with(".tf") || name.ends_with(".hcl") || name.ends_with(".tfvars") {
            out.push(p);
        }
    }
}

fn print_line_diff(old: &str, new: &str) {
    for (a, b) in old.lines().zip(new.lines()) {
        if a != b {
            println!("-{a}\n+{b}");
        }
    }
}
