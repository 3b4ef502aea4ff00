//! One function per command, in a module per family of commands. Each prints its own
//! results and diagnostics and returns how it ended; the engine does the work. This module
//! dispatches and holds what several families share (confirmation, interrupts, targets).

mod cluster;
mod inspect;
mod run;
mod setup;
mod state;
mod test;

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use meshform_engine::addrs::Target;
use meshform_engine::diag::{Diagnostic, Diagnostics};

use crate::args::Command;
use crate::render::Style;
use crate::workdir::Workdir;
use crate::{Outcome, print_diagnostics};

use cluster::cluster;
use inspect::{console, graph};
use run::{apply, plan};
use setup::{fmt, init, validate};
use state::{force_unlock, import, output, show, state, workspace};

type CmdResult = Result<Outcome, ()>;

pub async fn run(command: Command, style: Style) -> CmdResult {
    let wd = Workdir::new(PathBuf::from("."));
    let result = match command {
        Command::Init(a) => init(&wd, &a).await,
        Command::Validate(a) => validate(&wd, a.json),
        Command::Fmt(a) => fmt(&a),
        Command::Plan(a) => plan(&wd, a, style).await,
        Command::Apply(a) => apply(&wd, a, style, false).await,
        Command::Destroy(a) => apply(&wd, a, style, true).await,
        Command::Output(a) => output(&wd, &a).await,
        Command::Show(a) => show(&wd, &a).await,
        Command::State(s) => state(&wd, s).await,
        Command::Graph(a) => graph(&wd, &a).await,
        Command::Console(a) => console(&wd, &a).await,
        Command::Cluster(c) => cluster(&wd, c, style).await,
        Command::Workspace(w) => workspace(&wd, w).await,
        Command::ForceUnlock(a) => force_unlock(&wd, &a.lock_id).await,
        Command::Import(a) => import(&wd, &a).await,
        Command::Test(a) => test::test(&wd, a, style).await,
        Command::Version => {
            println!("meshform v{}", env!("CARGO_PKG_VERSION"));
            Ok(Outcome::Ok)
        }
    };
    result.map_err(|diags| print_diagnostics(&diags, &wd.sources))
}

type Res<T> = Result<T, Diagnostics>;

/// Sets the interrupted flag on the first Ctrl-C; a second one exits at once.
pub(super) fn watch_interrupts() -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    let f = flag.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!(
                "\nInterrupt received. Waiting for running operations to finish and recording them; no new ones start."
            );
            f.store(true, Ordering::SeqCst);
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!("Two interrupts received. Exiting immediately; the journal keeps what finished.");
                std::process::exit(1);
            }
        }
    });
    flag
}

fn confirm(destroy: bool) -> Res<bool> {
    // Like Terraform, the answer is read from stdin even when it is not a terminal.
    let stdin = std::io::stdin();
    let question = if destroy {
        "Do you really want to destroy all resources?\n  meshform will destroy all your managed infrastructure, as shown above.\n  There is no undo. Only 'yes' will be accepted to confirm."
    } else {
        "Do you want to perform these actions?\n  meshform will perform the actions described above.\n  Only 'yes' will be accepted to approve."
    };
    print!("\n{question}\n\n  Enter a value: ");
    let _ = std::io::stdout().flush();
    let mut answer = String::new();
    let read =
        stdin.lock().read_line(&mut answer).map_err(|e| Diagnostic::error(format!("Cannot read the answer: {e}")))?;
    println!();
    Ok(read > 0 && answer.trim() == "yes")
}

fn parse_duration(s: &str) -> Res<Duration> {
    let s = s.trim();
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(s.len()));
    let n: f64 = num.parse().map_err(|_| {
        Diagnostic::error("Invalid duration").with_detail(format!("{s:?} is not a duration like 30s or 5m."))
    })?;
    let secs = match unit {
        "" | "s" => n,
        "ms" => n / 1000.0,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => {
            return Err(Diagnostic::error("Invalid duration")
                .with_detail(format!("{s:?}: unknown unit {unit:?}"))
                .into());
        }
    };
    Ok(Duration::from_secs_f64(secs.max(0.0)))
}

fn parse_targets(list: &[String]) -> Res<Vec<Target>> {
    list.iter()
        .map(|s| {
            s.parse().map_err(|e: meshform_engine::addrs::AddrParseError| {
                Diagnostic::error("Invalid address").with_detail(e.to_string()).into()
            })
        })
        .collect()
}
