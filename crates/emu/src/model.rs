//! The registry of emulated drive models: one [`Model`] arm per model module and the one
//! [`Behaviour`] trait they all implement. `lib.rs` (the [`crate::Drive`]: faults, UNIT
//! ATTENTION, REQUEST SENSE, the clock) and `persist.rs` reach a model only through this trait,
//! so a new model is a module, one arm here and one [`crate::Family`] entry.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::dvd::Dvd;
use super::fault::Phase;
use super::mmc::Reply;
use super::mt19xx::{ChipKind, Mt19xx};
use super::spec::{Family, Spec};
use super::tsst::Tsst;
use super::{Activity, Mode};
use crate::scsi;

/// Flash and download RAM of a model that has them. The bytes live in sidecar files next to a
/// state file (`persist.rs`), named by the generation counters, which are bumped on every
/// change.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct Memory {
    /// Bumped on every flash change (names the sidecar file).
    pub flash_gen: u64,
    /// Bumped on every staged-data change.
    pub staged_gen: u64,
    /// The flash as stored.
    #[serde(skip)]
    pub flash: Vec<u8>,
    /// Download RAM: what the host has sent of an image not yet burned, if a download is open.
    #[serde(skip)]
    pub staged: Option<Vec<u8>>,
}

impl Memory {
    /// Memory holding `flash`, no download open.
    pub(crate) fn new(flash: Vec<u8>) -> Memory {
        Memory {
            flash,
            ..Memory::default()
        }
    }

    /// Drop an open download, if any.
    pub(crate) fn drop_staged(&mut self) {
        if self.staged.take().is_some() {
            self.staged_gen += 1;
        }
    }
}

/// The flash window (start, length) of a READ/WRITE BUFFER CDB, for `offset` fault triggers.
pub(crate) fn buffer_window(cdb: &[u8]) -> Option<(u32, u32)> {
    use scsi::cdb::opcode::{READ_BUFFER, WRITE_BUFFER};
    let is_buffer = matches!(cdb.first(), Some(&(READ_BUFFER | WRITE_BUFFER)));
    (is_buffer && cdb.len() >= 9)
        .then(|| (scsi::cdb::buffer_offset(cdb), scsi::cdb::buffer_length(cdb)))
}

/// What every emulated drive model does. Defaults fit a model without flash or timers.
pub(crate) trait Behaviour {
    /// Execute one command; `lib.rs` has already answered REQUEST SENSE and any pending UNIT
    /// ATTENTION. `out` is the data-out the drive received; `partial` marks a short transfer
    /// (fewer bytes than the host announced arrived).
    fn execute(&mut self, cdb: &[u8], out: &[u8], partial: bool, now: Duration) -> Reply;

    /// How long the last command kept the host waiting before its status (a drive that
    /// programs flash inside the command); taken once, zero otherwise.
    fn take_stall(&mut self) -> Duration {
        Duration::ZERO
    }

    /// The flash or buffer window (start, length) the command touches, for `offset` triggers;
    /// `data_len` is the length of the data phase the host set up.
    fn window(&self, cdb: &[u8], data_len: usize) -> Option<(u32, u32)> {
        let _ = data_len;
        buffer_window(cdb)
    }

    /// The phase of the flashing story the command belongs to, for `phase` triggers.
    fn phase(&self, cdb: &[u8]) -> Option<Phase> {
        let _ = cdb;
        None
    }

    /// Finish whatever is due at `now` (a burn, a reboot); true when the drive rebooted (the
    /// next command sees UNIT ATTENTION).
    fn settle(&mut self, now: Duration) -> bool {
        let _ = now;
        false
    }

    /// Power lost at `now` and restored: download RAM is gone, the drive boots again.
    fn power_loss(&mut self, now: Duration) {
        let _ = now;
    }

    /// A bus reset: download RAM is gone; the drive keeps power.
    fn reset(&mut self) {}

    /// Move stored deadlines from one clock's time to another's.
    fn rebase(&mut self, old_now: Duration, new_now: Duration) {
        let _ = (old_now, new_now);
    }

    /// The largest data phase the drive accepts (`max-transfer=`, applied on every open).
    fn set_max_transfer(&mut self, bytes: usize) {
        let _ = bytes;
    }

    /// What firmware runs.
    fn mode(&self) -> Mode {
        Mode::App
    }

    /// What the drive is doing at `now`.
    fn activity(&self, now: Duration) -> Activity {
        let _ = now;
        Activity::Idle
    }

    /// The model's flash and download RAM, if it models them.
    fn memory(&self) -> Option<&Memory> {
        None
    }

    /// See [`Behaviour::memory`].
    fn memory_mut(&mut self) -> Option<&mut Memory> {
        None
    }

    /// Refuse a state loaded from a file that this model's arithmetic or invariants cannot
    /// take (sizes of the loaded memory, deadlines), in words.
    fn check_loaded(&self) -> Result<(), String> {
        Ok(())
    }
}

/// The protocol model of one drive: one arm per model module.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Model {
    /// MT1959/MT1939 (`mt19xx.rs`).
    Mt19xx(Box<Mt19xx>),
    /// DVD-era LiteOn/Sony: identification and the public vendor reads (`dvd.rs`).
    Dvd(Box<Dvd>),
    /// TSST/Samsung FF download (`tsst.rs`).
    Tsst(Box<Tsst>),
}

impl Model {
    /// The model a new drive of `spec`'s family starts as.
    pub(crate) fn new(spec: &Spec) -> Model {
        match spec.family {
            Family::Mt1959 => Model::Mt19xx(Box::new(Mt19xx::new(spec, ChipKind::Mt1959))),
            Family::Mt1939 => Model::Mt19xx(Box::new(Mt19xx::new(spec, ChipKind::Mt1939))),
            Family::LiteonDvd(_) => Model::Dvd(Box::new(Dvd::new(spec))),
            Family::Tsst(preset) => Model::Tsst(Box::new(Tsst::new(spec, preset.class()))),
        }
    }

    /// The model as its trait.
    pub(crate) fn get(&self) -> &dyn Behaviour {
        match self {
            Model::Mt19xx(m) => m.as_ref(),
            Model::Dvd(d) => d.as_ref(),
            Model::Tsst(t) => t.as_ref(),
        }
    }

    /// The model as its trait, mutable.
    pub(crate) fn get_mut(&mut self) -> &mut dyn Behaviour {
        match self {
            Model::Mt19xx(m) => m.as_mut(),
            Model::Dvd(d) => d.as_mut(),
            Model::Tsst(t) => t.as_mut(),
        }
    }
}
