//! Chip families: identification, state and, where the protocol is public, flash access.
//!
//! A family knows CDBs (through `scsi` and its own `cdb.rs`) but not files, terminals or
//! policy. The static [`registry`] lists every family; [`identify`] runs every family's
//! read-only probe and refuses to act when more than one claims a drive.
//!
//! A family carries everything family-specific: its probe and state ([`Family`]), how its drives
//! reach recovery ([`Recovery`]), its firmware format (image bytes -> facts for the gates, in
//! `odflash-fw`), and, when the protocol is public, its flash access ([`FlashAccess`]: the
//! geometry, the write plan an image turns into, the download commands, the read-back). The
//! writers take a [`WriteAccess`] only the ops engine can make, so nothing else drives a write.
//! A family whose public record names read commands nobody has confirmed on hardware may offer
//! them as [`VendorReads`] (experimental, read-only); ops runs them behind a `scsi` guard that
//! lets through only the reads the family lists.
//!
//! A new chip family is a new folder here (`mod.rs` with the probe, `cdb.rs` with its vendor
//! CDBs and nothing else does, `flash.rs`, `README.md`), its format in `odflash-fw`, and one
//! registry line in each. This layer never names a transport implementation (`sg`, `emu`): it
//! talks to [`Transport`] only.

pub mod liteon_dvd;
pub mod mt19xx;
#[cfg(test)]
pub(crate) mod paged;
#[cfg(test)]
mod script;
pub mod tsst;

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::image;
use crate::image::format::{Chunk, Format, ImageBytes, WritePlan};
use crate::scsi::cdb::build_test_unit_ready;
use crate::scsi::guard::VendorRead;
use crate::scsi::inquiry::{Inquiry, PERIPHERAL_TYPE_MMC};
use crate::scsi::{self, Data, Readiness, Sense, SenseKey, Transport, TIMEOUT_IDENTIFY};

/// A chip family's name ("mt19xx"): how reports, bundles and errors name it. Each family
/// defines its own as a constant; the registry holds the set.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FamilyId(Cow<'static, str>);

impl FamilyId {
    /// A family's name.
    pub const fn named(name: &'static str) -> FamilyId {
        FamilyId(Cow::Borrowed(name))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for FamilyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What state a drive is in, as far as its family can tell read-only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum DriveState {
    /// Application firmware running, medium present.
    Ready,
    /// Application firmware running, no medium: the healthy idle state of an empty drive.
    NoMedium,
    /// The boot loader is running (the application image failed its checks).
    Recovery,
    /// Firmware runs but the per-unit data is missing or inconsistent.
    NeedsAttention {
        /// What is wrong, in words.
        reason: String,
    },
    /// The family could not tell.
    Unknown,
}

impl fmt::Display for DriveState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DriveState::Ready => f.write_str("ready"),
            DriveState::NoMedium => f.write_str("no medium"),
            DriveState::Recovery => f.write_str("RECOVERY (boot loader)"),
            DriveState::NeedsAttention { reason } => write!(f, "NEEDS ATTENTION: {reason}"),
            DriveState::Unknown => f.write_str("unknown"),
        }
    }
}

/// Identity of a drive as its family reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// The family that claimed the drive.
    pub family: FamilyId,
    /// Chip name from the firmware's chip tag (e.g. "MT1959"), when readable.
    pub chip: Option<String>,
    /// Boot banner (e.g. "MT1959 Boot BU5"), when readable.
    pub banner: Option<String>,
    /// Vendor from the identity descriptor (falls back to INQUIRY).
    pub vendor: String,
    /// Model from the identity descriptor (falls back to INQUIRY).
    pub model: String,
    /// Firmware revision from the identity descriptor (falls back to INQUIRY).
    pub revision: String,
    /// Firmware date (GET CONFIGURATION feature 0x010C), when answered.
    pub firmware_date: Option<String>,
    /// Unit serial (GET CONFIGURATION feature 0x0108 or VPD 0x80), when answered.
    pub serial: Option<String>,
    /// Whether the drive serves flash reads (dump, backup, verify).
    #[serde(default)]
    pub flash_reads: FlashReads,
}

