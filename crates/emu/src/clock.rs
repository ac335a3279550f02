//! The emulator's clock: virtual (time moves only when the host pauses or a fault costs a
//! timeout, so a 20 s burn costs nothing in tests) or real (wall time, for the VM gadget).
//!
//! Times are durations since the UNIX epoch for the real clock and since the drive's creation for
//! the virtual one, so both can be stored in a state file and compared in a later process.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// Which clock a drive runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClockMode {
    /// Virtual time: advanced only by `Transport::pause` and by timeouts.
    Virtual,
    /// Wall-clock time: pauses sleep, burns take real seconds.
    Real,
}

/// A clock in one of the two modes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Clock {
    mode: ClockMode,
    /// Current virtual time (unused in real mode).
    virtual_now: Duration,
}

impl Clock {
    /// A clock in `mode`, virtual time zero.
    pub(crate) fn new(mode: ClockMode) -> Clock {
        Clock {
            mode,
            virtual_now: Duration::ZERO,
        }
    }

    /// The clock's mode.
    pub(crate) fn mode(&self) -> ClockMode {
        self.mode
    }

    /// The current time.
    pub(crate) fn now(&self) -> Duration {
        match self.mode {
            ClockMode::Virtual => self.virtual_now,
            ClockMode::Real => SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default(),
        }
    }

    /// Let `d` pass: advances virtual time, or sleeps in real mode.
    pub(crate) fn advance(&mut self, d: Duration) {
        match self.mode {
            ClockMode::Virtual => self.virtual_now = self.virtual_now.saturating_add(d),
            ClockMode::Real => std::thread::sleep(d),
        }
    }

    /// Switch to `mode`; returns (old now, new now) so callers can rebase stored deadlines.
    /// The virtual time kept (what [`Clock::now`] returns once virtual), for state checks.
    pub(crate) fn virtual_now(&self) -> Duration {
        self.virtual_now
    }

    pub(crate) fn switch(&mut self, mode: ClockMode) -> (Duration, Duration) {
        let before = self.now();
        self.mode = mode;
        (before, self.now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn virtual_time_moves_only_when_advanced() {
        let mut c = Clock::new(ClockMode::Virtual);
        assert_eq!(c.now(), Duration::ZERO);
        c.advance(Duration::from_secs(20));
        assert_eq!(c.now(), Duration::from_secs(20));
    }

    #[test]
    fn real_time_is_epoch_based() {
        let c = Clock::new(ClockMode::Real);
        assert!(c.now() > Duration::from_secs(1_600_000_000));
    }
}
