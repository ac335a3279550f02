//! Emulated drives (`emu:FAMILY[,key=value...]`): protocol models, fault plan, virtual clock.
//!
//! A [`Drive`] implements [`scsi::Transport`]: it is the device side of the wire, so it decodes
//! vendor CDBs (the MT19xx READ/WRITE BUFFER flash protocol, the TSST FF download, the DVD-era
//! DF reads) that only `family/<chip>/cdb.rs` may build; the models are registered in
//! `model.rs`. It records every command it receives ([`Drive::command_log`]) so tests can prove
//! "zero writes" claims. It must not call into `family/`, `ops/` or `cli/`, and it never prints.
//! Every behaviour is listed, with its source or marked as an assumption, in
//! `crates/emu/src/README.md`.

#![deny(missing_docs)]

mod clock;
mod dvd;
pub mod fault;
mod mmc;
mod model;
mod mt19xx;
mod persist;
pub mod profile;
mod spec;
mod tsst;

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use odflash_fw as image;
use odflash_scsi::{self as scsi, Data, Direction, Outcome, Sense, SenseKey, TransportError};

pub use clock::ClockMode;
pub use fault::{Action, Fault, FaultPlan, Phase, Trigger};
pub use profile::Profile;
pub use spec::{
    DvdPreset, Family, Loaded, Spec, StartMode, TsstPreset, VendorReads, DEFAULT_MAX_TRANSFER,
};

use clock::Clock;
use fault::{Context, Progress};
use mmc::Reply;
use model::Model;
use persist::Store;

/// Linux `DID_RESET`: the host status a bus reset leaves on the command in flight.
const DID_RESET: u16 = 0x08;

/// Errors of the emulator.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The `emu:` string does not parse.
    #[error("bad emulated device `{spec}`: {why}")]
    Spec {
        /// The string as given.
        spec: String,
        /// What is wrong with it.
        why: String,
    },
    /// The fault plan does not parse.
    #[error("bad fault plan: {0}")]
    FaultPlan(String),
    /// A file could not be read or written, or is not one odflash may read or write.
    #[error(transparent)]
    File(#[from] odflash_files::atomic::FileError),
    /// A state file exists but cannot be used.
    #[error("state file {}: {why}", path.display())]
    State {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        why: String,
    },
}

/// What firmware a drive runs (its power-on outcome).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// The application firmware, unit data fine (DVD drives are always here).
    App,
    /// The boot loader: the application image failed its integrity check.
    Boot,
    /// The application firmware, but the unit data is blank or inconsistent.
    NeedsAttention {
        /// What is wrong, in words.
        reason: String,
    },
}

/// What a drive is doing now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activity {
    /// Nothing in progress.
    Idle,
    /// In download mode (after PREPARE), staging an image.
    Downloading,
    /// Programming its flash; ready again after `remaining`.
    Burning {
        /// Time until the burn ends.
        remaining: Duration,
    },
    /// Restarting into the firmware it has just been given; ready again after `remaining`.
    Rebooting {
        /// Time until the drive answers again.
        remaining: Duration,
    },
}

/// How a logged command was answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// GOOD status.
    Good {
        /// Bytes moved in the data phase.
        transferred: usize,
    },
    /// CHECK CONDITION with this sense.
    Check {
        /// The sense returned.
        sense: Sense,
    },
    /// No answer: the host timed out (fault).
    Timeout,
    /// The drive lost power before running the command (fault).
    PowerLoss,
    /// A bus reset hit the command (fault).
    Reset,
}

/// One command the drive received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedCommand {
    /// 1-based command number over the drive's life.
    pub seq: u64,
    /// The CDB as received.
    pub cdb: Vec<u8>,
    /// Direction of the data phase the host set up.
    pub direction: Direction,
    /// Length of the data phase the host set up.
    pub requested: usize,
    /// The answer.
    pub answer: Answer,
}

impl LoggedCommand {
    /// CDB byte 0, or `None` for an empty CDB.
    pub fn opcode(&self) -> Option<u8> {
        self.cdb.first().copied()
    }
}

/// Everything that survives in a state file.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct State {
    /// Family name as in the DEVICE string.
    family: String,
    /// Commands received so far.
    commands: u64,
    clock: Clock,
    /// Sense of the last command (REQUEST SENSE returns it, then it is cleared).
    sense: Option<Sense>,
    /// A reset or reboot happened: the next command (other than INQUIRY and REQUEST SENSE)
    /// gets UNIT ATTENTION 06/29/00 (SAM-5 §5.14).
    unit_attention: bool,
    faults: Progress,
    model: Model,
}

/// An emulated drive.
#[derive(Debug)]
pub struct Drive {
    spec: Spec,
    state: State,
    log: Vec<LoggedCommand>,
    store: Option<Store>,
}

impl State {
    fn new(spec: &Spec) -> State {
        let model = Model::new(spec);
        State {
            family: spec.family.name().to_string(),
            commands: 0,
            clock: Clock::new(spec.clock),
            sense: None,
            unit_attention: false,
            faults: Progress::default(),
            model,
        }
    }
}

