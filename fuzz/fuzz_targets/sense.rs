//! The `sense` fuzz target: see `odflash_fuzz::sense` (`fuzz/src/sense.rs`).

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| odflash_fuzz::sense::run(data));
