//! USB captures (`odflash trace import`): `scsi::capture::import` on usbmon text, pcap and
//! pcapng bytes, then the imported records written and parsed back as a trace.
//!
//! Properties: no panic on any input; an import names a device; every record it yields
//! survives the JSON-lines round trip; a record's payload is never longer than its data phase
//! asked for.

use super::encode_trace;
use odflash::scsi::capture::import;
use odflash::scsi::trace::parse_trace;

/// One input of the `capture` target.
pub fn run(raw: &[u8]) {
    let Ok(imported) = import(raw, None) else {
        return;
    };
    for r in &imported.records {
        if let Some(p) = &r.payload {
            assert!(p.len() <= r.requested, "payload beyond the request: {r:?}");
        }
    }
    let again = parse_trace(&encode_trace(&imported.records)).expect("an import is a trace");
    assert_eq!(again, imported.records);
}
