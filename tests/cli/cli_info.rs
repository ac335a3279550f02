//! CLI tests: `odflash info` on emulated drives and on recorded traces (`replay:FILE`), and the
//! type-5 rule end to end: a device that is not an optical drive gets identification commands
//! only, and every command that could write refuses it.

use crate::cli_common;

use cli_common::{fixture, Dir, Run, Trace, TRANSPORT, UNSUPPORTED};
use serde_json::Value;

/// The value of `key` in `info`'s "Key  value" text.
fn field<'a>(run: &'a Run, key: &str) -> &'a str {
    run.stdout
        .lines()
        .find_map(|l| {
            l.strip_prefix(key)
                .filter(|rest| rest.starts_with("  "))
                .map(str::trim)
        })
        .unwrap_or_else(|| panic!("no {key:?} line:\n{}", run.stdout))
}

/// Commands the type-5 rule lets reach a device that is not an optical drive: INQUIRY, TEST
/// UNIT READY, REQUEST SENSE, GET CONFIGURATION, MODE SENSE(6) and MODE SENSE(10).
const IDENTIFICATION: [u8; 6] = [0x12, 0x00, 0x03, 0x46, 0x1A, 0x5A];

fn assert_identification_only(trace: &Trace) {
    trace.assert_no_writes();
    for op in trace.opcodes() {
        assert!(
            IDENTIFICATION.contains(&op),
            "opcode {op:#04x} reached a non-optical device: {:?}",
            trace.cdbs()
        );
    }
}

#[test]
fn info_shows_identity_family_state_and_capabilities() {
    let dir = Dir::new();
    let run = dir.odflash().args(["info", "emu:mt1959"]).run();
    run.ok();
    assert_eq!(field(&run, "Vendor"), "HL-DT-ST");
    assert_eq!(field(&run, "Model"), "BD-RE BU40N");
    assert_eq!(field(&run, "Revision"), "1.03");
    assert_eq!(field(&run, "Peripheral type"), "5 (CD/DVD/BD)");
    assert_eq!(field(&run, "Serial"), "EMU1959K0001");
    assert_eq!(field(&run, "Firmware date"), "2019-11-08 12:00");
    assert_eq!(field(&run, "Bus"), "emulated");
    assert!(field(&run, "Readiness").contains("02/3A/00"));
    assert_eq!(field(&run, "Chip family"), "mt19xx");
    assert_eq!(field(&run, "Chip"), "MT1959");
    assert!(field(&run, "Boot banner").starts_with("MT1959 Boot"));
    assert_eq!(field(&run, "State"), "no medium");
    assert_eq!(field(&run, "Loading"), "tray");
    run.stdout_lacks("identify-only");
}

#[test]
fn info_shows_recovery_and_needs_attention() {
    let dir = Dir::new();
    let boot = dir.odflash().args(["info", "emu:mt1959,mode=boot"]).run();
    boot.ok();
    assert_eq!(field(&boot, "Revision"), "BOOT");
    assert_eq!(field(&boot, "State"), "RECOVERY (boot loader)");
    // The boot loader's firmware date is all zeros: shown as absent, not an error.
    assert_eq!(field(&boot, "Firmware date"), "-");

    let attention = dir
        .odflash()
        .args(["info", "emu:mt1959,mode=needs-attention"])
        .run();
    attention.ok();
    assert!(field(&attention, "State").starts_with("NEEDS ATTENTION"));
    assert!(field(&attention, "Readiness").contains("02/04/03"));
}

#[test]
fn info_says_a_dvd_era_drive_is_identify_only() {
    let dir = Dir::new();
    let run = dir.odflash().args(["info", "emu:dru-710a"]).run();
    run.ok();
    assert_eq!(field(&run, "Vendor"), "SONY");
    assert_eq!(field(&run, "Model"), "DVD RW DRU-710A");
    assert_eq!(field(&run, "Chip family"), "liteon-dvd");
    assert!(field(&run, "Support").starts_with("identify-only: "));
}

#[test]
fn info_json_has_identity_family_state_and_capabilities() {
    let dir = Dir::new();
    let run = dir.odflash().args(["info", "emu:mt1959", "--json"]).run();
    run.ok();
    let v = run.json();
    assert_eq!(v["device"], "emu:mt1959");
    assert_eq!(v["emulated"], true);
    let p = &v["probe"];
    assert_eq!(p["inquiry"]["vendor"], "HL-DT-ST");
    assert_eq!(p["inquiry"]["product"], "BD-RE BU40N");
    assert_eq!(p["inquiry"]["revision"], "1.03");
    assert_eq!(p["inquiry"]["peripheral_type"], 5);
    assert_eq!(p["serial"], "EMU1959K0001");
    assert_eq!(p["firmware_date"], "2019-11-08 12:00");
    assert_eq!(p["readiness"]["readiness"], "no-medium");
    assert_eq!(p["readiness"]["sense"]["asc"], 0x3A);
    assert_eq!(p["family"]["id"], "mt19xx");
    assert_eq!(p["family"]["identity"]["chip"], "MT1959");
    assert_eq!(p["family"]["state"]["state"], "no-medium");
    assert!(p["capabilities"].is_object(), "{p:#}");
}

