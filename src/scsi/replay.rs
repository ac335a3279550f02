//! [`Replay`]: a transport that serves a recorded trace (see `trace.rs` for the format), so
//! identification and workflows can be tested against what a real drive once answered.
//!
//! Replay is strict: commands must arrive in the recorded order with the recorded CDB,
//! direction and length; data-in replies need their payload in the trace; data-out bytes are
//! compared when the trace holds them. Anything else is [`TransportError::Replay`]: a replay
//! never invents a reply.

use std::path::Path;
use std::time::Duration;

use super::trace::{parse_trace, ErrorKind, TraceRecord};
use super::{Data, Direction, Error, Outcome, Transport, TransportError};

/// Hint given for a replayed permission error ([`TransportError::PermissionDenied`] carries a
/// static hint; the trace's own text is in the record).
const REPLAYED_PERMISSION_HINT: &str = "permission denied (replayed from a trace)";

/// A transport answering from recorded [`TraceRecord`]s, in order.
#[derive(Debug)]
pub struct Replay {
    records: Vec<TraceRecord>,
    next: usize,
    source: String,
}

impl Replay {
    /// Replay `records`; `source` names them in [`Transport::describe`] and errors.
    pub fn new(records: Vec<TraceRecord>, source: impl Into<String>) -> Replay {
        Replay {
            records,
            next: 0,
            source: source.into(),
        }
    }

    /// Replay the JSON-lines trace read from `reader`.
    pub fn from_reader(mut reader: impl std::io::Read) -> Result<Replay, Error> {
        let mut text = String::new();
        reader
            .read_to_string(&mut text)
            .map_err(TransportError::Io)?;
        Ok(Replay::new(parse_trace(&text)?, "trace"))
    }

    /// Replay the JSON-lines trace file at `path`.
    pub fn from_path(path: &Path) -> Result<Replay, Error> {
        let text = std::fs::read_to_string(path).map_err(TransportError::Io)?;
        Ok(Replay::new(parse_trace(&text)?, path.display().to_string()))
    }

    /// Records not yet replayed (0 when the whole trace was used).
    pub fn remaining(&self) -> usize {
        self.records.len() - self.next
    }

    fn mismatch(&self, what: String) -> TransportError {
        TransportError::Replay(format!("{} command {}: {what}", self.source, self.next + 1))
    }

    /// The next record, if it matches the command being executed.
    fn expect(
        &self,
        cdb: &[u8],
        direction: Direction,
        len: usize,
    ) -> Result<&TraceRecord, TransportError> {
        let Some(record) = self.records.get(self.next) else {
            return Err(self.mismatch(format!(
                "trace exhausted, got CDB {}",
                hex::encode(cdb)
            )));
        };
        if record.cdb != cdb {
            return Err(self.mismatch(format!(
                "expected CDB {}, got {}",
                hex::encode(&record.cdb),
                hex::encode(cdb)
            )));
        }
        if record.direction != direction || record.requested != len {
            return Err(self.mismatch(format!(
                "expected {:?} {} bytes, got {direction:?} {len} bytes",
                record.direction, record.requested
            )));
        }
        Ok(record)
    }
}

/// The transport error a trace recorded.
fn replayed_error(record: &TraceRecord, kind: ErrorKind, message: &str) -> TransportError {
    match kind {
        ErrorKind::Timeout => TransportError::Timeout(Duration::from_millis(record.timeout_ms)),
        ErrorKind::Gone => TransportError::Gone(message.to_owned()),
        ErrorKind::Host => TransportError::Host {
            host_status: record.host_status,
            driver_status: record.driver_status,
        },
        ErrorKind::Refused => TransportError::Refused {
            opcode: record.opcode().unwrap_or_default(),
            reason: message.to_owned(),
        },
        ErrorKind::PermissionDenied => TransportError::PermissionDenied {
            opcode: record.opcode().unwrap_or_default(),
            hint: REPLAYED_PERMISSION_HINT,
        },
        ErrorKind::Io => TransportError::Io(std::io::Error::other(message.to_owned())),
        ErrorKind::Replay => TransportError::Replay(message.to_owned()),
    }
}

impl Transport for Replay {
    fn execute(
        &mut self,
        cdb: &[u8],
        data: Data<'_>,
        _timeout: Duration,
    ) -> Result<Outcome, TransportError> {
        let record = self.expect(cdb, data.direction(), data.len())?;
        if let Some(e) = &record.error {
            let err = replayed_error(record, e.kind, &e.message);
            self.next += 1;
            return Err(err);
        }
        match data {
            Data::In(buf) if record.transferred > 0 => {
                let Some(payload) = &record.payload else {
                    return Err(self.mismatch(
                        "data-in record has no payload (record the trace with payloads)".into(),
                    ));
                };
                if payload.len() < record.transferred || record.transferred > buf.len() {
                    return Err(self.mismatch(format!(
                        "payload of {} bytes cannot fill {} transferred into {}",
                        payload.len(),
                        record.transferred,
                        buf.len()
                    )));
                }
                buf[..record.transferred].copy_from_slice(&payload[..record.transferred]);
            }
            Data::Out(bytes) => {
                if record.payload.as_deref().is_some_and(|p| p != bytes) {
                    return Err(self.mismatch("data-out bytes differ from the trace".into()));
                }
            }
            Data::In(_) | Data::None => {}
        }
        let outcome = Outcome {
            status: record.status,
            host_status: record.host_status,
            driver_status: record.driver_status,
            transferred: record.transferred,
            sense: record.sense.clone(),
            duration: Duration::from_micros(record.duration_us),
        };
        self.next += 1;
        Ok(outcome)
    }

    /// A replay does not wait: polling loops run instantly.
    fn pause(&mut self, _duration: Duration) {}

    fn describe(&self) -> String {
        format!("replay:{}", self.source)
    }
}
