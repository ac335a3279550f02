//! Safety gates: pure functions from (image, drive) facts to one verdict per [`Gate`]. Nothing
//! here reads a file or talks to a device; [`GateInput`] is filled from the parsed image and the
//! identified drive by the caller, and the flash engine refuses to write when any verdict is
//! [`Verdict::Refused`].
//!
//! Each waiver is its own enum tied to exactly one gate; there is no umbrella "force". The chip
//! family, size, integrity and raw-dump gates have no waiver at all.

use std::fmt;

use serde::Serialize;

use crate::family::FlashReads;

/// One safety gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Gate {
    /// The image is exactly the family's flash size.
    Size,
    /// The image's integrity table (checksums/CMAC) verifies.
    Integrity,
    /// The image's chip family matches the drive's. Never overridable.
    ChipFamily,
    /// The image is for this model or its compatibility group ([`Crossflash`]).
    Model,
    /// The image is not a raw read-back of a drive (mirrored boot page).
    NotRawDump,
    /// The image's boot banner is one odflash knows ([`UnknownBanner`]) and the same
    /// generation as the drive's.
    KnownBootBanner,
    /// The image is newer than the drive's firmware ([`Reinstall`], [`Downgrade`]).
    Version,
    /// The drive is not behind a USB bridge known to break flashing ([`Bridge`]).
    KnownBadBridge,
    /// The drive serves the reads the mandatory backup and the verify need
    /// ([`BackupWaiver`], only where the boot loader refuses them).
    Backup,
}

impl Gate {
    /// Every gate, in evaluation order.
    pub const ALL: [Gate; 9] = [
        Gate::Size,
        Gate::Integrity,
        Gate::ChipFamily,
        Gate::Model,
        Gate::NotRawDump,
        Gate::KnownBootBanner,
        Gate::Version,
        Gate::KnownBadBridge,
        Gate::Backup,
    ];
}

impl fmt::Display for Gate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Gate::Size => "size",
            Gate::Integrity => "integrity",
            Gate::ChipFamily => "chip family",
            Gate::Model => "model",
            Gate::NotRawDump => "not-a-raw-dump",
            Gate::KnownBootBanner => "boot banner",
            Gate::Version => "version",
            Gate::KnownBadBridge => "USB bridge",
            Gate::Backup => "backup",
        })
    }
}

/// Waiver for the [`Gate::Model`] gate: flash an image made for another model or group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum Crossflash {
    /// Refuse images for another model/group (default).
    #[default]
    Refused,
    /// Allow it (`--crossflash`); the verdict names both groups.
    Allowed,
}

/// Waiver for the [`Gate::Version`] gate when the image has the drive's own version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum Reinstall {
    /// Refuse (default).
    #[default]
    Refused,
    /// Allow (`--allow-reinstall`).
    Allowed,
}

/// Waiver for the [`Gate::Version`] gate when the image is older than the drive's firmware.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum Downgrade {
    /// Refuse (default).
    #[default]
    Refused,
    /// Allow (`--allow-older`).
    Allowed,
}

/// Waiver for the [`Gate::KnownBadBridge`] gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum Bridge {
    /// Refuse to flash through a known-bad bridge (default).
    #[default]
    Refused,
    /// Flash anyway (`--allow-bridge`).
    Allowed,
}

/// Waiver for the [`Gate::KnownBootBanner`] gate when the image's banner is merely unknown (a
/// banner that differs from the drive's is never waived).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum UnknownBanner {
    /// Refuse images with a banner odflash does not know (default).
    #[default]
    Refused,
    /// Allow (`--allow-unknown-banner`).
    Allowed,
}

/// Waiver for the [`Gate::Backup`] gate: flash a drive whose boot loader refuses flash reads,
/// so nothing can be backed up first. It waives nothing where a read works.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum BackupWaiver {
    /// A durable backup is required before any write (default).
    #[default]
    Required,
    /// Flash without one where the drive cannot be read (`--without-backup`).
    Waived,
}

