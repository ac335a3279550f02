//! Reading flash back: the chunked reader every workflow uses ([`read_region`]) and the raw dump
//! workflow ([`dump`]), which writes the whole flash to a file with a sidecar manifest marking
//! it as a raw read, never a flashable image.
//!
//! The reader picks the largest transfer the path accepts (probing 64, 32, 16, 8 and 4 KiB within
//! `Transport::max_transfer`), and splits a chunk that fails with sense into 512-byte, then 32-byte
//! pieces: freemkv's full dump retries failing 4 KiB reads as 512-byte pieces (freemkv-firmware
//! `probe.rs`; docs/protocol.md §2.2), and windows a family answers only when read on their own
//! ([`crate::family::FlashLayout::exact_reads`]) are read exactly. It knows no CDB bytes: reads
//! go through [`FlashAccess::read`].

use std::io::Write;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::family::{self, FlashAccess};
use crate::scsi::{self, Transport};

use super::atomic::{self, Mode};
use super::bundle::{self, DeviceRecord};
use super::drive::{Device, Drive};
use super::error::Error;
use super::{Phase, Progress};

/// Transfer sizes probed, largest first (freemkv's probe tests chunk sizes up to 64 KiB).
pub const PROBE_SIZES: [usize; 5] = [0x1_0000, 0x8000, 0x4000, 0x2000, 0x1000];

/// Piece sizes a failing chunk is split into, in order: 512 bytes as freemkv's dump retries
/// (docs/protocol.md §2.2), then 32 bytes, the smallest window a family reads on its own
/// (docs/protocol.md §2.3).
pub const SPLIT_SIZES: [usize; 2] = [0x200, 0x20];

/// What a region read did.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ReadReport {
    /// Chunk size used for the sweep.
    pub chunk: usize,
    /// READ commands sent to the drive, probes and retries included (a read the drive's
    /// identification already made is answered from its reply: neither sent nor counted).
    pub commands: usize,
    /// Ranges no read could return, filled with 0xFF (flash offsets, merged).
    pub unreadable: Vec<Range<u32>>,
}

/// How to treat a range no read can return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unreadable {
    /// Fill it with 0xFF and list it (dumps, backups of a damaged drive).
    FillFF,
    /// Fail the read (unit data, verification).
    Fail,
}

/// Choose the chunk size: the largest of [`PROBE_SIZES`] within the path's limit whose read at
/// `at` succeeds. Falls back to the smallest size when no probe read succeeds.
pub fn probe_chunk(
    t: &mut dyn Transport,
    flash: &dyn FlashAccess,
    at: u32,
    report: &mut ReadReport,
) -> Result<usize, Error> {
    Ok(probe_read(t, flash, at, report)?.size)
}

/// A probe read that succeeded: its size and the bytes it returned at its offset, which a
/// sweep uses instead of reading them again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Known {
    /// Flash offset of the bytes.
    pub at: u32,
    /// The chunk size the probe found (the length of `bytes`, when a probe read succeeded).
    pub size: usize,
    /// The bytes read (empty when no probe read succeeded).
    pub bytes: Vec<u8>,
}

