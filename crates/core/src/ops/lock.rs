//! Advisory locks that keep odflash processes from acting on one drive at cross purposes:
//! read-only commands share the lock, writes hold it exclusively, and nobody waits for it (a
//! busy drive is reported at once, with who holds it).
//!
//! Owns [`DeviceLock`], [`LockMode`] and [`Holder`]. What is locked is never replaced while
//! odflash runs: the opened sg node itself, or for an emulated drive kept in a state file, the
//! lock file beside it (`STATE.lock`, never truncated, renamed or removed; every emulator save
//! replaces the state file, so a lock on that would protect nothing). It must not send
//! commands; the opener (`odflash::ops::open`) takes the lock before the drive is first touched.

use std::ffi::OsString;
use std::fs::File;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::{Flock, FlockArg, OFlag};
use nix::sys::stat::{fstat, major, minor};
use serde::Serialize;

use super::error::Error;

/// Every flock(2) lock on the system, with the pid of its holder (proc(5), `/proc/locks`).
const PROC_LOCKS: &str = "/proc/locks";

/// How a drive is locked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LockMode {
    /// Read-only commands (scan, info, dump, backup, hotplug, watch): any number at once.
    #[default]
    Shared,
    /// Writes (flash, unit-data restore, rescue): nobody else, not even a reader.
    Exclusive,
}

impl LockMode {
    fn nonblocking(self) -> FlockArg {
        match self {
            LockMode::Shared => FlockArg::LockSharedNonblock,
            LockMode::Exclusive => FlockArg::LockExclusiveNonblock,
        }
    }
}

/// What the process holding a lock is doing, from the kind of lock it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Activity {
    /// It holds the lock exclusively: it writes the drive.
    Flashing,
    /// It holds a shared lock: it reads the drive.
    Reading,
}

/// Who holds the lock another process was refused, as far as `/proc/locks` tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Holder {
    /// Its pid (in this process's pid namespace), when `/proc/locks` names it.
    pub pid: Option<u32>,
    /// What it does, when known.
    pub activity: Option<Activity>,
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.pid {
            Some(pid) => write!(f, "{pid}")?,
            None => f.write_str("another process")?,
        }
        match self.activity {
            Some(Activity::Flashing) => f.write_str(" is flashing it"),
            Some(Activity::Reading) => f.write_str(" is reading it"),
            None => f.write_str(" holds its lock"),
        }
    }
}

/// A held `flock` on a drive; released when dropped (or when the process ends, however it
/// ends: the kernel drops flock locks with the last descriptor).
#[derive(Debug)]
pub struct DeviceLock {
    path: PathBuf,
    mode: LockMode,
    flock: Flock<File>,
}

impl DeviceLock {
    /// Lock an opened sg node (`node` is its path, for messages): the lock is taken on a
    /// duplicate of `fd`, so it belongs to the node's own open file description.
    pub fn on_node(fd: BorrowedFd<'_>, node: &Path, mode: LockMode) -> Result<DeviceLock, Error> {
        let dup = fd.try_clone_to_owned().map_err(|e| Error::io(node, e))?;
        DeviceLock::take(File::from(dup), node, mode)
    }

    /// Lock the emulated drive kept in `state`: its lock file `STATE.lock` is created when
    /// missing (mode 0600), never through a symbolic link, and must be a regular file.
    pub fn beside_state_file(state: &Path, mode: LockMode) -> Result<DeviceLock, Error> {
        let path = lock_file_of(state);
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .mode(0o600)
            // O_NONBLOCK: a FIFO planted under the name must not hang the open.
            .custom_flags((OFlag::O_NOFOLLOW | OFlag::O_NONBLOCK).bits())
            .open(&path)
            .map_err(|e| match Errno::from_raw(e.raw_os_error().unwrap_or(0)) {
                Errno::ELOOP => Error::bad_file(&path, "is a symbolic link: refusing to lock it"),
                _ => Error::io(&path, e),
            })?;
        let meta = file.metadata().map_err(|e| Error::io(&path, e))?;
        if !meta.is_file() {
            return Err(Error::bad_file(
                &path,
                "is not a regular file: refusing to lock it",
            ));
        }
        DeviceLock::take(file, &path, mode)
    }

    fn take(file: File, path: &Path, mode: LockMode) -> Result<DeviceLock, Error> {
        match Flock::lock(file, mode.nonblocking()) {
            Ok(flock) => Ok(DeviceLock {
                path: path.to_path_buf(),
                mode,
                flock,
            }),
            Err((file, Errno::EWOULDBLOCK)) => Err(busy(&file, path, mode)),
            Err((_, errno)) => Err(Error::io(path, std::io::Error::from(errno))),
        }
    }

