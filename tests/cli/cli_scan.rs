//! CLI tests: `odflash scan`, with emulated drives beside the (absent) real ones.

use crate::cli_common;

use cli_common::{Dir, Run, Trace};
use serde_json::Value;

/// The table row of `device` (rows start with the DEVICE column).
fn row<'a>(run: &'a Run, device: &str) -> &'a str {
    let prefix = format!("{device} (emulated) ");
    run.stdout
        .lines()
        .find(|l| l.starts_with(&prefix))
        .unwrap_or_else(|| panic!("no row for {device}:\n{}", run.stdout))
}

/// The JSON entry of `device`.
fn entry<'a>(list: &'a Value, device: &str) -> &'a Value {
    list.as_array()
        .expect("scan --json prints an array")
        .iter()
        .find(|e| e["device"] == device)
        .unwrap_or_else(|| panic!("no entry for {device} in {list:#}"))
}

/// True when this host has SCSI generic nodes: then "no drive" cannot be tested here.
fn host_has_sg_nodes() -> bool {
    std::fs::read_dir("/sys/class/scsi_generic").is_ok_and(|mut d| d.next().is_some())
}

const APP: &str = "emu:mt1959";
const BOOT: &str = "emu:mt1959,mode=boot";
const ATTENTION: &str = "emu:mt1959,mode=needs-attention";
const DVD: &str = "emu:dru-710a";

#[test]
fn no_drive_says_so_and_succeeds() {
    if host_has_sg_nodes() {
        eprintln!("skipped: this host has SCSI generic devices");
        return;
    }
    let dir = Dir::new();
    dir.odflash()
        .args(["scan", "--timeout", "30"])
        .run()
        .ok()
        .stdout_has("No optical drives found.")
        .stdout_has("--device emu:mt1959");
    let json = dir
        .odflash()
        .args(["scan", "--timeout", "30", "--json"])
        .run();
    json.ok();
    assert_eq!(json.json(), Value::Array(vec![]));
}

#[test]
fn emulated_drives_are_listed_marked_with_family_and_state() {
    let dir = Dir::new();
    let run = dir
        .odflash()
        .args(["scan", "--timeout", "30"])
        .args(["--device", APP, "--device", BOOT, "--device", ATTENTION])
        .args(["--device", DVD])
        .run();
    run.ok().stdout_lacks("No optical drives found");
    let header = run.stdout.lines().next().unwrap();
    for column in ["DEVICE", "MODEL", "BUS", "FAMILY", "STATE", "READINESS"] {
        assert!(header.contains(column), "{header}");
    }

    let app = row(&run, APP);
    for text in [
        "HL-DT-ST",
        "BD-RE BU40N",
        "1.03",
        "emulated",
        "mt19xx",
        "no medium",
    ] {
        assert!(app.contains(text), "{text:?} missing from {app:?}");
    }
    let boot = row(&run, BOOT);
    for text in ["BOOT", "mt19xx", "RECOVERY (boot loader)", "02/04/00"] {
        assert!(boot.contains(text), "{text:?} missing from {boot:?}");
    }
    let attention = row(&run, ATTENTION);
    for text in ["mt19xx", "NEEDS ATTENTION", "calibration", "02/04/03"] {
        assert!(
            attention.contains(text),
            "{text:?} missing from {attention:?}"
        );
    }
    let dvd = row(&run, DVD);
    for text in ["SONY", "DVD RW DRU-710A", "liteon-dvd", "no medium"] {
        assert!(dvd.contains(text), "{text:?} missing from {dvd:?}");
    }
}

#[test]
fn json_lists_every_drive_with_probe_family_and_state() {
    let dir = Dir::new();
    let run = dir
        .odflash()
        .args(["scan", "--timeout", "30", "--json"])
        .args(["--device", APP, "--device", BOOT, "--device", ATTENTION])
        .args(["--device", DVD])
        .run();
    run.ok();
    let list = run.json();
    assert_eq!(list.as_array().unwrap().len(), 4);
    for device in [APP, BOOT, ATTENTION, DVD] {
        let e = entry(&list, device);
        assert_eq!(e["emulated"], true, "{e:#}");
        assert_eq!(e["sysfs"], Value::Null, "{e:#}");
        assert_eq!(e["probe"]["outcome"], "done", "{e:#}");
        assert_eq!(e["probe"]["inquiry"]["peripheral_type"], 5, "{e:#}");
    }

    let app = &entry(&list, APP)["probe"];
    assert_eq!(app["inquiry"]["vendor"], "HL-DT-ST");
    assert_eq!(app["inquiry"]["product"], "BD-RE BU40N");
    assert_eq!(app["readiness"]["readiness"], "no-medium");
    assert_eq!(app["family"]["id"], "mt19xx");
    assert_eq!(app["family"]["identity"]["chip"], "MT1959");
    assert_eq!(app["family"]["identity"]["serial"], "EMU1959K0001");
    assert_eq!(app["family"]["state"]["state"], "no-medium");
    assert_eq!(app["family"]["identify_only"], Value::Null);

    let boot = &entry(&list, BOOT)["probe"];
    assert_eq!(boot["inquiry"]["revision"], "BOOT");
    assert_eq!(boot["family"]["state"]["state"], "recovery");

    let attention = &entry(&list, ATTENTION)["probe"]["family"]["state"];
    assert_eq!(attention["state"], "needs-attention");
    assert!(
        attention["reason"].as_str().unwrap().contains("0x1F0000"),
        "{attention:#}"
    );

    let dvd = &entry(&list, DVD)["probe"]["family"];
    assert_eq!(dvd["id"], "liteon-dvd");
    assert_eq!(dvd["identity"]["model"], "DVD RW DRU-710A");
    assert!(
        dvd["identify_only"]
            .as_str()
            .unwrap()
            .contains("not public"),
        "{dvd:#}"
    );
}

