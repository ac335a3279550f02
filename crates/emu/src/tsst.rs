//! The TSST/Samsung "FF download" drive model (docs/protocol.md §4, §6.1), one model for the
//! three drive classes of [`Class`]: the MT1939 BD writer (SE-506CB) with its boot loader and
//! flash read-back, and the MT1339 and SD-616 DVD-ROM drives, whose download is public but
//! whose flash cannot be read back.
//!
//! States: application firmware (idle or downloading), the MT1939 boot loader (the image
//! failed the loader's checks at power-on), and rebooting after the last download command.
//! This is the device side: it decodes the FF CDBs but never sends any. Every behaviour is
//! listed with its source, or as an assumption, in `crates/emu/src/README.md`.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::fault::Phase;
use super::mmc::{self, InquiryTail, Presentation, Reply};
use super::model::{buffer_window, Behaviour, Memory};
use super::mt19xx::{BD_CAPABILITIES, BD_PROFILES};
use super::persist::check_time;
use super::spec::{Spec, StartMode};
use super::{Activity, Mode};
use crate::image::layout::BOOT_REGION_END;
use crate::image::synth;
use crate::image::tsst::{self, Class, Commit, ReadBack, Stage};
use crate::scsi::cdb::{self, opcode};
use crate::scsi::{Sense, SenseKey};

/// The family's vendor opcode, followed by a 16-bit subcommand in CDB bytes 1..2 (coastermelt
/// `doc/bootloader.txt`).
const VENDOR: u8 = 0xFF;
/// `FF 00 01`: the download (docs/protocol.md §4.1).
const SUB_DOWNLOAD: [u8; 2] = [0x00, 0x01];
/// `FF 00 FF`: the version read (docs/protocol.md §4.5).
const SUB_VERSION: [u8; 2] = [0x00, 0xFF];
/// CDB byte holding the download's state byte.
const STATE_BYTE: usize = 5;
/// The version reply, "the same for all versions observed", boot loader included (coastermelt
/// `doc/bootloader.txt`, `doc/update-ts01-notes.txt`).
const VERSION_INFO: [u8; 8] = [0x00, 0x06, 0x01, 0x01, b'T', b'S', b' ', 0x00];
/// READ BUFFER mode that reads the flash (coastermelt `backdoor/dump.py`; docs/protocol.md §4.7).
const MODE_FLASH: u8 = 0x06;

/// Opcodes the MT1939 boot loader handles (coastermelt `doc/bootloader.txt`: 12, 1B, 46, 4A,
/// 5A, 3C, 3B, F1, FF), plus TEST UNIT READY and REQUEST SENSE.
// ASSUMPTION: we add 00 and 03 because a USB mass-storage host (usb-storage) cannot talk to a
// device that rejects them.
pub(crate) const LOADER_OPCODES: [u8; 11] = [
    0x00, 0x03, 0x12, 0x1B, 0x46, 0x4A, 0x5A, 0x3B, 0x3C, 0xF1, 0xFF,
];

/// Time to program one MiB: the SE-506CB stalls about 10 s in the command that completes each
/// MiB (coastermelt `doc/update-ts01-notes.txt`; docs/protocol.md §4.6).
const PROGRAM_PER_MIB: Duration = Duration::from_secs(10);
/// Time from the last download command to the new firmware answering: Windows resumed its
/// polling about 10 s after the final command (coastermelt `doc/update-ts01-notes.txt`).
const REBOOT_TIME: Duration = Duration::from_secs(10);
const MIB: usize = 1 << 20;

/// Vendor-specific INQUIRY bytes (from byte 36) of the SE-506CB application, as captured
/// (coastermelt `doc/update-ts01-notes.txt`, tests/data/real/tsst-se506cb-ts01.jsonl); the boot
/// loader sends zeros there.
// ASSUMPTION: the bytes do not change with the firmware (their meaning is not public), and the
// DVD-ROM classes send zeros.
const SE506CB_INQUIRY_TAIL: &[u8] = b"  0528       ";
/// MMC profiles of a DVD-ROM drive: DVD-ROM, CD-ROM.
const DVD_ROM_PROFILES: &[u16] = &[0x10, 0x08];
/// Page 0x2A of a DVD-ROM drive: reads CD-R, CD-RW, DVD-ROM, DVD-R and DVD-RAM; writes nothing.
const DVD_ROM_CAPABILITIES: [u8; 2] = [0x3B, 0x00];
/// The application byte `mode=boot` flips, inside the 16-bit sum's range.
const BOOT_FLIP: usize = 0x8_1234;

