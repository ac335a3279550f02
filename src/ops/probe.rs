//! Read-only probing for `scan`, `info` and `watch`: what a drive says about itself (INQUIRY,
//! serial, firmware date, readiness, capabilities) and which chip family claims it, in what
//! state. Works on any device, MediaTek or not; non-optical devices get identification commands
//! only (the `scsi` type-5 guard enforces it below this layer). `info` reads a drive's EEPROM
//! through its family's experimental reads only when they are asked for
//! ([`ExperimentalReads::Asked`]).
//!
//! `scan` runs one probe per drive in parallel with a per-drive deadline, so one hung drive never
//! delays the listing of the others beyond that deadline.

use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::discover::{self, DriveInfo};
use crate::family::{self, DriveState, FamilyId, Identity};
use crate::scsi::inquiry::{Inquiry, PERIPHERAL_TYPE_MMC};
use crate::scsi::memo::Memo;
use crate::scsi::mode::Capabilities;
use crate::scsi::{self, Readiness, Transport};

use super::drive;
use super::error::Error;
use super::lock::Holder;
use super::open::{self, OpenOptions};
use super::vendor_reads::{self, EepromLook, ExperimentalReads};

/// How much a probe asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Depth {
    /// What `scan` shows: identity, readiness, family and state.
    Summary,
    /// Also serial, firmware date and the capabilities page (for `info`).
    Full,
}

/// What a read-only probe learned about one drive.
#[derive(Debug, Clone, Serialize)]
pub struct Probe {
    /// Standard INQUIRY data.
    pub inquiry: Inquiry,
    /// TEST UNIT READY, decoded.
    pub readiness: Readiness,
    /// The family that claimed the drive, its identity and state (None: no family claims it).
    pub family: Option<FamilyReport>,
    /// Unit serial (GET CONFIGURATION 0x0108, else VPD 0x80), with [`Depth::Full`].
    pub serial: Option<String>,
    /// Firmware date (GET CONFIGURATION 0x010C), with [`Depth::Full`].
    pub firmware_date: Option<String>,
    /// MODE SENSE page 0x2A, with [`Depth::Full`].
    pub capabilities: Option<Capabilities>,
}

/// A family's view of a drive.
#[derive(Debug, Clone, Serialize)]
pub struct FamilyReport {
    /// The family.
    pub id: FamilyId,
    /// Identity as the family reads it.
    pub identity: Identity,
    /// Read-only state.
    pub state: DriveState,
    /// Why the family is identify-only, when it is.
    pub identify_only: Option<&'static str>,
    /// What a blinking LED means on the family's drives, when the public record says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blinking_led: Option<&'static str>,
}

/// Probe the drive on `t` read-only.
pub fn probe(t: &mut dyn Transport, depth: Depth) -> Result<Probe, Error> {
    // The family's probe and state check and the full depth's reads ask some identification
    // reads twice: each is answered once.
    let mut memo = Memo::new(t);
    let t: &mut dyn Transport = &mut memo;
    let inquiry = scsi::read_inquiry(t).map_err(family::Error::from)?;
    let readiness = scsi::read_readiness(t).map_err(family::Error::from)?;
    let family = drive::claim(t, &inquiry)?.map(|c| FamilyReport {
        id: c.family.id(),
        identify_only: c
            .family
            .flash(&c.identity)
            .is_none()
            .then(|| c.family.identify_only_reason())
            .flatten(),
        blinking_led: c.family.blinking_led(),
        identity: c.identity,
        state: c.state,
    });
    let mut probe = Probe {
        inquiry,
        readiness,
        family,
        serial: None,
        firmware_date: None,
        capabilities: None,
    };
    if depth == Depth::Full {
        // Optional answers: a drive (or its boot loader) that rejects one of these still gets
        // reported; only transport failures abort the probe.
        probe.firmware_date = optional(scsi::read_firmware_date(t))?.flatten();
        probe.serial = match optional(scsi::read_serial_feature(t))?.flatten() {
            Some(serial) => Some(serial),
            None => optional(scsi::read_unit_serial(t))?.flatten(),
        };
        if probe.inquiry.peripheral_type == PERIPHERAL_TYPE_MMC {
            probe.capabilities = optional(scsi::read_capabilities(t))?.flatten();
        }
    }
    Ok(probe)
}

/// An optional field the drive rejects or answers malformed (a boot loader's all-zero firmware
/// date) is "not available"; only a transport failure aborts the probe.
fn optional<T>(result: Result<T, scsi::Error>) -> Result<Option<T>, Error> {
    match result {
        Ok(v) => Ok(Some(v)),
        Err(e @ scsi::Error::Transport(_)) => Err(family::Error::from(e).into()),
        Err(e) => {
            log::debug!("optional probe answer not available: {e}");
            Ok(None)
        }
    }
}

/// One line of `scan`: where the drive is, what sysfs says, and what the probe found.
#[derive(Debug, Clone, Serialize)]
pub struct ScanEntry {
    /// The DEVICE to give other commands (`/dev/sg1`, `emu:mt1959`).
    pub device: String,
    /// True for an emulated drive.
    pub emulated: bool,
    /// What sysfs/udev says (None for emulated drives).
    pub sysfs: Option<DriveInfo>,
    /// The probe's result.
    pub probe: ProbeOutcome,
}

