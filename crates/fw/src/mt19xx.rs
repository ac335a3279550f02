//! The MT1959/MT1939 (LG, ASUS, Buffalo line) 2 MiB image model: boot banner, identity
//! descriptor, chip tag, integrity table verdicts, raw-dump detection and fingerprints.
//!
//! Facts from docs/protocol.md §3.2–§3.7 (sources: freemkv-firmware
//! `crates/freemkv-chipset/src/detect.rs`, `crates/freemkv-flash/src/drive/fw_ident.rs`,
//! `drive/mtk/mod.rs`). Parsing never fails on content: every problem is a verdict the gates in
//! `ops/` judge. This module never touches a device.

use sha2::{Digest, Sha256};

use super::format::{Fact, Format, ImageBytes, ImageFacts, IntegrityFact, ReadBack, WritePlan};
use super::{layout, Error};

/// The chip family named by an image's `MTEKMT19xx` tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Chip {
    /// MediaTek MT1959.
    Mt1959,
    /// MediaTek MT1939.
    Mt1939,
}

impl Chip {
    /// The 10-byte tag as stored in the descriptor (`MTEKMT1959`).
    pub fn tag(self) -> &'static [u8; 10] {
        match self {
            Chip::Mt1959 => b"MTEKMT1959",
            Chip::Mt1939 => b"MTEKMT1939",
        }
    }

    /// The chip's name (`MT1959`).
    pub fn name(self) -> &'static str {
        match self {
            Chip::Mt1959 => "MT1959",
            Chip::Mt1939 => "MT1939",
        }
    }

    /// The other chip of the pair (used to build wrong-tag images).
    pub fn other(self) -> Chip {
        match self {
            Chip::Mt1959 => Chip::Mt1939,
            Chip::Mt1939 => Chip::Mt1959,
        }
    }
}

impl std::fmt::Display for Chip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Searches the whole image for a chip tag and returns its offset and chip. The tag is the
/// authoritative chip family; freemkv searches for it because some ASUS dumps are shifted.
/// A tag in its descriptor place wins; otherwise the first occurrence.
pub fn find_chip_tag(bytes: &[u8]) -> Option<(usize, Chip)> {
    let chip_at = |at: usize| {
        let w = bytes.get(at..at + 10)?;
        [Chip::Mt1959, Chip::Mt1939]
            .into_iter()
            .find(|chip| w == chip.tag())
    };
    let in_place = layout::DESCRIPTOR_OFFSET + layout::CHIP_TAG_IN_DESCRIPTOR;
    chip_at(in_place).map(|chip| (in_place, chip)).or_else(|| {
        (0..bytes.len())
            .filter(|&at| bytes[at] == b'M')
            .find_map(|at| chip_at(at).map(|chip| (at, chip)))
    })
}

/// True when the boot banner window at 0x3000 starts with `MT19` (freemkv's
/// `has_mt19_banner` test, `drive/mtk/mod.rs`).
pub fn has_mt19_banner(bytes: &[u8]) -> bool {
    bytes
        .get(layout::BANNER_OFFSET..layout::BANNER_OFFSET + 4)
        .is_some_and(|b| b == b"MT19")
}

/// Whether the buffer has the size of a flashable image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SizeVerdict {
    /// Exactly [`layout::FLASH_SIZE`] bytes.
    Exact,
    /// Any other length; the drive programs only a whole 2 MiB image.
    Wrong {
        /// The buffer's length.
        len: usize,
    },
}

/// Where the bytes came from, judged from the first page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The first page is a real boot page: a vendor image or a repaired backup.
    Image,
    /// The first page mirrors 0x10000: a raw READ BUFFER dump, never flashable (freemkv
    /// `ensure_flashable_boot_page`: writing it would store the read-back page as boot page).
    RawDriveRead,
}

/// The 32-byte boot banner window at 0x3000.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BootBanner {
    /// The window as stored.
    pub raw: [u8; layout::BANNER_LEN],
}

impl BootBanner {
    /// The banner ID: the first 16 bytes, the part redumper compares between drive and image
    /// (`drive/flash_mt1959.ixx`), as text with padding trimmed (`MT1959 Boot BU5`).
    pub fn id(&self) -> String {
        ascii_field(&self.raw[..16])
    }

