//! Bad DEVICE arguments and sysfs resolution for `sg::Device`, without real SCSI devices or
//! root: a fake `/dev` + `/sys` tree in a temp dir, and the always-present /dev/null and /dev/zero.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use odflash::sg::{resolve_sg_node, Device, Error, NodeKind, SysfsRoot};

/// A temp dir holding `dev/` and `sys/`.
struct Tree {
    dir: tempfile::TempDir,
}

impl Tree {
    fn new() -> Self {
        let tree = Tree {
            dir: tempfile::tempdir().unwrap(),
        };
        fs::create_dir_all(tree.dev().join("disk/by-id")).unwrap();
        fs::create_dir_all(tree.dir.path().join("sys")).unwrap();
        tree
    }

    /// The fake /dev, canonicalized (the temp dir may sit behind a symlink).
    fn dev(&self) -> PathBuf {
        fs::canonicalize(self.dir.path()).unwrap().join("dev")
    }

    fn sysfs(&self) -> SysfsRoot {
        SysfsRoot::new(self.dir.path().join("sys"))
    }

    fn sys(&self, rel: &str) -> PathBuf {
        self.dir.path().join("sys").join(rel)
    }

    /// A scsi_device directory (`devices/.../H:C:T:L`) and, with `sg`, its scsi_generic child.
    fn scsi_device(&self, hctl: &str, sg: Option<&str>) -> PathBuf {
        let dev = self.sys(&format!("devices/pci0000:00/host0/target0:0:0/{hctl}"));
        fs::create_dir_all(&dev).unwrap();
        if let Some(sg) = sg {
            fs::create_dir_all(dev.join("scsi_generic").join(sg)).unwrap();
        }
        dev
    }

    /// A block device `name` under `class_dir` ("class/block" or "block") whose `device` link
    /// points at `scsi_device`, plus a stand-in node file in the fake /dev.
    fn block(&self, class_dir: &str, name: &str, scsi_device: &Path) -> PathBuf {
        let dir = self.sys(class_dir).join(name);
        fs::create_dir_all(&dir).unwrap();
        symlink(scsi_device, dir.join("device")).unwrap();
        self.node(name)
    }

    /// A regular file standing in for a device node in the fake /dev.
    fn node(&self, name: &str) -> PathBuf {
        let path = self.dev().join(name);
        fs::write(&path, b"").unwrap();
        path
    }

    /// A `/dev/disk/by-id/<id>` link to `target` (relative, as udev makes them).
    fn by_id(&self, id: &str, target: &str) -> PathBuf {
        let link = self.dev().join("disk/by-id").join(id);
        symlink(Path::new("../..").join(target), &link).unwrap();
        link
    }
}

#[test]
fn missing_path_is_not_found() {
    let tree = Tree::new();
    let missing = tree.dev().join("sg9");
    let err = Device::open_with(&missing, &tree.sysfs()).unwrap_err();
    assert!(matches!(err, Error::NotFound { path } if path == missing));
}

#[test]
fn dangling_by_id_link_is_not_found() {
    let tree = Tree::new();
    let link = tree.by_id("usb-HL-DT-ST_BD-RE_WH16NS60-0:0", "sr7");
    let err = Device::open_with(&link, &tree.sysfs()).unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }));
}

#[test]
fn regular_file_is_refused() {
    let tree = Tree::new();
    let file = tree.node("firmware.bin");
    let err = Device::open_with(&file, &tree.sysfs()).unwrap_err();
    assert!(matches!(
        err,
        Error::NotCharDevice { path, kind: NodeKind::Regular } if path == file
    ));
}

#[test]
fn directory_is_refused() {
    let tree = Tree::new();
    let err = Device::open_with(&tree.dev(), &tree.sysfs()).unwrap_err();
    assert!(matches!(
        err,
        Error::NotCharDevice {
            kind: NodeKind::Directory,
            ..
        }
    ));
}

