//! Every file odflash creates goes through this module, and nothing else creates files:
//!
//! - [`write_file`]: a whole file (dumps, bundles, unit data, man pages, completions, `/run`
//!   status files, the emulator's state). A temp file is created in the target's directory with
//!   `O_CREAT|O_EXCL|O_NOFOLLOW` under a name carrying the pid, written, fsync'ed and renamed
//!   over the target; then the directory is fsync'ed. Readers see the old file or the whole new
//!   one, and a link planted at the temp name or the target is never followed.
//!   [`write_file_with`] is the same for contents streamed into the temp file piece by piece.
//! - [`open_log`]: a file that grows while odflash runs (the `--trace` file). It is opened in
//!   place, not renamed at the end: a trace must survive the crash it is there to explain. The
//!   final path is opened with `O_NOFOLLOW|O_CREAT|O_APPEND`, and the opened file must be a
//!   regular file of the caller's own with one link, or it is refused before a byte is written.
//! - [`create_private_dir`]: directories for backups.
//! - [`scratch_file`]: an unnamed 0600 file in a given directory (`O_TMPFILE`), for bytes that
//!   must go to disk before the file that holds them can be written (a backup's flash read,
//!   hashed while it arrives, before its bundle is). It has no name, so nothing can follow,
//!   swap or find it, and it is gone when closed.
//!
//! A target that is a symlink or not a regular file is refused ([`FileError::Refused`], naming
//! the path and the fix). Temp files left by a killed process are removed by the next write into
//! the same directory once their pid no longer runs.
//!
//! Owns only file mechanics: it knows nothing about bundles, drives or policy, so the emulator's
//! state store uses it too.

use std::ffi::OsString;
use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use nix::errno::Errno;
use nix::sys::signal;
use nix::unistd::{Pid, Uid};

/// Permission bits of a file odflash creates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// 0600: anything holding firmware, unit data or serials (dumps, bundles, unit data,
    /// payload traces, the emulator's state).
    Private,
    /// 0644 (less the umask): reports, status files, man pages, completions.
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

/// How [`open_log`] starts the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// Empty it first (the first open in a run).
    Truncate,
    /// Keep what is there and append (later opens in the same run).
    Append,
}

/// A file could not be created, written or read.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// The operating system refused.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The failure.
        #[source]
        source: io::Error,
    },
    /// The path is not something odflash may write or read (a symlink, a device node, a file
    /// of another user, too large an input); `why` names the fix.
    #[error("{path}: {why}")]
    Refused {
        /// The path.
        path: PathBuf,
        /// What is wrong and what to do instead.
        why: String,
    },
}

impl FileError {
    /// Wrap an OS failure with its path.
    pub fn io(path: &Path, source: io::Error) -> FileError {
        FileError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    /// Refuse `path` because of `why`.
    pub fn refused(path: &Path, why: impl Into<String>) -> FileError {
        FileError::Refused {
            path: path.to_path_buf(),
            why: why.into(),
        }
    }
}

/// What every temp file name carries between the target's name and the pid.
const TEMP_MARKER: &str = ".odflash-tmp-";

/// Distinguishes temp files of one process (threads may write in the same directory).
static TEMP_SEQUENCE: AtomicU64 = AtomicU64::new(0);

/// Create `dir` and its missing parents with mode 0700 (existing directories are left alone).
pub fn create_private_dir(dir: &Path) -> Result<(), FileError> {
    DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| FileError::io(dir, e))
}

/// Open an unnamed private file (mode 0600, read and write) in `dir`: see the module header.
/// A file system without `O_TMPFILE` gets a temp file created `O_EXCL|O_NOFOLLOW` and removed
/// at once, which is unnamed from then on too.
pub fn scratch_file(dir: &Path) -> Result<File, FileError> {
    let unnamed = OpenOptions::new()
        .read(true)
        .write(true)
        .mode(Mode::Private.bits())
        .custom_flags(libc::O_TMPFILE | libc::O_CLOEXEC)
        .open(dir);
    match unnamed {
        Ok(file) => Ok(file),
        // EOPNOTSUPP: the file system cannot; EISDIR: a kernel without O_TMPFILE.
        Err(e) if matches!(e.raw_os_error(), Some(libc::EOPNOTSUPP | libc::EISDIR)) => {
            let tmp = dir.join(temp_name(std::ffi::OsStr::new("scratch")));
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .create_new(true)
                .mode(Mode::Private.bits())
                .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
                .open(&tmp)
                .map_err(|e| FileError::io(&tmp, e))?;
            fs::remove_file(&tmp).map_err(|e| FileError::io(&tmp, e))?;
            Ok(file)
        }
        Err(e) => Err(FileError::io(dir, e)),
    }
}

