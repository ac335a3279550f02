//! `odflash trace import` and `odflash trace show`: a contributor's USB capture of a vendor
//! flasher into an odflash trace, and any trace decoded for reading.
//!
//! Import reads the capture (`scsi::capture` does the parsing and the Bulk-Only reassembly),
//! optionally masks serial numbers (`scsi::redact`) and writes the trace as JSON lines, mode
//! 0600 (it holds firmware and unit data). A capture odflash cannot use is a bad input file:
//! exit 1, with the frame it broke at. Show prints the [`decode::Listing`] of a trace.

mod decode;

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use odflash::discover::sanitize;
use odflash::ops::atomic::{self, Mode};
use odflash::ops::drive::DeviceKind;
use odflash::ops::open::REPLAY_PREFIX;
use odflash::ops::{input, suggest_command, Error};
use odflash::scsi::capture::{self, Selector, MAX_CAPTURE_BYTES};
use odflash::scsi::redact;
use odflash::scsi::trace::{parse_trace, TraceRecord, MAX_TRACE_BYTES};

use super::output::print_json;
use decode::{Command, Listing};

/// `odflash trace` subcommands.
#[derive(Debug, Subcommand)]
pub enum TraceCommand {
    /// Turn a usbmon text, pcap or pcapng capture of a USB drive into an odflash trace.
    Import(ImportArgs),
    /// Print a trace decoded: command names (standard and by chip family), sense, unknown
    /// vendor commands, firmware-looking data-out streams.
    Show(ShowArgs),
}

/// Whether serial numbers leave the machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Serials {
    /// Written and shown as the drive reported them.
    Keep,
    /// Masked (`--redact`).
    Redact,
}

impl Serials {
    fn from_flag(redact: bool) -> Serials {
        if redact {
            Serials::Redact
        } else {
            Serials::Keep
        }
    }
}

/// `odflash trace import` arguments.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The capture: usbmon text (/sys/kernel/debug/usb/usbmon/<bus>u), or pcap/pcapng from
    /// tcpdump or Wireshark on a usbmonN interface.
    pub capture: PathBuf,
    /// The trace to write (JSON lines; replay it with DEVICE replay:TRACE).
    #[arg(short, long, value_name = "TRACE")]
    pub output: PathBuf,
    /// The device to import when the capture holds several (as lsusb shows it: BUS:DEVICE,
    /// e.g. 1:005; BUS:DEVICE:LUN for one logical unit).
    #[arg(long, value_name = "BUS:DEVICE[:LUN]")]
    pub device: Option<Selector>,
    /// Mask the drive's serial numbers (every copy of the serials its INQUIRY VPD 0x80 and GET
    /// CONFIGURATION 0x0108 replies report) before writing.
    #[arg(long)]
    pub redact: bool,
}

/// `odflash trace show` arguments.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The trace (from --trace, --trace-payload or trace import).
    pub trace: PathBuf,
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
    /// Mask serial numbers in what is shown.
    #[arg(long)]
    pub redact: bool,
    /// List every command, without folding runs of the same command into one line.
    #[arg(long)]
    pub all: bool,
}

impl TraceCommand {
    /// Run the subcommand.
    pub fn run(self) -> anyhow::Result<()> {
        match self {
            TraceCommand::Import(a) => a.run(),
            TraceCommand::Show(a) => a.run(),
        }
    }
}

impl ImportArgs {
    fn run(self) -> anyhow::Result<()> {
        let path = &self.capture;
        let bytes = input::read_input(path, MAX_CAPTURE_BYTES, "capture")
            .map_err(Error::from)
            .with_context(|| format!("reading {}", path.display()))?;
        let mut import = capture::import(&bytes, self.device)
            .map_err(|e| Error::bad_file(path, e.to_string()))?;
        let masked = match Serials::from_flag(self.redact) {
            Serials::Redact => redact::redact_serials(&mut import.records),
            Serials::Keep => Vec::new(),
        };
        let mut text = Vec::new();
        for record in &import.records {
            serde_json::to_writer(&mut text, record)?;
            text.push(b'\n');
        }
        atomic::write_file(&self.output, &text, Mode::Private)
            .map_err(Error::from)
            .with_context(|| format!("writing {}", self.output.display()))?;
        println!(
            "imported {} commands of device {} LUN {} from the {} capture {} into {}",
            import.records.len(),
            import.device,
            import.lun,
            import.format,
            path.display(),
            self.output.display()
        );
        let n = &import.notes;
        if n.payloads_cut > 0 {
            println!(
                "  {} commands without their data: the capture holds only part of it (usbmon \
                 text keeps 32 bytes per transfer; capture with tcpdump or Wireshark for whole \
                 payloads)",
                n.payloads_cut
            );
        }
        if n.skipped_before_first_command > 0 {
            println!(
                "  {} bulk transfers before the first command skipped (the capture began in \
                 mid-command)",
                n.skipped_before_first_command
            );
        }
        if n.sense_folded > 0 {
            println!(
                "  {} automatic REQUEST SENSE commands folded into the failed command before \
                 each, as SG_IO reports them",
                n.sense_folded
            );
        }
        if n.cut_at_end {
            println!("  the capture ends inside a command; it is left out");
        }
        if !n.other_devices.is_empty() {
            println!(
                "  also in the capture, not imported: {} (choose with --device)",
                n.other_devices.join(", ")
            );
        }
        for s in &masked {
            println!(
                "  serial masked in {} records (it was {} bytes long)",
                s.records.len(),
                s.text.len()
            );
        }
        let trace = self.output.display().to_string();
        // `trace show` reads a file and needs no root, as a command on an emulated drive does;
        // a replay stands for the real drive it was recorded from, and is suggested as one.
        println!(
            "next: {}",
            suggest_command(DeviceKind::Emulated, &["trace", "show", &trace])
        );
        let replay = format!("{REPLAY_PREFIX}{trace}");
        println!(
            "replay it: {}",
            suggest_command(DeviceKind::Replay, &["info", &replay])
        );
        Ok(())
    }
}

