//! The command line: clap definitions (one file per command), logging set-up, terminal output,
//! the rendering of suggested commands, and the single place where a run's ending becomes an
//! exit code.
//!
//! This layer knows terminals and arguments, not protocols: it converts clap types into `ops`
//! option structs and prints the plans and reports `ops` returns.

mod args;
mod backup;
mod device;
mod doctor;
mod dump;
mod eeprom;
mod emu;
mod emu_profile;
mod exit;
mod flash;
mod generate;
mod hotplug;
mod image;
mod info;
mod manpages;
mod next;
mod output;
mod progress;
mod rescue;
mod scan;
mod trace;
mod udev_props;
mod vendor;
mod watch;

use clap::FromArgMatches;
use nix::sys::signal::{signal, SigHandler, Signal};

use args::{Cli, Command};

pub use exit::{panicked, Status};

/// Parse, run, print the error chain and return how the run ended (`main` exits with it).
pub fn main() -> Status {
    exit::install_panic_hook();
    restore_sigpipe();
    odflash::ops::signals::set_held_notice(exit::announce_held_signal);
    let cli = match args::command()
        .try_get_matches()
        .and_then(|matches| Cli::from_arg_matches(&matches))
    {
        Ok(cli) => cli,
        Err(e) => return exit::clap_error(e),
    };
    init_logging(&cli.global);
    match run(cli) {
        Ok(()) => Status::OK,
        Err(err) => exit::report(&err),
    }
}

/// Dispatch one parsed command line.
fn run(cli: Cli) -> anyhow::Result<()> {
    let global = cli.global;
    match cli.command {
        Command::Scan(a) => a.run(&global),
        Command::Info(a) => a.run(&global),
        Command::Doctor(a) => a.run(),
        Command::Dump(a) => a.run(&global),
        Command::Backup(a) => a.run(&global),
        Command::Eeprom(c) => c.run(&global),
        Command::Flash(a) => a.run(&global),
        Command::Image(c) => c.run(&global),
        Command::Emu(c) => c.run(),
        Command::Trace(c) => c.run(),
        Command::Rescue(a) => a.run(&global),
        Command::Watch(a) => a.run(&global),
        Command::UdevProps(a) => a.run(),
        Command::Hotplug(a) => a.run(&global),
        Command::Generate(a) => a.run(),
    }
}

/// Let a closed output pipe (`odflash scan | head`) end the process quietly, as it does for other
/// Unix tools, instead of Rust's default of ignoring SIGPIPE and panicking in `print!`. Writes to
/// a drive block SIGPIPE with the termination signals (`ops::signals`), so this never cuts a
/// burn short.
fn restore_sigpipe() {
    // SAFETY: called first thing in main, before any thread exists; SIG_DFL installs no Rust
    // handler, so no async-signal-safety rule applies.
    let previous = unsafe { signal(Signal::SIGPIPE, SigHandler::SigDfl) };
    if let Err(e) = previous {
        log::debug!("cannot restore the default SIGPIPE action: {e}");
    }
}

/// `-v`/`-q` choose the default level; `RUST_LOG` still overrides it.
fn init_logging(global: &args::Global) {
    let level = match (global.quiet, global.verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, 2) => "debug",
        _ => "trace",
    };
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or(level))
        .format_timestamp(None)
        .init();
}
