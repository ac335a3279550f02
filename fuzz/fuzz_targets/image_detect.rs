//! The `image_detect` fuzz target: see `odflash_fuzz::image_detect` (`fuzz/src/image_detect.rs`).

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| odflash_fuzz::image_detect::run(data));