/// What the drive runs after power-on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Running {
    /// The application firmware.
    App,
    /// The MT1939 boot loader: the image in flash failed its checks.
    Boot,
}

/// The TSST drive state. Flash and staged data are persisted as sidecar files, not in JSON.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Tsst {
    pub class: Class,
    /// INQUIRY vendor and product: the factory's, in loader and application alike.
    pub vendor: String,
    pub product: String,
    /// Revision of the firmware in flash (INQUIRY in the application).
    pub revision: String,
    pub serial: String,
    pub max_transfer: usize,
    pub running: Running,
    /// When the reboot after the last download command ends, while one runs.
    pub reboot: Option<Duration>,
    /// True after a download completed, until the next download or power loss: READ BUFFER is
    /// then the host's verify.
    pub verifying: bool,
    /// The flash: the image as the drive keeps it (2 MiB, 256 KiB, or the 128 KiB SD-616 image,
    /// not its download layout); `staged`: the download buffer received so far.
    #[serde(flatten)]
    pub mem: Memory,
    /// How long the last command held its status back (taken by `lib.rs` right after it).
    #[serde(skip)]
    stall: Duration,
}

/// True when the MT1939 loader would start the application in `flash`: the 16-bit sum matches,
/// the trailer carries its `AA AA` marker and the key at 0x10FF0 equals its copy at 0x1FF000
/// (coastermelt `doc/bootloader.txt`, "Initialization" and "Signature").
// ASSUMPTION: the loader also checks the signature table, whose cipher is not public; the
// emulator checks only these three.
fn loader_starts_app(flash: &[u8]) -> bool {
    let key = |at: usize| flash.get(at..at + 16);
    tsst::parse_mt1939(flash).is_ok_and(|i| i.checksum.matches() && i.trailer.is_some())
        && key(tsst::MT1939_KEY) == key(tsst::MT1939_KEY_COPY)
}

impl Tsst {
    /// A drive of `class` as the factory left it, in the spec's start mode (`mode=boot` is
    /// refused by the spec for classes without a public loader).
    pub(crate) fn new(spec: &Spec, class: Class) -> Tsst {
        let mut flash = synth::build_tsst(class, spec.vendor(), spec.model(), spec.revision());
        if spec.mode == StartMode::Boot {
            flash[BOOT_FLIP] ^= 0x5A;
        }
        let mut drive = Tsst {
            class,
            vendor: spec.vendor().to_string(),
            product: spec.model().to_string(),
            revision: spec.revision().to_string(),
            serial: spec.serial().to_string(),
            max_transfer: spec.max_transfer,
            running: Running::App,
            reboot: None,
            verifying: false,
            mem: Memory::new(flash),
            stall: Duration::ZERO,
        };
        drive.power_on();
        drive
    }

    /// Power-on: the MT1939 loader checks the image and runs it or stays; the DVD-ROM classes
    /// always run their firmware. The revision is read from the trailer.
    // ASSUMPTION: real firmware reports the revision compiled into its code (coastermelt: editing
    // the trailer does not change INQUIRY); synthetic code has none, so the emulator takes the
    // trailer's (for the DVD-ROM classes the identity block `synth::build_tsst` writes). An image with no
    // trailer leaves the revision as it was.
    fn power_on(&mut self) {
        self.mem.drop_staged();
        self.reboot = None;
        self.running = if self.class == Class::Mt1939Bd && !loader_starts_app(&self.mem.flash) {
            Running::Boot
        } else {
            Running::App
        };
        if let Some(trailer) = tsst::parse_trailer(&self.mem.flash) {
            self.revision = trailer.revision;
        }
    }

