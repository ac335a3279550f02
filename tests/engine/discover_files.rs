//! Checks of the installed files: `udev-rules/60-odflash.rules` and
//! `systemd/odflash-hotplug@.service`.
//!
//! - The unit goes through `systemd-analyze verify` (with ExecStart= pointed at a stub that
//!   exists, as verify requires), and a broken copy must fail the same check.
//! - The rule goes through udev's own parser and rule engine: `udevadm test` inside a private
//!   mount namespace where the rules directories hold only our file and `/sys` is a fake tree
//!   (so no root, no real device, nothing outside the namespace is touched). systemd 252
//!   (Debian 12) has no `udevadm verify` (added in 253); where it exists it runs too.
//! - Both files comment every rule line / directive group, and the rule never uses RUN.
//!
//! A missing tool skips a check locally but FAILS when `CI=true`, so CI never passes silently.

use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const RULES: &str = "udev-rules/60-odflash.rules";
const UNIT: &str = "systemd/odflash-hotplug@.service";
const HELPER: &str = "/usr/bin/odflash";

fn repo_file(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn read(rel: &str) -> String {
    fs::read_to_string(repo_file(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// A required tool is unavailable: fail in CI, skip (loudly) elsewhere.
fn unavailable(what: &str) {
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("CI=true and {what}: this check must run in CI");
    }
    eprintln!("SKIPPED: {what}");
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn works(cmd: &mut Command) -> bool {
    cmd.output().map(|o| o.status.success()).unwrap_or(false)
}

/// An executable stub script in `dir`.
fn stub(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, format!("#!/bin/sh\n{body}\n")).expect("stub");
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).expect("chmod");
    path
}

#[test]
fn rule_lines_are_commented_and_never_run() {
    let rules = read(RULES);
    let lines: Vec<&str> = rules.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        assert!(
            i > 0 && lines[i - 1].trim_start().starts_with('#'),
            "{RULES}:{}: rule line without a comment above it",
            i + 1
        );
        assert!(
            !line.contains("RUN"),
            "{RULES}:{}: RUN is not allowed",
            i + 1
        );
    }
    for wanted in [
        "IMPORT{program}=\"/usr/bin/odflash udev-props %k\"",
        "TAG+=\"systemd\"",
        "ENV{SYSTEMD_WANTS}+=\"odflash-hotplug@%k.service\"",
    ] {
        assert!(
            lines.iter().any(|l| l.trim() == wanted),
            "missing: {wanted}"
        );
    }
}

#[test]
fn unit_directive_groups_are_commented() {
    let unit = read(UNIT);
    let lines: Vec<&str> = unit.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let line = line.trim();
        let is_directive = !line.is_empty() && !line.starts_with('#') && !line.starts_with('[');
        let starts_group = i == 0 || {
            let prev = lines[i - 1].trim();
            prev.is_empty() || prev.starts_with('[')
        };
        assert!(
            !(is_directive && starts_group),
            "{UNIT}:{}: directive group without a comment",
            i + 1
        );
    }
    for wanted in [
        "ExecStart=/usr/bin/odflash hotplug %i",
        "BindsTo=dev-%i.device",
        "DeviceAllow=/dev/%i r",
        "CapabilityBoundingSet=",
    ] {
        assert!(
            lines.iter().any(|l| l.trim() == wanted),
            "missing: {wanted}"
        );
    }
}

/// Run `systemd-analyze verify` on a copy of the unit whose ExecStart= names an existing stub.
/// Returns `None` when the tool is missing.
fn analyze_unit(unit_text: &str) -> Option<(bool, String)> {
    let dir = tempfile::tempdir().expect("tempdir");
    let helper = stub(dir.path(), "odflash", "exit 0");
    let unit_text = unit_text.replace(HELPER, helper.to_str().expect("utf-8 path"));
    fs::write(dir.path().join("odflash-hotplug@.service"), unit_text).expect("unit copy");
    let out = Command::new("systemd-analyze")
        .args(["verify", "--man=no", "--recursive-errors=no"])
        .arg(dir.path().join("odflash-hotplug@sg1.service"))
        .output()
        .ok()?;
    // verify exits 0 on unknown keys but prints them; any line about our unit is a failure.
    let report = text(&out);
    let clean = out.status.success() && !report.contains("odflash-hotplug");
    Some((clean, report))
}

