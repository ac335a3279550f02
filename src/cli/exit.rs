//! The one place where errors become exit codes and messages.
//!
//! Codes follow sg3_utils where they overlap and add odflash's own (see `ops::ExitCode` and the
//! README table). Usage errors are 1, as in sg3_utils (clap's default would be 2, which
//! sg3_utils uses for "not ready").

use std::process::ExitCode;

/// Exit code for usage errors (bad arguments).
const USAGE: u8 = 1;

/// Print a clap error (or help/version) and choose its exit code.
pub fn clap_error(e: clap::Error) -> ExitCode {
    let code = if e.use_stderr() { USAGE } else { 0 };
    // Printing can only fail on a closed stream; nothing else to do then.
    let _ = e.print();
    ExitCode::from(code)
}

/// Print the error chain to stderr and return its exit code.
pub fn report(err: &anyhow::Error) -> ExitCode {
    eprintln!("odflash: error: {err:#}");

    ExitCode::from(code_for(err))
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
