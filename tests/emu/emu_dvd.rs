//! The emulated DVD-era drives' vendor reads (docs/protocol.md §5.1–§5.3): `DF 89` from the
//! emulated EEPROM, `DF 83` type `FF` from the 1 MiB firmware, `DF 00 0A`, and the
//! `eeprom-model=` and `vendor-reads=` keys.

use crate::emu_common::*;

use odflash::emu::Drive;
use odflash::image::dvd::{self, EEPROM_LEN, EEPROM_LEN_5S_6S};
use odflash::image::synth::{build_dvd_eeprom, build_dvd_era, DVD_EEPROM_ID_OFFSET};
use odflash::scsi::SenseKey;

/// `DF 89` at `address`.
fn eeprom_cdb(address: u16) -> [u8; 12] {
    let [hi, lo] = address.to_be_bytes();
    [0xDF, 0x89, 0, 0, 0, 0, 0, hi, lo, 0, 0, 0]
}

/// `DF 83` type `FF` of `bank` at `address`.
fn program_cdb(bank: u8, address: u16) -> [u8; 12] {
    let [hi, lo] = address.to_be_bytes();
    [0xDF, 0x83, 0, 0, 0xFF, 0, bank, hi, lo, 0, 0, 0]
}

const CHALLENGE: [u8; 12] = [0xDF, 0x00, 0x0A, 0, 0, 0, 0, 0, 0, 0, 0, 0];
const OUT_OF_RANGE: (SenseKey, u8, u8) = (SenseKey::IllegalRequest, 0x21, 0x00);
const WANTS_CHALLENGE: (SenseKey, u8, u8) = (SenseKey::IllegalRequest, 0x6F, 0x00);

/// The whole EEPROM of `len` bytes, 128 at a time.
fn eeprom(d: &mut Drive, len: usize) -> Vec<u8> {
    (0..len)
        .step_by(128)
        .flat_map(|at| {
            let (o, bytes) = read(d, &eeprom_cdb(at as u16), 128);
            good(&o);
            bytes
        })
        .collect()
}

#[test]
fn eeprom_reads_return_the_units_model_string() {
    let mut d = open("emu:dru-710a");
    let e = eeprom(&mut d, EEPROM_LEN);
    assert_eq!(
        e,
        build_dvd_eeprom("SONY", "DVD RW DRU-710A", "EMUDVD000001")
    );
    let at = DVD_EEPROM_ID_OFFSET;
    assert_eq!(&e[at..at + 24], b"SONY    DVD RW DRU-710A ");
    // Past the 1 KiB EEPROM: out of range, no data.
    let (o, got) = read(&mut d, &eeprom_cdb(EEPROM_LEN as u16), 128);
    assert_eq!(sense(&o), OUT_OF_RANGE);
    assert!(got.is_empty());
    let (o, _) = read(&mut d, &eeprom_cdb(EEPROM_LEN as u16 - 64), 128);
    assert_eq!(sense(&o), OUT_OF_RANGE);
}

#[test]
fn eeprom_model_emulates_a_crossflashed_unit() {
    let mut d = open("emu:dru-710a,eeprom-model=DVD RW DRU-720A");
    let e = eeprom(&mut d, EEPROM_LEN);
    let at = DVD_EEPROM_ID_OFFSET;
    assert_eq!(&e[at..at + 24], b"SONY    DVD RW DRU-720A ");
    // The firmware (and INQUIRY) stay the DRU-710A's.
    let (_, inq) = read(&mut d, &odflash::scsi::cdb::build_inquiry(36), 36);
    assert_eq!(&inq[16..31], b"DVD RW DRU-710A");
    assert_eq!(d.flash(), build_dvd_era("SONY", "DVD RW DRU-710A", "BYX4"));
}

#[test]
fn five_s_and_six_s_models_have_a_4_kib_eeprom() {
    let mut d = open("emu:liteon-dvd,model=DVDRW SHW-160P6S");
    let e = eeprom(&mut d, EEPROM_LEN_5S_6S);
    assert_eq!(e.len(), 0x1000);
    let (o, _) = read(&mut d, &eeprom_cdb(0x1000), 128);
    assert_eq!(sense(&o), OUT_OF_RANGE);
}

