//! What a module call's `source` names, as Terraform reads it: a local path, a git
//! repository (`git::URL`, `github.com/ORG/REPO`, `git@HOST:PATH`), an archive over HTTP,
//! or one of the modules shipped with meshform (`meshform/NAME`). A `//` splits a package
//! from the directory inside it; `?ref=` picks a git revision.

use std::fmt;

/// A parsed module source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModuleSource {
    /// `./x` or `../x`: a directory next to the calling module, in the same package.
    Local(String),
    /// `meshform/NAME`: a module shipped inside the meshform binary.
    Builtin { name: String },
    /// A git repository: its URL (without `ref`), the revision to check out, and a
    /// directory inside it.
    Git { url: String, reference: Option<String>, subdir: Option<String> },
    /// An archive fetched over HTTP(S) and unpacked, and a directory inside it.
    Archive { url: String, format: ArchiveFormat, subdir: Option<String> },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArchiveFormat {
    TarGz,
    Tar,
    Zip,
}

impl ArchiveFormat {
    fn from_name(name: &str) -> Option<ArchiveFormat> {
        match name {
            "tar.gz" | "tgz" => Some(ArchiveFormat::TarGz),
            "tar" => Some(ArchiveFormat::Tar),
            "zip" => Some(ArchiveFormat::Zip),
            _ => None,
        }
    }
}

impl ModuleSource {
    /// Whether the source must be installed by `meshform init` before it can be loaded.
    pub fn is_remote(&self) -> bool {
        !matches!(self, ModuleSource::Local(_))
    }
}

impl fmt::Display for ModuleSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sub = |s: &Option<String>| s.as_ref().map(|s| format!("//{s}")).unwrap_or_default();
        match self {
            ModuleSource::Local(p) => write!(f, "{p}"),
            ModuleSource::Builtin { name } => write!(f, "meshform/{name}"),
            ModuleSource::Git { url, reference, subdir } => {
                write!(f, "git::{url}{}", sub(subdir))?;
                if let Some(r) = reference {
                    write!(f, "?ref={r}")?;
                }
                Ok(())
            }
            ModuleSource::Archive { url, subdir, .. } => write!(f, "{url}{}", sub(subdir)),
        }
    }
}

/// Parses a `source` string; the error says what is wrong with it.
pub fn parse(source: &str) -> Result<ModuleSource, String> {
    let s = source.trim();
    if s.is_empty() {
        return Err("The module source is empty.".into());
    }
    if s.starts_with("./") || s.starts_with("../") || s == "." || s == ".." {
        return Ok(ModuleSource::Local(s.to_string()));
    }
    if s.starts_with('/') {
        return Err(format!(
            "{s:?} is an absolute path: a local module source must start with \"./\" or \"../\", so that the configuration works wherever it is checked out."
        ));
    }
    if let Some(name) = s.strip_prefix("meshform/") {
        if name.is_empty() || name.contains('/') || name.contains("//") {
            return Err(format!(
                "{s:?}: a module shipped with meshform is named meshform/NAME, such as meshform/spark-standalone."
            ));
        }
        return Ok(ModuleSource::Builtin { name: name.to_string() });
    }
    // A forced getter: `git::URL`, `s3::URL`, ...
    if let Some((getter, rest)) = s.split_once("::")
        && !getter.contains('/')
        && !getter.contains(':')
    {
        return match getter {
            "git" => git(rest),
            "http" | "https" => archive(rest),
            other => Err(format!(
                "{s:?} asks for the {other:?} getter; meshform fetches modules with git:: and over http(s) (archives), and ships its own as meshform/NAME."
            )),
        };
    }
    // git@github.com:org/repo.git: git's scp-like form, over SSH.
    if let Some((userhost, path)) = s.split_once(':')
        && userhost.contains('@')
        && !userhost.contains('/')
        && !path.starts_with("//")
    {
        return git(&format!("ssh://{userhost}/{path}"));
    }
    if let Some(rest) = s.strip_prefix("github.com/") {
        let (path, query) = split_query(rest);
        let (repo, subdir) = split_subdir(path);
        let parts: Vec<&str> = repo.split('/').collect();
        if parts.len() != 2 || parts.iter().any(|p| p.is_empty()) {
            return Err(format!(
                "{s:?}: a GitHub source is github.com/OWNER/REPO, optionally followed by //DIR and ?ref=REF."
            ));
        }
        let repo = repo.strip_suffix(".git").unwrap_or(repo);
        let mut url = format!("https://github.com/{repo}.git");
        if let Some(sub) = subdir {
            url = format!("{url}//{sub}");
        }
        if let Some(q) = query {
            url = format!("{url}?{q}");
        }
        return git(&url);
    }
    if s.starts_with("http://") || s.starts_with("https://") {
        return archive(s);
    }
    if s.starts_with("git://") || s.starts_with("ssh://") {
        return git(s);
    }
    let parts: Vec<&str> = s.split('/').collect();
    if (parts.len() == 3 || parts.len() == 4) && parts.iter().all(|p| !p.is_empty()) && !s.contains("//") {
        return Err(format!(
            "{s:?} is a module registry address; meshform has no module registry to ask. Use a git:: source (git::https://HOST/REPO.git//DIR?ref=TAG) or an archive URL instead, or a module shipped with meshform (meshform/NAME)."
        ));
    }
    Err(format!(
        "{s:?} is not a module source meshform knows: use a local path (./DIR, ../DIR), git::URL, github.com/OWNER/REPO, an http(s) archive (.tar.gz, .tgz, .zip), or meshform/NAME."
    ))
}

/// `URL?QUERY` split at the query.
fn split_query(s: &str) -> (&str, Option<&str>) {
    match s.split_once('?') {
        Some((a, b)) => (a, Some(b)),
        None => (s, None),
    }
}

