//! `odflash hotplug` and `odflash udev-props` as the udev rule and the systemd unit run them:
//! the helper on emulated drives in each state (JSON file and the one line, its journal
//! priority prefix), and the sysfs-only properties on fake sysfs trees.

use std::fs;
use std::os::unix::fs::{symlink, MetadataExt};
use std::path::Path;
use std::process::{Command, Stdio};

use assert_cmd::prelude::*;
use serde_json::Value;

fn odflash() -> Command {
    let mut cmd = Command::cargo_bin("odflash").unwrap();
    cmd.env_remove("JOURNAL_STREAM").env_remove("RUST_LOG");
    cmd
}

/// Run `odflash hotplug DEVICE --run-dir DIR`; returns (stdout, the JSON file).
fn hotplug(device: &str, file: &str) -> (String, Value) {
    let run = tempfile::tempdir().unwrap();
    let out = odflash()
        .args(["hotplug", device, "--run-dir"])
        .arg(run.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let names: Vec<String> = fs::read_dir(run.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, [file], "exactly one file, no temp file left");
    let json = serde_json::from_slice(&fs::read(run.path().join(file)).unwrap()).unwrap();
    (String::from_utf8(out.stdout).unwrap(), json)
}

#[test]
fn boot_loader_drive_is_recovery_with_the_rescue_command() {
    let (line, json) = hotplug("emu:mt1959,mode=boot", "emu-mt1959.json");
    assert_eq!(json["verdict"], "recovery");
    assert_eq!(json["family"], "mt19xx");
    assert_eq!(json["state"]["state"], "recovery");
    assert_eq!(json["identity"]["chip"], "MT1959");
    assert_eq!(json["inquiry"]["revision"], "BOOT");
    assert_eq!(json["priority"], "warning");
    assert_eq!(json["next"], "odflash rescue 'emu:mt1959,mode=boot'");
    assert!(json["time"].as_str().unwrap().ends_with('Z'));
    assert_eq!(line.lines().count(), 1, "{line}");
    assert!(
        line.starts_with("emu:mt1959,mode=boot: HL-DT-ST BD-RE BU40N"),
        "{line}"
    );
    assert!(
        line.contains("recovery")
            && line
                .trim_end()
                .ends_with("Next: odflash rescue 'emu:mt1959,mode=boot'"),
        "{line}"
    );
}

#[test]
fn control_characters_in_the_device_never_reach_the_log_and_it_is_quoted() {
    let device = "emu:mt1959,mode=boot,serial=K1\u{1b}[2J\u{7}; rm -rf x";
    let (line, json) = hotplug(device, "emu-mt1959.json");
    assert!(!line.trim_end().chars().any(char::is_control), "{line:?}");
    let next = "odflash rescue 'emu:mt1959,mode=boot,serial=K1; rm -rf x'";
    assert_eq!(json["next"], next);
    assert!(
        line.trim_end().ends_with(&format!("Next: {next}")),
        "{line}"
    );
    assert!(
        line.starts_with("emu:mt1959,mode=boot,serial=K1; rm -rf x: "),
        "{line}"
    );
}

#[test]
fn needs_attention_drive_names_the_reason_and_the_next_command() {
    let (line, json) = hotplug("emu:mt1959,mode=needs-attention", "emu-mt1959.json");
    assert_eq!(json["verdict"], "needs-attention");
    assert_eq!(json["state"]["state"], "needs-attention");
    assert!(
        json["state"]["reason"]
            .as_str()
            .unwrap()
            .contains("calibration"),
        "{json}"
    );
    assert_eq!(json["priority"], "warning");
    assert!(
        line.contains("NEEDS ATTENTION") && line.contains("Next: odflash rescue"),
        "{line}"
    );
}

#[test]
fn the_world_readable_status_file_holds_no_serial() {
    // The emulated drive answers its serial (EMU1959K0001, as `info` shows); the file does not.
    let run = tempfile::tempdir().unwrap();
    let out = odflash()
        .args(["hotplug", "emu:mt1959", "--run-dir"])
        .arg(run.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    let path = run.path().join("emu-mt1959.json");
    let text = fs::read_to_string(&path).unwrap();
    assert!(!text.contains("EMU1959K0001"), "{text}");
    let json: Value = serde_json::from_str(&text).unwrap();
    assert!(json["identity"]["serial"].is_null(), "{json}");
    assert_eq!(json["identity"]["model"], "BD-RE BU40N");
    assert_eq!(fs::metadata(&path).unwrap().mode() & 0o777, 0o644);
}

#[test]
fn healthy_drive_is_one_info_line_without_next_command() {
    let (line, json) = hotplug("emu:mt1959", "emu-mt1959.json");
    assert_eq!(json["verdict"], "healthy");
    assert_eq!(json["state"]["state"], "no-medium");
    assert_eq!(json["priority"], "info");
    assert!(json["next"].is_null());
    assert_eq!(
        line,
        "emu:mt1959: HL-DT-ST BD-RE BU40N 1.03 (mt19xx): no medium\n"
    );
}

#[test]
fn dvd_era_drive_is_identify_only() {
    let (line, json) = hotplug("emu:dru-710a", "emu-dru-710a.json");
    assert_eq!(json["verdict"], "identify-only");
    assert_eq!(json["family"], "liteon-dvd");
    assert_eq!(json["priority"], "info");
    assert!(json["next"].is_null());
    assert!(
        line.contains("DRU-710A") && line.contains("identify-only"),
        "{line}"
    );
}

#[test]
fn drive_no_family_claims_is_unknown_and_exit_zero() {
    let (line, json) = hotplug(
        "emu:liteon-dvd,vendor=PIONEER,model=DVD-RW  DVR-220L",
        "emu-liteon-dvd.json",
    );
    assert_eq!(json["verdict"], "unknown");
    assert!(json["family"].is_null() && json["identity"].is_null());
    assert_eq!(json["inquiry"]["vendor"], "PIONEER");
    assert_eq!(json["priority"], "info");
    assert!(line.contains("no known chip family"), "{line}");
}

#[test]
fn journal_stream_gets_sd_daemon_priority_prefixes() {
    let dir = tempfile::tempdir().unwrap();
    for (device, prefix) in [("emu:mt1959,mode=boot", "<4>"), ("emu:mt1959", "<6>")] {
        let out_path = dir.path().join("journal");
        let out = fs::File::create(&out_path).unwrap();
        let meta = out.metadata().unwrap();
        let status = odflash()
            .args(["hotplug", device, "--run-dir"])
            .arg(dir.path().join("run"))
            .env("JOURNAL_STREAM", format!("{}:{}", meta.dev(), meta.ino()))
            .stdout(Stdio::from(out))
            .status()
            .unwrap();
        assert!(status.success());
        let line = fs::read_to_string(&out_path).unwrap();
        assert!(line.starts_with(&format!("{prefix}emu:mt1959")), "{line}");
    }
    // The variable alone (inherited, stdout elsewhere) does not add prefixes.
    let out = odflash()
        .args(["hotplug", "emu:mt1959,mode=boot", "--run-dir"])
        .arg(dir.path().join("run"))
        .env("JOURNAL_STREAM", "1:1")
        .output()
        .unwrap();
    assert!(String::from_utf8(out.stdout).unwrap().starts_with("emu:"));
}

#[test]
fn bad_device_names_are_refused_before_anything_is_opened() {
    let run = tempfile::tempdir().unwrap();
    for bad in ["sr0", "../../etc/passwd", "sg1/../../x"] {
        let out = odflash()
            .args(["hotplug", bad, "--run-dir"])
            .arg(run.path())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(15), "{bad}");
    }
    assert_eq!(fs::read_dir(run.path()).unwrap().count(), 0);
}

/// A minimal fake sysfs: one `scsi_device` under `parent` (a chain of plain directories and
/// USB devices) with its sg node linked from `class/scsi_generic`.
fn fake_drive(root: &Path, usb: Option<(&str, &str)>, sg: &str, attrs: &[(&str, &str)]) {
    let mut parent = root.join("devices/pci0000:00/0000:00:14.0");
    fs::create_dir_all(root.join("bus/usb")).unwrap();
    fs::create_dir_all(root.join("bus/scsi")).unwrap();
    if let Some((vid, pid)) = usb {
        parent = parent.join("usb1/1-2");
        fs::create_dir_all(&parent).unwrap();
        symlink(root.join("bus/usb"), parent.join("subsystem")).unwrap();
        fs::write(parent.join("idVendor"), format!("{vid}\n")).unwrap();
        fs::write(parent.join("idProduct"), format!("{pid}\n")).unwrap();
        parent = parent.join("1-2:1.0");
    }
    let sdev = parent.join("host6/target6:0:0/6:0:0:0");
    fs::create_dir_all(sdev.join("scsi_generic").join(sg)).unwrap();
    for (name, value) in attrs {
        fs::write(sdev.join(name), format!("{value}\n")).unwrap();
    }
    symlink(
        "../../../6:0:0:0",
        sdev.join("scsi_generic").join(sg).join("device"),
    )
    .unwrap();
    fs::create_dir_all(root.join("class/scsi_generic")).unwrap();
    symlink(
        sdev.join("scsi_generic").join(sg),
        root.join("class/scsi_generic").join(sg),
    )
    .unwrap();
}

fn udev_props(root: &Path, sg: &str) -> String {
    let out = odflash()
        .args(["udev-props", sg, "--sysfs-root"])
        .arg(root)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn udev_props_prints_key_value_lines_from_sysfs_only() {
    let sys = tempfile::tempdir().unwrap();
    let optical = [
        ("type", "5"),
        ("vendor", "HL-DT-ST"),
        ("model", "BD-RE BU40N"),
        ("rev", "BOOT"),
    ];
    fake_drive(sys.path(), Some(("0e8d", "1956")), "sg3", &optical);
    let props = udev_props(sys.path(), "sg3");
    assert!(props.contains("ODFLASH_STATE_HINT=recovery\n"), "{props}");
    assert!(
        props.contains("ODFLASH_BUS=usb\n") && props.contains("ODFLASH_USB_ID=0e8d:1956\n"),
        "{props}"
    );
    for line in props.lines() {
        let (key, value) = line.split_once('=').unwrap();
        assert!(key.starts_with("ODFLASH_"), "{line}");
        assert!(
            value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._:-".contains(c)),
            "{line}"
        );
    }

    // Not an optical drive: nothing at all.
    let disk = tempfile::tempdir().unwrap();
    fake_drive(
        disk.path(),
        None,
        "sg0",
        &[("type", "0"), ("vendor", "ATA"), ("model", "SSD")],
    );
    assert_eq!(udev_props(disk.path(), "sg0"), "");
}