    /// True when the banner starts with `MT19`.
    pub fn is_mt19(&self) -> bool {
        self.raw.starts_with(b"MT19")
    }
}

/// The identity descriptor at 0x1EC000.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Descriptor {
    /// Vendor @0, 8 bytes (`HL-DT-ST`).
    pub vendor: String,
    /// Model @8, 16 bytes (`BD-RE BU40N`).
    pub model: String,
    /// Revision @0x18, 4 bytes (`1.03`).
    pub revision: String,
    /// Vendor-specific/region field @0x1C, 8 bytes.
    pub region: String,
    /// The text after `UNIQUE` (a build timestamp), when the marker is there.
    pub unique: Option<String>,
}

/// Where the chip tag was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChipTag {
    /// The chip the tag names.
    pub chip: Chip,
    /// File offset of the tag.
    pub offset: usize,
}

impl ChipTag {
    /// True when the tag sits where the descriptor puts it (0x1EC034); false for shifted dumps.
    pub fn is_in_place(&self) -> bool {
        self.offset == layout::DESCRIPTOR_OFFSET + layout::CHIP_TAG_IN_DESCRIPTOR
    }
}

/// What an MT19xx image says about itself. Every field is a verdict or a fact; none of them
/// alone decides whether the image may be flashed (that is `ops`' gates' job).
#[derive(Debug, Clone, PartialEq)]
pub struct Mt19xxImage {
    /// Buffer length in bytes.
    pub len: usize,
    /// Whether the length is that of a flashable image.
    pub size: SizeVerdict,
    /// The boot banner window, when the buffer reaches it.
    pub banner: Option<BootBanner>,
    /// The identity descriptor, when present and printable.
    pub descriptor: Option<Descriptor>,
    /// The chip tag, searched over the whole buffer.
    pub chip_tag: Option<ChipTag>,
    /// Parsed from the descriptor's revision.
    pub version: Option<Version>,
    /// Image or raw drive read.
    pub origin: Origin,
    /// Integrity table verdicts, when the buffer holds the table.
    pub integrity: Option<super::integrity::IntegrityReport>,
    /// sha256 of the whole buffer.
    pub sha256: [u8; 32],
    /// freemkv's build fingerprint, sha256(banner window 32 B || descriptor window 256 B)
    /// (`drive/fw_ident.rs`); it varies by build, not by unit. `None` when the buffer is short.
    pub build_id: Option<[u8; 32]>,
}

impl Mt19xxImage {
    /// The chip named by the tag.
    pub fn chip(&self) -> Option<Chip> {
        self.chip_tag.map(|t| t.chip)
    }

    /// The descriptor's model.
    pub fn model(&self) -> Option<&str> {
        self.descriptor.as_ref().map(|d| d.model.as_str())
    }

    /// `build_id` as lowercase hex (the form freemkv's catalogue uses).
    pub fn build_id_hex(&self) -> Option<String> {
        self.build_id.map(hex::encode)
    }
}

/// Parses an MT19xx image. Fails only when the buffer shows no sign of being one (no chip tag
/// anywhere and no `MT19` banner); wrong size, bad integrity, raw dumps and missing fields are
/// verdicts in the result.
pub fn parse(bytes: &[u8]) -> Result<Mt19xxImage, Error> {
    let chip_tag = find_chip_tag(bytes).map(|(offset, chip)| ChipTag { chip, offset });
    if chip_tag.is_none() && !has_mt19_banner(bytes) {
        return Err(Error::NotMt19xx);
    }
    let window = |at: usize, len: usize| bytes.get(at..at + len);
    let banner_window = window(layout::BANNER_OFFSET, layout::BANNER_LEN);
    let descriptor_window = window(layout::DESCRIPTOR_OFFSET, layout::DESCRIPTOR_LEN);
    let descriptor = descriptor_window.and_then(parse_descriptor);
    let mirror = window(layout::MIRROR_SOURCE, layout::MIRROR_LEN);
    Ok(Mt19xxImage {
        len: bytes.len(),
        size: if bytes.len() == layout::FLASH_SIZE {
            SizeVerdict::Exact
        } else {
            SizeVerdict::Wrong { len: bytes.len() }
        },
        banner: banner_window.map(|w| BootBanner {
            raw: w.try_into().unwrap_or([0; layout::BANNER_LEN]),
        }),
        version: descriptor.as_ref().map(|d| Version::parse(&d.revision)),
        descriptor,
        chip_tag,
        // See the ASSUMPTION on `layout::MIRROR_LEN` about how long the mirrored page is.
        origin: match mirror {
            Some(m) if m == &bytes[..layout::MIRROR_LEN] => Origin::RawDriveRead,
            _ => Origin::Image,
        },
        integrity: super::integrity::verify(bytes).ok(),
        sha256: Sha256::digest(bytes).into(),
        build_id: banner_window.zip(descriptor_window).map(|(b, d)| {
            let mut h = Sha256::new();
            h.update(b);
            h.update(d);
            h.finalize().into()
        }),
    })
}

