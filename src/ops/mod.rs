//! Workflows and policy: backup, dump, unit data (EEPROM), flash, and the safety machinery they
//! share (gates, atomic files, bundles, device lock, signal blocking, sleep inhibitor).
//!
//! `ops` knows files and policy but not CDB bytes: it drives chips only through
//! [`crate::family::FlashAccess`]. It never prints: workflows return plan and report structs
//! and report progress through a callback; errors map to exit codes in [`error`].

pub mod atomic;
pub mod bundle;
pub mod error;
pub mod gates;
pub mod inhibit;
pub mod lock;
pub mod signals;

pub use error::{DriveCondition, Error, ExitCode};
