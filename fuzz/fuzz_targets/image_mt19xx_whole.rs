//! The `image_mt19xx_whole` fuzz target: see `odflash_fuzz::image_mt19xx_whole`
//! (`fuzz/src/image_mt19xx_whole.rs`).

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| odflash_fuzz::image_mt19xx_whole::run(data));