    /// Hold the lock exclusively from now on (a write begins); [`Error::Busy`] when another
    /// process holds it too. flock(2) converts a lock by dropping it first, so a refused
    /// conversion takes the shared lock back.
    pub fn make_exclusive(&mut self) -> Result<(), Error> {
        if self.mode == LockMode::Exclusive {
            return Ok(());
        }
        match self.flock.relock(FlockArg::LockExclusiveNonblock) {
            Ok(()) => {
                self.mode = LockMode::Exclusive;
                Ok(())
            }
            Err(Errno::EWOULDBLOCK) => {
                let err = busy(&*self.flock, &self.path, LockMode::Exclusive);
                if let Err(e) = self.flock.relock(FlockArg::LockSharedNonblock) {
                    log::warn!("lost the shared lock on {}: {e}", self.path.display());
                }
                Err(err)
            }
            Err(errno) => Err(Error::io(&self.path, std::io::Error::from(errno))),
        }
    }

    /// The locked node or lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How the lock is held now.
    pub fn mode(&self) -> LockMode {
        self.mode
    }
}

/// `STATE.lock`, beside the state file.
fn lock_file_of(state: &Path) -> PathBuf {
    let mut name = OsString::from(state.as_os_str());
    name.push(".lock");
    PathBuf::from(name)
}

/// The refusal of a `wanted` lock on `file`, naming its holder.
fn busy(file: &impl AsFd, path: &Path, wanted: LockMode) -> Error {
    Error::Busy {
        lock: path.to_path_buf(),
        holder: find_holder(file, wanted),
    }
}

/// Who holds `file`'s inode locked: an exclusive holder first, else a shared one. Only an
/// exclusive holder can refuse a shared request, so that much is known even when
/// `/proc/locks` cannot be read (or the holder let go meanwhile).
fn find_holder(file: &impl AsFd, wanted: LockMode) -> Holder {
    let fallback = Holder {
        pid: None,
        activity: (wanted == LockMode::Shared).then_some(Activity::Flashing),
    };
    let Ok(st) = fstat(file.as_fd().as_raw_fd()) else {
        return fallback;
    };
    let text = match std::fs::read_to_string(PROC_LOCKS) {
        Ok(text) => text,
        Err(e) => {
            log::debug!("cannot read {PROC_LOCKS}: {e}");
            return fallback;
        }
    };
    // dev_t and ino_t are not u64 on every target.
    #[allow(clippy::unnecessary_cast)]
    let inode = Inode {
        major: major(st.st_dev as u64),
        minor: minor(st.st_dev as u64),
        ino: st.st_ino as u64,
    };
    let holders = parse_proc_locks(&text, inode);
    holders
        .iter()
        .find(|h| h.activity == Some(Activity::Flashing))
        .or_else(|| holders.first())
        .copied()
        .unwrap_or(fallback)
}

/// A file's identity as `/proc/locks` prints it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Inode {
    major: u64,
    minor: u64,
    ino: u64,
}