    fn presentation(&self) -> Presentation {
        let boot = self.running == Running::Boot;
        let (profiles, capabilities, tail) = match self.class {
            Class::Mt1939Bd if boot => (BD_PROFILES, BD_CAPABILITIES, &[][..]),
            Class::Mt1939Bd => (BD_PROFILES, BD_CAPABILITIES, SE506CB_INQUIRY_TAIL),
            Class::Mt1339DvdRom | Class::Sd616 => (DVD_ROM_PROFILES, DVD_ROM_CAPABILITIES, &[][..]),
        };
        Presentation {
            vendor: self.vendor.clone(),
            product: self.product.clone(),
            // The loader keeps vendor and product and reports revision `BOOT` (coastermelt
            // `doc/update-ts01-notes.txt`; docs/protocol.md §6.1).
            revision: if boot { "BOOT" } else { &self.revision }.to_string(),
            // ASSUMPTION: no capture shows GET CONFIGURATION of these drives; we report neither
            // feature 0x010C nor 0x0108.
            date: None,
            serial: self.serial.clone(),
            serial_feature: false,
            profiles,
            capabilities,
            inquiry_tail: InquiryTail::Tsst(tail),
        }
    }

    fn test_unit_ready(&self) -> Reply {
        match (self.running, self.class) {
            // ASSUMPTION: the loader has no disc logic; NOT READY, cause not reportable.
            (Running::Boot, _) => mmc::not_ready(0x04, 0x00),
            // The captured SE-506CB answered 02/3A/02 (coastermelt `doc/update-ts01-notes.txt`).
            (Running::App, Class::Mt1939Bd) => mmc::not_ready(0x3A, 0x02),
            // ASSUMPTION: an empty DVD-ROM drive answers the plain "medium not present".
            (Running::App, _) => mmc::not_ready(0x3A, 0x00),
        }
    }

    /// READ BUFFER mode 6: the flash, at most `max-transfer` bytes, the first 0x400 bytes read
    /// from 0x1000 (docs/protocol.md §4.7).
    fn read_buffer(&self, cdb: &[u8]) -> Reply {
        let (mode, id) = (cdb[1] & 0x1F, cdb[2]);
        let off = cdb::buffer_offset(cdb) as usize;
        let len = cdb::buffer_length(cdb) as usize;
        // ASSUMPTION: other modes (coastermelt's mode 2 reads another address space) and
        // buffer ids are not modelled: 05/24/00, as is a read past the flash or above the limit.
        if mode != MODE_FLASH
            || id != 0
            || len > self.max_transfer
            || off + len > self.mem.flash.len()
        {
            return mmc::invalid_field();
        }
        let mut data = self.mem.flash[off..off + len].to_vec();
        if off < tsst::MT1939_MIRROR_LEN {
            let n = (tsst::MT1939_MIRROR_LEN - off).min(len);
            let src = tsst::MT1939_MIRROR_SOURCE + off;
            data[..n].copy_from_slice(&self.mem.flash[src..src + n]);
        }
        Reply::In(data)
    }

    /// An FF command: the download, the version read, or an ignored subcommand.
    fn vendor_command(&mut self, cdb: &[u8], out: &[u8], now: Duration) -> Reply {
        match [cdb[1], cdb[2]] {
            SUB_DOWNLOAD => self.download(cdb[STATE_BYTE], out, now),
            // ASSUMPTION: that the DVD-ROM classes answer FF 00 FF is not public
            // (docs/protocol.md §4.5); they ignore it like any unknown subcommand.
            SUB_VERSION if self.class == Class::Mt1939Bd => Reply::In(VERSION_INFO.to_vec()),
            // "Unrecognized commands are ignored silently without an error response"
            // (coastermelt `doc/bootloader.txt`; docs/protocol.md §4.5). FF 00 04 / FF 00 05
            // (the loader's app-select register) are not modelled and answered the same way.
            _ => Reply::Done,
        }
    }

    /// One `FF 00 01` command with state byte `st` carrying `out`.
    ///
    /// `00` opens a download (dropping any open one); `FF` and the class's final state append
    /// to it. The final state must complete the class's buffer exactly, `FF` must not.
    // ASSUMPTION (the drive's reactions to a wrong sequence are not public): `FF` or the final
    // state with no download open is a command sequence error (05/2C/00); an unknown state
    // byte, an empty or over-long chunk, a chunk past the buffer's end, a final state before
    // the end or `FF` at it is an invalid field (05/24/00). Either way the download is dropped
    // (what an MT1939 has already programmed stays).
    fn download(&mut self, st: u8, out: &[u8], now: Duration) -> Reply {
        match self.class.stage(st) {
            Some(Stage::First) => {
                self.mem.drop_staged();
                self.mem.staged = Some(Vec::with_capacity(self.class.buffer_size()));
                self.verifying = false;
            }
            Some(Stage::Continue | Stage::Last) => {}
            None => {
                self.mem.drop_staged();
                return mmc::invalid_field();
            }
        }
        let Some(before) = self.mem.staged.as_ref().map(Vec::len) else {
            return mmc::sequence_error();
        };
        let after = before + out.len();
        let total = self.class.buffer_size();
        let is_last = self.class.stage(st) == Some(Stage::Last);
        if out.is_empty()
            || out.len() > self.max_transfer
            || after > total
            || is_last != (after == total)
        {
            self.mem.drop_staged();
            return mmc::invalid_field();
        }
        if let Some(staged) = &mut self.mem.staged {
            staged.extend_from_slice(out);
        }
        self.mem.staged_gen += 1;
        self.stall = self.program_completed(before, after);
        if is_last {
            self.finish(now)
        } else {
            Reply::Done
        }
    }

