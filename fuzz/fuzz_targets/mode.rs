//! The `mode` fuzz target: see `odflash_fuzz::mode` (`fuzz/src/mode.rs`).

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| odflash_fuzz::mode::run(data));
