//! Command traces: [`Recorder`] wraps any [`Transport`] and records one [`TraceRecord`] per
//! command into a [`Sink`]: a JSON-lines file ([`JsonLines`], what `--trace FILE` writes) or a
//! `Vec<TraceRecord>` in memory (what tests assert on: "zero WRITE BUFFER commands were sent").
//! `replay.rs` reads the same records back.
//!
//! The recorder only observes: it never changes, drops or adds a command, and a failure to
//! write the trace never fails the command (it is logged and kept for [`Recorder::write_error`]).
//!
//! One line of the JSON-lines format (fields in this order; `sense`/`sense_text` only with
//! sense bytes, `time_us` (the send time) absent from traces written before it was recorded,
//! `error` only for transport errors, `payload` only with [`Payload::Record`]):
//!
//! ```json
//! {"cdb":"000000000000","direction":"none","requested":0,"transferred":0,"status":2,
//!  "host_status":0,"driver_status":0,"sense":"700002000000000a000000003a0000000000",
//!  "sense_text":"NOT READY (02/3A/00): medium not present","duration_us":812,"timeout_ms":10000,
//!  "time_us":1764643501123456}
//! ```

use std::io::{self, Write};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::{Data, Direction, Error, Outcome, Sense, Transport, TransportError};

/// Largest trace file read back (`replay:FILE`): generous, a payload trace of a whole flash,
/// backup and verify (about 12 MiB of hex) fits many times over.
pub const MAX_TRACE_BYTES: usize = 256 << 20;

/// Whether data-phase bytes go into the trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payload {
    /// Record commands only: no device data in the trace (the default for `--trace`).
    Omit,
    /// Also record the bytes moved (`--trace-payload`): needed to replay data-in commands.
    Record,
}

/// One executed command, as written to and read from a trace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceRecord {
    /// The CDB, lowercase hex without spaces.
    #[serde(with = "super::hex::bytes")]
    pub cdb: Vec<u8>,
    /// Direction of the data phase.
    pub direction: Direction,
    /// Bytes requested in the data phase (the allocation or parameter list length).
    pub requested: usize,
    /// Bytes actually moved (0 for transport errors).
    #[serde(default)]
    pub transferred: usize,
    /// SCSI status byte (0 for transport errors, which have no status).
    #[serde(default)]
    pub status: u8,
    /// Host adapter status (Linux `DID_*`).
    #[serde(default)]
    pub host_status: u16,
    /// Driver status (Linux `DRIVER_*`).
    #[serde(default)]
    pub driver_status: u16,
    /// Sense bytes, lowercase hex; omitted when there are none.
    #[serde(
        default,
        with = "super::hex::bytes",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub sense: Vec<u8>,
    /// The sense decoded for humans; written for reading only, ignored by replay.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sense_text: Option<String>,
    /// How long the command took, in microseconds.
    #[serde(default)]
    pub duration_us: u64,
    /// The timeout the command was sent with, in milliseconds.
    #[serde(default)]
    pub timeout_ms: u64,
    /// When the command was sent: microseconds since the UNIX epoch (UTC). Absent in traces
    /// written before odflash recorded it; replay ignores it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_us: Option<u64>,
    /// The transport error, when the command did not complete.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<TraceError>,
    /// Data-phase bytes in lowercase hex (data in: the bytes that arrived; data out: the bytes
    /// sent), only when recorded with [`Payload::Record`].
    #[serde(
        default,
        with = "super::hex::opt_bytes",
        skip_serializing_if = "Option::is_none"
    )]
    pub payload: Option<Vec<u8>>,
}

/// A transport error in a trace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceError {
    /// Which error.
    pub kind: ErrorKind,
    /// Its detail: the reason, message or hint the error carried.
    pub message: String,
}

