//! Dump, backup and unit-data (EEPROM) workflows against emulated drives.

use crate::ops_common;

use ops_common::*;

use odflash::emu::{Action, Fault, FaultPlan, Trigger};
use odflash::image::layout::{MIRROR_LEN, MIRROR_SOURCE};
use odflash::ops::backup::{backup, find_latest_backup, parts};
use odflash::ops::bundle::{build_manifest, read_bundle, write_bundle, Kind, Part, UnitMatch};
use odflash::ops::dump::{dump, manifest_path};
use odflash::ops::eeprom::{
    dump_unit_data, execute_restore, plan_restore, FromOtherDrive, RestoreOptions,
};
use odflash::ops::{Error, ExitCode};

#[test]
fn dump_equals_flash_except_the_mirror_page() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("drive.bin");
    let mut drive = mt1959();
    let (mut dev, identified) = device(&mut drive);
    let report = dump(&mut dev, &identified, &out, &mut quiet).unwrap();
    drop(dev);
    let bytes = std::fs::read(&out).unwrap();
    let flash = drive.flash();
    assert_eq!(bytes.len(), flash.len());
    assert_eq!(
        &bytes[..MIRROR_LEN],
        &flash[MIRROR_SOURCE..MIRROR_SOURCE + MIRROR_LEN]
    );
    assert_eq!(&bytes[MIRROR_LEN..], &flash[MIRROR_LEN..]);
    assert_eq!(report.manifest.read.chunk, 0x1_0000);
    assert!(report.manifest.read.unreadable.is_empty());
    let sidecar: serde_json::Value =
        serde_json::from_slice(&std::fs::read(manifest_path(&out)).unwrap()).unwrap();
    assert_eq!(sidecar["kind"], "raw-dump");
    assert_eq!(sidecar["flashable"], false);
    assert_eq!(count(&drive, WRITE_BUFFER), 0);
}

#[test]
fn a_dump_sends_no_read_twice_its_probe_and_identification_reads_included() {
    let dir = tempfile::tempdir().unwrap();
    let mut drive = mt1959();
    let (mut dev, identified) = device(&mut drive);
    let report = dump(&mut dev, &identified, &dir.path().join("d.bin"), &mut quiet).unwrap();
    drop(dev);
    // 64 KiB chunks. The first is cut around the banner window, which must be read on its own
    // (0..0x3000, 0x3000..0x3020, 0x3020..0x10000); the probe read at 0x10000 is the sweep's
    // second chunk; the banner and the calibration chunk at 0x1F0000 were read by the
    // identification, whose replies answer them: 2 + 1 + 29 commands.
    assert_eq!(report.manifest.read.commands, 32);
    let reads: Vec<_> = drive
        .command_log()
        .iter()
        .filter(|c| c.opcode() == Some(READ_BUFFER))
        .map(|c| (c.cdb.clone(), c.requested))
        .collect();
    // The identification read the banner, the identity window and the calibration window.
    let identification = 3;
    assert_eq!(reads.len(), identification + 32);
    let distinct: std::collections::HashSet<_> = reads.iter().collect();
    assert_eq!(
        distinct.len(),
        reads.len(),
        "a read was sent twice: {reads:?}"
    );
    let sent: usize = reads[identification..].iter().map(|(_, len)| len).sum();
    assert_eq!(sent, drive.flash().len() - 0x20 - 0x1_0000);
    // What the dump holds is still every byte of the flash (checked in full above).
    let bytes = std::fs::read(dir.path().join("d.bin")).unwrap();
    assert_eq!(&bytes[0x1F_0000..], &drive.flash()[0x1F_0000..]);
    assert_eq!(&bytes[0x3000..0x3020], &drive.flash()[0x3000..0x3020]);
}

