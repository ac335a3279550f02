//! The protections held around every device write: the drive's lock made exclusive, blocked
//! termination signals and the sleep/shutdown inhibitor, taken together in the order a write
//! needs them and released together.
//!
//! Owns [`WriteSession`]. It sends no commands.

use nix::sys::signal::Signal;

use super::drive::Device;
use super::error::Error;
use super::inhibit::Inhibitor;
use super::signals::TerminationBlock;

/// Held while a drive is being written.
#[derive(Debug)]
pub struct WriteSession {
    // Field order is drop order: the inhibitor goes after the signal mask.
    signals: TerminationBlock,
    _inhibitor: Option<Inhibitor>,
}

impl WriteSession {
    /// Make the device's lock exclusive (it stays so until the device is dropped), block
    /// SIGINT/SIGTERM/SIGHUP and take the inhibitor (`why` is shown by logind).
    /// [`Error::Busy`] when another process reads or writes the drive. Writes to a real drive
    /// need root ([`Error::NeedsRoot`]); emulated drives do not.
    pub fn begin(dev: &mut Device<'_>, why: &str) -> Result<WriteSession, Error> {
        dev.kind.check_may_write(&dev.name)?;
        if let Some(lock) = &mut dev.lock {
            lock.make_exclusive()?;
        }
        let signals = TerminationBlock::acquire()
            .map_err(|e| Error::io("signal mask", std::io::Error::from(e)))?;
        Ok(WriteSession {
            signals,
            _inhibitor: Inhibitor::acquire(why),
        })
    }

    /// Release everything; returns the termination signals that arrived meanwhile, so the
    /// caller can report and then exit.
    pub fn end(self) -> Vec<Signal> {
        let WriteSession {
            signals,
            _inhibitor,
        } = self;
        signals.release()
    }
}
