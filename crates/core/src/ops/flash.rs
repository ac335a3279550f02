//! The flash engine, in two calls that know no chip: [`plan_flash`] turns an image and an
//! identified drive into a [`Plan`] (every gate's verdict, the family's write plan, the steps and
//! the point of no return) without touching the device; [`execute_flash`] carries out exactly
//! that plan through the family's [`crate::family::FlashAccess`]:
//!
//! lock + signal block + inhibitor -> mandatory durable backup -> prepare (when the family has
//! it) -> stream the plan's chunks -> commit (when the family has it) -> wait for the drive ->
//! read-back verify of what the plan says a read can check -> report.
//!
//! A refusing gate or a failed backup means zero device writes. A failure after the first
//! write returns [`Error::WriteInterrupted`] or [`Error::VerifyMismatch`] carrying the drive's
//! likely state (before or after the plan's point of no return) and the next command.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

use crate::family::{self, CommitReply, DriveState, FlashAccess, FlashReads, Window, WriteAccess};
use crate::image::compat::{self, CompatVerdict};
use crate::image::format::{
    Fact, Format, ImageBytes, ImageFacts, IntegrityFact, ReadBack, VersionOrder as Order, WritePlan,
};
use crate::scsi;

use super::backup::{self, BackupReport, FlashReader};
use super::bundle::{self, DeviceRecord};
use super::drive::{Device, Drive};
use super::dump::{self, ReadReport, Sweep, Unreadable};
use super::eeprom::FromOtherDrive;
use super::error::{Burned, DriveCondition, Error, KeptFirmware};
use super::gates::{
    self, BadBridge, BannerCheck, Compat, Gate, GateInput, GateVerdict, Verdict, VersionOrder,
    Waivers,
};
use super::next::{Carried, NextStep, Risk};
use super::session::WriteSession;
use super::{Phase, Progress};

/// What the user asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlashOptions {
    /// Gate waivers (none by default).
    pub waivers: Waivers,
    /// Base directory of the mandatory backup ([`backup::DEFAULT_BASE`]).
    pub backup_base: PathBuf,
    /// The user's risk acknowledgement, repeated in the commands a failure suggests.
    pub risk: Risk,
}

impl FlashOptions {
    /// The options a suggested flash or rescue command repeats.
    pub fn carried(&self) -> Carried {
        Carried {
            backup_base: self.backup_base.clone(),
            waivers: self.waivers,
            risk: self.risk,
        }
    }
}

impl Default for FlashOptions {
    fn default() -> Self {
        FlashOptions {
            waivers: Waivers::default(),
            backup_base: PathBuf::from(backup::DEFAULT_BASE),
            risk: Risk::Unacknowledged,
        }
    }
}

/// A firmware image file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageFile {
    /// Where it was read from (named in next-step commands).
    pub path: PathBuf,
    /// Its bytes, shared with the plans made of it.
    pub bytes: ImageBytes,
}

impl ImageFile {
    /// Read an image file.
    pub fn read(path: &Path) -> Result<ImageFile, Error> {
        let bytes = super::input::read_input(path, crate::image::MAX_IMAGE_SIZE, "firmware image")?;
        Ok(ImageFile {
            path: path.to_path_buf(),
            bytes: ImageBytes::new(bytes),
        })
    }
}

/// What the image says about itself, for the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImageSummary {
    /// The file.
    pub path: PathBuf,
    /// Size in bytes.
    pub size: usize,
    /// Lowercase hex sha256.
    pub sha256: String,
    /// Chip named by its tag.
    pub chip: Option<String>,
    /// Descriptor vendor, model and revision.
    pub model: Option<String>,
    /// Descriptor revision.
    pub revision: Option<String>,
    /// Boot banner ID.
    pub banner: Option<String>,
}

/// One step of the write sequence, as the plan lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "step", rename_all = "kebab-case")]
pub enum Step {
    /// Take the exclusive device lock, block termination signals, hold the sleep inhibitor.
    Protect,
    /// Write and validate the mandatory backup under this directory.
    Backup {
        /// The drive's backup directory.
        dir: PathBuf,
    },
    /// No backup: the drive serves no flash reads and the user waived the backup.
    NoBackup {
        /// Why nothing can be read.
        reads: FlashReads,
    },
    /// Enter download mode.
    Prepare {
        /// The command, in words.
        command: &'static str,
    },
    /// Stream the payload.
    Stream {
        /// Number of commands.
        chunks: usize,
        /// Bytes in the largest one.
        chunk_size: usize,
        /// Bytes sent in all.
        bytes: usize,
        /// The command, in words.
        command: &'static str,
    },
    /// Finish the download.
    Commit {
        /// The command, in words.
        command: &'static str,
    },
    /// Poll until the drive is ready, at most this long.
    WaitReady {
        /// The limit.
        limit: Duration,
    },
    /// Read back and compare flash offsets `from..to`.
    Verify {
        /// First verified offset.
        from: u32,
        /// End (exclusive).
        to: u32,
    },
    /// No read-back: the family has no public flash read; the drive's answer and revision
    /// after the reboot are reported instead.
    NoVerify,
}

impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Step::Protect => f.write_str(
                "lock the device, hold Ctrl-C/SIGTERM/SIGHUP, inhibit sleep and shutdown",
            ),
            Step::Backup { dir } => write!(
                f,
                "back up the whole flash and unit data under {} (fsync'ed, re-read, validated)",
                dir.display()
            ),
            Step::NoBackup { reads } => write!(
                f,
                "no backup ({reads}; waived with --without-backup): nothing can be restored \
                 from this drive's own flash afterwards"
            ),
            Step::Prepare { command } => f.write_str(command),
            Step::Stream {
                chunks,
                chunk_size,
                bytes,
                command,
            } => write!(
                f,
                "stream {} KiB in {chunks} commands of at most {} KiB ({command})",
                bytes / 1024,
                chunk_size / 1024
            ),
            Step::Commit { command } => f.write_str(command),
            Step::WaitReady { limit } => write!(
                f,
                "wait for the drive (TEST UNIT READY polling, at most {} s)",
                limit.as_secs()
            ),
            Step::Verify { from, to } => write!(
                f,
                "read back and compare every byte of {from:#08x}..{to:#08x} (where the drive \
                 refuses the reads, the report says \"not verified\")"
            ),
            Step::NoVerify => f.write_str(
                "no read-back verify (this drive has no public flash read): check that the \
                 drive answers and report the revision it shows",
            ),
        }
    }
}

/// The flash plan: every gate's verdict, the command sequence and the point of no return.
/// [`execute_flash`] carries out exactly this plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Plan {
    /// The drive.
    pub device: DeviceRecord,
    /// Its state.
    pub state: DriveState,
    /// The image.
    pub image: ImageSummary,
    /// Every gate's verdict.
    pub gates: Vec<GateVerdict>,
    /// The write sequence, in order (empty when the image cannot be cut for this drive; a
    /// gate refuses it then).
    pub steps: Vec<Step>,
    /// Where the drive stops being able to fall back to its old firmware.
    pub point_of_no_return: String,
    /// Per-unit windows the image covers: a flash writes the image's bytes there (the report
    /// says which actually changed).
    pub unit_windows_written: Vec<String>,
    /// The family's write plan: the bytes and commands [`execute_flash`] sends.
    #[serde(skip)]
    pub write: Option<WritePlan>,
}

impl Plan {
    /// The first refusing gate as an error, if any.
    pub fn refusal(&self) -> Option<Error> {
        gates::first_refusal(&self.gates)
    }
}

/// The result of a successful flash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FlashReport {
    /// The plan that was carried out.
    pub plan: Plan,
    /// The backup taken first; `None` only when the drive refused flash reads and the user
    /// waived it.
    pub backup: Option<BackupReport>,
    /// What the drive answered to COMMIT ("GOOD", or the benign sense).
    pub commit: String,
    /// How the read-back went.
    pub verify: Verification,
    /// Per-unit windows whose bytes changed (the image's differ from the backup's): the drive
    /// now holds the image's unit data there; [`FlashReport::restore_own_unit_data`] puts the
    /// drive's own back.
    pub unit_data_replaced: Vec<String>,
    /// The command that restores the drive's own unit data from the backup (FILE without
    /// one), when the image replaced it.
    pub restore_own_unit_data: Option<NextStep>,
    /// The revision the drive shows after the burn (INQUIRY), when it answers.
    pub revision_after: Option<String>,
    /// Termination signals that arrived during the write (the CLI exits after reporting).
    pub deferred_signals: Vec<String>,
}

/// How the read-back after the burn went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "kebab-case")]
pub enum Verification {
    /// Every byte outside the protected boot region read back equal to the image.
    Verified(ReadReport),
    /// The drive came back but refuses flash reads, or its family has no public flash read:
    /// the burn could not be checked. The CLI exits with its own code, never plain success.
    NotVerified {
        /// What the drive answered.
        why: String,
    },
}

