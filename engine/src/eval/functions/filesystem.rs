//! Built-in functions: files (`file`, `fileexists`, `fileset`, file hashes, paths).
//! Relative paths resolve against the calling module's directory.

use std::path::{Path, PathBuf};

use base64::Engine as _;

use super::args::string;
use super::crypto::{digest_base64, digest_hex};
use super::{Arity, FunctionContext, FunctionError, Registry};
use crate::eval::Value;

pub(super) fn register(r: &mut Registry) {
    r.add("file", Arity::Exactly(1), |c, a| {
        let bytes = read(c, &a)?;
        String::from_utf8(bytes).map(Value::String).map_err(|_| FunctionError::at(0, "contents are not valid UTF-8; use the filebase64 function to obtain the Base64 encoded contents or the other file functions (e.g. filemd5, filesha256) to obtain file hashing results instead"))
    });
    r.add("fileexists", Arity::Exactly(1), |c, a| {
        let p = resolve(c, &string(&a, 0)?);
        match std::fs::metadata(&p) {
            Ok(m) if m.is_file() => Ok(Value::Bool(true)),
            Ok(_) => Err(FunctionError::at(0, format!("{} is not a regular file", p.display()))),
            Err(_) => Ok(Value::Bool(false)),
        }
    });
    r.add("fileset", Arity::Exactly(2), fileset);
    r.add("filebase64", Arity::Exactly(1), |c, a| {
        Ok(Value::String(base64::engine::general_purpose::STANDARD.encode(read(c, &a)?)))
    });
    for (name, kind) in [("filemd5", "md5"), ("filesha1", "sha1"), ("filesha256", "sha256"), ("filesha512", "sha512")] {
        let f: super::FunctionImpl = match kind {
            "md5" => |c, a| Ok(Value::String(digest_hex("md5", &read(c, &a)?))),
            "sha1" => |c, a| Ok(Value::String(digest_hex("sha1", &read(c, &a)?))),
            "sha256" => |c, a| Ok(Value::String(digest_hex("sha256", &read(c, &a)?))),
            _ => |c, a| Ok(Value::String(digest_hex("sha512", &read(c, &a)?))),
        };
        r.add(name, Arity::Exactly(1), f);
    }
    r.add("filebase64sha256", Arity::Exactly(1), |c, a| Ok(Value::String(digest_base64("sha256", &read(c, &a)?))));
    r.add("filebase64sha512", Arity::Exactly(1), |c, a| Ok(Value::String(digest_base64("sha512", &read(c, &a)?))));
    r.add("basename", Arity::Exactly(1), |_, a| {
        let s = string(&a, 0)?;
        Ok(Value::String(Path::new(&s).file_name().map_or_else(|| s.clone(), |n| n.to_string_lossy().to_string())))
    });
    r.add("dirname", Arity::Exactly(1), |_, a| {
        let s = string(&a, 0)?;
        let d = Path::new(&s).parent().map(|p| p.to_string_lossy().to_string()).unwrap_or_default();
        Ok(Value::String(if d.is_empty() { ".".into() } else { d }))
    });
    r.add("abspath", Arity::Exactly(1), |_, a| {
        let s = string(&a, 0)?;
        let p = std::path::absolute(&s).map_err(|e| FunctionError::at(0, e.to_string()))?;
        Ok(Value::String(p.to_string_lossy().to_string()))
    });
    r.add("pathexpand", Arity::Exactly(1), |_, a| {
        let s = string(&a, 0)?;
        let home = std::env::var("HOME").unwrap_or_default();
        Ok(Value::String(match s.strip_prefix('~') {
            Some(rest) if rest.is_empty() || rest.starts_with('/') => format!("{home}{rest}"),
            _ => s,
        }))
    });
}

fn resolve(c: &FunctionContext<'_>, p: &str) -> PathBuf {
    let path = Path::new(p);
    if path.is_absolute() { path.to_path_buf() } else { c.module_dir.join(path) }
}

fn read(c: &FunctionContext<'_>, a: &[Value]) -> Result<Vec<u8>, FunctionError> {
    let p = string(a, 0)?;
    std::fs::read(resolve(c, &p)).map_err(|_| {
        FunctionError::at(0, format!("no file exists at {p:?}; this function works only with files that are distributed as part of the configuration source code, so if this file will be created by a resource in this configuration you must instead obtain this result from an attribute of that resource"))
    })
}

fn fileset(c: &FunctionContext<'_>, a: Vec<Value>) -> Result<Value, FunctionError> {
    let base = string(&a, 0)?;
    let pattern = string(&a, 1)?;
    let root = resolve(c, &base);
    let mut found = Vec::new();
    walk(&root, &root, &mut found);
    let items =
        found.into_iter().filter(|rel| glob_match(pattern.as_bytes(), rel.as_bytes())).map(Value::String).collect();
    Ok(Value::set(items))
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.filter_map(Result::ok) {
        let p = e.path();
        if p.is_dir() {
            walk(root, &p, out);
        } else if let Ok(rel) = p.strip_prefix(root) {
            out.push(rel.to_string_lossy().to_string());
        }
    }
}

/// Glob matching with `*` (within a path segment), `**` (across segments), `?`, `[...]`
/// and `{a,b}`.
pub fn glob_match(p: &[u8], s: &[u8]) -> bool {
    if let Some(open) = p.iter().position(|c| *c == b'{')
        && let Some(close_rel) = p[open..].iter().position(|c| *c == b'}')
    {
        let close = open + close_rel;
        let (pre, alts, post) = (&p[..open], &p[open + 1..close], &p[close + 1..]);
        return alts.split(|c| *c == b',').any(|alt| {
            let mut q = pre.to_vec();
            q.extend_from_slice(alt);
            q.extend_from_slice(post);
            glob_match(&q, s)
        });
    }
    match (p.first(), s.first()) {
        (None, None) => true,
        (Some(b'*'), _) if p.get(1) == Some(&b'*') => {
            let rest = p[2..].strip_prefix(b"/").unwrap_or(&p[2..]);
            (0..=s.len()).any(|i| (i == 0 || s[i - 1] == b'/') && glob_match(rest, &s[i..])) || glob_match(&p[2..], s)
        }
        (Some(b'*'), _) => glob_match(&p[1..], s) || (!s.is_empty() && s[0] != b'/' && glob_match(p, &s[1..])),
        (Some(b'?'), Some(c)) => *c != b'/' && glob_match(&p[1..], &s[1..]),
        (Some(b'['), Some(c)) => match p.iter().position(|x| *x == b']') {
            Some(end) => {
                let class = &p[1..end];
                let (neg, class) = match class.first() {
                    Some(b'!' | b'^') => (true, &class[1..]),
                    _ => (false, class),
                };
                let mut hit = false;
                let mut i = 0;
                while i < class.len() {
                    if i + 2 < class.len() && class[i + 1] == b'-' {
                        hit |= class[i] <= *c && *c <= class[i + 2];
                        i += 3;
                    } else {
                        hit |= class[i] == *c;
                        i += 1;
                    }
                }
                hit != neg && glob_match(&p[end + 1..], &s[1..])
            }
            None => false,
        },
        (Some(x), Some(y)) => x == y && glob_match(&p[1..], &s[1..]),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match(b"*.txt", b"a.txt"));
        assert!(!glob_match(b"*.txt", b"d/a.txt"));
        assert!(glob_match(b"**/*.txt", b"d/e/a.txt"));
        assert!(glob_match(b"**/*.txt", b"a.txt"));
        assert!(glob_match(b"{a,b}.tf", b"b.tf"));
        assert!(glob_match(b"f?[0-9].x", b"fa7.x"));
    }
}
