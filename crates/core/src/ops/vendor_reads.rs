//! Experimental reads: a drive's EEPROM and a per-bank view of its firmware, through the read
//! commands its family's public record names but nobody has confirmed on hardware
//! ([`VendorReads`]). Three workflows use them: an EEPROM dump ([`dump_eeprom`]), a firmware
//! view dump ([`dump_firmware_view`]) and an experimental bundle ([`backup`]); `info` reads the
//! EEPROM for the compatibility-group hint ([`look_at_eeprom`]).
//!
//! Nothing is sent unless the user asked ([`ExperimentalReads::Asked`]): [`offered`] refuses
//! first, naming the option. Every command of a run goes through a `scsi` guard of
//! [`Policy::VendorReads`] holding the family's own list, so the family's code reaches the drive
//! with those reads and the identification commands only, whatever it asks. A read the drive
//! refuses gets one challenge read and one retry, when the family says the refusal may ask for
//! it.
//!
//! All data is read, and checked for what cannot be real data, before a file is written; files
//! are written atomically (`atomic`: a raw file and its `FILE.manifest.json`, or one bundle), so a
//! failed read leaves no file and partial data is never presented as a backup. It knows no CDB
//! bytes and names no family.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::family::{self, Family, FirmwareView, Identity, UnitHint, VendorReads};
use crate::scsi::guard::{Guard, Policy};
use crate::scsi::inquiry::PERIPHERAL_TYPE_MMC;
use crate::scsi::Transport;

use super::atomic::{self, Mode};
use super::backup;
use super::bundle::{self, DeviceRecord, Kind, Manifest, Part};
use super::drive::{Device, Drive};
use super::dump::manifest_path;
use super::error::Error;
use super::{Phase, Progress};

/// Whether the user asked for a family's experimental reads (`--experimental-reads`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExperimentalReads {
    /// Not asked: a family that has only experimental reads is refused before anything is
    /// sent (default).
    #[default]
    NotAsked,
    /// Asked: they may be sent.
    Asked,
}

/// Part names inside an experimental bundle (beside the identification parts of
/// [`backup::parts`]).
pub mod parts {
    /// The EEPROM as read.
    pub const EEPROM: &str = "eeprom.bin";
    /// The firmware view as read (never a flashable image).
    pub const FIRMWARE_VIEW: &str = "firmware-view.bin";
}

/// The experimental reads of the drive `identity` names, when `family` has them and no flash
/// reads of its own. Sends nothing.
pub fn of(family: &dyn Family, identity: &Identity) -> Option<&'static dyn VendorReads> {
    match family.flash(identity) {
        Some(_) => None,
        None => family.vendor_reads(identity),
    }
}

/// The experimental reads to use for `drive`: `None` when its family has flash reads of its own
/// (they serve) or no experimental ones (the caller's ordinary path then says what it cannot
/// do); [`Error::ExperimentalReadsNotAsked`] when the family has only experimental reads and
/// `asked` is [`ExperimentalReads::NotAsked`]. Sends nothing.
pub fn offered(
    drive: &Drive,
    asked: ExperimentalReads,
) -> Result<Option<&'static dyn VendorReads>, Error> {
    match (of(drive.family, &drive.identity), asked) {
        (None, _) => Ok(None),
        (Some(reads), ExperimentalReads::Asked) => Ok(Some(reads)),
        (Some(_), ExperimentalReads::NotAsked) => Err(Error::ExperimentalReadsNotAsked {
            family: drive.family_id(),
            why: drive
                .family
                .identify_only_reason()
                .unwrap_or("its write commands are not public"),
        }),
    }
}

/// How many times one command was sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandCount {
    /// The command, as the family names it.
    pub command: String,
    /// How many times it was sent.
    pub count: usize,
}

