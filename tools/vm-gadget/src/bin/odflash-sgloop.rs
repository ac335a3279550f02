//! `odflash-sgloop`: the benchmark baseline. Reads the MT19xx flash with READ BUFFER mode 6,
//! one `sg::Device` SG_IO per chunk with no family logic, retries, tracing or checks (only the
//! CDB bytes come from the MT19xx `cdb.rs`, the one place they are spelled), and prints the
//! command count and wall time. Test-only: `vm/bench.sh` compares it with `odflash dump`.
//!
//! Usage: `odflash-sgloop /dev/sgN [--chunk BYTES | --same-as TRACE] [-o FILE]`. With `--chunk`
//! the flash is cut into fixed chunks, except that the boot banner window is read on its own at
//! exactly its length (the drive rejects any other read touching it: freemkv `has_mt19_banner`;
//! docs/protocol.md §2.3).
//! With `--same-as` it issues exactly the READ BUFFER mode 6 commands of an odflash trace.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::Parser;
use odflash::family::mt19xx::cdb::build_read_window;
use odflash::image::layout::{BANNER_LEN, BANNER_OFFSET, FLASH_SIZE};
use odflash::ops::atomic::{self, Mode};
use odflash::scsi::cdb::{buffer_length, buffer_offset};
use odflash::scsi::{status, Data, Transport};
use odflash::sg::Device;

/// Per-command timeout (the same 30 s odflash uses for flash reads).
const TIMEOUT: Duration = Duration::from_secs(30);

/// Command line.
#[derive(Debug, Parser)]
#[command(about = "Read a flash range with bare READ BUFFER mode 6 SG_IO commands")]
struct Args {
    /// The sg device node.
    device: PathBuf,
    /// Bytes per command (the banner window is always read on its own).
    #[arg(long, default_value_t = 0x1_0000, value_parser = parse_number)]
    chunk: u32,
    /// Issue exactly the READ BUFFER mode 6 commands recorded in this odflash trace.
    #[arg(long, value_name = "TRACE", conflicts_with = "chunk")]
    same_as: Option<PathBuf>,
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
    let plan = match &args.same_as {
        Some(trace) => read_trace_plan(trace)?,
        None => build_plan(args.chunk)?,
    };
    let mut dev =
        Device::open(&args.device).with_context(|| format!("open {}", args.device.display()))?;
    let mut image = vec![0u8; FLASH_SIZE];
    let start = Instant::now();
    for &(offset, len) in &plan {
        let buf = &mut image[offset as usize..(offset + len) as usize];
        read_chunk(&mut dev, offset, buf).with_context(|| format!("READ BUFFER at {offset:#x}"))?;
    }
    let wall = start.elapsed();
    if let Some(path) = &args.output {
        atomic::write_file(path, &image, Mode::Private)
            .with_context(|| format!("write {}", path.display()))?;
    }
    let bytes: u32 = plan.iter().map(|&(_, len)| len).sum();
    let chunk = plan.iter().map(|&(_, len)| len).max().unwrap_or(0);
    println!(
        "commands={} bytes={bytes} chunk={chunk} wall_ms={}",
        plan.len(),
        wall.as_millis()
    );
    Ok(())
}

/// Cut the whole flash into `chunk`-byte reads, with the banner window read on its own.
fn build_plan(chunk: u32) -> Result<Vec<(u32, u32)>> {
    if chunk == 0 {
        bail!("--chunk must be positive");
    }
    let (banner, banner_end) = (BANNER_OFFSET as u32, (BANNER_OFFSET + BANNER_LEN) as u32);
    let mut plan = Vec::new();
    for (from, to) in [
        (0, banner),
        (banner, banner_end),
        (banner_end, FLASH_SIZE as u32),
    ] {
        let mut at = from;
        while at < to {
            let len = chunk.min(to - at);
            plan.push((at, len));
            at += len;
        }
    }
    Ok(plan)
}

/// The (offset, length) of every READ BUFFER mode 6 command that completed GOOD in an odflash
/// trace (JSON lines with a hex `cdb` and a `status` field); refused probes are left out.
fn read_trace_plan(path: &PathBuf) -> Result<Vec<(u32, u32)>> {
    let file = File::open(path).with_context(|| format!("open {}", path.display()))?;
    let mut plan = Vec::new();
    for line in BufReader::new(file).lines() {
        let record: serde_json::Value = serde_json::from_str(&line?)?;
        let Some(cdb) = record["cdb"].as_str().and_then(|h| hex::decode(h).ok()) else {
            continue;
        };
        let good = record["status"].as_u64() == Some(u64::from(status::GOOD))
            && !matches!(record.get("error"), Some(e) if !e.is_null());
        if !good {
            continue;
        }
        let window = build_read_window(0, 0);
        if cdb.len() >= 10 && cdb[0] == window[0] && cdb[1] & 0x1F == window[1] {
            let (offset, len) = (buffer_offset(&cdb), buffer_length(&cdb));
            if offset as usize + len as usize > FLASH_SIZE {
                bail!("trace reads {len:#x} bytes at {offset:#x}, past the flash");
            }
            plan.push((offset, len));
        }
    }
    if plan.is_empty() {
        bail!("{} holds no READ BUFFER mode 6 command", path.display());
    }
    Ok(plan)
}

/// One READ BUFFER mode 6 command; any status other than GOOD or a short transfer is an error.
fn read_chunk(dev: &mut Device, offset: u32, buf: &mut [u8]) -> Result<()> {
    let len = buf.len();
    let cdb = build_read_window(offset, len as u32);
    let outcome = dev.execute(&cdb, Data::In(buf), TIMEOUT)?;
    if outcome.status != status::GOOD {
        bail!(
            "status {:#04x}, sense {}",
            outcome.status,
            hex::encode(&outcome.sense)
        );
    }
    if outcome.transferred != len {
        bail!("short read: {} of {len} bytes", outcome.transferred);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_covers_the_flash_once_and_isolates_the_banner() {
        let plan = build_plan(0x1_0000).unwrap();
        let mut at = 0;
        for &(offset, len) in &plan {
            assert_eq!(offset, at, "contiguous");
            at += len;
        }
        assert_eq!(at as usize, FLASH_SIZE);
        assert!(plan.contains(&(BANNER_OFFSET as u32, BANNER_LEN as u32)));
        assert_eq!(plan[0], (0, BANNER_OFFSET as u32));
        assert!(plan.iter().all(|&(_, len)| len <= 0x1_0000));
        assert!(build_plan(0).is_err());
    }

    #[test]
    fn trace_plan_takes_only_mode_6_reads() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.jsonl");
        std::fs::write(
            &path,
            "{\"cdb\":\"120000006000\",\"status\":0}\n\
             {\"cdb\":\"3c060000000001000000\",\"status\":2}\n\
             {\"cdb\":\"3c060000300000002000\",\"status\":0}\n\
             {\"cdb\":\"3c06001ec00000010000\",\"status\":0}\n\
             {\"cdb\":\"3c02001ec00000010000\",\"status\":0}\n",
        )
        .unwrap();
        assert_eq!(
            read_trace_plan(&path).unwrap(),
            vec![(0x3000, 0x20), (0x1E_C000, 0x100)]
        );
    }
}