/// The kinds of [`TransportError`], as written in traces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorKind {
    /// [`TransportError::Timeout`] (the timeout is the trace line's `timeout_ms`).
    Timeout,
    /// [`TransportError::Gone`].
    Gone,
    /// [`TransportError::Host`] (statuses in `host_status`/`driver_status`).
    Host,
    /// [`TransportError::Refused`] (the opcode is the CDB's first byte).
    Refused,
    /// [`TransportError::PermissionDenied`].
    PermissionDenied,
    /// [`TransportError::Io`].
    Io,
    /// [`TransportError::Replay`].
    Replay,
}

impl TraceError {
    /// The kind and detail of `e`.
    fn new(e: &TransportError) -> TraceError {
        let (kind, message) = match e {
            TransportError::Timeout(_) => (ErrorKind::Timeout, e.to_string()),
            TransportError::Gone(why) => (ErrorKind::Gone, why.clone()),
            TransportError::Host { .. } => (ErrorKind::Host, e.to_string()),
            TransportError::Refused { reason, .. } => (ErrorKind::Refused, reason.clone()),
            TransportError::PermissionDenied { hint, .. } => {
                (ErrorKind::PermissionDenied, (*hint).to_owned())
            }
            TransportError::Io(io) => (ErrorKind::Io, io.to_string()),
            TransportError::Replay(why) => (ErrorKind::Replay, why.clone()),
        };
        TraceError { kind, message }
    }
}

impl TraceRecord {
    /// The record of one command: `result` is what the transport returned, `payload` the data
    /// bytes to keep (already filtered by [`Payload`]). The send time is the caller's to set.
    fn new(
        cdb: &[u8],
        direction: Direction,
        requested: usize,
        timeout: Duration,
        result: &Result<Outcome, TransportError>,
        elapsed: Duration,
        payload: Option<Vec<u8>>,
    ) -> TraceRecord {
        let mut record = TraceRecord {
            cdb: cdb.to_vec(),
            direction,
            requested,
            transferred: 0,
            status: 0,
            host_status: 0,
            driver_status: 0,
            sense: Vec::new(),
            sense_text: None,
            duration_us: micros(elapsed),
            timeout_ms: u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX),
            time_us: None,
            error: None,
            payload,
        };
        match result {
            Ok(o) => {
                record.transferred = o.transferred;
                record.status = o.status;
                record.host_status = o.host_status;
                record.driver_status = o.driver_status;
                record.duration_us = micros(o.duration);
                record.sense_text = (!o.sense.is_empty()).then(|| sense_text(&o.sense));
                record.sense = o.sense.clone();
            }
            Err(e) => {
                if let TransportError::Host {
                    host_status,
                    driver_status,
                } = e
                {
                    record.host_status = *host_status;
                    record.driver_status = *driver_status;
                }
                record.error = Some(TraceError::new(e));
            }
        }
        record
    }

    /// The opcode (CDB byte 0), when the CDB is not empty.
    pub fn opcode(&self) -> Option<u8> {
        self.cdb.first().copied()
    }
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

pub(crate) fn sense_text(raw: &[u8]) -> String {
    Sense::parse(raw).map_or_else(|| "unparseable sense data".to_owned(), |s| s.to_string())
}

/// Parse a JSON-lines trace: one [`TraceRecord`] per non-blank line.
pub fn parse_trace(text: &str) -> Result<Vec<TraceRecord>, Error> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| {
            serde_json::from_str(line).map_err(|e| Error::Malformed {
                what: "trace",
                detail: format!("line {}: {e}", i + 1),
            })
        })
        .collect()
}

/// Where a [`Recorder`] puts its records.
pub trait Sink {
    /// Keep one record.
    fn write_record(&mut self, record: &TraceRecord) -> io::Result<()>;
}

/// In memory: every record, for tests and for callers that inspect the commands sent.
impl Sink for Vec<TraceRecord> {
    fn write_record(&mut self, record: &TraceRecord) -> io::Result<()> {
        self.push(record.clone());
        Ok(())
    }
}

