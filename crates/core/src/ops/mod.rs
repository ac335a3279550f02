//! Workflows and policy: backup, dump, unit data (EEPROM), flash, experimental vendor reads, and
//! the safety machinery they share (gates, atomic files, bundles, device lock, signal blocking,
//! sleep inhibitor).
//!
//! `ops` knows files and policy but not CDB bytes: it drives chips only through
//! [`crate::family::FlashAccess`] and a family's experimental [`crate::family::VendorReads`].
//! It never prints: workflows return plan and report structs and report progress through a
//! callback; errors map to exit codes in [`error`].

pub mod backup;
pub mod bundle;
pub mod check;
pub mod drive;
pub mod dump;
pub mod eeprom;
#[cfg(test)]
mod engine_tests;
pub mod error;
pub mod flash;
pub mod gates;
pub mod inhibit;
pub mod lock;
pub mod next;
pub mod rescue;
pub mod sent;
pub mod session;
pub mod signals;
pub mod vendor_reads;

pub use error::{DriveCondition, Error, ExitCode};
pub use odflash_files::{atomic, input};

/// A workflow phase, as reported to the progress callback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    /// Reading flash (dump, backup, unit data).
    Read,
    /// Entering download mode.
    Prepare,
    /// Streaming image chunks.
    Write,
    /// Sending the commit trailer.
    Commit,
    /// Waiting for the drive to come back.
    WaitReady,
    /// Reading back and comparing.
    Verify,
    /// Writing a per-unit window.
    WriteWindow,
}

/// Progress of a workflow: `done` of `total` bytes in `phase`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Progress {
    /// What is happening.
    pub phase: Phase,
    /// Bytes done in this phase.
    pub done: usize,
    /// Bytes in this phase.
    pub total: usize,
}

/// The exact command line to suggest to a user: `odflash ARGS...` quoted for a POSIX shell,
/// with `sudo` in front when the device is of a `kind` that needs root.
pub fn suggest_command(kind: drive::DeviceKind, args: &[&str]) -> String {
    let words = std::iter::once("odflash").chain(args.iter().copied());
    let line = shlex::try_join(words).unwrap_or_else(|_| {
        // A NUL byte cannot be quoted; such a path cannot be typed either.
        format!("odflash {}", args.join(" "))
    });
    if kind.needs_root() {
        format!("sudo {line}")
    } else {
        line
    }
}
