//! The MT19xx family: MediaTek MT1959 / MT1939 Blu-ray drives (LG, ASUS, Buffalo, ...).
//!
//! `mod.rs` holds the [`Family`] impl: the read-only probe and the state check. Vendor CDB
//! bytes live only in [`cdb`]; flash primitives in [`flash`]; per-unit data in [`unit_data`].
//! See `README.md` beside this file for the protocol, with sources.
//!
//! The probe sends only INQUIRY-class commands, GET CONFIGURATION and READ BUFFER mode 6 reads,
//! and only to peripheral type 5 devices. It must never write.

pub mod cdb;
#[cfg(test)]
mod emulated;
pub mod flash;
pub mod unit_data;

use crate::family::{
    answered, DriveState, Error, Family, FamilyId, FlashAccess, FlashReads, Identity, Recovery,
};
use crate::image::compat::{self, GroupFamily};
use crate::image::format::Format;
use crate::image::layout::{BANNER_LEN, BANNER_OFFSET};
use crate::scsi::inquiry::{Inquiry, PERIPHERAL_TYPE_MMC};
use crate::scsi::{self, Transport};

use flash::{identity_window, Flash};
use unit_data::{parse_descriptor, Descriptor};

/// INQUIRY vendor of drives the MT19xx probe skips: freemkv does not probe Pioneer drives as
/// MediaTek (freemkv-firmware `drive/mtk/mod.rs`, `probe`; docs/protocol.md §2.1).
const SKIPPED_VENDOR: &str = "PIONEER";

/// What a boot banner of this family starts with (freemkv-firmware `drive/mtk/mod.rs`,
/// `has_mt19_banner`; docs/protocol.md §2.1).
const BANNER_PREFIX: &[u8] = b"MT19";

/// The MT19xx family.
#[derive(Debug, Clone, Copy, Default)]
pub struct Mt19xx;

/// The family's name.
pub const ID: FamilyId = FamilyId::named("mt19xx");

/// The family's flash access (stateless).
static FLASH: Flash = Flash;

/// True when INQUIRY shows the boot loader (revision `BOOT`, or a `-BOOT`/`_BOOT` product; the
/// drive table's rule, [`compat::shows_boot_loader`]).
pub fn is_boot_loader(inquiry: &Inquiry) -> bool {
    compat::shows_boot_loader(&inquiry.product, &inquiry.revision)
}

/// True when the drive table lists the drive as a TSST "FF download" drive: the SE-506CB is an
/// MT1939 whose boot loader answers READ BUFFER with an `MT1939 Boot Code` banner, but it is
/// flashed with the FF download, never with this family's WRITE BUFFER sequence
/// (docs/protocol.md §4.10), so its own family claims it.
fn is_ff_download_drive(inquiry: &Inquiry) -> bool {
    crate::image::tsst::Class::of_inquiry(&inquiry.vendor, &inquiry.product).is_some()
}

/// True when the drive table lists this vendor and product (boot suffix aside) as an MT19xx
/// drive.
fn is_known_model(inquiry: &Inquiry) -> bool {
    compat::known_model(
        &inquiry.vendor,
        compat::without_boot_suffix(&inquiry.product),
    )
    .is_some_and(|m| m.family == GroupFamily::Mt19xx)
}

/// What the banner read at 0x3000 answered.
enum BannerRead {
    /// An `MT19` banner, as text.
    Banner(String),
    /// The drive refused the read (CHECK CONDITION, a short or bad reply).
    Refused,
    /// Data that is not an MT19xx banner.
    Other,
}

