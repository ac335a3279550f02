//! `odflash dump`: Read the whole flash into a raw dump (a DVD-era drive's per-bank firmware
//! view with `--experimental-reads`).

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use odflash::ops::dump;
use odflash::ops::vendor_reads;

use odflash::ops::open::Intent;

use super::args::Global;
use super::device::open_drive;
use super::output::print_json;
use super::progress::{Bars, Display};
use super::vendor::{self, ExperimentalArg};

/// `odflash dump` arguments.
#[derive(Debug, Args)]
pub struct DumpArgs {
    /// The drive.
    pub device: String,
    /// Output file (a raw dump; a manifest is written beside it).
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    #[command(flatten)]
    pub experimental: ExperimentalArg,
    /// Machine-readable report.
    #[arg(long)]
    pub json: bool,
}

impl DumpArgs {
    /// Dump the flash.
    pub fn run(self, global: &Global) -> anyhow::Result<()> {
        let (mut dev, drive) = open_drive(&self.device, global, Intent::Read)?;
        let context = || format!("dumping {}", self.device);
        let mut bars = Display::new(if self.json { Bars::Off } else { Bars::Auto });
        if let Some(reads) =
            vendor_reads::offered(&drive, self.experimental.to_ops()).with_context(context)?
        {
            vendor::notice(&drive, reads);
            let dump =
                vendor_reads::dump_firmware_view(&mut dev, &drive, reads, &self.output, &mut |p| {
                    bars.update(p)
                })
                .with_context(context)?;
            bars.finish();
            return vendor::print_dump(&dump, self.json);
        }
        let report = dump::dump(&mut dev, &drive, &self.output, &mut |p| bars.update(p))
            .with_context(context)?;
        bars.finish();
        if self.json {
            return print_json(&report);
        }
        let m = &report.manifest;
        println!(
            "dumped {} bytes of flash to {}",
            m.size,
            report.path.display()
        );
        println!(
            "  read in {} KiB chunks, {} commands",
            m.read.chunk / 1024,
            m.read.commands
        );
        for r in &m.read.unreadable {
            println!(
                "  unreadable, filled with 0xFF: {:#08x}..{:#08x}",
                r.start, r.end
            );
        }
        println!(
            "  this is a RAW DUMP (manifest {}): odflash never flashes it back as is",
            report.manifest_path.display()
        );
        Ok(())
    }
}