/// Every waiver the user gave; the default waives nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Waivers {
    /// [`Gate::Model`].
    pub crossflash: Crossflash,
    /// [`Gate::Version`], same version.
    pub reinstall: Reinstall,
    /// [`Gate::Version`], older version.
    pub downgrade: Downgrade,
    /// [`Gate::KnownBadBridge`].
    pub bridge: Bridge,
    /// [`Gate::KnownBootBanner`], unknown banner.
    pub unknown_banner: UnknownBanner,
    /// [`Gate::Backup`], a drive that cannot be read.
    pub backup: BackupWaiver,
}

/// How the image's model relates to the drive's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "relation", rename_all = "kebab-case")]
pub enum Compat {
    /// Same model.
    SameModel {
        /// The model.
        model: String,
    },
    /// Different models in one compatibility group.
    SameGroup {
        /// The group's name.
        group: String,
    },
    /// Different groups.
    OtherGroup {
        /// The image's group.
        image_group: String,
        /// The drive's group.
        drive_group: String,
        /// Why the groups are incompatible (from the group table).
        reason: String,
    },
    /// Different models and at least one is in no known group.
    Unknown {
        /// The image's model.
        image_model: String,
        /// The drive's model.
        drive_model: String,
    },
}

/// The image's boot banner against the known list and the drive's banner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "check", rename_all = "kebab-case")]
pub enum BannerCheck {
    /// Known, and the drive's (when readable) is the same generation.
    Known {
        /// The banner.
        banner: String,
    },
    /// Not in the known list (or unreadable).
    Unknown {
        /// The banner, when it decodes as text.
        banner: Option<String>,
    },
    /// The image's banner differs from the drive's: different boot loader generation.
    Mismatch {
        /// The image's banner.
        image: String,
        /// The drive's banner.
        drive: String,
    },
}

/// The image's version against the drive's running firmware.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "order", rename_all = "kebab-case")]
pub enum VersionOrder {
    /// The image is newer.
    Newer {
        /// Drive's version.
        drive: String,
        /// Image's version.
        image: String,
    },
    /// Same version.
    Same {
        /// The version.
        version: String,
    },
    /// The image is older.
    Older {
        /// Drive's version.
        drive: String,
        /// Image's version.
        image: String,
    },
    /// Not comparable (drive in recovery, or a version that does not parse).
    Unknown {
        /// Why.
        why: String,
    },
}

/// A USB bridge known to break flashing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BadBridge {
    /// "13fd:3609".
    pub usb_id: String,
    /// "INIC-3609".
    pub name: String,
    /// What goes wrong with it.
    pub why: String,
}

/// Everything the gates look at, precomputed from the image and the drive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GateInput {
    /// The family's flash size.
    pub expected_size: usize,
    /// The image's size.
    pub image_size: usize,
    /// Why the family cannot cut the image into its download commands, in its own words
    /// ("this is a 256 KiB MT1339 DVD-ROM image; ..."), when it cannot.
    pub uncuttable: Option<String>,
    /// `Ok(summary)` when the image's integrity check verifies, `Err(what failed)` otherwise;
    /// `None` when its format carries none (the gate does not apply).
    pub integrity: Option<Result<String, String>>,
    /// The image's chip tag ("MT1959"), when found.
    pub image_chip: Option<String>,
    /// The drive's chip tag, when readable.
    pub drive_chip: Option<String>,
    /// Model / group relation.
    /// `None` when the image's format names no model (the gate does not apply).
    pub compat: Option<Compat>,
    /// `Some(why)` when the image looks like a raw read-back of a drive.
    pub raw_dump: Option<String>,
    /// Boot banner check; `None` when the format has no boot banner (the gate does not apply).
    pub banner: Option<BannerCheck>,
    /// Version order.
    pub version: VersionOrder,
    /// The bridge the drive sits behind, when it is a known-bad one.
    pub bad_bridge: Option<BadBridge>,
    /// Whether the drive serves flash reads (backup and verify).
    pub flash_reads: FlashReads,
}

