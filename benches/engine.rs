//! Host-side benchmarks of the engine (plain `std::time`, no harness; `make bench` runs them
//! with the VM benchmark). Each figure is printed beside its reference, measured in the same run:
//!
//! - host overhead per command: odflash's flash reader (`ops::dump::read_region` through the
//!   guarded `Device`) against a bare loop of the same READ BUFFER commands on the same
//!   in-process emulated drive, and the heap allocations each makes per command, and odflash's
//!   own per sweep at two sweep lengths (the same count at both: none per chunk);
//! - command counts per phase of a dump and of a flash, from the emulator's command log;
//! - peak RSS of `odflash flash` of a 2 MiB image, against `odflash --version`;
//! - `odflash scan` of 16 emulated drives, 2 of them hung, against the per-drive timeout.
//!
//! Run: `cargo bench --bench engine`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use odflash::emu::{Drive, Spec};
use odflash::ops::drive::{self, Device, DeviceKind};
use odflash::ops::dump::{self, ReadReport, Sweep, Unreadable};
use odflash::ops::Phase;
use odflash::scsi::{cdb, Data, Transport};

/// Counts heap allocations, to show the read loop allocates nothing per chunk.
struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const TIMEOUT: Duration = Duration::from_secs(30);
/// The application region read by both loops: 31 commands of 64 KiB.
const START: u32 = 0x1_0000;
const END: u32 = 0x20_0000;
const CHUNK: usize = 0x1_0000;
const ROUNDS: u32 = 40;

fn open() -> Drive {
    Drive::open(&"emu:mt1959".parse::<Spec>().expect("spec")).expect("open")
}

/// Time and allocations per command of `ROUNDS` passes of `pass` (each issuing `per_pass`).
fn measure(per_pass: u64, mut pass: impl FnMut()) -> (f64, f64) {
    pass(); // warm up
    let allocs = ALLOCATIONS.load(Ordering::Relaxed);
    let start = Instant::now();
    for _ in 0..ROUNDS {
        pass();
    }
    let commands = per_pass * u64::from(ROUNDS);
    let us = start.elapsed().as_secs_f64() * 1e6 / commands as f64;
    let allocs = (ALLOCATIONS.load(Ordering::Relaxed) - allocs) as f64 / commands as f64;
    (us, allocs)
}

