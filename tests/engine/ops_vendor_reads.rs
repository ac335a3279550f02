//! The experimental-reads workflows (`ops::vendor_reads`) against emulated DVD-era drives and
//! their command logs: what is sent (and what never reaches the drive, whatever the family's
//! code asks), the challenge retry, refusals, short and garbage replies, files and bundles.

use std::time::Duration;

use crate::ops_common::quiet;

use odflash::emu::{self, Action, Fault, FaultPlan, Trigger};
use odflash::family::liteon_dvd::{self, cdb::ALLOWED};
use odflash::family::{
    Error as FamilyError, FirmwareView, GroupAgreement, Identity, ReadCommands, UnitHint,
    VendorReads,
};
use odflash::image::dvd::EEPROM_LEN;
use odflash::image::synth::{build_dvd_eeprom, build_dvd_era};
use odflash::ops::backup::find_latest_backup;
use odflash::ops::bundle::{read_bundle, Kind};
use odflash::ops::drive::{identify, Device, DeviceKind, Drive};
use odflash::ops::dump::manifest_path;
use odflash::ops::vendor_reads::{self, parts, BundleAt, DumpKind, ExperimentalReads};
use odflash::ops::{Error, ExitCode};
use odflash::scsi::guard::VendorRead;
use odflash::scsi::{self, Data, Outcome, Transport, TransportError};

/// The LiteOn vendor opcode, as the emulator logs it.
const DF: u8 = 0xDF;

fn drive(spec: &str) -> emu::Drive {
    emu::Drive::open(&spec.parse().unwrap()).unwrap()
}

fn device<'a>(t: Box<dyn Transport + 'a>, name: &str) -> (Device<'a>, Drive) {
    let mut dev = Device::new(t, name, DeviceKind::Emulated);
    let identified = identify(&mut dev).unwrap();
    (dev, identified)
}

/// The family's experimental reads for `drive`, asked for.
fn reads(drive: &Drive) -> &'static dyn VendorReads {
    vendor_reads::offered(drive, ExperimentalReads::Asked)
        .unwrap()
        .expect("a DVD-era drive has experimental reads")
}

/// The vendor (DF) CDBs the drive received, in order.
fn vendor_cdbs(d: &emu::Drive) -> Vec<Vec<u8>> {
    d.command_log()
        .iter()
        .filter(|c| c.opcode() == Some(DF))
        .map(|c| c.cdb.clone())
        .collect()
}

#[test]
fn not_asked_is_refused_before_anything_is_sent() {
    let mut d = drive("emu:dru-710a");
    let (_, found) = device(Box::new(&mut d), "emu:dru-710a");
    let err = vendor_reads::offered(&found, ExperimentalReads::NotAsked)
        .err()
        .unwrap();
    assert!(
        matches!(err, Error::ExperimentalReadsNotAsked { .. }),
        "{err}"
    );
    assert_eq!(err.exit_code(), ExitCode::FamilyUnsupported);
    assert!(err.to_string().contains("--experimental-reads"), "{err}");
    assert!(vendor_cdbs(&d).is_empty());
    // A family with flash reads of its own has no experimental ones to offer.
    let mut bd = drive("emu:mt1959");
    let (_, found) = device(Box::new(&mut bd), "emu:mt1959");
    assert!(vendor_reads::offered(&found, ExperimentalReads::Asked)
        .unwrap()
        .is_none());
}

#[test]
fn eeprom_dump_is_eight_df_89_reads_into_a_file_and_its_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ee.bin");
    let mut d = drive("emu:dru-710a");
    let (mut dev, found) = device(Box::new(&mut d), "emu:dru-710a");
    let dump =
        vendor_reads::dump_eeprom(&mut dev, &found, reads(&found), &out, &mut quiet).unwrap();
    drop(dev);
    let bytes = std::fs::read(&out).unwrap();
    assert_eq!(
        bytes,
        build_dvd_eeprom("SONY", "DVD RW DRU-710A", "EMUDVD000001")
    );
    let cdbs = vendor_cdbs(&d);
    assert_eq!(cdbs.len(), 8);
    for (i, c) in cdbs.iter().enumerate() {
        let address = (i * 128) as u16;
        assert_eq!(&c[..2], [DF, 0x89]);
        assert_eq!(u16::from_be_bytes([c[7], c[8]]), address);
    }
    assert!(d
        .command_log()
        .iter()
        .all(|c| c.direction != scsi::Direction::Out));
    let m = &dump.manifest;
    assert_eq!(m.kind, DumpKind::Eeprom);
    assert!(m.experimental && !m.flashable && !m.read.confirmed_on_hardware);
    assert_eq!(m.size, EEPROM_LEN as u64);
    assert_eq!(m.read.commands.len(), 1);
    assert_eq!(m.read.commands[0].count, 8);
    let sidecar: serde_json::Value =
        serde_json::from_slice(&std::fs::read(manifest_path(&out)).unwrap()).unwrap();
    assert_eq!(sidecar["kind"], "eeprom");
    assert_eq!(sidecar["read"]["confirmed_on_hardware"], false);
    assert_eq!(sidecar["device"]["identity"]["model"], "DVD RW DRU-710A");
    assert_eq!(sidecar["sha256"], m.sha256);
}

