//! CLI tests: `odflash emu make-image` and `odflash image check`: a valid synthetic image
//! passes every gate, each `--broken` variant fails the gate it breaks, offline and against a
//! drive, and the check never writes.

use crate::cli_common;

use cli_common::{Dir, Trace, GATE, OK, OPEN, USAGE};
use serde_json::Value;
use sha2::{Digest, Sha256};

const BU40N: [&str; 6] = [
    "--chip",
    "mt1959",
    "--model",
    "BD-RE BU40N",
    "--revision",
    "1.04",
];

/// The verdict object of `gate` in `image check --json` output.
fn verdict<'a>(json: &'a Value, gate: &str) -> &'a Value {
    json["gates"]
        .as_array()
        .expect("gates")
        .iter()
        .find(|g| g["gate"] == gate)
        .unwrap_or_else(|| panic!("no {gate} gate in {json:#}"))
}

#[test]
fn make_image_writes_a_signed_image_and_says_so() {
    let dir = Dir::new();
    let run = dir
        .odflash()
        .args(["emu", "make-image"])
        .args(BU40N)
        .args(["-o", "ok.bin"])
        .run();
    run.ok();
    let bytes = std::fs::read(dir.join("ok.bin")).unwrap();
    assert_eq!(bytes.len(), 2 * 1024 * 1024);
    let sha = hex::encode(Sha256::digest(&bytes));
    assert_eq!(
        run.stdout.trim(),
        format!("wrote ok.bin (2097152 bytes, sha256 {sha})")
    );
    // Deterministic: the same arguments give the same bytes.
    dir.odflash()
        .args(["emu", "make-image"])
        .args(BU40N)
        .args(["-o", "again.bin"])
        .run()
        .ok();
    assert!(std::fs::read(dir.join("again.bin")).unwrap() == bytes);
}

#[test]
fn a_valid_image_passes_every_gate_offline_and_against_its_drive() {
    let dir = Dir::new();
    let image = dir.image("ok.bin", &BU40N);
    let offline = dir.odflash().args(["image", "check"]).arg(&image).run();
    offline
        .ok()
        .stdout_has("mt19xx image for BD-RE BU40N")
        .stdout_has("PASS     integrity       4 integrity entries verify")
        .stdout_lacks("REFUSED");

    let trace = dir.join("check.jsonl");
    let run = dir
        .odflash()
        .traced(&trace)
        .args(["image", "check"])
        .arg(&image)
        .args(["--for", "emu:mt1959", "--json"])
        .run();
    run.ok();
    let json = run.json();
    assert_eq!(json["format"], "mt19xx");
    assert_eq!(json["model"], "BD-RE BU40N");
    let gates: Vec<&str> = json["gates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            assert_eq!(g["verdict"], "pass", "{g}");
            g["gate"].as_str().unwrap()
        })
        .collect();
    for gate in [
        "size",
        "integrity",
        "chip-family",
        "model",
        "not-raw-dump",
        "version",
    ] {
        assert!(gates.contains(&gate), "{gate} missing from {gates:?}");
    }
    Trace::read(&trace).assert_no_writes();
}

#[test]
fn each_broken_variant_fails_its_gate() {
    let dir = Dir::new();
    // (breakage, the gate it breaks, whether the offline check can see it: the chip family
    // needs a drive to compare with).
    for (breakage, gate, offline) in [
        ("bad-cmac", "integrity", true),
        ("truncated", "size", true),
        ("raw-dump", "not-raw-dump", true),
        ("wrong-tag", "chip-family", false),
    ] {
        let mut args = BU40N.to_vec();
        args.extend(["--broken", breakage]);
        let image = dir.image(&format!("{breakage}.bin"), &args);

        let run = dir
            .odflash()
            .args(["image", "check", "--json"])
            .arg(&image)
            .run();
        let json = run.json();
        if offline {
            run.code(GATE);
            assert_eq!(verdict(&json, gate)["verdict"], "refused", "{breakage}");
            let refused = json["gates"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|g| g["verdict"] == "refused")
                .count();
            assert_eq!(refused, 1, "{breakage} breaks one gate only: {json:#}");
        } else {
            run.code(OK);
        }

        let trace = dir.join("check.jsonl");
        let run = dir
            .odflash()
            .traced(&trace)
            .args(["image", "check", "--json", "--for", "emu:mt1959"])
            .arg(&image)
            .run();
        run.code(GATE);
        let json = run.json();
        assert_eq!(
            verdict(&json, gate)["verdict"],
            "refused",
            "{breakage}: {json:#}"
        );
        assert_eq!(verdict(&json, gate)["waiver"], Value::Null, "{breakage}");
        Trace::read(&trace).assert_no_writes();
    }
}

#[test]
fn check_against_a_drive_applies_the_drive_gates() {
    let dir = Dir::new();
    let image = dir.image("ok.bin", &BU40N);
    // The drive already runs 1.04: the version gate refuses, naming its waiver.
    let run = dir
        .odflash()
        .args(["image", "check"])
        .arg(&image)
        .args(["--for", "emu:mt1959,revision=1.04"])
        .run();
    run.code(GATE)
        .stdout_has("against: HL-DT-ST BD-RE BU40N 1.04")
        .stdout_has(
            "REFUSED  version         the drive already runs 1.04 (override: --allow-reinstall)",
        );

    // An MT19xx image offered to a DVD-era drive.
    dir.odflash()
        .args(["image", "check"])
        .arg(&image)
        .args(["--for", "emu:dru-710a"])
        .run()
        .code(GATE)
        .stderr_has("this image is in the mt19xx format and the drive is a liteon-dvd drive");
}

#[test]
fn dvd_era_images_are_checked_but_never_flashable() {
    let dir = Dir::new();
    let image = dir.image(
        "dvd.bin",
        &[
            "--chip",
            "liteon-dvd",
            "--vendor",
            "SONY",
            "--model",
            "DVD RW DRU-710A",
        ],
    );
    let run = dir
        .odflash()
        .args(["image", "check", "--json"])
        .arg(&image)
        .args(["--for", "emu:dru-710a"])
        .run();
    run.code(GATE);
    let json = run.json();
    assert_eq!(json["format"], "liteon-dvd");
    assert_eq!(json["model"], "DVD RW DRU-710A");
    assert_eq!(verdict(&json, "size")["verdict"], "pass");
    assert_eq!(verdict(&json, "model")["verdict"], "pass");
    assert_eq!(verdict(&json, "chip-family")["verdict"], "refused");
    assert!(verdict(&json, "chip-family")["reason"]
        .as_str()
        .unwrap()
        .contains("not public"));
}

#[test]
fn make_image_and_check_reject_bad_input() {
    let dir = Dir::new();
    dir.odflash()
        .args(["emu", "make-image", "--chip", "liteon-dvd", "--model", "X"])
        .args(["--broken", "bad-cmac", "-o", "x.bin"])
        .run()
        .code(USAGE)
        .stderr_has("--broken applies to MT19xx images only");
    assert!(!dir.join("x.bin").exists());

    let junk = dir.write("junk.bin", vec![0x5A; 4096]);
    dir.odflash()
        .args(["image", "check"])
        .arg(&junk)
        .run()
        .code(USAGE)
        .stderr_has("not a firmware image in any format odflash reads");
    dir.odflash()
        .args(["image", "check", "missing.bin"])
        .run()
        .code(OPEN)
        .stderr_once("No such file or directory");
}
