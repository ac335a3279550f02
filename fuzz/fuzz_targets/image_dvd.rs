//! The `image_dvd` fuzz target: see `odflash_fuzz::image_dvd` (`fuzz/src/image_dvd.rs`).

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| odflash_fuzz::image_dvd::run(data));