/// A gate's verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "verdict", rename_all = "kebab-case")]
pub enum Verdict {
    /// The gate passes.
    Pass {
        /// What was checked.
        detail: String,
    },
    /// The gate would refuse, but the user's waiver lifts it.
    Waived {
        /// What the gate found.
        detail: String,
        /// The flag that waived it.
        waiver: &'static str,
    },
    /// The gate refuses.
    Refused {
        /// Why.
        reason: String,
        /// The flag that would waive it; `None` when the gate cannot be waived.
        waiver: Option<&'static str>,
    },
}

impl Verdict {
    /// True for [`Verdict::Refused`].
    pub fn is_refused(&self) -> bool {
        matches!(self, Verdict::Refused { .. })
    }
}

/// One gate with its verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GateVerdict {
    /// The gate.
    pub gate: Gate,
    /// Its verdict.
    #[serde(flatten)]
    pub verdict: Verdict,
}

pub(super) fn pass(detail: impl Into<String>) -> Verdict {
    Verdict::Pass {
        detail: detail.into(),
    }
}

pub(super) fn refuse(reason: impl Into<String>) -> Verdict {
    Verdict::Refused {
        reason: reason.into(),
        waiver: None,
    }
}

/// Refuse unless `allowed`, in which case the verdict is waived by `flag`.
fn waivable(allowed: bool, flag: &'static str, detail: String) -> Verdict {
    if allowed {
        Verdict::Waived {
            detail,
            waiver: flag,
        }
    } else {
        Verdict::Refused {
            reason: detail,
            waiver: Some(flag),
        }
    }
}

/// [`Gate::Size`].
pub fn check_size(input: &GateInput) -> Verdict {
    if let Some(why) = &input.uncuttable {
        refuse(why.clone())
    } else if input.image_size == input.expected_size {
        pass(format!("{} bytes", input.image_size))
    } else {
        refuse(format!(
            "the image is {} bytes; this drive's flash is {} bytes",
            input.image_size, input.expected_size
        ))
    }
}

/// [`Gate::Integrity`], when the format carries an integrity check.
pub fn check_integrity(input: &GateInput) -> Option<Verdict> {
    Some(match input.integrity.as_ref()? {
        Ok(summary) => pass(summary.clone()),
        Err(why) => refuse(format!(
            "the image's integrity table does not verify: {why}"
        )),
    })
}

/// [`Gate::ChipFamily`]: never overridable.
pub fn check_chip_family(input: &GateInput) -> Verdict {
    match (&input.image_chip, &input.drive_chip) {
        (Some(image), Some(drive)) if image == drive => {
            pass(format!("{image} image, {drive} drive"))
        }
        (Some(image), Some(drive)) => {
            refuse(format!("the image is for {image} but the drive is {drive}"))
        }
        (None, _) => refuse("the image carries no chip tag"),
        // A boot loader that refuses reads hides the chip tag, but keeps the drive's INQUIRY
        // model: firmware made for that same model carries that model's chip.
        (Some(image), None) => match &input.compat {
            Some(Compat::SameModel { model }) => pass(format!(
                "{image} image made for this model ({model}); the drive's own chip tag is \
                 unreadable"
            )),
            _ => refuse(format!(
                "the drive's chip could not be read, so the {image} image cannot be matched to it"
            )),
        },
    }
}

/// [`Gate::Model`]: overridable with [`Crossflash::Allowed`].
pub fn check_model(input: &GateInput, crossflash: Crossflash) -> Option<Verdict> {
    Some(check_compat(input.compat.as_ref()?, crossflash))
}

/// [`Gate::Model`] on a compat verdict alone (also used for images odflash checks but cannot
/// flash).
pub fn check_compat(compat: &Compat, crossflash: Crossflash) -> Verdict {
    let allowed = crossflash == Crossflash::Allowed;
    match compat {
        Compat::SameModel { model } => pass(format!("image made for this model ({model})")),
        Compat::SameGroup { group } => pass(format!("same compatibility group ({group})")),
        // The compat table's reason names both groups and its source.
        Compat::OtherGroup { reason, .. } => waivable(allowed, "--crossflash", reason.clone()),
        Compat::Unknown {
            image_model,
            drive_model,
        } => waivable(
            allowed,
            "--crossflash",
            format!(
                "the image is for {image_model} but the drive is a {drive_model}, and no known group holds both"
            ),
        ),
    }
}