#[test]
fn dump_respects_max_transfer_and_fills_unreadable_ranges() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("drive.bin");
    let mut spec = odflash::emu::Spec::new(odflash::emu::Family::Mt1959);
    spec.max_transfer = 0x2000;
    let mut drive = odflash::emu::Drive::open(&spec).unwrap();
    drive
        .set_fault_plan(FaultPlan {
            faults: vec![Fault {
                trigger: Trigger {
                    opcode: Some(0x3C),
                    offset: Some(0x4_0100),
                    ..Default::default()
                },
                action: hardware_error(),
                repeat: true,
            }],
        })
        .unwrap();
    let (mut dev, identified) = device(&mut drive);
    let report = dump(&mut dev, &identified, &out, &mut quiet).unwrap();
    drop(dev);
    assert_eq!(report.manifest.read.chunk, 0x2000);
    assert!(drive.command_log().iter().all(|c| c.requested <= 0x2000));
    // Only the 32-byte piece holding 0x40100 stays unreadable.
    assert_eq!(report.manifest.read.unreadable, vec![0x4_0100..0x4_0120]);
    let bytes = std::fs::read(&out).unwrap();
    assert!(bytes[0x4_0100..0x4_0120].iter().all(|b| *b == 0xFF));
    assert_eq!(
        &bytes[0x4_0120..0x4_1000],
        &drive.flash()[0x4_0120..0x4_1000]
    );
}

/// An emulated MT1959 whose READ BUFFER of the window holding `offset` fails with `action`.
fn with_read_fault(offset: u32, action: Action) -> odflash::emu::Drive {
    let mut drive = mt1959();
    drive
        .set_fault_plan(fault(
            Trigger {
                opcode: Some(0x3C),
                offset: Some(offset),
                ..Default::default()
            },
            action,
        ))
        .unwrap();
    drive
}

#[test]
fn dump_aborts_on_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("drive.bin");
    let mut drive = with_read_fault(0x12_0000, Action::Timeout);
    let (mut dev, identified) = device(&mut drive);
    let err = dump(&mut dev, &identified, &out, &mut quiet).unwrap_err();
    assert_eq!(err.exit_code(), ExitCode::Timeout, "{err}");
    assert!(!out.exists());
}

#[test]
fn short_reads_are_retried_in_pieces() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("drive.bin");
    let mut drive = with_read_fault(0x12_0000, Action::ShortTransfer { bytes: 100 });
    let (mut dev, identified) = device(&mut drive);
    let report = dump(&mut dev, &identified, &out, &mut quiet).unwrap();
    drop(dev);
    assert!(report.manifest.read.unreadable.is_empty());
    let bytes = std::fs::read(&out).unwrap();
    assert_eq!(
        &bytes[0x12_0000..0x13_0000],
        &drive.flash()[0x12_0000..0x13_0000]
    );
}

#[test]
fn dump_aborts_when_the_drive_goes_away() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("drive.bin");
    let mut drive = with_read_fault(0x8_0000, Action::PowerLoss);
    let (mut dev, identified) = device(&mut drive);
    let err = dump(&mut dev, &identified, &out, &mut quiet).unwrap_err();
    assert_eq!(err.exit_code(), ExitCode::Transport, "{err}");
    assert!(!out.exists(), "no partial dump file");
}

#[test]
fn backup_is_validated_and_found_again() {
    let dir = tempfile::tempdir().unwrap();
    let mut drive = mt1959();
    let (mut dev, identified) = device(&mut drive);
    let report = backup(&mut dev, &identified, dir.path(), &mut quiet).unwrap();
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(&report.path).unwrap().permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);
    let b = read_bundle(&report.path).unwrap();
    assert_eq!(b.manifest.kind, Kind::Backup);
    for name in [
        parts::FIRMWARE,
        parts::INQUIRY,
        "identity.bin",
        "calibration.bin",
    ] {
        assert!(b.part(name).is_some(), "{name} missing");
    }
    let (latest, _) = find_latest_backup(dir.path(), &identified.identity).unwrap();
    assert_eq!(latest, report.path);
}

fn restore_opts(base: &std::path::Path, other: FromOtherDrive) -> RestoreOptions {
    RestoreOptions {
        from_other_drive: other,
        backup_base: base.to_path_buf(),
        risk: odflash::ops::next::Risk::Unacknowledged,
    }
}

