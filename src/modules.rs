//! Modules from sources other than local paths: `meshform init` installs them under
//! `.meshform/modules/` (git repositories cloned at their `ref`, archives downloaded and
//! unpacked, the modules shipped inside this binary written out) and records each in a
//! manifest keyed by the call's path, as Terraform's `.terraform/modules/modules.json`;
//! every other command loads them from there, and refuses when one is missing or its
//! source has changed since.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use meshform_engine::config::source::{ArchiveFormat, ModuleSource};
use meshform_engine::config::{ModuleRequest, ModuleResolver};
use meshform_engine::diag::Diagnostic;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

mod builtin {
    include!(concat!(env!("OUT_DIR"), "/builtin_modules.rs"));
}

pub const MODULES_DIR: &str = ".meshform/modules";
const MANIFEST: &str = ".meshform/modules/modules.json";

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
struct Entry {
    #[serde(rename = "Key")]
    key: String,
    #[serde(rename = "Source")]
    source: String,
    #[serde(rename = "Version", default, skip_serializing_if = "Option::is_none")]
    version: Option<String>,
    /// Relative to the working directory.
    #[serde(rename = "Dir")]
    dir: String,
}

#[derive(Serialize, Deserialize, Default)]
struct Manifest {
    #[serde(rename = "Modules")]
    modules: Vec<Entry>,
}

/// This build's shipped modules: meshform's version and a digest of their files, so a
/// rebuilt binary with changed modules is told apart from the one that installed them.
fn builtin_version() -> &'static str {
    static VERSION: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    VERSION.get_or_init(|| {
        let mut h = Sha256::new();
        for (path, bytes) in builtin::FILES {
            h.update(path.as_bytes());
            h.update([0]);
            h.update(bytes);
        }
        let digest: String = h.finalize().iter().take(6).map(|b| format!("{b:02x}")).collect();
        format!("{}+{digest}", env!("CARGO_PKG_VERSION"))
    })
}

/// The names `meshform/NAME` may use.
fn builtin_names() -> Vec<String> {
    let mut names: Vec<String> =
        builtin::FILES.iter().filter_map(|(p, _)| p.split('/').next()).map(str::to_string).collect();
    names.dedup();
    names
}

fn read_manifest(root: &Path) -> Result<BTreeMap<String, Entry>, Diagnostic> {
    let path = root.join(MANIFEST);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(e) => {
            return Err(Diagnostic::error("Cannot read the module manifest").with_detail(format!("{MANIFEST}: {e}")));
        }
    };
    let m: Manifest = serde_json::from_str(&text).map_err(|e| {
        Diagnostic::error("Invalid module manifest").with_detail(format!(
            "{MANIFEST} cannot be read ({e}); run \"meshform init -upgrade\" to install the modules anew."
        ))
    })?;
    Ok(m.modules.into_iter().map(|e| (e.key.clone(), e)).collect())
}

fn not_installed(req: &ModuleRequest<'_>, why: &str) -> Diagnostic {
    Diagnostic::error("Module not installed")
        .with_detail(format!(
            "Module \"{}\" has source {:?}, {why}: run \"meshform init\" to install it.",
            req.name, req.raw
        ))
        .with_span(req.span)
}

/// The modules `init` installed, for every command but `init`.
pub struct Installed {
    root: PathBuf,
    entries: BTreeMap<String, Entry>,
}

impl Installed {
    pub fn new(root: &Path) -> Result<Installed, Diagnostic> {
        Ok(Installed { root: root.to_path_buf(), entries: read_manifest(root)? })
    }
}

impl ModuleResolver for Installed {
    fn resolve(&self, req: &ModuleRequest<'_>) -> Result<PathBuf, Diagnostic> {
        let Some(entry) = self.entries.get(req.key) else {
            return Err(not_installed(req, "which is not installed"));
        };
        if entry.source != req.raw {
            return Err(Diagnostic::error("Module source has changed")
                .with_detail(format!(
                    "Module \"{}\" now has source {:?}, but {:?} is installed: run \"meshform init\" to install the new source.",
                    req.name, req.raw, entry.source
                ))
                .with_span(req.span));
        }
        if matches!(req.source, ModuleSource::Builtin { .. }) && entry.version.as_deref() != Some(builtin_version()) {
            return Err(not_installed(
                req,
                &format!(
                    "installed by another meshform build ({}, this one is {})",
                    entry.version.as_deref().unwrap_or("unknown"),
                    builtin_version()
                ),
            ));
        }
        let dir = self.root.join(&entry.dir);
        if !dir.is_dir() {
            return Err(not_installed(req, &format!("whose directory {} is gone", entry.dir)));
        }
        Ok(dir)
    }
}

