//! Sysfs-only classification (`odflash udev-props sgN`) on fake sysfs trees: one tree per
//! boot-loader signature, normal ATA and USB drives, a non-optical device and missing attributes.
//!
//! The trees are built in temporary directories rather than checked in: a real-layout tree
//! has `device` links that point at an ancestor, and cargo warns about such loops on every
//! build. They copy the real layout: `class/scsi_generic/sgN` is a relative symlink into
//! `devices/...`, `sgN/device` points back at the `scsi_device`, parents carry `subsystem`
//! links, and a USB device (not its interface) carries `idVendor`/`idProduct`/`product`.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::time::Instant;

use odflash::discover::{classify, Bus, Error, FamilyHint, Hints, StateHint};
use tempfile::TempDir;

/// A fake sysfs root in a temporary directory.
struct FakeSysfs {
    dir: TempDir,
}

/// The `scsi_device` attributes of one fake drive; `None` leaves the file out.
struct Scsi<'a> {
    r#type: Option<&'a str>,
    vendor: Option<&'a str>,
    model: Option<&'a str>,
    rev: Option<&'a str>,
}

/// PCI path of the SATA controller in the ATA trees.
const AHCI: &str = "devices/pci0000:00/0000:00:17.0";
/// PCI path of the xHCI controller in the USB trees.
const XHCI: &str = "devices/pci0000:00/0000:00:14.0";

impl FakeSysfs {
    fn new() -> Self {
        let fake = FakeSysfs {
            dir: tempfile::tempdir().expect("tempdir"),
        };
        for bus in ["pci", "usb", "scsi"] {
            fs::create_dir_all(fake.root().join("bus").join(bus)).expect("bus dir");
        }
        fs::create_dir_all(fake.root().join("class/scsi_generic")).expect("class dir");
        fake
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    /// Create a device directory with a `subsystem` link to `bus/<subsystem>`.
    fn device(&self, rel: &str, subsystem: Option<&str>) -> PathBuf {
        let dir = self.root().join(rel);
        fs::create_dir_all(&dir).expect("device dir");
        if let Some(sub) = subsystem {
            let _ = symlink(self.root().join("bus").join(sub), dir.join("subsystem"));
        }
        dir
    }

    fn write(dir: &Path, name: &str, value: &str) {
        fs::write(dir.join(name), value).expect("attribute");
    }

    /// A USB device (with IDs) at `rel`, plus its interface `rel/<name>:1.0`; returns the
    /// interface path.
    fn usb_device(&self, rel: &str, vid: &str, pid: &str, product: &str) -> String {
        let dev = self.device(rel, Some("usb"));
        Self::write(&dev, "idVendor", &format!("{vid}\n"));
        Self::write(&dev, "idProduct", &format!("{pid}\n"));
        Self::write(&dev, "product", &format!("{product}\n"));
        let name = Path::new(rel).file_name().unwrap().to_string_lossy();
        let iface = format!("{rel}/{name}:1.0");
        let iface_dir = self.device(&iface, Some("usb"));
        Self::write(&iface_dir, "bInterfaceClass", "08\n");
        iface
    }

    /// A SCSI host/target/device chain under `parent`, an sg node for it, and the class link.
    fn drive(&self, parent: &str, host: u32, sg: &str, scsi: Scsi<'_>) {
        let host_rel = format!("{parent}/host{host}");
        self.device(&host_rel, Some("scsi"));
        let target_rel = format!("{host_rel}/target{host}:0:0");
        self.device(&target_rel, Some("scsi"));
        let sdev_rel = format!("{target_rel}/{host}:0:0:0");
        let sdev = self.device(&sdev_rel, Some("scsi"));
        for (name, value) in [
            ("type", scsi.r#type),
            ("vendor", scsi.vendor),
            ("model", scsi.model),
            ("rev", scsi.rev),
        ] {
            if let Some(value) = value {
                Self::write(&sdev, name, &format!("{value}\n"));
            }
        }
        let sg_dir = sdev.join("scsi_generic").join(sg);
        fs::create_dir_all(&sg_dir).expect("sg dir");
        symlink(
            "../../../".to_owned() + &format!("{host}:0:0:0"),
            sg_dir.join("device"),
        )
        .expect("device link");
        symlink(
            format!("../../{sdev_rel}/scsi_generic/{sg}"),
            self.root().join("class/scsi_generic").join(sg),
        )
        .expect("class link");
    }

    fn classify(&self, sg: &str) -> Option<Hints> {
        classify(self.root(), sg).expect("classify")
    }
}

fn optical<'a>(vendor: &'a str, model: &'a str, rev: &'a str) -> Scsi<'a> {
    Scsi {
        r#type: Some("5"),
        vendor: Some(vendor),
        model: Some(model),
        rev: Some(rev),
    }
}

