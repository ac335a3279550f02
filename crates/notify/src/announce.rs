//! Once per appearance: which changes in the status directory become notices.
//!
//! The [`Announcer`] remembers, per status file, what it last read (a [`Sighting`]: verdict and
//! which drive) and what the desktop shows for it. A file rewritten with the same sighting says
//! nothing new; a changed verdict (or another drive on the same node name) is announced, replacing
//! the earlier notice; a removed file forgets the drive, so its next appearance is announced
//! again. A notice the server did not take stays pending and is retried ([`Announcer::retry`]).
//! Notices that no longer apply (the drive left, or came back healthy) are withdrawn.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use odflash::ops::hotplug::{Classification, Verdict};

use crate::error::Error;
use crate::notice::{notice_for, Notice};
use crate::status::{is_status_file, read_status};
use crate::watch::Change;

/// The notification server's id of a notice it shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoticeId(pub u32);

/// Where notices go: the desktop's notification server, or a recorder in tests.
pub trait Notifier {
    /// Show `notice`, in place of the notice `replaces` when given; the id it is shown under.
    fn show(&mut self, notice: &Notice, replaces: Option<NoticeId>) -> Result<NoticeId, Error>;
    /// Take back a notice that no longer applies. Failing to is harmless (the user closes it).
    fn withdraw(&mut self, id: NoticeId);
}

/// What one status file said: the verdict, and which drive (a node name such as `sg3` is
/// reused by the next drive plugged in; the hotplug unit removes a drive's file when it goes,
/// so a drive plugged in again is a new file and a new notice).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Sighting {
    verdict: Verdict,
    vendor: String,
    model: String,
}

impl Sighting {
    fn of(c: &Classification) -> Sighting {
        let (vendor, model) = match &c.identity {
            Some(id) => (&id.vendor, &id.model),
            None => (&c.inquiry.vendor, &c.inquiry.product),
        };
        Sighting {
            verdict: c.verdict,
            vendor: vendor.clone(),
            model: model.clone(),
        }
    }
}

/// What the desktop shows for one status file.
#[derive(Debug)]
enum Shown {
    /// Nothing: the drive needs nothing.
    Nothing,
    /// The server shows this notice.
    Delivered(NoticeId),
    /// The server did not take the notice yet.
    Pending {
        notice: Notice,
        replaces: Option<NoticeId>,
    },
}

impl Shown {
    /// The notice the server shows now, if any.
    fn delivered(&self) -> Option<NoticeId> {
        match self {
            Shown::Delivered(id) => Some(*id),
            Shown::Pending { replaces, .. } => *replaces,
            Shown::Nothing => None,
        }
    }
}

#[derive(Debug)]
struct Tracked {
    sighting: Sighting,
    shown: Shown,
}

/// Turns status-file changes into notices, once per appearance.
#[derive(Debug)]
pub struct Announcer<N: Notifier> {
    dir: PathBuf,
    notifier: N,
    drives: BTreeMap<OsString, Tracked>,
}

impl<N: Notifier> Announcer<N> {
    /// An announcer for the status files in `dir`, showing notices through `notifier`.
    pub fn new(dir: &Path, notifier: N) -> Announcer<N> {
        Announcer {
            dir: dir.to_path_buf(),
            notifier,
            drives: BTreeMap::new(),
        }
    }

    /// Act on one change in the directory.
    pub fn apply(&mut self, change: Change) {
        match change {
            Change::Written(name) => self.read(name),
            Change::Removed(name) => self.forget(&name),
            Change::Rescan => self.rescan(),
        }
    }

    /// Offer every pending notice to the server again.
    pub fn retry(&mut self) {
        for (name, tracked) in &mut self.drives {
            if let Shown::Pending { notice, replaces } = &tracked.shown {
                tracked.shown = deliver(&mut self.notifier, name, notice.clone(), *replaces);
            }
        }
    }

