//! Every doctor check against fake machine trees built in a temp dir.

use std::os::unix::fs::symlink;

use super::*;

/// A fake `/` to grow one piece at a time.
struct Tree {
    dir: tempfile::TempDir,
}

impl Tree {
    fn new() -> Self {
        let tree = Tree {
            dir: tempfile::tempdir().unwrap(),
        };
        tree.write("etc/group", "root:x:0:\ncdrom:x:24:alice\n");
        fs::create_dir_all(tree.path("sys/bus/pci/drivers/ahci")).unwrap();
        fs::create_dir_all(tree.path("sys/bus/pci/drivers/ata_piix")).unwrap();
        fs::create_dir_all(tree.path("sys/bus/usb")).unwrap();
        fs::create_dir_all(tree.path("sys/class/scsi_generic")).unwrap();
        fs::create_dir_all(tree.path("proc")).unwrap();
        tree
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn write(&self, rel: &str, text: &str) {
        let path = self.path(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }

    fn link(&self, target: impl AsRef<Path>, rel: &str) {
        let path = self.path(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        symlink(target, path).unwrap();
    }

    /// An optical scsi_device at `devices/<rel>` served by `sg`, with block device `sr`.
    fn optical(&self, sg: &str, sr: &str, rel: &str) {
        let dev = format!("sys/devices/{rel}");
        self.write(&format!("{dev}/type"), "5\n");
        self.write(&format!("{dev}/model"), "BD-RE  BU40N    \n");
        self.write(&format!("{dev}/rev"), "1.00\n");
        fs::create_dir_all(self.path(&format!("{dev}/block/{sr}"))).unwrap();
        fs::create_dir_all(self.path(&format!("{dev}/scsi_generic/{sg}"))).unwrap();
        self.link(
            self.path(&dev),
            &format!("sys/class/scsi_generic/{sg}/device"),
        );
        self.link("/dev/null", &format!("sys/class/scsi_generic/{sg}/dev"));
    }

    /// An ATA drive on a PCI controller driven by `driver`.
    fn ata_drive(&self, driver: &str) {
        let pci = "sys/devices/pci0000:00/0000:00:1f.2";
        self.link(self.path("sys/bus/pci"), &format!("{pci}/subsystem"));
        self.link(
            self.path(&format!("sys/bus/pci/drivers/{driver}")),
            &format!("{pci}/driver"),
        );
        self.optical(
            "sg0",
            "sr0",
            "pci0000:00/0000:00:1f.2/ata1/host0/target0:0:0/0:0:0:0",
        );
    }

    /// A USB drive behind `vid:pid` whose USB device has `power/control` = `control`.
    fn usb_drive(&self, vid: &str, pid: &str, control: &str) {
        let usb = "sys/devices/pci0000:00/0000:00:14.0/usb2/2-1";
        self.write(&format!("{usb}/idVendor"), &format!("{vid}\n"));
        self.write(&format!("{usb}/idProduct"), &format!("{pid}\n"));
        self.write(&format!("{usb}/power/control"), &format!("{control}\n"));
        self.link(self.path("sys/bus/usb"), &format!("{usb}/subsystem"));
        self.optical(
            "sg1",
            "sr1",
            "pci0000:00/0000:00:14.0/usb2/2-1/2-1:1.0/host6/target6:0:0/6:0:0:0",
        );
    }

    fn machine(&self, uid: u32, gids: &[u32]) -> Machine {
        Machine {
            root: self.dir.path().to_path_buf(),
            caller: Caller {
                uid,
                gids: gids.to_vec(),
                pid: 1,
            },
            bin_paths: vec![SHIPPED_BIN.into(), "/usr/local/bin/odflash".into()],
        }
    }
}

fn find(findings: &[Finding], check: Check) -> &Finding {
    findings
        .iter()
        .find(|f| f.check == check)
        .unwrap_or_else(|| panic!("no {check:?} finding in {findings:#?}"))
}

#[test]
fn root_passes_and_cdrom_members_pass() {
    let tree = Tree::new();
    assert_eq!(check_privileges(&tree.machine(0, &[0])).status, Status::Ok);
    assert_eq!(
        check_privileges(&tree.machine(1000, &[24])).status,
        Status::Ok
    );
}

#[test]
fn a_plain_user_fails_with_the_usermod_fix() {
    let f = check_privileges(&Tree::new().machine(1000, &[1000]));
    assert_eq!(f.status, Status::Fail);
    assert!(f.fix.unwrap().contains("usermod -aG cdrom"));
}

#[test]
fn sg_module_from_the_module_dir_or_nodes() {
    let tree = Tree::new();
    let f = check_sg_module(tree.dir.path());
    assert_eq!(f.status, Status::Fail);
    assert!(f.fix.unwrap().contains("modprobe sg"));
    fs::create_dir_all(tree.path("sys/module/sg")).unwrap();
    assert_eq!(check_sg_module(tree.dir.path()).status, Status::Ok);
}

#[test]
fn installed_rule_and_unit_current_missing_or_stale() {
    let tree = Tree::new();
    let findings = run(&tree.machine(0, &[]));
    assert_eq!(find(&findings, Check::UdevRule).status, Status::Warn);
    assert!(find(&findings, Check::UdevRule)
        .found
        .contains("not installed"));
    assert_eq!(find(&findings, Check::HotplugUnit).status, Status::Warn);

    // As `make install PREFIX=/usr/local` writes them: the binary path rewritten.
    let local = |text: &str| text.replace(SHIPPED_BIN, "/usr/local/bin/odflash");
    tree.write(
        "usr/lib/udev/rules.d/60-odflash.rules",
        &local(SHIPPED_RULE),
    );
    tree.write(
        "usr/lib/systemd/system/odflash-hotplug@.service",
        SHIPPED_UNIT,
    );
    let findings = run(&tree.machine(0, &[]));
    assert_eq!(find(&findings, Check::UdevRule).status, Status::Ok);
    assert_eq!(find(&findings, Check::HotplugUnit).status, Status::Ok);

    // An /etc copy overrides and is stale.
    tree.write("etc/udev/rules.d/60-odflash.rules", "# an older rule\n");
    let f = find(&run(&tree.machine(0, &[])), Check::UdevRule).clone();
    assert_eq!(f.status, Status::Warn);
    assert!(
        f.found
            .contains("/etc/udev/rules.d/60-odflash.rules differs"),
        "{}",
        f.found
    );
}

#[test]
fn no_drive_is_one_warning() {
    let findings = run(&Tree::new().machine(0, &[]));
    let f = find(&findings, Check::Drives);
    assert_eq!(f.status, Status::Warn);
    assert!(f.found.contains("no optical drive"));
    assert!(!findings.iter().any(|f| f.check == Check::Bus));
}

#[test]
fn ata_drive_on_ahci_is_fine_and_ide_mode_is_named() {
    let tree = Tree::new();
    tree.ata_drive("ahci");
    let findings = run(&tree.machine(0, &[]));
    assert!(!findings.iter().any(|f| f.check == Check::Drives));
    let bus = find(&findings, Check::Bus);
    assert_eq!(
        (bus.status, bus.drive.as_deref()),
        (Status::Ok, Some("sg0"))
    );
    assert_eq!(find(&findings, Check::ControllerMode).status, Status::Ok);

    let tree = Tree::new();
    tree.ata_drive("ata_piix");
    let f = find(&run(&tree.machine(0, &[])), Check::ControllerMode).clone();
    assert_eq!(f.status, Status::Warn);
    assert!(f.found.contains("ata_piix") && f.fix.unwrap().contains("AHCI"));
}

#[test]
fn known_bad_bridge_is_named_and_fails() {
    let tree = Tree::new();
    tree.usb_drive("174c", "5106", "on");
    let findings = run(&tree.machine(0, &[]));
    let f = find(&findings, Check::Bus);
    assert_eq!(f.status, Status::Fail);
    assert!(f.found.contains("ASM1051"), "{}", f.found);
    assert_eq!(worst(&findings), Status::Fail);
    assert!(!findings.iter().any(|f| f.check == Check::ControllerMode));
}

#[test]
fn other_usb_bridges_pass() {
    let tree = Tree::new();
    tree.usb_drive("152d", "0578", "on");
    assert_eq!(
        find(&run(&tree.machine(0, &[])), Check::Bus).status,
        Status::Ok
    );
}

#[test]
fn usb_autosuspend_warns_unless_off_for_the_device_or_globally() {
    let tree = Tree::new();
    tree.usb_drive("152d", "0578", "auto");
    tree.write("sys/module/usbcore/parameters/autosuspend", "2\n");
    let f = find(&run(&tree.machine(0, &[])), Check::UsbAutosuspend).clone();
    assert_eq!(f.status, Status::Warn);
    assert_eq!(
        f.fix.as_deref(),
        Some("echo on | sudo tee /sys/bus/usb/devices/2-1/power/control")
    );
    tree.write("sys/module/usbcore/parameters/autosuspend", "-1\n");
    let f = find(&run(&tree.machine(0, &[])), Check::UsbAutosuspend).clone();
    assert_eq!(f.status, Status::Ok);

    let tree = Tree::new();
    tree.usb_drive("152d", "0578", "on");
    tree.write("sys/module/usbcore/parameters/autosuspend", "2\n");
    let f = find(&run(&tree.machine(0, &[])), Check::UsbAutosuspend).clone();
    assert_eq!(f.status, Status::Ok);
}

#[test]
fn atapi_passthru16_off_warns() {
    let tree = Tree::new();
    assert_eq!(check_atapi_passthru16(tree.dir.path()).status, Status::Ok);
    tree.write("sys/module/libata/parameters/atapi_passthru16", "0\n");
    let f = check_atapi_passthru16(tree.dir.path());
    assert_eq!(f.status, Status::Warn);
    assert!(f.fix.unwrap().contains("libata.atapi_passthru16"));
    tree.write("sys/module/libata/parameters/atapi_passthru16", "1\n");
    assert_eq!(check_atapi_passthru16(tree.dir.path()).status, Status::Ok);
}

#[test]
fn holders_are_found_through_proc_fd_links() {
    let tree = Tree::new();
    tree.ata_drive("ahci");
    tree.write("proc/812/comm", "udisksd\n");
    tree.link("/dev/sr0", "proc/812/fd/7");
    tree.link("/dev/null", "proc/812/fd/0");
    // This process's own descriptors do not count.
    tree.link("/dev/sg0", "proc/1/fd/3");
    let f = find(&run(&tree.machine(0, &[])), Check::Holders).clone();
    assert_eq!(f.status, Status::Warn);
    assert!(f.found.contains("udisksd (pid 812)"), "{}", f.found);
    assert!(!f.found.contains("pid 1)"), "{}", f.found);

    let tree = Tree::new();
    tree.ata_drive("ahci");
    tree.link("/dev/null", "proc/812/fd/0");
    let f = find(&run(&tree.machine(0, &[])), Check::Holders).clone();
    assert_eq!(f.status, Status::Ok);
}
