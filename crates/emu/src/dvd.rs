//! The DVD-era LiteOn/Sony writer model (`SONY DVD RW DRU-710A`, `LITE-ON DVDRW SOHW-1633S`).
//! It answers standard MMC identification and readiness, and the three public data-in vendor
//! reads (docs/protocol.md §5.1–§5.3): `DF 89` from an emulated EEPROM (1 KiB, 4 KiB for
//! "5S"/"6S" models), `DF 83` type `FF` from a 1 MiB firmware of 16 banks, and `DF 00 0A`
//! with a challenge; `vendor-reads=` makes it refuse them, or want the challenge first. No write
//! command of these drives is public (docs/protocol.md §5.8): every other vendor opcode and
//! READ/WRITE BUFFER is rejected with ILLEGAL REQUEST 05/20/00. The EEPROM layout is invented
//! (`image::synth::build_dvd_eeprom`, an ASSUMPTION listed in `README.md`).

use serde::{Deserialize, Serialize};

use std::time::Duration;

use super::mmc::{self, InquiryTail, Presentation, Reply};
use super::model::{Behaviour, Memory};
use super::spec::{Spec, VendorReads};
use crate::image::{dvd, synth};
use crate::scsi::cdb::{self, opcode};
use crate::scsi::{Sense, SenseKey};

/// MMC profiles of a DVD±RW writer: DVD+R DL, DVD+R, DVD+RW, DVD-RW, DVD-R, DVD-ROM, CD-RW,
/// CD-R, CD-ROM.
const DVD_PROFILES: &[u16] = &[0x2B, 0x1B, 0x1A, 0x14, 0x11, 0x10, 0x0A, 0x09, 0x08];

/// The LiteOn vendor opcode of the three reads (docs/protocol.md §5.1–§5.3).
const VENDOR: u8 = 0xDF;
/// `DF 89`: read EEPROM.
const READ_EEPROM: u8 = 0x89;
/// `DF 83`: read memory.
const READ_MEMORY: u8 = 0x83;
/// Memory type `FF` of `DF 83`: program memory.
const PROGRAM_MEMORY: u8 = 0xFF;
/// `DF 00 0A`: get challenge key (byte 1 `00`, byte 2 `0A`).
const CHALLENGE: [u8; 2] = [0x00, 0x0A];
/// Bytes each of the three reads returns.
const READ_LEN: usize = 128;

/// What a DVD drive has answered since power-on: whether it gave out the challenge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Session {
    /// No challenge read yet.
    #[default]
    Fresh,
    /// The challenge was read: a `vendor-reads=challenge` drive now serves the reads.
    Challenged,
}

/// The DVD drive's state: its identity, EEPROM, firmware and read session.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Dvd {
    pub vendor: String,
    pub model: String,
    pub revision: String,
    pub serial: String,
    /// The EEPROM (`image::synth::build_dvd_eeprom` for the spec's `eeprom-model=`).
    #[serde(with = "crate::scsi::hex::bytes")]
    pub eeprom: Vec<u8>,
    /// The 1 MiB firmware (`image::synth::build_dvd_era` for the INQUIRY identity); never
    /// written.
    pub mem: Memory,
    /// How the vendor reads are answered.
    pub reads: VendorReads,
    /// The challenge state since power-on.
    pub session: Session,
    /// Challenges given out, which seeds the next one.
    pub challenges: u64,
}

/// ILLEGAL REQUEST, logical block address out of range (05/21/00): an address past the EEPROM
/// or bank.
fn out_of_range() -> Reply {
    Reply::Check(Sense::new(SenseKey::IllegalRequest, 0x21, 0x00))
}

/// ILLEGAL REQUEST 05/6F/00 (MMC: authentication failure): a read before the challenge.
fn wants_challenge() -> Reply {
    Reply::Check(Sense::new(SenseKey::IllegalRequest, 0x6F, 0x00))
}

/// True when every byte of `cdb` outside `free` (and bytes 0..=1) is zero.
fn zero_except(cdb: &[u8], free: &[usize]) -> bool {
    cdb.iter()
        .enumerate()
        .skip(2)
        .all(|(i, &b)| b == 0 || free.contains(&i))
}

impl Dvd {
    /// A drive with the spec's identity, EEPROM and firmware.
    pub(crate) fn new(spec: &Spec) -> Dvd {
        let (vendor, model, revision) = (spec.vendor(), spec.model(), spec.revision());
        Dvd {
            vendor: vendor.to_string(),
            model: model.to_string(),
            revision: revision.to_string(),
            serial: spec.serial().to_string(),
            eeprom: synth::build_dvd_eeprom(vendor, spec.eeprom_model(), spec.serial()),
            mem: Memory::new(synth::build_dvd_era(vendor, model, revision)),
            reads: spec.vendor_reads,
            session: Session::Fresh,
            challenges: 0,
        }
    }

    fn presentation(&self) -> Presentation {
        Presentation {
            vendor: self.vendor.clone(),
            product: self.model.clone(),
            revision: self.revision.clone(),
            // ASSUMPTION: a 2004-era drive predates features 0x0108/0x010C (MMC-5); GET
            // CONFIGURATION for them returns the header only, and the INQUIRY date is blank.
            date: None,
            serial: self.serial.clone(),
            serial_feature: false,
            profiles: DVD_PROFILES,
            capabilities: [0x3F, 0x37],
            inquiry_tail: InquiryTail::Date,
        }
    }

