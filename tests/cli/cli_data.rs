//! CLI tests: `dump`, `backup` and `eeprom dump|restore` on emulated drives kept in state
//! files, so each result can be compared with what the drive really holds.

use crate::cli_common;

use std::collections::BTreeMap;
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use cli_common::{Dir, Trace, GATE, UNSUPPORTED, USAGE};
use sha2::{Digest, Sha256};

/// Size of the mirrored first page of a raw read (docs/protocol.md §3.6; the length is
/// odflash's assumption, `image::layout::MIRROR_LEN`).
const MIRROR_PAGE: usize = 0x1000;
/// Where the mirrored page's bytes really live.
const MIRROR_SOURCE: usize = 0x1_0000;
/// Identity and calibration windows (docs/protocol.md §3.5).
const IDENTITY: (usize, usize) = (0x1E_C000, 0x100);
const CALIBRATION: (usize, usize) = (0x1F_0000, 0x1_0000);

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Every entry of a tar bundle, by name.
fn bundle(path: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut archive = tar::Archive::new(std::fs::File::open(path).unwrap());
    archive
        .entries()
        .unwrap()
        .map(|e| {
            let mut e = e.unwrap();
            let name = e.path().unwrap().display().to_string();
            let mut bytes = Vec::new();
            e.read_to_end(&mut bytes).unwrap();
            (name, bytes)
        })
        .collect()
}

/// Assert the bundle's manifest lists every part with its true size and sha256.
fn assert_manifest_matches(parts: &BTreeMap<String, Vec<u8>>) -> serde_json::Value {
    let manifest: serde_json::Value =
        serde_json::from_slice(&parts["manifest.json"]).expect("manifest.json is JSON");
    let listed = manifest["parts"].as_array().unwrap();
    assert_eq!(listed.len() + 1, parts.len(), "{manifest:#}");
    for part in listed {
        let bytes = &parts[part["name"].as_str().unwrap()];
        assert_eq!(part["size"], bytes.len(), "{part}");
        assert_eq!(part["sha256"], sha256(bytes), "{part}");
    }
    manifest
}

fn window(flash: &[u8], (offset, len): (usize, usize)) -> &[u8] {
    &flash[offset..offset + len]
}

#[test]
fn dump_equals_the_drive_flash_except_the_mirror_page() {
    let dir = Dir::new();
    let drive = dir.emu("d", "mt1959");
    let trace = dir.join("dump.jsonl");
    let run = dir
        .odflash()
        .traced(&trace)
        .args(["dump", &drive, "-o", "dump.bin", "--json"])
        .run();
    run.ok();
    Trace::read(&trace).assert_no_writes();

    let flash = dir.state("d").flash;
    let dump = std::fs::read(dir.join("dump.bin")).unwrap();
    assert_eq!(dump.len(), flash.len());
    assert!(
        dump[MIRROR_PAGE..] == flash[MIRROR_PAGE..],
        "dump differs beyond the first page"
    );
    assert!(
        dump[..MIRROR_PAGE] == flash[MIRROR_SOURCE..MIRROR_SOURCE + MIRROR_PAGE],
        "the first page of a raw read mirrors 0x10000"
    );

    let report = run.json();
    assert_eq!(report["path"], "dump.bin");
    let m = &report["manifest"];
    assert_eq!(m["kind"], "raw-dump");
    assert_eq!(m["flashable"], false);
    assert_eq!(m["size"], flash.len());
    assert_eq!(m["sha256"], sha256(&dump));
    assert_eq!(m["read"]["unreadable"], serde_json::json!([]));
    assert_eq!(m["device"]["identity"]["serial"], "EMU1959K0001");
    let on_disk: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.join(report["manifest_path"].as_str().unwrap())).unwrap(),
    )
    .unwrap();
    assert_eq!(&on_disk, m);

    // A second dump reads the same bytes.
    let text = dir
        .odflash()
        .args(["dump", &drive, "-o", "again.bin"])
        .run();
    text.ok()
        .stdout_has("dumped 2097152 bytes of flash to again.bin")
        .stdout_has("RAW DUMP");
    assert!(std::fs::read(dir.join("again.bin")).unwrap() == dump);
}