fn usb_bus(vendor_id: u16, product_id: u16, bridge: &str) -> Bus {
    Bus::Usb {
        vendor_id,
        product_id,
        bridge: Some(bridge.to_owned()),
    }
}

#[test]
fn revision_boot_is_recovery_tsst_over_native_usb() {
    let fake = FakeSysfs::new();
    let iface = fake.usb_device(&format!("{XHCI}/usb2/2-1"), "0e8d", "1956", "MT1956");
    fake.drive(
        &iface,
        6,
        "sg1",
        optical("TSSTcorp", "BDDVDW SE-506CB", "BOOT"),
    );
    let hints = fake.classify("sg1").expect("optical");
    assert_eq!(hints.family_hint, Some(FamilyHint::Tsst));
    assert_eq!(hints.state_hint, StateHint::Recovery);
    assert_eq!(
        hints.bus,
        usb_bus(0x0e8d, 0x1956, "MediaTek MT1956 (native USB)")
    );
    assert_eq!(
        hints.udev_env(),
        "ODFLASH_FAMILY_HINT=tsst\nODFLASH_STATE_HINT=recovery\nODFLASH_BUS=usb\n\
         ODFLASH_USB_ID=0e8d:1956\n"
    );
}

#[test]
fn product_ltr_boot_is_recovery() {
    let fake = FakeSysfs::new();
    fake.device(&format!("{AHCI}/ata1"), None);
    fake.drive(
        &format!("{AHCI}/ata1"),
        0,
        "sg0",
        optical("LITE-ON", "LTR-BOOT", "0024"),
    );
    let hints = fake.classify("sg0").expect("optical");
    assert_eq!(hints.family_hint, None);
    assert_eq!(hints.state_hint, StateHint::Recovery);
    assert_eq!(hints.bus, Bus::Ata);
}

#[test]
fn mediatek_usb_id_alone_is_mediatek_usb_state_unknown() {
    let fake = FakeSysfs::new();
    let iface = fake.usb_device(&format!("{XHCI}/usb1/1-3"), "0e8d", "1956", "MT1956");
    fake.drive(
        &iface,
        7,
        "sg4",
        optical("MediaTek", "Slim BD Writer", "1.00"),
    );
    let hints = fake.classify("sg4").expect("optical");
    assert_eq!(hints.family_hint, Some(FamilyHint::MediatekUsb));
    assert_eq!(hints.state_hint, StateHint::Unknown);
    assert!(hints
        .udev_env()
        .contains("ODFLASH_FAMILY_HINT=mediatek-usb\nODFLASH_STATE_HINT=unknown\n"));
}

#[test]
fn normal_ata_mt19xx_drive() {
    let fake = FakeSysfs::new();
    fake.device(&format!("{AHCI}/ata3"), None);
    fake.drive(
        &format!("{AHCI}/ata3"),
        2,
        "sg2",
        optical("HL-DT-ST", "BD-RE  WH16NS60", "1.02"),
    );
    let hints = fake.classify("sg2").expect("optical");
    assert_eq!(hints.family_hint, Some(FamilyHint::Mt19xx));
    assert_eq!(hints.state_hint, StateHint::Normal);
    assert_eq!(hints.bus, Bus::Ata);
    assert_eq!(
        hints.udev_env(),
        "ODFLASH_FAMILY_HINT=mt19xx\nODFLASH_STATE_HINT=normal\nODFLASH_BUS=ata\n"
    );
}

#[test]
fn normal_usb_drive_behind_known_bridge() {
    let fake = FakeSysfs::new();
    // The root hub above carries IDs too (1d6b:0003); the nearest USB device must win.
    let hub = fake.device(&format!("{XHCI}/usb2"), Some("usb"));
    FakeSysfs::write(&hub, "idVendor", "1d6b\n");
    FakeSysfs::write(&hub, "idProduct", "0003\n");
    let iface = fake.usb_device(&format!("{XHCI}/usb2/2-2"), "174c", "5106", "ASM1051");
    fake.drive(
        &iface,
        5,
        "sg3",
        optical("HL-DT-ST", "BD-RE  BU40N", "1.03"),
    );
    let hints = fake.classify("sg3").expect("optical");
    assert_eq!(hints.family_hint, Some(FamilyHint::Mt19xx));
    assert_eq!(hints.state_hint, StateHint::Normal);
    assert_eq!(hints.bus, usb_bus(0x174c, 0x5106, "ASMedia ASM1051"));
    assert!(hints.udev_env().ends_with("ODFLASH_USB_ID=174c:5106\n"));
}