/// `init`: installs what is missing (everything with `-upgrade`), reusing what the
/// manifest already has for an unchanged source, and records the new manifest.
pub struct Installer {
    root: PathBuf,
    previous: BTreeMap<String, Entry>,
    upgrade: bool,
    installed: Mutex<BTreeMap<String, Entry>>,
    /// Downloads made this run, (where they are, where they go): they replace what is
    /// installed only once the whole configuration has loaded.
    staged: Mutex<Vec<(PathBuf, PathBuf)>>,
    said_hello: std::sync::atomic::AtomicBool,
}

impl Installer {
    pub fn new(root: &Path, upgrade: bool) -> Installer {
        // An unreadable manifest is installed anew.
        let previous = read_manifest(root).unwrap_or_default();
        Installer {
            root: root.to_path_buf(),
            previous,
            upgrade,
            installed: Mutex::new(BTreeMap::new()),
            staged: Mutex::new(Vec::new()),
            said_hello: Default::default(),
        }
    }

    fn staging(&self) -> PathBuf {
        self.root.join(MODULES_DIR).join(".staging")
    }

    /// Drops this run's downloads: what was installed before stays as it was.
    pub fn abort(&self) {
        let _ = std::fs::remove_dir_all(self.staging());
    }

    /// Puts this run's downloads in place and writes the manifest of what this run
    /// installed (or kept); a module no longer called is left out, and its directory removed.
    pub fn finish(&self) -> Result<usize, Diagnostic> {
        let installed = self.installed.lock().map(|m| m.clone()).unwrap_or_default();
        let dir = self.root.join(MODULES_DIR);
        let io = |e: std::io::Error| {
            Diagnostic::error("Cannot write the module manifest").with_detail(format!("{MANIFEST}: {e}"))
        };
        std::fs::create_dir_all(&dir).map_err(io)?;
        for (staged, dest) in self.staged.lock().map(|s| s.clone()).unwrap_or_default() {
            let _ = std::fs::remove_dir_all(&dest);
            std::fs::rename(&staged, &dest).map_err(io)?;
        }
        self.abort();
        let manifest = Manifest { modules: installed.values().cloned().collect() };
        let text = serde_json::to_string_pretty(&manifest).unwrap_or_default();
        let tmp = dir.join(".modules.json.tmp");
        std::fs::write(&tmp, text).and_then(|_| std::fs::rename(&tmp, self.root.join(MANIFEST))).map_err(io)?;
        // Copies of modules no longer called.
        let used: Vec<PathBuf> = installed.values().map(|e| self.root.join(&e.dir)).collect();
        if let Ok(rd) = std::fs::read_dir(&dir) {
            for e in rd.filter_map(Result::ok) {
                let p = e.path();
                if p.is_dir() && !used.iter().any(|u| u.starts_with(&p)) && p != self.staging() {
                    let _ = std::fs::remove_dir_all(&p);
                }
            }
        }
        Ok(installed.len())
    }

    /// Terraform's heading, before the first module's line.
    fn say(&self, line: String) {
        if !self.said_hello.swap(true, std::sync::atomic::Ordering::SeqCst) {
            println!("Initializing modules...");
        }
        println!("{line}");
    }

    fn stage(&self, staged: &Path, dest: &Path) {
        if let Ok(mut s) = self.staged.lock() {
            s.push((staged.to_path_buf(), dest.to_path_buf()));
        }
    }

    fn record(&self, entry: Entry) {
        if let Ok(mut m) = self.installed.lock() {
            m.insert(entry.key.clone(), entry);
        }
    }

    fn relative(&self, p: &Path) -> String {
        p.strip_prefix(&self.root).unwrap_or(p).display().to_string()
    }

