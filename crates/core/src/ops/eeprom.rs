//! Per-unit data ("EEPROM"): dump the family's unit windows (identity + calibration) to a
//! bundle of kind `unit-data`, and restore them in two steps. [`plan_restore`] reads and
//! validates the file once (no device I/O) and refuses another drive's data unless
//! [`FromOtherDrive::Allowed`]; the [`RestorePlan`] it returns holds the exact bytes of every
//! window. [`execute_restore`] carries out that plan: a durable backup, each window written
//! from the plan's bytes, read back and compared. The file is not read again, so what a dry run
//! showed is what is written.
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
    ) -> NextStep {
        NextStep::RestoreUnitData {
            device: device.to_string(),
            kind,
            file: file.map(Path::to_path_buf),
            from_other_drive,
            backup_base: self.backup_base.clone(),
            risk: self.risk,
        }
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
            known: None,
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
    let manifest = bundle::write_bundle(out, &manifest, &parts)?;
    Ok(UnitDump {
        path: out.to_path_buf(),
        manifest,
    })
}

/// One window a restore writes, with the bytes it writes there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WindowRestore {
    /// The window (name, flash offset, length).
    #[serde(flatten)]
    pub window: Window,
    /// sha256 of the bytes to write.
    pub sha256: String,
    /// The bytes, as read and validated from the file when the plan was made.
    #[serde(skip)]
    bytes: Vec<u8>,
}

impl WindowRestore {
    /// The exact bytes [`execute_restore`] writes into the window.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }
}

/// A restore plan: what a dry run shows and what [`execute_restore`] writes, byte for byte.
/// Only [`plan_restore`] makes one.
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
    /// The options it was planned with (the backup base, the commands a failure suggests).
    #[serde(skip)]
    options: RestoreOptions,
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

/// Plan restoring `file` onto `drive`: read and validate the file (its only read), then
/// [`plan_restore_bundle`].
pub fn plan_restore(
    drive: &Drive,
    file: &Path,
    opts: &RestoreOptions,
) -> Result<RestorePlan, Error> {
    let bundle = bundle::read_bundle(file)?;
    plan_restore_bundle(drive, file, &bundle, opts)
}

/// Plan restoring `bundle` (read from `file`) onto `drive`, with no device I/O: check it
/// belongs to this drive, match its windows against the family layout, and keep their bytes.
pub fn plan_restore_bundle(
    drive: &Drive,
    file: &Path,
    bundle: &Bundle,
    opts: &RestoreOptions,
) -> Result<RestorePlan, Error> {
    let flash = drive.flash_access()?;
    let target = drive.record();
    let source = bundle.manifest.device.clone();
    let unit = UnitMatch::of(&source.identity, &target.identity);
    if unit != UnitMatch::Same && opts.from_other_drive == FromOtherDrive::Refused {
        return Err(Error::OtherDrive {
            file: source.label(),
            drive: target.label(),
            unit,
        });
    }
    let mut windows = Vec::new();
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
            window: w,
            sha256: bundle::sha256_hex(&part.bytes),
            bytes: part.bytes.clone(),
        });
    }
    Ok(RestorePlan {
        file: file.to_path_buf(),
        source,
        target,
        unit,
        windows,
        options: opts.clone(),
    })
}

/// Carry out `plan` on `drive` (the drive it was planned for): take the mandatory backup,
/// write each window's planned bytes, read every window back and compare.
pub fn execute_restore(
    dev: &mut Device<'_>,
    drive: &Drive,
    plan: RestorePlan,
    progress: &mut dyn FnMut(Progress),
) -> Result<RestoreReport, Error> {
    let connected = drive.record();
    if connected != plan.target {
        return Err(Error::PlannedForAnotherDrive {
            planned: plan.target.label(),
            drive: connected.label(),
        });
    }
    let flash = drive.flash_access()?;
    let opts = &plan.options;
    let session = WriteSession::begin(dev, "restoring optical drive unit data")?;
    let backup = backup::backup(dev, drive, &opts.backup_base, progress)?;
    let retry = opts.next_step(&dev.name, dev.kind, Some(&plan.file), opts.from_other_drive);
    // The backup was just read from this drive: it needs no waiver.
    let from_backup = opts.next_step(
        &dev.name,
        dev.kind,
        Some(&backup.path),
        FromOtherDrive::Refused,
    );
    let t = dev.transport();
    let total: usize = plan.windows.iter().map(|w| w.window.len as usize).sum();
    let mut done = 0;
    for (i, w) in plan.windows.iter().enumerate() {
        let window = &w.window;
        let access = WriteAccess::grant();
        flash
            .write_window(&access, t, window, &w.bytes)
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
                    // `next` is one command, runnable as printed; the way back is in words.
                    condition: DriveCondition {
                        burned: if i == 0 { Burned::No } else { Burned::Partly },
                        state,
                        way_back: Some(Box::new(from_backup.clone())),
                        next: Box::new(retry.clone()),
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
    for w in &plan.windows {
        let (window, bytes) = (&w.window, &w.bytes);
        let sweep = Sweep {
            range: window.offset..window.offset + window.len,
            chunk,
            unreadable: Unreadable::Fail,
            phase: Phase::Verify,
            known: None,
        };
        let read = dump::read_region(t, flash, &sweep, &mut report, progress);
        let condition = DriveCondition {
            burned: Burned::Yes,
            state: format!(
                "the {} window was written but does not read back as intended",
                window.name
            ),
            way_back: None,
            next: Box::new(retry.clone()),
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
    Ok(RestoreReport {
        plan,
        backup,
        deferred_signals,
    })
}
