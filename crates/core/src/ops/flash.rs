//! The flash engine: one top-to-bottom function ([`flash`]) that knows no chip. It drives a
//! family only through [`crate::family::FlashAccess`] (prepare, chunks, commit, wait, read) in this order:
//!
//! gates -> (dry run: return the plan) -> lock + signal block + inhibitor -> mandatory durable
//! backup -> prepare -> stream chunks -> commit -> wait for the drive -> read-back verify of
//! every byte outside the protected boot region -> report.
//!
//! A refusing gate or a failed backup means zero device writes. A failure after the first
//! write returns [`Error::WriteInterrupted`] or [`Error::VerifyMismatch`] carrying the drive's
//! likely state and the exact next command; a failed chunk never reaches COMMIT.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

use crate::family::{self, CommitReply, DriveState, FlashReads, Window};
use crate::image::compat::{self, CompatVerdict};
use crate::image::layout::FLASH_SIZE;
use crate::image::mt19xx::VersionOrder as ImageOrder;
use crate::image::mt19xx::{self, Mt19xxImage, Origin, SizeVerdict, Version};
use crate::scsi;

use super::backup::{self, BackupReport};
use super::bundle::{self, DeviceRecord};
use super::drive::{Device, Drive};
use super::dump::{self, ReadReport, Sweep, Unreadable};
use super::eeprom::FromOtherDrive;
use super::error::{DriveCondition, Error, KeptFirmware};
use super::gates::{
    self, BadBridge, BannerCheck, Compat, Gate, GateInput, GateVerdict, VersionOrder, Waivers,
};
use super::next::{Carried, NextStep, Risk};
use super::session::WriteSession;
use super::{Phase, Progress};

/// Dry run or the real thing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum Execution {
    /// Compute and return the plan; send no write (default).
    #[default]
    DryRun,
    /// Write to the drive.
    Execute,
}

/// How long to wait for the drive after the burn when the caller does not say: freemkv's 45 s
/// limit (freemkv-firmware `drive/mtk.rs` `wait_ready`; docs/protocol.md §2.5).
pub const DEFAULT_READY_LIMIT: Duration = Duration::from_secs(45);

/// What the user asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlashOptions {
    /// Gate waivers (none by default).
    pub waivers: Waivers,
    /// Dry run unless [`Execution::Execute`].
    pub execution: Execution,
    /// Base directory of the mandatory backup ([`backup::DEFAULT_BASE`]).
    pub backup_base: PathBuf,
    /// Limit for the drive to come back after the burn.
    pub ready_limit: Duration,
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
            execution: Execution::DryRun,
            backup_base: PathBuf::from(backup::DEFAULT_BASE),
            ready_limit: DEFAULT_READY_LIMIT,
            risk: Risk::Unacknowledged,
        }
    }
}

/// A firmware image file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageFile {
    /// Where it was read from (named in next-step commands).
    pub path: PathBuf,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

impl ImageFile {
    /// Read an image file.
    pub fn read(path: &Path) -> Result<ImageFile, Error> {
        let bytes = super::input::read_input(path, crate::image::MAX_IMAGE_SIZE, "firmware image")?;
        Ok(ImageFile {
            path: path.to_path_buf(),
            bytes,
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
    /// No backup: the drive refuses flash reads and the user waived the backup.
    NoBackup,
    /// Enter download mode.
    Prepare,
    /// Stream the image.
    Stream {
        /// Number of chunks.
        chunks: usize,
        /// Bytes per chunk.
        chunk_size: usize,
    },
    /// Send the commit trailer.
    Commit,
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
            Step::NoBackup => f.write_str(
                "no backup: the drive refuses flash reads (waived with --without-backup); its \
                 unit data can come back from an older backup of this model afterwards",
            ),
            Step::Prepare => f.write_str("enter download mode (WRITE BUFFER mode 1)"),
            Step::Stream { chunks, chunk_size } => write!(
                f,
                "stream the image: {chunks} chunks of {} KiB (WRITE BUFFER mode 6); the drive \
                 burns when the last one arrives",
                chunk_size / 1024
            ),
            Step::Commit => f.write_str("send the commit trailer (WRITE BUFFER mode 7)"),
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
        }
    }
}

/// The flash plan: every gate's verdict, the command sequence and the point of no return.
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
    /// The write sequence, in order.
    pub steps: Vec<Step>,
    /// Where the drive stops being able to fall back to its old firmware.
    pub point_of_no_return: String,
    /// Per-unit windows the image covers: a flash writes the image's bytes there (the report
    /// says which actually changed).
    pub unit_windows_written: Vec<String>,
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
    /// Termination signals that arrived during the write (the CLI exits after reporting).
    pub deferred_signals: Vec<String>,
}

