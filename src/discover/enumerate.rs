//! Enumerating optical drives through udev: every `scsi_generic` node whose `scsi_device` parent
//! has peripheral type 5, with its identity strings, sr node, bus and persistent name.
//!
//! Owns: the udev walk and the pure assembly of [`DriveInfo`] from what udev reports (a
//! `Record`, so the assembly is tested without udev).
//!
//! Must not: open a device node or send a command (everything comes from the udev database and
//! sysfs attributes), or print. Device strings are sanitized here, once.

use std::fs;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::sysfs::{build_hints, Hints};
use super::{classify_bus, parse_usb_hex, sanitize, Ancestor, Bus, Error};

/// Peripheral device type of an MMC (CD/DVD/BD) device (SPC-4 table 141).
const TYPE_MMC: u8 = 5;

/// One optical drive as udev and sysfs describe it (no command was sent to it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DriveInfo {
    /// The SCSI generic node (`/dev/sg1`): the node odflash talks through.
    pub sg_node: PathBuf,
    /// The block node of the same drive (`/dev/sr0`), when the sr driver is bound.
    pub sr_node: Option<PathBuf>,
    /// INQUIRY vendor from sysfs (sanitized).
    pub vendor: String,
    /// INQUIRY product from sysfs (sanitized).
    pub model: String,
    /// INQUIRY revision from sysfs (sanitized; empty when sysfs has none).
    pub revision: String,
    /// How the drive is attached.
    pub bus: Bus,
    /// A `/dev/disk/by-id/` link of the sr node, when udev made one.
    pub by_id: Option<PathBuf>,
    /// `ID_SERIAL_SHORT` (else `ID_SERIAL`) of the sr node (sanitized). Behind USB this is the
    /// bridge's serial, not the drive's.
    pub serial: Option<String>,
    /// Peripheral device type of the `scsi_device` (always 5 here).
    pub peripheral_type: u8,
}

impl DriveInfo {
    /// The sysfs-level hints for this drive (same rules as `odflash udev-props`).
    pub fn hints(&self) -> Hints {
        let revision = (!self.revision.is_empty()).then_some(self.revision.as_str());
        build_hints(&self.model, revision, self.bus.clone())
    }
}

/// What udev reports about one `scsi_generic` device, before interpretation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Record {
    /// Kernel name of the sg node (`sg1`).
    pub sg_sysname: String,
    /// Device node udev reports for it, if any.
    pub sg_devnode: Option<PathBuf>,
    /// Raw `type` attribute of the `scsi_device`.
    pub scsi_type: Option<String>,
    /// Raw `vendor` attribute.
    pub vendor: Option<String>,
    /// Raw `model` attribute.
    pub model: Option<String>,
    /// Raw `rev` attribute.
    pub rev: Option<String>,
    /// Parents of the `scsi_device`, nearest first.
    pub parents: Vec<Ancestor>,
    /// The sr block device, when one is bound.
    pub sr: Option<SrRecord>,
}

/// What udev reports about the sr block device of a drive.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct SrRecord {
    /// Its device node (`/dev/sr0`).
    pub devnode: PathBuf,
    /// Its `DEVLINKS` property (space-separated).
    pub devlinks: Option<String>,
    /// Its `ID_SERIAL_SHORT` property.
    pub serial_short: Option<String>,
    /// Its `ID_SERIAL` property.
    pub serial: Option<String>,
}

/// Assemble a [`DriveInfo`] from a [`Record`]; `None` unless the device is peripheral type 5.
/// Pure.
pub(crate) fn build_drive(record: &Record) -> Option<DriveInfo> {
    let peripheral_type = record.scsi_type.as_deref()?.trim().parse::<u8>().ok()?;
    if peripheral_type != TYPE_MMC {
        return None;
    }
    let text = |raw: &Option<String>| raw.as_deref().map(sanitize).unwrap_or_default();
    let sr = record.sr.as_ref();
    let by_id = sr.and_then(|sr| sr.devlinks.as_deref()).and_then(|links| {
        let mut by_id: Vec<&str> = links
            .split_whitespace()
            .filter(|l| l.starts_with("/dev/disk/by-id/"))
            .collect();
        by_id.sort_unstable();
        by_id.first().map(PathBuf::from)
    });
    let serial = sr
        .and_then(|sr| sr.serial_short.as_deref().or(sr.serial.as_deref()))
        .map(sanitize)
        .filter(|s| !s.is_empty());
    Some(DriveInfo {
        sg_node: record
            .sg_devnode
            .clone()
            .unwrap_or_else(|| Path::new("/dev").join(&record.sg_sysname)),
        sr_node: sr.map(|sr| sr.devnode.clone()),
        vendor: text(&record.vendor),
        model: text(&record.model),
        revision: text(&record.rev),
        bus: classify_bus(&record.parents),
        by_id,
        serial,
        peripheral_type,
    })
}

