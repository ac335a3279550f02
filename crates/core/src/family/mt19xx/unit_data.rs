//! MT19xx per-unit data ("EEPROM"): the identity descriptor window (0x1EC000, 0x100 bytes)
//! and the calibration window (0x1F0000, 0x10000 bytes), which live in flash on these drives
//! (docs/protocol.md §2.7, §3.5, §8.1; freemkv-firmware `drive/mtk.rs`
//! `ROM_1EC000_*`, `ROM_1F0000_*`).
//!
//! Reading both windows, judging them against the drive's INQUIRY (pure), and writing them back in
//! place with targeted WRITE BUFFER mode 6 (docs/protocol.md §2.7). Which backup may be restored
//! onto which drive is policy and belongs to `ops/`.

use std::fmt;

use crate::family::{Error, FlashAccess, Window};
use crate::image::mt19xx::{find_chip_tag, Chip};
use crate::scsi::inquiry::Inquiry;
use crate::scsi::Transport;

use super::flash::{calibration_window, identity_window, Flash};

/// Largest single read of a window tried first: freemkv's probe tests reads up to 64 KiB
/// (docs/protocol.md §2.2; freemkv-firmware `probe.rs`).
const LARGE_PIECE: usize = 0x1_0000;

/// The piece size a window falls back to when a large read fails: freemkv's full dumps read
/// 4 KiB at a time (docs/protocol.md §2.2; freemkv-firmware `probe.rs` `read_full_image`).
const READ_PIECE: usize = 0x1000;

/// Both per-unit windows of one drive, verbatim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitData {
    /// The identity descriptor window (0x1EC000, 0x100 bytes).
    pub identity: Vec<u8>,
    /// The calibration window (0x1F0000, 0x10000 bytes).
    pub calibration: Vec<u8>,
}

/// The fields of an identity descriptor (docs/protocol.md §3.3: vendor @0 (8), model @8 (16),
/// revision @0x18 (4), `MTEKMT19xx` tag @0x34).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Descriptor {
    /// Vendor, when printable and not empty.
    pub vendor: Option<String>,
    /// Model, when printable and not empty.
    pub model: Option<String>,
    /// Firmware revision, when printable and not empty.
    pub revision: Option<String>,
    /// Chip family from the `MTEKMT19xx` tag, when present.
    pub chip: Option<Chip>,
}

/// What is wrong with a drive's per-unit data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnitProblem {
    /// The identity window is all 0xFF or all 0x00.
    IdentityBlank,
    /// The calibration window is all 0xFF or all 0x00.
    CalibrationBlank,
    /// The identity window has no `MTEKMT19xx` chip tag.
    ChipTagMissing,
    /// The descriptor names another drive than INQUIRY does.
    IdentityMismatch {
        /// Vendor and model in the descriptor.
        descriptor: String,
        /// Vendor and model in INQUIRY.
        inquiry: String,
    },
}

impl fmt::Display for UnitProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UnitProblem::IdentityBlank => f.write_str("identity window 0x1EC000 is blank"),
            UnitProblem::CalibrationBlank => f.write_str("calibration window 0x1F0000 is blank"),
            UnitProblem::ChipTagMissing => {
                f.write_str("identity window 0x1EC000 has no MTEKMT19xx chip tag")
            }
            UnitProblem::IdentityMismatch {
                descriptor,
                inquiry,
            } => write!(
                f,
                "identity window names {descriptor:?} but the drive reports {inquiry:?}"
            ),
        }
    }
}

/// True when `bytes` is all 0xFF (erased flash) or all 0x00.
pub fn is_blank(bytes: &[u8]) -> bool {
    bytes.iter().all(|&b| b == 0xFF) || bytes.iter().all(|&b| b == 0x00)
}

/// A printable ASCII field, trimmed of spaces and NULs; `None` when empty or not printable.
fn parse_field(bytes: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(bytes).ok()?;
    let text = text.trim_matches(|c: char| c == ' ' || c == '\0');
    let printable = text.bytes().all(|b| (0x20..0x7F).contains(&b));
    (printable && !text.is_empty()).then(|| text.to_string())
}

/// Parse an identity descriptor window. Never fails: missing fields are `None`.
pub fn parse_descriptor(bytes: &[u8]) -> Descriptor {
    let field = |range: std::ops::Range<usize>| bytes.get(range).and_then(parse_field);
    Descriptor {
        vendor: field(0..8),
        model: field(8..0x18),
        revision: field(0x18..0x1C),
        // The tag is the authoritative chip family; it sits at 0x34, but freemkv searches for it
        // because some ASUS dumps are shifted (docs/protocol.md §3.3), so the whole window is
        // searched.
        chip: find_chip_tag(bytes).map(|(_, chip)| chip),
    }
}

/// Judge a drive's per-unit data against its INQUIRY: blank windows, a missing chip tag, or a
/// descriptor naming another vendor/model.
pub fn check(data: &UnitData, inquiry: &Inquiry) -> Result<(), UnitProblem> {
    if is_blank(&data.identity) {
        return Err(UnitProblem::IdentityBlank);
    }
    if is_blank(&data.calibration) {
        return Err(UnitProblem::CalibrationBlank);
    }
    let descriptor = parse_descriptor(&data.identity);
    if descriptor.chip.is_none() {
        return Err(UnitProblem::ChipTagMissing);
    }
    let named = |vendor: &str, model: &str| format!("{vendor} {model}");
    let in_descriptor = named(
        descriptor.vendor.as_deref().unwrap_or(""),
        descriptor.model.as_deref().unwrap_or(""),
    );
    let in_inquiry = named(&inquiry.vendor, &inquiry.product);
    if !in_descriptor.eq_ignore_ascii_case(&in_inquiry) {
        return Err(UnitProblem::IdentityMismatch {
            descriptor: in_descriptor,
            inquiry: in_inquiry,
        });
    }
    Ok(())
}

