//! An opened device and the drive identified on it.
//!
//! Owns [`Device`] (a guarded transport plus what `ops` needs to know about the path: the node
//! to lock, the USB bridge it sits behind) and [`Drive`] (the family that claimed it, its
//! identity, state and the raw identification answers the backup records). Every transport a
//! workflow uses passes through the `scsi` type-5 [`Guard`], so nothing beyond identification
//! reaches a device that is not an optical drive. It must not know CDB bytes.

use crate::family::{self, DriveState, Family, FamilyId, FlashAccess, FlashReads, Identity};
use crate::scsi::guard::{Guard, Policy};
use crate::scsi::inquiry::{Inquiry, PERIPHERAL_TYPE_MMC};
use crate::scsi::memo::{Memo, Replies};
use crate::scsi::{self, TransferLimit, Transport};

use super::bundle::DeviceRecord;
use super::error::Error;
use super::lock::DeviceLock;

/// GET CONFIGURATION feature: firmware information (ASCII date), MMC-6 §5.3.46.
pub const FEATURE_FIRMWARE_INFO: u16 = 0x010C;
/// GET CONFIGURATION feature: drive serial number, MMC-6 §5.3.41.
pub const FEATURE_SERIAL: u16 = 0x0108;

/// A USB bridge's vendor and product ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UsbId {
    /// idVendor.
    pub vendor: u16,
    /// idProduct.
    pub product: u16,
}

impl std::fmt::Display for UsbId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04x}:{:04x}", self.vendor, self.product)
    }
}

/// What is behind an opened DEVICE, decided where its text was opened (nothing below re-reads
/// the name to ask).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceKind {
    /// A drive on this machine (an sg node).
    Real,
    /// A drive emulated in this process.
    Emulated,
    /// A recorded trace served back; it stands for the real drive it was recorded from.
    Replay,
}

impl DeviceKind {
    /// Whether writing it, or running a command suggested for it, needs root.
    pub fn needs_root(self) -> bool {
        match self {
            DeviceKind::Real | DeviceKind::Replay => true,
            DeviceKind::Emulated => false,
        }
    }

    /// [`Error::NeedsRoot`] unless this process may write a drive of this kind (called `name`):
    /// real drives (and traces of them) need root, emulated ones nobody.
    pub fn check_may_write(self, name: &str) -> Result<(), Error> {
        if self.needs_root() && !nix::unistd::geteuid().is_root() {
            return Err(Error::NeedsRoot(name.to_string()));
        }
        Ok(())
    }
}

/// An opened DEVICE: a guarded transport and facts about the path.
pub struct Device<'a> {
    transport: Guard<Box<dyn Transport + 'a>>,
    /// The DEVICE argument as given ("/dev/sg1", "emu:mt1959").
    pub name: String,
    /// What is behind it.
    pub kind: DeviceKind,
    /// The lock held on the drive since it was opened: on the sg node, or beside an emulated
    /// drive's state file. `None` where no other process can reach the drive (an in-process
    /// emulated drive without a state file, a replayed trace).
    pub lock: Option<DeviceLock>,
    /// The USB bridge the drive sits behind, when it is on USB.
    pub bridge: Option<UsbId>,
}

impl std::fmt::Debug for Device<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Device")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("lock", &self.lock)
            .field("bridge", &self.bridge)
            .finish_non_exhaustive()
    }
}

impl<'a> Device<'a> {
    /// Wrap `transport` in the type-5 guard ([`Policy::PeripheralType`]).
    pub fn new(
        transport: Box<dyn Transport + 'a>,
        name: impl Into<String>,
        kind: DeviceKind,
    ) -> Device<'a> {
        Device {
            transport: Guard::new(transport, Policy::PeripheralType),
            name: name.into(),
            kind,
            lock: None,
            bridge: None,
        }
    }

    /// The guarded transport every workflow sends through.
    pub fn transport(&mut self) -> &mut dyn Transport {
        &mut self.transport
    }
}

/// A drive a family claimed.
pub struct Drive {
    /// The family that claimed it.
    pub family: &'static dyn Family,
    /// Its identity as the family read it.
    pub identity: Identity,
    /// Its state, read-only.
    pub state: DriveState,
    /// The standard INQUIRY reply.
    pub inquiry: Inquiry,
    /// Feature 0x010C (firmware information) descriptor data, when answered.
    pub config_010c: Option<Vec<u8>>,
    /// Feature 0x0108 (serial number) descriptor data, when answered.
    pub config_0108: Option<Vec<u8>>,
    /// The device path it was identified through.
    pub path: String,
    /// The USB bridge it sits behind, when known.
    pub bridge: Option<UsbId>,
    /// What the path says about one command's data phase, when it knows.
    pub transfer_limit: Option<TransferLimit>,
    /// The identification's read replies. A dump's or backup's sweep answers the windows the
    /// identification already read from them ([`Drive::sweep_transport`]); every write workflow
    /// takes its backup before its first write, and a drive is identified anew after one.
    pub replies: Replies,
}

impl std::fmt::Debug for Drive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Drive")
            .field("family", &self.family.id())
            .field("identity", &self.identity)
            .field("state", &self.state)
            .field("path", &self.path)
            .field("transfer_limit", &self.transfer_limit)
            .finish_non_exhaustive()
    }
}

