//! Transport-independent SCSI/MMC: the [`Transport`] trait every device path implements (Linux
//! SG_IO, the emulator, trace replay), CDB builders, response parsers and sense decoding.
//!
//! This layer knows command bytes and wire layouts. It must not know about chip families, files or
//! terminals: `family/` builds on it, and only `cli/`/`ops/` choose which transport to use.

#![deny(missing_docs)]

pub mod capture;
pub mod cdb;
pub mod command;
pub mod config;
pub mod guard;
pub mod hex;
pub mod inquiry;
pub mod memo;
pub mod mode;
pub mod redact;
pub mod replay;
pub mod sense;
pub mod trace;

use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use command::*;
pub use sense::{Readiness, Sense, SenseKey};

/// The data phase of one command: none, data in from the device, or data out to it.
#[derive(Debug)]
pub enum Data<'a> {
    /// No data phase.
    None,
    /// Data in: the device fills this buffer (its length is the allocation length).
    In(&'a mut [u8]),
    /// Data out: these bytes go to the device.
    Out(&'a [u8]),
}

impl Data<'_> {
    /// The direction of this data phase.
    pub fn direction(&self) -> Direction {
        match self {
            Data::None => Direction::None,
            Data::In(_) => Direction::In,
            Data::Out(_) => Direction::Out,
        }
    }

    /// Number of bytes requested in the data phase.
    pub fn len(&self) -> usize {
        match self {
            Data::None => 0,
            Data::In(b) => b.len(),
            Data::Out(b) => b.len(),
        }
    }

    /// True when the data phase moves no bytes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Direction of a data phase, as recorded in traces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// No data phase.
    None,
    /// Device to host.
    In,
    /// Host to device.
    Out,
}

impl std::fmt::Display for Direction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Direction::None => "no data",
            Direction::In => "data-in",
            Direction::Out => "data-out",
        })
    }
}

/// SCSI status byte values (SAM-5 §5.3.1) that matter to us.
pub mod status {
    /// GOOD.
    pub const GOOD: u8 = 0x00;
    /// CHECK CONDITION: sense data describes the error.
    pub const CHECK_CONDITION: u8 = 0x02;
    /// BUSY.
    pub const BUSY: u8 = 0x08;
    /// RESERVATION CONFLICT.
    pub const RESERVATION_CONFLICT: u8 = 0x18;
    /// TASK SET FULL.
    pub const TASK_SET_FULL: u8 = 0x28;
}

/// What a transport reports for one executed command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// SCSI status byte (see [`status`]).
    pub status: u8,
    /// Host adapter status (Linux `DID_*` values; 0 = OK). Non-Linux transports report 0.
    pub host_status: u16,
    /// Driver status with `DRIVER_SENSE` masked (Linux `DRIVER_*`; 0 = OK).
    pub driver_status: u16,
    /// Bytes actually moved in the data phase (requested minus residual).
    pub transferred: usize,
    /// Sense bytes returned with a CHECK CONDITION (empty otherwise).
    pub sense: Vec<u8>,
    /// Wall (or virtual, for the emulator) time the command took.
    pub duration: Duration,
}

impl Outcome {
    /// A GOOD outcome that moved `transferred` bytes.
    pub fn good(transferred: usize, duration: Duration) -> Self {
        Outcome {
            status: status::GOOD,
            host_status: 0,
            driver_status: 0,
            transferred,
            sense: Vec::new(),
            duration,
        }
    }

    /// A CHECK CONDITION outcome carrying `sense`.
    pub fn check_condition(sense: Vec<u8>, transferred: usize, duration: Duration) -> Self {
        Outcome {
            status: status::CHECK_CONDITION,
            host_status: 0,
            driver_status: 0,
            transferred,
            sense,
            duration,
        }
    }
}

/// The most one command's data phase carries on a path, as far as the path knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TransferLimit {
    /// Bytes per command.
    pub bytes: usize,
    /// Whether a larger command fails, or is merely not known to pass.
    pub bound: Bound,
}

/// How firm a [`TransferLimit`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Bound {
    /// A larger command fails: the kernel queue's `max_hw_sectors_kb` / `max_segments`, or a
    /// bridge's limit (the emulator's `max-transfer`). A write that needs more is refused
    /// before anything is sent.
    Hard,
    /// This size is known to pass and larger ones may pass too (the sg driver's reserved
    /// buffer, which sg outgrows on demand): reads are sized within it, writes are not
    /// refused by it.
    KnownToPass,
}

impl TransferLimit {
    /// A limit no larger command passes.
    pub const fn hard(bytes: usize) -> TransferLimit {
        TransferLimit {
            bytes,
            bound: Bound::Hard,
        }
    }

    /// A size known to pass, not known to be the most.
    pub const fn known_to_pass(bytes: usize) -> TransferLimit {
        TransferLimit {
            bytes,
            bound: Bound::KnownToPass,
        }
    }

    /// True when a command of `needed` bytes cannot pass: the limit is hard and smaller.
    pub fn refuses(&self, needed: usize) -> bool {
        self.bound == Bound::Hard && needed > self.bytes
    }
}

