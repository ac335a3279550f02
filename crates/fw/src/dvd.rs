//! The DVD-era LiteOn/Sony MediaTek (MT18xx, 8051) firmware image: bank structure and the
//! identity strings odflash's synthetic images carry.
//!
//! Facts (OmniPatcher, rpc1dev/omnipatcher `fw.pl`, `fw_mtk.pl` `fw_mtk_isokay`; docs/protocol.md
//! §5.5): DVD writer images are 1 MiB, the only size `fw.pl` loads for them; 128, 256 and 512 KiB
//! images (combos, older drives) are reported but not confirmed there, and are accepted here as an
//! ASSUMPTION; the image is a series of 64 KiB code banks, each starting with `02` (an 8051 LJMP);
//! the first 16 KiB is bootcode. This module parses bytes only; it never touches a device (odflash
//! cannot flash these drives: their write commands are not public).

use super::format::{Fact, Format, ImageFacts, IntegrityFact};
use super::Error;

/// Length of one 8051 code bank.
pub const BANK_LEN: usize = 0x1_0000;
/// Length of the bootcode at the start of the image.
pub const BOOTCODE_LEN: usize = 0x4000;
/// The first byte of every bank: the 8051 LJMP opcode.
pub const LJMP: u8 = 0x02;
/// Image sizes OmniPatcher accepts for LiteOn MTK images (`fw.pl`).
pub const SIZES: [usize; 4] = [0x2_0000, 0x4_0000, 0x8_0000, 0x10_0000];
/// Size of a DVD writer image.
pub const DVD_WRITER_SIZE: usize = 0x10_0000;

/// EEPROM size of most LiteOn-hardware writers: 1 KiB (the C0deKing EEPROM Utility readme,
/// rpc1dev/archive `codeguys/docs/eeprom_utility_readme.html`; docs/protocol.md §5.6).
pub const EEPROM_LEN: usize = 0x400;
/// EEPROM size of the "5S" and "6S" drives, whose EEPROM also holds HyperTuning data: 4 KiB
/// (the same readme).
pub const EEPROM_LEN_5S_6S: usize = 0x1000;

/// The EEPROM size of the drive `model` names (an INQUIRY product such as `DVDRW SHW-160P6S`,
/// or a bare model number): [`EEPROM_LEN_5S_6S`] when one of its words is a model number
/// ending in `5S` or `6S`, else [`EEPROM_LEN`].
// ASSUMPTION: the readme's "5S and 6S drives" are the LiteOn model numbers ending so (160P6S,
// 165H6S, ...); it names no Sony model, and the Sony drives odflash knows (DRU-710A/720A/800A)
// share groups with 1213S/1673S-era hardware (docs/protocol.md §5.7), so they get 1 KiB.
pub fn eeprom_len(model: &str) -> usize {
    let five_or_six_s = model
        .split(|c: char| c.is_whitespace() || c == '_')
        .map(str::to_ascii_uppercase)
        .any(|word| {
            let digit_before = word.len() > 2
                && word.as_bytes()[..word.len() - 2]
                    .iter()
                    .any(u8::is_ascii_digit);
            digit_before && (word.ends_with("5S") || word.ends_with("6S"))
        });
    if five_or_six_s {
        EEPROM_LEN_5S_6S
    } else {
        EEPROM_LEN
    }
}

/// The 64 KiB banks of `bytes` (a trailing partial bank counts) whose first byte is not the
/// LJMP every bank starts with, in order: OmniPatcher's sanity check (`fw_mtk_isokay`;
/// docs/protocol.md §5.5), bank by bank.
pub fn banks_without_ljmp(bytes: &[u8]) -> Vec<usize> {
    bytes
        .chunks(BANK_LEN)
        .enumerate()
        .filter(|(_, bank)| bank[0] != LJMP)
        .map(|(index, _)| index)
        .collect()
}

/// Offset of the identity record in odflash's synthetic DVD-era images: the INQUIRY-style
/// vendor (8), product (16) and revision (4) strings, space padded.
// ASSUMPTION: no public source gives where (or whether) a LiteOn DVD image stores its model
// string. We put a 28-byte INQUIRY-layout record at the start of the common area that follows
// the bootcode (+0x100, clear of the bank's LJMP). Real images will not have it there; parsing
// then reports the identity as absent rather than failing.
pub const ID_OFFSET: usize = BOOTCODE_LEN + 0x100;
/// Length of the identity record.
pub const ID_LEN: usize = 28;

/// The identity strings of a DVD-era image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DvdIdentity {
    /// Vendor (`LITE-ON`, `SONY`), trimmed.
    pub vendor: String,
    /// Model (`SOHW-1633S`, `DVD RW DRU-720A`), trimmed.
    pub model: String,
    /// Firmware revision (`BS0C`), trimmed.
    pub revision: String,
}

/// A DVD-era image whose bank structure checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DvdEraImage {
    /// Image length in bytes (one of [`SIZES`]).
    pub len: usize,
    /// Number of 64 KiB banks.
    pub banks: usize,
    /// The identity record at [`ID_OFFSET`], when one is there.
    pub identity: Option<DvdIdentity>,
}

