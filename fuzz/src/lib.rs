//! Shared pieces of the odflash fuzz targets (`fuzz_targets/*.rs`) and of the seed generator
//! (`examples/seeds.rs`):
//!
//! - encoders that invert odflash's reply parsers (INQUIRY, VPD 0x80, GET CONFIGURATION, MODE
//!   SENSE page 0x2A), so the targets can check parse -> encode -> parse round trips;
//! - image patch scripts: small fuzz inputs that edit a synthetic 2 MiB image built at run time
//!   by `odflash::image::synth`, so the image parsers see deep, realistic inputs without
//!   multi-megabyte corpus files;
//! - the command script that drives `emu::Drive` (decode for the target, encode for seeds).
//!
//! Each target's body is an ordinary function, `<target>::run` (the files in `fuzz_targets/`
//! only hand libFuzzer's input to it), so the corpus replay test in odflash's test suite
//! (`tests/fuzz_corpus.rs`) runs every target on its seeds (`seeds`) and on every past crash
//! input (`fuzz/regressions/<target>/`), and a library change that breaks a target fails
//! `make test`.
//!
//! This crate only tests odflash; nothing here is used by the tool itself.

#![deny(missing_docs)]

pub mod bundle;
pub mod capture;
pub mod config;
pub mod emu_drive;
pub mod emu_spec;
pub mod image_detect;
pub mod image_dvd;
pub mod image_mt19xx;
pub mod image_mt19xx_whole;
pub mod inquiry;
pub mod integrity;
pub mod mode;
pub mod seeds;
pub mod sense;
pub mod trace;

/// A target's body: runs one input, panics when a property fails.
pub type Body = fn(&[u8]);

/// Every fuzz target: its name (its `fuzz_targets/` file and corpus directory) and its body.
pub const TARGETS: [(&str, Body); 14] = [
    ("bundle", bundle::run),
    ("capture", capture::run),
    ("config", config::run),
    ("emu_drive", emu_drive::run),
    ("emu_spec", emu_spec::run),
    ("image_detect", image_detect::run),
    ("image_dvd", image_dvd::run),
    ("image_mt19xx", image_mt19xx::run),
    ("image_mt19xx_whole", image_mt19xx_whole::run),
    ("inquiry", inquiry::run),
    ("integrity", integrity::run),
    ("mode", mode::run),
    ("sense", sense::run),
    ("trace", trace::run),
];

use std::sync::OnceLock;

use odflash::emu::{DvdPreset, Family, Spec, StartMode};
use odflash::family::{mt19xx, Identity};
use odflash::image::layout;
use odflash::image::mt19xx::Chip;
use odflash::image::synth::{build_dvd_era, build_mt19xx, SynthSpec};
use odflash::ops::bundle::{build_manifest, sha256_hex, DeviceRecord, Kind, Part, MANIFEST_NAME};
use odflash::scsi::config::{Configuration, HEADER_LEN};
use odflash::scsi::inquiry::Inquiry;
use odflash::scsi::mode::{Capabilities, LoadingMechanism, Medium};
use odflash::scsi::trace::TraceRecord;
use odflash::scsi::Direction;

/// True when `s` contains only printable ASCII (what odflash promises for device strings).
pub fn is_printable(s: &str) -> bool {
    s.bytes().all(|b| (0x20..=0x7E).contains(&b))
}

/// `text` copied into a `width`-byte field padded with spaces (the SPC string layout).
fn padded(text: &str, width: usize) -> Vec<u8> {
    let mut field = vec![b' '; width];
    let n = text.len().min(width);
    field[..n].copy_from_slice(&text.as_bytes()[..n]);
    field
}

