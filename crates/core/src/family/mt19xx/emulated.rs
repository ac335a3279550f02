//! The MT19xx flash primitives against the emulated MT1959: a full burn (PREPARE, 128 chunks,
//! COMMIT, wait for ready) leaves the image in flash outside the protected boot region, with the
//! exact CDB sequence in the drive's command log; per-unit windows round-trip through
//! `write_window` and the unit-data helpers. (In the crate: the writers take the engine's
//! [`WriteAccess`].)

use odflash_emu::{Drive, Spec};

use super::flash::{calibration_window, identity_window, READY_LIMIT};
use super::{cdb, unit_data, Mt19xx};
use crate::family::{self, CommitReply, DriveState, Family, FlashAccess, Identity, WriteAccess};
use crate::image::layout::{BOOT_REGION_END, FLASH_SIZE};
use crate::image::mt19xx::Chip;
use crate::image::synth::{build_mt19xx, SynthSpec};
use crate::scsi::{self, cdb::build_test_unit_ready, Direction};

fn open(spec: &str) -> Drive {
    Drive::open(&spec.parse::<Spec>().unwrap()).unwrap()
}

fn flash_of(d: &mut Drive) -> &'static dyn FlashAccess {
    let inquiry = scsi::read_inquiry(d).unwrap();
    let identity: Identity = Mt19xx.probe(d, &inquiry).unwrap().expect("an MT19xx drive");
    Mt19xx.flash(&identity).expect("mt19xx is flashable")
}

/// Stream `image` the way the ops engine does: PREPARE, every chunk of the family's write
/// plan, COMMIT, wait for ready.
fn burn(d: &mut Drive, image: &[u8]) -> CommitReply {
    let f = flash_of(d);
    d.clear_command_log();
    let access = WriteAccess::grant();
    let plan = f.write_plan(&image.to_vec().into()).unwrap();
    f.prepare(&access, d).unwrap();
    for chunk in &plan.chunks {
        f.write_chunk(&access, d, chunk, plan.data(chunk)).unwrap();
    }
    let reply = f.commit(&access, d).unwrap();
    f.wait_ready(d, READY_LIMIT).unwrap();
    reply
}

#[test]
fn full_burn_lands_outside_the_boot_region_with_the_recorded_sequence() {
    let mut d = open("emu:mt1959");
    let image = build_mt19xx(&SynthSpec::new(
        Chip::Mt1959,
        "HL-DT-ST",
        "BD-RE BU40N",
        "1.05",
    ));
    assert_eq!(image.len(), FLASH_SIZE);
    let before = d.flash().to_vec();

    let reply = burn(&mut d, &image);
    // The drive burns on the last chunk and answers the COMMIT NOT READY (docs/protocol.md §2.4).
    assert!(matches!(reply, CommitReply::Good | CommitReply::Benign(_)));

    let flash = d.flash();
    assert_eq!(&flash[BOOT_REGION_END..], &image[BOOT_REGION_END..]);
    assert_eq!(&flash[..BOOT_REGION_END], &before[..BOOT_REGION_END]);

    // The exact sequence: PREPARE, 128 x mode 6 at rising offsets, COMMIT, the vendor status
    // read, then TEST UNIT READY polls until ready.
    let log = d.command_log();
    let mut expected: Vec<Vec<u8>> = vec![cdb::build_prepare().to_vec()];
    for off in (0..FLASH_SIZE).step_by(0x4000) {
        expected.push(cdb::build_write_window(off as u32, 0x4000).to_vec());
    }
    expected.push(cdb::build_commit().to_vec());
    expected.push(cdb::build_status().to_vec());
    let sent: Vec<Vec<u8>> = log.iter().map(|c| c.cdb.clone()).collect();
    assert_eq!(sent[..expected.len()], expected[..]);
    let polls = &sent[expected.len()..];
    assert!(!polls.is_empty());
    assert!(polls.iter().all(|c| c[..] == build_test_unit_ready()[..]));
    let writes = log.iter().filter(|c| c.direction == Direction::Out).count();
    assert_eq!(writes, 128);

    // The new firmware runs: identification reads the new revision from the descriptor.
    let inquiry = scsi::read_inquiry(&mut d).unwrap();
    let (fam, id) = family::identify(&mut d, &inquiry).unwrap().unwrap();
    assert_eq!(id.revision, "1.05");
    assert_eq!(fam.state(&mut d, &id).unwrap(), DriveState::NoMedium);
}

#[test]
fn a_boot_loader_is_flashed_back_to_the_application() {
    let mut d = open("emu:mt1959,mode=boot");
    let image = build_mt19xx(&SynthSpec::new(
        Chip::Mt1959,
        "HL-DT-ST",
        "BD-RE BU40N",
        "1.03",
    ));
    burn(&mut d, &image);
    let inquiry = scsi::read_inquiry(&mut d).unwrap();
    let (fam, id) = family::identify(&mut d, &inquiry).unwrap().unwrap();
    assert_eq!(fam.state(&mut d, &id).unwrap(), DriveState::NoMedium);
}

#[test]
fn window_write_round_trip() {
    let mut d = open("emu:mt1959");
    let f = flash_of(&mut d);
    let window = calibration_window();
    let mut data = unit_data::read_window(&mut d, &window).unwrap();
    data[0x100] ^= 0xFF;
    d.clear_command_log();
    f.write_window(&WriteAccess::grant(), &mut d, &window, &data)
        .unwrap();
    assert_eq!(unit_data::read_window(&mut d, &window).unwrap(), data);
    let start = window.offset as usize;
    assert_eq!(&d.flash()[start..start + data.len()], &data[..]);
    // One mode-6 write of the whole window (docs/protocol.md §2.7).
    let writes: Vec<_> = d
        .command_log()
        .iter()
        .filter(|c| c.direction == Direction::Out)
        .collect();
    assert_eq!(writes.len(), 1);
    assert_eq!(
        writes[0].cdb,
        cdb::build_write_window(window.offset, window.len).to_vec()
    );
}

#[test]
fn restoring_unit_data_clears_needs_attention() {
    // A healthy drive's unit data, written onto a drive whose calibration is blank.
    let mut donor = open("emu:mt1959");
    let saved = unit_data::read_unit_data(&mut donor).unwrap();
    let mut d = open("emu:mt1959,mode=needs-attention");
    let inquiry = scsi::read_inquiry(&mut d).unwrap();
    let (fam, id) = family::identify(&mut d, &inquiry).unwrap().unwrap();
    assert!(matches!(
        fam.state(&mut d, &id).unwrap(),
        DriveState::NeedsAttention { .. }
    ));
    assert_eq!(unit_data::check(&saved, &inquiry), Ok(()));
    let f = flash_of(&mut d);
    let access = WriteAccess::grant();
    f.write_window(&access, &mut d, &identity_window(), &saved.identity)
        .unwrap();
    f.write_window(&access, &mut d, &calibration_window(), &saved.calibration)
        .unwrap();
    assert_eq!(unit_data::read_unit_data(&mut d).unwrap(), saved);
    assert_eq!(fam.state(&mut d, &id).unwrap(), DriveState::NoMedium);
    let identity = identity_window();
    let at = identity.offset as usize;
    assert_eq!(&d.flash()[at..at + 0x100], &saved.identity[..]);
}
