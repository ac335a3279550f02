//! Trace files (`--trace` output, which a user may feed back as a `replay:` device):
//! `trace::parse_trace`, then the replay transport serving the parsed records to the same
//! read-only probe `odflash info` runs.
//!
//! Properties: no panic, in the parser or in anything that consumes a replayed trace; records
//! written back as JSON lines parse back equal.

use super::encode_trace;
use odflash::ops::probe::{probe, Depth};
use odflash::scsi::replay::Replay;
use odflash::scsi::trace::parse_trace;

/// One input of the `trace` target.
pub fn run(raw: &[u8]) {
    let Ok(text) = std::str::from_utf8(raw) else {
        return;
    };
    let Ok(records) = parse_trace(text) else {
        return;
    };
    let again = parse_trace(&encode_trace(&records)).expect("a written trace parses");
    assert_eq!(again, records);
    let mut replay = Replay::new(records, "fuzz");
    let _ = probe(&mut replay, Depth::Full);
    assert!(replay.remaining() <= again.len());
}
