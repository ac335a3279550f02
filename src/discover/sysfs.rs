//! Sysfs-only classification of one `sgN` node: the hints `odflash udev-props sgN` prints for
//! the udev rule's `IMPORT{program}`.
//!
//! Owns: reading `class/scsi_generic/sgN/device/{type,vendor,model,rev}` and the USB
//! `idVendor`/`idProduct` of a parent under a sysfs root (a parameter, so tests use fake trees),
//! and the `ODFLASH_*` property form. Model names and boot-loader signatures come from the drive
//! table (`image::compat`).
//!
//! Must not: open any device node, send any command, or consult udev (this runs *inside* udev's
//! event processing, which must stay fast; it is a handful of small file reads). The hints are
//! only hints: the hotplug helper and `scan` decide family and state from the device itself.

use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::text::udev_value;
use super::{
    check_sg_name, classify_bus, parse_usb_hex, sanitize, Ancestor, Bus, Error,
    MEDIATEK_BOOT_USB_ID,
};
use crate::image::compat::{self, GroupFamily};

/// The real sysfs mount point, for [`classify`] outside tests.
pub const SYSFS_ROOT: &str = "/sys";

/// Peripheral device type of an MMC (CD/DVD/BD) device, as sysfs prints it (SPC-4 table 141).
const TYPE_MMC: u8 = 5;

/// Chip family suggested by sysfs data alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FamilyHint {
    /// MediaTek MT1959/MT1939 Blu-ray drives (LG, ASUS, ...), by model name.
    Mt19xx,
    /// TSST MT1939 drives with the TSST download protocol (SE-506CB), by model name.
    Tsst,
    /// LiteOn/Sony DVD-era MediaTek writers, by model name.
    LiteonDvd,
    /// Unknown model behind MediaTek's own USB identity 0e8d:1956: some MediaTek drive with
    /// native USB, possibly in its boot loader.
    MediatekUsb,
}

impl FamilyHint {
    /// The udev/JSON spelling (`mt19xx`, `tsst`, `liteon-dvd`, `mediatek-usb`).
    pub fn as_str(self) -> &'static str {
        match self {
            FamilyHint::Mt19xx => "mt19xx",
            FamilyHint::Tsst => "tsst",
            FamilyHint::LiteonDvd => "liteon-dvd",
            FamilyHint::MediatekUsb => "mediatek-usb",
        }
    }
}

impl fmt::Display for FamilyHint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Firmware state suggested by sysfs data alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StateHint {
    /// A known boot-loader signature is present: the application firmware is probably not
    /// running.
    Recovery,
    /// A known family model with a revision that carries no boot-loader signature.
    Normal,
    /// Nothing conclusive (unknown model, missing revision, or an ambiguous USB identity).
    Unknown,
}

impl StateHint {
    /// The udev/JSON spelling (`recovery`, `normal`, `unknown`).
    pub fn as_str(self) -> &'static str {
        match self {
            StateHint::Recovery => "recovery",
            StateHint::Normal => "normal",
            StateHint::Unknown => "unknown",
        }
    }
}

impl fmt::Display for StateHint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What sysfs alone suggests about one optical drive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hints {
    /// Suggested chip family, when the model or USB identity names one.
    pub family_hint: Option<FamilyHint>,
    /// Suggested firmware state.
    pub state_hint: StateHint,
    /// How the drive is attached.
    pub bus: Bus,
}

impl Hints {
    /// The udev properties, in order: `ODFLASH_FAMILY_HINT` (`unknown` when there is no hint),
    /// `ODFLASH_STATE_HINT`, `ODFLASH_BUS`, and `ODFLASH_USB_ID` (`vvvv:pppp`, USB only).
    /// Values are restricted to `[A-Za-z0-9._:-]`.
    pub fn udev_properties(&self) -> Vec<(&'static str, String)> {
        let family = self.family_hint.map_or("unknown", FamilyHint::as_str);
        let mut props = vec![
            ("ODFLASH_FAMILY_HINT", udev_value(family)),
            ("ODFLASH_STATE_HINT", udev_value(self.state_hint.as_str())),
            ("ODFLASH_BUS", udev_value(self.bus.kind())),
        ];
        if let Some(id) = self.bus.usb_id() {
            props.push(("ODFLASH_USB_ID", udev_value(&id)));
        }
        props
    }

