//! Writes the seed corpora (`odflash_fuzz::seeds`) for libFuzzer.
//!
//! Usage: `seeds CORPUS_DIR` (writes `CORPUS_DIR/<target>/seed-NN`). Run by `fuzz/seeds.sh`.

use std::collections::HashMap;
use std::fs;
use std::path::PathBuf;

fn main() -> std::io::Result<()> {
    let root: PathBuf = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("corpus"));
    let mut counts = HashMap::new();
    for (target, bytes) in odflash_fuzz::seeds::seeds() {
        let dir = root.join(target);
        fs::create_dir_all(&dir)?;
        let n = counts.entry(target).or_insert(0);
        *n += 1;
        fs::write(dir.join(format!("seed-{n:02}")), bytes)?;
    }
    Ok(())
}
