//! Executing commands with SCSI status checking, and the typed commands every layer above uses
//! (`read_inquiry`, `read_readiness`, `read_buffer`, ...). `read_`/`write_` functions do device
//! I/O through [`run`]; the CDBs come from `cdb.rs` and the parsers they call are pure and live
//! in the reply modules. Vendor commands never live here (they belong to `family/<chip>/`).

use std::time::Duration;

use super::cdb::{self, FEATURE_FIRMWARE_DATE, FEATURE_SERIAL, INQUIRY_LONG, INQUIRY_SHORT};
use super::config::{self, Configuration, Feature, FirmwareInformation};
use super::inquiry::{self, Inquiry};
use super::mode::{self, Capabilities};
use super::{status, Data, Error, Readiness, Sense, SenseKey, Transport, TransportError};

/// Timeout for quick identification commands (INQUIRY, TUR, REQUEST SENSE, GET CONFIGURATION,
/// MODE SENSE). Drives answer these from firmware RAM in milliseconds; 10 s covers a drive that
/// is spinning up, as sg3_utils' default of 60 s is far longer than a scan should wait.
pub const TIMEOUT_IDENTIFY: Duration = Duration::from_secs(10);

/// Timeout for vendor flash reads and writes: coastermelt sets 30 s per command
/// (coastermelt `lib/tinyscsi.h` `SetTimeoutDuration(30000)`; docs/protocol.md §1.6).
pub const TIMEOUT_FLASH: Duration = Duration::from_secs(30);

/// First allocation for GET CONFIGURATION of one feature: 28 bytes, what freemkv's MTK probe
/// asks for feature 0x010C (docs/protocol.md §2.1): the 8-byte header plus a 20-byte
/// descriptor. Longer replies are grown from the header's DATA LENGTH.
const FEATURE_FIRST_ALLOC: u16 = 28;

/// First allocation for MODE SENSE(10) of page 0x2A: 128 bytes, the `ms_len` the Linux sr
/// driver uses for the same page (linux `drivers/scsi/sr.c`, `get_capabilities`). Grown from
/// the header's MODE DATA LENGTH when the page is longer.
const MODE_SENSE_FIRST_ALLOC: u16 = 128;

/// First allocation for VPD page 0x80: header plus 60 serial bytes. Grown from the page length.
const VPD_FIRST_ALLOC: u16 = 64;

/// Allocation for REQUEST SENSE: 18 bytes, the whole fixed format with ASC/ASCQ (SPC-4
/// §4.5.3); descriptor format carries key, ASC and ASCQ in its first 4 bytes.
const REQUEST_SENSE_ALLOC: u8 = 18;

/// Largest INQUIRY allocation when growing from ADDITIONAL LENGTH.
// ASSUMPTION: SPC-2 devices read only CDB byte 4 as the allocation length and treat byte 3 as
// reserved, so growing stays within one byte; bytes beyond 255 hold nothing odflash reads.
const INQUIRY_MAX_ALLOC: usize = 255;

/// Command names the errors of the standard data-in commands carry.
const INQUIRY: &str = "INQUIRY";
const INQUIRY_VPD: &str = "INQUIRY (VPD page 0x80)";
const REQUEST_SENSE: &str = "REQUEST SENSE";
const GET_CONFIGURATION: &str = "GET CONFIGURATION";
const MODE_SENSE_10: &str = "MODE SENSE(10)";

/// Largest 24-bit READ/WRITE BUFFER offset or length (SPC-4 §6.36, §6.49).
const BUFFER_FIELD_MAX: u32 = 0x00FF_FFFF;

/// The residual a command may report with GOOD status, as its protocol allows. Every command
/// states one ([`Expect`]): a short transfer is never taken as sent, or as a full reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResidualRule {
    /// Every byte of the data phase must move; any residual is [`Error::ShortTransfer`].
    Exact,
    /// A data-in reply may end before the allocation length: the device returns the bytes it
    /// has (SPC-4 §4.2.5.6) and the parser checks them against the reply's own length field.
    /// A data-out command under this rule must still move every byte.
    UpToAllocation,
    /// A data-out command the device completes with GOOD status and a residual equal to its
    /// whole length although the data arrived: a documented quirk of one command of one
    /// family (the TSST SE-506CB's final download command, coastermelt
    /// `doc/update-ts01-notes.txt`; docs/protocol.md §4.6). A residual of 0 passes too; any
    /// other residual is still a short transfer.
    WholeTransferMayReport {
        /// Where the quirk is documented (repository and path, or URL).
        source: &'static str,
    },
}

