//! `meshform test`: finds the module's test files, has the engine run each, and prints
//! their progress the way `terraform test` does (or as JSON events with `-json`).

use std::path::{Component, Path};

use meshform_engine::config::Loader;
use meshform_engine::config::test_file::{TestFile, TestRun, discover};
use meshform_engine::diag::{Diagnostic, Diagnostics, SourceMap};
use meshform_engine::moduletest::{FileReport, RunOutcome, RunReport, Status, TestEnv, TestObserver, run_file};
use serde_json::json;

use crate::args::TestArgs;
use crate::events;
use crate::render::{self, Style};
use crate::workdir::{self, Workdir};
use crate::{Outcome, print_diagnostics};

type Res<T> = Result<T, Diagnostics>;

pub(super) async fn test(wd: &Workdir, a: TestArgs, style: Style) -> Res<Outcome> {
    let (config, warnings) = wd.load_config()?;
    print_diagnostics(&warnings, &wd.sources);
    let test_dir = checked_test_dir(wd, &a.test_directory)?;
    let loader = Loader::new(wd.sources.clone(), &wd.dir);
    let mut files = Vec::new();
    let mut diags = Diagnostics::new();
    for path in discover(&wd.dir, test_dir) {
        let (file, d) = loader.load_test_file(&path);
        diags.extend(d);
        files.extend(file);
    }
    if diags.has_errors() {
        return Err(diags);
    }
    print_diagnostics(&diags, &wd.sources);
    // An unknown name selects nothing, as in Terraform.
    if !a.filter.is_empty() {
        files.retain(|f| a.filter.contains(&f.name));
    }
    let (globals, w) = wd.variables(&config, &a.vars)?;
    print_diagnostics(&w, &wd.sources);
    // Files in the test directory also get its own variable files, over everything else.
    let (mut test_dir_globals, w) = wd.variable_files_in(&wd.dir.join(test_dir), &config)?;
    print_diagnostics(&w, &wd.sources);
    for (k, v) in &globals {
        test_dir_globals.entry(k.clone()).or_insert_with(|| v.clone());
    }
    let interrupted = super::watch_interrupts();
    let env_for = |globals| TestEnv {
        config: config.clone(),
        dir: wd.dir.clone(),
        sources: wd.sources.clone(),
        registry: workdir::registry(),
        globals,
        parallelism: a.parallelism.max(1),
        interrupted: interrupted.clone(),
    };
    let (root_env, test_dir_env) = (env_for(globals), env_for(test_dir_globals));
    let in_test_dir =
        |f: &TestFile| Path::new(&f.name).parent().is_some_and(|p| p == test_dir || p == wd.dir.join(test_dir));
    let view = View { style, verbose: a.verbose, sources: wd.sources.clone() };
    view.abstract_(&files);
    let mut counts = Counts::default();
    let mut suite = Status::Pass;
    for file in &files {
        view.file_line(file, "in progress", "starting", None);
        let env = if in_test_dir(file) { &test_dir_env } else { &root_env };
        let report = run_file(env, file, &view).await;
        view.leftovers(file, &report);
        view.file_line(file, word(report.status), "complete", Some(report.status));
        for r in &report.runs {
            counts.add(r.status);
        }
        suite = suite.max(report.status);
    }
    view.summary(&counts, suite);
    Ok(if suite == Status::Pass { Outcome::Ok } else { Outcome::Exit(1) })
}

/// The test directory, which must lie inside the module's.
fn checked_test_dir<'a>(wd: &Workdir, dir: &'a Path) -> Res<&'a Path> {
    let local = !dir.is_absolute() && dir.components().all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
    if !local {
        return Err(Diagnostic::error("Invalid testing directory")
            .with_detail("The testing directory must be a relative path pointing to a directory local to the configuration directory.")
            .into());
    }
    if dir != Path::new("tests") && !wd.dir.join(dir).is_dir() {
        print_diagnostics(
            &Diagnostic::warning("Test directory does not exist")
                .with_detail(format!("Requested test directory {} does not exist.", dir.display()))
                .into(),
            &wd.sources,
        );
    }
    Ok(dir)
}

#[derive(Default)]
struct Counts {
    passed: usize,
    failed: usize,
    errored: usize,
    skipped: usize,
}

impl Counts {
    fn add(&mut self, s: Status) {
        match s {
            Status::Pass => self.passed += 1,
            Status::Fail => self.failed += 1,
            Status::Error => self.errored += 1,
            Status::Skip | Status::Pending => self.skipped += 1,
        }
    }
}

/// A status as the human view shows it: an error is a failure there.
fn word(s: Status) -> &'static str {
    match s {
        Status::Error => "fail",
        other => other.as_str(),
    }
}

struct View {
    style: Style,
    verbose: bool,
    sources: SourceMap,
}

impl View {
    fn colored(&self, status: &str) -> String {
        let code = match status {
            "pass" => "32",
            "fail" => "31",
            _ => "37",
        };
        self.style.paint(code, status)
    }

