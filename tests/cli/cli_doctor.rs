//! CLI tests: `odflash doctor` on this machine (the CI host has no optical drive) and on a fake
//! tree with a drive behind a known-bad USB bridge.

use std::os::unix::fs::symlink;

use crate::cli_common;

use cli_common::Dir;

/// True when this host has SCSI generic nodes: then "no drive" cannot be tested here.
fn host_has_sg_nodes() -> bool {
    std::fs::read_dir("/sys/class/scsi_generic").is_ok_and(|mut d| d.next().is_some())
}

#[test]
fn this_machine_without_drives_exits_0_with_a_no_drive_finding() {
    if host_has_sg_nodes() {
        eprintln!("skipped: this host has SCSI generic devices");
        return;
    }
    let dir = Dir::new();
    dir.odflash()
        .arg("doctor")
        .run()
        .ok()
        .stdout_has("drives: no optical drive found")
        .stdout_has("privileges: ");
    let json = dir.odflash().args(["doctor", "--json"]).run().ok().json();
    let findings = json["findings"].as_array().expect("a findings array");
    let drives: Vec<_> = findings.iter().filter(|f| f["check"] == "drives").collect();
    assert_eq!(drives.len(), 1, "{json:#}");
    assert_eq!(drives[0]["status"], "warn");
    assert!(drives[0]["fix"].is_string());
    for f in findings {
        assert!(["ok", "warn", "fail"].contains(&f["status"].as_str().unwrap()));
    }
}

#[test]
fn a_drive_behind_a_known_bad_bridge_is_named() {
    let dir = Dir::new();
    let root = dir.path().join("root");
    let usb = root.join("sys/devices/pci0000:00/0000:00:14.0/usb2/2-1");
    let dev = usb.join("2-1:1.0/host6/target6:0:0/6:0:0:0");
    std::fs::create_dir_all(dev.join("block/sr1")).unwrap();
    std::fs::create_dir_all(root.join("sys/class/scsi_generic/sg1")).unwrap();
    for (file, text) in [
        (usb.join("idVendor"), "174c\n"),
        (usb.join("idProduct"), "5106\n"),
        (dev.join("type"), "5\n"),
        (dev.join("model"), "BD-RE  BU40N\n"),
    ] {
        std::fs::write(file, text).unwrap();
    }
    symlink(&dev, root.join("sys/class/scsi_generic/sg1/device")).unwrap();
    let run = dir
        .odflash()
        .args(["doctor", "--json", "--root"])
        .arg(&root)
        .run();
    let json = run.ok().json();
    assert_eq!(json["worst"], "fail");
    let bus = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["check"] == "bus")
        .expect("a bus finding");
    assert_eq!(
        (&bus["drive"], &bus["status"]),
        (&"sg1".into(), &"fail".into())
    );
    assert!(
        bus["found"].as_str().unwrap().contains("ASM1051"),
        "{bus:#}"
    );
}
