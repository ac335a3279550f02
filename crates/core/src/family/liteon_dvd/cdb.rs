//! The LiteOn DVD-era vendor CDBs: the only file in odflash that spells out the three data-in
//! `DF` reads of these drives (read EEPROM, read program memory, get challenge key) and the
//! guard entries that let exactly those through. Pure builders, each checked byte by byte below
//! against docs/protocol.md §5.1–§5.3.
//!
//! All three come from one public source, L10N37/Dreamcast-Burner
//! `src/ltnflash_read_probe_cli.cpp` and `src/ltnflash_challenge_probe_cli.cpp`, whose comments
//! say the bytes were recovered by static reverse engineering of LtnFlash 2.6.11
//! (`MFlashPI.class`): none is confirmed on a DVD-era drive. No write sibling (`DF 84`, `F1 01`,
//! docs/protocol.md §5.4) is built here, and nothing in odflash may build one.
//!
//! This module must not send anything: `reads.rs` sends what it builds. [`describe`] names
//! these reads and the other LiteOn/MTK vendor commands of docs/protocol.md §5.4 in decoded
//! traces (`odflash trace show`), so a capture of a vendor tool shows which known commands it
//! used and which it used that no public source describes.

use crate::scsi::guard::VendorRead;
use crate::scsi::Expect;

/// Bytes every one of the three reads returns: 128, data in (docs/protocol.md §5.1–§5.3).
pub const READ_LEN: usize = 128;

/// CDB bytes 7..8: the big-endian 16-bit address of the EEPROM and memory reads.
const ADDRESS: [usize; 2] = [7, 8];
/// CDB byte 6 of the memory read: the 64 KiB code bank.
const BANK: usize = 6;

/// Read EEPROM (LtnFlash `readEEPROM`): `DF 89 00 00 00 00 00 hi lo 00 00 00`, the address
/// free (docs/protocol.md §5.1).
const EEPROM_PATTERN: [u8; 12] = [
    0xDF, 0x89, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
];

/// Read memory (LtnFlash `readMemory`) of memory type `FF`, program memory, which LtnFlash
/// uses to verify firmware: `DF 83 00 00 FF 00 bank hi lo 00 00 00`, bank and address free
/// (docs/protocol.md §5.2). Other memory types are never sent.
const PROGRAM_PATTERN: [u8; 12] = [
    0xDF, 0x83, 0x00, 0x00, 0xFF, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
];

/// Get challenge key (LtnFlash `getChallengeKey`), the read half of a handshake whose reply
/// half is not public: `DF 00 0A 00 00 00 00 00 00 00 00 00`, nothing free (docs/protocol.md
/// §5.3).
const CHALLENGE_PATTERN: [u8; 12] = [
    0xDF, 0x00, 0x0A, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
];

/// The guard entry of the EEPROM read.
pub const EEPROM_READ: VendorRead = VendorRead {
    name: "DF 89 read EEPROM (128 bytes in)",
    pattern: &EEPROM_PATTERN,
    free: &ADDRESS,
    data_in: READ_LEN,
};

/// The guard entry of the program-memory read.
pub const PROGRAM_READ: VendorRead = VendorRead {
    name: "DF 83 read program memory, type FF (128 bytes in)",
    pattern: &PROGRAM_PATTERN,
    free: &[BANK, ADDRESS[0], ADDRESS[1]],
    data_in: READ_LEN,
};

/// The guard entry of the challenge read.
pub const CHALLENGE_READ: VendorRead = VendorRead {
    name: "DF 00 0A get challenge key (128 bytes in)",
    pattern: &CHALLENGE_PATTERN,
    free: &[],
    data_in: READ_LEN,
};

/// Every vendor command the family's experimental reads may send.
pub static ALLOWED: [VendorRead; 3] = [EEPROM_READ, PROGRAM_READ, CHALLENGE_READ];

// No public source reports a residual on these reads (the probes read fixed 128-byte replies),
// so every one is exact: a short reply is a failed read, never a piece of a backup.

/// The EEPROM read: all 128 bytes must arrive.
pub const EEPROM_EXPECT: Expect = Expect::exact("EEPROM read (DF 89)");
/// The program-memory read: all 128 bytes must arrive.
pub const PROGRAM_EXPECT: Expect = Expect::exact("firmware bank read (DF 83, type FF)");
/// The challenge read: all 128 bytes must arrive.
pub const CHALLENGE_EXPECT: Expect = Expect::exact("challenge read (DF 00 0A)");

/// `pattern` with the big-endian `address` at CDB bytes 7..8.
fn with_address(pattern: [u8; 12], address: u16) -> [u8; 12] {
    let mut cdb = pattern;
    cdb[ADDRESS[0]..=ADDRESS[1]].copy_from_slice(&address.to_be_bytes());
    cdb
}

/// Read 128 bytes of EEPROM at `address` (docs/protocol.md §5.1).
pub fn build_read_eeprom(address: u16) -> [u8; 12] {
    with_address(EEPROM_PATTERN, address)
}

/// Read 128 bytes of program memory (the CPU's view of code bank `bank`) at `address`
/// (docs/protocol.md §5.2).
pub fn build_read_program(bank: u8, address: u16) -> [u8; 12] {
    let mut cdb = with_address(PROGRAM_PATTERN, address);
    cdb[BANK] = bank;
    cdb
}

