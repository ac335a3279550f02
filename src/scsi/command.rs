//! Executing commands with SCSI status checking, and the typed read-only commands every layer
//! above uses (`read_inquiry`, `read_readiness`, ...). `read_`/`write_` functions do device I/O;
//! the parsers they call are pure and live in the reply modules.

use std::time::Duration;

use super::{status, Data, Error, Sense, Transport};

/// Timeout for quick identification commands (INQUIRY, TUR, REQUEST SENSE, GET CONFIGURATION,
/// MODE SENSE). Drives answer these from firmware RAM in milliseconds; 10 s covers a drive that
/// is spinning up, as sg3_utils' default of 60 s is far longer than a scan should wait.
pub const TIMEOUT_IDENTIFY: Duration = Duration::from_secs(10);

/// Timeout for vendor flash reads and writes: coastermelt sets 30 s per command
/// (mtk-protocol.md, "Timeouts seen in the sources").
pub const TIMEOUT_FLASH: Duration = Duration::from_secs(30);

/// Execute `cdb` and map the outcome: GOOD gives the number of bytes moved; CHECK CONDITION
/// becomes [`Error::Sense`]; any other status [`Error::Status`].
pub fn run(
    t: &mut dyn Transport,
    cdb: &[u8],
    data: Data<'_>,
    timeout: Duration,
) -> Result<usize, Error> {
    let outcome = t.execute(cdb, data, timeout)?;
    match outcome.status {
        status::GOOD => Ok(outcome.transferred),
        status::CHECK_CONDITION => match Sense::parse(&outcome.sense) {
            Some(sense) => Err(Error::Sense(sense)),
            None => Err(Error::NoSense),
        },
        other => Err(Error::Status(other)),
    }
}