/// [`Gate::NotRawDump`]: a raw read-back is never flashable.
pub fn check_not_raw_dump(input: &GateInput) -> Verdict {
    match &input.raw_dump {
        None => pass("not a raw drive read-back"),
        Some(why) => refuse(format!(
            "this is a raw read-back of a drive, not a firmware image: {why}"
        )),
    }
}

/// [`Gate::KnownBootBanner`]: an unknown banner is waivable with
/// [`UnknownBanner::Allowed`]; a banner differing from the drive's never is.
pub fn check_banner(input: &GateInput, waiver: UnknownBanner) -> Option<Verdict> {
    Some(match input.banner.as_ref()? {
        BannerCheck::Known { banner } => pass(format!("known boot banner \"{banner}\"")),
        BannerCheck::Unknown { banner } => waivable(
            waiver == UnknownBanner::Allowed,
            "--allow-unknown-banner",
            match banner {
                Some(b) => format!("boot banner \"{b}\" is not one odflash knows"),
                None => "the image has no readable boot banner".to_string(),
            },
        ),
        BannerCheck::Mismatch { image, drive } => refuse(format!(
            "the image's boot banner \"{image}\" differs from the drive's \"{drive}\": another boot loader generation"
        )),
        })
}

/// [`Gate::Version`]: same needs [`Reinstall::Allowed`], older needs [`Downgrade::Allowed`].
pub fn check_version(input: &GateInput, reinstall: Reinstall, downgrade: Downgrade) -> Verdict {
    match &input.version {
        VersionOrder::Newer { drive, image } => pass(format!("upgrade {drive} -> {image}")),
        VersionOrder::Same { version } => waivable(
            reinstall == Reinstall::Allowed,
            "--allow-reinstall",
            format!("the drive already runs {version}"),
        ),
        VersionOrder::Older { drive, image } => waivable(
            downgrade == Downgrade::Allowed,
            "--allow-older",
            format!("downgrade {drive} -> {image}"),
        ),
        VersionOrder::Unknown { why } => pass(format!("versions not compared: {why}")),
    }
}

/// [`Gate::KnownBadBridge`]: a warning that needs [`Bridge::Allowed`] to continue.
pub fn check_bridge(input: &GateInput, bridge: Bridge) -> Verdict {
    match &input.bad_bridge {
        None => pass("no known-bad USB bridge"),
        Some(b) => waivable(
            bridge == Bridge::Allowed,
            "--allow-bridge",
            format!(
                "the drive sits behind {} ({}), known to break flashing: {}",
                b.name, b.usb_id, b.why
            ),
        ),
    }
}

/// Run every gate that applies to the image's format, in [`Gate::ALL`] order.
pub fn evaluate(input: &GateInput, waivers: &Waivers) -> Vec<GateVerdict> {
    Gate::ALL
        .into_iter()
        .filter_map(|gate| {
            let verdict = match gate {
                Gate::Size => check_size(input),
                Gate::Integrity => check_integrity(input)?,
                Gate::ChipFamily => check_chip_family(input),
                Gate::Model => check_model(input, waivers.crossflash)?,
                Gate::NotRawDump => check_not_raw_dump(input),
                Gate::KnownBootBanner => check_banner(input, waivers.unknown_banner)?,
                Gate::Version => check_version(input, waivers.reinstall, waivers.downgrade),
                Gate::KnownBadBridge => check_bridge(input, waivers.bridge),
                Gate::Backup => check_backup(input, waivers.backup),
            };
            Some(GateVerdict { gate, verdict })
        })
        .collect()
}

