//! Deterministic synthetic firmware images for tests and the emulator: a correctly signed MT19xx
//! 2 MiB image with plausible content (or one with a chosen defect), a DVD-era LiteOn/MTK
//! 1 MiB image carrying a given model string and a DVD-era EEPROM carrying a unit's model, and
//! a TSST image per drive class (MT1939 with a correct 16-bit sum and trailer).
//!
//! The same spec always gives the same bytes (a seeded SplitMix64 stream stands in for code; it
//! is not cryptographic and does not need to be). Synthetic images reproduce the structures the
//! public sources describe (docs/protocol.md §3 and §5.5);
//! where they are silent, the choice is marked `ASSUMPTION`. They are never real firmware and must
//! never be sent to a real drive. This module builds bytes only.

use super::mt19xx::Chip;
use super::tsst::{self, Class};
use super::{dvd, integrity, layout};

/// Which boot loader banner the synthetic image carries at 0x3000.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Banner {
    /// `MT1959 Boot BU5 ` (a known OEM boot page).
    Bu5,
    /// `MT1959 Boot JB8 ` (a known OEM boot page).
    Jb8,
    /// `MT1959 Boot ZZ9 `: a well-formed banner that is on no list, for the "boot banner known"
    /// gate.
    Unlisted,
}

impl Banner {
    /// The banner ID: the first 16 bytes of the banner window.
    pub fn id(self) -> &'static str {
        match self {
            Banner::Bu5 => "MT1959 Boot BU5 ",
            Banner::Jb8 => "MT1959 Boot JB8 ",
            Banner::Unlisted => "MT1959 Boot ZZ9 ",
        }
    }
}

/// A defect to build into an MT19xx image, one per gate that must catch it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Breakage {
    /// A valid, correctly signed image.
    None,
    /// One application byte (at [`BAD_CMAC_OFFSET`]) flipped after signing: exactly one
    /// integrity entry fails.
    BadCmac,
    /// The descriptor carries the tag of the other chip (`MTEKMT1939` in an MT1959 image).
    WrongTag,
    /// The image stops short: [`TRUNCATED_LEN`] bytes instead of 2 MiB.
    Truncated,
    /// A raw drive read: the first page mirrors 0x10000, as READ BUFFER returns it.
    RawDump,
}

/// What to build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SynthSpec {
    /// Chip family written in the descriptor's tag.
    pub chip: Chip,
    /// Descriptor vendor (8 bytes, e.g. `HL-DT-ST`).
    pub vendor: String,
    /// Descriptor model (16 bytes, e.g. `BD-RE BU40N`).
    pub model: String,
    /// Descriptor revision (4 bytes, e.g. `1.03`).
    pub revision: String,
    /// Boot banner at 0x3000.
    pub banner: Banner,
    /// The 10 characters after `UNIQUE` in the descriptor; derived from the model and revision
    /// when `None`. It also seeds the per-unit calibration data.
    pub unique: Option<String>,
    /// Defect to build in.
    pub breakage: Breakage,
}

impl SynthSpec {
    /// A valid image with the BU5 banner and a derived unique string.
    pub fn new(chip: Chip, vendor: &str, model: &str, revision: &str) -> Self {
        SynthSpec {
            chip,
            vendor: vendor.to_owned(),
            model: model.to_owned(),
            revision: revision.to_owned(),
            banner: Banner::Bu5,
            unique: None,
            breakage: Breakage::None,
        }
    }
}

/// Offset of the byte [`Breakage::BadCmac`] flips (inside integrity entry 1's range).
pub const BAD_CMAC_OFFSET: usize = 0x8_1234;
/// Length of a [`Breakage::Truncated`] image: one page short.
pub const TRUNCATED_LEN: usize = layout::FLASH_SIZE - layout::MIRROR_LEN;

/// Active integrity ranges of a synthetic image (inclusive), in table order.
// ASSUMPTION: freemkv `cmac.rs` gives the table format but not the ranges stock images use
// (docs/protocol.md §3.4, §9). We cover the application (0x10000..0x1DFFFF, as coastermelt's TSST
// notes place it) in four ranges. The last covers the application header and the table up to, not
// including, its own digest (a digest cannot cover itself), so it covers entries 0..=2 and is
// signed last; 0x10454..0x10FFF (erased table slots and header filler) stays uncovered. The
// descriptor and calibration windows (per-unit data) are left uncovered, as TSST leaves 0x1E2000..
// unvalidated.
pub const SYNTH_RANGES: [(u32, u32); 4] = [
    (0x1_1000, 0x7_FFFF),
    (0x8_0000, 0xF_FFFF),
    (0x10_0000, 0x1D_FFFF),
    (0x1_0000, 0x1_0453),
];