/// Write `bytes` to `path` atomically and durably (see the module header). A failure removes
/// the temp file. An existing `path` that is a symlink or not a regular file (`-o /dev/null`, a
/// FIFO, a directory) is refused: odflash replaces files, and as root replacing `/dev/null`
/// would delete it for the whole system.
pub fn write_file(path: &Path, bytes: &[u8], mode: Mode) -> Result<(), FileError> {
    write_file_with(path, mode, |file| file.write_all(bytes))
}

/// [`write_file`] for a file produced piece by piece: `write` streams the contents into the
/// temp file (so they are never held whole in memory), which is then fsync'ed and renamed
/// like any other. A failure of `write` removes the temp file and leaves `path` untouched.
pub fn write_file_with(
    path: &Path,
    mode: Mode,
    write: impl FnOnce(&mut File) -> io::Result<()>,
) -> Result<(), FileError> {
    check_replaceable(path)?;
    let dir = parent_dir(path);
    remove_stale_temps(&dir);
    let name = path
        .file_name()
        .ok_or_else(|| FileError::refused(path, "not a file name: give the path of a file"))?;
    let tmp = dir.join(temp_name(name));
    let result = write_and_rename(&tmp, path, write, mode);
    if result.is_err() {
        // Best effort: the temp file may not exist when creating it failed.
        let _ = fs::remove_file(&tmp);
        return result;
    }
    sync_dir(&dir)
}

/// Open `path` for appending records while odflash runs (see the module header): never through
/// a symlink, only a regular file owned by the effective user with one link. `Mode::Private`
/// also sets 0600 on a file that existed with looser bits.
pub fn open_log(path: &Path, mode: Mode, start: Start) -> Result<File, FileError> {
    check_replaceable(path)?;
    let file = OpenOptions::new()
        .append(true)
        .create(true)
        .mode(mode.bits())
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)
        .map_err(|e| match e.raw_os_error() {
            // Linked after check_replaceable looked: still a link, still refused.
            Some(libc::ELOOP) => symlink_refused(path),
            _ => FileError::io(path, e),
        })?;
    let meta = file.metadata().map_err(|e| FileError::io(path, e))?;
    if !meta.is_file() {
        return Err(not_regular(path));
    }
    let euid = Uid::effective().as_raw();
    if meta.uid() != euid {
        return Err(FileError::refused(
            path,
            format!(
                "belongs to uid {}, not to you (uid {euid}): odflash only appends to its own \
                 files; remove it or give another path",
                meta.uid()
            ),
        ));
    }
    if meta.nlink() != 1 {
        return Err(FileError::refused(
            path,
            "has other hard links: odflash would write into another file too; remove it or \
             give another path",
        ));
    }
    if start == Start::Truncate {
        file.set_len(0).map_err(|e| FileError::io(path, e))?;
    }
    if mode == Mode::Private && meta.mode() & 0o077 != 0 {
        file.set_permissions(fs::Permissions::from_mode(mode.bits()))
            .map_err(|e| FileError::io(path, e))?;
    }
    Ok(file)
}

/// fsync a directory so a rename or create inside it is durable.
pub fn sync_dir(dir: &Path) -> Result<(), FileError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| FileError::io(dir, e))
}

/// Refuse a path odflash is about to replace or append to when it is a symlink or exists as
/// something other than a regular file (a file that is read and later replaced, like the
/// emulator's state, is checked before it is read).
pub fn check_replaceable(path: &Path) -> Result<(), FileError> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => Err(symlink_refused(path)),
        Ok(m) if !m.is_file() => Err(not_regular(path)),
        _ => Ok(()),
    }
}