#[test]
fn program_reads_return_each_bank_of_the_firmware() {
    let mut d = open("emu:sohw-1633s");
    let firmware = build_dvd_era("LITE-ON", "DVDRW SOHW-1633S", "BS0S");
    for (bank, address) in [(0u8, 0u16), (3, 0x1000), (15, 0xFF80)] {
        let (o, bytes) = read(&mut d, &program_cdb(bank, address), 128);
        good(&o);
        let start = usize::from(bank) * dvd::BANK_LEN + usize::from(address);
        assert_eq!(bytes, &firmware[start..start + 128], "bank {bank}");
    }
    let (_, first) = read(&mut d, &program_cdb(7, 0), 128);
    assert_eq!(first[0], dvd::LJMP);
    for c in [program_cdb(16, 0), program_cdb(0, 0xFFC0)] {
        assert_eq!(sense(&read(&mut d, &c, 128).0), OUT_OF_RANGE, "{c:02x?}");
    }
}

#[test]
fn malformed_df_commands_are_invalid_fields() {
    let mut d = open("emu:dru-710a");
    let mut other_type = program_cdb(0, 0);
    other_type[4] = 0x01;
    let mut reserved = eeprom_cdb(0);
    reserved[10] = 1;
    let short = [0xDF, 0x89, 0, 0, 0, 0, 0, 0, 0, 0];
    let unknown = [0xDF, 0x84, 0, 0, 1, 0, 0, 0x89, 0x00, 0x55, 0, 0];
    for c in [&other_type[..], &reserved, &short, &unknown] {
        let (o, got) = read(&mut d, c, 128);
        assert_eq!(sense(&o), INVALID_FIELD, "{c:02x?}");
        assert!(got.is_empty());
    }
}

#[test]
fn refused_drives_answer_every_df_with_invalid_opcode() {
    let mut d = open("emu:dru-710a,vendor-reads=refused");
    for c in [eeprom_cdb(0), program_cdb(0, 0), CHALLENGE] {
        let (o, got) = read(&mut d, &c, 128);
        assert_eq!(sense(&o), INVALID_OPCODE, "{c:02x?}");
        assert!(got.is_empty());
    }
}

#[test]
fn a_challenge_drive_serves_reads_after_the_challenge_until_power_is_lost() {
    let mut d = open("emu:sohw-1633s,vendor-reads=challenge");
    assert_eq!(sense(&read(&mut d, &eeprom_cdb(0), 128).0), WANTS_CHALLENGE);
    assert_eq!(
        sense(&read(&mut d, &program_cdb(0, 0), 128).0),
        WANTS_CHALLENGE
    );
    let (o, first) = read(&mut d, &CHALLENGE, 128);
    good(&o);
    assert_eq!(first.len(), 128);
    good(&read(&mut d, &eeprom_cdb(0), 128).0);
    good(&read(&mut d, &program_cdb(1, 0x80), 128).0);
    // A second challenge differs from the first.
    let (_, second) = read(&mut d, &CHALLENGE, 128);
    assert_ne!(first, second);
    d.power_cycle().unwrap();
    tur(&mut d); // clears the UNIT ATTENTION of the power cycle
    assert_eq!(sense(&read(&mut d, &eeprom_cdb(0), 128).0), WANTS_CHALLENGE);
}

#[test]
fn a_dvd_state_file_keeps_firmware_eeprom_and_session() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dvd.json");
    let spec = format!(
        "emu:dru-710a,eeprom-model=DVD RW DRU-720A,vendor-reads=challenge,state-file={}",
        path.display()
    );
    let before = {
        let mut a = open(&spec);
        good(&read(&mut a, &CHALLENGE, 128).0);
        eeprom(&mut a, EEPROM_LEN)
    };
    let mut b = open(&spec);
    assert_eq!(b.flash().len(), dvd::DVD_WRITER_SIZE);
    assert_eq!(eeprom(&mut b, EEPROM_LEN), before);
}
