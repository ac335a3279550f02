//! CLI tests: the command a failed write suggests carries the user's options (backup
//! directory, waivers, risk acknowledgement), and running it as printed works on the same
//! drive (a state-file emulated drive) with the same backups.

use crate::cli_common;

use std::path::{Path, PathBuf};

use cli_common::{Dir, Run, INTERRUPTED};

/// The suggested command of a failure: the words after "next: " on the error line, split as
/// a POSIX shell would. The first word is `odflash` (emulated drives need no sudo).
fn suggested(run: &Run) -> Vec<String> {
    let line = run.error_line();
    let (_, next) = line
        .split_once("next: ")
        .unwrap_or_else(|| panic!("no next command in {line}"));
    let words = shlex::split(next).unwrap_or_else(|| panic!("unquotable: {next}"));
    assert_eq!(words[0], "odflash", "{next}");
    words
}

/// Run a suggested command in `dir` as printed.
fn run_suggested(dir: &Dir, words: &[String]) -> Run {
    dir.odflash().args(&words[1..]).run()
}

/// The backup bundles under `base` (any drive directory).
fn bundles(base: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for dir in std::fs::read_dir(base).into_iter().flatten().flatten() {
        for f in std::fs::read_dir(dir.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            if f.path().extension().is_some_and(|x| x == "odbk") {
                found.push(f.path());
            }
        }
    }
    found
}

/// The drive loses power.
const POWER_LOSS: &str = r#"{"kind":"power-loss"}"#;

/// A desktop-group image for the slim BU40N drive: only `--crossflash` lets it through.
fn crossflash_image(dir: &Dir) -> PathBuf {
    dir.image(
        "wh16.bin",
        &[
            "--chip",
            "mt1959",
            "--model",
            "BD-RE WH16NS60",
            "--revision",
            "1.04",
        ],
    )
}

/// A drive `d` whose first command matching `trigger` meets `action` (once: the fault's
/// progress lives in the state file).
fn drive_with_fault(dir: &Dir, trigger: &str, action: &str) -> String {
    let plan = dir.faults(
        "fault.json",
        &format!(r#"{{"faults":[{{"trigger":{trigger},"action":{action}}}]}}"#),
    );
    let device = dir.emu("d", &format!("mt1959,faults={}", plan.display()));
    dir.odflash().args(["info", &device]).run().ok();
    device
}

/// `flash --execute --yes-i-understand-the-risk --crossflash --backup-dir BASE`.
fn flash_crossflash(dir: &Dir, device: &str, image: &Path, base: &Path) -> Run {
    dir.odflash()
        .args(["flash", device])
        .arg(image)
        .args(["--execute", "--yes-i-understand-the-risk", "--crossflash"])
        .arg("--backup-dir")
        .arg(base)
        .run()
}

#[test]
fn a_failed_flash_suggests_a_flash_with_the_users_backup_dir_and_waivers_that_works() {
    let dir = Dir::new();
    let device = drive_with_fault(&dir, r#"{"phase":"stream","offset":1048576}"#, POWER_LOSS);
    let image = crossflash_image(&dir);
    let base = dir.join("my backups");

    let run = flash_crossflash(&dir, &device, &image, &base);
    run.code(INTERRUPTED);
    let words = suggested(&run);
    assert_eq!(
        words[1..3],
        ["flash".to_string(), device.clone()],
        "{words:?}"
    );
    for flag in ["--execute", "--crossflash", "--yes-i-understand-the-risk"] {
        assert!(words.iter().any(|w| w == flag), "{flag} missing: {words:?}");
    }
    let dir_arg = words.iter().position(|w| w == "--backup-dir");
    assert_eq!(
        dir_arg.map(|i| PathBuf::from(&words[i + 1])),
        Some(base.clone()),
        "{words:?}"
    );
    assert_eq!(
        bundles(&base).len(),
        1,
        "the first flash backed up into the user's dir"
    );

    // Power the drive on (what the failure report asks for): its first answer is UNIT
    // ATTENTION, which identification does not retry.
    dir.odflash().args(["info", &device]).run().ok();
    // Run as printed: the same drive flashes, its backup goes to the same directory.
    run_suggested(&dir, &words)
        .ok()
        .stdout_has("Flash complete.");
    assert_eq!(
        bundles(&base).len(),
        2,
        "the suggested flash backed up elsewhere"
    );
}

#[test]
fn an_interrupted_burn_suggests_a_rescue_with_the_users_options_that_works() {
    let dir = Dir::new();
    let device = drive_with_fault(&dir, r#"{"phase":"burn"}"#, POWER_LOSS);
    let image = crossflash_image(&dir);
    let base = dir.join("bk");

    let run = flash_crossflash(&dir, &device, &image, &base);
    run.code(INTERRUPTED);
    let words = suggested(&run);
    assert_eq!(
        words[1..3],
        ["rescue".to_string(), device.clone()],
        "{words:?}"
    );
    for flag in ["--execute", "--crossflash", "--yes-i-understand-the-risk"] {
        assert!(words.iter().any(|w| w == flag), "{flag} missing: {words:?}");
    }

    // The rescue as printed needs the carried waiver for this image, and takes its backup
    // in the user's directory.
    run_suggested(&dir, &words)
        .ok()
        .stdout_has("WAIVED   model")
        .stdout_has("Flash complete.");
    assert_eq!(bundles(&base).len(), 2, "{:?}", bundles(&base));
}

#[test]
fn a_failed_unit_data_restore_suggests_a_restore_into_the_same_backup_dir() {
    let dir = Dir::new();
    let device = drive_with_fault(
        &dir,
        r#"{"opcode":59,"offset":2031616}"#,
        r#"{"kind":"sense","key":4,"asc":68,"ascq":0}"#,
    );
    let unit = dir.join("unit.odbk");
    dir.odflash()
        .args(["eeprom", "dump", &device, "-o"])
        .arg(&unit)
        .run()
        .ok();
    let base = dir.join("bk");

    let run = dir
        .odflash()
        .args(["eeprom", "restore", &device])
        .arg(&unit)
        .args(["--execute", "--yes-i-understand-the-risk", "--backup-dir"])
        .arg(&base)
        .run();
    run.code(INTERRUPTED);
    let words = suggested(&run);
    assert_eq!(
        words[1..5],
        ["eeprom", "restore", &device, &unit.display().to_string()],
        "{words:?}"
    );
    assert!(
        words.iter().any(|w| w == "--yes-i-understand-the-risk"),
        "{words:?}"
    );
    let dir_arg = words.iter().position(|w| w == "--backup-dir");
    assert_eq!(
        dir_arg.map(|i| PathBuf::from(&words[i + 1])),
        Some(base.clone())
    );

    run_suggested(&dir, &words)
        .ok()
        .stdout_has("unit data restored and verified");
    assert_eq!(bundles(&base).len(), 2, "{:?}", bundles(&base));
}
