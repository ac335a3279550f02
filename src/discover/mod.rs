//! Drive discovery through udev and sysfs: enumeration, sysfs-only classification, monitoring.
//!
//! Owns: finding optical drives (`scsi_generic` nodes whose `scsi_device` has peripheral type 5),
//! describing how they are attached ([`Bus`]), the sysfs-only hints the udev rule imports
//! (`odflash udev-props sgN`), and the udev monitor behind `watch` and `rescue`.
//!
//! Must not: open a device node or send any command to a device (everything here is udev
//! database and sysfs reads), print (only `cli/` prints), or know chip protocols (`family/`).
//! Every device-provided string leaves this module through [`sanitize`].

pub mod enumerate;
pub mod monitor;
pub mod sysfs;
mod text;

use std::fmt;
use std::io;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

pub use enumerate::{enumerate, DriveInfo};
pub use monitor::{wait_for_drive, Event, Monitor, Present, WaitOutcome};
pub use sysfs::{build_hints, classify, FamilyHint, Hints, StateHint, SYSFS_ROOT};
pub use text::sanitize;

/// How a drive is attached to the host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Bus {
    /// A libata port (SATA/PATA, including AHCI): an `ataN` device among the parents.
    Ata,
    /// Behind a USB device (a USB-SATA bridge, or a drive with native USB).
    Usb {
        /// USB idVendor of the device the drive sits behind.
        vendor_id: u16,
        /// USB idProduct of that device.
        product_id: u16,
        /// The bridge's name: from odflash's table of known bridges, else the device's own USB
        /// product string (sanitized), when it has one.
        bridge: Option<String>,
    },
    /// Anything else (virtio, FireWire, SAS, ...): the subsystem of the SCSI host's parent.
    Other(String),
}

impl Bus {
    /// The short bus name used in udev properties: `ata`, `usb` or `other`.
    pub fn kind(&self) -> &'static str {
        match self {
            Bus::Ata => "ata",
            Bus::Usb { .. } => "usb",
            Bus::Other(_) => "other",
        }
    }

    /// `vvvv:pppp` in lowercase hex for a USB drive, else `None`.
    pub fn usb_id(&self) -> Option<String> {
        match self {
            Bus::Usb {
                vendor_id,
                product_id,
                ..
            } => Some(format!("{vendor_id:04x}:{product_id:04x}")),
            _ => None,
        }
    }
}

impl fmt::Display for Bus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Bus::Ata => f.write_str("ata"),
            Bus::Usb {
                vendor_id,
                product_id,
                bridge,
            } => {
                write!(f, "usb {vendor_id:04x}:{product_id:04x}")?;
                match bridge {
                    Some(name) => write!(f, " ({name})"),
                    None => Ok(()),
                }
            }
            Bus::Other(name) => write!(f, "other ({name})"),
        }
    }
}