/// JSON lines on any writer (a trace file): one record per line, flushed after each line so
/// a trace survives a crash or a pulled cable up to the last command.
#[derive(Debug)]
pub struct JsonLines<W: Write>(pub W);

impl<W: Write> Sink for JsonLines<W> {
    fn write_record(&mut self, record: &TraceRecord) -> io::Result<()> {
        let mut line = serde_json::to_vec(record)?;
        line.push(b'\n');
        self.0.write_all(&line)?;
        self.0.flush()
    }
}

/// A transport wrapper that records every command passing through it.
#[derive(Debug)]
pub struct Recorder<T: Transport, S: Sink> {
    inner: T,
    sink: S,
    payload: Payload,
    write_error: Option<io::Error>,
}

impl<T: Transport, S: Sink> Recorder<T, S> {
    /// Record the commands sent through `inner` into `sink`.
    pub fn new(inner: T, sink: S, payload: Payload) -> Self {
        Recorder {
            inner,
            sink,
            payload,
            write_error: None,
        }
    }

    /// The records so far (for a `Vec<TraceRecord>` sink) or the writer.
    pub fn sink(&self) -> &S {
        &self.sink
    }

    /// The wrapped transport.
    pub fn inner(&self) -> &T {
        &self.inner
    }

    /// The first error met writing the trace, if any (later records were still attempted).
    pub fn write_error(&self) -> Option<&io::Error> {
        self.write_error.as_ref()
    }

    /// The wrapped transport and the sink.
    pub fn into_parts(self) -> (T, S) {
        (self.inner, self.sink)
    }

    fn keep(&mut self, record: &TraceRecord) {
        if let Err(e) = self.sink.write_record(record) {
            if self.write_error.is_none() {
                log::warn!("cannot write the command trace: {e}");
                self.write_error = Some(e);
            }
        }
    }
}

impl<T: Transport, S: Sink> Transport for Recorder<T, S> {
    fn execute(
        &mut self,
        cdb: &[u8],
        data: Data<'_>,
        timeout: Duration,
    ) -> Result<Outcome, TransportError> {
        let direction = data.direction();
        let requested = data.len();
        let record_payload = self.payload == Payload::Record;
        let sent = SystemTime::now();
        let start = Instant::now();
        let (result, payload) = match data {
            Data::In(buf) => {
                let result = self.inner.execute(cdb, Data::In(&mut *buf), timeout);
                let payload = match &result {
                    Ok(o) if record_payload => Some(buf[..o.transferred.min(buf.len())].to_vec()),
                    _ => None,
                };
                (result, payload)
            }
            Data::Out(bytes) => (
                self.inner.execute(cdb, Data::Out(bytes), timeout),
                record_payload.then(|| bytes.to_vec()),
            ),
            Data::None => (self.inner.execute(cdb, Data::None, timeout), None),
        };
        let mut record = TraceRecord::new(
            cdb,
            direction,
            requested,
            timeout,
            &result,
            start.elapsed(),
            payload,
        );
        // A clock set before 1970 records no time rather than a wrong one.
        record.time_us = sent.duration_since(UNIX_EPOCH).ok().map(micros);
        self.keep(&record);
        result
    }

    fn max_transfer(&self) -> Option<super::TransferLimit> {
        self.inner.max_transfer()
    }

    fn pause(&mut self, duration: Duration) {
        self.inner.pause(duration)
    }

