//! `odflash info DEVICE --share`: one document to attach to a bug report. The drive's identity
//! and bus, every reply of the identification probe in hex (recorded through a trace
//! [`Recorder`] with payloads), an optional trace of an earlier run, the odflash version and the
//! kernel.
//!
//! Owns: running the read-only probe through a trace recorder ([`collect`]), stripping payloads
//! that could hold firmware ([`strip_payloads`]), and redacting the drive's serial everywhere in
//! the document, in text and inside hex ([`build_document`]).
//!
//! Must not: write a file or print (the CLI does), or keep any data-phase payload above
//! [`MAX_PAYLOAD`] bytes: identification replies are small, firmware chunks are not.

use std::path::Path;

use serde::Serialize;
use serde_json::Value;

use crate::scsi::cdb::opcode;
use crate::scsi::trace::{Payload, Recorder, TraceRecord};
use crate::scsi::Direction;

use super::error::Error;
use super::input;
use super::open::{self, OpenOptions};
use super::probe::{self, read_bus, Depth, InfoReport};
use crate::ops::drive::DeviceKind;

/// Largest data-phase payload kept (bytes). INQUIRY (96), GET CONFIGURATION features, VPD
/// pages, REQUEST SENSE and MODE SENSE 0x2A fit; flash reads and writes (4 KiB and up) do not.
pub const MAX_PAYLOAD: usize = 512;

/// What replaces the serial in text.
pub const REDACTED: &str = "<redacted>";

/// Shorter serials are only removed from the serial fields, not searched for in the whole
/// document: a two-character serial would match all over the hex.
const MIN_SEARCHED_SERIAL: usize = 4;

/// Whether the serial stays in the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Redaction {
    /// Replace the serial everywhere (the default).
    Redact,
    /// Keep it (`--no-redact`).
    Keep,
}

/// The probe of one drive and the commands it took.
#[derive(Debug)]
pub struct Collected {
    /// The identification, as `odflash info --json` shows it.
    pub info: InfoReport,
    /// Every command the probe sent, with its reply.
    pub replies: Vec<TraceRecord>,
}

/// Open `device` read-only and probe it fully, recording every command and reply.
pub fn collect(device: &str, opts: &OpenOptions) -> Result<Collected, Error> {
    let mut dev = open::open_read_only(device, opts)?;
    let emulated = dev.kind == DeviceKind::Emulated;
    let bus = match dev.kind {
        DeviceKind::Real => read_bus(&dev.name),
        DeviceKind::Emulated | DeviceKind::Replay => None,
    };
    let mut recorder = Recorder::new(dev.transport(), Vec::new(), Payload::Record);
    let probe = probe::probe(&mut recorder, Depth::Full)?;
    let (_, replies) = recorder.into_parts();
    Ok(Collected {
        info: InfoReport {
            device: device.to_string(),
            emulated,
            bus,
            probe,
            // The share document never reads the EEPROM: it holds unit data.
            eeprom: None,
        },
        replies,
    })
}

/// Drop every payload above [`MAX_PAYLOAD`] bytes, every data-out payload whatever its size
/// (what odflash sends a drive is never needed to understand a bug, and may be firmware), and
/// the payload of every READ or WRITE BUFFER: those move flash contents (firmware, the per-unit
/// data windows) whatever their length.
pub fn strip_payloads(records: &mut [TraceRecord]) {
    for record in records {
        let flash = matches!(
            record.opcode(),
            Some(opcode::READ_BUFFER | opcode::WRITE_BUFFER)
        );
        let keep = !flash
            && record.direction != Direction::Out
            && record
                .payload
                .as_ref()
                .is_some_and(|p| p.len() <= MAX_PAYLOAD);
        if !keep {
            record.payload = None;
        }
    }
}

/// The kernel, from `/proc/sys/kernel` (what `uname -srv` prints).
#[derive(Debug, Clone, Serialize)]
pub struct Kernel {
    /// `Linux`.
    pub ostype: Option<String>,
    /// The release (`6.8.0-45-generic`).
    pub release: Option<String>,
    /// The build string.
    pub version: Option<String>,
}

impl Kernel {
    /// Read it under `proc_root` (`/proc`).
    pub fn read(proc_root: &Path) -> Kernel {
        let read = |name: &str| {
            input::read_input_text(
                &proc_root.join("sys/kernel").join(name),
                4096,
                "kernel attribute",
            )
            .ok()
            .map(|t| t.trim().to_string())
        };
        Kernel {
            ostype: read("ostype"),
            release: read("osrelease"),
            version: read("version"),
        }
    }
}

/// The whole document.
#[derive(Serialize)]
struct Document<'a> {
    odflash_version: &'a str,
    kernel: &'a Kernel,
    serial_redacted: bool,
    info: &'a InfoReport,
    replies: &'a [TraceRecord],
    #[serde(skip_serializing_if = "Option::is_none")]
    trace: Option<&'a [TraceRecord]>,
}

