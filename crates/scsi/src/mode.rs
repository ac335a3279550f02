//! MODE SENSE(10) replies: the mode parameter header (SPC-4 §7.5.5), page lookup, and the MM
//! capabilities and mechanical status page 0x2A (MMC-3 §5.5.10) decoded into [`Capabilities`].
//!
//! Pure parsers only: sending MODE SENSE is `command.rs`'s job.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::cdb::PAGE_CAPABILITIES;
use super::Error;

/// Length of the MODE SENSE(10) mode parameter header (SPC-4 §7.5.5, table 453).
pub const HEADER_LEN: usize = 8;

/// The MODE SENSE(10) mode parameter header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModeHeader {
    /// MODE DATA LENGTH (bytes 0..1): bytes that follow this field.
    pub data_length: u16,
    /// MEDIUM TYPE (byte 2).
    pub medium_type: u8,
    /// DEVICE-SPECIFIC PARAMETER (byte 3).
    pub device_specific: u8,
    /// BLOCK DESCRIPTOR LENGTH (bytes 6..7); 0 when DBD was set.
    pub block_descriptor_length: u16,
}

/// Bytes a MODE SENSE(10) reply declares: 2 + MODE DATA LENGTH.
pub(crate) fn mode_sense_len(raw: &[u8]) -> Option<usize> {
    Some(2 + usize::from(u16::from_be_bytes([*raw.first()?, *raw.get(1)?])))
}

/// Parse the MODE SENSE(10) header.
pub fn parse_mode_header(raw: &[u8]) -> Result<ModeHeader, Error> {
    let h = raw.get(..HEADER_LEN).ok_or(Error::ShortTransfer {
        command: "MODE SENSE(10)",
        direction: super::Direction::In,
        needed: HEADER_LEN,
        got: raw.len(),
    })?;
    Ok(ModeHeader {
        data_length: u16::from_be_bytes([h[0], h[1]]),
        medium_type: h[2],
        device_specific: h[3],
        block_descriptor_length: u16::from_be_bytes([h[6], h[7]]),
    })
}

/// Find mode page `page` in a MODE SENSE(10) reply and return its bytes, page header included
/// (SPC-4 §7.5.7: page_0 format has a 2-byte header, sub_page format a 4-byte one).
pub fn parse_mode_page(raw: &[u8], page: u8) -> Result<&[u8], Error> {
    let header = parse_mode_header(raw)?;
    let end = raw.len().min(2 + usize::from(header.data_length));
    let mut pos = HEADER_LEN + usize::from(header.block_descriptor_length);
    while pos + 2 <= end {
        let sub_page_format = raw[pos] & 0x40 != 0;
        let (header_len, len) = if sub_page_format {
            let len = raw
                .get(pos + 2..pos + 4)
                .map_or(0, |l| usize::from(u16::from_be_bytes([l[0], l[1]])));
            (4, len)
        } else {
            (2, usize::from(raw[pos + 1]))
        };
        let next = pos + header_len + len;
        if raw[pos] & 0x3F == page && !sub_page_format {
            // A page cut by the allocation keeps the bytes that arrived; its parser checks
            // what it needs.
            return Ok(&raw[pos..next.min(end)]);
        }
        pos = next;
    }
    Err(Error::Malformed {
        what: "MODE SENSE data",
        detail: format!("page {page:#04x} not in the reply"),
    })
}

/// A medium kind page 0x2A reports read or write support for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Medium {
    /// CD-R.
    #[serde(rename = "CD-R")]
    CdR,
    /// CD-RW.
    #[serde(rename = "CD-RW")]
    CdRw,
    /// DVD-ROM (read only).
    #[serde(rename = "DVD-ROM")]
    DvdRom,
    /// DVD-R.
    #[serde(rename = "DVD-R")]
    DvdR,
    /// DVD-RAM.
    #[serde(rename = "DVD-RAM")]
    DvdRam,
}

impl fmt::Display for Medium {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Medium::CdR => "CD-R",
            Medium::CdRw => "CD-RW",
            Medium::DvdRom => "DVD-ROM",
            Medium::DvdR => "DVD-R",
            Medium::DvdRam => "DVD-RAM",
        })
    }
}