    fn describe(&self) -> String {
        self.inner.describe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replay::Replay;
    use crate::{cdb, status, SenseKey};

    const TUR_NO_MEDIUM: &str = r#"{"cdb":"000000000000","direction":"none","requested":0,"transferred":0,"status":2,"host_status":0,"driver_status":0,"sense":"700002000000000a000000003a0000000000","sense_text":"NOT READY (02/3A/00): medium not present","duration_us":812,"timeout_ms":10000}"#;

    fn inquiry_record() -> TraceRecord {
        let mut reply = vec![0u8; 36];
        reply[..5].copy_from_slice(&[0x05, 0x80, 0x05, 0x32, 31]);
        TraceRecord {
            cdb: cdb::build_inquiry(96).to_vec(),
            direction: Direction::In,
            requested: 96,
            transferred: 36,
            status: status::GOOD,
            host_status: 0,
            driver_status: 0,
            sense: Vec::new(),
            sense_text: None,
            duration_us: 250,
            timeout_ms: 10_000,
            time_us: None,
            error: None,
            payload: Some(reply),
        }
    }

    #[test]
    fn documented_line_round_trips_exactly() {
        let records = parse_trace(TUR_NO_MEDIUM).unwrap();
        assert_eq!(records.len(), 1);
        let r = &records[0];
        assert_eq!(r.opcode(), Some(0x00));
        assert_eq!(r.status, status::CHECK_CONDITION);
        assert_eq!(Sense::parse(&r.sense).unwrap().key, SenseKey::NotReady);
        assert_eq!(serde_json::to_string(r).unwrap(), TUR_NO_MEDIUM);
    }

    #[test]
    fn minimal_hand_written_lines_parse_with_defaults() {
        let text = "\n{\"cdb\":\"000000000000\",\"direction\":\"none\",\"requested\":0}\n\n";
        let r = &parse_trace(text).unwrap()[0];
        assert_eq!((r.status, r.transferred, r.duration_us), (0, 0, 0));
        assert_eq!((r.error.as_ref(), r.payload.as_ref()), (None, None));
    }

    #[test]
    fn bad_lines_name_their_line_number() {
        let text =
            format!("{TUR_NO_MEDIUM}\n{{\"cdb\":\"zz\",\"direction\":\"none\",\"requested\":0}}");
        match parse_trace(&text) {
            Err(Error::Malformed {
                what: "trace",
                detail,
            }) => {
                assert!(detail.starts_with("line 2:"), "{detail}")
            }
            other => panic!("expected a malformed trace, got {other:?}"),
        }
    }

    fn record_through(records: Vec<TraceRecord>, payload: Payload) -> Vec<TraceRecord> {
        let mut rec = Recorder::new(Replay::new(records, "t"), Vec::new(), payload);
        let mut buf = [0u8; 96];
        rec.execute(
            &cdb::build_inquiry(96),
            Data::In(&mut buf),
            crate::TIMEOUT_IDENTIFY,
        )
        .unwrap();
        assert_eq!(buf[4], 31, "a Recorder passes the reply through");
        rec.into_parts().1
    }

    #[test]
    fn payload_is_recorded_only_when_asked() {
        let mut with = record_through(vec![inquiry_record()], Payload::Record);
        // Each record carries the time it was sent.
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
        let sent = with[0].time_us.take().expect("a send time");
        assert!(now.as_micros() - u128::from(sent) < 60_000_000, "{sent}");
        assert_eq!(with, [inquiry_record()]);
        let without = record_through(vec![inquiry_record()], Payload::Omit);
        assert_eq!(without[0].payload, None);
        assert_eq!(without[0].transferred, 36);
        let line = serde_json::to_string(&without[0]).unwrap();
        assert!(
            !line.contains("payload") && !line.contains("sense"),
            "{line}"
        );
        assert!(line.starts_with(
            r#"{"cdb":"120000006000","direction":"in","requested":96,"transferred":36,"status":0,"#
        ));
    }

    #[test]
    fn data_out_payload_and_transport_errors_are_recorded() {
        let wb = cdb::build_write_buffer(6, 0, 0, 2);
        let recorded = vec![
            TraceRecord {
                cdb: wb.to_vec(),
                direction: Direction::Out,
                requested: 2,
                transferred: 2,
                payload: Some(vec![0xAB, 0xCD]),
                ..inquiry_record()
            },
            TraceRecord {
                cdb: wb.to_vec(),
                direction: Direction::Out,
                requested: 2,
                transferred: 0,
                error: Some(TraceError {
                    kind: ErrorKind::Timeout,
                    message: "command timed out after 30s".into(),
                }),
                timeout_ms: 30_000,
                payload: None,
                ..inquiry_record()
            },
        ];
        let mut rec = Recorder::new(Replay::new(recorded, "t"), Vec::new(), Payload::Record);
        let timeout = crate::TIMEOUT_FLASH;
        rec.execute(&wb, Data::Out(&[0xAB, 0xCD]), timeout).unwrap();
        let err = rec
            .execute(&wb, Data::Out(&[0xAB, 0xCD]), timeout)
            .unwrap_err();
        assert!(matches!(err, TransportError::Timeout(d) if d == timeout));
        let records = rec.sink();
        assert_eq!(records[0].payload.as_deref(), Some(&[0xAB, 0xCD][..]));
        let e = records[1].error.as_ref().unwrap();
        assert_eq!(e.kind, ErrorKind::Timeout);
        assert_eq!(records[1].timeout_ms, 30_000);
        assert_eq!(records[1].payload.as_deref(), Some(&[0xAB, 0xCD][..]));
        let json = serde_json::to_value(&records[1]).unwrap();
        assert_eq!(json["error"]["kind"], "timeout");
        assert_eq!(
            records.iter().filter(|r| r.opcode() == Some(0x3B)).count(),
            2
        );
    }

    #[test]
    fn host_error_keeps_statuses_and_kinds_are_kebab_case() {
        let e = TransportError::Host {
            host_status: 0x0007,
            driver_status: 0x0008,
        };
        let r = TraceRecord::new(
            &[0x00; 6],
            Direction::None,
            0,
            Duration::from_secs(1),
            &Err(e),
            Duration::from_micros(5),
            None,
        );
        assert_eq!((r.host_status, r.driver_status), (7, 8));
        assert_eq!(r.duration_us, 5);
        let denied = TraceError::new(&TransportError::PermissionDenied {
            opcode: 0x3B,
            hint: "run as root",
        });
        assert_eq!(
            serde_json::to_value(&denied).unwrap()["kind"],
            "permission-denied"
        );
        assert_eq!(denied.message, "run as root");
    }

    #[test]
    fn json_lines_sink_writes_one_flushed_line_per_command() {
        let mut rec = Recorder::new(
            Replay::new(vec![inquiry_record(), inquiry_record()], "t"),
            JsonLines(Vec::new()),
            Payload::Omit,
        );
        for _ in 0..2 {
            let mut buf = [0u8; 96];
            rec.execute(
                &cdb::build_inquiry(96),
                Data::In(&mut buf),
                Duration::from_secs(1),
            )
            .unwrap();
        }
        let (_, JsonLines(bytes)) = rec.into_parts();
        let text = String::from_utf8(bytes).unwrap();
        assert_eq!(text.lines().count(), 2);
        assert!(text.ends_with('\n'));
        assert_eq!(parse_trace(&text).unwrap()[1].transferred, 36);
    }

    /// A sink that always fails, to show a trace failure never fails the command.
    struct Broken;

    impl Sink for Broken {
        fn write_record(&mut self, _: &TraceRecord) -> io::Result<()> {
            Err(io::Error::other("disk full"))
        }
    }

    #[test]
    fn sink_failure_does_not_fail_the_command() {
        let mut rec = Recorder::new(
            Replay::new(vec![inquiry_record()], "t"),
            Broken,
            Payload::Omit,
        );
        let mut buf = [0u8; 96];
        rec.execute(
            &cdb::build_inquiry(96),
            Data::In(&mut buf),
            Duration::from_secs(1),
        )
        .unwrap();
        assert_eq!(
            rec.write_error().map(|e| e.to_string()).as_deref(),
            Some("disk full")
        );
        assert_eq!(rec.inner().remaining(), 0);
    }
}