#[test]
fn info_is_read_only() {
    let dir = Dir::new();
    for device in ["emu:mt1959", "emu:mt1959,mode=boot", "emu:dru-710a"] {
        let trace = dir.join("info.jsonl");
        dir.odflash()
            .traced(&trace)
            .args(["info", device])
            .run()
            .ok();
        let trace = Trace::read(&trace);
        trace.assert_no_writes();
        assert!(
            trace
                .opcodes()
                .iter()
                .all(|op| [0x12, 0x00, 0x03, 0x46, 0x5A, 0x3C].contains(op)),
            "{device}: {:?}",
            trace.cdbs()
        );
    }
}

#[test]
fn replayed_trace_reports_what_the_drive_reported() {
    let dir = Dir::new();
    let live = dir.odflash().args(["info", "emu:mt1959", "--json"]).run();
    live.ok();
    let device = format!("replay:{}", fixture("mt1959-info.jsonl").display());
    let replayed = dir.odflash().args(["info", &device, "--json"]).run();
    replayed.ok();
    let replayed = replayed.json();
    assert_eq!(replayed["device"], device.as_str());
    assert_eq!(replayed["emulated"], false);
    // Everything the drive said is the same; only where it is attached differs.
    assert_eq!(replayed["probe"], live.json()["probe"]);

    let text = dir.odflash().args(["info", &device]).run();
    text.ok();
    assert_eq!(field(&text, "Model"), "BD-RE BU40N");
    assert_eq!(field(&text, "State"), "no medium");
    assert_eq!(field(&text, "Bus"), "unknown");
}

#[test]
fn mt1959_fixture_matches_a_fresh_recording() {
    let dir = Dir::new();
    let fresh = dir.join("fresh.jsonl");
    dir.odflash()
        .traced(&fresh)
        .args(["--trace-payload", "info", "emu:mt1959"])
        .run()
        .ok();
    let fresh = Trace::read(&fresh);
    let committed = Trace::read(&fixture("mt1959-info.jsonl"));
    let key = |t: &Trace| -> Vec<(Value, Value)> {
        t.records
            .iter()
            .map(|r| (r["cdb"].clone(), r["payload"].clone()))
            .collect()
    };
    assert_eq!(
        key(&fresh),
        key(&committed),
        "the probe changed: re-record tests/data/cli/mt1959-info.jsonl (see its README)"
    );
}

#[test]
fn replay_of_a_non_mediatek_drive() {
    let dir = Dir::new();
    let device = format!("replay:{}", fixture("pioneer-bdr209m-info.jsonl").display());
    let run = dir.odflash().args(["info", &device]).run();
    run.ok();
    assert_eq!(field(&run, "Vendor"), "PIONEER");
    assert_eq!(field(&run, "Model"), "BD-RW   BDR-209M");
    assert_eq!(field(&run, "Revision"), "1.51");
    assert_eq!(field(&run, "Serial"), "SJDL012345WL");
    assert_eq!(
        field(&run, "Chip family"),
        "unknown (not a known MediaTek drive)"
    );
    run.stdout_lacks("Boot banner");

    // Flashing a drive no family claims is refused before anything beyond INQUIRY.
    let image = dir.bu40n("upgrade.bin", "1.04");
    let trace = dir.join("flash.jsonl");
    dir.odflash()
        .traced(&trace)
        .arg("flash")
        .arg(&device)
        .arg(&image)
        .args(["--execute", "--yes-i-understand-the-risk"])
        .run()
        .code(UNSUPPORTED)
        .stderr_has("no known chip family claims")
        .stderr_has("PIONEER BD-RW   BDR-209M 1.51");
    assert_identification_only(&Trace::read(&trace));
}

