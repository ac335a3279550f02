//! The one container format odflash writes for device data: a tar file (the `tar` crate)
//! holding `manifest.json` first, then the parts it lists, each with its size and sha256.
//! Backups (`.odbk`, kind `backup`) and unit-data dumps (kind `unit-data`) both use it, so
//! unit data can be restored from either; experimental reads (kind `experimental`) use it too,
//! and are never restored from.
//!
//! Owns: [`Manifest`], [`build_bundle`] / [`parse_bundle`] (pure), [`write_bundle`] (the archive
//! streamed into an atomic write, then re-read from disk and validated by streaming sha256, so a
//! backup never holds a second copy of the flash) and [`read_bundle`]. It must not talk to a
//! device.

use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::atomic::{self, Mode};
use super::error::Error;
use super::input;
use crate::family::{FamilyId, Identity};
use crate::image::layout::{CALIBRATION_LEN, DESCRIPTOR_LEN};
use crate::image::MAX_IMAGE_SIZE;

/// Version of the manifest layout; readers refuse newer ones.
pub const FORMAT_VERSION: u32 = 1;

/// Name of the manifest inside a bundle.
pub const MANIFEST_NAME: &str = "manifest.json";

/// Largest identification answer a part holds: INQUIRY and GET CONFIGURATION allocation lengths
/// are 16-bit (SPC-4 §6.6, MMC-6 §6.6).
const MAX_ANSWER: usize = 0xFFFF;

/// Largest bundle file odflash reads: the sum of its parts' caps (the largest image, the unit-data
/// windows, three identification answers, a manifest carrying those answers in hex plus 64 KiB of
/// text), and tar's 512-byte header and up to 511 bytes of padding per entry, plus its 1 KiB end.
const MAX_BUNDLE_BYTES: usize = MAX_IMAGE_SIZE
    + DESCRIPTOR_LEN
    + CALIBRATION_LEN
    + 3 * MAX_ANSWER
    + (6 * MAX_ANSWER + 0x1_0000)
    + 8 * 1024
    + 1024;

/// What a bundle holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// A full backup: flash read-back, per-unit windows, identity answers.
    Backup,
    /// Only the per-unit windows (identity + calibration): `odflash eeprom dump`.
    UnitData,
    /// What a family's experimental vendor reads returned (EEPROM, firmware view, identity):
    /// unconfirmed on hardware, never restored or flashed from (`odflash backup
    /// --experimental-reads`; see [`super::vendor_reads`]).
    Experimental,
}

/// The drive a bundle was read from, with the raw identification answers (hex in JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceRecord {
    /// Family that claimed the drive.
    pub family: FamilyId,
    /// Identity as the family read it (vendor, model, revision, serial, banner, ...).
    pub identity: Identity,
    /// The device path it was read through ("/dev/sg1", "emu:mt1959").
    pub path: String,
    /// Raw INQUIRY reply.
    #[serde(with = "crate::scsi::hex::bytes")]
    pub inquiry: Vec<u8>,
    /// Raw GET CONFIGURATION reply for feature 0x010C (firmware date), when answered.
    #[serde(default, with = "crate::scsi::hex::opt_bytes")]
    pub config_010c: Option<Vec<u8>>,
    /// Raw GET CONFIGURATION reply for feature 0x0108 (serial number), when answered.
    #[serde(default, with = "crate::scsi::hex::opt_bytes")]
    pub config_0108: Option<Vec<u8>>,
}

impl DeviceRecord {
    /// A short label for messages: "VENDOR MODEL REV serial SERIAL".
    pub fn label(&self) -> String {
        let id = &self.identity;
        format!(
            "{} {} {} serial {}",
            id.vendor,
            id.model,
            id.revision,
            id.serial.as_deref().unwrap_or("(none)")
        )
    }
}

/// How the drive a bundle was read from relates to another drive: unit data is calibrated
/// for one unit, so only [`UnitMatch::Same`] may be restored without the user's say-so.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum UnitMatch {
    /// Same family, vendor, model and serial: this unit.
    Same,
    /// Same model, another serial: another unit.
    OtherSerial,
    /// Same model, but a serial is missing on one side or both: the units cannot be told
    /// apart.
    SerialUnknown,
    /// Another family, vendor or model, whatever the serial says.
    OtherModel,
}

