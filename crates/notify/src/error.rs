//! The notifier's errors: watching the status directory, reading one status file, talking to
//! the notification server. Only watch errors end the program; the others are logged and the
//! notifier goes on.

use std::path::PathBuf;

use odflash_files::atomic::FileError;

/// What can go wrong in `odflash-notify`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// inotify could not be set up, or a watch could not be added.
    #[error("cannot watch {path}: {source}")]
    Watch {
        /// The directory (or its parent) being watched.
        path: PathBuf,
        /// What the kernel said.
        source: nix::Error,
    },
    /// The status directory does not exist and neither does its parent, so nothing can tell
    /// when it appears.
    #[error("cannot wait for {dir} to appear: {parent} does not exist either")]
    NoParent {
        /// The status directory.
        dir: PathBuf,
        /// Its parent.
        parent: PathBuf,
    },
    /// Waiting for or reading inotify events failed.
    #[error("waiting for changes in {path}: {source}")]
    Wait {
        /// The watched directory.
        path: PathBuf,
        /// What the kernel said.
        source: nix::Error,
    },
    /// A status file could not be read (missing, not a regular file, too large, not UTF-8).
    #[error(transparent)]
    Read(#[from] FileError),
    /// A status file is not the JSON the hotplug helper writes.
    #[error("{path} is not an odflash status file: {detail}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// serde_json's account of what is wrong.
        detail: String,
    },
    /// The session bus or the notification server refused or did not answer.
    #[error("desktop notification server: {0}")]
    Bus(#[from] zbus::Error),
}
