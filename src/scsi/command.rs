//! Executing commands with SCSI status checking, and the typed commands every layer above uses
//! (`read_inquiry`, `read_readiness`, `read_buffer`, ...). `read_`/`write_` functions do device
//! I/O through [`run`]; the CDBs come from `cdb.rs` and the parsers they call are pure and live
//! in the reply modules. Vendor commands never live here (they belong to `family/<chip>/`).

use std::time::Duration;

use super::cdb::{self, FEATURE_FIRMWARE_DATE, FEATURE_SERIAL, INQUIRY_LONG, INQUIRY_SHORT};
use super::config::{self, Configuration, Feature};
use super::inquiry::{self, Inquiry};
use super::mode::{self, Capabilities};
use super::{status, Data, Error, Readiness, Sense, SenseKey, Transport, TransportError};

/// Timeout for quick identification commands (INQUIRY, TUR, REQUEST SENSE, GET CONFIGURATION,
/// MODE SENSE). Drives answer these from firmware RAM in milliseconds; 10 s covers a drive that
/// is spinning up, as sg3_utils' default of 60 s is far longer than a scan should wait.
pub const TIMEOUT_IDENTIFY: Duration = Duration::from_secs(10);

/// Timeout for vendor flash reads and writes: coastermelt sets 30 s per command
/// (mtk-protocol.md, "Timeouts seen in the sources").
pub const TIMEOUT_FLASH: Duration = Duration::from_secs(30);

/// First allocation for GET CONFIGURATION of one feature: 28 bytes, what freemkv's MTK probe
/// asks for feature 0x010C (mtk-protocol.md row 2): the 8-byte header plus a 20-byte
/// descriptor. Longer replies are grown from the header's DATA LENGTH.
pub const FEATURE_FIRST_ALLOC: u16 = 28;

/// First allocation for MODE SENSE(10) of page 0x2A: 128 bytes, the `ms_len` the Linux sr
/// driver uses for the same page (linux `drivers/scsi/sr.c`, `get_capabilities`). Grown from
/// the header's MODE DATA LENGTH when the page is longer.
pub const MODE_SENSE_FIRST_ALLOC: u16 = 128;

/// First allocation for VPD page 0x80: header plus 60 serial bytes. Grown from the page length.
pub const VPD_FIRST_ALLOC: u16 = 64;

/// Allocation for REQUEST SENSE: 18 bytes, the whole fixed format with ASC/ASCQ (SPC-4
/// §4.5.3); descriptor format carries key, ASC and ASCQ in its first 4 bytes.
pub const REQUEST_SENSE_ALLOC: u8 = 18;

/// Largest INQUIRY allocation when growing from ADDITIONAL LENGTH.
// ASSUMPTION: SPC-2 devices read only CDB byte 4 as the allocation length and treat byte 3 as
// reserved, so growing stays within one byte; bytes beyond 255 hold nothing odflash reads.
const INQUIRY_MAX_ALLOC: usize = 255;

/// Largest 24-bit READ/WRITE BUFFER offset or length (SPC-4 §6.36, §6.49).
const BUFFER_FIELD_MAX: u32 = 0x00FF_FFFF;

/// Execute `cdb` and map the outcome: GOOD gives the number of bytes moved; CHECK CONDITION
/// becomes [`Error::Sense`]; any other status [`Error::Status`].
pub fn run(
    t: &mut dyn Transport,
    cdb: &[u8],
    data: Data<'_>,
    timeout: Duration,
) -> Result<usize, Error> {
    let outcome = t.execute(cdb, data, timeout)?;
    match outcome.status {
        status::GOOD => Ok(outcome.transferred),
        status::CHECK_CONDITION => match Sense::parse(&outcome.sense) {
            Some(sense) => Err(Error::Sense(sense)),
            None => Err(Error::NoSense),
        },
        other => Err(Error::Status(other)),
    }
}

/// Standard INQUIRY (SPC-4 §6.6).
///
/// Asks 96 bytes first. A strict USB bridge that rejects the longer allocation (ILLEGAL
/// REQUEST, or a failed transfer) gets one retry with the SPC minimum of 36 bytes. When the
/// reply's ADDITIONAL LENGTH says more than arrived, the command is re-issued with 5 + byte 4
/// bytes, as freemkv does (mtk-protocol.md row 1).
pub fn read_inquiry(t: &mut dyn Transport) -> Result<Inquiry, Error> {
    let raw = match read_grown(t, cdb::build_inquiry, INQUIRY_LONG, |raw| {
        inquiry::inquiry_len(raw).map(|n| n.min(INQUIRY_MAX_ALLOC))
    }) {
        Err(e) if may_be_strict_bridge(&e) => {
            log::debug!("INQUIRY with {INQUIRY_LONG} bytes failed ({e}); retrying with {INQUIRY_SHORT}");
            read_in(t, &cdb::build_inquiry(INQUIRY_SHORT), INQUIRY_SHORT.into())?
        }
        other => other?,
    };
    inquiry::parse_inquiry(&raw)
}

