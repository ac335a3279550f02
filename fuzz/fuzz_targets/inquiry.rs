//! The `inquiry` fuzz target: see `odflash_fuzz::inquiry` (`fuzz/src/inquiry.rs`).

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| odflash_fuzz::inquiry::run(data));
