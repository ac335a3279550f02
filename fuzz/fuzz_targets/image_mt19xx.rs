//! The `image_mt19xx` fuzz target: see `odflash_fuzz::image_mt19xx` (`fuzz/src/image_mt19xx.rs`).

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| odflash_fuzz::image_mt19xx::run(data));
