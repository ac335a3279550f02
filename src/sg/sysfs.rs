//! What sysfs says about SCSI nodes: which sg node serves a block device (`/dev/sr0` ->
//! `/dev/sg1`), a node's peripheral device type and the kernel's transfer limit.
//!
//! Every lookup takes a [`SysfsRoot`], so tests point it at a fake tree in a temp dir. This module
//! reads files only: it never opens a device node.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use nix::errno::Errno;

use super::{sys, Error};

/// The root of the sysfs tree to consult: `/sys` on a real system, a temp dir in tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SysfsRoot(PathBuf);

impl SysfsRoot {
    /// A sysfs tree mounted at `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        SysfsRoot(root.into())
    }

    /// The system's sysfs, `/sys`.
    pub fn system() -> Self {
        SysfsRoot::new("/sys")
    }

    /// `<root>/class/scsi_generic/<sg name>/device`: the scsi_device directory behind an sg node.
    fn scsi_device_of_sg(&self, sg_name: &str) -> PathBuf {
        self.0
            .join("class/scsi_generic")
            .join(sg_name)
            .join("device")
    }
}

/// True for sg node names: `sg` followed by digits.
fn is_sg_name(name: &str) -> bool {
    name.strip_prefix("sg")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// Map an I/O error on `path` to an [`Error`].
pub(super) fn io_error(op: &'static str, path: &Path, e: &io::Error) -> Error {
    match e.kind() {
        io::ErrorKind::NotFound => Error::NotFound {
            path: path.to_path_buf(),
        },
        _ => Error::Os {
            op,
            path: path.to_path_buf(),
            source: Errno::from_raw(e.raw_os_error().unwrap_or(libc::EIO)),
        },
    }
}

/// What sysfs knows about a node name.
enum Lookup {
    /// Not a SCSI block device: use the node as given.
    Unrelated,
    /// A SCSI block device served by this sg node.
    Sg(String),
    /// A SCSI block device without an sg node (the sg module is not loaded).
    NoSg,
}

/// Find the sg node of block device `name` under `class/block/<name>` or, on kernels without
/// the block class, `block/<name>`.
fn lookup_block(name: &str, sysfs: &SysfsRoot) -> Lookup {
    let Some(block) = ["class/block", "block"]
        .iter()
        .map(|dir| sysfs.0.join(dir).join(name))
        .find(|p| p.exists())
    else {
        return Lookup::Unrelated;
    };
    let device = block.join("device");
    if !device.exists() {
        // loop, ram, zram, dm-*: no SCSI device behind them.
        return Lookup::Unrelated;
    }
    // Current layout: device/scsi_generic/sgN. Kernels built with CONFIG_SYSFS_DEPRECATED
    // put a `scsi_generic:sgN` link in the device directory instead.
    let modern = fs::read_dir(device.join("scsi_generic"))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .find(|n| is_sg_name(n));
    let deprecated = || {
        fs::read_dir(&device)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| e.file_name().into_string().ok())
            .filter_map(|n| n.strip_prefix("scsi_generic:").map(str::to_owned))
            .find(|n| is_sg_name(n))
    };
    match modern.or_else(deprecated) {
        Some(sg) => Lookup::Sg(sg),
        None => Lookup::NoSg,
    }
}

/// Resolve a DEVICE argument to the sg node to open.
///
/// Symlinks (`/dev/disk/by-id/...`, `/dev/cdrom`) are canonicalized first. An `sgN` node is
/// returned as is; a SCSI block device (`srN`, `sdX`) is mapped to its sg node in the same
/// directory through sysfs; anything else is returned canonicalized, for [`super::Device`] to
/// refuse with a precise error.
///
/// Errors: [`Error::NotFound`] (missing path or dangling link), [`Error::NoSgNode`] (a SCSI
/// block device while the sg module is not loaded), [`Error::Os`].
pub fn resolve_sg_node(path: &Path, sysfs: &SysfsRoot) -> Result<PathBuf, Error> {
    let canonical = fs::canonicalize(path).map_err(|e| io_error("resolve", path, &e))?;
    let Some(name) = canonical.file_name().and_then(|n| n.to_str()) else {
        return Ok(canonical);
    };
    if is_sg_name(name) {
        return Ok(canonical);
    }
    match lookup_block(name, sysfs) {
        Lookup::Unrelated => Ok(canonical),
        Lookup::Sg(sg) => {
            log::debug!("{} is served by {sg}", canonical.display());
            Ok(canonical.with_file_name(sg))
        }
        Lookup::NoSg => Err(Error::NoSgNode { path: canonical }),
    }
}

/// The SCSI peripheral device type of an sg node (5 for optical drives), read from
/// `<sysfs>/class/scsi_generic/sgN/device/type`. `None` when sysfs does not say.
pub fn read_peripheral_type(sg_node: &Path, sysfs: &SysfsRoot) -> Option<u8> {
    let name = sg_node.file_name()?.to_str()?;
    let path = sysfs.scsi_device_of_sg(name).join("type");
    let text = fs::read_to_string(&path)
        .inspect_err(|e| log::debug!("no peripheral type at {}: {e}", path.display()))
        .ok()?;
    text.trim().parse().ok()
}