    /// How many notices wait for the server.
    pub fn pending(&self) -> usize {
        self.drives
            .values()
            .filter(|t| matches!(t.shown, Shown::Pending { .. }))
            .count()
    }

    /// The status file `name` was written (or found): announce it if it says something new.
    fn read(&mut self, name: OsString) {
        let path = self.dir.join(&name);
        let classification = match read_status(&path) {
            Ok(c) => c,
            Err(e) => {
                log::warn!("ignoring {}: {e}", path.display());
                return;
            }
        };
        let sighting = Sighting::of(&classification);
        let previous = self.drives.remove(&name);
        let earlier = match previous {
            Some(t) if t.sighting == sighting => {
                log::debug!("{}: nothing new", path.display());
                self.drives.insert(name, t);
                return;
            }
            Some(t) => t.shown.delivered(),
            None => None,
        };
        let shown = match notice_for(&classification) {
            Some(notice) => deliver(&mut self.notifier, &name, notice, earlier),
            None => {
                log::info!("{}", classification.message);
                if let Some(id) = earlier {
                    self.notifier.withdraw(id);
                }
                Shown::Nothing
            }
        };
        self.drives.insert(name, Tracked { sighting, shown });
    }

    /// The status file `name` is gone: the drive left; its next appearance is news.
    fn forget(&mut self, name: &OsString) {
        if let Some(id) = self.drives.remove(name).and_then(|t| t.shown.delivered()) {
            self.notifier.withdraw(id);
        }
    }

    /// Read the whole directory again (at start, when it appears, after an event overflow): new
    /// and changed files are read, vanished ones forgotten. A missing directory holds nothing.
    fn rescan(&mut self) {
        let present: Vec<OsString> = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries
                .filter_map(|e| e.ok().map(|e| e.file_name()))
                .filter(|name| is_status_file(name))
                .collect(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => {
                log::warn!("cannot list {}: {e}", self.dir.display());
                return;
            }
        };
        let gone: Vec<OsString> = self
            .drives
            .keys()
            .filter(|name| !present.contains(name))
            .cloned()
            .collect();
        for name in gone {
            self.forget(&name);
        }
        for name in present {
            self.read(name);
        }
    }
}

