//! DVD-era LiteOn/MediaTek images (`image check`): `image::dvd::parse_dvd_era`.
//!
//! Input: a selector byte, then the image itself (selector < 0x80), a patch script over a
//! synthetic 1 MiB image (selector < 0xC0; see `apply_patches`, whose regions
//! land in the first MiB too), or identity strings for `image::synth::build_dvd_era`.
//!
//! Properties: no panic; an image that parses has an accepted size, one bank per 64 KiB, an
//! LJMP at every bank start and a printable identity; an image built from identity strings
//! parses back to the same strings.

use super::{apply_patches, base_dvd, is_printable};
use odflash::image::dvd::{parse_dvd_era, BANK_LEN, LJMP, SIZES};
use odflash::image::synth::build_dvd_era;

/// One input of the `image_dvd` target.
pub fn run(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    if selector >= 0xC0 {
        let text: String = rest.iter().map(|&b| char::from(0x20 + b % 0x5F)).collect();
        let mut parts = text.split('|').map(|p| p.trim().to_string());
        let (Some(vendor), Some(model), Some(revision)) =
            (parts.next(), parts.next(), parts.next())
        else {
            return;
        };
        if vendor.is_empty() || model.is_empty() || vendor.len() > 8 || model.len() > 16 {
            return;
        }
        if revision.len() > 4 {
            return;
        }
        let parsed = parse_dvd_era(&build_dvd_era(&vendor, &model, &revision))
            .expect("a synthetic image parses");
        let id = parsed.identity.expect("a synthetic image has an identity");
        assert_eq!(
            (id.vendor, id.model, id.revision),
            (vendor, model, revision)
        );
        return;
    }
    let image = if selector < 0x80 {
        rest.to_vec()
    } else {
        apply_patches(base_dvd(), rest)
    };
    let Ok(parsed) = parse_dvd_era(&image) else {
        return;
    };
    assert!(SIZES.contains(&parsed.len) && parsed.len == image.len());
    assert_eq!(parsed.banks * BANK_LEN, image.len());
    assert!(image.chunks(BANK_LEN).all(|bank| bank[0] == LJMP));
    if let Some(id) = &parsed.identity {
        for field in [&id.vendor, &id.model, &id.revision] {
            assert!(is_printable(field), "{field:?}");
        }
        assert!(!id.vendor.is_empty() && !id.model.is_empty());
    }
}