/// The granted flock locks on `inode` in `/proc/locks` text (pure). A line reads
/// `1: FLOCK  ADVISORY  WRITE 4242 fe:00:10018869 0 EOF`: id, class, mode, kind, pid, then
/// device major:minor (hex) and inode (decimal) (torvalds/linux fs/locks.c,
/// `lock_get_status`); lines with `->` are waiters, which hold nothing.
fn parse_proc_locks(text: &str, inode: Inode) -> Vec<Holder> {
    text.lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            if fields.get(1) != Some(&"FLOCK") {
                return None;
            }
            let activity = match *fields.get(3)? {
                "WRITE" => Activity::Flashing,
                "READ" => Activity::Reading,
                _ => return None,
            };
            let pid = fields.get(4)?.parse::<u32>().ok().filter(|&p| p > 0);
            let mut id = fields.get(5)?.split(':');
            let found = Inode {
                major: u64::from_str_radix(id.next()?, 16).ok()?,
                minor: u64::from_str_radix(id.next()?, 16).ok()?,
                ino: id.next()?.parse().ok()?,
            };
            (found == inode).then_some(Holder {
                pid,
                activity: Some(activity),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    fn inode(major: u64, minor: u64, ino: u64) -> Inode {
        Inode { major, minor, ino }
    }

    #[test]
    fn proc_locks_lines_name_holder_and_kind() {
        let text = "1: FLOCK  ADVISORY  WRITE 4242 fe:00:10018869 0 EOF\n\
                    1: -> FLOCK  ADVISORY  WRITE 4343 fe:00:10018869 0 EOF\n\
                    2: FLOCK  ADVISORY  READ 77 00:1b:2 0 EOF\n\
                    3: POSIX  ADVISORY  WRITE 88 00:1b:2 0 EOF\n\
                    4: FLOCK  ADVISORY  READ 99 00:1b:2 0 EOF\n";
        assert_eq!(
            parse_proc_locks(text, inode(0xfe, 0, 10018869)),
            vec![Holder {
                pid: Some(4242),
                activity: Some(Activity::Flashing)
            }]
        );
        let readers = parse_proc_locks(text, inode(0, 0x1b, 2));
        let pids: Vec<_> = readers.iter().map(|h| h.pid).collect();
        assert_eq!(pids, vec![Some(77), Some(99)]);
        assert!(parse_proc_locks(text, inode(0, 0x1b, 3)).is_empty());
        assert!(parse_proc_locks("garbage\n1: FLOCK\n", inode(0, 0, 0)).is_empty());
    }

    #[test]
    fn holder_reads_as_a_sentence() {
        let flashing = Holder {
            pid: Some(4242),
            activity: Some(Activity::Flashing),
        };
        assert_eq!(flashing.to_string(), "4242 is flashing it");
        let unknown = Holder {
            pid: None,
            activity: None,
        };
        assert_eq!(unknown.to_string(), "another process holds its lock");
    }

    #[test]
    fn readers_share_and_a_writer_is_refused_naming_this_process() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("drive.json");
        let first = DeviceLock::beside_state_file(&state, LockMode::Shared).unwrap();
        let second = DeviceLock::beside_state_file(&state, LockMode::Shared).unwrap();
        assert_eq!(first.path(), dir.path().join("drive.json.lock"));
        match DeviceLock::beside_state_file(&state, LockMode::Exclusive) {
            Err(Error::Busy { holder, .. }) => assert_eq!(
                holder,
                Holder {
                    pid: Some(std::process::id()),
                    activity: Some(Activity::Reading)
                }
            ),
            other => panic!("expected busy, got {other:?}"),
        }
        drop((first, second));
        let writer = DeviceLock::beside_state_file(&state, LockMode::Exclusive).unwrap();
        match DeviceLock::beside_state_file(&state, LockMode::Shared) {
            Err(Error::Busy { holder, .. }) => {
                assert_eq!(
                    holder.to_string(),
                    format!("{} is flashing it", std::process::id())
                )
            }
            other => panic!("expected busy, got {other:?}"),
        }
        drop(writer);
    }

    #[test]
    fn lock_holds_while_the_state_file_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("drive.json");
        std::fs::write(&state, b"{}").unwrap();
        let before = std::fs::metadata(&state).unwrap().ino();
        let _writer = DeviceLock::beside_state_file(&state, LockMode::Exclusive).unwrap();
        // What every emulator save does: a new file renamed over the old one.
        let tmp = dir.path().join(".drive.json.tmp");
        std::fs::write(&tmp, b"{\"saved\":1}").unwrap();
        std::fs::rename(&tmp, &state).unwrap();
        assert_ne!(std::fs::metadata(&state).unwrap().ino(), before);
        assert!(matches!(
            DeviceLock::beside_state_file(&state, LockMode::Shared),
            Err(Error::Busy { .. })
        ));
    }

    #[test]
    fn upgrade_is_refused_while_another_reads_and_keeps_the_shared_lock() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("drive.json");
        let mut mine = DeviceLock::beside_state_file(&state, LockMode::Shared).unwrap();
        let other = DeviceLock::beside_state_file(&state, LockMode::Shared).unwrap();
        assert!(matches!(mine.make_exclusive(), Err(Error::Busy { .. })));
        assert_eq!(mine.mode(), LockMode::Shared);
        // Still held shared: a writer is refused.
        drop(other);
        assert!(matches!(
            DeviceLock::beside_state_file(&state, LockMode::Exclusive),
            Err(Error::Busy { .. })
        ));
        mine.make_exclusive().unwrap();
        assert_eq!(mine.mode(), LockMode::Exclusive);
    }

    #[test]
    fn lock_file_that_is_a_symlink_or_not_a_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("elsewhere");
        std::fs::write(&target, b"keep").unwrap();
        let state = dir.path().join("drive.json");
        std::os::unix::fs::symlink(&target, dir.path().join("drive.json.lock")).unwrap();
        assert!(matches!(
            DeviceLock::beside_state_file(&state, LockMode::Shared),
            Err(Error::BadFile { .. })
        ));
        let other = dir.path().join("other.json");
        std::fs::create_dir(dir.path().join("other.json.lock")).unwrap();
        assert!(DeviceLock::beside_state_file(&other, LockMode::Shared).is_err());
        assert_eq!(std::fs::read(&target).unwrap(), b"keep");
    }

    #[test]
    fn sg_style_lock_is_on_the_open_file_not_the_name() {
        let dir = tempfile::tempdir().unwrap();
        let node = dir.path().join("sg9");
        std::fs::write(&node, b"").unwrap();
        let opened = File::open(&node).unwrap();
        let lock = DeviceLock::on_node(opened.as_fd(), &node, LockMode::Exclusive).unwrap();
        let again = File::open(&node).unwrap();
        assert!(matches!(
            DeviceLock::on_node(again.as_fd(), &node, LockMode::Shared),
            Err(Error::Busy { .. })
        ));
        drop(lock);
        drop(opened);
        DeviceLock::on_node(again.as_fd(), &node, LockMode::Shared).unwrap();
    }
}
