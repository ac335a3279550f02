//! Every fuzz target (`fuzz/`) run as an ordinary test on its seed corpus and on every past
//! crash input (`fuzz/regressions/<target>/`), so a fixed crash stays fixed and a library
//! change that breaks a target's body fails `cargo test`. The bodies are the fuzz crate's
//! own modules, compiled here without libFuzzer.

use std::fs;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

#[path = "../fuzz/src/lib.rs"]
mod odflash_fuzz;

use odflash_fuzz::{seeds::seeds, Body, TARGETS};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

/// The body of `target`.
fn body(target: &str) -> Body {
    TARGETS
        .iter()
        .find(|(name, _)| *name == target)
        .unwrap_or_else(|| panic!("no fuzz target named {target:?}"))
        .1
}

/// Runs each (label, target, input) and fails naming every input that panicked.
fn replay(inputs: impl IntoIterator<Item = (String, &'static str, Vec<u8>)>) {
    let mut failed = Vec::new();
    for (label, target, input) in inputs {
        let run = body(target);
        if catch_unwind(AssertUnwindSafe(|| run(&input))).is_err() {
            failed.push(label);
        }
    }
    assert!(failed.is_empty(), "fuzz inputs that fail: {failed:#?}");
}

#[test]
fn every_seed_passes_its_target() {
    let all = seeds();
    for (target, _) in TARGETS {
        assert!(
            all.iter().any(|(t, _)| *t == target),
            "target {target} has no seed"
        );
    }
    replay(
        all.into_iter()
            .enumerate()
            .map(|(i, (target, input))| (format!("{target} seed {i}"), target, input)),
    );
}

#[test]
fn every_past_crash_input_passes_its_target() {
    let root = fuzz_dir().join("regressions");
    let mut inputs = Vec::new();
    for dir in fs::read_dir(&root).expect("fuzz/regressions is there") {
        let dir = dir.expect("a directory entry").path();
        if !dir.is_dir() {
            continue; // the README
        }
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let (target, _) = TARGETS
            .iter()
            .find(|(t, _)| *t == name)
            .unwrap_or_else(|| panic!("{} names no fuzz target", dir.display()));
        for file in fs::read_dir(&dir).expect("a readable directory") {
            let path = file.expect("a directory entry").path();
            let bytes = fs::read(&path).expect("a readable input");
            inputs.push((path.display().to_string(), *target, bytes));
        }
    }
    replay(inputs);
}

#[test]
fn every_fuzz_binary_is_a_replayed_target() {
    let mut bins: Vec<String> = fs::read_dir(fuzz_dir().join("fuzz_targets"))
        .expect("fuzz/fuzz_targets is there")
        .map(|f| f.expect("a directory entry").path())
        .filter_map(|p| Some(p.file_stem()?.to_str()?.to_owned()))
        .collect();
    bins.sort_unstable();
    let mut targets: Vec<&str> = TARGETS.iter().map(|(name, _)| *name).collect();
    targets.sort_unstable();
    assert_eq!(bins, targets);
}
