//! Watching the status directory with inotify(7), including before it exists.
//!
//! [`DirWatch`] watches the directory for files renamed into place (`IN_MOVED_TO`, how the
//! helper writes them), written in place (`IN_CLOSE_WRITE`) and removed or renamed away. While
//! the directory does not exist (no drive was plugged in since boot: systemd creates
//! `/run/odflash` for the first helper run) it watches the parent for the directory's creation
//! instead, and goes back to that when the directory is removed. It reports [`Change`]s; what
//! they mean is the announcer's business. It only blocks in poll(2): no busy loop.

use std::ffi::OsString;
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::time::Duration;

use nix::errno::Errno;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify, InotifyEvent, WatchDescriptor};

use crate::error::Error;
use crate::status::is_status_file;

/// Something that happened in the status directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A status file was renamed into place or written.
    Written(OsString),
    /// A status file was removed or renamed away.
    Removed(OsString),
    /// The directory appeared or vanished, or events were lost: read it all again.
    Rescan,
}

/// What is being watched.
#[derive(Debug)]
enum Target {
    /// The status directory itself.
    Dir(WatchDescriptor),
    /// Its parent, for the directory's creation.
    Parent(WatchDescriptor),
}

/// An inotify watch on the status directory (or, until it exists, on its parent).
#[derive(Debug)]
pub struct DirWatch {
    inotify: Inotify,
    dir: PathBuf,
    target: Target,
}

/// Events on the directory: files in place, files gone, the directory itself gone.
fn dir_mask() -> AddWatchFlags {
    AddWatchFlags::IN_MOVED_TO
        | AddWatchFlags::IN_CLOSE_WRITE
        | AddWatchFlags::IN_MOVED_FROM
        | AddWatchFlags::IN_DELETE
        | AddWatchFlags::IN_DELETE_SELF
        | AddWatchFlags::IN_MOVE_SELF
        | AddWatchFlags::IN_ONLYDIR
}

/// Events on the parent: an entry created or renamed into it.
fn parent_mask() -> AddWatchFlags {
    AddWatchFlags::IN_CREATE | AddWatchFlags::IN_MOVED_TO | AddWatchFlags::IN_ONLYDIR
}

impl DirWatch {
    /// Watch `dir`, or its parent while `dir` does not exist. Fails when neither exists or
    /// the directory cannot be watched (not a directory, no read permission).
    pub fn new(dir: &Path) -> Result<DirWatch, Error> {
        let inotify =
            Inotify::init(InitFlags::IN_CLOEXEC | InitFlags::IN_NONBLOCK).map_err(|source| {
                Error::Watch {
                    path: dir.to_path_buf(),
                    source,
                }
            })?;
        let target = match add_dir_watch(&inotify, dir)? {
            Some(wd) => Target::Dir(wd),
            None => watch_parent(&inotify, dir)?,
        };
        Ok(DirWatch {
            inotify,
            dir: dir.to_path_buf(),
            target,
        })
    }

    /// Whether the directory itself is watched (it exists), rather than its parent.
    pub fn watches_dir(&self) -> bool {
        matches!(self.target, Target::Dir(_))
    }

    /// Wait up to `timeout` (`None`: until something happens) and return what changed; empty
    /// when the time ran out.
    pub fn wait(&mut self, timeout: Option<Duration>) -> Result<Vec<Change>, Error> {
        let timeout = match timeout {
            // Longer than poll(2) can wait (about 24 days) is as good as forever.
            Some(t) => PollTimeout::try_from(t).unwrap_or(PollTimeout::MAX),
            None => PollTimeout::NONE,
        };
        let mut fds = [PollFd::new(self.inotify.as_fd(), PollFlags::POLLIN)];
        match poll(&mut fds, timeout) {
            Ok(0) | Err(Errno::EINTR) => return Ok(Vec::new()),
            Ok(_) => {}
            Err(source) => return Err(self.wait_error(source)),
        }
        let events = match self.inotify.read_events() {
            Ok(events) => events,
            Err(Errno::EAGAIN) => return Ok(Vec::new()),
            Err(source) => return Err(self.wait_error(source)),
        };
        let mut changes = Vec::new();
        for event in events {
            self.handle(event, &mut changes)?;
        }
        Ok(changes)
    }

    fn handle(&mut self, event: InotifyEvent, changes: &mut Vec<Change>) -> Result<(), Error> {
        if event.mask.contains(AddWatchFlags::IN_Q_OVERFLOW) {
            self.rewatch()?;
            changes.push(Change::Rescan);
            return Ok(());
        }
        match self.target {
            Target::Dir(wd) if wd == event.wd => {
                let gone = AddWatchFlags::IN_DELETE_SELF
                    | AddWatchFlags::IN_MOVE_SELF
                    | AddWatchFlags::IN_IGNORED;
                if event.mask.intersects(gone) {
                    log::info!("{} is gone; waiting for it to appear", self.dir.display());
                    // A directory renamed away is still watched under its new name: drop it.
                    // After a removal the kernel dropped the watch already.
                    let _ = self.inotify.rm_watch(wd);
                    self.rewatch()?;
                    changes.push(Change::Rescan);
                    return Ok(());
                }
                let Some(name) = event.name.filter(|n| is_status_file(n)) else {
                    return Ok(());
                };
                if event
                    .mask
                    .intersects(AddWatchFlags::IN_MOVED_TO | AddWatchFlags::IN_CLOSE_WRITE)
                {
                    changes.push(Change::Written(name));
                } else if event
                    .mask
                    .intersects(AddWatchFlags::IN_MOVED_FROM | AddWatchFlags::IN_DELETE)
                {
                    changes.push(Change::Removed(name));
                }
            }
            Target::Parent(wd)
                if wd == event.wd && event.name.as_deref() == self.dir.file_name() =>
            {
                self.rewatch()?;
                if self.watches_dir() {
                    log::info!("{} appeared", self.dir.display());
                    changes.push(Change::Rescan);
                }
            }
            // Another entry of the parent, or a watch dropped earlier (its last events
            // arrive after the switch).
            _ => {}
        }
        Ok(())
    }

