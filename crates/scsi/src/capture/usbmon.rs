//! The usbmon text format: one URB event per line, whitespace-separated words (linux
//! `Documentation/usb/usbmon.rst`, "Raw text data format";
//! https://www.kernel.org/doc/html/latest/usb/usbmon.html):
//!
//! ```text
//! dd65f0e8 4128379752 S Bo:1:005:2 -115 31 = 55534243 ad000000 00800000 80010a28 20000000 ...
//! tag      timestamp  event address status length tag data words (a byte stream, big endian)
//! ```
//!
//! The address word is `<type><dir>:<bus>:<device>:<endpoint>` in the '1u' format and lacks the
//! bus in the older '1t' one. A control submission carries a setup tag and five setup words
//! instead of a status; an isochronous event carries frame descriptors. Only bulk events are
//! kept; the others are checked as far as their address and counted per device.
//!
//! The text interface captures at most the first 32 bytes of each transfer (linux
//! `drivers/usb/mon/mon_text.c`, `DATA_MAX`), so CBWs and CSWs arrive whole while most data
//! stages do not: those commands import without their payload.

use std::collections::{BTreeMap, HashMap};

use super::urb::{Event, EventKind, TransferType, Way};
use super::{Clock, DeviceAddr, Error, Frame, Parsed};

/// True when `line` reads as a usbmon event (a tag, a decimal timestamp, an event type and an
/// address word): what [`super::detect`] asks of a text file's first line.
pub(crate) fn looks_like_event(line: &str) -> bool {
    let words: Vec<&str> = line.split_whitespace().collect();
    words.len() >= 4
        && words[1].bytes().all(|b| b.is_ascii_digit())
        && event_kind(words[2]).is_some()
        && address(words[3]).is_ok()
}

/// Parse a whole text capture.
pub(crate) fn parse(text: &str) -> Result<Parsed, Error> {
    let mut tags: HashMap<&str, u64> = HashMap::new();
    let mut events = Vec::new();
    let mut devices: BTreeMap<DeviceAddr, usize> = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let frame = Frame::Line(i + 1);
        let bad = |detail: String| Error::Malformed { frame, detail };
        let words: Vec<&str> = line.split_whitespace().collect();
        let [tag, time, kind, addr, rest @ ..] = words.as_slice() else {
            return Err(bad(format!(
                "{} words where a usbmon event has at least 4",
                words.len()
            )));
        };
        let time_us: u64 = time
            .parse()
            .map_err(|_| bad(format!("timestamp `{time}` is not a decimal number")))?;
        let kind = event_kind(kind).ok_or_else(|| {
            bad(format!(
                "event type `{kind}` is none of S (submission), C (callback), E (error)"
            ))
        })?;
        let (transfer, way, device, endpoint) = address(addr).map_err(bad)?;
        *devices.entry(device).or_default() += 1;
        if transfer != TransferType::Bulk {
            continue;
        }
        let (status, length, data) = bulk_fields(rest).map_err(bad)?;
        let next = tags.len() as u64;
        let urb = *tags.entry(tag).or_insert(next);
        events.push(Event {
            frame,
            urb,
            kind,
            transfer,
            device,
            endpoint,
            way,
            status,
            length,
            data,
            time_us,
        });
    }
    Ok(Parsed {
        events,
        devices,
        clock: Clock::Relative,
    })
}

fn event_kind(word: &str) -> Option<EventKind> {
    match word {
        "S" => Some(EventKind::Submit),
        "C" => Some(EventKind::Complete),
        "E" => Some(EventKind::SubmitError),
        _ => None,
    }
}

/// The address word: `Bo:1:005:2` ('1u') or `Bo:005:2` ('1t', no bus: bus 0).
fn address(word: &str) -> Result<(TransferType, Way, DeviceAddr, u8), String> {
    let bad = || format!("address `{word}` is not TYPE:BUS:DEVICE:ENDPOINT (e.g. Bo:1:005:2)");
    let fields: Vec<&str> = word.split(':').collect();
    let (kind, bus, device, endpoint) = match fields.as_slice() {
        [kind, bus, device, endpoint] => {
            (*kind, bus.parse().map_err(|_| bad())?, *device, *endpoint)
        }
        [kind, device, endpoint] => (*kind, 0, *device, *endpoint),
        _ => return Err(bad()),
    };
    let (transfer, way) = match kind.as_bytes() {
        [t, d] => {
            let transfer = match t {
                b'C' => TransferType::Control,
                b'Z' => TransferType::Isochronous,
                b'I' => TransferType::Interrupt,
                b'B' => TransferType::Bulk,
                _ => return Err(bad()),
            };
            let way = match d {
                b'i' => Way::In,
                b'o' => Way::Out,
                _ => return Err(bad()),
            };
            (transfer, way)
        }
        _ => return Err(bad()),
    };
    let device: u8 = device.parse().map_err(|_| bad())?;
    let endpoint: u8 = endpoint.parse().ok().filter(|&e| e < 16).ok_or_else(bad)?;
    Ok((transfer, way, DeviceAddr { bus, device }, endpoint))
}

