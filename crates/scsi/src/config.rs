//! GET CONFIGURATION replies (MMC-6 §6.6.2): the feature header with the current profile, the
//! feature descriptors, and the two features drive identification reads: 0x010C firmware
//! information (the firmware date) and 0x0108 logical unit serial number.
//!
//! Pure parsers only: sending GET CONFIGURATION is `command.rs`'s job.

use serde::{Deserialize, Serialize};

use super::cdb::FEATURE_FIRMWARE_DATE;
use super::inquiry::{parse_device_string, trim_start};
use super::Error;

/// Length of the feature header (MMC-6 §6.6.2.1).
pub const HEADER_LEN: usize = 8;

/// Length of a feature descriptor's own header: code, version/flags, additional length.
const DESCRIPTOR_HEADER_LEN: usize = 4;

/// A GET CONFIGURATION reply: the header's current profile and the complete feature
/// descriptors that followed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Configuration {
    /// CURRENT PROFILE (header bytes 6..7): the profile of the loaded medium, 0 without one.
    pub current_profile: u16,
    /// Feature descriptors in reply order.
    pub features: Vec<Feature>,
}

impl Configuration {
    /// The descriptor of feature `code`, when the reply holds it.
    pub fn feature(&self, code: u16) -> Option<&Feature> {
        self.features.iter().find(|f| f.code == code)
    }
}

/// One feature descriptor (MMC-6 §5.2.2, table 87).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Feature {
    /// FEATURE CODE (bytes 0..1).
    pub code: u16,
    /// VERSION (byte 2 bits 5..2).
    pub version: u8,
    /// PERSISTENT bit (byte 2 bit 1).
    pub persistent: bool,
    /// CURRENT bit (byte 2 bit 0).
    pub current: bool,
    /// Feature-dependent data (bytes 4.., ADDITIONAL LENGTH bytes).
    #[serde(with = "super::hex::bytes")]
    pub data: Vec<u8>,
}

/// Bytes a GET CONFIGURATION reply declares: 4 + DATA LENGTH (header bytes 0..3).
pub(crate) fn configuration_len(raw: &[u8]) -> Option<usize> {
    let len = u32::from_be_bytes(raw.get(..4)?.try_into().ok()?);
    Some(4usize.saturating_add(usize::try_from(len).ok()?))
}

/// Parse a GET CONFIGURATION reply (MMC-6 §6.6.2.1): header, then descriptors up to the
/// declared DATA LENGTH or the end of the bytes received, whichever comes first.
// ASSUMPTION: a trailing descriptor cut short was cut by the allocation length (callers grow it
// from the header), so it is dropped rather than failing the descriptors before it.
pub fn parse_configuration(raw: &[u8]) -> Result<Configuration, Error> {
    let declared = configuration_len(raw).ok_or(Error::ShortTransfer {
        command: "GET CONFIGURATION",
        direction: super::Direction::In,
        needed: HEADER_LEN,
        got: raw.len(),
    })?;
    if raw.len() < HEADER_LEN {
        return Err(Error::ShortTransfer {
            command: "GET CONFIGURATION",
            direction: super::Direction::In,
            needed: HEADER_LEN,
            got: raw.len(),
        });
    }
    if declared < HEADER_LEN {
        return Err(Error::Malformed {
            what: "GET CONFIGURATION header",
            detail: format!("DATA LENGTH {} is below the header's 4", declared - 4),
        });
    }
    let end = raw.len().min(declared);
    let mut features = Vec::new();
    let mut pos = HEADER_LEN;
    while pos + DESCRIPTOR_HEADER_LEN <= end {
        let d = &raw[pos..end];
        let data_end = DESCRIPTOR_HEADER_LEN + usize::from(d[3]);
        let Some(data) = d.get(DESCRIPTOR_HEADER_LEN..data_end) else {
            log::debug!("GET CONFIGURATION: descriptor at byte {pos} cut short");
            break;
        };
        features.push(Feature {
            code: u16::from_be_bytes([d[0], d[1]]),
            version: (d[2] >> 2) & 0x0F,
            persistent: d[2] & 0x02 != 0,
            current: d[2] & 0x01 != 0,
            data: data.to_vec(),
        });
        pos += data_end;
    }
    Ok(Configuration {
        current_profile: u16::from_be_bytes([raw[6], raw[7]]),
        features,
    })
}

/// Where the firmware information feature's data starts in a GET CONFIGURATION reply: the
/// 8-byte feature header, then the descriptor's own 4-byte header.
const FIRMWARE_INFO_DATA: usize = HEADER_LEN + DESCRIPTOR_HEADER_LEN;

