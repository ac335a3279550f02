//! `odflash doctor`: what on this machine would break flashing, each finding with what was found
//! and the exact fix.
//!
//! Owns: the checks, as pure reads of files under one [`Machine::root`] (`/` on a real system, a
//! fake tree in tests): `etc/group`, `sys/module/...`, `sys/class/scsi_generic/...`, the udev
//! rule and unit under `etc/` and `usr/lib/`, `proc/<pid>/fd` and `proc/<pid>/comm`.
//!
//! Must not: open a device node or send anything to a drive (holders are found from
//! `/proc/<pid>/fd` links, not by opening the node), print, or fail as a whole: a file that
//! cannot be read becomes part of a finding.

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::discover::{self, Bus};
use crate::image::compat;
use crate::ops::input;

/// The udev rule this binary ships (installed as `60-odflash.rules`).
pub const SHIPPED_RULE: &str = include_str!("../../udev-rules/60-odflash.rules");
/// The hotplug unit this binary ships (installed as `odflash-hotplug@.service`).
pub const SHIPPED_UNIT: &str = include_str!("../../systemd/odflash-hotplug@.service");
/// The binary path the shipped rule and unit name; installation rewrites it to its own bin dir.
pub const SHIPPED_BIN: &str = "/usr/bin/odflash";

/// The group systemd's `50-udev-default.rules` gives the sg nodes of optical drives.
const CDROM_GROUP: &str = "cdrom";

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Nothing to do.
    Ok,
    /// Works, or may, but something is off: read the fix.
    Warn,
    /// Flashing will not work (or is unsafe) until the fix is applied.
    Fail,
}

impl Status {
    /// `ok`, `warn` or `fail`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Warn => "warn",
            Status::Fail => "fail",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// Which check produced a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Check {
    /// Root, or a member of group cdrom.
    Privileges,
    /// The sg driver is loaded.
    SgModule,
    /// The udev rule is installed and matches this binary's.
    UdevRule,
    /// The hotplug unit is installed and matches this binary's.
    HotplugUnit,
    /// The hotplug unit's system user exists (checked only where the unit is installed).
    HotplugUser,
    /// Optical drives present (one finding when there is none).
    Drives,
    /// A drive's bus and, for USB, its bridge (known-bad bridges named).
    Bus,
    /// `libata.atapi_passthru16`.
    AtapiPassthru16,
    /// The SATA controller's driver: AHCI or a legacy IDE mode.
    ControllerMode,
    /// Other processes holding a drive's nodes open.
    Holders,
    /// USB autosuspend for a USB drive.
    UsbAutosuspend,
}

impl Check {
    /// The kebab-case name, as in the JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Check::Privileges => "privileges",
            Check::SgModule => "sg-module",
            Check::UdevRule => "udev-rule",
            Check::HotplugUnit => "hotplug-unit",
            Check::HotplugUser => "hotplug-user",
            Check::Drives => "drives",
            Check::Bus => "bus",
            Check::AtapiPassthru16 => "atapi-passthru16",
            Check::ControllerMode => "controller-mode",
            Check::Holders => "holders",
            Check::UsbAutosuspend => "usb-autosuspend",
        }
    }
}

/// One result of one check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The check.
    pub check: Check,
    /// The drive it is about (`sg1`), for per-drive checks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drive: Option<String>,
    /// How bad it is.
    pub status: Status,
    /// What was found, in words.
    pub found: String,
    /// The exact fix (a command where there is one); `None` for ok findings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl Finding {
    fn new(check: Check, status: Status, found: impl Into<String>) -> Self {
        Finding {
            check,
            drive: None,
            status,
            found: found.into(),
            fix: None,
        }
    }

    fn with_fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = Some(fix.into());
        self
    }

    fn for_drive(mut self, drive: &str) -> Self {
        self.drive = Some(drive.to_string());
        self
    }
}

/// Who is asking: the effective user and groups of the process.
#[derive(Debug, Clone)]
pub struct Caller {
    /// Effective user ID.
    pub uid: u32,
    /// Effective and supplementary group IDs.
    pub gids: Vec<u32>,
    /// This process's own PID (its own open files are not "another process").
    pub pid: u32,
}

