//! URB events, as both usbmon sources report them, paired into transfers.
//!
//! usbmon reports each USB Request Block twice: when the driver submits it ('S') and when it
//! completes ('C'), or once when the submission fails ('E') (linux
//! `Documentation/usb/usbmon.rst`, "Event Type"). An OUT transfer's bytes are captured at
//! submission, an IN transfer's at completion; the completion says how many bytes moved. This
//! module matches each completion with its submission by URB id and endpoint and yields one
//! [`Transfer`] per URB, in completion order, which is the order the bus carried them.

use std::collections::HashMap;

use super::{DeviceAddr, Frame};

/// usbmon event types (usbmon.rst, "Event Type").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EventKind {
    /// 'S': submission.
    Submit,
    /// 'C': callback (completion).
    Complete,
    /// 'E': submission error; the URB never ran.
    SubmitError,
}

/// URB transfer types (usbmon.rst: the binary header's `xfer_type`, the text "address" word's
/// first letter).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TransferType {
    /// 0 / 'Z'.
    Isochronous,
    /// 1 / 'I'.
    Interrupt,
    /// 2 / 'C'.
    Control,
    /// 3 / 'B'.
    Bulk,
}

/// Which way a transfer goes, from the endpoint's direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Way {
    /// Device to host.
    In,
    /// Host to device.
    Out,
}

/// One usbmon event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Event {
    /// Where it is in the capture.
    pub frame: Frame,
    /// The URB's id (the text tag, interned by the text parser).
    pub urb: u64,
    /// Submission, completion or submission error.
    pub kind: EventKind,
    /// The transfer type.
    pub transfer: TransferType,
    /// The device.
    pub device: DeviceAddr,
    /// Endpoint number (0..=15).
    pub endpoint: u8,
    /// Its direction.
    pub way: Way,
    /// URB status (0 success; negative errno, e.g. -32 EPIPE for a stall).
    pub status: i32,
    /// Submission: bytes requested; completion: bytes moved.
    pub length: u32,
    /// The bytes usbmon captured (can be fewer than `length`).
    pub data: Vec<u8>,
    /// Timestamp in microseconds.
    pub time_us: u64,
}

/// One URB from submission to completion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Transfer {
    /// Where its completion (or submission error) is.
    pub frame: Frame,
    /// The transfer type.
    pub transfer: TransferType,
    /// The device.
    pub device: DeviceAddr,
    /// Its direction.
    pub way: Way,
    /// URB status at completion.
    pub status: i32,
    /// Bytes moved.
    pub actual: u32,
    /// The bytes moved, as far as the capture holds them (OUT: from the submission; IN: from
    /// the completion), never more than `actual`.
    pub data: Vec<u8>,
    /// True when `data` holds all `actual` bytes.
    pub whole: bool,
    /// When it was submitted (the completion time when the submission is not in the capture).
    pub start_us: u64,
    /// When it completed.
    pub end_us: u64,
}

impl Transfer {
    /// True for a transfer whose bytes moved towards the host.
    pub fn is_in(&self) -> bool {
        self.way == Way::In
    }
}

/// Pair submissions with completions. A completion whose submission came before the capture
/// began still yields a transfer (an IN one carries its data; an OUT one carries none); a
/// submission that never completes within the capture yields none.
pub(crate) fn pair(events: Vec<Event>) -> Vec<Transfer> {
    type Key = (u64, DeviceAddr, u8, bool);
    let mut pending: HashMap<Key, Event> = HashMap::new();
    let mut transfers = Vec::new();
    for e in events {
        let key: Key = (e.urb, e.device, e.endpoint, e.way == Way::In);
        match e.kind {
            EventKind::Submit => {
                pending.insert(key, e);
            }
            EventKind::Complete | EventKind::SubmitError => {
                let submitted = pending.remove(&key);
                transfers.push(complete(submitted, e));
            }
        }
    }
    transfers
}

fn complete(submitted: Option<Event>, done: Event) -> Transfer {
    let actual = match done.kind {
        EventKind::SubmitError => 0,
        _ => done.length,
    };
    let start_us = submitted.as_ref().map_or(done.time_us, |s| s.time_us);
    let mut data = match done.way {
        Way::In => done.data,
        Way::Out => submitted.map(|s| s.data).unwrap_or_default(),
    };
    let whole = data.len() >= actual as usize;
    data.truncate(actual as usize);
    Transfer {
        frame: done.frame,
        transfer: done.transfer,
        device: done.device,
        way: done.way,
        status: done.status,
        actual,
        data,
        whole,
        start_us,
        end_us: done.time_us,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: EventKind, way: Way, length: u32, data: &[u8], line: usize) -> Event {
        Event {
            frame: Frame::Line(line),
            urb: 7,
            kind,
            transfer: TransferType::Bulk,
            device: DeviceAddr { bus: 1, device: 5 },
            endpoint: 2,
            way,
            status: 0,
            length,
            data: data.to_vec(),
            time_us: line as u64 * 10,
        }
    }

    #[test]
    fn out_data_comes_from_the_submission_and_in_data_from_the_completion() {
        let t = pair(vec![
            event(EventKind::Submit, Way::Out, 3, &[1, 2, 3], 1),
            event(EventKind::Complete, Way::Out, 2, &[], 2),
            event(EventKind::Submit, Way::In, 64, &[], 3),
            event(EventKind::Complete, Way::In, 4, &[9, 9], 4),
        ]);
        assert_eq!(t.len(), 2);
        assert_eq!(
            (t[0].actual, &t[0].data[..], t[0].whole),
            (2, &[1, 2][..], true)
        );
        assert_eq!((t[0].start_us, t[0].end_us), (10, 20));
        assert_eq!(
            (t[1].actual, &t[1].data[..], t[1].whole),
            (4, &[9, 9][..], false)
        );
        assert_eq!(t[1].frame, Frame::Line(4));
    }

    #[test]
    fn orphans_and_submission_errors() {
        let t = pair(vec![
            event(EventKind::Complete, Way::Out, 31, &[], 1),
            event(EventKind::Submit, Way::In, 13, &[], 2),
            event(EventKind::SubmitError, Way::In, 13, &[], 3),
            event(EventKind::Submit, Way::Out, 5, &[0; 5], 4),
        ]);
        assert_eq!(t.len(), 2, "the last submission never completes");
        assert!(
            !t[0].whole,
            "an OUT completion without its submission has no data"
        );
        assert_eq!((t[1].actual, t[1].whole), (0, true));
    }
}
