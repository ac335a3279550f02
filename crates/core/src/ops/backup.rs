//! The backup workflow: read the whole flash, the per-unit windows and the identification
//! answers, and write one bundle (`.odbk`, see [`super::bundle`]) that is re-read from disk and
//! validated before the backup counts as done. Every write workflow takes one first; any
//! failure here means no write happens.
//!
//! The flash is never held in memory: it streams into an unnamed scratch file in the bundle's
//! directory as it is read (hashed on the way, for the manifest that comes first in the
//! archive), from there into the bundle, and what the drive held before a write is read back
//! from the validated bundle ([`FlashInBundle`]).
//!
//! Layout: `BASE/<family>-<serial>/<UTC time>.odbk`, directories 0700, file 0600. BASE is
//! [`DEFAULT_BASE`] unless the caller gives another (tests use a temp dir).

use std::fs::File;
use std::io::BufWriter;
use std::ops::Range;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::family::Identity;

use super::atomic;
use super::bundle::{
    self, Bundle, Contents, Kind, Manifest, Outgoing, Part, PartRecord, UnitMatch,
};
use super::drive::{Device, Drive};
use super::dump::{self, ReadReport};
use super::error::Error;
use super::input;
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
    /// Where the whole flash as read is in the bundle, which was re-read and validated to hold
    /// it: what the drive held before a write (a flash compares its read-back with it).
    #[serde(skip)]
    pub flash: FlashInBundle,
}

/// Where a validated backup's flash lies in its bundle file. The flash is never held in
/// memory: it streams to disk as it is read, and comparisons read it back a piece at a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlashInBundle {
    /// The bundle file.
    pub path: PathBuf,
    /// Where `firmware.bin`'s bytes begin in it.
    pub offset: u64,
    /// The flash size.
    pub len: usize,
}

impl FlashInBundle {
    /// Open the bundle to read flash ranges from it.
    pub fn open(&self) -> Result<FlashReader, Error> {
        Ok(FlashReader {
            file: input::open_input(&self.path, "backup bundle")?,
            at: self.clone(),
            buf: Vec::new(),
        })
    }
}

/// A backup's flash, read from its bundle a range at a time into one reused buffer.
pub struct FlashReader {
    file: File,
    at: FlashInBundle,
    buf: Vec<u8>,
}

impl FlashReader {
    /// The flash size.
    pub fn flash_size(&self) -> usize {
        self.at.len
    }

