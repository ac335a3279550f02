//! Opening and identifying the drive a command acts on, and the write confirmation shared by
//! every command that writes.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::Context;
use odflash::ops::drive::{self, Device, Drive};
use odflash::ops::open::{self, Intent, OpenOptions};

use super::args::Global;
use super::exit::UsageError;
use super::flash::RiskAck;

/// Open DEVICE (with the global trace options) for `intent` and identify the drive on it.
pub fn open_drive(
    device: &str,
    global: &Global,
    intent: Intent,
) -> anyhow::Result<(Device<'static>, Drive)> {
    let opts = OpenOptions {
        intent,
        ..global.open_options()?
    };
    let mut dev = open::open(device, &opts)?;
    let drive = drive::identify(&mut dev).with_context(|| format!("identifying {device}"))?;
    Ok((dev, drive))
}

/// Make sure the user means it before a write: `--yes-i-understand-the-risk`, or a typed
/// confirmation on a terminal. Without a terminal and without the flag: a usage error.
pub fn confirm_write(what: &str, ack: &RiskAck) -> anyhow::Result<()> {
    if ack.yes_i_understand_the_risk {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(UsageError(format!(
            "refusing to {what} without a terminal to confirm on: add \
             --yes-i-understand-the-risk"
        ))
        .into());
    }
    eprint!("About to {what}. Type YES to continue: ");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    if answer.trim() == "YES" {
        Ok(())
    } else {
        Err(UsageError("not confirmed: nothing was written".into()).into())
    }
}
