//! `odflash dump`: Read the whole flash into a raw dump.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use odflash::ops::dump;

use odflash::ops::lock::LockMode;

use super::args::Global;
use super::device::open_drive;
use super::output::print_json;
use super::progress::{Bars, Display};

/// `odflash dump` arguments.
#[derive(Debug, Args)]
pub struct DumpArgs {
    /// The drive.
    pub device: String,
    /// Output file (a raw dump; a manifest is written beside it).
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    /// Machine-readable report.
    #[arg(long)]
    pub json: bool,
}

impl DumpArgs {
    /// Dump the flash.
    pub fn run(self, global: &Global) -> anyhow::Result<()> {
        let (mut dev, drive) = open_drive(&self.device, global, LockMode::Shared)?;
        let mut bars = Display::new(if self.json { Bars::Off } else { Bars::Auto });
        let report = dump::dump(&mut dev, &drive, &self.output, &mut |p| bars.update(p))
            .with_context(|| format!("dumping {}", self.device))?;
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
