//! The workflow layer's error type and the ONE mapping from errors to process exit codes.
//!
//! Owns: [`Error`], [`ExitCode`], [`DriveCondition`] (what a failed flash left behind). It must
//! not print: the CLI renders the error chain (with the condition's commands) and calls
//! [`Error::exit_code`].
//!
//! Exit codes follow sg3_utils' `sg_lib.h` where they overlap (0, 1, 2, 3, 5, 6, 15, 33, 35, 97,
//! 99). sg3_utils uses 0..49 for categories, 50..96 for `50 + errno` and 97..99 for malformed,
//! sense and other; 40/41 are `SG_LIB_CAT_PROTECTION(_WITH_INFO)`. odflash's own codes therefore
//! start at 100, below the shell's 126..255.

use std::fmt;
use std::path::PathBuf;

use serde::Serialize;

use crate::family::{self, FamilyId, FlashReads};
use crate::scsi::{self, SenseKey, TransportError};

use super::atomic::FileError;
use super::gates::Gate;
use super::lock::Holder;
use super::next::NextStep;

/// Process exit codes. The numeric value is the `repr`; [`ExitCode::code`] returns it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[repr(u8)]
#[non_exhaustive]
pub enum ExitCode {
    /// 0: success (sg3_utils `SG_LIB_CAT_CLEAN`).
    Ok = 0,
    /// 1: bad arguments or unusable input file (sg3_utils `SG_LIB_SYNTAX_ERROR`).
    Usage = 1,
    /// 2: the drive reported NOT READY (sg3_utils `SG_LIB_CAT_NOT_READY`).
    NotReady = 2,
    /// 3: MEDIUM or HARDWARE ERROR (sg3_utils `SG_LIB_CAT_MEDIUM_HARD`).
    MediumHardware = 3,
    /// 5: ILLEGAL REQUEST (sg3_utils `SG_LIB_CAT_ILLEGAL_REQ`).
    IllegalRequest = 5,
    /// 6: UNIT ATTENTION (sg3_utils `SG_LIB_CAT_UNIT_ATTENTION`).
    UnitAttention = 6,
    /// 15: the device or a file could not be opened, or another odflash holds the device lock
    /// (sg3_utils `SG_LIB_FILE_ERROR`).
    OpenBusy = 15,
    /// 33: a command timed out (sg3_utils `SG_LIB_CAT_TIMEOUT`).
    Timeout = 33,
    /// 35: transport, host adapter or driver failure (sg3_utils `SG_LIB_TRANSPORT_ERROR`).
    Transport = 35,
    /// 97: the drive's reply did not follow its layout (sg3_utils `SG_LIB_CAT_MALFORMED`).
    Malformed = 97,
    /// 99: any other failure (sg3_utils `SG_LIB_CAT_OTHER`).
    Other = 99,
    /// 100: a safety gate refused; nothing was written to the drive.
    GateRefused = 100,
    /// 101: the drive's chip family is identify-only (or unknown), or its experimental reads
    /// were not asked for (`--experimental-reads`); nothing was written.
    FamilyUnsupported = 101,
    /// 102: the mandatory backup could not be written or validated; nothing was written.
    BackupFailed = 102,
    /// 103: the read-back after a write did not match: the drive's contents are not what was
    /// intended; the report names the next command.
    VerifyFailed = 103,
    /// 104: a flash or unit-data write failed part way: drive state uncertain; the report names
    /// the next command.
    WriteInterrupted = 104,
    /// The flash completed but the drive refuses the reads that would verify it.
    NotVerified = 105,
    /// The drive refused the image and kept its firmware.
    ImageRefused = 106,
}

impl ExitCode {
    /// The numeric exit status.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// Every exit code, in numeric order (for the README and man page).
    pub const ALL: [ExitCode; 18] = [
        ExitCode::Ok,
        ExitCode::Usage,
        ExitCode::NotReady,
        ExitCode::MediumHardware,
        ExitCode::IllegalRequest,
        ExitCode::UnitAttention,
        ExitCode::OpenBusy,
        ExitCode::Timeout,
        ExitCode::Transport,
        ExitCode::Malformed,
        ExitCode::Other,
        ExitCode::GateRefused,
        ExitCode::FamilyUnsupported,
        ExitCode::BackupFailed,
        ExitCode::VerifyFailed,
        ExitCode::WriteInterrupted,
        ExitCode::NotVerified,
        ExitCode::ImageRefused,
    ];

