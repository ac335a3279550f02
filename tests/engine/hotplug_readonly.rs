//! The hotplug helper's read-only promise, checked against the emulator's command log: the
//! classification of a drive in every state sends nothing but identification commands and
//! READ BUFFER, and the read-only device refuses WRITE BUFFER and every other opcode before it
//! reaches the drive.

use std::time::Duration;

use odflash::emu::{self, DvdPreset, Family, Spec, StartMode};
use odflash::ops::drive::{Device, DeviceKind};
use odflash::ops::hotplug::{classify, Verdict};
use odflash::ops::open::{open_read_only, OpenOptions};
use odflash::scsi::guard::{Guard, Policy};
use odflash::scsi::{Data, Transport, TransportError};

/// What the helper may send: INQUIRY, TEST UNIT READY, REQUEST SENSE, GET CONFIGURATION,
/// MODE SENSE(6/10), READ BUFFER.
const READ_ONLY: [u8; 7] = [0x12, 0x00, 0x03, 0x46, 0x1A, 0x5A, 0x3C];

fn spec(family: Family, mode: StartMode) -> Spec {
    let mut spec = Spec::new(family);
    spec.mode = mode;
    spec
}

#[test]
fn classification_in_every_state_sends_only_read_commands() {
    let mut not_mediatek = Spec::new(Family::LiteonDvd(DvdPreset::Generic));
    not_mediatek.vendor = Some("PIONEER".into());
    not_mediatek.model = Some("DVD-RW  DVR-220L".into());
    let cases = [
        (spec(Family::Mt1959, StartMode::App), Verdict::Healthy),
        (spec(Family::Mt1959, StartMode::Boot), Verdict::Recovery),
        (
            spec(Family::Mt1959, StartMode::NeedsAttention),
            Verdict::NeedsAttention,
        ),
        (spec(Family::Mt1939, StartMode::Boot), Verdict::Recovery),
        (
            Spec::new(Family::LiteonDvd(DvdPreset::Dru710a)),
            Verdict::IdentifyOnly,
        ),
        (not_mediatek, Verdict::Unknown),
    ];
    for (spec, expected) in cases {
        let mut drive = emu::Drive::open(&spec).unwrap();
        // Without the guard: the classification itself is read-only...
        let verdict = {
            let mut dev = Device::new(Box::new(&mut drive), "emu:test", DeviceKind::Emulated);
            classify(&mut dev).unwrap().verdict
        };
        assert_eq!(verdict, expected, "{spec:?}");
        let sent: Vec<u8> = drive
            .command_log()
            .iter()
            .filter_map(|c| c.opcode())
            .collect();
        assert!(!sent.is_empty());
        for op in &sent {
            assert!(READ_ONLY.contains(op), "{spec:?} sent opcode {op:#04x}");
        }
        // ...and behind the read-only guard it runs unchanged (nothing refused on the way).
        drive.clear_command_log();
        let guarded = {
            let mut dev = Device::new(
                Box::new(Guard::new(&mut drive, Policy::ReadOnly)),
                "emu:test",
                DeviceKind::Emulated,
            );
            classify(&mut dev).unwrap().verdict
        };
        assert_eq!(guarded, expected, "{spec:?}");
        let again: Vec<u8> = drive
            .command_log()
            .iter()
            .filter_map(|c| c.opcode())
            .collect();
        assert_eq!(again, sent, "{spec:?}");
    }
}

#[test]
fn read_only_guard_refuses_every_other_opcode_before_the_drive() {
    let mut drive = emu::Drive::open(&spec(Family::Mt1959, StartMode::Boot)).unwrap();
    let mut guard = Guard::new(&mut drive, Policy::ReadOnly);
    let mut inquiry = [0u8; 36];
    guard
        .execute(
            &[0x12, 0, 0, 0, 36, 0],
            Data::In(&mut inquiry),
            Duration::from_secs(5),
        )
        .unwrap();
    let payload = [0u8; 16];
    for op in 0..=u8::MAX {
        if READ_ONLY.contains(&op) {
            continue;
        }
        let mut cdb = [0u8; 12];
        cdb[0] = op;
        for data in [Data::None, Data::Out(&payload)] {
            match guard.execute(&cdb, data, Duration::from_secs(5)) {
                Err(TransportError::Refused { opcode, .. }) => assert_eq!(opcode, op),
                other => panic!("opcode {op:#04x} was not refused: {other:?}"),
            }
        }
    }
    // WRITE BUFFER in every form, READ BUFFER with data out: refused too.
    let write_buffer = [0x3B, 0x06, 0, 0, 0, 0, 0, 0x40, 0, 0];
    assert!(matches!(
        guard.execute(&write_buffer, Data::Out(&payload), Duration::from_secs(5)),
        Err(TransportError::Refused { opcode: 0x3B, .. })
    ));
    assert!(matches!(
        guard.execute(
            &[0x3C, 0x06, 0, 0, 0, 0, 0, 0, 16, 0],
            Data::Out(&payload),
            Duration::from_secs(5)
        ),
        Err(TransportError::Refused { opcode: 0x3C, .. })
    ));
    let ops: Vec<u8> = drive
        .command_log()
        .iter()
        .filter_map(|c| c.opcode())
        .collect();
    assert_eq!(ops, [0x12], "only the INQUIRY reached the drive");
}

#[test]
fn open_read_only_puts_the_guard_in_front_of_emulated_drives_too() {
    let mut dev = open_read_only("emu:mt1959", &OpenOptions::default()).unwrap();
    let t = dev.transport();
    let mut inquiry = [0u8; 36];
    t.execute(
        &[0x12, 0, 0, 0, 36, 0],
        Data::In(&mut inquiry),
        Duration::from_secs(5),
    )
    .unwrap();
    let prepare = [0x3B, 0x01, 0, 0, 0, 0, 0, 0, 0, 0x0B, 0, 0];
    assert!(matches!(
        t.execute(&prepare, Data::None, Duration::from_secs(5)),
        Err(TransportError::Refused { opcode: 0x3B, .. })
    ));
}
