//! `odflash backup`: Write a backup bundle.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use odflash::ops::backup;

use odflash::ops::lock::LockMode;

use super::args::Global;
use super::device::open_drive;
use super::output::print_json;
use super::progress::{Bars, Display};

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
    /// Print where the bundle went as JSON.
    #[arg(long)]
    pub json: bool,
}

impl BackupArgs {
    /// Write and validate a backup bundle.
    pub fn run(self, global: &Global) -> anyhow::Result<()> {
        let (mut dev, drive) = open_drive(&self.device, global, LockMode::Shared)?;
        let mut bars = Display::new(if self.json { Bars::Off } else { Bars::Auto });
        let report = match &self.output {
            Some(path) => backup::backup_to(&mut dev, &drive, path, &mut |p| bars.update(p)),
            None => backup::backup(&mut dev, &drive, &self.backup_dir, &mut |p| bars.update(p)),
        }
        .with_context(|| format!("backing up {}", self.device))?;
        bars.finish();
        if self.json {
            return print_json(&report);
        }
        println!("backup written and validated: {}", report.path.display());
        for part in &report.manifest.parts {
            println!(
                "  {:<18} {:>8} bytes  sha256 {}",
                part.name, part.size, part.sha256
            );
        }
        for r in &report.read.unreadable {
            println!(
                "  unreadable, filled with 0xFF: {:#08x}..{:#08x}",
                r.start, r.end
            );
        }
        Ok(())
    }
}
