//! Opening an sg node: resolve the DEVICE argument (sr -> sg through sysfs, symlinks), refuse
//! anything that is not an sg character device before opening it, open it `O_NONBLOCK` with
//! the requested [`Access`] (`O_RDWR` normally, `O_RDONLY` for the hotplug helper) and check the
//! driver version.
//!
//! This module owns the [`Device`] handle and its fd. It must not send SCSI commands (that is
//! `transport.rs`) nor decide whether a device is an optical drive (that is `ops`, using
//! [`Device::peripheral_type`]).

use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::sys::stat::major;

use super::sysfs::{io_error, read_max_transfer, read_peripheral_type, resolve_sg_node};
use super::{sys, Error, NodeKind, SysfsRoot};
use crate::scsi::TransferLimit;

/// `SCSI_GENERIC_MAJOR` (torvalds/linux include/uapi/linux/major.h): sg registers all its nodes
/// under this character major.
const SCSI_GENERIC_MAJOR: u64 = 21;

/// The first sg driver version with the version 3 interface (SG_IO, `sg_io_hdr`), 3.0.0
/// (sg3_utils and the SCSI-Generic-HOWTO require the same minimum).
const MIN_SG_VERSION: i32 = 30000;

/// How an sg node is opened.
///
/// The kernel applies its own SCSI command filter to nodes *not* opened `O_RDWR`:
/// `sg_ioctl` computes `read_only = (O_RDWR != (filp->f_flags & O_ACCMODE))` and
/// `sg_allow_access()` then passes only `scsi_cmd_allowed()`'s read-safe list (INQUIRY, TEST
/// UNIT READY, REQUEST SENSE, READ BUFFER, MODE SENSE, GET CONFIGURATION, ...) unless the
/// caller has CAP_SYS_RAWIO (torvalds/linux drivers/scsi/sg.c, drivers/scsi/scsi_ioctl.c).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// `O_RDWR`: every command the caller's policy allows (flashing needs it).
    ReadWrite,
    /// `O_RDONLY`: the kernel filter above applies too; what a `DeviceAllow=... r` unit can open.
    ReadOnly,
}

/// An open Linux SCSI generic node. Owns its file descriptor; closes it on drop.
#[derive(Debug)]
pub struct Device {
    pub(super) file: File,
    pub(super) path: PathBuf,
    version: i32,
    pub(super) max_transfer: Option<TransferLimit>,
    peripheral_type: Option<u8>,
}

impl Device {
    /// Open a DEVICE argument (`/dev/sgN`, `/dev/srN`, a `/dev/disk/by-id` link, ...) using the
    /// system's sysfs at `/sys`.
    pub fn open(path: &Path) -> Result<Device, Error> {
        Device::open_with(path, &SysfsRoot::system())
    }

    /// Open a DEVICE argument read-only (`O_RDONLY|O_NONBLOCK`, see [`Access::ReadOnly`]) using
    /// the system's sysfs at `/sys`.
    pub fn open_read_only(path: &Path) -> Result<Device, Error> {
        Device::open_with_access(path, &SysfsRoot::system(), Access::ReadOnly)
    }

    /// Open a DEVICE argument, consulting the sysfs tree at `sysfs` to map block devices to
    /// their sg node and to read the node's type and transfer limit.
    ///
    /// The node is checked to be an sg character device (major 21) *before* it is opened, so a
    /// wrong argument never opens an arbitrary device (opening `/dev/watchdog` arms it). It is
    /// opened `O_RDWR|O_NONBLOCK`: read-write because SG_IO needs write access for any command
    /// outside the kernel's read-only list, non-blocking so that a node held `O_EXCL` by another
    /// program fails at once with [`Error::Busy`] instead of hanging.
    pub fn open_with(path: &Path, sysfs: &SysfsRoot) -> Result<Device, Error> {
        Device::open_with_access(path, sysfs, Access::ReadWrite)
    }

    /// [`Device::open_with`] with the given [`Access`] mode.
    pub fn open_with_access(
        path: &Path,
        sysfs: &SysfsRoot,
        access: Access,
    ) -> Result<Device, Error> {
        let node = resolve_sg_node(path, sysfs)?;
        let meta = std::fs::metadata(&node).map_err(|e| io_error("stat", &node, &e))?;
        check_node(&node, &meta.file_type(), meta.rdev())?;
        let file = open_node(&node, access).map_err(|e| open_error(&node, &e))?;
        let version = sys::get_version_num(file.as_fd()).map_err(|e| match e {
            Errno::ENOTTY | Errno::EINVAL => Error::NotSg { path: node.clone() },
            source => Error::Os {
                op: "SG_GET_VERSION_NUM",
                path: node.clone(),
                source,
            },
        })?;
        if version < MIN_SG_VERSION {
            return Err(Error::OldDriver {
                path: node,
                version,
            });
        }
        let max_transfer = read_max_transfer(&node, sysfs)
            .map(TransferLimit::hard)
            .or_else(|| {
                // Without a block device to ask, the driver's reserved buffer is a size sg
                // is known to serve in one request; sg allocates more for a larger one
                // (drivers/scsi/sg.c, `sg_build_indirect`), so it is not a limit.
                sys::get_reserved_size(file.as_fd())
                    .inspect_err(|e| log::debug!("SG_GET_RESERVED_SIZE on {}: {e}", node.display()))
                    .ok()
                    .and_then(|n| usize::try_from(n).ok())
                    .filter(|&n| n > 0)
                    .map(TransferLimit::known_to_pass)
            });
        let peripheral_type = read_peripheral_type(&node, sysfs);
        log::debug!(
            "opened {} (sg driver {version}, type {peripheral_type:?}, max transfer \
             {max_transfer:?})",
            node.display()
        );
        Ok(Device {
            file,
            path: node,
            version,
            max_transfer,
            peripheral_type,
        })
    }

