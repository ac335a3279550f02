//! INQUIRY replies: standard data (SPC-4 §6.6.2) and VPD page 0x80, unit serial number
//! (SPC-4 §7.8.15); and the sanitizing of device-provided strings.
//!
//! Pure parsers only: sending INQUIRY is `command.rs`'s job.

use serde::{Deserialize, Serialize};

use super::Error;

/// Peripheral device type of an MMC (CD/DVD/BD) device (SPC-4 table 141).
pub const PERIPHERAL_TYPE_MMC: u8 = 0x05;

/// Standard INQUIRY data, with device strings trimmed of trailing spaces and NULs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inquiry {
    /// Peripheral qualifier (byte 0 bits 7..5).
    pub peripheral_qualifier: u8,
    /// Peripheral device type (byte 0 bits 4..0); 5 for optical drives.
    pub peripheral_type: u8,
    /// Removable medium bit (byte 1 bit 7).
    pub removable: bool,
    /// VERSION byte (byte 2).
    pub version: u8,
    /// T10 vendor identification (bytes 8..15).
    pub vendor: String,
    /// Product identification (bytes 16..31).
    pub product: String,
    /// Product revision level (bytes 32..35).
    pub revision: String,
    /// Vendor-specific bytes 36..55 when returned (many drives put a firmware date here).
    pub vendor_specific: String,
    /// The raw reply as received.
    #[serde(with = "super::hex::bytes")]
    pub raw: Vec<u8>,
}

/// Byte ranges of the standard INQUIRY fields (SPC-4 table 142).
const VENDOR: std::ops::Range<usize> = 8..16;
const PRODUCT: std::ops::Range<usize> = 16..32;
const REVISION: std::ops::Range<usize> = 32..36;
const VENDOR_SPECIFIC: std::ops::Range<usize> = 36..56;

/// Bytes a reply of standard INQUIRY data declares: 5 + ADDITIONAL LENGTH (byte 4).
pub(crate) fn inquiry_len(raw: &[u8]) -> Option<usize> {
    raw.get(4).map(|&n| 5 + usize::from(n))
}

/// Bytes a VPD page reply declares: 4 + PAGE LENGTH (bytes 2..3).
pub(crate) fn vpd_len(raw: &[u8]) -> Option<usize> {
    Some(4 + usize::from(u16::from_be_bytes([*raw.get(2)?, *raw.get(3)?])))
}

/// Parse standard INQUIRY data (SPC-4 §6.6.2).
///
/// Only the bytes the reply declares (5 + ADDITIONAL LENGTH) are decoded; the rest of a
/// zero-filled allocation is ignored. The whole reply is kept in [`Inquiry::raw`].
// ASSUMPTION: SPC-4 requires at least 36 bytes, but a drive in its boot loader or a bridge may
// return fewer; fields that are absent come back empty instead of failing identification.
pub fn parse_inquiry(raw: &[u8]) -> Result<Inquiry, Error> {
    let declared = inquiry_len(raw).ok_or(Error::ShortTransfer {
        command: "INQUIRY",
        direction: super::Direction::In,
        needed: 5,
        got: raw.len(),
    })?;
    let data = &raw[..raw.len().min(declared)];
    let field = |r: std::ops::Range<usize>| {
        let end = r.end.min(data.len());
        parse_device_string(data.get(r.start..end).unwrap_or_default())
    };
    Ok(Inquiry {
        peripheral_qualifier: raw[0] >> 5,
        peripheral_type: raw[0] & 0x1F,
        removable: raw[1] & 0x80 != 0,
        version: raw[2],
        vendor: field(VENDOR),
        product: field(PRODUCT),
        revision: field(REVISION),
        vendor_specific: field(VENDOR_SPECIFIC),
        raw: raw.to_vec(),
    })
}

/// Parse VPD page 0x80, unit serial number (SPC-4 §7.8.15): the serial with surrounding
/// spaces and NULs removed (drives often right-justify it).
pub fn parse_unit_serial(raw: &[u8]) -> Result<String, Error> {
    let declared = vpd_len(raw).ok_or(Error::ShortTransfer {
        command: "INQUIRY (VPD page 0x80)",
        direction: super::Direction::In,
        needed: 4,
        got: raw.len(),
    })?;
    if raw[1] != super::cdb::VPD_UNIT_SERIAL {
        return Err(Error::Malformed {
            what: "unit serial number VPD page",
            detail: format!("page code {:#04x}", raw[1]),
        });
    }
    let serial = &raw[4..raw.len().min(declared)];
    Ok(parse_device_string(trim_start(serial)))
}

/// A device-provided ASCII field as a printable string: trailing spaces and NULs removed, and
/// every byte outside printable ASCII (control characters, escape sequences, 8-bit bytes)
/// replaced by `?`, so the string is safe to print, log and put in udev properties.
pub fn parse_device_string(bytes: &[u8]) -> String {
    let end = bytes
        .iter()
        .rposition(|&b| !is_padding(b))
        .map_or(0, |i| i + 1);
    bytes[..end]
        .iter()
        .map(|&b| match b {
            0x20..=0x7E => char::from(b),
            _ => '?',
        })
        .collect()
}

/// `bytes` without leading spaces and NULs.
pub(crate) fn trim_start(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|&b| !is_padding(b))
        .unwrap_or(bytes.len());
    &bytes[start..]
}