    /// One line describing the code (README / man page table).
    pub fn describe(self) -> &'static str {
        match self {
            ExitCode::Ok => "success",
            ExitCode::Usage => "bad arguments or unusable input file",
            ExitCode::NotReady => "drive not ready",
            ExitCode::MediumHardware => "medium or hardware error",
            ExitCode::IllegalRequest => "illegal request (command or field not supported)",
            ExitCode::UnitAttention => "unit attention (drive reset or medium changed)",
            ExitCode::OpenBusy => {
                "cannot open device or file, device busy (locked), or a write without root"
            }
            ExitCode::Timeout => "command timed out",
            ExitCode::Transport => "transport, host adapter or driver error",
            ExitCode::Malformed => "malformed reply from the drive",
            ExitCode::Other => "other error",
            ExitCode::GateRefused => "refused by a safety gate (nothing written)",
            ExitCode::FamilyUnsupported => {
                "chip family not supported for writing (identify-only), or its experimental \
                 reads not asked for (--experimental-reads)"
            }
            ExitCode::BackupFailed => "backup failed (nothing written)",
            ExitCode::VerifyFailed => "read-back verify failed (see the report's next step)",
            ExitCode::WriteInterrupted => {
                "write interrupted, drive state uncertain (see the report's next step)"
            }
            ExitCode::NotVerified => {
                "flashed but not verified: the drive refuses the reads (see the report)"
            }
            ExitCode::ImageRefused => "the drive refused the image and kept its firmware",
        }
    }
}

/// How far a failed write got, as far as odflash can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Burned {
    /// Nothing was burned: the failure came before the write plan's point of no return, or the
    /// drive refused or ignored the image.
    No,
    /// At or after the point of no return, the commit or the wait failed: the burn may be
    /// partial.
    Partly,
    /// The burn completed; the read-back failed or differs.
    Yes,
}

/// What a failed write most likely left on the drive, and what to run next.
///
/// Its `Display` is the state alone: the commands are values, which the CLI renders after the
/// error that carries them ([`Error::condition`]). They are boxed so errors stay small.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DriveCondition {
    /// How far the write got.
    pub burned: Burned,
    /// The likely state, in words ("the drive still runs its old firmware: nothing was burned").
    pub state: String,
    /// The command that puts the unit data the drive had back, from the backup taken before
    /// the write: said in words after the state, when the write replaced unit data.
    pub way_back: Option<Box<NextStep>>,
    /// The next command for the user.
    pub next: Box<NextStep>,
}

impl fmt::Display for DriveCondition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.state)
    }
}

/// What a read-back after a refused image showed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeptFirmware {
    /// The flash reads back equal to the backup taken before the write.
    Verified,
    /// The flash differs from the backup.
    Differs,
    /// No backup to compare with, or the drive could not be read.
    NotChecked,
}

impl fmt::Display for KeptFirmware {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KeptFirmware::Verified => "the read-back equals the backup: its firmware is unchanged",
            KeptFirmware::Differs => "yet the read-back DIFFERS from the backup taken before",
            KeptFirmware::NotChecked => "the read-back could not confirm it",
        })
    }
}