fn host_overhead() {
    let per_pass = u64::from((END - START) / CHUNK as u32);
    let mut bare = open();
    let mut buf = vec![0u8; CHUNK];
    let (bare_us, bare_allocs) = measure(per_pass, || {
        for off in (START..END).step_by(CHUNK) {
            let c = cdb::build_read_buffer(6, 0, off, CHUNK as u32);
            bare.execute(&c, Data::In(&mut buf), TIMEOUT)
                .expect("READ BUFFER");
        }
        bare.clear_command_log();
    });

    let mut emulated = open();
    let mut dev = Device::new(Box::new(&mut emulated), "emu:mt1959", DeviceKind::Emulated);
    let found = drive::identify(&mut dev).expect("identify");
    let flash = found.read_access().expect("flash reads");
    let sweep = Sweep {
        range: START..END,
        chunk: CHUNK,
        unreadable: Unreadable::Fail,
        phase: Phase::Read,
        known: None,
    };
    let mut sweep_of = |range: std::ops::Range<u32>| {
        let commands = u64::from((range.end - range.start) / CHUNK as u32);
        let sweep = Sweep {
            range,
            ..sweep.clone()
        };
        let (us, allocs) = measure(commands, || {
            let mut report = ReadReport::default();
            dump::read_region(dev.transport(), flash, &sweep, &mut report, &mut |_| {})
                .expect("read");
            assert_eq!(report.commands as u64, commands);
        });
        (us, allocs, allocs * commands as f64)
    };
    let (odf_us, odf_allocs, full_sweep_allocs) = sweep_of(START..END);
    // The same sweep at half the length: the same allocations per sweep mean none is per chunk.
    let half_chunks = per_pass as u32 / 2;
    let (_, _, half_sweep_allocs) = sweep_of(START..START + half_chunks * CHUNK as u32);
    drop(dev);
    println!("host overhead per 64 KiB READ BUFFER (in-process emulator, {ROUNDS} x 2 MiB):");
    println!(
        "  bare loop          {bare_us:>8.1} us/command  {bare_allocs:>5.2} allocations/command"
    );
    println!(
        "  odflash reader     {odf_us:>8.1} us/command  {odf_allocs:>5.2} allocations/command"
    );
    println!(
        "  odflash overhead   {:>8.1} us/command (ratio {:.2})  {:>5.2} allocations/command",
        odf_us - bare_us,
        odf_us / bare_us,
        odf_allocs - bare_allocs
    );
    // odflash's own allocations per sweep: the reader's count less the emulator's (the bare
    // loop's per command, which the emulator makes for its command log).
    let own = |sweep_allocs: f64, chunks: u32| sweep_allocs - bare_allocs * f64::from(chunks);
    let (own_full, own_half) = (
        own(full_sweep_allocs, per_pass as u32),
        own(half_sweep_allocs, half_chunks),
    );
    println!(
        "  odflash's own      {own_full:>5.1} allocations per sweep of {per_pass} chunks, \
         {own_half:>5.1} per sweep of {half_chunks}: {:.2} per chunk",
        (own_full - own_half) / f64::from(per_pass as u32 - half_chunks)
    );
    println!(
        "ODFLASH-MEASURE host-overhead us_per_command={:.1} bare_us={bare_us:.1} \
         odflash_us={odf_us:.1} allocations_per_command={:.2} own_allocations_per_sweep={own_full:.1} \
         own_allocations_per_half_sweep={own_half:.1}",
        odf_us - bare_us,
        odf_allocs - bare_allocs,
    );
}

/// The odflash binary under test.
fn odflash() -> Command {
    Command::new(env!("CARGO_BIN_EXE_odflash"))
}

/// Commands per phase, from a trace file: (opcode prefix, count) in order of first use.
fn phases(trace: &std::path::Path) -> Vec<(String, usize)> {
    let text = std::fs::read_to_string(trace).expect("trace");
    let mut runs: Vec<(String, usize)> = Vec::new();
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("trace line");
        let cdb = v["cdb"].as_str().unwrap_or("");
        let key = match &cdb[..cdb.len().min(4)] {
            "3b06" => "download (3B 06)".to_string(),
            "3c06" => "read (3C 06)".to_string(),
            "0000" => "TEST UNIT READY".to_string(),
            other => format!("other ({other})"),
        };
        match runs.last_mut() {
            Some((k, n)) if *k == key => *n += 1,
            _ => runs.push((key, 1)),
        }
    }
    runs
}

fn command_counts(dir: &std::path::Path) {
    let image = dir.join("new.bin");
    let ok = odflash()
        .args([
            "emu",
            "make-image",
            "--chip",
            "mt1959",
            "--model",
            "BD-RE BU40N",
        ])
        .args(["--revision", "1.04", "-o"])
        .arg(&image)
        .output()
        .expect("make-image")
        .status
        .success();
    assert!(ok, "make-image");
    for (name, args) in [
        ("dump 2 MiB", vec!["dump", "emu:mt1959", "-o", "d.bin"]),
        (
            "flash 2 MiB",
            vec![
                "flash",
                "emu:mt1959",
                "new.bin",
                "--execute",
                "--yes-i-understand-the-risk",
                "--backup-dir",
                "bk",
            ],
        ),
    ] {
        let trace = dir.join(format!("{}.jsonl", name.replace(' ', "-")));
        let status = odflash()
            .current_dir(dir)
            .arg("--trace")
            .arg(&trace)
            .args(&args)
            .output()
            .expect("run")
            .status;
        assert!(status.success(), "{name}");
        let runs = phases(&trace);
        let total: usize = runs.iter().map(|(_, n)| n).sum();
        let listed: Vec<String> = runs.iter().map(|(k, n)| format!("{n} {k}")).collect();
        println!("  {name:<12} {total:>4} commands: {}", listed.join(", "));
        println!(
            "ODFLASH-MEASURE host-commands {} total={total}",
            name.replace(' ', "-")
        );
    }
}

