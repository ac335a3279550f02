//! `odflash rescue` driven by flags (no terminal) on emulated drives with a state file, as the
//! README's demo runs it: a failed flash rescued end to end, the DRU-710A offered a DRU-720A image,
//! and the dry run without the risk acknowledgement.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use assert_cmd::prelude::*;
use odflash::emu::{self, Spec};
use odflash::image::mt19xx::Chip;
use odflash::image::synth::{build_dvd_era, build_mt19xx, SynthSpec};

/// Exit codes (ops::ExitCode).
const GATE_REFUSED: i32 = 100;
const FAMILY_UNSUPPORTED: i32 = 101;

struct Story {
    dir: tempfile::TempDir,
}

impl Story {
    fn new() -> Self {
        Story {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// An MT1959 image file.
    fn mt19xx_image(&self, name: &str, vendor: &str, model: &str, revision: &str) -> PathBuf {
        let path = self.path(name);
        std::fs::write(
            &path,
            build_mt19xx(&SynthSpec::new(Chip::Mt1959, vendor, model, revision)),
        )
        .unwrap();
        path
    }

    /// `odflash rescue DEVICE IMAGE --backup-dir DIR ARGS...` with stdin not a terminal.
    fn rescue(&self, device: &str, image: &Path, args: &[&str]) -> Output {
        Command::cargo_bin("odflash")
            .unwrap()
            .env_remove("RUST_LOG")
            .arg("rescue")
            .arg(device)
            .arg(image)
            .arg("--backup-dir")
            .arg(self.path("backups"))
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn recovery_drive_is_rescued_wrong_image_refused_right_image_flashed_unit_data_restored() {
    let story = Story::new();
    let state = story.path("bu40n.json");
    let device = format!("emu:mt1959,mode=boot,state-file={}", state.display());
    let wrong = story.mt19xx_image("bw16d1ht.bin", "ASUS", "BW-16D1HT", "3.02");
    let right = story.mt19xx_image("bu40n.bin", "HL-DT-ST", "BD-RE BU40N", "1.04");
    let go = [
        "--execute",
        "--yes-i-understand-the-risk",
        "--restore-unit-data",
        "yes",
    ];

    // The desktop-group image: refused by the model gate with the group reason.
    let out = story.rescue(&device, &wrong, &go);
    let log = text(&out);
    assert_eq!(out.status.code(), Some(GATE_REFUSED), "{log}");
    assert!(log.contains("RECOVERY (boot loader)"), "{log}");
    assert!(log.contains("refused by the model gate"), "{log}");
    assert!(log.contains("desktop") && log.contains("slim"), "{log}");
    assert!(
        !story.path("backups").exists(),
        "refused before the backup: {log}"
    );

    // The right image: flashed, verified, unit data restored, drive healthy.
    let out = story.rescue(&device, &right, &go);
    let log = text(&out);
    assert!(out.status.success(), "{log}");
    for expected in [
        "Step 1. Put the drive in safe mode",
        "Identify the drive",
        "PASS     model",
        "Flash complete.",
        "Restore the drive's unit data",
        "Restored and verified: identity, calibration",
        "Done. The drive's state: no medium",
    ] {
        assert!(log.contains(expected), "missing {expected:?} in\n{log}");
    }
    // Numbered steps, in order, none skipped.
    let numbers: Vec<usize> = log
        .lines()
        .filter_map(|l| l.strip_prefix("Step ")?.split('.').next()?.parse().ok())
        .collect();
    assert_eq!(numbers, (1..=numbers.len()).collect::<Vec<_>>(), "{log}");

    // The state file holds a drive running its application firmware again.
    let drive = emu::Drive::open(
        &format!("emu:mt1959,state-file={}", state.display())
            .parse::<Spec>()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(drive.mode(), emu::Mode::App);
}

#[test]
fn without_the_risk_acknowledgement_it_is_a_dry_run() {
    let story = Story::new();
    let state = story.path("bu40n.json");
    let device = format!("emu:mt1959,mode=boot,state-file={}", state.display());
    let right = story.mt19xx_image("bu40n.bin", "HL-DT-ST", "BD-RE BU40N", "1.04");
    let out = story.rescue(&device, &right, &["--execute"]);
    let log = text(&out);
    assert!(out.status.success(), "{log}");
    assert!(
        log.contains("--yes-i-understand-the-risk") && log.contains("Dry run"),
        "{log}"
    );
    let drive = emu::Drive::open(&device.parse::<Spec>().unwrap()).unwrap();
    assert_eq!(drive.mode(), emu::Mode::Boot, "nothing was written");
}

#[test]
fn dru_710a_offered_a_dru_720a_image_is_refused_with_the_group_reason() {
    let story = Story::new();
    let image = story.path("dru720a.bin");
    std::fs::write(&image, build_dvd_era("SONY", "DVD RW DRU-720A", "BYX5")).unwrap();
    let out = story.rescue(
        "emu:dru-710a",
        &image,
        &["--execute", "--yes-i-understand-the-risk"],
    );
    let log = text(&out);
    assert_eq!(out.status.code(), Some(GATE_REFUSED), "{log}");
    assert!(log.contains("cannot: flash firmware"), "{log}");
    assert!(log.contains("not public"), "{log}");
    assert!(log.contains("refused by the model gate"), "{log}");
    assert!(
        log.contains("DRU-720A") && log.contains("DRU-710A"),
        "{log}"
    );

    // Without an image: it identifies the drive, says what it cannot do, exits 101.
    let out = Command::cargo_bin("odflash")
        .unwrap()
        .args(["rescue", "emu:dru-710a"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(FAMILY_UNSUPPORTED),
        "{}",
        text(&out)
    );
}

#[test]
fn without_a_device_it_explains_safe_mode_and_waits_with_a_timeout() {
    let out = Command::cargo_bin("odflash")
        .unwrap()
        .args(["rescue", "--wait", "0.3"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let log = text(&out);
    assert!(!out.status.success(), "{log}");
    assert!(
        log.contains("hold") && log.contains("about 10 seconds"),
        "{log}"
    );
    assert!(log.contains("Waiting up to"), "{log}");
    assert!(
        log.contains("no optical drive appeared within 0.3 s"),
        "{log}"
    );
}

#[test]
fn bare_boot_loader_is_rescued_without_a_backup_and_given_its_models_unit_data() {
    let story = Story::new();
    // An earlier backup of this unit, taken while it still ran its firmware.
    let healthy = format!("emu:mt1959,state-file={}", story.path("old.json").display());
    let out = Command::cargo_bin("odflash")
        .unwrap()
        .args(["backup", &healthy, "--backup-dir"])
        .arg(story.path("backups"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let state = story.path("bu40n.json");
    let device = format!(
        "emu:mt1959,mode=boot,boot-style=bare,state-file={}",
        state.display()
    );
    let right = story.mt19xx_image("bu40n.bin", "HL-DT-ST", "BD-RE BU40N", "1.04");
    let go = ["--execute", "--yes-i-understand-the-risk"];

    // Without the waiver: refused by the backup gate, nothing written.
    let out = story.rescue(&device, &right, &go);
    let log = text(&out);
    assert_eq!(out.status.code(), Some(GATE_REFUSED), "{log}");
    assert!(log.contains("--without-backup"), "{log}");

    // With it: flashed and verified, and the newest backup of the model restores the unit
    // data (its serial is checked once the firmware answers).
    let out = story.rescue(
        &device,
        &right,
        &[&go[..], &["--without-backup", "--restore-unit-data", "yes"]].concat(),
    );
    let log = text(&out);
    assert!(out.status.success(), "{log}");
    for expected in [
        "Backup:   none",
        "Flash complete.",
        "mt19xx-EMU1959K0001",
        "Restored and verified: identity, calibration",
        "Done. The drive's state: no medium",
    ] {
        assert!(log.contains(expected), "missing {expected:?} in\n{log}");
    }
}

#[test]
fn a_backup_that_cannot_be_told_from_another_units_is_restored_only_when_allowed() {
    let story = Story::new();
    // Another unit of this model, without a serial, backed up into the same directory.
    let other = format!(
        "emu:mt1959,serial=,state-file={}",
        story.path("other.json").display()
    );
    let out = Command::cargo_bin("odflash")
        .unwrap()
        .args(["backup", &other, "--backup-dir"])
        .arg(story.path("backups"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let device = format!(
        "emu:mt1959,serial=,state-file={}",
        story.path("bu40n.json").display()
    );
    let right = story.mt19xx_image("bu40n.bin", "HL-DT-ST", "BD-RE BU40N", "1.04");
    let go = [
        "--execute",
        "--yes-i-understand-the-risk",
        "--restore-unit-data",
        "yes",
    ];

    // Flashed, but the other unit's unit data is not restored without the waiver.
    let out = story.rescue(&device, &right, &go);
    let log = text(&out);
    assert!(out.status.success(), "{log}");
    assert!(log.contains("Flash complete."), "{log}");
    assert!(log.contains("cannot be told apart"), "{log}");
    assert!(
        log.contains("Not restoring it without --from-other-drive"),
        "{log}"
    );
    assert!(log.contains("Unit data not restored"), "{log}");
    assert!(!log.contains("Restored and verified"), "{log}");

    // With it, the user's answer is the waiver.
    let newer = story.mt19xx_image("bu40n-105.bin", "HL-DT-ST", "BD-RE BU40N", "1.05");
    let out = story.rescue(
        &device,
        &newer,
        &[&go[..], &["--from-other-drive"]].concat(),
    );
    let log = text(&out);
    assert!(out.status.success(), "{log}");
    assert!(
        log.contains("Restored and verified: identity, calibration"),
        "{log}"
    );
}
