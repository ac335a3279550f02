//! CLI tests: `odflash flash`: the dry-run plan, every gate refusing with zero writes, each
//! waiver lifting exactly its gate, a real flash on an emulated drive kept in a state file,
//! a crossflash across compatibility groups (a DRU-720A image offered to a DRU-710A), and power loss mid-flash followed
//! by a recovery flash.

use crate::cli_common;

use std::path::PathBuf;

use cli_common::{
    next_step, Dir, Run, Trace, BACKUP_FAILED, GATE, IMAGE_REFUSED, INTERRUPTED, NOT_VERIFIED,
    USAGE, VERIFY_FAILED,
};
use serde_json::Value;

/// Boot region the drive never reprograms (coastermelt `doc/bootloader.txt`; docs/protocol.md §3.1).
const PROTECTED: usize = 0x1_0000;

/// The verdict of `gate` in a plan or check JSON.
fn verdict<'a>(json: &'a Value, gate: &str) -> &'a Value {
    json["gates"]
        .as_array()
        .expect("gates")
        .iter()
        .find(|g| g["gate"] == gate)
        .unwrap_or_else(|| panic!("no {gate} gate in {json:#}"))
}

/// Assert every gate passes except `gate`, which has `expected` ("waived", "refused").
fn assert_only(json: &Value, gate: &str, expected: &str) {
    for g in json["gates"].as_array().unwrap() {
        let want = if g["gate"] == gate { expected } else { "pass" };
        assert_eq!(g["verdict"], want, "{g}");
    }
}

#[test]
fn dry_run_prints_the_plan_and_writes_nothing() {
    let dir = Dir::new();
    let device = dir.created_drive("mt1959");
    let before = dir.state("d");
    let image = dir.bu40n("upgrade.bin", "1.04");
    let trace = dir.join("dry.jsonl");
    let run = dir
        .odflash()
        .traced(&trace)
        .args(["flash", &device])
        .arg(&image)
        .args(["--backup-dir", "bk"])
        .run();
    run.ok()
        .stdout_has("Drive:  HL-DT-ST BD-RE BU40N 1.03 serial EMU1959K0001")
        .stdout_has("chip MT1959, model BD-RE BU40N, revision 1.04")
        .stdout_has("PASS     integrity")
        .stdout_has("PASS     chip family     MT1959 image, MT1959 drive")
        .stdout_has("PASS     version         upgrade 1.03 -> 1.04")
        .stdout_has("enter download mode (WRITE BUFFER mode 1)")
        .stdout_has("stream 2048 KiB in 128 commands of at most 16 KiB")
        .stdout_has("send the commit trailer (WRITE BUFFER mode 7)")
        .stdout_has("back up the whole flash and unit data under bk/mt19xx-EMU1959K0001")
        .stdout_has("Point of no return: chunk 128/128 at 0x1fc000")
        .stdout_has("Dry run: nothing was written. Add --execute to flash.")
        .stdout_lacks("REFUSED");
    Trace::read(&trace).assert_no_writes();
    assert!(dir.state("d").flash == before.flash);
    assert!(!dir.join("bk").exists(), "a dry run takes no backup");

    let json = dir
        .odflash()
        .args(["flash", &device])
        .arg(&image)
        .arg("--json")
        .run();
    json.ok();
    let plan = json.json();
    assert_eq!(plan["image"]["revision"], "1.04");
    assert_eq!(plan["device"]["identity"]["revision"], "1.03");
    assert!(plan["gates"]
        .as_array()
        .unwrap()
        .iter()
        .all(|g| g["verdict"] == "pass"));
    let steps: Vec<&str> = plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_str().unwrap())
        .collect();
    assert_eq!(
        steps,
        [
            "protect",
            "backup",
            "prepare",
            "stream",
            "commit",
            "wait-ready",
            "verify"
        ]
    );
    assert!(plan["point_of_no_return"]
        .as_str()
        .unwrap()
        .contains("0x1fc000"));
}

#[test]
fn execute_without_a_terminal_needs_the_risk_flag() {
    let dir = Dir::new();
    let device = dir.created_drive("mt1959");
    let image = dir.bu40n("upgrade.bin", "1.04");
    let trace = dir.join("flash.jsonl");
    dir.odflash()
        .traced(&trace)
        .args(["flash", &device])
        .arg(&image)
        .args(["--execute", "--backup-dir", "bk"])
        .run()
        .code(USAGE)
        .stderr_has("without a terminal to confirm on: add --yes-i-understand-the-risk");
    Trace::read(&trace).assert_no_writes();
    assert!(!dir.join("bk").exists());
}

