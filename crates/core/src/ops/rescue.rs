//! The guided rescue workflow (`odflash rescue`): identify the drive, check the image against
//! it, flash and verify (through [`super::flash::plan_flash`] and
//! [`super::flash::execute_flash`]), and restore the unit
//! data from the newest backup of that drive.
//!
//! [`rescue`] reads top to bottom in that order. It never prints and never prompts: it reports
//! each step to a [`Guide`] as an [`Event`] and asks the guide before every write
//! ([`Question`]); the CLI implements the guide (a terminal conversation, or answers from
//! flags). Waiting for the drive to appear and opening it are the caller's (`discover`, `open`).
//!
//! Identify-only families get the identification and the offline compat-group check of the
//! image and nothing else: their write commands are not public.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

use crate::family::{self, DriveState, FamilyId, FlashReads, Identity};

use super::backup;
use super::bundle::{self, Bundle, DeviceRecord, UnitMatch};
use super::check::{self, ImageCheck};
use super::drive::{self, Device, Drive};
use super::eeprom::{self, FromOtherDrive, RestoreOptions, RestoreReport};
use super::error::Error;
use super::flash::{self, FlashOptions, FlashReport, ImageFile, Plan, Verification};
use super::next::{Carried, NextStep, Risk};
use super::Progress;

/// The safe-mode procedure, one instruction per item, in order; the families that have a key
/// sequence say how long to hold (their [`family::Recovery::hold_eject`]).
pub fn safe_mode_steps() -> Vec<String> {
    let holds: Vec<&str> = family::registry()
        .iter()
        .filter_map(|f| f.recovery().hold_eject)
        .collect();
    let hold = if holds.is_empty() {
        "Keep holding for about 10 seconds.".to_string()
    } else {
        format!("Keep holding for about 10 seconds ({}).", holds.join("; "))
    };
    vec![
        "Power the drive off: unplug its USB cable or power lead (shut the computer down for an \
         internal drive)."
            .to_string(),
        "Press the eject button and keep it pressed.".to_string(),
        "Power the drive on while you hold the button.".to_string(),
        hold,
        "Release the button. The drive now waits in its boot loader (safe mode).".to_string(),
    ]
}

/// What the procedure means for a family, shown under [`safe_mode_steps`] (`None`: before the
/// drive is identified, every family's note applies).
pub fn safe_mode_note(family: Option<&FamilyId>) -> String {
    let notes: Vec<&str> = family::registry()
        .iter()
        .filter(|f| family.map_or(true, |id| *id == f.id()))
        .map(|f| f.recovery().note)
        .collect();
    notes.join(" ")
}

/// What odflash can and cannot do for a drive's family.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Capabilities {
    /// What it can do.
    pub can: Vec<&'static str>,
    /// What it cannot do.
    pub cannot: Vec<&'static str>,
    /// Why not, with the source.
    pub why: Option<&'static str>,
    /// What a blinking LED means on the family's drives, when the public record says.
    pub blinking_led: Option<&'static str>,
    /// Where the family's experimental reads come from, when it has any (they run only when
    /// asked for).
    pub experimental_reads: Option<&'static str>,
}

/// The capabilities for `drive`'s family (pure).
pub fn capabilities(drive: &Drive) -> Capabilities {
    let blinking_led = drive.family.blinking_led();
    let reads = drive.family.vendor_reads(&drive.identity);
    match drive.family.flash(&drive.identity) {
        Some(_) => Capabilities {
            can: vec![
                "identify the drive and read its state",
                "back up its flash and unit data",
                "check an image against it with every safety gate",
                "flash, wait for the drive and verify every byte",
                "restore its unit data from a backup",
            ],
            cannot: Vec::new(),
            why: None,
            blinking_led,
            experimental_reads: None,
        },
        None => {
            let mut can = vec![
                "identify the drive (INQUIRY, firmware date, serial, readiness)",
                "check a firmware image's model against the drive's compatibility group, offline",
            ];
            let cannot = match reads {
                Some(_) => {
                    can.push(
                        "read its EEPROM and a per-bank view of its firmware, when asked \
                         (experimental: the reads are unconfirmed on hardware; they only read)",
                    );
                    vec!["flash firmware", "write the EEPROM (unit data)"]
                }
                None => vec!["flash firmware", "read or write the EEPROM (unit data)"],
            };
            Capabilities {
                can,
                cannot,
                why: drive.family.identify_only_reason(),
                blinking_led,
                experimental_reads: reads.map(|r| r.commands().source),
            }
        }
    }
}

/// `--restore-unit-data`: whether to restore the unit data after the flash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum RestoreUnitData {
    /// Offer it when the drive needs attention or the flashed image replaced its unit data
    /// (default).
    #[default]
    Offer,
    /// Restore it (when a backup of this drive exists).
    Yes,
    /// Do not restore.
    No,
}

