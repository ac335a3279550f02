//! `sg::Error` (opening a node, resolving it through sysfs, executing SG_IO) and the typed Linux
//! host (`DID_*`) and driver (`DRIVER_*`) status codes.
//!
//! Messages name the path and say what to do next; callers match variants, never text. This
//! module must not decide policy (what to retry, exit codes): `ops` does.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use nix::errno::Errno;

use crate::scsi::TransportError;

/// What kind of file a DEVICE argument turned out to be, when it is not a character device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    /// A regular file.
    Regular,
    /// A directory.
    Directory,
    /// A block device that has no SCSI generic node (e.g. a loop or NVMe device).
    Block,
    /// A FIFO, socket or anything else.
    Other,
}

impl fmt::Display for NodeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NodeKind::Regular => "a regular file",
            NodeKind::Directory => "a directory",
            NodeKind::Block => "a block device without a SCSI generic node",
            NodeKind::Other => "not a device node",
        })
    }
}

/// Errors of the sg layer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The DEVICE path (or the sg node it maps to) does not exist.
    #[error("{path} does not exist: `odflash scan` lists the optical drives")]
    NotFound {
        /// The path that was looked up.
        path: PathBuf,
    },
    /// Opening the node was refused (EACCES/EPERM).
    #[error(
        "permission denied opening {path}: run with sudo (or join group cdrom for read-only \
         commands)"
    )]
    PermissionDenied {
        /// The node that could not be opened.
        path: PathBuf,
    },
    /// The path is a regular file, directory or other non-character-device file.
    #[error(
        "{path} is {kind}, not a SCSI generic device; give /dev/sgN, /dev/srN or a \
         /dev/disk/by-id link"
    )]
    NotCharDevice {
        /// The resolved path.
        path: PathBuf,
        /// What the path is instead.
        kind: NodeKind,
    },
    /// A character device that is not driven by sg (e.g. /dev/null, /dev/zero, a tty).
    #[error(
        "{path} is not a SCSI generic device; give /dev/sgN, /dev/srN or a /dev/disk/by-id link"
    )]
    NotSg {
        /// The resolved path.
        path: PathBuf,
    },
    /// A SCSI block device (e.g. /dev/sr0) whose sg node does not exist in sysfs.
    #[error("{path} has no SCSI generic node: load the sg module: modprobe sg")]
    NoSgNode {
        /// The block device that was given.
        path: PathBuf,
    },
    /// The sg driver is older than the version 3 interface (SG_IO) odflash needs.
    #[error("{path}: sg driver version {version} is too old (SG_IO needs 30000 or later)")]
    OldDriver {
        /// The sg node.
        path: PathBuf,
        /// The reported SG_GET_VERSION_NUM.
        version: i32,
    },
    /// The node is held exclusively by another program (EBUSY).
    #[error("{path} is busy: another program holds it open exclusively")]
    Busy {
        /// The sg node.
        path: PathBuf,
    },
    /// Any other system call failure while opening or inspecting a node or sysfs.
    #[error("{op} {path}: {source}")]
    Os {
        /// What we were doing ("open", "stat", "read sysfs", ...).
        op: &'static str,
        /// The path involved.
        path: PathBuf,
        /// The errno.
        source: Errno,
    },
    /// The CDB is shorter than 6 or longer than 16 bytes (what sg accepts).
    #[error("invalid CDB length {0} (6..=16 bytes)")]
    CdbLength(usize),
    /// The data phase does not fit one SG_IO request (4 GiB).
    #[error("data phase of {0} bytes is too large for SG_IO")]
    TransferTooLarge(usize),
    /// The command did not finish within its timeout (`DID_TIME_OUT` or `DRIVER_TIMEOUT`).
    #[error("command timed out after {0:?}")]
    Timeout(Duration),
    /// The device went away: `DID_NO_CONNECT`, or ENODEV/ENXIO from SG_IO.
    #[error("device is gone ({0})")]
    Gone(&'static str),
    /// The host adapter or driver failed the command without a SCSI status.
    #[error("host status {host}, driver status {driver}")]
    Host {
        /// Linux host byte.
        host: HostStatus,
        /// Linux driver byte, `DRIVER_SENSE` masked.
        driver: DriverStatus,
    },
    /// The kernel refused the command itself (EPERM/EACCES from SG_IO): commands outside the
    /// kernel's safe list need CAP_SYS_RAWIO.
    #[error("permission denied for opcode {opcode:#04x}: {hint}")]
    CommandNotPermitted {
        /// The opcode (CDB byte 0).
        opcode: u8,
        /// What to do about it.
        hint: &'static str,
    },
    /// SG_IO itself failed with another errno (EINVAL, ENOMEM, EIO, EINTR, ...).
    #[error("SG_IO failed for opcode {opcode:#04x}: {source}")]
    Ioctl {
        /// The opcode (CDB byte 0).
        opcode: u8,
        /// The errno.
        source: Errno,
    },
}