    /// The properties as `KEY=value` lines, the format `IMPORT{program}` reads from stdout.
    pub fn udev_env(&self) -> String {
        self.udev_properties()
            .into_iter()
            .map(|(key, value)| format!("{key}={value}\n"))
            .collect()
    }
}

/// The family a model name suggests, from the drive table (`crates/fw/data/compat.json`, read through
/// [`compat::model_by_product`]).
fn family_from_model(model: &str) -> Option<FamilyHint> {
    compat::model_by_product(model).map(|m| match m.family {
        GroupFamily::Mt19xx => FamilyHint::Mt19xx,
        GroupFamily::Tsst => FamilyHint::Tsst,
        GroupFamily::LiteonDvd => FamilyHint::LiteonDvd,
    })
}

/// Hints from INQUIRY strings (as sysfs shows them) and the bus. Pure.
///
/// `revision` is `None` when sysfs had no `rev` attribute.
///
/// The USB identity 0e8d:1956 is MediaTek's boot-loader identity (coastermelt
/// doc/usbprobe-boot.txt), but mtflash opens the same VID:PID in application mode (coastermelt
/// `lib/mt1939_scsi.h` `open`; docs/protocol.md §6.3). On its own it therefore yields family
/// `mediatek-usb` with state `unknown`, never `recovery`: a false "recovery" would tell a user to
/// reflash a healthy drive.
pub fn build_hints(model: &str, revision: Option<&str>, bus: Bus) -> Hints {
    let mediatek_usb = match &bus {
        Bus::Usb {
            vendor_id,
            product_id,
            ..
        } => (*vendor_id, *product_id) == MEDIATEK_BOOT_USB_ID,
        _ => false,
    };
    let family_hint = family_from_model(compat::without_boot_suffix(model))
        .or(mediatek_usb.then_some(FamilyHint::MediatekUsb));
    let state_hint = if compat::shows_boot_loader(model, revision.unwrap_or("")) {
        StateHint::Recovery
    } else {
        match (family_hint, revision) {
            // "Normal" only means that no known boot-loader signature is present.
            (Some(f), Some(_)) if f != FamilyHint::MediatekUsb => StateHint::Normal,
            _ => StateHint::Unknown,
        }
    };
    Hints {
        family_hint,
        state_hint,
        bus,
    }
}

/// Classify `devname` (`sg1`) from the sysfs tree at `root` ([`SYSFS_ROOT`] in production).
///
/// Returns `Ok(None)` when the device's `scsi_device` is not peripheral type 5 or has no
/// readable `type` (no hints for anything that is not known to be optical). A missing
/// `vendor`/`model`/`rev` attribute is not an error: the hint gets weaker instead.
/// Symlinks are resolved and must stay inside `root`.
pub fn classify(root: &Path, devname: &str) -> Result<Option<Hints>, Error> {
    check_sg_name(devname)?;
    let root = canonical(root, None)?;
    let link = root.join("class/scsi_generic").join(devname).join("device");
    let device = canonical(&link, Some(&root))?;

    let peripheral_type = read_attr(&device, "type")?.and_then(|t| t.trim().parse::<u8>().ok());
    if peripheral_type != Some(TYPE_MMC) {
        log::debug!("{devname}: peripheral type {peripheral_type:?}, not an optical drive");
        return Ok(None);
    }
    let model = read_attr(&device, "model")?.map(|m| sanitize(&m));
    let revision = read_attr(&device, "rev")?.map(|r| sanitize(&r));
    let parents = read_parents(&root, &device)?;
    let bus = classify_bus(&parents);
    Ok(Some(build_hints(
        model.as_deref().unwrap_or(""),
        revision.as_deref(),
        bus,
    )))
}

/// The parent directories of `device` below `root/devices`, nearest first, as [`Ancestor`]s.
fn read_parents(root: &Path, device: &Path) -> Result<Vec<Ancestor>, Error> {
    let top = root.join("devices");
    let mut parents = Vec::new();
    for dir in device.ancestors().skip(1) {
        if !dir.starts_with(&top) || dir == top {
            break;
        }
        let sysname = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let subsystem = fs::read_link(dir.join("subsystem"))
            .ok()
            .and_then(|target| target.file_name().map(|n| n.to_string_lossy().into_owned()));
        let usb_id = match (read_attr(dir, "idVendor")?, read_attr(dir, "idProduct")?) {
            (Some(v), Some(p)) => parse_usb_hex(&v).zip(parse_usb_hex(&p)),
            _ => None,
        };
        let usb_product = match usb_id {
            Some(_) => read_attr(dir, "product")?,
            None => None,
        };
        parents.push(Ancestor {
            sysname,
            subsystem,
            usb_id,
            usb_product,
        });
    }
    Ok(parents)
}