/// What the user asked the rescue to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RescueOptions {
    /// The firmware image, when given.
    pub image: Option<ImageFile>,
    /// Waivers, backup base (the mandatory backup and the one restored from) and the ready
    /// limit; the execution mode is ignored (the [`Guide`] decides).
    pub flash: FlashOptions,
    /// Unit-data restore choice.
    pub restore: RestoreUnitData,
    /// The bundle to restore the unit data from, chosen by the user (`--restore-from`):
    /// it answers the restore question, and the restore still checks it against the drive.
    pub restore_from: Option<PathBuf>,
    /// Whether the bundle given with [`RescueOptions::restore_from`] may be another drive's
    /// (`--from-other-drive`). A bundle the rescue found itself is never restored onto another
    /// drive without [`Question::RestoreFromOtherDrive`].
    pub from_other_drive: FromOtherDrive,
}

/// A step of the rescue, reported to the [`Guide`] as it happens.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The drive was identified (again after a write).
    Identified {
        /// Family.
        family: FamilyId,
        /// Identity.
        identity: Identity,
        /// State.
        state: DriveState,
        /// True for the identification after a flash or restore.
        after_write: bool,
    },
    /// The drive answers "operation in progress" (it may be burning): the rescue waits.
    Busy {
        /// What it answered.
        sense: crate::scsi::Sense,
    },
    /// The family is identify-only: what odflash can and cannot do.
    IdentifyOnly(Capabilities),
    /// No image was given; what to run (or that nothing is needed).
    NoImage {
        /// The drive needs a flash.
        needs_flash: bool,
        /// The command to run with an image.
        next: NextStep,
    },
    /// An identify-only family's image was checked (model/compat group and why it cannot be
    /// flashed).
    ImageChecked(ImageCheck),
    /// A flashable family's image was checked: the flash plan with every gate's verdict.
    Planned(Box<Plan>),
    /// The user declined the flash: nothing was written.
    DryRun {
        /// The command that flashes.
        next: NextStep,
    },
    /// The flash finished and verified.
    Flashed(Box<FlashReport>),
    /// The backup the unit data would be restored from (`None`: no usable one).
    UnitDataSource {
        /// The bundle.
        backup: Option<PathBuf>,
        /// The command that restores a file of the user's own instead (FILE).
        own_file: NextStep,
    },
    /// The unit data was restored and verified.
    Restored(Box<RestoreReport>),
    /// The unit data restore was skipped.
    RestoreSkipped {
        /// The command that restores it.
        next: NextStep,
    },
}

/// A write the rescue wants to do; the [`Guide`] answers before anything is sent.
#[derive(Debug, Clone, Copy)]
pub enum Question<'a> {
    /// Flash according to this plan (every gate passed).
    Flash(&'a Plan),
    /// Restore the unit data from this backup of this drive.
    RestoreUnitData {
        /// The bundle.
        backup: &'a Path,
        /// The drive's state now.
        state: &'a DriveState,
    },
    /// Restore the unit data from this backup, which is not provably this drive's (the newest
    /// backup of its model, or one without a serial): its calibration may not fit.
    RestoreFromOtherDrive {
        /// The bundle.
        backup: &'a Path,
        /// The drive it was read from.
        recorded: &'a DeviceRecord,
        /// How that drive relates to this one (never [`UnitMatch::Same`]).
        unit: UnitMatch,
        /// The drive's state now.
        state: &'a DriveState,
    },
}

/// The guide's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// Go ahead.
    Proceed,
    /// Do not write.
    Decline,
}

/// Receives the rescue's steps and answers its questions (the CLI: a terminal or flags).
pub trait Guide {
    /// A step happened.
    fn event(&mut self, event: &Event);
    /// Progress of a read or write.
    fn progress(&mut self, progress: Progress);
    /// May the rescue do this write?
    fn ask(&mut self, question: Question<'_>) -> Answer;
}

/// How the rescue ended (errors are [`Error`]s with their exit codes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RescueReport {
    /// The drive's state when the rescue started.
    pub initial: DriveState,
    /// Its state at the end (after any writes).
    pub last: DriveState,
    /// True when firmware was flashed (verified unless [`RescueReport::unverified`] says why not).
    pub flashed: bool,
    /// Why the flash could not be verified by read-back, when it could not.
    pub unverified: Option<String>,
    /// True when unit data was restored and verified.
    pub restored: bool,
    /// Termination signals held during a write. When any arrived, the rescue ended after
    /// that write, once the drive was safe: nothing further was written or checked.
    pub deferred_signals: Vec<String>,
}

