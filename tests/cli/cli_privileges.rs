//! Who may write: odflash refuses a write to a real drive without root before it even looks the
//! node up (the kernel would pass a `cdrom` member's WRITE BUFFER through an `O_RDWR` sg node),
//! while reads need only access to the node. Run as this process's user, or as uid 65534 through
//! `setpriv` when the tests run as root; the VM scenario `m-permissions` proves the same with real
//! nodes and users.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::cli_common::Dir;

/// `nobody` on Debian: whom root runs the unprivileged runs as.
const NOBODY: &str = "65534";

/// A node that does not exist: a refusal that names it as missing came after the lookup.
const MISSING: &str = "/dev/sg250";

/// The binary, copied where any user may run it (the checkout may sit in a private directory).
fn runnable_copy(dir: &Dir) -> PathBuf {
    let bin = dir.join("odflash");
    std::fs::copy(env!("CARGO_BIN_EXE_odflash"), &bin).expect("copy the binary");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    bin
}

/// Whether this process is root (then the runs switch to uid 65534 through `setpriv`).
fn running_as_root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// `bin args` as a user without root: this process's own user, or uid/gid 65534 with no
/// supplementary groups when the tests run as root. `None` (the test skips) only outside CI
/// when root has no `setpriv`.
fn unprivileged(bin: &Path, args: &[&str]) -> Option<Output> {
    let mut cmd = if running_as_root() {
        if Command::new("setpriv").arg("--version").output().is_err() {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI running as root needs setpriv (util-linux) to test unprivileged runs"
            );
            eprintln!("skipped: running as root without setpriv to drop privileges");
            return None;
        }
        let mut cmd = Command::new("setpriv");
        cmd.args(["--reuid", NOBODY, "--regid", NOBODY, "--clear-groups"])
            .arg(bin);
        cmd
    } else {
        Command::new(bin)
    };
    Some(
        cmd.args(args)
            .env_remove("RUST_LOG")
            .output()
            .expect("run odflash"),
    )
}

/// `path` readable by every user (the runs may not be this process's user).
fn world_readable(path: PathBuf) -> PathBuf {
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    path
}

#[test]
fn writes_without_root_are_refused_before_the_node_is_looked_up() {
    let dir = Dir::new();
    let bin = runnable_copy(&dir);
    let image = world_readable(dir.bu40n("fw.bin", "1.04"));
    let image = image.to_str().unwrap();
    // Not a bundle: the refusal comes before the file is read, too.
    let unit = world_readable(dir.write("unit.odbk", b"not read: refused first"));
    let unit = unit.to_str().unwrap();
    let yes = ["--execute", "--yes-i-understand-the-risk"];
    for args in [
        vec!["flash", MISSING, image],
        vec!["rescue", MISSING, image],
        vec!["eeprom", "restore", MISSING, unit],
    ] {
        let Some(out) = unprivileged(&bin, &[args.as_slice(), &yes].concat()) else {
            return;
        };
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(15), "{args:?}: {stderr}");
        assert!(
            stderr.contains(&format!("writing to {MISSING} needs root: run with sudo")),
            "{args:?}: {stderr}"
        );
        assert!(!stderr.contains("does not exist"), "{args:?}: {stderr}");
    }
    // Without --execute the same command reads: no root needed, so the node is looked up.
    let Some(out) = unprivileged(&bin, &["flash", MISSING, image]) else {
        return;
    };
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(15), "{stderr}");
    assert!(stderr.contains("does not exist"), "{stderr}");
    assert!(!stderr.contains("needs root"), "{stderr}");
}

#[test]
fn emulated_drives_need_no_root_to_write() {
    let dir = Dir::new();
    let bin = runnable_copy(&dir);
    let image = world_readable(dir.bu40n("fw.bin", "1.04"));
    let backups = dir.join("backups");
    std::fs::create_dir(&backups).unwrap();
    if running_as_root() {
        std::os::unix::fs::chown(&backups, Some(65534), Some(65534)).unwrap();
    }
    let Some(out) = unprivileged(
        &bin,
        &[
            "flash",
            "emu:mt1959",
            image.to_str().unwrap(),
            "--execute",
            "--yes-i-understand-the-risk",
            "--backup-dir",
            backups.to_str().unwrap(),
        ],
    ) else {
        return;
    };
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
}