/// The bug-report document: `collected` (its replies stripped of large payloads), the given
/// `trace` (stripped the same way), the version and kernel, with the serial redacted unless
/// `redaction` is [`Redaction::Keep`].
pub fn build_document(
    mut collected: Collected,
    trace: Option<Vec<TraceRecord>>,
    kernel: &Kernel,
    redaction: Redaction,
) -> Result<Value, serde_json::Error> {
    strip_payloads(&mut collected.replies);
    let trace = trace.map(|mut records| {
        strip_payloads(&mut records);
        records
    });
    let serials = serials(&collected.info);
    let doc = serde_json::to_value(Document {
        odflash_version: env!("CARGO_PKG_VERSION"),
        kernel,
        serial_redacted: redaction == Redaction::Redact,
        info: &collected.info,
        replies: &collected.replies,
        trace: trace.as_deref(),
    })?;
    Ok(match redaction {
        Redaction::Keep => doc,
        Redaction::Redact => redact(doc, &serials),
    })
}

/// The serials the probe found (the feature or VPD answer and the family's own reading).
fn serials(info: &InfoReport) -> Vec<String> {
    let probe = &info.probe;
    let mut found: Vec<String> = probe
        .serial
        .iter()
        .chain(
            probe
                .family
                .as_ref()
                .and_then(|f| f.identity.serial.as_ref()),
        )
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    found.sort();
    found.dedup();
    found
}

/// Replace the serial fields, then every occurrence of each serial in any string: as text
/// (with [`REDACTED`]) and as lowercase hex of its bytes (with `XX` per byte, so the hex keeps
/// its length and offsets).
fn redact(mut doc: Value, serials: &[String]) -> Value {
    for pointer in ["/info/probe/serial", "/info/probe/family/identity/serial"] {
        if let Some(field) = doc.pointer_mut(pointer).filter(|f| f.is_string()) {
            *field = Value::String(REDACTED.into());
        }
    }
    let needles: Vec<Needle> = serials
        .iter()
        .filter(|s| s.len() >= MIN_SEARCHED_SERIAL)
        .map(|s| Needle {
            text: s.clone(),
            hex: hex::encode(s.as_bytes()),
            mask: "XX".repeat(s.len()),
        })
        .collect();
    walk(&mut doc, &needles);
    doc
}

/// One serial to find: as text, and as the lowercase hex of its bytes with its mask.
struct Needle {
    text: String,
    hex: String,
    mask: String,
}

fn walk(value: &mut Value, needles: &[Needle]) {
    match value {
        Value::String(text) => {
            for needle in needles {
                if text.contains(&needle.text) {
                    *text = text.replace(&needle.text, REDACTED);
                }
                if text.contains(&needle.hex) {
                    *text = text.replace(&needle.hex, &needle.mask);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| walk(v, needles)),
        Value::Object(map) => map.values_mut().for_each(|v| walk(v, needles)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(direction: Direction, payload: Option<Vec<u8>>) -> TraceRecord {
        TraceRecord {
            cdb: vec![0x12, 0, 0, 0, 96, 0],
            direction,
            requested: 96,
            transferred: payload.as_ref().map_or(0, Vec::len),
            status: 0,
            host_status: 0,
            driver_status: 0,
            sense: Vec::new(),
            sense_text: None,
            duration_us: 0,
            timeout_ms: 0,
            time_us: None,
            error: None,
            payload,
        }
    }

    #[test]
    fn large_and_outgoing_payloads_are_dropped() {
        let mut records = vec![
            record(Direction::In, Some(vec![1; 96])),
            record(Direction::In, Some(vec![2; 4096])),
            record(Direction::Out, Some(vec![3; 16])),
            TraceRecord {
                cdb: vec![opcode::READ_BUFFER, 0, 0, 0, 0, 0, 0, 1, 0, 0],
                ..record(Direction::In, Some(vec![4; 256]))
            },
        ];
        strip_payloads(&mut records);
        assert_eq!(records[0].payload.as_deref().map(<[u8]>::len), Some(96));
        assert_eq!(records[1].payload, None);
        assert_eq!(records[2].payload, None);
        assert_eq!(records[3].payload, None);
    }

    #[test]
    fn the_serial_is_masked_in_text_and_hex() {
        let hex = hex::encode(b"xxSERIAL1234yy");
        let doc = serde_json::json!({
            "info": {"probe": {"serial": "SERIAL1234", "note": "sn SERIAL1234"}},
            "replies": [{"payload": hex}],
        });
        let out = redact(doc, &["SERIAL1234".to_string()]);
        let text = out.to_string();
        assert!(!text.contains("SERIAL1234"), "{text}");
        assert!(!text.contains(&hex::encode(b"SERIAL1234")), "{text}");
        assert_eq!(out["info"]["probe"]["serial"], REDACTED);
        assert_eq!(
            out["replies"][0]["payload"],
            format!(
                "{}{}{}",
                hex::encode(b"xx"),
                "XX".repeat(10),
                hex::encode(b"yy")
            )
        );
    }

    #[test]
    fn a_short_serial_leaves_the_rest_alone() {
        let doc = serde_json::json!({"info": {"probe": {"serial": "12"}}, "x": "a12b"});
        let out = redact(doc, &["12".to_string()]);
        assert_eq!(out["info"]["probe"]["serial"], REDACTED);
        assert_eq!(out["x"], "a12b");
    }
}
