//! The MT1959/MT1939 drive model: a state machine over a 2 MiB flash (layout in
//! [`crate::image::layout`]) answering the standard commands and the READ/WRITE BUFFER flash
//! protocol of docs/protocol.md §1–§3 and the boot loader of §6.
//!
//! States: application firmware (idle, downloading, burning), needs attention (unit data blank
//! or inconsistent), and the boot loader (the application image failed its integrity check at
//! power-on). This is the device side: it decodes vendor CDBs but never sends any.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::mmc::{self, InquiryTail, Presentation, Reply};
use super::spec::{AntiDowngrade, BootStyle, FirmwareReads, Spec, StartMode};
use crate::image::layout::{
    BANNER_LEN, BANNER_OFFSET, BOOT_REGION_END, CALIBRATION_LEN, CALIBRATION_OFFSET,
    CHIP_TAG_IN_DESCRIPTOR, DESCRIPTOR_LEN, DESCRIPTOR_OFFSET, FLASH_SIZE, MIRROR_LEN,
    MIRROR_SOURCE,
};
use crate::image::mt19xx::{Version, VersionOrder};
use crate::image::{integrity, mt19xx::Chip, synth};
use crate::scsi::cdb::{self, opcode};

use super::fault::Phase;
use super::model::{Behaviour, Memory};
use super::persist::check_time;
use super::tsst;
use super::{Activity, Mode};

/// Burn speed: a TSST drive stalls about 10 s after each MiB it receives (coastermelt
/// `doc/update-ts01-notes.txt`; docs/protocol.md §1.6); an assumption for MT19xx.
const BURN_PER_MIB: Duration = Duration::from_secs(10);
/// WRITE BUFFER / READ BUFFER modes (docs/protocol.md §2.2, §2.4).
const MODE_PREPARE: u8 = 0x01;
const MODE_DATA: u8 = 0x06;
const MODE_COMMIT: u8 = 0x07;
/// The COMMIT trailer, CDB bytes 10..11 (freemkv `mtk.rs` `cdb_wb_commit`).
const COMMIT_MAGIC: [u8; 2] = [0x1B, 0x12];
/// True for the opcodes the boot loader answers: those of the TSST MT1939 loader
/// ([`tsst::LOADER_OPCODES`]: coastermelt `doc/bootloader.txt`, docs/protocol.md §6.1, plus TEST
/// UNIT READY and REQUEST SENSE) without its vendor opcodes F1 and FF, which are TSST-only.
// ASSUMPTION: an MT19xx loader answers the TSST loader's standard opcodes.
fn is_loader_opcode(op: u8) -> bool {
    tsst::LOADER_OPCODES.contains(&op) && !matches!(op, 0xF1 | 0xFF)
}
/// MMC profiles of a BD writer: BD-RE, BD-R SRM, BD-ROM, DVD+R, DVD+RW, DVD-RW, DVD-R, DVD-ROM,
/// CD-RW, CD-R, CD-ROM.
pub(crate) const BD_PROFILES: &[u16] = &[
    0x43, 0x41, 0x40, 0x1B, 0x1A, 0x14, 0x11, 0x10, 0x0A, 0x09, 0x08,
];
/// Page 0x2A read/write capability bytes of a DVD/BD writer.
pub(crate) const BD_CAPABILITIES: [u8; 2] = [0x3F, 0x37];
/// Firmware date reported through feature 0x010C and INQUIRY, encoded as a real LG BU40N
/// encodes its own: century "21" for 20xx, seconds left blank (freemkv/bdemu profile
/// `hl-dt-st-bd-re-bu40n-1.03-nm00000`, `gc_010c.bin`; tests/data/real/).
// ASSUMPTION: the date itself is invented; the emulated firmware has one fixed build date.
const FIRMWARE_DATE: [u8; 14] = *b"211911081200  ";

/// Which chip the drive carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum ChipKind {
    /// MT1959.
    Mt1959,
    /// MT1939.
    Mt1939,
}

impl ChipKind {
    fn chip(self) -> Chip {
        match self {
            ChipKind::Mt1959 => Chip::Mt1959,
            ChipKind::Mt1939 => Chip::Mt1939,
        }
    }
}

