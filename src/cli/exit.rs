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
            return e.exit_code() as u8;
        }
    }
    odflash::ops::ExitCode::Other as u8
}