/// Standard INQUIRY data (SPC-4 table 142) carrying the decoded fields of `inq`: the inverse of
/// `scsi::inquiry::parse_inquiry` for the fields it decodes. Always 56 bytes, so every field
/// is present.
pub fn encode_inquiry(inq: &Inquiry) -> Vec<u8> {
    let mut raw = vec![0u8; 8];
    raw[0] = (inq.peripheral_qualifier << 5) | (inq.peripheral_type & 0x1F);
    raw[1] = if inq.removable { 0x80 } else { 0 };
    raw[2] = inq.version;
    raw[4] = 56 - 5;
    raw.extend(padded(&inq.vendor, 8));
    raw.extend(padded(&inq.product, 16));
    raw.extend(padded(&inq.revision, 4));
    raw.extend(padded(&inq.vendor_specific, 20));
    raw
}

/// VPD page 0x80 (SPC-4 §7.8.15) holding `serial`.
pub fn encode_unit_serial(serial: &str) -> Vec<u8> {
    let len = u16::try_from(serial.len()).expect("serial fits a VPD page");
    let mut raw = vec![0x05, 0x80];
    raw.extend(len.to_be_bytes());
    raw.extend(serial.as_bytes());
    raw
}

/// A GET CONFIGURATION reply (MMC-6 §6.6.2.1) holding `config`: the inverse of
/// `scsi::config::parse_configuration`.
pub fn encode_configuration(config: &Configuration) -> Vec<u8> {
    let mut raw = vec![0u8; HEADER_LEN];
    raw[6..8].copy_from_slice(&config.current_profile.to_be_bytes());
    for f in &config.features {
        raw.extend(f.code.to_be_bytes());
        raw.push((f.version << 2) | (u8::from(f.persistent) << 1) | u8::from(f.current));
        raw.push(u8::try_from(f.data.len()).expect("feature data fits its length byte"));
        raw.extend(&f.data);
    }
    let data_length = u32::try_from(raw.len() - 4).expect("reply fits u32");
    raw[..4].copy_from_slice(&data_length.to_be_bytes());
    raw
}

/// Page 0x2A flag bits (MMC-3 table 123), as `scsi::mode` decodes them.
const READ_BITS: [(u8, Medium); 5] = [
    (0x01, Medium::CdR),
    (0x02, Medium::CdRw),
    (0x08, Medium::DvdRom),
    (0x10, Medium::DvdR),
    (0x20, Medium::DvdRam),
];
const WRITE_BITS: [(u8, Medium); 4] = [
    (0x01, Medium::CdR),
    (0x02, Medium::CdRw),
    (0x10, Medium::DvdR),
    (0x20, Medium::DvdRam),
];

/// A MODE SENSE(10) reply (no block descriptors) whose page 0x2A carries `caps`: the inverse
/// of `scsi::mode::parse_capabilities`.
pub fn encode_capabilities(caps: &Capabilities) -> Vec<u8> {
    let bits = |media: &[Medium], table: &[(u8, Medium)]| {
        table
            .iter()
            .filter(|(_, m)| media.contains(m))
            .fold(0u8, |acc, (bit, _)| acc | bit)
    };
    let loading = match caps.loading {
        LoadingMechanism::Caddy => 0,
        LoadingMechanism::Tray => 1,
        LoadingMechanism::PopUp => 2,
        LoadingMechanism::Changer => 4,
        LoadingMechanism::Magazine => 5,
        LoadingMechanism::Reserved(v) => v,
    };
    let mut page = vec![0u8; 32];
    page[0] = 0x2A;
    page[2] = bits(&caps.reads, &READ_BITS);
    page[3] = bits(&caps.writes, &WRITE_BITS) | if caps.test_write { 0x04 } else { 0 };
    page[6] = (loading << 5)
        | if caps.eject { 0x08 } else { 0 }
        | if caps.locked { 0x02 } else { 0 }
        | u8::from(caps.lock);
    let mut put = |at: usize, v: Option<u16>| {
        page[at..at + 2].copy_from_slice(&v.unwrap_or(0).to_be_bytes());
    };
    put(8, caps.max_read_speed);
    put(12, caps.buffer_kib);
    put(18, caps.max_write_speed);
    let count = u16::try_from(caps.write_speeds.len()).expect("speed count fits u16");
    put(30, Some(count));
    for &speed in &caps.write_speeds {
        page.extend([0, 0]);
        page.extend(speed.to_be_bytes());
    }
    page[1] = u8::try_from(page.len() - 2).expect("page fits its length byte");
    let mode_data_length = u16::try_from(page.len() + 6).expect("reply fits u16");
    let mut raw = mode_data_length.to_be_bytes().to_vec();
    raw.extend([0u8; 6]);
    raw.extend(page);
    raw
}

