//! Per-unit data ("EEPROM"): dump the family's unit windows (identity + calibration) to a
//! bundle of kind `unit-data`, and restore them: validate the file, refuse another drive's data
//! unless [`FromOtherDrive::Allowed`], take a durable backup, write each window, read it back and
//! compare. A restore is a dry run unless [`Execution::Execute`].
//!
//! The file is the [`super::bundle`] format, so a full backup (`.odbk`) restores too: the parts
//! named `<window>.bin` with the window's flash offset are used. It knows no CDB bytes.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::family::{Window, WriteAccess};

use super::backup::{self, window_part_name, BackupReport};
use super::bundle::{self, Bundle, DeviceRecord, Kind, Part, UnitMatch};
use super::drive::{Device, DeviceKind, Drive};
use super::dump::{self, ReadReport, Sweep, Unreadable};
use super::error::{Burned, DriveCondition, Error};
use super::flash::Execution;
use super::next::{NextStep, Risk};
use super::session::WriteSession;
use super::{Phase, Progress};

/// Whether unit data recorded from another drive may be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum FromOtherDrive {
    /// Refuse data not provably this drive's: another model, another serial, or no serial to
    /// tell the units apart ([`UnitMatch`]) (default).
    #[default]
    Refused,
    /// Allow it (`--from-other-drive`).
    Allowed,
}

/// Restore options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoreOptions {
    /// Waiver for another drive's data.
    pub from_other_drive: FromOtherDrive,
    /// Dry run unless [`Execution::Execute`].
    pub execution: Execution,
    /// Base directory of the mandatory backup.
    pub backup_base: PathBuf,
    /// The user's risk acknowledgement, repeated in the commands a failure suggests.
    pub risk: Risk,
}

impl RestoreOptions {
    /// The command that restores `file` (FILE when `None`) onto `device` with these options.
    pub fn next_step(
        &self,
        device: &str,
        kind: DeviceKind,
        file: Option<&Path>,
        from_other_drive: FromOtherDrive,
    ) -> String {
        NextStep::RestoreUnitData {
            device: device.to_string(),
            kind,
            file: file.map(Path::to_path_buf),
            from_other_drive,
            backup_base: self.backup_base.clone(),
            risk: self.risk,
        }
        .command()
    }
}

/// What a unit-data dump wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnitDump {
    /// The file.
    pub path: PathBuf,
    /// Its manifest, as read back.
    pub manifest: bundle::Manifest,
}

/// Read every unit window of `drive` (strictly: an unreadable byte fails the dump) and write
/// them to `out` as a `unit-data` bundle (0600), re-read and validated.
pub fn dump_unit_data(
    dev: &mut Device<'_>,
    drive: &Drive,
    out: &Path,
    progress: &mut dyn FnMut(Progress),
) -> Result<UnitDump, Error> {
    let flash = drive.read_access()?;
    let t = dev.transport();
    let mut report = ReadReport::default();
    let chunk = dump::probe_chunk(t, flash, flash.layout().protected.end as u32, &mut report)?;
    let mut parts = Vec::new();
    for w in flash.layout().unit_windows {
        let sweep = Sweep {
            range: w.offset..w.offset + w.len,
            chunk,
            unreadable: Unreadable::Fail,
            phase: Phase::Read,
        };
        let bytes = dump::read_region(t, flash, &sweep, &mut report, progress)?;
        parts.push(Part {
            name: window_part_name(&w.name),
            flash_offset: Some(w.offset),
            bytes,
        });
    }
    let manifest =
        bundle::build_manifest(Kind::UnitData, drive.record(), &bundle::utc_now().0, &parts);
    let written = bundle::write_bundle(out, &manifest, &parts)?;
    Ok(UnitDump {
        path: out.to_path_buf(),
        manifest: written.manifest,
    })
}

/// One window a restore writes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WindowRestore {
    /// The window.
    pub name: String,
    /// Flash offset.
    pub offset: u32,
    /// Length.
    pub len: u32,
    /// sha256 of the bytes to write.
    pub sha256: String,
}

/// A restore plan (what a dry run returns).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RestorePlan {
    /// The file.
    pub file: PathBuf,
    /// The drive the file was read from.
    pub source: DeviceRecord,
    /// The drive it goes to.
    pub target: DeviceRecord,
    /// How the source relates to the target: anything but [`UnitMatch::Same`] is allowed only
    /// with [`FromOtherDrive::Allowed`].
    pub unit: UnitMatch,
    /// The windows to write, in order.
    pub windows: Vec<WindowRestore>,
}

/// A finished restore.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RestoreReport {
    /// The plan carried out.
    pub plan: RestorePlan,
    /// The backup taken first.
    pub backup: BackupReport,
    /// Termination signals that arrived during the write.
    pub deferred_signals: Vec<String>,
}

/// What [`restore_unit_data`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RestoreOutcome {
    /// Dry run: nothing written.
    Planned(Box<RestorePlan>),
    /// Every window written and verified.
    Restored(Box<RestoreReport>),
}

/// A window and the bytes to write into it.
pub type WindowBytes = (Window, Vec<u8>);