#[test]
fn dev_null_and_dev_zero_are_not_sg() {
    for node in ["/dev/null", "/dev/zero"] {
        let err = Device::open(Path::new(node)).unwrap_err();
        assert!(
            matches!(&err, Error::NotSg { path } if path == Path::new(node)),
            "{node}: {err:?}"
        );
    }
}

#[test]
fn sr_maps_to_its_sg_node_through_class_block() {
    let tree = Tree::new();
    let scsi = tree.scsi_device("0:0:0:0", Some("sg1"));
    let sr0 = tree.block("class/block", "sr0", &scsi);
    assert_eq!(
        resolve_sg_node(&sr0, &tree.sysfs()).unwrap(),
        tree.dev().join("sg1")
    );
}

#[test]
fn sr_maps_through_the_sys_block_form() {
    let tree = Tree::new();
    let scsi = tree.scsi_device("1:0:0:0", Some("sg4"));
    let sr2 = tree.block("block", "sr2", &scsi);
    assert_eq!(
        resolve_sg_node(&sr2, &tree.sysfs()).unwrap(),
        tree.dev().join("sg4")
    );
}

#[test]
fn sr_maps_through_the_deprecated_sysfs_layout() {
    let tree = Tree::new();
    let scsi = tree.scsi_device("2:0:0:0", None);
    symlink("/nonexistent", scsi.join("scsi_generic:sg5")).unwrap();
    let sr3 = tree.block("class/block", "sr3", &scsi);
    assert_eq!(
        resolve_sg_node(&sr3, &tree.sysfs()).unwrap(),
        tree.dev().join("sg5")
    );
}

#[test]
fn by_id_link_resolves_to_the_sg_node() {
    let tree = Tree::new();
    let scsi = tree.scsi_device("0:0:0:0", Some("sg1"));
    tree.block("class/block", "sr0", &scsi);
    let link = tree.by_id("ata-HL-DT-ST_BD-RE_BH16NS40_K9OF4A12345", "sr0");
    assert_eq!(
        resolve_sg_node(&link, &tree.sysfs()).unwrap(),
        tree.dev().join("sg1")
    );
}

#[test]
fn open_uses_the_mapped_sg_node() {
    let tree = Tree::new();
    let scsi = tree.scsi_device("0:0:0:0", Some("sg1"));
    tree.block("class/block", "sr0", &scsi);
    let link = tree.by_id("ata-ASUS_BW-16D1HT_K9OF4A12345", "sr0");
    // sysfs names sg1 but the node is missing (no devtmpfs/udev node yet).
    let err = Device::open_with(&link, &tree.sysfs()).unwrap_err();
    assert!(matches!(err, Error::NotFound { path } if path == tree.dev().join("sg1")));
    // With a stand-in file at the mapped path, open reaches it and refuses it.
    let sg1 = tree.node("sg1");
    let err = Device::open_with(&link, &tree.sysfs()).unwrap_err();
    assert!(matches!(
        err,
        Error::NotCharDevice { path, kind: NodeKind::Regular } if path == sg1
    ));
}

#[test]
fn sr_without_sg_node_asks_for_the_sg_module() {
    let tree = Tree::new();
    let scsi = tree.scsi_device("0:0:0:0", None);
    let sr0 = tree.block("class/block", "sr0", &scsi);
    let err = Device::open_with(&sr0, &tree.sysfs()).unwrap_err();
    assert!(matches!(err, Error::NoSgNode { path } if path == sr0));
}

#[test]
fn sg_node_and_unrelated_names_pass_through() {
    let tree = Tree::new();
    let sg2 = tree.node("sg2");
    assert_eq!(resolve_sg_node(&sg2, &tree.sysfs()).unwrap(), sg2);
    // A block device without a SCSI device behind it (loop, zram) is left for open to refuse.
    fs::create_dir_all(tree.sys("class/block/loop0")).unwrap();
    let loop0 = tree.node("loop0");
    assert_eq!(resolve_sg_node(&loop0, &tree.sysfs()).unwrap(), loop0);
}