/// [`Gate::Backup`]: no write before a durable backup, unless the drive cannot be read at all
/// and the user waived exactly that.
pub fn check_backup(input: &GateInput, waiver: BackupWaiver) -> Verdict {
    match input.flash_reads {
        FlashReads::Served => pass("the drive serves flash reads: a full backup is taken first"),
        FlashReads::RefusedByBootLoader => waivable(
            waiver == BackupWaiver::Waived,
            "--without-backup",
            "the boot loader refuses flash reads, so nothing can be backed up first, and the \
             burn can be verified only if the new firmware answers reads"
                .to_string(),
        ),
        FlashReads::BlockedByFirmware => refuse(
            "firmware blocks flash reads: nothing can be backed up or verified, so odflash \
             will not flash this drive",
        ),
        FlashReads::NotPublic => waivable(
            waiver == BackupWaiver::Waived,
            "--without-backup",
            "no flash read of this drive is public: there is no backup before the flash and no \
             read-back verify after it, only the drive's answer and revision after its reboot"
                .to_string(),
        ),
    }
}

/// The first refusal among `verdicts`, as the error the engine returns.
pub fn first_refusal(verdicts: &[GateVerdict]) -> Option<super::Error> {
    verdicts.iter().find_map(|v| match &v.verdict {
        Verdict::Refused { reason, waiver } => Some(super::Error::GateRefused {
            gate: v.gate,
            reason: match waiver {
                Some(flag) => format!("{reason} (pass {flag} to proceed anyway)"),
                None => reason.clone(),
            },
        }),
        _ => None,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn passing() -> GateInput {
        GateInput {
            expected_size: 0x20_0000,
            image_size: 0x20_0000,
            uncuttable: None,
            integrity: Some(Ok("3 entries verify".into())),
            image_chip: Some("MT1959".into()),
            drive_chip: Some("MT1959".into()),
            compat: Some(Compat::SameModel {
                model: "BD-RE BU40N".into(),
            }),
            raw_dump: None,
            banner: Some(BannerCheck::Known {
                banner: "MT1959 Boot BU5".into(),
            }),
            version: VersionOrder::Newer {
                drive: "1.00".into(),
                image: "1.03".into(),
            },
            bad_bridge: None,
            flash_reads: FlashReads::Served,
        }
    }

    fn verdict(input: &GateInput, waivers: &Waivers, gate: Gate) -> Verdict {
        evaluate(input, waivers)
            .into_iter()
            .find(|v| v.gate == gate)
            .unwrap()
            .verdict
    }

    #[test]
    fn all_pass() {
        let v = evaluate(&passing(), &Waivers::default());
        assert_eq!(v.len(), Gate::ALL.len());
        assert!(v.iter().all(|g| matches!(g.verdict, Verdict::Pass { .. })));
        assert!(first_refusal(&v).is_none());
    }

    #[test]
    fn chip_family_is_never_waived() {
        let mut input = passing();
        input.drive_chip = Some("MT1939".into());
        let all = Waivers {
            crossflash: Crossflash::Allowed,
            reinstall: Reinstall::Allowed,
            downgrade: Downgrade::Allowed,
            bridge: Bridge::Allowed,
            unknown_banner: UnknownBanner::Allowed,
            backup: BackupWaiver::Waived,
        };
        assert!(matches!(
            verdict(&input, &all, Gate::ChipFamily),
            Verdict::Refused { waiver: None, .. }
        ));
        let err = first_refusal(&evaluate(&input, &all)).unwrap();
        assert!(matches!(
            err,
            super::super::Error::GateRefused {
                gate: Gate::ChipFamily,
                ..
            }
        ));
    }

    #[test]
    fn crossflash_names_both_groups() {
        let mut input = passing();
        input.compat = Some(Compat::OtherGroup {
            image_group: "DRU-720A".into(),
            drive_group: "DRU-710A".into(),
            // compat::check words its reason with both groups and the source.
            reason: "the image is for the DRU-720A group; this drive is in the DRU-710A group"
                .into(),
        });
        match verdict(&input, &Waivers::default(), Gate::Model) {
            Verdict::Refused { reason, waiver } => {
                assert!(reason.contains("DRU-720A") && reason.contains("DRU-710A"));
                assert_eq!(waiver, Some("--crossflash"));
            }
            other => panic!("{other:?}"),
        }
        let w = Waivers {
            crossflash: Crossflash::Allowed,
            ..Waivers::default()
        };
        match verdict(&input, &w, Gate::Model) {
            Verdict::Waived { detail, .. } => {
                assert!(detail.contains("DRU-720A") && detail.contains("DRU-710A"))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn each_version_waiver_lifts_only_its_case() {
        let mut input = passing();
        input.version = VersionOrder::Same {
            version: "1.00".into(),
        };
        let downgrade_only = Waivers {
            downgrade: Downgrade::Allowed,
            ..Waivers::default()
        };
        assert!(verdict(&input, &downgrade_only, Gate::Version).is_refused());
        let reinstall_only = Waivers {
            reinstall: Reinstall::Allowed,
            ..Waivers::default()
        };
        assert!(!verdict(&input, &reinstall_only, Gate::Version).is_refused());
        input.version = VersionOrder::Older {
            drive: "1.03".into(),
            image: "1.00".into(),
        };
        assert!(verdict(&input, &reinstall_only, Gate::Version).is_refused());
        assert!(!verdict(&input, &downgrade_only, Gate::Version).is_refused());
    }

    #[test]
    fn backup_gate_waives_only_a_drive_that_cannot_be_read() {
        let mut input = passing();
        let waived = Waivers {
            backup: BackupWaiver::Waived,
            ..Waivers::default()
        };
        assert!(matches!(
            check_backup(&input, waived.backup),
            Verdict::Pass { .. }
        ));
        input.flash_reads = FlashReads::RefusedByBootLoader;
        assert!(matches!(
            check_backup(&input, BackupWaiver::Required),
            Verdict::Refused {
                waiver: Some("--without-backup"),
                ..
            }
        ));
        assert!(matches!(
            check_backup(&input, waived.backup),
            Verdict::Waived { .. }
        ));
        input.flash_reads = FlashReads::BlockedByFirmware;
        assert!(matches!(
            check_backup(&input, waived.backup),
            Verdict::Refused { waiver: None, .. }
        ));
    }

    #[test]
    fn unreadable_drive_chip_passes_only_for_the_same_model() {
        let mut input = passing();
        input.drive_chip = None;
        input.compat = Some(Compat::SameModel {
            model: "BD-RE BU40N".into(),
        });
        assert!(!check_chip_family(&input).is_refused());
        input.compat = Some(Compat::SameGroup {
            group: "slim".into(),
        });
        assert!(check_chip_family(&input).is_refused());
    }

    #[test]
    fn unwaivable_gates() {
        let all = Waivers {
            crossflash: Crossflash::Allowed,
            reinstall: Reinstall::Allowed,
            downgrade: Downgrade::Allowed,
            bridge: Bridge::Allowed,
            unknown_banner: UnknownBanner::Allowed,
            backup: BackupWaiver::Waived,
        };
        let mut size = passing();
        size.image_size = 0x10_0000;
        assert!(verdict(&size, &all, Gate::Size).is_refused());
        let mut integrity = passing();
        integrity.integrity = Some(Err("entry 2 digest differs".into()));
        assert!(verdict(&integrity, &all, Gate::Integrity).is_refused());
        let mut raw = passing();
        raw.raw_dump = Some("page 0 mirrors 0x10000".into());
        assert!(verdict(&raw, &all, Gate::NotRawDump).is_refused());
        let mut banner = passing();
        banner.banner = Some(BannerCheck::Mismatch {
            image: "MT1959 Boot JB8".into(),
            drive: "MT1959 Boot BU5".into(),
        });
        assert!(verdict(&banner, &all, Gate::KnownBootBanner).is_refused());
    }

    #[test]
    fn bridge_warning_needs_its_waiver() {
        let mut input = passing();
        input.bad_bridge = Some(BadBridge {
            usb_id: "13fd:3609".into(),
            name: "INIC-3609".into(),
            why: "drops long transfers".into(),
        });
        assert!(verdict(&input, &Waivers::default(), Gate::KnownBadBridge).is_refused());
        let w = Waivers {
            bridge: Bridge::Allowed,
            ..Waivers::default()
        };
        assert!(matches!(
            verdict(&input, &w, Gate::KnownBadBridge),
            Verdict::Waived {
                waiver: "--allow-bridge",
                ..
            }
        ));
    }
}