fn symlink_refused(path: &Path) -> FileError {
    FileError::refused(
        path,
        "is a symbolic link: odflash never writes through a link; remove the link or give the \
         real file's path",
    )
}

fn not_regular(path: &Path) -> FileError {
    FileError::refused(
        path,
        "exists and is not a regular file: odflash writes files by replacing them, give the path \
         of a regular file",
    )
}

/// `.<name>.odflash-tmp-<pid>-<sequence>`.
fn temp_name(name: &std::ffi::OsStr) -> OsString {
    let mut tmp = OsString::from(".");
    tmp.push(name);
    tmp.push(format!(
        "{TEMP_MARKER}{}-{}",
        std::process::id(),
        TEMP_SEQUENCE.fetch_add(1, Ordering::Relaxed)
    ));
    tmp
}

/// The pid a temp file name carries, if it is one of ours.
fn temp_pid(name: &str) -> Option<i32> {
    let (_, tail) = name.strip_prefix('.')?.rsplit_once(TEMP_MARKER)?;
    let (pid, sequence) = tail.split_once('-')?;
    sequence.parse::<u64>().ok()?;
    pid.parse().ok()
}

/// Whether a process with `pid` exists (one of another user's counts: EPERM).
fn pid_runs(pid: i32) -> bool {
    !matches!(signal::kill(Pid::from_raw(pid), None), Err(Errno::ESRCH))
}

/// Remove temp files in `dir` left by processes that no longer run: regular files of the
/// effective user only. Failures only leave garbage behind.
fn remove_stale_temps(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let euid = Uid::effective().as_raw();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(temp_pid) else {
            continue;
        };
        let ours = entry
            .metadata()
            .is_ok_and(|m| m.is_file() && m.uid() == euid);
        if !ours || pid_runs(pid) {
            continue;
        }
        let path = entry.path();
        match fs::remove_file(&path) {
            Ok(()) => log::info!("removed {} left by process {pid}", path.display()),
            Err(e) => log::warn!("could not remove stale {}: {e}", path.display()),
        }
    }
}

fn write_and_rename(
    tmp: &Path,
    path: &Path,
    write: impl FnOnce(&mut File) -> io::Result<()>,
    mode: Mode,
) -> Result<(), FileError> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode.bits())
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(tmp)
        .map_err(|e| FileError::io(tmp, e))?;
    write(&mut file).map_err(|e| FileError::io(tmp, e))?;
    file.sync_all().map_err(|e| FileError::io(tmp, e))?;
    drop(file);
    fs::rename(tmp, path).map_err(|e| FileError::io(path, e))
}

