//! Chip families: identification, state and, where the protocol is public, flash access.
//!
//! A family knows CDBs (through `scsi` and its own `cdb.rs`) but not files, terminals or
//! policy. The static [`registry`] lists every family; identification runs every family's
//! read-only probe and refuses to act when more than one claims a drive.

use std::fmt;
use std::ops::Range;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::scsi::{self, inquiry::Inquiry, Transport};

/// The chip families odflash knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FamilyId {
    /// MediaTek MT1959 / MT1939 Blu-ray drives (LG, ASUS, Buffalo, ...): flashable.
    Mt19xx,
    /// LiteOn / Sony DVD-era MediaTek writers: identify-only (vendor commands not public).
    LiteonDvd,
}

impl fmt::Display for FamilyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FamilyId::Mt19xx => "mt19xx",
            FamilyId::LiteonDvd => "liteon-dvd",
        })
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
    /// Chunk size used when streaming an image.
    pub write_chunk: usize,
}

/// What the drive answered to the commit command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommitReply {
    /// GOOD status.
    Good,
    /// CHECK CONDITION the record calls benign for this command (e.g. UNIT ATTENTION).
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
    /// The drive did not become ready in time after a burn or write.
    #[error("drive not ready after {0:?}")]
    NotReady(Duration),
}

/// One chip family: a read-only probe and, when the protocol is public, flash access.
pub trait Family: Sync {
    /// Which family this is.
    fn id(&self) -> FamilyId;

    /// Read-only probe: `Ok(Some)` when this family claims the drive. Sends only INQUIRY, TUR,
    /// REQUEST SENSE, GET CONFIGURATION, MODE SENSE and READ BUFFER.
    fn probe(&self, t: &mut dyn Transport, inquiry: &Inquiry) -> Result<Option<Identity>, Error>;

    /// Read-only state of a drive this family claimed.
    fn state(&self, t: &mut dyn Transport, identity: &Identity) -> Result<DriveState, Error>;

    /// Flash access, or `None` for identify-only families.
    fn flash(&self) -> Option<&dyn FlashAccess>;

    /// Why the family is identify-only (shown to users), when [`Family::flash`] is `None`.
    fn identify_only_reason(&self) -> Option<&'static str> {
        None
    }
}

/// Primitive flash operations of a flashable family; the ops engine drives them in order and
/// knows no chip.
pub trait FlashAccess: Sync {
    /// The family's flash geometry.
    fn layout(&self) -> FlashLayout;
    /// Read `buf.len()` bytes of flash at `offset` in one command.
    fn read(&self, t: &mut dyn Transport, offset: u32, buf: &mut [u8]) -> Result<(), Error>;
    /// Enter download mode.
    fn prepare(&self, t: &mut dyn Transport) -> Result<(), Error>;
    /// Stream one chunk of the image at `offset`.
    fn write_chunk(&self, t: &mut dyn Transport, offset: u32, data: &[u8]) -> Result<(), Error>;
    /// Send the commit trailer after the last chunk.
    fn commit(&self, t: &mut dyn Transport) -> Result<CommitReply, Error>;
    /// Poll until the drive is ready again, at most `limit`.
    fn wait_ready(&self, t: &mut dyn Transport, limit: Duration) -> Result<(), Error>;
    /// Write one per-unit window back in place.
    fn write_window(
        &self,
        t: &mut dyn Transport,
        window: &Window,
        data: &[u8],
    ) -> Result<(), Error>;
}
