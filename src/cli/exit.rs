//! The one place where a run's ending becomes an exit code ([`Status`], [`Status::code`]) and
//! where errors become messages. `main` turns the [`Status`] into the process's exit status;
//! nothing else ends the process.
//!
//! Codes follow sg3_utils where they overlap and add odflash's own (see `ops::ExitCode` and the
//! README table). Usage errors are 1, as in sg3_utils (clap's default would be 2, which
//! sg3_utils uses for "not ready"), whether clap or a command finds them.

use std::sync::atomic::{AtomicBool, Ordering};

use nix::sys::signal::Signal;
use odflash::discover::sanitize;
use odflash::ops::{sent, ExitCode};

use super::{next, progress};

/// Exit code after a panic: "internal error", sysexits.h `EX_SOFTWARE`. No error maps to it, so
/// a panic never looks like a documented outcome (Rust's own 101 is "identify-only" here).
const INTERNAL_ERROR: u8 = 70;

/// Exit code after a termination signal held during a write: 128 + SIGINT, the conventional
/// status of an interrupted command.
const INTERRUPTED: u8 = 130;

/// How a run ended. [`Status::code`] is the one map from outcomes to exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// A documented outcome: success, a usage error, or the code of an `ops` error.
    Code(ExitCode),
    /// A termination signal arrived during a write and was held until the drive was safe
    /// ([`Interrupted`]).
    Interrupted,
    /// A panic: a bug in odflash (the panic hook said what the drive was sent).
    Internal,
}

impl Status {
    /// Success.
    pub const OK: Status = Status::Code(ExitCode::Ok);

    /// The process exit status.
    pub fn code(self) -> u8 {
        match self {
            Status::Code(code) => code.code(),
            Status::Interrupted => INTERRUPTED,
            Status::Internal => INTERNAL_ERROR,
        }
    }

    /// Every exit status a run can end with and what it means, by code: the `ops` codes
    /// ([`ExitCode::ALL`]) and the two only the process has. `--help` and the man pages'
    /// EXIT STATUS print this table.
    pub fn table() -> Vec<(u8, &'static str)> {
        let mut rows: Vec<(u8, &'static str)> = ExitCode::ALL
            .iter()
            .map(|code| (code.code(), code.describe()))
            .collect();
        rows.push((
            INTERNAL_ERROR,
            "internal error, a bug in odflash (the message says what the drive was sent and \
             what to run next)",
        ));
        rows.push((
            INTERRUPTED,
            "interrupted: a termination signal arrived during a write and was held until the \
             drive was safe",
        ));
        rows.sort_by_key(|&(code, _)| code);
        rows
    }

    /// [`Status::table`] as the footer of `--help`.
    pub fn help_footer() -> String {
        let rows: Vec<String> = Status::table()
            .into_iter()
            .map(|(code, meaning)| format!("  {code:>3}  {meaning}"))
            .collect();
        format!("Exit codes:\n{}", rows.join("\n"))
    }

    /// The status of a failed run: the first error in the chain that knows its status wins;
    /// an error nothing claims is "other".
    fn of_error(err: &anyhow::Error) -> Status {
        for cause in err.chain() {
            if let Some(e) = cause.downcast_ref::<odflash::ops::Error>() {
                return Status::Code(e.exit_code());
            }
            if cause.is::<UsageError>() {
                return Status::Code(ExitCode::Usage);
            }
            if cause.is::<Interrupted>() {
                return Status::Interrupted;
            }
        }
        Status::Code(ExitCode::Other)
    }

    /// The status of a command line clap did not accept: help and version succeed, anything
    /// else is a usage error.
    fn of_clap(e: &clap::Error) -> Status {
        if e.use_stderr() {
            Status::Code(ExitCode::Usage)
        } else {
            Status::OK
        }
    }
}

/// Print a clap error (or help/version) and return its status.
pub fn clap_error(e: clap::Error) -> Status {
    // Printing can only fail on a closed stream; nothing else to do then.
    let _ = e.print();
    Status::of_clap(&e)
}

/// Print the error chain to stderr and return its status.
pub fn report(err: &anyhow::Error) -> Status {
    let status = Status::of_error(err);
    match status {
        // Not an error: the write succeeded and was reported; the signal acts now.
        Status::Interrupted => eprintln!("odflash: {}", render(err)),
        _ => eprintln!("odflash: error: {}", render(err)),
    }
    status
}

/// The error chain on one line, each cause once. Several errors print their source in their own
/// message and also return it from `source()`; `{:#}` would then say the same thing twice.
/// Right after the first error that carries a drive condition come its commands (the way back
/// and the next command), rendered here: `ops` returns them as values.
fn render(err: &anyhow::Error) -> String {
    let mut line = String::new();
    let mut condition_told = false;
    for cause in err.chain() {
        let text = cause.to_string();
        if line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
        let condition = cause
            .downcast_ref::<odflash::ops::Error>()
            .and_then(odflash::ops::Error::condition);
        if let (Some(condition), false) = (condition, condition_told) {
            line.push_str(&next::condition_tail(condition));
            condition_told = true;
        }
    }
    line
}

/// A usage problem found by the CLI itself (exit 1).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// A termination signal arrived while a drive was written; it was held until the write
/// finished. Returned once the report is printed, it ends the run with
/// [`Status::Interrupted`].
#[derive(Debug, thiserror::Error)]
#[error(
    "{signal} arrived while the drive was being written; it was held until the write \
     finished. Exiting now."
)]
pub struct Interrupted {
    /// The first signal that arrived.
    signal: String,
}

