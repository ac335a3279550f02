//! The `emu_drive` fuzz target: see `odflash_fuzz::emu_drive` (`fuzz/src/emu_drive.rs`).

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| odflash_fuzz::emu_drive::run(data));
