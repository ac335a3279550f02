//! odflash's engine, portable: chip families and the workflows and safety policy over them.
//!
//! - [`family`]: one folder per chip family (probe, state, vendor CDBs, flasher, unit data);
//!   it knows CDBs but not files or terminals.
//! - [`ops`]: backup, dump, unit data, flash, rescue and the safety machinery they share; it
//!   knows files and policy but no CDB bytes.
//!
//! Below it: `odflash-scsi` (commands and transports) and `odflash-fw` (firmware formats), named
//! here `scsi` and `image` as the modules always called them. It never opens a device itself:
//! the `odflash` package turns DEVICE text into a transport (sg, emulated or replayed).

#![deny(missing_docs)]

pub mod family;
pub mod ops;

use odflash_fw as image;
use odflash_scsi as scsi;