#[test]
fn firmware_view_is_sixteen_banks_marked_logical_and_never_flashable() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("fw.bin");
    let mut d = drive("emu:sohw-1633s");
    let (mut dev, found) = device(Box::new(&mut d), "emu:sohw-1633s");
    let dump = vendor_reads::dump_firmware_view(&mut dev, &found, reads(&found), &out, &mut quiet)
        .unwrap();
    drop(dev);
    assert_eq!(
        std::fs::read(&out).unwrap(),
        build_dvd_era("LITE-ON", "DVDRW SOHW-1633S", "BS0S")
    );
    let cdbs = vendor_cdbs(&d);
    assert_eq!(cdbs.len(), 16 * 512);
    assert!(cdbs.iter().all(|c| c[..2] == [DF, 0x83] && c[4] == 0xFF));
    assert_eq!(cdbs.last().unwrap()[6..9], [15, 0xFF, 0x80]);
    let view = dump.manifest.read.firmware_view.as_ref().unwrap();
    assert!(view.logical_view && !view.flashable);
    assert_eq!((view.banks, view.bank_len), (16, 0x1_0000));
    assert!(view.banks_failing_check.is_empty());
    assert_eq!(dump.manifest.kind, DumpKind::FirmwareView);
    assert!(!dump.manifest.flashable);
}

#[test]
fn a_drive_that_wants_the_challenge_gets_it_once() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ee.bin");
    let mut d = drive("emu:dru-710a,vendor-reads=challenge");
    let (mut dev, found) = device(Box::new(&mut d), "emu:dru-710a");
    let dump =
        vendor_reads::dump_eeprom(&mut dev, &found, reads(&found), &out, &mut quiet).unwrap();
    drop(dev);
    let heads: Vec<[u8; 2]> = vendor_cdbs(&d).iter().map(|c| [c[1], c[2]]).collect();
    assert_eq!(heads[..3], [[0x89, 0], [0x00, 0x0A], [0x89, 0]]);
    assert_eq!(heads.len(), 10);
    let counts: Vec<usize> = dump
        .manifest
        .read
        .commands
        .iter()
        .map(|c| c.count)
        .collect();
    assert_eq!(counts, [9, 1]);
    assert_eq!(std::fs::read(&out).unwrap().len(), EEPROM_LEN);
}

#[test]
fn a_refusing_drive_is_a_clear_error_and_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ee.bin");
    let mut d = drive("emu:dru-710a,vendor-reads=refused");
    let (mut dev, found) = device(Box::new(&mut d), "emu:dru-710a");
    let err =
        vendor_reads::dump_eeprom(&mut dev, &found, reads(&found), &out, &mut quiet).unwrap_err();
    drop(dev);
    assert!(matches!(err, Error::ExperimentalRead { .. }), "{err}");
    assert_eq!(err.exit_code(), ExitCode::IllegalRequest);
    let text = err.to_string();
    assert!(
        text.contains("DF 00 0A") && text.contains("DF 89"),
        "{text}"
    );
    assert!(text.contains("nothing was saved"), "{text}");
    // The refused read, the one challenge, nothing more.
    assert_eq!(vendor_cdbs(&d).len(), 2);
    assert!(!out.exists() && !manifest_path(&out).exists());
}

#[test]
fn a_short_reply_fails_the_read_and_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("fw.bin");
    let mut d = drive("emu:dru-710a");
    d.set_fault_plan(FaultPlan {
        faults: vec![Fault {
            trigger: Trigger {
                opcode: Some(DF),
                command: Some(100),
                ..Default::default()
            },
            action: Action::ShortTransfer { bytes: 64 },
            repeat: false,
        }],
    })
    .unwrap();
    let (mut dev, found) = device(Box::new(&mut d), "emu:dru-710a");
    let err = vendor_reads::dump_firmware_view(&mut dev, &found, reads(&found), &out, &mut quiet)
        .unwrap_err();
    assert_eq!(err.exit_code(), ExitCode::Malformed, "{err}");
    assert!(err.to_string().contains("DF 83"), "{err}");
    assert!(!out.exists());
}

/// A transport that answers every `DF` read the emulator serves with `reply` applied to its
/// data: a drive that returns garbage.
struct Garbling<'a> {
    inner: &'a mut emu::Drive,
    reply: fn(&[u8], &mut [u8]),
}

