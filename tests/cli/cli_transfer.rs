//! CLI tests: what one command's data phase may carry. A write the drive took only part of
//! (GOOD status, a residual) is a failed write, before the point of no return as at it; a path
//! that carries less per command than a write needs is refused before the first write.

use crate::cli_common;

use cli_common::{next_step, Dir, Run, Trace, GATE, INTERRUPTED};
use serde_json::Value;

/// Flash offset of chunk 65 of 128 (the first chunk of the second MiB).
const CHUNK_65: u32 = 0x10_0000;
/// Flash offset of chunk 128 of 128: the chunk that starts the burn.
const CHUNK_128: u32 = 0x1F_C000;

/// A drive whose next stream chunk at `offset` moves only 100 bytes, with GOOD status.
fn short_write_drive(dir: &Dir, offset: u32) -> String {
    let plan = dir.faults(
        "short.json",
        &format!(
            r#"{{"faults":[{{"trigger":{{"phase":"stream","offset":{offset}}},
                "action":{{"kind":"short-transfer","bytes":100}}}}]}}"#
        ),
    );
    dir.created_drive(&format!("mt1959,faults={}", plan.display()))
}

/// `odflash ARGS` traced to `name`.
fn traced(dir: &Dir, name: &str, args: &[&str]) -> (Run, Trace) {
    let trace = dir.join(name);
    let run = dir.odflash().traced(&trace).args(args).run();
    (run, Trace::read(&trace))
}

/// The trace record of the stream chunk written at `offset`.
fn chunk_record(trace: &Trace, offset: u32) -> &Value {
    let cdb = format!("3b0600{:06x}004000", offset);
    trace
        .records
        .iter()
        .find(|r| r["cdb"].as_str().is_some_and(|c| c.starts_with(&cdb)))
        .unwrap_or_else(|| panic!("no chunk at {offset:#x} in {:?}", trace.cdbs()))
}

fn assert_no_commit(trace: &Trace) {
    assert!(
        !trace.cdbs().iter().any(|c| c.starts_with("3b07")),
        "a COMMIT followed a short write: {:?}",
        trace.cdbs()
    );
}

#[test]
fn a_short_write_before_the_last_chunk_aborts_with_nothing_burned() {
    let dir = Dir::new();
    let device = short_write_drive(&dir, CHUNK_65);
    let before = dir.state("d").flash;
    let image = dir.bu40n("upgrade.bin", "1.04");

    let (run, trace) = dir.flash_execute(&device, &image, &[]);
    run.code(INTERRUPTED);
    let error = run.error_line();
    assert!(
        error.contains("streaming chunk 65/128 at 0x100000"),
        "{error}"
    );
    assert!(error.contains("moved 100 of the 16384 bytes"), "{error}");
    assert!(error.contains("nothing was burned"), "{error}");
    let next = next_step("flash", &device, &image, " --execute");
    assert!(error.contains(&next), "{error}");
    // The trace shows what the drive reported: GOOD, 100 bytes moved; nothing after it.
    let short = chunk_record(&trace, CHUNK_65);
    assert_eq!(short["status"], 0);
    assert_eq!(short["transferred"], 100);
    assert_eq!(
        trace.records.last(),
        Some(short),
        "a command followed the short chunk"
    );
    assert_no_commit(&trace);
    assert!(dir.state("d").flash == before, "the flash changed");
    dir.odflash()
        .args(["info", &device])
        .run()
        .ok()
        .stdout_has("Revision         1.03");
}

#[test]
fn a_short_last_chunk_is_never_committed_and_says_the_burn_may_be_partial() {
    let dir = Dir::new();
    let device = short_write_drive(&dir, CHUNK_128);
    let image = dir.bu40n("upgrade.bin", "1.04");

    let (run, trace) = dir.flash_execute(&device, &image, &[]);
    run.code(INTERRUPTED);
    let error = run.error_line();
    assert!(
        error.contains("streaming chunk 128/128 at 0x1fc000"),
        "{error}"
    );
    assert!(error.contains("moved 100 of the 16384 bytes"), "{error}");
    assert!(
        error.contains("the burn may have been interrupted or be partial"),
        "{error}"
    );
    assert!(error.contains("boot loader"), "{error}");
    assert!(!error.contains("nothing was burned"), "{error}");
    let next = next_step("rescue", &device, &image, "");
    assert!(error.contains(&next), "{error}");
    assert_eq!(chunk_record(&trace, CHUNK_128)["transferred"], 100);
    assert_no_commit(&trace);
    assert_eq!(trace.writes(), 129, "PREPARE and 128 chunks, nothing after");
}

/// The refusal a 4 KiB path gives for a write that needs `needed` in one command.
fn assert_narrow_path(run: &Run, command: &str, needed: &str) {
    run.code(GATE);
    let error = run.error_line();
    assert!(
        error.contains(&format!(
            "the path to the drive carries at most 4 KiB per command, but the mt19xx \
             {command} needs {needed} in one command: nothing was written"
        )),
        "{error}"
    );
    assert!(
        error.contains("connect the drive over SATA or through another USB bridge"),
        "{error}"
    );
}

#[test]
fn a_path_too_narrow_for_a_chunk_refuses_the_flash_before_any_write() {
    let dir = Dir::new();
    let device = dir.created_drive("mt1959,max-transfer=4k");
    let before = dir.state("d").flash;
    let image = dir.bu40n("upgrade.bin", "1.04");

    let (run, trace) = dir.flash_execute(&device, &image, &[]);
    assert_narrow_path(&run, "image download", "16 KiB");
    trace.assert_no_writes();
    assert!(
        !dir.join("bk").exists(),
        "no backup for a flash that cannot run"
    );
    assert!(dir.state("d").flash == before);
    // The dry run says so too, rather than a plan that cannot be carried out.
    let image = image.to_str().unwrap();
    let (run, trace) = traced(&dir, "dry.jsonl", &["flash", &device, image]);
    assert_narrow_path(&run, "image download", "16 KiB");
    trace.assert_no_writes();
}

#[test]
fn a_path_too_narrow_for_the_calibration_window_refuses_the_restore_before_any_write() {
    let dir = Dir::new();
    let device = dir.created_drive("mt1959,max-transfer=4k");
    // Reads fit the path: the dump reads in 4 KiB pieces.
    dir.odflash()
        .args(["eeprom", "dump", &device, "-o", "unit.bin"])
        .run()
        .ok();
    let before = dir.state("d").flash;

    let args = [
        "eeprom",
        "restore",
        &device,
        "unit.bin",
        "--execute",
        "--yes-i-understand-the-risk",
        "--backup-dir",
        "bk",
    ];
    let (run, trace) = traced(&dir, "restore.jsonl", &args);
    // The identity window (256 bytes) would fit; the calibration window (64 KiB) does not,
    // so neither is written.
    assert_narrow_path(&run, "calibration window write", "64 KiB");
    trace.assert_no_writes();
    assert!(
        !dir.join("bk").exists(),
        "no backup for a restore that cannot run"
    );
    assert!(dir.state("d").flash == before);
}
