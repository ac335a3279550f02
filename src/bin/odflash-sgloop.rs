//! `odflash-sgloop`: the benchmark baseline. Reads a flash range with READ BUFFER mode 6 in
//! fixed chunks through one bare SG_IO ioctl per chunk, with no retries, tracing or checks, and
//! prints the command count and wall time. Test-only: `vm/bench.sh` compares it with
//! `odflash dump`.
//!
//! Usage: `odflash-sgloop /dev/sgN [--size BYTES] [--chunk BYTES] [-o FILE]`.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Parser;
use odflash::scsi::cdb::build_read_buffer;

#[allow(
    dead_code,
    missing_docs,
    non_camel_case_types,
    non_snake_case,
    non_upper_case_globals,
    clippy::all
)]
mod sys {
    include!(concat!(env!("OUT_DIR"), "/sg_bindings.rs"));
}

// SG_IO has a fixed ioctl number that does not follow the _IOWR encoding ("bad" in nix terms).
nix::ioctl_readwrite_bad!(sg_io, sys::SG_IO, sys::sg_io_hdr);

/// READ BUFFER mode 6 ("download microcode with offsets" read side; mtk-protocol.md row 3).
const MODE_VENDOR_FLASH: u8 = 6;
/// Per-command timeout in milliseconds (the same 30 s odflash uses for flash reads).
const TIMEOUT_MS: u32 = 30_000;

/// Command line.
#[derive(Debug, Parser)]
#[command(about = "Read a flash range with bare READ BUFFER mode 6 SG_IO commands")]
struct Args {
    /// The sg device node.
    device: PathBuf,
    /// Bytes to read from offset 0.
    #[arg(long, default_value_t = 0x20_0000, value_parser = parse_number)]
    size: u32,
    /// Bytes per command.
    #[arg(long, default_value_t = 0x1_0000, value_parser = parse_number)]
    chunk: u32,
    /// Write the bytes read here.
    #[arg(short = 'o', long)]
    output: Option<PathBuf>,
}

/// Accept decimal or 0x-prefixed hexadecimal.
fn parse_number(s: &str) -> Result<u32, String> {
    match s.strip_prefix("0x") {
        Some(hex) => u32::from_str_radix(hex, 16),
        None => s.parse(),
    }
    .map_err(|e| format!("{s:?}: {e}"))
}

fn main() -> ExitCode {
    match run(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("odflash-sgloop: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> Result<()> {
    if args.chunk == 0 {
        bail!("--chunk must be positive");
    }
    let dev = OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(&args.device)
        .with_context(|| format!("open {}", args.device.display()))?;
    let mut image = vec![0u8; args.size as usize];
    let start = Instant::now();
    let mut commands = 0u32;
    for offset in (0..args.size).step_by(args.chunk as usize) {
        let len = args.chunk.min(args.size - offset);
        let buf = &mut image[offset as usize..(offset + len) as usize];
        read_chunk(&dev, offset, buf).with_context(|| format!("READ BUFFER at {offset:#x}"))?;
        commands += 1;
    }
    let wall = start.elapsed();
    if let Some(path) = &args.output {
        File::create(path)
            .and_then(|mut f| f.write_all(&image))
            .with_context(|| format!("write {}", path.display()))?;
    }
    println!(
        "commands={commands} bytes={} chunk={} wall_ms={}",
        args.size,
        args.chunk,
        wall.as_millis()
    );
    Ok(())
}

/// One READ BUFFER mode 6 command; any status other than GOOD or a short transfer is an error.
fn read_chunk(dev: &File, offset: u32, buf: &mut [u8]) -> Result<()> {
    let mut cdb = build_read_buffer(MODE_VENDOR_FLASH, 0, offset, buf.len() as u32);
    let mut sense = [0u8; 32];
    let mut hdr = sys::sg_io_hdr {
        interface_id: 'S' as i32,
        dxfer_direction: sys::SG_DXFER_FROM_DEV,
        cmd_len: cdb.len() as u8,
        mx_sb_len: sense.len() as u8,
        dxfer_len: buf.len() as u32,
        dxferp: buf.as_mut_ptr().cast(),
        cmdp: cdb.as_mut_ptr(),
        sbp: sense.as_mut_ptr(),
        timeout: TIMEOUT_MS,
        ..Default::default()
    };
    // SAFETY: every pointer in `hdr` refers to a live buffer of the stated length (cdb, sense,
    // buf) that outlives the synchronous ioctl; `dev` is an open sg node.
    unsafe { sg_io(dev.as_raw_fd(), &mut hdr) }.context("SG_IO")?;
    if hdr.status != 0 || hdr.host_status != 0 || hdr.driver_status & !0x08 != 0 {
        bail!(
            "status {:#04x}, host {:#06x}, driver {:#06x}, sense {}",
            hdr.status,
            hdr.host_status,
            hdr.driver_status,
            hex::encode(&sense[..hdr.sb_len_wr as usize])
        );
    }
    if hdr.resid != 0 {
        bail!(
            "short read: {} of {} bytes",
            buf.len() as i32 - hdr.resid,
            buf.len()
        );
    }
    Ok(())
}