#[test]
fn every_gate_refuses_with_zero_writes() {
    let dir = Dir::new();
    let device = dir.created_drive("mt1959");
    let before = dir.state("d").flash;
    let broken = |name: &str, breakage: &str| {
        dir.image(
            name,
            &[
                "--chip",
                "mt1959",
                "--model",
                "BD-RE BU40N",
                "--revision",
                "1.04",
            ]
            .into_iter()
            .chain(["--broken", breakage])
            .collect::<Vec<_>>(),
        )
    };
    let other_model = |name: &str, model: &str| {
        dir.image(
            name,
            &["--chip", "mt1959", "--model", model, "--revision", "1.04"],
        )
    };
    let cases: [(PathBuf, &str, &str); 8] = [
        (
            broken("bad-cmac.bin", "bad-cmac"),
            "integrity",
            "integrity table does not verify",
        ),
        (
            broken("wrong-tag.bin", "wrong-tag"),
            "chip family",
            "the image is for MT1939 but the drive is MT1959",
        ),
        (
            broken("truncated.bin", "truncated"),
            "size",
            "this drive's flash is exactly 2097152 bytes",
        ),
        (
            broken("raw-dump.bin", "raw-dump"),
            "not-a-raw-dump",
            "first page mirrors offset 0x10000",
        ),
        (
            other_model("bh16.bin", "BD-RE BH16NS40"),
            "model",
            "the image is for BD-RE BH16NS40 but the drive is a BD-RE BU40N",
        ),
        (
            other_model("wh16.bin", "BD-RE WH16NS60"),
            "model",
            "the image is for the MT19xx desktop drives (ASUS 3.02 firmware) group",
        ),
        (
            dir.bu40n("same.bin", "1.03"),
            "version",
            "the drive already runs 1.03 (pass --allow-reinstall",
        ),
        (
            dir.bu40n("older.bin", "1.02"),
            "version",
            "downgrade 1.03 -> 1.02 (pass --allow-older",
        ),
    ];
    for (image, gate, reason) in cases {
        let (run, trace) = dir.flash_execute(&device, &image, &[]);
        run.code(GATE)
            .stdout_has(&format!("REFUSED  {gate}"))
            .stdout_lacks("Flashing.");
        let error = run.error_line();
        assert!(
            error.starts_with(&format!("odflash: error: refused by the {gate} gate: ")),
            "{error}"
        );
        assert!(error.contains(reason), "{error}");
        trace.assert_no_writes();
    }
    assert!(
        dir.state("d").flash == before,
        "a refused flash changed the drive"
    );
    assert!(!dir.join("bk").exists(), "a refused flash took a backup");
}

#[test]
fn each_waiver_lifts_exactly_its_gate() {
    let dir = Dir::new();
    let device = "emu:mt1959";
    let same = dir.bu40n("same.bin", "1.03");
    let older = dir.bu40n("older.bin", "1.02");
    let desktop = dir.image(
        "wh16.bin",
        &[
            "--chip",
            "mt1959",
            "--model",
            "BD-RE WH16NS60",
            "--revision",
            "1.04",
        ],
    );
    let plan = |image: &PathBuf, waiver: &str| {
        dir.odflash()
            .args(["flash", device])
            .arg(image)
            .args([waiver, "--json"])
            .run()
    };

    for (image, gate, waiver) in [
        (&same, "version", "--allow-reinstall"),
        (&older, "version", "--allow-older"),
        (&desktop, "model", "--crossflash"),
    ] {
        let run = plan(image, waiver);
        run.ok();
        let json = run.json();
        assert_only(&json, gate, "waived");
        assert_eq!(verdict(&json, gate)["waiver"], waiver, "{json:#}");
    }

    // A waiver for another gate lifts nothing.
    for (image, gate, waiver) in [
        (&same, "version", "--allow-older"),
        (&older, "version", "--allow-reinstall"),
        (&desktop, "model", "--allow-reinstall"),
        (&same, "version", "--crossflash"),
    ] {
        let run = plan(image, waiver);
        run.code(GATE);
        assert_only(&run.json(), gate, "refused");
    }

    // Crossflashing names both groups, in words.
    dir.odflash()
        .args(["flash", device])
        .arg(&desktop)
        .arg("--crossflash")
        .run()
        .ok()
        .stdout_has("WAIVED   model")
        .stdout_has("MT19xx desktop drives")
        .stdout_has("MT19xx slim drives");
}

