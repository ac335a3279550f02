//! Sense data: parsing of fixed (0x70/0x71) and descriptor (0x72/0x73) formats (SPC-4 §4.5),
//! names for sense keys and for the ASC/ASCQ pairs MMC drives return, a builder for the fixed
//! format (used by the emulator), and [`Readiness`], the decoded answer to TEST UNIT READY.
//!
//! Everything here is pure: no device I/O (that is `command.rs`).

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

    /// True for NOT READY while the drive works on something (SPC-4 table 49, ASC 04): becoming
    /// ready (04/01), format (04/04), operation (04/07) or long write (04/08) in progress. A
    /// drive burning its flash answers so; it is busy, not absent.
    pub fn is_in_progress(&self) -> bool {
        self.key == SenseKey::NotReady
            && self.asc == 0x04
            && matches!(self.ascq, 0x01 | 0x04 | 0x07 | 0x08)
    }

    /// Key/ASC/ASCQ in hex with the pair's name when known: "02/3A/00: medium not present".
    pub fn code_text(&self) -> String {
        let codes = format!("{:02X}/{:02X}/{:02X}", self.key as u8, self.asc, self.ascq);
        match self.asc_name() {
            Some(name) => format!("{codes}: {name}"),
            None => codes,
        }
    }
}

/// What TEST UNIT READY says about a drive, decoded for display and decisions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "readiness", content = "sense", rename_all = "kebab-case")]
pub enum Readiness {
    /// GOOD status: a medium is loaded and the drive is ready.
    Ready,
    /// NOT READY, medium not present (02/3A/xx): the healthy idle state of an empty drive.
    NoMedium(Sense),
    /// NOT READY while an operation is in progress ([`Sense::is_in_progress`]): busy.
    InProgress(Sense),
    /// NOT READY for another reason (cause not reportable, manual intervention required, ...).
    NotReady(Sense),
    /// Any other CHECK CONDITION (UNIT ATTENTION after a reset, HARDWARE ERROR, ...).
    Other(Sense),
}

impl Readiness {
    /// Classify the sense a TEST UNIT READY returned with CHECK CONDITION.
    pub fn from_sense(sense: Sense) -> Readiness {
        if sense.is_no_medium() {
            Readiness::NoMedium(sense)
        } else if sense.is_in_progress() {
            Readiness::InProgress(sense)
        } else if sense.key == SenseKey::NotReady {
            Readiness::NotReady(sense)
        } else {
            Readiness::Other(sense)
        }
    }

    /// The sense behind this state (`None` when ready).
    pub fn sense(&self) -> Option<&Sense> {
        match self {
            Readiness::Ready => None,
            Readiness::NoMedium(s)
            | Readiness::InProgress(s)
            | Readiness::NotReady(s)
            | Readiness::Other(s) => Some(s),
        }
    }
}

