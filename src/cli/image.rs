//! `odflash image check`: every gate's verdict for an image, offline or against a drive.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use odflash::discover::sanitize;
use odflash::ops::check;
use odflash::ops::flash::ImageFile;
use odflash::ops::gates::Waivers;

use odflash::ops::open::Intent;

use super::args::Global;
use super::device::open_drive;
use super::flash::render_gates;
use super::output::print_json;

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

impl ImageCommand {
    /// Run the subcommand.
    pub fn run(self, global: &Global) -> anyhow::Result<()> {
        match self {
            ImageCommand::Check(a) => a.run(global),
        }
    }
}

impl ImageCheckArgs {
    fn run(self, global: &Global) -> anyhow::Result<()> {
        let image = ImageFile::read(&self.image)?;
        let drive = match &self.device {
            Some(device) => Some(open_drive(device, global, Intent::Read)?.1),
            None => None,
        };
        let result = check::check_image(&image, drive.as_ref(), &Waivers::default())?;
        if self.json {
            print_json(&result)?;
        } else {
            println!(
                "{}: {} image{}",
                self.image.display(),
                result.format,
                match &result.model {
                    Some(m) => format!(" for {}", sanitize(m)),
                    None => String::new(),
                }
            );
            if let Some(d) = &drive {
                println!("against: {}", sanitize(&d.record().label()));
            }
            print!("{}", render_gates(&result.gates));
        }
        match result.refusal() {
            Some(refusal) => Err(refusal.into()),
            None => Ok(()),
        }
    }
}