/// The trace as JSON lines, as `--trace` writes it.
pub fn encode_trace(records: &[TraceRecord]) -> String {
    records
        .iter()
        .map(|r| serde_json::to_string(r).expect("a trace record serializes") + "\n")
        .collect()
}

/// A synthetic MT1959 image (built once per process: signing takes a while).
pub fn base_mt1959() -> &'static [u8] {
    static IMAGE: OnceLock<Vec<u8>> = OnceLock::new();
    IMAGE.get_or_init(|| {
        build_mt19xx(&SynthSpec::new(
            Chip::Mt1959,
            "HL-DT-ST",
            "BD-RE BU40N",
            "1.03",
        ))
    })
}

/// A synthetic DVD-era image (built once per process).
pub fn base_dvd() -> &'static [u8] {
    static IMAGE: OnceLock<Vec<u8>> = OnceLock::new();
    IMAGE.get_or_init(|| build_dvd_era("LITE-ON", "SOHW-1633S", "BS0C"))
}

/// Regions of an MT19xx image where the parsers look, as (start, length): patches aim at them
/// so that a few input bytes reach the structures instead of random application bytes.
pub const REGIONS: [(usize, usize); 7] = [
    (0, layout::MIRROR_LEN),
    (layout::BANNER_OFFSET, layout::BANNER_LEN),
    (layout::MIRROR_SOURCE, layout::MIRROR_LEN),
    (
        layout::TABLE_OFFSET,
        layout::TABLE_ENTRIES * layout::TABLE_ENTRY_LEN,
    ),
    (layout::DESCRIPTOR_OFFSET, layout::DESCRIPTOR_LEN),
    (layout::CALIBRATION_OFFSET, layout::CALIBRATION_LEN),
    (0, layout::FLASH_SIZE),
];

/// Applies a patch script to a copy of `base` and returns the result.
///
/// Script: a sequence of operations, each starting with an op byte.
/// - op < 0xF0: write. Region `op % REGIONS.len()`, a 16-bit big-endian offset into it (scaled
///   to the region's length), a length byte, then that many bytes (cut at the end of input).
/// - op >= 0xF0: truncate the image to a 24-bit big-endian length (no-op when longer).
pub fn apply_patches(base: &[u8], script: &[u8]) -> Vec<u8> {
    let mut image = base.to_vec();
    let mut s = script;
    while let [op, rest @ ..] = s {
        s = rest;
        if *op >= 0xF0 {
            let Some((len, rest)) = s.split_first_chunk::<3>() else {
                break;
            };
            s = rest;
            let len = usize::from(len[0]) << 16 | usize::from(len[1]) << 8 | usize::from(len[2]);
            image.truncate(len);
            continue;
        }
        let Some(([hi, lo, n], rest)) = s.split_first_chunk::<3>().map(|(h, r)| (*h, r)) else {
            break;
        };
        let (start, region_len) = REGIONS[usize::from(*op) % REGIONS.len()];
        let offset = start + usize::from(u16::from_be_bytes([hi, lo])) * region_len / 0x1_0000;
        let n = usize::from(n).min(rest.len());
        let (bytes, rest) = rest.split_at(n);
        s = rest;
        let end = (offset + n).min(image.len());
        if offset < end {
            image[offset..end].copy_from_slice(&bytes[..end - offset]);
        }
    }
    image
}