#[test]
fn a_dump_is_never_flashed_back() {
    let dir = Dir::new();
    let drive = dir.emu("d", "mt1959");
    dir.odflash()
        .args(["dump", &drive, "-o", "dump.bin"])
        .run()
        .ok();
    let before = dir.state("d").flash;
    let trace = dir.join("flash.jsonl");
    // Every waiver there is: none lifts the raw-dump gate.
    let run = dir
        .odflash()
        .traced(&trace)
        .args([
            "flash",
            &drive,
            "dump.bin",
            "--execute",
            "--yes-i-understand-the-risk",
        ])
        .args(["--allow-reinstall", "--allow-older", "--crossflash"])
        .args([
            "--allow-bridge",
            "--allow-unknown-banner",
            "--backup-dir",
            "bk",
        ])
        .run();
    run.code(GATE)
        .stdout_has("REFUSED  not-a-raw-dump")
        .stdout_has("(cannot be overridden)");
    assert!(run.error_line().starts_with(
        "odflash: error: refused by the not-a-raw-dump gate: this is a raw read-back"
    ));
    Trace::read(&trace).assert_no_writes();
    assert!(dir.state("d").flash == before);
    assert!(!dir.join("bk").exists(), "refused before the backup step");
}

#[test]
fn backup_to_a_file_is_validated_and_says_where_it_went() {
    let dir = Dir::new();
    let drive = dir.emu("d", "mt1959");
    let trace = dir.join("backup.jsonl");
    let run = dir
        .odflash()
        .traced(&trace)
        .args(["backup", &drive, "-o", "mine.odbk", "--json"])
        .run();
    run.ok();
    Trace::read(&trace).assert_no_writes();
    let report = run.json();
    assert_eq!(report["path"], "mine.odbk");
    assert_eq!(report["manifest"]["kind"], "backup");
    let path = dir.join("mine.odbk");
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );

    let parts = bundle(&path);
    let manifest = assert_manifest_matches(&parts);
    assert_eq!(manifest, report["manifest"]);
    let flash = dir.state("d").flash;
    // The firmware part is the raw read (first page mirrored), the unit data the drive's own.
    assert!(parts["firmware.bin"][MIRROR_PAGE..] == flash[MIRROR_PAGE..]);
    assert!(parts["identity.bin"] == window(&flash, IDENTITY));
    assert!(parts["calibration.bin"] == window(&flash, CALIBRATION));
    assert_eq!(manifest["device"]["identity"]["serial"], "EMU1959K0001");

    let text = dir
        .odflash()
        .args(["backup", &drive, "-o", "text.odbk"])
        .run();
    text.ok()
        .stdout_has("backup written and validated: text.odbk")
        .stdout_has("calibration.bin");
}

#[test]
fn backup_of_a_drive_in_recovery_works() {
    let dir = Dir::new();
    let run = dir
        .odflash()
        .args([
            "backup",
            "emu:mt1959,mode=boot",
            "-o",
            "boot.odbk",
            "--json",
        ])
        .run();
    run.ok();
    assert_manifest_matches(&bundle(&dir.join("boot.odbk")));
}

#[test]
fn identify_only_drives_are_not_read() {
    let dir = Dir::new();
    for args in [
        &["backup", "emu:dru-710a", "-o", "dvd.odbk"][..],
        &["dump", "emu:dru-710a", "-o", "dvd.bin"],
        &["eeprom", "dump", "emu:dru-710a", "-o", "dvd.ee"],
    ] {
        let trace = dir.join("dvd.jsonl");
        let run = dir.odflash().traced(&trace).args(args).run();
        run.code(UNSUPPORTED)
            .stderr_once("liteon-dvd drives are identify-only");
        let trace = Trace::read(&trace);
        trace.assert_no_writes();
        assert!(
            !trace.opcodes().contains(&0x3C),
            "a vendor read reached an identify-only drive: {:?}",
            trace.cdbs()
        );
    }
    for file in ["dvd.odbk", "dvd.bin", "dvd.ee"] {
        assert!(!dir.join(file).exists(), "{file} was written");
    }
}

