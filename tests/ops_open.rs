//! Opening DEVICE arguments: emulated drives, traces, and errors mapped to exit codes.

use odflash::ops::drive::identify;
use odflash::ops::open::{open, OpenOptions};
use odflash::ops::ExitCode;
use odflash::scsi::trace::Payload;

#[test]
fn emu_device_opens_and_identifies_through_the_guard() {
    let mut dev = open("emu:mt1959", &OpenOptions::default()).unwrap();
    assert_eq!(dev.lock_path, None);
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
fn state_file_is_the_lock_target_of_an_emulated_drive() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("drive.json");
    let spec = format!("emu:mt1959,state-file={}", state.display());
    let dev = open(&spec, &OpenOptions::default()).unwrap();
    assert_eq!(dev.lock_path.as_deref(), Some(state.as_path()));
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
