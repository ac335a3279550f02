//! odflash: flash, back up and rescue MediaTek-based optical drives through Linux SG_IO.
//!
//! This package holds what is Linux-specific: [`sg`] (SG_IO), [`discover`] (udev and sysfs) and
//! the workflows that open DEVICE text or enumerate drives ([`ops::open`], [`ops::probe`],
//! [`ops::hotplug`]). The portable layers are crates of their own, re-exported here under the
//! names the layers use for each other (data flows down, never up): [`ops`] and [`family`]
//! (`odflash-core`) -> [`scsi`] (`odflash-scsi`) and [`image`] (`odflash-fw`); [`emu`]
//! (`odflash-emu`) is a transport like [`sg`]. The command-line front end lives in the binary
//! (`src/cli/`).

#![deny(missing_docs)]

pub mod discover;
pub mod ops;
pub mod sg;

pub use odflash_core::family;
pub use odflash_emu as emu;
pub use odflash_fw as image;
pub use odflash_scsi as scsi;