/// Run odflash with `args` in `dir` under GNU time (`/usr/bin/time -f %M`, the peak RSS of
/// that process alone, in KiB: a forked child's own `ru_maxrss` would count pages it shared
/// with this process before `exec`). `None` when GNU time is not installed.
fn peak_rss_kib(dir: &std::path::Path, args: &[&str]) -> Option<u64> {
    let out = Command::new("/usr/bin/time")
        .current_dir(dir)
        .args(["-f", "ODFLASH-RSS %M", env!("CARGO_BIN_EXE_odflash")])
        .args(args)
        .output()
        .ok()?;
    assert!(out.status.success(), "odflash {args:?} under /usr/bin/time");
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .find_map(|l| l.strip_prefix("ODFLASH-RSS "))
        .and_then(|kib| kib.trim().parse().ok())
}

fn peak_rss(dir: &std::path::Path) {
    let runs = [
        ("odflash --version", "version", vec!["--version"]),
        (
            "dump of 2 MiB",
            "dump",
            vec!["dump", "emu:mt1959", "-o", "rss-dump.bin"],
        ),
        (
            "flash of a 2 MiB image",
            "flash",
            vec![
                "flash",
                "emu:mt1959,state-file=rss.json",
                "new.bin",
                "--execute",
                "--yes-i-understand-the-risk",
                "--backup-dir",
                "bk-rss",
            ],
        ),
    ];
    println!("peak RSS (the emulated drive runs in the same process and holds its own flash):");
    for (name, key, args) in runs {
        match peak_rss_kib(dir, &args) {
            Some(kib) => {
                println!("  {name:<24} {:>6.1} MiB", kib as f64 / 1024.0);
                println!("ODFLASH-MEASURE host-peak-rss-kib {key}={kib}");
            }
            None => println!("  {name:<24} not measured: /usr/bin/time (GNU time) is missing"),
        }
    }
}

fn scan_with_hung_drives(dir: &std::path::Path) {
    let faults = dir.join("hang.json");
    std::fs::write(
        &faults,
        r#"{"faults":[{"trigger":{"opcode":18},"action":{"kind":"timeout"},"repeat":true}]}"#,
    )
    .expect("fault plan");
    let timeout = 2.0;
    let mut cmd = odflash();
    cmd.args(["scan", "--timeout", "2"]);
    for i in 0..16 {
        if i < 2 {
            cmd.arg("--device").arg(format!(
                "emu:mt1959,clock=real,serial=HUNG{i},faults={}",
                faults.display()
            ));
        } else {
            cmd.arg("--device")
                .arg(format!("emu:mt1959,serial=EMU{i:04}"));
        }
    }
    let start = Instant::now();
    let out = cmd.output().expect("scan");
    let wall = start.elapsed().as_secs_f64();
    let listed = String::from_utf8_lossy(&out.stdout).lines().count();
    println!(
        "scan of 16 emulated drives, 2 hung: {wall:.2} s for a {timeout:.0} s per-drive timeout \
         (ratio {:.2}), {listed} lines",
        wall / timeout
    );
    println!(
        "ODFLASH-MEASURE host-scan-16-2-hung wall_s={wall:.2} timeout_s={timeout:.0} ratio={:.2}",
        wall / timeout
    );
}

fn main() {
    host_overhead();
    let dir = tempfile::tempdir().expect("tempdir");
    println!("command counts (emulated MT1959):");
    command_counts(dir.path());
    peak_rss(dir.path());
    scan_with_hung_drives(dir.path());
}