/// Strings compiled into a firmware (what its INQUIRY reports).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Strings {
    pub vendor: String,
    pub model: String,
    pub revision: String,
}

/// What the drive runs after power-on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Running {
    /// Application firmware; `attention` names what is wrong with the unit data, if anything.
    App { attention: Option<String> },
    /// The boot loader (the application failed its integrity check).
    Boot,
}

/// A burn in progress: the staged image is programmed between `start` and `end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Burn {
    pub start: Duration,
    pub end: Duration,
}

/// The MT19xx drive state. Flash and staged data are persisted as sidecar files, not in JSON.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Mt19xx {
    pub chip: ChipKind,
    /// Identity the boot loader presents (vendor/model from the factory; revision `BOOT`).
    pub factory: Strings,
    /// Strings of the firmware now in flash.
    pub firmware: Strings,
    pub serial: String,
    pub max_transfer: usize,
    pub running: Running,
    pub burn: Option<Burn>,
    /// True after a burn completed, until the next prepare or power loss: READ BUFFER is then
    /// the host's verify.
    pub verifying: bool,
    /// Flash and download-mode RAM (`staged`: `Some` between PREPARE and the end of the burn).
    #[serde(flatten)]
    pub mem: Memory,
    /// How the boot loader presents itself.
    #[serde(default)]
    pub boot_style: BootStyle,
    /// Whether the application firmware serves flash reads.
    #[serde(default)]
    pub firmware_reads: FirmwareReads,
    /// Whether the firmware refuses older images.
    #[serde(default)]
    pub anti_downgrade: AntiDowngrade,
}

fn trimmed(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .trim_end_matches([' ', '\0'])
        .to_string()
}

fn is_blank(bytes: &[u8]) -> bool {
    bytes.iter().all(|&b| b == 0xFF)
}

/// The vendor/model/revision written in a flash image's identity descriptor.
fn descriptor_strings(flash: &[u8]) -> Option<Strings> {
    let d = &flash[DESCRIPTOR_OFFSET..DESCRIPTOR_OFFSET + DESCRIPTOR_LEN];
    if is_blank(&d[..0x1C]) {
        return None;
    }
    Some(Strings {
        vendor: trimmed(&d[0x00..0x08]),
        model: trimmed(&d[0x08..0x18]),
        revision: trimmed(&d[0x18..0x1C]),
    })
}

fn ranges_overlap(a: (usize, usize), b: (usize, usize)) -> bool {
    a.0 < b.0 + b.1 && b.0 < a.0 + a.1
}

impl Mt19xx {
    /// A drive as the factory left it, in the spec's start mode.
    pub(crate) fn new(spec: &Spec, chip: ChipKind) -> Mt19xx {
        let strings = Strings {
            vendor: spec.vendor().to_string(),
            model: spec.model().to_string(),
            revision: spec.revision().to_string(),
        };
        let mut flash = synth::build_mt19xx(&synth::SynthSpec::new(
            chip.chip(),
            &strings.vendor,
            &strings.model,
            &strings.revision,
        ));
        match spec.mode {
            StartMode::App => {}
            StartMode::Boot => flash[synth::BAD_CMAC_OFFSET] ^= 0x5A,
            StartMode::NeedsAttention => {
                flash[CALIBRATION_OFFSET..CALIBRATION_OFFSET + CALIBRATION_LEN].fill(0xFF)
            }
        }
        let mut drive = Mt19xx {
            chip,
            factory: strings.clone(),
            firmware: strings,
            serial: spec.serial().to_string(),
            max_transfer: spec.max_transfer,
            running: Running::Boot,
            burn: None,
            verifying: false,
            mem: Memory::new(flash),
            boot_style: spec.boot_style,
            firmware_reads: spec.firmware_reads,
            anti_downgrade: spec.anti_downgrade,
        };
        drive.power_on();
        drive
    }