/// The machine to check.
#[derive(Debug, Clone)]
pub struct Machine {
    /// The file-system root every path is read under: `/`, or a fake tree in tests.
    pub root: PathBuf,
    /// Who runs the checks.
    pub caller: Caller,
    /// The odflash paths an installed rule or unit may name (the shipped `/usr/bin/odflash`,
    /// `/usr/local/bin/odflash`, this binary): any of them counts as current.
    pub bin_paths: Vec<String>,
}

/// Where systemd looks for the hotplug unit, the first overriding the second.
const UNIT_DIRS: [&str; 2] = ["etc/systemd/system", "usr/lib/systemd/system"];
/// The hotplug unit's file name.
const UNIT_FILE: &str = "odflash-hotplug@.service";

/// Run every check, in a fixed order: machine-wide first, then per drive.
pub fn run(machine: &Machine) -> Vec<Finding> {
    let mut findings = vec![
        check_privileges(machine),
        check_sg_module(&machine.root),
        check_installed(
            machine,
            Check::UdevRule,
            SHIPPED_RULE,
            &["etc/udev/rules.d", "usr/lib/udev/rules.d"],
            "60-odflash.rules",
        ),
        check_installed(
            machine,
            Check::HotplugUnit,
            SHIPPED_UNIT,
            &UNIT_DIRS,
            UNIT_FILE,
        ),
    ];
    // An installed unit (current or not) needs its user; without a unit there is nothing to run.
    if UNIT_DIRS
        .iter()
        .any(|dir| machine.root.join(dir).join(UNIT_FILE).exists())
    {
        findings.push(check_hotplug_user(&machine.root));
    }
    findings.push(check_atapi_passthru16(&machine.root));
    let drives = optical_drives(&machine.root);
    if drives.is_empty() {
        findings.push(
            Finding::new(
                Check::Drives,
                Status::Warn,
                "no optical drive found (no scsi_generic node of peripheral type 5)",
            )
            .with_fix(
                "connect the drive (power on), load the sg module (`sudo modprobe sg`) and check \
                 `dmesg` for the drive; then run `odflash doctor` again",
            ),
        );
    }
    for drive in &drives {
        findings.extend(check_drive(machine, drive));
    }
    findings
}

/// The worst status among `findings` (`Ok` when empty).
pub fn worst(findings: &[Finding]) -> Status {
    findings
        .iter()
        .map(|f| f.status)
        .max()
        .unwrap_or(Status::Ok)
}

fn check_privileges(machine: &Machine) -> Finding {
    let caller = &machine.caller;
    if caller.uid == 0 {
        return Finding::new(Check::Privileges, Status::Ok, "running as root");
    }
    let cdrom = group_id(&machine.root, CDROM_GROUP);
    match cdrom {
        Some(gid) if caller.gids.contains(&gid) => Finding::new(
            Check::Privileges,
            Status::Ok,
            format!(
                "not root, but in group {CDROM_GROUP} (gid {gid}), which owns optical sg nodes"
            ),
        ),
        _ => Finding::new(
            Check::Privileges,
            Status::Fail,
            format!(
                "not root (uid {}) and not in group {CDROM_GROUP}: the sg nodes cannot be opened",
                caller.uid
            ),
        )
        .with_fix(format!(
            "run odflash with sudo, or `sudo usermod -aG {CDROM_GROUP} $USER` and log in again"
        )),
    }
}

/// Largest file a check reads: /etc/group, the rule and the unit are a few KiB, sysfs and
/// procfs attributes a page.
const MAX_READ: usize = 1 << 20;

/// A small text file, or `None` when it is missing, unreadable, too large or not UTF-8.
fn read_text(path: &Path) -> Option<String> {
    input::read_input_text(path, MAX_READ, "configuration file").ok()
}

/// The GID of `name` in `<root>/etc/group`.
fn group_id(root: &Path, name: &str) -> Option<u32> {
    let text = read_text(&root.join("etc/group"))?;
    text.lines().find_map(|line| {
        let mut fields = line.split(':');
        let group = fields.next()?;
        let gid = fields.nth(1)?;
        (group == name).then(|| gid.parse().ok()).flatten()
    })
}

