//! The flash engine, unchanged, on a family it was never written for: the made-up "paged"
//! family (`family/paged`: its own image format, no prepare or commit, the point of no return
//! at the first chunk, a whole-flash read-back, no unit data) against an in-memory drive. Plan,
//! gates, backup, execute, verify and the failure reports all come from the family's facts.

use std::time::Duration;

use crate::family::paged::{self, build_image, cdb, seal, Paged, LARGE_PAGED, PAGE, PAGED, SIZE};
use crate::family::{DriveState, Family};
use crate::scsi::cdb::opcode;
use crate::scsi::{self, status, Data, Outcome, Sense, SenseKey, Transport, TransportError};

use super::drive::{Device, DeviceKind, Drive};
use super::error::{Burned, Error};
use super::flash::{execute_flash, plan_flash, FlashOptions, ImageFile, Step, Verification};
use super::gates::Gate;

/// An in-memory paged drive: INQUIRY, TEST UNIT READY and the paged family's page commands.
struct PagedDrive {
    flash: Vec<u8>,
    model: &'static str,
    revision: String,
    log: Vec<Vec<u8>>,
    /// Answer the write of this page with MEDIUM ERROR.
    fail_write_at: Option<usize>,
    /// Store this flash offset inverted.
    corrupt: Option<usize>,
}

impl PagedDrive {
    fn new() -> PagedDrive {
        PagedDrive::of_size(SIZE)
    }

    fn of_size(size: usize) -> PagedDrive {
        PagedDrive {
            flash: build_image(size, "PD-1", "10", 0x11),
            model: "PD-1",
            revision: "10".into(),
            log: Vec::new(),
            fail_write_at: None,
            corrupt: None,
        }
    }

    fn writes(&self) -> usize {
        self.log
            .iter()
            .filter(|c| c[0] == opcode::WRITE_BUFFER)
            .count()
    }
}

/// Offset and length fields of a READ/WRITE BUFFER CDB (24 bits each).
fn fields(cdb: &[u8]) -> (usize, usize) {
    let be24 = |b: &[u8]| (usize::from(b[0]) << 16) | (usize::from(b[1]) << 8) | usize::from(b[2]);
    (be24(&cdb[3..6]), be24(&cdb[6..9]))
}

fn check(key: SenseKey) -> Outcome {
    Outcome {
        status: status::CHECK_CONDITION,
        sense: Sense::new(key, 0, 0).to_fixed().to_vec(),
        ..Outcome::good(0, Duration::ZERO)
    }
}

impl Transport for PagedDrive {
    fn execute(
        &mut self,
        cdb: &[u8],
        data: Data<'_>,
        _timeout: Duration,
    ) -> Result<Outcome, TransportError> {
        self.log.push(cdb.to_vec());
        let page_read = cdb::build_read_page(0, 0);
        let page_write = cdb::build_write_page(0, 0);
        Ok(match (cdb[0], data) {
            (opcode::INQUIRY, Data::In(buf)) => {
                let mut reply = [b' '; 36];
                reply[..8].copy_from_slice(&[5, 0x80, 5, 2, 31, 0, 0, 0]);
                reply[8..13].copy_from_slice(paged::VENDOR.as_bytes());
                reply[16..16 + self.model.len()].copy_from_slice(self.model.as_bytes());
                let rev = format!("{:<4}", self.revision);
                reply[32..36].copy_from_slice(rev.as_bytes());
                let n = buf.len().min(36);
                buf[..n].copy_from_slice(&reply[..n]);
                Outcome::good(n, Duration::ZERO)
            }
            (opcode::TEST_UNIT_READY, _) => Outcome::good(0, Duration::ZERO),
            (_, Data::In(buf)) if cdb[..2] == page_read[..2] => {
                let (at, len) = fields(cdb);
                buf[..len].copy_from_slice(&self.flash[at..at + len]);
                Outcome::good(len, Duration::ZERO)
            }
            (_, Data::Out(bytes)) if cdb[..2] == page_write[..2] => {
                let (at, len) = fields(cdb);
                if self.fail_write_at == Some(at / PAGE) {
                    return Ok(check(SenseKey::MediumError));
                }
                self.flash[at..at + len].copy_from_slice(bytes);
                if let Some(c) = self.corrupt.filter(|c| (at..at + len).contains(c)) {
                    self.flash[c] ^= 0xFF;
                }
                if at + len == self.flash.len() {
                    self.revision = String::from_utf8_lossy(&self.flash[20..24]).trim().into();
                }
                Outcome::good(len, Duration::ZERO)
            }
            _ => check(SenseKey::IllegalRequest),
        })
    }

    fn pause(&mut self, _duration: Duration) {}

    fn describe(&self) -> String {
        "paged:test".into()
    }
}

/// Identify the paged drive on `dev` the way `drive::identify` does, with the paged family
/// (which no registry lists).
fn identify(dev: &mut Device<'_>) -> Drive {
    identify_as(dev, &PAGED)
}