    /// The bytes the backup holds at flash offsets `range`: `None` when the range lies outside
    /// the flash or the file cannot be read (logged: a comparison then cannot be made).
    pub fn read(&mut self, range: Range<usize>) -> Option<&[u8]> {
        if range.start > range.end || range.end > self.at.len {
            return None;
        }
        self.buf.resize(range.len(), 0);
        match self
            .file
            .read_exact_at(&mut self.buf, self.at.offset + range.start as u64)
        {
            Ok(()) => Some(&self.buf),
            Err(e) => {
                log::warn!("cannot read the backup {}: {e}", self.at.path.display());
                None
            }
        }
    }
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
        // The user's directory is refused as such: nothing was attempted.
        Error::Backup(_) | Error::UnsafeBackupDir { .. } => e,
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
    let dir = match dest {
        Destination::Under(base) => prepare_drive_dir(base, &drive.identity)?,
        Destination::File(path) => atomic::parent_dir(path),
    };
    // The flash goes to disk as it is read, hashed on the way: it is never held in memory.
    let mut scratch = atomic::scratch_file(&dir)?;
    let (read, sha256) = dump::read_flash_into(
        dev,
        drive,
        &mut BufWriter::with_capacity(SCRATCH_BUFFER, &mut scratch),
        &dir,
        progress,
    )?;
    // Unit data that could not be read makes the backup useless for a restore.
    for w in &layout.unit_windows {
        let window = w.offset..w.offset + w.len;
        if let Some(r) = read
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
    // The parts small enough to hold: the unit windows and the identification answers.
    let mut small = Vec::new();
    for w in &layout.unit_windows {
        let mut bytes = vec![0; w.len as usize];
        scratch
            .read_exact_at(&mut bytes, u64::from(w.offset))
            .map_err(|e| Error::io(&dir, e))?;
        small.push(Part {
            name: window_part_name(&w.name),
            flash_offset: Some(w.offset),
            bytes,
        });
    }
    small.extend(identification_parts(drive));
    // The firmware part first, as bundles always held it.
    let firmware = PartRecord {
        name: parts::FIRMWARE.into(),
        flash_offset: Some(0),
        size: layout.size as u64,
        sha256,
    };
    let mut records = vec![firmware];
    records.extend(small.iter().map(PartRecord::of));
    let (created, stem) = bundle::utc_now();
    let mut manifest = bundle::manifest_of_records(Kind::Backup, drive.record(), &created, records);
    manifest.unreadable = read.unreadable.clone();
    let path = match dest {
        Destination::Under(_) => free_name(&dir, &stem),
        Destination::File(path) => path.to_path_buf(),
    };
    let mut outgoing = vec![Outgoing {
        name: parts::FIRMWARE,
        contents: Contents::File(&scratch),
    }];
    outgoing.extend(small.iter().map(Outgoing::from));
    let written = bundle::write_bundle_from(&path, &manifest, &outgoing)?;
    log::info!("backup written and validated: {}", path.display());
    Ok(BackupReport {
        flash: FlashInBundle {
            path: path.clone(),
            offset: written.data_offsets[0],
            len: layout.size,
        },
        path,
        manifest: written.manifest,
        read,
    })
}

/// Bytes gathered before each write into the scratch file (a few sweep chunks).
const SCRATCH_BUFFER: usize = 0x4_0000;

/// The raw identification answers every bundle of a drive carries: INQUIRY, and the feature
/// answers the drive gave.
pub(crate) fn identification_parts(drive: &Drive) -> Vec<Part> {
    let answers = [
        (parts::INQUIRY, Some(&drive.inquiry.raw)),
        (parts::CONFIG_010C, drive.config_010c.as_ref()),
        (parts::CONFIG_0108, drive.config_0108.as_ref()),
    ];
    answers
        .into_iter()
        .filter_map(|(name, data)| {
            data.map(|bytes| Part {
                name: name.into(),
                flash_offset: None,
                bytes: bytes.clone(),
            })
        })
        .collect()
}

/// `dir/stem.odbk`, or `dir/stem-N.odbk` when taken (two backups in one second).
pub(crate) fn free_name(dir: &Path, stem: &str) -> PathBuf {
    let mut path = dir.join(format!("{stem}.{EXTENSION}"));
    let mut n = 1;
    while path.exists() {
        path = dir.join(format!("{stem}-{n}.{EXTENSION}"));
        n += 1;
    }
    path
}

/// Why a directory is not trusted to hold backups: another user could plant or swap a bundle
/// in it, and a restore would then write that user's data to the drive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "problem")]
pub enum UnsafeDir {
    /// It is a symbolic link (it could point anywhere, and be re-pointed).
    Symlink,
    /// It exists and is not a directory.
    NotADirectory,
    /// It belongs to a user who is neither root nor the one running odflash.
    Owner {
        /// Its owner.
        uid: u32,
    },
    /// Group or others may write in it.
    Writable {
        /// Its permission bits.
        mode: u32,
    },
}

impl std::fmt::Display for UnsafeDir {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UnsafeDir::Symlink => write!(
                f,
                "is a symbolic link: give the real directory's path with --backup-dir"
            ),
            UnsafeDir::NotADirectory => write!(
                f,
                "is not a directory: remove it or give another directory with --backup-dir"
            ),
            UnsafeDir::Owner { uid } => write!(
                f,
                "belongs to user {uid}, neither root nor you: use a directory of your own \
                 (`chown` it) or give another with --backup-dir"
            ),
            UnsafeDir::Writable { mode } => write!(
                f,
                "is writable by group or others (mode {:04o}): `chmod go-w` it (odflash creates \
                 backup directories 0700) or give another with --backup-dir",
                mode & 0o7777
            ),
        }
    }
}