/// What a firmware view is, as recorded next to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewRecord {
    /// Banks read.
    pub banks: u32,
    /// Bytes per bank.
    pub bank_len: u32,
    /// Always true: the view is what the drive's CPU sees, not the raw flash.
    pub logical_view: bool,
    /// Always false: never flash it.
    pub flashable: bool,
    /// What the view is and is not, from the family.
    pub note: String,
    /// What every bank was checked for.
    pub check: String,
    /// Banks that fail that check (empty: all pass).
    pub banks_failing_check: Vec<usize>,
}

/// How an experimental read was done, as its manifest records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadRecord {
    /// Always false: the commands are not confirmed on any drive.
    pub confirmed_on_hardware: bool,
    /// Where the commands come from.
    pub source: String,
    /// Every command sent, with counts (identification aside).
    pub commands: Vec<CommandCount>,
    /// The firmware view, when one was read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub firmware_view: Option<ViewRecord>,
    /// What the EEPROM says about which firmware fits the unit, when it was read and names a
    /// known model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<UnitHint>,
}

/// What a raw experimental dump holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DumpKind {
    /// The EEPROM.
    Eeprom,
    /// The firmware view.
    FirmwareView,
}

/// The sidecar written next to a raw experimental dump (`FILE.manifest.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DumpManifest {
    /// What the file holds.
    pub kind: DumpKind,
    /// Always true.
    pub experimental: bool,
    /// Always false: odflash never flashes or writes this file back.
    pub flashable: bool,
    /// What the file is not, in words.
    pub warning: String,
    /// "odflash VERSION".
    pub tool: String,
    /// UTC time of the read.
    pub created: String,
    /// The drive.
    pub device: DeviceRecord,
    /// File size.
    pub size: u64,
    /// Lowercase hex sha256 of the file.
    pub sha256: String,
    /// How it was read.
    pub read: ReadRecord,
}

/// What [`dump_eeprom`] or [`dump_firmware_view`] wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VendorDump {
    /// The file.
    pub path: PathBuf,
    /// Its sidecar manifest.
    pub manifest_path: PathBuf,
    /// What the sidecar says.
    pub manifest: DumpManifest,
}

/// What [`backup`] wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VendorBackup {
    /// The bundle file.
    pub path: PathBuf,
    /// Its manifest as read back from disk (kind `experimental`).
    pub manifest: Manifest,
}

/// What [`look_at_eeprom`] learned (nothing is written).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EepromLook {
    /// Bytes read.
    pub len: usize,
    /// Lowercase hex sha256 of them.
    pub sha256: String,
    /// How they were read.
    pub read: ReadRecord,
}

/// Where [`backup`] puts its bundle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BundleAt<'a> {
    /// A new file in the drive's directory under this base, as [`backup::backup`] does.
    DriveDir(&'a Path),
    /// Exactly this file.
    File(&'a Path),
}

/// Whether the challenge was read in this run (it is read at most once).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Challenge {
    NotSent,
    Sent,
}

/// One read of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Eeprom { offset: u32 },
    Firmware { bank: u32, offset: u32 },
}

/// Commands sent in a run, by kind.
#[derive(Debug, Clone, Copy, Default)]
struct Counts {
    eeprom: usize,
    firmware: usize,
    challenge: usize,
}

/// A run of experimental reads on one drive: the guard every command passes, the challenge
/// state and the command counts.
struct Session<'t> {
    t: Guard<&'t mut dyn Transport>,
    reads: &'static dyn VendorReads,
    challenge: Challenge,
    counts: Counts,
}