    /// Program every MiB the chunk that moved the buffer from `before` to `after` bytes
    /// completed, on a class that commits each MiB; returns the time it took. The boot region
    /// is never programmed ("ignored during upload": coastermelt `doc/bootloader.txt`).
    fn program_completed(&mut self, before: usize, after: usize) -> Duration {
        let (Commit::EachMebibyte, Some(staged)) = (self.class.commit(), &self.mem.staged) else {
            return Duration::ZERO;
        };
        let mut took = Duration::ZERO;
        for end in (MIB..=after).step_by(MIB).filter(|&end| end > before) {
            let range = (end - MIB).max(BOOT_REGION_END)..end;
            self.mem.flash[range.clone()].copy_from_slice(&staged[range]);
            self.mem.flash_gen += 1;
            took += PROGRAM_PER_MIB;
        }
        took
    }

    /// The last download command arrived: burn what is left and start the reboot.
    fn finish(&mut self, now: Duration) -> Reply {
        let staged = self.mem.staged.take().unwrap_or_default();
        self.mem.staged_gen += 1;
        if self.class.commit() == Commit::NotPublic {
            // ASSUMPTION: where these classes commit is not public (docs/protocol.md §4.6); the
            // emulator programs the whole image inside the last command, at the MT1939's rate.
            match tsst::image_from_download(self.class, &staged) {
                Ok(image) => {
                    self.stall = PROGRAM_PER_MIB.mul_f64(image.len() as f64 / MIB as f64);
                    self.mem.flash = image;
                    self.mem.flash_gen += 1;
                }
                // ASSUMPTION: a buffer not in the class's layout (SD-616) is refused with
                // ILLEGAL REQUEST, invalid field in parameter list, and nothing is burned.
                Err(_) => return Reply::Check(Sense::new(SenseKey::IllegalRequest, 0x26, 0x00)),
            }
        }
        self.reboot = Some(now + self.stall + REBOOT_TIME);
        match self.class {
            // The SE-506CB completes the last command with GOOD and a residue equal to its
            // length (coastermelt `doc/update-ts01-notes.txt`; docs/protocol.md §4.6).
            Class::Mt1939Bd => Reply::DoneReporting { transferred: 0 },
            // ASSUMPTION: no capture of the DVD-ROM classes; they report every byte moved.
            Class::Mt1339DvdRom | Class::Sd616 => Reply::Done,
        }
    }

    /// Whether `cdb` is a download command, and its state byte.
    fn download_state(cdb: &[u8]) -> Option<u8> {
        (cdb.first() == Some(&VENDOR) && cdb.get(1..3) == Some(&SUB_DOWNLOAD[..]))
            .then(|| cdb.get(STATE_BYTE).copied())
            .flatten()
    }
}

impl Behaviour for Tsst {
    fn execute(&mut self, cdb: &[u8], out: &[u8], _partial: bool, now: Duration) -> Reply {
        let op = cdb[0];
        if cdb.len() < cdb::cdb_length(op).min(10) {
            return mmc::invalid_field();
        }
        if self.reboot.is_some() {
            // ASSUMPTION: a rebooting drive answers nothing but NOT READY, in process of
            // becoming ready (on USB the real drive re-enumerates: coastermelt reopens it).
            return mmc::not_ready(0x04, 0x01);
        }
        if self.running == Running::Boot && !LOADER_OPCODES.contains(&op) {
            return mmc::invalid_opcode();
        }
        match op {
            opcode::TEST_UNIT_READY => self.test_unit_ready(),
            opcode::INQUIRY => mmc::inquiry(cdb, &self.presentation()),
            opcode::GET_CONFIGURATION => mmc::get_configuration(cdb, &self.presentation()),
            opcode::MODE_SENSE_10 => mmc::mode_sense_10(cdb, &self.presentation()),
            opcode::GET_EVENT_STATUS => mmc::event_status(cdb),
            op if mmc::MECHANISM.contains(&op) => Reply::Done,
            op if mmc::MEDIUM_ACCESS.contains(&op) => self.test_unit_ready(),
            opcode::READ_BUFFER if self.class.read_back() == ReadBack::ReadBuffer => {
                self.read_buffer(cdb)
            }
            VENDOR => self.vendor_command(cdb, out, now),
            // WRITE BUFFER, F1 and everything else: not modelled (05/20/00).
            _ => mmc::invalid_opcode(),
        }
    }