#[test]
fn gates_that_protect_the_hardware_cannot_be_waived() {
    let dir = Dir::new();
    let every_waiver = [
        "--crossflash",
        "--allow-reinstall",
        "--allow-older",
        "--allow-bridge",
        "--allow-unknown-banner",
    ];
    for (breakage, gate) in [
        ("bad-cmac", "integrity"),
        ("wrong-tag", "chip-family"),
        ("truncated", "size"),
        ("raw-dump", "not-raw-dump"),
    ] {
        let image = dir.image(
            &format!("{breakage}.bin"),
            &[
                "--chip",
                "mt1959",
                "--model",
                "BD-RE BU40N",
                "--revision",
                "1.04",
            ]
            .into_iter()
            .chain(["--broken", breakage])
            .collect::<Vec<_>>(),
        );
        let trace = dir.join("plan.jsonl");
        let run = dir
            .odflash()
            .traced(&trace)
            .args(["flash", "emu:mt1959"])
            .arg(&image)
            .args(every_waiver)
            .arg("--json")
            .run();
        run.code(GATE);
        let json = run.json();
        assert_eq!(verdict(&json, gate)["verdict"], "refused", "{json:#}");
        assert_eq!(verdict(&json, gate)["waiver"], Value::Null, "{json:#}");
        Trace::read(&trace).assert_no_writes();
    }
}

#[test]
fn execute_flashes_verifies_and_info_shows_the_new_revision() {
    let dir = Dir::new();
    let device = dir.created_drive("mt1959");
    let image = dir.bu40n("upgrade.bin", "1.04");
    let (run, trace) = dir.flash_execute(&device, &image, &["--json"]);
    run.ok();
    let report = run.json();
    let backup = report["backup"]["path"].as_str().unwrap();
    assert!(backup.starts_with("bk/mt19xx-EMU1959K0001/"), "{backup}");
    assert!(dir.join(backup).is_file());
    assert_eq!(report["deferred_signals"], serde_json::json!([]));

    // Backup (reads) first, then prepare, 128 chunks, commit; never more.
    let cdbs = trace.cdbs();
    let first_write = cdbs.iter().position(|c| c.starts_with("3b")).unwrap();
    let reads_before = cdbs[..first_write]
        .iter()
        .filter(|c| c.starts_with("3c"))
        .count();
    assert!(reads_before >= 32, "the backup precedes the first write");
    let modes: Vec<&str> = cdbs
        .iter()
        .filter(|c| c.starts_with("3b"))
        .map(|c| &c[2..4])
        .collect();
    assert_eq!(modes.len(), 130, "{modes:?}");
    assert_eq!(modes[0], "01");
    assert!(modes[1..129].iter().all(|&m| m == "06"));
    assert_eq!(modes[129], "07");

    // The drive holds the image outside its protected boot region.
    let flashed = std::fs::read(&image).unwrap();
    assert!(dir.state("d").flash[PROTECTED..] == flashed[PROTECTED..]);
    let info = dir.odflash().args(["info", &device]).run();
    info.ok()
        .stdout_has("Descriptor       HL-DT-ST BD-RE BU40N 1.04")
        .stdout_has("State            no medium");

    // The same image again is now a reinstall.
    let (again, trace) = dir.flash_execute(&device, &image, &[]);
    again.code(GATE).stderr_has("the drive already runs 1.04");
    trace.assert_no_writes();
}

#[test]
fn a_backup_that_cannot_be_written_means_zero_writes() {
    let dir = Dir::new();
    let device = dir.created_drive("mt1959");
    let before = dir.state("d").flash;
    let image = dir.bu40n("upgrade.bin", "1.04");
    dir.write("blocker", b"a file where the backup directory should go");
    let trace = dir.join("flash.jsonl");
    let run = dir
        .odflash()
        .traced(&trace)
        .args(["flash", &device])
        .arg(&image)
        .args(["--execute", "--yes-i-understand-the-risk"])
        .args(["--backup-dir", "blocker/bk"])
        .run();
    run.code(BACKUP_FAILED)
        .stderr_has("backup failed: blocker/bk")
        .stdout_lacks("Flash complete");
    Trace::read(&trace).assert_no_writes();
    assert!(dir.state("d").flash == before);
}