    /// The sg node this handle has open (after resolving links and sr -> sg).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The sg driver version (SG_GET_VERSION_NUM), e.g. 30536 for 3.5.36.
    pub fn driver_version(&self) -> i32 {
        self.version
    }

    /// The SCSI peripheral device type from sysfs (5 = optical drive), when sysfs says.
    /// `ops` enforces the type-5 rule with it before sending anything beyond identification.
    pub fn peripheral_type(&self) -> Option<u8> {
        self.peripheral_type
    }
}

impl AsFd for Device {
    /// The node's fd, e.g. for `flock` during a write.
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.file.as_fd()
    }
}

/// Open a checked node non-blocking with `access`.
fn open_node(node: &Path, access: Access) -> io::Result<File> {
    OpenOptions::new()
        .read(true)
        .write(access == Access::ReadWrite)
        .custom_flags(OFlag::O_NONBLOCK.bits())
        .open(node)
}

/// Refuse anything but an sg character device, from its file type and device number (pure).
fn check_node(path: &Path, file_type: &std::fs::FileType, rdev: u64) -> Result<(), Error> {
    let kind = if file_type.is_char_device() {
        return if major(rdev) == SCSI_GENERIC_MAJOR {
            Ok(())
        } else {
            Err(Error::NotSg {
                path: path.to_path_buf(),
            })
        };
    } else if file_type.is_file() {
        NodeKind::Regular
    } else if file_type.is_dir() {
        NodeKind::Directory
    } else if file_type.is_block_device() {
        NodeKind::Block
    } else {
        NodeKind::Other
    };
    Err(Error::NotCharDevice {
        path: path.to_path_buf(),
        kind,
    })
}

/// Map a failed `open(2)` of an sg node to an [`Error`] (pure).
fn open_error(path: &Path, e: &io::Error) -> Error {
    match e.raw_os_error().map(Errno::from_raw) {
        Some(Errno::EACCES | Errno::EPERM) => Error::PermissionDenied {
            path: path.to_path_buf(),
        },
        Some(Errno::EBUSY) => Error::Busy {
            path: path.to_path_buf(),
        },
        _ => io_error("open", path, e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_errors_are_typed() {
        let p = Path::new("/dev/sg3");
        let err = |errno| open_error(p, &io::Error::from_raw_os_error(errno));
        assert!(matches!(err(libc::EACCES), Error::PermissionDenied { .. }));
        assert!(matches!(err(libc::EPERM), Error::PermissionDenied { .. }));
        assert!(matches!(err(libc::EBUSY), Error::Busy { .. }));
        assert!(matches!(err(libc::ENOENT), Error::NotFound { .. }));
        assert!(matches!(
            err(libc::ENXIO),
            Error::Os {
                op: "open",
                source: Errno::ENXIO,
                ..
            }
        ));
    }

    #[test]
    fn permission_message_says_what_to_do() {
        let e = open_error(
            Path::new("/dev/sg3"),
            &io::Error::from_raw_os_error(libc::EACCES),
        );
        assert_eq!(
            e.to_string(),
            "permission denied opening /dev/sg3: run with sudo (or join group cdrom for \
             read-only commands)"
        );
    }

    #[test]
    fn access_mode_sets_the_open_flags() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("node");
        std::fs::write(&path, b"").unwrap();
        for (access, mode) in [
            (Access::ReadOnly, OFlag::O_RDONLY),
            (Access::ReadWrite, OFlag::O_RDWR),
        ] {
            let file = open_node(&path, access).unwrap();
            let flags = OFlag::from_bits_truncate(
                nix::fcntl::fcntl(
                    std::os::fd::AsRawFd::as_raw_fd(&file),
                    nix::fcntl::FcntlArg::F_GETFL,
                )
                .unwrap(),
            );
            assert_eq!(flags & OFlag::O_ACCMODE, mode, "{access:?}");
            assert!(flags.contains(OFlag::O_NONBLOCK), "{access:?}");
        }
    }

    #[test]
    fn char_devices_other_than_sg_are_refused_by_major() {
        let null = std::fs::metadata("/dev/null").unwrap();
        let err = check_node(Path::new("/dev/null"), &null.file_type(), null.rdev());
        assert!(matches!(err, Err(Error::NotSg { .. })));
        // Same file type, sg's major (21, minor 0): accepted.
        let sg0 = nix::sys::stat::makedev(SCSI_GENERIC_MAJOR, 0);
        assert!(check_node(Path::new("/dev/sg0"), &null.file_type(), sg0).is_ok());
    }
}
