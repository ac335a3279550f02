//! The `config` fuzz target: see `odflash_fuzz::config` (`fuzz/src/config.rs`).

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| odflash_fuzz::config::run(data));
