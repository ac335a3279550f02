//! The CDBs of the made-up "paged" family (tests only): the standard SPC-4 WRITE BUFFER
//! "download microcode and save" (mode 5) and READ BUFFER "data" (mode 2) modes, with the page
//! offset in the buffer-offset field. No drive speaks this protocol; the engine's tests run it
//! against an in-memory drive to prove the engine needs no knowledge of a family.

use crate::scsi::cdb::{build_read_buffer, build_write_buffer};
use crate::scsi::Expect;

/// WRITE BUFFER mode 5, download microcode and save (SPC-4 §6.49.6).
const MODE_DOWNLOAD_AND_SAVE: u8 = 0x05;
/// READ BUFFER mode 2, data (SPC-4 §6.36.4).
const MODE_DATA: u8 = 0x02;

/// A page write must move every byte.
pub const WRITE_PAGE: Expect = Expect::exact("page write (WRITE BUFFER mode 5)");
/// A page read must return every byte.
pub const READ_PAGE: Expect = Expect::exact("page read (READ BUFFER mode 2)");

/// Write `len` bytes at `offset`.
pub fn build_write_page(offset: u32, len: u32) -> [u8; 10] {
    build_write_buffer(MODE_DOWNLOAD_AND_SAVE, 0, offset, len)
}

/// Read `len` bytes at `offset`.
pub fn build_read_page(offset: u32, len: u32) -> [u8; 10] {
    build_read_buffer(MODE_DATA, 0, offset, len)
}
