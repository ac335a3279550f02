//! Image classification (`image check` picks the parser with it): `image::detect`.
//!
//! Input: as for the MT19xx target, raw bytes (selector < 0x40) or a patch script over a
//! synthetic MT1959 image (else), with the DVD-era image as base when the selector's low bit
//! is set.
//!
//! Properties: no panic, and the verdict agrees with the parsers: `mt19xx` exactly when the
//! bytes carry the markers `mt19xx::parse` requires (a chip tag or an `MT19` banner; the
//! MT19xx target checks `parse` itself against `detect`) and no TSST trailer (a TSST MT1939 image
//! carries an `MT19` banner too and is `tsst`), `liteon-dvd` exactly when `parse_dvd_era` accepts
//! bytes without those markers.

use super::{apply_patches, base_dvd, base_mt1959};
use odflash::image::dvd::parse_dvd_era;
use odflash::image::{detect, mt19xx};

/// One input of the `image_detect` target.
pub fn run(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let image = if selector < 0x40 {
        rest.to_vec()
    } else if selector & 1 == 0 {
        apply_patches(base_mt1959(), rest)
    } else {
        apply_patches(base_dvd(), rest)
    };
    let is_mt19xx = mt19xx::find_chip_tag(&image).is_some() || mt19xx::has_mt19_banner(&image);
    match detect(&image).map(|f| f.name()) {
        Some("mt19xx") => {
            assert!(is_mt19xx);
            assert!(!odflash::image::tsst::recognizes_mt1939(&image));
        }
        Some("liteon-dvd") => {
            assert!(!is_mt19xx);
            assert!(parse_dvd_era(&image).is_ok());
        }
        Some("tsst") => assert!(odflash::image::tsst::recognizes_mt1939(&image)),
        Some(other) => panic!("unexpected format {other}"),
        None => {
            assert!(!is_mt19xx);
            assert!(parse_dvd_era(&image).is_err());
        }
    }
}
