//! `odflash emu make-image`: synthetic firmware images for practice and tests.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};
use odflash::image::mt19xx::Chip;
use odflash::image::synth::{self, Banner, Breakage, SynthSpec};
use odflash::image::tsst::Class;
use odflash::ops::atomic::{self, Mode};
use odflash::ops::bundle::sha256_hex;

use super::exit::UsageError;

/// `odflash emu` subcommands.
#[derive(Debug, Subcommand)]
pub enum EmuCommand {
    /// Build a synthetic firmware image (valid and signed, or deliberately broken).
    MakeImage(MakeImageArgs),
    /// Turn a trace of a drive's identification into an emulated identity (emu:profile=FILE).
    Profile(super::emu_profile::ProfileArgs),
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
    /// A TSST MT1939 BD image, as the SE-506CB takes (2 MiB, trailer and 16-bit sum).
    Mt1939Tsst,
    /// A TSST MT1339 DVD-ROM image, as the TS-H353C takes (256 KiB).
    Mt1339,
    /// A Samsung SD-616 image (128 KiB).
    Sd616,
}

impl ChipArg {
    /// The vendor an image gets when `--vendor` is not given: the one drives of the chip
    /// report (docs/protocol.md §4.2 for TSST).
    fn default_vendor(self) -> &'static str {
        match self {
            ChipArg::Mt1939Tsst | ChipArg::Mt1339 => "TSSTcorp",
            ChipArg::Sd616 => "SAMSUNG",
            ChipArg::Mt1959 | ChipArg::Mt1939 | ChipArg::LiteonDvd => "HL-DT-ST",
        }
    }

    /// The name as `--chip` takes it.
    fn name(self) -> String {
        self.to_possible_value()
            .map(|v| v.get_name().to_owned())
            .unwrap_or_default()
    }
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

/// Boot banner of a synthetic MT19xx image.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum BannerArg {
    /// `MT1959 Boot BU5` (the emulated drives' own).
    Bu5,
    /// `MT1959 Boot JB8`: known, but another boot ID than the emulated drives'.
    Jb8,
    /// `MT1959 Boot ZZ9`: a banner on no list.
    Unlisted,
}

/// `odflash emu make-image` arguments.
#[derive(Debug, Args)]
pub struct MakeImageArgs {
    /// The chip.
    #[arg(long, value_enum)]
    pub chip: ChipArg,
    /// Vendor string [default: TSSTcorp for mt1939-tsst and mt1339, SAMSUNG for sd616,
    /// HL-DT-ST otherwise].
    #[arg(long)]
    pub vendor: Option<String>,
    /// Model string.
    #[arg(long)]
    pub model: String,
    /// Firmware revision.
    #[arg(long, default_value = "1.00")]
    pub revision: String,
    /// Break the image on purpose.
    #[arg(long, value_enum)]
    pub broken: Option<BrokenArg>,
    /// Boot banner at 0x3000 (MT19xx).
    #[arg(long, value_enum, default_value = "bu5")]
    pub banner: BannerArg,
    /// Output file.
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
}

impl EmuCommand {
    /// Run the subcommand.
    pub fn run(self) -> anyhow::Result<()> {
        match self {
            EmuCommand::MakeImage(a) => a.run(),
            EmuCommand::Profile(a) => a.run(),
        }
    }
}

impl MakeImageArgs {
    /// Build the image and write it atomically.
    fn run(self) -> anyhow::Result<()> {
        let vendor = self.vendor.as_deref().unwrap_or(self.chip.default_vendor());
        if self.broken.is_some() && !matches!(self.chip, ChipArg::Mt1959 | ChipArg::Mt1939) {
            return Err(UsageError(format!(
                "--broken applies to MT19xx images only; drop it for --chip {}",
                self.chip.name()
            ))
            .into());
        }
        let bytes = match self.chip {
            ChipArg::Mt1959 | ChipArg::Mt1939 => {
                let chip = if matches!(self.chip, ChipArg::Mt1959) {
                    Chip::Mt1959
                } else {
                    Chip::Mt1939
                };
                let mut spec = SynthSpec::new(chip, vendor, &self.model, &self.revision);
                spec.banner = match self.banner {
                    BannerArg::Bu5 => Banner::Bu5,
                    BannerArg::Jb8 => Banner::Jb8,
                    BannerArg::Unlisted => Banner::Unlisted,
                };
                spec.breakage = match self.broken {
                    None => Breakage::None,
                    Some(BrokenArg::BadCmac) => Breakage::BadCmac,
                    Some(BrokenArg::WrongTag) => Breakage::WrongTag,
                    Some(BrokenArg::Truncated) => Breakage::Truncated,
                    Some(BrokenArg::RawDump) => Breakage::RawDump,
                };
                synth::build_mt19xx(&spec)
            }
            ChipArg::LiteonDvd => synth::build_dvd_era(vendor, &self.model, &self.revision),
            ChipArg::Mt1939Tsst => {
                synth::build_tsst(Class::Mt1939Bd, vendor, &self.model, &self.revision)
            }
            ChipArg::Mt1339 => {
                synth::build_tsst(Class::Mt1339DvdRom, vendor, &self.model, &self.revision)
            }
            ChipArg::Sd616 => synth::build_tsst(Class::Sd616, vendor, &self.model, &self.revision),
        };
        atomic::write_file(&self.output, &bytes, Mode::Shared)
            .map_err(odflash::ops::Error::from)
            .with_context(|| format!("writing {}", self.output.display()))?;
        println!(
            "wrote {} ({} bytes, sha256 {})",
            self.output.display(),
            bytes.len(),
            sha256_hex(&bytes)
        );
        Ok(())
    }
}