/// Errors of the workflow layer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A safety gate refused; zero device writes were sent. Exit [`ExitCode::GateRefused`].
    #[error("refused by the {gate} gate: {reason}")]
    GateRefused {
        /// The first gate that refused.
        gate: Gate,
        /// Why, including the waiver that could lift it (when one exists).
        reason: String,
    },
    /// Read-back after a write differs from what was written. Exit [`ExitCode::VerifyFailed`].
    #[error("verify failed at offset {offset:#08x}: expected {expected:#04x}, read {found:#04x} ({mismatched} bytes differ); {condition}")]
    VerifyMismatch {
        /// Flash offset of the first differing byte.
        offset: u32,
        /// The intended byte there.
        expected: u8,
        /// The byte read back.
        found: u8,
        /// How many bytes differ in total.
        mismatched: usize,
        /// Likely drive state and the next command.
        condition: DriveCondition,
    },
    /// A write sequence failed part way. Exit [`ExitCode::WriteInterrupted`].
    #[error("{phase} failed: {source}; {condition}")]
    WriteInterrupted {
        /// The phase that failed ("streaming chunk 17/128", "commit", "waiting for the drive").
        phase: String,
        /// The underlying failure.
        #[source]
        source: Box<family::Error>,
        /// Likely drive state and the next command.
        condition: DriveCondition,
    },
    /// The drive answered the burning chunk with ILLEGAL REQUEST: it refused the image (e.g. its
    /// anti-downgrade check) and kept its firmware.
    #[error(
        "the drive refused the image ({sense}), as drives do with an image their \
             anti-downgrade check rejects (\"Write DRAM NG 05/24/00\"); {kept}; {condition}"
    )]
    ImageRefused {
        /// What the drive answered.
        sense: scsi::Sense,
        /// What the read-back after the refusal showed.
        kept: KeptFirmware,
        /// What the drive is in and what to run next.
        condition: DriveCondition,
    },
    /// The drive acknowledged the whole image but did not take it.
    #[error("the drive did not take the image: boot ID mismatch? ({evidence}); {condition}")]
    ImageIgnored {
        /// What shows it.
        evidence: String,
        /// What the drive is in and what to run next.
        condition: DriveCondition,
    },
    /// The image was streamed and the drive came back, but it refuses the reads that would
    /// verify the burn. The flash report says so; exit [`ExitCode::NotVerified`].
    #[error("flashed, but not verified by read-back: {why}")]
    NotVerified {
        /// What the drive answered to the verify read.
        why: String,
    },
    /// The drive refuses flash reads: nothing can be dumped, backed up or verified. Exit
    /// [`ExitCode::IllegalRequest`] (what the drive answers to them).
    #[error("{0}: nothing can be dumped or backed up from this drive")]
    ReadsRefused(FlashReads),
    /// The backup could not be written or did not validate; nothing was written to the drive.
    /// Exit [`ExitCode::BackupFailed`].
    #[error("backup failed: {0}")]
    Backup(#[source] Box<Error>),
    /// A bundle or sidecar file is not what it should be. Exit [`ExitCode::Usage`].
    #[error("{path}: {detail}")]
    BadFile {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        detail: String,
    },
    /// Unit data from another drive offered for restore without
    /// [`FromOtherDrive::Allowed`](super::eeprom::FromOtherDrive). Exit [`ExitCode::GateRefused`].
    #[error("unit data is not provably this drive's: it was saved from {unit} ({file}), this drive is {drive}; its calibration may not fit: pass --from-other-drive to restore it anyway")]
    OtherDrive {
        /// The identity recorded in the file.
        file: String,
        /// The identity of the connected drive.
        drive: String,
        /// How the two relate (never [`UnitMatch::Same`](super::bundle::UnitMatch)).
        unit: super::bundle::UnitMatch,
    },
    /// A unit-data restore plan given a drive other than the one it was planned for (the
    /// drive was re-identified as another one, or the caller mixed them up): the plan's
    /// other-drive check would not hold, so nothing was sent. Exit [`ExitCode::GateRefused`].
    #[error("the restore was planned for {planned}, but the drive is {drive}: nothing was written; plan it again")]
    PlannedForAnotherDrive {
        /// The drive the plan was made for.
        planned: String,
        /// The drive it was given.
        drive: String,
    },
    /// The path to the drive carries fewer bytes per command than one command of the write
    /// needs; nothing was sent. Exit [`ExitCode::GateRefused`].
    #[error(
        "the path to the drive carries at most {} per command, but the {family} {command} \
         needs {} in one command: nothing was written; connect the drive over SATA or \
         through another USB bridge",
        size_text(*limit),
        size_text(*needed)
    )]
    PathTooNarrow {
        /// The path's hard limit, in bytes per command.
        limit: usize,
        /// Bytes the command needs.
        needed: usize,
        /// The drive's family.
        family: FamilyId,
        /// The command ("image download", "calibration window write").
        command: String,
    },
    /// Flash the workflow needs could not be read. Exit [`ExitCode::MediumHardware`].
    #[error("{0}")]
    Unreadable(String),
    /// A backup directory another user could plant or swap bundles in: nothing is read from
    /// or written to it. Exit [`ExitCode::Usage`].
    #[error("backup directory {path} {problem}")]
    UnsafeBackupDir {
        /// The directory (the base or a drive's directory under it).
        path: PathBuf,
        /// What is wrong with it, and the fix.
        problem: super::backup::UnsafeDir,
    },
    /// No backup exists for this drive. Exit [`ExitCode::Usage`].
    #[error("no backup found under {0}")]
    NoBackup(PathBuf),
    /// The family layer failed. Exit code from the SCSI sense or transport failure.
    #[error(transparent)]
    Family(#[from] family::Error),
    /// A file operation failed. Exit [`ExitCode::OpenBusy`] (open) or [`ExitCode::Other`].
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The failure.
        #[source]
        source: std::io::Error,
    },
    /// A write to a real drive was asked for without root. The kernel lets any member of group
    /// `cdrom` send WRITE BUFFER through a read-write sg node (`drivers/scsi/sg.c` applies its
    /// command filter only to read-only opens), so odflash itself insists on root before it
    /// writes. Exit [`ExitCode::OpenBusy`].
    #[error("writing to {0} needs root: run with sudo (read-only commands work for group cdrom)")]
    NeedsRoot(String),
    /// Another process holds the drive's lock (a writer, or a reader when a write was asked
    /// for); nothing was sent to the drive. Exit [`ExitCode::OpenBusy`].
    #[error("busy: {holder}; try again when it has finished ({} is locked)", lock.display())]
    Busy {
        /// The locked sg node or lock file.
        lock: PathBuf,
        /// Who holds it.
        holder: Holder,
    },
    /// The device could not be opened. Exit [`ExitCode::OpenBusy`].
    #[error("cannot open {device}: {detail}")]
    Open {
        /// The DEVICE argument.
        device: String,
        /// Why (includes the sudo / group hint for EACCES).
        detail: String,
    },
    /// No family claimed the drive, or it is identify-only. Exit
    /// [`ExitCode::FamilyUnsupported`].
    #[error("{0}")]
    Unsupported(String),
    /// The family of the drive is identify-only. Exit [`ExitCode::FamilyUnsupported`].
    #[error("{family} drives are identify-only: {why}")]
    IdentifyOnly {
        /// The family.
        family: FamilyId,
        /// Why its write commands are not available.
        why: &'static str,
    },
    /// The family offers only experimental reads (unconfirmed on hardware) and the user did not
    /// ask for them: nothing was sent. Exit [`ExitCode::FamilyUnsupported`].
    #[error(
        "{family} drives are identify-only: {why}. Their EEPROM and firmware reads are \
         experimental (unconfirmed on hardware), so nothing was sent: add \
         --experimental-reads to try them (they only read)"
    )]
    ExperimentalReadsNotAsked {
        /// The family.
        family: FamilyId,
        /// Why it is identify-only.
        why: &'static str,
    },
    /// An experimental read failed; nothing was saved. Exit code from the failure (ILLEGAL
    /// REQUEST 5, a short reply 97, ...).
    #[error("the experimental {what} failed: {source}; nothing was saved")]
    ExperimentalRead {
        /// The read and where ("EEPROM read (...) at 0x0080").
        what: String,
        /// What the drive or the path answered.
        #[source]
        source: Box<family::Error>,
    },
    /// The experimental reads answered, but with data that cannot be what was asked for (every
    /// byte the same, every read alike): nothing was saved. Exit [`ExitCode::Malformed`].
    #[error("the experimental {what} returned no usable data: {detail}; nothing was saved")]
    ExperimentalGarbage {
        /// What was read ("EEPROM", "firmware view").
        what: &'static str,
        /// What is wrong with it.
        detail: String,
    },
    /// The device is not an optical drive (peripheral type 5). Exit
    /// [`ExitCode::FamilyUnsupported`].
    #[error("{device} is peripheral type {peripheral_type}, not an optical drive (type 5)")]
    NotType5 {
        /// The device.
        device: String,
        /// The peripheral type it reported.
        peripheral_type: u8,
    },
}