impl UnitMatch {
    /// Compare the identity a bundle `recorded` with a `drive`'s. The revision is not
    /// compared: a flash changes it.
    pub fn of(recorded: &Identity, drive: &Identity) -> UnitMatch {
        let serial = |id: &Identity| {
            id.serial
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let same_model = recorded.family == drive.family
            && recorded.vendor.trim() == drive.vendor.trim()
            && recorded.model.trim() == drive.model.trim();
        if !same_model {
            return UnitMatch::OtherModel;
        }
        match (serial(recorded), serial(drive)) {
            (Some(a), Some(b)) if a == b => UnitMatch::Same,
            (Some(_), Some(_)) => UnitMatch::OtherSerial,
            _ => UnitMatch::SerialUnknown,
        }
    }

    /// True for a bundle that may be this unit's: the same one, or one of its model that
    /// cannot be told apart (a search keeps those; a restore still asks).
    pub fn may_be_this_unit(self) -> bool {
        matches!(self, UnitMatch::Same | UnitMatch::SerialUnknown)
    }
}

impl std::fmt::Display for UnitMatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            UnitMatch::Same => "the same drive",
            UnitMatch::OtherSerial => "another unit of this model (the serials differ)",
            UnitMatch::SerialUnknown => {
                "a unit of this model that cannot be told apart from this one (a serial is missing)"
            }
            UnitMatch::OtherModel => "another model",
        })
    }
}

/// One part of a bundle, as listed in the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartRecord {
    /// File name inside the bundle ("firmware.bin", "calibration.bin", ...).
    pub name: String,
    /// Flash offset the bytes came from, for flash contents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flash_offset: Option<u32>,
    /// Size in bytes.
    pub size: u64,
    /// Lowercase hex sha256 of the bytes.
    pub sha256: String,
}

/// `manifest.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// [`FORMAT_VERSION`].
    pub format: u32,
    /// What the bundle holds.
    pub kind: Kind,
    /// "odflash VERSION".
    pub tool: String,
    /// UTC creation time, RFC 3339 with microseconds ("2026-11-24T07:30:41.123456Z"; older
    /// bundles have whole seconds). Sort by [`Manifest::created_order`], not by the text.
    pub created: String,
    /// The drive.
    pub device: DeviceRecord,
    /// Every part, in archive order.
    pub parts: Vec<PartRecord>,
    /// Flash ranges the drive would not return (filled with 0xFF in `firmware.bin`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unreadable: Vec<std::ops::Range<u32>>,
    /// For a [`Kind::Experimental`] bundle: which unconfirmed commands read it, and what they
    /// returned is and is not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub experimental: Option<super::vendor_reads::ReadRecord>,
}

/// One part with its bytes, before writing or after validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// File name inside the bundle.
    pub name: String,
    /// Flash offset the bytes came from, for flash contents.
    pub flash_offset: Option<u32>,
    /// The bytes.
    pub bytes: Vec<u8>,
}

/// A validated bundle: manifest plus parts whose sizes and hashes match it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bundle {
    /// The manifest.
    pub manifest: Manifest,
    /// The parts, in manifest order.
    pub parts: Vec<Part>,
}

impl Bundle {
    /// The part named `name`.
    pub fn part(&self, name: &str) -> Option<&Part> {
        self.parts.iter().find(|p| p.name == name)
    }
}

/// Lowercase hex sha256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl PartRecord {
    /// The record of `part`: its size and sha256.
    pub fn of(part: &Part) -> PartRecord {
        PartRecord {
            name: part.name.clone(),
            flash_offset: part.flash_offset,
            size: part.bytes.len() as u64,
            sha256: sha256_hex(&part.bytes),
        }
    }
}

/// Build a manifest for `parts` (pure: the time is given).
pub fn build_manifest(kind: Kind, device: DeviceRecord, created: &str, parts: &[Part]) -> Manifest {
    manifest_of_records(
        kind,
        device,
        created,
        parts.iter().map(PartRecord::of).collect(),
    )
}

/// Build a manifest listing `parts` as recorded (a part streamed to disk is hashed as it
/// arrives, not held to be hashed here).
pub fn manifest_of_records(
    kind: Kind,
    device: DeviceRecord,
    created: &str,
    parts: Vec<PartRecord>,
) -> Manifest {
    Manifest {
        format: FORMAT_VERSION,
        kind,
        tool: format!("odflash {}", env!("CARGO_PKG_VERSION")),
        created: created.to_string(),
        device,
        parts,
        unreadable: Vec::new(),
        experimental: None,
    }
}

