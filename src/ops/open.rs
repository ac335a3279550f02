//! Opening a DEVICE argument: `emu:...` specs become in-process emulated drives, anything else
//! a Linux SG_IO device; an optional trace recorder wraps either; the result is a [`Device`],
//! whose transport is always behind the `scsi` type-5 guard. [`open_read_only`] is the hotplug
//! helper's variant: the sg node opened `O_RDONLY` and a [`Policy::ReadOnly`] guard inside.
//!
//! Every drive another process could reach is locked here, before anything is sent (or, for an
//! emulated drive, before its state file is even read): shared or exclusive as
//! [`OpenOptions::lock`] says, see [`super::lock`].
//!
//! This is the one place that chooses a transport. It sends no commands.

use std::fs::File;
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::discover;
use crate::emu;
use crate::scsi::guard::{Guard, Policy};
use crate::scsi::replay::Replay;
use crate::scsi::trace::{JsonLines, Payload, Recorder, MAX_TRACE_BYTES};
use crate::scsi::Transport;
use crate::sg;

use super::atomic::{self, FileError, Mode, Start};
use super::drive::{Device, DeviceKind, UsbId};
use super::error::Error;
use super::input;
use super::lock::{DeviceLock, LockMode};
use super::sent;

/// DEVICE prefix for a recorded trace served back (`replay:trace.jsonl`).
pub const REPLAY_PREFIX: &str = "replay:";

/// What `device` names: a recorded trace, an emulated drive or a real one. This is the one
/// place DEVICE text is read for it; the opened [`Device`] carries the answer.
pub fn kind_of(device: &str) -> DeviceKind {
    if device.starts_with(REPLAY_PREFIX) {
        DeviceKind::Replay
    } else if emu::Spec::is_emu(device) {
        DeviceKind::Emulated
    } else {
        DeviceKind::Real
    }
}

/// How to open a device.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OpenOptions {
    /// `--trace FILE` (and whether `--trace-payload` was given).
    pub trace: Option<(PathBuf, Payload)>,
    /// How to lock the drive: [`LockMode::Exclusive`] for a command that will write it.
    /// [`open_read_only`] always locks shared.
    pub lock: LockMode,
}

/// A transport, the lock held on its drive, and the USB bridge.
type Opened = (Box<dyn Transport>, Option<DeviceLock>, Option<UsbId>);

/// Open `device` ("/dev/sg1", "/dev/sr0", "emu:mt1959,mode=boot", "replay:FILE", ...).
pub fn open(device: &str, opts: &OpenOptions) -> Result<Device<'static>, Error> {
    open_as(device, opts, sg::Access::ReadWrite)
}

/// Open `device` for read-only classification: an sg node `O_RDONLY` (so the kernel's own sg
/// command filter applies too, see [`sg::Access::ReadOnly`]), and any transport behind a
/// [`Policy::ReadOnly`] guard that refuses everything but the identification commands and
/// READ BUFFER before it reaches the device.
pub fn open_read_only(device: &str, opts: &OpenOptions) -> Result<Device<'static>, Error> {
    open_as(device, opts, sg::Access::ReadOnly)
}

fn open_as(device: &str, opts: &OpenOptions, access: sg::Access) -> Result<Device<'static>, Error> {
    let open_err = |detail: String| Error::Open {
        device: device.to_string(),
        detail,
    };
    let lock_mode = match access {
        sg::Access::ReadWrite => opts.lock,
        sg::Access::ReadOnly => LockMode::Shared,
    };
    let opened: Opened = if let Some(trace) = device.strip_prefix(REPLAY_PREFIX) {
        // A recorded trace served back: for bug reports and regression tests. Nothing real is
        // behind it, so there is nothing to lock.
        let path = Path::new(trace);
        let text = input::read_input_text(path, MAX_TRACE_BYTES, "trace").map_err(|e| match e {
            FileError::Io { .. } => open_err(e.to_string()),
            refused => refused.into(),
        })?;
        let replay = Replay::from_text(&text, path.display().to_string())
            .map_err(|e| open_err(e.to_string()))?;
        (Box::new(replay), None, None)
    } else if emu::Spec::is_emu(device) {
        let spec = emu::Spec::from_str(device).map_err(|e| open_err(e.to_string()))?;
        // An emulated drive is shared between processes only through its state file; the
        // lock comes first, so a refused process never loads (nor saves) the state.
        let lock = spec
            .state_file
            .as_deref()
            .map(|state| DeviceLock::beside_state_file(state, lock_mode))
            .transpose()?;
        let drive = emu::Drive::open(&spec).map_err(|e| match (e, &spec.faults) {
            // A state or fault-plan file odflash may not use is a bad input file (exit 1).
            (emu::Error::File(e), _) => e.into(),
            (emu::Error::State { path, why }, _) => {
                Error::bad_file(path, format!("emulator state file: {why}"))
            }
            (emu::Error::FaultPlan(why), Some(plan)) => {
                Error::bad_file(plan, format!("bad fault plan: {why}"))
            }
            (e, _) => open_err(e.to_string()),
        })?;
        (Box::new(drive), lock, None)
    } else {
        let dev = sg::Device::open_with_access(Path::new(device), &sg::SysfsRoot::system(), access)
            .map_err(|e| open_err(e.to_string()))?;
        // Opening an sg node sends nothing; the lock is on the node that was opened (after
        // resolving sr -> sg and links), so every name of one drive shares one lock.
        let lock = DeviceLock::on_node(dev.as_fd(), dev.path(), lock_mode)?;
        let bridge = read_bridge(dev.path());
        (Box::new(dev), Some(lock), bridge)
    };
    let (transport, lock, bridge) = opened;
    let transport: Box<dyn Transport> = Box::new(sent::Watch::new(transport, device));
    let transport: Box<dyn Transport> = match access {
        sg::Access::ReadWrite => transport,
        sg::Access::ReadOnly => Box::new(Guard::new(transport, Policy::ReadOnly)),
    };
    let transport: Box<dyn Transport> = match &opts.trace {
        None => transport,
        Some((path, payload)) => {
            let file = open_trace(path, *payload, Start::Append)?;
            Box::new(Recorder::new(transport, JsonLines(file), *payload))
        }
    };
    let mut dev = Device::new(transport, device, kind_of(device));
    dev.lock = lock;
    dev.bridge = bridge;
    Ok(dev)
}

/// Open the `--trace` file with [`atomic::open_log`]: never through a symlink, only a regular
/// file of the caller's own; mode 0600 when it records payloads (firmware, unit data and serials
/// pass through them), else 0644.
pub fn open_trace(path: &Path, payload: Payload, start: Start) -> Result<File, Error> {
    let mode = match payload {
        Payload::Record => Mode::Private,
        Payload::Omit => Mode::Shared,
    };
    Ok(atomic::open_log(path, mode, start)?)
}

/// The USB device an sg node sits behind, from sysfs (for the known-bad-bridge gate). `None`
/// when it is not on USB or sysfs cannot tell.
fn read_bridge(node: &Path) -> Option<UsbId> {
    let devname = node.file_name()?.to_str()?;
    match discover::classify(Path::new(discover::SYSFS_ROOT), devname) {
        Ok(Some(hints)) => match hints.bus {
            discover::Bus::Usb {
                vendor_id,
                product_id,
                ..
            } => Some(UsbId {
                vendor: vendor_id,
                product: product_id,
            }),
            _ => None,
        },
        Ok(None) => None,
        Err(e) => {
            log::debug!("cannot tell the bus of {}: {e}", node.display());
            None
        }
    }
}
