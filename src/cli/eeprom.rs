//! `odflash eeprom dump|restore`: the per-unit identity and calibration data.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use odflash::discover::sanitize;
use odflash::ops::bundle::UnitMatch;
use odflash::ops::eeprom::{self, FromOtherDrive, RestoreOptions, RestorePlan};
use odflash::ops::open::Intent;
use odflash::ops::vendor_reads;

use super::args::Global;
use super::device::{confirm_write, open_drive};
use super::exit::held_signals;
use super::output::print_json;
use super::progress::{Bars, Display};
use super::vendor::{self, ExperimentalArg};

/// `odflash eeprom` subcommands.
#[derive(Debug, Subcommand)]
pub enum EepromCommand {
    /// Save the drive's identity and calibration windows to FILE (a DVD-era drive's whole
    /// EEPROM with --experimental-reads).
    Dump(EepromDumpArgs),
    /// Write saved identity and calibration windows back (a dry run unless --execute).
    Restore(EepromRestoreArgs),
}

/// `odflash eeprom dump` arguments.
#[derive(Debug, Args)]
pub struct EepromDumpArgs {
    /// The drive.
    pub device: String,
    /// Output file (a unit-data bundle; with --experimental-reads the raw EEPROM, with a
    /// manifest beside it).
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    #[command(flatten)]
    pub experimental: ExperimentalArg,
    /// Machine-readable report.
    #[arg(long)]
    pub json: bool,
}

/// `odflash eeprom restore` arguments.
#[derive(Debug, Args)]
pub struct EepromRestoreArgs {
    /// The drive.
    pub device: String,
    /// A file written by `odflash eeprom dump` (or a backup bundle).
    pub file: PathBuf,
    /// Accept unit data saved from a different drive (its calibration will not fit this one).
    #[arg(long)]
    pub from_other_drive: bool,
    /// Write for real (otherwise a dry run).
    #[arg(long)]
    pub execute: bool,
    #[command(flatten)]
    pub risk: super::flash::RiskAck,
    /// Where the mandatory backup goes.
    #[arg(long, value_name = "DIR", default_value = "/var/lib/odflash/backups")]
    pub backup_dir: PathBuf,
    /// Machine-readable report.
    #[arg(long)]
    pub json: bool,
}

impl EepromCommand {
    /// Run the subcommand.
    pub fn run(self, global: &Global) -> anyhow::Result<()> {
        match self {
            EepromCommand::Dump(a) => a.run(global),
            EepromCommand::Restore(a) => a.run(global),
        }
    }
}

impl EepromDumpArgs {
    fn run(self, global: &Global) -> anyhow::Result<()> {
        let (mut dev, drive) = open_drive(&self.device, global, Intent::Read)?;
        let context = || format!("reading the unit data of {}", self.device);
        let mut bars = Display::new(if self.json { Bars::Off } else { Bars::Auto });
        if let Some(reads) =
            vendor_reads::offered(&drive, self.experimental.to_ops()).with_context(context)?
        {
            vendor::notice(&drive, reads);
            let dump = vendor_reads::dump_eeprom(&mut dev, &drive, reads, &self.output, &mut |p| {
                bars.update(p)
            })
            .with_context(context)?;
            bars.finish();
            return vendor::print_dump(&dump, self.json);
        }
        let dump = eeprom::dump_unit_data(&mut dev, &drive, &self.output, &mut |p| bars.update(p))
            .with_context(context)?;
        bars.finish();
        if self.json {
            return print_json(&dump);
        }
        println!(
            "unit data of {} written and validated: {}",
            dump.manifest.device.label(),
            dump.path.display()
        );
        for part in &dump.manifest.parts {
            println!(
                "  {:<18} {:>8} bytes  sha256 {}",
                part.name, part.size, part.sha256
            );
        }
        Ok(())
    }
}

impl EepromRestoreArgs {
    fn run(self, global: &Global) -> anyhow::Result<()> {
        let (mut dev, drive) = open_drive(&self.device, global, Intent::of_execute(self.execute))?;
        let opts = RestoreOptions {
            from_other_drive: if self.from_other_drive {
                FromOtherDrive::Allowed
            } else {
                FromOtherDrive::Refused
            },
            backup_base: self.backup_dir.clone(),
            risk: self.risk.to_ops(),
        };
        // The plan first (nothing written), so the user sees what a write would do; --execute
        // writes exactly this plan's bytes.
        let plan = eeprom::plan_restore(&drive, &self.file, &opts)?;
        if !self.execute {
            if self.json {
                return print_json(&plan);
            }
            print_plan(&plan);
            println!("\nDry run: nothing was written. Add --execute to restore.");
            return Ok(());
        }
        if !self.json {
            print_plan(&plan);
        }
        confirm_write(
            &format!("overwrite the unit data of {}", self.device),
            &self.risk,
        )?;
        let mut bars = Display::new(if self.json { Bars::Off } else { Bars::Auto });
        let report = eeprom::execute_restore(&mut dev, &drive, plan, &mut |p| bars.update(p))?;
        bars.finish();
        if self.json {
            print_json(&report)?;
        } else {
            println!("backup taken first: {}", report.backup.path.display());
            println!("unit data restored and verified by read-back.");
        }
        held_signals(&report.deferred_signals)?;
        Ok(())
    }
}

/// What a restore would write.
fn print_plan(plan: &RestorePlan) {
    println!("Restore unit data from {}", plan.file.display());
    println!("  saved from: {}", sanitize(&plan.source.label()));
    println!("  to drive:   {}", sanitize(&plan.target.label()));
    if plan.unit != UnitMatch::Same {
        println!(
            "  WARNING: the data comes from {}; its calibration may not fit this unit",
            plan.unit
        );
    }
    for w in &plan.windows {
        let window = &w.window;
        println!(
            "  write {:<12} {:#08x} +{:#07x}  sha256 {}",
            window.name, window.offset, window.len, w.sha256
        );
    }
}
