//! `odflash emu make-image`: synthetic firmware images for practice and tests.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

/// `odflash emu` subcommands.
#[derive(Debug, Subcommand)]
pub enum EmuCommand {
    /// Build a synthetic firmware image (valid and signed, or deliberately broken).
    MakeImage(MakeImageArgs),
}

/// Chips a synthetic image can be built for.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ChipArg {
    /// MediaTek MT1959 (2 MiB, signed integrity table).
    Mt1959,
    /// MediaTek MT1939 (same layout and protocol).
    Mt1939,
    /// A DVD-era LiteOn/Sony MediaTek image (1 MiB, banked).
    LiteonDvd,
}

/// Deliberate breakage for negative tests.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum BrokenArg {
    /// One integrity-table digest does not match.
    BadCmac,
    /// The chip tag names the other MT19xx chip.
    WrongTag,
    /// The image is cut short.
    Truncated,
    /// The first page mirrors 0x10000, as a raw drive read does.
    RawDump,
}

/// `odflash emu make-image` arguments.
#[derive(Debug, Args)]
pub struct MakeImageArgs {
    /// The chip.
    #[arg(long, value_enum)]
    pub chip: ChipArg,
    /// Vendor string.
    #[arg(long, default_value = "HL-DT-ST")]
    pub vendor: String,
    /// Model string.
    #[arg(long)]
    pub model: String,
    /// Firmware revision.
    #[arg(long, default_value = "1.00")]
    pub revision: String,
    /// Break the image on purpose.
    #[arg(long, value_enum)]
    pub broken: Option<BrokenArg>,
    /// Output file.
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
}
