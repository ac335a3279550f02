//! [`Replay`]: a transport that serves recorded answers, so identification and workflows can be
//! tested against what a real drive once answered. Two kinds of file are served:
//!
//! - **A trace** (the JSON-lines format of `trace.rs`, what `--trace-payload` writes): strict.
//!   Commands must arrive in the trace's order with the traced CDB, direction and length;
//!   data-in replies need their payload in the trace; data-out bytes are compared when the trace
//!   holds them.
//! - **A reply table**: what a real drive answered to each command, without an order, for
//!   public captures that hold replies but not the sequence of a run (a `freemkv info --share`
//!   profile, a USB log). One JSON object per line:
//!
//!   ```json
//!   {"match":"4602010c","payload":"00000018...","source":"where these bytes were published"}
//!   {"match":"00","sense":"70000200000000 0a...","source":"..."}
//!   {"match":"3c06","unknown":"no public capture holds this reply","source":"..."}
//!   ```
//!
//!   `match` is a hex CDB prefix; the longest prefix matching a command answers it. `payload`
//!   is a GOOD reply, served cut to the command's allocation length as a drive does; with `len`
//!   the payload is only the first bytes of a `len`-byte reply (a capture cut short), served
//!   only to a command that asks no more than it holds. `sense` is a CHECK CONDITION with those
//!   sense bytes; `unknown` marks a reply the source does not hold. Every line names its
//!   `source`. A table answers no data-out command.
//!
//! Anything the file does not answer (a command out of order, a command no table line matches,
//! an `unknown` line) is [`TransportError::Replay`]: a replay never invents a reply.

use std::time::Duration;

use serde::Deserialize;

use super::trace::{parse_trace, ErrorKind, TraceRecord};
use super::{Data, Direction, Error, Outcome, TransferLimit, Transport, TransportError};

/// Hint given for a replayed permission error ([`TransportError::PermissionDenied`] carries a
/// static hint; the trace's own text is in the trace line).
const REPLAYED_PERMISSION_HINT: &str = "permission denied (replayed from a trace)";

/// What a reply table answers to the commands one line matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TableReply {
    /// GOOD with these data-in bytes (cut to the allocation length when served).
    Good(Vec<u8>),
    /// GOOD with a reply of `len` bytes of which the source holds only the first ones: served
    /// to a command asking no more than `start` holds, an error otherwise.
    Partial {
        /// The bytes the source holds.
        start: Vec<u8>,
        /// The length of the whole reply.
        len: usize,
    },
    /// CHECK CONDITION with these sense bytes.
    Check(Vec<u8>),
    /// The source does not hold this reply: serving it is an error naming why.
    Unknown(String),
}

/// One line of a reply table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableEntry {
    /// The CDB prefix this line answers.
    pub prefix: Vec<u8>,
    /// The answer.
    pub reply: TableReply,
    /// Where the answer was published.
    pub source: String,
}

/// A table line as written; [`parse_table`] checks it into a [`TableEntry`].
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TableLine {
    #[serde(rename = "match", with = "super::hex::bytes")]
    prefix: Vec<u8>,
    #[serde(default, with = "super::hex::opt_bytes")]
    payload: Option<Vec<u8>>,
    #[serde(default, with = "super::hex::opt_bytes")]
    sense: Option<Vec<u8>>,
    #[serde(default)]
    len: Option<usize>,
    #[serde(default)]
    unknown: Option<String>,
    source: String,
}

