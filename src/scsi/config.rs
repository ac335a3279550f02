//! GET CONFIGURATION replies (MMC-6 §6.6.2): the feature header with the current profile, the
//! feature descriptors, and the two features drive identification reads: 0x010C firmware
//! information (the firmware date) and 0x0108 logical unit serial number.
//!
//! Pure parsers only: sending GET CONFIGURATION is `command.rs`'s job.

use serde::{Deserialize, Serialize};

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
        needed: HEADER_LEN,
        got: raw.len(),
    })?;
    if raw.len() < HEADER_LEN {
        return Err(Error::ShortTransfer {
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

/// Decode feature 0x010C, firmware information (MMC-6 §5.3.32): ASCII digit pairs for century,
/// year, month, day, hour, minute and second, as "2016-05-12 11:30:00".
pub fn parse_firmware_date(feature: &Feature) -> Result<String, Error> {
    const FIELDS: usize = 7;
    let malformed = |detail: String| Error::Malformed {
        what: "firmware information feature",
        detail,
    };
    let digits = feature.data.get(..2 * FIELDS).ok_or_else(|| {
        malformed(format!(
            "{} data bytes, need {}",
            feature.data.len(),
            2 * FIELDS
        ))
    })?;
    if !digits.iter().all(u8::is_ascii_digit) {
        return Err(malformed(format!(
            "not ASCII digits: {}",
            hex::encode(digits)
        )));
    }
    // All ASCII digits, so every byte is one char and slicing by byte index is safe.
    let s: String = digits.iter().map(|&b| char::from(b)).collect();
    Ok(format!(
        "{}-{}-{} {}:{}:{}",
        &s[0..4],
        &s[4..6],
        &s[6..8],
        &s[8..10],
        &s[10..12],
        &s[12..14]
    ))
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
    /// "20" "16" "05" "12" "11" "30" "00" and two reserved bytes: the record's 28-byte probe.
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
        assert_eq!(parse_firmware_date(f).unwrap(), "2016-05-12 11:30:00");
        assert_eq!(configuration_len(&FIRMWARE_REPLY), Some(28));
    }

    #[test]
    fn firmware_date_rejects_non_digits_and_short_data() {
        let mut f = parse_configuration(&FIRMWARE_REPLY).unwrap().features[0].clone();
        f.data[3] = b'X';
        assert!(matches!(
            parse_firmware_date(&f),
            Err(Error::Malformed { .. })
        ));
        f.data.truncate(10);
        assert!(matches!(
            parse_firmware_date(&f),
            Err(Error::Malformed { .. })
        ));
        f.data = vec![0; 16]; // a boot loader's empty date
        assert!(matches!(
            parse_firmware_date(&f),
            Err(Error::Malformed { .. })
        ));
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
            Err(Error::ShortTransfer { needed: 8, got: 3 })
        ));
        assert!(matches!(
            parse_configuration(&[0, 0, 0, 4, 0, 0]),
            Err(Error::ShortTransfer { needed: 8, got: 6 })
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