/// Failures below the SCSI layer: the command did not complete with a SCSI status.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// The device did not answer within the command's timeout.
    #[error("command timed out after {0:?}")]
    Timeout(Duration),
    /// The device went away (unplugged, reset, or the node vanished).
    #[error("device is gone: {0}")]
    Gone(String),
    /// The host adapter or driver reported a failure (Linux `DID_*` / `DRIVER_*`).
    #[error("host adapter status {host_status:#06x}, driver status {driver_status:#06x}")]
    Host {
        /// Linux `DID_*` host status.
        host_status: u16,
        /// Linux `DRIVER_*` status with `DRIVER_SENSE` masked.
        driver_status: u16,
    },
    /// A safety guard refused to send this command; nothing reached the device.
    #[error("refused to send opcode {opcode:#04x}: {reason}")]
    Refused {
        /// The opcode (CDB byte 0) that was refused.
        opcode: u8,
        /// Why the guard refused it.
        reason: String,
    },
    /// The operating system refused the command (EPERM/EACCES on SG_IO): e.g. WRITE BUFFER
    /// needs CAP_SYS_RAWIO.
    #[error("permission denied for opcode {opcode:#04x}: {hint}")]
    PermissionDenied {
        /// The opcode (CDB byte 0) that was refused.
        opcode: u8,
        /// What the user should do ("flashing needs CAP_SYS_RAWIO: run as root").
        hint: &'static str,
    },
    /// The system call failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// A replayed trace did not contain this command.
    #[error("replay mismatch: {0}")]
    Replay(String),
}

/// One device path able to execute SCSI commands.
///
/// Implementations: `sg::Device` (Linux SG_IO), `emu::Drive` (the emulator),
/// [`replay::Replay`] (recorded traces) and wrappers such as [`trace::Recorder`] and
/// [`guard::Guard`].
pub trait Transport {
    /// Execute one command: `cdb` with its data phase, waiting at most `timeout`.
    ///
    /// A CHECK CONDITION is not an error at this level: it is an [`Outcome`] with sense bytes.
    fn execute(
        &mut self,
        cdb: &[u8],
        data: Data<'_>,
        timeout: Duration,
    ) -> Result<Outcome, TransportError>;

    /// Largest data phase this path carries in one command, when known (the kernel queue's
    /// limit, the sg reserved size, a bridge's limit), and how firm that is. `None` means
    /// unknown: readers probe.
    fn max_transfer(&self) -> Option<TransferLimit> {
        None
    }

    /// Wait for `duration` between commands (polling for readiness, settling after a burn).
    /// The emulator overrides this to advance its virtual clock.
    fn pause(&mut self, duration: Duration) {
        std::thread::sleep(duration);
    }

    /// A short human description of the path ("/dev/sg1", "emu:mt1959").
    fn describe(&self) -> String;
}

impl<T: Transport + ?Sized> Transport for &mut T {
    fn execute(
        &mut self,
        cdb: &[u8],
        data: Data<'_>,
        timeout: Duration,
    ) -> Result<Outcome, TransportError> {
        (**self).execute(cdb, data, timeout)
    }
    fn max_transfer(&self) -> Option<TransferLimit> {
        (**self).max_transfer()
    }
    fn pause(&mut self, duration: Duration) {
        (**self).pause(duration)
    }
    fn describe(&self) -> String {
        (**self).describe()
    }
}

impl<T: Transport + ?Sized> Transport for Box<T> {
    fn execute(
        &mut self,
        cdb: &[u8],
        data: Data<'_>,
        timeout: Duration,
    ) -> Result<Outcome, TransportError> {
        (**self).execute(cdb, data, timeout)
    }
    fn max_transfer(&self) -> Option<TransferLimit> {
        (**self).max_transfer()
    }
    fn pause(&mut self, duration: Duration) {
        (**self).pause(duration)
    }
    fn describe(&self) -> String {
        (**self).describe()
    }
}

/// Errors of the SCSI layer: a command that completed badly, or a reply we could not parse.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// CHECK CONDITION with decoded sense.
    #[error("{0}")]
    Sense(Sense),
    /// CHECK CONDITION without usable sense data.
    #[error("CHECK CONDITION without sense data")]
    NoSense,
    /// A status other than GOOD or CHECK CONDITION (BUSY, RESERVATION CONFLICT, ...).
    #[error("SCSI status {0:#04x}")]
    Status(u8),
    /// A data phase moved fewer bytes than the command needs: a write the device took only
    /// part of, or a reply too short for what the caller reads from it.
    #[error("short transfer: {command} ({direction}) moved {got} of the {needed} bytes it needs")]
    ShortTransfer {
        /// The command ("flash chunk write (WRITE BUFFER mode 6)", "INQUIRY", ...).
        command: &'static str,
        /// Which way the bytes go.
        direction: Direction,
        /// Bytes the command needs moved.
        needed: usize,
        /// Bytes that moved.
        got: usize,
    },
    /// A reply that does not follow its layout.
    #[error("malformed {what}: {detail}")]
    Malformed {
        /// Which reply ("INQUIRY data", "GET CONFIGURATION header", ...).
        what: &'static str,
        /// What is wrong with it.
        detail: String,
    },
    /// A request that does not fit its CDB field (e.g. a READ BUFFER length beyond 24 bits);
    /// nothing was sent.
    #[error("{what} {value:#x} does not fit its CDB field (max {max:#x})")]
    FieldOverflow {
        /// Which field ("READ BUFFER length", "WRITE BUFFER offset", ...).
        what: &'static str,
        /// The value asked for.
        value: u64,
        /// The largest value the field holds.
        max: u64,
    },
    /// The command did not complete.
    #[error(transparent)]
    Transport(#[from] TransportError),
}

impl Error {
    /// The sense data, when this error is a CHECK CONDITION with sense.
    pub fn sense(&self) -> Option<&Sense> {
        match self {
            Error::Sense(s) => Some(s),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_hard_limit_refuses_a_larger_command() {
        let bridge = TransferLimit::hard(0x1000);
        assert!(bridge.refuses(0x4000));
        assert!(!bridge.refuses(0x1000));
        // The sg reserved buffer: 32 KiB known to pass, a 64 KiB window write still goes.
        let reserved = TransferLimit::known_to_pass(0x8000);
        assert!(!reserved.refuses(0x1_0000));
    }
}