/// The words after a bulk event's address: status word, data length, data tag, data words.
fn bulk_fields(words: &[&str]) -> Result<(i32, u32, Vec<u8>), String> {
    let [status_word, length, rest @ ..] = words else {
        return Err("a bulk event needs a status and a data length".into());
    };
    // "URB status, interval, start frame, and error count", colon-separated; bulk URBs print
    // only the status.
    let status_text = status_word.split(':').next().unwrap_or_default();
    let status: i32 = status_text
        .parse()
        .map_err(|_| format!("status `{status_word}` is not a number"))?;
    let length: u32 = length
        .parse()
        .map_err(|_| format!("data length `{length}` is not a decimal number"))?;
    let data = match rest {
        ["=", words @ ..] => data_words(words)?,
        _ => Vec::new(),
    };
    Ok((status, length, data))
}

/// Data words: hex bytes, up to four per word ("the last word may contain from one to four
/// bytes").
fn data_words(words: &[&str]) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    for word in words {
        if word.len() > 8 || word.len() % 2 != 0 {
            return Err(format!("data word `{word}` is not 1 to 4 hex bytes"));
        }
        let decoded =
            hex::decode(word).map_err(|_| format!("data word `{word}` is not hexadecimal"))?;
        bytes.extend(decoded);
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bulk example of usbmon.rst: a READ(10) CBW to the storage device at address 5.
    const DOC_EXAMPLE: &str = "\
dd65f0e8 4128379752 S Bo:1:005:2 -115 31 = 55534243 ad000000 00800000 80010a28 20000000 20000040 00000000 000000
dd65f0e8 4128379808 C Bo:1:005:2 0 31 >
d5ea89a0 3575914555 S Ci:1:001:0 s a3 00 0000 0003 0004 4 <
d5ea89a0 3575914560 C Ci:1:001:0 0 4 = 01050000
";

    #[test]
    fn the_documented_example_parses() {
        let p = parse(DOC_EXAMPLE).unwrap();
        assert_eq!(p.events.len(), 2, "only bulk events are kept");
        let s = &p.events[0];
        assert_eq!(
            (s.kind, s.way, s.endpoint),
            (EventKind::Submit, Way::Out, 2)
        );
        assert_eq!(s.device, DeviceAddr { bus: 1, device: 5 });
        assert_eq!((s.status, s.length, s.time_us), (-115, 31, 4_128_379_752));
        assert_eq!(s.data.len(), 31);
        assert_eq!(&s.data[..4], b"USBC");
        assert_eq!(s.data[15], 0x28, "the CDB starts at byte 15: READ(10)");
        let c = &p.events[1];
        assert_eq!(
            (c.kind, c.status, c.data.len()),
            (EventKind::Complete, 0, 0)
        );
        assert_eq!(c.urb, s.urb);
        assert_eq!(
            p.devices.len(),
            2,
            "the root hub's control traffic is counted"
        );
        assert!(looks_like_event(DOC_EXAMPLE.lines().next().unwrap()));
    }

    #[test]
    fn the_old_format_has_no_bus() {
        let p = parse("c1 10 S Bi:005:1 -115 13 <\n").unwrap();
        assert_eq!(p.events[0].device, DeviceAddr { bus: 0, device: 5 });
        assert_eq!(p.events[0].way, Way::In);
    }

    #[test]
    fn interrupt_and_isochronous_lines_are_skipped_after_their_address() {
        let text = "\
a 1 S Ii:1:002:1 -115:8 4 <
b 2 C Zi:1:003:1 0:1:2286:0 1 0:0:192 192 = 00000000
";
        let p = parse(text).unwrap();
        assert!(p.events.is_empty());
        assert_eq!(p.devices.len(), 2);
    }

    #[test]
    fn bad_lines_name_their_line() {
        for (text, want) in [
            ("a 1 S\n", "3 words"),
            ("a x S Bo:1:005:2 -115 31 <\n", "timestamp `x`"),
            ("a 1 Q Bo:1:005:2 -115 31 <\n", "event type `Q`"),
            ("a 1 S Xo:1:005:2 -115 31 <\n", "address `Xo:1:005:2`"),
            ("a 1 S Bo:1:005:99 -115 31 <\n", "address"),
            ("a 1 S Bo:1:005:2 oops 31 <\n", "status `oops`"),
            (
                "a 1 S Bo:1:005:2 -115\n",
                "needs a status and a data length",
            ),
            (
                "a 1 S Bo:1:005:2 -115 31 = 5553424\n",
                "not 1 to 4 hex bytes",
            ),
            ("a 1 S Bo:1:005:2 -115 31 = zz\n", "not hexadecimal"),
        ] {
            let text = format!("\n{text}");
            match parse(&text) {
                Err(Error::Malformed { frame, detail }) => {
                    assert_eq!(frame, Frame::Line(2), "{text}");
                    assert!(detail.contains(want), "{text}: {detail}");
                }
                other => panic!("{text}: expected a malformed line, got {other:?}"),
            }
        }
    }
}