fn is_padding(b: u8) -> bool {
    b == b' ' || b == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 96-byte standard INQUIRY reply laid out per SPC-4 table 142: type 5, RMB set,
    /// VERSION 0x05 (SPC-3), response format 2, additional length 91.
    fn golden_inquiry() -> Vec<u8> {
        let mut raw = vec![0u8; 96];
        raw[..5].copy_from_slice(&[0x05, 0x80, 0x05, 0x32, 91]);
        raw[8..16].copy_from_slice(b"HL-DT-ST");
        raw[16..32].copy_from_slice(b"BD-RE  WH16NS40 ");
        raw[32..36].copy_from_slice(b"1.05");
        raw[36..56].copy_from_slice(b"NM00100 2016/05/12\0\0");
        raw
    }

    #[test]
    fn standard_inquiry_fields() {
        let raw = golden_inquiry();
        let inq = parse_inquiry(&raw).unwrap();
        assert_eq!(inq.peripheral_qualifier, 0);
        assert_eq!(inq.peripheral_type, PERIPHERAL_TYPE_MMC);
        assert!(inq.removable);
        assert_eq!(inq.version, 0x05);
        assert_eq!(inq.vendor, "HL-DT-ST");
        assert_eq!(inq.product, "BD-RE  WH16NS40");
        assert_eq!(inq.revision, "1.05");
        assert_eq!(inq.vendor_specific, "NM00100 2016/05/12");
        assert_eq!(inq.raw, raw);
    }

    #[test]
    fn short_36_byte_reply_has_no_vendor_specific() {
        let mut raw = golden_inquiry();
        raw.truncate(36);
        raw[4] = 31;
        let inq = parse_inquiry(&raw).unwrap();
        assert_eq!(inq.revision, "1.05");
        assert_eq!(inq.vendor_specific, "");
    }

    #[test]
    fn additional_length_bounds_the_fields() {
        // A zero-filled 96-byte buffer whose reply declares only 36 bytes: the bytes beyond
        // the declared length are not data, even when they are not zero.
        let mut raw = golden_inquiry();
        raw[4] = 31;
        let inq = parse_inquiry(&raw).unwrap();
        assert_eq!(inq.vendor_specific, "");
        // A reply cut inside the product field.
        let inq = parse_inquiry(&golden_inquiry()[..20]).unwrap();
        assert_eq!(
            (inq.vendor.as_str(), inq.product.as_str()),
            ("HL-DT-ST", "BD-R")
        );
        assert_eq!(inq.revision, "");
    }

    #[test]
    fn boot_loader_revision() {
        // In the TSST boot loader the revision reads BOOT, date zero (coastermelt
        // `doc/update-ts01-notes.txt`; docs/protocol.md §6.1).
        let mut raw = golden_inquiry();
        raw[32..36].copy_from_slice(b"BOOT");
        raw[36..56].fill(0);
        let inq = parse_inquiry(&raw).unwrap();
        assert_eq!(inq.revision, "BOOT");
        assert_eq!(inq.vendor_specific, "");
    }

    #[test]
    fn control_characters_are_sanitized_but_raw_is_kept() {
        let mut raw = golden_inquiry();
        raw[16..32].copy_from_slice(b"EVIL\x1b[2J\x07\x9bX\0\0   ");
        let inq = parse_inquiry(&raw).unwrap();
        assert_eq!(inq.product, "EVIL?[2J??X");
        assert_eq!(&inq.raw[16..20], b"EVIL");
        assert_eq!(inq.raw[20], 0x1B);
    }

    #[test]
    fn too_short_is_an_error() {
        assert!(matches!(
            parse_inquiry(&[0x05, 0x80, 0x05]),
            Err(Error::ShortTransfer {
                needed: 5,
                got: 3,
                ..
            })
        ));
    }

    #[test]
    fn inquiry_json_keeps_raw_as_hex() {
        let inq = parse_inquiry(&golden_inquiry()[..36]).unwrap();
        let json = serde_json::to_value(&inq).unwrap();
        assert!(json["raw"].as_str().unwrap().starts_with("058005325b"));
        let back: Inquiry = serde_json::from_value(json).unwrap();
        assert_eq!(back, inq);
    }

    #[test]
    fn unit_serial_page() {
        // SPC-4 §7.8.15: 05 80 00 0C, then the serial, here right-justified with spaces.
        let mut raw = vec![0x05, 0x80, 0x00, 0x0C];
        raw.extend_from_slice(b"  K1G2KE1418");
        raw.extend_from_slice(&[0; 8]); // rest of the allocation
        assert_eq!(parse_unit_serial(&raw).unwrap(), "K1G2KE1418");
        // Empty serial.
        assert_eq!(parse_unit_serial(&[0x05, 0x80, 0, 0]).unwrap(), "");
    }

    #[test]
    fn unit_serial_wrong_page_or_short() {
        assert!(matches!(
            parse_unit_serial(&[0x05, 0x83, 0, 0]),
            Err(Error::Malformed { .. })
        ));
        assert!(matches!(
            parse_unit_serial(&[0x05, 0x80, 0]),
            Err(Error::ShortTransfer {
                needed: 4,
                got: 3,
                ..
            })
        ));
    }

    #[test]
    fn device_strings() {
        assert_eq!(parse_device_string(b"ATAPI   "), "ATAPI");
        assert_eq!(parse_device_string(b" A B\0\0"), " A B");
        assert_eq!(parse_device_string(b"\0\0\0"), "");
        assert_eq!(parse_device_string(b""), "");
        assert_eq!(parse_device_string(b"a\nb\tc\x7f"), "a?b?c?");
        assert_eq!(trim_start(b"  \0x "), b"x ");
    }
}
