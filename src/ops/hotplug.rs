//! The hotplug helper's workflow: classify a drive that just appeared, read-only, and record
//! the result in `/run/odflash/<devname>.json` for desktops and scripts.
//!
//! Owns [`Classification`] (the JSON and the one journal line), [`classify`] and
//! [`write_state`]. The device must come from [`super::open::open_read_only`] (sg node
//! `O_RDONLY`, `Policy::ReadOnly` guard): this module sends only INQUIRY and what
//! [`super::drive::identify`] sends (family probes and state: INQUIRY, TEST UNIT READY, REQUEST
//! SENSE, GET CONFIGURATION, READ BUFFER). It never writes to a drive and never prints: the CLI
//! logs [`Classification::message`] at [`Classification::priority`].

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::discover::{self, sanitize, Bus};
use crate::emu;
use crate::family::{self, DriveState, FamilyId, Identity};
use crate::scsi::inquiry::PERIPHERAL_TYPE_MMC;
use crate::scsi::{self, TransportError};

use super::atomic::{self, Mode};
use super::bundle;
use super::drive::{self, Device, DeviceKind};
use super::error::Error;
use super::open::{self, OpenOptions};
use super::probe;

/// Where the helper writes its JSON files (systemd's `RuntimeDirectory=odflash`).
pub const RUN_DIR: &str = "/run/odflash";

/// What the helper concluded about a drive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// The boot loader runs: the drive needs a reflash (`odflash rescue`).
    Recovery,
    /// The firmware runs but its unit data is wrong (`odflash rescue`).
    NeedsAttention,
    /// A known, flashable family in a normal state (ready, no medium, or not telling).
    Healthy,
    /// A known family odflash can only identify (DVD-era LiteOn/Sony).
    IdentifyOnly,
    /// An optical drive no family claims.
    Unknown,
    /// Not an optical drive (peripheral type other than 5): nothing sent beyond INQUIRY.
    NotOptical,
}

/// The journal priority of the helper's one line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Priority {
    /// syslog priority 4: the user has something to do.
    Warning,
    /// syslog priority 6: informational.
    Info,
}

impl Priority {
    /// The syslog priority number (sd-daemon(3) `<N>` prefixes use it).
    pub fn level(self) -> u8 {
        match self {
            Priority::Warning => 4,
            Priority::Info => 6,
        }
    }
}

/// The standard INQUIRY fields, sanitized.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InquirySummary {
    /// Peripheral device type (5 = optical drive).
    pub peripheral_type: u8,
    /// Vendor.
    pub vendor: String,
    /// Product.
    pub product: String,
    /// Revision.
    pub revision: String,
}

/// The helper's result: the content of `/run/odflash/<devname>.json`, written by
/// [`write_state`] and read back by the desktop notifier (`odflash-notify`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Classification {
    /// The device as given to the helper (`/dev/sg3`, or an `emu:` spec).
    pub device: String,
    /// When the drive was classified (UTC, RFC 3339).
    pub time: String,
    /// The conclusion.
    pub verdict: Verdict,
    /// The family that claimed the drive.
    pub family: Option<FamilyId>,
    /// Its state, as the family reads it.
    pub state: Option<DriveState>,
    /// Its identity (sanitized).
    pub identity: Option<Identity>,
    /// The INQUIRY answer (sanitized).
    pub inquiry: InquirySummary,
    /// How the drive is attached, from sysfs (`None` for emulated drives).
    pub bus: Option<Bus>,
    /// The exact command the user should run next, when there is something to do.
    pub next: Option<String>,
    /// The one line the helper logs.
    pub message: String,
    /// The line's journal priority.
    pub priority: Priority,
}

/// Normalize a DEVICE argument for the helper: `sg3` and `/dev/sg3` become `/dev/sg3` (the
/// name must be `sg<number>`: no other path is ever built from it); `emu:` specs pass as is.
pub fn device_path(devname: &str) -> Result<String, Error> {
    if emu::Spec::is_emu(devname) {
        return Ok(devname.to_string());
    }
    let name = devname.strip_prefix("/dev/").unwrap_or(devname);
    discover::check_sg_name(name).map_err(|e| Error::Open {
        device: sanitize(devname),
        detail: e.to_string(),
    })?;
    Ok(format!("/dev/{name}"))
}

/// The JSON file name for `device` (from [`device_path`]): `sg3.json`, or `emu-<family>.json`
/// for an emulated drive.
pub fn state_file_name(device: &str) -> String {
    match device.split_once(':').filter(|_| emu::Spec::is_emu(device)) {
        Some((_, body)) => {
            let family: String = body
                .split(',')
                .next()
                .unwrap_or("")
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            format!("emu-{family}.json")
        }
        None => format!("{}.json", device.rsplit('/').next().unwrap_or(device)),
    }
}