#[test]
fn eeprom_dump_holds_the_drive_unit_data() {
    let dir = Dir::new();
    let drive = dir.emu("d", "mt1959");
    let run = dir
        .odflash()
        .args(["eeprom", "dump", &drive, "-o", "unit.bin", "--json"])
        .run();
    run.ok();
    assert_eq!(run.json()["path"], "unit.bin");
    assert_eq!(run.json()["manifest"]["kind"], "unit-data");
    let parts = bundle(&dir.join("unit.bin"));
    assert_manifest_matches(&parts);
    let flash = dir.state("d").flash;
    assert!(parts["identity.bin"] == window(&flash, IDENTITY));
    assert!(parts["calibration.bin"] == window(&flash, CALIBRATION));
}

#[test]
fn eeprom_restore_is_a_dry_run_by_default() {
    let dir = Dir::new();
    let drive = dir.emu("d", "mt1959");
    dir.odflash()
        .args(["eeprom", "dump", &drive, "-o", "unit.bin"])
        .run()
        .ok();
    let trace = dir.join("restore.jsonl");
    dir.odflash()
        .traced(&trace)
        .args(["eeprom", "restore", &drive, "unit.bin"])
        .run()
        .ok()
        .stdout_has("Restore unit data from unit.bin")
        .stdout_has("write identity     0x1ec000 +0x00100")
        .stdout_has("write calibration  0x1f0000 +0x10000")
        .stdout_has("Dry run: nothing was written. Add --execute to restore.");
    Trace::read(&trace).assert_no_writes();
}

#[test]
fn eeprom_restore_without_a_terminal_needs_the_risk_flag() {
    let dir = Dir::new();
    let drive = dir.emu("d", "mt1959");
    dir.odflash()
        .args(["eeprom", "dump", &drive, "-o", "unit.bin"])
        .run()
        .ok();
    let trace = dir.join("restore.jsonl");
    let run = dir
        .odflash()
        .traced(&trace)
        .args(["eeprom", "restore", &drive, "unit.bin", "--execute"])
        .args(["--backup-dir", "bk"])
        .run();
    run.code(USAGE)
        .stderr_has("without a terminal to confirm on: add --yes-i-understand-the-risk");
    Trace::read(&trace).assert_no_writes();
    assert!(!dir.join("bk").exists());
}

#[test]
fn eeprom_restore_repairs_a_drive_that_needs_attention() {
    let dir = Dir::new();
    // The same unit (same serial) saved while healthy; now its calibration window is blank.
    dir.odflash()
        .args(["eeprom", "dump", "emu:mt1959", "-o", "unit.bin"])
        .run()
        .ok();
    let drive = dir.emu("d", "mt1959,mode=needs-attention");
    dir.odflash()
        .args(["scan", "--timeout", "30", "--device", &drive])
        .run()
        .ok()
        .stdout_has("NEEDS ATTENTION");

    let trace = dir.join("restore.jsonl");
    let run = dir
        .odflash()
        .traced(&trace)
        .args(["eeprom", "restore", &drive, "unit.bin", "--execute"])
        .args([
            "--yes-i-understand-the-risk",
            "--backup-dir",
            "bk",
            "--json",
        ])
        .run();
    run.ok();
    let report = run.json();
    assert_eq!(report["plan"]["unit"], "same");
    // The mandatory backup went under --backup-dir, in the drive's own directory.
    let backup = report["backup"]["path"].as_str().unwrap();
    assert!(backup.starts_with("bk/mt19xx-EMU1959K0001/"), "{backup}");
    assert!(backup.ends_with(".odbk"), "{backup}");
    let saved = bundle(&dir.join(backup));
    assert_manifest_matches(&saved);
    assert!(
        saved["calibration.bin"].iter().all(|&b| b == 0xFF),
        "the backup holds the blank calibration it replaced"
    );

    // Exactly the two targeted write-backs, and the drive now holds the saved windows.
    assert_eq!(
        Trace::read(&trace)
            .cdbs()
            .iter()
            .filter(|c| c.starts_with("3b"))
            .collect::<Vec<_>>(),
        ["3b06001ec00000010000", "3b06001f000001000000"]
    );
    let parts = bundle(&dir.join("unit.bin"));
    let flash = dir.state("d").flash;
    assert!(parts["identity.bin"] == window(&flash, IDENTITY));
    assert!(parts["calibration.bin"] == window(&flash, CALIBRATION));
    let scan = dir
        .odflash()
        .args(["scan", "--timeout", "30", "--device", &drive])
        .run();
    scan.ok()
        .stdout_lacks("NEEDS ATTENTION")
        .stdout_has("no medium");
}

