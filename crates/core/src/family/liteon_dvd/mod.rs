//! The LiteOn / Sony DVD-era family: MediaTek MT18xx-based DVD writers (LiteOn SOHW-1213S ...
//! 1693S, Sony DRU-710A/720A/800A and their siblings). Identify-only for flashing.
//!
//! The probe matches INQUIRY vendor and model, then reads the firmware date and serial through
//! standard GET CONFIGURATION and the state through TEST UNIT READY; it never sends a vendor
//! command. The flash and EEPROM write commands of these drives are not public
//! (docs/protocol.md §5.8), so [`Family::flash`] is `None`. The public read candidates `DF 89`
//! (EEPROM) and `DF 83` (program memory) are unverified static RE; they are offered only as
//! experimental reads ([`reads`], CDBs in [`cdb`], which also names the family's known vendor
//! commands in decoded traces), which ops runs when the user asks for them.
//! [`hint`] reads the unit's model out of its EEPROM for the compatibility-group hint. See
//! `README.md` beside this file.

pub mod cdb;
pub mod hint;
pub mod reads;

use crate::family::{
    answered, DriveState, Error, Family, FamilyId, FlashAccess, FlashReads, Identity, Recovery,
    VendorReads,
};
use crate::image::format::Format;
use crate::scsi::inquiry::{Inquiry, PERIPHERAL_TYPE_MMC};
use crate::scsi::{self, Transport};

/// Why this family cannot flash, shown to users.
pub const IDENTIFY_ONLY_REASON: &str =
    "LiteOn/Sony DVD-era flash and EEPROM write commands are not public \
     (docs/protocol.md §5.8): odflash identifies these drives and never writes them";

/// What a blinking LED means on these drives (docs/protocol.md §6.6, §7.4), shown by `info`
/// and `rescue`.
pub const BLINKING_LED: &str =
    "a blinking LED after a crossflash is an EEPROM-checksum mismatch between the firmware and \
     the unit's own data, not boot mode: the drive still answers and can still be flashed (with \
     the vendor's tools). The cure is firmware of the drive's own compatibility group (LiteOn \
     1213S/1613S/1633S/1653S with Sony DRU-710A; LiteOn 1673S/1693S with Sony \
     DRU-720A/DRU-800A), not an EEPROM change (myce \"Recovering a Sony DRU-710A\", \"How liteon eeprom and firmware work?\"; \
     docs/protocol.md §5.7, §6.6)";

/// One known model line: INQUIRY vendor and model numbers found in the product string.
struct Line {
    /// INQUIRY vendor (bytes 8..15, trimmed).
    vendor: &'static str,
    /// Model numbers as they appear in the INQUIRY product string.
    models: &'static [&'static str],
}

/// Known DVD-era MediaTek writers. LiteOn models: the EEPROM-compatible sets of the C0deKing
/// EEPROM Utility readme (rpc1dev/archive `codeguys/docs/eeprom_utility_readme.html`;
/// docs/protocol.md §5.6) and the compatibility groups of the myce forum reports
/// (docs/protocol.md §5.7: 1213S/1633S/1653S with DRU-710A; 1673S/1693S with DRU-720A/800A).
// ASSUMPTION: INQUIRY names these drives by vendor `LITE-ON` / `SONY` and a product string
// containing the model number (e.g. `DVDRW SOHW-1693S`, `DVD RW DRU-710A`); the forum reports
// quote model names, not INQUIRY dumps (docs/protocol.md §5.7).
const LINES: &[Line] = &[
    Line {
        vendor: "LITE-ON",
        models: &[
            "451S", "851S", "812S", "832S", "852S", "862S", "1213S", "1613S", "1633S", "1653S",
            "1673S", "1693S", "160P6S", "165P6S", "160H6S", "165H6S",
        ],
    },
    Line {
        vendor: "SONY",
        models: &["DRU-710A", "DRU-720A", "DRU-800A"],
    },
];

/// True when INQUIRY names a known DVD-era LiteOn/Sony MediaTek writer.
pub fn is_known_model(inquiry: &Inquiry) -> bool {
    LINES.iter().any(|line| {
        inquiry.vendor.eq_ignore_ascii_case(line.vendor)
            && line.models.iter().any(|model| {
                let product = inquiry.product.to_ascii_uppercase();
                product
                    .match_indices(model)
                    .any(|(at, _)| is_model_boundary(&product, at, model.len()))
            })
    })
}

/// The model number is not part of a longer one (`1693S` must not match `11693S1`).
fn is_model_boundary(product: &str, at: usize, len: usize) -> bool {
    let before = product[..at].chars().next_back();
    let after = product[at + len..].chars().next();
    !before.is_some_and(|c| c.is_ascii_alphanumeric())
        && !after.is_some_and(|c| c.is_ascii_alphanumeric())
}