/// Plan a restore (no device I/O): validate the file's windows against the family layout and
/// check it belongs to this drive.
pub fn plan_restore(
    drive: &Drive,
    file: &Path,
    bundle: &Bundle,
    from_other_drive: FromOtherDrive,
) -> Result<(RestorePlan, Vec<WindowBytes>), Error> {
    let flash = drive.flash_access()?;
    let target = drive.record();
    let source = bundle.manifest.device.clone();
    let unit = UnitMatch::of(&source.identity, &target.identity);
    if unit != UnitMatch::Same && from_other_drive == FromOtherDrive::Refused {
        return Err(Error::OtherDrive {
            file: source.label(),
            drive: target.label(),
            unit,
        });
    }
    let mut windows = Vec::new();
    let mut data = Vec::new();
    for w in flash.layout().unit_windows {
        let name = window_part_name(&w.name);
        let part = bundle
            .part(&name)
            .ok_or_else(|| Error::bad_file(file, format!("{name} is missing")))?;
        if part.flash_offset != Some(w.offset) || part.bytes.len() != w.len as usize {
            return Err(Error::bad_file(
                file,
                format!(
                    "{name} is {:#x} bytes at {:?}; this drive's {} window is {:#x} bytes at {:#x}",
                    part.bytes.len(),
                    part.flash_offset,
                    w.name,
                    w.len,
                    w.offset
                ),
            ));
        }
        // Every window goes in one command: refuse before the first one is written.
        drive.check_path_carries(&format!("{} window write", w.name), w.len as usize)?;
        windows.push(WindowRestore {
            name: w.name.clone(),
            offset: w.offset,
            len: w.len,
            sha256: bundle::sha256_hex(&part.bytes),
        });
        data.push((w, part.bytes.clone()));
    }
    Ok((
        RestorePlan {
            file: file.to_path_buf(),
            source,
            target,
            unit,
            windows,
        },
        data,
    ))
}

/// Restore unit data from `file` onto `drive`.
pub fn restore_unit_data(
    dev: &mut Device<'_>,
    drive: &Drive,
    file: &Path,
    opts: &RestoreOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<RestoreOutcome, Error> {
    let bundle = bundle::read_bundle(file)?;
    let (plan, data) = plan_restore(drive, file, &bundle, opts.from_other_drive)?;
    if opts.execution == Execution::DryRun {
        return Ok(RestoreOutcome::Planned(Box::new(plan)));
    }
    let flash = drive.flash_access()?;
    let session = WriteSession::begin(dev, "restoring optical drive unit data")?;
    let backup = backup::backup(dev, drive, &opts.backup_base, progress)?;
    let retry = opts.next_step(&dev.name, dev.kind, Some(file), opts.from_other_drive);
    // The backup was just read from this drive: it needs no waiver.
    let from_backup = opts.next_step(
        &dev.name,
        dev.kind,
        Some(&backup.path),
        FromOtherDrive::Refused,
    );
    let t = dev.transport();
    let total: usize = data.iter().map(|(w, _)| w.len as usize).sum();
    let mut done = 0;
    for (i, (window, bytes)) in data.iter().enumerate() {
        flash
            .write_window(&WriteAccess::grant(), t, window, bytes)
            .map_err(|source| {
                let state = if i == 0 {
                    format!(
                        "writing the {} window failed: it may be partly written; no other window \
                     was touched",
                        window.name
                    )
                } else {
                    format!(
                        "writing the {} window failed after {} window(s) were written: the unit \
                     data is inconsistent",
                        window.name, i
                    )
                };
                Error::WriteInterrupted {
                    phase: format!("writing the {} window", window.name),
                    source: Box::new(source),
                    condition: DriveCondition {
                        burned: if i == 0 { Burned::No } else { Burned::Partly },
                        // `next` is one command, runnable as printed; the way back is in words.
                        state: format!(
                            "{state} (the unit data the drive had is in the backup: {from_backup})"
                        ),
                        next: retry.clone(),
                    },
                }
            })?;
        done += window.len as usize;
        progress(Progress {
            phase: Phase::WriteWindow,
            done,
            total,
        });
    }
    // Read every window back and compare.
    // The backup's read found the largest transfer this path accepts.
    let chunk = backup.read.chunk;
    let mut report = ReadReport::default();
    for (window, bytes) in &data {
        let sweep = Sweep {
            range: window.offset..window.offset + window.len,
            chunk,
            unreadable: Unreadable::Fail,
            phase: Phase::Verify,
        };
        let read = dump::read_region(t, flash, &sweep, &mut report, progress);
        let condition = DriveCondition {
            burned: Burned::Yes,
            state: format!(
                "the {} window was written but does not read back as intended",
                window.name
            ),
            next: retry.clone(),
        };
        let read = match read {
            Ok(r) => r,
            Err(Error::Family(source)) => {
                return Err(Error::WriteInterrupted {
                    phase: format!("reading back the {} window", window.name),
                    source: Box::new(source),
                    condition,
                })
            }
            Err(e) => return Err(e),
        };
        if let Some(first) = bytes.iter().zip(&read).position(|(a, b)| a != b) {
            return Err(Error::VerifyMismatch {
                offset: window.offset + first as u32,
                expected: bytes[first],
                found: read[first],
                mismatched: bytes.iter().zip(&read).filter(|(a, b)| a != b).count(),
                condition,
            });
        }
    }
    let deferred_signals = session.end().iter().map(|s| s.to_string()).collect();
    Ok(RestoreOutcome::Restored(Box::new(RestoreReport {
        plan,
        backup,
        deferred_signals,
    })))
}