/// How the read-back after the burn went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "kebab-case")]
pub enum Verification {
    /// Every byte outside the protected boot region read back equal to the image.
    Verified(ReadReport),
    /// The drive came back but refuses flash reads: the burn could not be checked. The CLI
    /// exits with its own code, never plain success.
    NotVerified {
        /// What the drive answered.
        why: String,
    },
}

/// What [`flash`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlashOutcome {
    /// Dry run: the plan, nothing written.
    Planned(Box<Plan>),
    /// The image is on the drive and verified.
    Flashed(Box<FlashReport>),
}

/// The gates' view of `image` against `drive` (pure).
pub fn build_gate_input(image: &Mt19xxImage, drive: &Drive, layout_size: usize) -> GateInput {
    let id = &drive.identity;
    let mut input = image_only_input(image);
    input.expected_size = layout_size;
    input.drive_chip = id.chip.clone();
    input.compat = build_compat(&id.model, image.model().unwrap_or(""));
    // The family reports the whole banner window; the banner ID is its first 16 bytes, the
    // part redumper compares between drive and image (`drive/flash_mt1959.ixx`).
    let drive_banner_id = id
        .banner
        .as_deref()
        .map(|b| b.chars().take(16).collect::<String>().trim().to_string());
    let image_banner = match &input.banner {
        BannerCheck::Known { banner } => Some(banner.clone()),
        BannerCheck::Unknown { banner } => banner.clone(),
        BannerCheck::Mismatch { image, .. } => Some(image.clone()),
    };
    if let (Some(img), Some(drv)) = (image_banner, drive_banner_id) {
        if img.trim() != drv {
            input.banner = BannerCheck::Mismatch {
                image: img,
                drive: drv,
            };
        }
    }
    input.version = match (&drive.state, &image.version) {
        (DriveState::Recovery, _) => VersionOrder::Unknown {
            why: "the drive is in its boot loader".into(),
        },
        (_, None) => VersionOrder::Unknown {
            why: "the image carries no revision".into(),
        },
        (_, Some(img)) => {
            let drv = Version::parse(&id.revision);
            let (drive_v, image_v) = (drv.to_string(), img.to_string());
            match drv.compare(img) {
                ImageOrder::Older => VersionOrder::Newer {
                    drive: drive_v,
                    image: image_v,
                },
                ImageOrder::Same => VersionOrder::Same { version: image_v },
                ImageOrder::Newer => VersionOrder::Older {
                    drive: drive_v,
                    image: image_v,
                },
                ImageOrder::Incomparable => VersionOrder::Unknown {
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

/// The integrity gate's summary of the image's table.
fn integrity_summary(image: &Mt19xxImage) -> Result<String, String> {
    match &image.integrity {
        Some(r) if r.is_verified() => Ok(format!("{} integrity entries verify", r.entries.len())),
        Some(r) if r.entries.is_empty() => Err("no active integrity entry".to_string()),
        Some(r) => Err(format!(
            "{} of {} integrity entries fail",
            r.failures().count(),
            r.entries.len()
        )),
        None => Err("no integrity table".to_string()),
    }
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

/// Plan a flash without touching the device: parse the image, run every gate, list the steps.
pub fn plan_flash(drive: &Drive, image: &ImageFile, opts: &FlashOptions) -> Result<Plan, Error> {
    let flash = drive.flash_access()?;
    let layout = flash.layout();
    // A path too narrow for one chunk would fail at the first chunk, after PREPARE.
    drive.check_path_carries("image download", layout.write_chunk)?;
    let parsed =
        mt19xx::parse(&image.bytes).map_err(|e| Error::bad_file(&image.path, e.to_string()))?;
    let mut input = build_gate_input(&parsed, drive, layout.size);
    if input.drive_chip.is_none() {
        // A drive in its boot loader after an interrupted burn may have lost its descriptor;
        // its own latest backup still names its chip.
        input.drive_chip = chip_from_backup(&opts.backup_base, drive);
    }
    let verdicts = gates::evaluate(&input, &opts.waivers);
    let chunks = layout.size.div_ceil(layout.write_chunk);
    let last = (chunks - 1) * layout.write_chunk;
    let unit_windows_written = if parsed.size == SizeVerdict::Exact {
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
            chip: parsed.chip().map(|c| c.name().to_string()),
            model: parsed.descriptor.as_ref().map(|d| d.model.clone()),
            revision: parsed.descriptor.as_ref().map(|d| d.revision.clone()),
            banner: parsed.banner.as_ref().map(|b| b.id()),
        },
        gates: verdicts,
        steps: vec![
            Step::Protect,
            match drive.identity.flash_reads {
                FlashReads::Served => Step::Backup {
                    dir: backup::drive_dir(&opts.backup_base, &drive.identity),
                },
                _ => Step::NoBackup,
            },
            Step::Prepare,
            Step::Stream {
                chunks,
                chunk_size: layout.write_chunk,
            },
            Step::Commit,
            Step::WaitReady {
                limit: opts.ready_limit,
            },
            Step::Verify {
                from: layout.protected.end as u32,
                to: layout.size as u32,
            },
        ],
        point_of_no_return: format!(
            "chunk {chunks}/{chunks} at {last:#x}: the drive erases and programs its flash when \
             the last chunk arrives; before it, nothing is burned"
        ),
        unit_windows_written,
    })
}

/// The verdicts of the gates that need no drive (size, integrity, raw dump, known banner), for
/// `odflash image check IMAGE` without `--for DEV`. With a drive, use [`plan_flash`].
pub fn check_image(image: &ImageFile) -> Result<Vec<GateVerdict>, Error> {
    let parsed =
        mt19xx::parse(&image.bytes).map_err(|e| Error::bad_file(&image.path, e.to_string()))?;
    let input = image_only_input(&parsed);
    let waivers = Waivers::default();
    Ok(gates::evaluate(&input, &waivers)
        .into_iter()
        .filter(|v| {
            matches!(
                v.gate,
                Gate::Size | Gate::Integrity | Gate::NotRawDump | Gate::KnownBootBanner
            )
        })
        .collect())
}

/// The drive-independent half of [`build_gate_input`].
fn image_only_input(image: &Mt19xxImage) -> GateInput {
    let banner = image
        .banner
        .as_ref()
        .filter(|b| b.is_mt19())
        .map(|b| b.id());
    GateInput {
        expected_size: FLASH_SIZE,
        image_size: image.len,
        integrity: integrity_summary(image),
        image_chip: image.chip().map(|c| c.name().to_string()),
        drive_chip: None,
        compat: Compat::Unknown {
            image_model: image.model().unwrap_or("").to_string(),
            drive_model: String::new(),
        },
        raw_dump: (image.origin == Origin::RawDriveRead)
            .then(|| "its first page mirrors offset 0x10000, as READ BUFFER returns it".into()),
        banner: match banner {
            Some(b) if compat::known_banner(&b).is_some() => BannerCheck::Known { banner: b },
            other => BannerCheck::Unknown { banner: other },
        },
        version: VersionOrder::Unknown {
            why: "no drive".into(),
        },
        bad_bridge: None,
        flash_reads: FlashReads::Served,
    }
}

/// The chip tag in the drive's latest valid backup, when there is one.
fn chip_from_backup(base: &Path, drive: &Drive) -> Option<String> {
    let (path, bundle) = backup::find_latest_backup(base, &drive.identity).ok()?;
    let firmware = bundle.part(backup::parts::FIRMWARE)?;
    let (_, chip) = mt19xx::find_chip_tag(&firmware.bytes)?;
    log::info!("drive chip {chip} taken from its backup {}", path.display());
    Some(chip.name().to_string())
}

/// Flash `image` onto `drive`. See the module header for the sequence and its guarantees.
pub fn flash(
    dev: &mut Device<'_>,
    drive: &Drive,
    image: &ImageFile,
    opts: &FlashOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<FlashOutcome, Error> {
    // 1. Gates: any refusal returns before a single write.
    let plan = plan_flash(drive, image, opts)?;
    if let Some(refusal) = plan.refusal() {
        return Err(refusal);
    }
    // 2. Dry run ends here.
    if opts.execution == Execution::DryRun {
        return Ok(FlashOutcome::Planned(Box::new(plan)));
    }
    let flash = drive.flash_access()?;
    let layout = flash.layout();
    let next = NextSteps::new(dev, image, drive, opts);

    // 3. Protections, then the mandatory backup: failure of either means zero writes. Only a
    //    drive that refuses flash reads, with the backup waived (the backup gate), goes without.
    let session = WriteSession::begin(dev, "flashing optical drive firmware")?;
    let backup = match drive.identity.flash_reads {
        FlashReads::Served => Some(backup::backup(dev, drive, &opts.backup_base, progress)?),
        _ => None,
    };
    let before = backup.as_ref().and_then(backup_firmware);

    // 4. Prepare and stream. No COMMIT after any failure here.
    let t = dev.transport();
    flash
        .prepare(t)
        .map_err(|e| next.interrupted("prepare (entering download mode)", e, Burned::No))?;
    progress(Progress {
        phase: Phase::Prepare,
        done: 1,
        total: 1,
    });
    let chunks = layout.size.div_ceil(layout.write_chunk);
    let verify_range = layout.protected.end as u32..layout.size as u32;
    for (i, chunk) in image.bytes.chunks(layout.write_chunk).enumerate() {
        let offset = (i * layout.write_chunk) as u32;
        let last = i + 1 == chunks;
        if let Err(e) = flash.write_chunk(t, offset, chunk) {
            let phase = format!("streaming chunk {}/{chunks} at {offset:#x}", i + 1);
            // A drive that answers the burning chunk with ILLEGAL REQUEST refuses the image
            // and keeps its firmware: the anti-downgrade refusal "Write DRAM NG 05/24/00"
            // (docs/protocol.md §7.1), not a transport fault.
            return Err(match illegal_request(&e) {
                Some(sense) if last => {
                    let kept = check_kept(t, flash, &verify_range, before.as_deref(), opts);
                    Error::ImageRefused {
                        sense,
                        kept,
                        condition: next.kept_firmware(),
                    }
                }
                _ => next.interrupted(&phase, e, if last { Burned::Maybe } else { Burned::No }),
            });
        }
        progress(Progress {
            phase: Phase::Write,
            done: offset as usize + chunk.len(),
            total: layout.size,
        });
    }

    // 5. Commit, then wait for the drive to come back. A commit that fails while the burn
    //    goes on (a timeout, an error answer) does not decide anything: the drive is given its
    //    burn time, and the read-back judges the result.
    let commit = flash.commit(t);
    progress(Progress {
        phase: Phase::Commit,
        done: 1,
        total: 1,
    });
    // The burn runs now: its expected length, in seconds, for a timed display.
    progress(Progress {
        phase: Phase::WaitReady,
        done: 0,
        total: layout.burn_time.as_secs() as usize,
    });
    if let Err(e) = flash.wait_ready(t, opts.ready_limit) {
        if let Err(commit_error) = commit {
            return Err(next.interrupted("commit", commit_error, Burned::Maybe));
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
        return Err(next.interrupted("waiting for the drive after the burn", e, Burned::Maybe));
    }
    progress(Progress {
        phase: Phase::WaitReady,
        done: layout.burn_time.as_secs() as usize,
        total: layout.burn_time.as_secs() as usize,
    });

    // 6. Read back everything outside the protected boot region and compare.
    let mut report = ReadReport {
        chunk: backup.as_ref().map_or(layout.write_chunk, |b| b.read.chunk),
        ..ReadReport::default()
    };
    let sweep = Sweep {
        range: verify_range.clone(),
        chunk: report.chunk,
        unreadable: Unreadable::Fail,
        phase: Phase::Verify,
    };
    let verify = match dump::read_region(t, flash, &sweep, &mut report, progress) {
        Ok(read) => {
            let expected = &image.bytes[verify_range.start as usize..verify_range.end as usize];
            if let Some(err) = next.compare(verify_range.start, expected, &read) {
                let old = before
                    .as_deref()
                    .and_then(|b| b.get(verify_range.start as usize..verify_range.end as usize));
                // The drive acknowledged everything yet holds exactly what it held before.
                if old == Some(read.as_slice()) {
                    return Err(Error::ImageIgnored {
                        evidence: "the read-back equals the backup taken before the flash".into(),
                        condition: next.kept_firmware(),
                    });
                }
                return Err(err);
            }
            Verification::Verified(report)
        }
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
    };
    let unit_data_replaced =
        replaced_windows(&layout.unit_windows, before.as_deref(), &image.bytes);
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
    Ok(FlashOutcome::Flashed(Box::new(FlashReport {
        plan,
        backup,
        commit: match commit {
            Ok(CommitReply::Good) => "GOOD".to_string(),
            Ok(CommitReply::Benign(s)) => format!("{s} (benign after a burn)"),
            Err(e) => format!("{e} (the drive came back; the read-back judged the burn)"),
        },
        verify,
        unit_data_replaced,
        restore_own_unit_data,
        deferred_signals,
    })))
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

/// The whole flash as the backup read it, re-read from the validated bundle.
fn backup_firmware(backup: &BackupReport) -> Option<Vec<u8>> {
    let bundle = bundle::read_bundle(&backup.path).ok()?;
    Some(bundle.part(backup::parts::FIRMWARE)?.bytes.clone())
}

/// True when the drive still presents its boot loader (INQUIRY only).
fn still_in_boot_loader(t: &mut dyn scsi::Transport, drive: &Drive) -> bool {
    scsi::read_inquiry(t).is_ok_and(|inq| drive.family.shows_boot_loader(&inq))
}

/// After a refused image: read the flash back and compare it with the backup, to confirm the
/// drive kept the firmware it had.
fn check_kept(
    t: &mut dyn scsi::Transport,
    flash: &dyn family::FlashAccess,
    range: &std::ops::Range<u32>,
    before: Option<&[u8]>,
    opts: &FlashOptions,
) -> KeptFirmware {
    let Some(before) = before else {
        return KeptFirmware::NotChecked;
    };
    if flash.wait_ready(t, opts.ready_limit).is_err() {
        return KeptFirmware::NotChecked;
    }
    let mut report = ReadReport {
        chunk: flash.layout().write_chunk,
        ..ReadReport::default()
    };
    let sweep = Sweep {
        range: range.clone(),
        chunk: report.chunk,
        unreadable: Unreadable::Fail,
        phase: Phase::Verify,
    };
    match dump::read_region(t, flash, &sweep, &mut report, &mut |_| {}) {
        Ok(read) if before.get(range.start as usize..range.end as usize) == Some(&read[..]) => {
            KeptFirmware::Verified
        }
        Ok(_) => KeptFirmware::Differs,
        Err(_) => KeptFirmware::NotChecked,
    }
}

/// Names of the unit windows where `image` differs from the flash as the backup read it (all
/// of them without a backup).
fn replaced_windows(windows: &[Window], before: Option<&[u8]>, image: &[u8]) -> Vec<String> {
    windows
        .iter()
        .filter(|w| {
            let range = w.offset as usize..(w.offset + w.len) as usize;
            before.and_then(|b| b.get(range.clone())) != image.get(range)
        })
        .map(|w| w.name.clone())
        .collect()
}

/// How far a failed write got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Burned {
    /// Before the chunk that starts the burn.
    No,
    /// The burning chunk, the commit or the wait failed: the burn may be partial.
    Maybe,
    /// The burn completed; the read-back failed.
    Yes,
}

/// Builds the "likely state and next command" of a failed write.
struct NextSteps {
    info_cmd: Box<NextStep>,
    flash_cmd: Box<NextStep>,
    rescue_cmd: Box<NextStep>,
    was_recovery: bool,
}

impl NextSteps {
    fn new(dev: &Device<'_>, image: &ImageFile, drive: &Drive, opts: &FlashOptions) -> NextSteps {
        let device = dev.name.clone();
        NextSteps {
            info_cmd: Box::new(NextStep::Info {
                device: device.clone(),
                kind: dev.kind,
            }),
            flash_cmd: Box::new(NextStep::Flash {
                device: device.clone(),
                kind: dev.kind,
                image: image.path.clone(),
                carried: opts.carried(),
            }),
            rescue_cmd: Box::new(NextStep::Rescue {
                device,
                kind: dev.kind,
                image: Some(image.path.clone()),
                carried: opts.carried(),
            }),
            was_recovery: drive.state == DriveState::Recovery,
        }
    }

    fn condition(&self, burned: Burned) -> DriveCondition {
        match burned {
            // ASSUMPTION: MT19xx drives stage chunks in RAM and program only when the last one
            // arrives (docs/protocol.md §2.4, §7.5), so a failure before it leaves the flash
            // untouched.
            Burned::No if self.was_recovery => DriveCondition {
                state: "nothing was burned: the drive is still in its boot loader".into(),
                way_back: None,
                next: self.rescue_cmd.clone(),
            },
            Burned::No => DriveCondition {
                state: "nothing was burned: the drive still runs its old firmware (power-cycle it \
                        if it does not answer)"
                    .into(),
                way_back: None,
                next: self.flash_cmd.clone(),
            },
            Burned::Maybe => DriveCondition {
                state: "the burn may have been interrupted or be partial: the drive will likely \
                        come up in its boot loader"
                    .into(),
                way_back: None,
                next: self.rescue_cmd.clone(),
            },
            Burned::Yes => DriveCondition {
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
            source,
            condition: self.condition(burned),
        }
    }

    /// A [`Error::VerifyMismatch`] when `found` differs from `expected` (both starting at
    /// flash offset `base`).
    fn compare(&self, base: u32, expected: &[u8], found: &[u8]) -> Option<Error> {
        let mut diffs = expected
            .iter()
            .zip(found)
            .enumerate()
            .filter(|(_, (a, b))| a != b);
        let (first, (&e, &f)) = diffs.next()?;
        Some(Error::VerifyMismatch {
            offset: base + first as u32,
            expected: e,
            found: f,
            mismatched: 1 + diffs.count(),
            condition: self.condition(Burned::Yes),
        })
    }
}
