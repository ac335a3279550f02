//! The TSST / Samsung "FF download" family: the TSST SE-506CB Blu-ray writer (MediaTek MT1939),
//! the TSST/hp DVD-ROM drives redumper calls "MT1339" (TS-H353C, SH-D163B, ...) and the Samsung
//! SD-616F/T. One family, three hardware classes (`odflash-fw` `tsst::Class`), each with its own
//! image size, download schedule, final state byte and read-back (docs/protocol.md §4).
//!
//! `mod.rs` holds the [`Family`] impl: a drive is claimed by the INQUIRY allow-list of its class
//! (the drive table's `tsst_drives`, as redumper matches them: `drive.ixx` `cmd_drive_query`),
//! never by an image. The probe sends nothing beyond the caller's INQUIRY, which is all the
//! captured updater session proves a drive answers (tests/data/real). The public version read
//! (`FF 00 FF`, coastermelt `lib/mt1939_scsi.h`) answers the same for every firmware version
//! (coastermelt `doc/update-ts01-notes.txt`), so it would identify nothing and is not sent. Vendor CDB
//! bytes live only in [`cdb`]; the download and read-back in [`flash`]. See `README.md`.

pub mod cdb;
pub mod flash;

use crate::family::{
    DriveState, Error, Family, FamilyId, FlashAccess, FlashReads, Identity, Recovery,
};
use crate::image::compat;
use crate::image::format::Format;
use crate::image::tsst::{self, Class, ReadBack};
use crate::scsi::inquiry::{Inquiry, PERIPHERAL_TYPE_MMC};
use crate::scsi::{self, Transport};

/// The family's name.
pub const ID: FamilyId = FamilyId::named("tsst");

/// The TSST / Samsung family.
#[derive(Debug, Clone, Copy, Default)]
pub struct Tsst;

/// The drive class an identity names (its INQUIRY vendor and product).
pub fn class_of(identity: &Identity) -> Option<Class> {
    Class::of_inquiry(&identity.vendor, &identity.model)
}

impl Family for Tsst {
    fn id(&self) -> FamilyId {
        ID
    }

    fn probe(&self, _t: &mut dyn Transport, inquiry: &Inquiry) -> Result<Option<Identity>, Error> {
        if inquiry.peripheral_type != PERIPHERAL_TYPE_MMC {
            return Ok(None);
        }
        let Some(class) = Class::of_inquiry(&inquiry.vendor, &inquiry.product) else {
            return Ok(None);
        };
        Ok(Some(Identity {
            family: ID,
            // The class is the hardware odflash can tell apart; the chip gate compares it with
            // the class an image's size belongs to.
            chip: Some(class.name().to_string()),
            banner: None,
            vendor: inquiry.vendor.clone(),
            model: inquiry.product.clone(),
            revision: inquiry.revision.clone(),
            firmware_date: None,
            serial: None,
            flash_reads: match class.read_back() {
                ReadBack::ReadBuffer => FlashReads::Served,
                ReadBack::NotPublic => FlashReads::NotPublic,
            },
        }))
    }

    /// The MT1939 boot loader answers INQUIRY with revision `BOOT` (coastermelt
    /// `doc/update-ts01-notes.txt`; docs/protocol.md §6.1); the drive table's boot rule says so.
    fn state(&self, t: &mut dyn Transport, _identity: &Identity) -> Result<DriveState, Error> {
        let inquiry = scsi::read_inquiry(t)?;
        if self.shows_boot_loader(&inquiry) {
            return Ok(DriveState::Recovery);
        }
        super::readiness(t)
    }

    fn format(&self) -> Option<&'static dyn Format> {
        Some(&tsst::FORMAT)
    }

    fn flash(&self, identity: &Identity) -> Option<&'static dyn FlashAccess> {
        class_of(identity).map(flash::for_class)
    }

    fn recovery(&self) -> Recovery {
        Recovery {
            hold_eject: None,
            note: "The TSST SE-506CB starts its boot loader (revision BOOT) by itself when its \
                   firmware fails its checks, and odflash can flash it from there; for the TSST \
                   and Samsung DVD-ROM drives no recovery mode is public.",
            // The SE-506CB's boot loader runs when the application fails its checks
            // (coastermelt `doc/bootloader.txt`; docs/protocol.md §6.1).
            after_partial_burn:
                "an SE-506CB comes up in its boot loader (revision BOOT) and takes \
                                 the image again there; for a TSST or Samsung DVD-ROM drive no \
                                 recovery mode is public, so it may not answer until it is \
                                 reflashed another way",
        }
    }

    fn shows_boot_loader(&self, inquiry: &Inquiry) -> bool {
        compat::shows_boot_loader(&inquiry.product, &inquiry.revision)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::family::script::{inquiry, Script};

    #[test]
    fn the_allow_list_claims_each_class_and_nothing_else() {
        let mut t = Script::new(vec![]);
        for (vendor, product, class, reads) in [
            (
                "TSSTcorp",
                "BDDVDW SE-506CB",
                Class::Mt1939Bd,
                FlashReads::Served,
            ),
            (
                "hp",
                "DVD-ROM TS-H353C",
                Class::Mt1339DvdRom,
                FlashReads::NotPublic,
            ),
            (
                "SAMSUNG",
                "DVD-ROM SD-616F",
                Class::Sd616,
                FlashReads::NotPublic,
            ),
        ] {
            let id = Tsst
                .probe(&mut t, &inquiry(vendor, product, "TS01"))
                .unwrap()
                .unwrap_or_else(|| panic!("{product} not claimed"));
            assert_eq!(id.chip.as_deref(), Some(class.name()));
            assert_eq!(id.flash_reads, reads);
            assert!(Tsst.flash(&id).is_some());
        }
        for (vendor, product) in [
            ("TSSTcorp", "DVD-ROM TS-H353D"),
            ("SAMSUNG", "DVD-ROM SD-616Q"),
            ("HL-DT-ST", "BD-RE BU40N"),
        ] {
            assert!(Tsst
                .probe(&mut t, &inquiry(vendor, product, "1.00"))
                .unwrap()
                .is_none());
        }
        assert!(t.log().is_empty(), "the probe sends nothing beyond INQUIRY");
    }
}