/// [`identify`] with `family` (one of the paged family's sizes).
fn identify_as(dev: &mut Device<'_>, family: &'static Paged) -> Drive {
    let t = dev.transport();
    let inquiry = scsi::read_inquiry(t).unwrap();
    let identity = family.probe(t, &inquiry).unwrap().expect("a paged drive");
    let state = family.state(t, &identity).unwrap();
    Drive {
        family,
        identity,
        state,
        inquiry,
        config_010c: None,
        config_0108: None,
        path: dev.name.clone(),
        bridge: None,
        transfer_limit: None,
        replies: Default::default(),
    }
}

fn image(revision: &str) -> ImageFile {
    ImageFile {
        path: "paged.bin".into(),
        bytes: build_image(SIZE, "PD-1", revision, 0x5A).into(),
    }
}

fn options(base: &std::path::Path) -> FlashOptions {
    FlashOptions {
        backup_base: base.to_path_buf(),
        ..FlashOptions::default()
    }
}

/// Plan and execute `image` on `drive`.
fn flash(drive: &mut PagedDrive, image: &ImageFile) -> Result<Verification, Error> {
    let base = tempfile::tempdir().unwrap();
    let mut dev = Device::new(Box::new(drive), "paged:test", DeviceKind::Emulated);
    let found = identify(&mut dev);
    let plan = plan_flash(&found, image, &options(base.path()))?;
    execute_flash(&mut dev, &found, plan, &options(base.path()), &mut |_| {}).map(|r| r.verify)
}

#[test]
fn the_plan_comes_from_the_family_facts() {
    let base = tempfile::tempdir().unwrap();
    let mut drive = PagedDrive::new();
    let mut dev = Device::new(Box::new(&mut drive), "paged:test", DeviceKind::Emulated);
    let found = identify(&mut dev);
    assert_eq!(found.state, DriveState::Ready);
    let plan = plan_flash(&found, &image("11"), &options(base.path())).unwrap();
    assert!(plan.refusal().is_none(), "{:?}", plan.gates);
    // No boot banner in this format: that gate does not apply.
    let gates: Vec<Gate> = plan.gates.iter().map(|v| v.gate).collect();
    assert!(!gates.contains(&Gate::KnownBootBanner));
    assert!(gates.contains(&Gate::Integrity) && gates.contains(&Gate::Version));
    // No prepare and no commit step; 16 page commands; the whole flash is read back.
    let kinds: Vec<&str> = plan
        .steps
        .iter()
        .map(|s| match s {
            Step::Protect => "protect",
            Step::Backup { .. } => "backup",
            Step::Stream {
                chunks: 16,
                chunk_size: PAGE,
                bytes: SIZE,
                ..
            } => "stream",
            Step::WaitReady { .. } => "wait",
            Step::Verify { from: 0, to } if *to as usize == SIZE => "verify",
            other => panic!("unexpected step {other:?}"),
        })
        .collect();
    assert_eq!(kinds, ["protect", "backup", "stream", "wait", "verify"]);
    assert!(plan.point_of_no_return.starts_with("chunk 1/16 at 0x0:"));
    assert!(plan.unit_windows_written.is_empty());
    drop(dev);
    assert_eq!(drive.writes(), 0, "a plan writes nothing");
}

#[test]
fn execute_backs_up_writes_the_plan_and_verifies() {
    let mut drive = PagedDrive::new();
    let image = image("11");
    let verify = flash(&mut drive, &image).unwrap();
    assert!(matches!(verify, Verification::Verified(_)));
    assert_eq!(drive.flash, *image.bytes);
    assert_eq!(drive.writes(), SIZE / PAGE);
    assert_eq!(drive.revision, "11");
    // The backup read the whole flash before the first write.
    let first_write = drive
        .log
        .iter()
        .position(|c| c[0] == opcode::WRITE_BUFFER)
        .unwrap();
    let reads_before: usize = drive.log[..first_write]
        .iter()
        .filter(|c| c[0] == opcode::READ_BUFFER)
        .map(|c| fields(c).1)
        .sum();
    assert!(reads_before >= SIZE);
}

#[test]
fn a_refusing_gate_sends_no_write() {
    let mut bad = image("11");
    std::sync::Arc::make_mut(&mut bad.bytes)[0x800] ^= 1;
    let mut drive = PagedDrive::new();
    assert!(matches!(
        flash(&mut drive, &bad),
        Err(Error::GateRefused {
            gate: Gate::Integrity,
            ..
        })
    ));
    let mut drive = PagedDrive::new();
    let mut older = image("09");
    seal(std::sync::Arc::<Vec<u8>>::make_mut(&mut older.bytes));
    assert!(matches!(
        flash(&mut drive, &older),
        Err(Error::GateRefused {
            gate: Gate::Version,
            ..
        })
    ));
    assert_eq!(drive.writes(), 0);
}

