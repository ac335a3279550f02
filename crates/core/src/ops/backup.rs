//! The backup workflow: read the whole flash, the per-unit windows and the identification
//! answers, and write one bundle (`.odbk`, see [`super::bundle`]) that is re-read from disk and
//! validated before the backup counts as done. Every write workflow takes one first; any
//! failure here means no write happens.
//!
//! Layout: `BASE/<family>-<serial>/<UTC time>.odbk`, directories 0700, file 0600. BASE is
//! [`DEFAULT_BASE`] unless the caller gives another (tests use a temp dir).

use std::path::{Path, PathBuf};

use crate::family::Identity;

use super::atomic;
use super::bundle::{self, Bundle, Kind, Manifest, Part};
use super::drive::{Device, Drive};
use super::dump::{self, ReadReport};
use super::error::Error;
use super::Progress;

/// Where backups go by default.
pub const DEFAULT_BASE: &str = "/var/lib/odflash/backups";

/// File extension of a backup bundle.
pub const EXTENSION: &str = "odbk";

/// Part names inside a backup.
pub mod parts {
    /// The whole flash as read back.
    pub const FIRMWARE: &str = "firmware.bin";
    /// The raw INQUIRY reply.
    pub const INQUIRY: &str = "inquiry.bin";
    /// Feature 0x010C descriptor data.
    pub const CONFIG_010C: &str = "config-010c.bin";
    /// Feature 0x0108 descriptor data.
    pub const CONFIG_0108: &str = "config-0108.bin";
}

/// The part name of a per-unit window ("identity" -> "identity.bin").
pub fn window_part_name(window: &str) -> String {
    format!("{window}.bin")
}

/// A finished, validated backup.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BackupReport {
    /// The bundle file.
    pub path: PathBuf,
    /// Its manifest as read back from disk.
    pub manifest: Manifest,
    /// How the flash was read (chunk size, commands, unreadable ranges).
    pub read: ReadReport,
}

/// The directory holding this drive's backups: `base/<family>-<serial>`.
pub fn drive_dir(base: &Path, identity: &Identity) -> PathBuf {
    let serial = identity
        .serial
        .as_deref()
        .map(sanitize)
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| format!("noserial-{}", sanitize(&identity.model)));
    base.join(format!("{}-{serial}", identity.family))
}

/// Keep file-name-safe characters of device-provided text.
fn sanitize(text: &str) -> String {
    text.trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Take a backup of `drive` under `base`. Any failure, including reading the drive, is
/// [`Error::Backup`]; an identify-only drive is [`Error::IdentifyOnly`].
pub fn backup(
    dev: &mut Device<'_>,
    drive: &Drive,
    base: &Path,
    progress: &mut dyn FnMut(Progress),
) -> Result<BackupReport, Error> {
    take(dev, drive, Destination::Under(base), progress)
}

/// Take a backup of `drive` into the file `path` (`odflash backup -o FILE`), with the same
/// validation as [`backup`].
pub fn backup_to(
    dev: &mut Device<'_>,
    drive: &Drive,
    path: &Path,
    progress: &mut dyn FnMut(Progress),
) -> Result<BackupReport, Error> {
    take(dev, drive, Destination::File(path), progress)
}

/// Where a bundle goes.
enum Destination<'a> {
    /// A new file in the drive's directory under this base.
    Under(&'a Path),
    /// Exactly this file.
    File(&'a Path),
}

/// Take the backup; any failure, including reading the drive, is [`Error::Backup`], except an
/// identify-only drive ([`Error::IdentifyOnly`]).
fn take(
    dev: &mut Device<'_>,
    drive: &Drive,
    dest: Destination<'_>,
    progress: &mut dyn FnMut(Progress),
) -> Result<BackupReport, Error> {
    // An identify-only drive is not a failed backup: there is nothing odflash can read from it.
    drive.read_access()?;
    write_backup(dev, drive, dest, progress).map_err(|e| match e {
        Error::Backup(_) => e,
        other => Error::Backup(Box::new(other)),
    })
}

fn write_backup(
    dev: &mut Device<'_>,
    drive: &Drive,
    dest: Destination<'_>,
    progress: &mut dyn FnMut(Progress),
) -> Result<BackupReport, Error> {
    let flash = drive.read_access()?;
    let layout = flash.layout();
    let read = dump::read_flash(dev.transport(), flash, progress)?;
    // Unit data that could not be read makes the backup useless for a restore.
    for w in &layout.unit_windows {
        let window = w.offset..w.offset + w.len;
        if let Some(r) = read
            .report
            .unreadable
            .iter()
            .find(|r| r.start < window.end && window.start < r.end)
        {
            return Err(Error::Unreadable(format!(
                "the {} window ({:#x}..{:#x}) could not be read",
                w.name, r.start, r.end
            )));
        }
    }
    let mut all = vec![Part {
        name: parts::FIRMWARE.into(),
        flash_offset: Some(0),
        bytes: read.bytes.clone(),
    }];
    for w in &layout.unit_windows {
        let (start, end) = (w.offset as usize, (w.offset + w.len) as usize);
        all.push(Part {
            name: window_part_name(&w.name),
            flash_offset: Some(w.offset),
            bytes: read.bytes[start..end].to_vec(),
        });
    }
    all.push(Part {
        name: parts::INQUIRY.into(),
        flash_offset: None,
        bytes: drive.inquiry.raw.clone(),
    });
    for (name, data) in [
        (parts::CONFIG_010C, &drive.config_010c),
        (parts::CONFIG_0108, &drive.config_0108),
    ] {
        if let Some(bytes) = data {
            all.push(Part {
                name: name.into(),
                flash_offset: None,
                bytes: bytes.clone(),
            });
        }
    }
    let (created, stem) = bundle::utc_now();
    let mut manifest = bundle::build_manifest(Kind::Backup, drive.record(), &created, &all);
    manifest.unreadable = read.report.unreadable.clone();
    let path = match dest {
        Destination::Under(base) => {
            let dir = drive_dir(base, &drive.identity);
            atomic::create_private_dir(&dir)?;
            free_name(&dir, &stem)
        }
        Destination::File(path) => path.to_path_buf(),
    };
    let Bundle { manifest, .. } = bundle::write_bundle(&path, &manifest, &all)?;
    log::info!("backup written and validated: {}", path.display());
    Ok(BackupReport {
        path,
        manifest,
        read: read.report,
    })
}

/// `dir/stem.odbk`, or `dir/stem-N.odbk` when taken (two backups in one second).
fn free_name(dir: &Path, stem: &str) -> PathBuf {
    let mut path = dir.join(format!("{stem}.{EXTENSION}"));
    let mut n = 1;
    while path.exists() {
        path = dir.join(format!("{stem}-{n}.{EXTENSION}"));
        n += 1;
    }
    path
}

/// The newest valid backup of the drive `identity` names under `base`, with its contents.
/// Invalid bundles are skipped with a warning; [`Error::NoBackup`] when none is usable.
pub fn find_latest_backup(base: &Path, identity: &Identity) -> Result<(PathBuf, Bundle), Error> {
    let dir = drive_dir(base, identity);
    let mut names: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == EXTENSION))
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(Error::io(&dir, e)),
    };
    // Stems are UTC times (YYYYMMDDTHHMMSSZ[-N]): lexical order is time order.
    names.sort();
    for path in names.into_iter().rev() {
        match bundle::read_bundle(&path) {
            Ok(b) if b.manifest.kind == Kind::Backup => return Ok((path, b)),
            Ok(_) => log::warn!("{} is not a backup bundle; skipped", path.display()),
            Err(e) => log::warn!("skipping unusable backup: {e}"),
        }
    }
    Err(Error::NoBackup(dir))
}