/// End (exclusive) of the application bytes in a synthetic image.
const APP_END: usize = 0x1E_0000;

/// A seeded SplitMix64 stream (Steele, Lea, Flood 2014): deterministic filler, not crypto.
struct Filler(u64);

impl Filler {
    /// Seeds the stream from labelled strings (FNV-1a 64 over each, NUL separated).
    fn new(parts: &[&str]) -> Self {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for part in parts {
            for &b in part.as_bytes().iter().chain(&[0]) {
                h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
            }
        }
        Filler(h)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn fill(&mut self, out: &mut [u8]) {
        for chunk in out.chunks_mut(8) {
            let word = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&word[..chunk.len()]);
        }
    }
}

/// Copies `text` into `field`, truncated, padded with `pad`.
fn write_padded(field: &mut [u8], text: &str, pad: u8) {
    field.fill(pad);
    let n = text.len().min(field.len());
    field[..n].copy_from_slice(&text.as_bytes()[..n]);
}

/// Builds a 2 MiB MT19xx image for `spec` (shorter for [`Breakage::Truncated`]).
///
/// Layout: boot region with the banner at 0x3000; the integrity table at 0x10400 with the
/// [`SYNTH_RANGES`] entries active and the rest erased; pseudo-random application bytes up to
/// 0x1DFFFF; erased flash to the descriptor at 0x1EC000; the descriptor; erased flash; the
/// calibration window at 0x1F0000 filled with per-unit data.
pub fn build_mt19xx(spec: &SynthSpec) -> Vec<u8> {
    let mut image = vec![0xFF; layout::FLASH_SIZE];
    let unique = spec
        .unique
        .clone()
        .unwrap_or_else(|| derived_unique(&spec.model, &spec.revision));

    // Boot region: the same bytes for every image with the same banner (it is write-protected
    // on the drive and comes with the boot loader generation).
    Filler::new(&["boot", spec.banner.id()]).fill(&mut image[..layout::BOOT_REGION_END]);
    let banner = &mut image[layout::BANNER_OFFSET..layout::BANNER_OFFSET + layout::BANNER_LEN];
    // ASSUMPTION: public sources describe only the banner's first 16 bytes, the boot-loader ID
    // (redumper `flash_mt1959.ixx`; docs/protocol.md §3.2); we fill the other 16 with a marker
    // that says the image is synthetic.
    write_padded(&mut banner[..16], spec.banner.id(), b' ');
    write_padded(&mut banner[16..], "ODFLASH SYNTH", 0);

    // Application and its integrity table.
    let app_seed = [spec.chip.name(), &spec.vendor, &spec.model, &spec.revision];
    Filler::new(&app_seed).fill(&mut image[layout::BOOT_REGION_END..APP_END]);
    let table = layout::TABLE_OFFSET;
    image[table..table + layout::TABLE_ENTRIES * layout::TABLE_ENTRY_LEN].fill(0xFF);
    for (index, &(start, end)) in SYNTH_RANGES.iter().enumerate() {
        integrity::write_entry(&mut image, index, integrity::ENABLED, start, end);
    }

    let tag = match spec.breakage {
        Breakage::WrongTag => spec.chip.other(),
        _ => spec.chip,
    };
    write_descriptor(&mut image, spec, &unique, tag);

    Filler::new(&["calibration", &spec.model, &unique]).fill(
        &mut image
            [layout::CALIBRATION_OFFSET..layout::CALIBRATION_OFFSET + layout::CALIBRATION_LEN],
    );

    integrity::sign(&mut image).expect("SYNTH_RANGES are active and inside a 2 MiB image");

    match spec.breakage {
        Breakage::None | Breakage::WrongTag => {}
        Breakage::BadCmac => image[BAD_CMAC_OFFSET] ^= 0x5A,
        Breakage::Truncated => image.truncate(TRUNCATED_LEN),
        Breakage::RawDump => image.copy_within(
            layout::MIRROR_SOURCE..layout::MIRROR_SOURCE + layout::MIRROR_LEN,
            0,
        ),
    }
    image
}

