//! [`Replay`]: a transport that serves a recorded trace (see `trace.rs` for the format), so
//! identification and workflows can be tested against what a real drive once answered.
//!
//! Replay is strict: commands must arrive in the recorded order with the recorded CDB,
//! direction and length; data-in replies need their payload in the trace; data-out bytes are
//! compared when the trace holds them. Anything else is [`TransportError::Replay`]: a replay
//! never invents a reply.

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
            return Err(self.mismatch(format!("trace exhausted, got CDB {}", hex::encode(cdb))));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scsi::cdb;
    use crate::scsi::trace::TraceError;

    const TRACE: &str = concat!(
        r#"{"cdb":"120000002400","direction":"in","requested":36,"transferred":4,"status":0,"payload":"05800532"}"#,
        "\n",
        r#"{"cdb":"000000000000","direction":"none","requested":0,"status":2,"sense":"700006000000000a00000000290000000000"}"#,
    );

    fn replay() -> Replay {
        Replay::from_reader(TRACE.as_bytes()).unwrap()
    }

    fn replay_error(r: Result<Outcome, TransportError>) -> String {
        match r {
            Err(TransportError::Replay(why)) => why,
            other => panic!("expected a replay error, got {other:?}"),
        }
    }

    #[test]
    fn serves_records_in_order() {
        let mut t = replay();
        assert_eq!(t.remaining(), 2);
        assert_eq!(t.describe(), "replay:trace");
        let mut buf = [0xEEu8; 36];
        let o = t
            .execute(
                &cdb::build_inquiry(36),
                Data::In(&mut buf),
                Duration::from_secs(1),
            )
            .unwrap();
        assert_eq!(o.transferred, 4);
        assert_eq!(&buf[..5], &[0x05, 0x80, 0x05, 0x32, 0xEE]);
        let o = t
            .execute(
                &cdb::build_test_unit_ready(),
                Data::None,
                Duration::from_secs(1),
            )
            .unwrap();
        assert_eq!(o.status, 2);
        assert_eq!(o.sense[2], 0x06);
        assert_eq!(t.remaining(), 0);
        let why = replay_error(t.execute(&[0; 6], Data::None, Duration::from_secs(1)));
        assert!(
            why.contains("trace exhausted, got CDB 000000000000"),
            "{why}"
        );
    }

    #[test]
    fn a_different_cdb_names_expected_and_got() {
        let mut t = replay();
        let mut buf = [0u8; 96];
        let why = replay_error(t.execute(
            &cdb::build_inquiry(96),
            Data::In(&mut buf),
            Duration::from_secs(1),
        ));
        assert_eq!(
            why,
            "trace command 1: expected CDB 120000002400, got 120000006000"
        );
        assert_eq!(t.remaining(), 2, "a mismatch does not consume the record");
    }

    #[test]
    fn direction_or_length_must_match() {
        let mut t = replay();
        let why =
            replay_error(t.execute(&cdb::build_inquiry(36), Data::None, Duration::from_secs(1)));
        assert!(
            why.contains("expected In 36 bytes, got None 0 bytes"),
            "{why}"
        );
    }

    #[test]
    fn invalid_hex_is_a_malformed_trace() {
        let spaced = r#"{"cdb":"3b06000000 0000000200","direction":"out","requested":2}"#;
        assert!(matches!(
            Replay::from_reader(spaced.as_bytes()),
            Err(Error::Malformed { what: "trace", .. })
        ));
    }

    fn record(direction: Direction, requested: usize) -> TraceRecord {
        let mut r = parse_trace(TRACE.lines().next().unwrap())
            .unwrap()
            .remove(0);
        r.direction = direction;
        r.requested = requested;
        r
    }

    #[test]
    fn data_in_needs_its_payload() {
        let mut r = record(Direction::In, 36);
        r.payload = None;
        let mut t = Replay::new(vec![r], "t");
        let mut buf = [0u8; 36];
        let why = replay_error(t.execute(
            &cdb::build_inquiry(36),
            Data::In(&mut buf),
            Duration::from_secs(1),
        ));
        assert!(why.contains("no payload"), "{why}");
    }

    #[test]
    fn data_out_bytes_are_compared() {
        let wb = cdb::build_write_buffer(6, 0, 0, 2);
        let mut r = record(Direction::Out, 2);
        r.cdb = wb.to_vec();
        r.payload = Some(vec![1, 2]);
        let mut t = Replay::new(vec![r.clone(), r], "t");
        t.execute(&wb, Data::Out(&[1, 2]), Duration::from_secs(1))
            .unwrap();
        let why = replay_error(t.execute(&wb, Data::Out(&[1, 3]), Duration::from_secs(1)));
        assert!(why.contains("data-out bytes differ"), "{why}");
    }

    #[test]
    fn transport_errors_are_replayed() {
        let tur = cdb::build_test_unit_ready();
        let kinds = [
            ErrorKind::Timeout,
            ErrorKind::Gone,
            ErrorKind::Host,
            ErrorKind::Refused,
            ErrorKind::PermissionDenied,
            ErrorKind::Io,
            ErrorKind::Replay,
        ];
        let records = kinds
            .iter()
            .map(|&kind| TraceRecord {
                cdb: tur.to_vec(),
                direction: Direction::None,
                requested: 0,
                transferred: 0,
                host_status: 7,
                timeout_ms: 1500,
                error: Some(TraceError {
                    kind,
                    message: "unplugged".into(),
                }),
                payload: None,
                ..record(Direction::None, 0)
            })
            .collect();
        let mut t = Replay::new(records, "t");
        let mut next = || {
            t.execute(&tur, Data::None, Duration::from_secs(1))
                .unwrap_err()
        };
        assert!(matches!(next(), TransportError::Timeout(d) if d == Duration::from_millis(1500)));
        assert!(matches!(next(), TransportError::Gone(why) if why == "unplugged"));
        assert!(matches!(
            next(),
            TransportError::Host { host_status: 7, .. }
        ));
        assert!(
            matches!(next(), TransportError::Refused { opcode: 0, reason } if reason == "unplugged")
        );
        assert!(matches!(
            next(),
            TransportError::PermissionDenied { opcode: 0, .. }
        ));
        assert!(matches!(next(), TransportError::Io(e) if e.to_string() == "unplugged"));
        assert!(matches!(next(), TransportError::Replay(why) if why == "unplugged"));
    }
}