impl ShowArgs {
    fn run(self) -> anyhow::Result<()> {
        let records = read_trace(&self.trace)?;
        let mut listing = decode::decode(&records);
        if Serials::from_flag(self.redact) == Serials::Redact {
            for s in &mut listing.serials {
                s.text = "X".repeat(s.text.len());
            }
        }
        if self.json {
            return print_json(&listing);
        }
        print!("{}", render(&listing, self.all));
        Ok(())
    }
}

/// Read and parse a trace file (bad JSON is a bad input file: exit 1).
fn read_trace(path: &std::path::Path) -> anyhow::Result<Vec<TraceRecord>> {
    let text = input::read_input_text(path, MAX_TRACE_BYTES, "trace")
        .map_err(Error::from)
        .with_context(|| format!("reading {}", path.display()))?;
    parse_trace(&text).map_err(|e| Error::bad_file(path, e.to_string()).into())
}

/// Folded runs are this long at least.
const MIN_RUN: usize = 3;

/// Commands that print as one line when they follow each other.
fn same_kind(a: &Command, b: &Command) -> bool {
    (
        &a.name,
        &a.family,
        a.direction,
        a.requested,
        &a.outcome,
        &a.sense,
    ) == (
        &b.name,
        &b.family,
        b.direction,
        b.requested,
        &b.outcome,
        &b.sense,
    ) && a.cdb.get(..4) == b.cdb.get(..4)
}

/// The listing as text.
fn render(l: &Listing, all: bool) -> String {
    let mut out = String::new();
    match &l.identity {
        Some(id) => out.push_str(&format!(
            "drive: {} {} {}\n",
            sanitize(&id.vendor),
            sanitize(&id.product),
            sanitize(&id.revision)
        )),
        None => out.push_str("drive: no INQUIRY reply in the trace\n"),
    }
    for s in &l.serials {
        out.push_str(&format!(
            "serial: {} (in records {}); share a capture without it: odflash trace import \
             --redact\n",
            sanitize(&s.text),
            join(&s.records)
        ));
    }
    out.push_str(&format!("{} commands\n\n", l.commands.len()));
    let mut i = 0;
    while i < l.commands.len() {
        let c = &l.commands[i];
        let run = l.commands[i..]
            .iter()
            .take_while(|d| same_kind(c, d))
            .count();
        let run = if all || run < MIN_RUN { 1 } else { run };
        out.push_str(&render_command(&l.commands[i..i + run]));
        i += run;
    }
    if !l.streams.is_empty() {
        out.push_str("\ndata-out streams (what a firmware download looks like):\n");
    }
    for s in &l.streams {
        let sizes: Vec<String> = s
            .sizes
            .iter()
            .map(|z| format!("{} x {}", z.count, z.bytes))
            .collect();
        out.push_str(&format!(
            "  #{}..#{}: {} chunks, {} bytes ({}) - {}\n",
            s.first,
            s.last,
            s.chunks,
            s.bytes,
            sizes.join(", "),
            s.name
        ));
        if let Some(o) = s.offsets {
            out.push_str(&format!(
                "    offsets {:#08x}..{:#08x}, {}\n",
                o.first,
                o.last,
                if o.contiguous {
                    "contiguous"
                } else {
                    "not contiguous"
                }
            ));
        }
    }
    if l.unknown_vendor > 0 {
        out.push_str(&format!(
            "\n{} vendor commands no public source odflash knows names (UNKNOWN above): these \
             are what a capture can make public\n",
            l.unknown_vendor
        ));
    }
    out
}

/// One command, or a run of the same command, as lines.
fn render_command(run: &[Command]) -> String {
    let c = &run[0];
    let mut out = match run {
        [_] => format!("#{} {}\n", c.index, c.name),
        [.., last] => format!("#{}..#{} {} x {}\n", c.index, last.index, run.len(), c.name),
        [] => return String::new(),
    };
    let size = match c.direction {
        odflash::scsi::Direction::None => "no data".to_string(),
        d => format!("{d} {} of {}", c.transferred, c.requested),
    };
    let each = if run.len() > 1 { " each" } else { "" };
    out.push_str(&format!("    cdb {}  {size}{each}  {}\n", c.cdb, c.outcome));
    if let (Some(first), Some(last)) = (c.buffer, run.last().and_then(|l| l.buffer)) {
        if run.len() > 1 {
            out.push_str(&format!(
                "    offsets {:#08x}..{:#08x}\n",
                first.offset, last.offset
            ));
        }
    }
    for d in &c.family {
        out.push_str(&format!("    {}: {}\n", d.family, d.meaning));
    }
    if c.unknown_vendor {
        out.push_str("    UNKNOWN vendor command: no family odflash knows names it\n");
    }
    if let Some(sense) = &c.sense {
        out.push_str(&format!("    sense: {sense}\n"));
    }
    out
}

fn join(indices: &[usize]) -> String {
    let list: Vec<String> = indices.iter().map(|i| i.to_string()).collect();
    list.join(", ")
}