/// A 10-digit pseudo-timestamp derived from the model and revision.
fn derived_unique(model: &str, revision: &str) -> String {
    format!(
        "{:010}",
        Filler::new(&["unique", model, revision]).next_u64() % 10_000_000_000
    )
}

/// Writes the identity descriptor: vendor @0 (8), model @8 (16), revision @0x18 (4), region
/// @0x1C (8), `UNIQUE<10 chars>` @0x24, chip tag @0x34; the rest of the window stays erased.
fn write_descriptor(image: &mut [u8], spec: &SynthSpec, unique: &str, tag: Chip) {
    let d =
        &mut image[layout::DESCRIPTOR_OFFSET..layout::DESCRIPTOR_OFFSET + layout::DESCRIPTOR_LEN];
    write_padded(&mut d[0x00..0x08], &spec.vendor, b' ');
    write_padded(&mut d[0x08..0x18], &spec.model, b' ');
    write_padded(&mut d[0x18..0x1C], &spec.revision, b' ');
    // ASSUMPTION: the region field's meaning is not described; we write it blank.
    write_padded(&mut d[0x1C..0x24], "", b' ');
    // `UNIQUE` + 10 characters (a YYMMDDhhmm build stamp) fill 0x24..0x34, as in the ASUS
    // SBW-06D2X-U descriptor quoted in RibShark/OmniDrive#29.
    write_padded(&mut d[0x24..0x34], &format!("UNIQUE{unique}"), b' ');
    let at = layout::CHIP_TAG_IN_DESCRIPTOR;
    d[at..at + 10].copy_from_slice(tag.tag());
}

/// Builds a 1 MiB DVD-era LiteOn/MediaTek image carrying `vendor`, `model` and `revision` in
/// the identity record at [`dvd::ID_OFFSET`] (e.g. `SONY`, `DVD RW DRU-720A`, `KY08`; or
/// `LITE-ON`, `SOHW-1633S`, `BS0C`).
///
/// Layout: 16 banks of 64 KiB, each starting with an 8051 LJMP (`02 hi lo`); the first 16 KiB
/// is bootcode; everything else is deterministic filler seeded by the strings.
pub fn build_dvd_era(vendor: &str, model: &str, revision: &str) -> Vec<u8> {
    let mut image = vec![0u8; dvd::DVD_WRITER_SIZE];
    Filler::new(&["dvd", vendor, model, revision]).fill(&mut image);
    for bank in image.chunks_mut(dvd::BANK_LEN) {
        // ASSUMPTION: only the 0x02 opcode is documented; every bank's LJMP targets 0x0100.
        bank[..3].copy_from_slice(&[dvd::LJMP, 0x01, 0x00]);
    }
    let record = &mut image[dvd::ID_OFFSET..dvd::ID_OFFSET + dvd::ID_LEN];
    write_padded(&mut record[0..8], vendor, b' ');
    write_padded(&mut record[8..24], model, b' ');
    write_padded(&mut record[24..28], revision, b' ');
    image
}

/// Offset of the identity record in odflash's synthetic DVD-era EEPROMs: INQUIRY-layout vendor
/// (8) and product (16), space padded; the serial (16) follows at
/// [`DVD_EEPROM_SERIAL_OFFSET`].
// ASSUMPTION: the EEPROM holds the unit's model ID (the C0deKing EEPROM Utility readme,
// rpc1dev/archive `codeguys/docs/eeprom_utility_readme.html`; docs/protocol.md §5.6), but no
// public source gives where or how. This record, its place and the filler around it are
// invented; odflash's reader looks for the model by its text, not at this offset.
pub const DVD_EEPROM_ID_OFFSET: usize = 0x40;
/// Offset of the unit serial in odflash's synthetic DVD-era EEPROMs (16 bytes, space padded;
/// the same ASSUMPTION).
pub const DVD_EEPROM_SERIAL_OFFSET: usize = 0x60;