#[test]
fn replay_mismatch_is_a_clear_error() {
    let dir = Dir::new();
    let recorded = std::fs::read_to_string(fixture("mt1959-info.jsonl")).unwrap();
    let lines: Vec<&str> = recorded.lines().collect();

    // The trace ends before the probe does.
    let short = dir.write("short.jsonl", lines[..3].join("\n"));
    let run = dir
        .odflash()
        .arg("info")
        .arg(format!("replay:{}", short.display()))
        .run();
    run.code(TRANSPORT)
        .stderr_has("replay mismatch")
        .stderr_has("command 4: trace exhausted, got CDB 3c060000300000002000");

    // The tool sends a command other than the one in the trace.
    let swapped = lines[1].replacen("\"cdb\":\"000000000000\"", "\"cdb\":\"030000001200\"", 1);
    let mut edited = lines.clone();
    edited[1] = &swapped;
    let other = dir.write("other.jsonl", edited.join("\n"));
    dir.odflash()
        .arg("info")
        .arg(format!("replay:{}", other.display()))
        .run()
        .code(TRANSPORT)
        .stderr_has("command 2: expected CDB 030000001200, got 000000000000");

    // A trace recorded without --trace-payload cannot answer data-in commands.
    let bare = dir.join("bare.jsonl");
    dir.odflash()
        .traced(&bare)
        .args(["info", "emu:mt1959"])
        .run()
        .ok();
    dir.odflash()
        .arg("info")
        .arg(format!("replay:{}", bare.display()))
        .run()
        .code(TRANSPORT)
        .stderr_has("record the trace with payloads");
}

#[test]
fn a_disk_gets_identification_commands_only() {
    let dir = Dir::new();
    let device = format!("replay:{}", fixture("disk-type0-info.jsonl").display());
    let trace = dir.join("info.jsonl");
    let run = dir.odflash().traced(&trace).args(["info", &device]).run();
    run.ok();
    assert_eq!(field(&run, "Peripheral type"), "0 (disk)");
    assert_eq!(field(&run, "Vendor"), "ATA");
    assert_eq!(field(&run, "Serial"), "S5Y2NX0R123456A");
    assert_eq!(
        field(&run, "Chip family"),
        "unknown (not a known MediaTek drive)"
    );
    assert_identification_only(&Trace::read(&trace));
}

#[test]
fn a_disk_that_answers_like_a_mediatek_drive_still_gets_identification_only() {
    let dir = Dir::new();
    // The disk's GET CONFIGURATION 0x010C answers with a firmware date, as an MT19xx drive
    // does: the MT19xx probe's first sign. Its next step (the banner READ BUFFER) must not
    // reach a type 0 device.
    let recorded = std::fs::read_to_string(fixture("disk-type0-info.jsonl")).unwrap();
    let mt_date = r#"{"cdb":"4602010c000000001c00","direction":"in","requested":28,"transferred":28,"status":0,"payload":"0000001800000000010c031032303139313130383132303030300000"}"#;
    let lines: Vec<&str> = recorded
        .lines()
        .map(|l| {
            if l.starts_with(r#"{"cdb":"4602010c"#) {
                mt_date
            } else {
                l
            }
        })
        .collect();
    let disk = dir.write("disk.jsonl", lines.join("\n"));
    let device = format!("replay:{}", disk.display());
    let trace = dir.join("info.jsonl");
    let run = dir.odflash().traced(&trace).args(["info", &device]).run();
    run.ok();
    assert_eq!(field(&run, "Peripheral type"), "0 (disk)");
    assert_eq!(field(&run, "Firmware date"), "2019-11-08 12:00:00");
    assert_identification_only(&Trace::read(&trace));
}

#[test]
fn every_command_that_could_write_refuses_a_disk() {
    let dir = Dir::new();
    let device = format!("replay:{}", fixture("disk-type0-info.jsonl").display());
    let image = dir.bu40n("upgrade.bin", "1.04");
    let unit_data = dir.join("unit.bin");
    dir.odflash()
        .args(["eeprom", "dump", "emu:mt1959", "-o"])
        .arg(&unit_data)
        .run()
        .ok();
    let image = image.to_str().unwrap();
    let unit_data = unit_data.to_str().unwrap();
    let commands: [&[&str]; 6] = [
        &[
            "flash",
            &device,
            image,
            "--execute",
            "--yes-i-understand-the-risk",
        ],
        &["dump", &device, "-o", "dump.bin"],
        &["backup", &device, "-o", "backup.odbk"],
        &["eeprom", "dump", &device, "-o", "unit-copy.bin"],
        &[
            "eeprom",
            "restore",
            &device,
            unit_data,
            "--execute",
            "--yes-i-understand-the-risk",
        ],
        &["image", "check", image, "--for", &device],
    ];
    for args in commands {
        let trace = dir.join("refused.jsonl");
        dir.odflash()
            .traced(&trace)
            .args(args)
            .run()
            .code(UNSUPPORTED)
            .stderr_has("is peripheral type 0, not an optical drive (type 5)");
        assert_identification_only(&Trace::read(&trace));
    }
    for output in ["dump.bin", "backup.odbk", "unit-copy.bin"] {
        assert!(!dir.join(output).exists(), "{output} was written");
    }
}