impl fmt::Display for Readiness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Readiness::Ready => f.write_str("ready"),
            Readiness::NoMedium(s) => write!(f, "no medium ({})", s.code_text()),
            Readiness::InProgress(s) => write!(f, "busy ({})", s.code_text()),
            Readiness::NotReady(s) => write!(f, "not ready ({})", s.code_text()),
            Readiness::Other(s) => write!(f, "{s}"),
        }
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
        (0x00, 0x06) => "I/O process terminated",
        (0x00, 0x11) => "audio play operation in progress",
        (0x00, 0x16) => "operation in progress",
        (0x02, 0x00) => "no seek complete",
        (0x03, 0x00) => "peripheral device write fault",
        (0x04, 0x00) => "logical unit not ready, cause not reportable",
        (0x04, 0x01) => "logical unit is in process of becoming ready",
        (0x04, 0x02) => "logical unit not ready, initializing command required",
        (0x04, 0x03) => "logical unit not ready, manual intervention required",
        (0x04, 0x04) => "logical unit not ready, format in progress",
        (0x04, 0x07) => "logical unit not ready, operation in progress",
        (0x04, 0x08) => "logical unit not ready, long write in progress",
        (0x04, 0x09) => "logical unit not ready, self-test in progress",
        (0x05, 0x00) => "logical unit does not respond to selection",
        (0x08, 0x00) => "logical unit communication failure",
        (0x08, 0x01) => "logical unit communication time-out",
        (0x06, 0x00) => "no reference position found",
        (0x09, 0x00) => "track following error",
        (0x09, 0x01) => "tracking servo failure",
        (0x09, 0x02) => "focus servo failure",
        (0x09, 0x03) => "spindle servo failure",
        (0x0C, 0x00) => "write error",
        (0x0C, 0x07) => "write error, recovery needed",
        (0x0C, 0x09) => "write error, loss of streaming",
        (0x0C, 0x0A) => "write error, padding blocks added",
        (0x11, 0x00) => "unrecovered read error",
        (0x11, 0x05) => "L-EC uncorrectable error",
        (0x11, 0x06) => "CIRC unrecovered error",
        (0x15, 0x00) => "random positioning error",
        (0x15, 0x01) => "mechanical positioning error",
        (0x15, 0x02) => "positioning error detected by read of medium",
        (0x1A, 0x00) => "parameter list length error",
        (0x20, 0x00) => "invalid command operation code",
        (0x21, 0x00) => "logical block address out of range",
        (0x21, 0x02) => "invalid address for write",
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
        (0x29, 0x04) => "device internal reset",
        (0x2A, 0x00) => "parameters changed",
        (0x2A, 0x01) => "mode parameters changed",
        (0x2C, 0x00) => "command sequence error",
        (0x2F, 0x00) => "commands cleared by another initiator",
        (0x30, 0x00) => "incompatible medium installed",
        (0x30, 0x01) => "cannot read medium, unknown format",
        (0x30, 0x02) => "cannot read medium, incompatible format",
        (0x30, 0x05) => "cannot write medium, incompatible format",
        (0x31, 0x00) => "medium format corrupted",
        (0x3A, 0x00) => "medium not present",
        (0x3A, 0x01) => "medium not present, tray closed",
        (0x3A, 0x02) => "medium not present, tray open",
        (0x3A, 0x03) => "medium not present, loadable",
        (0x3E, 0x00) => "logical unit has not self-configured yet",
        (0x3E, 0x01) => "logical unit failure",
        (0x3F, 0x00) => "target operating conditions have changed",
        (0x3F, 0x01) => "microcode has been changed",
        (0x3F, 0x02) => "changed operating definition",
        (0x3F, 0x03) => "inquiry data has changed",
        (0x3F, 0x0E) => "reported LUNs data has changed",
        (0x40, 0x00) => "diagnostic failure",
        (0x44, 0x00) => "internal target failure",
        (0x47, 0x00) => "SCSI parity error",
        (0x4A, 0x00) => "command phase error",
        (0x4B, 0x00) => "data phase error",
        (0x4C, 0x00) => "logical unit failed self-configuration",
        (0x4E, 0x00) => "overlapped commands attempted",
        (0x51, 0x00) => "erase failure",
        (0x53, 0x00) => "media load or eject failed",
        (0x53, 0x02) => "medium removal prevented",
        (0x55, 0x00) => "system resource failure",
        (0x57, 0x00) => "unable to recover table-of-contents",
        (0x5A, 0x00) => "operator request or state change input",
        (0x5A, 0x01) => "operator medium removal request",
        (0x5D, 0x00) => "failure prediction threshold exceeded",
        (0x5E, 0x00) => "low power condition on",
        (0x63, 0x00) => "end of user area encountered on this track",
        (0x64, 0x00) => "illegal mode for this track",
        (0x6F, 0x00) => "copy protection key exchange failure, authentication failure",
        (0x6F, 0x01) => "copy protection key exchange failure, key not present",
        (0x6F, 0x02) => "copy protection key exchange failure, key not established",
        (0x6F, 0x03) => "read of scrambled sector without authentication",
        (0x72, 0x00) => "session fixation error",
        (0x73, 0x00) => "CD control error",
        (0x73, 0x01) => "power calibration area almost full",
        (0x73, 0x02) => "power calibration area is full",
        (0x73, 0x03) => "power calibration area error",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_format_no_medium() {
        // SPC-4 §4.5.3 fixed format: 70 00 02 00 00 00 00 0A 00 00 00 00 3A 00 00 00 00 00
        let raw = Sense::new(SenseKey::NotReady, 0x3A, 0x00).to_fixed();
        assert_eq!(
            raw,
            [0x70, 0, 0x02, 0, 0, 0, 0, 0x0A, 0, 0, 0, 0, 0x3A, 0, 0, 0, 0, 0]
        );
        let s = Sense::parse(&raw).unwrap();
        assert_eq!(s.key, SenseKey::NotReady);
        assert!(s.is_no_medium());
        assert_eq!(s.information, None);
        assert_eq!(s.to_string(), "NOT READY (02/3A/00): medium not present");
        assert_eq!(s.code_text(), "02/3A/00: medium not present");
    }

    #[test]
    fn fixed_format_valid_information_and_round_trip() {
        // SPC-4 §4.5.3: VALID bit (byte 0 bit 7) makes bytes 3..6 the INFORMATION field.
        let raw = [
            0xF0, 0, 0x03, 0x00, 0x01, 0x02, 0x03, 0x0A, 0, 0, 0, 0, 0x11, 0x05, 0, 0, 0, 0,
        ];
        let s = Sense::parse(&raw).unwrap();
        assert_eq!(s.response_code, 0x70);
        assert_eq!(s.key, SenseKey::MediumError);
        assert_eq!(s.information, Some(0x0001_0203));
        assert_eq!(s.to_fixed(), raw);
        assert_eq!(
            s.to_string(),
            "MEDIUM ERROR (03/11/05): L-EC uncorrectable error"
        );
    }

    #[test]
    fn fixed_format_additional_length_limits_asc() {
        // Additional sense length 4 covers bytes 8..11 only: ASC/ASCQ bytes are not valid
        // even though the buffer holds 18 bytes (a zero-filled allocation).
        let mut raw = Sense::new(SenseKey::UnitAttention, 0x29, 0x00).to_fixed();
        raw[7] = 4;
        let s = Sense::parse(&raw).unwrap();
        assert_eq!((s.key, s.asc, s.ascq), (SenseKey::UnitAttention, 0, 0));
    }

    #[test]
    fn descriptor_format_with_information() {
        // SPC-4 §4.5.2 header, then §4.5.2.2 information descriptor (type 0, length 0x0A,
        // VALID bit set, 8-byte INFORMATION).
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
    fn descriptor_format_skips_other_descriptors_and_invalid_information() {
        // A sense-key-specific descriptor (type 2, length 6) before an information descriptor
        // whose VALID bit is clear: no information is reported.
        let raw = [
            0x72, 0x05, 0x24, 0x00, 0, 0, 0, 20, // header, additional length 20
            0x02, 0x06, 0, 0xC0, 0x00, 0x02, 0, 0, // sense key specific
            0x00, 0x0A, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0x99,
        ];
        let s = Sense::parse(&raw).unwrap();
        assert_eq!((s.key, s.asc, s.ascq), (SenseKey::IllegalRequest, 0x24, 0));
        assert_eq!(s.information, None);
        assert_eq!(
            s.to_string(),
            "ILLEGAL REQUEST (05/24/00): invalid field in CDB"
        );
    }

    #[test]
    fn deferred_errors_in_both_formats() {
        // Response codes 0x71 (fixed) and 0x73 (descriptor) are deferred (SPC-4 §4.5.1).
        let mut raw = Sense::new(SenseKey::HardwareError, 0x44, 0).to_fixed();
        raw[0] = 0x71;
        let s = Sense::parse(&raw).unwrap();
        assert!(s.deferred);
        assert_eq!(s.to_fixed()[0], 0x71);
        assert_eq!(
            s.to_string(),
            "deferred HARDWARE ERROR (04/44/00): internal target failure"
        );
        let d = Sense::parse(&[0x73, 0x03, 0x0C, 0x00, 0, 0, 0, 0]).unwrap();
        assert!(d.deferred);
        assert_eq!((d.key, d.asc), (SenseKey::MediumError, 0x0C));
    }

    #[test]
    fn short_and_empty_sense() {
        // Short fixed: only 3 bytes, ASC/ASCQ absent.
        let s = Sense::parse(&[0x70, 0x00, 0x05]).unwrap();
        assert_eq!((s.key, s.asc, s.ascq), (SenseKey::IllegalRequest, 0, 0));
        // Short descriptor: key present, ASC/ASCQ absent.
        let s = Sense::parse(&[0x72, 0x02]).unwrap();
        assert_eq!((s.key, s.asc, s.ascq), (SenseKey::NotReady, 0, 0));
        assert_eq!(Sense::parse(&[]), None);
        assert_eq!(Sense::parse(&[0x70, 0x00]), None);
        assert_eq!(Sense::parse(&[0x72]), None);
        // Response code 0 (an all-zero buffer) and vendor codes are not sense data.
        assert_eq!(Sense::parse(&[0x00; 18]), None);
        assert_eq!(Sense::parse(&[0x7F, 0, 5, 0, 0, 0, 0, 10]), None);
    }

    #[test]
    fn unknown_pair_prints_codes_only() {
        let s = Sense::new(SenseKey::VendorSpecific, 0x80, 0x01);
        assert_eq!(s.asc_name(), None);
        assert_eq!(s.code_text(), "09/80/01");
        assert_eq!(s.to_string(), "VENDOR SPECIFIC (09/80/01)");
    }

    #[test]
    fn sense_key_nibbles() {
        for v in 0u8..16 {
            assert_eq!(SenseKey::from_nibble(v) as u8, v);
            assert_eq!(SenseKey::from_nibble(v | 0xF0) as u8, v);
        }
    }

    #[test]
    fn readiness_classification_and_display() {
        let no_medium = Readiness::from_sense(Sense::new(SenseKey::NotReady, 0x3A, 0x01));
        assert!(matches!(no_medium, Readiness::NoMedium(_)));
        assert_eq!(
            no_medium.to_string(),
            "no medium (02/3A/01: medium not present, tray closed)"
        );
        let becoming = Readiness::from_sense(Sense::new(SenseKey::NotReady, 0x04, 0x01));
        assert_eq!(
            becoming.to_string(),
            "busy (02/04/01: logical unit is in process of becoming ready)"
        );
        let manual = Readiness::from_sense(Sense::new(SenseKey::NotReady, 0x04, 0x03));
        assert!(matches!(manual, Readiness::NotReady(_)));
        let burning = Readiness::from_sense(Sense::new(SenseKey::NotReady, 0x04, 0x07));
        assert!(matches!(burning, Readiness::InProgress(_)));
        let reset = Readiness::from_sense(Sense::new(SenseKey::UnitAttention, 0x29, 0x00));
        assert!(matches!(reset, Readiness::Other(_)));
        assert_eq!(reset.sense().map(|s| s.asc), Some(0x29));
        assert_eq!(Readiness::Ready.to_string(), "ready");
        assert_eq!(Readiness::Ready.sense(), None);
        let json = serde_json::to_value(&no_medium).unwrap();
        assert_eq!(json["readiness"], "no-medium");
        assert_eq!(json["sense"]["asc"], 0x3A);
    }
}