    /// Power-on: check the application image; run it or fall back to the boot loader.
    pub(crate) fn power_on(&mut self) {
        self.mem.staged = None;
        self.burn = None;
        let verified = integrity::verify(&self.mem.flash).is_ok_and(|r| r.is_verified());
        self.running = if verified {
            Running::App {
                attention: self.unit_data_problem(),
            }
        } else {
            Running::Boot
        };
    }

    /// What makes the unit data unusable for the running firmware, if anything.
    // ASSUMPTION: no public MT19xx source says how firmware reacts to bad unit data
    // (docs/protocol.md §9); we model the LiteOn "blinking LED" (EEPROM checksum mismatch,
    // docs/protocol.md §6.6):
    // blank windows, a chip tag that is not this drive's, or a descriptor model other than the
    // one the firmware was built for.
    fn unit_data_problem(&self) -> Option<String> {
        let d = &self.mem.flash[DESCRIPTOR_OFFSET..DESCRIPTOR_OFFSET + DESCRIPTOR_LEN];
        if is_blank(d) {
            return Some("identity descriptor at 0x1EC000 is blank".into());
        }
        let cal = &self.mem.flash[CALIBRATION_OFFSET..CALIBRATION_OFFSET + CALIBRATION_LEN];
        if is_blank(cal) {
            return Some("calibration at 0x1F0000 is blank".into());
        }
        let tag = &d[CHIP_TAG_IN_DESCRIPTOR..CHIP_TAG_IN_DESCRIPTOR + 10];
        if tag != self.chip.chip().tag() {
            return Some(format!(
                "descriptor chip tag `{}` is not {}",
                trimmed(tag),
                self.chip.chip().name()
            ));
        }
        let model = trimmed(&d[0x08..0x18]);
        if model != self.firmware.model {
            return Some(format!(
                "descriptor model `{model}` differs from the firmware's `{}`",
                self.firmware.model
            ));
        }
        None
    }

    /// Program the first `limit` application bytes of the staged image after an erase of the
    /// whole application region.
    // ASSUMPTION: the drive erases the region outside the boot loader, then programs it in
    // order, so an interrupted burn leaves a programmed prefix and an erased rest.
    fn program(&mut self, limit: usize) {
        let Some(staged) = self.mem.staged.take() else {
            return;
        };
        let region = BOOT_REGION_END..FLASH_SIZE;
        let done = limit.min(region.len());
        self.mem.flash[region.clone()].fill(0xFF);
        self.mem.flash[BOOT_REGION_END..BOOT_REGION_END + done]
            .copy_from_slice(&staged[BOOT_REGION_END..BOOT_REGION_END + done]);
        if let Some(strings) = descriptor_strings(&staged) {
            // ASSUMPTION: a firmware's INQUIRY strings are compiled into its code; synthetic
            // code carries none, so the emulator takes them from the image's descriptor.
            self.firmware = strings;
        }
        self.mem.flash_gen += 1;
        self.mem.staged_gen += 1;
    }

    fn presentation(&self) -> Presentation {
        let boot = self.running == Running::Boot;
        let (vendor, product, revision) = if boot {
            // ASSUMPTION: how an MT19xx loader presents itself is not public; we take the TSST
            // loader's (coastermelt `doc/update-ts01-notes.txt`): vendor and product unchanged,
            // revision `BOOT`, date zero.
            (&self.factory.vendor, &self.factory.model, "BOOT")
        } else {
            (
                &self.firmware.vendor,
                &self.firmware.model,
                self.firmware.revision.as_str(),
            )
        };
        let bare = boot && self.boot_style == BootStyle::Bare;
        Presentation {
            vendor: vendor.clone(),
            product: product.clone(),
            revision: revision.to_string(),
            // A bare loader reports neither feature 0x010C nor 0x0108.
            date: match (boot, bare) {
                (_, true) => None,
                (true, false) => Some([0; 14]),
                (false, _) => Some(FIRMWARE_DATE),
            },
            serial: self.serial.clone(),
            serial_feature: !bare,
            profiles: BD_PROFILES,
            capabilities: BD_CAPABILITIES,
            inquiry_tail: InquiryTail::Date,
        }
    }