/// What a backup directory's own entry says about it (pure, from `lstat`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct DirEntry {
    symlink: bool,
    dir: bool,
    uid: u32,
    mode: u32,
}

impl DirEntry {
    /// The reason not to trust it, if any. `trusted` are the owners allowed besides root.
    fn problem(&self, trusted: &[u32]) -> Option<UnsafeDir> {
        if self.symlink {
            Some(UnsafeDir::Symlink)
        } else if !self.dir {
            Some(UnsafeDir::NotADirectory)
        } else if self.uid != 0 && !trusted.contains(&self.uid) {
            Some(UnsafeDir::Owner { uid: self.uid })
        } else if self.mode & 0o022 != 0 {
            Some(UnsafeDir::Writable { mode: self.mode })
        } else {
            None
        }
    }
}

/// The owners trusted besides root: the effective and real user, and under sudo the user who
/// ran it (`SUDO_UID`, set by sudo), whose own directory is where they keep their backups.
fn trusted_owners() -> Vec<u32> {
    let mut uids = vec![
        nix::unistd::geteuid().as_raw(),
        nix::unistd::getuid().as_raw(),
    ];
    if nix::unistd::geteuid().is_root() {
        if let Some(uid) = std::env::var("SUDO_UID").ok().and_then(|u| u.parse().ok()) {
            uids.push(uid);
        }
    }
    uids
}

/// Whether a backup directory exists (and is safe, else the error).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DirState {
    /// Not there.
    Missing,
    /// There, and safe to read and write backups in.
    Safe,
}

/// Check `dir` (not following a symlink) against [`DirEntry::problem`].
fn check_dir(dir: &Path) -> Result<DirState, Error> {
    use std::os::unix::fs::MetadataExt;
    let meta = match std::fs::symlink_metadata(dir) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(DirState::Missing),
        Err(e) => return Err(Error::io(dir, e)),
    };
    let entry = DirEntry {
        symlink: meta.file_type().is_symlink(),
        dir: meta.is_dir(),
        uid: meta.uid(),
        mode: meta.mode(),
    };
    match entry.problem(&trusted_owners()) {
        None => Ok(DirState::Safe),
        Some(problem) => Err(Error::UnsafeBackupDir {
            path: dir.to_path_buf(),
            problem,
        }),
    }
}

/// Make sure `dir` is a safe backup directory, creating it (and missing parents) 0700.
fn ensure_dir(dir: &Path) -> Result<(), Error> {
    if check_dir(dir)? == DirState::Missing {
        atomic::create_private_dir(dir)?;
        // Checked again: what was created (or raced into its place) is what will be used.
        check_dir(dir)?;
    }
    Ok(())
}

/// Check the base and the drive's directory under it (both must be safe) and return the
/// drive's, creating either 0700 when missing. Every backup is written through this.
pub fn prepare_drive_dir(base: &Path, identity: &Identity) -> Result<PathBuf, Error> {
    ensure_dir(base)?;
    let dir = drive_dir(base, identity);
    ensure_dir(&dir)?;
    Ok(dir)
}

