//! The in-process tests of the engine and the Linux layer: workflows (ops) against emulated
//! drives and their command logs, the chip families, the rescue flow, the read-only hotplug
//! classification, SCSI parsers and replay, discovery on fake sysfs trees, the sg open path and
//! the replayed answers of real drives. One test binary (one link step) for all of them.

mod discover_files;
mod discover_sysfs;
mod discover_udev;
mod family_identify;
mod hotplug_readonly;
mod ops_common;
mod ops_data;
mod ops_flash;
mod ops_open;
mod ops_vendor_reads;
mod real_drives;
mod rescue_flow;
mod scsi_parsers;
mod scsi_replay;
mod sg_open;