/// Checks the bank structure and reads the identity record back.
pub fn parse_dvd_era(bytes: &[u8]) -> Result<DvdEraImage, Error> {
    if !SIZES.contains(&bytes.len()) {
        return Err(Error::NotDvdEra {
            reason: format!(
                "{} bytes; LiteOn MTK images are 128, 256, 512 or 1024 KiB",
                bytes.len()
            ),
        });
    }
    if let Some(&bank) = banks_without_ljmp(bytes).first() {
        return Err(Error::NotDvdEra {
            reason: format!(
                "bank {bank} at {:#x} does not start with an LJMP (0x02)",
                bank * BANK_LEN
            ),
        });
    }
    Ok(DvdEraImage {
        len: bytes.len(),
        banks: bytes.len() / BANK_LEN,
        identity: parse_identity(&bytes[ID_OFFSET..ID_OFFSET + ID_LEN]),
    })
}

/// Reads an INQUIRY-layout record; `None` unless all 28 bytes are printable ASCII and the
/// vendor and model are non-empty.
fn parse_identity(record: &[u8]) -> Option<DvdIdentity> {
    if !record.iter().all(|b| (0x20..0x7F).contains(b)) {
        return None;
    }
    let field = |r: std::ops::Range<usize>| String::from_utf8_lossy(&record[r]).trim().to_owned();
    let identity = DvdIdentity {
        vendor: field(0..8),
        model: field(8..24),
        revision: field(24..28),
    };
    (!identity.vendor.is_empty() && !identity.model.is_empty()).then_some(identity)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::build_dvd_era;

    #[test]
    fn broken_bank_is_named() {
        let mut image = build_dvd_era("LITE-ON", "SOHW-1633S", "BS0C");
        image[5 * BANK_LEN] = 0xFF;
        let Err(Error::NotDvdEra { reason }) = parse_dvd_era(&image) else {
            panic!("bank 5 is broken");
        };
        assert!(reason.contains("bank 5 at 0x50000"), "{reason}");
    }

    #[test]
    fn sizes_other_than_omnipatchers_are_refused() {
        let image = build_dvd_era("LITE-ON", "SOHW-1633S", "BS0C");
        assert!(parse_dvd_era(&image[..0x8_0000]).is_ok());
        assert!(parse_dvd_era(&image[..0xC_0000]).is_err());
        assert!(parse_dvd_era(&[]).is_err());
    }

    #[test]
    fn every_bank_without_an_ljmp_is_listed() {
        let mut image = build_dvd_era("LITE-ON", "SOHW-1633S", "BS0C");
        assert!(banks_without_ljmp(&image).is_empty());
        image[3 * BANK_LEN] = 0x00;
        image[15 * BANK_LEN] = 0xFF;
        assert_eq!(banks_without_ljmp(&image), vec![3, 15]);
        assert_eq!(banks_without_ljmp(&[0x02, 0, 0]), Vec::<usize>::new());
        assert_eq!(banks_without_ljmp(&[]), Vec::<usize>::new());
    }

    #[test]
    fn eeprom_size_follows_the_model_number() {
        // 1 KiB on most drives, 4 KiB on "5S" and "6S" drives (eeprom_utility_readme.html).
        for model in [
            "DVDRW SOHW-1633S",
            "DVD RW DRU-710A",
            "DVDRW SOHW-1693S",
            "5S",
        ] {
            assert_eq!(eeprom_len(model), EEPROM_LEN, "{model}");
        }
        for model in ["DVDRW SHW-160P6S", "DVDRW SHW-165H6S", "DVDRW SOHW-16H5S"] {
            assert_eq!(eeprom_len(model), EEPROM_LEN_5S_6S, "{model}");
        }
    }

    #[test]
    fn missing_identity_is_absent_not_an_error() {
        let mut image = build_dvd_era("LITE-ON", "SOHW-1633S", "BS0C");
        image[ID_OFFSET..ID_OFFSET + ID_LEN].fill(0xFF);
        assert_eq!(parse_dvd_era(&image).unwrap().identity, None);
    }
}

/// The DVD-era image format: odflash checks these images but cannot write them.
#[derive(Debug, Clone, Copy, Default)]
pub struct DvdEraFormat;

/// The DVD-era format.
pub static FORMAT: DvdEraFormat = DvdEraFormat;

impl Format for DvdEraFormat {
    fn name(&self) -> &'static str {
        "liteon-dvd"
    }

    fn sizes(&self) -> &'static [usize] {
        &SIZES
    }

    fn recognizes(&self, bytes: &[u8]) -> bool {
        parse_dvd_era(bytes).is_ok()
    }

    fn facts(&self, bytes: &[u8]) -> Result<ImageFacts, Error> {
        let image = parse_dvd_era(bytes)?;
        let identity = image.identity.as_ref();
        Ok(ImageFacts {
            format: self.name(),
            size: image.len,
            size_note: Some(format!(
                "{} KiB, {} banks of 64 KiB",
                image.len / 1024,
                image.banks
            )),
            chip: None,
            vendor: identity.map(|i| i.vendor.clone()),
            model: match identity {
                Some(i) => Fact::Found(i.model.clone()),
                None => Fact::Unreadable,
            },
            revision: identity.map(|i| i.revision.clone()),
            banner: Fact::NotInFormat,
            integrity: IntegrityFact::NotInFormat,
            raw_dump: None,
        })
    }
}
