//! MT19xx firmware images (`image check`, `flash`): the parsers `image::mt19xx::parse` runs on
//! the regions it reads (boot banner, identity descriptor, integrity table), and `parse`
//! itself on small inputs. Whole 2 MiB images are the `image_mt19xx_whole` target's
//! (`check_whole` and `check_identity_round_trip` here are shared with it).
//!
//! Input: a selector byte, then
//! - selector < 0x40: the image itself (small, shallow inputs through the whole `parse`);
//! - else, region mode: the bytes of the banner window (32), the descriptor window (256) and
//!   the integrity table (448), in that order, laid over a valid synthetic 2 MiB image
//!   (missing bytes keep the image's own). The rest of the image stays fixed, so each input
//!   costs what the region parsers read, not 2 MiB of hashing.
//!
//! Properties: no panic; the facts reported match the bytes (length, size verdict, sha256,
//! chip tag position); descriptor strings carry no control characters; the integrity table's
//! entries are its bytes and every active entry gets one verdict; an image built from
//! identity strings parses back to the same strings (the builder is the parser's inverse).

use std::cell::RefCell;

use odflash::image::detect;
use odflash::image::integrity::{parse_table, signing_order, verify, Entry};
use odflash::image::layout::{
    BANNER_LEN, BANNER_OFFSET, CHIP_TAG_IN_DESCRIPTOR, DESCRIPTOR_LEN, DESCRIPTOR_OFFSET,
    FLASH_SIZE, TABLE_ENTRIES, TABLE_ENTRY_LEN, TABLE_OFFSET,
};
use odflash::image::mt19xx::{
    find_chip_tag, has_mt19_banner, parse, parse_descriptor, BootBanner, Chip, Descriptor,
    SizeVerdict, Version, VersionOrder,
};
use odflash::image::synth::{build_mt19xx, SynthSpec};
use sha2::{Digest, Sha256};

use super::base_mt1959;

const TABLE_LEN: usize = TABLE_ENTRIES * TABLE_ENTRY_LEN;

/// The windows region mode lays over the image, in input order, as (offset, length).
const WINDOWS: [(usize, usize); 3] = [
    (BANNER_OFFSET, BANNER_LEN),
    (DESCRIPTOR_OFFSET, DESCRIPTOR_LEN),
    (TABLE_OFFSET, TABLE_LEN),
];

/// Active ranges up to this many bytes in all are verified in region mode (a CMAC over a
/// few KiB); longer ones would bring back the cost of hashing the whole image.
const VERIFY_BUDGET: u64 = 0x4000;

/// One input of the `image_mt19xx` target.
pub fn run(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    if selector < 0x40 {
        check_whole(rest);
    } else {
        check_regions(rest);
    }
}

/// Region mode: the windows from `input` over a copy of the synthetic image kept per thread
/// (every window is rewritten from the base first, so no input leaks into the next).
fn check_regions(input: &[u8]) {
    thread_local! {
        static IMAGE: RefCell<Vec<u8>> = RefCell::new(base_mt1959().to_vec());
    }
    IMAGE.with_borrow_mut(|image| {
        let base = base_mt1959();
        let mut input = input;
        for (at, len) in WINDOWS {
            let window = &mut image[at..at + len];
            window.copy_from_slice(&base[at..at + len]);
            let n = input.len().min(len);
            window[..n].copy_from_slice(&input[..n]);
            input = &input[n..];
        }
        check_banner(image);
        check_descriptor(image);
        check_table(image);
    });
}

fn check_banner(image: &[u8]) {
    let raw: [u8; BANNER_LEN] = image[BANNER_OFFSET..BANNER_OFFSET + BANNER_LEN]
        .try_into()
        .expect("the window is the banner's length");
    let banner = BootBanner { raw };
    assert_eq!(banner.is_mt19(), has_mt19_banner(image));
    let id = banner.id();
    assert!(id.len() <= 16 * 3, "{id:?}"); // 16 bytes, each at most one U+FFFD
}