/// The newest valid backup bundle in `dirs` whose manifest `wanted` accepts: by the
/// manifest's creation time, then the file name. Each directory must be safe (a missing one
/// holds nothing); invalid bundles are skipped with a warning.
fn newest_backup(
    dirs: &[PathBuf],
    wanted: impl Fn(&Manifest) -> bool,
) -> Result<Option<(PathBuf, Bundle)>, Error> {
    let mut newest: Option<(bundle::CreatedOrder, PathBuf, Bundle)> = None;
    for dir in dirs {
        if check_dir(dir)? == DirState::Missing {
            continue;
        }
        let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
        for path in entries.filter_map(|e| e.ok().map(|e| e.path())) {
            if path.extension().map_or(true, |x| x != EXTENSION) {
                continue;
            }
            match bundle::read_bundle(&path) {
                Ok(b) if b.manifest.kind == Kind::Backup && wanted(&b.manifest) => {
                    let order = b.manifest.created_order();
                    let newer = newest
                        .as_ref()
                        .map_or(true, |(o, p, _)| (&order, &path) > (o, p));
                    if newer {
                        newest = Some((order, path, b));
                    }
                }
                Ok(_) => log::debug!("{} is not a backup of this drive; skipped", path.display()),
                Err(e) => log::warn!("skipping unusable backup: {e}"),
            }
        }
    }
    Ok(newest.map(|(_, path, bundle)| (path, bundle)))
}

/// The newest valid backup of the drive `identity` names under `base`, with its contents:
/// a bundle in the drive's directory recorded from this model with this serial (or, for a
/// drive without one, from a unit of this model without one: see [`UnitMatch`]).
/// [`Error::NoBackup`] when none is usable; [`Error::UnsafeBackupDir`] for an unsafe directory.
pub fn find_latest_backup(base: &Path, identity: &Identity) -> Result<(PathBuf, Bundle), Error> {
    check_dir(base)?;
    let dir = drive_dir(base, identity);
    newest_backup(std::slice::from_ref(&dir), |m| {
        UnitMatch::of(&m.device.identity, identity).may_be_this_unit()
    })?
    .ok_or(Error::NoBackup(dir))
}