/// The gates' view of an image with `facts` (in `format`) against `drive` (pure).
pub fn build_gate_input(
    facts: &ImageFacts,
    format: &dyn Format,
    drive: &Drive,
    layout_size: usize,
) -> GateInput {
    let id = &drive.identity;
    let mut input = image_only_input(facts, layout_size);
    input.drive_chip = id.chip.clone();
    input.compat = match &facts.model {
        Fact::NotInFormat => None,
        model => Some(build_compat(&id.model, model.found().unwrap_or(""))),
    };
    if let (
        Some(
            BannerCheck::Known { banner }
            | BannerCheck::Unknown {
                banner: Some(banner),
            },
        ),
        Some(drive_banner),
    ) = (input.banner.clone(), id.banner.as_deref())
    {
        let drive_id = format.banner_id(drive_banner);
        if banner.trim() != drive_id {
            input.banner = Some(BannerCheck::Mismatch {
                image: banner,
                drive: drive_id,
            });
        }
    }
    input.version = match (&drive.state, &facts.revision) {
        (DriveState::Recovery, _) => VersionOrder::Unknown {
            why: "the drive is in its boot loader".into(),
        },
        (_, None) => VersionOrder::Unknown {
            why: "the image carries no revision".into(),
        },
        (_, Some(image)) => {
            let (drive_v, image_v) = (id.revision.trim().to_string(), image.trim().to_string());
            match format.order(&drive_v, &image_v) {
                Order::Newer => VersionOrder::Newer {
                    drive: drive_v,
                    image: image_v,
                },
                Order::Same => VersionOrder::Same { version: image_v },
                Order::Older => VersionOrder::Older {
                    drive: drive_v,
                    image: image_v,
                },
                Order::Incomparable => VersionOrder::Unknown {
                    why: format!("{drive_v} and {image_v} follow different schemes"),
                },
            }
        }
    };
    input.flash_reads = id.flash_reads;
    input.bad_bridge = drive
        .bridge
        .and_then(|b| compat::known_bad_bridge(b.vendor, b.product))
        .map(|b| BadBridge {
            usb_id: format!("{:04x}:{:04x}", b.vid, b.pid),
            name: b.name.clone(),
            why: b.problem.clone(),
        });
    input
}

/// The model gate's view of an image model offered to a drive model, from the compat group
/// table (`image::compat`).
pub fn build_compat(drive_model: &str, image_model: &str) -> Compat {
    match compat::check(drive_model, image_model) {
        CompatVerdict::SameModel { .. } => Compat::SameModel {
            model: drive_model.to_string(),
        },
        CompatVerdict::SameGroup { group, .. } => Compat::SameGroup { group },
        CompatVerdict::DifferentGroups {
            drive_group,
            image_group,
            reason,
        } => Compat::OtherGroup {
            image_group,
            drive_group,
            reason,
        },
        CompatVerdict::Unknown { .. } => Compat::Unknown {
            image_model: image_model.to_string(),
            drive_model: drive_model.to_string(),
        },
    }
}

/// The image's facts in the drive family's format, or why the image is not in it.
fn image_facts(
    drive: &Drive,
    image: &ImageFile,
) -> Result<(&'static dyn Format, ImageFacts), Error> {
    let format = drive.family.format().ok_or_else(|| Error::IdentifyOnly {
        family: drive.family.id(),
        why: drive
            .family
            .identify_only_reason()
            .unwrap_or("odflash reads no firmware format for it"),
    })?;
    let facts = format
        .facts(&image.bytes)
        .map_err(|e| Error::bad_file(&image.path, e.to_string()))?;
    Ok((format, facts))
}

/// Plan a flash without touching the device: read the image in the drive family's format, run
/// every gate, take the family's write plan, list the steps.
pub fn plan_flash(drive: &Drive, image: &ImageFile, opts: &FlashOptions) -> Result<Plan, Error> {
    let flash = drive.flash_access()?;
    let layout = flash.layout();
    let (format, facts) = image_facts(drive, image)?;
    let mut input = build_gate_input(&facts, format, drive, layout.size);
    if input.drive_chip.is_none() {
        // A drive in its boot loader after an interrupted burn may have lost its descriptor;
        // its own latest backup still names its chip.
        input.drive_chip = chip_from_backup(&opts.backup_base, drive, format);
    }
    // An image the family cannot cut into its commands has no write plan; the size gate
    // refuses it in the family's words.
    let write = match flash.write_plan(&image.bytes) {
        Ok(w) => Some(w),
        Err(e) => {
            input.uncuttable = Some(e.to_string());
            None
        }
    };
    let gates = gates::evaluate(&input, &opts.waivers);
    if let Some(w) = &write {
        // A path too narrow for one command would fail mid-stream, after the first write.
        let widest = w.chunks.iter().map(|c| c.len).max().unwrap_or(0);
        drive.check_path_carries("image download", widest)?;
    }
    let unit_windows_written = if facts.size == layout.size {
        layout.unit_windows.iter().map(|w| w.name.clone()).collect()
    } else {
        Vec::new()
    };
    Ok(Plan {
        device: drive.record(),
        state: drive.state.clone(),
        image: ImageSummary {
            path: image.path.clone(),
            size: image.bytes.len(),
            sha256: bundle::sha256_hex(&image.bytes),
            chip: facts.chip.clone(),
            model: facts.model.found().map(str::to_string),
            revision: facts.revision.clone(),
            banner: match &facts.banner {
                Fact::Found(b) => Some(b.clone()),
                _ => None,
            },
        },
        gates,
        steps: write
            .as_ref()
            .map(|w| steps(drive, flash, w, opts))
            .unwrap_or_default(),
        point_of_no_return: write.as_ref().map_or_else(String::new, point_of_no_return),
        unit_windows_written,
        write,
    })
}

