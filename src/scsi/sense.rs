//! Sense data: parsing of fixed (0x70/0x71) and descriptor (0x72/0x73) formats (SPC-4 §4.5),
//! names for sense keys and for the ASC/ASCQ pairs MMC drives return, and a builder for the
//! fixed format (used by the emulator).

use std::fmt;

use serde::{Deserialize, Serialize};

/// Sense key (SPC-4 table 48).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[repr(u8)]
pub enum SenseKey {
    /// 0h NO SENSE.
    NoSense = 0x0,
    /// 1h RECOVERED ERROR.
    RecoveredError = 0x1,
    /// 2h NOT READY.
    NotReady = 0x2,
    /// 3h MEDIUM ERROR.
    MediumError = 0x3,
    /// 4h HARDWARE ERROR.
    HardwareError = 0x4,
    /// 5h ILLEGAL REQUEST.
    IllegalRequest = 0x5,
    /// 6h UNIT ATTENTION.
    UnitAttention = 0x6,
    /// 7h DATA PROTECT.
    DataProtect = 0x7,
    /// 8h BLANK CHECK.
    BlankCheck = 0x8,
    /// 9h VENDOR SPECIFIC.
    VendorSpecific = 0x9,
    /// Ah COPY ABORTED.
    CopyAborted = 0xA,
    /// Bh ABORTED COMMAND.
    AbortedCommand = 0xB,
    /// Ch reserved (formerly EQUAL).
    Reserved = 0xC,
    /// Dh VOLUME OVERFLOW.
    VolumeOverflow = 0xD,
    /// Eh MISCOMPARE.
    Miscompare = 0xE,
    /// Fh COMPLETED.
    Completed = 0xF,
}

impl SenseKey {
    /// The key for the low nibble of `value`.
    pub fn from_nibble(value: u8) -> SenseKey {
        use SenseKey::*;
        match value & 0x0F {
            0x0 => NoSense,
            0x1 => RecoveredError,
            0x2 => NotReady,
            0x3 => MediumError,
            0x4 => HardwareError,
            0x5 => IllegalRequest,
            0x6 => UnitAttention,
            0x7 => DataProtect,
            0x8 => BlankCheck,
            0x9 => VendorSpecific,
            0xA => CopyAborted,
            0xB => AbortedCommand,
            0xC => Reserved,
            0xD => VolumeOverflow,
            0xE => Miscompare,
            _ => Completed,
        }
    }

    /// The SPC name of the key, e.g. "NOT READY".
    pub fn name(self) -> &'static str {
        use SenseKey::*;
        match self {
            NoSense => "NO SENSE",
            RecoveredError => "RECOVERED ERROR",
            NotReady => "NOT READY",
            MediumError => "MEDIUM ERROR",
            HardwareError => "HARDWARE ERROR",
            IllegalRequest => "ILLEGAL REQUEST",
            UnitAttention => "UNIT ATTENTION",
            DataProtect => "DATA PROTECT",
            BlankCheck => "BLANK CHECK",
            VendorSpecific => "VENDOR SPECIFIC",
            CopyAborted => "COPY ABORTED",
            AbortedCommand => "ABORTED COMMAND",
            Reserved => "RESERVED",
            VolumeOverflow => "VOLUME OVERFLOW",
            Miscompare => "MISCOMPARE",
            Completed => "COMPLETED",
        }
    }
}

/// Decoded sense data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sense {
    /// Response code (0x70, 0x71, 0x72 or 0x73).
    pub response_code: u8,
    /// Sense key.
    pub key: SenseKey,
    /// Additional sense code.
    pub asc: u8,
    /// Additional sense code qualifier.
    pub ascq: u8,
    /// True for deferred errors (0x71/0x73): the error belongs to an earlier command.
    pub deferred: bool,
    /// The INFORMATION field, when valid.
    pub information: Option<u64>,
}

/// Fixed-format response codes (current, deferred) and descriptor-format ones.
const FIXED_CURRENT: u8 = 0x70;
const FIXED_DEFERRED: u8 = 0x71;
const DESCRIPTOR_CURRENT: u8 = 0x72;
const DESCRIPTOR_DEFERRED: u8 = 0x73;

impl Sense {
    /// A current, fixed-format sense with the given key and code.
    pub fn new(key: SenseKey, asc: u8, ascq: u8) -> Sense {
        Sense {
            response_code: FIXED_CURRENT,
            key,
            asc,
            ascq,
            deferred: false,
            information: None,
        }
    }