impl From<FileError> for Error {
    fn from(e: FileError) -> Self {
        match e {
            FileError::Io { path, source } => Error::io(path, source),
            FileError::Refused { path, why } => Error::bad_file(path, why),
        }
    }
}

impl Error {
    /// Wrap a file failure with its path.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// A file that is not what it should be.
    pub fn bad_file(path: impl Into<PathBuf>, detail: impl Into<String>) -> Error {
        Error::BadFile {
            path: path.into(),
            detail: detail.into(),
        }
    }

    /// The exit code for this error: the single mapping (README.md, "Exit codes").
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Error::GateRefused { .. }
            | Error::OtherDrive { .. }
            | Error::PlannedForAnotherDrive { .. }
            | Error::PathTooNarrow { .. } => ExitCode::GateRefused,
            Error::VerifyMismatch { .. } | Error::ImageIgnored { .. } => ExitCode::VerifyFailed,
            Error::ImageRefused { .. } => ExitCode::ImageRefused,
            Error::NotVerified { .. } => ExitCode::NotVerified,
            Error::ReadsRefused(_) => ExitCode::IllegalRequest,
            Error::WriteInterrupted { .. } => ExitCode::WriteInterrupted,
            Error::Backup(_) => ExitCode::BackupFailed,
            Error::BadFile { .. } | Error::NoBackup(_) | Error::UnsafeBackupDir { .. } => {
                ExitCode::Usage
            }
            Error::Unreadable(_) => ExitCode::MediumHardware,
            Error::Family(e) => family_exit_code(e),
            Error::ExperimentalRead { source, .. } => family_exit_code(source),
            Error::ExperimentalGarbage { .. } => ExitCode::Malformed,
            Error::Io { source, .. } => match source.kind() {
                std::io::ErrorKind::NotFound | std::io::ErrorKind::PermissionDenied => {
                    ExitCode::OpenBusy
                }
                _ => ExitCode::Other,
            },
            Error::Busy { .. } | Error::Open { .. } | Error::NeedsRoot(_) => ExitCode::OpenBusy,
            Error::Unsupported(_)
            | Error::IdentifyOnly { .. }
            | Error::ExperimentalReadsNotAsked { .. }
            | Error::NotType5 { .. } => ExitCode::FamilyUnsupported,
        }
    }

    /// The drive condition a failed write left behind, when this error carries one.
    pub fn condition(&self) -> Option<&DriveCondition> {
        match self {
            Error::VerifyMismatch { condition, .. }
            | Error::WriteInterrupted { condition, .. }
            | Error::ImageRefused { condition, .. }
            | Error::ImageIgnored { condition, .. } => Some(condition),
            Error::Backup(inner) => inner.condition(),
            _ => None,
        }
    }
}

