//! A trace decoded for reading (`odflash trace show`): each command named by the standard
//! (SPC/MMC opcode and READ/WRITE BUFFER mode names from `scsi::cdb`) and by every chip family
//! that knows it (`family::describe`, which asks each family's `cdb.rs`), vendor commands no
//! one names flagged, sense decoded, and the data-out streams that look like a firmware
//! download summarized. Pure: records in, a [`Listing`] out; printing is `trace.rs`'s.

use serde::Serialize;

use odflash::family::{self, Described};
use odflash::scsi::cdb::{self, opcode};
use odflash::scsi::inquiry;
use odflash::scsi::redact::{self, Serial};
use odflash::scsi::trace::TraceRecord;
use odflash::scsi::{status, Direction, Sense};

/// A run of data-out commands counts as a firmware-looking stream from this many bytes (the
/// smallest public image, the SD-616's 128 KiB, docs/protocol.md §4.2, comes in 64 KiB chunks).
const STREAM_MIN_BYTES: usize = 0x1_0000;

/// One decoded command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Command {
    /// Its number in the trace, from 1.
    pub index: usize,
    /// The CDB, hex.
    pub cdb: String,
    /// The standard name ("INQUIRY", "WRITE BUFFER mode 6 (...)"), or what little is known.
    pub name: String,
    /// What each family that knows the command calls it.
    pub family: Vec<Described>,
    /// A vendor command (vendor opcode, or a READ/WRITE BUFFER vendor mode) no family names.
    pub unknown_vendor: bool,
    /// Data direction.
    pub direction: Direction,
    /// Bytes requested.
    pub requested: usize,
    /// Bytes moved.
    pub transferred: usize,
    /// "GOOD", "CHECK CONDITION", "status 0x08", or the transport error.
    pub outcome: String,
    /// The sense, decoded.
    pub sense: Option<String>,
    /// READ/WRITE BUFFER offset and length fields.
    pub buffer: Option<Buffer>,
}

/// The offset and length fields of a READ/WRITE BUFFER CDB (SPC-4 §6.36, §6.49).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Buffer {
    /// Buffer offset.
    pub offset: u32,
    /// Allocation or parameter list length.
    pub length: u32,
}

/// A run of data-out commands of one kind carrying at least [`STREAM_MIN_BYTES`]: what a
/// firmware download looks like.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stream {
    /// The first command's number.
    pub first: usize,
    /// The last command's number.
    pub last: usize,
    /// What the commands are.
    pub name: String,
    /// How many data-out commands.
    pub chunks: usize,
    /// Bytes they carry in all.
    pub bytes: usize,
    /// Chunk sizes and how many chunks have each, in order of first use.
    pub sizes: Vec<ChunkSize>,
    /// The buffer offsets, for READ/WRITE BUFFER streams.
    pub offsets: Option<Offsets>,
}

/// How many chunks of a stream have one size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ChunkSize {
    /// Bytes per chunk.
    pub bytes: usize,
    /// Chunks of that size.
    pub count: usize,
}

/// The offsets of a buffer stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Offsets {
    /// The first chunk's offset.
    pub first: u32,
    /// The last chunk's offset.
    pub last: u32,
    /// True when each chunk starts where the one before ended.
    pub contiguous: bool,
}

/// The identity the trace's INQUIRY reply shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Identity {
    /// Vendor.
    pub vendor: String,
    /// Product.
    pub product: String,
    /// Revision.
    pub revision: String,
}

/// A decoded trace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Listing {
    /// The drive, from the first INQUIRY reply with a payload.
    pub identity: Option<Identity>,
    /// Unit serials the replies report, and which trace records hold them.
    pub serials: Vec<Serial>,
    /// Every command.
    pub commands: Vec<Command>,
    /// The firmware-looking data-out streams.
    pub streams: Vec<Stream>,
    /// How many commands are vendor commands no family names.
    pub unknown_vendor: usize,
}

/// Decode `records`.
pub fn decode(records: &[TraceRecord]) -> Listing {
    let commands: Vec<Command> = records
        .iter()
        .enumerate()
        .map(|(i, r)| command(i + 1, r))
        .collect();
    Listing {
        identity: records.iter().find_map(identity),
        serials: redact::find_serials(records),
        streams: streams(records, &commands),
        unknown_vendor: commands.iter().filter(|c| c.unknown_vendor).count(),
        commands,
    }
}

