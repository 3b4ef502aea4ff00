//! Apply progress as Terraform prints it: a line when each operation starts and ends, and
//! `ADDR: Still creating... [10s elapsed]` every 10 s for each one still running (an
//! `apply_progress` event with `-json`). On a terminal, a last line that is redrawn in
//! place says how far the apply is (`3/14 done, 2 running: ADDR (45s)`); it is cleared
//! before any other line is printed, so a log read later holds only Terraform's lines.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use meshform_engine::apply::{ApplyEvent, ApplyObserver};
use meshform_engine::plan::Action;

/// How often a running operation is reported.
const PROGRESS_EVERY: Duration = Duration::from_secs(10);

/// An operation still running.
#[derive(Clone)]
struct Operation {
    /// "creating", as its progress lines say it.
    verb: &'static str,
    /// "create", as its JSON events say it.
    word: &'static str,
    started: Instant,
    /// How many "Still ..." lines it has had.
    told: u64,
}

/// What the printer knows, behind one lock so that lines and the status line never mix.
struct Progress {
    running: BTreeMap<String, Operation>,
    finished: usize,
    total: usize,
    /// Whether the live status line is drawn (a terminal, and no -json).
    live: bool,
    status_shown: bool,
}

impl Progress {
    /// Prints one line above the status line.
    fn say(&mut self, line: &str) {
        let mut out = std::io::stdout().lock();
        if self.status_shown {
            let _ = write!(out, "\r\x1b[2K");
            self.status_shown = false;
        }
        let _ = writeln!(out, "{line}");
        drop(out);
        self.draw_status();
    }

    fn status(&self) -> String {
        let mut s = format!("{}/{} done", self.finished, self.total);
        if let Some((addr, op)) = self.running.iter().min_by_key(|(_, op)| op.started) {
            s.push_str(&format!(", {} running: {addr} ({}s)", self.running.len(), op.started.elapsed().as_secs()));
        }
        s
    }

    fn draw_status(&mut self) {
        if !self.live {
            return;
        }
        let width = terminal_size::terminal_size().map_or(80, |(w, _)| usize::from(w.0)).max(20);
        let status: String = self.status().chars().take(width - 1).collect();
        let mut out = std::io::stdout().lock();
        let _ = write!(out, "\r\x1b[2K{status}");
        let _ = out.flush();
        self.status_shown = true;
    }

    fn clear_status(&mut self) {
        if self.status_shown {
            let mut out = std::io::stdout().lock();
            let _ = write!(out, "\r\x1b[2K");
            let _ = out.flush();
            self.status_shown = false;
        }
    }

    /// The "Still creating..." lines that are due.
    fn report_running(&mut self) {
        let due: Vec<(String, &'static str, &'static str, u64)> = self
            .running
            .iter_mut()
            .filter_map(|(addr, op)| {
                let ticks = op.started.elapsed().as_secs() / PROGRESS_EVERY.as_secs();
                (ticks > op.told).then(|| {
                    op.told = ticks;
                    (addr.clone(), op.verb, op.word, ticks * PROGRESS_EVERY.as_secs())
                })
            })
            .collect();
        for (addr, verb, word, elapsed) in due {
            let message = format!("{addr}: Still {verb}... [{elapsed}s elapsed]");
            if crate::events::enabled() {
                crate::events::emit(
                    "info",
                    &message,
                    "apply_progress",
                    serde_json::json!({"hook": {
                        "resource": {"addr": addr},
                        "action": word,
                        "elapsed_seconds": elapsed,
                    }}),
                );
            } else {
                self.say(&message);
            }
        }
    }
}

pub struct ProgressPrinter {
    progress: Arc<Mutex<Progress>>,
    done: Arc<AtomicBool>,
}

/// What an operation is doing, as its first line and its progress lines say it.
fn doing(action: Action) -> (&'static str, &'static str) {
    match action {
        Action::Delete => ("Destroying", "destroying"),
        Action::Update => ("Modifying", "modifying"),
        Action::Read => ("Reading", "reading"),
        _ => ("Creating", "creating"),
    }
}

/// The action as Terraform's JSON events name it.
fn word(a: Action) -> &'static str {
    match a {
        Action::Delete => "delete",
        Action::Update => "update",
        Action::Read => "read",
        Action::DeleteThenCreate | Action::CreateThenDelete => "replace",
        _ => "create",
    }
}