/// Where the bytes of a part being written come from.
#[derive(Debug, Clone, Copy)]
pub enum Contents<'a> {
    /// Memory.
    Bytes(&'a [u8]),
    /// The whole of a file (a scratch file a read was streamed into), read from its start.
    File(&'a File),
}

/// A part as [`write_bundle_from`] takes it: its name and where its bytes are.
#[derive(Debug, Clone, Copy)]
pub struct Outgoing<'a> {
    /// File name inside the bundle.
    pub name: &'a str,
    /// Its bytes.
    pub contents: Contents<'a>,
}

impl<'a> From<&'a Part> for Outgoing<'a> {
    fn from(part: &'a Part) -> Outgoing<'a> {
        Outgoing {
            name: &part.name,
            contents: Contents::Bytes(&part.bytes),
        }
    }
}

/// Serialize a bundle into tar bytes (pure). Entries are mode 0600 with mtime 0, so the same
/// input gives the same bytes.
pub fn build_bundle(manifest: &Manifest, parts: &[Part]) -> Vec<u8> {
    let parts: Vec<Outgoing> = parts.iter().map(Outgoing::from).collect();
    write_archive(Vec::new(), manifest, &parts).expect("writing tar into memory cannot fail")
}

/// Write the bundle's tar archive into `out`: [`MANIFEST_NAME`] first, then the parts, each
/// straight from its bytes or its file (nothing is copied into an archive buffer).
fn write_archive<W: Write>(out: W, manifest: &Manifest, parts: &[Outgoing]) -> io::Result<W> {
    let json = serde_json::to_vec_pretty(manifest).expect("manifest serializes");
    let mut builder = tar::Builder::new(out);
    let mut append = |name: &str, size: u64, data: &mut dyn Read| {
        let mut header = tar::Header::new_gnu();
        header.set_size(size);
        header.set_mode(0o600);
        header.set_mtime(0);
        header.set_entry_type(tar::EntryType::Regular);
        builder.append_data(&mut header, name, data)
    };
    append(MANIFEST_NAME, json.len() as u64, &mut json.as_slice())?;
    for part in parts {
        match part.contents {
            Contents::Bytes(mut bytes) => append(part.name, bytes.len() as u64, &mut bytes)?,
            Contents::File(mut file) => {
                let size = file.metadata()?.len();
                file.seek(SeekFrom::Start(0))?;
                append(part.name, size, &mut file.take(size))?
            }
        }
    }
    builder.into_inner()
}

/// One part as an archive walk found it: its name, how many bytes it had, their sha256, and
/// what the walk's consumer kept of them.
struct Found<T> {
    name: String,
    size: u64,
    sha256: String,
    kept: T,
}

