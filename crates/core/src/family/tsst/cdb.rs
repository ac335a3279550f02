//! The TSST / Samsung vendor CDBs: the only file in odflash that spells out the FF download
//! command and the MT1939 read-back mode. Pure builders, each checked byte by byte below against
//! docs/protocol.md §4.1, §4.7.
//!
//! This module must not send anything: `flash.rs` sends what it builds. [`describe`] names these
//! commands, and the FF subcommands of docs/protocol.md §4.5 odflash never sends, in decoded
//! traces.

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

/// The FF subcommands odflash knows but never sends: CDB byte 2 and what it is
/// (docs/protocol.md §4.5; coastermelt `lib/mt1939_scsi.h`, `doc/bootloader.txt`).
const OTHER_SUBCOMMANDS: [(u8, &str); 3] = [
    (0xFF, "firmware version read (FF 00 FF; docs/protocol.md §4.5)"),
    (0x04, "set the boot loader's app-select bit (FF 00 04; docs/protocol.md §4.5; odflash never sends it)"),
    (0x05, "read the boot loader's app-select bit (FF 00 05; docs/protocol.md §4.5; odflash never sends it)"),
];

/// What a TSST-family CDB is, for a decoded trace (`odflash trace show`): the download (whose
/// state byte says first, continued or last chunk, docs/protocol.md §4.1), the flash read, and
/// the other FF subcommands. `None` for anything else.
pub fn describe(cdb: &[u8]) -> Option<&'static str> {
    let download = build_download(0);
    let read = build_flash_read(0, 0);
    match cdb {
        [op, zero, sub, _, _, st, ..] if [*op, *zero, *sub] == download[..3] => Some(match *st {
            0x00 => "firmware download, first chunk (FF 00 01, state 00; docs/protocol.md §4.1)",
            0xFF => "firmware download, next chunk (FF 00 01, state FF; docs/protocol.md §4.1)",
            _ => "firmware download, last chunk (FF 00 01, the class's final state; docs/protocol.md §4.1, §4.2)",
        }),
        [op, zero, sub, ..] if [*op, *zero] == download[..2] => OTHER_SUBCOMMANDS
            .iter()
            .find(|(s, _)| s == sub)
            .map(|(_, meaning)| *meaning),
        _ if cdb.len() >= 10 && cdb[..3] == read[..3] => {
            Some("MT1939 flash read (READ BUFFER mode 6; docs/protocol.md §4.7)")
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn downloads_and_known_subcommands_are_described() {
        assert!(describe(&build_download(0x00))
            .unwrap()
            .contains("first chunk"));
        assert!(describe(&build_download(0xFF))
            .unwrap()
            .contains("next chunk"));
        assert!(describe(&build_download(0x02))
            .unwrap()
            .contains("last chunk"));
        assert!(describe(&build_flash_read(0, 0x1_0000))
            .unwrap()
            .contains("flash read"));
        let mut version = build_download(0);
        version[2] = OTHER_SUBCOMMANDS[0].0;
        assert!(describe(&version).unwrap().contains("version read"));
        version[2] = 0x77;
        assert_eq!(describe(&version), None, "an FF subcommand no source names");
        assert_eq!(describe(&[0x12, 0, 0, 0, 0x60, 0]), None);
    }

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
