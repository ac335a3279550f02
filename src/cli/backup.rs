//! `odflash backup`: Write a backup bundle (an experimental one of a DVD-era drive with
//! `--experimental-reads`).

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use odflash::ops::backup;
use odflash::ops::bundle::PartRecord;
use odflash::ops::vendor_reads::{self, BundleAt};

use odflash::ops::open::Intent;

use super::args::Global;
use super::device::open_drive;
use super::output::print_json;
use super::progress::{Bars, Display};
use super::vendor::{self, ExperimentalArg};

/// `odflash backup` arguments.
#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The drive.
    pub device: String,
    /// Bundle file (default: BACKUP_DIR/<family>-<serial>/<UTC time>.odbk, where `rescue` and
    /// `flash` look for the drive's newest backup).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Base directory of the backups.
    #[arg(
        long,
        value_name = "DIR",
        default_value = backup::DEFAULT_BASE,
        conflicts_with = "output"
    )]
    pub backup_dir: PathBuf,
    #[command(flatten)]
    pub experimental: ExperimentalArg,
    /// Print where the bundle went as JSON.
    #[arg(long)]
    pub json: bool,
}

impl BackupArgs {
    /// Write and validate a backup bundle.
    pub fn run(self, global: &Global) -> anyhow::Result<()> {
        let (mut dev, drive) = open_drive(&self.device, global, Intent::Read)?;
        let context = || format!("backing up {}", self.device);
        let mut bars = Display::new(if self.json { Bars::Off } else { Bars::Auto });
        if let Some(reads) =
            vendor_reads::offered(&drive, self.experimental.to_ops()).with_context(context)?
        {
            vendor::notice(&drive, reads);
            let at = match &self.output {
                Some(path) => BundleAt::File(path),
                None => BundleAt::DriveDir(&self.backup_dir),
            };
            let report = vendor_reads::backup(&mut dev, &drive, reads, at, &mut |p| bars.update(p))
                .with_context(context)?;
            bars.finish();
            if self.json {
                return print_json(&report);
            }
            println!(
                "EXPERIMENTAL bundle written and validated: {} (never restored or flashed from)",
                report.path.display()
            );
            print_parts(&report.manifest.parts);
            if let Some(read) = &report.manifest.experimental {
                for (key, value) in vendor::read_lines(read) {
                    println!("  {key}: {value}");
                }
            }
            return Ok(());
        }
        let report = match &self.output {
            Some(path) => backup::backup_to(&mut dev, &drive, path, &mut |p| bars.update(p)),
            None => backup::backup(&mut dev, &drive, &self.backup_dir, &mut |p| bars.update(p)),
        }
        .with_context(context)?;
        bars.finish();
        if self.json {
            return print_json(&report);
        }
        println!("backup written and validated: {}", report.path.display());
        print_parts(&report.manifest.parts);
        for r in &report.read.unreadable {
            println!(
                "  unreadable, filled with 0xFF: {:#08x}..{:#08x}",
                r.start, r.end
            );
        }
        Ok(())
    }
}

/// One line per part: name, size, sha256.
fn print_parts(parts: &[PartRecord]) {
    for part in parts {
        println!(
            "  {:<18} {:>8} bytes  sha256 {}",
            part.name, part.size, part.sha256
        );
    }
}
