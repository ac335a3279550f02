//! Linux SG_IO: the SCSI generic transport.
//!
//! Owns the bindgen bindings (`sys`, the only place with `unsafe`), opening a DEVICE argument
//! as an sg node (`/dev/srN` -> `/dev/sgM` through sysfs, by-id links canonicalized), executing
//! commands through SG_IO and mapping the kernel's status, host, driver and residual fields.
//!
//! It implements `scsi::Transport` and must know nothing above it: no chip families, no policy
//! (the type-5 rule and exit codes belong to `ops`, which reads [`Device::peripheral_type`]).

#![deny(clippy::undocumented_unsafe_blocks)]

mod device;
mod error;
mod sys;
mod sysfs;
mod transport;

pub use device::{Access, Device};
pub use error::{DriverStatus, Error, HostStatus, NodeKind};
pub use sysfs::{read_max_transfer, read_peripheral_type, resolve_sg_node, SysfsRoot};