/// Builds the EEPROM of a DVD-era unit of `model` ([`dvd::eeprom_len`] bytes: 1 KiB, 4 KiB for
/// "5S"/"6S" models) naming `vendor` and `model` at [`DVD_EEPROM_ID_OFFSET`] and `serial` at
/// [`DVD_EEPROM_SERIAL_OFFSET`]; every other byte is deterministic filler with bit 7 set (never
/// text). The same arguments always give the same bytes.
pub fn build_dvd_eeprom(vendor: &str, model: &str, serial: &str) -> Vec<u8> {
    let mut eeprom = vec![0u8; dvd::eeprom_len(model)];
    Filler::new(&["dvd-eeprom", vendor, model, serial]).fill(&mut eeprom);
    eeprom.iter_mut().for_each(|b| *b |= 0x80);
    let record = &mut eeprom[DVD_EEPROM_ID_OFFSET..DVD_EEPROM_ID_OFFSET + 24];
    write_padded(&mut record[0..8], vendor, b' ');
    write_padded(&mut record[8..24], model, b' ');
    let at = DVD_EEPROM_SERIAL_OFFSET;
    write_padded(&mut eeprom[at..at + 16], serial, b' ');
    eeprom
}

/// The boot-code banner of TSST MT1939 boot regions (docs/protocol.md §4.10): coastermelt
/// `doc/bootloader.txt` names the loader section at 0x3010 "MT1939 Boot Code", and
/// freemkv-firmware `crates/freemkv-chipset/src/detect.rs` reads that string as the 16-byte
/// banner at 0x3000 of "some Samsung MT1939 images", which carry no `MTEKMT19xx` tag.
pub const TSST_MT1939_BANNER: &[u8; 16] = b"MT1939 Boot Code";

/// Signature-table ranges of a synthetic TSST MT1939 image: those of the TS01 image in
/// coastermelt `doc/bootloader.txt` (0x11000..=0x16FFF, 0x17000..=0x1817FF).
const TSST_SIGNED_RANGES: [(u32, u32); 2] = [(0x1_1000, 0x1_6FFF), (0x1_7000, 0x18_17FF)];

