//! The `emu_spec` fuzz target: see `odflash_fuzz::emu_spec` (`fuzz/src/emu_spec.rs`).

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| odflash_fuzz::emu_spec::run(data));
