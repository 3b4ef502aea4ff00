//! No input makes meshform panic: every differential spec is mutated many times over
//! (bytes deleted, duplicated, swapped, replaced with HCL punctuation) and each mutant is
//! validated and planned. Errors are fine; a panic or a crash signal is not.

mod common;

use common::Workspace;

/// A small deterministic generator, so a failure can be replayed.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { (self.next() % n as u64) as usize }
    }
}

const PIECES: &[&str] = &[
    "{", "}", "[", "]", "(", ")", "\"", "${", "%{", "~}", "=", ".", "*", "...", "?", ":", "\n", "<<EOT\n", "#", "/*",
    "-", "0", "count", "each", "var.", "for", "=>", "\\",
];

fn mutate(text: &str, rng: &mut Lcg) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for _ in 0..1 + rng.below(3) {
        let at = rng.below(bytes.len() + 1);
        match rng.below(4) {
            0 if at < bytes.len() => {
                let len = 1 + rng.below(8).min(bytes.len() - at - 1);
                bytes.drain(at..at + len);
            }
            1 => {
                let piece = PIECES[rng.below(PIECES.len())];
                bytes.splice(at..at, piece.bytes());
            }
            2 if at + 1 < bytes.len() => bytes.swap(at, at + 1),
            _ => {
                let from = rng.below(bytes.len());
                let len = rng.below(16).min(bytes.len() - from);
                let chunk: Vec<u8> = bytes[from..from + len].to_vec();
                let at = at.min(bytes.len());
                bytes.splice(at..at, chunk);
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

#[test]
fn mutated_specs_never_panic() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/differential");
    let mut specs: Vec<std::path::PathBuf> = std::fs::read_dir(&root)
        .expect("corpus")
        .filter_map(Result::ok)
        .map(|e| e.path().join("main.tf"))
        .filter(|p| p.is_file())
        .collect();
    specs.sort();
    // MESHFORM_MUTATION_ROUNDS and MESHFORM_MUTATION_SEED allow deeper runs by hand.
    let rounds: usize = std::env::var("MESHFORM_MUTATION_ROUNDS").ok().and_then(|r| r.parse().ok()).unwrap_or(6);
    let seed: u64 = std::env::var("MESHFORM_MUTATION_SEED").ok().and_then(|r| r.parse().ok()).unwrap_or(0x5eed);
    let mut rng = Lcg(seed);
    let mut crashes = Vec::new();
    for spec in &specs {
        let text = std::fs::read_to_string(spec).expect("spec");
        for round in 0..rounds {
            let mutant = mutate(&text, &mut rng);
            let ws = Workspace::new();
            ws.write("main.tf", &mutant);
            for cmd in [&["validate"][..], &["plan", "-input=false"][..]] {
                let r = ws.run(cmd);
                let crashed =
                    r.code < 0 || r.code > 3 || r.stderr.contains("panicked") || r.stderr.contains("RUST_BACKTRACE");
                if crashed {
                    crashes.push(format!(
                        "{} round {round} ({cmd:?}): exit {}\n{}\n--- input ---\n{mutant}",
                        spec.display(),
                        r.code,
                        r.stderr
                    ));
                }
            }
        }
    }
    assert!(crashes.is_empty(), "{} crash(es):\n\n{}", crashes.len(), crashes.join("\n\n"));
}