/// `n` bytes as people say it: "16 KiB", "256 bytes".
fn size_text(n: usize) -> String {
    if n >= 1024 && n % 1024 == 0 {
        format!("{} KiB", n / 1024)
    } else {
        format!("{n} bytes")
    }
}

fn family_exit_code(e: &family::Error) -> ExitCode {
    match e {
        family::Error::Scsi(s) => scsi_exit_code(s),
        family::Error::Ambiguous(_) | family::Error::Unsupported { .. } => {
            ExitCode::FamilyUnsupported
        }
        family::Error::Protocol(_) => ExitCode::Malformed,
        family::Error::NotReady(_) | family::Error::Busy(_) => ExitCode::NotReady,
        // A request outside the flash geometry is a bug above the family; nothing was sent.
        family::Error::InvalidRequest(_) => ExitCode::Other,
    }
}

fn scsi_exit_code(e: &scsi::Error) -> ExitCode {
    match e {
        scsi::Error::Sense(sense) => match sense.key {
            SenseKey::NotReady => ExitCode::NotReady,
            SenseKey::MediumError | SenseKey::HardwareError => ExitCode::MediumHardware,
            SenseKey::IllegalRequest => ExitCode::IllegalRequest,
            SenseKey::UnitAttention => ExitCode::UnitAttention,
            _ => ExitCode::Other,
        },
        scsi::Error::ShortTransfer { .. } | scsi::Error::Malformed { .. } => ExitCode::Malformed,
        scsi::Error::NoSense | scsi::Error::Status(_) | scsi::Error::FieldOverflow { .. } => {
            ExitCode::Other
        }
        scsi::Error::Transport(t) => match t {
            TransportError::Timeout(_) => ExitCode::Timeout,
            TransportError::Io(io) if io.kind() == std::io::ErrorKind::PermissionDenied => {
                ExitCode::OpenBusy
            }
            TransportError::PermissionDenied { .. } => ExitCode::OpenBusy,
            TransportError::Refused { .. } => ExitCode::FamilyUnsupported,
            _ => ExitCode::Transport,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::lock::Activity;
    use crate::scsi::Sense;
    use std::time::Duration;

    fn sense(key: SenseKey) -> Error {
        Error::Family(family::Error::Scsi(scsi::Error::Sense(Sense::new(
            key, 0, 0,
        ))))
    }

    #[test]
    fn codes_are_unique_and_sorted() {
        let codes: Vec<u8> = ExitCode::ALL.iter().map(|c| c.code()).collect();
        let mut sorted = codes.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(codes, sorted);
    }

    #[test]
    fn sense_keys_map_to_sg3_utils_categories() {
        assert_eq!(sense(SenseKey::NotReady).exit_code().code(), 2);
        assert_eq!(sense(SenseKey::MediumError).exit_code().code(), 3);
        assert_eq!(sense(SenseKey::HardwareError).exit_code().code(), 3);
        assert_eq!(sense(SenseKey::IllegalRequest).exit_code().code(), 5);
        assert_eq!(sense(SenseKey::UnitAttention).exit_code().code(), 6);
        let timeout = Error::Family(family::Error::Scsi(scsi::Error::Transport(
            TransportError::Timeout(Duration::from_secs(1)),
        )));
        assert_eq!(timeout.exit_code().code(), 33);
        let gone = Error::Family(family::Error::Scsi(scsi::Error::Transport(
            TransportError::Gone("unplugged".into()),
        )));
        assert_eq!(gone.exit_code().code(), 35);
    }

    #[test]
    fn safety_codes() {
        let gate = Error::GateRefused {
            gate: Gate::ChipFamily,
            reason: "x".into(),
        };
        assert_eq!(gate.exit_code(), ExitCode::GateRefused);
        let busy = Error::Busy {
            lock: "/dev/sg1".into(),
            holder: Holder {
                pid: Some(4242),
                activity: Some(Activity::Flashing),
            },
        };
        assert_eq!(busy.exit_code().code(), 15);
        assert!(busy.to_string().starts_with("busy: 4242 is flashing it"));
        let narrow = Error::PathTooNarrow {
            limit: 0x1000,
            needed: 0x4000,
            family: crate::family::FamilyId::named("test-family"),
            command: "image download".into(),
        };
        assert_eq!(narrow.exit_code(), ExitCode::GateRefused);
        assert!(narrow.to_string().starts_with(
            "the path to the drive carries at most 4 KiB per command, but the test-family image \
             download needs 16 KiB in one command: nothing was written"
        ));
        let backup = Error::Backup(Box::new(Error::bad_file("/x", "bad")));
        assert_eq!(backup.exit_code(), ExitCode::BackupFailed);
    }
}