/// The user the hotplug unit runs as (`User=` in the shipped unit, created from
/// systemd/sysusers.d/odflash.conf): without it systemd cannot start the unit.
const HOTPLUG_USER: &str = "odflash-hotplug";

fn check_hotplug_user(root: &Path) -> Finding {
    let known = read_text(&root.join("etc/passwd")).is_some_and(|text| {
        text.lines()
            .any(|line| line.split(':').next() == Some(HOTPLUG_USER))
    });
    if known {
        Finding::new(
            Check::HotplugUser,
            Status::Ok,
            format!("the hotplug unit's user {HOTPLUG_USER} exists"),
        )
    } else {
        Finding::new(
            Check::HotplugUser,
            Status::Warn,
            format!(
                "the hotplug unit's user {HOTPLUG_USER} does not exist: systemd cannot start the \
                 unit, so drives are not classified when plugged in"
            ),
        )
        .with_fix("sudo systemd-sysusers odflash.conf")
    }
}

fn check_sg_module(root: &Path) -> Finding {
    let module = root.join("sys/module/sg").exists();
    let nodes = sg_names(root);
    if module || !nodes.is_empty() {
        Finding::new(
            Check::SgModule,
            Status::Ok,
            format!("sg driver loaded ({} sg node(s))", nodes.len()),
        )
    } else {
        Finding::new(
            Check::SgModule,
            Status::Fail,
            "the sg driver is not loaded: no /dev/sgN nodes, odflash cannot reach any drive",
        )
        .with_fix("sudo modprobe sg && echo sg | sudo tee /etc/modules-load.d/sg.conf")
    }
}

/// The `sgN` names under `<root>/sys/class/scsi_generic`, sorted by number.
fn sg_names(root: &Path) -> Vec<String> {
    let Ok(entries) = fs::read_dir(root.join("sys/class/scsi_generic")) else {
        return Vec::new();
    };
    let mut names: Vec<(u32, String)> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let n = name.strip_prefix("sg")?.parse().ok()?;
            Some((n, name))
        })
        .collect();
    names.sort();
    names.into_iter().map(|(_, name)| name).collect()
}

/// Is the installed copy of a shipped file there, and the same as this binary's (up to the
/// binary path installation rewrites)?
fn check_installed(
    machine: &Machine,
    check: Check,
    shipped: &str,
    dirs: &[&str],
    file_name: &str,
) -> Finding {
    let found: Vec<(String, Option<String>)> = dirs
        .iter()
        .map(|dir| format!("{dir}/{file_name}"))
        .filter(|rel| machine.root.join(rel).exists())
        .map(|rel| {
            let text = read_text(&machine.root.join(&rel));
            (format!("/{rel}"), text)
        })
        .collect();
    // The first directory wins in udev and systemd (/etc overrides /usr/lib).
    let Some((path, text)) = found.into_iter().next() else {
        return Finding::new(
            check,
            Status::Warn,
            format!("{file_name} is not installed: drives are not classified when plugged in"),
        )
        .with_fix("sudo make install (from the source tree) or install the odflash package");
    };
    let current = text.as_deref().is_some_and(|text| {
        machine
            .bin_paths
            .iter()
            .any(|bin| text == shipped.replace(SHIPPED_BIN, bin))
    });
    match (text, current) {
        (None, _) => Finding::new(check, Status::Warn, format!("{path} cannot be read")).with_fix(
            format!("check the file and its permissions: sudo ls -l {path}"),
        ),
        (Some(_), true) => Finding::new(check, Status::Ok, format!("{path} is current")),
        (Some(_), false) => Finding::new(
            check,
            Status::Warn,
            format!("{path} differs from the one this odflash ships (older version or edited)"),
        )
        .with_fix(
            "reinstall: sudo make install (from this version's source tree) or upgrade the package",
        ),
    }
}

