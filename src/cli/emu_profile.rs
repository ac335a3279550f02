//! `odflash emu profile`: a trace of a drive's identification (usually an imported capture)
//! into an emulated identity, `emu:profile=PROFILE`, so a contributed drive can be practised
//! on. The profile itself is built by `emu::Profile::from_records`; this file reads the trace,
//! writes the profile and says how to use it.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use odflash::discover::sanitize;
use odflash::emu::{Family, Profile};
use odflash::ops::atomic::{self, Mode};
use odflash::ops::drive::DeviceKind;
use odflash::ops::{input, suggest_command, Error};
use odflash::scsi::trace::{parse_trace, MAX_TRACE_BYTES};

use super::exit::UsageError;

/// `odflash emu profile` arguments.
#[derive(Debug, Args)]
pub struct ProfileArgs {
    /// The trace (from trace import, or --trace-payload) holding the drive's identification.
    pub trace: PathBuf,
    /// The emulated family whose protocol runs behind the identity (mt1959, mt1939, dru-710a,
    /// sohw-1633s, liteon-dvd, se-506cb, ts-h353c, sd-616f).
    #[arg(long)]
    pub family: String,
    /// The profile to write (JSON).
    #[arg(short, long, value_name = "PROFILE")]
    pub output: PathBuf,
}

impl ProfileArgs {
    /// Build the profile and write it.
    pub fn run(self) -> anyhow::Result<()> {
        let family = Family::parse(&self.family).ok_or_else(|| {
            UsageError(format!(
                "unknown family `{}` (known: {})",
                self.family,
                Family::known()
            ))
        })?;
        let path = &self.trace;
        let text = input::read_input_text(path, MAX_TRACE_BYTES, "trace")
            .map_err(Error::from)
            .with_context(|| format!("reading {}", path.display()))?;
        let records = parse_trace(&text).map_err(|e| Error::bad_file(path, e.to_string()))?;
        let source = path.display().to_string();
        let profile = Profile::from_records(&records, family, &source)
            .map_err(|why| Error::bad_file(path, why))?;
        let mut json = serde_json::to_vec_pretty(&profile)?;
        json.push(b'\n');
        // Private: the replies hold the drive's serial.
        atomic::write_file(&self.output, &json, Mode::Private)
            .map_err(Error::from)
            .with_context(|| format!("writing {}", self.output.display()))?;
        println!(
            "wrote {}: {} {} {} ({} recorded replies) on the {} model",
            self.output.display(),
            sanitize(&profile.vendor),
            sanitize(&profile.model),
            sanitize(&profile.revision),
            profile.replies.len(),
            family.name()
        );
        let device = format!("emu:profile={}", self.output.display());
        println!(
            "practise on it: {}",
            suggest_command(DeviceKind::Emulated, &["info", &device])
        );
        Ok(())
    }
}