/// Walk a bundle archive read from `reader` and validate it: the manifest comes first, entry
/// names are flat, every listed part is present once with its size and sha256, and nothing
/// else is in the archive. `take` consumes each part's bytes (keeping them, or only hashing
/// them), given their declared size and their offset in the file, and returns
/// `(size, sha256, kept)`. Returns the manifest and what `take` kept, in
/// manifest order. `path` only names the file in errors.
fn walk_bundle<T>(
    path: &Path,
    reader: impl Read,
    mut take: impl FnMut(&mut dyn Read, u64, u64) -> io::Result<(u64, String, T)>,
) -> Result<(Manifest, Vec<T>), Error> {
    let bad = |detail: String| Error::bad_file(path, detail);
    let mut archive = tar::Archive::new(reader);
    let mut manifest: Option<Manifest> = None;
    let mut found: Vec<Found<T>> = Vec::new();
    let entries = archive
        .entries()
        .map_err(|e| bad(format!("not a tar archive: {e}")))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| bad(format!("damaged tar archive: {e}")))?;
        let name = entry
            .path()
            .map_err(|e| bad(format!("bad entry name: {e}")))?
            .to_string_lossy()
            .into_owned();
        // odflash writes flat names ("firmware.bin"); anything with a directory part is not ours.
        if name.is_empty() || name.contains('/') || name == "." || name == ".." {
            return Err(bad(format!(
                "entry name {name:?} is not a plain file name: not an odflash bundle"
            )));
        }
        let cannot_read = |e: io::Error| bad(format!("cannot read {name}: {e}"));
        if manifest.is_none() {
            if name != MANIFEST_NAME {
                return Err(bad(format!("first entry is {name}, not {MANIFEST_NAME}")));
            }
            let mut data = Vec::new();
            entry.read_to_end(&mut data).map_err(cannot_read)?;
            let m: Manifest = serde_json::from_slice(&data)
                .map_err(|e| bad(format!("bad {MANIFEST_NAME}: {e}")))?;
            if m.format > FORMAT_VERSION {
                return Err(bad(format!(
                    "manifest format {} is newer than this odflash understands ({FORMAT_VERSION})",
                    m.format
                )));
            }
            manifest = Some(m);
        } else if found.iter().any(|f| f.name == name) {
            return Err(bad(format!("{name} appears twice")));
        } else {
            let (declared, at) = (entry.size(), entry.raw_file_position());
            let (size, sha256, kept) = take(&mut entry, declared, at).map_err(cannot_read)?;
            found.push(Found {
                name,
                size,
                sha256,
                kept,
            });
        }
    }
    let manifest = manifest.ok_or_else(|| bad("empty archive".into()))?;
    let mut kept = Vec::with_capacity(manifest.parts.len());
    for record in &manifest.parts {
        let index = found
            .iter()
            .position(|f| f.name == record.name)
            .ok_or_else(|| bad(format!("{} is listed but missing", record.name)))?;
        let part = found.swap_remove(index);
        if part.size != record.size {
            return Err(bad(format!(
                "{}: size {} but the manifest says {}",
                part.name, part.size, record.size
            )));
        }
        if part.sha256 != record.sha256 {
            return Err(bad(format!(
                "{}: sha256 {} but the manifest says {}",
                part.name, part.sha256, record.sha256
            )));
        }
        kept.push(part.kept);
    }
    if let Some(extra) = found.first() {
        return Err(bad(format!("{} is not listed in the manifest", extra.name)));
    }
    Ok((manifest, kept))
}

/// Parse and validate bundle bytes (pure): see [`walk_bundle`] for what is checked. `path` only
/// names the file in errors.
pub fn parse_bundle(path: &Path, bytes: &[u8]) -> Result<Bundle, Error> {
    let (manifest, data) = walk_bundle(path, bytes, |entry, declared, _| {
        // The declared size, bounded by the input: a part's bytes are read into one allocation.
        let mut data = Vec::with_capacity(declared.min(bytes.len() as u64) as usize);
        entry.read_to_end(&mut data)?;
        Ok((data.len() as u64, sha256_hex(&data), data))
    })?;
    let parts = manifest
        .parts
        .iter()
        .zip(data)
        .map(|(record, bytes)| Part {
            name: record.name.clone(),
            flash_offset: record.flash_offset,
            bytes,
        })
        .collect();
    Ok(Bundle { manifest, parts })
}

/// Read and validate a bundle file.
pub fn read_bundle(path: &Path) -> Result<Bundle, Error> {
    let bytes = input::read_input(path, MAX_BUNDLE_BYTES, "backup bundle")?;
    parse_bundle(path, &bytes)
}

/// Bytes read from disk at a time while a written bundle is validated.
const CHECK_BUFFER: usize = 0x1_0000;

/// A bundle written and validated on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// The manifest as read back.
    pub manifest: Manifest,
    /// Where each part's bytes begin in the file, in manifest order.
    pub data_offsets: Vec<u64>,
}

/// Validate the bundle file at `path` by streaming it from disk: every part's size and sha256
/// must match the manifest on disk, and that manifest must equal `expected`. Nothing is held
/// but one read buffer, however large the parts.
fn check_written(path: &Path, expected: &Manifest) -> Result<Written, Error> {
    let file = input::open_input(path, "backup bundle")?;
    let (manifest, data_offsets) = walk_bundle(
        path,
        BufReader::with_capacity(CHECK_BUFFER, file),
        |entry, _, at| {
            let mut hasher = Sha256::new();
            let size = io::copy(entry, &mut hasher)?;
            Ok((size, hex::encode(hasher.finalize()), at))
        },
    )?;
    if manifest != *expected {
        return Err(Error::bad_file(
            path,
            "the file read back differs from what was written",
        ));
    }
    Ok(Written {
        manifest,
        data_offsets,
    })
}

/// Write a bundle of in-memory `parts` ([`write_bundle_from`]); returns the manifest as read
/// back.
pub fn write_bundle(path: &Path, manifest: &Manifest, parts: &[Part]) -> Result<Manifest, Error> {
    let parts: Vec<Outgoing> = parts.iter().map(Outgoing::from).collect();
    Ok(write_bundle_from(path, manifest, &parts)?.manifest)
}