/// The newest valid backup of any unit of `identity`'s model (same family, vendor and model,
/// any serial) under `base`. For a drive whose serial cannot be read (a boot loader that
/// refuses reads), whose own backup directory cannot be told; the restore checks the serial.
pub fn find_latest_backup_of_model(
    base: &Path,
    identity: &Identity,
) -> Result<(PathBuf, Bundle), Error> {
    let prefix = format!("{}-", identity.family);
    let dirs = match check_dir(base)? {
        DirState::Missing => Vec::new(),
        DirState::Safe => std::fs::read_dir(base)
            .map_err(|e| Error::io(base, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(&prefix))
            })
            .collect(),
    };
    newest_backup(&dirs, |m| {
        UnitMatch::of(&m.device.identity, identity) != UnitMatch::OtherModel
    })?
    .ok_or_else(|| Error::NoBackup(base.to_path_buf()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity(serial: Option<&str>) -> Identity {
        Identity {
            family: crate::family::FamilyId::named("test-family"),
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
            PathBuf::from("/b/test-family-K12_.._34")
        );
        assert_eq!(
            drive_dir(base, &identity(None)),
            PathBuf::from("/b/test-family-noserial-BD-RE_BU40N")
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

    /// A backup bundle of `identity` created at `created`, written as `dir/name`.
    fn bundle_at(dir: &Path, name: &str, identity: &Identity, created: &str) -> PathBuf {
        let mut device = bundle::tests::device();
        device.identity = identity.clone();
        device.family = identity.family.clone();
        let parts = [Part {
            name: parts::FIRMWARE.into(),
            flash_offset: Some(0),
            bytes: vec![0x5A; 16],
        }];
        let manifest = bundle::build_manifest(Kind::Backup, device, created, &parts);
        atomic::create_private_dir(dir).unwrap();
        let path = dir.join(name);
        bundle::write_bundle(&path, &manifest, &parts).unwrap();
        path
    }

    #[test]
    fn newest_backup_is_chosen_by_created_time_not_by_name() {
        let base = tempfile::tempdir().unwrap();
        let id = identity(Some("K1"));
        let dir = drive_dir(base.path(), &id);
        // Two bundles within one second: the second got the "-1" name, which sorts first.
        bundle_at(
            &dir,
            "20261124T073041Z.odbk",
            &id,
            "2026-11-24T07:30:41.100000Z",
        );
        let second = bundle_at(
            &dir,
            "20261124T073041Z-1.odbk",
            &id,
            "2026-11-24T07:30:41.900000Z",
        );
        // A name that sorts last, from an older (whole-second) manifest.
        bundle_at(&dir, "zz-renamed.odbk", &id, "2026-11-24T07:30:40Z");
        let (found, _) = find_latest_backup(base.path(), &id).unwrap();
        assert_eq!(found, second);
        let (found, _) = find_latest_backup_of_model(base.path(), &identity(None)).unwrap();
        assert_eq!(found, second);
    }

    #[test]
    fn a_backup_of_another_model_with_the_same_serial_is_not_this_drives() {
        let base = tempfile::tempdir().unwrap();
        let id = identity(Some("K1"));
        let mut other = id.clone();
        other.model = "BD-RE BU20N".into();
        let dir = drive_dir(base.path(), &id);
        let own = bundle_at(&dir, "a.odbk", &id, "2026-11-24T07:30:41Z");
        bundle_at(&dir, "b.odbk", &other, "2026-11-24T07:30:42Z");
        assert_eq!(find_latest_backup(base.path(), &id).unwrap().0, own);
        assert_eq!(
            find_latest_backup_of_model(base.path(), &id).unwrap().0,
            own
        );
    }

    #[test]
    fn unsafe_directories_are_named_with_the_fix() {
        let entry = |symlink, dir, uid, mode| DirEntry {
            symlink,
            dir,
            uid,
            mode,
        };
        let me = [1000];
        assert_eq!(entry(false, true, 0, 0o40755).problem(&me), None);
        assert_eq!(entry(false, true, 1000, 0o40700).problem(&me), None);
        assert_eq!(
            entry(true, false, 1000, 0o120777).problem(&me),
            Some(UnsafeDir::Symlink)
        );
        assert_eq!(
            entry(false, false, 1000, 0o100600).problem(&me),
            Some(UnsafeDir::NotADirectory)
        );
        assert_eq!(
            entry(false, true, 4242, 0o40700).problem(&me),
            Some(UnsafeDir::Owner { uid: 4242 })
        );
        assert_eq!(
            entry(false, true, 0, 0o41777).problem(&me),
            Some(UnsafeDir::Writable { mode: 0o41777 })
        );
        assert_eq!(
            entry(false, true, 1000, 0o40770).problem(&me),
            Some(UnsafeDir::Writable { mode: 0o40770 })
        );
        let text = UnsafeDir::Writable { mode: 0o40777 }.to_string();
        assert!(
            text.contains("0777") && text.contains("chmod go-w"),
            "{text}"
        );
    }

    #[test]
    fn symlinked_or_world_writable_drive_dirs_are_refused_and_new_ones_are_0700() {
        use std::os::unix::fs::PermissionsExt;
        let base = tempfile::tempdir().unwrap();
        let id = identity(Some("K1"));
        let dir = prepare_drive_dir(base.path(), &id).unwrap();
        let mode = std::fs::metadata(&dir).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);

        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
        for err in [
            prepare_drive_dir(base.path(), &id).unwrap_err(),
            find_latest_backup(base.path(), &id).unwrap_err(),
            find_latest_backup_of_model(base.path(), &id).unwrap_err(),
        ] {
            assert!(
                matches!(&err, Error::UnsafeBackupDir { path, problem: UnsafeDir::Writable { .. } } if *path == dir),
                "{err}"
            );
            assert!(
                err.to_string().contains(&dir.display().to_string()),
                "{err}"
            );
        }

        std::fs::remove_dir(&dir).unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(elsewhere.path(), &dir).unwrap();
        let err = prepare_drive_dir(base.path(), &id).unwrap_err();
        assert!(
            matches!(
                err,
                Error::UnsafeBackupDir {
                    problem: UnsafeDir::Symlink,
                    ..
                }
            ),
            "{err}"
        );
        assert_eq!(err.exit_code(), crate::ops::ExitCode::Usage);
    }
}