impl ProgressPrinter {
    /// Starts reporting an apply of `total` operations.
    pub fn start(total: usize) -> ProgressPrinter {
        let live = std::io::stdout().is_terminal() && !crate::events::enabled();
        let progress =
            Arc::new(Mutex::new(Progress { running: BTreeMap::new(), finished: 0, total, live, status_shown: false }));
        let done: Arc<AtomicBool> = Arc::default();
        let (p, d) = (progress.clone(), done.clone());
        std::thread::spawn(move || {
            let mut last_draw = Instant::now();
            while !d.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(200));
                let Ok(mut p) = p.lock() else { return };
                if d.load(Ordering::SeqCst) {
                    return;
                }
                p.report_running();
                if last_draw.elapsed() >= Duration::from_secs(1) {
                    p.draw_status();
                    last_draw = Instant::now();
                }
            }
        });
        ProgressPrinter { progress, done }
    }
}

impl Drop for ProgressPrinter {
    fn drop(&mut self) {
        self.done.store(true, Ordering::SeqCst);
        if let Ok(mut p) = self.progress.lock() {
            p.clear_status();
        }
    }
}

impl ApplyObserver for ProgressPrinter {
    fn event(&self, event: ApplyEvent) {
        let Ok(mut p) = self.progress.lock() else { return };
        let mut failed_after = Duration::ZERO;
        match &event {
            ApplyEvent::Started { addr, action } => {
                let op = Operation { verb: doing(*action).1, word: word(*action), started: Instant::now(), told: 0 };
                p.running.insert(addr.to_string(), op);
            }
            ApplyEvent::Finished { addr, .. } => {
                p.running.remove(&addr.to_string());
                p.finished += 1;
            }
            ApplyEvent::Failed { addr, .. } => {
                if let Some(op) = p.running.remove(&addr.to_string()) {
                    failed_after = op.started.elapsed();
                }
                p.finished += 1;
            }
            ApplyEvent::Imported { .. } => {}
        }
        if crate::events::enabled() {
            emit_event(event, failed_after);
            return;
        }
        match event {
            ApplyEvent::Imported { addr, id } => {
                p.say(&format!("{addr}: Importing... [id={id}]"));
                p.say(&format!("{addr}: Import complete [id={id}]"));
            }
            ApplyEvent::Started { addr, action } => p.say(&format!("{addr}: {}...", doing(action).0)),
            ApplyEvent::Finished { addr, action, elapsed, id } => {
                let what = match action {
                    Action::Delete => "Destruction",
                    Action::Update => "Modifications",
                    Action::Read => "Read",
                    _ => "Creation",
                };
                let id = id.map(|i| format!(" [id={i}]")).unwrap_or_default();
                p.say(&format!("{addr}: {what} complete after {}s{id}", elapsed.as_secs()));
            }
            // The error itself is printed with the outcome.
            ApplyEvent::Failed { .. } => p.draw_status(),
        }
    }
}

/// The `-json` event of an apply event.
fn emit_event(event: ApplyEvent, failed_after: Duration) {
    match event {
        ApplyEvent::Imported { addr, id } => crate::events::log(&format!("{addr}: Import complete [id={id}]")),
        ApplyEvent::Started { addr, action } => crate::events::emit(
            "info",
            &format!("{addr}: {}...", word(action)),
            "apply_start",
            serde_json::json!({"hook": {"resource": {"addr": addr.to_string()}, "action": word(action)}}),
        ),
        ApplyEvent::Finished { addr, action, elapsed, id } => crate::events::emit(
            "info",
            &format!("{addr}: {} complete", word(action)),
            "apply_complete",
            serde_json::json!({"hook": {
                "resource": {"addr": addr.to_string()},
                "action": word(action),
                "id_value": id,
                "elapsed_seconds": elapsed.as_secs_f64(),
            }}),
        ),
        ApplyEvent::Failed { addr, action } => crate::events::emit(
            "error",
            &format!("{addr}: {} errored after {}s", word(action), failed_after.as_secs()),
            "apply_errored",
            serde_json::json!({"hook": {
                "resource": {"addr": addr.to_string()},
                "action": word(action),
                "elapsed_seconds": failed_after.as_secs_f64(),
            }}),
        ),
    }
}
