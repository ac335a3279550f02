//! Unit serial numbers in traces: [`find_serials`] reads them where the standard replies carry
//! them (INQUIRY VPD page 0x80, SPC-4 §7.8.15; GET CONFIGURATION feature 0x0108, MMC-6
//! §5.3.28), and [`redact_serials`] masks every copy of their bytes in every payload and sense,
//! so a contributor can share a capture of their drive without its serial. Pure.

use serde::Serialize;

use super::cdb::{opcode, FEATURE_SERIAL, VPD_UNIT_SERIAL};
use super::config;
use super::inquiry;
use super::trace::TraceRecord;

/// The byte every serial byte becomes.
const MASK: u8 = b'X';

/// Shortest serial masked: masking shorter strings would hit unrelated bytes everywhere.
const MIN_SERIAL: usize = 4;

/// A serial found in a trace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Serial {
    /// The serial as the drive reported it.
    pub text: String,
    /// The records (numbered from 1) whose payload or sense holds its bytes.
    pub records: Vec<usize>,
}

/// The serials the trace's replies report, with every record that holds them.
pub fn find_serials(records: &[TraceRecord]) -> Vec<Serial> {
    let mut texts: Vec<String> = records.iter().filter_map(reported_serial).collect();
    texts.sort();
    texts.dedup();
    texts
        .into_iter()
        .filter(|t| t.len() >= MIN_SERIAL && !t.bytes().all(|b| b == MASK))
        .map(|text| Serial {
            records: records
                .iter()
                .enumerate()
                .filter(|(_, r)| holds(r, text.as_bytes()))
                .map(|(i, _)| i + 1)
                .collect(),
            text,
        })
        .collect()
}

/// Mask every serial [`find_serials`] finds (each byte becomes `X`, lengths unchanged); returns
/// what was masked.
pub fn redact_serials(records: &mut [TraceRecord]) -> Vec<Serial> {
    let found = find_serials(records);
    for serial in &found {
        let needle = serial.text.as_bytes();
        for &i in &serial.records {
            let r = &mut records[i - 1];
            if let Some(p) = r.payload.as_mut() {
                mask(p, needle);
            }
            mask(&mut r.sense, needle);
        }
    }
    found
}

/// The serial a record's reply reports, when it is a VPD 0x80 or GET CONFIGURATION reply.
fn reported_serial(r: &TraceRecord) -> Option<String> {
    let payload = r.payload.as_deref()?;
    match r.cdb.as_slice() {
        [opcode::INQUIRY, evpd, VPD_UNIT_SERIAL, ..] if evpd & 1 == 1 => {
            inquiry::parse_unit_serial(payload).ok()
        }
        [opcode::GET_CONFIGURATION, ..] => {
            let configuration = config::parse_configuration(payload).ok()?;
            config::parse_serial_feature(configuration.feature(FEATURE_SERIAL)?).ok()
        }
        _ => None,
    }
    .map(|s| s.trim().to_string())
    .filter(|s| !s.is_empty())
}

fn holds(r: &TraceRecord, needle: &[u8]) -> bool {
    let has = |hay: &[u8]| hay.windows(needle.len()).any(|w| w == needle);
    r.payload.as_deref().is_some_and(has) || has(&r.sense)
}

fn mask(hay: &mut [u8], needle: &[u8]) {
    let mut at = 0;
    while at + needle.len() <= hay.len() {
        if &hay[at..at + needle.len()] == needle {
            hay[at..at + needle.len()].fill(MASK);
            at += needle.len();
        } else {
            at += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{cdb, Direction};

    fn reply(cdb: &[u8], payload: Vec<u8>) -> TraceRecord {
        TraceRecord {
            cdb: cdb.to_vec(),
            direction: Direction::In,
            requested: 255,
            transferred: payload.len(),
            status: 0,
            host_status: 0,
            driver_status: 0,
            sense: Vec::new(),
            sense_text: None,
            duration_us: 0,
            timeout_ms: 0,
            time_us: None,
            error: None,
            payload: Some(payload),
        }
    }

    #[test]
    fn serials_of_vpd_and_feature_replies_are_masked_everywhere() {
        let mut vpd = vec![0x05, 0x80, 0x00, 12];
        vpd.extend_from_slice(b"K9XA1234ZZ01");
        let mut feature = vec![0, 0, 0, 20, 0, 0, 0, 0, 0x01, 0x08, 0x03, 12];
        feature.extend_from_slice(b"SN77-ABCD-01");
        let mut window = vec![0u8; 64];
        window[20..32].copy_from_slice(b"K9XA1234ZZ01");
        let mut records = vec![
            reply(&cdb::build_inquiry_vpd(0x80, 64), vpd),
            reply(
                &cdb::build_get_configuration(2, FEATURE_SERIAL, 32),
                feature,
            ),
            reply(&cdb::build_read_buffer(2, 0, 0, 64), window),
            reply(&cdb::build_inquiry(96), b"no serial here".to_vec()),
        ];
        let found = find_serials(&records);
        assert_eq!(found.len(), 2);
        assert_eq!(
            (found[0].text.as_str(), &found[0].records[..]),
            ("K9XA1234ZZ01", &[1, 3][..])
        );
        assert_eq!(
            (found[1].text.as_str(), &found[1].records[..]),
            ("SN77-ABCD-01", &[2][..])
        );
        let masked = redact_serials(&mut records);
        assert_eq!(masked, found);
        assert_eq!(&records[0].payload.as_ref().unwrap()[4..], b"XXXXXXXXXXXX");
        assert_eq!(
            &records[2].payload.as_ref().unwrap()[20..32],
            b"XXXXXXXXXXXX"
        );
        assert_eq!(records[3].payload.as_deref(), Some(&b"no serial here"[..]));
        assert!(find_serials(&records).is_empty(), "nothing left to find");
    }
}