fn identity(r: &TraceRecord) -> Option<Identity> {
    let is_standard_inquiry =
        r.cdb.first() == Some(&opcode::INQUIRY) && r.cdb.get(1).is_some_and(|b| b & 1 == 0);
    let reply =
        inquiry::parse_inquiry(r.payload.as_deref().filter(|_| is_standard_inquiry)?).ok()?;
    Some(Identity {
        vendor: reply.vendor,
        product: reply.product,
        revision: reply.revision,
    })
}

/// READ/WRITE BUFFER fields, when the CDB is one and long enough.
fn buffer_fields(c: &[u8]) -> Option<(u8, Buffer)> {
    let op = *c.first()?;
    (matches!(op, opcode::READ_BUFFER | opcode::WRITE_BUFFER) && c.len() >= 9).then(|| {
        (
            c[1] & 0x1F,
            Buffer {
                offset: cdb::buffer_offset(c),
                length: cdb::buffer_length(c),
            },
        )
    })
}

/// The standard name, and whether the command is vendor-specific.
fn standard_name(c: &[u8]) -> (String, bool) {
    let Some(&op) = c.first() else {
        return ("empty CDB".into(), false);
    };
    let mode = buffer_fields(c).map(|(mode, _)| mode);
    let mode_name = match op {
        opcode::WRITE_BUFFER => mode.map(|m| (m, cdb::write_buffer_mode_name(m))),
        opcode::READ_BUFFER => mode.map(|m| (m, cdb::read_buffer_mode_name(m))),
        _ => None,
    };
    match (cdb::opcode_name(op), mode_name) {
        (Some(name), Some((m, Some(mode)))) => (format!("{name} mode {m} ({mode})"), false),
        (Some(name), Some((m, None))) => (format!("{name} mode {m} (vendor or reserved)"), true),
        (Some(name), None) => (name.to_string(), false),
        (None, _) if cdb::is_vendor_specific(op) => (format!("vendor command {op:#04x}"), true),
        (None, _) => (format!("opcode {op:#04x}"), false),
    }
}

fn command(index: usize, r: &TraceRecord) -> Command {
    let (name, vendor) = standard_name(&r.cdb);
    let family = family::describe(&r.cdb);
    let outcome = match (&r.error, r.status) {
        (Some(e), _) => format!("transport error ({:?}): {}", e.kind, e.message),
        (None, status::GOOD) => "GOOD".into(),
        (None, status::CHECK_CONDITION) => "CHECK CONDITION".into(),
        (None, other) => format!("status {other:#04x}"),
    };
    Command {
        index,
        cdb: hex::encode(&r.cdb),
        name,
        unknown_vendor: vendor && family.is_empty(),
        family,
        direction: r.direction,
        requested: r.requested,
        transferred: r.transferred,
        outcome,
        sense: (!r.sense.is_empty()).then(|| {
            Sense::parse(&r.sense).map_or_else(
                || format!("unparseable sense {}", hex::encode(&r.sense)),
                |s| s.to_string(),
            )
        }),
        buffer: buffer_fields(&r.cdb).map(|(_, b)| b),
    }
}

/// What makes data-out commands one stream: opcode and CDB byte 1 (the buffer mode, or a
/// vendor subcommand).
fn stream_key(r: &TraceRecord) -> Option<(u8, Option<u8>)> {
    (r.direction == Direction::Out && r.requested > 0)
        .then(|| (r.cdb.first().copied(), r.cdb.get(1).copied()))
        .and_then(|(op, sub)| op.map(|op| (op, sub)))
}

/// Runs of data-out commands with one key; commands without a data phase in between (a
/// PREPARE, a TEST UNIT READY) do not end a run, anything else does.
fn streams(records: &[TraceRecord], commands: &[Command]) -> Vec<Stream> {
    let mut runs: Vec<Vec<usize>> = Vec::new();
    let mut key = None;
    for (i, r) in records.iter().enumerate() {
        match stream_key(r) {
            Some(k) if key == Some(k) => runs.last_mut().into_iter().for_each(|run| run.push(i)),
            Some(k) => {
                key = Some(k);
                runs.push(vec![i]);
            }
            None if r.direction == Direction::None => {}
            None => key = None,
        }
    }
    runs.into_iter()
        .filter_map(|run| stream(records, commands, &run))
        .collect()
}