    /// Parse sense bytes in fixed or descriptor format. Returns `None` when the bytes are empty,
    /// too short to hold a sense key, or carry an unknown response code.
    pub fn parse(raw: &[u8]) -> Option<Sense> {
        let code = *raw.first()? & 0x7F;
        match code {
            FIXED_CURRENT | FIXED_DEFERRED => {
                // SPC-4 §4.5.3: key in byte 2 low nibble, ASC/ASCQ at 12/13 (only present
                // when the additional length in byte 7 covers them).
                let key = SenseKey::from_nibble(*raw.get(2)?);
                let additional = raw.get(7).copied().unwrap_or(0) as usize;
                let available = raw.len().min(8 + additional);
                let asc = if available > 12 { raw[12] } else { 0 };
                let ascq = if available > 13 { raw[13] } else { 0 };
                let information = if raw[0] & 0x80 != 0 && raw.len() >= 7 {
                    Some(u32::from_be_bytes([raw[3], raw[4], raw[5], raw[6]]) as u64)
                } else {
                    None
                };
                Some(Sense {
                    response_code: code,
                    key,
                    asc,
                    ascq,
                    deferred: code == FIXED_DEFERRED,
                    information,
                })
            }
            DESCRIPTOR_CURRENT | DESCRIPTOR_DEFERRED => {
                // SPC-4 §4.5.2: key/ASC/ASCQ in bytes 1..3, descriptors from byte 8.
                let key = SenseKey::from_nibble(*raw.get(1)?);
                let asc = raw.get(2).copied().unwrap_or(0);
                let ascq = raw.get(3).copied().unwrap_or(0);
                Some(Sense {
                    response_code: code,
                    key,
                    asc,
                    ascq,
                    deferred: code == DESCRIPTOR_DEFERRED,
                    information: descriptor_information(raw),
                })
            }
            _ => None,
        }
    }

    /// Fixed-format sense bytes (18 bytes) for this sense, as a drive would return them.
    pub fn to_fixed(&self) -> [u8; 18] {
        let mut b = [0u8; 18];
        b[0] = if self.deferred {
            FIXED_DEFERRED
        } else {
            FIXED_CURRENT
        };
        if let Some(info) = self.information {
            b[0] |= 0x80;
            b[3..7].copy_from_slice(&(info as u32).to_be_bytes());
        }
        b[2] = self.key as u8;
        b[7] = 10; // additional sense length: bytes 8..17
        b[12] = self.asc;
        b[13] = self.ascq;
        b
    }

    /// The name of the ASC/ASCQ pair, when known.
    pub fn asc_name(&self) -> Option<&'static str> {
        asc_name(self.asc, self.ascq)
    }

    /// True for "medium not present" (02/3A/xx), the healthy idle state of an empty drive.
    pub fn is_no_medium(&self) -> bool {
        self.key == SenseKey::NotReady && self.asc == 0x3A
    }
}

/// The INFORMATION descriptor (type 0) of descriptor-format sense, when present and valid.
fn descriptor_information(raw: &[u8]) -> Option<u64> {
    let total = 8 + raw.get(7).copied().unwrap_or(0) as usize;
    let end = total.min(raw.len());
    let mut pos = 8;
    while pos + 2 <= end {
        let kind = raw[pos];
        let len = raw[pos + 1] as usize;
        if kind == 0x00 && len >= 0x0A && pos + 12 <= end && raw[pos + 2] & 0x80 != 0 {
            let mut v = [0u8; 8];
            v.copy_from_slice(&raw[pos + 4..pos + 12]);
            return Some(u64::from_be_bytes(v));
        }
        pos += 2 + len;
    }
    None
}

impl fmt::Display for Sense {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}{} ({:02X}/{:02X}/{:02X})",
            if self.deferred { "deferred " } else { "" },
            self.key.name(),
            self.key as u8,
            self.asc,
            self.ascq
        )?;
        if let Some(name) = self.asc_name() {
            write!(f, ": {name}")?;
        }
        Ok(())
    }
}