/// Whether a claimed drive serves flash reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FlashReads {
    /// Reads work (or the family has no flash reads to ask about).
    #[default]
    Served,
    /// The boot loader refuses them: nothing can be backed up or verified until the
    /// application firmware runs again.
    RefusedByBootLoader,
    /// The running firmware refuses them: nothing can be backed up or verified.
    BlockedByFirmware,
    /// The family has no public flash read: nothing can be backed up or verified.
    NotPublic,
}

impl fmt::Display for FlashReads {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FlashReads::Served => "served",
            FlashReads::RefusedByBootLoader => "the boot loader refuses flash reads",
            FlashReads::BlockedByFirmware => "firmware blocks flash reads",
            FlashReads::NotPublic => "no flash read of this drive is public",
        })
    }
}

/// A window of flash holding per-unit data (identity, calibration).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    /// Short name used in files and reports ("identity", "calibration").
    pub name: String,
    /// Flash offset.
    pub offset: u32,
    /// Length in bytes.
    pub len: u32,
}

/// Flash geometry of a family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlashLayout {
    /// Total flash size in bytes.
    pub size: usize,
    /// Region the drive protects (writes ignored, reads may be mirrored).
    pub protected: Range<usize>,
    /// Per-unit data windows.
    pub unit_windows: Vec<Window>,
    /// How long after the last download command the drive is expected to answer again (its
    /// burn or reboot): the progress display, and when readiness polling starts in earnest
    /// (the wait has its own, longer limit).
    pub burn_time: Duration,
    /// How long to wait for the drive to answer again after a burn.
    pub ready_limit: Duration,
    /// Windows the drive returns only when one read covers exactly the window (a longer or
    /// overlapping read is rejected), so a sweep reads them on their own.
    pub exact_reads: Vec<Range<usize>>,
}

/// What the drive answered to the commit command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommitReply {
    /// GOOD status.
    Good,
    /// CHECK CONDITION the family's public source calls benign for this command (e.g. UNIT
    /// ATTENTION after freemkv's COMMIT, docs/protocol.md §2.4).
    Benign(scsi::Sense),
}

/// Errors of the family layer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A command failed.
    #[error(transparent)]
    Scsi(#[from] scsi::Error),
    /// More than one family claimed the drive: odflash refuses to act.
    #[error("more than one chip family claims this drive: {0:?}")]
    Ambiguous(Vec<FamilyId>),
    /// The drive answered something the protocol does not allow.
    #[error("protocol violation: {0}")]
    Protocol(String),
    /// The family is identify-only: its write commands are not public.
    #[error("{family} drives are identify-only: {why}")]
    Unsupported {
        /// The family.
        family: FamilyId,
        /// Why (which commands are not public).
        why: &'static str,
    },
    /// The caller asked for something outside the family's flash geometry (offset, length,
    /// window); nothing was sent.
    #[error("invalid flash request: {0}")]
    InvalidRequest(String),
    /// The drive answers NOT READY, operation in progress: it is busy (a burn goes on), not
    /// absent. Nothing is concluded about its family.
    #[error(
        "the drive is busy ({0}): it may be starting up or writing its flash; wait for it, do \
         not power it off"
    )]
    Busy(scsi::Sense),
    /// The drive did not become ready in time after a burn or write.
    #[error("drive not ready after {0:?}")]
    NotReady(Duration),
}

/// How a family's drives are brought into the state odflash rescues them from, for the guided
/// rescue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recovery {
    /// When holding eject at power-on brings the drive up in its safe mode: until when
    /// ("until the LED flashes"), as public sources give it.
    pub hold_eject: Option<&'static str>,
    /// What the safe or recovery mode means for the family and what odflash can do there.
    pub note: &'static str,
    /// What a drive of the family is likely in after a burn that stopped part way.
    pub after_partial_burn: &'static str,
}