/// `libata.atapi_passthru16`: when 0, libata refuses 16-byte ATA pass-through to ATAPI
/// devices (Linux `Documentation/admin-guide/kernel-parameters.txt`, "libata.atapi_passthru16").
fn check_atapi_passthru16(root: &Path) -> Finding {
    let path = root.join("sys/module/libata/parameters/atapi_passthru16");
    match read_text(&path).map(|t| t.trim().to_string()) {
        None => Finding::new(
            Check::AtapiPassthru16,
            Status::Ok,
            "libata is not loaded (no ATA-attached drives to affect)",
        ),
        Some(value) if value == "0" => Finding::new(
            Check::AtapiPassthru16,
            Status::Warn,
            "libata.atapi_passthru16=0: ATA-attached drives get no 16-byte pass-through",
        )
        .with_fix("remove `libata.atapi_passthru16=0` from the kernel command line (default 1) and reboot"),
        Some(value) => Finding::new(
            Check::AtapiPassthru16,
            Status::Ok,
            format!("libata.atapi_passthru16={value}"),
        ),
    }
}

/// One optical drive as sysfs shows it.
#[derive(Debug)]
struct Drive {
    /// `sgN`.
    sg: String,
    /// Block device names (`sr0`).
    blocks: Vec<String>,
    /// The scsi_device directory, resolved.
    device: PathBuf,
    /// How it is attached.
    bus: Bus,
}

/// Every sg node of peripheral type 5, with its bus.
fn optical_drives(root: &Path) -> Vec<Drive> {
    let sys = root.join("sys");
    sg_names(root)
        .into_iter()
        .filter_map(|sg| {
            let hints = match discover::classify(&sys, &sg) {
                Ok(hints) => hints?,
                Err(e) => {
                    log::debug!("{sg}: {e}");
                    return None;
                }
            };
            let device =
                fs::canonicalize(sys.join("class/scsi_generic").join(&sg).join("device")).ok()?;
            let blocks = fs::read_dir(device.join("block"))
                .map(|entries| {
                    entries
                        .filter_map(Result::ok)
                        .map(|e| e.file_name().to_string_lossy().into_owned())
                        .collect()
                })
                .unwrap_or_default();
            Some(Drive {
                sg,
                blocks,
                device,
                bus: hints.bus,
            })
        })
        .collect()
}

fn check_drive(machine: &Machine, drive: &Drive) -> Vec<Finding> {
    let mut findings = vec![check_bus(drive)];
    match &drive.bus {
        Bus::Ata => findings.extend(check_controller(drive)),
        Bus::Usb { .. } => findings.push(check_autosuspend(&machine.root, drive)),
        Bus::Other(_) => {}
    }
    findings.push(check_holders(machine, drive));
    findings
}

fn check_bus(drive: &Drive) -> Finding {
    let finding = match &drive.bus {
        Bus::Usb {
            vendor_id,
            product_id,
            ..
        } => match compat::known_bad_bridge(*vendor_id, *product_id) {
            Some(bad) => Finding::new(
                Check::Bus,
                Status::Fail,
                format!(
                    "behind the {} USB bridge ({vendor_id:04x}:{product_id:04x}): {}",
                    bad.name, bad.problem
                ),
            )
            .with_fix("connect the drive to an internal SATA port or through another enclosure (`--allow-bridge` overrides the gate at your own risk)"),
            None => Finding::new(Check::Bus, Status::Ok, format!("{}", drive.bus)),
        },
        Bus::Ata => Finding::new(Check::Bus, Status::Ok, "ata (libata)"),
        Bus::Other(_) => Finding::new(
            Check::Bus,
            Status::Warn,
            format!("{}: flashing is tested over ATA and USB only", drive.bus),
        )
        .with_fix("connect the drive to a SATA port or a USB enclosure with a bridge not named as bad"),
    };
    finding.for_drive(&drive.sg)
}

