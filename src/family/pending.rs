//! TEMPORARY: typed read-only commands the `scsi` branch is building (read_inquiry,
//! read_firmware_date, read_serial_feature, read_readiness). Deleted when it merges.

use crate::scsi::cdb::{
    build_get_configuration, build_inquiry, build_test_unit_ready, FEATURE_FIRMWARE_DATE,
    FEATURE_SERIAL, INQUIRY_LONG, RT_ONE_FEATURE,
};
use crate::scsi::inquiry::Inquiry;
use crate::scsi::{run, Data, Error, Transport, TIMEOUT_IDENTIFY};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b)
        .trim_matches(|c: char| c == ' ' || c == '\0')
        .to_string()
}

/// INQUIRY.
pub fn read_inquiry(t: &mut dyn Transport) -> Result<Inquiry, Error> {
    let mut b = vec![0u8; INQUIRY_LONG as usize];
    let got = run(
        t,
        &build_inquiry(INQUIRY_LONG),
        Data::In(&mut b),
        TIMEOUT_IDENTIFY,
    )?;
    if got < 36 {
        return Err(Error::ShortTransfer { needed: 36, got });
    }
    b.truncate(got);
    Ok(Inquiry {
        peripheral_qualifier: b[0] >> 5,
        peripheral_type: b[0] & 0x1F,
        removable: b[1] & 0x80 != 0,
        version: b[2],
        vendor: text(&b[8..16]),
        product: text(&b[16..32]),
        revision: text(&b[32..36]),
        vendor_specific: text(b.get(36..56.min(got)).unwrap_or(&[])),
        raw: b,
    })
}

fn read_feature(t: &mut dyn Transport, feature: u16) -> Result<String, Error> {
    let mut b = [0u8; 28];
    let got = run(
        t,
        &build_get_configuration(RT_ONE_FEATURE, feature, 28),
        Data::In(&mut b),
        TIMEOUT_IDENTIFY,
    )?;
    let bad = |detail: &str| Error::Malformed {
        what: "GET CONFIGURATION reply",
        detail: detail.into(),
    };
    if got < 12 || u16::from_be_bytes([b[8], b[9]]) != feature {
        return Err(bad("feature missing"));
    }
    let end = 12 + b[11] as usize;
    if end > got {
        return Err(bad("truncated"));
    }
    Ok(text(&b[12..end]))
}

/// Feature 0x010C.
pub fn read_firmware_date(t: &mut dyn Transport) -> Result<String, Error> {
    let d = read_feature(t, FEATURE_FIRMWARE_DATE)?;
    if d.len() < 14 || !d.bytes().take(14).all(|c| c.is_ascii_digit()) {
        return Err(Error::Malformed {
            what: "firmware date",
            detail: d,
        });
    }
    Ok(d[..14].to_string())
}

/// Feature 0x0108.
pub fn read_serial_feature(t: &mut dyn Transport) -> Result<String, Error> {
    read_feature(t, FEATURE_SERIAL)
}

/// TUR.
pub fn read_tur(t: &mut dyn Transport) -> Result<usize, Error> {
    run(t, &build_test_unit_ready(), Data::None, TIMEOUT_IDENTIFY)
}