/// Builds a TSST image of `class`'s exact size whose trailer names `vendor`, `product` and
/// `revision` (e.g. `TSSTcorp`, `BDDVDW SE-506CB`, `TS01`). The same arguments always give
/// the same bytes.
///
/// MT1939 (2 MiB; coastermelt `doc/bootloader.txt`, `flasher/checksum.py`): a boot region
/// with [`TSST_MT1939_BANNER`] at 0x3000; pseudo-random application bytes 0x10000..0x1E1FFF
/// holding the signature table at 0x10400 and the key at 0x10FF0; the loader information
/// region erased (0x1E2000..0x1F1FFF "contains all FF in the shipping firmware images") but
/// for the key's copy at 0x1FF000; the trailer at 0x1FFFD0 with `AA AA` at 0x1FFFF8; the
/// correct 16-bit sum at 0x1FFFFE.
///
/// MT1339 (256 KiB) and SD-616 (128 KiB) have no public image format: pseudo-random bytes with
/// the MT1939 trailer record at the same distance from the end, so the emulator can tell which
/// revision was flashed.
// ASSUMPTION: the signature-table digests and the key are filler (the table's cipher is not
// public); the unknown trailer bytes after the revision (0x1FFFEC..0x1FFFF7, `3e 22 04 00 54 53
// 20 ff` in TS01) and the DVD-ROM classes' whole layout are odflash's own.
pub fn build_tsst(class: Class, vendor: &str, product: &str, revision: &str) -> Vec<u8> {
    let size = class.image_size();
    let mut image = vec![0xFF; size];
    let seed = ["tsst", class.name(), vendor, product, revision];
    match class {
        Class::Mt1939Bd => {
            Filler::new(&["tsst boot"]).fill(&mut image[..layout::BOOT_REGION_END]);
            image[layout::BANNER_OFFSET..layout::BANNER_OFFSET + TSST_MT1939_BANNER.len()]
                .copy_from_slice(TSST_MT1939_BANNER);
            Filler::new(&seed).fill(&mut image[tsst::MT1939_SUM_RANGE]);
            let table = tsst::MT1939_SIGNATURE_TABLE;
            image[table..table + layout::TABLE_ENTRIES * layout::TABLE_ENTRY_LEN].fill(0xFF);
            let mut digests = Filler::new(&["tsst digests", class.name(), revision]);
            for (index, &(start, end)) in TSST_SIGNED_RANGES.iter().enumerate() {
                integrity::write_entry(&mut image, index, integrity::ENABLED, start, end);
                let digest = table + index * layout::TABLE_ENTRY_LEN + 12;
                digests.fill(&mut image[digest..digest + 16]);
            }
            let mut key = [0u8; 16];
            Filler::new(&["tsst key"]).fill(&mut key);
            image[tsst::MT1939_KEY..tsst::MT1939_KEY + 16].copy_from_slice(&key);
            image[tsst::MT1939_KEY_COPY..tsst::MT1939_KEY_COPY + 16].copy_from_slice(&key);
            tsst::write_trailer(&mut image, vendor, product, revision);
            let sum = tsst::mt1939_sum(&image).to_be_bytes();
            image[tsst::MT1939_SUM_OFFSET..tsst::MT1939_SUM_OFFSET + 2].copy_from_slice(&sum);
        }
        Class::Mt1339DvdRom | Class::Sd616 => {
            Filler::new(&seed).fill(&mut image[..size - tsst::TRAILER_FROM_END]);
            tsst::write_trailer(&mut image, vendor, product, revision);
        }
    }
    image
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dvd::parse_dvd_era;
    use crate::integrity::{verify, Check};
    use crate::mt19xx::find_chip_tag;
    use crate::tsst;

    fn spec() -> SynthSpec {
        SynthSpec::new(Chip::Mt1959, "HL-DT-ST", "BD-RE BU40N", "1.03")
    }

    fn with(breakage: Breakage) -> Vec<u8> {
        build_mt19xx(&SynthSpec { breakage, ..spec() })
    }

    fn descriptor(image: &[u8]) -> &[u8] {
        &image[layout::DESCRIPTOR_OFFSET..layout::DESCRIPTOR_OFFSET + 0x3E]
    }

    #[test]
    fn valid_image_is_signed_and_laid_out() {
        let image = build_mt19xx(&spec());
        assert_eq!(image.len(), layout::FLASH_SIZE);
        let report = verify(&image).unwrap();
        assert_eq!(report.entries.len(), SYNTH_RANGES.len());
        assert!(report.is_verified());
        assert_eq!(&image[0x3000..0x3010], b"MT1959 Boot BU5 ");
        assert_eq!(
            descriptor(&image),
            b"HL-DT-STBD-RE BU40N     1.03        UNIQUE"
                .as_slice()
                .iter()
                .chain(&descriptor(&image)[0x2A..0x34])
                .chain(b"MTEKMT1959")
                .copied()
                .collect::<Vec<u8>>()
        );
        assert!(descriptor(&image)[0x2A..0x34]
            .iter()
            .all(u8::is_ascii_digit));
        assert_eq!(
            find_chip_tag(&image),
            Some((layout::DESCRIPTOR_OFFSET + 0x34, Chip::Mt1959))
        );
        // Not a raw dump: page 0 differs from its would-be mirror.
        assert_ne!(image[..0x1000], image[0x1_0000..0x1_1000]);
    }

    #[test]
    fn same_spec_same_bytes_and_specs_differ() {
        assert_eq!(build_mt19xx(&spec()), build_mt19xx(&spec()));
        let other_unit = build_mt19xx(&SynthSpec {
            unique: Some("1400000000".into()),
            ..spec()
        });
        let base = build_mt19xx(&spec());
        let cal = layout::CALIBRATION_OFFSET..layout::CALIBRATION_OFFSET + layout::CALIBRATION_LEN;
        assert_ne!(base[cal.clone()], other_unit[cal]);
        // Same firmware, other unit: the application bytes are identical.
        assert_eq!(base[0x1_0000..APP_END], other_unit[0x1_0000..APP_END]);
        let jb8 = build_mt19xx(&SynthSpec {
            banner: Banner::Jb8,
            ..spec()
        });
        assert_eq!(&jb8[0x3000..0x3010], b"MT1959 Boot JB8 ");
        assert_ne!(base[..0x1_0000], jb8[..0x1_0000]);
    }

    #[test]
    fn bad_cmac_fails_one_entry() {
        let report = verify(&with(Breakage::BadCmac)).unwrap();
        let failed: Vec<usize> = report.failures().map(|v| v.entry.index).collect();
        assert_eq!(failed, vec![1]);
        assert!(matches!(report.entries[1].check, Check::Mismatch { .. }));
    }

    #[test]
    fn wrong_tag_names_the_other_chip_and_still_verifies() {
        let image = with(Breakage::WrongTag);
        assert_eq!(find_chip_tag(&image).map(|t| t.1), Some(Chip::Mt1939));
        assert!(verify(&image).unwrap().is_verified());
    }

    #[test]
    fn truncated_and_raw_dump() {
        assert_eq!(with(Breakage::Truncated).len(), TRUNCATED_LEN);
        let raw = with(Breakage::RawDump);
        assert_eq!(raw.len(), layout::FLASH_SIZE);
        assert_eq!(raw[..0x1000], raw[0x1_0000..0x1_1000]);
        assert_eq!(raw[0x1000..], build_mt19xx(&spec())[0x1000..]);
    }

    #[test]
    fn tsst_images_per_class() {
        for class in Class::ALL {
            let image = build_tsst(class, "TSSTcorp", "DVD-ROM TS-H353C", "ID01");
            assert_eq!(image.len(), class.image_size(), "{class}");
            assert_eq!(
                image,
                build_tsst(class, "TSSTcorp", "DVD-ROM TS-H353C", "ID01")
            );
            assert_ne!(
                image,
                build_tsst(class, "TSSTcorp", "DVD-ROM TS-H353C", "ID02")
            );
            let trailer = tsst::parse_trailer(&image).unwrap();
            assert_eq!(trailer.revision, "ID01", "{class}");
        }
        let se506 = build_tsst(Class::Mt1939Bd, "TSSTcorp", "BDDVDW SE-506CB", "TS01");
        let parsed = tsst::parse_mt1939(&se506).unwrap();
        assert!(parsed.checksum.matches());
        assert_eq!(&se506[0x3000..0x3010], b"MT1939 Boot Code");
        assert_eq!(se506[0x10FF0..0x11000], se506[0x1FF000..0x1FF010]);
        assert!(se506[0x1E_2000..0x1F_2000].iter().all(|&b| b == 0xFF));
        assert_eq!(&se506[0x1F_FFF8..0x1F_FFFA], &[0xAA, 0xAA]);
        // No MT19xx chip tag: TSST images have no descriptor at 0x1EC000.
        assert_eq!(find_chip_tag(&se506), None);
        // The boot region is the same for every TSST MT1939 image (it is write-protected).
        let other = build_tsst(Class::Mt1939Bd, "TSSTcorp", "BDDVDW SE-506CB", "TS02");
        assert_eq!(se506[..0x1_0000], other[..0x1_0000]);
        assert_ne!(se506[0x1_0000..], other[0x1_0000..]);
    }

    #[test]
    fn dvd_era_round_trip() {
        let image = build_dvd_era("SONY", "DVD RW DRU-720A", "KY08");
        assert_eq!(image, build_dvd_era("SONY", "DVD RW DRU-720A", "KY08"));
        let parsed = parse_dvd_era(&image).unwrap();
        assert_eq!((parsed.len, parsed.banks), (0x10_0000, 16));
        let id = parsed.identity.unwrap();
        assert_eq!(
            (id.vendor.as_str(), id.model.as_str(), id.revision.as_str()),
            ("SONY", "DVD RW DRU-720A", "KY08")
        );
        assert!((0..16).all(|b| image[b * 0x1_0000] == 0x02));
    }

    #[test]
    fn dvd_eeprom_names_the_unit_and_sizes_by_model() {
        let e = build_dvd_eeprom("SONY", "DVD RW DRU-720A", "EMUDVD000001");
        assert_eq!(e.len(), dvd::EEPROM_LEN);
        assert_eq!(
            e,
            build_dvd_eeprom("SONY", "DVD RW DRU-720A", "EMUDVD000001")
        );
        let at = DVD_EEPROM_ID_OFFSET;
        assert_eq!(&e[at..at + 24], b"SONY    DVD RW DRU-720A ");
        let serial = DVD_EEPROM_SERIAL_OFFSET;
        assert_eq!(&e[serial..serial + 12], b"EMUDVD000001");
        assert!(e[..at].iter().all(|b| b & 0x80 != 0));
        assert!(e[at + 24..serial].iter().all(|b| b & 0x80 != 0));
        let big = build_dvd_eeprom("LITE-ON", "DVDRW SHW-160P6S", "X");
        assert_eq!(big.len(), dvd::EEPROM_LEN_5S_6S);
    }
}