    fn test_unit_ready(&self) -> Reply {
        match &self.running {
            // "No medium" (02/3A) is the healthy idle state (docs/protocol.md §1.2).
            Running::App { attention: None } => mmc::not_ready(0x3A, 0x00),
            // ASSUMPTION: the LiteOn blinking-LED analogue: visible, cannot read discs; we
            // answer NOT READY, manual intervention required (02/04/03), a benign key 2 that
            // differs from the burn's 04/07 and the loader's 04/00.
            Running::App { attention: Some(_) } => mmc::not_ready(0x04, 0x03),
            // ASSUMPTION: the loader has no disc logic; NOT READY, cause not reportable.
            Running::Boot => mmc::not_ready(0x04, 0x00),
        }
    }

    /// True when this drive refuses every flash read: a bare boot loader, or application
    /// firmware that blocks them.
    fn refuses_reads(&self) -> bool {
        match self.running {
            Running::Boot => self.boot_style == BootStyle::Bare,
            Running::App { .. } => self.firmware_reads == FirmwareReads::Blocked,
        }
    }

    fn read_buffer(&self, cdb: &[u8]) -> Reply {
        if self.refuses_reads() {
            return mmc::invalid_field();
        }
        let (mode, id) = (cdb[1] & 0x1F, cdb[2]);
        let off = cdb::buffer_offset(cdb) as usize;
        let len = cdb::buffer_length(cdb) as usize;
        if mode != MODE_DATA || id != 0 || len > self.max_transfer || off + len > FLASH_SIZE {
            return mmc::invalid_field();
        }
        // The banner window accepts exactly 0x20 bytes (freemkv `has_mt19_banner`);
        // ASSUMPTION: any other read that touches it is rejected as well.
        if ranges_overlap((off, len), (BANNER_OFFSET, BANNER_LEN))
            && (off, len) != (BANNER_OFFSET, BANNER_LEN)
        {
            return mmc::invalid_field();
        }
        // Reads of the first page return a mirror of 0x10000 (freemkv
        // `ensure_flashable_boot_page`); the rest of the boot region reads as stored.
        let mut data = self.mem.flash[off..off + len].to_vec();
        if off < MIRROR_LEN {
            let n = (MIRROR_LEN - off).min(len);
            let src = MIRROR_SOURCE + off;
            data[..n].copy_from_slice(&self.mem.flash[src..src + n]);
        }
        Reply::In(data)
    }

    fn write_buffer(&mut self, cdb: &[u8], out: &[u8], partial: bool, now: Duration) -> Reply {
        let (mode, id) = (cdb[1] & 0x1F, cdb[2]);
        let off = cdb::buffer_offset(cdb) as usize;
        let len = cdb::buffer_length(cdb) as usize;
        if id != 0 {
            return mmc::invalid_field();
        }
        match mode {
            MODE_PREPARE => {
                // docs/protocol.md §2.4: offset and length 0; byte 9 = 0x0B (freemkv) or 0
                // (redumper).
                if off != 0 || len != 0 || !out.is_empty() {
                    return mmc::invalid_field();
                }
                self.mem.staged = Some(vec![0xFF; FLASH_SIZE]);
                self.mem.staged_gen += 1;
                self.verifying = false;
                Reply::Done
            }
            MODE_DATA => self.write_data(off, len, out, partial, now),
            MODE_COMMIT => self.commit(cdb),
            _ => mmc::invalid_field(),
        }
    }

