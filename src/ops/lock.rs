//! Exclusive advisory lock on the device node (or an emulated drive's state file) for the
//! duration of any write: two odflash processes never write the same drive at once.
//!
//! Owns [`DeviceLock`]. It must not send commands; callers take the lock before the first write
//! and hold it until the drive is verified.

use std::fs::File;
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::{Flock, FlockArg};

use super::error::Error;

/// A held `flock(LOCK_EX)` on a device node; released when dropped.
#[derive(Debug)]
pub struct DeviceLock {
    path: PathBuf,
    _lock: Flock<File>,
}

impl DeviceLock {
    /// Take an exclusive lock on `path` without waiting: [`Error::Busy`] when another process
    /// holds it. The node is opened read-only (flock needs no write access to the node).
    pub fn acquire(path: &Path) -> Result<DeviceLock, Error> {
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
            Ok(lock) => Ok(DeviceLock {
                path: path.to_path_buf(),
                _lock: lock,
            }),
            Err((_, Errno::EWOULDBLOCK)) => Err(Error::Busy(path.to_path_buf())),
            Err((_, errno)) => Err(Error::io(path, std::io::Error::from(errno))),
        }
    }

    /// The locked path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_lock_is_busy_until_the_first_drops() {
        let dir = tempfile::tempdir().unwrap();
        let node = dir.path().join("sg9");
        std::fs::write(&node, b"").unwrap();
        let first = DeviceLock::acquire(&node).unwrap();
        assert!(matches!(DeviceLock::acquire(&node), Err(Error::Busy(_))));
        drop(first);
        assert_eq!(DeviceLock::acquire(&node).unwrap().path(), node);
    }
}