/// Resolve `path`; when `root` is given, the result must lie inside it.
fn canonical(path: &Path, root: Option<&Path>) -> Result<PathBuf, Error> {
    let resolved = fs::canonicalize(path).map_err(|source| Error::Sysfs {
        path: path.to_owned(),
        source,
    })?;
    match root {
        Some(root) if !resolved.starts_with(root) => Err(Error::OutsideRoot(resolved)),
        _ => Ok(resolved),
    }
}

/// Read one sysfs attribute as (lossy) UTF-8; `None` when it does not exist.
fn read_attr(dir: &Path, name: &str) -> Result<Option<String>, Error> {
    let path = dir.join(name);
    match fs::read(&path) {
        Ok(bytes) => Ok(Some(String::from_utf8_lossy(&bytes).into_owned())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(Error::Sysfs { path, source }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usb(vendor_id: u16, product_id: u16) -> Bus {
        Bus::Usb {
            vendor_id,
            product_id,
            bridge: None,
        }
    }

    #[test]
    fn boot_revision_is_recovery() {
        let h = build_hints("BDDVDW SE-506CB", Some("BOOT"), usb(0x0e8d, 0x1956));
        assert_eq!(h.family_hint, Some(FamilyHint::Tsst));
        assert_eq!(h.state_hint, StateHint::Recovery);
    }

    #[test]
    fn ltr_boot_product_is_recovery_without_family() {
        let h = build_hints("LTR-BOOT", Some("0024"), Bus::Ata);
        assert_eq!(h.family_hint, None);
        assert_eq!(h.state_hint, StateHint::Recovery);
    }

    #[test]
    fn mediatek_usb_id_alone_is_not_recovery() {
        let h = build_hints("Unknown drive", Some("1.00"), usb(0x0e8d, 0x1956));
        assert_eq!(h.family_hint, Some(FamilyHint::MediatekUsb));
        assert_eq!(h.state_hint, StateHint::Unknown);
    }

    #[test]
    fn known_models_are_normal() {
        for (model, family) in [
            ("BD-RE  BU40N", FamilyHint::Mt19xx),
            ("bd-re bp60nb10", FamilyHint::Mt19xx),
            ("BD-RE  WH16NS60", FamilyHint::Mt19xx),
            ("DVDRW SOHW-1693S", FamilyHint::LiteonDvd),
            ("DVD RW DRU-710A", FamilyHint::LiteonDvd),
        ] {
            let h = build_hints(model, Some("1.00"), Bus::Ata);
            assert_eq!(h.family_hint, Some(family), "{model}");
            assert_eq!(h.state_hint, StateHint::Normal, "{model}");
        }
    }

    #[test]
    fn missing_revision_or_unknown_model_is_unknown() {
        assert_eq!(
            build_hints("BD-RE  BU40N", None, Bus::Ata).state_hint,
            StateHint::Unknown
        );
        let h = build_hints("DVD-ROM XYZ", Some("1.00"), Bus::Ata);
        assert_eq!((h.family_hint, h.state_hint), (None, StateHint::Unknown));
    }

    #[test]
    fn udev_properties_form() {
        let h = build_hints("BDDVDW SE-506CB", Some("BOOT"), usb(0x0e8d, 0x1956));
        assert_eq!(
            h.udev_env(),
            "ODFLASH_FAMILY_HINT=tsst\nODFLASH_STATE_HINT=recovery\nODFLASH_BUS=usb\n\
             ODFLASH_USB_ID=0e8d:1956\n"
        );
        let h = build_hints("DVD-ROM XYZ", Some("1.00"), Bus::Other("virtio".into()));
        assert_eq!(
            h.udev_properties(),
            vec![
                ("ODFLASH_FAMILY_HINT", "unknown".to_owned()),
                ("ODFLASH_STATE_HINT", "unknown".to_owned()),
                ("ODFLASH_BUS", "other".to_owned()),
            ]
        );
    }
}