#[test]
fn unit_data_round_trip_and_other_drive_refusal() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("unit.odbk");
    let mut source = mt1959();
    let (mut dev, identified) = device(&mut source);
    dump_unit_data(&mut dev, &identified, &file, &mut quiet).unwrap();
    drop(dev);

    // Same drive: the plan writes nothing; executing it writes and verifies.
    let (mut dev, identified) = device(&mut source);
    let plan = plan_restore(
        &identified,
        &file,
        &restore_opts(dir.path(), FromOtherDrive::Refused),
    )
    .unwrap();
    let report = execute_restore(&mut dev, &identified, plan, &mut quiet).unwrap();
    assert!(
        read_bundle(&report.backup.path).is_ok(),
        "backup taken first"
    );
    drop(dev);
    assert_eq!(count(&source, WRITE_BUFFER), 2, "one write per window");
    // Every backup READ precedes the first write.
    let log = source.command_log();
    let first_write = log
        .iter()
        .position(|c| c.opcode() == Some(WRITE_BUFFER))
        .unwrap();
    assert!(log[first_write..]
        .iter()
        .all(|c| c.opcode() != Some(0x3C) || c.cdb[3..6] >= [0x1E, 0xC0, 0x00][..]));

    // Another drive: refused with zero writes unless allowed.
    let mut other = mt1959_serial("OTHER0000002");
    let (mut dev, identified) = device(&mut other);
    let err = plan_restore(
        &identified,
        &file,
        &restore_opts(dir.path(), FromOtherDrive::Refused),
    )
    .unwrap_err();
    assert!(matches!(err, Error::OtherDrive { .. }), "{err}");
    assert_eq!(err.exit_code(), ExitCode::GateRefused);
    let plan = plan_restore(
        &identified,
        &file,
        &restore_opts(dir.path(), FromOtherDrive::Allowed),
    )
    .unwrap();
    execute_restore(&mut dev, &identified, plan, &mut quiet).unwrap();
    drop(dev);
    let src = read_bundle(&file).unwrap();
    let cal = src.part("calibration.bin").unwrap();
    assert_eq!(&other.flash()[0x1F_0000..0x20_0000], &cal.bytes[..]);
}

#[test]
fn restore_faults_are_never_reported_as_success() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("unit.odbk");
    let mut source = mt1959_serial("SRC000000001");
    let (mut dev, identified) = device(&mut source);
    dump_unit_data(&mut dev, &identified, &file, &mut quiet).unwrap();
    drop(dev);
    let wanted = read_bundle(&file).unwrap();
    for trigger in [
        Trigger {
            opcode: Some(WRITE_BUFFER),
            offset: Some(0x1F_0000),
            ..Default::default()
        },
        Trigger {
            opcode: Some(WRITE_BUFFER),
            offset: Some(0x1E_C000),
            ..Default::default()
        },
    ] {
        for action in [
            hardware_error(),
            Action::PowerLoss,
            Action::ShortTransfer { bytes: 0x100 },
        ] {
            let mut target = mt1959_serial("DST000000002");
            target
                .set_fault_plan(fault(trigger.clone(), action.clone()))
                .unwrap();
            let (mut dev, identified) = device(&mut target);
            let opts = restore_opts(dir.path(), FromOtherDrive::Allowed);
            let result = plan_restore(&identified, &file, &opts)
                .and_then(|plan| execute_restore(&mut dev, &identified, plan, &mut quiet));
            drop(dev);
            let holds = wanted
                .parts
                .iter()
                .filter_map(|p| p.flash_offset.map(|o| (o, p)))
                .all(|(o, p)| {
                    target.flash()[o as usize..o as usize + p.bytes.len()] == p.bytes[..]
                });
            match result {
                Ok(_) => assert!(holds, "{trigger:?} {action:?}: success without the data"),
                Err(e) => assert!(
                    e.condition().is_some() || matches!(e, Error::Family(_)),
                    "{e}"
                ),
            }
        }
    }
}

/// An emulated MT1959 with this INQUIRY model and serial (`None`: a drive without a serial).
fn mt1959_unit(model: &str, serial: Option<&str>) -> odflash::emu::Drive {
    let mut spec = odflash::emu::Spec::new(odflash::emu::Family::Mt1959);
    spec.model = Some(model.to_string());
    spec.serial = Some(serial.unwrap_or("").to_string());
    odflash::emu::Drive::open(&spec).unwrap()
}