/// After a write that held SIGINT/SIGTERM/SIGHUP back: [`Interrupted`] when any arrived.
pub fn held_signals(signals: &[String]) -> Result<(), Interrupted> {
    match signals.first() {
        Some(first) => Err(Interrupted {
            signal: first.clone(),
        }),
        None => Ok(()),
    }
}

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

/// Set by the panic hook: some thread panicked.
static PANICKED: AtomicBool = AtomicBool::new(false);

/// True once any thread panicked: the run ends with [`Status::Internal`] whatever the main
/// thread returns.
pub fn panicked() -> bool {
    PANICKED.load(Ordering::SeqCst)
}

/// Replace Rust's panic report: say it is a bug, say what the drive heard (a drive left in
/// download mode must never go unannounced) and the command to run next. The panic then
/// unwinds (dropping the device releases its lock and signal block), and `main` exits
/// [`INTERNAL_ERROR`]. Installed first thing in the run.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        PANICKED.store(true, Ordering::SeqCst);
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
    fn every_ending_has_its_one_code() {
        assert_eq!(Status::OK.code(), 0);
        assert_eq!(Status::Internal.code(), 70);
        let usage = anyhow::Error::new(UsageError("bad".into())).context("running x");
        assert_eq!(Status::of_error(&usage).code(), 1);
        let held = anyhow::Error::new(held_signals(&["SIGINT".into()]).unwrap_err());
        assert_eq!(Status::of_error(&held), Status::Interrupted);
        assert_eq!(Status::of_error(&held).code(), 130);
        assert!(held_signals(&[]).is_ok());
        assert_eq!(Status::of_error(&anyhow::anyhow!("unknown")).code(), 99);
        let parse = |args: &[&str]| {
            use clap::Parser;
            let e = super::super::args::Cli::try_parse_from(args).unwrap_err();
            Status::of_clap(&e).code()
        };
        assert_eq!(parse(&["odflash", "--help"]), 0);
        assert_eq!(parse(&["odflash", "--version"]), 0);
        assert_eq!(parse(&["odflash", "watch", "--timeout", "0"]), 1);
        assert_eq!(parse(&["odflash", "rescue", "--wait", "0"]), 1);
    }

    #[test]
    fn help_and_man_pages_list_every_code_a_run_can_end_with() {
        let table = Status::table();
        let codes: Vec<u8> = table.iter().map(|&(code, _)| code).collect();
        let mut expected: Vec<u8> = ExitCode::ALL.iter().map(|c| c.code()).collect();
        expected.extend([Status::Internal.code(), Status::Interrupted.code()]);
        expected.sort_unstable();
        assert_eq!(codes, expected);
        // clap wraps long lines: compare with runs of white space made one space.
        let words = |text: &str| text.split_whitespace().collect::<Vec<_>>().join(" ");
        let help = words(&super::super::args::command().render_long_help().to_string());
        for (code, meaning) in table {
            let line = words(&format!("{code} {meaning}"));
            assert!(help.contains(&line), "--help lacks {line:?}");
        }
    }

    #[test]
    fn the_readme_table_is_the_table() {
        let readme = include_str!("../../README.md");
        let rows: Vec<String> = readme
            .lines()
            .skip_while(|line| *line != "| code | meaning |")
            .skip(2)
            .take_while(|line| line.starts_with('|'))
            .map(str::to_string)
            .collect();
        let expected: Vec<String> = Status::table()
            .into_iter()
            .map(|(code, meaning)| format!("| {code} | {meaning} |"))
            .collect();
        assert_eq!(
            rows, expected,
            "README.md, Exit codes: copy Status::table()"
        );
    }

    #[test]
    fn a_drive_condition_is_followed_by_its_commands() {
        use odflash::ops::drive::DeviceKind;
        use odflash::ops::next::NextStep;
        let err = odflash::ops::Error::VerifyMismatch {
            offset: 0x100,
            expected: 1,
            found: 2,
            mismatched: 1,
            condition: odflash::ops::DriveCondition {
                burned: odflash::ops::error::Burned::Yes,
                state: "the drive kept its firmware".into(),
                way_back: None,
                next: Box::new(NextStep::Info {
                    device: "emu:mt1959".into(),
                    kind: DeviceKind::Emulated,
                }),
            },
        };
        let err = anyhow::Error::new(err).context("flashing emu:mt1959");
        assert_eq!(
            render(&err),
            "flashing emu:mt1959: verify failed at offset 0x000100: expected 0x01, read 0x02 \
             (1 bytes differ); the drive kept its firmware; next: odflash info emu:mt1959"
        );
        assert_eq!(Status::of_error(&err).code(), 103);
    }

    #[test]
    fn render_says_each_cause_once() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        let err = anyhow::Error::new(odflash::ops::Error::io("/x.bin", io)).context("reading x");
        assert_eq!(render(&err), "reading x: /x.bin: no such file");
        assert_eq!(Status::of_error(&err).code(), 15);
    }
}