/// The drive the bundle target's manifests name.
pub fn bundle_device() -> DeviceRecord {
    DeviceRecord {
        family: mt19xx::ID,
        identity: Identity {
            family: mt19xx::ID,
            chip: Some("MT1959".into()),
            banner: Some("MT1959 Boot BU5".into()),
            vendor: "HL-DT-ST".into(),
            model: "BD-RE BU40N".into(),
            revision: "1.03".into(),
            firmware_date: Some("2016-05-12 11:30:00".into()),
            serial: Some("EMU1959K0001".into()),
            flash_reads: Default::default(),
        },
        path: "emu:mt1959".into(),
        inquiry: vec![5, 0x80, 5, 0x32],
        config_010c: Some(vec![0, 0, 0, 0x18]),
        config_0108: None,
    }
}

/// One tar header block for `name` (raw bytes, cut at 100) of `size` bytes and `entry_type`,
/// with a valid checksum: what a damaged or hostile file could hold, not what `tar` would
/// write.
fn tar_header(name: &[u8], size: u64, entry_type: u8) -> [u8; 512] {
    let mut header = tar::Header::new_gnu();
    header.set_size(size);
    header.set_mode(0o600);
    header.set_mtime(0);
    header.set_entry_type(tar::EntryType::new(entry_type));
    let n = name.len().min(100);
    header.as_mut_bytes()[..n].copy_from_slice(&name[..n]);
    header.set_cksum();
    *header.as_bytes()
}

/// Tar entry types an archive description picks from (regular, old regular, directory,
/// symlink, hard link, GNU long name, pax header, FIFO).
const ENTRY_TYPES: [u8; 8] = [b'0', b'\0', b'5', b'2', b'1', b'L', b'x', b'6'];

/// Builds a tar archive from a description, for the bundle target.
///
/// Description: a flags byte, then parts, each `[type][name length][name][data length][data]`
/// (cut at the end of input; type `% 8` indexes [`ENTRY_TYPES`]). The manifest is built from
/// the parts (names decoded lossily) by `ops::bundle::build_manifest`, then the flags lie:
/// bit 0 unit-data kind, bit 1 manifest after the first part, bit 2 the second archive entry twice, bit 3 a
/// part the manifest does not list, bit 4 a listed part missing, bit 5 a wrong size, bit 6 a
/// wrong sha256, bit 7 one manifest byte changed (position and value from the last 3 bytes).
pub fn build_archive(description: &[u8]) -> Vec<u8> {
    let Some((&flags, mut s)) = description.split_first() else {
        return Vec::new();
    };
    let mut entries: Vec<(u8, Vec<u8>, Vec<u8>)> = Vec::new();
    while let [kind, name_len, rest @ ..] = s {
        let name_len = usize::from(*name_len).min(rest.len());
        let (name, rest) = rest.split_at(name_len);
        let Some((&data_len, rest)) = rest.split_first() else {
            break;
        };
        let data_len = usize::from(data_len).min(rest.len());
        let (data, rest) = rest.split_at(data_len);
        entries.push((
            ENTRY_TYPES[usize::from(*kind) % 8],
            name.to_vec(),
            data.to_vec(),
        ));
        s = rest;
    }
    let parts: Vec<Part> = entries
        .iter()
        .map(|(_, name, data)| Part {
            name: String::from_utf8_lossy(name).into_owned(),
            flash_offset: None,
            bytes: data.clone(),
        })
        .collect();
    let kind = if flags & 1 != 0 {
        Kind::UnitData
    } else {
        Kind::Backup
    };
    let mut manifest = build_manifest(kind, bundle_device(), "2026-11-24T08:00:00Z", &parts);
    if flags & 0x08 != 0 {
        entries.push((b'0', b"extra.bin".to_vec(), vec![1, 2, 3]));
    }
    if flags & 0x10 != 0 {
        entries.pop();
    }
    if let Some(first) = manifest.parts.first_mut() {
        if flags & 0x20 != 0 {
            first.size += 1;
        }
        if flags & 0x40 != 0 {
            first.sha256 = sha256_hex(b"not this");
        }
    }
    let mut json = serde_json::to_vec(&manifest).expect("a manifest serializes");
    if flags & 0x80 != 0 {
        if let [.., hi, lo, value] = description {
            let at = usize::from(u16::from_be_bytes([*hi, *lo])) % json.len();
            json[at] = *value;
        }
    }
    let manifest_entry = (b'0', MANIFEST_NAME.as_bytes().to_vec(), json);
    let at = usize::from(flags & 0x02 != 0).min(entries.len());
    entries.insert(at, manifest_entry);
    if flags & 0x04 != 0 {
        if let Some(first) = entries.get(1).cloned() {
            entries.push(first);
        }
    }
    let mut archive = Vec::new();
    for (entry_type, name, data) in &entries {
        archive.extend(tar_header(name, data.len() as u64, *entry_type));
        archive.extend(data);
        archive.resize(archive.len().div_ceil(512) * 512, 0);
    }
    archive.extend([0u8; 1024]);
    archive
}