/// Every optical drive udev knows, ordered by sg number. Sends nothing to any device.
pub fn enumerate() -> Result<Vec<DriveInfo>, Error> {
    let mut enumerator = udev::Enumerator::new().map_err(Error::Udev)?;
    enumerator
        .match_subsystem("scsi_generic")
        .map_err(Error::Udev)?;
    let devices = enumerator.scan_devices().map_err(Error::Udev)?;
    let mut drives: Vec<DriveInfo> = devices
        .filter_map(|device| build_drive(&read_record(&device)))
        .collect();
    drives.sort_by_key(|d| sg_number(&d.sg_node));
    Ok(drives)
}

/// The [`DriveInfo`] of one udev `scsi_generic` device, or `None` when it is not optical.
pub(crate) fn drive_from_device(device: &udev::Device) -> Option<DriveInfo> {
    build_drive(&read_record(device))
}

/// Collect what udev and sysfs say about one `scsi_generic` device.
fn read_record(sg: &udev::Device) -> Record {
    let mut record = Record {
        sg_sysname: sg.sysname().to_string_lossy().into_owned(),
        sg_devnode: sg.devnode().map(Path::to_path_buf),
        ..Record::default()
    };
    let Ok(Some(scsi)) = sg.parent_with_subsystem_devtype("scsi", "scsi_device") else {
        return record;
    };
    let attr = |name: &str| {
        scsi.attribute_value(name)
            .map(|v| v.to_string_lossy().into_owned())
    };
    record.scsi_type = attr("type");
    record.vendor = attr("vendor");
    record.model = attr("model");
    record.rev = attr("rev");
    record.parents = std::iter::successors(scsi.parent(), udev::Device::parent)
        .map(|d| ancestor_of(&d))
        .collect();
    record.sr = sr_of(&scsi);
    record
}

/// Reduce one udev parent device to an [`Ancestor`].
fn ancestor_of(device: &udev::Device) -> Ancestor {
    let text = |v: Option<&std::ffi::OsStr>| v.map(|v| v.to_string_lossy().into_owned());
    let is_usb_device = device.subsystem().is_some_and(|s| s == "usb")
        && device.devtype().is_some_and(|t| t == "usb_device");
    let usb_id = if is_usb_device {
        let id = |name| {
            device
                .attribute_value(name)
                .and_then(|v| parse_usb_hex(&v.to_string_lossy()))
        };
        id("idVendor").zip(id("idProduct"))
    } else {
        None
    };
    Ancestor {
        sysname: device.sysname().to_string_lossy().into_owned(),
        subsystem: text(device.subsystem()),
        usb_id,
        usb_product: usb_id.and(text(device.attribute_value("product"))),
    }
}

/// The sr block device under a `scsi_device` (its `block/` directory in sysfs), if bound.
fn sr_of(scsi: &udev::Device) -> Option<SrRecord> {
    let entries = fs::read_dir(scsi.syspath().join("block")).ok()?;
    let name = entries
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .find(|n| n.starts_with("sr"))?;
    let block = udev::Device::from_subsystem_sysname("block".into(), name.clone()).ok()?;
    let prop = |key: &str| {
        block
            .property_value(key)
            .map(|v| v.to_string_lossy().into_owned())
    };
    Some(SrRecord {
        devnode: block
            .devnode()
            .map_or_else(|| Path::new("/dev").join(&name), Path::to_path_buf),
        devlinks: prop("DEVLINKS"),
        serial_short: prop("ID_SERIAL_SHORT"),
        serial: prop("ID_SERIAL"),
    })
}