/// Errors of the discovery layer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// libudev failed (context, enumerator or monitor set-up, or receiving an event).
    #[error("udev: {0}")]
    Udev(#[source] io::Error),
    /// A sysfs path could not be read.
    #[error("sysfs {path}: {source}")]
    Sysfs {
        /// The path that failed.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// A device name that is not `sg<number>` (refused before any path is built from it).
    #[error("not a SCSI generic device name: {0:?}")]
    BadDevName(String),
    /// A sysfs symlink resolved to a place outside the sysfs root.
    #[error("sysfs path {0} leaves the sysfs root")]
    OutsideRoot(PathBuf),
    /// Polling the udev monitor socket failed.
    #[error("poll on the udev monitor: {0}")]
    Poll(#[source] nix::Error),
}

/// One parent device on the way from a `scsi_device` up to the root, reduced to what bus
/// classification needs. Built from udev devices ([`enumerate`]) or from sysfs directories
/// ([`sysfs`]), so that both share one pure [`classify_bus`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Ancestor {
    /// Kernel name (`ata3`, `1-2`, `host4`, `0000:00:1f.2`).
    pub sysname: String,
    /// Subsystem (`usb`, `scsi`, `pci`, `virtio`), when the device has one.
    pub subsystem: Option<String>,
    /// `(idVendor, idProduct)` when this is a USB device (not an interface).
    pub usb_id: Option<(u16, u16)>,
    /// The USB `product` string attribute, raw, when present.
    pub usb_product: Option<String>,
}

/// USB devices odflash knows by name: `(idVendor, idProduct, name, source)`.
const KNOWN_USB_DEVICES: &[(u16, u16, &str, &str)] = &[
    // The TSST SE-506CB enumerates with this ID as "MediaTek Inc" / "MT1956" (drive-native
    // USB, no separate bridge): coastermelt doc/usbprobe-boot.txt (docs/protocol.md §6.3).
    (
        0x0e8d,
        0x1956,
        "MediaTek MT1956 (native USB)",
        "coastermelt",
    ),
    // Known-bad bridges for flashing (docs/protocol.md §1.5; odflash's rule, §11.5).
    (
        0x13fd,
        0x3609,
        "Initio INIC-3609",
        "freemkv/libfreemkv TROUBLESHOOTING.md",
    ),
    (
        0x174c,
        0x5106,
        "ASMedia ASM1051",
        "freemkv/libfreemkv TROUBLESHOOTING.md",
    ),
];

/// The MediaTek USB identity the TSST MT1939 boot loader uses (coastermelt
/// doc/usbprobe-boot.txt); mtflash opens the same ID in application mode too.
pub(crate) const MEDIATEK_BOOT_USB_ID: (u16, u16) = (0x0e8d, 0x1956);

/// Classify the attachment from the parents of a `scsi_device`, nearest first.
///
/// The nearest USB device wins (a USB-SATA bridge sits below any `ataN` of the host), then an
/// `ataN` libata port; otherwise the subsystem of the first non-SCSI parent.
pub(crate) fn classify_bus(parents: &[Ancestor]) -> Bus {
    for parent in parents {
        if let Some((vendor_id, product_id)) = parent.usb_id {
            let bridge = KNOWN_USB_DEVICES
                .iter()
                .find(|(v, p, _, _)| (*v, *p) == (vendor_id, product_id))
                .map(|(_, _, name, _)| (*name).to_owned())
                .or_else(|| {
                    parent
                        .usb_product
                        .as_deref()
                        .map(sanitize)
                        .filter(|s| !s.is_empty())
                });
            return Bus::Usb {
                vendor_id,
                product_id,
                bridge,
            };
        }
        if is_ata_port(&parent.sysname) {
            return Bus::Ata;
        }
    }
    let name = parents
        .iter()
        .filter_map(|p| p.subsystem.as_deref())
        .find(|s| *s != "scsi")
        .map(sanitize)
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".to_owned());
    Bus::Other(name)
}

/// `ata<digits>`: the device libata registers for each port.
fn is_ata_port(sysname: &str) -> bool {
    sysname
        .strip_prefix("ata")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// Parse a sysfs `idVendor`/`idProduct` value (four hex digits).
pub(crate) fn parse_usb_hex(raw: &str) -> Option<u16> {
    u16::from_str_radix(raw.trim(), 16).ok()
}

/// Check that `name` is `sg<number>`: the only names odflash builds sysfs or /dev paths from.
pub(crate) fn check_sg_name(name: &str) -> Result<(), Error> {
    let ok = name
        .strip_prefix("sg")
        .is_some_and(|n| !n.is_empty() && n.len() <= 6 && n.bytes().all(|b| b.is_ascii_digit()));
    if ok {
        Ok(())
    } else {
        Err(Error::BadDevName(sanitize(name)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(sysname: &str, subsystem: Option<&str>) -> Ancestor {
        Ancestor {
            sysname: sysname.into(),
            subsystem: subsystem.map(Into::into),
            ..Ancestor::default()
        }
    }

    fn usb(vid: u16, pid: u16, product: Option<&str>) -> Ancestor {
        Ancestor {
            sysname: "1-2".into(),
            subsystem: Some("usb".into()),
            usb_id: Some((vid, pid)),
            usb_product: product.map(Into::into),
        }
    }

    #[test]
    fn ata_port_parent_is_ata() {
        let chain = [
            dir("target2:0:0", Some("scsi")),
            dir("host2", Some("scsi")),
            dir("ata3", None),
            dir("0000:00:17.0", Some("pci")),
        ];
        assert_eq!(classify_bus(&chain), Bus::Ata);
    }

    #[test]
    fn usb_parent_wins_and_names_known_bridge() {
        let chain = [
            dir("host6", Some("scsi")),
            dir("1-2:1.0", Some("usb")),
            usb(0x174c, 0x5106, Some("ASM1051E")),
            dir("usb1", Some("usb")),
        ];
        let bus = classify_bus(&chain);
        assert_eq!(
            bus,
            Bus::Usb {
                vendor_id: 0x174c,
                product_id: 0x5106,
                bridge: Some("ASMedia ASM1051".into())
            }
        );
        assert_eq!(bus.usb_id().as_deref(), Some("174c:5106"));
        assert_eq!(bus.kind(), "usb");
    }

    #[test]
    fn unknown_bridge_uses_sanitized_product_string() {
        let chain = [usb(0x152d, 0x0578, Some("JMS578\x1b[31m\n"))];
        match classify_bus(&chain) {
            Bus::Usb { bridge, .. } => assert_eq!(bridge.as_deref(), Some("JMS578")),
            other => panic!("expected usb, got {other:?}"),
        }
    }

    #[test]
    fn no_ata_or_usb_gives_first_non_scsi_subsystem() {
        let chain = [
            dir("target0:0:0", Some("scsi")),
            dir("host0", Some("scsi")),
            dir("virtio2", Some("virtio")),
            dir("0000:00:04.0", Some("pci")),
        ];
        assert_eq!(classify_bus(&chain), Bus::Other("virtio".into()));
        assert_eq!(classify_bus(&[]), Bus::Other("unknown".into()));
    }

    #[test]
    fn ata_port_names() {
        assert!(is_ata_port("ata1"));
        assert!(is_ata_port("ata12"));
        assert!(!is_ata_port("ata"));
        assert!(!is_ata_port("ata_port"));
        assert!(!is_ata_port("data1"));
    }

    #[test]
    fn sg_names_are_checked() {
        assert!(check_sg_name("sg0").is_ok());
        assert!(check_sg_name("sg123").is_ok());
        for bad in [
            "sg",
            "sr0",
            "sg1/../..",
            "../sg1",
            "sg-1",
            "sg1 ",
            "sg1234567",
        ] {
            assert!(
                matches!(check_sg_name(bad), Err(Error::BadDevName(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn usb_hex_parses() {
        assert_eq!(parse_usb_hex("0e8d\n"), Some(0x0e8d));
        assert_eq!(parse_usb_hex("zz"), None);
    }
}
