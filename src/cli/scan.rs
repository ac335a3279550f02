//! `odflash scan`: List optical drives.

use std::path::PathBuf;

use clap::Args;

/// `odflash scan` arguments.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
    /// Per-drive probe timeout in seconds; a hung drive never delays the others beyond it.
    #[arg(long, default_value_t = 3.0, value_name = "SECONDS")]
    pub timeout: f64,
    /// Also list this emulated drive (repeatable), e.g. `--device emu:mt1959`.
    #[arg(long = "device", value_name = "DEVICE", env = "ODFLASH_EMU", value_delimiter = ';')]
    pub devices: Vec<String>,
}