    /// `DF ...`: the three reads, as `vendor-reads=` says.
    fn vendor(&mut self, cdb: &[u8]) -> Reply {
        if self.reads == VendorReads::Refused {
            return mmc::invalid_opcode();
        }
        if cdb.len() != 12 {
            return mmc::invalid_field();
        }
        let address = usize::from(u16::from_be_bytes([cdb[7], cdb[8]]));
        let locked = self.reads == VendorReads::Challenge && self.session == Session::Fresh;
        match cdb[1] {
            READ_EEPROM if !zero_except(cdb, &[7, 8]) => mmc::invalid_field(),
            READ_EEPROM if locked => wants_challenge(),
            READ_EEPROM => match self.eeprom.get(address..address + READ_LEN) {
                Some(bytes) => Reply::In(bytes.to_vec()),
                None => out_of_range(),
            },
            READ_MEMORY if cdb[4] != PROGRAM_MEMORY || !zero_except(cdb, &[4, 6, 7, 8]) => {
                mmc::invalid_field()
            }
            READ_MEMORY if locked => wants_challenge(),
            READ_MEMORY => {
                let bank = usize::from(cdb[6]);
                let in_bank = address + READ_LEN <= dvd::BANK_LEN;
                let start = bank * dvd::BANK_LEN + address;
                match self.mem.flash.get(start..start + READ_LEN) {
                    Some(bytes) if in_bank => Reply::In(bytes.to_vec()),
                    _ => out_of_range(),
                }
            }
            _ if cdb[1..3] == CHALLENGE && cdb[3..].iter().all(|&b| b == 0) => self.challenge(),
            _ => mmc::invalid_field(),
        }
    }

    /// `DF 00 0A`: a fresh 128-byte challenge; the session is challenged from now on.
    // ASSUMPTION: the reply half of the handshake is not public (docs/protocol.md §5.3), so
    // reading the challenge alone unlocks a `vendor-reads=challenge` drive; the challenge bytes
    // are invented (the serial and a counter, spread).
    fn challenge(&mut self) -> Reply {
        self.challenges += 1;
        self.session = Session::Challenged;
        let seed = self.serial.bytes().fold(self.challenges, |h, b| {
            h.wrapping_mul(31).wrapping_add(u64::from(b))
        });
        let bytes = (0..READ_LEN as u64)
            .map(|i| (seed.wrapping_mul(i + 1) >> 8) as u8)
            .collect();
        Reply::In(bytes)
    }
}

impl Behaviour for Dvd {
    fn execute(&mut self, cdb: &[u8], _out: &[u8], _partial: bool, _now: Duration) -> Reply {
        let op = cdb[0];
        if cdb.len() < cdb::cdb_length(op).min(10) {
            return mmc::invalid_field();
        }
        match op {
            // The healthy idle state of an empty drive: no medium (freemkv `preflight`;
            // docs/protocol.md §1.2).
            opcode::TEST_UNIT_READY => mmc::not_ready(0x3A, 0x00),
            opcode::INQUIRY => mmc::inquiry(cdb, &self.presentation()),
            opcode::GET_CONFIGURATION => mmc::get_configuration(cdb, &self.presentation()),
            opcode::MODE_SENSE_10 => mmc::mode_sense_10(cdb, &self.presentation()),
            opcode::GET_EVENT_STATUS => mmc::event_status(cdb),
            VENDOR => self.vendor(cdb),
            op if mmc::MECHANISM.contains(&op) => Reply::Done,
            op if mmc::MEDIUM_ACCESS.contains(&op) => mmc::not_ready(0x3A, 0x00),
            _ => mmc::invalid_opcode(),
        }
    }

    // ASSUMPTION: the challenge is a volatile session nonce (the public probe's own note,
    // Dreamcast-Burner `src/ltnflash_challenge_probe_cli.cpp`): power loss and a bus reset end
    // the session.
    fn power_loss(&mut self, _now: Duration) {
        self.session = Session::Fresh;
    }

    fn reset(&mut self) {
        self.session = Session::Fresh;
    }

    fn memory(&self) -> Option<&Memory> {
        Some(&self.mem)
    }

    fn memory_mut(&mut self) -> Option<&mut Memory> {
        Some(&mut self.mem)
    }

    fn check_loaded(&self) -> Result<(), String> {
        let flash = self.mem.flash.len();
        if flash != dvd::DVD_WRITER_SIZE {
            return Err(format!(
                "firmware is {flash} bytes; a DVD writer has {}",
                dvd::DVD_WRITER_SIZE
            ));
        }
        let eeprom = self.eeprom.len();
        if ![dvd::EEPROM_LEN, dvd::EEPROM_LEN_5S_6S].contains(&eeprom) {
            return Err(format!("EEPROM is {eeprom} bytes; 1 KiB or 4 KiB expected"));
        }
        match self.mem.staged {
            Some(_) => Err("a DVD writer has no download buffer".into()),
            None => Ok(()),
        }
    }
}