#[test]
fn unit_passes_systemd_analyze_verify() {
    let unit = read(UNIT);
    let Some((clean, report)) = analyze_unit(&unit) else {
        return unavailable("systemd-analyze is not installed");
    };
    assert!(clean, "systemd-analyze verify:\n{report}");
    // The check can fail: an unknown directive in a copy must be reported.
    let broken = unit.replace("LockPersonality=yes", "LockPersonality=yes\nNoSuchKey=1");
    let (clean, _) = analyze_unit(&broken).expect("ran once already");
    assert!(!clean, "systemd-analyze verify missed an unknown key");
}

#[test]
fn rules_pass_udevadm_verify_where_available() {
    if !works(Command::new("udevadm").args(["verify", "--help"])) {
        // systemd < 253: the namespace test below runs udev's parser instead.
        eprintln!("udevadm verify not available; covered by udevadm test in a namespace");
        return;
    }
    let out = Command::new("udevadm")
        .args(["verify", "--resolve-names=never"])
        .arg(repo_file(RULES))
        .output()
        .expect("udevadm verify");
    assert!(out.status.success(), "udevadm verify:\n{}", text(&out));
}

/// A fake sysfs with one ATA-attached SCSI device (`host`) of peripheral `type`, and its sg
/// node `sg`: just what sd-device needs (uevent files, subsystem links, the class link).
fn fake_sysfs(root: &Path, host: u32, sg: &str, peripheral_type: &str) {
    let mut dir = String::from("devices/pci0000:00/0000:00:17.0");
    for (part, subsystem) in [
        (String::new(), Some("pci")),
        (format!("/ata{}", host + 1), None),
        (format!("/host{host}"), Some("scsi")),
        (format!("/target{host}:0:0"), Some("scsi")),
        (format!("/{host}:0:0:0"), Some("scsi")),
    ] {
        dir.push_str(&part);
        let abs = root.join(&dir);
        fs::create_dir_all(&abs).expect("dir");
        fs::write(abs.join("uevent"), "").expect("uevent");
        let link = abs.join("subsystem");
        if let (Some(sub), false) = (subsystem, link.exists()) {
            symlink(format!("/sys/bus/{sub}"), link).expect("subsystem");
        }
    }
    let sdev = root.join(&dir);
    fs::write(sdev.join("uevent"), "DEVTYPE=scsi_device\n").expect("uevent");
    fs::write(sdev.join("type"), format!("{peripheral_type}\n")).expect("type");
    let sg_dir = sdev.join("scsi_generic").join(sg);
    fs::create_dir_all(&sg_dir).expect("sg dir");
    let minor: u32 = sg.trim_start_matches("sg").parse().expect("sg number");
    fs::write(
        sg_dir.join("uevent"),
        format!("MAJOR=21\nMINOR={minor}\nDEVNAME={sg}\n"),
    )
    .expect("uevent");
    symlink("/sys/class/scsi_generic", sg_dir.join("subsystem")).expect("subsystem");
    symlink(format!("../../../{host}:0:0:0"), sg_dir.join("device")).expect("device");
    fs::create_dir_all(root.join("class/scsi_generic")).expect("class");
    symlink(
        format!("../../{dir}/scsi_generic/{sg}"),
        root.join("class/scsi_generic").join(sg),
    )
    .expect("class link");
    for bus in ["pci", "scsi"] {
        fs::create_dir_all(root.join("bus").join(bus)).expect("bus");
    }
}

/// How to enter a private mount namespace here, or `None` when it cannot be done.
fn unshare_prefix() -> Option<Vec<&'static str>> {
    let prefix = if nix::unistd::geteuid().is_root() {
        vec!["unshare", "--mount", "--propagation", "private"]
    } else {
        vec![
            "unshare",
            "--map-root-user",
            "--mount",
            "--propagation",
            "private",
        ]
    };
    works(Command::new(prefix[0]).args(&prefix[1..]).arg("true")).then_some(prefix)
}

/// Inside a private mount namespace: empty /dev (but for /dev/null, which udev's spawn needs)
/// and /run, only `rules_dir` as rules, `sys` as
/// /sys; then `udevadm test --action=<action> <devpath>`.
const NAMESPACE_SCRIPT: &str = r#"set -e
touch "$1/null"
mount --bind /dev/null "$1/null"
mount -t tmpfs tmpfs /dev
touch /dev/null
mount --bind "$1/null" /dev/null
mount -t tmpfs tmpfs /run
for d in /etc/udev/rules.d /usr/local/lib/udev/rules.d; do
  if [ -d "$d" ]; then mount -t tmpfs tmpfs "$d"; fi
