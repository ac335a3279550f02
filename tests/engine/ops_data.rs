//! Dump, backup and unit-data (EEPROM) workflows against emulated drives.

use crate::ops_common;

use ops_common::*;

use odflash::emu::{Action, Fault, FaultPlan, Trigger};
use odflash::image::layout::{MIRROR_LEN, MIRROR_SOURCE};
use odflash::ops::backup::{backup, find_latest_backup, parts};
use odflash::ops::bundle::{read_bundle, Kind, UnitMatch};
use odflash::ops::dump::{dump, manifest_path};
use odflash::ops::eeprom::{
    dump_unit_data, restore_unit_data, FromOtherDrive, RestoreOptions, RestoreOutcome,
};
use odflash::ops::flash::Execution;
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

fn restore_opts(
    base: &std::path::Path,
    execution: Execution,
    other: FromOtherDrive,
) -> RestoreOptions {
    RestoreOptions {
        from_other_drive: other,
        execution,
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

    // Same drive: dry run writes nothing; execute writes and verifies.
    let (mut dev, identified) = device(&mut source);
    let planned = restore_unit_data(
        &mut dev,
        &identified,
        &file,
        &restore_opts(dir.path(), Execution::DryRun, FromOtherDrive::Refused),
        &mut quiet,
    )
    .unwrap();
    assert!(matches!(planned, RestoreOutcome::Planned(_)));
    let done = restore_unit_data(
        &mut dev,
        &identified,
        &file,
        &restore_opts(dir.path(), Execution::Execute, FromOtherDrive::Refused),
        &mut quiet,
    )
    .unwrap();
    let RestoreOutcome::Restored(report) = done else {
        panic!("not restored")
    };
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
    let err = restore_unit_data(
        &mut dev,
        &identified,
        &file,
        &restore_opts(dir.path(), Execution::Execute, FromOtherDrive::Refused),
        &mut quiet,
    )
    .unwrap_err();
    assert!(matches!(err, Error::OtherDrive { .. }), "{err}");
    assert_eq!(err.exit_code(), ExitCode::GateRefused);
    let allowed = restore_unit_data(
        &mut dev,
        &identified,
        &file,
        &restore_opts(dir.path(), Execution::Execute, FromOtherDrive::Allowed),
        &mut quiet,
    )
    .unwrap();
    assert!(matches!(allowed, RestoreOutcome::Restored(_)));
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
            let result = restore_unit_data(
                &mut dev,
                &identified,
                &file,
                &restore_opts(dir.path(), Execution::Execute, FromOtherDrive::Allowed),
                &mut quiet,
            );
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
        let (mut dev, identified) = device(&mut to);
        for execution in [Execution::DryRun, Execution::Execute] {
            let err = restore_unit_data(
                &mut dev,
                &identified,
                &file,
                &restore_opts(dir.path(), execution, FromOtherDrive::Refused),
                &mut quiet,
            )
            .unwrap_err();
            assert!(
                matches!(err, Error::OtherDrive { unit: u, .. } if u == unit),
                "{unit:?}: {err}"
            );
            assert!(err.to_string().contains("--from-other-drive"), "{err}");
        }
        let planned = restore_unit_data(
            &mut dev,
            &identified,
            &file,
            &restore_opts(dir.path(), Execution::DryRun, FromOtherDrive::Allowed),
            &mut quiet,
        )
        .unwrap();
        let RestoreOutcome::Planned(plan) = planned else {
            panic!("a dry run plans")
        };
        assert_eq!(plan.unit, unit);
        drop(dev);
        assert_eq!(
            count(&to, WRITE_BUFFER),
            0,
            "{unit:?}: refused means zero writes"
        );
    }
}
