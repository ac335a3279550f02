//! `odflash dump`: Read the whole flash into a raw dump.

use std::path::PathBuf;

use clap::Args;

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