    fn take_stall(&mut self) -> Duration {
        std::mem::take(&mut self.stall)
    }

    /// A download command's window is the part of the download buffer it carries.
    fn window(&self, cdb: &[u8], data_len: usize) -> Option<(u32, u32)> {
        match Tsst::download_state(cdb) {
            Some(st) => {
                let start = match (&self.mem.staged, self.class.stage(st)) {
                    (Some(staged), Some(Stage::Continue | Stage::Last)) => staged.len(),
                    _ => 0,
                };
                Some((start as u32, data_len as u32))
            }
            None => buffer_window(cdb),
        }
    }

    /// Stream: a download command before the last; commit: the one with the final state;
    /// burn: any command while the drive reboots; verify: READ BUFFER mode 6 after a download.
    fn phase(&self, cdb: &[u8]) -> Option<Phase> {
        if self.reboot.is_some() {
            return Some(Phase::Burn);
        }
        match Tsst::download_state(cdb) {
            Some(st) if self.class.stage(st) == Some(Stage::Last) => Some(Phase::Commit),
            Some(_) => Some(Phase::Stream),
            None => (cdb.first() == Some(&opcode::READ_BUFFER)
                && cdb.get(1).map(|m| m & 0x1F) == Some(MODE_FLASH)
                && self.verifying)
                .then_some(Phase::Verify),
        }
    }

    fn settle(&mut self, now: Duration) -> bool {
        match self.reboot {
            Some(end) if now >= end => {
                self.power_on();
                self.verifying = true;
                true
            }
            _ => false,
        }
    }

    /// Download RAM is lost; what was programmed stays; a reboot in progress is cut short by
    /// the power-on.
    fn power_loss(&mut self, _now: Duration) {
        self.verifying = false;
        self.power_on();
    }

    // ASSUMPTION: as for MT19xx, the drive keeps power through a bus reset: the open download
    // is lost, a reboot continues.
    fn reset(&mut self) {
        self.mem.drop_staged();
    }

    fn rebase(&mut self, old_now: Duration, new_now: Duration) {
        self.reboot = self.reboot.map(|end| new_now + end.saturating_sub(old_now));
    }

    fn set_max_transfer(&mut self, bytes: usize) {
        self.max_transfer = bytes;
    }

    fn mode(&self) -> Mode {
        match self.running {
            Running::App => Mode::App,
            Running::Boot => Mode::Boot,
        }
    }

    fn activity(&self, now: Duration) -> Activity {
        match (self.reboot, &self.mem.staged) {
            (Some(end), _) => Activity::Rebooting {
                remaining: end.saturating_sub(now),
            },
            (None, Some(_)) => Activity::Downloading,
            (None, None) => Activity::Idle,
        }
    }

    fn memory(&self) -> Option<&Memory> {
        Some(&self.mem)
    }

    fn memory_mut(&mut self) -> Option<&mut Memory> {
        Some(&mut self.mem)
    }

    fn check_loaded(&self) -> Result<(), String> {
        let (flash, size) = (self.mem.flash.len(), self.class.image_size());
        if flash != size {
            return Err(format!(
                "flash is {flash} bytes; a {} drive has {size}",
                self.class
            ));
        }
        let staged = self.mem.staged.as_ref().map_or(0, Vec::len);
        if staged > self.class.buffer_size() {
            return Err(format!(
                "staged data is {staged} bytes, more than the {} download buffer",
                self.class
            ));
        }
        match self.reboot {
            Some(end) => check_time("reboot end", end),
            None => Ok(()),
        }
    }
}