/// What a command expects of its data phase: its name (errors name it) and its
/// [`ResidualRule`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expect {
    /// The command, as errors name it ("INQUIRY", "flash chunk write (WRITE BUFFER mode 6)").
    pub command: &'static str,
    /// The residual its protocol allows.
    pub residual: ResidualRule,
}

impl Expect {
    /// `command` must move every byte of its data phase.
    pub const fn exact(command: &'static str) -> Expect {
        Expect {
            command,
            residual: ResidualRule::Exact,
        }
    }

    /// `command` is a data-in command whose reply may be shorter than its allocation.
    pub const fn up_to_allocation(command: &'static str) -> Expect {
        Expect {
            command,
            residual: ResidualRule::UpToAllocation,
        }
    }

    /// The bytes a GOOD `direction` transfer of `requested` bytes that reported `transferred`
    /// counts as having moved, or [`Error::ShortTransfer`] when the rule does not allow the
    /// residual (pure).
    pub fn check(
        &self,
        direction: super::Direction,
        requested: usize,
        transferred: usize,
    ) -> Result<usize, Error> {
        use super::Direction;
        let got = transferred.min(requested);
        match (self.residual, direction) {
            _ if got == requested => Ok(got),
            (ResidualRule::UpToAllocation, Direction::In) => Ok(got),
            (ResidualRule::WholeTransferMayReport { source }, Direction::Out) if got == 0 => {
                log::debug!(
                    "{}: residual equal to its length ({requested} bytes), success as {source} \
                     documents",
                    self.command
                );
                Ok(requested)
            }
            _ => Err(Error::ShortTransfer {
                command: self.command,
                direction,
                needed: requested,
                got,
            }),
        }
    }
}

