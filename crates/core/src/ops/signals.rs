//! Blocking SIGINT/SIGTERM/SIGHUP (and SIGPIPE) while a drive is committed to a write: killing odflash between
//! the first chunk and the verify would leave a half-written drive with no report. The CLI tells
//! the user why Ctrl-C waits, when it is pressed.
//!
//! Owns [`TerminationBlock`] and the [`HeldNotice`] hook. The mask is per-thread
//! (`pthread_sigmask`); odflash writes from the thread that calls the engine, and a watcher
//! thread started under the same mask takes the signals sent to the process (Ctrl-C, `kill`) as
//! they arrive, through a signalfd, and reports each one to the hook. What it took, and what is
//! still pending for the writing thread, is returned by [`TerminationBlock::release`], so the
//! CLI can print the report and then exit. It never prints.

use std::os::fd::AsFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread::JoinHandle;

use nix::errno::Errno;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::signal::{SigSet, SigmaskHow, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};

/// The signals held back during a write. SIGPIPE is among them because the CLI lets it end the
/// process (a closed output pipe, `odflash ... | head`), which must not happen mid-burn.
pub const BLOCKED: [Signal; 4] = [
    Signal::SIGINT,
    Signal::SIGTERM,
    Signal::SIGHUP,
    Signal::SIGPIPE,
];

/// Called on the watcher thread for each held signal as it arrives (the CLI says that the
/// drive is writing and when the signal will act).
pub type HeldNotice = fn(Signal);

/// The process's [`HeldNotice`], set once by the CLI.
static NOTICE: OnceLock<HeldNotice> = OnceLock::new();

/// How long the watcher waits for a signal before it looks whether the write is over.
const WATCH_POLL_MS: u16 = 50;

/// Report every held signal to `notice` from now on (the first call wins: the process has one
/// terminal to tell).
pub fn set_held_notice(notice: HeldNotice) {
    if NOTICE.set(notice).is_err() {
        log::debug!("a held-signal notice was already set");
    }
}

/// While alive, [`BLOCKED`] signals are held pending. [`TerminationBlock::release`] consumes
/// them, restores the previous mask and returns them; dropping it does the same but only logs
/// them (the failure being returned matters more).
#[derive(Debug)]
pub struct TerminationBlock {
    previous: SigSet,
    watcher: Option<Watcher>,
    released: bool,
}

/// The thread that takes process-directed held signals as they arrive.
#[derive(Debug)]
struct Watcher {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<Vec<Signal>>,
}

impl TerminationBlock {
    /// Block [`BLOCKED`] in the calling thread; held signals go to the [`set_held_notice`] hook.
    pub fn acquire() -> nix::Result<TerminationBlock> {
        TerminationBlock::acquire_with(NOTICE.get().copied())
    }

    fn acquire_with(notice: Option<HeldNotice>) -> nix::Result<TerminationBlock> {
        let mut set = SigSet::empty();
        for s in BLOCKED {
            set.add(s);
        }
        let previous = set.thread_swap_mask(SigmaskHow::SIG_BLOCK)?;
        // Signals the caller had blocked already are not ours to take.
        let mut ours = SigSet::empty();
        for s in BLOCKED.into_iter().filter(|s| !previous.contains(*s)) {
            ours.add(s);
        }
        Ok(TerminationBlock {
            previous,
            watcher: Watcher::start(ours, notice),
            released: false,
        })
    }

    /// Consume the termination signals that arrived while blocked (so they do not kill the
    /// process when the mask is restored), restore the previous mask, and return them.
    pub fn release(mut self) -> Vec<Signal> {
        let received = self.take_all();
        self.restore();
        self.released = true;
        received
    }

    /// Stop the watcher (taking what it received), then consume what is still pending.
    fn take_all(&mut self) -> Vec<Signal> {
        let mut received = match self.watcher.take() {
            Some(watcher) => watcher.stop(),
            None => Vec::new(),
        };
        received.extend(self.take_pending());
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
            for s in self.take_all() {
                log::warn!("{s} arrived during the write and was held back");
            }
            self.restore();
        }
    }
}

impl Watcher {
    /// Start watching `set` (already blocked in this thread, so in the new one too). `None`
    /// when there is nothing to watch or the thread cannot start: the signals then stay
    /// pending until [`TerminationBlock::release`], only unannounced.
    fn start(set: SigSet, notice: Option<HeldNotice>) -> Option<Watcher> {
        if BLOCKED.iter().all(|s| !set.contains(*s)) {
            return None;
        }
        let fd = match SignalFd::with_flags(&set, SfdFlags::SFD_NONBLOCK | SfdFlags::SFD_CLOEXEC) {
            Ok(fd) => fd,
            Err(e) => {
                log::warn!("cannot watch for held signals: {e}");
                return None;
            }
        };
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let spawned = std::thread::Builder::new()
            .name("held-signals".into())
            .spawn(move || watch(&fd, &flag, notice));
        match spawned {
            Ok(thread) => Some(Watcher { stop, thread }),
            Err(e) => {
                log::warn!("cannot watch for held signals: {e}");
                None
            }
        }
    }

    /// Stop the thread; what it received.
    fn stop(self) -> Vec<Signal> {
        self.stop.store(true, Ordering::Release);
        self.thread.join().unwrap_or_else(|_| {
            log::error!("the held-signal watcher panicked");
            Vec::new()
        })
    }
}

/// The watcher's loop: read signals from `fd` until `stop`, telling `notice` about each.
fn watch(fd: &SignalFd, stop: &AtomicBool, notice: Option<HeldNotice>) -> Vec<Signal> {
    let mut received = Vec::new();
    while !stop.load(Ordering::Acquire) {
        let mut fds = [PollFd::new(fd.as_fd(), PollFlags::POLLIN)];
        match poll(&mut fds, PollTimeout::from(WATCH_POLL_MS)) {
            Ok(0) | Err(Errno::EINTR) => continue,
            Ok(_) => {}
            Err(e) => {
                log::warn!("stopped watching for held signals: {e}");
                break;
            }
        }
        while let Ok(Some(info)) = fd.read_signal() {
            let Ok(signal) = Signal::try_from(info.ssi_signo as libc::c_int) else {
                continue;
            };
            received.push(signal);
            if let Some(notice) = notice {
                notice(signal);
            }
        }
    }
    received
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
    use std::os::unix::thread::JoinHandleExt;
    use std::sync::atomic::AtomicI32;

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

    static NOTICED: AtomicI32 = AtomicI32::new(0);

    fn remember(signal: Signal) {
        NOTICED.store(signal as i32, Ordering::SeqCst);
    }

    #[test]
    fn watcher_announces_a_held_signal_as_it_arrives() {
        let block = TerminationBlock::acquire_with(Some(remember)).unwrap();
        let watcher = block
            .watcher
            .as_ref()
            .expect("a watcher runs")
            .thread
            .as_pthread_t();
        // Aimed at the watcher thread (which blocks it too), so no other test thread sees it.
        // SAFETY: the watcher thread runs until the block is released; SIGINT is blocked there.
        let rc = unsafe { libc::pthread_kill(watcher as libc::pthread_t, libc::SIGINT) };
        assert_eq!(rc, 0);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while NOTICED.load(Ordering::SeqCst) == 0 && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert_eq!(NOTICED.load(Ordering::SeqCst), Signal::SIGINT as i32);
        assert_eq!(block.release(), vec![Signal::SIGINT]);
    }
}