/// Bytes of a reply that prove the drive echoed a feature: the header and the descriptor's
/// feature code. freemkv-firmware's MediaTek probe (`drive/mtk/mod.rs`, `get_config_is_mtk`)
/// asks no more than this; see docs/protocol.md §2.1.
const FEATURE_ECHO_LEN: usize = HEADER_LEN + 2;

/// What a GET CONFIGURATION (RT=2) reply for feature 0x010C shows: that the drive echoed the
/// feature, and its date for display. `None` when the reply does not echo 0x010C.
///
/// Identification uses only the echo. The date is display: real drives fill the fields loosely
/// (blank seconds, space padding, "21" as the century of 20xx), so it is decoded leniently and
/// shown raw when it cannot be decoded, never an error.
pub fn parse_firmware_information(raw: &[u8]) -> Option<FirmwareInformation> {
    let code = raw.get(HEADER_LEN..FEATURE_ECHO_LEN)?;
    if code != FEATURE_FIRMWARE_DATE.to_be_bytes() {
        return None;
    }
    // The descriptor's ADDITIONAL LENGTH bounds the data when it is there; a reply cut before it
    // still echoed the feature.
    let data = match raw.get(HEADER_LEN + 3) {
        Some(&len) => {
            let end = raw.len().min(FIRMWARE_INFO_DATA + usize::from(len));
            raw.get(FIRMWARE_INFO_DATA..end).unwrap_or_default()
        }
        None => &[],
    };
    Some(FirmwareInformation {
        date: decode_firmware_date(data),
    })
}

/// Feature 0x010C as identification sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirmwareInformation {
    /// The firmware date for display; `None` when the drive left it blank or zero.
    pub date: Option<String>,
}

/// The firmware date of feature 0x010C data (MMC-6 §5.3.32: two ASCII digits each for century,
/// year, month, day, hour, minute, second), for display: "2018-10-24 19:34" without seconds,
/// "2016-05-12 11:30:00" with them. Lenient, as real drives are: a field may be space-padded
/// (" 5"), the seconds or the time may be blank, the century may be "21" meaning 20xx. All
/// blank or zero (boot loaders report it so) is `None`. Anything else that does not decode is
/// shown raw: `raw "..."` with non-printable bytes as `\xNN`.
pub fn decode_firmware_date(data: &[u8]) -> Option<String> {
    let data = &data[..data.len().min(14)];
    if data.iter().all(|&b| matches!(b, 0 | b' ' | b'0')) {
        return None;
    }
    let field = |i: usize| data.get(2 * i..2 * i + 2).and_then(decode_digit_pair);
    let blank = |i: usize| {
        data.get(2 * i..2 * i + 2)
            .map_or(true, |f| f.iter().all(|&b| b == 0 || b == b' '))
    };
    let date = (|| {
        let century = match field(0)? {
            20 | 21 => 20,
            c => c,
        };
        let (year, month, day) = (field(1)?, field(2)?, field(3)?);
        if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
            return None;
        }
        let mut text = format!("{century:02}{year:02}-{month:02}-{day:02}");
        match (field(4), field(5)) {
            (Some(hour), Some(minute)) if hour < 24 && minute < 60 => {
                text.push_str(&format!(" {hour:02}:{minute:02}"));
                match field(6) {
                    Some(second) if second < 60 => text.push_str(&format!(":{second:02}")),
                    None if blank(6) => {}
                    _ => return None,
                }
            }
            _ if blank(4) && blank(5) && blank(6) => {}
            _ => return None,
        }
        Some(text)
    })();
    Some(date.unwrap_or_else(|| format!("raw \"{}\"", show_raw(data))))
}

/// One two-character field: two digits, or one digit with a space or NUL on either side.
fn decode_digit_pair(pair: &[u8]) -> Option<u8> {
    let digit = |b: u8| b.is_ascii_digit().then(|| b - b'0');
    let pad = |b: u8| b == b' ' || b == 0;
    match *pair {
        [a, b] if a.is_ascii_digit() && b.is_ascii_digit() => Some(10 * (a - b'0') + (b - b'0')),
        [a, b] if pad(a) => digit(b),
        [a, b] if pad(b) => digit(a),
        _ => None,
    }
}

/// Bytes as printable ASCII, everything else as `\xNN`.
fn show_raw(data: &[u8]) -> String {
    data.iter()
        .map(|&b| match b {
            0x20..=0x7E if b != b'"' && b != b'\\' => char::from(b).to_string(),
            _ => format!("\\x{b:02x}"),
        })
        .collect()
}