/// LOADING MECHANISM TYPE (page 0x2A byte 6 bits 7..5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LoadingMechanism {
    /// 000b: caddy.
    Caddy,
    /// 001b: tray.
    Tray,
    /// 010b: pop-up.
    PopUp,
    /// 100b: changer with individually changeable discs.
    Changer,
    /// 101b: changer using a magazine.
    Magazine,
    /// A reserved value.
    Reserved(u8),
}

impl LoadingMechanism {
    fn from_bits(bits: u8) -> LoadingMechanism {
        match bits {
            0 => LoadingMechanism::Caddy,
            1 => LoadingMechanism::Tray,
            2 => LoadingMechanism::PopUp,
            4 => LoadingMechanism::Changer,
            5 => LoadingMechanism::Magazine,
            other => LoadingMechanism::Reserved(other),
        }
    }
}

impl fmt::Display for LoadingMechanism {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadingMechanism::Caddy => f.write_str("caddy"),
            LoadingMechanism::Tray => f.write_str("tray"),
            LoadingMechanism::PopUp => f.write_str("pop-up"),
            LoadingMechanism::Changer => f.write_str("changer"),
            LoadingMechanism::Magazine => f.write_str("changer (magazine)"),
            LoadingMechanism::Reserved(v) => write!(f, "reserved ({v})"),
        }
    }
}

/// What page 0x2A says a drive can do.
///
/// Page 0x2A predates BD: MMC-3 keeps bits 7..6 of bytes 2 and 3 reserved, and later drives
/// report BD support only through GET CONFIGURATION profiles, so BD does not appear here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capabilities {
    /// Media the drive reads (byte 2), beyond CD-ROM which every MMC drive reads.
    pub reads: Vec<Medium>,
    /// Media the drive writes (byte 3).
    pub writes: Vec<Medium>,
    /// TEST WRITE: simulated writes (byte 3 bit 2).
    pub test_write: bool,
    /// LOADING MECHANISM TYPE (byte 6 bits 7..5).
    pub loading: LoadingMechanism,
    /// EJECT: the drive can eject by command (byte 6 bit 3).
    pub eject: bool,
    /// LOCK: PREVENT ALLOW MEDIUM REMOVAL can lock the medium in (byte 6 bit 0).
    pub lock: bool,
    /// LOCK STATE: the medium is locked in now (byte 6 bit 1).
    pub locked: bool,
    /// BUFFER SIZE SUPPORTED in KiB (bytes 12..13), when the page reaches it and it is non-zero.
    pub buffer_kib: Option<u16>,
    /// MAXIMUM READ SPEED in kB/s (bytes 8..9; obsolete since MMC-3, often 0), when non-zero.
    pub max_read_speed: Option<u16>,
    /// Maximum write speed in kB/s: bytes 18..19 (obsolete since MMC-3), else the fastest
    /// write speed descriptor (MMC-3 bytes 32..), when non-zero.
    pub max_write_speed: Option<u16>,
    /// Write speeds from the MMC-3 write speed performance descriptors, in kB/s, as listed.
    pub write_speeds: Vec<u16>,
}

/// Page 0x2A flag bits: byte 2 (read) and byte 3 (write) bit -> medium (MMC-3 table 123).
const READ_BITS: [(u8, Medium); 5] = [
    (0x01, Medium::CdR),
    (0x02, Medium::CdRw),
    (0x08, Medium::DvdRom),
    (0x10, Medium::DvdR),
    (0x20, Medium::DvdRam),
];
const WRITE_BITS: [(u8, Medium); 4] = [
    (0x01, Medium::CdR),
    (0x02, Medium::CdRw),
    (0x10, Medium::DvdR),
    (0x20, Medium::DvdRam),
];

/// Offset of the write speed descriptor count and of the first descriptor (MMC-3 table 123).
const WRITE_SPEED_COUNT: usize = 30;
const WRITE_SPEED_DESCRIPTORS: usize = 32;

