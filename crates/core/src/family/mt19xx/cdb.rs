//! The MT19xx vendor CDBs: the only file in odflash that spells out MT19xx vendor command
//! bytes (READ BUFFER / WRITE BUFFER mode numbers, the PREPARE and COMMIT trailers, the vendor
//! REQUEST SENSE). Pure builders returning fixed-size arrays, each checked byte by byte below
//! against the section of docs/protocol.md (§2.2–§2.7) it comes from.
//!
//! This module must not send anything: `flash.rs` and `mod.rs` send what it builds. [`describe`]
//! names these commands, and the MT19xx-family ones odflash never sends, in decoded traces.

use crate::scsi::cdb::{build_read_buffer, build_write_buffer};
use crate::scsi::Expect;

// What each command may report as residual with GOOD status. No public source reports an
// MT19xx command that completes with a residual (freemkv-firmware `drive/mtk.rs` and redumper
// `drive/flash_mt1959.ixx` send fixed lengths and read fixed-size replies), so every one is
// exact: a chunk the drive took only part of is a failed chunk, never a sent one.

/// Flash window read (READ BUFFER mode 6): the whole window must arrive.
pub const READ_WINDOW: Expect = Expect::exact("flash read (READ BUFFER mode 6)");
/// PREPARE: no data phase.
pub const PREPARE: Expect = Expect::exact("PREPARE (WRITE BUFFER mode 1)");
/// Image chunk or unit window write (WRITE BUFFER mode 6): every byte must reach the drive.
pub const WRITE_WINDOW: Expect = Expect::exact("flash write (WRITE BUFFER mode 6)");
/// COMMIT: no data phase.
pub const COMMIT: Expect = Expect::exact("COMMIT (WRITE BUFFER mode 7)");
/// The vendor status read: all [`STATUS_LEN`] bytes, as freemkv reads them.
pub const STATUS: Expect = Expect::exact("status read (vendor REQUEST SENSE)");

/// READ BUFFER / WRITE BUFFER mode 6: flash window access with offsets (docs/protocol.md
/// §2.2, §2.4, §2.7; freemkv-firmware `crates/freemkv-flash/src/drive/mtk.rs` `MODE_6`).
const MODE_WINDOW: u8 = 0x06;

/// Buffer id of the flash windows (buffer 0; docs/protocol.md §2.2, §2.4, §2.7).
const BUFFER_FLASH: u8 = 0x00;

/// Allocation length of the vendor REQUEST SENSE reply (16 bytes; docs/protocol.md §2.6).
pub const STATUS_LEN: usize = 16;

/// READ BUFFER mode 6 of `len` bytes of flash at `offset`: `3C 06 00 off24 len24 00`
/// (docs/protocol.md §2.2; freemkv-firmware `drive/mtk.rs` `cdb_read_buffer`, `drive/mtk/mod.rs`).
pub fn build_read_window(offset: u32, len: u32) -> [u8; 10] {
    build_read_buffer(MODE_WINDOW, BUFFER_FLASH, offset, len)
}

/// PREPARE (enter download): WRITE BUFFER mode 1, no data, byte 9 = `0B`:
/// `3B 01 00 00 00 00 00 00 00 0B 00 00` (docs/protocol.md §2.4; freemkv-firmware
/// `drive/mtk.rs` `cdb_wb_prepare`). The meaning of `0B` is not public (docs/protocol.md §9);
/// it is sent verbatim.
pub fn build_prepare() -> [u8; 12] {
    [
        0x3B, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0B, 0x00, 0x00,
    ]
}

/// One image chunk (or a whole per-unit window) written at `offset`: WRITE BUFFER mode 6,
/// `3B 06 00 off24 len24 00` (docs/protocol.md §2.4, §2.7; freemkv-firmware `drive/mtk.rs`
/// `cdb_wb_data`, `write_region`; redumper `drive/flash_mt1959.ixx`). freemkv pads the same
/// bytes to 12; an ATAPI packet is 12 bytes either way, so the 10-byte SPC form is sent.
pub fn build_write_window(offset: u32, len: u32) -> [u8; 10] {
    build_write_buffer(MODE_WINDOW, BUFFER_FLASH, offset, len)
}

/// COMMIT trailer after the last chunk: WRITE BUFFER mode 7, no data, bytes 10..11 = `1B 12`:
/// `3B 07 00 00 00 00 00 00 00 00 1B 12` (docs/protocol.md §2.4; freemkv-firmware
/// `drive/mtk.rs` `cdb_wb_commit`, `flash_close`). The meaning of `1B 12` is not public
/// (docs/protocol.md §9).
pub fn build_commit() -> [u8; 12] {
    [
        0x3B, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x1B, 0x12,
    ]
}

/// The vendor flasher's status read after COMMIT: REQUEST SENSE copied byte for byte,
/// `03 00 00 10 80 00 00 00 00 00 00 00` (docs/protocol.md §2.6; freemkv-firmware
/// `drive/mtk.rs` `cdb_request_sense`). Byte 4 is `80`, not the SPC allocation length; the
/// reply is read into a [`STATUS_LEN`]-byte buffer as freemkv does.
pub fn build_status() -> [u8; 12] {
    [
        0x03, 0x00, 0x00, 0x10, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    ]
}

/// MediaTek DRAM/sector-cache read, `F1 06 <off32> <len32>` (docs/protocol.md §2.8; redumper
/// `scsi/mmc.ixx`): named in traces, never sent.
const DRAM_READ: [u8; 2] = [0xF1, 0x06];
/// LibreDrive "unlock" signature reads, `3C 01 44` and `3C 02 77` (docs/protocol.md §2.8;
/// `freemkv/bdemu src/scsi.rs`): named in traces, never sent.
const LIBREDRIVE_READS: [[u8; 3]; 2] = [[0x3C, 0x01, 0x44], [0x3C, 0x02, 0x77]];
/// LG FlashIt's first command, `E7` (docs/protocol.md §2.4, §2.8): named in traces, never sent.
const FLASHIT_START: u8 = 0xE7;