#[test]
fn text_report_names_backup_commit_and_verify() {
    let dir = Dir::new();
    let image = dir.bu40n("upgrade.bin", "1.04");
    let (run, _) = dir.flash_execute("emu:mt1959", &image, &[]);
    run.ok()
        .stdout_has("Flashing. Ctrl-C, SIGTERM and SIGHUP are held until the drive is safe")
        .stdout_has("Backup:   bk/mt19xx-EMU1959K0001/")
        .stdout_has("Verify:   every byte outside the protected boot region read back equal")
        .stdout_has("odflash eeprom restore emu:mt1959 bk/mt19xx-EMU1959K0001/")
        .stdout_has("Flash complete.");
}

#[test]
fn a_dru_720a_image_is_refused_for_a_dru_710a() {
    let dir = Dir::new();
    let image = dir.image(
        "x.bin",
        &[
            "--chip",
            "liteon-dvd",
            "--vendor",
            "SONY",
            "--model",
            "DVD RW DRU-720A",
        ],
    );
    let group_reason = |run: &Run| {
        let error = run.error_line();
        assert!(error.contains("refused by the model gate"), "{error}");
        assert!(
            error.contains("the image is for the LiteOn 1673/1693 + Sony DRU-720A/800A group"),
            "{error}"
        );
        assert!(
            error.contains("is in the LiteOn 1213/1633/1653 + Sony DRU-710A group"),
            "{error}"
        );
        assert!(error.contains("incompatible"), "{error}");
    };

    let trace = dir.join("flash.jsonl");
    let run = dir
        .odflash()
        .traced(&trace)
        .args(["flash", "emu:dru-710a"])
        .arg(&image)
        .args(["--execute", "--yes-i-understand-the-risk"])
        .run();
    run.code(GATE).stdout_has("REFUSED  model");
    group_reason(&run);
    Trace::read(&trace).assert_no_writes();

    let trace = dir.join("check.jsonl");
    let run = dir
        .odflash()
        .traced(&trace)
        .args(["image", "check"])
        .arg(&image)
        .args(["--for", "emu:dru-710a"])
        .run();
    run.code(GATE)
        .stdout_has("liteon-dvd image for DVD RW DRU-720A")
        .stdout_has("against: SONY DVD RW DRU-710A");
    group_reason(&run);
    Trace::read(&trace).assert_no_writes();
}

#[test]
fn power_loss_during_the_burn_then_a_recovery_flash() {
    let dir = Dir::new();
    let plan = dir.faults(
        "power.json",
        r#"{"faults":[{"trigger":{"phase":"burn"},"action":{"kind":"power-loss"}}]}"#,
    );
    let device = dir.created_drive(&format!("mt1959,faults={}", plan.display()));
    let image = dir.bu40n("upgrade.bin", "1.04");

    let (run, _) = dir.flash_execute(&device, &image, &[]);
    run.code(INTERRUPTED);
    let error = run.error_line();
    assert!(
        error.contains("the burn may have been interrupted"),
        "{error}"
    );
    assert!(error.contains("boot loader"), "{error}");
    let next = next_step("rescue", &device, &image, "");
    assert!(error.contains(&next), "{error}");

    dir.odflash()
        .args(["scan", "--timeout", "30", "--device", &device])
        .run()
        .ok()
        .stdout_has("RECOVERY (boot loader)");

    // The fault has fired (its progress lives in the state file): the second flash runs clean.
    let (run, trace) = dir.flash_execute(&device, &image, &[]);
    run.ok()
        .stdout_has("family mt19xx, chip unknown, state RECOVERY (boot loader)")
        .stdout_has("versions not compared: the drive is in its boot loader")
        .stdout_has("Flash complete.");
    assert_eq!(trace.writes(), 130);
    let flashed = std::fs::read(&image).unwrap();
    assert!(dir.state("d").flash[PROTECTED..] == flashed[PROTECTED..]);
    dir.odflash()
        .args(["info", &device])
        .run()
        .ok()
        .stdout_has("Revision         1.04")
        .stdout_has("State            no medium");
}

