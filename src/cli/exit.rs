//! The one place where errors become exit codes and messages.
//!
//! Codes follow sg3_utils where they overlap and add odflash's own (see `ops::ExitCode` and the
//! README table). Usage errors are 1, as in sg3_utils (clap's default would be 2, which
//! sg3_utils uses for "not ready").

use std::process::ExitCode;

use nix::sys::signal::Signal;
use odflash::discover::sanitize;
use odflash::ops::sent;

use super::progress;

/// Exit code for usage errors (bad arguments).
const USAGE: u8 = 1;

/// Exit code after a panic: "internal error", sysexits.h `EX_SOFTWARE`. No error maps to it, so
/// a panic never looks like a documented outcome (Rust's own 101 is "identify-only" here).
pub const INTERNAL_ERROR: i32 = 70;

/// Print a clap error (or help/version) and choose its exit code.
pub fn clap_error(e: clap::Error) -> ExitCode {
    let code = if e.use_stderr() { USAGE } else { 0 };
    // Printing can only fail on a closed stream; nothing else to do then.
    let _ = e.print();
    ExitCode::from(code)
}

/// Print the error chain to stderr and return its exit code.
pub fn report(err: &anyhow::Error) -> ExitCode {
    eprintln!("odflash: error: {}", render(err));
    ExitCode::from(code_for(err))
}

/// The error chain on one line, each cause once. Several errors print their source in their own
/// message and also return it from `source()`; `{:#}` would then say the same thing twice.
fn render(err: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line
}

/// The exit code for an error chain: the first error in the chain that knows its code wins.
fn code_for(err: &anyhow::Error) -> u8 {
    for cause in err.chain() {
        if let Some(e) = cause.downcast_ref::<odflash::ops::Error>() {
            return e.exit_code().code();
        }
        if cause.downcast_ref::<UsageError>().is_some() {
            return USAGE;
        }
    }
    odflash::ops::ExitCode::Other.code()
}

/// A usage problem found by the CLI itself (exit 1).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// The line shown when a termination signal is held during a write (called by
/// `ops::signals` as the signal arrives, from its watcher thread). A held SIGPIPE means an
/// output is closed: nothing to tell, and nowhere to tell it.
pub fn announce_held_signal(signal: Signal) {
    let line = match signal {
        Signal::SIGPIPE => return,
        Signal::SIGINT => {
            "odflash: Ctrl-C held: the drive is writing; Ctrl-C will act when it is safe".into()
        }
        other => {
            format!("odflash: {other} held: the drive is writing; it will act when it is safe")
        }
    };
    progress::print_line(&line);
}

/// Replace Rust's panic report: say it is a bug, say what the drive heard (a drive left in
/// download mode must never go unannounced) and the command to run next, then exit
/// [`INTERNAL_ERROR`]. Installed first thing in `main`.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let what = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "panic".into());
        let place = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!(
            "{}",
            panic_report(&format!("{what}{place}"), sent::last_change())
        );
        std::process::exit(INTERNAL_ERROR);
    }));
}

/// The panic report's text (pure): `what` panicked, and the commands that can change a drive
/// sent before it.
fn panic_report(what: &str, changes: Option<sent::Changes>) -> String {
    let head = format!(
        "odflash: internal error (a bug in odflash; exit {INTERNAL_ERROR}): {}",
        sanitize(what)
    );
    match changes {
        None => format!("{head}\nodflash: no command that can change a drive was sent."),
        Some(c) => {
            let device = sanitize(&c.device);
            format!(
                "{head}\nodflash: before it, {} command(s) that can change the drive were sent \
                 to {device} (the last: CDB {}). The drive may be in download mode or still \
                 burning its flash: do not unplug it or power it off. Wait two minutes, then \
                 run: {}",
                c.count,
                hex::encode(&c.last_cdb),
                odflash::ops::suggest_command(
                    odflash::ops::open::kind_of(&device),
                    &["rescue", &device]
                )
            )
        }
    }
}

/// After a write that held SIGINT/SIGTERM/SIGHUP back: when any arrived, say so and exit 130
/// (the conventional status for an interrupted command) now that the drive is safe.
pub fn exit_after_deferred_signals(signals: &[String]) {
    if let Some(first) = signals.first() {
        eprintln!(
            "odflash: {first} arrived while the drive was being written; it was held until the \
             write finished. Exiting now."
        );
        std::process::exit(130);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_report_says_what_the_drive_heard_and_what_to_run() {
        let quiet = panic_report("boom at src/x.rs:1", None);
        assert!(quiet.contains("internal error (a bug in odflash; exit 70): boom"));
        assert!(quiet.contains("no command that can change a drive was sent"));
        let changes = sent::Changes {
            device: "/dev/sg3\u{1b}[2J".into(),
            count: 3,
            last_cdb: vec![0x3B, 0x01],
        };
        let report = panic_report("boom", Some(changes));
        assert!(report.contains("3 command(s) that can change the drive were sent to /dev/sg3"));
        assert!(report.contains("CDB 3b01"));
        assert!(report.contains("do not unplug it"));
        assert!(
            report.ends_with("run: sudo odflash rescue /dev/sg3"),
            "{report}"
        );
        assert!(!report.contains('\u{1b}'));
    }

    #[test]
    fn render_says_each_cause_once() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        let err = anyhow::Error::new(odflash::ops::Error::io("/x.bin", io)).context("reading x");
        assert_eq!(render(&err), "reading x: /x.bin: no such file");
        assert_eq!(code_for(&err), 15);
    }
}