/// One chip family: a read-only probe, its firmware format and, when the protocol is public,
/// flash access.
pub trait Family: Sync {
    /// Which family this is.
    fn id(&self) -> FamilyId;

    /// Read-only probe: `Ok(Some)` when this family claims the drive. Sends only INQUIRY, TUR,
    /// REQUEST SENSE, GET CONFIGURATION, MODE SENSE and READ BUFFER.
    fn probe(&self, t: &mut dyn Transport, inquiry: &Inquiry) -> Result<Option<Identity>, Error>;

    /// Read-only state of a drive this family claimed.
    fn state(&self, t: &mut dyn Transport, identity: &Identity) -> Result<DriveState, Error>;

    /// The format of this family's firmware images, when odflash reads it.
    fn format(&self) -> Option<&'static dyn Format>;

    /// Flash access to the drive `identity` names (a family with several hardware classes
    /// answers each with its own geometry), or `None` for identify-only families.
    fn flash(&self, identity: &Identity) -> Option<&'static dyn FlashAccess>;

    /// How its drives reach safe or recovery mode, and what odflash does there.
    fn recovery(&self) -> Recovery;

    /// True when INQUIRY alone shows this family's boot loader.
    fn shows_boot_loader(&self, _inquiry: &Inquiry) -> bool {
        false
    }

    /// Why the family is identify-only (shown to users), when [`Family::flash`] is `None`.
    fn identify_only_reason(&self) -> Option<&'static str> {
        None
    }

    /// Experimental read-only access to the drive `identity` names, for a family whose public
    /// record gives read commands that nobody has confirmed on hardware; `None` for the rest.
    fn vendor_reads(&self, _identity: &Identity) -> Option<&'static dyn VendorReads> {
        None
    }

    /// What a blinking LED means on this family's drives, as the public record tells it, when
    /// it tells anything (shown by `info` and `rescue`).
    fn blinking_led(&self) -> Option<&'static str> {
        None
    }
}

/// The firmware as a family's vendor reads see it: `banks` banks of `bank_len` bytes, each read
/// on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FirmwareView {
    /// Number of banks.
    pub banks: u32,
    /// Bytes per bank.
    pub bank_len: u32,
    /// What the view is and is not (e.g. the CPU's view of each bank, not the raw flash), with
    /// its source.
    pub note: &'static str,
    /// What [`VendorReads::banks_failing_check`] checks of every bank, in words.
    pub check: &'static str,
}

impl FirmwareView {
    /// Bytes in the whole view.
    pub fn len(&self) -> usize {
        self.banks as usize * self.bank_len as usize
    }

    /// True for a view without banks.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The commands a family's vendor reads send, in words, and where the public record has them;
/// manifests and reports name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ReadCommands {
    /// The EEPROM read.
    pub eeprom: &'static str,
    /// The firmware bank read.
    pub firmware: &'static str,
    /// The challenge read some drives may want before the others.
    pub challenge: &'static str,
    /// The public source, and that the commands are unconfirmed on hardware.
    pub source: &'static str,
}

/// How the model a unit's EEPROM names relates to the model its running firmware reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GroupAgreement {
    /// Both are in one compatibility group.
    Same,
    /// They are in different groups: firmware of another group runs on this unit.
    Differs,
    /// The firmware's model is in no group odflash knows.
    FirmwareUnknown,
}

/// What a family reads in a unit's EEPROM about which firmware fits it. A hint, never a gate:
/// the EEPROM layouts are not public, so the model is found by its text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitHint {
    /// The model number found in the EEPROM (`DRU-720A`).
    pub unit_model: String,
    /// Its compatibility group's name.
    pub unit_group: String,
    /// The model the running firmware reports (INQUIRY).
    pub firmware_model: String,
    /// Its group's name, when it is in one.
    pub firmware_group: Option<String>,
    /// How the two relate.
    pub agreement: GroupAgreement,
    /// What it likely means and what to do, in words.
    pub advice: String,
}