impl Drive {
    /// Open the drive `spec` names: load its state file when one exists, else build a new
    /// drive (MT19xx: a signed synthetic image with the spec's identity; TSST: a synthetic image
    /// of its class) and save it there.
    pub fn open(spec: &Spec) -> Result<Drive, Error> {
        let plan = spec.faults.as_deref().map(FaultPlan::load).transpose()?;
        let (mut state, store) = match &spec.state_file {
            Some(path) if path.exists() => {
                let (state, store) = Store::load(path)?;
                if state.family != spec.family.name() {
                    return Err(Error::State {
                        path: path.clone(),
                        why: format!(
                            "holds a `{}` drive, not `{}`",
                            state.family,
                            spec.family.name()
                        ),
                    });
                }
                (state, Some(store))
            }
            Some(path) => (State::new(spec), Some(Store::new(path))),
            None => (State::new(spec), None),
        };
        if let Some(plan) = plan {
            if state.faults.plan != plan {
                state.faults = Progress::new(plan);
            }
        }
        state.model.get_mut().set_max_transfer(spec.max_transfer);
        let mut drive = Drive {
            spec: spec.clone(),
            state,
            log: Vec::new(),
            store,
        };
        drive.set_clock(spec.clock)?;
        Ok(drive)
    }

    /// The spec this drive was opened with.
    pub fn spec(&self) -> &Spec {
        &self.spec
    }

    /// Every command received since open (not persisted in the state file).
    pub fn command_log(&self) -> &[LoggedCommand] {
        &self.log
    }

    /// Forget the command log (long benchmarks).
    pub fn clear_command_log(&mut self) {
        self.log.clear();
    }

    /// The whole flash as stored (not as READ BUFFER mirrors it; for an SD-616 the 128 KiB
    /// image, not its download layout; for a DVD-era drive its 1 MiB firmware).
    pub fn flash(&self) -> &[u8] {
        self.state
            .model
            .get()
            .memory()
            .map_or(&[], |m| m.flash.as_slice())
    }

    /// What firmware runs.
    pub fn mode(&self) -> Mode {
        self.state.model.get().mode()
    }

    /// What the drive is doing.
    pub fn activity(&self) -> Activity {
        self.state.model.get().activity(self.state.clock.now())
    }

    /// Replace the fault plan (progress starts afresh); a plan [`FaultPlan::check`] refuses is
    /// an error.
    pub fn set_fault_plan(&mut self, plan: FaultPlan) -> Result<(), Error> {
        plan.check()?;
        self.state.faults = Progress::new(plan);
        self.save()
    }

    /// Which faults of the plan have fired, in plan order.
    pub fn faults_fired(&self) -> &[bool] {
        &self.state.faults.fired
    }

    /// Switch between the virtual and the real clock; a burn in progress keeps its remaining
    /// time.
    pub fn set_clock(&mut self, mode: ClockMode) -> Result<(), Error> {
        if self.state.clock.mode() != mode {
            let (old, new) = self.state.clock.switch(mode);
            self.state.model.get_mut().rebase(old, new);
        }
        self.save()
    }

    /// Cut and restore power: staged data is lost, a burn stops where it is, and the drive
    /// boots again (into its boot loader when the image no longer verifies). The next command
    /// sees UNIT ATTENTION 06/29/00.
    pub fn power_cycle(&mut self) -> Result<(), Error> {
        self.lose_power();
        self.save()
    }

    fn lose_power(&mut self) {
        let now = self.state.clock.now();
        self.state.model.get_mut().power_loss(now);
        self.state.sense = None;
        self.state.unit_attention = true;
    }

    fn save(&mut self) -> Result<(), Error> {
        match &mut self.store {
            Some(store) => store.save(&self.state),
            None => Ok(()),
        }
    }

    fn settle(&mut self) {
        let now = self.state.clock.now();
        if self.state.model.get_mut().settle(now) {
            self.state.unit_attention = true;
        }
    }

    /// Run one command through the model (no faults); `out` may be cut short by a fault.
    fn run(&mut self, cdb: &[u8], out: &[u8], partial: bool) -> Reply {
        let Some(&op) = cdb.first() else {
            return mmc::invalid_opcode();
        };
        if op == scsi::cdb::opcode::REQUEST_SENSE && cdb.len() >= 6 {
            let reported = self.state.sense.take().or_else(|| {
                std::mem::take(&mut self.state.unit_attention)
                    .then(|| Sense::new(SenseKey::UnitAttention, 0x29, 0x00))
            });
            return mmc::request_sense(cdb, reported.as_ref());
        }
        if self.state.unit_attention && op != scsi::cdb::opcode::INQUIRY {
            self.state.unit_attention = false;
            return Reply::Check(Sense::new(SenseKey::UnitAttention, 0x29, 0x00));
        }
        // A recorded identity answers identification while the application firmware runs;
        // a boot loader presents itself as its model does.
        let model = self.state.model.get();
        if model.mode() != Mode::Boot {
            if let Some(reply) = self.spec.profile().and_then(|p| p.answer(cdb)) {
                return reply;
            }
        }
        let now = self.state.clock.now();
        self.state.model.get_mut().execute(cdb, out, partial, now)
    }