    fn write_data(
        &mut self,
        off: usize,
        len: usize,
        out: &[u8],
        partial: bool,
        now: Duration,
    ) -> Reply {
        let length_ok = if partial {
            out.len() <= len
        } else {
            out.len() == len
        };
        if len == 0 || len > self.max_transfer || off + len > FLASH_SIZE || !length_ok {
            return mmc::invalid_field();
        }
        if let Some(staged) = &mut self.mem.staged {
            // docs/protocol.md §2.4: chunks are staged in RAM; the drive erases and programs when
            // the last chunk of the image arrives. Bytes for the boot region are staged but never
            // burned (coastermelt: "those bytes are ignored during upload").
            staged[off..off + out.len()].copy_from_slice(out);
            self.mem.staged_gen += 1;
            if off + len == FLASH_SIZE {
                if let Some(refusal) = self.refuse_image() {
                    return refusal;
                }
                let app = (FLASH_SIZE - BOOT_REGION_END) as f64 / (1 << 20) as f64;
                self.burn = Some(Burn {
                    start: now,
                    end: now + BURN_PER_MIB.mul_f64(app),
                });
            }
            return Reply::Done;
        }
        let window = (off, len);
        let targeted = window == (DESCRIPTOR_OFFSET, DESCRIPTOR_LEN)
            || window == (CALIBRATION_OFFSET, CALIBRATION_LEN);
        match &self.running {
            // docs/protocol.md §2.7: targeted write-back of the per-unit windows.
            // ASSUMPTION: programmed within the command, and the firmware re-reads its unit data
            // at once (no power cycle needed to leave the needs-attention state).
            Running::App { .. } if targeted => {
                self.mem.flash[off..off + out.len()].copy_from_slice(out);
                self.mem.flash_gen += 1;
                self.running = Running::App {
                    attention: self.unit_data_problem(),
                };
                Reply::Done
            }
            // ASSUMPTION: the loader only downloads whole images; and a data chunk outside
            // download mode that is not a unit window is a sequence error.
            Running::Boot if targeted => mmc::invalid_field(),
            _ => mmc::sequence_error(),
        }
    }

    /// What the drive does instead of burning the complete staged image, if anything: the
    /// anti-downgrade refusal of an older image (ILLEGAL REQUEST 05/24/00 on the last chunk,
    /// "Write DRAM NG 05/24/00": docs/protocol.md §7.1), or the silent no-op on an image whose
    /// 16-byte boot ID differs from the drive's (docs/protocol.md §7.2). Either way the staged
    /// data is dropped and the flash keeps its firmware.
    fn refuse_image(&mut self) -> Option<Reply> {
        let staged = self.mem.staged.as_ref()?;
        let boot_id = BANNER_OFFSET..BANNER_OFFSET + 16;
        let older = || {
            let image = descriptor_strings(staged)?;
            let order =
                Version::parse(&self.firmware.revision).compare(&Version::parse(&image.revision));
            Some(order == VersionOrder::Newer)
        };
        let reply = if staged[boot_id.clone()] != self.mem.flash[boot_id] {
            // ASSUMPTION: the drive acknowledges the stream and the commit as if it had burned.
            self.verifying = true;
            Reply::Done
        } else if self.anti_downgrade == AntiDowngrade::On
            && matches!(self.running, Running::App { .. })
            && older() == Some(true)
        {
            mmc::invalid_field()
        } else {
            return None;
        };
        self.mem.staged = None;
        self.mem.staged_gen += 1;
        Some(reply)
    }

    fn commit(&mut self, cdb: &[u8]) -> Reply {
        // ASSUMPTION: the firmware checks the `1B 12` trailer (its meaning is unknown).
        if cdb.len() < 12 || cdb[10..12] != COMMIT_MAGIC || cdb::buffer_length(cdb) != 0 {
            return mmc::invalid_field();
        }
        // During a burn the busy check answered NOT READY already; after the reboot the drive's
        // UNIT ATTENTION reaches the commit first (a COMMIT may be answered CHECK
        // CONDITION: docs/protocol.md §2.4).
        if self.verifying {
            Reply::Done
        } else {
            mmc::sequence_error()
        }
    }
}

impl Behaviour for Mt19xx {
    /// Complete a burn whose time is up; true when the drive rebooted.
    fn settle(&mut self, now: Duration) -> bool {
        match self.burn {
            Some(burn) if now >= burn.end => {
                self.program(usize::MAX);
                self.power_on();
                self.verifying = true;
                true
            }
            _ => false,
        }
    }

    /// Power lost at `now`: staged data vanishes, a burn stops where it is, the drive reboots.
    fn power_loss(&mut self, now: Duration) {
        if let Some(burn) = self.burn {
            let total = (burn.end - burn.start).as_secs_f64();
            let elapsed = now.saturating_sub(burn.start).as_secs_f64();
            let fraction = if total > 0.0 { elapsed / total } else { 1.0 };
            let bytes = ((FLASH_SIZE - BOOT_REGION_END) as f64 * fraction.min(1.0)) as usize;
            self.program(bytes);
        }
        self.mem.drop_staged();
        self.verifying = false;
        self.power_on();
    }