/// [`probe_chunk`], keeping the bytes of the probe read that succeeded.
fn probe_read(
    t: &mut dyn Transport,
    flash: &dyn FlashAccess,
    at: u32,
    report: &mut ReadReport,
) -> Result<Known, Error> {
    let limit = t.max_transfer().map_or(usize::MAX, |l| l.bytes);
    let flash_size = flash.layout().size;
    let mut buf = vec![0u8; PROBE_SIZES[0]];
    for size in PROBE_SIZES.into_iter().filter(|s| *s <= limit) {
        if at as usize + size > flash_size {
            continue;
        }
        report.commands += 1;
        match flash.read(t, at, &mut buf[..size]) {
            Ok(()) => {
                buf.truncate(size);
                return Ok(Known {
                    at,
                    size,
                    bytes: buf,
                });
            }
            Err(e) if is_piece_failure(&e) => {
                log::debug!("probe read of {size:#x} bytes at {at:#x} failed: {e}")
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(Known {
        at,
        size: *PROBE_SIZES.last().expect("probe sizes are not empty"),
        bytes: Vec::new(),
    })
}

/// One region read: which bytes, in what chunk size, what to do with unreadable pieces, and
/// the phase progress is reported as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sweep {
    /// Flash offsets to read.
    pub range: Range<u32>,
    /// Bytes per command.
    pub chunk: usize,
    /// Fill or fail on unreadable pieces.
    pub unreadable: Unreadable,
    /// Progress phase.
    pub phase: Phase,
    /// Bytes already read (a successful probe): the piece they cover is not read again.
    pub known: Option<Known>,
}

/// Read `sweep.range` of flash in `sweep.chunk`-sized commands, splitting failing chunks into
/// [`SPLIT_SIZES`] pieces. Sense-level failures of the smallest piece are filled or fail per
/// `sweep.unreadable`; transport failures (timeout, device gone, refused) always abort.
pub fn read_region(
    t: &mut dyn Transport,
    flash: &dyn FlashAccess,
    sweep: &Sweep,
    report: &mut ReadReport,
    progress: &mut dyn FnMut(Progress),
) -> Result<Vec<u8>, Error> {
    let start = sweep.range.start;
    let mut out = vec![0xFF; (sweep.range.end - start) as usize];
    stream_region(t, flash, sweep, report, progress, &mut |at, bytes| {
        let from = (at - start) as usize;
        out[from..from + bytes.len()].copy_from_slice(bytes);
    })?;
    Ok(out)
}

/// [`read_region`] without holding the region: each piece read, in flash order, is handed to
/// `each` with its flash offset, from one buffer of `sweep.chunk` bytes reused for the whole
/// sweep (a read-back compares piece by piece; nothing is allocated per command).
pub fn stream_region(
    t: &mut dyn Transport,
    flash: &dyn FlashAccess,
    sweep: &Sweep,
    report: &mut ReadReport,
    progress: &mut dyn FnMut(Progress),
    each: &mut dyn FnMut(u32, &[u8]),
) -> Result<(), Error> {
    let range = &sweep.range;
    let total = (range.end - range.start) as usize;
    let mut buf = vec![0xFF; sweep.chunk.min(total)];
    let exact = flash.layout().exact_reads;
    let mut done = 0;
    while done < total {
        let at = range.start + done as u32;
        // Pieces end on chunk boundaries (from the range's start) even after an exact window
        // cut one short, so the sweep meets a probe's chunk where the probe read it.
        let to_boundary = sweep.chunk - done % sweep.chunk;
        let len = piece_len(at as usize, to_boundary.min(total - done), &exact);
        match &sweep.known {
            Some(k) if k.at == at && k.bytes.len() == len => each(at, &k.bytes),
            _ => {
                let piece = &mut buf[..len];
                read_piece(t, flash, at, piece, 0, sweep.unreadable, report)?;
                each(at, piece);
            }
        }
        done += len;
        progress(Progress {
            phase: sweep.phase,
            done,
            total,
        });
    }
    Ok(())
}

/// The length of the next sweep read at `at`: at most `len`, cut short before a window that
/// must be read exactly, or exactly that window when the read starts on it.
fn piece_len(at: usize, len: usize, exact: &[Range<usize>]) -> usize {
    match exact.iter().find(|w| w.start < at + len && at < w.end) {
        Some(w) if w.start > at => w.start - at,
        Some(w) => (w.end - at).min(len),
        None => len,
    }
}

fn read_piece(
    t: &mut dyn Transport,
    flash: &dyn FlashAccess,
    at: u32,
    buf: &mut [u8],
    level: usize,
    unreadable: Unreadable,
    report: &mut ReadReport,
) -> Result<(), Error> {
    report.commands += 1;
    let err = match flash.read(t, at, buf) {
        Ok(()) => return Ok(()),
        Err(e) if is_piece_failure(&e) => e,
        Err(e) => return Err(e.into()),
    };
    // The next smaller split size; `level` counts the sizes already tried.
    let next = SPLIT_SIZES
        .iter()
        .enumerate()
        .skip(level)
        .find(|(_, size)| **size < buf.len());
    match next {
        Some((index, &piece)) => {
            log::debug!(
                "read of {:#x} bytes at {at:#x} failed ({err}); retrying in {piece:#x}-byte pieces",
                buf.len()
            );
            for (i, part) in buf.chunks_mut(piece).enumerate() {
                let off = at + (i * piece) as u32;
                read_piece(t, flash, off, part, index + 1, unreadable, report)?;
            }
            Ok(())
        }
        None => match unreadable {
            Unreadable::Fail => Err(err.into()),
            Unreadable::FillFF => {
                buf.fill(0xFF);
                add_range(&mut report.unreadable, at..at + buf.len() as u32);
                Ok(())
            }
        },
    }
}

/// A failure that concerns this piece only (the drive answered with sense, or moved too few
/// bytes), as opposed to the path failing (timeout, gone, refused, host error).
fn is_piece_failure(e: &family::Error) -> bool {
    matches!(
        e,
        family::Error::Scsi(
            scsi::Error::Sense(_)
                | scsi::Error::NoSense
                | scsi::Error::Status(_)
                | scsi::Error::ShortTransfer { .. }
        )
    )
}

fn add_range(ranges: &mut Vec<Range<u32>>, r: Range<u32>) {
    match ranges.last_mut() {
        Some(last) if last.end == r.start => last.end = r.end,
        _ => ranges.push(r),
    }
}

/// Read the whole flash: probe the chunk size just past the protected region, then sweep,
/// handing each piece to `each` in flash order as [`stream_region`] does (unreadable pieces
/// filled with 0xFF and listed).
fn sweep_flash(
    t: &mut dyn Transport,
    flash: &dyn FlashAccess,
    progress: &mut dyn FnMut(Progress),
    each: &mut dyn FnMut(u32, &[u8]),
) -> Result<ReadReport, Error> {
    let layout = flash.layout();
    let mut report = ReadReport::default();
    let probe_at = layout
        .protected
        .end
        .min(layout.size.saturating_sub(PROBE_SIZES[0])) as u32;
    let known = probe_read(t, flash, probe_at, &mut report)?;
    report.chunk = known.size;
    let sweep = Sweep {
        range: 0..layout.size as u32,
        chunk: report.chunk,
        unreadable: Unreadable::FillFF,
        phase: Phase::Read,
        known: Some(known),
    };
    stream_region(t, flash, &sweep, &mut report, progress, each)?;
    Ok(report)
}

/// Read the whole flash of `drive` (the dump's and the backup's read) into `out`, the file
/// `out_path` (which names it in errors), hashing it as it goes: nothing flash-sized is held.
/// The reads its identification already made are answered from their replies
/// ([`Drive::sweep_transport`]), neither sent again nor counted. Returns how it was read and the
/// lowercase hex sha256 of what was written; after a write failure nothing more is written, and
/// the failure is the error.
pub fn read_flash_into(
    dev: &mut Device<'_>,
    drive: &Drive,
    out: &mut dyn Write,
    out_path: &Path,
    progress: &mut dyn FnMut(Progress),
) -> Result<(ReadReport, String), Error> {
    let flash = drive.read_access()?;
    let mut t = drive.sweep_transport(dev.transport());
    let mut hasher = Sha256::new();
    let mut failed: Option<std::io::Error> = None;
    let mut report = sweep_flash(&mut t, flash, progress, &mut |_, piece| {
        if failed.is_none() {
            hasher.update(piece);
            failed = out.write_all(piece).err();
        }
    })?;
    report.commands -= t.answered();
    match failed.map_or_else(|| out.flush(), Err) {
        Err(e) => Err(Error::io(out_path, e)),
        Ok(()) => Ok((report, hex::encode(hasher.finalize()))),
    }
}

/// The sidecar written next to a raw dump (`FILE.manifest.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DumpManifest {
    /// Always `"raw-dump"`.
    pub kind: &'static str,
    /// Always false: a raw read is not a firmware image.
    pub flashable: bool,
    /// Why it is not flashable.
    pub warning: &'static str,
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
    pub read: ReadReport,
}

/// The result of [`dump`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DumpReport {
    /// The dump file.
    pub path: PathBuf,
    /// The sidecar manifest file.
    pub manifest_path: PathBuf,
    /// What the sidecar says.
    pub manifest: DumpManifest,
}