/// Parse the capabilities page (0x2A) out of a MODE SENSE(10) reply (MMC-3 §5.5.10).
///
/// Fields beyond the end of the page (older drives have shorter pages, MMC-1 ends at byte 19)
/// are reported absent rather than zero.
pub fn parse_capabilities(raw: &[u8]) -> Result<Capabilities, Error> {
    let page = parse_mode_page(raw, PAGE_CAPABILITIES)?;
    // Bytes 2..7 hold every flag decoded here; a page without them is not page 0x2A.
    if page.len() < 8 {
        return Err(Error::Malformed {
            what: "capabilities mode page",
            detail: format!("{} bytes, need 8", page.len()),
        });
    }
    let word = |at: usize| {
        page.get(at..at + 2)
            .map(|w| u16::from_be_bytes([w[0], w[1]]))
            .filter(|&v| v != 0)
    };
    let media = |byte: u8, bits: &[(u8, Medium)]| {
        bits.iter()
            .filter(|(bit, _)| byte & bit != 0)
            .map(|&(_, m)| m)
            .collect::<Vec<_>>()
    };
    let write_speeds = write_speed_descriptors(page);
    Ok(Capabilities {
        reads: media(page[2], &READ_BITS),
        writes: media(page[3], &WRITE_BITS),
        test_write: page[3] & 0x04 != 0,
        loading: LoadingMechanism::from_bits(page[6] >> 5),
        eject: page[6] & 0x08 != 0,
        lock: page[6] & 0x01 != 0,
        locked: page[6] & 0x02 != 0,
        buffer_kib: word(12),
        max_read_speed: word(8),
        max_write_speed: word(18).or_else(|| write_speeds.iter().copied().max()),
        write_speeds,
    })
}

