//! The `trace` fuzz target: see `odflash_fuzz::trace` (`fuzz/src/trace.rs`).

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| odflash_fuzz::trace::run(data));