impl TableLine {
    fn check(self) -> Result<TableEntry, String> {
        if self.prefix.is_empty() {
            return Err("an empty match answers every command".into());
        }
        if self.source.trim().is_empty() {
            return Err("no source".into());
        }
        let reply = match (self.payload, self.sense, self.unknown) {
            (Some(bytes), None, None) => match self.len {
                None => TableReply::Good(bytes),
                Some(len) if len > bytes.len() => TableReply::Partial { start: bytes, len },
                Some(len) => {
                    return Err(format!(
                        "len {len} is not longer than the {} payload bytes",
                        bytes.len()
                    ))
                }
            },
            (None, Some(sense), None) if !sense.is_empty() && self.len.is_none() => {
                TableReply::Check(sense)
            }
            (None, None, Some(why)) if !why.trim().is_empty() && self.len.is_none() => {
                TableReply::Unknown(why)
            }
            _ => {
                return Err(
                    "needs exactly one of payload (with an optional len), sense (non-empty) \
                     or unknown"
                        .into(),
                )
            }
        };
        Ok(TableEntry {
            prefix: self.prefix,
            reply,
            source: self.source,
        })
    }
}

/// Parse a reply table (see the module documentation); a malformed line, or two lines with
/// the same `match`, is [`Error::Malformed`] naming the line.
pub fn parse_table(text: &str) -> Result<Vec<TableEntry>, Error> {
    let malformed = |line: usize, detail: String| Error::Malformed {
        what: "reply table",
        detail: format!("line {line}: {detail}"),
    };
    let mut entries: Vec<TableEntry> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let parsed: TableLine =
            serde_json::from_str(line).map_err(|e| malformed(i + 1, e.to_string()))?;
        let entry = parsed.check().map_err(|why| malformed(i + 1, why))?;
        if entries.iter().any(|e| e.prefix == entry.prefix) {
            return Err(malformed(
                i + 1,
                format!("match {} given twice", hex::encode(&entry.prefix)),
            ));
        }
        entries.push(entry);
    }
    Ok(entries)
}

/// True when the first line of `text` is a reply-table line (it has a `match` key).
fn is_table(text: &str) -> bool {
    text.lines()
        .find(|line| !line.trim().is_empty())
        .and_then(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .is_some_and(|v| v.get("match").is_some())
}

/// What a [`Replay`] serves.
#[derive(Debug)]
enum Script {
    /// A trace, in order.
    Sequence {
        records: Vec<TraceRecord>,
        next: usize,
    },
    /// A reply table, with which lines were served.
    Table {
        entries: Vec<TableEntry>,
        served: Vec<bool>,
    },
}

/// A transport answering from a recorded trace (in order) or a reply table.
#[derive(Debug)]
pub struct Replay {
    script: Script,
    source: String,
}

impl Replay {
    /// Replay `records` in order; `source` names them in [`Transport::describe`] and errors.
    pub fn new(records: Vec<TraceRecord>, source: impl Into<String>) -> Replay {
        Replay {
            script: Script::Sequence { records, next: 0 },
            source: source.into(),
        }
    }

    /// Answer from the reply table `entries`; `source` names it.
    pub fn table(entries: Vec<TableEntry>, source: impl Into<String>) -> Replay {
        let served = vec![false; entries.len()];
        Replay {
            script: Script::Table { entries, served },
            source: source.into(),
        }
    }

    /// Replay `text` (named `source` in errors): a reply table when its first line has a
    /// `match` key, else a trace.
    pub fn from_text(text: &str, source: String) -> Result<Replay, Error> {
        if is_table(text) {
            Ok(Replay::table(parse_table(text)?, source))
        } else {
            Ok(Replay::new(parse_trace(text)?, source))
        }
    }

    /// Replay the JSON-lines trace or reply table read from `reader`.
    pub fn from_reader(mut reader: impl std::io::Read) -> Result<Replay, Error> {
        let mut text = String::new();
        reader
            .read_to_string(&mut text)
            .map_err(TransportError::Io)?;
        Replay::from_text(&text, "trace".into())
    }

    /// Trace records not yet replayed, or reply-table lines never served (0 when the whole
    /// file was used).
    pub fn remaining(&self) -> usize {
        match &self.script {
            Script::Sequence { records, next } => records.len() - next,
            Script::Table { served, .. } => served.iter().filter(|&&s| !s).count(),
        }
    }
}

/// A replay error naming the source and the command's position.
fn mismatch(source: &str, next: usize, what: String) -> TransportError {
    TransportError::Replay(format!("{source} command {}: {what}", next + 1))
}

/// The next record of a trace, if it matches the command being executed.
fn expect<'a>(
    source: &str,
    records: &'a [TraceRecord],
    next: usize,
    cdb: &[u8],
    direction: Direction,
    len: usize,
) -> Result<&'a TraceRecord, TransportError> {
    let Some(record) = records.get(next) else {
        return Err(mismatch(
            source,
            next,
            format!("trace exhausted, got CDB {}", hex::encode(cdb)),
        ));
    };
    if record.cdb != cdb {
        return Err(mismatch(
            source,
            next,
            format!(
                "expected CDB {}, got {}",
                hex::encode(&record.cdb),
                hex::encode(cdb)
            ),
        ));
    }
    if record.direction != direction || record.requested != len {
        return Err(mismatch(
            source,
            next,
            format!(
                "expected {:?} {} bytes, got {direction:?} {len} bytes",
                record.direction, record.requested
            ),
        ));
    }
    Ok(record)
}

