//! The pieces of the FunctionFS mass-storage gadget: `ffs` (ep0 layouts and endpoint files)
//! and `bot` (Bulk-Only Transport framing over any `scsi::Transport`).

pub mod bot;
pub mod ffs;
