//! Replay tests: a drive's identification sequence served from a hand-written trace
//! (`tests/data/identify-no-medium.jsonl`, an LG BD writer with an empty tray), through the
//! typed commands, the `Recorder` and the guard.

use std::path::Path;

use odflash::scsi::guard::{Guard, Policy};
use odflash::scsi::mode::{LoadingMechanism, Medium};
use odflash::scsi::replay::Replay;
use odflash::scsi::trace::{ErrorKind, JsonLines, Payload, Recorder, TraceRecord};
use odflash::scsi::{self, Error, Readiness, SenseKey, Transport, TransportError};

const TRACE: &str = "tests/data/identify-no-medium.jsonl";

fn trace_path() -> &'static Path {
    Path::new(TRACE)
}

/// The committed trace, served back.
fn replay() -> Replay {
    Replay::from_reader(std::fs::File::open(trace_path()).unwrap()).unwrap()
}

/// What identification learns, in the order the trace was recorded.
#[derive(Debug)]
struct Identified {
    inquiry: scsi::inquiry::Inquiry,
    unit_serial: Option<String>,
    firmware_date: Option<String>,
    serial: Option<String>,
    readiness: Readiness,
    capabilities: Option<scsi::mode::Capabilities>,
}

fn identify(t: &mut dyn Transport) -> Result<Identified, Error> {
    Ok(Identified {
        inquiry: scsi::read_inquiry(t)?,
        unit_serial: scsi::read_unit_serial(t)?,
        firmware_date: scsi::read_firmware_date(t)?,
        serial: scsi::read_serial_feature(t)?,
        readiness: scsi::read_readiness(t)?,
        capabilities: scsi::read_capabilities(t)?,
    })
}

#[test]
fn identification_sequence_from_trace_file() {
    let mut t = replay();
    assert_eq!(t.remaining(), 6);
    let id = identify(&mut t).unwrap();
    assert_eq!(t.remaining(), 0, "every recorded command was used");

    assert_eq!(id.inquiry.peripheral_type, 5);
    assert_eq!(id.inquiry.vendor, "HL-DT-ST");
    assert_eq!(id.inquiry.product, "BD-RE  WH16NS40");
    assert_eq!(id.inquiry.revision, "1.05");
    assert_eq!(id.inquiry.vendor_specific, "NM00100 2016/05/12");
    assert_eq!(id.inquiry.raw.len(), 96);
    assert_eq!(id.unit_serial.as_deref(), Some("KL1G2KE1418"));
    assert_eq!(id.firmware_date.as_deref(), Some("2016-05-12 11:30:00"));
    assert_eq!(id.serial.as_deref(), Some("KL1G2KE1418"));

    let Readiness::NoMedium(sense) = &id.readiness else {
        panic!("expected no medium, got {}", id.readiness);
    };
    assert_eq!(
        (sense.key, sense.asc, sense.ascq),
        (SenseKey::NotReady, 0x3A, 0)
    );
    assert_eq!(
        id.readiness.to_string(),
        "no medium (02/3A/00: medium not present)"
    );

    let caps = id.capabilities.unwrap();
    assert_eq!(
        caps.reads,
        [
            Medium::CdR,
            Medium::CdRw,
            Medium::DvdRom,
            Medium::DvdR,
            Medium::DvdRam
        ]
    );
    assert_eq!(
        caps.writes,
        [Medium::CdR, Medium::CdRw, Medium::DvdR, Medium::DvdRam]
    );
    assert_eq!(caps.loading, LoadingMechanism::Tray);
    assert!(caps.eject);
    assert_eq!(caps.buffer_kib, Some(1024));
    assert_eq!(caps.max_read_speed, Some(7056));
    assert_eq!(caps.max_write_speed, Some(7056));
}

#[test]
fn recording_a_replay_reproduces_the_trace_file() {
    // Recorder(Replay) with payloads writes back the very lines it replays: the documented
    // format, field order and hex spelling are exactly what a `Recorder` writes.
    let expected = std::fs::read_to_string(trace_path()).unwrap();
    let replay = replay();
    let mut rec = Recorder::new(replay, JsonLines(Vec::new()), Payload::Record);
    identify(&mut rec).unwrap();
    assert!(rec.write_error().is_none());
    let (_, JsonLines(written)) = rec.into_parts();
    let written = String::from_utf8(written).unwrap();
    // The committed trace predates send times; every line written now carries one.
    let mut stripped = String::new();
    for line in written.lines() {
        let (head, rest) = line.split_once(r#","time_us":"#).expect("a send time");
        let tail = rest.trim_start_matches(|c: char| c.is_ascii_digit());
        stripped.push_str(head);
        stripped.push_str(tail);
        stripped.push('\n');
    }
    assert_eq!(stripped, expected);
}

#[test]
fn read_only_guard_passes_identification_and_sends_no_write() {
    let replay = replay();
    let guard = Guard::new(replay, Policy::ReadOnly);
    let mut rec = Recorder::new(guard, Vec::<TraceRecord>::new(), Payload::Omit);
    identify(&mut rec).unwrap();
    // A write attempted afterwards is refused by the guard and recorded as refused.
    let err = scsi::write_buffer(&mut rec, 6, 0, 0x1F_0000, &[0; 16]).unwrap_err();
    assert!(matches!(
        err,
        Error::Transport(TransportError::Refused { opcode: 0x3B, .. })
    ));
    let (guard, records) = rec.into_parts();
    assert_eq!(guard.peripheral_type(), Some(5));
    assert_eq!(guard.into_inner().remaining(), 0);
    let opcodes: Vec<u8> = records.iter().filter_map(TraceRecord::opcode).collect();
    assert_eq!(opcodes, [0x12, 0x12, 0x46, 0x46, 0x00, 0x5A, 0x3B]);
    let refused = records.last().unwrap();
    assert_eq!(
        refused.error.as_ref().map(|e| e.kind),
        Some(ErrorKind::Refused)
    );
    assert!(records.iter().all(|r| r.payload.is_none()));
}

#[test]
fn strict_bridge_trace_retries_inquiry_with_36_bytes() {
    // A bridge that fails the 96-byte INQUIRY with a host error, then answers 36 bytes.
    let trace = concat!(
        r#"{"cdb":"120000006000","direction":"in","requested":96,"host_status":7,"timeout_ms":10000,"error":{"kind":"host","message":"host adapter status 0x0007, driver status 0x0000"}}"#,
        "\n",
        r#"{"cdb":"120000002400","direction":"in","requested":36,"transferred":36,"payload":""#,
        "058005321f000000415341202020202044564452572d32344435542020202020312e3030",
        r#""}"#,
        "\n",
    );
    let mut t = Replay::from_reader(trace.as_bytes()).unwrap();
    let inq = scsi::read_inquiry(&mut t).unwrap();
    assert_eq!(
        (inq.vendor.as_str(), inq.product.as_str()),
        ("ASA", "DVDRW-24D5T")
    );
    assert_eq!(inq.revision, "1.00");
    assert_eq!(t.remaining(), 0);
}

#[test]
fn replay_refuses_a_sequence_that_differs_from_the_trace() {
    let mut t = replay();
    // Skipping INQUIRY: the first command sent is TEST UNIT READY.
    let err = scsi::read_readiness(&mut t).unwrap_err();
    let Error::Transport(TransportError::Replay(why)) = err else {
        panic!("expected a replay mismatch, got {err:?}");
    };
    assert!(
        why.contains("expected CDB 120000006000, got 000000000000"),
        "{why}"
    );
}