    /// Watch the directory if it exists now, else its parent.
    fn rewatch(&mut self) -> Result<(), Error> {
        if let Some(wd) = add_dir_watch(&self.inotify, &self.dir)? {
            if let Target::Parent(parent) = self.target {
                let _ = self.inotify.rm_watch(parent);
            }
            self.target = Target::Dir(wd);
        } else if let Target::Dir(_) = self.target {
            self.target = watch_parent(&self.inotify, &self.dir)?;
        }
        Ok(())
    }

    fn wait_error(&self, source: Errno) -> Error {
        Error::Wait {
            path: self.dir.clone(),
            source,
        }
    }
}

/// Watch `dir`; `None` when it does not exist.
fn add_dir_watch(inotify: &Inotify, dir: &Path) -> Result<Option<WatchDescriptor>, Error> {
    match inotify.add_watch(dir, dir_mask()) {
        Ok(wd) => Ok(Some(wd)),
        Err(Errno::ENOENT) => Ok(None),
        Err(source) => Err(Error::Watch {
            path: dir.to_path_buf(),
            source,
        }),
    }
}

/// Watch the parent of `dir` for its creation, then look again: the directory may have been
/// created before the parent's watch was in place. Returns what is watched in the end.
fn watch_parent(inotify: &Inotify, dir: &Path) -> Result<Target, Error> {
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let wd = match inotify.add_watch(parent, parent_mask()) {
        Ok(wd) => wd,
        Err(Errno::ENOENT) => {
            return Err(Error::NoParent {
                dir: dir.to_path_buf(),
                parent: parent.to_path_buf(),
            })
        }
        Err(source) => {
            return Err(Error::Watch {
                path: parent.to_path_buf(),
                source,
            })
        }
    };
    match add_dir_watch(inotify, dir)? {
        Some(dir_wd) => {
            let _ = inotify.rm_watch(wd);
            Ok(Target::Dir(dir_wd))
        }
        None => Ok(Target::Parent(wd)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    /// Collect changes until `want` is among them (each wait bounded; fails after 5 s).
    fn wait_for(watch: &mut DirWatch, want: &Change) -> Vec<Change> {
        let mut seen = Vec::new();
        for _ in 0..50 {
            seen.extend(watch.wait(Some(Duration::from_millis(100))).unwrap());
            if seen.contains(want) {
                return seen;
            }
        }
        panic!("no {want:?} within 5 s; saw {seen:?}");
    }

    #[test]
    fn renames_writes_and_removals_of_status_files() {
        let dir = tempfile::tempdir().unwrap();
        let mut watch = DirWatch::new(dir.path()).unwrap();
        assert!(watch.watches_dir());
        fs::write(dir.path().join(".sg3.json.odflash-tmp-1-0"), "{}").unwrap();
        fs::rename(
            dir.path().join(".sg3.json.odflash-tmp-1-0"),
            dir.path().join("sg3.json"),
        )
        .unwrap();
        let seen = wait_for(&mut watch, &Change::Written("sg3.json".into()));
        // The temp file's own events are not status-file changes.
        assert_eq!(seen, [Change::Written("sg3.json".into())]);
        fs::write(dir.path().join("sg4.json"), "{}").unwrap();
        wait_for(&mut watch, &Change::Written("sg4.json".into()));
        fs::write(dir.path().join("notes.txt"), "x").unwrap();
        fs::remove_file(dir.path().join("sg3.json")).unwrap();
        let seen = wait_for(&mut watch, &Change::Removed("sg3.json".into()));
        assert_eq!(seen, [Change::Removed("sg3.json".into())]);
    }

    #[test]
    fn a_missing_directory_is_waited_for_and_rewatched_after_removal() {
        let parent = tempfile::tempdir().unwrap();
        let dir = parent.path().join("odflash");
        let mut watch = DirWatch::new(&dir).unwrap();
        assert!(!watch.watches_dir());
        // Other entries of the parent are not the directory.
        fs::create_dir(parent.path().join("other")).unwrap();
        assert_eq!(watch.wait(Some(Duration::from_millis(200))).unwrap(), []);
        assert!(!watch.watches_dir());
        fs::create_dir(&dir).unwrap();
        wait_for(&mut watch, &Change::Rescan);
        assert!(watch.watches_dir());
        fs::write(dir.join("sg1.json"), "{}").unwrap();
        wait_for(&mut watch, &Change::Written("sg1.json".into()));
        fs::remove_file(dir.join("sg1.json")).unwrap();
        fs::remove_dir(&dir).unwrap();
        wait_for(&mut watch, &Change::Rescan);
        assert!(!watch.watches_dir());
        fs::create_dir(&dir).unwrap();
        wait_for(&mut watch, &Change::Rescan);
        assert!(watch.watches_dir());
    }

    #[test]
    fn a_missing_parent_is_an_error() {
        let parent = tempfile::tempdir().unwrap();
        let dir = parent.path().join("no/such");
        assert!(matches!(DirWatch::new(&dir), Err(Error::NoParent { .. })));
        let file = parent.path().join("file");
        fs::write(&file, "").unwrap();
        assert!(matches!(DirWatch::new(&file), Err(Error::Watch { .. })));
    }
}
