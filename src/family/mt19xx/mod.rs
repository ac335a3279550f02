//! The MT19xx family: MediaTek MT1959 / MT1939 Blu-ray drives (LG, ASUS, Buffalo, ...).
//!
//! `mod.rs` holds the [`Family`] impl: the read-only probe and the state check. Vendor CDB
//! bytes live only in [`cdb`]; flash primitives in [`flash`]; per-unit data in [`unit_data`].
//! See `README.md` beside this file for the protocol, with sources.
//!
//! The probe sends only INQUIRY-class commands, GET CONFIGURATION and READ BUFFER mode 6 reads,
//! and only to peripheral type 5 devices. It must never write.

pub mod cdb;
pub mod flash;
pub mod unit_data;

use crate::family::{answered, DriveState, Error, Family, FamilyId, FlashAccess, Identity};
use crate::image::layout::{BANNER_LEN, BANNER_OFFSET};
use crate::scsi::inquiry::{Inquiry, PERIPHERAL_TYPE_MMC};
use crate::scsi::{self, Transport};

use flash::{identity_window, Flash};
use unit_data::{parse_descriptor, Descriptor};

/// INQUIRY vendor of drives the MT19xx probe skips: freemkv does not probe Pioneer drives as
/// MediaTek (record row 2; freemkv-firmware `drive/mtk/mod.rs` `probe`).
const SKIPPED_VENDOR: &str = "PIONEER";

/// What a boot banner of this family starts with (record row 2; freemkv `has_mt19_banner`).
const BANNER_PREFIX: &[u8] = b"MT19";

/// INQUIRY revision of a drive running its boot loader (record row 1 and §2: TSST MT1939,
/// coastermelt `doc/update-ts01-notes.txt`).
// ASSUMPTION: MT1959 boot loaders answer like the TSST MT1939 one (revision `BOOT`, date
// field zero); no public source shows MT1959 boot-mode INQUIRY data (record §2, §6). The
// emulator's boot mode shares this assumption.
const BOOT_REVISION: &str = "BOOT";

/// The MT19xx family.
#[derive(Debug, Clone, Copy, Default)]
pub struct Mt19xx;

/// The family's flash access (stateless).
static FLASH: Flash = Flash;

/// True when INQUIRY shows the boot loader: revision `BOOT` and a zero (or absent) date field.
pub fn is_boot_loader(inquiry: &Inquiry) -> bool {
    let date_is_zero = inquiry
        .vendor_specific
        .chars()
        .all(|c| c == '0' || c == ' ' || c == '\0');
    inquiry.revision == BOOT_REVISION && date_is_zero
}

/// Read the boot banner at 0x3000 with exactly 0x20 bytes: a longer read gets ILLEGAL REQUEST
/// (record row 3). `None` when the drive refuses it or it does not start with `MT19`.
fn read_banner(t: &mut dyn Transport) -> Result<Option<String>, Error> {
    let mut banner = [0u8; BANNER_LEN];
    if answered(FLASH.read(t, BANNER_OFFSET as u32, &mut banner))?.is_none()
        || !banner.starts_with(BANNER_PREFIX)
    {
        return Ok(None);
    }
    let end = banner
        .iter()
        .position(|&b| !(0x20..0x7F).contains(&b))
        .unwrap_or(BANNER_LEN);
    Ok(Some(
        String::from_utf8_lossy(&banner[..end]).trim().to_string(),
    ))
}

/// Read and parse the identity descriptor window; an empty [`Descriptor`] when unreadable.
fn read_descriptor(t: &mut dyn Transport) -> Result<Descriptor, Error> {
    let bytes = answered(unit_data::read_window(t, &identity_window()))?;
    Ok(bytes.map(|b| parse_descriptor(&b)).unwrap_or_default())
}

impl Family for Mt19xx {
    fn id(&self) -> FamilyId {
        FamilyId::Mt19xx
    }

    fn probe(&self, t: &mut dyn Transport, inquiry: &Inquiry) -> Result<Option<Identity>, Error> {
        // Only MMC devices get anything beyond INQUIRY (DESIGN.md §3).
        if inquiry.peripheral_type != PERIPHERAL_TYPE_MMC
            || inquiry.vendor.eq_ignore_ascii_case(SKIPPED_VENDOR)
        {
            return Ok(None);
        }
        let boot = is_boot_loader(inquiry);
        // freemkv's probe needs a complete feature 0x010C reply AND the banner (record row 2).
        // A boot loader may not answer GET CONFIGURATION like the application does, so in boot
        // mode the banner alone claims the drive: the TSST boot loader serves READ BUFFER mode
        // 6 (record row 3b; coastermelt `doc/bootloader.txt`).
        let firmware_date = answered(scsi::read_firmware_date(t).map_err(Error::from))?.flatten();
        if firmware_date.is_none() && !boot {
            return Ok(None);
        }
        let Some(banner) = read_banner(t)? else {
            return Ok(None);
        };
        let descriptor = read_descriptor(t)?;
        let serial = answered(scsi::read_serial_feature(t).map_err(Error::from))?.flatten();
        Ok(Some(Identity {
            family: FamilyId::Mt19xx,
            chip: descriptor.chip,
            banner: Some(banner),
            vendor: descriptor.vendor.unwrap_or_else(|| inquiry.vendor.clone()),
            model: descriptor.model.unwrap_or_else(|| inquiry.product.clone()),
            revision: descriptor
                .revision
                .unwrap_or_else(|| inquiry.revision.clone()),
            firmware_date,
            serial,
        }))
    }

    fn state(&self, t: &mut dyn Transport, _identity: &Identity) -> Result<DriveState, Error> {
        let inquiry = scsi::read_inquiry(t)?;
        if is_boot_loader(&inquiry) {
            return Ok(DriveState::Recovery);
        }
        match answered(unit_data::read_unit_data(t))? {
            Some(data) => {
                if let Err(problem) = unit_data::check(&data, &inquiry) {
                    return Ok(DriveState::NeedsAttention {
                        reason: problem.to_string(),
                    });
                }
            }
            None => return Ok(DriveState::Unknown),
        }
        super::readiness(t)
    }

    fn flash(&self) -> Option<&dyn FlashAccess> {
        Some(&FLASH)
    }
}