/// The driver of the PCI controller above an ATA drive: `ahci`, or a legacy IDE driver
/// (`ata_piix`, `pata_*`) when the firmware setup runs the SATA ports in IDE mode.
fn check_controller(drive: &Drive) -> Option<Finding> {
    let driver = drive.device.ancestors().skip(1).find_map(|dir| {
        let subsystem = link_name(&dir.join("subsystem"))?;
        (subsystem == "pci")
            .then(|| link_name(&dir.join("driver")))
            .flatten()
    })?;
    let finding = if driver == "ahci" {
        Finding::new(
            Check::ControllerMode,
            Status::Ok,
            "SATA controller in AHCI mode (ahci)",
        )
    } else {
        Finding::new(
            Check::ControllerMode,
            Status::Warn,
            format!("controller driven by {driver}: SATA in IDE/legacy mode, where long commands time out more easily"),
        )
        .with_fix("set the SATA mode to AHCI in the firmware (BIOS/UEFI) setup")
    };
    Some(finding.for_drive(&drive.sg))
}

/// The final component of the symlink at `path`.
fn link_name(path: &Path) -> Option<String> {
    let target = fs::read_link(path).ok()?;
    Some(target.file_name()?.to_string_lossy().into_owned())
}

/// USB autosuspend: `usbcore.autosuspend` (seconds; negative disables it) and the device's
/// `power/control` (`auto` lets the kernel suspend it, `on` keeps it awake), per Linux
/// `Documentation/driver-api/usb/power-management.rst`.
fn check_autosuspend(root: &Path, drive: &Drive) -> Finding {
    let usb_dir = drive
        .device
        .ancestors()
        .find(|dir| dir.join("idVendor").exists());
    let control = usb_dir.and_then(|dir| read_text(&dir.join("power/control")));
    let delay = read_text(&root.join("sys/module/usbcore/parameters/autosuspend"));
    let delay = delay.as_deref().map(str::trim);
    let disabled_globally = delay.is_some_and(|d| d.starts_with('-'));
    let finding = match control.as_deref().map(str::trim) {
        Some("auto") if !disabled_globally => {
            let name = usb_dir
                .and_then(|d| d.file_name())
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            Finding::new(
                Check::UsbAutosuspend,
                Status::Warn,
                format!(
                    "USB device {name} may be autosuspended (power/control=auto, usbcore.autosuspend={} s)",
                    delay.unwrap_or("?")
                ),
            )
            .with_fix(format!("echo on | sudo tee /sys/bus/usb/devices/{name}/power/control"))
        }
        Some(control) => Finding::new(
            Check::UsbAutosuspend,
            Status::Ok,
            format!(
                "power/control={control}, usbcore.autosuspend={}",
                delay.unwrap_or("?")
            ),
        ),
        None => Finding::new(
            Check::UsbAutosuspend,
            Status::Ok,
            "no power/control attribute for the USB device",
        ),
    };
    finding.for_drive(&drive.sg)
}

/// Processes other than this one with the drive's `/dev/sgN` or `/dev/srN` open, found by
/// reading the `/proc/<pid>/fd` links (no lsof).
fn check_holders(machine: &Machine, drive: &Drive) -> Finding {
    let nodes: Vec<String> = std::iter::once(&drive.sg)
        .chain(&drive.blocks)
        .map(|name| format!("/dev/{name}"))
        .collect();
    let mut holders = Vec::new();
    let mut unreadable = 0usize;
    let proc_dir = machine.root.join("proc");
    for entry in fs::read_dir(&proc_dir)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
    {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        if pid == machine.caller.pid {
            continue;
        }
        let Ok(fds) = fs::read_dir(entry.path().join("fd")) else {
            unreadable += 1;
            continue;
        };
        let holds = fds.filter_map(Result::ok).any(|fd| {
            fs::read_link(fd.path())
                .is_ok_and(|target| nodes.iter().any(|n| target == Path::new(n)))
        });
        if holds {
            let comm = read_text(&entry.path().join("comm")).unwrap_or_default();
            holders.push(format!("{} (pid {pid})", discover::sanitize(comm.trim())));
        }
    }
    let nodes = nodes.join(", ");
    let not_checked = match unreadable {
        0 => String::new(),
        n => format!("; {n} process(es) could not be checked (run as root to see all)"),
    };
    let finding = if holders.is_empty() {
        Finding::new(
            Check::Holders,
            Status::Ok,
            format!("no other process has {nodes} open{not_checked}"),
        )
    } else {
        Finding::new(
            Check::Holders,
            Status::Warn,
            format!("{nodes} held open by {}{not_checked}", holders.join(", ")),
        )
        .with_fix("close those programs (disc rippers, players; for udisksd: `udisksctl unmount -b /dev/srN`) before flashing")
    };
    finding.for_drive(&drive.sg)
}

