//! The emulated drive as a whole (`emu:` devices, and the VM gadget's backend): arbitrary
//! CDB and data sequences sent to `emu::Drive` through `scsi::Transport`.
//!
//! Input: a selector byte choosing the drive (`script_spec`), then a command
//! script (`decode_script`): commands with any CDB, direction and length, pauses
//! of virtual time and power cycles.
//!
//! Opening an MT19xx drive builds and signs a 2 MiB image (about 70 ms under ASan and
//! coverage instrumentation; a power cycle re-verifies it, about 14 ms), so one drive per
//! selector is kept across inputs, as `tests/emu_fuzz.rs` does: its state carries over from
//! earlier inputs, which widens the states scripts meet. A crash prints its panic and
//! backtrace at once; to replay an artifact on a fresh drive, set `ODFLASH_FUZZ_FRESH=1`.
//!
//! Properties: never panics; every command gets a SCSI answer (no fault plan is loaded), which
//! moves no more bytes than asked, with sense bytes exactly when the status is CHECK
//! CONDITION, and sense that `Sense::parse` decodes.

use std::cell::RefCell;
use std::collections::HashMap;
use std::time::Duration;

use super::{decode_script, out_bytes, script_spec, Step};
use odflash::emu::Drive;
use odflash::scsi::{status, Data, Direction, Sense, Transport};

/// One input of the `emu_drive` target.
pub fn run(data: &[u8]) {
    let Some((&selector, script)) = data.split_first() else {
        return;
    };
    thread_local! {
        static DRIVES: RefCell<HashMap<u8, Drive>> = RefCell::new(HashMap::new());
    }
    let key = selector & 0x1F;
    let open = || Drive::open(&script_spec(key)).expect("a spec without files opens");
    if std::env::var_os("ODFLASH_FUZZ_FRESH").is_some() {
        run_script(&mut open(), script);
        return;
    }
    DRIVES.with_borrow_mut(|drives| {
        let drive = drives.entry(key).or_insert_with(open);
        drive.clear_command_log();
        run_script(drive, script);
    });
}

/// Power cycles one input may make; later ones are skipped. Each re-verifies the whole 2 MiB
/// image (tens of milliseconds under the sanitizer), so a script of repeated 0xFF bytes would
/// otherwise run into libFuzzer's timeout without testing anything new.
const MAX_POWER_CYCLES: usize = 2;

fn run_script(drive: &mut Drive, script: &[u8]) {
    let mut power_cycles = 0;
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
            Step::PowerCycle if power_cycles == MAX_POWER_CYCLES => {}
            Step::PowerCycle => {
                power_cycles += 1;
                drive.power_cycle().expect("no state file to save");
            }
        }
    }
    let _ = (drive.mode(), drive.activity(), drive.command_log().len());
}
