//! The top-level clap definitions: global options and the list of commands. Each command's own
//! arguments live in that command's file.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, CommandFactory, Parser, Subcommand};

use odflash::ops::atomic::Start;
use odflash::ops::open::{self, Intent, OpenOptions};
use odflash::scsi::trace::Payload;

use super::exit::Status;
use super::{
    backup, doctor, dump, eeprom, emu, flash, generate, hotplug, image, info, rescue, scan, trace,
    udev_props, watch,
};

/// Flash, back up and rescue MediaTek-based optical drives through Linux SG_IO.
///
/// DEVICE is /dev/sgN, /dev/srN, a /dev/disk/by-id/... link, or an emulated drive
/// `emu:FAMILY[,key=value...]` (e.g. `emu:mt1959`, `emu:dru-710a`) to practise on.
#[derive(Debug, Parser)]
#[command(name = "odflash", version, about, long_about = None)]
pub struct Cli {
    /// Options that apply to every command.
    #[command(flatten)]
    pub global: Global,
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Options that apply to every command.
#[derive(Debug, Args)]
pub struct Global {
    /// More log output (-v info, -vv debug, -vvv trace). RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Only errors.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Write one JSON line per SCSI command sent to FILE (see README, "Trace format").
    #[arg(long, global = true, value_name = "FILE")]
    pub trace: Option<PathBuf>,
    /// Also record data payloads (hex) in the trace.
    #[arg(long, global = true, requires = "trace")]
    pub trace_payload: bool,
}

impl Global {
    /// How to open devices: the trace file (emptied here, appended to by every device opened in
    /// this run; never through a symlink, see [`open::open_trace`]), whether payloads are
    /// recorded, and [`Intent::Read`] (commands that write ask for [`Intent::Write`]).
    pub fn open_options(&self) -> anyhow::Result<OpenOptions> {
        let trace = match &self.trace {
            None => None,
            Some(path) => {
                let payload = if self.trace_payload {
                    Payload::Record
                } else {
                    Payload::Omit
                };
                open::open_trace(path, payload, Start::Truncate)
                    .with_context(|| format!("cannot create trace file {}", path.display()))?;
                Some((path.clone(), payload))
            }
        };
        Ok(OpenOptions {
            trace,
            intent: Intent::Read,
        })
    }
}

/// Longest timeout or wait an option takes: a day.
const MAX_SECONDS: f64 = 86_400.0;

/// clap value parser for `--timeout`/`--wait SECONDS`: a finite number above zero and at most a
/// day; anything else is a usage error (exit 1) before the command runs.
pub fn parse_seconds(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a number of seconds"))?;
    if !(seconds > 0.0 && seconds <= MAX_SECONDS) {
        return Err(format!(
            "{text} s is out of range: give more than 0 and at most {MAX_SECONDS} seconds"
        ));
    }
    Duration::try_from_secs_f64(seconds).map_err(|e| format!("{text} s: {e}"))
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// List optical drives with identity, bus, chip family and state.
    Scan(scan::ScanArgs),
    /// Show one drive: identity, serial, firmware date, bus, readiness, capabilities.
    Info(info::InfoArgs),
    /// Check what on this machine breaks flashing, and say how to fix each finding.
    Doctor(doctor::DoctorArgs),
    /// Read the whole flash into a raw dump file (never flashable as is).
    Dump(dump::DumpArgs),
    /// Write a validated backup bundle: firmware, unit data, identity, manifest.
    Backup(backup::BackupArgs),
    /// Dump or restore the per-unit identity and calibration data ("EEPROM").
    #[command(subcommand)]
    Eeprom(eeprom::EepromCommand),
    /// Flash firmware (a dry run unless --execute).
    Flash(flash::FlashArgs),
    /// Firmware image tools.
    #[command(subcommand)]
    Image(image::ImageCommand),
    /// Emulated-drive tools (synthetic images).
    #[command(subcommand)]
    Emu(emu::EmuCommand),
    /// Import a USB capture of a vendor flasher as a trace; decode traces.
    #[command(subcommand)]
    Trace(trace::TraceCommand),
    /// Walk through rescuing a drive in recovery state.
    Rescue(rescue::RescueArgs),
    /// Print drives as they appear and vanish.
    Watch(watch::WatchArgs),
    /// Print udev properties for an sg node from sysfs only (used by the udev rule).
    #[command(name = "udev-props")]
    UdevProps(udev_props::UdevPropsArgs),
    /// Classify a newly plugged drive read-only (run by odflash-hotplug@.service).
    Hotplug(hotplug::HotplugArgs),
    /// Generate the man page or shell completions (used by `make install`).
    #[command(hide = true)]
    Generate(generate::GenerateArgs),
}

/// The command line's definition, with the exit-code table ([`Status::table`]) at the end of
/// `--help`.
pub fn command() -> clap::Command {
    Cli::command().after_help(Status::help_footer())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_take_positive_finite_numbers_up_to_a_day() {
        assert_eq!(parse_seconds("3"), Ok(Duration::from_secs(3)));
        assert_eq!(parse_seconds("0.5"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_seconds("86400"), Ok(Duration::from_secs(86_400)));
        for bad in ["0", "-1", "1e30", "86401", "inf", "NaN", "", "3s"] {
            assert!(parse_seconds(bad).is_err(), "{bad:?}");
        }
    }
}
