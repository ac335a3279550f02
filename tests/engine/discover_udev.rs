//! The udev-facing entry points on whatever machine runs the tests: they must work (and find
//! nothing wrong) with or without optical drives, without root and without udevd.

use std::sync::atomic::AtomicBool;
use std::time::Duration;

use odflash::discover::{enumerate, wait_for_drive, Monitor, Present, WaitOutcome};

#[test]
fn enumerate_returns_only_optical_drives() {
    let drives = enumerate().expect("udev enumeration");
    for drive in &drives {
        assert_eq!(drive.peripheral_type, 5, "{drive:?}");
        assert!(drive.sg_node.starts_with("/dev"), "{drive:?}");
    }
}

#[test]
fn monitor_hands_control_back_after_its_timeout() {
    let mut monitor = Monitor::new().expect("udev monitor");
    // On a quiet machine this times out; an event is fine too. Either way it returns.
    monitor
        .next_event(Duration::from_millis(20))
        .expect("next_event");
}

#[test]
fn wait_for_drive_honours_stop_and_timeout() {
    let stop = AtomicBool::new(true);
    let outcome = wait_for_drive(Duration::from_secs(60), Present::Ignore, &stop, |_| true);
    assert_eq!(outcome.expect("wait"), WaitOutcome::Stopped);

    let go_on = AtomicBool::new(false);
    let outcome = wait_for_drive(Duration::from_millis(30), Present::Ignore, &go_on, |_| {
        false
    });
    assert_eq!(outcome.expect("wait"), WaitOutcome::TimedOut);
}
