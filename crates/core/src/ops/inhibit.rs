//! A logind sleep/shutdown inhibitor held while a drive is being written, so a suspend or
//! shutdown cannot cut power mid-burn.
//!
//! Owns [`Inhibitor`]: it runs `systemd-inhibit --what=sleep:shutdown --mode=block ... sh -c
//! 'echo; exec cat'` with pipes on the command's stdin and stdout. systemd-inhibit runs the
//! command only once logind granted the lock, so the line the command prints proves the lock
//! is held; the lock then lasts as long as `cat` runs, and dropping the inhibitor closes the
//! pipe (ending `cat`, then systemd-inhibit) and reaps the child. If odflash dies, the pipe
//! closes all the same.
//!
//! The child runs in its own process group. A terminal sends Ctrl-C's SIGINT (and its hangup)
//! to the whole foreground process group; odflash holds those signals during the write, and
//! the inhibitor must live through them too. (logind's D-Bus `Inhibit` call would need a D-Bus
//! client for the one fd it returns; a separate process group keeps systemd-inhibit, and with
//! it logind's own client and polkit handling, with no new dependency.)
//!
//! Where logind or `systemd-inhibit` is absent the write continues with a log line: the
//! inhibitor is protection, not a precondition.

use std::io::Read;
use std::os::fd::AsFd;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};

/// The program that takes the inhibitor lock.
const PROGRAM: &str = "systemd-inhibit";

/// What systemd-inhibit runs while it holds the lock: one line to say it does, then `cat`
/// until odflash closes the pipe.
const HOLD: [&str; 3] = ["sh", "-c", "echo; exec cat"];

/// Exists when systemd is the running init (`sd_booted()` checks the same directory).
const SYSTEMD_RUNTIME: &str = "/run/systemd/system";

/// How long logind may take to grant the lock before the write goes on without it.
const GRANT_LIMIT: Duration = Duration::from_secs(5);

/// A held sleep/shutdown inhibitor; released when dropped.
#[derive(Debug)]
pub struct Inhibitor {
    child: Child,
}

impl Inhibitor {
    /// Take the inhibitor, explaining `why` to logind. `None` (logged) when it cannot be
    /// taken: a warning where systemd runs, an info line elsewhere.
    pub fn acquire(why: &str) -> Option<Inhibitor> {
        Self::spawn(PROGRAM, why)
    }

    fn spawn(program: &str, why: &str) -> Option<Inhibitor> {
        let spawned = Command::new(program)
            .args([
                "--what=sleep:shutdown",
                "--mode=block",
                "--who=odflash",
                &format!("--why={why}"),
            ])
            .args(HOLD)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn();
        let mut child = match spawned {
            Ok(child) => child,
            Err(e) => {
                not_held(&format!("cannot run {program} ({e})"));
                return None;
            }
        };
        match wait_granted(&mut child) {
            Ok(()) => Some(Inhibitor { child }),
            Err(why) => {
                not_held(&format!("{program} {why}"));
                // Never wait on a child that may hang: it is stopped first.
                if let Err(e) = child.kill() {
                    log::debug!("{program} already gone: {e}");
                }
                drop(Inhibitor { child });
                None
            }
        }
    }
}

/// Wait (at most [`GRANT_LIMIT`]) for the line the held command prints.
fn wait_granted(child: &mut Child) -> Result<(), String> {
    let Some(stdout) = child.stdout.as_mut() else {
        return Err("has no output pipe".into());
    };
    let mut fds = [PollFd::new(stdout.as_fd(), PollFlags::POLLIN)];
    let limit = PollTimeout::try_from(GRANT_LIMIT).unwrap_or(PollTimeout::MAX);
    match poll(&mut fds, limit) {
        Ok(0) => return Err(format!("got no lock within {} s", GRANT_LIMIT.as_secs())),
        Ok(_) => {}
        Err(e) => return Err(format!("cannot be watched: {e}")),
    }
    match stdout.read(&mut [0u8; 1]) {
        Ok(1) => Ok(()),
        Ok(_) => Err("ended without taking the lock (is logind running?)".into()),
        Err(e) => Err(format!("cannot be read: {e}")),
    }
}

/// Log that the write goes on without an inhibitor.
fn not_held(why: &str) {
    if Path::new(SYSTEMD_RUNTIME).exists() {
        log::warn!("{why}: no sleep/shutdown inhibitor held");
    } else {
        // No logind, so nothing can suspend the machine behind our back through it.
        log::info!("{why}: systemd is not running, no sleep/shutdown inhibitor held");
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

    #[test]
    fn a_program_that_never_runs_the_command_holds_nothing() {
        // Like systemd-inhibit when logind refuses: exits without running the command.
        assert!(Inhibitor::spawn("false", "test").is_none());
    }
}
