//! The `odflash` command: parses arguments, runs the command, maps the error to an exit code.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    cli::main()
}
