//! `odflash info`: Show one drive (and, with `--experimental-reads`, what a DVD-era drive's
//! EEPROM says about the firmware that fits it); with `--share`, write the bug-report document
//! of [`odflash::ops::share`] to a file instead.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use odflash::discover::sanitize;
use odflash::family::FlashReads;
use odflash::ops::atomic::{self, Mode};
use odflash::ops::input;
use odflash::ops::probe::{self, InfoReport};
use odflash::ops::share::{self, Kernel, Redaction};
use odflash::scsi::trace::{parse_trace, MAX_TRACE_BYTES};

use super::args::Global;
use super::output::print_json;
use super::vendor::{self, ExperimentalArg};

/// `odflash info` arguments.
#[derive(Debug, Args)]
pub struct InfoArgs {
    /// The drive.
    pub device: String,
    #[command(flatten)]
    pub experimental: ExperimentalArg,
    /// Machine-readable output.
    #[arg(long, conflicts_with = "share")]
    pub json: bool,
    /// Write one JSON file for a bug report: identity, bus, every identification reply in hex,
    /// odflash version, kernel; the serial redacted, no firmware payloads.
    #[arg(long)]
    pub share: bool,
    /// Where --share writes (default odflash-report.json in the current directory).
    #[arg(short, long, value_name = "FILE", requires = "share")]
    pub output: Option<PathBuf>,
    /// Keep the drive's serial in the --share file.
    #[arg(long, requires = "share")]
    pub no_redact: bool,
    /// Include this trace (from an earlier `--trace FILE` run) in the --share file; its large
    /// and outgoing payloads are dropped.
    #[arg(long, value_name = "TRACE", requires = "share")]
    pub trace_file: Option<PathBuf>,
}

/// Where `--share` writes without `-o`.
const DEFAULT_SHARE_FILE: &str = "odflash-report.json";

impl InfoArgs {
    /// Show one drive.
    pub fn run(self, global: &Global) -> anyhow::Result<()> {
        if self.share {
            return self.share(global);
        }
        let opts = global.open_options()?;
        let report = probe::info(&self.device, &opts, self.experimental.to_ops())
            .with_context(|| format!("reading {}", self.device))?;
        if self.json {
            return print_json(&report);
        }
        print!("{}", render(&report));
        Ok(())
    }
}

impl InfoArgs {
    /// `--share`: probe read-only through a trace recorder, build the document, write it
    /// atomically and print its path.
    fn share(self, global: &Global) -> anyhow::Result<()> {
        let trace = match &self.trace_file {
            None => None,
            Some(path) => Some(read_trace(path)?),
        };
        let collected = share::collect(&self.device, &global.open_options()?)
            .with_context(|| format!("reading {}", self.device))?;
        let redaction = if self.no_redact {
            Redaction::Keep
        } else {
            Redaction::Redact
        };
        let doc = share::build_document(
            collected,
            trace,
            &Kernel::read(Path::new("/proc")),
            redaction,
        )?;
        let mut bytes = serde_json::to_vec_pretty(&doc)?;
        bytes.push(b'\n');
        let path = self
            .output
            .unwrap_or_else(|| PathBuf::from(DEFAULT_SHARE_FILE));
        // Unredacted, the file names the drive: keep it to its owner.
        let mode = match redaction {
            Redaction::Redact => Mode::Shared,
            Redaction::Keep => Mode::Private,
        };
        atomic::write_file(&path, &bytes, mode)
            .map_err(odflash::ops::Error::from)
            .with_context(|| format!("writing {}", path.display()))?;
        println!("{}", path.display());
        Ok(())
    }
}

/// Read and parse a trace file given to `--trace-file`.
fn read_trace(path: &Path) -> anyhow::Result<Vec<odflash::scsi::trace::TraceRecord>> {
    let text = input::read_input_text(path, MAX_TRACE_BYTES, "trace")
        .map_err(odflash::ops::Error::from)
        .with_context(|| format!("reading {}", path.display()))?;
    parse_trace(&text).with_context(|| format!("parsing the trace {}", path.display()))
}

/// The human-readable report; device-provided strings are sanitized.
fn render(r: &InfoReport) -> String {
    let p = &r.probe;
    let mut lines: Vec<(&str, String)> = vec![
        ("Device", r.device.clone()),
        ("Vendor", p.inquiry.vendor.clone()),
        ("Model", p.inquiry.product.clone()),
        ("Revision", p.inquiry.revision.clone()),
        ("Peripheral type", peripheral(p.inquiry.peripheral_type)),
        ("Serial", p.serial.clone().unwrap_or_else(|| "-".into())),
        (
            "Firmware date",
            p.firmware_date.clone().unwrap_or_else(|| "-".into()),
        ),
        (
            "Bus",
            match (&r.bus, r.emulated) {
                (_, true) => "emulated".into(),
                (Some(bus), false) => bus.to_string(),
                (None, false) => "unknown".into(),
            },
        ),
        ("Readiness", p.readiness.to_string()),
    ];
    match &p.family {
        Some(f) => {
            lines.push(("Chip family", f.id.to_string()));
            if let Some(chip) = &f.identity.chip {
                lines.push(("Chip", chip.clone()));
            }
            if let Some(banner) = &f.identity.banner {
                lines.push(("Boot banner", banner.clone()));
            }
            lines.push((
                "Descriptor",
                format!(
                    "{} {} {}",
                    f.identity.vendor, f.identity.model, f.identity.revision
                ),
            ));
            lines.push(("State", f.state.to_string()));
            if f.identity.flash_reads != FlashReads::Served {
                lines.push((
                    "Flash reads",
                    format!(
                        "{}: no dump, backup or verify is possible",
                        f.identity.flash_reads
                    ),
                ));
            }
            if let Some(why) = f.identify_only {
                lines.push(("Support", format!("identify-only: {why}")));
            }
            if let Some(led) = f.blinking_led {
                lines.push(("Blinking LED", led.to_string()));
            }
        }
        None => lines.push(("Chip family", "unknown (not a known MediaTek drive)".into())),
    }
    if let Some(caps) = &p.capabilities {
        lines.push(("Reads", join(&caps.reads)));
        lines.push(("Writes", join(&caps.writes)));
        lines.push(("Loading", caps.loading.to_string()));
        if let Some(kib) = caps.buffer_kib {
            lines.push(("Buffer", format!("{kib} KiB")));
        }
    }
    if let Some(eeprom) = &r.eeprom {
        lines.push((
            "EEPROM",
            format!("{} bytes read, sha256 {}", eeprom.len, eeprom.sha256),
        ));
        for (key, value) in vendor::read_lines(&eeprom.read) {
            lines.push((key, value));
        }
        if eeprom.read.hint.is_none() {
            lines.push((
                "Group hint",
                "the EEPROM names no model odflash knows".into(),
            ));
        }
    }
    let width = lines.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    lines
        .iter()
        .map(|(k, v)| format!("{k:<width$}  {}\n", sanitize(v)))
        .collect()
}

/// Peripheral type with its SPC name.
fn peripheral(t: u8) -> String {
    match t {
        0x00 => "0 (disk)".into(),
        0x05 => "5 (CD/DVD/BD)".into(),
        other => format!("{other}"),
    }
}

/// Comma-separated list, or "-".
fn join<T: std::fmt::Display>(items: &[T]) -> String {
    if items.is_empty() {
        return "-".into();
    }
    items
        .iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
