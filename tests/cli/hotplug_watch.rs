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

#[test]
fn watch_lists_emulated_drives_given_with_device() {
    let mut child = Command::cargo_bin("odflash")
        .unwrap()
        .args(["watch", "--json", "--timeout", "30"])
        .args([
            "--device",
            "emu:mt1959,mode=boot",
            "--device",
            "emu:dru-710a",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    // Drives present on the test machine (usually none) come first; the emulated ones follow.
    let mut emulated = Vec::new();
    while emulated.len() < 2 {
        let mut line = String::new();
        if stdout.read_line(&mut line).unwrap() == 0 {
            break;
        }
        let value: serde_json::Value = serde_json::from_str(&line).expect(&line);
        if value["device"]
            .as_str()
            .is_some_and(|d| d.starts_with("emu:"))
        {
            emulated.push(value);
        }
    }
    kill(Pid::from_raw(child.id() as i32), Signal::SIGTERM).unwrap();
    assert!(child.wait().unwrap().success());
    assert_eq!(emulated.len(), 2, "{emulated:?}");
    assert_eq!(emulated[0]["event"], "present");
    assert_eq!(emulated[0]["device"], "emu:mt1959,mode=boot");
    assert_eq!(emulated[0]["classification"]["verdict"], "recovery");
    assert_eq!(emulated[1]["classification"]["family"], "liteon-dvd");
}