/// Size of one streamed image chunk: 128 chunks of 0x4000 make the 2 MiB image (docs/protocol.md
/// §2.4; freemkv-firmware `drive/mtk.rs` `CHUNK`).
pub const WRITE_CHUNK: usize = 0x4000;

/// The MT19xx image format, for the gates and the flash engine.
#[derive(Debug, Clone, Copy, Default)]
pub struct Mt19xxFormat;

/// The MT19xx format.
pub static FORMAT: Mt19xxFormat = Mt19xxFormat;

impl Format for Mt19xxFormat {
    fn name(&self) -> &'static str {
        "mt19xx"
    }

    fn sizes(&self) -> &'static [usize] {
        &[layout::FLASH_SIZE]
    }

    fn recognizes(&self, bytes: &[u8]) -> bool {
        find_chip_tag(bytes).is_some() || has_mt19_banner(bytes)
    }

    fn facts(&self, bytes: &[u8]) -> Result<ImageFacts, Error> {
        let image = parse(bytes)?;
        Ok(ImageFacts {
            format: self.name(),
            size: image.len,
            size_note: None,
            chip: image.chip().map(|c| c.name().to_string()),
            vendor: image.descriptor.as_ref().map(|d| d.vendor.clone()),
            model: match image.model() {
                Some(m) => Fact::Found(m.to_string()),
                None => Fact::Unreadable,
            },
            revision: image.descriptor.as_ref().map(|d| d.revision.clone()),
            banner: match image.banner.as_ref().filter(|b| b.is_mt19()) {
                Some(b) => Fact::Found(b.id()),
                None => Fact::Unreadable,
            },
            integrity: match &image.integrity {
                Some(r) if r.is_verified() => {
                    IntegrityFact::Verified(format!("{} integrity entries verify", r.entries.len()))
                }
                Some(r) if r.entries.is_empty() => {
                    IntegrityFact::Fails("no active integrity entry".to_string())
                }
                Some(r) => IntegrityFact::Fails(format!(
                    "{} of {} integrity entries fail",
                    r.failures().count(),
                    r.entries.len()
                )),
                None => IntegrityFact::Fails("no integrity table".to_string()),
            },
            raw_dump: (image.origin == Origin::RawDriveRead)
                .then(|| "its first page mirrors offset 0x10000, as READ BUFFER returns it".into()),
        })
    }

    fn order(&self, drive: &str, image: &str) -> VersionOrder {
        Version::parse(image).compare(&Version::parse(drive))
    }

    /// The banner ID is the first 16 bytes of the banner window, the part redumper compares
    /// between drive and image (`drive/flash_mt1959.ixx`).
    fn banner_id(&self, drive_banner: &str) -> String {
        drive_banner
            .chars()
            .take(16)
            .collect::<String>()
            .trim()
            .to_string()
    }
}

/// The writes a 2 MiB image turns into: 128 chunks of 0x4000 in flash order; the drive stages
/// them and erases and programs when the last one arrives (docs/protocol.md §2.4, §7.5); a
/// read-back can check everything above the write-protected boot region (§3.1).
pub fn write_plan(bytes: &ImageBytes) -> Result<WritePlan, Error> {
    if bytes.len() != layout::FLASH_SIZE {
        return Err(Error::WrongSize {
            what: "this drive's flash",
            need: layout::FLASH_SIZE,
            got: bytes.len(),
        });
    }
    let lens = vec![WRITE_CHUNK; layout::FLASH_SIZE / WRITE_CHUNK];
    let chunks = WritePlan::cut(bytes, &lens)?;
    Ok(WritePlan {
        point_of_no_return: chunks.len() - 1,
        point_of_no_return_why: "the drive erases and programs its flash when the last chunk \
                                 arrives; before it, nothing is burned"
            .to_string(),
        chunks,
        payload: ImageBytes::clone(bytes),
        read_back: ReadBack::Compare(layout::BOOT_REGION_END..layout::FLASH_SIZE),
    })
}