/// The directory `path` is in (`.` for a bare file name): where its temp files go.
pub fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::FileTypeExt;

    fn mode_of(path: &Path) -> u32 {
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn writes_replaces_and_sets_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.bin");
        write_file(&path, b"one", Mode::Private).unwrap();
        write_file(&path, b"two", Mode::Private).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        assert_eq!(mode_of(&path), 0o600);
        // No temp file left behind.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn streamed_writes_land_whole_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.bin");
        write_file_with(&path, Mode::Private, |f| {
            f.write_all(b"one ")?;
            f.write_all(b"two")
        })
        .unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"one two");
        // A failing writer leaves the old file and no temp file.
        let failed = write_file_with(&path, Mode::Private, |f| {
            f.write_all(b"partial")?;
            Err(io::Error::other("producer failed"))
        });
        assert!(matches!(failed, Err(FileError::Io { .. })), "{failed:?}");
        assert_eq!(fs::read(&path).unwrap(), b"one two");
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
                Err(FileError::Refused { .. })
            ));
        }
        assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
        // Nothing left behind but the FIFO.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn symlinked_targets_are_refused_and_their_targets_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        fs::write(&victim, b"precious").unwrap();
        let link = dir.path().join("out");
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        let refused = |r: Result<(), FileError>| match r {
            Err(FileError::Refused { path, why }) => {
                assert_eq!(path, link);
                assert!(why.contains("symbolic link"), "{why}");
            }
            other => panic!("unexpected {other:?}"),
        };
        refused(write_file(&link, b"x", Mode::Private));
        refused(open_log(&link, Mode::Private, Start::Truncate).map(drop));
        assert_eq!(fs::read(&victim).unwrap(), b"precious");
        assert!(fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
    }

    #[test]
    fn logs_are_truncated_or_appended_and_tightened_to_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("trace.jsonl");
        fs::write(&path, b"old\n").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        open_log(&path, Mode::Private, Start::Truncate)
            .unwrap()
            .write_all(b"a\n")
            .unwrap();
        open_log(&path, Mode::Private, Start::Append)
            .unwrap()
            .write_all(b"b\n")
            .unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"a\nb\n");
        assert_eq!(mode_of(&path), 0o600);
    }

    #[test]
    fn logs_with_other_hard_links_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        fs::write(&victim, b"precious").unwrap();
        let path = dir.path().join("trace.jsonl");
        fs::hard_link(&victim, &path).unwrap();
        assert!(matches!(
            open_log(&path, Mode::Shared, Start::Truncate),
            Err(FileError::Refused { .. })
        ));
        assert_eq!(fs::read(&victim).unwrap(), b"precious");
    }

    #[test]
    fn temp_files_of_dead_processes_are_removed_by_the_next_write() {
        let dir = tempfile::tempdir().unwrap();
        // A child that has exited and been reaped: its pid no longer runs.
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = child.id();
        child.wait().unwrap();
        let stale = dir.path().join(format!(".a.bin{TEMP_MARKER}{dead}-0"));
        let live = dir
            .path()
            .join(format!(".b.bin{TEMP_MARKER}{}-7", std::process::id()));
        let unrelated = dir.path().join(".a.bin.tmp1");
        for p in [&stale, &live, &unrelated] {
            fs::write(p, b"partial").unwrap();
        }
        write_file(&dir.path().join("c.bin"), b"x", Mode::Shared).unwrap();
        assert!(!stale.exists(), "a dead process's temp file is removed");
        assert!(live.exists(), "a running process's temp file is kept");
        assert!(unrelated.exists(), "files that are not ours are kept");
    }

    #[test]
    fn temp_names_carry_the_pid() {
        let name = temp_name(std::ffi::OsStr::new("x.odflash-tmp-1-y"));
        let pid = temp_pid(name.to_str().unwrap()).unwrap();
        assert_eq!(pid as u32, std::process::id());
        assert_eq!(temp_pid(".a.bin.tmp1"), None);
        assert_eq!(temp_pid("a.bin.odflash-tmp-1-0"), None);
    }

    #[test]
    fn scratch_files_are_private_unnamed_and_readable_back() {
        use std::io::{Read, Seek};
        let dir = tempfile::tempdir().unwrap();
        let mut file = scratch_file(dir.path()).unwrap();
        file.write_all(b"flash bytes").unwrap();
        assert_eq!(file.metadata().unwrap().mode() & 0o777, 0o600);
        assert_eq!(file.metadata().unwrap().nlink(), 0, "unnamed");
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            0,
            "nothing in the directory"
        );
        file.rewind().unwrap();
        let mut back = String::new();
        file.read_to_string(&mut back).unwrap();
        assert_eq!(back, "flash bytes");
        assert!(matches!(
            scratch_file(&dir.path().join("missing")),
            Err(FileError::Io { .. })
        ));
    }

    #[test]
    fn private_dirs_are_0700() {
        let dir = tempfile::tempdir().unwrap();
        let nested = dir.path().join("a/b");
        create_private_dir(&nested).unwrap();
        assert_eq!(mode_of(&nested), 0o700);
    }

    #[test]
    fn missing_directory_is_an_io_error_with_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing/a.bin");
        match write_file(&path, b"x", Mode::Shared) {
            Err(FileError::Io { path: p, .. }) => assert!(p.starts_with(dir.path())),
            other => panic!("unexpected {other:?}"),
        }
    }
}