/// Write speeds (bytes 2..3 of each 4-byte descriptor) of the descriptors the page holds.
fn write_speed_descriptors(page: &[u8]) -> Vec<u16> {
    let count = page
        .get(WRITE_SPEED_COUNT..WRITE_SPEED_COUNT + 2)
        .map_or(0, |c| usize::from(u16::from_be_bytes([c[0], c[1]])));
    page.get(WRITE_SPEED_DESCRIPTORS..)
        .unwrap_or_default()
        .chunks_exact(4)
        .take(count)
        .map(|d| u16::from_be_bytes([d[2], d[3]]))
        .filter(|&s| s != 0)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// MODE SENSE(10) reply with DBD: header (SPC-4 table 453) then an MMC-3 page 0x2A of
    /// length 0x26 (table 123) with two write speed descriptors.
    fn golden_reply() -> Vec<u8> {
        let mut raw = vec![0x00, 0x2E, 0, 0, 0, 0, 0, 0]; // 48 bytes in all
        raw.extend_from_slice(&[
            0x2A, 0x26, // page code, page length: 30 + 4 * 2
            0x3F, // reads: CD-R, CD-RW, method 2, DVD-ROM, DVD-R, DVD-RAM
            0x37, // writes: CD-R, CD-RW, test write, DVD-R, DVD-RAM
            0x71, 0x7F, // audio/mode 2/multisession; CD-DA, C2, ISRC, UPC...
            0x29, // tray, eject, lock
            0x03, // separate volume/mute
            0x1B, 0x90, // max read speed 7056 kB/s
            0x01, 0x00, // volume levels
            0x04, 0x00, // buffer 1024 KiB
            0x1B, 0x90, // current read speed
            0x00, 0x10, // reserved, digital output format
            0x00, 0x00, // max write speed: obsolete, 0
            0x00, 0x00, // current write speed
            0x00, 0x01, // copy management revision
            0, 0, 0, 0x00, // reserved, rotation control
            0x1B, 0x90, // current write speed selected
            0x00, 0x02, // two descriptors
            0, 0, 0x0B, 0x06, // 2822 kB/s
            0, 0, 0x1B, 0x90, // 7056 kB/s
        ]);
        raw
    }

    #[test]
    fn mmc3_capabilities_page() {
        let raw = golden_reply();
        assert_eq!(raw.len(), 48);
        assert_eq!(mode_sense_len(&raw), Some(48));
        let caps = parse_capabilities(&raw).unwrap();
        use Medium::*;
        assert_eq!(caps.reads, [CdR, CdRw, DvdRom, DvdR, DvdRam]);
        assert_eq!(caps.writes, [CdR, CdRw, DvdR, DvdRam]);
        assert!(caps.test_write);
        assert_eq!(caps.loading, LoadingMechanism::Tray);
        assert!(caps.eject && caps.lock && !caps.locked);
        assert_eq!(caps.buffer_kib, Some(1024));
        assert_eq!(caps.max_read_speed, Some(7056));
        assert_eq!(caps.write_speeds, [2822, 7056]);
        assert_eq!(caps.max_write_speed, Some(7056));
    }

    #[test]
    fn mmc1_short_page() {
        // MMC-1 page length 0x12: ends at byte 19, max write speed present, no descriptors.
        let mut raw = golden_reply();
        raw.truncate(8 + 20);
        raw[1] = 26;
        raw[9] = 0x12;
        raw[8 + 18..8 + 20].copy_from_slice(&[0x02, 0xC2]); // 706 kB/s
        raw[8 + 3] = 0x00; // a read-only drive
        raw[8 + 6] = 0x48; // pop-up, eject
        let caps = parse_capabilities(&raw).unwrap();
        assert!(caps.writes.is_empty());
        assert_eq!(caps.loading, LoadingMechanism::PopUp);
        assert!(caps.eject && !caps.lock);
        assert_eq!(caps.max_write_speed, Some(706));
        assert!(caps.write_speeds.is_empty());
    }

    #[test]
    fn page_cut_by_allocation_reports_absent_fields() {
        let raw = golden_reply()[..8 + 10].to_vec();
        let caps = parse_capabilities(&raw).unwrap();
        assert_eq!(caps.max_read_speed, Some(7056));
        assert_eq!(caps.buffer_kib, None);
        assert_eq!(caps.max_write_speed, None);
    }

    #[test]
    fn block_descriptors_and_other_pages_are_skipped() {
        // Header with an 8-byte block descriptor, then page 0x01 (length 10), then 0x2A.
        let page = golden_reply()[8..].to_vec();
        let mut raw = vec![0, 0, 0, 0, 0, 0, 0, 8];
        raw.extend_from_slice(&[0; 8]);
        raw.extend_from_slice(&[0x01, 0x0A, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        raw.extend_from_slice(&page);
        let len = (raw.len() - 2) as u16;
        raw[..2].copy_from_slice(&len.to_be_bytes());
        assert_eq!(parse_mode_header(&raw).unwrap().block_descriptor_length, 8);
        assert_eq!(parse_mode_page(&raw, 0x01).unwrap().len(), 12);
        assert_eq!(parse_capabilities(&raw).unwrap().buffer_kib, Some(1024));
    }

    #[test]
    fn missing_or_short_page() {
        let raw = [0x00, 0x06, 0, 0, 0, 0, 0, 0];
        assert!(matches!(
            parse_capabilities(&raw),
            Err(Error::Malformed { .. })
        ));
        let raw = [0x00, 0x0A, 0, 0, 0, 0, 0, 0, 0x2A, 0x02, 0x3F, 0x37];
        assert!(matches!(
            parse_capabilities(&raw),
            Err(Error::Malformed { .. })
        ));
        assert!(matches!(
            parse_mode_header(&[0, 6, 0]),
            Err(Error::ShortTransfer {
                needed: 8,
                got: 3,
                ..
            })
        ));
    }

    #[test]
    fn capabilities_serialize_and_print() {
        let caps = parse_capabilities(&golden_reply()).unwrap();
        let json = serde_json::to_value(&caps).unwrap();
        assert_eq!(json["reads"][2], "DVD-ROM");
        assert_eq!(json["loading"], "tray");
        assert_eq!(caps.writes[3].to_string(), "DVD-RAM");
        assert_eq!(LoadingMechanism::from_bits(7).to_string(), "reserved (7)");
    }
}