    fn execute_inner(
        &mut self,
        cdb: &[u8],
        data: Data<'_>,
        timeout: Duration,
    ) -> (Answer, Result<Outcome, TransportError>) {
        self.settle();
        let model = self.state.model.get();
        let ctx = Context {
            command: self.state.commands,
            opcode: cdb.first().copied().unwrap_or(0),
            window: model.window(cdb, data.len()),
            phase: model.phase(cdb),
        };
        let mut short = None;
        match self.state.faults.check(&ctx) {
            None => {}
            Some(Action::Timeout) => {
                self.state.clock.advance(timeout);
                return (Answer::Timeout, Err(TransportError::Timeout(timeout)));
            }
            Some(Action::PowerLoss) => {
                self.lose_power();
                let gone = TransportError::Gone("emulated power loss".into());
                return (Answer::PowerLoss, Err(gone));
            }
            Some(Action::Reset) => {
                self.state.model.get_mut().reset();
                self.state.sense = None;
                self.state.unit_attention = true;
                let err = TransportError::Host {
                    host_status: DID_RESET,
                    driver_status: 0,
                };
                return (Answer::Reset, Err(err));
            }
            Some(Action::Sense { key, asc, ascq }) => {
                let sense = Sense::new(SenseKey::from_nibble(key), asc, ascq);
                return self.check(sense);
            }
            Some(Action::ShortTransfer { bytes }) => short = Some(bytes),
        }
        let limit = short.unwrap_or(usize::MAX);
        let (reply, moved) = match data {
            Data::In(buf) => match self.run(cdb, &[], false) {
                Reply::In(bytes) => {
                    let n = bytes.len().min(buf.len()).min(limit);
                    buf[..n].copy_from_slice(&bytes[..n]);
                    (Reply::Done, n)
                }
                other => (other, 0),
            },
            Data::Out(bytes) => {
                let n = bytes.len().min(limit);
                (self.run(cdb, &bytes[..n], short.is_some()), n)
            }
            Data::None => (self.run(cdb, &[], false), 0),
        };
        // A drive that programs inside the command holds its status back: the time passes on
        // the drive's clock, and a host that stops waiting first sees a timeout (the drive has
        // carried the command out all the same).
        let stall = self.state.model.get_mut().take_stall();
        if stall > timeout {
            self.state.clock.advance(timeout);
            return (Answer::Timeout, Err(TransportError::Timeout(timeout)));
        }
        self.state.clock.advance(stall);
        let transferred = match reply {
            Reply::Check(sense) => return self.check_after(sense, stall),
            Reply::DoneReporting { transferred } => transferred.min(moved),
            // A data-in reply with no data-in buffer: the bytes are dropped.
            Reply::Done | Reply::In(_) => moved,
        };
        self.state.sense = None;
        (
            Answer::Good { transferred },
            Ok(Outcome::good(transferred, stall)),
        )
    }

    fn check(&mut self, sense: Sense) -> (Answer, Result<Outcome, TransportError>) {
        self.check_after(sense, Duration::ZERO)
    }

    /// CHECK CONDITION with `sense`, answered after `duration`.
    fn check_after(
        &mut self,
        sense: Sense,
        duration: Duration,
    ) -> (Answer, Result<Outcome, TransportError>) {
        let outcome = Outcome::check_condition(sense.to_fixed().to_vec(), 0, duration);
        self.state.sense = Some(sense.clone());
        (Answer::Check { sense }, Ok(outcome))
    }
}

/// A failed state save, as the transport reports it (the I/O error kind is kept).
fn transport_error(e: Error) -> TransportError {
    let kind = match &e {
        Error::File(odflash_files::atomic::FileError::Io { source, .. }) => source.kind(),
        _ => std::io::ErrorKind::Other,
    };
    TransportError::Io(std::io::Error::new(kind, e.to_string()))
}

impl scsi::Transport for Drive {
    fn execute(
        &mut self,
        cdb: &[u8],
        data: Data<'_>,
        timeout: Duration,
    ) -> Result<Outcome, TransportError> {
        self.state.commands += 1;
        let seq = self.state.commands;
        let direction = data.direction();
        let requested = data.len();
        let (answer, result) = self.execute_inner(cdb, data, timeout);
        // REQUEST SENSE reports the previous command's sense; its own answer leaves none.
        if cdb.first() == Some(&scsi::cdb::opcode::REQUEST_SENSE) {
            self.state.sense = None;
        }
        self.log.push(LoggedCommand {
            seq,
            cdb: cdb.to_vec(),
            direction,
            requested,
            answer,
        });
        self.save().map_err(transport_error)?;
        result
    }

    /// The emulated path refuses any longer command (`max-transfer=`): a hard limit.
    fn max_transfer(&self) -> Option<scsi::TransferLimit> {
        Some(scsi::TransferLimit::hard(self.spec.max_transfer))
    }

    fn pause(&mut self, duration: Duration) {
        self.state.clock.advance(duration);
        self.settle();
        if let Err(e) = self.save() {
            log::warn!("emulator state not saved after a pause: {e}");
        }
    }

    fn describe(&self) -> String {
        self.spec.to_string()
    }
}
