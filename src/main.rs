//! The `odflash` command: runs the command line and exits with the status of how it ended. The
//! only place the process exits.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    // A panic (in any thread) is a bug: the panic hook has said what the drive was sent and
    // what to run next; the unwind has released the device.
    let status = match std::panic::catch_unwind(cli::main) {
        Ok(status) if !cli::panicked() => status,
        _ => cli::Status::Internal,
    };
    ExitCode::from(status.code())
}
