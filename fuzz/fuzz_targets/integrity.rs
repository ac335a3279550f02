//! The `integrity` fuzz target: see `odflash_fuzz::integrity` (`fuzz/src/integrity.rs`).

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| odflash_fuzz::integrity::run(data));
