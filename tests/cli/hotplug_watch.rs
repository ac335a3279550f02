//! `odflash watch` ends cleanly on Ctrl-C and SIGTERM (exit 0). Drives present on the test
//! machine (usually none) are listed, never written to: `watch` classifies through the
//! read-only open.

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};

use assert_cmd::cargo::CommandCargoExt;
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

#[test]
fn watch_stops_cleanly_on_sigint_and_sigterm() {
    for signal in [Signal::SIGINT, Signal::SIGTERM] {
        let mut child = Command::cargo_bin("odflash")
            .unwrap()
            .arg("watch")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The banner comes after the signal handler and the udev monitor are in place.
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut banner = String::new();
        stderr.read_line(&mut banner).unwrap();
        assert!(
            banner.starts_with("Watching for optical drives"),
            "{banner}"
        );
        kill(Pid::from_raw(child.id() as i32), signal).unwrap();
        let status = child.wait().unwrap();
        let mut rest = String::new();
        stderr.read_to_string(&mut rest).unwrap();
        assert!(status.success(), "{signal:?}: {status:?} {rest}");
    }
}