/// Offer `notice` (for the file `name`) to `notifier`: delivered, or pending after a warning.
fn deliver<N: Notifier>(
    notifier: &mut N,
    name: &OsString,
    notice: Notice,
    replaces: Option<NoticeId>,
) -> Shown {
    match notifier.show(&notice, replaces) {
        Ok(id) => {
            log::info!("announced {}: {}", name.to_string_lossy(), notice.summary);
            Shown::Delivered(id)
        }
        Err(e) => {
            log::warn!(
                "notice for {} not delivered yet: {e}",
                name.to_string_lossy()
            );
            Shown::Pending { notice, replaces }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use odflash::ops::hotplug::{classify, write_state};
    use odflash::ops::open::{open_read_only, OpenOptions};

    /// Records what it is asked; refuses everything while `absent`.
    #[derive(Debug, Default)]
    struct Recorder {
        shown: Vec<(Notice, Option<NoticeId>)>,
        withdrawn: Vec<NoticeId>,
        absent: bool,
    }

    impl Notifier for Recorder {
        fn show(&mut self, n: &Notice, replaces: Option<NoticeId>) -> Result<NoticeId, Error> {
            if self.absent {
                return Err(Error::Bus(zbus::Error::Failure("no server".into())));
            }
            self.shown.push((n.clone(), replaces));
            Ok(NoticeId(self.shown.len() as u32))
        }
        fn withdraw(&mut self, id: NoticeId) {
            self.withdrawn.push(id);
        }
    }

    /// Classify the emulated drive `spec` as the helper does and write its status file.
    fn write(dir: &Path, spec: &str) -> Change {
        let mut dev = open_read_only(spec, &OpenOptions::default()).unwrap();
        let c = classify(&mut dev).unwrap();
        let path = write_state(dir, &c).unwrap();
        Change::Written(path.file_name().unwrap().to_os_string())
    }

    fn setup() -> (tempfile::TempDir, Announcer<Recorder>) {
        let dir = tempfile::tempdir().unwrap();
        let announcer = Announcer::new(dir.path(), Recorder::default());
        (dir, announcer)
    }

    #[test]
    fn same_verdict_once_changed_verdict_again() {
        let (dir, mut a) = setup();
        a.apply(write(dir.path(), "emu:mt1959,mode=boot"));
        a.apply(write(dir.path(), "emu:mt1959,mode=boot"));
        assert_eq!(a.notifier.shown.len(), 1, "{:?}", a.notifier.shown);
        a.apply(write(dir.path(), "emu:mt1959,mode=needs-attention"));
        assert_eq!(a.notifier.shown.len(), 2, "{:?}", a.notifier.shown);
        // The new verdict replaces the old notice instead of stacking a second one.
        assert_eq!(a.notifier.shown[1].1, Some(NoticeId(1)));
        // Back to healthy: nothing shown, the stale notice withdrawn.
        a.apply(write(dir.path(), "emu:mt1959"));
        assert_eq!(a.notifier.shown.len(), 2, "{:?}", a.notifier.shown);
        assert_eq!(a.notifier.withdrawn, [NoticeId(2)]);
    }

    #[test]
    fn healthy_drives_are_not_announced() {
        let (dir, mut a) = setup();
        for spec in ["emu:mt1959", "emu:dru-710a", "emu:se-506cb"] {
            a.apply(write(dir.path(), spec));
        }
        assert!(a.notifier.shown.is_empty(), "{:?}", a.notifier.shown);
    }

    #[test]
    fn replug_is_announced_again() {
        let (dir, mut a) = setup();
        let Change::Written(name) = write(dir.path(), "emu:mt1959,mode=boot") else {
            unreachable!()
        };
        a.apply(Change::Written(name.clone()));
        std::fs::remove_file(dir.path().join(&name)).unwrap();
        a.apply(Change::Removed(name));
        assert_eq!(a.notifier.withdrawn, [NoticeId(1)]);
        a.apply(write(dir.path(), "emu:mt1959,mode=boot"));
        assert_eq!(a.notifier.shown.len(), 2, "{:?}", a.notifier.shown);
        assert_eq!(a.notifier.shown[1].1, None);
    }

    #[test]
    fn rescan_announces_present_files_once_and_forgets_vanished_ones() {
        let (dir, mut a) = setup();
        write(dir.path(), "emu:mt1959,mode=boot");
        write(dir.path(), "emu:mt1939,mode=boot");
        write(dir.path(), "emu:se-506cb");
        std::fs::write(dir.path().join("sg7.json"), "not json").unwrap();
        a.apply(Change::Rescan);
        a.apply(Change::Rescan);
        assert_eq!(a.notifier.shown.len(), 2, "{:?}", a.notifier.shown);
        std::fs::remove_file(dir.path().join("emu-mt1939.json")).unwrap();
        a.apply(Change::Rescan);
        assert_eq!(a.notifier.withdrawn.len(), 1);
    }

    #[test]
    fn undelivered_notices_wait_for_the_server() {
        let (dir, mut a) = setup();
        a.notifier.absent = true;
        a.apply(write(dir.path(), "emu:mt1959,mode=boot"));
        assert_eq!(a.pending(), 1);
        a.retry();
        assert_eq!(a.pending(), 1);
        // A rewrite with the same verdict keeps it pending, not lost and not doubled.
        a.apply(write(dir.path(), "emu:mt1959,mode=boot"));
        a.notifier.absent = false;
        a.retry();
        assert_eq!(a.pending(), 0);
        assert_eq!(a.notifier.shown.len(), 1, "{:?}", a.notifier.shown);
        assert!(a.notifier.shown[0].0.body.contains("odflash rescue"));
    }
}