done
mount --bind "$1" /usr/lib/udev/rules.d
if [ -d /lib/udev/rules.d ] && [ ! /lib/udev -ef /usr/lib/udev ]; then
  mount --bind "$1" /lib/udev/rules.d
fi
mount --bind "$2" /sys
exec env SYSTEMD_DEVICE_VERIFY_SYSFS=0 udevadm test --action="$3" "$4""#;

struct UdevSandbox {
    prefix: Vec<&'static str>,
    rules: tempfile::TempDir,
    sys: tempfile::TempDir,
}

impl UdevSandbox {
    /// `None` (after [`unavailable`]) when udevadm or namespaces are missing.
    fn new(rules_text: &str) -> Option<Self> {
        if !works(Command::new("udevadm").arg("--version")) {
            unavailable("udevadm is not installed");
            return None;
        }
        let Some(prefix) = unshare_prefix() else {
            unavailable("cannot create a private mount namespace (unshare)");
            return None;
        };
        let rules = tempfile::tempdir().expect("tempdir");
        let sys = tempfile::tempdir().expect("tempdir");
        // The stub stands in for the helper and echoes its argument back as a property.
        let helper = stub(
            rules.path(),
            "odflash-stub",
            r#"[ "$1" = udev-props ] && echo "ODFLASH_STATE_HINT=recovery" && echo "ODFLASH_ARG=$2""#,
        );
        let rules_text = rules_text.replace(HELPER, helper.to_str().expect("utf-8 path"));
        fs::write(rules.path().join("60-odflash.rules"), rules_text).expect("rules copy");
        fake_sysfs(sys.path(), 2, "sg1", "5");
        fake_sysfs(sys.path(), 3, "sg2", "0");
        Some(UdevSandbox { prefix, rules, sys })
    }

    fn test(&self, action: &str, devpath: &str) -> String {
        let out = Command::new(self.prefix[0])
            .args(&self.prefix[1..])
            .args(["sh", "-c", NAMESPACE_SCRIPT, "sh"])
            .arg(self.rules.path())
            .arg(self.sys.path())
            .args([action, devpath])
            .output()
            .expect("unshare");
        let report = text(&out);
        assert!(out.status.success(), "udevadm test failed:\n{report}");
        report
    }
}

/// Parse-time diagnostics name the rules file at the start of the line (event-time log lines
/// start with the device name instead).
fn parse_diagnostics(report: &str) -> Vec<&str> {
    report
        .lines()
        .filter(|l| l.starts_with("/usr/lib/udev/rules.d/60-odflash.rules"))
        .collect()
}

#[test]
fn rule_parses_cleanly_and_starts_helper_for_optical_sg_only() {
    let Some(sandbox) = UdevSandbox::new(&read(RULES)) else {
        return;
    };

    let optical = sandbox.test("add", "/sys/class/scsi_generic/sg1");
    assert!(
        optical.contains("Reading rules file: /usr/lib/udev/rules.d/60-odflash.rules"),
        "rules not loaded:\n{optical}"
    );
    assert_eq!(parse_diagnostics(&optical), Vec::<&str>::new(), "{optical}");
    for wanted in [
        "ODFLASH_STATE_HINT=recovery",
        "ODFLASH_ARG=sg1",
        "SYSTEMD_WANTS=odflash-hotplug@sg1.service",
        "TAGS=:systemd:",
    ] {
        assert!(
            optical.lines().any(|l| l == wanted),
            "missing {wanted}:\n{optical}"
        );
    }

    let disk = sandbox.test("add", "/sys/class/scsi_generic/sg2");
    assert!(!disk.contains("SYSTEMD_WANTS"), "{disk}");
    assert!(!disk.contains("ODFLASH_"), "{disk}");

    let removed = sandbox.test("remove", "/sys/class/scsi_generic/sg1");
    assert!(!removed.contains("SYSTEMD_WANTS"), "{removed}");
    assert!(!removed.contains("ODFLASH_"), "{removed}");
}

#[test]
fn rule_check_catches_a_broken_rule() {
    let broken = read(RULES).replace("TAG+=\"systemd\"", "TAGG+=\"systemd\"");
    let Some(sandbox) = UdevSandbox::new(&broken) else {
        return;
    };
    let report = sandbox.test("add", "/sys/class/scsi_generic/sg1");
    assert!(!parse_diagnostics(&report).is_empty(), "{report}");
}