#[test]
fn power_loss_while_streaming_never_commits_and_keeps_the_old_firmware() {
    let dir = Dir::new();
    let plan = dir.faults(
        "power.json",
        r#"{"faults":[{"trigger":{"phase":"stream","offset":1048576},"action":{"kind":"power-loss"}}]}"#,
    );
    let device = dir.created_drive(&format!("mt1959,faults={}", plan.display()));
    let before = dir.state("d").flash;
    let image = dir.bu40n("upgrade.bin", "1.04");

    let (run, trace) = dir.flash_execute(&device, &image, &[]);
    run.code(INTERRUPTED);
    let error = run.error_line();
    assert!(
        error.contains("streaming chunk 65/128 at 0x100000"),
        "{error}"
    );
    assert!(error.contains("nothing was burned"), "{error}");
    let next = next_step("flash", &device, &image, " --execute");
    assert!(error.contains(&next), "{error}");
    assert!(
        !trace.cdbs().iter().any(|c| c.starts_with("3b07")),
        "a commit followed a stream failure"
    );
    assert!(dir.state("d").flash == before);
    dir.odflash()
        .args(["info", &device])
        .run()
        .ok()
        .stdout_has("Revision         1.03");
}

#[test]
fn bare_boot_loader_needs_the_backup_waiver_and_then_flashes_and_verifies() {
    let dir = Dir::new();
    let device = dir.created_drive("mt1959,mode=boot,boot-style=bare");
    let info = dir.odflash().args(["info", &device, "--json"]).run();
    info.ok();
    let family = &info.json()["probe"]["family"];
    assert_eq!(family["id"], "mt19xx");
    assert_eq!(family["state"]["state"], "recovery");
    assert_eq!(family["identity"]["flash_reads"], "refused-by-boot-loader");

    let image = dir.bu40n("new.bin", "1.04");
    let (refused, trace) = dir.flash_execute(&device, &image, &[]);
    refused.code(GATE).stderr_has("--without-backup");
    trace.assert_no_writes();

    let (run, trace) = dir.flash_execute(&device, &image, &["--without-backup", "--json"]);
    run.ok();
    let report = run.json();
    assert_eq!(report["backup"], Value::Null);
    assert_eq!(report["verify"]["result"], "verified");
    // No backup read before the first write: only identification's refused banner probe.
    let cdbs = trace.cdbs();
    let first_write = cdbs.iter().position(|c| c.starts_with("3b")).unwrap();
    let reads: Vec<&String> = cdbs[..first_write]
        .iter()
        .filter(|c| c.starts_with("3c"))
        .collect();
    assert_eq!(reads, ["3c060000300000002000"], "{cdbs:?}");
    assert!(cdbs[first_write..].iter().any(|c| c.starts_with("3c")));
    let flashed = std::fs::read(&image).unwrap();
    assert!(dir.state("d").flash[PROTECTED..] == flashed[PROTECTED..]);
}

#[test]
fn the_backup_waiver_waives_nothing_where_reads_work() {
    let dir = Dir::new();
    let device = dir.created_drive("mt1959");
    let image = dir.bu40n("new.bin", "1.04");
    let (run, trace) = dir.flash_execute(&device, &image, &["--without-backup", "--json"]);
    run.ok();
    assert!(run.json()["backup"]["path"].is_string());
    let cdbs = trace.cdbs();
    let first_write = cdbs.iter().position(|c| c.starts_with("3b")).unwrap();
    assert!(
        cdbs[..first_write]
            .iter()
            .filter(|c| c.starts_with("3c"))
            .count()
            >= 32
    );
}

#[test]
fn a_flash_the_drive_cannot_verify_is_reported_not_verified() {
    let dir = Dir::new();
    let device = dir.created_drive("mt1959,mode=boot,boot-style=bare,firmware-reads=blocked");
    let image = dir.bu40n("new.bin", "1.04");
    let (run, _) = dir.flash_execute(&device, &image, &["--without-backup"]);
    run.code(NOT_VERIFIED)
        .stdout_has("NOT VERIFIED")
        .stderr_has("not verified by read-back");
}

#[test]
fn firmware_that_blocks_flash_reads_is_mediatek_but_cannot_be_dumped_or_flashed() {
    let dir = Dir::new();
    let device = dir.created_drive("mt1959,firmware-reads=blocked");
    dir.odflash()
        .args(["info", &device])
        .run()
        .ok()
        .stdout_has("Chip family      mt19xx")
        .stdout_has("firmware blocks flash reads");
    dir.odflash()
        .args(["dump", &device, "-o", "d.bin"])
        .run()
        .code(5)
        .stderr_has("firmware blocks flash reads");
    assert!(!dir.join("d.bin").exists());
    let image = dir.bu40n("new.bin", "1.04");
    let (run, trace) = dir.flash_execute(&device, &image, &["--without-backup"]);
    run.code(GATE).stderr_has("firmware blocks flash reads");
    trace.assert_no_writes();
}

