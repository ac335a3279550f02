//! The `capture` fuzz target: see `odflash_fuzz::capture` (`fuzz/src/capture.rs`).

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| odflash_fuzz::capture::run(data));