#[test]
fn unit_data_is_this_drives_only_with_the_same_model_and_serial() {
    let dir = tempfile::tempdir().unwrap();
    for (source, target, unit) in [
        // Another model that happens to carry the same serial.
        (
            ("BD-RE BU20N", Some("SAME00000001")),
            ("BD-RE BU40N", Some("SAME00000001")),
            UnitMatch::OtherModel,
        ),
        // Two units of one model without serials cannot be told apart.
        (
            ("BD-RE BU40N", None),
            ("BD-RE BU40N", None),
            UnitMatch::SerialUnknown,
        ),
    ] {
        let file = dir.path().join(format!("{unit:?}.odbk"));
        let mut from = mt1959_unit(source.0, source.1);
        let (mut dev, identified) = device(&mut from);
        dump_unit_data(&mut dev, &identified, &file, &mut quiet).unwrap();
        drop(dev);

        let mut to = mt1959_unit(target.0, target.1);
        let (dev, identified) = device(&mut to);
        // Refused when planned: there is nothing to execute.
        let err = plan_restore(
            &identified,
            &file,
            &restore_opts(dir.path(), FromOtherDrive::Refused),
        )
        .unwrap_err();
        assert!(
            matches!(err, Error::OtherDrive { unit: u, .. } if u == unit),
            "{unit:?}: {err}"
        );
        assert!(err.to_string().contains("--from-other-drive"), "{err}");
        let plan = plan_restore(
            &identified,
            &file,
            &restore_opts(dir.path(), FromOtherDrive::Allowed),
        )
        .unwrap();
        assert_eq!(plan.unit, unit);
        drop(dev);
        assert_eq!(
            count(&to, WRITE_BUFFER),
            0,
            "{unit:?}: refused means zero writes"
        );
    }
}

#[test]
fn a_restore_writes_the_planned_bytes_even_when_the_file_changes_after_planning() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("unit.odbk");
    let mut source = mt1959_serial("SRC000000001");
    let (mut dev, identified) = device(&mut source);
    dump_unit_data(&mut dev, &identified, &file, &mut quiet).unwrap();
    drop(dev);
    // The file to plan from holds other bytes than any emulated drive has.
    let dumped = read_bundle(&file).unwrap();
    let other_bytes: Vec<Part> = dumped
        .parts
        .iter()
        .map(|p| Part {
            bytes: p.bytes.iter().map(|b| b ^ 0x5A).collect(),
            ..p.clone()
        })
        .collect();
    let rewrite = |parts: &[Part]| {
        let manifest = build_manifest(
            Kind::UnitData,
            dumped.manifest.device.clone(),
            &dumped.manifest.created,
            parts,
        );
        write_bundle(&file, &manifest, parts).unwrap();
    };
    rewrite(&other_bytes);

    let mut target = mt1959_serial("DST000000002");
    let before = target.flash().to_vec();
    let (mut dev, identified) = device(&mut target);
    let plan = plan_restore(
        &identified,
        &file,
        &restore_opts(dir.path(), FromOtherDrive::Allowed),
    )
    .unwrap();
    let planned: Vec<(u32, Vec<u8>)> = plan
        .windows
        .iter()
        .map(|w| (w.window.offset, w.bytes().to_vec()))
        .collect();
    for (offset, bytes) in &planned {
        let range = *offset as usize..*offset as usize + bytes.len();
        assert_ne!(&before[range], &bytes[..], "the drive holds them already");
    }

    // Between the plan and the write, the file gets the drive's own bytes back.
    rewrite(&dumped.parts);
    let report = execute_restore(&mut dev, &identified, plan, &mut quiet).unwrap();
    drop(dev);
    for (offset, bytes) in &planned {
        let range = *offset as usize..*offset as usize + bytes.len();
        assert_eq!(&target.flash()[range], &bytes[..], "window at {offset:#x}");
    }
    for (w, (_, bytes)) in report.plan.windows.iter().zip(&planned) {
        assert_eq!(w.sha256, odflash::ops::bundle::sha256_hex(bytes));
    }
}

#[test]
fn a_plan_is_executed_only_on_the_drive_it_was_made_for() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("unit.odbk");
    let mut source = mt1959_serial("SRC000000001");
    let (mut dev, identified) = device(&mut source);
    dump_unit_data(&mut dev, &identified, &file, &mut quiet).unwrap();
    let plan = plan_restore(
        &identified,
        &file,
        &restore_opts(dir.path(), FromOtherDrive::Refused),
    )
    .unwrap();
    drop(dev);

    let mut other = mt1959_serial("OTHER0000002");
    let (mut dev, identified) = device(&mut other);
    let err = execute_restore(&mut dev, &identified, plan, &mut quiet).unwrap_err();
    drop(dev);
    assert!(matches!(err, Error::PlannedForAnotherDrive { .. }), "{err}");
    assert_eq!(err.exit_code(), ExitCode::GateRefused);
    assert_eq!(count(&other, WRITE_BUFFER), 0);
}
