//! `odflash-notify`: desktop notices for optical drives in recovery or needing attention.
//!
//! The hotplug helper (`odflash hotplug`, run by udev through `odflash-hotplug@.service`)
//! classifies every optical drive plugged in and writes `/run/odflash/<device>.json`. This
//! program runs in the user's graphical session (`systemd/user/odflash-notify.service`),
//! watches that directory and turns a drive in recovery or needing attention into one desktop
//! notification with the exact command to run next. It needs no privileges, never opens a
//! device and sends nothing to any drive: it only reads the helper's files.
//!
//! Modules: [`watch`] (inotify on the directory), [`status`] (one file into the helper's own
//! type), [`notice`] (what to say), [`announce`] (once per appearance), [`desktop`] (the
//! session bus), [`manpage`] (its man page).

#![deny(missing_docs)]

mod announce;
mod desktop;
mod error;
mod manpage;
mod notice;
mod status;
mod watch;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{CommandFactory, Parser};
use odflash::ops::hotplug::RUN_DIR;

use announce::Announcer;
use desktop::Desktop;
use watch::{Change, DirWatch};

/// While a notice waits for the notification server, how often it is offered again (besides
/// on every change in the directory).
const RETRY_INTERVAL: Duration = Duration::from_secs(30);

/// Desktop notices for optical drives odflash's hotplug check found in recovery or needing
/// attention.
#[derive(Debug, Parser)]
#[command(
    name = "odflash-notify",
    version,
    about,
    long_about = "Desktop notices for optical drives odflash's hotplug check found in recovery \
        or needing attention.\n\n\
        Watches the hotplug helper's status files (one JSON file per drive, written by \
        `odflash hotplug`) and shows one desktop notification (org.freedesktop.Notifications \
        on the session bus) for each drive in recovery (urgency critical) or needing attention, \
        with the exact command to run next. A drive is announced once per appearance: again \
        when its verdict changes or it is plugged in again, not when the same verdict is \
        rewritten. Drives already recorded at start are announced too. Needs no privileges and \
        never opens a device. Logs to stderr (RUST_LOG=debug for more).",
    after_help = "Runs as the systemd user service odflash-notify.service: \
        systemctl --user status odflash-notify"
)]
struct Args {
    /// The directory of the helper's status files; waited for while it does not exist.
    #[arg(long, value_name = "DIR", default_value = RUN_DIR)]
    dir: PathBuf,
    /// Announce the drives already recorded, then exit (status 1 if a notice could not be
    /// delivered).
    #[arg(long)]
    once: bool,
    /// Write the man page odflash-notify.1 into DIR and exit (for packaging).
    #[arg(long, value_name = "DIR", hide = true, exclusive = true)]
    generate_man: Option<PathBuf>,
}

/// How long the program runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Run {
    /// Announce what is there, then exit.
    Once,
    /// Announce what is there, then every change, until stopped.
    Watch,
}

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"))
        .format_timestamp(None)
        .init();
    let args = Args::parse();
    let result = match &args.generate_man {
        Some(dir) => manpage::write_man_page(Args::command(), dir).map(|path| {
            println!("{}", path.display());
        }),
        None => {
            let run = if args.once { Run::Once } else { Run::Watch };
            notify(&args.dir, run)
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            log::error!("{e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Announce the drives recorded in `dir`, then (for [`Run::Watch`]) every change.
fn notify(dir: &std::path::Path, run: Run) -> anyhow::Result<()> {
    let mut announcer = Announcer::new(dir, Desktop::default());
    if run == Run::Once {
        announcer.apply(Change::Rescan);
        return match announcer.pending() {
            0 => Ok(()),
            n => anyhow::bail!("{n} notice(s) could not be delivered"),
        };
    }
    // The watch is in place before the first scan: a file written in between is seen twice
    // (and announced once), never missed.
    let mut watch = DirWatch::new(dir)?;
    log::info!(
        "watching {} (undelivered notices are retried on each change and every {}s)",
        dir.display(),
        RETRY_INTERVAL.as_secs()
    );
    announcer.apply(Change::Rescan);
    loop {
        let retry = (announcer.pending() > 0).then_some(RETRY_INTERVAL);
        let changes = watch.wait(retry)?;
        announcer.retry();
        for change in changes {
            announcer.apply(change);
        }
    }
}