/// `PACKAGE//DIR` split at the `//` that follows the scheme's own (`https://`).
fn split_subdir(s: &str) -> (&str, Option<String>) {
    let after_scheme = s.find("://").map_or(0, |i| i + 3);
    match s[after_scheme..].find("//") {
        Some(i) => {
            let at = after_scheme + i;
            let sub = s[at + 2..].trim_matches('/');
            (&s[..at], if sub.is_empty() { None } else { Some(sub.to_string()) })
        }
        None => (s, None),
    }
}

fn git(s: &str) -> Result<ModuleSource, String> {
    let (path, query) = split_query(s);
    let (url, subdir) = split_subdir(path);
    if url.is_empty() {
        return Err("A git:: source needs the repository's URL after \"git::\".".into());
    }
    if subdir.as_deref().is_some_and(|d| d.split('/').any(|c| c == "..")) {
        return Err(format!("{s:?}: the directory after \"//\" must stay inside the repository."));
    }
    let mut reference = None;
    let mut rest = Vec::new();
    for pair in query.unwrap_or_default().split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("ref", v)) if !v.is_empty() => reference = Some(v.to_string()),
            Some(("ref", _)) => return Err(format!("{s:?}: ?ref= needs a tag, branch or commit.")),
            Some(("depth", _)) => {}
            _ => rest.push(pair),
        }
    }
    if !rest.is_empty() {
        return Err(format!("{s:?}: meshform knows the git source arguments ref and depth, not {:?}.", rest.join("&")));
    }
    Ok(ModuleSource::Git { url: url.to_string(), reference, subdir })
}

fn archive(s: &str) -> Result<ModuleSource, String> {
    let (path, query) = split_query(s);
    let (url, subdir) = split_subdir(path);
    let mut format = None;
    let mut kept = Vec::new();
    for pair in query.unwrap_or_default().split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("archive", v)) => {
                format = Some(ArchiveFormat::from_name(v).ok_or_else(|| {
                    format!("{s:?}: archive={v} is not an archive format meshform unpacks (tar.gz, tgz, tar, zip).")
                })?)
            }
            _ => kept.push(pair),
        }
    }
    let lower = url.to_ascii_lowercase();
    let format = format
        .or_else(|| {
            ["tar.gz", "tgz", "tar", "zip"].into_iter().find(|e| lower.ends_with(&format!(".{e}"))).and_then(ArchiveFormat::from_name)
        })
        .ok_or_else(|| {
            format!(
                "{s:?} is not an archive (.tar.gz, .tgz, .tar, .zip, or ?archive=FORMAT): meshform fetches modules over http(s) as archives; a git repository over https is written git::https://HOST/REPO.git."
            )
        })?;
    let url = if kept.is_empty() { url.to_string() } else { format!("{url}?{}", kept.join("&")) };
    Ok(ModuleSource::Archive { url, format, subdir })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn git(url: &str, reference: Option<&str>, subdir: Option<&str>) -> ModuleSource {
        ModuleSource::Git { url: url.into(), reference: reference.map(Into::into), subdir: subdir.map(Into::into) }
    }

    #[test]
    fn sources_as_terraform_reads_them() {
        assert_eq!(parse("./a/b"), Ok(ModuleSource::Local("./a/b".into())));
        assert_eq!(parse("../x"), Ok(ModuleSource::Local("../x".into())));
        assert_eq!(parse("meshform/spark-standalone"), Ok(ModuleSource::Builtin { name: "spark-standalone".into() }));
        assert_eq!(
            parse("git::https://example.com/infra/modules.git//spark?ref=v1.2.0"),
            Ok(git("https://example.com/infra/modules.git", Some("v1.2.0"), Some("spark")))
        );
        assert_eq!(parse("git::ssh://git@example.com/m.git"), Ok(git("ssh://git@example.com/m.git", None, None)));
        assert_eq!(parse("git::file:///srv/git/m.git?ref=main"), Ok(git("file:///srv/git/m.git", Some("main"), None)));
        assert_eq!(
            parse("github.com/org/repo//modules/x?ref=v2"),
            Ok(git("https://github.com/org/repo.git", Some("v2"), Some("modules/x")))
        );
        assert_eq!(parse("git@github.com:org/repo.git"), Ok(git("ssh://git@github.com/org/repo.git", None, None)));
        assert_eq!(
            parse("https://example.com/m-1.0.tar.gz//m-1.0/sub"),
            Ok(ModuleSource::Archive {
                url: "https://example.com/m-1.0.tar.gz".into(),
                format: ArchiveFormat::TarGz,
                subdir: Some("m-1.0/sub".into())
            })
        );
        assert_eq!(
            parse("https://example.com/get?archive=zip&token=1"),
            Ok(ModuleSource::Archive {
                url: "https://example.com/get?token=1".into(),
                format: ArchiveFormat::Zip,
                subdir: None
            })
        );
    }

    #[test]
    fn what_cannot_be_fetched_says_why() {
        assert!(parse("hashicorp/consul/aws").is_err_and(|e| e.contains("module registry")));
        assert!(parse("/abs/path").is_err_and(|e| e.contains("absolute path")));
        assert!(parse("s3::https://bucket/m.zip").is_err_and(|e| e.contains("\"s3\" getter")));
        assert!(parse("https://example.com/page").is_err_and(|e| e.contains("not an archive")));
        assert!(parse("git::https://h/r.git?ref=").is_err_and(|e| e.contains("needs a tag")));
        assert!(parse("git::https://h/r.git//../x").is_err_and(|e| e.contains("inside the repository")));
        assert!(parse("meshform/a/b").is_err());
    }
}
