//! Emulated identities from captures: a [`Profile`] holds what a real drive answered to the
//! standard identification commands (INQUIRY and its VPD pages, GET CONFIGURATION, MODE SENSE),
//! taken from a trace (`odflash emu profile TRACE -o PROFILE`, usually of an imported capture).
//! `emu:profile=PROFILE` then runs the profile's family model (the flash protocol, the boot
//! loader, the faults) behind that identity: its recorded replies answer identification while
//! the application firmware runs, so a contributed drive can be practised on.
//!
//! The file is one JSON object:
//!
//! ```json
//! {"version":1,"family":"mt1959","vendor":"HL-DT-ST","model":"BD-RE BU40N","revision":"1.03",
//!  "serial":"K9XA1234","source":"capture.jsonl",
//!  "replies":[{"cdb":"120000006000","data":"0580..."}]}
//! ```
//!
//! A reply answers every command equal to its CDB but for the allocation length, cut to the
//! command's allocation as a drive cuts it (SPC-4 §4.2.5.6). This module parses and answers; it
//! reads a file only in [`Profile::load`].

use std::ops::Range;
use std::path::Path;

use serde::{Deserialize, Serialize};

use odflash_files::input::read_input_text;

use super::mmc::Reply;
use super::spec::Family;
use crate::scsi::cdb::opcode;
use crate::scsi::inquiry;
use crate::scsi::trace::TraceRecord;
use crate::scsi::{status, Direction};
use crate::Error;

/// The profile format this code writes and reads.
pub const PROFILE_VERSION: u32 = 1;

/// Largest profile file read: identification replies are a few KiB.
const MAX_PROFILE_BYTES: usize = 1 << 20;

/// A drive's identity as a capture recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// [`PROFILE_VERSION`].
    pub version: u32,
    /// The emulated family whose model runs behind the identity (an `emu:` family name).
    pub family: String,
    /// INQUIRY vendor.
    pub vendor: String,
    /// INQUIRY product.
    pub model: String,
    /// INQUIRY revision.
    pub revision: String,
    /// Unit serial, when a reply reported one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial: Option<String>,
    /// Where the replies were recorded (the trace file).
    pub source: String,
    /// The recorded identification replies.
    pub replies: Vec<Recorded>,
}

/// One recorded reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recorded {
    /// The command as sent.
    #[serde(with = "crate::scsi::hex::bytes")]
    pub cdb: Vec<u8>,
    /// The bytes the drive returned.
    #[serde(with = "crate::scsi::hex::bytes")]
    pub data: Vec<u8>,
}

/// The allocation length field of an identification command (SPC-4 §6.6 INQUIRY bytes 3..4,
/// §6.13 MODE SENSE(6) byte 4, §6.14 MODE SENSE(10) bytes 7..8; MMC-6 §6.6 GET CONFIGURATION
/// bytes 7..8); `None` for any other command, which a profile never answers.
fn allocation_field(cdb: &[u8]) -> Option<Range<usize>> {
    let field = match *cdb.first()? {
        opcode::INQUIRY => 3..5,
        opcode::MODE_SENSE_6 => 4..5,
        opcode::GET_CONFIGURATION | opcode::MODE_SENSE_10 => 7..9,
        _ => return None,
    };
    (cdb.len() >= field.end).then_some(field)
}

/// The CDB with its allocation length zeroed: what a reply is matched on.
fn key(cdb: &[u8]) -> Option<Vec<u8>> {
    let field = allocation_field(cdb)?;
    let mut k = cdb.to_vec();
    k[field].fill(0);
    Some(k)
}

impl Profile {
    /// The identification replies of `records` (GOOD, data-in, with a payload), the identity of
    /// the first standard INQUIRY reply, for the emulated `family`. Fails when no standard
    /// INQUIRY reply is in the trace.
    pub fn from_records(
        records: &[TraceRecord],
        family: Family,
        source: &str,
    ) -> Result<Profile, String> {
        let mut replies: Vec<Recorded> = Vec::new();
        for r in records {
            let Some(data) = r.payload.as_ref() else {
                continue;
            };
            let answered = r.status == status::GOOD && r.error.is_none();
            let Some(k) = key(&r.cdb).filter(|_| answered && r.direction == Direction::In) else {
                continue;
            };
            // The first answer to a command stands: later ones may come from another state.
            if replies.iter().any(|e| key(&e.cdb).as_ref() == Some(&k)) {
                continue;
            }
            replies.push(Recorded {
                cdb: r.cdb.clone(),
                data: data[..r.transferred.min(data.len())].to_vec(),
            });
        }
        let standard = replies
            .iter()
            .find(|e| e.cdb.first() == Some(&opcode::INQUIRY) && e.cdb.get(1) == Some(&0))
            .and_then(|e| inquiry::parse_inquiry(&e.data).ok())
            .ok_or("the trace holds no standard INQUIRY reply with its data (import the capture with tcpdump or Wireshark for whole payloads)")?;
        let serial = replies
            .iter()
            .find(|e| {
                e.cdb
                    .starts_with(&[opcode::INQUIRY, 0x01, crate::scsi::cdb::VPD_UNIT_SERIAL])
            })
            .and_then(|e| inquiry::parse_unit_serial(&e.data).ok())
            .filter(|s| !s.is_empty());
        Ok(Profile {
            version: PROFILE_VERSION,
            family: family.name().to_string(),
            vendor: standard.vendor,
            model: standard.product,
            revision: standard.revision,
            serial,
            source: source.to_string(),
            replies,
        })
    }