/// The plan's steps for write plan `w`.
fn steps(drive: &Drive, flash: &dyn FlashAccess, w: &WritePlan, opts: &FlashOptions) -> Vec<Step> {
    let sequence = flash.sequence();
    let mut steps = vec![
        Step::Protect,
        match drive.identity.flash_reads {
            FlashReads::Served => Step::Backup {
                dir: backup::drive_dir(&opts.backup_base, &drive.identity),
            },
            reads => Step::NoBackup { reads },
        },
    ];
    steps.extend(sequence.prepare.map(|command| Step::Prepare { command }));
    steps.push(Step::Stream {
        chunks: w.chunks.len(),
        chunk_size: w.chunks.iter().map(|c| c.len).max().unwrap_or(0),
        bytes: w.payload.len(),
        command: sequence.stream,
    });
    steps.extend(sequence.commit.map(|command| Step::Commit { command }));
    steps.push(Step::WaitReady {
        limit: flash.layout().ready_limit,
    });
    steps.push(match &w.read_back {
        ReadBack::Compare(range) => Step::Verify {
            from: range.start as u32,
            to: range.end as u32,
        },
        ReadBack::Impossible => Step::NoVerify,
    });
    steps
}

/// The point of no return in words.
fn point_of_no_return(w: &WritePlan) -> String {
    let chunk = &w.chunks[w.point_of_no_return];
    format!(
        "chunk {}/{} at {:#x}: {}",
        chunk.index + 1,
        w.chunks.len(),
        chunk.offset,
        w.point_of_no_return_why
    )
}

/// The drive-independent half of [`build_gate_input`].
fn image_only_input(facts: &ImageFacts, expected_size: usize) -> GateInput {
    GateInput {
        expected_size,
        image_size: facts.size,
        uncuttable: None,
        integrity: match &facts.integrity {
            IntegrityFact::NotInFormat => None,
            IntegrityFact::Verified(summary) => Some(Ok(summary.clone())),
            IntegrityFact::Fails(why) => Some(Err(why.clone())),
        },
        image_chip: facts.chip.clone(),
        drive_chip: None,
        compat: match &facts.model {
            Fact::NotInFormat => None,
            model => Some(Compat::Unknown {
                image_model: model.found().unwrap_or("").to_string(),
                drive_model: String::new(),
            }),
        },
        raw_dump: facts.raw_dump.clone(),
        banner: match &facts.banner {
            Fact::NotInFormat => None,
            Fact::Found(b) if compat::known_banner(b).is_some() => {
                Some(BannerCheck::Known { banner: b.clone() })
            }
            Fact::Found(b) => Some(BannerCheck::Unknown {
                banner: Some(b.clone()),
            }),
            Fact::Unreadable => Some(BannerCheck::Unknown { banner: None }),
        },
        version: VersionOrder::Unknown {
            why: "no drive".into(),
        },
        bad_bridge: None,
        flash_reads: FlashReads::Served,
    }
}

/// The verdicts of the gates that need no drive (size, integrity, raw dump, known banner), for
/// an image in `format` checked offline; `sizes` are the flash sizes the format's drives have.
pub fn check_image_offline(facts: &ImageFacts, sizes: &[usize]) -> Vec<GateVerdict> {
    let expected = if sizes.contains(&facts.size) {
        facts.size
    } else {
        sizes.first().copied().unwrap_or(0)
    };
    let input = image_only_input(facts, expected);
    gates::evaluate(&input, &Waivers::default())
        .into_iter()
        .filter(|v| {
            matches!(
                v.gate,
                Gate::Size | Gate::Integrity | Gate::NotRawDump | Gate::KnownBootBanner
            )
        })
        .map(|v| match (&v.verdict, &facts.size_note) {
            (Verdict::Pass { .. }, Some(note)) if v.gate == Gate::Size => GateVerdict {
                gate: v.gate,
                verdict: gates::pass(note.clone()),
            },
            _ => v,
        })
        .collect()
}

/// The chip in the drive's latest valid backup, when there is one.
fn chip_from_backup(base: &Path, drive: &Drive, format: &dyn Format) -> Option<String> {
    let (path, bundle) = backup::find_latest_backup(base, &drive.identity).ok()?;
    let firmware = bundle.part(backup::parts::FIRMWARE)?;
    let chip = format.facts(&firmware.bytes).ok()?.chip?;
    log::info!("drive chip {chip} taken from its backup {}", path.display());
    Some(chip)
}

