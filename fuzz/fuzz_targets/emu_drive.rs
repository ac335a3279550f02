//! The emulated drive as a whole (`emu:` devices, and the VM gadget's backend): arbitrary
//! CDB and data sequences sent to `emu::Drive` through `scsi::Transport`.
//!
//! Input: a selector byte choosing the drive (`odflash_fuzz::script_spec`), then a command
//! script (`odflash_fuzz::decode_script`): commands with any CDB, direction and length, pauses
//! of virtual time and power cycles.
//!
//! Properties: never panics; every command gets a SCSI answer (no fault plan is loaded), which
//! moves no more bytes than asked, with sense bytes exactly when the status is CHECK
//! CONDITION, and sense that `Sense::parse` decodes.

#![no_main]

use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use odflash::emu::Drive;
use odflash::scsi::{status, Data, Direction, Sense, Transport};
use odflash_fuzz::{decode_script, out_bytes, script_spec, Step};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, script)) = data.split_first() else {
        return;
    };
    let spec = script_spec(selector);
    let mut drive = Drive::open(&spec).expect("a spec without files opens");
    for step in decode_script(script) {
        match step {
            Step::Execute {
                cdb,
                direction,
                len,
                out,
            } => {
                let mut buf = vec![0u8; len];
                let out = out_bytes(&out, len);
                let data = match direction {
                    Direction::None => Data::None,
                    Direction::In => Data::In(&mut buf),
                    Direction::Out => Data::Out(&out),
                };
                let requested = data.len();
                let outcome = drive
                    .execute(&cdb, data, Duration::from_secs(30))
                    .expect("without a fault plan every command gets a SCSI answer");
                assert!(outcome.transferred <= requested);
                match outcome.status {
                    status::GOOD => assert!(outcome.sense.is_empty()),
                    status::CHECK_CONDITION => assert!(Sense::parse(&outcome.sense).is_some()),
                    other => panic!("unexpected status {other:#04x}"),
                }
            }
            Step::Pause(ms) => drive.pause(Duration::from_millis(ms.into())),
            Step::PowerCycle => drive.power_cycle().expect("no state file to save"),
        }
    }
    let _ = (drive.mode(), drive.activity(), drive.command_log().len());
});