/// Bytes that pad a field: space, NUL and erased flash.
fn is_padding(b: &u8) -> bool {
    matches!(b, b' ' | 0x00 | 0xFF)
}

/// A fixed-width ASCII field as text, padding trimmed at both ends.
fn ascii_field(field: &[u8]) -> String {
    let end = field
        .iter()
        .rposition(|b| !is_padding(b))
        .map_or(0, |p| p + 1);
    let start = field[..end]
        .iter()
        .position(|b| !is_padding(b))
        .unwrap_or(end);
    String::from_utf8_lossy(&field[start..end]).into_owned()
}

/// True when a field is printable ASCII apart from its padding.
fn is_text(field: &[u8]) -> bool {
    field
        .iter()
        .all(|b| is_padding(b) || (0x20..0x7F).contains(b))
}

/// Reads the descriptor window (from [`layout::DESCRIPTOR_OFFSET`]); `None` when the window is
/// shorter than the fields before the chip tag, the model is missing or any string field holds
/// non-text bytes (an erased or foreign window).
pub fn parse_descriptor(window: &[u8]) -> Option<Descriptor> {
    let fields = window.get(..layout::CHIP_TAG_IN_DESCRIPTOR)?;
    if !is_text(fields) {
        return None;
    }
    let unique = fields
        .windows(6)
        .position(|w| w == b"UNIQUE")
        .map(|at| ascii_field(&fields[at + 6..]));
    let descriptor = Descriptor {
        vendor: ascii_field(&fields[0x00..0x08]),
        model: ascii_field(&fields[0x08..0x18]),
        revision: ascii_field(&fields[0x18..0x1C]),
        region: ascii_field(&fields[0x1C..0x24]),
        unique,
    };
    (!descriptor.model.is_empty()).then_some(descriptor)
}

/// How two firmware revisions relate, for the downgrade/reinstall gates.
pub use super::format::VersionOrder;

/// A firmware revision string (`1.03`, `3.02`, `NB12`, `BW41`, `A203`, `R1.01`).
///
/// Ordering rule: a revision parses as an optional run of ASCII letters (the scheme prefix,
/// case-insensitive) followed by one or more dot-separated decimal numbers (`NB12` = prefix
/// `NB`, numbers (12); `1.03` = no prefix, (1, 3); `R1.01` = `R`, (1, 1)). Two revisions compare
/// only when both parse, their prefixes are equal and they have the same count of numbers; they
/// are then ordered by the numbers, left to right. Identical strings (after trimming) are always
/// [`VersionOrder::Same`], parsed or not. Anything else is [`VersionOrder::Incomparable`]: the
/// gate must then ask, not guess (`NB12` vs `1.00`, `1.V5` vs `1.03`).
// ASSUMPTION: vendors do not document their revision schemes. Letter prefixes such as LG's NB/BN/
// BW/BU/FR or ASUS's A/U mark separate lines (hardware revisions, OEM builds), so comparing
// numbers across them would be a guess; numeric minors are compared as integers (`1.10` > `1.09`).
#[derive(Debug, Clone)]
pub struct Version {
    raw: String,
    parsed: Option<(String, Vec<u32>)>,
}

