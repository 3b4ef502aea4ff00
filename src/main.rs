//! The `meshform` command line: parses arguments, runs a command, prints what the engine
//! returns, and exits 0 (ok), 1 (error) or 2 (changes present, with `-detailed-exitcode`).

// Diagnostics travel unboxed on the error path; see the engine crate.
#![allow(clippy::result_large_err)]

mod args;
mod backend;
mod cluster;
mod clusterspec;
mod commands;
mod events;
mod modules;
mod planfile;
mod planjson;
mod planmd;
mod progress;
mod render;
mod workdir;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;

use meshform_engine::diag::{Diagnostics, SourceMap, to_report};

// A plan of many resources makes many small allocations on several threads; glibc's
// allocator answers that with an arena per thread and gives pages back and faults them in
// again (half the time of a 100 000-resource plan went to the kernel zeroing pages).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// How a command ended.
pub enum Outcome {
    Ok,
    /// Success, and the plan has changes (exit 2 with `-detailed-exitcode`).
    Changes,
    /// `fmt -check` found files to format.
    FmtDiffers,
    /// A job's own exit code, passed on.
    Exit(u8),
}

/// Prints diagnostics to stderr (warnings included) with their source snippets.
pub fn print_diagnostics(diags: &Diagnostics, sources: &SourceMap) {
    if events::enabled() {
        for d in &diags.0 {
            events::diagnostic(d, sources);
        }
        return;
    }
    for d in &diags.0 {
        eprintln!("{:?}", to_report(d, sources));
    }
}

fn main() -> ExitCode {
    let argv = events::take_json_flag(args::normalize_args(std::env::args()));
    let cli = match args::Cli::try_parse_from(argv) {
        Ok(c) => c,
        Err(e) if events::enabled() && e.use_stderr() => {
            let d = meshform_engine::diag::Diagnostic::error("Invalid command line").with_detail(e.to_string());
            events::diagnostic(&d, &SourceMap::new());
            return ExitCode::from(1);
        }
        Err(e) => {
            let code = if e.use_stderr() { 1 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let color = !cli.no_color && std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let _ = miette::set_hook(Box::new(move |_| {
        Box::new(
            miette::MietteHandlerOpts::new().color(color).unicode(color).terminal_links(false).context_lines(1).build(),
        )
    }));
    if let Some(dir) = &cli.chdir
        && let Err(e) = std::env::set_current_dir(dir)
    {
        eprintln!("Error: cannot change to directory {}: {e}", dir.display());
        return ExitCode::from(1);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("Error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let style = render::Style { color };
    match runtime.block_on(commands::run(cli.command, style)) {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::Changes) => ExitCode::from(2),
        Ok(Outcome::FmtDiffers) => ExitCode::from(3),
        Ok(Outcome::Exit(code)) => ExitCode::from(code),
        Err(()) => ExitCode::from(1),
    }
}