impl From<Error> for TransportError {
    fn from(e: Error) -> Self {
        match e {
            Error::Timeout(d) => TransportError::Timeout(d),
            Error::Gone(why) => TransportError::Gone(why.to_string()),
            Error::Host { host, driver } => TransportError::Host {
                host_status: host.raw(),
                driver_status: driver.raw(),
            },
            Error::CommandNotPermitted { opcode, hint } => {
                TransportError::PermissionDenied { opcode, hint }
            }
            Error::Ioctl { source, .. } | Error::Os { source, .. } => {
                TransportError::Io(std::io::Error::from(source))
            }
            other => TransportError::Io(std::io::Error::other(other)),
        }
    }
}

/// Declares a status enum over Linux constants: each known value with its kernel name, plus
/// `Unknown` for values a newer kernel may add.
macro_rules! linux_status {
    ($(#[$doc:meta])* $name:ident($raw:ty) { $($(#[$vdoc:meta])* $variant:ident = $value:literal => $cname:literal,)* }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name {
            $($(#[$vdoc])* $variant,)*
            /// A value this table does not know.
            Unknown($raw),
        }

        impl $name {
            /// Decode a raw value.
            pub fn from_raw(raw: $raw) -> Self {
                match raw {
                    $($value => $name::$variant,)*
                    other => $name::Unknown(other),
                }
            }

            /// The raw value.
            pub fn raw(self) -> $raw {
                match self {
                    $($name::$variant => $value,)*
                    $name::Unknown(other) => other,
                }
            }

            /// The kernel's name for the value ("DID_TIME_OUT"), if known.
            pub fn name(self) -> Option<&'static str> {
                match self {
                    $($name::$variant => Some($cname),)*
                    $name::Unknown(_) => None,
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self.name() {
                    Some(n) => write!(f, "{n} ({:#04x})", self.raw()),
                    None => write!(f, "{:#04x}", self.raw()),
                }
            }
        }
    };
}

linux_status! {
    /// Linux host byte (`sg_io_hdr.host_status`): `enum scsi_host_status`, torvalds/linux
    /// include/scsi/scsi_status.h.
    HostStatus(u16) {
        /// No error.
        Ok = 0x00 => "DID_OK",
        /// Could not connect before the timeout: the device is gone.
        NoConnect = 0x01 => "DID_NO_CONNECT",
        /// The bus stayed busy through the timeout.
        BusBusy = 0x02 => "DID_BUS_BUSY",
        /// The command timed out.
        TimeOut = 0x03 => "DID_TIME_OUT",
        /// Bad target.
        BadTarget = 0x04 => "DID_BAD_TARGET",
        /// Aborted.
        Abort = 0x05 => "DID_ABORT",
        /// Parity error.
        Parity = 0x06 => "DID_PARITY",
        /// Internal error of the host adapter driver.
        Error = 0x07 => "DID_ERROR",
        /// Reset by somebody.
        Reset = 0x08 => "DID_RESET",
        /// Unexpected interrupt.
        BadIntr = 0x09 => "DID_BAD_INTR",
        /// Forced past the mid-layer.
        Passthrough = 0x0a => "DID_PASSTHROUGH",
        /// The low-level driver asks for a retry.
        SoftError = 0x0b => "DID_SOFT_ERROR",
        /// Retry without decrementing the retry count.
        ImmRetry = 0x0c => "DID_IMM_RETRY",
        /// Requeue.
        Requeue = 0x0d => "DID_REQUEUE",
        /// The transport was disrupted.
        TransportDisrupted = 0x0e => "DID_TRANSPORT_DISRUPTED",
        /// The transport class failed the command fast.
        TransportFailfast = 0x0f => "DID_TRANSPORT_FAILFAST",
        /// Permanent target failure.
        TargetFailure = 0x10 => "DID_TARGET_FAILURE",
        /// Permanent nexus failure.
        NexusFailure = 0x11 => "DID_NEXUS_FAILURE",
        /// Space allocation on the device failed.
        AllocFailure = 0x12 => "DID_ALLOC_FAILURE",
        /// Medium error.
        MediumError = 0x13 => "DID_MEDIUM_ERROR",
        /// Marginal transport errors.
        TransportMarginal = 0x14 => "DID_TRANSPORT_MARGINAL",
    }
}

linux_status! {
    /// Linux driver byte (`sg_io_hdr.driver_status`, low nibble), as Linux before 5.14 defined it
    /// in include/scsi/scsi.h (sg3_utils keeps the same table as `SG_LIB_DRIVER_*`). Kernels
    /// since 5.14 only ever report `DRIVER_SENSE`, which odflash masks; older ones may report
    /// the others.
    DriverStatus(u16) {
        /// No error.
        Ok = 0x00 => "DRIVER_OK",
        /// Busy.
        Busy = 0x01 => "DRIVER_BUSY",
        /// Soft error.
        Soft = 0x02 => "DRIVER_SOFT",
        /// Medium error.
        Media = 0x03 => "DRIVER_MEDIA",
        /// Driver error.
        Error = 0x04 => "DRIVER_ERROR",
        /// Invalid request.
        Invalid = 0x05 => "DRIVER_INVALID",
        /// The command timed out.
        Timeout = 0x06 => "DRIVER_TIMEOUT",
        /// Hard error.
        Hard = 0x07 => "DRIVER_HARD",
    }
}

/// `DRIVER_SENSE`: set by the kernel on every CHECK CONDITION (drivers/scsi/sg.c,
/// drivers/scsi/scsi_ioctl.c `scsi_complete_sghdr_rq`); it says "sense is valid", not "error".
pub(crate) const DRIVER_SENSE: u16 = 0x08;

/// The `SUGGEST_*` bits old kernels put in the driver byte's high nibble (sg3_utils
/// `SG_LIB_SUGGEST_MASK`): advice to the mid-layer, not a status.
const DRIVER_SUGGEST_MASK: u16 = 0xf0;

impl DriverStatus {
    /// Decode a raw `driver_status`, dropping `DRIVER_SENSE` and the `SUGGEST_*` bits.
    pub fn from_reply(raw: u16) -> Self {
        DriverStatus::from_raw(raw & !(DRIVER_SENSE | DRIVER_SUGGEST_MASK))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_status_round_trips_and_names() {
        for raw in 0u16..0x20 {
            assert_eq!(HostStatus::from_raw(raw).raw(), raw);
        }
        assert_eq!(HostStatus::from_raw(0x03), HostStatus::TimeOut);
        assert_eq!(HostStatus::TimeOut.name(), Some("DID_TIME_OUT"));
        assert_eq!(HostStatus::from_raw(0x01), HostStatus::NoConnect);
        assert_eq!(HostStatus::from_raw(0x14), HostStatus::TransportMarginal);
        assert_eq!(HostStatus::from_raw(0x15), HostStatus::Unknown(0x15));
        assert_eq!(HostStatus::Error.to_string(), "DID_ERROR (0x07)");
        assert_eq!(HostStatus::Unknown(0x42).to_string(), "0x42");
    }

    #[test]
    fn driver_status_masks_sense_and_suggest_bits() {
        assert_eq!(DriverStatus::from_reply(0x08), DriverStatus::Ok);
        assert_eq!(DriverStatus::from_reply(0x00), DriverStatus::Ok);
        assert_eq!(DriverStatus::from_reply(0x06), DriverStatus::Timeout);
        assert_eq!(DriverStatus::from_reply(0x24), DriverStatus::Error);
        assert_eq!(DriverStatus::Timeout.name(), Some("DRIVER_TIMEOUT"));
        assert_eq!(DriverStatus::from_raw(0x09), DriverStatus::Unknown(0x09));
    }

    #[test]
    fn errors_convert_to_transport_errors() {
        let t: TransportError = Error::Timeout(Duration::from_secs(3)).into();
        assert!(matches!(t, TransportError::Timeout(d) if d == Duration::from_secs(3)));
        let t: TransportError = Error::Gone("DID_NO_CONNECT").into();
        assert!(matches!(t, TransportError::Gone(_)));
        let t: TransportError = Error::Host {
            host: HostStatus::Reset,
            driver: DriverStatus::Ok,
        }
        .into();
        assert!(matches!(
            t,
            TransportError::Host {
                host_status: 0x08,
                driver_status: 0
            }
        ));
        let t: TransportError = Error::CommandNotPermitted {
            opcode: 0x3B,
            hint: "h",
        }
        .into();
        assert!(matches!(
            t,
            TransportError::PermissionDenied { opcode: 0x3B, .. }
        ));
        let t: TransportError = Error::Ioctl {
            opcode: 0x12,
            source: Errno::ENOMEM,
        }
        .into();
        assert!(matches!(t, TransportError::Io(ref e) if e.raw_os_error() == Some(libc::ENOMEM)));
    }
}