impl<'t> Session<'t> {
    /// A run on `t`, a drive identification found to be an MMC device.
    fn new(t: &'t mut dyn Transport, reads: &'static dyn VendorReads) -> Session<'t> {
        Session {
            t: Guard::with_peripheral_type(
                t,
                Policy::VendorReads(reads.allowed()),
                PERIPHERAL_TYPE_MMC,
            ),
            reads,
            challenge: Challenge::NotSent,
            counts: Counts::default(),
        }
    }

    /// The read in words, for errors.
    fn describe(&self, target: Target) -> String {
        let commands = self.reads.commands();
        match target {
            Target::Eeprom { offset } => format!("{} at {offset:#06x}", commands.eeprom),
            Target::Firmware { bank, offset } => {
                format!("{} of bank {bank} at {offset:#06x}", commands.firmware)
            }
        }
    }

    fn send(&mut self, target: Target, buf: &mut [u8]) -> Result<(), family::Error> {
        match target {
            Target::Eeprom { offset } => {
                self.counts.eeprom += 1;
                self.reads.read_eeprom(&mut self.t, offset, buf)
            }
            Target::Firmware { bank, offset } => {
                self.counts.firmware += 1;
                self.reads.read_firmware(&mut self.t, bank, offset, buf)
            }
        }
    }

    /// One read; a refusal the family says may ask for the challenge gets the challenge read
    /// (once per run) and one retry.
    fn read(&mut self, target: Target, buf: &mut [u8]) -> Result<(), Error> {
        let failed = |what: String, e: family::Error| Error::ExperimentalRead {
            what,
            source: Box::new(e),
        };
        let refusal = match self.send(target, buf) {
            Ok(()) => return Ok(()),
            Err(e) if self.challenge == Challenge::NotSent && self.reads.wants_challenge(&e) => e,
            Err(e) => return Err(failed(self.describe(target), e)),
        };
        log::info!(
            "{} refused ({refusal}): reading the challenge, then once more",
            self.describe(target)
        );
        self.challenge = Challenge::Sent;
        self.counts.challenge += 1;
        if let Err(e) = self.reads.read_challenge(&mut self.t) {
            let what = format!(
                "{} (sent because {} was refused: {refusal})",
                self.reads.commands().challenge,
                self.describe(target)
            );
            return Err(failed(what, e));
        }
        self.send(target, buf).map_err(|e| {
            failed(
                format!("{}, after the challenge read", self.describe(target)),
                e,
            )
        })
    }

    /// The whole EEPROM of the drive `identity` names, checked for what cannot be real data.
    fn eeprom(
        &mut self,
        identity: &Identity,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<Vec<u8>, Error> {
        let piece = self.reads.piece_len();
        let mut bytes = vec![0u8; self.reads.eeprom_len(identity)];
        let total = bytes.len();
        for (i, chunk) in bytes.chunks_mut(piece).enumerate() {
            let offset = (i * piece) as u32;
            self.read(Target::Eeprom { offset }, chunk)?;
            progress(Progress {
                phase: Phase::Read,
                done: (offset as usize + chunk.len()).min(total),
                total,
            });
        }
        if let Some(detail) = garbage(&bytes, piece, "read") {
            return Err(Error::ExperimentalGarbage {
                what: "EEPROM",
                detail,
            });
        }
        Ok(bytes)
    }

    /// The whole firmware view, checked for what cannot be real data, and the banks that fail
    /// the family's check.
    fn firmware(
        &mut self,
        view: &FirmwareView,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<(Vec<u8>, ViewRecord), Error> {
        let piece = self.reads.piece_len();
        let bank_len = view.bank_len as usize;
        let total = view.len();
        let mut bytes = vec![0u8; total];
        for (bank, bank_bytes) in bytes.chunks_mut(bank_len).enumerate() {
            for (i, chunk) in bank_bytes.chunks_mut(piece).enumerate() {
                let offset = (i * piece) as u32;
                let target = Target::Firmware {
                    bank: bank as u32,
                    offset,
                };
                self.read(target, chunk)?;
                progress(Progress {
                    phase: Phase::Read,
                    done: bank * bank_len + offset as usize + chunk.len(),
                    total,
                });
            }
        }
        let failing = self.reads.banks_failing_check(&bytes);
        let detail = garbage(&bytes, bank_len, "bank").or_else(|| {
            (failing.len() == view.banks as usize).then(|| format!("no bank {}", view.check))
        });
        if let Some(detail) = detail {
            return Err(Error::ExperimentalGarbage {
                what: "firmware view",
                detail,
            });
        }
        let record = ViewRecord {
            banks: view.banks,
            bank_len: view.bank_len,
            logical_view: true,
            flashable: false,
            note: view.note.to_string(),
            check: view.check.to_string(),
            banks_failing_check: failing,
        };
        Ok((bytes, record))
    }

    /// How the run read what it read.
    fn record(&self, firmware_view: Option<ViewRecord>, hint: Option<UnitHint>) -> ReadRecord {
        let commands = self.reads.commands();
        let counts = [
            (commands.eeprom, self.counts.eeprom),
            (commands.firmware, self.counts.firmware),
            (commands.challenge, self.counts.challenge),
        ];
        ReadRecord {
            confirmed_on_hardware: false,
            source: commands.source.to_string(),
            commands: counts
                .into_iter()
                .filter(|(_, count)| *count > 0)
                .map(|(command, count)| CommandCount {
                    command: command.to_string(),
                    count,
                })
                .collect(),
            firmware_view,
            hint,
        }
    }
}

/// Why `bytes`, read `piece` bytes per command (or per bank), cannot be what was asked for:
/// every byte the same (no data), or every piece alike (the address is ignored). `None` when
/// neither holds.
fn garbage(bytes: &[u8], piece: usize, unit: &str) -> Option<String> {
    let first = *bytes.first()?;
    if bytes.iter().all(|&b| b == first) {
        return Some(format!("every byte is {first:#04x}"));
    }
    let mut pieces = bytes.chunks(piece);
    let head = pieces.next()?;
    (bytes.len() > piece && pieces.all(|p| p == head)).then(|| {
        format!("every {unit} returned the same {piece} bytes: the drive ignores the address")
    })
}

/// Read the EEPROM of the drive `identity` names on `t` (a drive identification found to be an
/// MMC device) and what it says about the unit's firmware. Writes nothing; for `info`.
pub fn look_at_eeprom(
    t: &mut dyn Transport,
    reads: &'static dyn VendorReads,
    identity: &Identity,
    progress: &mut dyn FnMut(Progress),
) -> Result<EepromLook, Error> {
    let mut session = Session::new(t, reads);
    let bytes = session.eeprom(identity, progress)?;
    let hint = reads.unit_hint(identity, &bytes);
    Ok(EepromLook {
        len: bytes.len(),
        sha256: bundle::sha256_hex(&bytes),
        read: session.record(None, hint),
    })
}

/// Write `bytes` to `out` (0600: per-unit data) and the sidecar `out.manifest.json`, both
/// atomically, once everything has been read.
fn write_dump(
    out: &Path,
    bytes: &[u8],
    kind: DumpKind,
    warning: String,
    drive: &Drive,
    read: ReadRecord,
) -> Result<VendorDump, Error> {
    let manifest = DumpManifest {
        kind,
        experimental: true,
        flashable: false,
        warning,
        tool: format!("odflash {}", env!("CARGO_PKG_VERSION")),
        created: bundle::utc_now().0,
        device: drive.record(),
        size: bytes.len() as u64,
        sha256: bundle::sha256_hex(bytes),
        read,
    };
    let sidecar = manifest_path(out);
    let json = serde_json::to_vec_pretty(&manifest).expect("manifest serializes");
    atomic::write_file(out, bytes, Mode::Private)?;
    atomic::write_file(&sidecar, &json, Mode::Private)?;
    Ok(VendorDump {
        path: out.to_path_buf(),
        manifest_path: sidecar,
        manifest,
    })
}

/// What every experimental file says it is not.
const UNCONFIRMED: &str = "read with commands that are not confirmed on any drive";

/// Read the whole EEPROM of `drive` with `reads` into `out`, with a sidecar manifest.
pub fn dump_eeprom(
    dev: &mut Device<'_>,
    drive: &Drive,
    reads: &'static dyn VendorReads,
    out: &Path,
    progress: &mut dyn FnMut(Progress),
) -> Result<VendorDump, Error> {
    let mut session = Session::new(dev.transport(), reads);
    let bytes = session.eeprom(&drive.identity, progress)?;
    let hint = reads.unit_hint(&drive.identity, &bytes);
    let read = session.record(None, hint);
    let warning = format!(
        "the drive's EEPROM, {UNCONFIRMED}; odflash has no command to write it back (none is \
         public)"
    );
    write_dump(out, &bytes, DumpKind::Eeprom, warning, drive, read)
}

/// Read the whole firmware view of `drive` with `reads` into `out`, with a sidecar manifest
/// marking it a logical view, never flashable, and naming the banks that fail the family's
/// check.
pub fn dump_firmware_view(
    dev: &mut Device<'_>,
    drive: &Drive,
    reads: &'static dyn VendorReads,
    out: &Path,
    progress: &mut dyn FnMut(Progress),
) -> Result<VendorDump, Error> {
    let view = reads.firmware_view(&drive.identity);
    let mut session = Session::new(dev.transport(), reads);
    let (bytes, record) = session.firmware(&view, progress)?;
    let read = session.record(Some(record), None);
    let warning = format!(
        "a logical per-bank view of the drive's firmware, {UNCONFIRMED}: {}",
        view.note
    );
    write_dump(out, &bytes, DumpKind::FirmwareView, warning, drive, read)
}

/// Read what `reads` can read of `drive` (EEPROM, firmware view) and write it with the
/// identification answers as one bundle of kind `experimental`, re-read and validated.
/// Failures are [`Error::Backup`]; a directory refused as such is
/// [`Error::UnsafeBackupDir`].
pub fn backup(
    dev: &mut Device<'_>,
    drive: &Drive,
    reads: &'static dyn VendorReads,
    at: BundleAt<'_>,
    progress: &mut dyn FnMut(Progress),
) -> Result<VendorBackup, Error> {
    write_backup(dev, drive, reads, at, progress).map_err(|e| match e {
        Error::Backup(_) | Error::UnsafeBackupDir { .. } => e,
        other => Error::Backup(Box::new(other)),
    })
}

fn write_backup(
    dev: &mut Device<'_>,
    drive: &Drive,
    reads: &'static dyn VendorReads,
    at: BundleAt<'_>,
    progress: &mut dyn FnMut(Progress),
) -> Result<VendorBackup, Error> {
    let view = reads.firmware_view(&drive.identity);
    let mut session = Session::new(dev.transport(), reads);
    let eeprom = session.eeprom(&drive.identity, progress)?;
    let (firmware, record) = session.firmware(&view, progress)?;
    let hint = reads.unit_hint(&drive.identity, &eeprom);
    let read = session.record(Some(record), hint);
    let mut all = vec![
        Part {
            name: parts::EEPROM.into(),
            flash_offset: None,
            bytes: eeprom,
        },
        Part {
            name: parts::FIRMWARE_VIEW.into(),
            flash_offset: None,
            bytes: firmware,
        },
    ];
    all.extend(backup::identification_parts(drive));
    let (created, stem) = bundle::utc_now();
    let mut manifest = bundle::build_manifest(Kind::Experimental, drive.record(), &created, &all);
    manifest.experimental = Some(read);
    let path = match at {
        BundleAt::DriveDir(base) => {
            let dir = backup::prepare_drive_dir(base, &drive.identity)?;
            backup::free_name(&dir, &stem)
        }
        BundleAt::File(path) => path.to_path_buf(),
    };
    let manifest = bundle::write_bundle(&path, &manifest, &all)?;
    Ok(VendorBackup { path, manifest })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_no_data_or_the_same_piece_everywhere() {
        assert_eq!(
            garbage(&[0xFF; 1024], 128, "read").as_deref(),
            Some("every byte is 0xff")
        );
        let same: Vec<u8> = (0..8).flat_map(|_| 0..128u8).collect();
        assert!(garbage(&same, 128, "read")
            .unwrap()
            .contains("ignores the address"));
        let real: Vec<u8> = (0..1024u32).map(|i| (i * 7 % 253) as u8).collect();
        assert_eq!(garbage(&real, 128, "read"), None);
        // One piece alone proves nothing; no bytes are no verdict.
        assert_eq!(garbage(&real[..128], 128, "read"), None);
        assert_eq!(garbage(&[], 128, "read"), None);
    }
}
