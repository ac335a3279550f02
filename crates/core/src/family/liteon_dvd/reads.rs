//! The experimental reads of the DVD-era family ([`VendorReads`]): the EEPROM in 128-byte
//! `DF 89` reads, the firmware as 16 banks of 64 KiB through `DF 83` type `FF`, and the
//! `DF 00 0A` challenge read once when a drive refuses a read (docs/protocol.md §5.1–§5.3).
//!
//! Every command is data in and comes from `cdb.rs`. Whether any of them works on a DVD-era
//! drive is not known (docs/protocol.md §9): ops runs them only when the user opts in, behind a
//! guard that lets through nothing but [`cdb::ALLOWED`].

use std::time::Duration;

use crate::family::{Error, FirmwareView, Identity, ReadCommands, UnitHint, VendorReads};
use crate::image::dvd;
use crate::scsi::guard::VendorRead;
use crate::scsi::{self, Data, SenseKey, Transport};

use super::{cdb, hint};

/// Per-command timeout: the 10 s the public DF probes use (Dreamcast-Burner
/// `src/ltnflash_read_probe_cli.cpp` `kTimeoutSeconds`; docs/protocol.md §1.6).
const TIMEOUT: Duration = Duration::from_secs(10);

/// Banks of a DVD writer's firmware: 1 MiB in 64 KiB banks (OmniPatcher `fw.pl`, `fw_mtk.pl`;
/// docs/protocol.md §5.5).
const BANKS: u32 = (dvd::DVD_WRITER_SIZE / dvd::BANK_LEN) as u32;

/// The addresses a 16-bit address field reaches: one 64 KiB space.
const ADDRESS_SPACE: u32 = 0x1_0000;

/// The DVD-era family's experimental reads.
#[derive(Debug, Clone, Copy, Default)]
pub struct Reads;

/// The one instance [`super::LiteonDvd`] hands out.
pub static READS: Reads = Reads;

/// The 16-bit address of a 128-byte read at `offset` within a space of `len` bytes, or
/// [`Error::InvalidRequest`] (nothing sent) when the read does not fit or `buf` is not one
/// piece long.
fn address(what: &str, offset: u32, len: u32, buf: &[u8]) -> Result<u16, Error> {
    let fits = buf.len() == cdb::READ_LEN
        && offset
            .checked_add(cdb::READ_LEN as u32)
            .is_some_and(|end| end <= len.min(ADDRESS_SPACE));
    if !fits {
        return Err(Error::InvalidRequest(format!(
            "{what}: {} bytes at {offset:#x} is not one {}-byte read within {len:#x} bytes",
            buf.len(),
            cdb::READ_LEN
        )));
    }
    u16::try_from(offset).map_err(|_| Error::InvalidRequest(format!("{what}: {offset:#x}")))
}