    fn abstract_(&self, files: &[TestFile]) {
        if !events::enabled() {
            return;
        }
        let runs: usize = files.iter().map(|f| f.runs.len()).sum();
        let plural = |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        let map: serde_json::Map<String, serde_json::Value> = files
            .iter()
            .map(|f| (f.name.clone(), json!(f.runs.iter().map(|r| r.name.clone()).collect::<Vec<_>>())))
            .collect();
        events::emit(
            "info",
            &format!("Found {} and {}", plural(files.len(), "file", "files"), plural(runs, "run block", "run blocks")),
            "test_abstract",
            json!({ "test_abstract": map }),
        );
    }

    fn file_line(&self, file: &TestFile, what: &str, progress: &str, status: Option<Status>) {
        if events::enabled() {
            let mut payload = json!({ "path": file.name, "progress": progress });
            if let Some(s) = status {
                payload["status"] = json!(s.as_str());
            }
            events::emit(
                "info",
                &format!("{}... {what}", file.name),
                "test_file",
                json!({ "@testfile": file.name, "test_file": payload }),
            );
            return;
        }
        println!("{}... {}", file.name, self.colored(what));
    }

    /// A run's diagnostics (`run` is `None` for the file's own).
    fn diagnostics(&self, diags: &Diagnostics, file: &TestFile, run: Option<&str>) {
        if !events::enabled() {
            print_diagnostics(diags, &self.sources);
            return;
        }
        let mut extra = json!({ "@testfile": file.name });
        if let Some(r) = run {
            extra["@testrun"] = json!(r);
        }
        for d in &diags.0 {
            events::diagnostic_with(d, &self.sources, extra.clone());
        }
    }

    fn leftovers(&self, file: &TestFile, report: &FileReport) {
        for l in &report.leftovers {
            let place = format!("{}/{}", file.name, l.run);
            let names: Vec<String> = l.resources.iter().map(|r| r.to_string()).collect();
            if events::enabled() {
                events::emit(
                    "error",
                    &format!(
                        "meshform left some resources in state after executing {place}, they need to be cleaned up manually."
                    ),
                    "test_cleanup",
                    json!({
                        "@testfile": file.name,
                        "@testrun": l.run,
                        "test_cleanup": { "failed_resources": names.iter().map(|n| json!({"instance": n})).collect::<Vec<_>>() },
                    }),
                );
                self.diagnostics(&l.diagnostics, file, Some(&l.run));
                continue;
            }
            if l.diagnostics.has_errors() {
                eprintln!("meshform encountered an error destroying resources created while executing {place}.");
            }
            self.diagnostics(&l.diagnostics, file, Some(&l.run));
            if !names.is_empty() {
                eprintln!(
                    "\nmeshform left the following resources in state after executing {place}, and they need to be cleaned up manually:"
                );
                for n in &names {
                    eprintln!("  - {n}");
                }
            }
        }
    }

    fn summary(&self, c: &Counts, suite: Status) {
        let failed = c.failed + c.errored;
        let skipped = if c.skipped > 0 { format!(", {} skipped", c.skipped) } else { String::new() };
        let (head, code) = if suite == Status::Pass { ("Success!", "32") } else { ("Failure!", "31") };
        let counts = format!("{} passed, {failed} failed{skipped}.", c.passed);
        if events::enabled() {
            events::emit(
                "info",
                &format!("{head} {counts}"),
                "test_summary",
                json!({ "test_summary": {
                    "status": suite.as_str(),
                    "passed": c.passed,
                    "failed": c.failed,
                    "errored": c.errored,
                    "skipped": c.skipped,
                }}),
            );
            return;
        }
        println!("\n{} {counts}", self.style.paint(code, head));
    }
}

impl TestObserver for View {
    fn run_started(&self, file: &TestFile, run: &TestRun) {
        if events::enabled() {
            events::emit(
                "info",
                &format!("  {:?}... in progress", run.name),
                "test_run",
                json!({
                    "@testfile": file.name,
                    "@testrun": run.name,
                    "test_run": { "path": file.name, "run": run.name, "progress": "starting", "elapsed": 0 },
                }),
            );
        }
    }

    fn run_finished(&self, file: &TestFile, r: &RunReport) {
        if events::enabled() {
            events::emit(
                "info",
                &format!("  {:?}... {}", r.name, word(r.status)),
                "test_run",
                json!({
                    "@testfile": file.name,
                    "@testrun": r.name,
                    "test_run": { "path": file.name, "run": r.name, "progress": "complete", "status": r.status.as_str() },
                }),
            );
        } else {
            println!("  run {:?}... {}", r.name, self.colored(word(r.status)));
            if self.verbose {
                match &r.outcome {
                    Some(RunOutcome::Plan(p)) => {
                        println!();
                        print!("{}", render::plan(p, &self.style, false));
                        println!();
                    }
                    Some(RunOutcome::State(s)) => {
                        println!();
                        super::state::print_state(s);
                        println!();
                    }
                    None => {}
                }
            }
        }
        self.diagnostics(&r.diagnostics, file, Some(&r.name));
    }

    fn teardown_started(&self, file: &TestFile) {
        self.file_line(file, "tearing down", "teardown", None);
    }

    fn teardown_run(&self, file: &TestFile, run: &str) {
        if events::enabled() {
            events::emit(
                "info",
                &format!("  {run:?}... tearing down"),
                "test_run",
                json!({
                    "@testfile": file.name,
                    "@testrun": run,
                    "test_run": { "path": file.name, "run": run, "progress": "teardown", "elapsed": 0 },
                }),
            );
        }
    }
}