impl Drive {
    /// The family's flash access, or [`Error::IdentifyOnly`] before any write is attempted.
    pub fn flash_access(&self) -> Result<&'static dyn FlashAccess, Error> {
        self.family
            .flash(&self.identity)
            .ok_or_else(|| self.identify_only())
    }

    /// The [`Error::IdentifyOnly`] of a family without flash access for this drive.
    pub fn identify_only(&self) -> Error {
        Error::IdentifyOnly {
            family: self.family.id(),
            why: self
                .family
                .identify_only_reason()
                .unwrap_or("its write commands are not public"),
        }
    }

    /// Flash access for reading: [`Drive::flash_access`], refused with
    /// [`Error::ReadsRefused`] when the drive refuses flash reads (nothing can be dumped or
    /// backed up, and no command is sent to find that out again).
    pub fn read_access(&self) -> Result<&'static dyn FlashAccess, Error> {
        let flash = self.flash_access()?;
        match self.identity.flash_reads {
            FlashReads::Served => Ok(flash),
            reads => Err(Error::ReadsRefused(reads)),
        }
    }

    /// Refuse a write whose one command carries `needed` bytes (`command`, e.g. "image
    /// download") when the path's hard limit is smaller: [`Error::PathTooNarrow`], before
    /// anything is sent. A path that says nothing, or only what is known to pass, is not
    /// refused here.
    pub fn check_path_carries(&self, command: &str, needed: usize) -> Result<(), Error> {
        match self.transfer_limit {
            Some(limit) if limit.refuses(needed) => Err(Error::PathTooNarrow {
                limit: limit.bytes,
                needed,
                family: self.family.id(),
                command: command.to_string(),
            }),
            _ => Ok(()),
        }
    }

    /// `t` for a read-only sweep of this drive's flash, answering the reads the identification
    /// made from its replies: not one command is sent twice. Only for reads before any write.
    pub fn sweep_transport<'a>(&'a self, t: &'a mut dyn Transport) -> Memo<'a> {
        Memo::answering(t, &self.replies)
    }

    /// The family id.
    pub fn family_id(&self) -> FamilyId {
        self.family.id()
    }

    /// What a bundle records about this drive.
    pub fn record(&self) -> DeviceRecord {
        DeviceRecord {
            family: self.family.id(),
            identity: self.identity.clone(),
            path: self.path.clone(),
            inquiry: self.inquiry.raw.clone(),
            config_010c: self.config_010c.clone(),
            config_0108: self.config_0108.clone(),
        }
    }
}

/// A drive a family claimed, with its identity and read-only state.
pub struct Claim {
    /// The family.
    pub family: &'static dyn Family,
    /// Its identity as the family read it.
    pub identity: Identity,
    /// Its state.
    pub state: DriveState,
}

/// The identification every workflow shares (scan, info, watch, hotplug, flash, rescue, dump,
/// unit data), after the caller's INQUIRY: on an optical drive, the family that claims it (an
/// ambiguous claim is refused) and its read-only state. `None`: not an optical drive, or no
/// family claims it.
pub fn claim(t: &mut dyn Transport, inquiry: &Inquiry) -> Result<Option<Claim>, Error> {
    let Some((family, identity)) = family::identify(t, inquiry)? else {
        return Ok(None);
    };
    let state = family.state(t, &identity)?;
    Ok(Some(Claim {
        family,
        identity,
        state,
    }))
}

/// Identify the drive on `dev`: INQUIRY, refuse non-MMC devices, [`claim`], read the raw
/// feature answers a backup records.
pub fn identify(dev: &mut Device<'_>) -> Result<Drive, Error> {
    let path = dev.name.clone();
    let bridge = dev.bridge;
    // The probe, the state check and the raw answers ask some identification reads twice.
    let mut memo = Memo::new(dev.transport());
    let t: &mut dyn Transport = &mut memo;
    let transfer_limit = t.max_transfer();
    let inquiry = scsi::read_inquiry(t).map_err(family::Error::from)?;
    if inquiry.peripheral_type != PERIPHERAL_TYPE_MMC {
        return Err(Error::NotType5 {
            device: path,
            peripheral_type: inquiry.peripheral_type,
        });
    }
    let Some(Claim {
        family,
        identity,
        state,
    }) = claim(t, &inquiry)?
    else {
        return Err(Error::Unsupported(format!(
            "no known chip family claims {path} ({} {} {}): identify-only",
            inquiry.vendor, inquiry.product, inquiry.revision
        )));
    };
    let config_010c = read_feature_data(t, FEATURE_FIRMWARE_INFO)?;
    let config_0108 = read_feature_data(t, FEATURE_SERIAL)?;
    let replies = memo.into_replies();
    Ok(Drive {
        family,
        identity,
        state,
        inquiry,
        config_010c,
        config_0108,
        path,
        bridge,
        transfer_limit,
        replies,
    })
}

/// A feature's descriptor data; `None` when the drive does not report it or rejects the
/// request with sense (boot loaders may not answer GET CONFIGURATION).
fn read_feature_data(t: &mut dyn Transport, code: u16) -> Result<Option<Vec<u8>>, Error> {
    match scsi::read_feature(t, code) {
        Ok(feature) => Ok(feature.map(|f| f.data)),
        Err(scsi::Error::Sense(_)) => Ok(None),
        Err(e) => Err(family::Error::from(e).into()),
    }
}