impl VendorReads for Reads {
    fn allowed(&self) -> &'static [VendorRead] {
        &cdb::ALLOWED
    }

    fn commands(&self) -> ReadCommands {
        ReadCommands {
            eeprom: cdb::EEPROM_READ.name,
            firmware: cdb::PROGRAM_READ.name,
            challenge: cdb::CHALLENGE_READ.name,
            source: "unconfirmed on hardware: static reverse engineering of LtnFlash 2.6.11 \
                     (L10N37/Dreamcast-Burner src/ltnflash_read_probe_cli.cpp, \
                     src/ltnflash_challenge_probe_cli.cpp; docs/protocol.md §5.1-§5.3)",
        }
    }

    fn piece_len(&self) -> usize {
        cdb::READ_LEN
    }

    fn eeprom_len(&self, identity: &Identity) -> usize {
        dvd::eeprom_len(&identity.model)
    }

    fn read_eeprom(&self, t: &mut dyn Transport, offset: u32, buf: &mut [u8]) -> Result<(), Error> {
        let at = address("EEPROM read", offset, dvd::EEPROM_LEN_5S_6S as u32, buf)?;
        let command = cdb::build_read_eeprom(at);
        scsi::run(t, &command, Data::In(buf), TIMEOUT, cdb::EEPROM_EXPECT)?;
        Ok(())
    }

    fn firmware_view(&self, _identity: &Identity) -> FirmwareView {
        FirmwareView {
            banks: BANKS,
            bank_len: dvd::BANK_LEN as u32,
            note: "the 8051's view of each 64 KiB bank (DF 83 type FF), not the raw flash: \
                   rebanked firmware is stored compactly and reads differently (OmniPatcher \
                   fw.pl fw_rebank; docs/protocol.md §5.5); never a flashable image",
            check: "starts with an 8051 LJMP (0x02), OmniPatcher's check (fw_mtk.pl \
                    fw_mtk_isokay; docs/protocol.md §5.5)",
        }
    }

    fn read_firmware(
        &self,
        t: &mut dyn Transport,
        bank: u32,
        offset: u32,
        buf: &mut [u8],
    ) -> Result<(), Error> {
        let bank = u8::try_from(bank)
            .ok()
            .filter(|b| u32::from(*b) < BANKS)
            .ok_or_else(|| Error::InvalidRequest(format!("firmware bank {bank}")))?;
        let at = address("firmware bank read", offset, dvd::BANK_LEN as u32, buf)?;
        let command = cdb::build_read_program(bank, at);
        scsi::run(t, &command, Data::In(buf), TIMEOUT, cdb::PROGRAM_EXPECT)?;
        Ok(())
    }

    // ASSUMPTION: no public source says how a drive asks for the challenge first. The public
    // probe reads, fetches the challenge, then reads again (Dreamcast-Burner
    // `src/ltnflash_challenge_probe_cli.cpp`); odflash does the same when a read is refused with
    // ILLEGAL REQUEST, the only answer a drive that wants it could give.
    fn wants_challenge(&self, error: &Error) -> bool {
        matches!(
            error,
            Error::Scsi(scsi::Error::Sense(s)) if s.key == SenseKey::IllegalRequest
        )
    }

    fn read_challenge(&self, t: &mut dyn Transport) -> Result<(), Error> {
        let mut reply = [0u8; cdb::READ_LEN];
        let command = cdb::build_get_challenge();
        scsi::run(
            t,
            &command,
            Data::In(&mut reply),
            TIMEOUT,
            cdb::CHALLENGE_EXPECT,
        )?;
        Ok(())
    }

    fn banks_failing_check(&self, view: &[u8]) -> Vec<usize> {
        dvd::banks_without_ljmp(view)
    }

    fn unit_hint(&self, identity: &Identity, eeprom: &[u8]) -> Option<UnitHint> {
        hint::unit_hint(identity, eeprom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::family::script::{Reply, Script};

    #[test]
    fn reads_send_the_cdb_of_their_address_and_bank() {
        let mut t = Script::new(vec![
            (
                cdb::build_read_eeprom(0x0380).to_vec(),
                Reply::Good(vec![7; 128]),
            ),
            (
                cdb::build_read_program(15, 0xFF80).to_vec(),
                Reply::Good(vec![2; 128]),
            ),
            (
                cdb::build_get_challenge().to_vec(),
                Reply::Good(vec![1; 128]),
            ),
        ]);
        let mut buf = [0u8; 128];
        READS.read_eeprom(&mut t, 0x380, &mut buf).unwrap();
        assert_eq!(buf, [7; 128]);
        READS.read_firmware(&mut t, 15, 0xFF80, &mut buf).unwrap();
        READS.read_challenge(&mut t).unwrap();
        assert!(t.done());
    }

    #[test]
    fn requests_outside_the_spaces_send_nothing() {
        let mut t = Script::new(vec![]);
        let mut buf = [0u8; 128];
        let mut short = [0u8; 64];
        let invalid = |r: Result<(), Error>| matches!(r, Err(Error::InvalidRequest(_)));
        assert!(invalid(READS.read_eeprom(&mut t, 0x1000, &mut buf)));
        assert!(invalid(READS.read_eeprom(&mut t, 0, &mut short)));
        assert!(invalid(READS.read_firmware(&mut t, 16, 0, &mut buf)));
        assert!(invalid(READS.read_firmware(&mut t, 0, 0xFFC0, &mut buf)));
        assert!(invalid(READS.read_firmware(&mut t, 300, 0, &mut buf)));
        assert!(t.log().is_empty());
    }

    #[test]
    fn a_short_reply_or_a_refusal_is_an_error_and_only_a_refusal_asks_the_challenge() {
        let mut t = Script::new(vec![
            (cdb::build_read_eeprom(0).to_vec(), Reply::Short(64)),
            (
                cdb::build_read_eeprom(0).to_vec(),
                Reply::Check(SenseKey::IllegalRequest, 0x24, 0),
            ),
            (
                cdb::build_read_eeprom(0).to_vec(),
                Reply::Check(SenseKey::NotReady, 0x04, 0),
            ),
        ]);
        let mut buf = [0u8; 128];
        let short = READS.read_eeprom(&mut t, 0, &mut buf).unwrap_err();
        assert!(matches!(
            short,
            Error::Scsi(scsi::Error::ShortTransfer { .. })
        ));
        assert!(!READS.wants_challenge(&short));
        let refused = READS.read_eeprom(&mut t, 0, &mut buf).unwrap_err();
        assert!(READS.wants_challenge(&refused));
        let busy = READS.read_eeprom(&mut t, 0, &mut buf).unwrap_err();
        assert!(!READS.wants_challenge(&busy));
    }

    #[test]
    fn sizes_come_from_the_model() {
        let identity = |model: &str| Identity {
            family: super::super::ID,
            chip: None,
            banner: None,
            vendor: "LITE-ON".into(),
            model: model.into(),
            revision: "XS0A".into(),
            firmware_date: None,
            serial: None,
            flash_reads: crate::family::FlashReads::Served,
        };
        assert_eq!(READS.eeprom_len(&identity("DVDRW SOHW-1693S")), 0x400);
        assert_eq!(READS.eeprom_len(&identity("DVDRW SHW-165P6S")), 0x1000);
        let view = READS.firmware_view(&identity("DVDRW SOHW-1693S"));
        assert_eq!(
            (view.banks, view.bank_len, view.len()),
            (16, 0x1_0000, 0x10_0000)
        );
        assert_eq!(READS.piece_len(), 128);
        assert_eq!(READS.allowed().len(), 3);
    }
}