impl Transport for Garbling<'_> {
    fn execute(
        &mut self,
        cdb: &[u8],
        data: Data<'_>,
        timeout: Duration,
    ) -> Result<Outcome, TransportError> {
        match data {
            Data::In(buf) if cdb.first() == Some(&DF) => {
                let outcome = self.inner.execute(cdb, Data::In(&mut *buf), timeout)?;
                (self.reply)(cdb, buf);
                Ok(outcome)
            }
            other => self.inner.execute(cdb, other, timeout),
        }
    }

    fn describe(&self) -> String {
        self.inner.describe()
    }
}

#[test]
fn garbage_is_refused_and_broken_banks_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.bin");
    // Every EEPROM byte 0xFF: no data.
    let mut d = drive("emu:dru-710a");
    let blank = Garbling {
        inner: &mut d,
        reply: |_, buf| buf.fill(0xFF),
    };
    let (mut dev, found) = device(Box::new(blank), "emu:dru-710a");
    let err =
        vendor_reads::dump_eeprom(&mut dev, &found, reads(&found), &out, &mut quiet).unwrap_err();
    assert!(matches!(err, Error::ExperimentalGarbage { .. }), "{err}");
    assert_eq!(err.exit_code(), ExitCode::Malformed);
    assert!(!out.exists());
    drop(dev);

    // The same 128 bytes whatever the address: the drive ignores it.
    let mut d = drive("emu:dru-710a");
    let same = Garbling {
        inner: &mut d,
        reply: |_, buf| buf.iter_mut().enumerate().for_each(|(i, b)| *b = i as u8),
    };
    let (mut dev, found) = device(Box::new(same), "emu:dru-710a");
    let err =
        vendor_reads::dump_eeprom(&mut dev, &found, reads(&found), &out, &mut quiet).unwrap_err();
    assert!(err.to_string().contains("ignores the address"), "{err}");
    assert!(!out.exists());
    drop(dev);

    // Banks 3 and 7 do not start with 02: written, and named in the manifest.
    let mut d = drive("emu:dru-710a");
    let broken = Garbling {
        inner: &mut d,
        reply: |cdb, buf| {
            if cdb[1] == 0x83 && [3, 7].contains(&cdb[6]) && cdb[7..9] == [0, 0] {
                buf[0] = 0xFF;
            }
        },
    };
    let (mut dev, found) = device(Box::new(broken), "emu:dru-710a");
    let dump = vendor_reads::dump_firmware_view(&mut dev, &found, reads(&found), &out, &mut quiet)
        .unwrap();
    let view = dump.manifest.read.firmware_view.unwrap();
    assert_eq!(view.banks_failing_check, [3, 7]);
    assert!(out.exists());
}

/// Experimental reads whose code asks for what the guard must refuse: an EEPROM *write*
/// (`DF 84`, data out, docs/protocol.md §5.4), an `F1 01` register write, a READ BUFFER, and a
/// `DF 89` with data out. Everything else is the real family's.
struct Rogue;

static ROGUE: Rogue = Rogue;

const ROGUE_CDBS: [[u8; 12]; 3] = [
    [0xDF, 0x84, 0, 0, 0x01, 0, 0, 0x00, 0x10, 0x55, 0, 0],
    [0xF1, 0x01, 0, 0, 0x89, 0x00, 0, 0, 0, 0x01, 0, 0],
    [0xDF, 0x89, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
];

impl VendorReads for Rogue {
    fn allowed(&self) -> &'static [VendorRead] {
        &ALLOWED
    }
    fn commands(&self) -> ReadCommands {
        liteon_dvd::reads::READS.commands()
    }
    fn piece_len(&self) -> usize {
        128
    }
    fn eeprom_len(&self, _: &Identity) -> usize {
        EEPROM_LEN
    }
    fn read_eeprom(
        &self,
        t: &mut dyn Transport,
        _: u32,
        buf: &mut [u8],
    ) -> Result<(), FamilyError> {
        for cdb in &ROGUE_CDBS {
            match t.execute(cdb, Data::Out(buf), Duration::from_secs(1)) {
                Err(TransportError::Refused { .. }) => {}
                other => panic!("{cdb:02x?} was not refused: {other:?}"),
            }
        }
        let rb = scsi::cdb::build_read_buffer(6, 0, 0, 128);
        let refused = t.execute(&rb, Data::In(buf), Duration::from_secs(1));
        assert!(matches!(refused, Err(TransportError::Refused { .. })));
        // Finally a write dressed as the read: refused too, and reported.
        Err(scsi::Error::from(
            t.execute(&ROGUE_CDBS[2], Data::Out(buf), Duration::from_secs(1))
                .unwrap_err(),
        )
        .into())
    }
    fn firmware_view(&self, identity: &Identity) -> FirmwareView {
        liteon_dvd::reads::READS.firmware_view(identity)
    }
    fn read_firmware(
        &self,
        t: &mut dyn Transport,
        bank: u32,
        offset: u32,
        buf: &mut [u8],
    ) -> Result<(), FamilyError> {
        liteon_dvd::reads::READS.read_firmware(t, bank, offset, buf)
    }
    fn wants_challenge(&self, _: &FamilyError) -> bool {
        false
    }
    fn read_challenge(&self, t: &mut dyn Transport) -> Result<(), FamilyError> {
        liteon_dvd::reads::READS.read_challenge(t)
    }
    fn banks_failing_check(&self, view: &[u8]) -> Vec<usize> {
        liteon_dvd::reads::READS.banks_failing_check(view)
    }
    fn unit_hint(&self, _: &Identity, _: &[u8]) -> Option<UnitHint> {
        None
    }
}