/// Every check against fake machine trees built in a temp dir.
#[cfg(test)]
mod tests {
    use std::os::unix::fs::symlink;

    use super::*;

    /// A fake `/` to grow one piece at a time.
    struct Tree {
        dir: tempfile::TempDir,
    }

    impl Tree {
        fn new() -> Self {
            let tree = Tree {
                dir: tempfile::tempdir().unwrap(),
            };
            tree.write("etc/group", "root:x:0:\ncdrom:x:24:alice\n");
            fs::create_dir_all(tree.path("sys/bus/pci/drivers/ahci")).unwrap();
            fs::create_dir_all(tree.path("sys/bus/pci/drivers/ata_piix")).unwrap();
            fs::create_dir_all(tree.path("sys/bus/usb")).unwrap();
            fs::create_dir_all(tree.path("sys/class/scsi_generic")).unwrap();
            fs::create_dir_all(tree.path("proc")).unwrap();
            tree
        }

        fn path(&self, rel: &str) -> PathBuf {
            self.dir.path().join(rel)
        }

        fn write(&self, rel: &str, text: &str) {
            let path = self.path(rel);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, text).unwrap();
        }

        fn link(&self, target: impl AsRef<Path>, rel: &str) {
            let path = self.path(rel);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            symlink(target, path).unwrap();
        }

        /// An optical scsi_device at `devices/<rel>` served by `sg`, with block device `sr`.
        fn optical(&self, sg: &str, sr: &str, rel: &str) {
            let dev = format!("sys/devices/{rel}");
            self.write(&format!("{dev}/type"), "5\n");
            self.write(&format!("{dev}/model"), "BD-RE  BU40N    \n");
            self.write(&format!("{dev}/rev"), "1.00\n");
            fs::create_dir_all(self.path(&format!("{dev}/block/{sr}"))).unwrap();
            fs::create_dir_all(self.path(&format!("{dev}/scsi_generic/{sg}"))).unwrap();
            self.link(
                self.path(&dev),
                &format!("sys/class/scsi_generic/{sg}/device"),
            );
            self.link("/dev/null", &format!("sys/class/scsi_generic/{sg}/dev"));
        }

        /// An ATA drive on a PCI controller driven by `driver`.
        fn ata_drive(&self, driver: &str) {
            let pci = "sys/devices/pci0000:00/0000:00:1f.2";
            self.link(self.path("sys/bus/pci"), &format!("{pci}/subsystem"));
            self.link(
                self.path(&format!("sys/bus/pci/drivers/{driver}")),
                &format!("{pci}/driver"),
            );
            self.optical(
                "sg0",
                "sr0",
                "pci0000:00/0000:00:1f.2/ata1/host0/target0:0:0/0:0:0:0",
            );
        }

        /// A USB drive behind `vid:pid` whose USB device has `power/control` = `control`.
        fn usb_drive(&self, vid: &str, pid: &str, control: &str) {
            let usb = "sys/devices/pci0000:00/0000:00:14.0/usb2/2-1";
            self.write(&format!("{usb}/idVendor"), &format!("{vid}\n"));
            self.write(&format!("{usb}/idProduct"), &format!("{pid}\n"));
            self.write(&format!("{usb}/power/control"), &format!("{control}\n"));
            self.link(self.path("sys/bus/usb"), &format!("{usb}/subsystem"));
            self.optical(
                "sg1",
                "sr1",
                "pci0000:00/0000:00:14.0/usb2/2-1/2-1:1.0/host6/target6:0:0/6:0:0:0",
            );
        }