    /// Parse a profile; a bad one says why.
    pub fn parse(text: &str) -> Result<Profile, String> {
        let p: Profile = serde_json::from_str(text).map_err(|e| e.to_string())?;
        if p.version != PROFILE_VERSION {
            return Err(format!(
                "profile version {} (this odflash reads {PROFILE_VERSION})",
                p.version
            ));
        }
        p.emu_family()?;
        if let Some(bad) = p.replies.iter().find(|r| key(&r.cdb).is_none()) {
            return Err(format!(
                "reply to CDB {} is no identification command",
                hex::encode(&bad.cdb)
            ));
        }
        Ok(p)
    }

    /// Read and parse the profile file at `path`.
    pub fn load(path: &Path) -> Result<Profile, Error> {
        let text = read_input_text(path, MAX_PROFILE_BYTES, "profile")?;
        Profile::parse(&text).map_err(|why| Error::Spec {
            spec: format!("profile={}", path.display()),
            why,
        })
    }

    /// The emulated family the profile names.
    pub fn emu_family(&self) -> Result<Family, String> {
        Family::parse(&self.family).ok_or_else(|| {
            format!(
                "unknown family `{}` (known: {})",
                self.family,
                Family::known()
            )
        })
    }

    /// The recorded reply to `cdb`, cut to its allocation length; `None` when the profile holds
    /// none (the model answers).
    pub(crate) fn answer(&self, cdb: &[u8]) -> Option<Reply> {
        let k = key(cdb)?;
        let field = allocation_field(cdb)?;
        let alloc = cdb[field]
            .iter()
            .fold(0usize, |n, &b| (n << 8) | usize::from(b));
        let recorded = self
            .replies
            .iter()
            .find(|r| key(&r.cdb).as_ref() == Some(&k))?;
        Some(Reply::In(
            recorded.data[..alloc.min(recorded.data.len())].to_vec(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scsi::cdb;

    fn reply(cdb: &[u8], data: &[u8]) -> TraceRecord {
        TraceRecord {
            cdb: cdb.to_vec(),
            direction: Direction::In,
            requested: 96,
            transferred: data.len(),
            status: status::GOOD,
            host_status: 0,
            driver_status: 0,
            sense: Vec::new(),
            sense_text: None,
            duration_us: 0,
            timeout_ms: 0,
            time_us: None,
            error: None,
            payload: Some(data.to_vec()),
        }
    }

    fn inquiry_data() -> Vec<u8> {
        let mut d = vec![0u8; 36];
        d[..5].copy_from_slice(&[0x05, 0x80, 0x00, 0x32, 31]);
        d[8..16].copy_from_slice(b"PIONEER ");
        d[16..32].copy_from_slice(b"BD-RW   BDR-S09 ");
        d[32..36].copy_from_slice(b"1.34");
        d
    }

    #[test]
    fn a_trace_becomes_a_profile_that_answers_any_allocation() {
        let mut vpd = vec![0x05, 0x80, 0x00, 8];
        vpd.extend_from_slice(b"SER12345");
        let records = vec![
            reply(&cdb::build_inquiry(36), &inquiry_data()),
            reply(&cdb::build_inquiry(96), b"a later reply is not kept"),
            reply(&cdb::build_inquiry_vpd(0x80, 64), &vpd),
            reply(&cdb::build_test_unit_ready(), &[]),
        ];
        let p = Profile::from_records(&records, Family::Mt1959, "t.jsonl").unwrap();
        assert_eq!(
            (p.vendor.as_str(), p.model.as_str(), p.revision.as_str()),
            ("PIONEER", "BD-RW   BDR-S09", "1.34")
        );
        assert_eq!(p.serial.as_deref(), Some("SER12345"));
        assert_eq!(
            p.replies.len(),
            2,
            "the TUR and the second INQUIRY are not kept"
        );
        let text = serde_json::to_string(&p).unwrap();
        assert_eq!(Profile::parse(&text).unwrap(), p);
        match p.answer(&cdb::build_inquiry(96)) {
            Some(Reply::In(d)) => assert_eq!(d, inquiry_data()),
            other => panic!("{other:?}"),
        }
        match p.answer(&cdb::build_inquiry(5)) {
            Some(Reply::In(d)) => assert_eq!(d.len(), 5),
            other => panic!("{other:?}"),
        }
        assert_eq!(p.answer(&cdb::build_inquiry_vpd(0x83, 64)), None);
        assert_eq!(p.answer(&cdb::build_test_unit_ready()), None);
    }

    #[test]
    fn bad_profiles_say_why() {
        assert!(Profile::from_records(&[], Family::Mt1959, "t").is_err());
        let p = Profile::from_records(
            &[reply(&cdb::build_inquiry(36), &inquiry_data())],
            Family::Mt1959,
            "t",
        )
        .unwrap();
        let mut v: serde_json::Value = serde_json::to_value(&p).unwrap();
        v["family"] = "mt2000".into();
        assert!(Profile::parse(&v.to_string())
            .unwrap_err()
            .contains("unknown family"));
        v["family"] = "mt1959".into();
        v["version"] = 9.into();
        assert!(Profile::parse(&v.to_string())
            .unwrap_err()
            .contains("version 9"));
        v["version"] = 1.into();
        v["replies"][0]["cdb"] = "3c06".into();
        assert!(Profile::parse(&v.to_string())
            .unwrap_err()
            .contains("no identification"));
        assert!(Profile::parse("{}").is_err());
    }
}
