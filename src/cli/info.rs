//! `odflash info`: Show one drive.

use std::path::PathBuf;

use clap::Args;

/// `odflash info` arguments.
#[derive(Debug, Args)]
pub struct InfoArgs {
    /// The drive.
    pub device: String,
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
}