/// Write a bundle atomically (mode 0600), the archive streamed into the temp file, then re-read
/// it from disk and validate it before returning: every part's size and sha256 on disk must
/// match `manifest`, so the file holds exactly what `manifest` lists (a part whose source
/// differs from its record fails here, and no bundle is left).
pub fn write_bundle_from(
    path: &Path,
    manifest: &Manifest,
    parts: &[Outgoing],
) -> Result<Written, Error> {
    atomic::write_file_with(path, Mode::Private, |file| {
        write_archive(file, manifest, parts).map(drop)
    })?;
    check_written(path, manifest).inspect_err(|_| {
        // A file that does not hold what its manifest lists is no backup: it is not kept for
        // a later restore to find.
        let _ = std::fs::remove_file(path);
    })
}

/// The current UTC time as `(RFC 3339 text, file-name stem)`, e.g.
/// `("2026-11-24T07:30:41.123456Z", "20261124T073041Z")`: the text carries microseconds, so
/// two bundles made within one second still order by [`Manifest::created_order`].
pub fn utc_now() -> (String, String) {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    build_utc(now.as_secs(), now.subsec_micros())
}

/// Format Unix seconds and microseconds as `(RFC 3339 text, file-name stem)` in UTC (pure).
/// The stem has whole seconds only.
pub fn build_utc(unix_secs: u64, micros: u32) -> (String, String) {
    let days = (unix_secs / 86_400) as i64;
    let rem = unix_secs % 86_400;
    let (h, m, s) = (rem / 3600, rem % 3600 / 60, rem % 60);
    // Civil-from-days (Howard Hinnant's public-domain algorithm, proleptic Gregorian).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (
        format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}.{micros:06}Z"),
        format!("{year:04}{month:02}{day:02}T{h:02}{m:02}{s:02}Z"),
    )
}

/// A creation time as it sorts: the whole-second text and the nanoseconds after it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct CreatedOrder {
    /// `YYYY-MM-DDTHH:MM:SS` (fixed width, so text order is time order).
    seconds: String,
    /// The fraction of the second, in nanoseconds (0 for manifests written with whole seconds).
    nanos: u32,
}

impl Manifest {
    /// The manifest's `created` time as it sorts. Older manifests carry whole seconds
    /// ("2026-11-24T07:30:41Z") and newer ones a fraction ("...41.123456Z"): both compare by
    /// time. A fraction that is not digits counts as zero.
    pub fn created_order(&self) -> CreatedOrder {
        let text = self.created.trim_end_matches('Z');
        let (seconds, fraction) = text.split_once('.').unwrap_or((text, ""));
        let digits: String = fraction.chars().take(9).collect();
        let nanos = if digits.bytes().all(|b| b.is_ascii_digit()) {
            format!("{digits:0<9}").parse().unwrap_or(0)
        } else {
            0
        };
        CreatedOrder {
            seconds: seconds.to_string(),
            nanos,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn device() -> DeviceRecord {
        DeviceRecord {
            family: crate::family::FamilyId::named("test-family"),
            identity: Identity {
                family: crate::family::FamilyId::named("test-family"),
                chip: Some("MT1959".into()),
                banner: Some("MT1959 Boot BU5".into()),
                vendor: "HL-DT-ST".into(),
                model: "BD-RE BU40N".into(),
                revision: "1.00".into(),
                firmware_date: Some("2019".into()),
                serial: Some("K1234".into()),
                flash_reads: Default::default(),
            },
            path: "emu:test".into(),
            inquiry: vec![5, 0x80, 0, 0x32],
            config_010c: Some(vec![1, 2]),
            config_0108: None,
        }
    }

    fn parts() -> Vec<Part> {
        vec![
            Part {
                name: "a.bin".into(),
                flash_offset: Some(0x10),
                bytes: vec![1, 2, 3],
            },
            Part {
                name: "b.bin".into(),
                flash_offset: None,
                bytes: vec![9; 1000],
            },
        ]
    }

    #[test]
    fn round_trip_through_disk() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.odbk");
        let parts = parts();
        let m = build_manifest(Kind::Backup, device(), "2026-01-01T00:00:00Z", &parts);
        assert_eq!(write_bundle(&path, &m, &parts).unwrap(), m);
        let b = read_bundle(&path).unwrap();
        assert_eq!(b.manifest, m);
        assert_eq!(b.parts, parts);
    }

    #[test]
    fn a_written_file_that_does_not_hold_the_manifests_parts_fails_the_check() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.odbk");
        let mut parts = parts();
        let m = build_manifest(Kind::Backup, device(), "t", &parts);
        parts[1].bytes[500] ^= 1;
        let err = write_bundle(&path, &m, &parts).unwrap_err();
        assert!(
            matches!(err, Error::BadFile { ref detail, .. } if detail.contains("b.bin: sha256")),
            "{err}"
        );
        assert!(!path.exists(), "a bundle that fails its check is not kept");
    }