fn stream(records: &[TraceRecord], commands: &[Command], run: &[usize]) -> Option<Stream> {
    let bytes: usize = run.iter().map(|&i| records[i].requested).sum();
    let (&first, &last) = (run.first()?, run.last()?);
    if run.len() < 2 || bytes < STREAM_MIN_BYTES {
        return None;
    }
    let mut sizes: Vec<ChunkSize> = Vec::new();
    for &i in run {
        let n = records[i].requested;
        match sizes.iter_mut().find(|s| s.bytes == n) {
            Some(s) => s.count += 1,
            None => sizes.push(ChunkSize { bytes: n, count: 1 }),
        }
    }
    let buffers: Option<Vec<Buffer>> = run.iter().map(|&i| commands[i].buffer).collect();
    let offsets = buffers.filter(|b| !b.is_empty()).map(|b| Offsets {
        first: b[0].offset,
        last: b[b.len() - 1].offset,
        contiguous: b
            .windows(2)
            .all(|w| w[0].offset.checked_add(w[0].length) == Some(w[1].offset)),
    });
    let head = &commands[first];
    Some(Stream {
        first: first + 1,
        last: last + 1,
        name: head.family.first().map_or_else(
            || head.name.clone(),
            |d| format!("{}: {}", d.family, d.meaning),
        ),
        chunks: run.len(),
        bytes,
        sizes,
        offsets,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use odflash::family::mt19xx::cdb as mt;
    use odflash::scsi::trace::parse_trace;

    fn rec(cdb: &[u8], direction: Direction, requested: usize) -> TraceRecord {
        let line = format!(
            r#"{{"cdb":"{}","direction":"{}","requested":{requested},"transferred":{requested}}}"#,
            hex::encode(cdb),
            match direction {
                Direction::None => "none",
                Direction::In => "in",
                Direction::Out => "out",
            }
        );
        parse_trace(&line).unwrap().remove(0)
    }

    #[test]
    fn an_mt19xx_flash_decodes_into_prepare_128_chunks_and_commit() {
        let mut records = vec![rec(&mt::build_prepare(), Direction::None, 0)];
        for i in 0..128u32 {
            records.push(rec(
                &mt::build_write_window(i * 0x4000, 0x4000),
                Direction::Out,
                0x4000,
            ));
        }
        records.push(rec(&mt::build_commit(), Direction::None, 0));
        // A vendor command no public source names (hex: test data, as a trace holds it).
        let unknown = hex::decode("df9900000000000000000000").unwrap();
        records.push(rec(&unknown, Direction::In, 128));
        let listing = decode(&records);
        assert!(listing.commands[0].family[0].meaning.starts_with("PREPARE"));
        assert_eq!(
            listing.commands[0].name,
            "WRITE BUFFER mode 1 (vendor or reserved)"
        );
        assert!(listing.commands[129].family[0]
            .meaning
            .starts_with("COMMIT"));
        assert!(!listing.commands[1].unknown_vendor);
        assert_eq!(
            listing.commands[1].name,
            "WRITE BUFFER mode 6 (download microcode with offsets and activate)"
        );
        assert_eq!(listing.streams.len(), 1);
        let s = &listing.streams[0];
        assert_eq!(
            (s.first, s.last, s.chunks, s.bytes),
            (2, 129, 128, 0x20_0000)
        );
        assert_eq!(
            s.sizes,
            [ChunkSize {
                bytes: 0x4000,
                count: 128
            }]
        );
        assert_eq!(
            s.offsets,
            Some(Offsets {
                first: 0,
                last: 0x1F_C000,
                contiguous: true
            })
        );
        assert!(s.name.starts_with("mt19xx: flash write"), "{}", s.name);
        assert_eq!(listing.unknown_vendor, 1);
        assert!(listing.commands[130].unknown_vendor);
        assert_eq!(listing.commands[130].name, "vendor command 0xdf");
    }

    #[test]
    fn small_or_broken_runs_are_no_stream() {
        let wb = |o: u32| rec(&mt::build_write_window(o, 0x100), Direction::Out, 0x100);
        let records = vec![
            wb(0),
            wb(0x100),
            rec(&cdb::build_inquiry(96), Direction::In, 96),
            wb(0),
        ];
        assert!(decode(&records).streams.is_empty());
    }
}
