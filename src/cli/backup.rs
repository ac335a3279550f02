//! `odflash backup`: Write a backup bundle.

use std::path::PathBuf;

use clap::Args;

/// `odflash backup` arguments.
#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The drive.
    pub device: String,
    /// Bundle file (default: /var/lib/odflash/backups/<family>-<serial>/<UTC time>.odbk).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Print where the bundle went as JSON.
    #[arg(long)]
    pub json: bool,
}
