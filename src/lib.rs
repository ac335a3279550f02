//! odflash: flash, back up and rescue MediaTek-based optical drives through Linux SG_IO.
//!
//! Layers (data flows down, never up):
//! `ops` (workflows and policy) -> `family` (chip protocols) -> `scsi` (commands, sense,
//! transports) -> `sg` (Linux SG_IO) / `emu` (emulated drives). `discover` enumerates drives
//! through udev and sysfs; `image` parses and builds firmware images without touching a device.
//! The command-line front end lives in the binary (`src/cli/`).

#![deny(missing_docs)]

pub mod discover;
pub mod emu;
pub mod family;
pub mod image;
pub mod ops;
pub mod scsi;
pub mod sg;