#[test]
fn the_guard_refuses_any_write_or_other_vendor_command_whatever_the_family_asks() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ee.bin");
    let mut d = drive("emu:dru-710a");
    let (mut dev, found) = device(Box::new(&mut d), "emu:dru-710a");
    let err = vendor_reads::dump_eeprom(&mut dev, &found, &ROGUE, &out, &mut quiet).unwrap_err();
    drop(dev);
    assert!(matches!(err, Error::ExperimentalRead { .. }), "{err}");
    assert!(err.to_string().contains("refused"), "{err}");
    // Not one of them reached the drive: it saw identification only.
    assert!(vendor_cdbs(&d).is_empty(), "{:02x?}", vendor_cdbs(&d));
    assert!(d
        .command_log()
        .iter()
        .all(|c| [0x12, 0x00, 0x03, 0x46].contains(&c.opcode().unwrap())));
    assert!(!out.exists());
}

#[test]
fn the_experimental_bundle_holds_what_was_read_and_is_never_a_backup_to_restore() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("backups");
    let mut d = drive("emu:dru-710a,eeprom-model=DVD RW DRU-720A");
    let (mut dev, found) = device(Box::new(&mut d), "emu:dru-710a");
    let written = vendor_reads::backup(
        &mut dev,
        &found,
        reads(&found),
        BundleAt::DriveDir(&base),
        &mut quiet,
    )
    .unwrap();
    drop(dev);
    let bundle = read_bundle(&written.path).unwrap();
    assert_eq!(bundle.manifest.kind, Kind::Experimental);
    assert_eq!(
        bundle.part(parts::EEPROM).unwrap().bytes,
        build_dvd_eeprom("SONY", "DVD RW DRU-720A", "EMUDVD000001")
    );
    assert_eq!(
        bundle.part(parts::FIRMWARE_VIEW).unwrap().bytes,
        build_dvd_era("SONY", "DVD RW DRU-710A", "BYX4")
    );
    assert!(bundle.part("inquiry.bin").is_some());
    let record = bundle.manifest.experimental.as_ref().unwrap();
    assert!(!record.confirmed_on_hardware);
    assert!(record.firmware_view.as_ref().unwrap().logical_view);
    assert_eq!(
        record.hint.as_ref().unwrap().agreement,
        GroupAgreement::Differs
    );
    assert!(written.path.starts_with(&base));
    // The bundle is in the drive's directory, but no restore or flash ever takes it.
    assert!(matches!(
        find_latest_backup(&base, &found.identity),
        Err(Error::NoBackup(_))
    ));
}

#[test]
fn a_failed_experimental_backup_is_a_failed_backup_with_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b.odbk");
    let mut d = drive("emu:dru-710a,vendor-reads=refused");
    let (mut dev, found) = device(Box::new(&mut d), "emu:dru-710a");
    let err = vendor_reads::backup(
        &mut dev,
        &found,
        reads(&found),
        BundleAt::File(&path),
        &mut quiet,
    )
    .unwrap_err();
    assert_eq!(err.exit_code(), ExitCode::BackupFailed, "{err}");
    assert!(!path.exists());
}

#[test]
fn looking_at_the_eeprom_gives_the_group_hint_and_writes_nothing() {
    let mut d = drive("emu:dru-710a,eeprom-model=DVD RW DRU-720A");
    let (mut dev, found) = device(Box::new(&mut d), "emu:dru-710a");
    let look =
        vendor_reads::look_at_eeprom(dev.transport(), reads(&found), &found.identity, &mut quiet)
            .unwrap();
    let hint = look.read.hint.unwrap();
    assert_eq!(hint.agreement, GroupAgreement::Differs);
    assert_eq!(hint.unit_model, "DRU-720A");
    assert!(hint.advice.contains("flash firmware of the DRU-720A group"));
    assert_eq!(look.len, EEPROM_LEN);
}