/// The number in `/dev/sgN`, for ordering (unparseable names sort last).
fn sg_number(node: &Path) -> u32 {
    node.file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.strip_prefix("sg"))
        .and_then(|n| n.parse().ok())
        .unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discover::{FamilyHint, StateHint};

    fn lg_bu40n_over_usb() -> Record {
        Record {
            sg_sysname: "sg2".into(),
            sg_devnode: Some("/dev/sg2".into()),
            scsi_type: Some("5\n".into()),
            vendor: Some("HL-DT-ST\n".into()),
            model: Some("BD-RE  BU40N    \n".into()),
            rev: Some("1.03\n".into()),
            parents: vec![
                Ancestor {
                    sysname: "target6:0:0".into(),
                    subsystem: Some("scsi".into()),
                    ..Ancestor::default()
                },
                Ancestor {
                    sysname: "2-1".into(),
                    subsystem: Some("usb".into()),
                    usb_id: Some((0x174c, 0x55aa)),
                    usb_product: Some("ASM1153E".into()),
                },
            ],
            sr: Some(SrRecord {
                devnode: "/dev/sr1".into(),
                devlinks: Some(
                    "/dev/disk/by-path/pci-0000:00:14.0-usb-0:1:1.0-scsi-0:0:0:0 \
                     /dev/disk/by-id/usb-HL-DT-ST_BD-RE_BU40N_0123-0:0 /dev/cdrom"
                        .into(),
                ),
                serial_short: Some("0123\x1b[1m".into()),
                serial: Some("HL-DT-ST_BD-RE_BU40N_0123".into()),
            }),
        }
    }

    #[test]
    fn builds_a_usb_drive() {
        let drive = build_drive(&lg_bu40n_over_usb()).expect("type 5");
        assert_eq!(drive.sg_node, PathBuf::from("/dev/sg2"));
        assert_eq!(drive.sr_node, Some(PathBuf::from("/dev/sr1")));
        assert_eq!(drive.vendor, "HL-DT-ST");
        assert_eq!(drive.model, "BD-RE  BU40N");
        assert_eq!(drive.revision, "1.03");
        assert_eq!(
            drive.bus,
            Bus::Usb {
                vendor_id: 0x174c,
                product_id: 0x55aa,
                bridge: Some("ASM1153E".into())
            }
        );
        assert_eq!(
            drive.by_id,
            Some(PathBuf::from(
                "/dev/disk/by-id/usb-HL-DT-ST_BD-RE_BU40N_0123-0:0"
            ))
        );
        assert_eq!(drive.serial.as_deref(), Some("0123"));
        assert_eq!(drive.peripheral_type, 5);
        let hints = drive.hints();
        assert_eq!(hints.family_hint, Some(FamilyHint::Mt19xx));
        assert_eq!(hints.state_hint, StateHint::Normal);
    }

    #[test]
    fn non_optical_or_untyped_devices_are_skipped() {
        let mut disk = lg_bu40n_over_usb();
        disk.scsi_type = Some("0\n".into());
        assert_eq!(build_drive(&disk), None);
        disk.scsi_type = None;
        assert_eq!(build_drive(&disk), None);
    }

    #[test]
    fn missing_sr_and_devnode_fall_back() {
        let mut record = lg_bu40n_over_usb();
        record.sr = None;
        record.sg_devnode = None;
        record.rev = None;
        let drive = build_drive(&record).expect("type 5");
        assert_eq!(drive.sg_node, PathBuf::from("/dev/sg2"));
        assert_eq!(drive.hints().state_hint, StateHint::Unknown);
        assert_eq!(drive.revision, "");
        assert_eq!(
            (drive.sr_node, drive.by_id, drive.serial),
            (None, None, None)
        );
    }

    #[test]
    fn serial_falls_back_to_id_serial() {
        let mut record = lg_bu40n_over_usb();
        if let Some(sr) = record.sr.as_mut() {
            sr.serial_short = None;
        }
        let drive = build_drive(&record).expect("type 5");
        assert_eq!(drive.serial.as_deref(), Some("HL-DT-ST_BD-RE_BU40N_0123"));
    }

    #[test]
    fn sg_numbers_order_numerically() {
        assert!(sg_number(Path::new("/dev/sg2")) < sg_number(Path::new("/dev/sg10")));
        assert_eq!(sg_number(Path::new("/dev/odd")), u32::MAX);
    }
}