/// The largest data phase the kernel passes through for this sg node in one command, in bytes,
/// from the queue limits of the block device (e.g. sr0) under the node's scsi_device
/// (`<sysfs>/class/scsi_generic/sgN/device/block/*/queue/`): the smaller of
/// `max_hw_sectors_kb` × 1024 and `max_segments` × the page size.
///
/// - Pass-through requests are bounded by the hardware limit, not the file-system tunable
///   `max_sectors_kb` (`blk_rq_get_max_sectors` returns `max_hw_sectors` for pass-through; the
///   block SG_IO path also checks it, torvalds/linux drivers/scsi/scsi_ioctl.c `sg_io`).
/// - Each user page may be its own segment. Measured on Linux 6.1 with scsi_debug
///   (`max_segments` 2048, `max_hw_sectors_kb` unlimited): 8 MiB passes, 8 MiB + 4 KiB fails
///   with EINVAL; lowering `max_sectors_kb` to 120 changed nothing.
///
/// `None` when there is no block device (e.g. sr_mod not loaded) or sysfs says neither.
pub fn read_max_transfer(sg_node: &Path, sysfs: &SysfsRoot) -> Option<usize> {
    let name = sg_node.file_name()?.to_str()?;
    let blocks = sysfs.scsi_device_of_sg(name).join("block");
    let read = |queue: &Path, file: &str, unit: usize| {
        fs::read_to_string(queue.join(file))
            .ok()?
            .trim()
            .parse::<usize>()
            .ok()
            .map(|n| n.saturating_mul(unit))
    };
    let page = sys::page_size();
    fs::read_dir(&blocks)
        .ok()?
        .flatten()
        .map(|block| block.path().join("queue"))
        .flat_map(|queue| {
            [
                read(&queue, "max_hw_sectors_kb", 1024),
                read(&queue, "max_segments", page),
            ]
        })
        .flatten()
        .min()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn sg_names() {
        assert!(is_sg_name("sg0"));
        assert!(is_sg_name("sg17"));
        assert!(!is_sg_name("sg"));
        assert!(!is_sg_name("sr0"));
        assert!(!is_sg_name("sga"));
        assert!(!is_sg_name("sg1a"));
    }

    /// A fake sysfs: sg3 -> scsi_device 2:0:0:0 (type 5) with block device sr1.
    fn fake_sysfs() -> (tempfile::TempDir, SysfsRoot) {
        let dir = tempfile::tempdir().unwrap();
        let sys = dir.path().join("sys");
        let scsi_dev = sys.join("devices/pci0000:00/host2/target2:0:0/2:0:0:0");
        fs::create_dir_all(scsi_dev.join("scsi_generic/sg3")).unwrap();
        fs::create_dir_all(scsi_dev.join("block/sr1/queue")).unwrap();
        fs::write(scsi_dev.join("block/sr1/queue/max_hw_sectors_kb"), "120\n").unwrap();
        fs::write(scsi_dev.join("block/sr1/queue/max_sectors_kb"), "64\n").unwrap();
        fs::write(scsi_dev.join("block/sr1/queue/max_segments"), "2048\n").unwrap();
        fs::write(scsi_dev.join("type"), "5\n").unwrap();
        fs::create_dir_all(sys.join("class/scsi_generic/sg3")).unwrap();
        symlink(&scsi_dev, sys.join("class/scsi_generic/sg3/device")).unwrap();
        let root = SysfsRoot::new(&sys);
        (dir, root)
    }

    #[test]
    fn peripheral_type_and_max_transfer_from_sysfs() {
        let (_dir, sysfs) = fake_sysfs();
        let node = Path::new("/dev/sg3");
        assert_eq!(read_peripheral_type(node, &sysfs), Some(5));
        assert_eq!(read_max_transfer(node, &sysfs), Some(120 * 1024));
        let other = Path::new("/dev/sg9");
        assert_eq!(read_peripheral_type(other, &sysfs), None);
        assert_eq!(read_max_transfer(other, &sysfs), None);
    }

    #[test]
    fn max_transfer_is_bounded_by_segments() {
        let (dir, sysfs) = fake_sysfs();
        let queue = dir
            .path()
            .join("sys/devices/pci0000:00/host2/target2:0:0/2:0:0:0/block/sr1/queue");
        fs::write(queue.join("max_hw_sectors_kb"), "2147483647\n").unwrap();
        assert_eq!(
            read_max_transfer(Path::new("/dev/sg3"), &sysfs),
            Some(2048 * sys::page_size())
        );
        fs::remove_file(queue.join("max_segments")).unwrap();
        assert_eq!(
            read_max_transfer(Path::new("/dev/sg3"), &sysfs),
            Some(2147483647 * 1024)
        );
    }

    #[test]
    fn unparseable_type_is_none() {
        let (dir, sysfs) = fake_sysfs();
        let scsi_dev = dir
            .path()
            .join("sys/devices/pci0000:00/host2/target2:0:0/2:0:0:0");
        fs::write(scsi_dev.join("type"), "optical\n").unwrap();
        assert_eq!(read_peripheral_type(Path::new("/dev/sg3"), &sysfs), None);
    }

    #[test]
    fn missing_path_is_not_found() {
        let (dir, sysfs) = fake_sysfs();
        let missing = dir.path().join("dev/sg42");
        let err = resolve_sg_node(&missing, &sysfs).unwrap_err();
        assert!(matches!(err, Error::NotFound { path } if path == missing));
    }
}