/// Execute `cdb` and map the outcome: GOOD gives the number of bytes moved, checked against
/// `expect`'s residual rule; CHECK CONDITION becomes [`Error::Sense`]; any other status
/// [`Error::Status`].
pub fn run(
    t: &mut dyn Transport,
    cdb: &[u8],
    data: Data<'_>,
    timeout: Duration,
    expect: Expect,
) -> Result<usize, Error> {
    let (direction, requested) = (data.direction(), data.len());
    let outcome = t.execute(cdb, data, timeout)?;
    match outcome.status {
        status::GOOD => expect.check(direction, requested, outcome.transferred),
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
/// bytes, as freemkv does (`drive/mtk/mod.rs`; docs/protocol.md §1.1).
pub fn read_inquiry(t: &mut dyn Transport) -> Result<Inquiry, Error> {
    let long = read_grown(t, INQUIRY, cdb::build_inquiry, INQUIRY_LONG, |raw| {
        inquiry::inquiry_len(raw).map(|n| n.min(INQUIRY_MAX_ALLOC))
    });
    let raw = match long {
        Err(e) if may_be_strict_bridge(&e) => {
            log::debug!("INQUIRY({INQUIRY_LONG}) failed ({e}); retrying with {INQUIRY_SHORT}");
            read_in(
                t,
                INQUIRY,
                &cdb::build_inquiry(INQUIRY_SHORT),
                INQUIRY_SHORT.into(),
            )?
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
        INQUIRY_VPD,
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
    match run(
        t,
        &cdb::build_test_unit_ready(),
        Data::None,
        TIMEOUT_IDENTIFY,
        Expect::exact("TEST UNIT READY"),
    ) {
        Ok(_) => Ok(Readiness::Ready),
        Err(Error::Sense(sense)) => Ok(Readiness::from_sense(sense)),
        Err(e) => Err(e),
    }
}

/// REQUEST SENSE (SPC-4 §6.39): the sense data the device holds (NO SENSE when all is well).
pub fn read_request_sense(t: &mut dyn Transport) -> Result<Sense, Error> {
    let alloc = REQUEST_SENSE_ALLOC;
    let raw = read_in(
        t,
        REQUEST_SENSE,
        &cdb::build_request_sense(alloc),
        alloc.into(),
    )?;
    Sense::parse(&raw).ok_or_else(|| Error::Malformed {
        what: "REQUEST SENSE data",
        detail: format!("no sense response code in {}", hex::encode(&raw)),
    })
}

/// GET CONFIGURATION with RT=2 for feature `code` (MMC-6 §6.6): the header (with the current
/// profile) and the descriptor, when the drive has it. `Ok(None)` when the drive rejects the
/// command (ILLEGAL REQUEST). The allocation grows from the header's DATA LENGTH.
pub fn read_configuration(
    t: &mut dyn Transport,
    code: u16,
) -> Result<Option<Configuration>, Error> {
    let raw = read_grown(
        t,
        GET_CONFIGURATION,
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

/// Feature 0x010C, firmware information (MMC-6 §5.3.32), through GET CONFIGURATION RT=2:
/// `Ok(None)` when the drive rejects the command or its reply does not echo the feature. The
/// echo alone is what identification may rely on; the date is display
/// ([`config::parse_firmware_information`]).
pub fn read_firmware_information(
    t: &mut dyn Transport,
) -> Result<Option<FirmwareInformation>, Error> {
    let raw = read_grown(
        t,
        GET_CONFIGURATION,
        |alloc| cdb::build_get_configuration(cdb::RT_ONE_FEATURE, FEATURE_FIRMWARE_DATE, alloc),
        FEATURE_FIRST_ALLOC,
        config::configuration_len,
    );
    Ok(unsupported_as_none(raw)?.and_then(|raw| config::parse_firmware_information(&raw)))
}

/// Firmware date from feature 0x010C for display, e.g. "2016-05-12 11:30:00"; `Ok(None)` when
/// the drive does not report the feature or leaves the date blank.
pub fn read_firmware_date(t: &mut dyn Transport) -> Result<Option<String>, Error> {
    Ok(read_firmware_information(t)?.and_then(|info| info.date))
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
        MODE_SENSE_10,
        |alloc| cdb::build_mode_sense_10(cdb::PAGE_CAPABILITIES, alloc),
        MODE_SENSE_FIRST_ALLOC,
        mode::mode_sense_len,
    );
    unsupported_as_none(raw)?
        .map(|raw| mode::parse_capabilities(&raw))
        .transpose()
}

/// READ BUFFER(10) (SPC-4 §6.36) of exactly `buf.len()` bytes at `offset` of buffer
/// `buffer_id` in `mode`; fewer bytes is [`Error::ShortTransfer`]. The length and offset must
/// fit 24 bits.
pub fn read_buffer(
    t: &mut dyn Transport,
    mode: u8,
    buffer_id: u8,
    offset: u32,
    buf: &mut [u8],
) -> Result<(), Error> {
    let len = buffer_field("READ BUFFER length", buf.len())?;
    buffer_field("READ BUFFER offset", offset as usize)?;
    let cdb = cdb::build_read_buffer(mode, buffer_id, offset, len);
    run(
        t,
        &cdb,
        Data::In(buf),
        TIMEOUT_FLASH,
        Expect::exact("READ BUFFER"),
    )
    .map(drop)
}

/// WRITE BUFFER (SPC-4 §6.49) of `data` at `offset` of buffer `buffer_id` in `mode`; a device
/// that takes fewer bytes is [`Error::ShortTransfer`]. The length and offset must fit 24 bits.
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
    run(
        t,
        &cdb,
        Data::Out(data),
        TIMEOUT_FLASH,
        Expect::exact("WRITE BUFFER"),
    )
    .map(drop)
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

/// One data-in `command` with an `alloc`-byte buffer: the bytes that arrived (a reply may be
/// shorter than its allocation; the parser checks its length field), never zero-filled.
fn read_in(
    t: &mut dyn Transport,
    command: &'static str,
    cdb: &[u8],
    alloc: usize,
) -> Result<Vec<u8>, Error> {
    let mut buf = vec![0u8; alloc];
    let expect = Expect::up_to_allocation(command);
    let n = run(t, cdb, Data::In(&mut buf), TIMEOUT_IDENTIFY, expect)?;
    buf.truncate(n);
    Ok(buf)
}

/// A data-in command whose reply declares its own length: issue it built for `first` bytes;
/// when `declared_len` of the reply asks for more, re-issue it once with that allocation
/// (capped at the 16-bit field).
fn read_grown<C: AsRef<[u8]>>(
    t: &mut dyn Transport,
    command: &'static str,
    build: impl Fn(u16) -> C,
    first: u16,
    declared_len: impl Fn(&[u8]) -> Option<usize>,
) -> Result<Vec<u8>, Error> {
    let reply = read_in(t, command, build(first).as_ref(), first.into())?;
    match declared_len(&reply) {
        Some(want) if want > usize::from(first) => {
            let alloc = u16::try_from(want).unwrap_or(u16::MAX);
            log::debug!("reply declares {want} bytes; re-issuing with {alloc}");
            read_in(t, command, build(alloc).as_ref(), alloc.into())
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replay::Replay;
    use crate::trace::{ErrorKind, TraceError, TraceRecord};
    use crate::{Direction, Readiness};

    /// A GOOD record; data-in replies carry `reply` as payload.
    fn good(cdb: &[u8], direction: Direction, requested: usize, reply: &[u8]) -> TraceRecord {
        TraceRecord {
            cdb: cdb.to_vec(),
            direction,
            requested,
            transferred: reply.len(),
            status: status::GOOD,
            host_status: 0,
            driver_status: 0,
            sense: Vec::new(),
            sense_text: None,
            duration_us: 100,
            timeout_ms: 10_000,
            time_us: None,
            error: None,
            payload: Some(reply.to_vec()),
        }
    }

    fn good_in(cdb: &[u8], requested: usize, reply: &[u8]) -> TraceRecord {
        good(cdb, Direction::In, requested, reply)
    }

    /// A CHECK CONDITION record with fixed-format sense.
    fn check(cdb: &[u8], direction: Direction, requested: usize, sense: Sense) -> TraceRecord {
        TraceRecord {
            status: status::CHECK_CONDITION,
            sense: sense.to_fixed().to_vec(),
            transferred: 0,
            payload: None,
            ..good(cdb, direction, requested, &[])
        }
    }

    fn failed(cdb: &[u8], direction: Direction, requested: usize, kind: ErrorKind) -> TraceRecord {
        TraceRecord {
            error: Some(TraceError {
                kind,
                message: "test".into(),
            }),
            payload: None,
            ..good(cdb, direction, requested, &[])
        }
    }

    fn replay(records: Vec<TraceRecord>) -> Replay {
        Replay::new(records, "test")
    }

    fn illegal_request() -> Sense {
        Sense::new(SenseKey::IllegalRequest, 0x24, 0x00)
    }

    /// Standard INQUIRY data of `len` bytes declaring `len` (SPC-4 table 142).
    fn inquiry_reply(len: usize) -> Vec<u8> {
        let mut raw = vec![0u8; len];
        raw[..5].copy_from_slice(&[0x05, 0x80, 0x05, 0x32, (len - 5) as u8]);
        raw[8..16].copy_from_slice(b"HL-DT-ST");
        raw[16..32].copy_from_slice(b"BD-RE  BU40N    ");
        raw[32..36].copy_from_slice(b"1.00");
        raw
    }

    #[test]
    fn inquiry_96_bytes() {
        let mut t = replay(vec![good_in(
            &cdb::build_inquiry(96),
            96,
            &inquiry_reply(96),
        )]);
        let inq = read_inquiry(&mut t).unwrap();
        assert_eq!(
            (inq.vendor.as_str(), inq.product.as_str()),
            ("HL-DT-ST", "BD-RE  BU40N")
        );
        assert_eq!(inq.raw.len(), 96);
        assert_eq!(t.remaining(), 0);
    }

    #[test]
    fn inquiry_retries_with_36_after_illegal_request_or_transfer_failure() {
        let first = cdb::build_inquiry(96);
        let short = cdb::build_inquiry(36);
        let mut t = replay(vec![
            check(&first, Direction::In, 96, illegal_request()),
            good_in(&short, 36, &inquiry_reply(36)),
        ]);
        assert_eq!(read_inquiry(&mut t).unwrap().revision, "1.00");
        assert_eq!(t.remaining(), 0);
        for kind in [ErrorKind::Timeout, ErrorKind::Host, ErrorKind::Io] {
            let mut t = replay(vec![
                failed(&first, Direction::In, 96, kind),
                good_in(&short, 36, &inquiry_reply(36)),
            ]);
            assert_eq!(read_inquiry(&mut t).unwrap().vendor, "HL-DT-ST");
        }
    }

    #[test]
    fn inquiry_short_retry_does_not_grow() {
        // The 36-byte reply declares 96 bytes; the strict bridge already refused 96, so no
        // third command is sent (the replay would fail on it).
        let mut reply = inquiry_reply(36);
        reply[4] = 91;
        let mut t = replay(vec![
            check(
                &cdb::build_inquiry(96),
                Direction::In,
                96,
                illegal_request(),
            ),
            good_in(&cdb::build_inquiry(36), 36, &reply),
        ]);
        assert_eq!(read_inquiry(&mut t).unwrap().product, "BD-RE  BU40N");
    }

    #[test]
    fn inquiry_does_not_retry_a_gone_device_or_refusal() {
        for kind in [
            ErrorKind::Gone,
            ErrorKind::Refused,
            ErrorKind::PermissionDenied,
        ] {
            let mut t = replay(vec![failed(
                &cdb::build_inquiry(96),
                Direction::In,
                96,
                kind,
            )]);
            assert!(matches!(read_inquiry(&mut t), Err(Error::Transport(_))));
            assert_eq!(t.remaining(), 0);
        }
    }

    #[test]
    fn inquiry_grows_to_the_additional_length() {
        // ADDITIONAL LENGTH 0xA0: 165 bytes declared, 96 arrived; re-issued with 165.
        let mut long = inquiry_reply(165);
        long[4] = 0xA0;
        let mut t = replay(vec![
            good_in(&cdb::build_inquiry(96), 96, &long[..96]),
            good_in(&cdb::build_inquiry(165), 165, &long),
        ]);
        assert_eq!(read_inquiry(&mut t).unwrap().raw.len(), 165);
        assert_eq!(t.remaining(), 0);
        // Capped at 255: ADDITIONAL LENGTH 0xFF declares 260.
        let mut huge = inquiry_reply(255);
        huge[4] = 0xFF;
        let mut t = replay(vec![
            good_in(&cdb::build_inquiry(96), 96, &huge[..96]),
            good_in(&cdb::build_inquiry(255), 255, &huge),
        ]);
        assert_eq!(read_inquiry(&mut t).unwrap().raw.len(), 255);
    }

    #[test]
    fn unit_serial_supported_empty_and_unsupported() {
        let cdb = cdb::build_inquiry_vpd(0x80, VPD_FIRST_ALLOC);
        let mut reply = vec![0x05, 0x80, 0x00, 0x08];
        reply.extend_from_slice(b"  SN1234");
        let mut t = replay(vec![good_in(&cdb, 64, &reply)]);
        assert_eq!(read_unit_serial(&mut t).unwrap().as_deref(), Some("SN1234"));
        let mut t = replay(vec![good_in(&cdb, 64, &[0x05, 0x80, 0, 0])]);
        assert_eq!(read_unit_serial(&mut t).unwrap(), None);
        let mut t = replay(vec![check(&cdb, Direction::In, 64, illegal_request())]);
        assert_eq!(read_unit_serial(&mut t).unwrap(), None);
        // Other errors are not "unsupported".
        let not_ready = Sense::new(SenseKey::NotReady, 0x04, 0x01);
        let mut t = replay(vec![check(&cdb, Direction::In, 64, not_ready)]);
        assert!(matches!(read_unit_serial(&mut t), Err(Error::Sense(_))));
    }

    #[test]
    fn readiness_states() {
        let tur = cdb::build_test_unit_ready();
        let no_medium = Sense::new(SenseKey::NotReady, 0x3A, 0x00);
        let reset = Sense::new(SenseKey::UnitAttention, 0x29, 0x00);
        let mut t = replay(vec![
            good(&tur, Direction::None, 0, &[]),
            check(&tur, Direction::None, 0, no_medium.clone()),
            check(&tur, Direction::None, 0, reset.clone()),
        ]);
        assert_eq!(read_readiness(&mut t).unwrap(), Readiness::Ready);
        let r = read_readiness(&mut t).unwrap();
        assert_eq!(r, Readiness::NoMedium(no_medium));
        assert_eq!(r.to_string(), "no medium (02/3A/00: medium not present)");
        assert_eq!(read_readiness(&mut t).unwrap(), Readiness::Other(reset));
    }

    #[test]
    fn readiness_errors_stay_errors() {
        let tur = cdb::build_test_unit_ready();
        let mut no_sense = check(&tur, Direction::None, 0, illegal_request());
        no_sense.sense.clear();
        let busy = TraceRecord {
            status: status::BUSY,
            ..good(&tur, Direction::None, 0, &[])
        };
        let mut t = replay(vec![no_sense, busy]);
        assert!(matches!(read_readiness(&mut t), Err(Error::NoSense)));
        assert!(matches!(
            read_readiness(&mut t),
            Err(Error::Status(status::BUSY))
        ));
    }

    #[test]
    fn request_sense() {
        let cdb = cdb::build_request_sense(18);
        let sense = Sense::new(SenseKey::UnitAttention, 0x29, 0x00);
        let mut t = replay(vec![
            good_in(&cdb, 18, &sense.to_fixed()),
            good_in(&cdb, 18, &[0u8; 18]),
        ]);
        assert_eq!(read_request_sense(&mut t).unwrap(), sense);
        assert!(matches!(
            read_request_sense(&mut t),
            Err(Error::Malformed { .. })
        ));
    }

    /// GET CONFIGURATION reply: header with `profile`, one descriptor for `code` with `data`.
    fn feature_reply(profile: u16, code: u16, data: &[u8]) -> Vec<u8> {
        let len = (4 + 4 + data.len()) as u32;
        let mut raw = len.to_be_bytes().to_vec();
        raw.extend_from_slice(&[0, 0]);
        raw.extend_from_slice(&profile.to_be_bytes());
        raw.extend_from_slice(&code.to_be_bytes());
        raw.extend_from_slice(&[0x03, data.len() as u8]);
        raw.extend_from_slice(data);
        raw
    }

    #[test]
    fn firmware_date_in_28_bytes() {
        let cdb = cdb::build_get_configuration(2, 0x010C, 28);
        let reply = feature_reply(0, 0x010C, b"20160512113000\0\0");
        assert_eq!(reply.len(), 28);
        let mut t = replay(vec![good_in(&cdb, 28, &reply)]);
        assert_eq!(
            read_firmware_date(&mut t).unwrap().as_deref(),
            Some("2016-05-12 11:30:00")
        );
    }

    #[test]
    fn serial_feature_grows_the_allocation() {
        // 24-byte serial: 36 bytes declared, 28 arrive first; re-issued with 36.
        let reply = feature_reply(0x0010, 0x0108, b"KL1G2KE1418A6B7C8D9E    ");
        assert_eq!(reply.len(), 36);
        let mut t = replay(vec![
            good_in(
                &cdb::build_get_configuration(2, 0x0108, 28),
                28,
                &reply[..28],
            ),
            good_in(&cdb::build_get_configuration(2, 0x0108, 36), 36, &reply),
        ]);
        assert_eq!(
            read_serial_feature(&mut t).unwrap().as_deref(),
            Some("KL1G2KE1418A6B7C8D9E")
        );
        assert_eq!(t.remaining(), 0);
    }

    #[test]
    fn configuration_keeps_the_current_profile() {
        let reply = feature_reply(0x0043, 0x0108, b"SN12");
        let mut t = replay(vec![good_in(
            &cdb::build_get_configuration(2, 0x0108, 28),
            28,
            &reply,
        )]);
        let config = read_configuration(&mut t, 0x0108).unwrap().unwrap();
        assert_eq!(config.current_profile, 0x0043);
        assert_eq!(config.feature(0x0108).map(|f| f.data.len()), Some(4));
    }

    #[test]
    fn absent_or_rejected_feature_is_none() {
        let cdb = cdb::build_get_configuration(2, 0x010C, 28);
        let header_only = [0, 0, 0, 4, 0, 0, 0, 0];
        let mut t = replay(vec![
            good_in(&cdb, 28, &header_only),
            check(&cdb, Direction::In, 28, illegal_request()),
        ]);
        assert_eq!(read_firmware_date(&mut t).unwrap(), None);
        assert_eq!(read_feature(&mut t, 0x010C).unwrap(), None);
    }

    #[test]
    fn capabilities_grow_from_mode_data_length() {
        // A page 0x2A with 40 write speed descriptors: 8 + 32 + 160 = 200 bytes.
        let mut reply = vec![0u8; 200];
        reply[..2].copy_from_slice(&198u16.to_be_bytes());
        reply[8] = 0x2A;
        reply[9] = 190;
        reply[8 + 2] = 0x08; // DVD-ROM read
        reply[8 + 6] = 0x29; // tray, eject, lock
        reply[8 + 30..8 + 32].copy_from_slice(&40u16.to_be_bytes());
        reply[198..200].copy_from_slice(&4234u16.to_be_bytes()); // last descriptor: 24x DVD
        let mut t = replay(vec![
            good_in(&cdb::build_mode_sense_10(0x2A, 128), 128, &reply[..128]),
            good_in(&cdb::build_mode_sense_10(0x2A, 200), 200, &reply),
        ]);
        let caps = read_capabilities(&mut t).unwrap().unwrap();
        assert_eq!(caps.reads, [crate::mode::Medium::DvdRom]);
        assert_eq!(caps.max_write_speed, Some(4234));
        assert_eq!(caps.write_speeds, [4234]);
        let mut t = replay(vec![check(
            &cdb::build_mode_sense_10(0x2A, 128),
            Direction::In,
            128,
            illegal_request(),
        )]);
        assert_eq!(read_capabilities(&mut t).unwrap(), None);
    }

    #[test]
    fn buffer_commands() {
        let rb = cdb::build_read_buffer(6, 0, 0x3000, 0x20);
        let banner = *b"MT1959 Boot BU5 \0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0";
        let wb = cdb::build_write_buffer(6, 0, 0x1F_0000, 4);
        let mut t = replay(vec![
            good_in(&rb, 0x20, &banner),
            good(&wb, Direction::Out, 4, &[1, 2, 3, 4]),
        ]);
        let mut buf = [0u8; 0x20];
        read_buffer(&mut t, 6, 0, 0x3000, &mut buf).unwrap();
        assert_eq!(buf, banner);
        // The replay compares the bytes sent with the payload in the trace.
        write_buffer(&mut t, 6, 0, 0x1F_0000, &[1, 2, 3, 4]).unwrap();
        assert_eq!(t.remaining(), 0);
    }

    /// A GOOD data-out record of `len` bytes of which the device reports `moved`.
    fn out_moving(cdb: &[u8], len: usize, moved: usize) -> TraceRecord {
        TraceRecord {
            transferred: moved,
            payload: None,
            ..good(cdb, Direction::Out, len, &[])
        }
    }

    #[test]
    fn a_write_the_device_took_only_part_of_is_a_short_transfer() {
        let wb = cdb::build_write_buffer(6, 0, 0, 0x4000);
        let mut t = replay(vec![out_moving(&wb, 0x4000, 100)]);
        let err = write_buffer(&mut t, 6, 0, 0, &[0; 0x4000]).unwrap_err();
        assert!(matches!(
            err,
            Error::ShortTransfer {
                command: "WRITE BUFFER",
                direction: Direction::Out,
                needed: 0x4000,
                got: 100
            }
        ));
        assert_eq!(
            err.to_string(),
            "short transfer: WRITE BUFFER (data-out) moved 100 of the 16384 bytes it needs"
        );
    }

    #[test]
    fn a_short_fixed_size_read_is_an_error_naming_the_command() {
        let rb = cdb::build_read_buffer(6, 0, 0x1E_C000, 0x100);
        let mut t = replay(vec![good_in(&rb, 0x100, &[0x5A; 0x80])]);
        let mut buf = [0u8; 0x100];
        let err = read_buffer(&mut t, 6, 0, 0x1E_C000, &mut buf).unwrap_err();
        assert!(matches!(
            err,
            Error::ShortTransfer {
                command: "READ BUFFER",
                direction: Direction::In,
                needed: 0x100,
                got: 0x80
            }
        ));
    }

    #[test]
    fn residual_rules() {
        use Direction::{In, None as NoData, Out};
        let exact = Expect::exact("X");
        let reply = Expect::up_to_allocation("X");
        let quirk = Expect {
            command: "final download",
            residual: ResidualRule::WholeTransferMayReport {
                source: "coastermelt doc/update-ts01-notes.txt",
            },
        };
        // Every rule passes a full transfer and a command without data.
        for e in [exact, reply, quirk] {
            assert_eq!(e.check(Out, 0x800, 0x800).unwrap(), 0x800);
            assert_eq!(e.check(In, 0x800, 0x800).unwrap(), 0x800);
            assert_eq!(e.check(NoData, 0, 0).unwrap(), 0);
            // A partial data-out never passes.
            assert!(e.check(Out, 0x800, 0x400).is_err());
        }
        // A reply may be shorter than its allocation; a fixed-size read may not.
        assert_eq!(reply.check(In, 96, 36).unwrap(), 36);
        assert!(exact.check(In, 96, 36).is_err());
        // The quirk: a residual equal to the whole length is success, counted as sent; it
        // is about data-out only (a data-in that moved nothing has no bytes to show).
        assert_eq!(quirk.check(Out, 0x800, 0).unwrap(), 0x800);
        assert!(exact.check(Out, 0x800, 0).is_err());
        assert!(reply.check(Out, 0x800, 0).is_err());
        assert!(quirk.check(In, 0x800, 0).is_err());
    }

    #[test]
    fn a_family_quirk_passes_through_run() {
        let wb = cdb::build_write_buffer(6, 0, 0, 0x800);
        let quirk = Expect {
            command: "final download",
            residual: ResidualRule::WholeTransferMayReport {
                source: "coastermelt doc/update-ts01-notes.txt",
            },
        };
        let mut t = replay(vec![out_moving(&wb, 0x800, 0), out_moving(&wb, 0x800, 0)]);
        let data = [0u8; 0x800];
        assert_eq!(
            run(&mut t, &wb, Data::Out(&data), TIMEOUT_FLASH, quirk).unwrap(),
            0x800
        );
        let exact = Expect::exact("chunk");
        assert!(matches!(
            run(&mut t, &wb, Data::Out(&data), TIMEOUT_FLASH, exact),
            Err(Error::ShortTransfer { got: 0, .. })
        ));
    }

    #[test]
    fn buffer_fields_beyond_24_bits_send_nothing() {
        let mut t = replay(Vec::new());
        let err = write_buffer(&mut t, 6, 0, 0x0100_0000, &[0; 4]).unwrap_err();
        assert!(matches!(
            err,
            Error::FieldOverflow {
                what: "WRITE BUFFER offset",
                value: 0x0100_0000,
                ..
            }
        ));
        let mut big = vec![0u8; 0x0100_0000];
        let err = read_buffer(&mut t, 6, 0, 0, &mut big).unwrap_err();
        assert!(matches!(
            err,
            Error::FieldOverflow {
                what: "READ BUFFER length",
                ..
            }
        ));
    }
}
