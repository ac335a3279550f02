//! A logind sleep/shutdown inhibitor held while a drive is being written, so a suspend or
//! shutdown cannot cut power mid-burn.
//!
//! Owns [`Inhibitor`]: it runs `systemd-inhibit --what=sleep:shutdown --mode=block ... cat` with
//! a pipe on `cat`'s stdin; the lock lasts as long as `cat` runs, and dropping the inhibitor
//! closes the pipe and reaps the child. Where logind or `systemd-inhibit` is absent the write
//! continues with a log warning: the inhibitor is protection, not a precondition.

use std::path::Path;
use std::process::{Child, Command, Stdio};

/// The program that takes the inhibitor lock.
const PROGRAM: &str = "systemd-inhibit";

/// Exists when systemd is the running init (`sd_booted()` checks the same directory).
const SYSTEMD_RUNTIME: &str = "/run/systemd/system";

/// A held sleep/shutdown inhibitor; released when dropped.
#[derive(Debug)]
pub struct Inhibitor {
    child: Child,
}

impl Inhibitor {
    /// Take the inhibitor, explaining `why` to logind. `None` (with a warning logged) when
    /// systemd is not running or `systemd-inhibit` cannot be started.
    pub fn acquire(why: &str) -> Option<Inhibitor> {
        if !Path::new(SYSTEMD_RUNTIME).exists() {
            // No logind, so nothing can suspend the machine behind our back through it.
            log::info!("systemd is not running: no sleep/shutdown inhibitor needed or held");
            return None;
        }
        Self::spawn(PROGRAM, why)
    }

    fn spawn(program: &str, why: &str) -> Option<Inhibitor> {
        let spawned = Command::new(program)
            .args([
                "--what=sleep:shutdown",
                "--mode=block",
                "--who=odflash",
                &format!("--why={why}"),
                "cat",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        match spawned {
            Ok(child) => Some(Inhibitor { child }),
            Err(e) => {
                log::warn!("cannot run {program} ({e}): no sleep/shutdown inhibitor held");
                None
            }
        }
    }
}

impl Drop for Inhibitor {
    fn drop(&mut self) {
        // Closing stdin ends `cat`, which ends systemd-inhibit and releases the lock.
        drop(self.child.stdin.take());
        if let Err(e) = self.child.wait() {
            log::warn!("{PROGRAM} did not exit cleanly: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_program_is_not_fatal() {
        assert!(Inhibitor::spawn("/nonexistent/systemd-inhibit", "test").is_none());
    }
}