/// Read the 128-byte challenge (docs/protocol.md §5.3).
pub fn build_get_challenge() -> [u8; 12] {
    CHALLENGE_PATTERN
}

/// The other LiteOn/MTK vendor commands public sources name, by CDB prefix (docs/protocol.md
/// §5.4): named in traces, never built or sent. The longest matching prefix names a command.
const OTHERS: &[(&[u8], &str)] = &[
    (&[0xDF, 0xA0], "quality scan (docs/protocol.md §5.4)"),
    (&[0xDF, 0xA3], "quality scan (docs/protocol.md §5.4)"),
    (&[0xDF, 0x82], "quality scan (docs/protocol.md §5.4)"),
    (&[0xDF, 0x08], "quality scan (docs/protocol.md §5.4)"),
    (&[0xF3, 0x0E], "quality scan (docs/protocol.md §5.4)"),
    (
        &[0xDF, 0x97],
        "quality scan or query (docs/protocol.md §5.4)",
    ),
    (&[0xDF, 0x02, 0x09], "query (docs/protocol.md §5.4)"),
    (&[0xDF, 0x08, 0x02], "query (docs/protocol.md §5.4)"),
    (&[0xDF, 0x82, 0x09], "query (docs/protocol.md §5.4)"),
    (&[0xF1, 0x02], "register read (docs/protocol.md §5.4)"),
    (&[0xDF, 0x85], "XDATA read (docs/protocol.md §5.4)"),
    (
        &[0xF1, 0x01],
        "REGISTER WRITE, can brick a drive (docs/protocol.md §5.4)",
    ),
    (
        &[0xDF, 0x84],
        "REGISTER WRITE, can brick a drive (docs/protocol.md §5.4)",
    ),
];

/// What a LiteOn/Sony DVD-era vendor CDB is, for a decoded trace; `None` when no public source
/// names it.
pub fn describe(cdb: &[u8]) -> Option<&'static str> {
    let reads: [(&[u8], &'static str); 3] = [
        (
            &EEPROM_PATTERN[..2],
            "read EEPROM (LtnFlash readEEPROM; docs/protocol.md §5.1)",
        ),
        (
            &PROGRAM_PATTERN[..2],
            "read memory (LtnFlash readMemory; docs/protocol.md §5.2)",
        ),
        (
            &CHALLENGE_PATTERN[..3],
            "get challenge key, the read half of a service handshake (docs/protocol.md §5.3)",
        ),
    ];
    reads
        .iter()
        .chain(OTHERS.iter())
        .filter(|(prefix, _)| cdb.starts_with(prefix))
        .max_by_key(|(prefix, _)| prefix.len())
        .map(|(_, meaning)| *meaning)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scsi::Data;

    #[test]
    fn the_longest_prefix_names_a_command() {
        assert!(describe(&build_read_eeprom(0x100))
            .unwrap()
            .starts_with("read EEPROM"));
        assert!(describe(&build_read_program(1, 0))
            .unwrap()
            .starts_with("read memory"));
        assert!(describe(&build_get_challenge())
            .unwrap()
            .starts_with("get challenge"));
        assert!(describe(&[0xDF, 0x82, 0x09, 0])
            .unwrap()
            .starts_with("query"));
        assert!(describe(&[0xDF, 0x82, 0x00, 0])
            .unwrap()
            .starts_with("quality scan"));
        assert!(describe(&[0xDF, 0x84, 0]).unwrap().contains("can brick"));
        assert_eq!(describe(&[0xDF, 0x99]), None);
        assert_eq!(describe(&[]), None);
    }

    #[test]
    fn eeprom_read_has_the_address_at_bytes_7_and_8() {
        assert_eq!(
            build_read_eeprom(0x0380),
            [0xDF, 0x89, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x80, 0x00, 0x00, 0x00]
        );
    }

    #[test]
    fn program_read_is_type_ff_with_bank_and_address() {
        assert_eq!(
            build_read_program(0x0F, 0xFF80),
            [0xDF, 0x83, 0x00, 0x00, 0xFF, 0x00, 0x0F, 0xFF, 0x80, 0x00, 0x00, 0x00]
        );
    }

    #[test]
    fn challenge_read_is_df_00_0a() {
        assert_eq!(
            build_get_challenge(),
            [0xDF, 0x00, 0x0A, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]
        );
    }

    #[test]
    fn the_guard_entries_admit_what_the_builders_build_and_nothing_more() {
        let mut buf = [0u8; READ_LEN];
        let built = [
            (build_read_eeprom(0x0380), EEPROM_READ),
            (build_read_program(3, 0x1000), PROGRAM_READ),
            (build_get_challenge(), CHALLENGE_READ),
        ];
        for (cdb, entry) in built {
            assert!(entry.admits(&cdb, &Data::In(&mut buf)), "{}", entry.name);
            assert!(!entry.admits(&cdb, &Data::Out(&buf)), "{}", entry.name);
            assert!(!entry.admits(&cdb, &Data::None), "{}", entry.name);
            // Only the one entry admits each command.
            let admitting = ALLOWED
                .iter()
                .filter(|e| e.admits(&cdb, &Data::In(&mut buf)))
                .count();
            assert_eq!(admitting, 1, "{}", entry.name);
        }
        // Another memory type is not program memory: refused.
        let mut other_type = build_read_program(0, 0);
        other_type[4] = 0x01;
        assert!(!ALLOWED
            .iter()
            .any(|e| e.admits(&other_type, &Data::In(&mut buf))));
    }
}
