//! `odflash scan`: List optical drives.

use std::time::Duration;

use clap::Args;
use odflash::discover::sanitize;
use odflash::family::FlashReads;
use odflash::ops::probe::{self, ProbeOutcome, ScanEntry, ScanOptions};

use super::args::{parse_seconds, Global};
use super::output::{print_json, Table};

/// `odflash scan` arguments.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
    /// Per-drive probe timeout in seconds; a hung drive never delays the others beyond it.
    #[arg(long, default_value = "3", value_name = "SECONDS", value_parser = parse_seconds)]
    pub timeout: Duration,
    #[command(flatten)]
    pub emulated: EmulatedDevices,
}

/// `--device DEVICE` (repeatable), shared by `scan` and `watch`.
#[derive(Debug, Args)]
pub struct EmulatedDevices {
    /// Also list this emulated drive (repeatable), e.g. `--device emu:mt1959`. Without it, the
    /// drives named in ODFLASH_EMU, separated by `;`. A value is one DEVICE, taken whole.
    #[arg(long = "device", value_name = "DEVICE")]
    pub devices: Vec<String>,
}

impl EmulatedDevices {
    /// The `--device` values, else those of ODFLASH_EMU.
    pub fn resolve(&self) -> Vec<String> {
        if self.devices.is_empty() {
            emulated_from_env()
        } else {
            self.devices.clone()
        }
    }
}

impl ScanArgs {
    /// List drives.
    pub fn run(self, global: &Global) -> anyhow::Result<()> {
        let emulated = self.emulated.resolve();
        let opts = ScanOptions {
            timeout: self.timeout,
            emulated,
            open: global.open_options()?,
        };
        let entries = probe::scan(&opts)?;
        if self.json {
            return print_json(&entries);
        }
        if entries.is_empty() {
            println!("No optical drives found.");
            println!(
                "(odflash lists SCSI generic nodes of type 5: is the sg module loaded? \
                 `sudo modprobe sg`. To practise, add --device emu:mt1959.)"
            );
            return Ok(());
        }
        let mut table = Table::new(&[
            "DEVICE",
            "VENDOR",
            "MODEL",
            "REV",
            "BUS",
            "FAMILY",
            "STATE",
            "READINESS",
        ]);
        for e in &entries {
            table.row(row(e));
        }
        print!("{}", table.render());
        Ok(())
    }
}

/// One table row; device-provided strings are sanitized.
fn row(e: &ScanEntry) -> Vec<String> {
    let device = if e.emulated {
        format!("{} (emulated)", e.device)
    } else {
        e.device.clone()
    };
    let bus = match (&e.sysfs, e.emulated) {
        (Some(info), _) => info.bus.to_string(),
        (None, true) => "emulated".into(),
        (None, false) => "?".into(),
    };
    let (vendor, model, revision) = match (&e.probe, &e.sysfs) {
        (ProbeOutcome::Done(p), _) => (
            p.inquiry.vendor.clone(),
            p.inquiry.product.clone(),
            p.inquiry.revision.clone(),
        ),
        (_, Some(info)) => (
            info.vendor.clone(),
            info.model.clone(),
            info.revision.clone(),
        ),
        _ => Default::default(),
    };
    let (family, state, readiness) = match &e.probe {
        ProbeOutcome::Done(p) => match &p.family {
            Some(f) => (
                f.id.to_string(),
                match f.identity.flash_reads {
                    FlashReads::Served => f.state.to_string(),
                    reads => format!("{} ({reads})", f.state),
                },
                p.readiness.to_string(),
            ),
            None => ("unknown".into(), "-".into(), p.readiness.to_string()),
        },
        ProbeOutcome::Busy { holder } => ("?".into(), "busy".into(), holder.to_string()),
        ProbeOutcome::Failed { error } => ("?".into(), "-".into(), format!("error: {error}")),
        ProbeOutcome::TimedOut { after_ms } => (
            "?".into(),
            "-".into(),
            format!("no answer within {after_ms} ms"),
        ),
    };
    [
        device, vendor, model, revision, bus, family, state, readiness,
    ]
    .into_iter()
    .map(|s| sanitize(&s))
    .collect()
}

/// The drives named in `ODFLASH_EMU` (separated by `;`, empty entries skipped).
fn emulated_from_env() -> Vec<String> {
    std::env::var("ODFLASH_EMU")
        .map(|list| {
            list.split(';')
                .map(str::trim)
                .filter(|d| !d.is_empty())
                .map(String::from)
                .collect()
        })
        .unwrap_or_default()
}
