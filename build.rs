//! Embeds the modules shipped with meshform (`modules/`) in the binary, so that a spec can
//! call `meshform/NAME` with nothing but the binary: `meshform init` writes them out.

use std::path::{Path, PathBuf};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        let hidden = p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.'));
        if hidden {
            continue;
        }
        if p.is_dir() {
            files(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let modules = root.join("modules");
    println!("cargo:rerun-if-changed=modules");
    let mut list = Vec::new();
    files(&modules, &mut list);
    let mut code = String::from(
        "/// The modules shipped with meshform: (path under modules/, contents).\npub static FILES: &[(&str, &[u8])] = &[\n",
    );
    for p in &list {
        let rel = p.strip_prefix(&modules).unwrap_or(p).to_string_lossy().replace('\\', "/");
        // Named from the manifest dir at compile time, not by this run's absolute path: a
        // clone at another path that shares the target dir may reuse this output.
        code.push_str(&format!(
            "    ({rel:?}, include_bytes!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/modules/\", {rel:?}))),\n"
        ));
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_default()).join("builtin_modules.rs");
    if let Err(e) = std::fs::write(&out, code) {
        panic!("cannot write {}: {e}", out.display());
    }
}