/// Unit serial number from VPD page 0x80 (SPC-4 §7.8.15); `Ok(None)` when the device rejects
/// the page (ILLEGAL REQUEST) or reports an empty serial.
pub fn read_unit_serial(t: &mut dyn Transport) -> Result<Option<String>, Error> {
    let raw = read_grown(
        t,
        |alloc| cdb::build_inquiry_vpd(cdb::VPD_UNIT_SERIAL, alloc),
        VPD_FIRST_ALLOC,
        inquiry::vpd_len,
    );
    let Some(raw) = unsupported_as_none(raw)? else {
        return Ok(None);
    };
    Ok(Some(inquiry::parse_unit_serial(&raw)?).filter(|s| !s.is_empty()))
}

/// TEST UNIT READY (SPC-4 §6.47), decoded: GOOD is [`Readiness::Ready`]; a CHECK CONDITION
/// with sense is classified by [`Readiness::from_sense`]. Transport failures and CHECK
/// CONDITION without sense stay errors.
pub fn read_readiness(t: &mut dyn Transport) -> Result<Readiness, Error> {
    match run(t, &cdb::build_test_unit_ready(), Data::None, TIMEOUT_IDENTIFY) {
        Ok(_) => Ok(Readiness::Ready),
        Err(Error::Sense(sense)) => Ok(Readiness::from_sense(sense)),
        Err(e) => Err(e),
    }
}

/// REQUEST SENSE (SPC-4 §6.39): the sense data the device holds (NO SENSE when all is well).
pub fn read_request_sense(t: &mut dyn Transport) -> Result<Sense, Error> {
    let alloc = REQUEST_SENSE_ALLOC;
    let raw = read_in(t, &cdb::build_request_sense(alloc), alloc.into())?;
    Sense::parse(&raw).ok_or_else(|| Error::Malformed {
        what: "REQUEST SENSE data",
        detail: format!("no sense response code in {}", hex::encode(&raw)),
    })
}

/// GET CONFIGURATION with RT=2 for feature `code` (MMC-6 §6.6): the header (with the current
/// profile) and the descriptor, when the drive has it. `Ok(None)` when the drive rejects the
/// command (ILLEGAL REQUEST). The allocation grows from the header's DATA LENGTH.
pub fn read_configuration(t: &mut dyn Transport, code: u16) -> Result<Option<Configuration>, Error> {
    let raw = read_grown(
        t,
        |alloc| cdb::build_get_configuration(cdb::RT_ONE_FEATURE, code, alloc),
        FEATURE_FIRST_ALLOC,
        config::configuration_len,
    );
    unsupported_as_none(raw)?
        .map(|raw| config::parse_configuration(&raw))
        .transpose()
}

/// Feature `code` from GET CONFIGURATION (RT=2); `Ok(None)` when the drive does not report it
/// or rejects the command.
pub fn read_feature(t: &mut dyn Transport, code: u16) -> Result<Option<Feature>, Error> {
    Ok(read_configuration(t, code)?
        .and_then(|config| config.features.into_iter().find(|f| f.code == code)))
}

/// Firmware date from feature 0x010C (MMC-6 §5.3.32), e.g. "2016-05-12 11:30:00"; `Ok(None)`
/// when the drive does not report the feature.
pub fn read_firmware_date(t: &mut dyn Transport) -> Result<Option<String>, Error> {
    read_feature(t, FEATURE_FIRMWARE_DATE)?
        .map(|f| config::parse_firmware_date(&f))
        .transpose()
}

/// Serial number from feature 0x0108 (MMC-6 §5.3.28); `Ok(None)` when the drive does not
/// report the feature or reports an empty serial.
pub fn read_serial_feature(t: &mut dyn Transport) -> Result<Option<String>, Error> {
    Ok(read_feature(t, FEATURE_SERIAL)?
        .map(|f| config::parse_serial_feature(&f))
        .transpose()?
        .filter(|s| !s.is_empty()))
}

