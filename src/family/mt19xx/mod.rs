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
            chip: descriptor.chip.map(|c| c.name().to_string()),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::family::script::{inquiry, Reply, Script};
    use crate::image::layout::{CALIBRATION_LEN, CALIBRATION_OFFSET, DESCRIPTOR_LEN};
    use crate::scsi::cdb::{
        build_get_configuration, build_inquiry, build_test_unit_ready, FEATURE_FIRMWARE_DATE,
        FEATURE_SERIAL, INQUIRY_LONG, RT_ONE_FEATURE,
    };
    use crate::scsi::SenseKey;

    const VENDOR: &str = "HL-DT-ST";
    const MODEL: &str = "BD-RE BU40N";

    fn step(cdb: &[u8], reply: Reply) -> (Vec<u8>, Reply) {
        (cdb.to_vec(), reply)
    }

    fn illegal() -> Reply {
        Reply::Check(SenseKey::IllegalRequest, 0x24, 0)
    }

    /// GET CONFIGURATION RT=2 reply carrying one feature with `data`.
    fn feature(code: u16, data: &[u8]) -> Reply {
        let mut r = vec![0u8; 8];
        r[..4].copy_from_slice(&((4 + 4 + data.len()) as u32).to_be_bytes());
        r.extend_from_slice(&code.to_be_bytes());
        r.extend_from_slice(&[0x03, data.len() as u8]);
        r.extend_from_slice(data);
        Reply::Good(r)
    }

    fn get_config(code: u16) -> Vec<u8> {
        build_get_configuration(RT_ONE_FEATURE, code, 28).to_vec()
    }

    fn descriptor(tag: &[u8]) -> Vec<u8> {
        let mut d = vec![0xFFu8; DESCRIPTOR_LEN];
        d[..8].copy_from_slice(format!("{VENDOR:<8}").as_bytes());
        d[8..0x18].copy_from_slice(format!("{MODEL:<16}").as_bytes());
        d[0x18..0x1C].copy_from_slice(b"1.03");
        d[0x34..0x34 + tag.len()].copy_from_slice(tag);
        d
    }

    fn banner_read(reply: Reply) -> (Vec<u8>, Reply) {
        step(&cdb::build_read_window(0x3000, 0x20), reply)
    }

    fn descriptor_read(reply: Reply) -> (Vec<u8>, Reply) {
        step(&cdb::build_read_window(0x1E_C000, 0x100), reply)
    }

    fn banner() -> Reply {
        let mut b = b"MT1959 Boot BU5 ".to_vec();
        b.resize(0x20, 0);
        Reply::Good(b)
    }

    fn inquiry_reply(revision: &str) -> Reply {
        let mut r = vec![0u8; INQUIRY_LONG as usize];
        r[0] = 5;
        r[1] = 0x80;
        r[4] = (INQUIRY_LONG - 5) as u8;
        r[8..16].copy_from_slice(format!("{VENDOR:<8}").as_bytes());
        r[16..32].copy_from_slice(format!("{MODEL:<16}").as_bytes());
        r[32..36].copy_from_slice(revision.as_bytes());
        Reply::Good(r)
    }

    fn unit_reads(identity: Vec<u8>, calibration: u8) -> Vec<(Vec<u8>, Reply)> {
        let mut steps = vec![descriptor_read(Reply::Good(identity))];
        for off in (CALIBRATION_OFFSET..CALIBRATION_OFFSET + CALIBRATION_LEN).step_by(0x1000) {
            steps.push(step(
                &cdb::build_read_window(off as u32, 0x1000),
                Reply::Good(vec![calibration; 0x1000]),
            ));
        }
        steps
    }

    #[test]
    fn application_drive_is_claimed_with_descriptor_identity() {
        let mut t = Script::new(vec![
            step(
                &get_config(FEATURE_FIRMWARE_DATE),
                feature(FEATURE_FIRMWARE_DATE, b"20160512113000\0\0"),
            ),
            banner_read(banner()),
            descriptor_read(Reply::Good(descriptor(b"MTEKMT1939"))),
            step(
                &get_config(FEATURE_SERIAL),
                feature(FEATURE_SERIAL, b"K9A1234 "),
            ),
        ]);
        let id = Mt19xx
            .probe(&mut t, &inquiry(VENDOR, "BD-RE", "1.00"))
            .unwrap()
            .expect("claimed");
        assert!(t.done());
        assert_eq!(id.family, FamilyId::Mt19xx);
        assert_eq!(id.chip.as_deref(), Some("MT1939"));
        assert_eq!(id.banner.as_deref(), Some("MT1959 Boot BU5"));
        assert_eq!((id.vendor.as_str(), id.model.as_str()), (VENDOR, MODEL));
        assert_eq!(id.revision, "1.03");
        assert_eq!(id.firmware_date.as_deref(), Some("2016-05-12 11:30:00"));
        assert_eq!(id.serial.as_deref(), Some("K9A1234"));
    }

    #[test]
    fn feature_without_banner_is_not_claimed() {
        let date = || {
            step(
                &get_config(FEATURE_FIRMWARE_DATE),
                feature(FEATURE_FIRMWARE_DATE, b"20160512113000\0\0"),
            )
        };
        let mut refused = Script::new(vec![date(), banner_read(illegal())]);
        let inq = inquiry("ASUS", "BW-16D1HT", "3.02");
        assert!(Mt19xx.probe(&mut refused, &inq).unwrap().is_none());
        let mut other = Script::new(vec![date(), banner_read(Reply::Good(vec![0x41; 0x20]))]);
        assert!(Mt19xx.probe(&mut other, &inq).unwrap().is_none());
        // No complete feature 0x010C: not even the banner is read.
        let mut no_feature = Script::new(vec![step(&get_config(FEATURE_FIRMWARE_DATE), illegal())]);
        assert!(Mt19xx.probe(&mut no_feature, &inq).unwrap().is_none());
        assert!(no_feature.done());
    }

    #[test]
    fn pioneer_is_skipped_without_a_command() {
        let mut t = Script::new(vec![]);
        let inq = inquiry("PIONEER", "BD-RW   BDR-209D", "1.51");
        assert!(Mt19xx.probe(&mut t, &inq).unwrap().is_none());
        assert!(t.log().is_empty());
    }

    #[test]
    fn boot_loader_is_claimed_and_in_recovery() {
        let mut t = Script::new(vec![
            step(&get_config(FEATURE_FIRMWARE_DATE), illegal()),
            banner_read(banner()),
            descriptor_read(illegal()),
            step(&get_config(FEATURE_SERIAL), illegal()),
            step(&build_inquiry(INQUIRY_LONG), inquiry_reply("BOOT")),
        ]);
        let inq = inquiry(VENDOR, MODEL, "BOOT");
        let id = Mt19xx.probe(&mut t, &inq).unwrap().expect("claimed");
        assert_eq!(id.revision, "BOOT");
        assert_eq!(id.chip, None);
        assert_eq!(Mt19xx.state(&mut t, &id).unwrap(), DriveState::Recovery);
        assert!(t.done());
    }

    #[test]
    fn state_reports_needs_attention_then_readiness() {
        let id = Identity {
            family: FamilyId::Mt19xx,
            chip: Some("MT1959".into()),
            banner: None,
            vendor: VENDOR.into(),
            model: MODEL.into(),
            revision: "1.03".into(),
            firmware_date: None,
            serial: None,
        };
        let mut steps = vec![step(&build_inquiry(INQUIRY_LONG), inquiry_reply("1.03"))];
        steps.extend(unit_reads(descriptor(b"MTEKMT1959"), 0xFF));
        let mut t = Script::new(steps);
        match Mt19xx.state(&mut t, &id).unwrap() {
            DriveState::NeedsAttention { reason } => assert!(reason.contains("calibration")),
            other => panic!("expected NeedsAttention, got {other:?}"),
        }

        let mut steps = vec![step(&build_inquiry(INQUIRY_LONG), inquiry_reply("1.03"))];
        steps.extend(unit_reads(descriptor(b"MTEKMT1959"), 0x5A));
        steps.push(step(
            &build_test_unit_ready(),
            Reply::Check(SenseKey::UnitAttention, 0x29, 0),
        ));
        steps.push(step(
            &build_test_unit_ready(),
            Reply::Check(SenseKey::NotReady, 0x3A, 0),
        ));
        let mut t = Script::new(steps);
        assert_eq!(Mt19xx.state(&mut t, &id).unwrap(), DriveState::NoMedium);
        assert!(t.done());
    }
}