/// Carry out `plan` on `drive`: exactly the plan's payload, in the plan's commands. A plan with
/// a refusing gate returns that refusal before anything is sent. See the module header for the
/// sequence and its guarantees.
pub fn execute_flash(
    dev: &mut Device<'_>,
    drive: &Drive,
    plan: Plan,
    opts: &FlashOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<FlashReport, Error> {
    if let Some(refusal) = plan.refusal() {
        return Err(refusal);
    }
    let Some(write) = plan.write.as_ref() else {
        return Err(Error::bad_file(
            &plan.image.path,
            "the image cannot be cut into this drive's download commands",
        ));
    };
    let flash = drive.flash_access()?;
    let layout = flash.layout();
    let sequence = flash.sequence();
    let next = NextSteps::new(dev, &plan.image.path, drive, opts);

    // Protections, then the mandatory backup: failure of either means zero writes. Only a
    // drive that serves no flash reads, with the backup waived (the backup gate), goes without.
    let session = WriteSession::begin(dev, "flashing optical drive firmware")?;
    let backup = match drive.identity.flash_reads {
        FlashReads::Served => Some(backup::backup(dev, drive, &opts.backup_base, progress)?),
        _ => None,
    };
    // The flash as the validated backup holds it: what the drive held before the write, read
    // from the bundle on disk a piece at a time.
    let mut before = match &backup {
        Some(b) => Some(b.flash.open()?),
        None => None,
    };
    let access = WriteAccess::grant();

    // Prepare and stream. No commit after any failure here.
    let t = dev.transport();
    if sequence.prepare.is_some() {
        flash
            .prepare(&access, t)
            .map_err(|e| next.interrupted("prepare (entering download mode)", e, Burned::No))?;
        progress(Progress {
            phase: Phase::Prepare,
            done: 1,
            total: 1,
        });
    }
    let count = write.chunks.len();
    for chunk in &write.chunks {
        let burning = chunk.index >= write.point_of_no_return;
        if let Err(e) = flash.write_chunk(&access, t, chunk, write.data(chunk)) {
            let phase = format!(
                "streaming chunk {}/{count} at {:#x}",
                chunk.index + 1,
                chunk.offset
            );
            // A drive that answers the chunk at the point of no return with ILLEGAL REQUEST
            // refuses the image before programming and keeps its firmware: the anti-downgrade
            // refusal "Write DRAM NG 05/24/00" (docs/protocol.md §7.1), not a transport fault.
            return Err(match illegal_request(&e) {
                Some(sense) if chunk.index == write.point_of_no_return => {
                    let kept = check_kept(t, flash, &write.read_back, before.as_mut());
                    Error::ImageRefused {
                        sense,
                        kept,
                        condition: next.kept_firmware(),
                    }
                }
                _ => next.interrupted(&phase, e, if burning { Burned::Partly } else { Burned::No }),
            });
        }
        progress(Progress {
            phase: Phase::Write,
            done: chunk.offset + chunk.len,
            total: write.payload.len(),
        });
    }

    // Commit, then wait for the drive to come back. A commit that fails while the burn goes on
    // (a timeout, an error answer) does not decide anything: the drive is given its burn time,
    // and the read-back judges the result.
    let commit = if sequence.commit.is_some() {
        let reply = flash.commit(&access, t);
        progress(Progress {
            phase: Phase::Commit,
            done: 1,
            total: 1,
        });
        Some(reply)
    } else {
        None
    };
    // The burn runs now: its expected length, in seconds, for a timed display.
    let burn_secs = layout.burn_time.as_secs() as usize;
    progress(Progress {
        phase: Phase::WaitReady,
        done: 0,
        total: burn_secs,
    });
    if let Err(e) = flash.wait_ready(t, layout.ready_limit) {
        if let Some(Err(commit_error)) = commit {
            return Err(next.interrupted("commit", commit_error, Burned::Partly));
        }
        // A boot loader that is still there after a complete stream did not take the image:
        // a drive whose boot ID differs from the image's ignores it silently
        // (docs/protocol.md §7.2).
        if next.was_recovery && still_in_boot_loader(t, drive) {
            return Err(Error::ImageIgnored {
                evidence: "the drive still runs its boot loader after the burn".into(),
                condition: next.kept_firmware(),
            });
        }
        return Err(next.interrupted("waiting for the drive after the burn", e, Burned::Partly));
    }
    progress(Progress {
        phase: Phase::WaitReady,
        done: burn_secs,
        total: burn_secs,
    });
    let revision_after = scsi::read_inquiry(t).ok().map(|i| i.revision);

    // Read back what the plan says a read can check, and compare.
    let verify = match &write.read_back {
        ReadBack::Impossible => Verification::NotVerified {
            why: "this drive has no public flash read: not verified by read-back".into(),
        },
        ReadBack::Compare(range) => {
            let range = range.start as u32..range.end as u32;
            let chunk = backup.as_ref().map(|b| b.read.chunk);
            let bytes = range.start as usize..range.end as usize;
            let mut check = ReadBackCheck::new(range.start, &write.payload[bytes], before.as_mut());
            match verify_read(
                t,
                flash,
                &range,
                chunk,
                &mut |at, piece| check.piece(at, piece),
                progress,
            ) {
                Ok(report) => match check.first_difference {
                    None => Verification::Verified(report),
                    // The drive acknowledged everything yet holds exactly what it held before.
                    Some(_) if check.equals_before == Some(true) => {
                        return Err(Error::ImageIgnored {
                            evidence: "the read-back equals the backup taken before the flash"
                                .into(),
                            condition: next.kept_firmware(),
                        })
                    }
                    Some(diff) => return Err(next.mismatch(diff, check.mismatched)),
                },
                // A drive that could not be read before the flash may refuse reads after it too.
                Err(Error::Family(family::Error::Scsi(scsi::Error::Sense(sense))))
                    if drive.identity.flash_reads != FlashReads::Served =>
                {
                    Verification::NotVerified {
                        why: format!("the drive answers but refuses flash reads ({sense})"),
                    }
                }
                Err(Error::Family(source)) => {
                    return Err(next.interrupted("read-back verify", source, Burned::Yes))
                }
                Err(other) => return Err(other),
            }
        }
    };
    let unit_data_replaced =
        replaced_windows(&layout.unit_windows, before.as_mut(), &write.payload);
    let restore_own_unit_data =
        (!unit_data_replaced.is_empty()).then(|| NextStep::RestoreUnitData {
            device: dev.name.clone(),
            kind: dev.kind,
            file: backup.as_ref().map(|b| b.path.clone()),
            from_other_drive: FromOtherDrive::Refused,
            backup_base: opts.backup_base.clone(),
            risk: opts.risk,
        });
    let deferred_signals = session.end().iter().map(|s| s.to_string()).collect();
    Ok(FlashReport {
        plan,
        backup,
        commit: match commit {
            None => "none (the download ends with its last command)".to_string(),
            Some(Ok(CommitReply::Good)) => "drive answered GOOD".to_string(),
            Some(Ok(CommitReply::Benign(s))) => format!("drive answered {s} (benign after a burn)"),
            Some(Err(e)) => {
                format!("drive answered {e} (the drive came back; the read-back judged the burn)")
            }
        },
        verify,
        unit_data_replaced,
        restore_own_unit_data,
        revision_after,
        deferred_signals,
    })
}

/// Read flash `range` back for a verify, in `chunk`-sized commands (the backup's) or, without
/// a backup, the largest the path takes, handing each piece to `compare` as it arrives: only
/// one command's bytes are held, whatever the flash size.
fn verify_read(
    t: &mut dyn scsi::Transport,
    flash: &dyn FlashAccess,
    range: &std::ops::Range<u32>,
    chunk: Option<usize>,
    compare: &mut dyn FnMut(u32, &[u8]),
    progress: &mut dyn FnMut(Progress),
) -> Result<ReadReport, Error> {
    let mut report = ReadReport::default();
    report.chunk = match chunk {
        Some(c) => c,
        None => dump::probe_chunk(t, flash, range.start, &mut report)?,
    };
    let sweep = Sweep {
        range: range.clone(),
        chunk: report.chunk,
        unreadable: Unreadable::Fail,
        phase: Phase::Verify,
        known: None,
    };
    dump::stream_region(t, flash, &sweep, &mut report, progress, compare)?;
    Ok(report)
}

/// The first byte a read-back got wrong: its flash offset, the intended byte, the byte read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Difference {
    offset: u32,
    expected: u8,
    found: u8,
}