/// Names of the ASC/ASCQ pairs an MMC drive commonly returns (SPC-4 Annex D, MMC-6 Annex F).
pub fn asc_name(asc: u8, ascq: u8) -> Option<&'static str> {
    Some(match (asc, ascq) {
        (0x00, 0x00) => "no additional sense information",
        (0x00, 0x11) => "audio play operation in progress",
        (0x04, 0x00) => "logical unit not ready, cause not reportable",
        (0x04, 0x01) => "logical unit is in process of becoming ready",
        (0x04, 0x02) => "logical unit not ready, initializing command required",
        (0x04, 0x03) => "logical unit not ready, manual intervention required",
        (0x04, 0x04) => "logical unit not ready, format in progress",
        (0x04, 0x07) => "logical unit not ready, operation in progress",
        (0x04, 0x08) => "logical unit not ready, long write in progress",
        (0x05, 0x00) => "logical unit does not respond to selection",
        (0x08, 0x00) => "logical unit communication failure",
        (0x08, 0x01) => "logical unit communication time-out",
        (0x09, 0x00) => "track following error",
        (0x0C, 0x00) => "write error",
        (0x11, 0x00) => "unrecovered read error",
        (0x15, 0x00) => "random positioning error",
        (0x1A, 0x00) => "parameter list length error",
        (0x20, 0x00) => "invalid command operation code",
        (0x21, 0x00) => "logical block address out of range",
        (0x24, 0x00) => "invalid field in CDB",
        (0x25, 0x00) => "logical unit not supported",
        (0x26, 0x00) => "invalid field in parameter list",
        (0x26, 0x01) => "parameter not supported",
        (0x26, 0x02) => "parameter value invalid",
        (0x27, 0x00) => "write protected",
        (0x28, 0x00) => "not ready to ready change, medium may have changed",
        (0x29, 0x00) => "power on, reset, or bus device reset occurred",
        (0x29, 0x01) => "power on occurred",
        (0x29, 0x02) => "SCSI bus reset occurred",
        (0x29, 0x03) => "bus device reset function occurred",
        (0x2A, 0x01) => "mode parameters changed",
        (0x2C, 0x00) => "command sequence error",
        (0x30, 0x00) => "incompatible medium installed",
        (0x31, 0x00) => "medium format corrupted",
        (0x3A, 0x00) => "medium not present",
        (0x3A, 0x01) => "medium not present, tray closed",
        (0x3A, 0x02) => "medium not present, tray open",
        (0x3E, 0x00) => "logical unit has not self-configured yet",
        (0x3E, 0x01) => "logical unit failure",
        (0x3F, 0x01) => "microcode has been changed",
        (0x3F, 0x03) => "inquiry data has changed",
        (0x40, 0x00) => "diagnostic failure",
        (0x44, 0x00) => "internal target failure",
        (0x47, 0x00) => "SCSI parity error",
        (0x4E, 0x00) => "overlapped commands attempted",
        (0x53, 0x00) => "media load or eject failed",
        (0x53, 0x02) => "medium removal prevented",
        (0x57, 0x00) => "unable to recover table-of-contents",
        (0x5A, 0x01) => "operator medium removal request",
        (0x5D, 0x00) => "failure prediction threshold exceeded",
        (0x63, 0x00) => "end of user area encountered on this track",
        (0x64, 0x00) => "illegal mode for this track",
        (0x6F, 0x00) => "copy protection key exchange failure, authentication failure",
        (0x72, 0x00) => "session fixation error",
        (0x73, 0x00) => "CD control error",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_format_no_medium() {
        // 70 00 02 00 00 00 00 0A 00 00 00 00 3A 00 00 00 00 00
        let raw = Sense::new(SenseKey::NotReady, 0x3A, 0x00).to_fixed();
        assert_eq!(raw[0], 0x70);
        assert_eq!(raw[2], 0x02);
        assert_eq!(raw[7], 0x0A);
        assert_eq!(raw[12], 0x3A);
        let s = Sense::parse(&raw).unwrap();
        assert_eq!(s.key, SenseKey::NotReady);
        assert!(s.is_no_medium());
        assert_eq!(s.to_string(), "NOT READY (02/3A/00): medium not present");
    }

    #[test]
    fn descriptor_format_with_information() {
        let raw = [
            0x72, 0x03, 0x11, 0x00, 0, 0, 0, 12, // header, additional length 12
            0x00, 0x0A, 0x80, 0x00, 0, 0, 0, 0, 0, 0, 0x12, 0x34,
        ];
        let s = Sense::parse(&raw).unwrap();
        assert_eq!(s.key, SenseKey::MediumError);
        assert_eq!((s.asc, s.ascq), (0x11, 0x00));
        assert_eq!(s.information, Some(0x1234));
        assert!(!s.deferred);
    }

    #[test]
    fn deferred_and_short_and_empty() {
        let mut raw = Sense::new(SenseKey::HardwareError, 0x44, 0).to_fixed();
        raw[0] = 0x71;
        assert!(Sense::parse(&raw).unwrap().deferred);
        // Short: only 3 bytes, ASC/ASCQ absent.
        let s = Sense::parse(&[0x70, 0x00, 0x05]).unwrap();
        assert_eq!((s.key, s.asc, s.ascq), (SenseKey::IllegalRequest, 0, 0));
        assert_eq!(Sense::parse(&[]), None);
        assert_eq!(Sense::parse(&[0x70, 0x00]), None);
        assert_eq!(Sense::parse(&[0x00; 18]), None);
    }
}
