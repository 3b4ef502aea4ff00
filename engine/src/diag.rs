//! The one diagnostic type: every user-facing error or warning, with the source span it
//! points at, so the CLI can show file, line, column and a label under the offending text.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

/// Identifies a loaded source file inside a [`SourceMap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct FileId(pub u32);

/// A byte range inside one source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Span {
    pub file: FileId,
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(file: FileId, range: std::ops::Range<usize>) -> Span {
        Span { file, start: range.start, end: range.end }
    }

    /// Span from an optional hcl-edit range; an absent range gives an empty span at 0.
    pub fn from_opt(file: FileId, range: Option<std::ops::Range<usize>>) -> Span {
        Span::new(file, range.unwrap_or(0..0))
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        if self.file != other.file {
            return self;
        }
        Span { file: self.file, start: self.start.min(other.start), end: self.end.max(other.end) }
    }
}

/// One loaded source file: its display name (relative to where the user ran meshform)
/// and its text.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub name: String,
    pub path: PathBuf,
    pub text: Arc<str>,
}

/// All source files of a run, so spans can be turned back into file/line/column.
#[derive(Debug, Default, Clone)]
pub struct SourceMap {
    files: Arc<RwLock<Vec<SourceFile>>>,
}

impl SourceMap {
    pub fn new() -> SourceMap {
        SourceMap::default()
    }

    pub fn add(&self, name: impl Into<String>, path: &Path, text: impl Into<Arc<str>>) -> FileId {
        let mut files = self.files.write().unwrap_or_else(|e| e.into_inner());
        files.push(SourceFile { name: name.into(), path: path.to_path_buf(), text: text.into() });
        FileId((files.len() - 1) as u32)
    }

    pub fn get(&self, id: FileId) -> Option<SourceFile> {
        let files = self.files.read().unwrap_or_else(|e| e.into_inner());
        files.get(id.0 as usize).cloned()
    }

    /// `file:line,column` of a span, as Terraform names another place in a message.
    pub fn describe(&self, span: Span) -> String {
        match self.line_col(span) {
            Some((name, line, col)) => format!("{name}:{line},{col}"),
            None => "an unknown place".into(),
        }
    }

    /// 1-based line and column of a byte offset.
    pub fn line_col(&self, span: Span) -> Option<(String, usize, usize)> {
        let file = self.get(span.file)?;
        let upto = &file.text[..span.start.min(file.text.len())];
        let line = upto.matches('\n').count() + 1;
        let col = upto.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        Some((file.name, line, col))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

/// A user-facing error or warning.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// One line: what went wrong.
    pub summary: String,
    /// Longer explanation, if any.
    pub detail: Option<String>,
    /// Where in the source it went wrong.
    pub span: Option<Span>,
    /// Text shown under the span.
    pub label: Option<String>,
    /// An obvious fix, if there is one ("did you mean ...?").
    pub help: Option<String>,
    /// The resource or module address it concerns, if any.
    pub address: Option<String>,
}

impl Diagnostic {
    pub fn error(summary: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            summary: summary.into(),
            detail: None,
            span: None,
            label: None,
            help: None,
            address: None,
        }
    }

    pub fn warning(summary: impl Into<String>) -> Diagnostic {
        Diagnostic { severity: Severity::Warning, ..Diagnostic::error(summary) }
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Diagnostic {
        self.detail = Some(detail.into());
        self
    }

    pub fn with_span(mut self, span: Span) -> Diagnostic {
        self.span = Some(span);
        self
    }

    /// Sets the span only if none is set yet (inner errors know better).
    pub fn or_span(mut self, span: Span) -> Diagnostic {
        if self.span.is_none() {
            self.span = Some(span);
        }
        self
    }

    pub fn with_label(mut self, label: impl Into<String>) -> Diagnostic {
        self.label = Some(label.into());
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn with_address(mut self, address: impl Into<String>) -> Diagnostic {
        if self.address.is_none() {
            self.address = Some(address.into());
        }
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(addr) = &self.address {
            write!(f, "{addr}: ")?;
        }
        write!(f, "{}", self.summary)?;
        if let Some(d) = &self.detail {
            write!(f, ": {d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostic {}

/// A list of diagnostics gathered while working, so one run shows every mistake.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn new() -> Diagnostics {
        Diagnostics::default()
    }

    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }

    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }

    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Err(self)` when any error is present, so `?` can stop a stage.
    pub fn into_result(self) -> Result<Diagnostics, Diagnostics> {
        if self.has_errors() { Err(self) } else { Ok(self) }
    }
}

impl From<Diagnostic> for Diagnostics {
    fn from(d: Diagnostic) -> Diagnostics {
        Diagnostics(vec![d])
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

/// Turns a diagnostic into a miette report carrying its source snippet, for the CLI to print.
pub fn to_report(d: &Diagnostic, sources: &SourceMap) -> miette::Report {
    use miette::{LabeledSpan, MietteDiagnostic, NamedSource};
    let mut message = d.summary.clone();
    if let Some(addr) = &d.address {
        message = format!("{message}\n  with {addr}");
    }
    if let Some(detail) = &d.detail {
        message = format!("{message}\n\n{detail}");
    }
    let mut md = MietteDiagnostic::new(message).with_severity(match d.severity {
        Severity::Error => miette::Severity::Error,
        Severity::Warning => miette::Severity::Warning,
    });
    if let Some(help) = &d.help {
        md = md.with_help(help.clone());
    }
    let source = d.span.and_then(|s| sources.get(s.file).map(|f| (s, f)));
    match source {
        Some((span, file)) => {
            let len = span.end.saturating_sub(span.start).max(usize::from(span.start < file.text.len()));
            let label = LabeledSpan::new(d.label.clone(), span.start.min(file.text.len()), len);
            let md = md.with_label(label);
            miette::Report::new(md)
                .with_source_code(NamedSource::new(file.name.clone(), file.text.to_string()).with_language("hcl"))
        }
        None => miette::Report::new(md),
    }
}