    fn fail(req: &ModuleRequest<'_>, summary: &str, detail: String) -> Diagnostic {
        Diagnostic::error(summary.to_string())
            .with_detail(format!("Module \"{}\" (source {:?}): {detail}", req.name, req.raw))
            .with_span(req.span)
    }

    /// Writes this binary's modules out once per build, under the build's version.
    fn builtin(&self, req: &ModuleRequest<'_>, name: &str) -> Result<(PathBuf, String), Diagnostic> {
        let version = builtin_version();
        if !builtin_names().iter().any(|n| n == name) {
            return Err(Self::fail(
                req,
                "Unknown module",
                format!("meshform ships no module {name:?}; it ships {}.", builtin_names().join(", ")),
            ));
        }
        let base = self.root.join(MODULES_DIR).join(format!("meshform-{version}"));
        if !base.join(".complete").is_file() {
            let tmp = base.with_extension("partial");
            let _ = std::fs::remove_dir_all(&tmp);
            let write = || -> std::io::Result<()> {
                for (path, bytes) in builtin::FILES {
                    let p = tmp.join(path);
                    if let Some(parent) = p.parent() {
                        std::fs::create_dir_all(parent)?;
                    }
                    std::fs::write(&p, bytes)?;
                }
                std::fs::write(tmp.join(".complete"), version)?;
                let _ = std::fs::remove_dir_all(&base);
                std::fs::rename(&tmp, &base)
            };
            write()
                .map_err(|e| Self::fail(req, "Cannot install module", format!("writing {}: {e}", base.display())))?;
        }
        Ok((base.join(name), version.to_string()))
    }

    fn git(&self, req: &ModuleRequest<'_>, url: &str, reference: Option<&str>, dest: &Path) -> Result<(), Diagnostic> {
        let run = |args: &[&str]| -> Result<(), String> {
            let out = Command::new("git")
                .args(args)
                .env("GIT_TERMINAL_PROMPT", "0")
                .env("GIT_ADVICE", "0")
                .output()
                .map_err(|e| format!("cannot run git: {e}"))?;
            if out.status.success() {
                return Ok(());
            }
            // git's fatal lines say what went wrong; its warnings repeat it.
            let stderr = String::from_utf8_lossy(&out.stderr);
            let fatal: Vec<&str> = stderr.lines().filter_map(|l| l.strip_prefix("fatal: ")).collect();
            Err(if fatal.is_empty() { stderr.trim().to_string() } else { fatal.join("; ") })
        };
        let d = dest.to_string_lossy().to_string();
        let result = match reference {
            // A tag or branch in one shallow fetch; a commit needs the history.
            Some(r) => run(&["clone", "--quiet", "--depth", "1", "--branch", r, "--", url, &d]).or_else(|first| {
                let _ = std::fs::remove_dir_all(dest);
                run(&["clone", "--quiet", "--", url, &d])
                    .and_then(|_| run(&["-C", &d, "-c", "advice.detachedHead=false", "checkout", "--quiet", r]))
                    .map_err(|second| if second.contains("did not match") { first } else { second })
            }),
            None => run(&["clone", "--quiet", "--depth", "1", "--", url, &d]),
        };
        result.map_err(|git_says| {
            let _ = std::fs::remove_dir_all(dest);
            let what = reference.map(|r| format!("{r} of ")).unwrap_or_default();
            Self::fail(req, "Failed to download module", format!("git could not fetch {what}{url}: {git_says}"))
        })
    }