/// A read-back compared piece by piece with what should be there, and with what the drive held
/// before the write (the backup on disk, when there is one), without holding what was read.
struct ReadBackCheck<'a> {
    /// Flash offset of `expected[0]`.
    base: u32,
    expected: &'a [u8],
    before: Option<&'a mut FlashReader>,
    first_difference: Option<Difference>,
    mismatched: usize,
    /// Whether every byte read so far equals the backup's (`None` without one, or when the
    /// backup could not be read).
    equals_before: Option<bool>,
}

impl<'a> ReadBackCheck<'a> {
    fn new(
        base: u32,
        expected: &'a [u8],
        before: Option<&'a mut FlashReader>,
    ) -> ReadBackCheck<'a> {
        let covered = |b: &FlashReader| base as usize + expected.len() <= b.flash_size();
        ReadBackCheck {
            base,
            expected,
            equals_before: before.as_deref().map(covered),
            before,
            first_difference: None,
            mismatched: 0,
        }
    }

    /// Compare `piece`, read at flash offset `at`.
    fn piece(&mut self, at: u32, piece: &[u8]) {
        let from = (at - self.base) as usize;
        let expected = &self.expected[from..from + piece.len()];
        if expected != piece {
            let mut diffs = expected
                .iter()
                .zip(piece)
                .enumerate()
                .filter(|(_, (e, f))| e != f);
            if self.first_difference.is_none() {
                if let Some((i, (&expected, &found))) = diffs.next() {
                    self.first_difference = Some(Difference {
                        offset: at + i as u32,
                        expected,
                        found,
                    });
                    self.mismatched += 1;
                }
            }
            self.mismatched += diffs.count();
        }
        if let Some(before) = self.before.as_deref_mut() {
            self.equals_before = still_same(self.equals_before, before, at, piece);
        }
    }
}