/// How a drive's probe ended.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum ProbeOutcome {
    /// The probe finished.
    Done(Box<Probe>),
    /// Another process holds the drive's lock (a flash): nothing was sent to it.
    Busy {
        /// Who holds the lock.
        holder: Holder,
    },
    /// The probe failed; the message says why.
    Failed {
        /// What went wrong.
        error: String,
    },
    /// The drive did not answer within the deadline.
    TimedOut {
        /// The deadline.
        after_ms: u64,
    },
}

/// What `scan` looks at.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Per-drive deadline for the probe.
    pub timeout: Duration,
    /// Emulated drives to list beside the real ones.
    pub emulated: Vec<String>,
    /// Trace and open options.
    pub open: OpenOptions,
}

/// Enumerate drives (no command sent), then probe each read-only in parallel with a deadline.
pub fn scan(opts: &ScanOptions) -> Result<Vec<ScanEntry>, Error> {
    let found = discover::enumerate().unwrap_or_else(|e| {
        // No udev (a container, a minimal VM): emulated drives can still be listed.
        log::warn!("cannot enumerate drives through udev: {e}");
        Vec::new()
    });
    let mut entries: Vec<ScanEntry> = found
        .into_iter()
        .map(|info| ScanEntry {
            device: info.sg_node.display().to_string(),
            emulated: false,
            sysfs: Some(info),
            probe: ProbeOutcome::TimedOut { after_ms: 0 },
        })
        .chain(opts.emulated.iter().map(|spec| ScanEntry {
            device: spec.clone(),
            emulated: true,
            sysfs: None,
            probe: ProbeOutcome::TimedOut { after_ms: 0 },
        }))
        .collect();

    let (tx, rx) = mpsc::channel();
    for (index, entry) in entries.iter().enumerate() {
        let tx = tx.clone();
        let device = entry.device.clone();
        let open_opts = opts.open.clone();
        // A probe stuck in the kernel cannot be cancelled; its thread is left behind and ends
        // with the process.
        thread::spawn(move || {
            let outcome = match probe_device(&device, &open_opts) {
                Ok(p) => ProbeOutcome::Done(Box::new(p)),
                Err(Error::Busy { holder, .. }) => ProbeOutcome::Busy { holder },
                Err(e) => ProbeOutcome::Failed {
                    error: e.to_string(),
                },
            };
            // The receiver is gone only when scan already returned; nothing to report then.
            let _ = tx.send((index, outcome));
        });
    }
    drop(tx);

    let deadline = Instant::now() + opts.timeout;
    let after_ms = opts.timeout.as_millis() as u64;
    for entry in entries.iter_mut() {
        entry.probe = ProbeOutcome::TimedOut { after_ms };
    }
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match rx.recv_timeout(left) {
            Ok((index, outcome)) => entries[index].probe = outcome,
            Err(_) => break,
        }
    }
    Ok(entries)
}

/// Open `device` and probe it with [`Depth::Summary`].
fn probe_device(device: &str, opts: &OpenOptions) -> Result<Probe, Error> {
    let mut dev = open::open(device, opts)?;
    probe(dev.transport(), Depth::Summary)
}

/// What `info` shows: the probe at [`Depth::Full`] plus where the drive is attached.
#[derive(Debug, Clone, Serialize)]
pub struct InfoReport {
    /// The DEVICE as given.
    pub device: String,
    /// True for an emulated drive.
    pub emulated: bool,
    /// The bus from sysfs (None for emulated drives or when sysfs cannot tell).
    pub bus: Option<discover::Bus>,
    /// The probe.
    pub probe: Probe,
    /// The EEPROM read through the family's experimental reads, with its compatibility-group
    /// hint: only when they were asked for and the family has them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eeprom: Option<EepromLook>,
}

/// Open `device` and probe it fully, read-only; with [`ExperimentalReads::Asked`] also read the
/// EEPROM of a drive whose family has only experimental reads (for the group hint).
pub fn info(
    device: &str,
    opts: &OpenOptions,
    reads: ExperimentalReads,
) -> Result<InfoReport, Error> {
    let mut dev = open::open(device, opts)?;
    let emulated = dev.kind == drive::DeviceKind::Emulated;
    let bus = match dev.kind {
        drive::DeviceKind::Real => read_bus(&dev.name),
        drive::DeviceKind::Emulated | drive::DeviceKind::Replay => None,
    };
    let probe = probe(dev.transport(), Depth::Full)?;
    let offered = match (reads, &probe.family) {
        (ExperimentalReads::Asked, Some(f)) => family::registry()
            .iter()
            .find(|family| family.id() == f.id)
            .and_then(|family| vendor_reads::of(*family, &f.identity))
            .map(|vendor| (vendor, &f.identity)),
        _ => None,
    };
    let eeprom = offered
        .map(|(vendor, identity)| {
            vendor_reads::look_at_eeprom(dev.transport(), vendor, identity, &mut |_| {})
        })
        .transpose()?;
    Ok(InfoReport {
        device: device.to_string(),
        emulated,
        bus,
        probe,
        eeprom,
    })
}

/// The bus of a device node, from sysfs only.
pub fn read_bus(device: &str) -> Option<discover::Bus> {
    let node = crate::sg::resolve_sg_node(
        std::path::Path::new(device),
        &crate::sg::SysfsRoot::system(),
    )
    .ok()?;
    let devname = node.file_name()?.to_str()?.to_string();
    match discover::classify(std::path::Path::new(discover::SYSFS_ROOT), &devname) {
        Ok(hints) => hints.map(|h| h.bus),
        Err(e) => {
            log::debug!("cannot tell the bus of {device}: {e}");
            None
        }
    }
}