    #[test]
    fn a_part_streamed_from_a_file_lands_where_the_written_offsets_say() {
        use std::os::unix::fs::FileExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.odbk");
        let parts = parts();
        let mut scratch = atomic::scratch_file(dir.path()).unwrap();
        scratch.write_all(&parts[0].bytes).unwrap();
        let m = build_manifest(Kind::Backup, device(), "t", &parts);
        let outgoing = [
            Outgoing {
                name: &parts[0].name,
                contents: Contents::File(&scratch),
            },
            Outgoing::from(&parts[1]),
        ];
        let written = write_bundle_from(&path, &m, &outgoing).unwrap();
        assert_eq!(written.manifest, m);
        assert_eq!(read_bundle(&path).unwrap().parts, parts);
        let file = File::open(&path).unwrap();
        for (part, at) in parts.iter().zip(&written.data_offsets) {
            let mut back = vec![0; part.bytes.len()];
            file.read_exact_at(&mut back, *at).unwrap();
            assert_eq!(back, part.bytes, "{}", part.name);
        }
    }

    #[test]
    fn corrupted_part_is_refused() {
        let parts = parts();
        let m = build_manifest(Kind::Backup, device(), "t", &parts);
        let mut bytes = build_bundle(&m, &parts);
        // Flip a byte of b.bin's data (the 9s) inside the archive.
        let pos = bytes.windows(8).position(|w| w == [9; 8]).unwrap();
        bytes[pos] = 8;
        let err = parse_bundle(Path::new("x"), &bytes).unwrap_err();
        assert!(matches!(err, Error::BadFile { ref detail, .. } if detail.contains("sha256")));
    }

    #[test]
    fn missing_and_extra_parts_are_refused() {
        let parts = parts();
        let m = build_manifest(Kind::Backup, device(), "t", &parts);
        let short = build_bundle(&m, &parts[..1]);
        assert!(parse_bundle(Path::new("x"), &short).is_err());
        let m1 = build_manifest(Kind::Backup, device(), "t", &parts[..1]);
        let long = build_bundle(&m1, &parts);
        assert!(parse_bundle(Path::new("x"), &long).is_err());
    }

    #[test]
    fn entry_names_with_directories_are_refused() {
        let mut parts = parts();
        parts[1].name = "sub/b.bin".into();
        let m = build_manifest(Kind::Backup, device(), "t", &parts);
        let err = parse_bundle(Path::new("x"), &build_bundle(&m, &parts)).unwrap_err();
        assert!(
            matches!(err, Error::BadFile { ref detail, .. } if detail.contains("not a plain file name")),
            "{err}"
        );
    }

    #[test]
    fn utc_formatting() {
        assert_eq!(build_utc(0, 0).0, "1970-01-01T00:00:00.000000Z");
        // 2024-02-29T12:34:56Z (a leap day).
        assert_eq!(
            build_utc(1_709_210_096, 7),
            (
                "2024-02-29T12:34:56.000007Z".to_string(),
                "20240229T123456Z".to_string()
            )
        );
    }

    #[test]
    fn created_orders_by_time_across_old_and_new_manifests() {
        let at = |created: &str| {
            build_manifest(Kind::Backup, device(), created, &parts()).created_order()
        };
        // A whole-second (older) manifest sorts before a later fraction of the same second,
        // although its text sorts after it ('Z' > '.').
        assert!(at("2026-11-24T07:30:41Z") < at("2026-11-24T07:30:41.000001Z"));
        assert!(at("2026-11-24T07:30:41.9Z") < at("2026-11-24T07:30:42Z"));
        assert!(at("2026-11-24T07:30:41.2Z") > at("2026-11-24T07:30:41.100000Z"));
        assert_eq!(at("2026-11-24T07:30:41Z"), at("2026-11-24T07:30:41.000Z"));
    }
}
