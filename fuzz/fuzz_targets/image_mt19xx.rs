//! MT19xx firmware images (`image check`, `flash`): `image::mt19xx::parse`.
//!
//! Input: a selector byte, then either the image itself (selector < 0x40: small, shallow
//! inputs), a patch script over a synthetic 2 MiB image built at start-up (see
//! `odflash_fuzz::apply_patches`), or (selector >= 0xC0) identity strings for
//! `image::synth::build_mt19xx`.
//!
//! Properties: no panic; the facts reported match the bytes (length, size verdict, sha256,
//! chip tag position); descriptor strings carry no control characters; an image built from identity strings
//! parses back to the same strings (the builder is the parser's inverse).

#![no_main]

use libfuzzer_sys::fuzz_target;
use odflash::image::layout;
use odflash::image::mt19xx::{parse, Chip, SizeVerdict, VersionOrder};
use odflash::image::synth::{build_mt19xx, SynthSpec};
use odflash::image::{detect, ImageKind};
use odflash_fuzz::{apply_patches, base_mt1959};
use sha2::{Digest, Sha256};

/// Identity strings from fuzz bytes: printable ASCII, `|`-separated, trimmed to field widths.
fn identity(raw: &[u8]) -> Option<(String, String, String)> {
    let text: String = raw.iter().map(|&b| char::from(0x20 + b % 0x5F)).collect();
    let mut parts = text.split('|').map(|p| p.trim().to_string());
    let (vendor, model, revision) = (parts.next()?, parts.next()?, parts.next()?);
    // A descriptor model is required; "UNIQUE" inside a field would move the unique marker.
    if model.is_empty() || text.contains("UNIQUE") {
        return None;
    }
    let fit = |s: String, width: usize| (s.len() <= width).then_some(s);
    Some((fit(vendor, 8)?, fit(model, 16)?, fit(revision, 4)?))
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    if selector >= 0xC0 {
        let Some((vendor, model, revision)) = identity(rest) else {
            return;
        };
        let chip = if selector & 1 == 0 {
            Chip::Mt1959
        } else {
            Chip::Mt1939
        };
        let image = build_mt19xx(&SynthSpec::new(chip, &vendor, &model, &revision));
        let parsed = parse(&image).expect("a synthetic image parses");
        let d = parsed
            .descriptor
            .clone()
            .expect("a synthetic image has a descriptor");
        assert_eq!((d.vendor, d.model, d.revision), (vendor, model, revision));
        assert_eq!(parsed.chip(), Some(chip));
        assert!(parsed.integrity.expect("table present").is_verified());
        return;
    }
    let image = if selector < 0x40 {
        rest.to_vec()
    } else {
        apply_patches(base_mt1959(), rest)
    };
    let kind = detect(&image);
    let Ok(parsed) = parse(&image) else {
        assert_ne!(kind, ImageKind::Mt19xx);
        return;
    };
    assert_eq!(kind, ImageKind::Mt19xx);
    assert_eq!(parsed.len, image.len());
    assert_eq!(
        parsed.size == SizeVerdict::Exact,
        image.len() == layout::FLASH_SIZE
    );
    assert_eq!(parsed.sha256, <[u8; 32]>::from(Sha256::digest(&image)));
    if let Some(tag) = parsed.chip_tag {
        assert_eq!(&image[tag.offset..tag.offset + 10], tag.chip.tag());
    }
    if let Some(d) = &parsed.descriptor {
        // Descriptor fields are printable ASCII apart from padding bytes (NUL, 0xFF) that may
        // sit between words; no other control character gets through.
        for field in [&d.vendor, &d.model, &d.revision, &d.region] {
            assert!(
                !field.chars().any(|c| c.is_control() && c != '\0'),
                "{field:?}"
            );
        }
        assert!(!d.model.is_empty());
    }
    assert_eq!(
        parsed.integrity.is_some(),
        image.len() >= layout::TABLE_OFFSET + layout::TABLE_ENTRIES * layout::TABLE_ENTRY_LEN
    );
    let _ = parsed.build_id_hex();
    if let Some(v) = &parsed.version {
        assert_eq!(v.compare(v), VersionOrder::Same);
    }
});