/// What an MT19xx-family CDB is, for a decoded trace (`odflash trace show`): the commands this
/// file builds, matched on the bytes the builders put in, and the ones of docs/protocol.md §2.8
/// odflash knows but never sends. `None` for anything else.
pub fn describe(cdb: &[u8]) -> Option<&'static str> {
    let head = |n: usize, built: &[u8]| cdb.len() >= n.max(10) && cdb[..n] == built[..n];
    let banner = build_read_window(0x3000, 0x20);
    Some(match cdb {
        _ if cdb == build_status() => "vendor status read after COMMIT (REQUEST SENSE, byte 4 = 80; docs/protocol.md §2.6)",
        _ if cdb.len() >= 10 && cdb[..10] == banner => "boot banner read (READ BUFFER mode 6 at 0x3000; docs/protocol.md §2.3)",
        _ if head(3, &build_read_window(0, 0)) => "flash read (READ BUFFER mode 6; docs/protocol.md §2.2)",
        _ if head(2, &build_prepare()) => "PREPARE: enter download (WRITE BUFFER mode 1; docs/protocol.md §2.4)",
        _ if head(3, &build_write_window(0, 0)) => "flash write: image chunk or unit window (WRITE BUFFER mode 6; docs/protocol.md §2.4, §2.7)",
        _ if head(2, &build_commit()) => "COMMIT after the last chunk (WRITE BUFFER mode 7; docs/protocol.md §2.4)",
        [a, b, ..] if [*a, *b] == DRAM_READ => "DRAM/sector-cache read (F1 06; docs/protocol.md §2.8; odflash never sends it)",
        [a, b, c, ..] if LIBREDRIVE_READS.contains(&[*a, *b, *c]) => "LibreDrive unlock signature read (docs/protocol.md §2.8; odflash never sends it)",
        [op, ..] if *op == FLASHIT_START => "LG FlashIt start command (E7; docs/protocol.md §2.4; odflash never sends it)",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_command_is_described() {
        let named = |cdb: &[u8]| describe(cdb).unwrap_or_else(|| panic!("{cdb:02x?}"));
        assert!(named(&build_prepare()).starts_with("PREPARE"));
        assert!(named(&build_commit()).starts_with("COMMIT"));
        assert!(named(&build_write_window(0x1F_C000, 0x4000)).starts_with("flash write"));
        assert!(named(&build_read_window(0x1E_C000, 0x100)).starts_with("flash read"));
        assert!(named(&build_read_window(0x3000, 0x20)).starts_with("boot banner"));
        assert!(named(&build_status()).starts_with("vendor status read"));
        // redumper's 10-byte PREPARE (docs/protocol.md §2.4) is the same command.
        assert!(named(&build_prepare()[..10]).starts_with("PREPARE"));
        assert!(named(&[0xF1, 0x06, 0, 0, 0, 0, 0, 0, 0x10, 0]).contains("never sends"));
        assert!(named(&[0xE7, 0, 0, 0, 0, 0]).contains("FlashIt"));
        // A standard REQUEST SENSE and other buffer modes are not this family's.
        assert_eq!(describe(&[0x03, 0, 0, 0, 18, 0]), None);
        assert_eq!(describe(&[0x3B, 0x05, 0, 0, 0, 0, 0, 0x10, 0, 0]), None);
        assert_eq!(describe(&[0x3B]), None);
    }

    #[test]
    fn read_window_banner_and_descriptor() {
        // docs/protocol.md §2.2, §2.3: the banner read at exactly 0x20 bytes, the descriptor at
        // 0x100.
        assert_eq!(
            build_read_window(0x3000, 0x20),
            [0x3C, 0x06, 0x00, 0x00, 0x30, 0x00, 0x00, 0x00, 0x20, 0x00]
        );
        assert_eq!(
            build_read_window(0x1E_C000, 0x100),
            [0x3C, 0x06, 0x00, 0x1E, 0xC0, 0x00, 0x00, 0x01, 0x00, 0x00]
        );
    }

    #[test]
    fn prepare_bytes() {
        assert_eq!(
            build_prepare(),
            [0x3B, 0x01, 0, 0, 0, 0, 0, 0, 0, 0x0B, 0, 0]
        );
    }

    #[test]
    fn write_window_chunks_and_unit_windows() {
        // docs/protocol.md §2.4: the first and last 0x4000 chunks of the 2 MiB stream.
        assert_eq!(
            build_write_window(0, 0x4000),
            [0x3B, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00]
        );
        assert_eq!(
            build_write_window(0x1F_C000, 0x4000),
            [0x3B, 0x06, 0x00, 0x1F, 0xC0, 0x00, 0x00, 0x40, 0x00, 0x00]
        );
        // docs/protocol.md §2.7: targeted write-back of the calibration window.
        assert_eq!(
            build_write_window(0x1F_0000, 0x1_0000),
            [0x3B, 0x06, 0x00, 0x1F, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00]
        );
    }

    #[test]
    fn commit_bytes() {
        assert_eq!(
            build_commit(),
            [0x3B, 0x07, 0, 0, 0, 0, 0, 0, 0, 0, 0x1B, 0x12]
        );
    }

    #[test]
    fn status_bytes() {
        assert_eq!(
            build_status(),
            [0x03, 0, 0, 0x10, 0x80, 0, 0, 0, 0, 0, 0, 0]
        );
        assert_eq!(STATUS_LEN, 16);
    }
}