impl Version {
    /// Parses a revision string; never fails (an unparseable one is incomparable).
    pub fn parse(revision: &str) -> Version {
        let raw = revision.trim().to_owned();
        let split = raw
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(raw.len());
        let (prefix, rest) = raw.split_at(split);
        let numbers: Option<Vec<u32>> = rest
            .split('.')
            .map(|n| {
                (!n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
                    .then(|| n.parse().ok())
                    .flatten()
            })
            .collect();
        Version {
            parsed: numbers.map(|n| (prefix.to_ascii_uppercase(), n)),
            raw,
        }
    }

    /// The revision as written (trimmed).
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// How `self` relates to `other` under the documented rule (`Older`: `self` is older).
    pub fn compare(&self, other: &Version) -> VersionOrder {
        match self.partial_cmp(other) {
            Some(std::cmp::Ordering::Equal) => VersionOrder::Same,
            Some(std::cmp::Ordering::Less) => VersionOrder::Older,
            Some(std::cmp::Ordering::Greater) => VersionOrder::Newer,
            None => VersionOrder::Incomparable,
        }
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.raw)
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.partial_cmp(other) == Some(std::cmp::Ordering::Equal)
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        if self.raw == other.raw {
            return Some(std::cmp::Ordering::Equal);
        }
        match (&self.parsed, &other.parsed) {
            (Some((pa, na)), Some((pb, nb))) if pa == pb && na.len() == nb.len() => {
                Some(na.cmp(nb))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::{build_mt19xx, Breakage, SynthSpec};

    fn spec() -> SynthSpec {
        SynthSpec {
            unique: Some("1388534400".into()),
            ..SynthSpec::new(Chip::Mt1959, "HL-DT-ST", "BD-RE BU40N", "1.03")
        }
    }

    #[test]
    fn descriptor_window_shorter_than_its_fields_is_no_descriptor() {
        let image = build_mt19xx(&spec());
        let window = &image[layout::DESCRIPTOR_OFFSET..][..layout::DESCRIPTOR_LEN];
        assert_eq!(parse_descriptor(window).unwrap().model, "BD-RE BU40N");
        assert_eq!(
            parse_descriptor(&window[..layout::CHIP_TAG_IN_DESCRIPTOR])
                .unwrap()
                .model,
            "BD-RE BU40N"
        );
        assert_eq!(
            parse_descriptor(&window[..layout::CHIP_TAG_IN_DESCRIPTOR - 1]),
            None
        );
        assert_eq!(parse_descriptor(&[]), None);
    }

    fn parsed(breakage: Breakage) -> Mt19xxImage {
        parse(&build_mt19xx(&SynthSpec { breakage, ..spec() })).unwrap()
    }

    #[test]
    fn parses_a_valid_image() {
        let bytes = build_mt19xx(&spec());
        let image = parse(&bytes).unwrap();
        assert_eq!(image.size, SizeVerdict::Exact);
        assert_eq!(image.origin, Origin::Image);
        assert_eq!(image.banner.as_ref().unwrap().id(), "MT1959 Boot BU5");
        assert_eq!(
            image.descriptor,
            Some(Descriptor {
                vendor: "HL-DT-ST".into(),
                model: "BD-RE BU40N".into(),
                revision: "1.03".into(),
                region: String::new(),
                unique: Some("1388534400".into()),
            })
        );
        assert_eq!(image.chip(), Some(Chip::Mt1959));
        assert!(image.chip_tag.unwrap().is_in_place());
        assert_eq!(image.version.as_ref().unwrap().as_str(), "1.03");
        assert!(image.integrity.as_ref().unwrap().is_verified());
        assert_eq!(image.sha256, <[u8; 32]>::from(Sha256::digest(&bytes)));
        let mut fingerprint = bytes[0x3000..0x3020].to_vec();
        fingerprint.extend(&bytes[0x1E_C000..0x1E_C100]);
        assert_eq!(
            image.build_id_hex().unwrap(),
            hex::encode(Sha256::digest(&fingerprint))
        );
    }

    #[test]
    fn build_id_ignores_per_unit_data() {
        let a = parse(&build_mt19xx(&spec())).unwrap();
        let mut bytes = build_mt19xx(&spec());
        bytes[layout::CALIBRATION_OFFSET + 5] ^= 1;
        let b = parse(&bytes).unwrap();
        assert_eq!(a.build_id, b.build_id);
        assert_ne!(a.sha256, b.sha256);
    }

    #[test]
    fn breakages_become_verdicts() {
        assert!(!parsed(Breakage::BadCmac).integrity.unwrap().is_verified());
        assert_eq!(parsed(Breakage::WrongTag).chip(), Some(Chip::Mt1939));
        assert_eq!(
            parsed(Breakage::Truncated).size,
            SizeVerdict::Wrong { len: 0x1F_F000 }
        );
        let raw = parsed(Breakage::RawDump);
        assert_eq!(raw.origin, Origin::RawDriveRead);
        assert!(raw.integrity.unwrap().is_verified());
    }

    #[test]
    fn shifted_tag_is_found_anywhere() {
        let mut bytes = build_mt19xx(&spec());
        let tag_at = layout::DESCRIPTOR_OFFSET + layout::CHIP_TAG_IN_DESCRIPTOR;
        bytes.copy_within(tag_at..tag_at + 10, tag_at + 0x200);
        bytes[tag_at..tag_at + 10].fill(0xFF);
        let tag = parse(&bytes).unwrap().chip_tag.unwrap();
        assert_eq!((tag.chip, tag.offset), (Chip::Mt1959, tag_at + 0x200));
        assert!(!tag.is_in_place());
    }

    #[test]
    fn tag_in_place_wins_over_a_stray_copy() {
        let mut bytes = build_mt19xx(&spec());
        bytes[0x2_0000..0x2_000A].copy_from_slice(b"MTEKMT1939");
        let tag = parse(&bytes).unwrap().chip_tag.unwrap();
        assert_eq!(tag.chip, Chip::Mt1959);
        assert!(tag.is_in_place());
    }

    #[test]
    fn short_and_foreign_buffers() {
        assert_eq!(parse(&[0u8; 100]), Err(Error::NotMt19xx));
        // A fragment holding only the banner still parses, with the rest absent.
        let bytes = build_mt19xx(&spec());
        let head = parse(&bytes[..0x4000]).unwrap();
        assert_eq!(head.size, SizeVerdict::Wrong { len: 0x4000 });
        assert!(head.descriptor.is_none() && head.integrity.is_none() && head.build_id.is_none());
        // An erased descriptor is absent, not garbage.
        let mut erased = bytes.clone();
        erased[layout::DESCRIPTOR_OFFSET..layout::DESCRIPTOR_OFFSET + 0x100].fill(0xFF);
        let image = parse(&erased).unwrap();
        assert_eq!((image.descriptor, image.version), (None, None));
    }

    /// The descriptor quoted in RibShark/OmniDrive#29 (ASUS SBW-06D2X-U, a BU50N inside).
    #[test]
    fn parses_a_published_descriptor() {
        let mut window = [0xFFu8; layout::DESCRIPTOR_LEN];
        let text = b"ASUS    SBW-06D2X-U     A102W002000 UNIQUE2106281341MTEKMT1959";
        window[..text.len()].copy_from_slice(text);
        assert_eq!(
            parse_descriptor(&window),
            Some(Descriptor {
                vendor: "ASUS".into(),
                model: "SBW-06D2X-U".into(),
                revision: "A102".into(),
                region: "W002000".into(),
                unique: Some("2106281341".into()),
            })
        );
        let mut image = build_mt19xx(&spec());
        let at = layout::DESCRIPTOR_OFFSET;
        image[at..at + layout::DESCRIPTOR_LEN].copy_from_slice(&window);
        let parsed = parse(&image).unwrap();
        assert_eq!(parsed.chip_tag.unwrap().offset, at + 0x34);
        assert_eq!(
            parsed.version.unwrap().compare(&Version::parse("A101")),
            VersionOrder::Newer
        );
    }

    fn order(a: &str, b: &str) -> VersionOrder {
        Version::parse(a).compare(&Version::parse(b))
    }

    #[test]
    fn version_ordering_rule() {
        assert_eq!(order("1.03", "1.03"), VersionOrder::Same);
        assert_eq!(order("1.02", "1.03"), VersionOrder::Older);
        assert_eq!(order("3.02", "3.01"), VersionOrder::Newer);
        assert_eq!(order("1.10", "1.09"), VersionOrder::Newer);
        assert_eq!(order("NB12", "NB10"), VersionOrder::Newer);
        assert_eq!(order("nb10", "NB12"), VersionOrder::Older);
        assert_eq!(order("R1.01", "R1.00"), VersionOrder::Newer);
        assert_eq!(order("NB12", "1.00"), VersionOrder::Incomparable);
        assert_eq!(order("BN12", "NB12"), VersionOrder::Incomparable);
        assert_eq!(order("1.V5", "1.03"), VersionOrder::Incomparable);
        assert_eq!(order("1.V5", " 1.V5 "), VersionOrder::Same);
        assert_eq!(order("", "1.00"), VersionOrder::Incomparable);
        assert_eq!(order("1.0.", "1.00"), VersionOrder::Incomparable);
        assert!(Version::parse("3.02") > Version::parse("3.01"));
        assert!(Version::parse("NB12")
            .partial_cmp(&Version::parse("1.00"))
            .is_none());
    }
}
