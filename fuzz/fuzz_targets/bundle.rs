//! The `bundle` fuzz target: see `odflash_fuzz::bundle` (`fuzz/src/bundle.rs`).

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| odflash_fuzz::bundle::run(data));
