//! `odflash watch [--json] [--device DEVICE]...`: print optical drives as they appear and
//! vanish, with family and state (emulated drives given with `--device`, or in ODFLASH_EMU, are
//! listed as present). The udev monitor starts before the enumeration of present drives, so no drive slips
//! between the two; each drive is classified read-only (`ops::hotplug::classify_within`) with a
//! deadline, as `scan` does. Ctrl-C (or SIGTERM) ends it cleanly with exit 0.

use std::collections::HashSet;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use clap::Args;
use nix::sys::signal::{sigaction, SaFlags, SigAction, SigHandler, SigSet, Signal};
use odflash::discover::{self, DriveInfo, Event, Monitor};
use odflash::ops::hotplug::{self, Classification};
use odflash::ops::open::OpenOptions;
use serde::Serialize;

use super::args::{parse_seconds, Global};
use super::scan::EmulatedDevices;

/// How often the loop wakes up to check the stop flag.
const TICK: Duration = Duration::from_millis(250);

/// Set by the SIGINT/SIGTERM handler.
static STOP: AtomicBool = AtomicBool::new(false);

/// `odflash watch` arguments.
#[derive(Debug, Args)]
pub struct WatchArgs {
    /// One JSON object per line instead of text.
    #[arg(long)]
    pub json: bool,
    /// Per-drive classification timeout in seconds.
    #[arg(long, default_value = "3", value_name = "SECONDS", value_parser = parse_seconds)]
    pub timeout: Duration,
    #[command(flatten)]
    pub emulated: EmulatedDevices,
}

/// What happened to a drive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
enum Change {
    /// There when watching started.
    Present,
    /// Plugged in (or its driver bound) while watching.
    Added,
    /// Gone.
    Removed,
}

impl Change {
    fn label(self) -> &'static str {
        match self {
            Change::Present => "present",
            Change::Added => "added",
            Change::Removed => "removed",
        }
    }
}

/// One `--json` line.
#[derive(Debug, Serialize)]
struct Line<'a> {
    event: Change,
    device: String,
    sysfs: Option<&'a DriveInfo>,
    classification: Option<&'a Classification>,
    error: Option<String>,
}

impl WatchArgs {
    /// Watch until Ctrl-C.
    pub fn run(self, global: &Global) -> anyhow::Result<()> {
        let timeout = self.timeout;
        let opts = global.open_options()?;
        install_stop_handler()?;
        let mut monitor = Monitor::new()?;
        if !self.json {
            eprintln!("Watching for optical drives (Ctrl-C to stop).");
        }
        let mut known = HashSet::new();
        for drive in discover::enumerate()? {
            known.insert(drive.sg_node.clone());
            self.report(
                Change::Present,
                &drive.sg_node.display().to_string(),
                Some(&drive),
                &opts,
                timeout,
            )?;
        }
        // Emulated drives are present from the start and never come or go.
        for device in self.emulated.resolve() {
            self.report(Change::Present, &device, None, &opts, timeout)?;
        }
        while !STOP.load(Ordering::Relaxed) {
            match monitor.next_event(TICK)? {
                Some(Event::Added(drive)) => {
                    known.insert(drive.sg_node.clone());
                    let device = drive.sg_node.display().to_string();
                    self.report(Change::Added, &device, Some(&drive), &opts, timeout)?;
                }
                Some(Event::Removed(node)) if known.remove(&node) => self.removed(node)?,
                Some(Event::Removed(_)) | None => {}
            }
        }
        Ok(())
    }

    /// Classify `device` (with its sysfs view when it is a real drive) and print it.
    fn report(
        &self,
        change: Change,
        device: &str,
        drive: Option<&DriveInfo>,
        opts: &OpenOptions,
        timeout: Duration,
    ) -> anyhow::Result<()> {
        let device = device.to_string();
        let result = hotplug::classify_within(&device, opts, timeout);
        if self.json {
            let (classification, error) = match &result {
                Ok(c) => (Some(c), None),
                Err(e) => (None, Some(e.to_string())),
            };
            return print_line(&Line {
                event: change,
                device,
                sysfs: drive,
                classification,
                error,
            });
        }
        let text = match (&result, drive) {
            (Ok(c), _) => c.message.clone(),
            (Err(e), Some(d)) => format!(
                "{device}: {} {} {} ({}): could not classify: {e}",
                d.vendor, d.model, d.revision, d.bus
            ),
            (Err(e), None) => format!("{device}: could not classify: {e}"),
        };
        println!("{:<8} {text}", change.label());
        Ok(())
    }

    /// Print a vanished drive.
    fn removed(&self, node: PathBuf) -> anyhow::Result<()> {
        let device = node.display().to_string();
        if self.json {
            return print_line(&Line {
                event: Change::Removed,
                device,
                sysfs: None,
                classification: None,
                error: None,
            });
        }
        println!("{:<8} {device}", Change::Removed.label());
        Ok(())
    }
}

/// One compact JSON object per line, flushed at once (readers follow the stream).
fn print_line(line: &Line<'_>) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer(&mut out, line)?;
    writeln!(out)?;
    out.flush()?;
    Ok(())
}

extern "C" fn on_stop_signal(_: libc::c_int) {
    STOP.store(true, Ordering::Relaxed);
}

/// SIGINT and SIGTERM set [`STOP`]. No SA_RESTART, so the monitor's poll returns at once.
fn install_stop_handler() -> anyhow::Result<()> {
    let action = SigAction::new(
        SigHandler::Handler(on_stop_signal),
        SaFlags::empty(),
        SigSet::empty(),
    );
    for signal in [Signal::SIGINT, Signal::SIGTERM] {
        // SAFETY: the handler only stores to an AtomicBool, which is async-signal-safe, and it
        // replaces the default action of a signal no other code in this process handles.
        unsafe { sigaction(signal, &action) }?;
    }
    Ok(())
}
