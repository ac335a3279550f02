//! `--experimental-reads` on the DVD-era drives: `eeprom dump`, `dump`, `backup` and `info`
//! on `emu:dru-710a` / `emu:sohw-1633s`, what their traces prove was sent, the refusal
//! without the flag, the refusing and challenge-wanting drives, and the blinking-LED
//! explanation in `info` and `rescue`.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use crate::cli_common::{self, Dir, Trace, OK, UNSUPPORTED};

use cli_common::BACKUP_FAILED;

/// Exit code 5: ILLEGAL REQUEST (what a refusing drive answers).
const ILLEGAL_REQUEST: i32 = 5;

/// A crossflashed unit as in the seed's story: DRU-710A firmware on a unit whose EEPROM
/// names a DRU-720A (the other compatibility group).
const CROSSFLASHED: &str = "emu:dru-710a,eeprom-model=DVD RW DRU-720A";

/// The trace's records as (cdb hex, direction, requested).
fn records(trace: &Trace) -> Vec<(String, String, u64)> {
    trace
        .records
        .iter()
        .map(|r| {
            (
                r["cdb"].as_str().unwrap().to_string(),
                r["direction"].as_str().unwrap().to_string(),
                r["requested"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// Identification opcodes: INQUIRY, TEST UNIT READY, REQUEST SENSE, GET CONFIGURATION, MODE
/// SENSE(10).
const IDENTIFICATION: [&str; 5] = ["12", "00", "03", "46", "5a"];

/// Assert every command in `trace` is identification or a data-in `DF <sub>` read of 128
/// bytes, none carries data out, and return the DF reads.
fn only_df_reads(trace: &Trace, sub: &str) -> Vec<String> {
    let mut reads = Vec::new();
    for (cdb, direction, requested) in records(trace) {
        assert_ne!(direction, "out", "data out reached the drive: {cdb}");
        if cdb.starts_with("df") {
            assert_eq!(&cdb[2..4], sub, "another DF command: {cdb}");
            assert_eq!((direction.as_str(), requested), ("in", 128), "{cdb}");
            assert_eq!(cdb.len(), 24, "a 12-byte CDB: {cdb}");
            reads.push(cdb);
        } else {
            assert!(
                IDENTIFICATION.contains(&&cdb[..2]),
                "not identification: {cdb}"
            );
        }
    }
    reads
}

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

#[test]
fn eeprom_dump_writes_1024_bytes_with_df_89_reads_only() {
    let dir = Dir::new();
    let trace = dir.join("t.jsonl");
    dir.odflash()
        .traced(&trace)
        .args(["eeprom", "dump", "emu:dru-710a", "-o", "ee.bin"])
        .arg("--experimental-reads")
        .run()
        .ok()
        .stdout_has("EEPROM of SONY DVD RW DRU-710A")
        .stdout_has("unconfirmed on hardware")
        .stderr_has("they only read");
    assert_eq!(std::fs::read(dir.join("ee.bin")).unwrap().len(), 1024);
    let reads = only_df_reads(&Trace::read(&trace), "89");
    let addresses: Vec<&str> = reads.iter().map(|c| &c[14..18]).collect();
    assert_eq!(
        addresses,
        ["0000", "0080", "0100", "0180", "0200", "0280", "0300", "0380"]
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("ee.bin.manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["kind"], "eeprom");
    assert_eq!(manifest["experimental"], true);
    assert_eq!(manifest["flashable"], false);
    assert_eq!(manifest["size"], 1024);
    assert_eq!(manifest["read"]["confirmed_on_hardware"], false);
    assert_eq!(manifest["read"]["commands"][0]["count"], 8);
    assert_eq!(manifest["device"]["identity"]["model"], "DVD RW DRU-710A");
    assert_eq!(manifest["sha256"].as_str().unwrap().len(), 64);
}

#[test]
fn without_the_flag_the_refusal_names_it_and_no_df_is_sent() {
    let dir = Dir::new();
    for args in [
        &["eeprom", "dump", "emu:dru-710a", "-o", "ee.bin"][..],
        &["dump", "emu:sohw-1633s", "-o", "fw.bin"],
        &["backup", "emu:dru-710a", "-o", "b.odbk"],
    ] {
        let trace = dir.join("t.jsonl");
        let run = dir.odflash().traced(&trace).args(args).run();
        run.code(UNSUPPORTED)
            .stderr_once("--experimental-reads")
            .stderr_has("nothing was sent");
        let trace = Trace::read(&trace);
        assert!(
            trace.opcodes().iter().all(|op| *op != 0xDF),
            "{args:?}: {:?}",
            trace.cdbs()
        );
        assert!(only_df_reads(&trace, "89").is_empty());
    }
    for file in ["ee.bin", "fw.bin", "b.odbk"] {
        assert!(!dir.join(file).exists(), "{file} was written");
    }
    // info without the flag reads no EEPROM either.
    let trace = dir.join("info.jsonl");
    dir.odflash()
        .traced(&trace)
        .args(["info", "emu:dru-710a"])
        .run()
        .ok()
        .stdout_lacks("Group hint");
    assert!(Trace::read(&trace).opcodes().iter().all(|op| *op != 0xDF));
}

#[test]
fn info_reads_the_eeprom_and_reports_the_group_mismatch() {
    let dir = Dir::new();
    let trace = dir.join("t.jsonl");
    let run = dir
        .odflash()
        .traced(&trace)
        .args(["info", CROSSFLASHED, "--experimental-reads"])
        .run();
    run.ok()
        .stdout_has("GROUP MISMATCH")
        .stdout_has("the EEPROM names a DRU-720A")
        .stdout_has("the firmware reports DVD RW DRU-710A")
        .stdout_has("flash firmware of the DRU-720A group")
        .stdout_has("likely");
    assert_eq!(only_df_reads(&Trace::read(&trace), "89").len(), 8);

    let json = dir
        .odflash()
        .args(["info", CROSSFLASHED, "--experimental-reads", "--json"])
        .run();
    let hint = &json.json()["eeprom"]["read"]["hint"];
    assert_eq!(hint["agreement"], "differs");
    assert_eq!(hint["unit_model"], "DRU-720A");
    assert!(hint["unit_group"].as_str().unwrap().contains("DRU-720A"));
    assert!(hint["firmware_group"]
        .as_str()
        .unwrap()
        .contains("DRU-710A"));

    // The drive's own EEPROM: same group, no mismatch.
    dir.odflash()
        .args(["info", "emu:dru-710a", "--experimental-reads"])
        .run()
        .ok()
        .stdout_has("same group")
        .stdout_lacks("MISMATCH");
}

#[test]
fn info_and_rescue_explain_the_blinking_led() {
    let dir = Dir::new();
    dir.odflash()
        .args(["info", "emu:dru-710a"])
        .run()
        .ok()
        .stdout_has("Blinking LED")
        .stdout_has("EEPROM-checksum mismatch")
        .stdout_has("not boot mode")
        .stdout_has("1673S/1693S with Sony DRU-720A/DRU-800A");
    let rescue = dir.odflash().args(["rescue", "emu:dru-710a"]).run();
    rescue
        .code(UNSUPPORTED)
        .stdout_has("LED:")
        .stdout_has("not boot mode")
        .stdout_has("odflash info emu:dru-710a --experimental-reads")
        .stdout_has("cannot: write the EEPROM");
    // A family with no blinking-LED explanation says nothing about LEDs.
    dir.odflash()
        .args(["info", "emu:mt1959"])
        .run()
        .ok()
        .stdout_lacks("Blinking LED");
}

#[test]
fn a_refusing_drive_is_a_clear_error_and_leaves_no_file() {
    let dir = Dir::new();
    let refused = "emu:dru-710a,vendor-reads=refused";
    for (args, code, file) in [
        (
            &["eeprom", "dump", refused, "-o", "ee.bin"][..],
            ILLEGAL_REQUEST,
            "ee.bin",
        ),
        (
            &["dump", refused, "-o", "fw.bin"],
            ILLEGAL_REQUEST,
            "fw.bin",
        ),
        (
            &["backup", refused, "-o", "b.odbk"],
            BACKUP_FAILED,
            "b.odbk",
        ),
    ] {
        let run = dir.odflash().args(args).arg("--experimental-reads").run();
        run.code(code)
            .stderr_has("ILLEGAL REQUEST (05/20/00)")
            .stderr_has("nothing was saved");
        assert!(!dir.join(file).exists(), "{file} was left behind");
        assert!(!dir.join(&format!("{file}.manifest.json")).exists());
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            0,
            "{args:?} left a file behind"
        );
    }
    dir.odflash()
        .args(["info", refused, "--experimental-reads"])
        .run()
        .code(ILLEGAL_REQUEST)
        .stderr_has("DF 89");
}

#[test]
fn a_drive_that_wants_the_challenge_gets_one_df_00_0a() {
    let dir = Dir::new();
    let trace = dir.join("t.jsonl");
    dir.odflash()
        .traced(&trace)
        .args(["eeprom", "dump", "emu:sohw-1633s,vendor-reads=challenge"])
        .args(["-o", "ee.bin", "--experimental-reads"])
        .run()
        .ok()
        .stdout_has("DF 00 0A get challenge key (128 bytes in) x1");
    let cdbs: Vec<String> = Trace::read(&trace)
        .cdbs()
        .into_iter()
        .filter(|c| c.starts_with("df"))
        .collect();
    assert_eq!(cdbs[1], "df000a000000000000000000");
    assert_eq!(cdbs.len(), 10);
    assert_eq!(std::fs::read(dir.join("ee.bin")).unwrap().len(), 1024);
}

#[test]
fn dump_writes_the_firmware_view_marked_logical_and_never_flashable() {
    let dir = Dir::new();
    let trace = dir.join("t.jsonl");
    dir.odflash()
        .traced(&trace)
        .args([
            "dump",
            "emu:dru-710a",
            "-o",
            "fw.bin",
            "--experimental-reads",
        ])
        .run()
        .ok()
        .stdout_has("NEVER FLASHABLE")
        .stdout_has("all 16 banks pass");
    let firmware = std::fs::read(dir.join("fw.bin")).unwrap();
    assert_eq!(firmware.len(), 0x10_0000);
    assert!((0..16).all(|bank| firmware[bank * 0x1_0000] == 0x02));
    let reads = only_df_reads(&Trace::read(&trace), "83");
    assert_eq!(reads.len(), 16 * 512);
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("fw.bin.manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["kind"], "firmware-view");
    assert_eq!(manifest["flashable"], false);
    let view = &manifest["read"]["firmware_view"];
    assert_eq!(view["logical_view"], true);
    assert_eq!(view["banks"], 16);
    assert_eq!(view["banks_failing_check"], serde_json::json!([]));
    // Nothing flashes it back: the chip-family gate refuses any image for these drives.
    dir.odflash()
        .args(["flash", "emu:dru-710a", "fw.bin"])
        .run()
        .code(UNSUPPORTED)
        .stdout_has("REFUSED  chip family");
}

#[test]
fn backup_writes_an_experimental_bundle_with_what_could_be_read() {
    let dir = Dir::new();
    let run = dir
        .odflash()
        .args([
            "backup",
            CROSSFLASHED,
            "-o",
            "b.odbk",
            "--experimental-reads",
        ])
        .run();
    run.ok()
        .stdout_has("EXPERIMENTAL bundle")
        .stdout_has("GROUP MISMATCH");
    let parts = bundle(&dir.join("b.odbk"));
    let names: Vec<&str> = parts.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "eeprom.bin",
            "firmware-view.bin",
            "inquiry.bin",
            "manifest.json"
        ]
    );
    assert_eq!(parts["eeprom.bin"].len(), 1024);
    assert_eq!(parts["firmware-view.bin"].len(), 0x10_0000);
    let manifest: serde_json::Value = serde_json::from_slice(&parts["manifest.json"]).unwrap();
    assert_eq!(manifest["kind"], "experimental");
    assert_eq!(manifest["experimental"]["confirmed_on_hardware"], false);
    assert_eq!(
        manifest["experimental"]["firmware_view"]["flashable"],
        false
    );
    assert_eq!(manifest["experimental"]["hint"]["agreement"], "differs");
    // Into the default layout under --backup-dir too; JSON names the file.
    let json = dir
        .odflash()
        .args(["backup", "emu:sohw-1633s", "--backup-dir", "bk"])
        .args(["--experimental-reads", "--json"])
        .run();
    json.ok();
    let path = json.json()["path"].as_str().unwrap().to_string();
    assert!(path.starts_with("bk/liteon-dvd-"), "{path}");
    assert!(dir.join(&path).exists());
}

#[test]
fn the_flag_changes_nothing_for_a_drive_with_public_reads() {
    let dir = Dir::new();
    let trace = dir.join("t.jsonl");
    dir.odflash()
        .traced(&trace)
        .args(["eeprom", "dump", "emu:mt1959", "-o", "unit.bin"])
        .arg("--experimental-reads")
        .run()
        .code(OK)
        .stdout_has("unit data of");
    assert!(Trace::read(&trace).opcodes().iter().all(|op| *op != 0xDF));
}