#[test]
fn a_failure_past_the_first_chunk_may_have_burned_part() {
    // The point of no return is the first chunk: any failed page leaves a partial burn.
    for page in [0, 3] {
        let mut drive = PagedDrive {
            fail_write_at: Some(page),
            ..PagedDrive::new()
        };
        match flash(&mut drive, &image("11")) {
            Err(Error::WriteInterrupted { condition, .. }) => {
                assert_eq!(condition.burned, Burned::Partly, "page {page}")
            }
            other => panic!("page {page}: {other:?}"),
        }
        assert_eq!(
            drive.writes(),
            page + 1,
            "nothing is sent after the failure"
        );
    }
}

#[test]
fn a_read_back_that_differs_is_a_verify_mismatch() {
    let mut drive = PagedDrive {
        corrupt: Some(0x2345),
        ..PagedDrive::new()
    };
    match flash(&mut drive, &image("11")) {
        Err(Error::VerifyMismatch {
            offset, condition, ..
        }) => {
            assert_eq!(offset, 0x2345);
            assert_eq!(condition.burned, Burned::Yes);
        }
        other => panic!("{other:?}"),
    }
}

/// Counts the heap bytes each thread holds and the most it held, for the memory measurement
/// below (a test's allocations happen on its own thread, whatever other tests run meanwhile).
struct ThreadHeap;

thread_local! {
    static HELD: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    static PEAK: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

fn held_change(grow: usize, shrink: usize) {
    // try_with: a thread being torn down still frees memory after its counters are gone.
    let _ = HELD.try_with(|held| {
        let now = (held.get() + grow).saturating_sub(shrink);
        held.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

// SAFETY: every call is forwarded to the system allocator unchanged; the counters are
// const-initialized thread-locals of plain integers, which allocate nothing.
unsafe impl std::alloc::GlobalAlloc for ThreadHeap {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        held_change(layout.size(), 0);
        // SAFETY: the caller's contract for `alloc`, passed on.
        unsafe { std::alloc::System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        held_change(0, layout.size());
        // SAFETY: the caller's contract for `dealloc`, passed on.
        unsafe { std::alloc::System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new: usize) -> *mut u8 {
        held_change(new, layout.size());
        // SAFETY: the caller's contract for `realloc`, passed on.
        unsafe { std::alloc::System.realloc(ptr, layout, new) }
    }
}

#[global_allocator]
static HEAP: ThreadHeap = ThreadHeap;

/// The most heap this thread held above what it held before, while reading a `size`-byte paged
/// image from its file, planning and executing its flash as `odflash flash` does (the drive
/// exists before it starts).
fn flash_heap_peak(family: &'static Paged, size: usize) -> usize {
    let base = tempfile::tempdir().unwrap();
    let mut drive = PagedDrive::of_size(size);
    let file = base.path().join("paged.bin");
    let bytes = build_image(size, "PD-1", "11", 0x5A);
    super::atomic::write_file(&file, &bytes, super::atomic::Mode::Private).unwrap();
    let start = HELD.with(|h| h.get());
    PEAK.with(|p| p.set(start));
    {
        // Read as `ImageFile::read` does, with this test family's size as the cap (the real
        // cap, the largest real image, is below its 8 MiB).
        let image = ImageFile {
            bytes: super::input::read_input(&file, size, "test image")
                .unwrap()
                .into(),
            path: file.clone(),
        };
        let mut dev = Device::new(Box::new(&mut drive), "paged:test", DeviceKind::Emulated);
        let found = identify_as(&mut dev, family);
        let plan = plan_flash(&found, &image, &options(base.path())).unwrap();
        drop(image);
        let report = execute_flash(&mut dev, &found, plan, &options(base.path()), &mut |_| {});
        assert!(matches!(report.unwrap().verify, Verification::Verified(_)));
    }
    let peak = PEAK.with(|p| p.get()) - start;
    assert!(drive.flash == bytes, "the large flash was written");
    peak
}

/// "Flat in image size": a flash holds the image it read once, shared with its write plan, and
/// nothing else image-sized (the backup's read streams to disk, the verify and the comparisons
/// with the backup go a piece at a time). Growing the image from 64 KiB to 8 MiB may add the
/// image's own size of heap and a twentieth more. `cargo test -p odflash-core --lib
/// flash_memory -- --nocapture` prints the figures.
#[test]
fn flash_memory_grows_by_the_image_once() {
    let small = flash_heap_peak(&PAGED, SIZE);
    let large = flash_heap_peak(&LARGE_PAGED, paged::LARGE_SIZE);
    let growth = large.saturating_sub(small);
    let per_image = growth as f64 / (paged::LARGE_SIZE - SIZE) as f64;
    println!(
        "ODFLASH-MEASURE flash-heap-peak small_kib={} large_kib={} growth_kib={} \
         growth_per_image_byte={per_image:.2}",
        small / 1024,
        large / 1024,
        growth / 1024
    );
    assert!(per_image <= 1.05, "{per_image:.2} image sizes");
}