/// Classify the drive on `dev` read-only (its bus from sysfs, for device nodes). Unknown and
/// non-optical devices are results, not errors; errors are failures to talk to the device.
pub fn classify(dev: &mut Device<'_>) -> Result<Classification, Error> {
    let device = dev.name.clone();
    let bus = match dev.kind {
        DeviceKind::Real => probe::read_bus(&device),
        DeviceKind::Emulated | DeviceKind::Replay => None,
    };
    let inquiry = scsi::read_inquiry(dev.transport()).map_err(family::Error::from)?;
    let summary = InquirySummary {
        peripheral_type: inquiry.peripheral_type,
        vendor: sanitize(&inquiry.vendor),
        product: sanitize(&inquiry.product),
        revision: sanitize(&inquiry.revision),
    };
    let mut result = Classification {
        device,
        time: bundle::utc_now().0,
        verdict: Verdict::NotOptical,
        family: None,
        state: None,
        identity: None,
        inquiry: summary,
        bus,
        next: None,
        message: String::new(),
        priority: Priority::Info,
    };
    if inquiry.peripheral_type == PERIPHERAL_TYPE_MMC {
        match drive::claim(dev.transport(), &inquiry)? {
            Some(found) => {
                result.verdict =
                    verdict_of(&found.state, found.family.flash(&found.identity).is_some());
                result.family = Some(found.family.id());
                result.identity = Some(for_status_file(&found.identity));
                result.state = Some(sanitized_state(&found.state));
            }
            None => {
                log::debug!("no known chip family claims {}", result.device);
                result.verdict = Verdict::Unknown;
            }
        }
    }
    result.next = match result.verdict {
        Verdict::Recovery | Verdict::NeedsAttention => Some(rescue_command(&result.device)),
        _ => None,
    };
    result.priority = match result.next {
        Some(_) => Priority::Warning,
        None => Priority::Info,
    };
    result.message = build_message(&result);
    Ok(result)
}

/// Open `device` read-only ([`open::open_read_only`]) and classify it in a thread, waiting at
/// most `timeout`: a hung drive never blocks the caller (`watch`). A probe stuck in the kernel
/// cannot be cancelled; its thread is left behind and ends with the process.
pub fn classify_within(
    device: &str,
    opts: &OpenOptions,
    timeout: Duration,
) -> Result<Classification, Error> {
    let (tx, rx) = mpsc::channel();
    let (device, opts) = (device.to_string(), opts.clone());
    thread::spawn(move || {
        let result = open::open_read_only(&device, &opts).and_then(|mut dev| classify(&mut dev));
        // The receiver is gone only when the caller stopped waiting; nothing to report then.
        let _ = tx.send(result);
    });
    rx.recv_timeout(timeout).unwrap_or_else(|_| {
        Err(family::Error::from(scsi::Error::Transport(TransportError::Timeout(timeout))).into())
    })
}

/// Write `c` to `run_dir/<state_file_name>` atomically (mode 0644: sanitized identity without
/// the serial, and state). Returns the path.
pub fn write_state(run_dir: &Path, c: &Classification) -> Result<PathBuf, Error> {
    let path = run_dir.join(state_file_name(&c.device));
    std::fs::create_dir_all(run_dir).map_err(|e| Error::io(run_dir, e))?;
    let mut json =
        serde_json::to_vec_pretty(c).map_err(|e| Error::bad_file(&path, e.to_string()))?;
    json.push(b'\n');
    atomic::write_file(&path, &json, Mode::Shared)?;
    Ok(path)
}

/// `sudo odflash rescue /dev/sgN` (emulated drives need no sudo), with `device` stripped of
/// control characters and quoted for a POSIX shell: the line goes to the journal and may be
/// pasted into a shell.
fn rescue_command(device: &str) -> String {
    let device = sanitize(device);
    super::suggest_command(open::kind_of(&device), &["rescue", &device])
}

fn verdict_of(state: &DriveState, flashable: bool) -> Verdict {
    match state {
        DriveState::Recovery => Verdict::Recovery,
        DriveState::NeedsAttention { .. } => Verdict::NeedsAttention,
        _ if flashable => Verdict::Healthy,
        _ => Verdict::IdentifyOnly,
    }
}

/// The helper's one line (pure).
fn build_message(c: &Classification) -> String {
    let i = &c.inquiry;
    let drive = |id: Option<&Identity>| match id {
        Some(id) => format!("{} {} {}", id.vendor, id.model, id.revision),
        None => format!("{} {} {}", i.vendor, i.product, i.revision),
    };
    let name = drive(c.identity.as_ref());
    let family = c.family.as_ref().map(|f| f.to_string()).unwrap_or_default();
    let state = c
        .state
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default();
    let next = c.next.as_deref().unwrap_or_default();
    // The DEVICE argument is the user's (or udev's) text: no control character reaches the log.
    let device = sanitize(&c.device);
    match c.verdict {
        Verdict::Recovery => format!(
            "{}: {name} ({family}) is in recovery: its boot loader runs because the firmware \
             failed its checks. Next: {next}",
            device
        ),
        Verdict::NeedsAttention => {
            format!("{device}: {name} ({family}): {state}. Next: {next}")
        }
        Verdict::Healthy => format!("{device}: {name} ({family}): {state}"),
        Verdict::IdentifyOnly => format!(
            "{}: {name} ({family}, identify-only: its write commands are not public): {state}",
            device
        ),
        Verdict::Unknown => format!(
            "{}: {name}: no known chip family claims this optical drive; nothing to do",
            device
        ),
        Verdict::NotOptical => format!(
            "{}: {name}: peripheral type {}, not an optical drive; nothing sent beyond INQUIRY",
            device, i.peripheral_type
        ),
    }
}