#[test]
fn a_downgrade_the_drive_refuses_keeps_its_firmware() {
    let dir = Dir::new();
    let device = dir.created_drive("mt1959,anti-downgrade=on");
    let before = dir.state("d").flash;
    let image = dir.bu40n("old.bin", "1.00");
    let (run, trace) = dir.flash_execute(&device, &image, &["--allow-older"]);
    run.code(IMAGE_REFUSED)
        .stderr_has("the drive refused the image")
        .stderr_has("the read-back equals the backup");
    // The stream reached the burning chunk; no commit followed the refusal.
    assert_eq!(trace.writes(), 129);
    assert!(dir.state("d").flash == before);
    dir.odflash()
        .args(["info", &device])
        .run()
        .ok()
        .stdout_has("Descriptor       HL-DT-ST BD-RE BU40N 1.03");
}

#[test]
fn an_image_of_another_boot_id_is_ignored_and_reported() {
    let dir = Dir::new();
    // A readable drive: the banner gate refuses before any write.
    let readable = dir.created_drive("mt1959");
    let image = dir.image(
        "jb8.bin",
        &[
            "--chip",
            "mt1959",
            "--model",
            "BD-RE BU40N",
            "--revision",
            "1.04",
            "--banner",
            "jb8",
        ],
    );
    let (run, trace) = dir.flash_execute(&readable, &image, &[]);
    run.code(GATE).stderr_has("differs from the drive's");
    trace.assert_no_writes();
    // A bare boot loader hides its banner: the drive silently ignores the image.
    let bare = dir.emu("bare", "mt1959,mode=boot,boot-style=bare");
    dir.odflash().args(["info", &bare]).run().ok();
    let before = dir.state("bare").flash;
    let (run, _) = dir.flash_execute(&bare, &image, &["--without-backup"]);
    run.code(VERIFY_FAILED)
        .stderr_has("did not take the image: boot ID mismatch?");
    assert!(dir.state("bare").flash == before);
}

#[test]
fn a_drive_that_is_burning_is_busy_not_unknown() {
    use odflash::family::mt19xx::cdb;
    use odflash::scsi::{Data, Transport, TIMEOUT_FLASH};
    let dir = Dir::new();
    let device = dir.created_drive("mt1959");
    // Another process streams an image and goes away while the drive burns.
    let image = std::fs::read(dir.bu40n("new.bin", "1.04")).unwrap();
    {
        let mut emu = odflash::emu::Drive::open(&device.parse().unwrap()).unwrap();
        // Another program's download: the MT19xx commands, from the family's CDB builders.
        emu.execute(&cdb::build_prepare(), Data::None, TIMEOUT_FLASH)
            .unwrap();
        for (i, chunk) in image.chunks(0x4000).enumerate() {
            let write = cdb::build_write_window((i * 0x4000) as u32, 0x4000);
            emu.execute(&write, Data::Out(chunk), TIMEOUT_FLASH)
                .unwrap();
        }
    }
    for args in [vec!["info", &device], vec!["dump", &device, "-o", "d.bin"]] {
        dir.odflash()
            .args(&args)
            .run()
            .code(2)
            .stderr_has("busy")
            .stderr_has("do not power it off");
    }
}

#[test]
fn a_commit_that_fails_while_the_burn_goes_on_is_judged_by_the_read_back() {
    let dir = Dir::new();
    let plan = dir.faults(
        "commit.json",
        r#"{"faults":[{"trigger":{"phase":"commit"},"action":{"kind":"timeout"}}]}"#,
    );
    let device = dir.created_drive(&format!("mt1959,faults={}", plan.display()));
    let image = dir.bu40n("new.bin", "1.04");
    let (run, _) = dir.flash_execute(&device, &image, &["--json"]);
    run.ok();
    let report = run.json();
    assert!(
        report["commit"]
            .as_str()
            .unwrap()
            .contains("read-back judged"),
        "{report:#}"
    );
    assert_eq!(report["verify"]["result"], "verified");
}
