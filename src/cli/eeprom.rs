//! `odflash eeprom dump|restore`: the per-unit identity and calibration data.

use std::path::PathBuf;

use clap::{Args, Subcommand};

/// `odflash eeprom` subcommands.
#[derive(Debug, Subcommand)]
pub enum EepromCommand {
    /// Save the drive's identity and calibration windows to FILE.
    Dump(EepromDumpArgs),
    /// Write saved identity and calibration windows back (a dry run unless --execute).
    Restore(EepromRestoreArgs),
}

/// `odflash eeprom dump` arguments.
#[derive(Debug, Args)]
pub struct EepromDumpArgs {
    /// The drive.
    pub device: String,
    /// Output file.
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
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
