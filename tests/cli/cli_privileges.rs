//! Who may write: odflash refuses a write to a real drive without root before it even looks the
//! node up (the kernel would pass a `cdrom` member's WRITE BUFFER through an `O_RDWR` sg node),
//! while reads need only access to the node. Run as an unprivileged user through `setpriv`; the
//! VM scenario `m-permissions` proves the same with real nodes and users.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::cli_common::Dir;

/// `nobody` on Debian.
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

/// Whether this run can switch users; outside CI a developer's run without root skips.
fn can_switch_users() -> bool {
    let root = nix::unistd::geteuid().is_root();
    let setpriv = Command::new("setpriv").arg("--version").output().is_ok();
    if root && setpriv {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI must run as root with setpriv (util-linux) to test unprivileged runs"
    );
    eprintln!("skipped: needs root and setpriv to run odflash as another user");
    false
}

/// Run `bin args` as uid/gid 65534 with no supplementary groups.
fn as_nobody(bin: &Path, args: &[&str]) -> Output {
    Command::new("setpriv")
        .args(["--reuid", NOBODY, "--regid", NOBODY, "--clear-groups"])
        .arg(bin)
        .args(args)
        .env_remove("RUST_LOG")
        .output()
        .expect("run setpriv")
}

#[test]
fn writes_without_root_are_refused_before_the_node_is_looked_up() {
    if !can_switch_users() {
        return;
    }
    let dir = Dir::new();
    let bin = runnable_copy(&dir);
    let image = dir.bu40n("fw.bin", "1.04");
    std::fs::set_permissions(&image, std::fs::Permissions::from_mode(0o644)).unwrap();
    let image = image.to_str().unwrap();
    let unit = dir.write("unit.odbk", b"not read: refused first");
    std::fs::set_permissions(&unit, std::fs::Permissions::from_mode(0o644)).unwrap();
    let yes = ["--execute", "--yes-i-understand-the-risk"];
    for args in [
        vec!["flash", MISSING, image],
        vec!["rescue", MISSING, image],
    ] {
        let out = as_nobody(&bin, &[args.as_slice(), &yes].concat());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(15), "{args:?}: {stderr}");
        assert!(
            stderr.contains(&format!("writing to {MISSING} needs root: run with sudo")),
            "{args:?}: {stderr}"
        );
        assert!(!stderr.contains("does not exist"), "{args:?}: {stderr}");
    }
    // Without --execute the same command reads: no root needed, so the node is looked up.
    let out = as_nobody(&bin, &["flash", MISSING, image]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(15), "{stderr}");
    assert!(stderr.contains("does not exist"), "{stderr}");
    assert!(!stderr.contains("needs root"), "{stderr}");
}

#[test]
fn emulated_drives_need_no_root_to_write() {
    if !can_switch_users() {
        return;
    }
    let dir = Dir::new();
    let bin = runnable_copy(&dir);
    let image = dir.bu40n("fw.bin", "1.04");
    std::fs::set_permissions(&image, std::fs::Permissions::from_mode(0o644)).unwrap();
    let backups = dir.join("backups");
    std::fs::create_dir(&backups).unwrap();
    std::os::unix::fs::chown(&backups, Some(65534), Some(65534)).unwrap();
    let out = as_nobody(
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
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
}