#[test]
fn eeprom_restore_refuses_another_drive_unless_told() {
    let dir = Dir::new();
    dir.odflash()
        .args([
            "eeprom",
            "dump",
            "emu:mt1959,serial=DONOR0000001",
            "-o",
            "donor.bin",
        ])
        .run()
        .ok();
    let drive = dir.emu("d", "mt1959");
    dir.odflash().args(["info", &drive]).run().ok();
    let before = dir.state("d").flash;
    let trace = dir.join("refused.jsonl");
    let run = dir
        .odflash()
        .traced(&trace)
        .args(["eeprom", "restore", &drive, "donor.bin", "--execute"])
        .args(["--yes-i-understand-the-risk", "--backup-dir", "bk"])
        .run();
    run.code(GATE)
        .stderr_has("unit data is not provably this drive's")
        .stderr_has("another unit of this model (the serials differ)")
        .stderr_has("serial DONOR0000001")
        .stderr_has("serial EMU1959K0001")
        .stderr_has("pass --from-other-drive");
    Trace::read(&trace).assert_no_writes();
    assert!(dir.state("d").flash == before);

    dir.odflash()
        .args([
            "eeprom",
            "restore",
            &drive,
            "donor.bin",
            "--from-other-drive",
        ])
        .run()
        .ok()
        .stdout_has("WARNING: the data comes from another unit of this model")
        .stdout_has("Dry run: nothing was written");

    let run = dir
        .odflash()
        .args([
            "eeprom",
            "restore",
            &drive,
            "donor.bin",
            "--from-other-drive",
        ])
        .args([
            "--execute",
            "--yes-i-understand-the-risk",
            "--backup-dir",
            "bk",
        ])
        .run();
    run.ok()
        .stdout_has("unit data restored and verified by read-back.");
    let donor = bundle(&dir.join("donor.bin"));
    let flash = dir.state("d").flash;
    assert!(donor["calibration.bin"] == window(&flash, CALIBRATION));
}

/// Regression: `-o /dev/null` as root once replaced /dev/null with a regular file, because
/// outputs are written by rename. A FIFO stands in for the device node here.
#[test]
fn output_onto_a_node_that_is_not_a_regular_file_is_refused() {
    let dir = Dir::new();
    let fifo = dir.join("fifo");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).unwrap();
    let fifo_arg = fifo.to_str().unwrap();
    for (args, code) in [
        (&["dump", "emu:mt1959", "-o", fifo_arg][..], USAGE),
        (&["eeprom", "dump", "emu:mt1959", "-o", fifo_arg], USAGE),
        (&["backup", "emu:mt1959", "-o", fifo_arg], 102),
        (
            &[
                "emu",
                "make-image",
                "--chip",
                "mt1959",
                "--model",
                "X",
                "-o",
                fifo_arg,
            ],
            USAGE,
        ),
    ] {
        dir.odflash()
            .args(args)
            .run()
            .code(code)
            .stderr_has("exists and is not a regular file");
        let kind = std::fs::symlink_metadata(&fifo).unwrap().file_type();
        assert!(
            std::os::unix::fs::FileTypeExt::is_fifo(&kind),
            "{args:?} replaced the FIFO"
        );
    }
}