/// One step of an emulator command script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Execute `cdb` with a data phase of `len` bytes in `direction`; data-out bytes are
    /// `out`, repeated/padded with its last byte (or zeros) up to `len`.
    Execute {
        /// The CDB (0..=16 bytes).
        cdb: Vec<u8>,
        /// Direction of the data phase.
        direction: Direction,
        /// Bytes requested.
        len: usize,
        /// Leading data-out bytes (at most 255).
        out: Vec<u8>,
    },
    /// Let virtual time pass (milliseconds).
    Pause(u32),
    /// Cut and restore power.
    PowerCycle,
}

/// Largest data phase a script asks for: a little over the emulator's largest chunk, so the
/// transfer limit is exercised too.
pub const MAX_SCRIPT_LEN: usize = 0x2_1000;

/// The emulated drive a script's first byte selects: family (bits 0..1), start mode (bits
/// 2..3), and a 4 KiB transfer limit (bit 4).
pub fn script_spec(selector: u8) -> Spec {
    let family = match selector & 0x03 {
        0 => Family::Mt1959,
        1 => Family::Mt1939,
        2 => Family::LiteonDvd(DvdPreset::Dru710a),
        _ => Family::LiteonDvd(DvdPreset::Sohw1633s),
    };
    let mut spec = Spec::new(family);
    spec.mode = match (selector >> 2) & 0x03 {
        1 => StartMode::Boot,
        2 => StartMode::NeedsAttention,
        _ => StartMode::App,
    };
    if selector & 0x10 != 0 {
        spec.max_transfer = 0x1000;
    }
    spec
}

/// Decodes a command script (after the selector byte).
///
/// Each step starts with a header byte `h`: below 0xC0 execute, 0xC0..=0xFE pause, 0xFF power
/// cycle (rare on purpose: a power cycle re-verifies the whole 2 MiB image, the slowest thing
/// the emulator does). Execute: direction `h & 3` (0 none, 1 in, 2 or 3 out); a byte with the CDB length (% 17);
/// the CDB; a 24-bit big-endian data length (capped at [`MAX_SCRIPT_LEN`]); for data out, a
/// byte with the number of leading out bytes, then those bytes. Pause: a 16-bit big-endian
/// count of 10 ms units. Decoding stops at the first incomplete step.
pub fn decode_script(mut s: &[u8]) -> Vec<Step> {
    let mut steps = Vec::new();
    let take = |s: &mut &[u8], n: usize| -> Option<Vec<u8>> {
        let (head, rest) = (s.get(..n)?, s.get(n..)?);
        *s = rest;
        Some(head.to_vec())
    };
    while let Some(h) = take(&mut s, 1).map(|b| b[0]) {
        let step = match h {
            0x00..=0xBF => {
                let Some(cdb_len) = take(&mut s, 1).map(|b| usize::from(b[0]) % 17) else {
                    break;
                };
                let Some(cdb) = take(&mut s, cdb_len) else {
                    break;
                };
                let Some(l) = take(&mut s, 3) else {
                    break;
                };
                let len = (usize::from(l[0]) << 16 | usize::from(l[1]) << 8 | usize::from(l[2]))
                    .min(MAX_SCRIPT_LEN);
                let direction = match h & 3 {
                    0 => Direction::None,
                    1 => Direction::In,
                    _ => Direction::Out,
                };
                let out = if direction == Direction::Out {
                    let Some(n) = take(&mut s, 1).map(|b| usize::from(b[0])) else {
                        break;
                    };
                    let n = n.min(s.len());
                    take(&mut s, n).unwrap_or_default()
                } else {
                    Vec::new()
                };
                Step::Execute {
                    cdb,
                    direction,
                    len,
                    out,
                }
            }
            0xC0..=0xFE => {
                let Some(t) = take(&mut s, 2) else {
                    break;
                };
                Step::Pause(u32::from(u16::from_be_bytes([t[0], t[1]])) * 10)
            }
            _ => Step::PowerCycle,
        };
        steps.push(step);
    }
    steps
}