        fn machine(&self, uid: u32, gids: &[u32]) -> Machine {
            Machine {
                root: self.dir.path().to_path_buf(),
                caller: Caller {
                    uid,
                    gids: gids.to_vec(),
                    pid: 1,
                },
                bin_paths: vec![SHIPPED_BIN.into(), "/usr/local/bin/odflash".into()],
            }
        }
    }

    fn find(findings: &[Finding], check: Check) -> &Finding {
        findings
            .iter()
            .find(|f| f.check == check)
            .unwrap_or_else(|| panic!("no {check:?} finding in {findings:#?}"))
    }

    #[test]
    fn root_passes_and_cdrom_members_pass() {
        let tree = Tree::new();
        assert_eq!(check_privileges(&tree.machine(0, &[0])).status, Status::Ok);
        assert_eq!(
            check_privileges(&tree.machine(1000, &[24])).status,
            Status::Ok
        );
    }

    #[test]
    fn a_plain_user_fails_with_the_usermod_fix() {
        let f = check_privileges(&Tree::new().machine(1000, &[1000]));
        assert_eq!(f.status, Status::Fail);
        assert!(f.fix.unwrap().contains("usermod -aG cdrom"));
    }

    #[test]
    fn sg_module_from_the_module_dir_or_nodes() {
        let tree = Tree::new();
        let f = check_sg_module(tree.dir.path());
        assert_eq!(f.status, Status::Fail);
        assert!(f.fix.unwrap().contains("modprobe sg"));
        fs::create_dir_all(tree.path("sys/module/sg")).unwrap();
        assert_eq!(check_sg_module(tree.dir.path()).status, Status::Ok);
    }

    #[test]
    fn installed_rule_and_unit_current_missing_or_stale() {
        let tree = Tree::new();
        let findings = run(&tree.machine(0, &[]));
        assert_eq!(find(&findings, Check::UdevRule).status, Status::Warn);
        assert!(find(&findings, Check::UdevRule)
            .found
            .contains("not installed"));
        assert_eq!(find(&findings, Check::HotplugUnit).status, Status::Warn);
        assert!(!findings.iter().any(|f| f.check == Check::HotplugUser));

        // As `make install PREFIX=/usr/local` writes them: the binary path rewritten.
        let local = |text: &str| text.replace(SHIPPED_BIN, "/usr/local/bin/odflash");
        tree.write(
            "usr/lib/udev/rules.d/60-odflash.rules",
            &local(SHIPPED_RULE),
        );
        tree.write(
            "usr/lib/systemd/system/odflash-hotplug@.service",
            SHIPPED_UNIT,
        );
        let findings = run(&tree.machine(0, &[]));
        assert_eq!(find(&findings, Check::UdevRule).status, Status::Ok);
        assert_eq!(find(&findings, Check::HotplugUnit).status, Status::Ok);
        // The unit is there but its user is not (sysusers never ran), then it is.
        let f = find(&findings, Check::HotplugUser).clone();
        assert_eq!(f.status, Status::Warn);
        assert_eq!(f.fix.as_deref(), Some("sudo systemd-sysusers odflash.conf"));
        tree.write(
            "etc/passwd",
            "root:x:0:0::/root:/bin/sh\nodflash-hotplug:x:998:998:odflash:/:/usr/sbin/nologin\n",
        );
        let findings = run(&tree.machine(0, &[]));
        assert_eq!(find(&findings, Check::HotplugUser).status, Status::Ok);

        // An /etc copy overrides and is stale.
        tree.write("etc/udev/rules.d/60-odflash.rules", "# an older rule\n");
        let f = find(&run(&tree.machine(0, &[])), Check::UdevRule).clone();
        assert_eq!(f.status, Status::Warn);
        assert!(
            f.found
                .contains("/etc/udev/rules.d/60-odflash.rules differs"),
            "{}",
            f.found
        );
    }

    #[test]
    fn no_drive_is_one_warning() {
        let findings = run(&Tree::new().machine(0, &[]));
        let f = find(&findings, Check::Drives);
        assert_eq!(f.status, Status::Warn);
        assert!(f.found.contains("no optical drive"));
        assert!(!findings.iter().any(|f| f.check == Check::Bus));
    }

    #[test]
    fn ata_drive_on_ahci_is_fine_and_ide_mode_is_named() {
        let tree = Tree::new();
        tree.ata_drive("ahci");
        let findings = run(&tree.machine(0, &[]));
        assert!(!findings.iter().any(|f| f.check == Check::Drives));
        let bus = find(&findings, Check::Bus);
        assert_eq!(
            (bus.status, bus.drive.as_deref()),
            (Status::Ok, Some("sg0"))
        );
        assert_eq!(find(&findings, Check::ControllerMode).status, Status::Ok);

        let tree = Tree::new();
        tree.ata_drive("ata_piix");
        let f = find(&run(&tree.machine(0, &[])), Check::ControllerMode).clone();
        assert_eq!(f.status, Status::Warn);
        assert!(f.found.contains("ata_piix") && f.fix.unwrap().contains("AHCI"));
    }

    #[test]
    fn known_bad_bridge_is_named_and_fails() {
        let tree = Tree::new();
        tree.usb_drive("174c", "5106", "on");
        let findings = run(&tree.machine(0, &[]));
        let f = find(&findings, Check::Bus);
        assert_eq!(f.status, Status::Fail);
        assert!(f.found.contains("ASM1051"), "{}", f.found);
        assert_eq!(worst(&findings), Status::Fail);
        assert!(!findings.iter().any(|f| f.check == Check::ControllerMode));
    }

    #[test]
    fn other_usb_bridges_pass() {
        let tree = Tree::new();
        tree.usb_drive("152d", "0578", "on");
        assert_eq!(
            find(&run(&tree.machine(0, &[])), Check::Bus).status,
            Status::Ok
        );
    }

    #[test]
    fn usb_autosuspend_warns_unless_off_for_the_device_or_globally() {
        let tree = Tree::new();
        tree.usb_drive("152d", "0578", "auto");
        tree.write("sys/module/usbcore/parameters/autosuspend", "2\n");
        let f = find(&run(&tree.machine(0, &[])), Check::UsbAutosuspend).clone();
        assert_eq!(f.status, Status::Warn);
        assert_eq!(
            f.fix.as_deref(),
            Some("echo on | sudo tee /sys/bus/usb/devices/2-1/power/control")
        );
        tree.write("sys/module/usbcore/parameters/autosuspend", "-1\n");
        let f = find(&run(&tree.machine(0, &[])), Check::UsbAutosuspend).clone();
        assert_eq!(f.status, Status::Ok);

        let tree = Tree::new();
        tree.usb_drive("152d", "0578", "on");
        tree.write("sys/module/usbcore/parameters/autosuspend", "2\n");
        let f = find(&run(&tree.machine(0, &[])), Check::UsbAutosuspend).clone();
        assert_eq!(f.status, Status::Ok);
    }

    #[test]
    fn atapi_passthru16_off_warns() {
        let tree = Tree::new();
        assert_eq!(check_atapi_passthru16(tree.dir.path()).status, Status::Ok);
        tree.write("sys/module/libata/parameters/atapi_passthru16", "0\n");
        let f = check_atapi_passthru16(tree.dir.path());
        assert_eq!(f.status, Status::Warn);
        assert!(f.fix.unwrap().contains("libata.atapi_passthru16"));
        tree.write("sys/module/libata/parameters/atapi_passthru16", "1\n");
        assert_eq!(check_atapi_passthru16(tree.dir.path()).status, Status::Ok);
    }

    #[test]
    fn holders_are_found_through_proc_fd_links() {
        let tree = Tree::new();
        tree.ata_drive("ahci");
        tree.write("proc/812/comm", "udisksd\n");
        tree.link("/dev/sr0", "proc/812/fd/7");
        tree.link("/dev/null", "proc/812/fd/0");
        // This process's own descriptors do not count.
        tree.link("/dev/sg0", "proc/1/fd/3");
        let f = find(&run(&tree.machine(0, &[])), Check::Holders).clone();
        assert_eq!(f.status, Status::Warn);
        assert!(f.found.contains("udisksd (pid 812)"), "{}", f.found);
        assert!(!f.found.contains("pid 1)"), "{}", f.found);

        let tree = Tree::new();
        tree.ata_drive("ahci");
        tree.link("/dev/null", "proc/812/fd/0");
        let f = find(&run(&tree.machine(0, &[])), Check::Holders).clone();
        assert_eq!(f.status, Status::Ok);
    }
}
