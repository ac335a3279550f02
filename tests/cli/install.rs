//! `make install DESTDIR=... PREFIX=...` installs exactly the documented files (README,
//! "Install"), rewrites the odflash path in the udev rule and the unit, and `make uninstall`
//! removes them again. The test installs the cargo-built test binaries (ODFLASH_BIN, and
//! NOTIFY_BIN from the same target directory), so nothing is rebuilt in release mode, and never
//! touches the running system (DESTDIR is set, so udev is not reloaded and no unit enabled).

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// One page for the program and one per visible command (`generate` is hidden).
const MAN_PAGES: [&str; 22] = [
    "odflash.1",
    "odflash-scan.1",
    "odflash-info.1",
    "odflash-doctor.1",
    "odflash-dump.1",
    "odflash-backup.1",
    "odflash-eeprom.1",
    "odflash-eeprom-dump.1",
    "odflash-eeprom-restore.1",
    "odflash-flash.1",
    "odflash-image.1",
    "odflash-image-check.1",
    "odflash-emu.1",
    "odflash-emu-make-image.1",
    "odflash-emu-profile.1",
    "odflash-trace.1",
    "odflash-trace-import.1",
    "odflash-trace-show.1",
    "odflash-rescue.1",
    "odflash-watch.1",
    "odflash-udev-props.1",
    "odflash-hotplug.1",
];

fn make(target: &str, destdir: &Path, prefix: &str) {
    let out = Command::new("make")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["--no-print-directory", target])
        .arg(format!("DESTDIR={}", destdir.display()))
        .arg(format!("PREFIX={prefix}"))
        .arg(format!("ODFLASH_BIN={}", env!("CARGO_BIN_EXE_odflash")))
        .arg(format!("NOTIFY_BIN={}", notify_bin().display()))
        .output()
        .expect("make runs");
    assert!(
        out.status.success(),
        "make {target}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The desktop notifier, a binary of another package (crates/notify) in the same target
/// directory: `cargo test --workspace` builds it before any test runs.
fn notify_bin() -> PathBuf {
    let bin = Path::new(env!("CARGO_BIN_EXE_odflash")).with_file_name("odflash-notify");
    assert!(
        bin.is_file(),
        "{} is not built: run `cargo build -p odflash-notify` (or test the whole workspace)",
        bin.display()
    );
    bin
}

/// Every regular file under `root`, as absolute paths inside the installed tree.
fn files(root: &Path) -> BTreeSet<String> {
    fn walk(dir: &Path, root: &Path, out: &mut BTreeSet<String>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, root, out);
            } else {
                out.insert(format!("/{}", path.strip_prefix(root).unwrap().display()));
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(root, root, &mut out);
    out
}

#[test]
fn install_to_usr_puts_exactly_the_documented_files() {
    let dest = tempfile::tempdir().unwrap();
    make("install", dest.path(), "/usr");
    let expected: BTreeSet<String> = [
        "/usr/bin/odflash",
        "/usr/bin/odflash-notify",
        "/usr/lib/udev/rules.d/60-odflash.rules",
        "/usr/lib/systemd/system/odflash-hotplug@.service",
        "/usr/lib/sysusers.d/odflash.conf",
        "/usr/lib/systemd/user/odflash-notify.service",
        "/usr/share/man/man1/odflash-notify.1",
        "/usr/share/bash-completion/completions/odflash",
        "/usr/share/zsh/vendor-completions/_odflash",
        "/usr/share/fish/vendor_completions.d/odflash.fish",
    ]
    .into_iter()
    .map(String::from)
    .chain(MAN_PAGES.iter().map(|p| format!("/usr/share/man/man1/{p}")))
    .collect();
    assert_eq!(files(dest.path()), expected);

    let read = |p: &str| fs::read_to_string(dest.path().join(p.trim_start_matches('/'))).unwrap();
    assert!(read("/usr/lib/udev/rules.d/60-odflash.rules")
        .contains("IMPORT{program}=\"/usr/bin/odflash udev-props %k\""));
    assert!(read("/usr/lib/systemd/system/odflash-hotplug@.service")
        .contains("ExecStart=/usr/bin/odflash hotplug %i"));
    assert!(read("/usr/lib/systemd/user/odflash-notify.service")
        .contains("ExecStart=/usr/bin/odflash-notify\n"));
    assert!(read("/usr/lib/sysusers.d/odflash.conf").contains("\nu odflash-hotplug - "));
    assert!(read("/usr/share/man/man1/odflash-notify.1").contains("\\-\\-once"));
    assert!(read("/usr/share/man/man1/odflash.1").starts_with(".ie"));
    assert!(read("/usr/share/man/man1/odflash.1").contains("rescue"));
    assert!(read("/usr/share/man/man1/odflash-flash.1").contains(".SH \"EXIT STATUS\""));
    for completion in [
        "/usr/share/bash-completion/completions/odflash",
        "/usr/share/zsh/vendor-completions/_odflash",
        "/usr/share/fish/vendor_completions.d/odflash.fish",
    ] {
        let text = read(completion);
        assert!(
            text.contains("rescue") && text.contains("watch"),
            "{completion}"
        );
    }
    for bin in ["usr/bin/odflash", "usr/bin/odflash-notify"] {
        let meta = fs::metadata(dest.path().join(bin)).unwrap();
        assert_eq!(
            std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o777,
            0o755,
            "{bin}"
        );
    }

    make("uninstall", dest.path(), "/usr");
    assert!(files(dest.path()).is_empty());
}

#[test]
fn install_to_usr_local_rewrites_the_binary_path() {
    let dest = tempfile::tempdir().unwrap();
    make("install", dest.path(), "/usr/local");
    let installed = files(dest.path());
    assert!(installed.contains("/usr/local/bin/odflash"));
    assert!(installed.contains("/usr/local/share/zsh/site-functions/_odflash"));
    // udev and systemd read vendor files from /usr/lib only, whatever the prefix.
    let rule =
        fs::read_to_string(dest.path().join("usr/lib/udev/rules.d/60-odflash.rules")).unwrap();
    assert!(rule.contains("\"/usr/local/bin/odflash udev-props %k\""));
    assert!(!rule.contains("/usr/bin/odflash"));
    let unit = fs::read_to_string(
        dest.path()
            .join("usr/lib/systemd/system/odflash-hotplug@.service"),
    )
    .unwrap();
    assert!(unit.contains("ExecStart=/usr/local/bin/odflash hotplug %i"));
    assert!(!unit.contains("/usr/bin/odflash"));
    let user_unit = fs::read_to_string(
        dest.path()
            .join("usr/lib/systemd/user/odflash-notify.service"),
    )
    .unwrap();
    assert!(user_unit.contains("ExecStart=/usr/local/bin/odflash-notify\n"));
    assert!(!user_unit.contains("/usr/bin/odflash"));
}