    /// USB-style reset: staged download data is lost; a running burn continues.
    // ASSUMPTION: the drive keeps power through a bus reset, so the flash controller finishes.
    fn reset(&mut self) {
        if self.burn.is_none() {
            self.mem.drop_staged();
        }
    }

    /// Move deadlines from one clock to another.
    fn rebase(&mut self, old_now: Duration, new_now: Duration) {
        if let Some(burn) = &mut self.burn {
            let remaining = burn.end.saturating_sub(old_now);
            let done = old_now.saturating_sub(burn.start);
            burn.start = new_now.saturating_sub(done);
            burn.end = new_now + remaining;
        }
    }

    /// The phase a command belongs to, for fault triggers.
    fn phase(&self, cdb: &[u8]) -> Option<Phase> {
        let mode = cdb.get(1).map(|b| b & 0x1F);
        match (cdb.first().copied()?, mode) {
            // The commit usually arrives while the drive burns: it is still the commit phase.
            (opcode::WRITE_BUFFER, Some(MODE_COMMIT)) => Some(Phase::Commit),
            _ if self.burn.is_some() => Some(Phase::Burn),
            (opcode::WRITE_BUFFER, Some(MODE_PREPARE)) => Some(Phase::Prepare),
            (opcode::WRITE_BUFFER, Some(MODE_DATA)) if self.mem.staged.is_some() => {
                Some(Phase::Stream)
            }
            (opcode::READ_BUFFER, Some(MODE_DATA)) if self.verifying => Some(Phase::Verify),
            _ => None,
        }
    }

    /// Execute one command. `out` is the data-out the drive received; `partial` marks a short
    /// transfer (fewer bytes than the CDB announced arrived).
    fn execute(&mut self, cdb: &[u8], out: &[u8], partial: bool, now: Duration) -> Reply {
        let op = cdb[0];
        if cdb.len() < cdb::cdb_length(op).min(10) {
            return mmc::invalid_field();
        }
        if self.burn.is_some() && op != opcode::INQUIRY {
            // ASSUMPTION: while programming, the firmware still answers INQUIRY (SPC requires
            // it) and everything else gets NOT READY, operation in progress (freemkv `wait_ready`
            // sees only NOT READY while the drive programs; docs/protocol.md §2.5).
            return mmc::not_ready(0x04, 0x07);
        }
        let boot = self.running == Running::Boot;
        if boot && !is_loader_opcode(op) {
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
            opcode::READ_BUFFER => self.read_buffer(cdb),
            opcode::WRITE_BUFFER => self.write_buffer(cdb, out, partial, now),
            _ => mmc::invalid_opcode(),
        }
    }

    fn set_max_transfer(&mut self, bytes: usize) {
        self.max_transfer = bytes;
    }

    fn mode(&self) -> Mode {
        match &self.running {
            Running::App { attention: None } => Mode::App,
            Running::App {
                attention: Some(reason),
            } => Mode::NeedsAttention {
                reason: reason.clone(),
            },
            Running::Boot => Mode::Boot,
        }
    }

    fn activity(&self, now: Duration) -> Activity {
        match (self.burn, &self.mem.staged) {
            (Some(burn), _) => Activity::Burning {
                remaining: burn.end.saturating_sub(now),
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
        if self.mem.flash.len() != FLASH_SIZE {
            return Err(format!(
                "flash is {} bytes, not {FLASH_SIZE}",
                self.mem.flash.len()
            ));
        }
        if let Some(staged) = &self.mem.staged {
            if staged.len() != FLASH_SIZE {
                return Err(format!(
                    "staged data is {} bytes, not {FLASH_SIZE}",
                    staged.len()
                ));
            }
        }
        if let Some(burn) = &self.burn {
            check_time("burn end", burn.end)?;
            if burn.start > burn.end {
                return Err("a burn that ends before it starts".into());
            }
        }
        Ok(())
    }
}