/// The identity as the status file holds it: sanitized, and without the drive's serial. The file
/// is world-readable (the desktop notifier of whoever sits at the machine reads it, group
/// `cdrom` or not), and nothing that reads it needs the serial; `odflash info` shows it to those
/// who may open the drive.
fn for_status_file(id: &Identity) -> Identity {
    let opt = |s: &Option<String>| s.as_deref().map(sanitize);
    Identity {
        family: id.family.clone(),
        chip: opt(&id.chip),
        banner: opt(&id.banner),
        vendor: sanitize(&id.vendor),
        model: sanitize(&id.model),
        revision: sanitize(&id.revision),
        firmware_date: opt(&id.firmware_date),
        serial: None,
        flash_reads: id.flash_reads,
    }
}

fn sanitized_state(state: &DriveState) -> DriveState {
    match state {
        DriveState::NeedsAttention { reason } => DriveState::NeedsAttention {
            reason: sanitize(reason),
        },
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_names_are_checked() {
        assert_eq!(device_path("sg3").unwrap(), "/dev/sg3");
        assert_eq!(device_path("/dev/sg12").unwrap(), "/dev/sg12");
        assert_eq!(
            device_path("emu:mt1959,mode=boot").unwrap(),
            "emu:mt1959,mode=boot"
        );
        for bad in ["sr0", "../sg1", "/dev/sg1/..", "sg1\x1b[2J", "/etc/passwd"] {
            assert!(matches!(device_path(bad), Err(Error::Open { .. })), "{bad}");
        }
    }

    #[test]
    fn state_file_names() {
        assert_eq!(state_file_name("/dev/sg3"), "sg3.json");
        assert_eq!(
            state_file_name("emu:mt1959,mode=boot,state-file=/tmp/a/b"),
            "emu-mt1959.json"
        );
        assert_eq!(state_file_name("emu:dru-710a"), "emu-dru-710a.json");
    }

    /// The notifier reads the writer's files with the same type: what [`write_state`] writes
    /// parses back to the value it was given, for every verdict and bus.
    #[test]
    fn state_files_read_back_as_written() {
        use crate::emu::{DvdPreset, Family, Spec, StartMode};
        use crate::family::FlashReads;

        let dir = tempfile::tempdir().unwrap();
        let read_back = |c: &Classification| -> Classification {
            let path = write_state(dir.path(), c).unwrap();
            serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
        };
        let mut mt1959 = Spec::new(Family::Mt1959);
        let mut classified = Vec::new();
        for mode in [StartMode::App, StartMode::Boot, StartMode::NeedsAttention] {
            mt1959.mode = mode;
            classified.push(mt1959.clone());
        }
        classified.push(Spec::new(Family::LiteonDvd(DvdPreset::Dru710a)));
        for spec in classified {
            let mut drive = emu::Drive::open(&spec).unwrap();
            let mut dev = Device::new(Box::new(&mut drive), "emu:mt1959", DeviceKind::Emulated);
            let c = classify(&mut dev).unwrap();
            assert_eq!(read_back(&c), c, "{spec:?}");
        }

        let usb = Classification {
            device: "/dev/sg3".into(),
            time: "2024-05-01T10:00:00Z".into(),
            verdict: Verdict::NeedsAttention,
            family: Some(FamilyId::named("mt19xx")),
            state: Some(DriveState::NeedsAttention {
                reason: "unit data checksum mismatch".into(),
            }),
            identity: Some(Identity {
                family: FamilyId::named("mt19xx"),
                chip: Some("MT1959".into()),
                banner: Some("MT1959 Boot BU5".into()),
                vendor: "HL-DT-ST".into(),
                model: "BD-RE BU40N".into(),
                revision: "1.03".into(),
                firmware_date: Some("2016-01-01".into()),
                serial: Some("KZ1234".into()),
                flash_reads: FlashReads::Served,
            }),
            inquiry: InquirySummary {
                peripheral_type: 5,
                vendor: "HL-DT-ST".into(),
                product: "BD-RE BU40N".into(),
                revision: "1.03".into(),
            },
            bus: Some(Bus::Usb {
                vendor_id: 0x152d,
                product_id: 0x0578,
                bridge: Some("JMS578".into()),
            }),
            next: Some("sudo odflash rescue /dev/sg3".into()),
            message: "/dev/sg3: needs attention".into(),
            priority: Priority::Warning,
        };
        assert_eq!(read_back(&usb), usb);
        for bus in [Bus::Ata, Bus::Other("virtio".into())] {
            let other = Classification {
                bus: Some(bus),
                ..usb.clone()
            };
            assert_eq!(read_back(&other), other);
        }
    }

    #[test]
    fn priorities_are_syslog_levels() {
        assert_eq!(Priority::Warning.level(), 4);
        assert_eq!(Priority::Info.level(), 6);
    }
}
