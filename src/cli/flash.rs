//! `odflash flash`: the dry-run plan, or (with --execute) the gated, backed-up, verified flash.

use std::path::PathBuf;

use clap::Args;

/// `odflash flash` arguments.
#[derive(Debug, Args)]
pub struct FlashArgs {
    /// The drive.
    pub device: String,
    /// The firmware image (2 MiB for MT19xx).
    pub image: PathBuf,
    /// Flash for real (otherwise print the plan and stop).
    #[arg(long)]
    pub execute: bool,
    #[command(flatten)]
    pub risk: RiskAck,
    #[command(flatten)]
    pub waivers: Waivers,
    /// Where the mandatory backup goes.
    #[arg(long, value_name = "DIR", default_value = "/var/lib/odflash/backups")]
    pub backup_dir: PathBuf,
    /// Machine-readable plan and report.
    #[arg(long)]
    pub json: bool,
}

/// The explicit acknowledgement needed to write when stdin is not a terminal.
#[derive(Debug, Args)]
pub struct RiskAck {
    /// Confirm a write without a terminal to ask on (scripts, CI).
    #[arg(long)]
    pub yes_i_understand_the_risk: bool,
}

/// One flag per waivable gate; there is no umbrella --force.
#[derive(Debug, Args)]
pub struct Waivers {
    /// Flash an image made for another model group (the plan names both groups).
    #[arg(long)]
    pub crossflash: bool,
    /// Flash the version the drive already runs.
    #[arg(long)]
    pub allow_reinstall: bool,
    /// Flash an older version than the drive runs.
    #[arg(long)]
    pub allow_older: bool,
    /// Continue behind a USB bridge known to break flashing.
    #[arg(long)]
    pub allow_bridge: bool,
}