fn check_descriptor(image: &[u8]) {
    let window = &image[DESCRIPTOR_OFFSET..DESCRIPTOR_OFFSET + DESCRIPTOR_LEN];
    if let Some(d) = parse_descriptor(window) {
        check_descriptor_fields(&d);
    }
    // The tag in its place is found there without a search of the whole image.
    let tag = &window[CHIP_TAG_IN_DESCRIPTOR..CHIP_TAG_IN_DESCRIPTOR + 10];
    if let Some(chip) = [Chip::Mt1959, Chip::Mt1939]
        .into_iter()
        .find(|c| tag == c.tag())
    {
        assert_eq!(
            find_chip_tag(image),
            Some((DESCRIPTOR_OFFSET + CHIP_TAG_IN_DESCRIPTOR, chip))
        );
    }
}

/// Descriptor fields are printable ASCII apart from padding bytes (NUL, 0xFF) that may sit
/// between words; no other control character gets through. The model is never empty.
fn check_descriptor_fields(d: &Descriptor) {
    for field in [&d.vendor, &d.model, &d.revision, &d.region] {
        assert!(
            !field.chars().any(|c| c.is_control() && c != '\0'),
            "{field:?}"
        );
    }
    assert!(!d.model.is_empty());
    let version = Version::parse(&d.revision);
    assert_eq!(version.compare(&version), VersionOrder::Same);
}

fn check_table(image: &[u8]) {
    let entries = parse_table(image).expect("a 2 MiB image holds the table");
    assert_eq!(entries.len(), TABLE_ENTRIES);
    for e in &entries {
        let at = TABLE_OFFSET + e.index * TABLE_ENTRY_LEN;
        let word = |i: usize| u32::from_le_bytes(image[at + i..at + i + 4].try_into().unwrap());
        assert_eq!((e.enabled, e.start, e.end), (word(0), word(4), word(8)));
        assert_eq!(e.digest, image[at + 12..at + TABLE_ENTRY_LEN]);
    }
    let active: Vec<&Entry> = entries.iter().filter(|e| e.is_active()).collect();
    let order = signing_order(&entries);
    assert!(order.iter().all(|i| active.iter().any(|e| e.index == *i)));
    let covered: u64 = active
        .iter()
        .map(|e| u64::from(e.end.saturating_sub(e.start)) + 1)
        .sum();
    if covered <= VERIFY_BUDGET {
        let report = verify(image).expect("the table is there");
        let reported: Vec<usize> = report.entries.iter().map(|v| v.entry.index).collect();
        let expected: Vec<usize> = active.iter().map(|e| e.index).collect();
        assert_eq!(reported, expected);
    }
}

/// The whole `parse`, on any bytes: facts match the bytes.
pub fn check_whole(image: &[u8]) {
    let kind = detect(image).map(|f| f.name());
    let Ok(parsed) = parse(image) else {
        assert_ne!(kind, Some("mt19xx"));
        return;
    };
    // A TSST MT1939 image parses too (its banner) but is detected by its trailer first.
    let tsst = odflash::image::tsst::recognizes_mt1939(image);
    assert_eq!(kind, Some(if tsst { "tsst" } else { "mt19xx" }));
    assert_eq!(parsed.len, image.len());
    assert_eq!(parsed.size == SizeVerdict::Exact, image.len() == FLASH_SIZE);
    assert_eq!(parsed.sha256, <[u8; 32]>::from(Sha256::digest(image)));
    if let Some(tag) = parsed.chip_tag {
        assert_eq!(&image[tag.offset..tag.offset + 10], tag.chip.tag());
    }
    if let Some(d) = &parsed.descriptor {
        check_descriptor_fields(d);
    }
    assert_eq!(
        parsed.integrity.is_some(),
        image.len() >= TABLE_OFFSET + TABLE_LEN
    );
    let _ = parsed.build_id_hex();
}

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

/// Builds an image from identity strings (`|`-separated, from fuzz bytes) and checks that
/// `parse` gives them back.
pub fn check_identity_round_trip(chip: Chip, raw: &[u8]) {
    let Some((vendor, model, revision)) = identity(raw) else {
        return;
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
}