/// The newest valid backup of any unit of `identity`'s model (same family, same model name,
/// any serial) under `base`, by the manifest's creation time, then the file name. For a drive
/// whose serial cannot be read (a boot loader that refuses reads), whose own backup directory
/// cannot be told.
pub fn find_latest_backup_of_model(
    base: &Path,
    identity: &Identity,
) -> Result<(PathBuf, Bundle), Error> {
    let prefix = format!("{}-", identity.family);
    let dirs = match std::fs::read_dir(base) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(&prefix))
            })
            .collect::<Vec<_>>(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(Error::io(base, e)),
    };
    let model = identity.model.trim();
    let mut found: Vec<(String, PathBuf, Bundle)> = Vec::new();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for path in entries.filter_map(|e| e.ok().map(|e| e.path())) {
            if path.extension().map_or(true, |x| x != EXTENSION) {
                continue;
            }
            match bundle::read_bundle(&path) {
                Ok(b)
                    if b.manifest.kind == Kind::Backup
                        && b.manifest.device.family == identity.family
                        && b.manifest.device.identity.model.trim() == model =>
                {
                    found.push((b.manifest.created.clone(), path, b))
                }
                Ok(_) => {}
                Err(e) => log::warn!("skipping unusable backup: {e}"),
            }
        }
    }
    found.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    found
        .pop()
        .map(|(_, path, bundle)| (path, bundle))
        .ok_or_else(|| Error::NoBackup(base.to_path_buf()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::family::FamilyId;

    fn identity(serial: Option<&str>) -> Identity {
        Identity {
            family: FamilyId::Mt19xx,
            chip: None,
            banner: None,
            vendor: "HL-DT-ST".into(),
            model: "BD-RE BU40N".into(),
            revision: "1.00".into(),
            firmware_date: None,
            serial: serial.map(str::to_string),
            flash_reads: Default::default(),
        }
    }

    #[test]
    fn drive_dir_is_sanitized() {
        let base = Path::new("/b");
        assert_eq!(
            drive_dir(base, &identity(Some("K12/../34 "))),
            PathBuf::from("/b/mt19xx-K12_.._34")
        );
        assert_eq!(
            drive_dir(base, &identity(None)),
            PathBuf::from("/b/mt19xx-noserial-BD-RE_BU40N")
        );
    }

    #[test]
    fn no_backup_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            find_latest_backup(dir.path(), &identity(Some("X"))),
            Err(Error::NoBackup(_))
        ));
    }
}
