//! Whole MT19xx images through `image::mt19xx::parse`: slow (every input hashes and verifies
//! 2 MiB, tens of milliseconds under the sanitizer), so apart from `image_mt19xx`, which
//! fuzzes the same parsers on their regions thousands of times faster.
//!
//! Input: a selector byte, then a patch script over the synthetic MT1959 image
//! (`apply_patches`; selector < 0x80), or identity strings for `image::synth::build_mt19xx`
//! (MT1959 for an even selector, MT1939 for an odd one).
//!
//! Properties: those of `image_mt19xx::check_whole` and `check_identity_round_trip`.

use odflash::image::mt19xx::Chip;

use super::image_mt19xx::{check_identity_round_trip, check_whole};
use super::{apply_patches, base_mt1959};

/// One input of the `image_mt19xx_whole` target.
pub fn run(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    if selector < 0x80 {
        check_whole(&apply_patches(base_mt1959(), rest));
    } else {
        let chip = if selector & 1 == 0 {
            Chip::Mt1959
        } else {
            Chip::Mt1939
        };
        check_identity_round_trip(chip, rest);
    }
}
