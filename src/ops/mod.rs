//! Workflows and policy: the portable ones of `odflash-core` (re-exported whole), plus the ones
//! that need this machine: [`open`] turns DEVICE text into a transport (sg, emulated or
//! replayed), [`probe`] enumerates and identifies drives for `scan`, `info` and `watch`,
//! [`hotplug`] classifies a drive read-only when it appears, [`doctor`] checks what on this
//! machine breaks flashing,
//! [`share`] builds the bug-report document of `info --share`.

pub use odflash_core::ops::*;

pub mod doctor;
pub mod hotplug;
pub mod open;
pub mod probe;
pub mod share;