#[test]
fn non_optical_device_gets_no_hints() {
    let fake = FakeSysfs::new();
    fake.device(&format!("{AHCI}/ata2"), None);
    fake.drive(
        &format!("{AHCI}/ata2"),
        1,
        "sg5",
        Scsi {
            r#type: Some("0"),
            vendor: Some("ATA"),
            model: Some("Samsung SSD 870"),
            rev: Some("2B6Q"),
        },
    );
    assert_eq!(fake.classify("sg5"), None);
}

#[test]
fn missing_type_gets_no_hints() {
    let fake = FakeSysfs::new();
    fake.device(&format!("{AHCI}/ata2"), None);
    fake.drive(
        &format!("{AHCI}/ata2"),
        1,
        "sg6",
        Scsi {
            r#type: None,
            ..optical("HL-DT-ST", "BD-RE  BU40N", "1.03")
        },
    );
    assert_eq!(fake.classify("sg6"), None);
}

#[test]
fn missing_revision_keeps_family_but_state_unknown() {
    let fake = FakeSysfs::new();
    fake.device(&format!("{AHCI}/ata4"), None);
    fake.drive(
        &format!("{AHCI}/ata4"),
        3,
        "sg7",
        Scsi {
            rev: None,
            ..optical("SONY", "DVD RW DRU-720A", "")
        },
    );
    let hints = fake.classify("sg7").expect("optical");
    assert_eq!(hints.family_hint, Some(FamilyHint::LiteonDvd));
    assert_eq!(hints.state_hint, StateHint::Unknown);
}

#[test]
fn other_bus_names_the_host_parent_subsystem() {
    let fake = FakeSysfs::new();
    let virtio = "devices/pci0000:00/0000:00:04.0/virtio1";
    fake.device(virtio, Some("virtio"));
    fake.drive(virtio, 0, "sg0", optical("QEMU", "QEMU CD-ROM", "2.5+"));
    let hints = fake.classify("sg0").expect("optical");
    assert_eq!(hints.bus, Bus::Other("virtio".into()));
    assert_eq!(hints.state_hint, StateHint::Unknown);
    assert!(hints.udev_env().contains("ODFLASH_BUS=other\n"));
}

#[test]
fn hostile_strings_never_reach_the_udev_output() {
    let fake = FakeSysfs::new();
    let iface = fake.usb_device(
        &format!("{XHCI}/usb2/2-4"),
        "152d",
        "0578",
        "JMS\x1b[31m578\nODFLASH_STATE_HINT=normal",
    );
    fake.drive(
        &iface,
        8,
        "sg8",
        optical("EVIL\x1b]0;x\x07", "X\nY=Z", "BOOT"),
    );
    let hints = fake.classify("sg8").expect("optical");
    assert_eq!(hints.state_hint, StateHint::Recovery);
    match &hints.bus {
        Bus::Usb { bridge, .. } => {
            let bridge = bridge.as_deref().expect("product string");
            assert!(!bridge.chars().any(char::is_control), "{bridge:?}");
        }
        other => panic!("expected usb, got {other:?}"),
    }
    let env = hints.udev_env();
    assert_eq!(env.lines().count(), 4, "{env}");
    assert_eq!(env.matches("ODFLASH_STATE_HINT=").count(), 1);
}

#[test]
fn bad_names_missing_nodes_and_escaping_links_are_errors() {
    let fake = FakeSysfs::new();
    assert!(matches!(
        classify(fake.root(), "../sg1"),
        Err(Error::BadDevName(_))
    ));
    assert!(matches!(
        classify(fake.root(), "sg9"),
        Err(Error::Sysfs { .. })
    ));
    let outside = tempfile::tempdir().expect("tempdir");
    let sg = fake.root().join("class/scsi_generic/sg3");
    fs::create_dir_all(&sg).expect("sg dir");
    symlink(outside.path(), sg.join("device")).expect("escaping link");
    assert!(matches!(
        classify(fake.root(), "sg3"),
        Err(Error::OutsideRoot(_))
    ));
}

/// Not a timing assertion: prints the median so the cost stays visible
/// (`cargo test --test engine -- --nocapture discover_sysfs::classification_time`).
#[test]
fn classification_time() {
    let fake = FakeSysfs::new();
    let iface = fake.usb_device(&format!("{XHCI}/usb2/2-1"), "0e8d", "1956", "MT1956");
    fake.drive(
        &iface,
        6,
        "sg1",
        optical("TSSTcorp", "BDDVDW SE-506CB", "BOOT"),
    );
    let mut samples: Vec<_> = (0..201)
        .map(|_| {
            let start = Instant::now();
            let hints = fake.classify("sg1").expect("optical");
            let took = start.elapsed();
            assert_eq!(hints.state_hint, StateHint::Recovery);
            took
        })
        .collect();
    samples.sort_unstable();
    eprintln!(
        "sysfs classification: median {:?}, max {:?} over {} runs",
        samples[samples.len() / 2],
        samples[samples.len() - 1],
        samples.len()
    );
}