/// Experimental, read-only access to a drive: its EEPROM (per-unit data) and a per-bank view of
/// its firmware, through vendor reads the public record names but nobody has confirmed on
/// hardware. The ops workflow drives these primitives behind a guard that lets through only
/// [`VendorReads::allowed`] and the identification commands; none of them writes anything.
pub trait VendorReads: Sync {
    /// Every vendor command these reads send: the guard refuses any other.
    fn allowed(&self) -> &'static [VendorRead];
    /// The commands in words, with their source.
    fn commands(&self) -> ReadCommands;
    /// Bytes one read returns; every read is exactly this long.
    fn piece_len(&self) -> usize;
    /// The EEPROM size of the drive `identity` names.
    fn eeprom_len(&self, identity: &Identity) -> usize;
    /// Read [`VendorReads::piece_len`] bytes of EEPROM at `offset` in one command.
    fn read_eeprom(&self, t: &mut dyn Transport, offset: u32, buf: &mut [u8]) -> Result<(), Error>;
    /// The firmware view of the drive `identity` names.
    fn firmware_view(&self, identity: &Identity) -> FirmwareView;
    /// Read [`VendorReads::piece_len`] bytes of firmware bank `bank` at `offset` in one
    /// command.
    fn read_firmware(
        &self,
        t: &mut dyn Transport,
        bank: u32,
        offset: u32,
        buf: &mut [u8],
    ) -> Result<(), Error>;
    /// Whether `error`, answered to a read, may mean the drive wants the challenge read first.
    fn wants_challenge(&self, error: &Error) -> bool;
    /// The challenge read (data in only; the reply is not kept).
    fn read_challenge(&self, t: &mut dyn Transport) -> Result<(), Error>;
    /// The banks of a firmware view that fail the family's image check, in order.
    fn banks_failing_check(&self, view: &[u8]) -> Vec<usize>;
    /// What the EEPROM says about which firmware fits the unit `identity` names, when it holds
    /// a model the family knows.
    fn unit_hint(&self, identity: &Identity, eeprom: &[u8]) -> Option<UnitHint>;
}

/// Permission to call a family's writers. Only the ops engine makes one
/// ([`WriteAccess::grant`] is crate-private), so nothing outside it can drive a write, however
/// it got hold of a [`FlashAccess`].
#[derive(Debug)]
pub struct WriteAccess(());

impl WriteAccess {
    /// The engine's permission, taken where its gates and backup have run.
    pub(crate) fn grant() -> WriteAccess {
        WriteAccess(())
    }
}

/// The commands of a family's download, in words, for the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sequence {
    /// The command that enters download mode, when the family has one.
    pub prepare: Option<&'static str>,
    /// The command that carries each chunk.
    pub stream: &'static str,
    /// The command sent after the last chunk, when the family has one.
    pub commit: Option<&'static str>,
}