/// Run the rescue on the opened `dev`. See the module header for the order of steps.
///
/// Identify-only families end in [`Error::GateRefused`] (with an image: the model gate when it
/// does not fit, else the chip-family gate saying why odflash cannot flash it) or
/// [`Error::IdentifyOnly`] (without one).
pub fn rescue(
    dev: &mut Device<'_>,
    opts: &RescueOptions,
    guide: &mut dyn Guide,
) -> Result<RescueReport, Error> {
    // 1. Identify.
    let mut found = identify(dev, guide, false)?;
    let initial = found.state.clone();
    if found.family.flash(&found.identity).is_none() {
        return identify_only(&found, opts, guide);
    }

    // The newest backup *before* anything is written: that one holds the unit data the drive
    // had, whatever the flash's own backup of a damaged drive holds. A drive that refuses reads
    // has no readable serial, so the newest backup of its model is offered (the restore checks
    // the serial once the new firmware answers). The user's own choice comes first.
    let base = &opts.flash.backup_base;
    let latest = match found.identity.flash_reads {
        FlashReads::Served => backup::find_latest_backup(base, &found.identity),
        _ => backup::find_latest_backup_of_model(base, &found.identity),
    };
    let earlier_backup = opts.restore_from.clone().or_else(|| {
        latest
            .ok()
            .filter(|(_, bundle)| holds_unit_data(&found, bundle))
            .map(|(path, _)| path)
    });

    // 2. Check the image, 3. flash it.
    let mut flash_backup = None;
    let mut replaced = false;
    let mut report = RescueReport {
        initial: initial.clone(),
        last: initial.clone(),
        flashed: false,
        unverified: None,
        restored: false,
        deferred_signals: Vec::new(),
    };
    match &opts.image {
        None => guide.event(&Event::NoImage {
            needs_flash: initial == DriveState::Recovery,
            next: NextStep::Rescue {
                device: dev.name.clone(),
                kind: dev.kind,
                image: None,
                carried: opts.flash.carried(),
            },
        }),
        Some(image) => {
            let plan = flash::plan_flash(&found, image, &opts.flash)?;
            guide.event(&Event::Planned(Box::new(plan.clone())));
            if let Some(refusal) = plan.refusal() {
                return Err(refusal);
            }
            if guide.ask(Question::Flash(&plan)) == Answer::Decline {
                guide.event(&Event::DryRun {
                    // The command that flashes: without a terminal it needs the risk flag.
                    next: NextStep::Rescue {
                        device: dev.name.clone(),
                        kind: dev.kind,
                        image: Some(image.path.clone()),
                        carried: Carried {
                            risk: Risk::Acknowledged,
                            ..opts.flash.carried()
                        },
                    },
                });
                return Ok(report);
            }
            let mut progress = |p: Progress| guide.progress(p);
            let flashed = Box::new(flash::execute_flash(
                dev,
                &found,
                plan,
                &opts.flash,
                &mut progress,
            )?);
            flash_backup = flashed.backup.as_ref().map(|b| b.path.clone());
            replaced = !flashed.unit_data_replaced.is_empty();
            if let Verification::NotVerified { why } = &flashed.verify {
                report.unverified = Some(why.clone());
            }
            let held = flashed.deferred_signals.clone();
            guide.event(&Event::Flashed(flashed));
            report.flashed = true;
            if !held.is_empty() {
                report.deferred_signals = held;
                return Ok(report);
            }
            found = identify(dev, guide, true)?;
            report.last = found.state.clone();
        }
    }

    // 4. Unit data: offered when the drive needs attention, or when the image replaced the
    // drive's own unit data with its own. A drive that needed attention before anything was
    // written had bad unit data in the flash's own backup too, so only an earlier backup
    // serves it.
    let source = earlier_backup.or(match initial {
        DriveState::NeedsAttention { .. } => None,
        _ => flash_backup
            .filter(|path| bundle::read_bundle(path).is_ok_and(|b| holds_unit_data(&found, &b))),
    });
    let needs_attention = matches!(found.state, DriveState::NeedsAttention { .. });
    let wanted = match opts.restore {
        _ if opts.restore_from.is_some() => true,
        RestoreUnitData::Yes => true,
        RestoreUnitData::Offer => needs_attention || replaced,
        RestoreUnitData::No => false,
    };
    let mut restore_opts = RestoreOptions {
        from_other_drive: opts.from_other_drive,
        backup_base: opts.flash.backup_base.clone(),
        risk: opts.flash.risk,
    };
    let (device, kind) = (dev.name.clone(), dev.kind);
    let restore_cmd =
        |file: Option<&Path>| restore_opts.next_step(&device, kind, file, opts.from_other_drive);
    if !wanted {
        if needs_attention || replaced {
            guide.event(&Event::RestoreSkipped {
                next: restore_cmd(source.as_deref()),
            });
        }
        return Ok(report);
    }
    guide.event(&Event::UnitDataSource {
        backup: source.clone(),
        own_file: restore_cmd(None),
    });
    let Some(source) = source else {
        return Ok(report);
    };
    // Read once: the question is asked about these bytes, and the plan writes them.
    let saved = bundle::read_bundle(&source)?;
    // The user's own bundle needs their flag when it is another drive's; one the rescue found
    // is asked about, and the question says when it is not provably this drive's.
    let from_other_drive = match &opts.restore_from {
        Some(_) => opts.from_other_drive,
        None => {
            let recorded = &saved.manifest.device;
            let unit = UnitMatch::of(&recorded.identity, &found.identity);
            let question = match unit {
                UnitMatch::Same => Question::RestoreUnitData {
                    backup: &source,
                    state: &found.state,
                },
                _ => Question::RestoreFromOtherDrive {
                    backup: &source,
                    recorded,
                    unit,
                    state: &found.state,
                },
            };
            if guide.ask(question) == Answer::Decline {
                guide.event(&Event::RestoreSkipped {
                    next: restore_cmd(Some(&source)),
                });
                return Ok(report);
            }
            match unit {
                UnitMatch::Same => FromOtherDrive::Refused,
                _ => FromOtherDrive::Allowed,
            }
        }
    };
    restore_opts.from_other_drive = from_other_drive;
    let mut progress = |p: Progress| guide.progress(p);
    let plan = eeprom::plan_restore_bundle(&found, &source, &saved, &restore_opts)?;
    let restored = eeprom::execute_restore(dev, &found, plan, &mut progress)?;
    let held = restored.deferred_signals.clone();
    guide.event(&Event::Restored(Box::new(restored)));
    report.restored = true;
    if !held.is_empty() {
        report.deferred_signals = held;
        return Ok(report);
    }
    let found = identify(dev, guide, true)?;
    report.last = found.state;
    Ok(report)
}