/// Read one window in as few commands as the path takes: pieces of up to 64 KiB (the
/// transport's limit, if smaller); when such a read is answered with an error, the window is
/// read again in 4 KiB pieces, as freemkv's dumps read. Transport failures are not retried.
pub fn read_window(t: &mut dyn Transport, window: &Window) -> Result<Vec<u8>, Error> {
    let limit = t.max_transfer().map_or(usize::MAX, |m| m.bytes.max(1));
    let large = LARGE_PIECE.min(limit);
    let small = READ_PIECE.min(limit);
    match read_in_pieces(t, window, large) {
        // Only a read larger than the small pieces is worth repeating in them.
        Err(Error::Scsi(crate::scsi::Error::Sense(s)))
            if large.min(window.len as usize) > small =>
        {
            log::debug!(
                "window {} in {large:#x}-byte reads: {s}; reading 4 KiB pieces",
                window.name
            );
            read_in_pieces(t, window, small)
        }
        other => other,
    }
}

/// Read `window` in commands of `piece` bytes.
fn read_in_pieces(t: &mut dyn Transport, window: &Window, piece: usize) -> Result<Vec<u8>, Error> {
    let mut data = vec![0u8; window.len as usize];
    for (i, chunk) in data.chunks_mut(piece).enumerate() {
        Flash.read(t, window.offset + (i * piece) as u32, chunk)?;
    }
    Ok(data)
}

/// Read both per-unit windows.
pub fn read_unit_data(t: &mut dyn Transport) -> Result<UnitData, Error> {
    Ok(UnitData {
        identity: read_window(t, &identity_window())?,
        calibration: read_window(t, &calibration_window())?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::layout::{CHIP_TAG_IN_DESCRIPTOR, DESCRIPTOR_LEN};

    fn inquiry(vendor: &str, product: &str) -> Inquiry {
        crate::family::script::inquiry(vendor, product, "1.00")
    }

    fn descriptor(vendor: &str, model: &str, rev: &str, tag: &[u8]) -> Vec<u8> {
        let mut d = vec![0xFFu8; DESCRIPTOR_LEN];
        d[..8].copy_from_slice(format!("{vendor:<8}").as_bytes());
        d[8..0x18].copy_from_slice(format!("{model:<16}").as_bytes());
        d[0x18..0x1C].copy_from_slice(format!("{rev:<4}").as_bytes());
        d[CHIP_TAG_IN_DESCRIPTOR..CHIP_TAG_IN_DESCRIPTOR + tag.len()].copy_from_slice(tag);
        d
    }

    fn unit(identity: Vec<u8>) -> UnitData {
        let mut calibration = vec![0xFF; 0x1_0000];
        calibration[..4].copy_from_slice(b"CAL0");
        UnitData {
            identity,
            calibration,
        }
    }

    #[test]
    fn parses_descriptor_fields_and_tag() {
        let d = parse_descriptor(&descriptor(
            "HL-DT-ST",
            "BD-RE BU40N",
            "1.03",
            b"MTEKMT1959",
        ));
        assert_eq!(d.vendor.as_deref(), Some("HL-DT-ST"));
        assert_eq!(d.model.as_deref(), Some("BD-RE BU40N"));
        assert_eq!(d.revision.as_deref(), Some("1.03"));
        assert_eq!(d.chip, Some(Chip::Mt1959));
        let blank = parse_descriptor(&[0xFF; DESCRIPTOR_LEN]);
        assert_eq!(blank, Descriptor::default());
    }

    #[test]
    fn shifted_tag_is_found() {
        let mut d = vec![0u8; DESCRIPTOR_LEN];
        d[0x40..0x4A].copy_from_slice(b"MTEKMT1939");
        assert_eq!(parse_descriptor(&d).chip, Some(Chip::Mt1939));
    }

    #[test]
    fn consistent_unit_data_passes() {
        let data = unit(descriptor("HL-DT-ST", "BD-RE BU40N", "1.03", b"MTEKMT1959"));
        assert_eq!(check(&data, &inquiry("HL-DT-ST", "BD-RE BU40N")), Ok(()));
    }

    #[test]
    fn blank_and_inconsistent_windows_are_named() {
        let good = descriptor("HL-DT-ST", "BD-RE BU40N", "1.03", b"MTEKMT1959");
        let inq = inquiry("HL-DT-ST", "BD-RE BU40N");
        assert_eq!(
            check(&unit(vec![0xFF; DESCRIPTOR_LEN]), &inq),
            Err(UnitProblem::IdentityBlank)
        );
        assert_eq!(
            check(&unit(vec![0x00; DESCRIPTOR_LEN]), &inq),
            Err(UnitProblem::IdentityBlank)
        );
        let mut no_cal = unit(good.clone());
        no_cal.calibration = vec![0x00; 0x1_0000];
        assert_eq!(check(&no_cal, &inq), Err(UnitProblem::CalibrationBlank));
        let untagged = descriptor("HL-DT-ST", "BD-RE BU40N", "1.03", b"NOTATAG!!!");
        assert_eq!(
            check(&unit(untagged), &inq),
            Err(UnitProblem::ChipTagMissing)
        );
        let other = check(&unit(good), &inquiry("ASUS", "BW-16D1HT"));
        assert!(matches!(other, Err(UnitProblem::IdentityMismatch { .. })));
        assert!(other.unwrap_err().to_string().contains("BW-16D1HT"));
    }
}