    fn archive(
        &self,
        req: &ModuleRequest<'_>,
        url: &str,
        format: ArchiveFormat,
        dest: &Path,
    ) -> Result<(), Diagnostic> {
        let fail = |detail: String| {
            let _ = std::fs::remove_dir_all(dest);
            Self::fail(req, "Failed to download module", detail)
        };
        std::fs::create_dir_all(dest).map_err(|e| fail(format!("{}: {e}", dest.display())))?;
        let file = dest.with_extension("download");
        let out = Command::new("curl")
            .args(["-fsSL", "--proto", "=http,https", "-o"])
            .arg(&file)
            .arg(url)
            .output()
            .map_err(|e| fail(format!("cannot run curl to fetch {url}: {e}")))?;
        if !out.status.success() {
            let _ = std::fs::remove_file(&file);
            return Err(fail(format!("fetching {url} failed: {}", String::from_utf8_lossy(&out.stderr).trim())));
        }
        let unpack =
            match format {
                ArchiveFormat::TarGz => Command::new("tar").arg("-xzf").arg(&file).arg("-C").arg(dest).output(),
                ArchiveFormat::Tar => Command::new("tar").arg("-xf").arg(&file).arg("-C").arg(dest).output(),
                ArchiveFormat::Zip => {
                    Command::new("unzip").arg("-q").arg(&file).arg("-d").arg(dest).output().or_else(|_| {
                        Command::new("python3").args(["-m", "zipfile", "-e"]).arg(&file).arg(dest).output()
                    })
                }
            };
        let _ = std::fs::remove_file(&file);
        match unpack {
            Ok(o) if o.status.success() => Ok(()),
            Ok(o) => Err(fail(format!("{url} could not be unpacked: {}", String::from_utf8_lossy(&o.stderr).trim()))),
            Err(e) => Err(fail(format!("{url} could not be unpacked: {e}"))),
        }
    }
}

impl ModuleResolver for Installer {
    fn resolve(&self, req: &ModuleRequest<'_>) -> Result<PathBuf, Diagnostic> {
        let builtin = matches!(req.source, ModuleSource::Builtin { .. });
        if let Some(old) = self.previous.get(req.key)
            && !self.upgrade
            && old.source == req.raw
            && (!builtin || old.version.as_deref() == Some(builtin_version()))
            && self.root.join(&old.dir).is_dir()
        {
            self.say(format!("- {} in {}", req.key, old.dir));
            self.record(old.clone());
            return Ok(self.root.join(&old.dir));
        }
        let dest = self.root.join(MODULES_DIR).join(req.key);
        let staged = self.staging().join(req.key);
        let within =
            |base: &Path, subdir: &Option<String>| subdir.as_ref().map_or(base.to_path_buf(), |s| base.join(s));
        // Where the module is loaded from now, and where it will be once installed.
        let (dir, installed, version) = match req.source {
            ModuleSource::Builtin { name } => {
                let (d, v) = self.builtin(req, name)?;
                (d.clone(), d, Some(v))
            }
            ModuleSource::Git { url, reference, subdir } => {
                self.say(format!("Downloading {} for {}...", req.raw, req.key));
                let _ = std::fs::remove_dir_all(&staged);
                if let Some(parent) = staged.parent() {
                    let _ = std::fs::create_dir_all(parent);
                }
                self.git(req, url, reference.as_deref(), &staged)?;
                self.stage(&staged, &dest);
                (within(&staged, subdir), within(&dest, subdir), None)
            }
            ModuleSource::Archive { url, format, subdir } => {
                self.say(format!("Downloading {} for {}...", req.raw, req.key));
                let _ = std::fs::remove_dir_all(&staged);
                self.archive(req, url, *format, &staged)?;
                self.stage(&staged, &dest);
                (within(&staged, subdir), within(&dest, subdir), None)
            }
            // The loader resolves local paths itself and never asks for one.
            ModuleSource::Local(p) => {
                return Err(Self::fail(
                    req,
                    "Invalid module source",
                    format!("{p:?} is a local path, not installed by init."),
                ));
            }
        };
        if !dir.is_dir() {
            return Err(Self::fail(
                req,
                "Module directory not found",
                format!("the package has no directory {}.", self.relative(&installed)),
            ));
        }
        let rel = self.relative(&installed);
        self.say(format!("- {} in {rel}", req.key));
        self.record(Entry { key: req.key.to_string(), source: req.raw.to_string(), version, dir: rel });
        Ok(dir)
    }
}

/// Marks `.meshform/` as not for version control, as `init` creates it.
pub fn ignore_runtime_dir(root: &Path) {
    let dir = root.join(".meshform");
    if std::fs::create_dir_all(&dir).is_ok() && !dir.join(".gitignore").exists() {
        let _ = std::fs::write(
            dir.join(".gitignore"),
            "# Written by meshform init: run-time files, not for version control.\n*\n",
        );
    }
}
