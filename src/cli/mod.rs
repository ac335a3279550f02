//! The command line: clap definitions, one file per command, and all terminal output.
