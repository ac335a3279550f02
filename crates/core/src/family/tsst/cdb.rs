//! The TSST / Samsung vendor CDBs: the only file in odflash that spells out the FF download
//! command and the MT1939 read-back mode. Pure builders, each checked byte by byte below against
//! docs/protocol.md §4.1, §4.7.
//!
//! This module must not send anything: `flash.rs` sends what it builds.

use crate::scsi::cdb::build_read_buffer;
use crate::scsi::{Expect, ResidualRule};

/// The download command's opcode: vendor-specific FF (redumper `scsi/mmc.ixx`
/// `CDB12_FlashTSST`; coastermelt `lib/mt1939_scsi.h` `writeFirmware`; docs/protocol.md §4.1).
const OP_VENDOR: u8 = 0xFF;
/// Byte 2 of the download command, a fixed subcommand ("unknown1" in redumper).
const SUB_DOWNLOAD: u8 = 0x01;

/// READ BUFFER mode 6 reads the MT1939 flash (coastermelt `backdoor/dump.py`;
/// docs/protocol.md §4.7).
const MODE_FLASH_READ: u8 = 0x06;

/// Largest MT1939 read-back per command: 64 KiB (coastermelt `backdoor/dump.py`).
pub const MAX_READ: usize = 0x1_0000;

/// A download command other than the last: every byte must reach the drive.
pub const DOWNLOAD: Expect = Expect::exact("firmware download (FF 00 01)");

/// The last download command of the MT1939 class: the SE-506CB completes it with GOOD status and
/// a residual equal to its whole length (docs/protocol.md §4.6).
pub const DOWNLOAD_LAST_MT1939: Expect = Expect {
    command: "firmware download, last command (FF 00 01)",
    residual: ResidualRule::WholeTransferMayReport {
        source: "scanlime/coastermelt doc/update-ts01-notes.txt",
    },
};

/// A flash read: the whole range must arrive.
pub const FLASH_READ: Expect = Expect::exact("flash read (READ BUFFER mode 6)");

/// One download command with state byte `status`: `FF 00 01 00 00 st 00 00 00 00 00 00`. There is
/// no length field: the data phase is the chunk (docs/protocol.md §4.1).
pub fn build_download(status: u8) -> [u8; 12] {
    [
        OP_VENDOR,
        0x00,
        SUB_DOWNLOAD,
        0x00,
        0x00,
        status,
        0x00,
        0x00,
        0x00,
        0x00,
        0x00,
        0x00,
    ]
}

/// READ BUFFER mode 6 of `len` bytes of MT1939 flash at `offset`: `3C 06 00 off24 len24 00`
/// (docs/protocol.md §4.7).
pub fn build_flash_read(offset: u32, len: u32) -> [u8; 10] {
    build_read_buffer(MODE_FLASH_READ, 0x00, offset, len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn download_has_the_state_byte_and_no_length() {
        assert_eq!(
            build_download(0x04),
            [0xFF, 0x00, 0x01, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]
        );
        assert_eq!(build_download(0xFF)[5], 0xFF);
    }

    #[test]
    fn flash_read_is_read_buffer_mode_6() {
        assert_eq!(
            build_flash_read(0x1_0000, 0x1_0000),
            [0x3C, 0x06, 0x00, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00]
        );
    }
}