/// Decode feature 0x0108, logical unit serial number (MMC-6 §5.3.28): ASCII padded to a
/// multiple of 4 bytes; padding on either side is removed and the text sanitized.
pub fn parse_serial_feature(feature: &Feature) -> Result<String, Error> {
    Ok(parse_device_string(trim_start(&feature.data)))
}

/// The MMC-6 name of a profile (MMC-6 §5.3.1, table 92), e.g. 0x0043 -> "BD-RE".
pub fn profile_name(profile: u16) -> Option<&'static str> {
    Some(match profile {
        0x0000 => "none",
        0x0002 => "removable disk",
        0x0008 => "CD-ROM",
        0x0009 => "CD-R",
        0x000A => "CD-RW",
        0x0010 => "DVD-ROM",
        0x0011 => "DVD-R sequential recording",
        0x0012 => "DVD-RAM",
        0x0013 => "DVD-RW restricted overwrite",
        0x0014 => "DVD-RW sequential recording",
        0x0015 => "DVD-R dual layer sequential recording",
        0x0016 => "DVD-R dual layer jump recording",
        0x0017 => "DVD-RW dual layer",
        0x0018 => "DVD-Download disc recording",
        0x001A => "DVD+RW",
        0x001B => "DVD+R",
        0x002A => "DVD+RW dual layer",
        0x002B => "DVD+R dual layer",
        0x0040 => "BD-ROM",
        0x0041 => "BD-R sequential recording",
        0x0042 => "BD-R random recording",
        0x0043 => "BD-RE",
        0x0050 => "HD DVD-ROM",
        0x0051 => "HD DVD-R",
        0x0052 => "HD DVD-RAM",
        0xFFFF => "non-conforming",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// MMC-6 §6.6.2.1 header (DATA LENGTH 24, current profile 0) and §5.3.32 feature 0x010C:
    /// code 01 0C, version 0 / persistent / current, additional length 0x10, then
    /// "20" "16" "05" "12" "11" "30" "00" and two reserved bytes: freemkv's 28-byte
    /// probe (`drive/mtk.rs` `FD_LEN`; docs/protocol.md §2.1).
    const FIRMWARE_REPLY: [u8; 28] = [
        0, 0, 0, 24, 0, 0, 0x00, 0x00, // header
        0x01, 0x0C, 0x03, 0x10, // descriptor header
        b'2', b'0', b'1', b'6', b'0', b'5', b'1', b'2', b'1', b'1', b'3', b'0', b'0', b'0', 0, 0,
    ];

    #[test]
    fn firmware_information_feature() {
        let config = parse_configuration(&FIRMWARE_REPLY).unwrap();
        assert_eq!(config.current_profile, 0);
        assert_eq!(config.features.len(), 1);
        let f = config.feature(0x010C).unwrap();
        assert_eq!((f.version, f.persistent, f.current), (0, true, true));
        assert_eq!(f.data.len(), 16);
        assert_eq!(
            parse_firmware_information(&FIRMWARE_REPLY)
                .unwrap()
                .date
                .as_deref(),
            Some("2016-05-12 11:30:00")
        );
        assert_eq!(configuration_len(&FIRMWARE_REPLY), Some(28));
    }

    #[test]
    fn firmware_date_with_blank_seconds_and_century_21() {
        let mut reply = FIRMWARE_REPLY;
        // Century "21" for 20xx, 19:34, seconds left blank.
        reply[12..28].copy_from_slice(b"211810241934  \0\0");
        let info = parse_firmware_information(&reply).expect("echoes 0x010C");
        assert_eq!(info.date.as_deref(), Some("2018-10-24 19:34"));
    }

    #[test]
    fn firmware_date_fields_are_decoded_leniently() {
        let date = |d: &[u8]| decode_firmware_date(d);
        assert_eq!(
            date(b"20 9 1 5 7 8 9").as_deref(),
            Some("2009-01-05 07:08:09")
        );
        assert_eq!(
            date(b"2016051211 0 0").as_deref(),
            Some("2016-05-12 11:00:00")
        );
        assert_eq!(date(b"20160512      ").as_deref(), Some("2016-05-12"));
        assert_eq!(
            date(b"19990101000000").as_deref(),
            Some("1999-01-01 00:00:00")
        );
        // Blank or zero: no date (boot loaders report it so).
        assert_eq!(date(&[0; 16]), None);
        assert_eq!(date(b"00000000000000\0\0"), None);
        assert_eq!(date(b"              "), None);
        assert_eq!(date(&[]), None);
        // Undecodable: shown raw, never an error.
        assert_eq!(
            date(b"2016X512113000").as_deref(),
            Some("raw \"2016X512113000\"")
        );
        assert_eq!(
            date(b"20161312113000").as_deref(),
            Some("raw \"20161312113000\"")
        );
        assert_eq!(
            date(&[0xFF, b'"', 1]).as_deref(),
            Some("raw \"\\xff\\x22\\x01\"")
        );
        assert_eq!(date(b"2016051").as_deref(), Some("raw \"2016051\""));
    }

    #[test]
    fn firmware_information_needs_only_the_echoed_code() {
        // freemkv's probe condition: at least 10 bytes, bytes 8..10 = 01 0C.
        assert_eq!(
            parse_firmware_information(&FIRMWARE_REPLY[..10]),
            Some(FirmwareInformation { date: None })
        );
        assert_eq!(parse_firmware_information(&FIRMWARE_REPLY[..9]), None);
        let mut other = FIRMWARE_REPLY;
        other[9] = 0x08;
        assert_eq!(parse_firmware_information(&other), None);
        // A descriptor whose data is garbage still echoes the feature.
        let mut garbage = FIRMWARE_REPLY;
        garbage[12..28].fill(0xEE);
        let info = parse_firmware_information(&garbage).unwrap();
        assert!(info.date.unwrap().starts_with("raw "));
    }

    #[test]
    fn serial_feature_with_padding_and_current_profile() {
        // MMC-6 §5.3.28: feature 0x0108, serial "KL1G2KE1418" padded to 12 bytes; current
        // profile 0x0043 (BD-RE) in the header.
        let mut raw = vec![0, 0, 0, 20, 0, 0, 0x00, 0x43, 0x01, 0x08, 0x03, 12];
        raw.extend_from_slice(b"KL1G2KE1418 ");
        let config = parse_configuration(&raw).unwrap();
        assert_eq!(config.current_profile, 0x0043);
        assert_eq!(profile_name(config.current_profile), Some("BD-RE"));
        let f = config.feature(0x0108).unwrap();
        assert_eq!(parse_serial_feature(f).unwrap(), "KL1G2KE1418");
    }

    #[test]
    fn several_descriptors_and_a_truncated_one() {
        // Profile list (0x0000) with two profile descriptors, core (0x0001, 8 data bytes),
        // then a 0x0108 descriptor cut by the allocation: 2 complete features survive.
        let raw = [
            0, 0, 0, 0x30, 0, 0, 0x00, 0x10, // header: declares 52 bytes, profile DVD-ROM
            0x00, 0x00, 0x03, 0x08, 0x00, 0x10, 0x01, 0, 0x00, 0x08, 0x00, 0, // profile list
            0x00, 0x01, 0x0B, 0x08, 0, 0, 0, 0x02, 0x01, 0, 0, 0, // core, version 2
            0x01, 0x08, 0x03, 0x10, b'A', b'B', // serial, cut short
        ];
        let config = parse_configuration(&raw).unwrap();
        let codes: Vec<u16> = config.features.iter().map(|f| f.code).collect();
        assert_eq!(codes, [0x0000, 0x0001]);
        assert_eq!(config.features[1].version, 2);
        assert_eq!(config.feature(0x0108), None);
        assert_eq!(configuration_len(&raw), Some(52));
    }

    #[test]
    fn declared_length_bounds_the_descriptors() {
        // Header declares no descriptors; the zero-filled rest of the buffer is not parsed.
        let mut raw = FIRMWARE_REPLY;
        raw[3] = 4;
        assert!(parse_configuration(&raw).unwrap().features.is_empty());
    }

    #[test]
    fn short_or_bad_headers() {
        assert!(matches!(
            parse_configuration(&[0, 0, 0]),
            Err(Error::ShortTransfer {
                needed: 8,
                got: 3,
                ..
            })
        ));
        assert!(matches!(
            parse_configuration(&[0, 0, 0, 4, 0, 0]),
            Err(Error::ShortTransfer {
                needed: 8,
                got: 6,
                ..
            })
        ));
        assert!(matches!(
            parse_configuration(&[0, 0, 0, 2, 0, 0, 0, 0]),
            Err(Error::Malformed { .. })
        ));
    }

    #[test]
    fn profile_names() {
        assert_eq!(profile_name(0x0000), Some("none"));
        assert_eq!(profile_name(0x0041), Some("BD-R sequential recording"));
        assert_eq!(profile_name(0x1234), None);
    }
}