/// Whether every piece read back so far equals what the backup holds there, after `piece`
/// (read at flash offset `at`): `Some(true)` until one differs (`Some(false)`) or the backup
/// cannot be read (`None`: nothing is decided).
fn still_same(
    so_far: Option<bool>,
    before: &mut FlashReader,
    at: u32,
    piece: &[u8],
) -> Option<bool> {
    match so_far {
        Some(true) => before
            .read(at as usize..at as usize + piece.len())
            .map(|old| old == piece),
        decided => decided,
    }
}

/// The sense of an ILLEGAL REQUEST answer, if that is what `e` is.
fn illegal_request(e: &family::Error) -> Option<scsi::Sense> {
    match e {
        family::Error::Scsi(scsi::Error::Sense(s)) if s.key == scsi::SenseKey::IllegalRequest => {
            Some(s.clone())
        }
        _ => None,
    }
}

/// True when the drive still presents its boot loader (INQUIRY only).
fn still_in_boot_loader(t: &mut dyn scsi::Transport, drive: &Drive) -> bool {
    scsi::read_inquiry(t).is_ok_and(|inq| drive.family.shows_boot_loader(&inq))
}

/// After a refused image: read the flash back and compare it with the backup, to confirm the
/// drive kept the firmware it had.
fn check_kept(
    t: &mut dyn scsi::Transport,
    flash: &dyn FlashAccess,
    read_back: &ReadBack,
    before: Option<&mut FlashReader>,
) -> KeptFirmware {
    let (Some(before), ReadBack::Compare(range)) = (before, read_back) else {
        return KeptFirmware::NotChecked;
    };
    if range.end > before.flash_size() || flash.wait_ready(t, flash.layout().ready_limit).is_err() {
        return KeptFirmware::NotChecked;
    }
    let mut same = Some(true);
    let mut compare = |at: u32, piece: &[u8]| same = still_same(same, before, at, piece);
    let range = range.start as u32..range.end as u32;
    match verify_read(t, flash, &range, None, &mut compare, &mut |_| {}) {
        Ok(_) => match same {
            Some(true) => KeptFirmware::Verified,
            Some(false) => KeptFirmware::Differs,
            None => KeptFirmware::NotChecked,
        },
        Err(_) => KeptFirmware::NotChecked,
    }
}

/// Names of the unit windows where `image` differs from the flash as the backup holds it (all
/// of them without a backup).
fn replaced_windows(
    windows: &[Window],
    mut before: Option<&mut FlashReader>,
    image: &[u8],
) -> Vec<String> {
    windows
        .iter()
        .filter(|w| {
            let range = w.offset as usize..(w.offset + w.len) as usize;
            let old = before.as_deref_mut().and_then(|b| b.read(range.clone()));
            old != image.get(range)
        })
        .map(|w| w.name.clone())
        .collect()
}

/// Builds the "likely state and next command" of a failed write.
struct NextSteps {
    info_cmd: Box<NextStep>,
    flash_cmd: Box<NextStep>,
    rescue_cmd: Box<NextStep>,
    was_recovery: bool,
    after_partial_burn: &'static str,
}

impl NextSteps {
    fn new(dev: &Device<'_>, image: &Path, drive: &Drive, opts: &FlashOptions) -> NextSteps {
        let device = dev.name.clone();
        NextSteps {
            info_cmd: Box::new(NextStep::Info {
                device: device.clone(),
                kind: dev.kind,
            }),
            flash_cmd: Box::new(NextStep::Flash {
                device: device.clone(),
                kind: dev.kind,
                image: image.to_path_buf(),
                carried: opts.carried(),
            }),
            rescue_cmd: Box::new(NextStep::Rescue {
                device,
                kind: dev.kind,
                image: Some(image.to_path_buf()),
                carried: opts.carried(),
            }),
            was_recovery: drive.state == DriveState::Recovery,
            after_partial_burn: drive.family.recovery().after_partial_burn,
        }
    }

