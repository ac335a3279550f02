//! Shared helpers for the ops tests: emulated drives, synthetic images, fault plans and
//! command-log queries.
#![allow(dead_code)]

use odflash::emu::{self, Action, Fault, FaultPlan, Phase, Spec, Trigger};
use odflash::image::mt19xx::Chip;
use odflash::image::synth::{build_mt19xx, Breakage, SynthSpec};
use odflash::ops::drive::{identify, Device, DeviceKind, Drive};
use odflash::ops::flash::ImageFile;

/// WRITE BUFFER opcode (SPC-4), as the emulator logs it.
pub const WRITE_BUFFER: u8 = 0x3B;
/// READ BUFFER opcode (SPC-4), as the emulator logs it.
pub const READ_BUFFER: u8 = 0x3C;
/// WRITE BUFFER mode of the MT19xx commit trailer (docs/protocol.md §2.4).
pub const MODE_COMMIT: u8 = 0x07;

/// A fresh emulated MT1959 drive (HL-DT-ST BD-RE BU40N 1.03) with no state file.
pub fn mt1959() -> emu::Drive {
    emu::Drive::open(&Spec::new(emu::Family::Mt1959)).unwrap()
}

/// The same drive model with another serial.
pub fn mt1959_serial(serial: &str) -> emu::Drive {
    let mut spec = Spec::new(emu::Family::Mt1959);
    spec.serial = Some(serial.to_string());
    emu::Drive::open(&spec).unwrap()
}

/// Identify the drive behind a fresh device on `drive`.
pub fn device(drive: &mut emu::Drive) -> (Device<'_>, Drive) {
    let mut dev = Device::new(Box::new(drive), "emu:mt1959", DeviceKind::Emulated);
    let identified = identify(&mut dev).unwrap();
    (dev, identified)
}

/// A signed image for the drive's model at `revision`, with `breakage`.
pub fn image_with(revision: &str, breakage: Breakage) -> ImageFile {
    let mut spec = SynthSpec::new(Chip::Mt1959, "HL-DT-ST", "BD-RE BU40N", revision);
    spec.breakage = breakage;
    ImageFile {
        path: "/images/bu40n.bin".into(),
        bytes: build_mt19xx(&spec).into(),
    }
}

/// A valid upgrade image (1.04 over the drive's 1.03).
pub fn upgrade() -> ImageFile {
    image_with("1.04", Breakage::None)
}

/// Commands with `opcode` in the drive's log.
pub fn count(drive: &emu::Drive, opcode: u8) -> usize {
    drive
        .command_log()
        .iter()
        .filter(|c| c.opcode() == Some(opcode))
        .count()
}

/// WRITE BUFFER commands with `mode`.
pub fn writes_with_mode(drive: &emu::Drive, mode: u8) -> usize {
    drive
        .command_log()
        .iter()
        .filter(|c| {
            c.opcode() == Some(WRITE_BUFFER) && c.cdb.get(1).map(|b| b & 0x1F) == Some(mode)
        })
        .count()
}

/// One fault firing once.
pub fn fault(trigger: Trigger, action: Action) -> FaultPlan {
    FaultPlan {
        faults: vec![Fault {
            trigger,
            action,
            repeat: false,
        }],
    }
}

/// A trigger on a phase, optionally at a flash offset.
pub fn at(phase: Phase, offset: Option<u32>) -> Trigger {
    Trigger {
        phase: Some(phase),
        offset,
        ..Trigger::default()
    }
}

/// HARDWARE ERROR sense action.
pub fn hardware_error() -> Action {
    Action::Sense {
        key: 4,
        asc: 0x44,
        ascq: 0,
    }
}

/// Progress sink that ignores updates.
pub fn quiet(_: odflash::ops::Progress) {}