#[test]
fn emulated_drives_can_come_from_the_environment() {
    let dir = Dir::new();
    let run = dir
        .odflash()
        .env("ODFLASH_EMU", &format!("{APP};{DVD}"))
        .args(["scan", "--timeout", "30"])
        .run();
    run.ok();
    row(&run, APP);
    row(&run, DVD);
}

#[test]
fn a_device_option_is_one_device_even_with_a_semicolon() {
    let dir = Dir::new();
    let device = "emu:mt1959,vendor=A;B";
    let run = dir
        .odflash()
        .args(["scan", "--timeout", "30", "--json", "--device", device])
        .run();
    run.ok();
    let list = run.json();
    assert_eq!(entry(&list, device)["device"], device);
}

#[test]
fn scan_sends_only_read_only_commands() {
    let dir = Dir::new();
    let trace = dir.join("scan.jsonl");
    dir.odflash()
        .traced(&trace)
        .args(["scan", "--timeout", "30"])
        .args(["--device", APP, "--device", BOOT, "--device", ATTENTION])
        .args(["--device", DVD])
        .run()
        .ok();
    let trace = Trace::read(&trace);
    trace.assert_no_writes();
    // INQUIRY, TEST UNIT READY, REQUEST SENSE, GET CONFIGURATION, MODE SENSE(10), READ BUFFER.
    for op in trace.opcodes() {
        assert!(
            [0x12, 0x00, 0x03, 0x46, 0x5A, 0x3C].contains(&op),
            "scan sent opcode {op:#04x}: {:?}",
            trace.cdbs()
        );
    }
    // All four drives were probed into the one trace file.
    assert!(trace.opcodes().iter().filter(|&&op| op == 0x12).count() >= 4);
}

#[test]
fn a_drive_that_never_answers_is_reported_and_the_others_still_listed() {
    let dir = Dir::new();
    // The first command (INQUIRY) gets no answer; with the real clock the emulator blocks for
    // the command's whole timeout (10 s for INQUIRY), far beyond the scan's deadline. The
    // deadline is generous so the healthy drives answer in time on a loaded 2-core CI machine.
    let plan = dir.faults(
        "hang.json",
        r#"{"faults":[{"trigger":{"command":1},"action":{"kind":"timeout"}}]}"#,
    );
    let hung = format!("emu:mt1959,clock=real,faults={}", plan.display());
    let run = dir
        .odflash()
        .args(["scan", "--timeout", "3"])
        .args(["--device", &hung, "--device", DVD, "--device", APP])
        .run();
    run.ok();
    assert!(
        row(&run, &hung).contains("no answer within 3000 ms"),
        "{}",
        run.stdout
    );
    assert!(row(&run, DVD).contains("DVD RW DRU-710A"));
    assert!(row(&run, APP).contains("BD-RE BU40N"));

    let json = dir
        .odflash()
        .args(["scan", "--json", "--timeout", "3"])
        .args(["--device", &hung, "--device", DVD])
        .run();
    json.ok();
    let list = json.json();
    let probe = &entry(&list, &hung)["probe"];
    assert_eq!(probe["outcome"], "timed-out", "{probe:#}");
    assert_eq!(probe["after_ms"], 3000, "{probe:#}");
    assert_eq!(entry(&list, DVD)["probe"]["outcome"], "done");
}

#[test]
fn a_drive_that_cannot_be_opened_is_reported_beside_the_others() {
    let dir = Dir::new();
    let run = dir
        .odflash()
        .args([
            "scan",
            "--timeout",
            "30",
            "--device",
            "emu:mt2000",
            "--device",
            APP,
        ])
        .run();
    run.ok();
    assert!(row(&run, "emu:mt2000").contains("error: cannot open emu:mt2000"));
    assert!(row(&run, APP).contains("mt19xx"));
}