/// Encodes steps as [`decode_script`] reads them (for seeds). Pauses are rounded down to
/// 10 ms units and data-out bytes beyond 255 are dropped (the decoder pads them).
pub fn encode_script(steps: &[Step]) -> Vec<u8> {
    let mut s = Vec::new();
    for step in steps {
        match step {
            Step::Execute {
                cdb,
                direction,
                len,
                out,
            } => {
                let dir = match direction {
                    Direction::None => 0,
                    Direction::In => 1,
                    Direction::Out => 2,
                };
                s.push(dir);
                s.push(u8::try_from(cdb.len().min(16)).expect("<= 16"));
                s.extend(&cdb[..cdb.len().min(16)]);
                let len = (*len).min(MAX_SCRIPT_LEN);
                s.extend(&u32::try_from(len).expect("fits").to_be_bytes()[1..]);
                if *direction == Direction::Out {
                    let n = out.len().min(255);
                    s.push(u8::try_from(n).expect("<= 255"));
                    s.extend(&out[..n]);
                }
            }
            Step::Pause(ms) => {
                s.push(0xC0);
                s.extend(u16::try_from(ms / 10).unwrap_or(u16::MAX).to_be_bytes());
            }
            Step::PowerCycle => s.push(0xFF),
        }
    }
    s
}

/// The data-out bytes of an execute step: `out` padded to `len` with its last byte.
pub fn out_bytes(out: &[u8], len: usize) -> Vec<u8> {
    let fill = out.last().copied().unwrap_or(0);
    let mut bytes: Vec<u8> = out.iter().copied().take(len).collect();
    bytes.resize(len, fill);
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_round_trips() {
        let steps = vec![
            Step::Execute {
                cdb: vec![0x12, 0, 0, 0, 0x60, 0],
                direction: Direction::In,
                len: 96,
                out: Vec::new(),
            },
            Step::Pause(1230),
            Step::PowerCycle,
            Step::Execute {
                cdb: vec![0x3B, 2, 0, 0, 0, 0, 0, 0x10, 0, 0],
                direction: Direction::Out,
                len: 0x1000,
                out: vec![1, 2, 3],
            },
        ];
        assert_eq!(decode_script(&encode_script(&steps)), steps);
    }

    #[test]
    fn patches_land_in_their_region() {
        let base = vec![0u8; layout::FLASH_SIZE];
        let img = apply_patches(&base, &[4, 0, 0, 2, 0xAA, 0xBB, 0xF0, 0x1F, 0x00, 0x00]);
        assert_eq!(img.len(), 0x1F_0000);
        assert_eq!(
            &img[layout::DESCRIPTOR_OFFSET..layout::DESCRIPTOR_OFFSET + 3],
            [0xAA, 0xBB, 0]
        );
    }
}
