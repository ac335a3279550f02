//! Watching optical drives come and go: a udev monitor on the `scsi_generic` subsystem that
//! hands control back to the caller at least every `timeout`, so `watch` can check a Ctrl-C
//! flag and `rescue` can wait for a drive with a deadline.
//!
//! Owns: the monitor socket, polling it (nix `poll`), and turning udev events into [`Event`]s.
//!
//! Must not: open device nodes or send commands (an added drive is described from udev and
//! sysfs only), install signal handlers (the caller owns signals and passes a flag), or print.

use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};

use super::enumerate::{drive_from_device, enumerate, DriveInfo};
use super::Error;

/// How often [`wait_for_drive`] wakes up to check its stop flag.
const WAIT_TICK: Duration = Duration::from_millis(200);

/// A drive appearing or vanishing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// An optical drive's sg node appeared (after udev processed it).
    Added(DriveInfo),
    /// An sg node vanished. Its peripheral type can no longer be read, so this is reported for
    /// every sg node: callers match the path against drives they know.
    Removed(PathBuf),
}

/// A udev monitor on `scsi_generic` devices.
pub struct Monitor {
    socket: udev::MonitorSocket,
}

impl std::fmt::Debug for Monitor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Monitor").finish_non_exhaustive()
    }
}

impl Monitor {
    /// Start listening. Create the monitor *before* enumerating, so that no drive can appear
    /// unseen between the two. Events come from systemd-udevd after its rules ran (so the
    /// `ODFLASH_*` properties are set); without udevd none arrive.
    pub fn new() -> Result<Self, Error> {
        let socket = udev::MonitorBuilder::new()
            .and_then(|b| b.match_subsystem("scsi_generic"))
            .and_then(|b| b.listen())
            .map_err(Error::Udev)?;
        Ok(Monitor { socket })
    }

    /// The next drive event, or `Ok(None)` once `timeout` passes without one (or a signal
    /// interrupts the wait), so the caller can check its flags and call again.
    pub fn next_event(&mut self, timeout: Duration) -> Result<Option<Event>, Error> {
        let deadline = Instant::now() + timeout;
        loop {
            // Drain what is already queued; the socket is non-blocking.
            while let Some(udev_event) = self.socket.iter().next() {
                if let Some(event) = event_of(&udev_event) {
                    return Ok(Some(event));
                }
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(None);
            }
            // Round up so a sub-millisecond remainder still waits instead of spinning.
            let millis = u16::try_from(left.as_millis().max(1)).unwrap_or(u16::MAX);
            let mut fds = [PollFd::new(self.socket.as_fd(), PollFlags::POLLIN)];
            match poll(&mut fds, PollTimeout::from(millis)) {
                Ok(0) | Err(Errno::EINTR) => return Ok(None),
                Ok(_) => {}
                Err(e) => return Err(Error::Poll(e)),
            }
        }
    }
}

/// Translate one udev event; `None` for events that are not a drive appearing or vanishing.
fn event_of(event: &udev::Event) -> Option<Event> {
    match event.event_type() {
        udev::EventType::Add => drive_from_device(&event.device()).map(Event::Added),
        udev::EventType::Remove => {
            let device = event.device();
            let sysname = device.sysname().to_string_lossy().into_owned();
            Some(Event::Removed(removed_node(device.devnode(), &sysname)))
        }
        _ => None,
    }
}

/// The node a removed device had: udev's `DEVNAME` when the event carries it, else `/dev/<name>`.
fn removed_node(devnode: Option<&Path>, sysname: &str) -> PathBuf {
    devnode.map_or_else(|| Path::new("/dev").join(sysname), Path::to_path_buf)
}

/// Whether drives already present when waiting starts may satisfy [`wait_for_drive`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Present {
    /// A matching drive that is already there ends the wait at once.
    Accept,
    /// Only a drive that appears after the wait starts counts (e.g. after a power cycle).
    Ignore,
}

/// How [`wait_for_drive`] ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WaitOutcome {
    /// A drive matching the filter (boxed: it dwarfs the other variants).
    Found(Box<DriveInfo>),
    /// The timeout passed.
    TimedOut,
    /// The caller's stop flag was set (e.g. by its Ctrl-C handler).
    Stopped,
}

/// Wait up to `timeout` for an optical drive that `filter` accepts, checking `stop` at least
/// every 200 ms.
pub fn wait_for_drive(
    timeout: Duration,
    present: Present,
    stop: &AtomicBool,
    mut filter: impl FnMut(&DriveInfo) -> bool,
) -> Result<WaitOutcome, Error> {
    let deadline = Instant::now() + timeout;
    let mut monitor = Monitor::new()?;
    if present == Present::Accept {
        if let Some(drive) = enumerate()?.into_iter().find(|d| filter(d)) {
            return Ok(WaitOutcome::Found(Box::new(drive)));
        }
    }
    loop {
        if stop.load(Ordering::Relaxed) {
            return Ok(WaitOutcome::Stopped);
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(WaitOutcome::TimedOut);
        }
        if let Some(Event::Added(drive)) = monitor.next_event(left.min(WAIT_TICK))? {
            if filter(&drive) {
                return Ok(WaitOutcome::Found(Box::new(drive)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removed_node_prefers_devname() {
        assert_eq!(
            removed_node(Some(Path::new("/dev/sg3")), "sg3"),
            PathBuf::from("/dev/sg3")
        );
        assert_eq!(removed_node(None, "sg4"), PathBuf::from("/dev/sg4"));
    }
}