/// The sidecar path of a dump: `FILE.manifest.json`.
pub fn manifest_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".manifest.json");
    PathBuf::from(name)
}

/// Read the whole flash of `drive` into `out` (mode 0600: it holds per-unit data), with a
/// sidecar `out.manifest.json` marking it as a raw dump. Both are written atomically; the flash
/// is streamed into the file and hashed on the way, never held whole.
pub fn dump(
    dev: &mut Device<'_>,
    drive: &Drive,
    out: &Path,
    progress: &mut dyn FnMut(Progress),
) -> Result<DumpReport, Error> {
    let flash = drive.read_access()?;
    let mut read = None;
    let written = atomic::write_file_with(out, Mode::Private, |file| {
        let result = read_flash_into(dev, drive, file, out, progress);
        let failed = result.is_err();
        read = Some(result);
        if failed {
            // The read's own error is returned below; this only abandons the file.
            return Err(std::io::Error::other("the flash read failed"));
        }
        Ok(())
    });
    let (report, sha256) = match read {
        Some(result) => result?,
        None => return Err(written.expect_err("the file was not written").into()),
    };
    written?;
    let manifest = DumpManifest {
        kind: "raw-dump",
        flashable: false,
        warning: "raw read-back of a drive: the first page mirrors 0x10000 and the boot region is the drive's own; never flash this file",
        tool: format!("odflash {}", env!("CARGO_PKG_VERSION")),
        created: bundle::utc_now().0,
        device: drive.record(),
        size: flash.layout().size as u64,
        sha256,
        read: report,
    };
    let sidecar = manifest_path(out);
    let json = serde_json::to_vec_pretty(&manifest).expect("manifest serializes");
    atomic::write_file(&sidecar, &json, Mode::Private)?;
    Ok(DumpReport {
        path: out.to_path_buf(),
        manifest_path: sidecar,
        manifest,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sweep_reads_exact_windows_alone() {
        let banner = [Range {
            start: 0x3000,
            end: 0x3020,
        }];
        // A 64 KiB read at 0 stops before the banner, the banner is read alone, then the rest.
        assert_eq!(piece_len(0, 0x1_0000, &banner), 0x3000);
        assert_eq!(piece_len(0x3000, 0x1_0000, &banner), 0x20);
        assert_eq!(
            piece_len(0x3020, 0x1_0000 - 0x3020, &banner),
            0x1_0000 - 0x3020
        );
        assert_eq!(piece_len(0x1_0000, 0x1_0000, &banner), 0x1_0000);
        assert_eq!(piece_len(0, 0x1000, &[]), 0x1000);
    }

    #[test]
    fn adjacent_ranges_merge() {
        let mut r = Vec::new();
        add_range(&mut r, 0..0x20);
        add_range(&mut r, 0x20..0x40);
        add_range(&mut r, 0x100..0x120);
        assert_eq!(r, vec![0..0x40, 0x100..0x120]);
    }

    #[test]
    fn sidecar_name() {
        assert_eq!(
            manifest_path(Path::new("/tmp/a.bin")),
            PathBuf::from("/tmp/a.bin.manifest.json")
        );
    }
}