/// Serve the next trace record for this command.
fn serve_record(
    source: &str,
    records: &[TraceRecord],
    next: &mut usize,
    cdb: &[u8],
    data: Data<'_>,
) -> Result<Outcome, TransportError> {
    let record = expect(source, records, *next, cdb, data.direction(), data.len())?;
    if let Some(e) = &record.error {
        let err = replayed_error(record, e.kind, &e.message);
        *next += 1;
        return Err(err);
    }
    match data {
        Data::In(buf) if record.transferred > 0 => {
            let Some(payload) = &record.payload else {
                return Err(mismatch(
                    source,
                    *next,
                    "data-in record has no payload (record the trace with payloads)".into(),
                ));
            };
            if payload.len() < record.transferred || record.transferred > buf.len() {
                return Err(mismatch(
                    source,
                    *next,
                    format!(
                        "payload of {} bytes cannot fill {} transferred into {}",
                        payload.len(),
                        record.transferred,
                        buf.len()
                    ),
                ));
            }
            buf[..record.transferred].copy_from_slice(&payload[..record.transferred]);
        }
        Data::Out(bytes) => {
            if record.payload.as_deref().is_some_and(|p| p != bytes) {
                return Err(mismatch(
                    source,
                    *next,
                    "data-out bytes differ from the trace".into(),
                ));
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
    *next += 1;
    Ok(outcome)
}

/// Answer a command from the reply table: the line with the longest matching prefix.
fn serve_table(
    source: &str,
    entries: &[TableEntry],
    served: &mut [bool],
    cdb: &[u8],
    data: Data<'_>,
) -> Result<Outcome, TransportError> {
    let cdb_hex = hex::encode(cdb);
    let Some((index, entry)) = entries
        .iter()
        .enumerate()
        .filter(|(_, e)| cdb.starts_with(&e.prefix))
        .max_by_key(|(_, e)| e.prefix.len())
    else {
        return Err(TransportError::Replay(format!(
            "{source}: no reply recorded for CDB {cdb_hex}"
        )));
    };
    let outcome = match (&entry.reply, data) {
        (TableReply::Unknown(why), _) => {
            return Err(TransportError::Replay(format!(
                "{source}: the reply to CDB {cdb_hex} is not recorded: {why}"
            )))
        }
        (_, Data::Out(_)) => {
            return Err(TransportError::Replay(format!(
                "{source}: a reply table answers no data-out command (CDB {cdb_hex})"
            )))
        }
        (TableReply::Good(bytes), Data::In(buf)) => {
            let n = bytes.len().min(buf.len());
            buf[..n].copy_from_slice(&bytes[..n]);
            Outcome::good(n, Duration::ZERO)
        }
        (TableReply::Partial { start, len }, Data::In(buf)) if buf.len() <= start.len() => {
            buf.copy_from_slice(&start[..buf.len()]);
            Outcome::good(buf.len(), Duration::ZERO)
        }
        (TableReply::Partial { start, len }, Data::In(buf)) => {
            return Err(TransportError::Replay(format!(
                "{source}: CDB {cdb_hex} asks {} bytes; the capture holds only {} of the {len} \
                 of its reply",
                buf.len(),
                start.len()
            )))
        }
        (TableReply::Good(_) | TableReply::Partial { .. }, Data::None) => {
            Outcome::good(0, Duration::ZERO)
        }
        (TableReply::Check(sense), _) => Outcome::check_condition(sense.clone(), 0, Duration::ZERO),
    };
    served[index] = true;
    Ok(outcome)
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
        match &mut self.script {
            Script::Sequence { records, next } => {
                serve_record(&self.source, records, next, cdb, data)
            }
            Script::Table { entries, served } => {
                serve_table(&self.source, entries, served, cdb, data)
            }
        }
    }

    /// A trace moved at most its largest data phase in one command on the path it was recorded
    /// on: known to pass, so readers size their commands as they did there (a path's limit,
    /// such as a USB bridge's, is not written in the trace). A reply table says nothing.
    fn max_transfer(&self) -> Option<TransferLimit> {
        match &self.script {
            Script::Sequence { records, .. } => records
                .iter()
                .map(|r| r.requested)
                .max()
                .filter(|&n| n > 0)
                .map(TransferLimit::known_to_pass),
            Script::Table { .. } => None,
        }
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
    use crate::cdb;
    use crate::trace::TraceError;

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
        assert_eq!(t.remaining(), 2, "a mismatch consumes no trace line");
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

    const TABLE: &str = concat!(
        r#"{"match":"12","payload":"0580003201020304","source":"test: any INQUIRY"}"#,
        "\n",
        r#"{"match":"120180","unknown":"no VPD page in the source","source":"test"}"#,
        "\n",
        r#"{"match":"00","sense":"700002000000000a000000003a020000","source":"test"}"#,
        "\n",
    );

    fn table() -> Replay {
        Replay::from_reader(TABLE.as_bytes()).unwrap()
    }

    #[test]
    fn table_serves_the_longest_prefix_cut_to_the_allocation() {
        let mut t = table();
        assert_eq!(t.remaining(), 3, "no line served yet");
        let mut buf = [0xEEu8; 5];
        let o = t
            .execute(
                &cdb::build_inquiry(5),
                Data::In(&mut buf),
                Duration::from_secs(1),
            )
            .unwrap();
        assert_eq!(o.transferred, 5);
        assert_eq!(buf, [0x05, 0x80, 0x00, 0x32, 0x01]);
        let mut long = [0xEEu8; 96];
        let o = t
            .execute(
                &cdb::build_inquiry(96),
                Data::In(&mut long),
                Duration::from_secs(1),
            )
            .unwrap();
        assert_eq!(
            o.transferred, 8,
            "a reply shorter than the allocation is a residual"
        );
        let o = t
            .execute(
                &cdb::build_test_unit_ready(),
                Data::None,
                Duration::from_secs(1),
            )
            .unwrap();
        assert_eq!(o.status, crate::status::CHECK_CONDITION);
        assert_eq!((o.sense[2], o.sense[12], o.sense[13]), (0x02, 0x3A, 0x02));
        assert_eq!(t.remaining(), 1, "only the unknown line was never served");
    }

    #[test]
    fn table_gaps_are_errors_naming_the_cdb() {
        let mut t = table();
        let mut buf = [0u8; 64];
        let why = replay_error(t.execute(
            &cdb::build_inquiry_vpd(0x80, 64),
            Data::In(&mut buf),
            Duration::from_secs(1),
        ));
        assert!(
            why.contains("CDB 120180004000 is not recorded: no VPD page in the source"),
            "{why}"
        );
        let why = replay_error(t.execute(
            &cdb::build_read_buffer(6, 0, 0x3000, 0x20),
            Data::In(&mut buf[..0x20]),
            Duration::from_secs(1),
        ));
        assert!(why.contains("no reply recorded for CDB 3c06"), "{why}");
    }

    #[test]
    fn a_partial_capture_serves_only_what_it_holds() {
        let text = r#"{"match":"5a","payload":"0006000000000000","len":10,"source":"t"}"#;
        let mut t = Replay::from_reader(text.as_bytes()).unwrap();
        let mode = cdb::build_mode_sense_10(0x2A, 8);
        let mut buf = [0u8; 8];
        let o = t
            .execute(&mode, Data::In(&mut buf), Duration::from_secs(1))
            .unwrap();
        assert_eq!((o.transferred, buf[1]), (8, 6));
        let mode = cdb::build_mode_sense_10(0x2A, 16);
        let mut buf = [0u8; 16];
        let why = replay_error(t.execute(&mode, Data::In(&mut buf), Duration::from_secs(1)));
        assert!(
            why.contains("asks 16 bytes; the capture holds only 8 of the 10"),
            "{why}"
        );
        let bad = r#"{"match":"5a","payload":"0006","len":2,"source":"t"}"#;
        assert!(parse_table(bad).is_err(), "len must exceed the payload");
    }

    #[test]
    fn a_trace_is_known_to_pass_its_largest_data_phase() {
        let t = Replay::new(
            vec![record(Direction::None, 0), record(Direction::In, 0x8000)],
            "t",
        );
        assert_eq!(t.max_transfer(), Some(TransferLimit::known_to_pass(0x8000)));
        assert_eq!(Replay::new(vec![], "t").max_transfer(), None);
        assert_eq!(
            table().max_transfer(),
            None,
            "a table says nothing of the path"
        );
    }

    #[test]
    fn table_answers_no_data_out_command() {
        let text = r#"{"match":"3b","payload":"","source":"test"}"#;
        let mut t = Replay::from_reader(text.as_bytes()).unwrap();
        let wb = cdb::build_write_buffer(6, 0, 0, 2);
        let why = replay_error(t.execute(&wb, Data::Out(&[1, 2]), Duration::from_secs(1)));
        assert!(why.contains("answers no data-out command"), "{why}");
        assert_eq!(t.remaining(), 1);
    }

    #[test]
    fn table_lines_name_a_source_and_exactly_one_reply() {
        let bad = [
            (r#"{"match":"12","payload":"00"}"#, "source"),
            (r#"{"match":"12","payload":"00","source":" "}"#, "no source"),
            (
                r#"{"match":"12","payload":"00","sense":"70","source":"s"}"#,
                "exactly one",
            ),
            (r#"{"match":"12","source":"s"}"#, "exactly one"),
            (r#"{"match":"","payload":"00","source":"s"}"#, "empty match"),
            (
                r#"{"match":"12","payload":"00","source":"s","x":1}"#,
                "unknown field",
            ),
        ];
        for (line, want) in bad {
            match parse_table(line) {
                Err(Error::Malformed {
                    what: "reply table",
                    detail,
                }) => assert!(
                    detail.starts_with("line 1:") && detail.contains(want),
                    "{line}: {detail}"
                ),
                other => panic!("{line}: expected a malformed table, got {other:?}"),
            }
        }
        let twice = concat!(
            r#"{"match":"12","payload":"00","source":"s"}"#,
            "\n\n",
            r#"{"match":"12","payload":"01","source":"s"}"#
        );
        match parse_table(twice) {
            Err(Error::Malformed { detail, .. }) => {
                assert_eq!(detail, "line 3: match 12 given twice")
            }
            other => panic!("expected a malformed table, got {other:?}"),
        }
    }
}