/// The LiteOn / Sony DVD-era family (identify-only).
#[derive(Debug, Clone, Copy, Default)]
pub struct LiteonDvd;

/// The family's name.
pub const ID: FamilyId = FamilyId::named("liteon-dvd");

impl Family for LiteonDvd {
    fn id(&self) -> FamilyId {
        ID
    }

    fn probe(&self, t: &mut dyn Transport, inquiry: &Inquiry) -> Result<Option<Identity>, Error> {
        if inquiry.peripheral_type != PERIPHERAL_TYPE_MMC || !is_known_model(inquiry) {
            return Ok(None);
        }
        Ok(Some(Identity {
            family: ID,
            // The forum reports name MT1828E/MT1816E for these lines (docs/protocol.md §5.7) but no
            // command reads the chip, so none is claimed.
            chip: None,
            banner: None,
            vendor: inquiry.vendor.clone(),
            model: inquiry.product.clone(),
            revision: inquiry.revision.clone(),
            firmware_date: answered(scsi::read_firmware_date(t).map_err(Error::from))?.flatten(),
            serial: answered(scsi::read_serial_feature(t).map_err(Error::from))?.flatten(),
            flash_reads: FlashReads::Served,
        }))
    }

    fn state(&self, t: &mut dyn Transport, _identity: &Identity) -> Result<DriveState, Error> {
        // No public boot/safe-mode signature exists for DVD writers (docs/protocol.md §6.5),
        // so only readiness can be told.
        super::readiness(t)
    }

    fn format(&self) -> Option<&'static dyn Format> {
        Some(&crate::image::dvd::FORMAT)
    }

    fn flash(&self, _: &Identity) -> Option<&'static dyn FlashAccess> {
        None
    }

    // ASSUMPTION: "about 10 s" is a margin over the public figure: myce forum reports have
    // "hold eject about 5 s at power-on until the LED flashes" for LiteOn DVD writers (myce
    // "Sony DRU-710A… need help (EEPROM)"; docs/protocol.md §6.5).
    fn recovery(&self) -> Recovery {
        Recovery {
            hold_eject: Some("DVD-era LiteOn/Sony writers: until the LED flashes"),
            note: "DVD-era LiteOn/Sony writers: odflash can identify the drive in safe mode, but \
                   cannot flash it (its write commands are not public).",
            after_partial_burn: "odflash never writes these drives",
        }
    }

    fn identify_only_reason(&self) -> Option<&'static str> {
        Some(IDENTIFY_ONLY_REASON)
    }

    fn vendor_reads(&self, _identity: &Identity) -> Option<&'static dyn VendorReads> {
        Some(&reads::READS)
    }

    fn blinking_led(&self) -> Option<&'static str> {
        Some(BLINKING_LED)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inquiry(vendor: &str, product: &str) -> Inquiry {
        crate::family::script::inquiry(vendor, product, "KS0B")
    }

    #[test]
    fn known_models_match() {
        assert!(is_known_model(&inquiry("LITE-ON", "DVDRW SOHW-1693S")));
        assert!(is_known_model(&inquiry("LITE-ON", "DVDRW SOHW-1213S")));
        assert!(is_known_model(&inquiry("SONY", "DVD RW DRU-710A")));
        assert!(is_known_model(&inquiry("sony", "DVD RW DRU-800A")));
    }

    #[test]
    fn other_drives_do_not_match() {
        // Wrong vendor for the model, unknown model, longer model number, a BD drive.
        assert!(!is_known_model(&inquiry("SONY", "DVDRW SOHW-1693S")));
        assert!(!is_known_model(&inquiry("LITE-ON", "DVDRW LH-20A1H")));
        assert!(!is_known_model(&inquiry("LITE-ON", "DVDRW SOHW-11693S")));
        assert!(!is_known_model(&inquiry("HL-DT-ST", "BD-RE BU40N")));
        assert!(!is_known_model(&inquiry("ATAPI", "iHAS124 Y")));
    }

    #[test]
    fn reason_says_the_write_commands_are_not_public() {
        let reason = LiteonDvd.identify_only_reason().unwrap();
        assert!(reason.contains("not public"));
        assert!(reason.contains("docs/protocol.md §5.8"));
        let identity = Identity {
            family: ID,
            chip: None,
            banner: None,
            vendor: "LITE-ON".into(),
            model: "DVDRW SOHW-1693S".into(),
            revision: "KS0B".into(),
            firmware_date: None,
            serial: None,
            flash_reads: FlashReads::Served,
        };
        assert!(LiteonDvd.flash(&identity).is_none());
        assert!(LiteonDvd.vendor_reads(&identity).is_some());
        assert!(LiteonDvd.blinking_led().unwrap().contains("not boot mode"));
    }
}