    fn condition(&self, burned: Burned) -> DriveCondition {
        match burned {
            // Before the write plan's point of no return the family's drives have not begun to
            // program (each family's plan says why, with its source), so the flash is untouched.
            Burned::No if self.was_recovery => DriveCondition {
                burned,
                state: "nothing was burned: the drive is still in its boot loader".into(),
                way_back: None,
                next: self.rescue_cmd.clone(),
            },
            Burned::No => DriveCondition {
                burned,
                state: "nothing was burned: the drive still runs its old firmware (power-cycle it \
                        if it does not answer)"
                    .into(),
                way_back: None,
                next: self.flash_cmd.clone(),
            },
            Burned::Partly => DriveCondition {
                burned,
                state: format!(
                    "the burn may have been interrupted or be partial: {}",
                    self.after_partial_burn
                ),
                way_back: None,
                next: self.rescue_cmd.clone(),
            },
            Burned::Yes => DriveCondition {
                burned,
                state: "the image was burned but could not be verified: the drive's firmware may \
                        be damaged"
                    .into(),
                way_back: None,
                next: self.rescue_cmd.clone(),
            },
        }
    }

    /// After a refused or ignored image: the drive runs what it ran before.
    fn kept_firmware(&self) -> DriveCondition {
        DriveCondition {
            burned: Burned::No,
            state: if self.was_recovery {
                "the drive kept its firmware: it is still in its boot loader".into()
            } else {
                "the drive kept its firmware: it still runs what it ran before".into()
            },
            way_back: None,
            next: if self.was_recovery {
                self.rescue_cmd.clone()
            } else {
                self.info_cmd.clone()
            },
        }
    }

    fn interrupted(&self, phase: &str, source: family::Error, burned: Burned) -> Error {
        Error::WriteInterrupted {
            phase: phase.to_string(),
            source: Box::new(source),
            condition: self.condition(burned),
        }
    }

    /// The [`Error::VerifyMismatch`] of a read-back whose first wrong byte is `diff`, with
    /// `mismatched` wrong bytes in all.
    fn mismatch(&self, diff: Difference, mismatched: usize) -> Error {
        Error::VerifyMismatch {
            offset: diff.offset,
            expected: diff.expected,
            found: diff.found,
            mismatched,
            condition: self.condition(Burned::Yes),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The backup's flash, as a bundle file would hold it: `flash` after a 512-byte header.
    fn backup_of(dir: &Path, flash: &[u8]) -> FlashReader {
        let path = dir.join("b.odbk");
        std::fs::write(&path, [&[0u8; 512][..], flash].concat()).unwrap();
        backup::FlashInBundle {
            path,
            offset: 512,
            len: flash.len(),
        }
        .open()
        .unwrap()
    }

    #[test]
    fn a_read_back_is_compared_piece_by_piece() {
        let dir = tempfile::tempdir().unwrap();
        let expected = [1u8; 8];
        let mut before = backup_of(dir.path(), &[7u8; 0x108]);
        let mut check = ReadBackCheck::new(0x100, &expected, Some(&mut before));
        check.piece(0x100, &[1, 1, 1, 1]);
        check.piece(0x104, &[1, 9, 9, 1]);
        assert_eq!(
            check.first_difference,
            Some(Difference {
                offset: 0x105,
                expected: 1,
                found: 9
            })
        );
        assert_eq!(check.mismatched, 2);
        assert_eq!(check.equals_before, Some(false));

        // Differences in later pieces are counted too; the first one stays the first.
        let mut check = ReadBackCheck::new(0, &expected, Some(&mut before));
        check.piece(0, &[7; 4]);
        check.piece(4, &[7; 4]);
        assert_eq!(check.first_difference.map(|d| d.offset), Some(0));
        assert_eq!(check.mismatched, 8);
        assert_eq!(check.equals_before, Some(true));

        let mut check = ReadBackCheck::new(0, &expected, None);
        check.piece(0, &expected);
        assert_eq!((check.first_difference, check.equals_before), (None, None));

        // A backup that does not cover the range is not what was read back.
        let mut short = backup_of(dir.path(), &[7u8; 4]);
        let check = ReadBackCheck::new(0, &expected, Some(&mut short));
        assert_eq!(check.equals_before, Some(false));
    }

    #[test]
    fn a_backup_that_cannot_be_read_back_decides_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cut.odbk");
        // The file ends before the flash its bundle said it held.
        std::fs::write(&path, [7u8; 516]).unwrap();
        let at = backup::FlashInBundle {
            path,
            offset: 512,
            len: 8,
        };
        let mut before = at.open().unwrap();
        assert_eq!(before.read(0..4), Some(&[7u8; 4][..]));
        let mut check = ReadBackCheck::new(0, &[1u8; 8], Some(&mut before));
        check.piece(0, &[7; 4]);
        assert_eq!(check.equals_before, Some(true));
        check.piece(4, &[7; 4]);
        assert_eq!(check.equals_before, None);
        assert_eq!(before.read(0..9), None, "outside the flash");
    }
}