/// True when every unit-data window of `drive`'s family is in `bundle` and not erased (all
/// 0xFF, what an interrupted burn leaves): only such a backup is worth restoring.
fn holds_unit_data(drive: &Drive, bundle: &Bundle) -> bool {
    let Ok(flash) = drive.flash_access() else {
        return false;
    };
    flash.layout().unit_windows.iter().all(|w| {
        bundle
            .part(&backup::window_part_name(&w.name))
            .is_some_and(|p| p.bytes.iter().any(|&b| b != 0xFF))
    })
}

/// How long the rescue waits for a busy drive (one still burning its flash) to answer.
const BUSY_WAIT: Duration = Duration::from_secs(120);

/// Poll interval while the drive is busy.
const BUSY_POLL: Duration = Duration::from_secs(2);

/// Identify the drive and report it; a busy drive is waited for, at most [`BUSY_WAIT`].
fn identify(
    dev: &mut Device<'_>,
    guide: &mut dyn Guide,
    after_write: bool,
) -> Result<Drive, Error> {
    let mut waited = Duration::ZERO;
    let found = loop {
        match drive::identify(dev) {
            Err(Error::Family(family::Error::Busy(sense))) if waited < BUSY_WAIT => {
                if waited.is_zero() {
                    guide.event(&Event::Busy { sense });
                }
                dev.transport().pause(BUSY_POLL);
                waited += BUSY_POLL;
            }
            other => break other?,
        }
    };
    guide.event(&Event::Identified {
        family: found.family_id(),
        identity: found.identity.clone(),
        state: found.state.clone(),
        after_write,
    });
    Ok(found)
}

/// The identify-only path: say what odflash can and cannot do, check the image's group.
fn identify_only(
    found: &Drive,
    opts: &RescueOptions,
    guide: &mut dyn Guide,
) -> Result<RescueReport, Error> {
    guide.event(&Event::IdentifyOnly(capabilities(found)));
    if let Some(image) = &opts.image {
        let check = check::check_image(image, Some(found), &opts.flash.waivers)?;
        guide.event(&Event::ImageChecked(check.clone()));
        if let Some(refusal) = check.refusal() {
            return Err(refusal);
        }
    }
    Err(found.identify_only())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_name_the_family() {
        for f in family::registry() {
            let note = safe_mode_note(Some(&f.id()));
            assert_eq!(note, f.recovery().note);
            assert!(safe_mode_note(None).contains(&note));
        }
        let steps = safe_mode_steps();
        assert!(steps[3].contains("10 seconds"));
        assert!(family::registry()
            .iter()
            .filter_map(|f| f.recovery().hold_eject)
            .all(|hold| steps[3].contains(hold)));
    }
}
