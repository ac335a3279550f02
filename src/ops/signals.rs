//! Blocking SIGINT/SIGTERM/SIGHUP (and SIGPIPE) while a drive is committed to a write: killing odflash between
//! the first chunk and the verify would leave a half-written drive with no report. The CLI tells
//! the user why Ctrl-C waits.
//!
//! Owns [`TerminationBlock`]. The mask is per-thread (`pthread_sigmask`); odflash writes from the
//! thread that calls the engine. Signals that arrive meanwhile stay pending and are collected by
//! [`TerminationBlock::release`], so the CLI can print the report and then exit.

use nix::sys::signal::{SigSet, SigmaskHow, Signal};

/// The signals held back during a write. SIGPIPE is among them because the CLI lets it end the
/// process (a closed output pipe, `odflash ... | head`), which must not happen mid-burn.
pub const BLOCKED: [Signal; 4] = [
    Signal::SIGINT,
    Signal::SIGTERM,
    Signal::SIGHUP,
    Signal::SIGPIPE,
];

/// While alive, [`BLOCKED`] signals are held pending. [`TerminationBlock::release`] consumes
/// them, restores the previous mask and returns them; dropping it does the same but only logs
/// them (the failure being returned matters more).
#[derive(Debug)]
pub struct TerminationBlock {
    previous: SigSet,
    released: bool,
}

impl TerminationBlock {
    /// Block [`BLOCKED`] in the calling thread.
    pub fn acquire() -> nix::Result<TerminationBlock> {
        let mut set = SigSet::empty();
        for s in BLOCKED {
            set.add(s);
        }
        let previous = set.thread_swap_mask(SigmaskHow::SIG_BLOCK)?;
        Ok(TerminationBlock {
            previous,
            released: false,
        })
    }

    /// Consume the termination signals that arrived while blocked (so they do not kill the
    /// process when the mask is restored), restore the previous mask, and return them.
    pub fn release(mut self) -> Vec<Signal> {
        let received = self.take_pending();
        self.restore();
        self.released = true;
        received
    }

    /// Consume the pending [`BLOCKED`] signals this block is holding back.
    fn take_pending(&self) -> Vec<Signal> {
        let mut received = Vec::new();
        for s in pending() {
            if !self.previous.contains(s) {
                let mut one = SigSet::empty();
                one.add(s);
                // The signal is pending, so sigwait returns at once.
                if one.wait().is_ok() {
                    received.push(s);
                }
            }
        }
        received
    }

    fn restore(&self) {
        if let Err(e) = self.previous.thread_set_mask() {
            log::error!("cannot restore the signal mask: {e}");
        }
    }
}

impl Drop for TerminationBlock {
    /// On an early return (a failed write) the caller must still get to print its report, so
    /// held signals are consumed and logged rather than delivered.
    fn drop(&mut self) {
        if !self.released {
            for s in self.take_pending() {
                log::warn!("{s} arrived during the write and was held back");
            }
            self.restore();
        }
    }
}

/// Which of [`BLOCKED`] are pending for this thread or the process.
fn pending() -> Vec<Signal> {
    // SAFETY: sigset_t is plain data; sigemptyset initialises it and sigpending fills it.
    let set = unsafe {
        let mut raw = std::mem::zeroed::<libc::sigset_t>();
        libc::sigemptyset(&mut raw);
        if libc::sigpending(&mut raw) != 0 {
            return Vec::new();
        }
        raw
    };
    BLOCKED
        .into_iter()
        // SAFETY: `set` was initialised above; sigismember only reads it.
        .filter(|s| unsafe { libc::sigismember(&set, *s as libc::c_int) } == 1)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dropping_consumes_held_signals() {
        let block = TerminationBlock::acquire().unwrap();
        // SAFETY: pthread_self is always valid for the calling thread; SIGTERM is blocked here.
        let rc = unsafe { libc::pthread_kill(libc::pthread_self(), libc::SIGTERM) };
        assert_eq!(rc, 0);
        drop(block);
        // Still alive, and nothing pending any more.
        assert!(pending().is_empty());
    }

    #[test]
    fn blocked_signal_is_held_and_reported() {
        let block = TerminationBlock::acquire().unwrap();
        // Thread-directed, so other test threads are unaffected.
        // SAFETY: pthread_self is always valid for the calling thread; SIGHUP is blocked here.
        let rc = unsafe { libc::pthread_kill(libc::pthread_self(), libc::SIGHUP) };
        assert_eq!(rc, 0);
        assert_eq!(block.release(), vec![Signal::SIGHUP]);
        let now = SigSet::thread_get_mask().unwrap();
        assert!(!now.contains(Signal::SIGHUP));
    }
}