/// Flash primitives of a flashable family; the ops engine drives them in the order its plan
/// lists and knows no chip. The writers take a [`WriteAccess`].
pub trait FlashAccess: Sync {
    /// The flash geometry.
    fn layout(&self) -> FlashLayout;
    /// Read `buf.len()` bytes of flash at `offset` in one command.
    fn read(&self, t: &mut dyn Transport, offset: u32, buf: &mut [u8]) -> Result<(), Error>;
    /// The writes `image` turns into on this drive (pure): payload, chunks, point of no return,
    /// what a read-back can check. Fails when the image cannot be cut for this drive (the gates
    /// say why in words).
    fn write_plan(&self, image: &ImageBytes) -> Result<WritePlan, image::Error>;
    /// The commands of a download, in words.
    fn sequence(&self) -> Sequence;
    /// Enter download mode; called only when [`Sequence::prepare`] names a command.
    fn prepare(&self, _: &WriteAccess, _t: &mut dyn Transport) -> Result<(), Error> {
        Ok(())
    }
    /// Send one chunk of the plan's payload.
    fn write_chunk(
        &self,
        access: &WriteAccess,
        t: &mut dyn Transport,
        chunk: &Chunk,
        data: &[u8],
    ) -> Result<(), Error>;
    /// Finish the download; called only when [`Sequence::commit`] names a command.
    fn commit(&self, _: &WriteAccess, _t: &mut dyn Transport) -> Result<CommitReply, Error> {
        Ok(CommitReply::Good)
    }
    /// Poll until the drive is ready again, at most `limit`.
    fn wait_ready(&self, t: &mut dyn Transport, limit: Duration) -> Result<(), Error>;
    /// Write one per-unit window of [`FlashLayout::unit_windows`] back in place.
    fn write_window(
        &self,
        access: &WriteAccess,
        t: &mut dyn Transport,
        window: &Window,
        data: &[u8],
    ) -> Result<(), Error>;
}

/// Every family odflash knows, in probe order. Adding a family adds one line here.
static REGISTRY: [&dyn Family; 3] = [&mt19xx::Mt19xx, &tsst::Tsst, &liteon_dvd::LiteonDvd];

/// A vendor command a family names ([`describe`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Described {
    /// The family that names it.
    pub family: FamilyId,
    /// What it is, with the section of docs/protocol.md that describes it.
    pub meaning: &'static str,
}

/// Every family's name for `cdb`, for decoded traces (`odflash trace show`): each family's
/// `cdb::describe` is asked, since only a family's `cdb.rs` may hold its command bytes. Vendor
/// opcode spaces overlap, so more than one family may name one CDB; none names a standard one.
pub fn describe(cdb: &[u8]) -> Vec<Described> {
    type Describe = fn(&[u8]) -> Option<&'static str>;
    let families: [(FamilyId, Describe); 3] = [
        (mt19xx::ID, mt19xx::cdb::describe),
        (tsst::ID, tsst::cdb::describe),
        (liteon_dvd::ID, liteon_dvd::cdb::describe),
    ];
    families
        .into_iter()
        .filter_map(|(family, describe)| describe(cdb).map(|meaning| Described { family, meaning }))
        .collect()
}

/// The static registry of chip families.
pub fn registry() -> &'static [&'static dyn Family] {
    &REGISTRY
}

/// Identify a drive: run every registered family's read-only probe and return the one that
/// claims it with its identity, `None` when no family does. Refuses with [`Error::Ambiguous`]
/// when more than one claims it. Only peripheral type 5 (MMC) devices are probed at all.
pub fn identify(
    t: &mut dyn Transport,
    inquiry: &Inquiry,
) -> Result<Option<(&'static dyn Family, Identity)>, Error> {
    identify_among(registry(), t, inquiry)
}

