//! Opening a DEVICE argument: `emu:...` specs become in-process emulated drives, anything else
//! a Linux SG_IO device; an optional trace recorder wraps either; the result is a [`Device`],
//! whose transport is always behind the `scsi` type-5 guard. [`open_read_only`] is the hotplug
//! helper's variant: a [`Policy::ReadOnly`] guard inside as well.
//!
//! What a command will do with the drive ([`Intent`]) decides, here and only here, how a real
//! drive's sg node is opened, how it is locked and whether root is needed first:
//!
//! | intent | needs | sg node | lock |
//! |---|---|---|---|
//! | [`Intent::Read`] (scan, info, dump, backup, eeprom dump, dry runs) | read access to the node (group `cdrom`) | `O_RDONLY` | shared |
//! | [`Intent::Write`] (`--execute` of flash, eeprom restore, rescue) | root, checked before the node is opened | `O_RDWR` | exclusive |
//!
//! `O_RDONLY` puts every command of a reading command through the kernel's own sg filter unless
//! the caller has CAP_SYS_RAWIO (see [`sg::Access::ReadOnly`]): a member of group `cdrom` gets
//! the read-safe standard commands (INQUIRY, READ BUFFER, ...) and an EPERM for any vendor
//! opcode or WRITE BUFFER, so the kernel enforces what odflash's [`Intent::Read`] promises. An
//! `O_RDWR` node is not filtered at all (the node's file mode is its only gate), which is why
//! [`Intent::Write`] insists on root itself.
//!
//! Every drive another process could reach is locked here, before anything is sent (or, for an
//! emulated drive, before its state file is even read), see [`super::lock`].
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

/// What a command will do with the drive it opens (see the table in the module doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Intent {
    /// Identify and read: `O_RDONLY`, shared lock.
    #[default]
    Read,
    /// Write it: root first ([`Error::NeedsRoot`], nothing opened), `O_RDWR`, exclusive lock.
    Write,
}

impl Intent {
    /// The intent of a command that writes only with `--execute`: [`Intent::Write`] from the
    /// start when it will write (no other process reaches the drive between identification and
    /// the write, and a caller without root is refused before anything is sent), else
    /// [`Intent::Read`] (a dry run).
    pub fn of_execute(execute: bool) -> Intent {
        if execute {
            Intent::Write
        } else {
            Intent::Read
        }
    }

    fn access(self) -> sg::Access {
        match self {
            Intent::Read => sg::Access::ReadOnly,
            Intent::Write => sg::Access::ReadWrite,
        }
    }

    fn lock(self) -> LockMode {
        match self {
            Intent::Read => LockMode::Shared,
            Intent::Write => LockMode::Exclusive,
        }
    }
}

/// How to open a device.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OpenOptions {
    /// `--trace FILE` (and whether `--trace-payload` was given).
    pub trace: Option<(PathBuf, Payload)>,
    /// What the command will do with the drive. [`open_read_only`] always reads.
    pub intent: Intent,
}

/// A transport, the lock held on its drive, and the USB bridge.
type Opened = (Box<dyn Transport>, Option<DeviceLock>, Option<UsbId>);

/// Open `device` ("/dev/sg1", "/dev/sr0", "emu:mt1959,mode=boot", "replay:FILE", ...) for
/// what [`OpenOptions::intent`] says.
pub fn open(device: &str, opts: &OpenOptions) -> Result<Device<'static>, Error> {
    open_as(device, opts.intent, opts, Guarded::Type5Only)
}

/// Open `device` for read-only classification: [`Intent::Read`] whatever `opts` says, and any
/// transport behind a [`Policy::ReadOnly`] guard that refuses everything but the identification
/// commands and READ BUFFER before it reaches the device.
pub fn open_read_only(device: &str, opts: &OpenOptions) -> Result<Device<'static>, Error> {
    open_as(device, Intent::Read, opts, Guarded::ReadOnly)
}

/// Which guard stands between the command and the transport besides the type-5 one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Guarded {
    /// Only the type-5 guard every [`Device`] has.
    Type5Only,
    /// Also [`Policy::ReadOnly`].
    ReadOnly,
}

fn open_as(
    device: &str,
    intent: Intent,
    opts: &OpenOptions,
    guarded: Guarded,
) -> Result<Device<'static>, Error> {
    let open_err = |detail: String| Error::Open {
        device: device.to_string(),
        detail,
    };
    if intent == Intent::Write {
        // Before the node is even opened: a caller who may not write is told so with nothing
        // sent (an O_RDWR sg node would pass a group member's WRITE BUFFER unfiltered).
        kind_of(device).check_may_write(device)?;
    }
    let lock_mode = intent.lock();
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
        let dev = sg::Device::open_with_access(
            Path::new(device),
            &sg::SysfsRoot::system(),
            intent.access(),
        )
        .map_err(|e| open_err(e.to_string()))?;
        // Opening an sg node sends nothing; the lock is on the node that was opened (after
        // resolving sr -> sg and links), so every name of one drive shares one lock.
        let lock = DeviceLock::on_node(dev.as_fd(), dev.path(), lock_mode)?;
        let bridge = read_bridge(dev.path());
        (Box::new(dev), Some(lock), bridge)
    };
    let (transport, lock, bridge) = opened;
    let transport: Box<dyn Transport> = Box::new(sent::Watch::new(transport, device));
    let transport: Box<dyn Transport> = match guarded {
        Guarded::Type5Only => transport,
        Guarded::ReadOnly => Box::new(Guard::new(transport, Policy::ReadOnly)),
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
