//! Durable, atomic file writes: every file odflash writes that matters goes through
//! [`write_file`] (temp file in the same directory, write, fsync, rename, fsync the directory),
//! and private directories are made with [`create_private_dir`].
//!
//! Owns only file mechanics; it knows nothing about bundles, drives or policy.

use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use super::error::Error;

/// Permission bits of a file created by [`write_file`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// 0600: backups and unit data (per-unit calibration is private to its owner).
    Private,
    /// 0644: dumps and reports.
    Shared,
}

impl Mode {
    fn bits(self) -> u32 {
        match self {
            Mode::Private => 0o600,
            Mode::Shared => 0o644,
        }
    }
}

/// Create `dir` and its missing parents with mode 0700 (existing directories are left alone).
pub fn create_private_dir(dir: &Path) -> Result<(), Error> {
    DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| Error::io(dir, e))
}

/// Write `bytes` to `path` atomically and durably: a temp file in the same directory is written,
/// fsync'ed, renamed over `path`, and the directory is fsync'ed. Readers see the old file or the
/// whole new one, never a torn one. A failure removes the temp file. An existing `path` that is
/// not a regular file (`-o /dev/null`, a FIFO, a directory) is refused: the rename would replace
/// the node itself, and as root that deletes `/dev/null` for the whole system.
pub fn write_file(path: &Path, bytes: &[u8], mode: Mode) -> Result<(), Error> {
    if fs::metadata(path).is_ok_and(|m| !m.is_file()) {
        return Err(Error::bad_file(
            path,
            "exists and is not a regular file: odflash writes files by replacing them, give the \
             path of a regular file",
        ));
    }
    let dir = parent_dir(path);
    let name = path
        .file_name()
        .ok_or_else(|| Error::bad_file(path, "not a file name"))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".tmp{}", std::process::id()));
    let tmp = dir.join(tmp_name);
    let result = write_and_rename(&tmp, path, bytes, mode);
    if result.is_err() {
        // Best effort: the temp file may not exist when creating it failed.
        let _ = fs::remove_file(&tmp);
        return result;
    }
    sync_dir(&dir)
}

fn write_and_rename(tmp: &Path, path: &Path, bytes: &[u8], mode: Mode) -> Result<(), Error> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode.bits())
        .open(tmp)
        .map_err(|e| Error::io(tmp, e))?;
    file.write_all(bytes).map_err(|e| Error::io(tmp, e))?;
    file.sync_all().map_err(|e| Error::io(tmp, e))?;
    drop(file);
    fs::rename(tmp, path).map_err(|e| Error::io(path, e))
}

/// fsync a directory so a rename or create inside it is durable.
pub fn sync_dir(dir: &Path) -> Result<(), Error> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io(dir, e))
}

fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::{FileTypeExt, PermissionsExt};

    #[test]
    fn writes_replaces_and_sets_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.bin");
        write_file(&path, b"one", Mode::Private).unwrap();
        write_file(&path, b"two", Mode::Private).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        // No temp file left behind.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn never_replaces_a_node_that_is_not_a_regular_file() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).unwrap();
        for path in [fifo.as_path(), dir.path()] {
            assert!(matches!(
                write_file(path, b"x", Mode::Shared),
                Err(Error::BadFile { .. })
            ));
        }
        assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
        // Nothing left behind but the FIFO.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn private_dirs_are_0700() {
        let dir = tempfile::tempdir().unwrap();
        let nested = dir.path().join("a/b");
        create_private_dir(&nested).unwrap();
        let mode = fs::metadata(&nested).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
    }

    #[test]
    fn missing_directory_is_an_io_error_with_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing/a.bin");
        match write_file(&path, b"x", Mode::Shared) {
            Err(Error::Io { path: p, .. }) => assert!(p.starts_with(dir.path())),
            other => panic!("unexpected {other:?}"),
        }
    }
}
