//! Opening DEVICE arguments: emulated drives, traces, and errors mapped to exit codes.

use std::os::unix::fs::MetadataExt;

use odflash::ops::drive::identify;
use odflash::ops::lock::{Activity, LockMode};
use odflash::ops::open::{open, Intent, OpenOptions};
use odflash::ops::{Error, ExitCode};
use odflash::scsi::trace::Payload;

#[test]
fn emu_device_opens_and_identifies_through_the_guard() {
    let mut dev = open("emu:mt1959", &OpenOptions::default()).unwrap();
    assert!(dev.lock.is_none(), "no other process can reach it");
    let drive = identify(&mut dev).unwrap();
    assert_eq!(drive.identity.model, "BD-RE BU40N");
    assert!(drive.flash_access().is_ok());
}

#[test]
fn trace_records_one_json_line_per_command() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("trace.jsonl");
    let opts = OpenOptions {
        trace: Some((trace.clone(), Payload::Omit)),
        ..OpenOptions::default()
    };
    let mut dev = open("emu:mt1959", &opts).unwrap();
    identify(&mut dev).unwrap();
    drop(dev);
    let text = std::fs::read_to_string(&trace).unwrap();
    let records = odflash::scsi::trace::parse_trace(&text).unwrap();
    assert!(records.len() >= 3, "{} records", records.len());
    assert_eq!(records[0].opcode(), Some(0x12), "INQUIRY first");
}

#[test]
fn emulated_drive_lock_beside_its_state_file_survives_every_save() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("drive.json");
    let spec = format!("emu:mt1959,state-file={}", state.display());
    let writing = OpenOptions {
        intent: Intent::Write,
        ..OpenOptions::default()
    };
    let mut writer = open(&spec, &writing).unwrap();
    let lock = writer.lock.as_ref().unwrap();
    assert_eq!(lock.path(), dir.path().join("drive.json.lock"));
    assert_eq!(lock.mode(), LockMode::Exclusive);

    // Every command saves the state: a new file is renamed over the old one. (Held open, the
    // old file keeps its inode number from being reused.)
    let old = std::fs::File::open(&state).unwrap();
    let saved = old.metadata().unwrap().ino();
    identify(&mut writer).unwrap();
    let replaced = std::fs::metadata(&state).unwrap().ino();
    assert_ne!(replaced, saved, "the state file was replaced");

    // A reader is still refused, names this process as the one flashing, and never loads (nor
    // saves) the state.
    let err = open(&spec, &OpenOptions::default()).unwrap_err();
    let Error::Busy { holder, .. } = &err else {
        panic!("expected busy, got {err}");
    };
    assert_eq!(holder.pid, Some(std::process::id()));
    assert_eq!(holder.activity, Some(Activity::Flashing));
    assert_eq!(err.exit_code(), ExitCode::OpenBusy);
    assert!(err
        .to_string()
        .starts_with(&format!("busy: {} is flashing it", std::process::id())));
    assert_eq!(std::fs::metadata(&state).unwrap().ino(), replaced);

    drop(writer);
    let reader = open(&spec, &OpenOptions::default()).unwrap();
    assert_eq!(reader.lock.as_ref().unwrap().mode(), LockMode::Shared);
}

#[test]
fn identify_only_drive_has_no_flash_access() {
    let mut dev = open("emu:dru-710a", &OpenOptions::default()).unwrap();
    let drive = identify(&mut dev).unwrap();
    let Err(err) = drive.flash_access() else {
        panic!("a DVD-era drive has flash access")
    };
    assert_eq!(err.exit_code(), ExitCode::FamilyUnsupported);
}

#[test]
fn bad_devices_are_open_errors() {
    for device in ["emu:nonsense-family", "/nonexistent/sg99"] {
        let err = open(device, &OpenOptions::default()).unwrap_err();
        assert_eq!(err.exit_code(), ExitCode::OpenBusy, "{device}: {err}");
    }
}