/// Capabilities page 0x2A through MODE SENSE(10) (MMC-3 §5.5.10); `Ok(None)` when the drive
/// rejects the page (ILLEGAL REQUEST). The allocation grows from MODE DATA LENGTH.
pub fn read_capabilities(t: &mut dyn Transport) -> Result<Option<Capabilities>, Error> {
    let raw = read_grown(
        t,
        |alloc| cdb::build_mode_sense_10(cdb::PAGE_CAPABILITIES, alloc),
        MODE_SENSE_FIRST_ALLOC,
        mode::mode_sense_len,
    );
    unsupported_as_none(raw)?
        .map(|raw| mode::parse_capabilities(&raw))
        .transpose()
}

/// READ BUFFER(10) (SPC-4 §6.36) of `buf.len()` bytes at `offset` of buffer `buffer_id` in
/// `mode`: the number of bytes that arrived. The length and offset must fit 24 bits.
pub fn read_buffer(
    t: &mut dyn Transport,
    mode: u8,
    buffer_id: u8,
    offset: u32,
    buf: &mut [u8],
) -> Result<usize, Error> {
    let len = buffer_field("READ BUFFER length", buf.len())?;
    buffer_field("READ BUFFER offset", offset as usize)?;
    let requested = buf.len();
    let cdb = cdb::build_read_buffer(mode, buffer_id, offset, len);
    Ok(run(t, &cdb, Data::In(buf), TIMEOUT_FLASH)?.min(requested))
}

/// WRITE BUFFER (SPC-4 §6.49) of `data` at `offset` of buffer `buffer_id` in `mode`. The
/// length and offset must fit 24 bits.
pub fn write_buffer(
    t: &mut dyn Transport,
    mode: u8,
    buffer_id: u8,
    offset: u32,
    data: &[u8],
) -> Result<(), Error> {
    let len = buffer_field("WRITE BUFFER length", data.len())?;
    buffer_field("WRITE BUFFER offset", offset as usize)?;
    let cdb = cdb::build_write_buffer(mode, buffer_id, offset, len);
    run(t, &cdb, Data::Out(data), TIMEOUT_FLASH).map(drop)
}

/// `value` as a 24-bit READ/WRITE BUFFER field, or [`Error::FieldOverflow`].
fn buffer_field(what: &'static str, value: usize) -> Result<u32, Error> {
    u32::try_from(value)
        .ok()
        .filter(|&v| v <= BUFFER_FIELD_MAX)
        .ok_or(Error::FieldOverflow {
            what,
            value: value as u64,
            max: BUFFER_FIELD_MAX.into(),
        })
}

/// One data-in command with an `alloc`-byte buffer: the bytes that arrived.
fn read_in(t: &mut dyn Transport, cdb: &[u8], alloc: usize) -> Result<Vec<u8>, Error> {
    let mut buf = vec![0u8; alloc];
    let n = run(t, cdb, Data::In(&mut buf), TIMEOUT_IDENTIFY)?;
    buf.truncate(n.min(alloc));
    Ok(buf)
}

/// A data-in command whose reply declares its own length: issue it built for `first` bytes;
/// when `declared_len` of the reply asks for more, re-issue it once with that allocation
/// (capped at the 16-bit field).
fn read_grown<C: AsRef<[u8]>>(
    t: &mut dyn Transport,
    build: impl Fn(u16) -> C,
    first: u16,
    declared_len: impl Fn(&[u8]) -> Option<usize>,
) -> Result<Vec<u8>, Error> {
    let reply = read_in(t, build(first).as_ref(), first.into())?;
    match declared_len(&reply) {
        Some(want) if want > usize::from(first) => {
            let alloc = u16::try_from(want).unwrap_or(u16::MAX);
            log::debug!("reply declares {want} bytes; re-issuing with {alloc}");
            read_in(t, build(alloc).as_ref(), alloc.into())
        }
        _ => Ok(reply),
    }
}

/// ILLEGAL REQUEST means "not supported" for the optional pages and features: `Ok(None)`.
fn unsupported_as_none<T>(result: Result<T, Error>) -> Result<Option<T>, Error> {
    match result {
        Ok(v) => Ok(Some(v)),
        Err(Error::Sense(s)) if s.key == SenseKey::IllegalRequest => {
            log::debug!("not supported: {s}");
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// Whether a failed 96-byte INQUIRY deserves the 36-byte retry.
// ASSUMPTION: strict bridges show the rejection as ILLEGAL REQUEST, a CHECK CONDITION without
// usable sense, or a failed transfer (timeout, host/driver error, EIO). A vanished device, a
// guard's refusal or a permission problem would fail the retry the same way, so they do not.
fn may_be_strict_bridge(e: &Error) -> bool {
    match e {
        Error::Sense(s) => s.key == SenseKey::IllegalRequest,
        Error::NoSense => true,
        Error::Transport(
            TransportError::Timeout(_) | TransportError::Host { .. } | TransportError::Io(_),
        ) => true,
        _ => false,
    }
}