/// [`identify`] over a given list of families.
fn identify_among(
    families: &[&'static dyn Family],
    t: &mut dyn Transport,
    inquiry: &Inquiry,
) -> Result<Option<(&'static dyn Family, Identity)>, Error> {
    if inquiry.peripheral_type != PERIPHERAL_TYPE_MMC {
        return Ok(None);
    }
    let mut claims = Vec::new();
    for family in families {
        // A pending UNIT ATTENTION (after a reset or power cycle) answers the first command and
        // is cleared by it (SPC-4 §5.14): the probe is run again once, never read as "not ours".
        let claim = match family.probe(t, inquiry) {
            Err(Error::Scsi(scsi::Error::Sense(s))) if s.key == SenseKey::UnitAttention => {
                log::debug!("probe of {} met {s}; probing again", family.id());
                family.probe(t, inquiry)?
            }
            other => other?,
        };
        if let Some(identity) = claim {
            log::debug!("family {} claims {}", family.id(), t.describe());
            claims.push((*family, identity));
        }
    }
    if claims.len() > 1 {
        return Err(Error::Ambiguous(
            claims.iter().map(|(f, _)| f.id()).collect(),
        ));
    }
    Ok(claims.pop())
}

/// Ready / no medium / unknown from TEST UNIT READY. A pending UNIT ATTENTION is reported once
/// and cleared (SPC-4 §5.14), so it gets one retry.
fn readiness(t: &mut dyn Transport) -> Result<DriveState, Error> {
    for _ in 0..2 {
        match scsi::read_readiness(t)? {
            Readiness::Ready => return Ok(DriveState::Ready),
            Readiness::NoMedium(_) => return Ok(DriveState::NoMedium),
            Readiness::Other(s) if s.key == SenseKey::UnitAttention => continue,
            other => {
                log::debug!("TEST UNIT READY: {other}");
                return Ok(DriveState::Unknown);
            }
        }
    }
    Ok(DriveState::Unknown)
}

/// The first pause after the expected ready time; each further one doubles, up to
/// [`LONGEST_POLL`].
const FIRST_POLL: Duration = Duration::from_millis(100);

/// The longest pause between two readiness checks.
const LONGEST_POLL: Duration = Duration::from_secs(2);

/// Poll TEST UNIT READY until the drive answers GOOD or "no medium" (the healthy state of an
/// empty drive, docs/protocol.md §1.2), at most `limit` of device and pause time. Shared by the
/// families' `wait_ready` after a burn.
///
/// One check at once (a drive that is ready already is not made to wait), then none until
/// `expected` (the family's burn or reboot time) has passed, then checks after 100 ms pauses
/// doubling to 2 s. The public flashers poll at a fixed pace (freemkv every 500 ms, coastermelt
/// every second; docs/protocol.md §2.5, §4.6); what a drive answers while it burns is the same
/// either way, so fewer checks cost nothing and the first one after the expected time comes
/// within 100 ms of it.
pub(crate) fn poll_until_ready(
    t: &mut dyn Transport,
    limit: Duration,
    expected: Duration,
) -> Result<(), Error> {
    let mut waited = Duration::ZERO;
    let mut backoff = FIRST_POLL;
    loop {
        match t.execute(&build_test_unit_ready(), Data::None, TIMEOUT_IDENTIFY) {
            Ok(outcome) => {
                waited += outcome.duration;
                if outcome.status == scsi::status::GOOD
                    || Sense::parse(&outcome.sense).is_some_and(|s| s.is_no_medium())
                {
                    return Ok(());
                }
                // ASSUMPTION: any other reply (NOT READY becoming ready, UNIT ATTENTION, even a
                // hardware error while the firmware restarts) means "not yet"; the public
                // flashers only poll (freemkv `wait_ready`, coastermelt `reset`;
                // docs/protocol.md §2.5, §4.6), and the read-back verify judges the result.
            }
            Err(scsi::TransportError::Timeout(spent)) => waited += spent,
            Err(e) => return Err(scsi::Error::from(e).into()),
        }
        if waited >= limit {
            return Err(Error::NotReady(limit));
        }
        let pause = if waited < expected {
            expected - waited
        } else {
            let pause = backoff;
            backoff = (backoff * 2).min(LONGEST_POLL);
            pause
        };
        let pause = pause.min(limit - waited);
        t.pause(pause);
        waited += pause;
    }
}

/// A read-only probe command's result, with "the drive did not answer that" (a CHECK
/// CONDITION, a bad status, a short or malformed reply) as `None`. Transport failures (timeout,
/// device gone, a guard refusal) still propagate: they say nothing about the family; so does
/// NOT READY in progress ([`Error::Busy`]): a busy drive is not "some other drive"; and a
/// UNIT ATTENTION, which [`identify`] answers by probing again.
fn answered<T>(result: Result<T, Error>) -> Result<Option<T>, Error> {
    match result {
        Ok(v) => Ok(Some(v)),
        Err(Error::Scsi(scsi::Error::Transport(e))) => Err(scsi::Error::Transport(e).into()),
        Err(Error::Scsi(scsi::Error::Sense(s))) if s.is_in_progress() => Err(Error::Busy(s)),
        Err(Error::Scsi(scsi::Error::Sense(s))) if s.key == SenseKey::UnitAttention => {
            Err(scsi::Error::Sense(s).into())
        }
        Err(Error::Scsi(e)) => {
            log::debug!("probe: {e}");
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::script::{inquiry, Script};
    use super::*;

    /// A family that claims every drive.
    struct Greedy(FamilyId);

    impl Family for Greedy {
        fn id(&self) -> FamilyId {
            self.0.clone()
        }
        fn probe(&self, _: &mut dyn Transport, i: &Inquiry) -> Result<Option<Identity>, Error> {
            Ok(Some(Identity {
                family: self.0.clone(),
                chip: None,
                banner: None,
                vendor: i.vendor.clone(),
                model: i.product.clone(),
                revision: i.revision.clone(),
                firmware_date: None,
                serial: None,
                flash_reads: FlashReads::Served,
            }))
        }
        fn state(&self, _: &mut dyn Transport, _: &Identity) -> Result<DriveState, Error> {
            Ok(DriveState::Unknown)
        }
        fn format(&self) -> Option<&'static dyn Format> {
            None
        }
        fn flash(&self, _: &Identity) -> Option<&'static dyn FlashAccess> {
            None
        }
        fn recovery(&self) -> Recovery {
            Recovery {
                hold_eject: None,
                note: "greedy",
                after_partial_burn: "greedy",
            }
        }
    }

    static GREEDY_A: Greedy = Greedy(FamilyId::named("greedy-a"));
    static GREEDY_B: Greedy = Greedy(FamilyId::named("greedy-b"));

    #[test]
    fn two_claims_are_ambiguous() {
        let mut t = Script::new(vec![]);
        let both: [&'static dyn Family; 2] = [&GREEDY_A, &GREEDY_B];
        let result = identify_among(&both, &mut t, &inquiry("HL-DT-ST", "BD-RE BU40N", "1.03"));
        match result {
            Err(Error::Ambiguous(ids)) => {
                assert_eq!(ids, vec![GREEDY_A.0.clone(), GREEDY_B.0.clone()])
            }
            Err(e) => panic!("expected Ambiguous, got {e}"),
            Ok(claim) => panic!("expected Ambiguous, got {:?}", claim.map(|(_, id)| id)),
        }
        let one: [&'static dyn Family; 1] = [&GREEDY_B];
        let (family, identity) = identify_among(&one, &mut t, &inquiry("A", "B", "C"))
            .unwrap()
            .unwrap();
        assert_eq!(family.id(), GREEDY_B.0);
        assert_eq!(identity.model, "B");
    }

    #[test]
    fn non_mmc_devices_are_not_probed() {
        // The script has no replies: any command sent would fail the test.
        let mut t = Script::new(vec![]);
        let mut disk = inquiry("LITE-ON", "DVDRW SOHW-1693S", "KS0B");
        disk.peripheral_type = 0;
        let both: [&'static dyn Family; 2] = [&GREEDY_A, &GREEDY_B];
        assert!(identify_among(&both, &mut t, &disk).unwrap().is_none());
        assert!(identify(&mut t, &disk).unwrap().is_none());
        assert!(t.log().is_empty());
    }

    #[test]
    fn registry_lists_each_family_once() {
        let ids: Vec<FamilyId> = registry().iter().map(|f| f.id()).collect();
        assert_eq!(ids, vec![mt19xx::ID, tsst::ID, liteon_dvd::ID]);
        assert!(registry()[0].format().is_some());
        assert!(registry()[2].identify_only_reason().is_some());
    }
}
