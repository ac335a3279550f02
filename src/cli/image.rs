//! `odflash image check`: every gate's verdict for an image, offline or against a drive.

use std::path::PathBuf;

use clap::{Args, Subcommand};

/// `odflash image` subcommands.
#[derive(Debug, Subcommand)]
pub enum ImageCommand {
    /// Print every gate's verdict for IMAGE (against DEVICE with --for).
    Check(ImageCheckArgs),
}

/// `odflash image check` arguments.
#[derive(Debug, Args)]
pub struct ImageCheckArgs {
    /// The firmware image.
    pub image: PathBuf,
    /// Check against this drive (read-only).
    #[arg(long = "for", value_name = "DEVICE")]
    pub device: Option<String>,
    /// Machine-readable verdicts.
    #[arg(long)]
    pub json: bool,
}