/// Read the boot banner at 0x3000 with exactly 0x20 bytes: a longer read gets ILLEGAL REQUEST
/// (freemkv-firmware `has_mt19_banner`; docs/protocol.md §2.3).
fn read_banner(t: &mut dyn Transport) -> Result<BannerRead, Error> {
    let mut banner = [0u8; BANNER_LEN];
    if answered(FLASH.read(t, BANNER_OFFSET as u32, &mut banner))?.is_none() {
        return Ok(BannerRead::Refused);
    }
    if !banner.starts_with(BANNER_PREFIX) {
        return Ok(BannerRead::Other);
    }
    let end = banner
        .iter()
        .position(|&b| !(0x20..0x7F).contains(&b))
        .unwrap_or(BANNER_LEN);
    Ok(BannerRead::Banner(
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
        ID
    }

    /// The evidence, after freemkv-firmware's probe (`drive/mtk/mod.rs`; docs/protocol.md §2.1):
    /// a GET CONFIGURATION reply that echoes feature 0x010C, and the `MT19` boot banner. The
    /// firmware date inside that reply is display only and never decides anything.
    ///
    /// Two cases the banner alone cannot settle are decided by the drive table: a known MT19xx
    /// model whose firmware echoes 0x010C but refuses the banner read ("firmware blocks flash
    /// reads"), and a known MT19xx model showing a boot-loader signature whose boot loader
    /// answers neither (a BH16NS40 after a failed flash: MakeMKV forum t=29236, t=31107).
    fn probe(&self, t: &mut dyn Transport, inquiry: &Inquiry) -> Result<Option<Identity>, Error> {
        // Only MMC devices get anything beyond INQUIRY.
        if inquiry.peripheral_type != PERIPHERAL_TYPE_MMC
            || inquiry.vendor.eq_ignore_ascii_case(SKIPPED_VENDOR)
            || is_ff_download_drive(inquiry)
        {
            return Ok(None);
        }
        let boot = is_boot_loader(inquiry);
        let info = answered(scsi::read_firmware_information(t).map_err(Error::from))?.flatten();
        if info.is_none() && !boot {
            return Ok(None);
        }
        let (banner, flash_reads) = match read_banner(t)? {
            BannerRead::Banner(banner) => (Some(banner), FlashReads::Served),
            BannerRead::Refused if is_known_model(inquiry) => (
                None,
                if boot {
                    FlashReads::RefusedByBootLoader
                } else {
                    FlashReads::BlockedByFirmware
                },
            ),
            BannerRead::Refused | BannerRead::Other => return Ok(None),
        };
        let descriptor = match flash_reads {
            FlashReads::Served => read_descriptor(t)?,
            _ => Descriptor::default(),
        };
        let serial = answered(scsi::read_serial_feature(t).map_err(Error::from))?.flatten();
        Ok(Some(Identity {
            family: ID,
            chip: descriptor.chip.map(|c| c.name().to_string()),
            banner,
            vendor: descriptor.vendor.unwrap_or_else(|| inquiry.vendor.clone()),
            model: descriptor
                .model
                .unwrap_or_else(|| compat::without_boot_suffix(&inquiry.product).to_string()),
            revision: descriptor
                .revision
                .unwrap_or_else(|| inquiry.revision.clone()),
            firmware_date: info.and_then(|i| i.date),
            serial,
            flash_reads,
        }))
    }

    fn state(&self, t: &mut dyn Transport, identity: &Identity) -> Result<DriveState, Error> {
        let inquiry = scsi::read_inquiry(t)?;
        if is_boot_loader(&inquiry) {
            return Ok(DriveState::Recovery);
        }
        if identity.flash_reads == FlashReads::Served {
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
        }
        super::readiness(t)
    }

    fn format(&self) -> Option<&'static dyn Format> {
        Some(&crate::image::mt19xx::FORMAT)
    }

    fn flash(&self, _: &Identity) -> Option<&'static dyn FlashAccess> {
        Some(&FLASH)
    }

    /// No public source gives an MT19xx key sequence: these drives start their boot loader by
    /// themselves when the firmware fails its checks (docs/protocol.md §6.1, §6.2).
    fn recovery(&self) -> Recovery {
        Recovery {
            hold_eject: None,
            note: "MT1959/MT1939 drives start their boot loader by themselves when their \
                   firmware fails its checks; odflash can flash them from there.",
            after_partial_burn: "the drive will likely come up in its boot loader",
        }
    }

    fn shows_boot_loader(&self, inquiry: &Inquiry) -> bool {
        is_boot_loader(inquiry)
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

    /// The state check's unit-data reads: the identity window, then the calibration window in
    /// one 64 KiB read.
    fn unit_reads(identity: Vec<u8>, calibration: u8) -> Vec<(Vec<u8>, Reply)> {
        vec![
            descriptor_read(Reply::Good(identity)),
            step(
                &cdb::build_read_window(CALIBRATION_OFFSET as u32, CALIBRATION_LEN as u32),
                Reply::Good(vec![calibration; CALIBRATION_LEN]),
            ),
        ]
    }

    #[test]
    fn a_refused_large_unit_read_falls_back_to_4_kib_pieces() {
        let mut steps = vec![step(
            &cdb::build_read_window(CALIBRATION_OFFSET as u32, CALIBRATION_LEN as u32),
            illegal(),
        )];
        for off in (CALIBRATION_OFFSET..CALIBRATION_OFFSET + CALIBRATION_LEN).step_by(0x1000) {
            steps.push(step(
                &cdb::build_read_window(off as u32, 0x1000),
                Reply::Good(vec![0x5A; 0x1000]),
            ));
        }
        let mut t = Script::new(steps);
        let data = unit_data::read_window(&mut t, &flash::calibration_window()).unwrap();
        assert!(t.done());
        assert!(data.iter().all(|&b| b == 0x5A));
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
        assert_eq!(id.family, ID);
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
        // A model the drive table does not know: the banner is the only evidence.
        let mut refused = Script::new(vec![date(), banner_read(illegal())]);
        let inq = inquiry("ASUS", "BW-12B1ST", "1.00");
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
    fn lenient_date_identifies_the_drive_and_is_only_displayed() {
        // Century "21", blank seconds: MMC's digit pairs taken loosely, as real drives fill them.
        let mut t = Script::new(vec![
            step(
                &get_config(FEATURE_FIRMWARE_DATE),
                feature(FEATURE_FIRMWARE_DATE, b"211810241934  \0\0"),
            ),
            banner_read(banner()),
            descriptor_read(Reply::Good(descriptor(b"MTEKMT1959"))),
            step(&get_config(FEATURE_SERIAL), illegal()),
        ]);
        let id = Mt19xx
            .probe(&mut t, &inquiry(VENDOR, MODEL, "1.03"))
            .unwrap()
            .expect("claimed");
        assert_eq!(id.firmware_date.as_deref(), Some("2018-10-24 19:34"));
        // Garbage in the date fields does not stop identification either.
        let mut t = Script::new(vec![
            step(
                &get_config(FEATURE_FIRMWARE_DATE),
                feature(FEATURE_FIRMWARE_DATE, &[0xEE; 16]),
            ),
            banner_read(banner()),
            descriptor_read(Reply::Good(descriptor(b"MTEKMT1959"))),
            step(&get_config(FEATURE_SERIAL), illegal()),
        ]);
        let id = Mt19xx
            .probe(&mut t, &inquiry(VENDOR, MODEL, "1.03"))
            .unwrap()
            .expect("claimed");
        assert!(id.firmware_date.unwrap().starts_with("raw "));
        assert_eq!(id.flash_reads, FlashReads::Served);
    }

    #[test]
    fn bare_boot_loader_of_a_known_model_is_claimed_in_recovery() {
        // Revision BOOT, no features, READ BUFFER refused; the INQUIRY date bytes not zero.
        let mut inq = inquiry(VENDOR, "BD-RE BH16NS40", "BOOT");
        inq.vendor_specific = "2019/05/07".into();
        let mut t = Script::new(vec![
            step(&get_config(FEATURE_FIRMWARE_DATE), illegal()),
            banner_read(illegal()),
            step(&get_config(FEATURE_SERIAL), illegal()),
        ]);
        let id = Mt19xx.probe(&mut t, &inq).unwrap().expect("claimed");
        assert!(t.done());
        assert_eq!(id.flash_reads, FlashReads::RefusedByBootLoader);
        assert_eq!((id.banner, id.chip), (None, None));
        assert_eq!(id.model, "BD-RE BH16NS40");
        // The same boot loader on a model the table does not know is not claimed.
        let mut t = Script::new(vec![
            step(&get_config(FEATURE_FIRMWARE_DATE), illegal()),
            banner_read(illegal()),
        ]);
        let unknown = inquiry(VENDOR, "BD-RE XYZ99", "BOOT");
        assert!(Mt19xx.probe(&mut t, &unknown).unwrap().is_none());
        // `_BOOT` products are boot loaders too, named without the suffix.
        let mut t = Script::new(vec![
            step(&get_config(FEATURE_FIRMWARE_DATE), illegal()),
            banner_read(illegal()),
            step(&get_config(FEATURE_SERIAL), illegal()),
        ]);
        let asus = inquiry("ASUS", "BW-16D1HT_BOOT", "3.02");
        let id = Mt19xx.probe(&mut t, &asus).unwrap().expect("claimed");
        assert_eq!(id.model, "BW-16D1HT");
    }

    #[test]
    fn firmware_that_refuses_the_banner_read_blocks_flash_reads() {
        let date = || {
            step(
                &get_config(FEATURE_FIRMWARE_DATE),
                feature(FEATURE_FIRMWARE_DATE, b"20160512113000\0\0"),
            )
        };
        let mut t = Script::new(vec![
            date(),
            banner_read(illegal()),
            step(
                &get_config(FEATURE_SERIAL),
                feature(FEATURE_SERIAL, b"K9A1234 "),
            ),
        ]);
        let id = Mt19xx
            .probe(&mut t, &inquiry(VENDOR, MODEL, "1.03"))
            .unwrap()
            .expect("claimed");
        assert!(t.done());
        assert_eq!(id.flash_reads, FlashReads::BlockedByFirmware);
        assert_eq!(id.serial.as_deref(), Some("K9A1234"));
        // Its state comes from readiness alone: no unit-data reads.
        let mut t = Script::new(vec![
            step(&build_inquiry(INQUIRY_LONG), inquiry_reply("1.03")),
            step(
                &build_test_unit_ready(),
                Reply::Check(SenseKey::NotReady, 0x3A, 0),
            ),
        ]);
        assert_eq!(Mt19xx.state(&mut t, &id).unwrap(), DriveState::NoMedium);
        // A drive the table does not know that echoes 0x010C (most MMC drives do) but refuses
        // the read is not MediaTek as far as anyone can tell.
        let mut t = Script::new(vec![date(), banner_read(illegal())]);
        let other = inquiry("PLEXTOR", "DVDR   PX-760A", "1.07");
        assert!(Mt19xx.probe(&mut t, &other).unwrap().is_none());
    }

    #[test]
    fn state_reports_needs_attention_then_readiness() {
        let id = Identity {
            family: ID,
            chip: Some("MT1959".into()),
            banner: None,
            vendor: VENDOR.into(),
            model: MODEL.into(),
            revision: "1.03".into(),
            firmware_date: None,
            serial: None,
            flash_reads: FlashReads::Served,
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
