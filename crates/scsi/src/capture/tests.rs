//! Import tests over synthetic captures ([`super::synth`]) and hand-written ones: every
//! container round-trips a run's records; broken, foreign and empty captures fail naming the
//! frame.

use super::synth::{capture, Container, LinkType};
use super::*;
use crate::cdb;
use crate::replay::Replay;
use crate::{Data, Sense, SenseKey, Transport};

const DRIVE: DeviceAddr = DeviceAddr { bus: 1, device: 5 };

fn record(cdb: &[u8], direction: Direction, requested: usize, payload: Vec<u8>) -> TraceRecord {
    TraceRecord {
        cdb: cdb.to_vec(),
        direction,
        requested,
        transferred: payload.len(),
        status: status::GOOD,
        host_status: 0,
        driver_status: 0,
        sense: Vec::new(),
        sense_text: None,
        duration_us: 0,
        timeout_ms: 0,
        time_us: None,
        error: None,
        payload: (direction != Direction::None).then_some(payload),
    }
}

/// A run as odflash's recorder writes it: INQUIRY with a short reply, TUR failing with "no
/// medium", a 64 KiB flash read, a data-out chunk. (Marked as test code for tests/layering.rs,
/// which reads the attribute, not the file's inclusion.)
#[cfg(test)]
fn run() -> Vec<TraceRecord> {
    let mut inquiry = vec![0u8; 36];
    inquiry[..5].copy_from_slice(&[0x05, 0x80, 0x00, 0x32, 31]);
    inquiry[8..16].copy_from_slice(b"HL-DT-ST");
    let no_medium = Sense::new(SenseKey::NotReady, 0x3A, 0).to_fixed().to_vec();
    let tur = TraceRecord {
        status: status::CHECK_CONDITION,
        sense_text: Some(crate::trace::sense_text(&no_medium)),
        sense: no_medium,
        ..record(&cdb::build_test_unit_ready(), Direction::None, 0, vec![])
    };
    let flash: Vec<u8> = (0..0x1_0000u32).map(|i| (i % 251) as u8).collect();
    let chunk: Vec<u8> = (0..0x4000u32).map(|i| (i % 13) as u8).collect();
    vec![
        record(&cdb::build_inquiry(96), Direction::In, 96, inquiry),
        tur,
        record(
            &cdb::build_read_buffer(6, 0, 0, 0x1_0000),
            Direction::In,
            0x1_0000,
            flash,
        ),
        record(
            &cdb::build_write_buffer(6, 0, 0, 0x4000),
            Direction::Out,
            0x4000,
            chunk,
        ),
    ]
}

/// The fields a capture carries (not the host's timings and timeout).
fn comparable(records: &[TraceRecord]) -> Vec<TraceRecord> {
    records
        .iter()
        .map(|r| TraceRecord {
            duration_us: 0,
            time_us: None,
            timeout_ms: 0,
            ..r.clone()
        })
        .collect()
}

const PCAP_CONTAINERS: [Container; 4] = [
    Container::Pcap {
        linktype: LinkType::UsbLinuxMmapped,
        big_endian: false,
    },
    Container::Pcap {
        linktype: LinkType::UsbLinux,
        big_endian: true,
    },
    Container::PcapNg(LinkType::UsbLinuxMmapped),
    Container::PcapNg(LinkType::UsbLinux),
];

#[test]
fn pcap_and_pcapng_round_trip_every_field() {
    let records = run();
    for container in PCAP_CONTAINERS {
        let bytes = capture(&records, DRIVE, container);
        let import = import(&bytes, None).unwrap_or_else(|e| panic!("{container:?}: {e}"));
        assert_eq!((import.device, import.lun), (DRIVE, 0));
        assert_eq!(comparable(&import.records), records, "{container:?}");
        assert_eq!(import.notes.sense_folded, 1, "the auto REQUEST SENSE");
        assert_eq!(import.notes.payloads_cut, 0);
        let time = import.records[0]
            .time_us
            .expect("pcap times are wall-clock");
        assert!(time >= 1_704_067_200_000_000, "{time}");
        assert!(import.records[2].duration_us > 0);
    }
    let bytes = capture(&records, DRIVE, PCAP_CONTAINERS[0]);
    assert_eq!(detect(&bytes).unwrap(), Format::Pcap);
    let bytes = capture(&records, DRIVE, PCAP_CONTAINERS[2]);
    assert_eq!(detect(&bytes).unwrap(), Format::PcapNg);
}

#[test]
fn usbmon_text_keeps_short_payloads_only() {
    let records = run();
    let bytes = capture(&records, DRIVE, Container::UsbmonText);
    let import = import(&bytes, None).unwrap();
    assert_eq!(import.format, Format::UsbmonText);
    let got = comparable(&import.records);
    assert_eq!(got.len(), 4);
    assert_eq!(got[1], records[1], "TUR and its folded sense");
    // The kernel keeps 32 bytes per event: the 36-byte INQUIRY reply and the flash data are cut.
    for (got, want) in got.iter().zip(&records) {
        assert_eq!((&got.cdb, got.transferred), (&want.cdb, want.transferred));
        assert_eq!(got.time_us, None, "text timestamps are not wall-clock");
    }
    assert_eq!(got[0].payload, None);
    assert_eq!(import.notes.payloads_cut, 3);
}

#[test]
fn an_imported_capture_replays_strictly() {
    let records = run();
    let bytes = capture(&records, DRIVE, PCAP_CONTAINERS[2]);
    let imported = import(&bytes, None).unwrap().records;
    let mut replay = Replay::new(imported, "capture");
    let mut buf = [0u8; 96];
    let o = replay
        .execute(
            &cdb::build_inquiry(96),
            Data::In(&mut buf),
            crate::TIMEOUT_IDENTIFY,
        )
        .unwrap();
    assert_eq!((o.transferred, &buf[8..16]), (36, &b"HL-DT-ST"[..]));
    assert_eq!(crate::read_readiness(&mut replay).unwrap().to_string(), {
        let s = Sense::new(SenseKey::NotReady, 0x3A, 0);
        crate::Readiness::NoMedium(s).to_string()
    });
    let mut flash = vec![0u8; 0x1_0000];
    replay
        .execute(
            &cdb::build_read_buffer(6, 0, 0, 0x1_0000),
            Data::In(&mut flash),
            crate::TIMEOUT_FLASH,
        )
        .unwrap();
    assert_eq!(flash[251], 0);
    let chunk: Vec<u8> = (0..0x4000u32).map(|i| (i % 13) as u8).collect();
    replay
        .execute(
            &cdb::build_write_buffer(6, 0, 0, 0x4000),
            Data::Out(&chunk),
            crate::TIMEOUT_FLASH,
        )
        .unwrap();
    assert_eq!(replay.remaining(), 0);
}

#[test]
fn a_command_without_a_csw_is_a_host_error() {
    let mut records = run();
    records[1] = TraceRecord {
        error: Some(TraceError {
            kind: ErrorKind::Host,
            message: "x".into(),
        }),
        ..record(&cdb::build_test_unit_ready(), Direction::None, 0, vec![])
    };
    let bytes = capture(&records, DRIVE, PCAP_CONTAINERS[0]);
    let got = import(&bytes, None).unwrap().records;
    let e = got[1].error.as_ref().unwrap();
    assert_eq!((e.kind, got[1].host_status), (ErrorKind::Host, DID_ERROR));
    assert!(e.message.contains("no CSW"), "{}", e.message);
    assert_eq!(comparable(&got[2..]), records[2..]);
}

#[test]
fn devices_are_chosen_by_address_and_lun() {
    let records = run();
    let other = DeviceAddr { bus: 1, device: 7 };
    let mut text = String::from_utf8(capture(&records, DRIVE, Container::UsbmonText)).unwrap();
    text.push_str(
        &String::from_utf8(capture(&records[..1], other, Container::UsbmonText)).unwrap(),
    );
    match import(text.as_bytes(), None) {
        Err(Error::Ambiguous(list)) => {
            assert_eq!(list, "1:005 LUN 0 (5 commands), 1:007 LUN 0 (1 commands)")
        }
        other => panic!("expected an ambiguous capture, got {other:?}"),
    }
    let pick = |s: &str| import(text.as_bytes(), Some(s.parse().unwrap()));
    let seven = pick("1:7").unwrap();
    assert_eq!((seven.device, seven.records.len()), (other, 1));
    assert_eq!(seven.notes.other_devices, ["1:005 LUN 0 (5 commands)"]);
    assert_eq!(pick("001:005:0").unwrap().records.len(), 4);
    match pick("2:5") {
        Err(Error::NoSuchDevice { wanted, seen }) => {
            assert_eq!(wanted, "device 2:005");
            assert!(seen.contains("1:005 LUN 0"), "{seen}");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(pick("1:5:1").is_err());
    for bad in ["1", "a:b", "1:5:0:0", "1:300"] {
        assert!(bad.parse::<Selector>().is_err(), "{bad}");
    }
}

#[test]
fn foreign_truncated_and_empty_captures_fail_naming_the_frame() {
    let records = run();
    // Truncated: the last packet is cut in the middle.
    let mut pcap = capture(&records, DRIVE, PCAP_CONTAINERS[0]);
    pcap.truncate(pcap.len() - 5);
    match import(&pcap, None) {
        Err(Error::Malformed { frame, detail }) => {
            assert!(matches!(frame, Frame::Packet(n) if n > 10), "{frame}");
            assert!(detail.contains("truncated"), "{detail}");
        }
        other => panic!("unexpected {other:?}"),
    }
    let mut ng = capture(&records, DRIVE, PCAP_CONTAINERS[2]);
    ng.truncate(ng.len() - 5);
    assert!(matches!(import(&ng, None), Err(Error::Malformed { .. })));
    // An Ethernet capture: link type 1 in the pcap header (bytes 20..24).
    let mut ethernet = capture(&records, DRIVE, PCAP_CONTAINERS[0]);
    ethernet[20..24].copy_from_slice(&1u32.to_le_bytes());
    match import(&ethernet, None) {
        Err(e @ Error::LinkType { linktype: 1, .. }) => {
            assert!(e.to_string().contains("Ethernet"), "{e}")
        }
        other => panic!("unexpected {other:?}"),
    }
    // A USBPcap (Windows) pcapng: the interface's link type is 249.
    let mut usbpcap = capture(&records, DRIVE, PCAP_CONTAINERS[2]);
    usbpcap[36..38].copy_from_slice(&249u16.to_le_bytes());
    match import(&usbpcap, None) {
        Err(e @ Error::LinkType { linktype: 249, .. }) => {
            assert!(e.to_string().contains("frame 1"), "{e}")
        }
        other => panic!("unexpected {other:?}"),
    }
    // A packet shorter than its header.
    let mut short = capture(&records[..1], DRIVE, PCAP_CONTAINERS[0]);
    short.truncate(24 + 16 + 20);
    short[32..40].copy_from_slice(&[20, 0, 0, 0, 20, 0, 0, 0]);
    match import(&short, None) {
        Err(Error::Malformed { frame, detail }) => {
            assert_eq!(frame, Frame::Packet(1));
            assert!(
                detail.contains("shorter than the 64-byte usbmon header"),
                "{detail}"
            );
        }
        other => panic!("unexpected {other:?}"),
    }
    // Garbage, an empty file, a text file that is no usbmon capture.
    for bytes in [&[0x42u8; 64][..], b"", b"hello world\n"] {
        assert!(
            matches!(import(bytes, None), Err(Error::UnknownFormat(_))),
            "{bytes:?}"
        );
    }
}

#[test]
fn non_bot_traffic_and_no_traffic_say_so() {
    // Only control traffic (the usbmon.rst example) and a keyboard's interrupt endpoint.
    let control = "\
d5ea89a0 3575914555 S Ci:1:001:0 s a3 00 0000 0003 0004 4 <
d5ea89a0 3575914560 C Ci:1:001:0 0 4 = 01050000
d5ea89b0 3575914570 C Ii:1:002:1 0:8 8 = 00000400 00000000
";
    match import(control.as_bytes(), None) {
        Err(e @ Error::Nothing(_)) => {
            let text = e.to_string();
            assert!(
                text.contains("1:001 (2 events), 1:002 (1 events)"),
                "{text}"
            );
        }
        other => panic!("unexpected {other:?}"),
    }
    // A printer-like bulk device: its bulk OUT data is no CBW.
    let printer = "\
a1 10 S Bo:1:004:1 -115 8 = 1b401b40 1b401b40
a1 20 C Bo:1:004:1 0 8 >
";
    assert!(matches!(
        import(printer.as_bytes(), None),
        Err(Error::Nothing(_))
    ));
    match import(printer.as_bytes(), Some("1:4".parse().unwrap())) {
        Err(e @ Error::NotBot { .. }) => {
            let text = e.to_string();
            assert!(text.contains("first bulk transfer at line 2"), "{text}");
            assert!(text.contains("is no CBW"), "{text}");
        }
        other => panic!("unexpected {other:?}"),
    }
    // Broken BOT on the drive: a CSW answering another tag.
    let broken = format!(
        "a1 10 S Bo:1:005:2 -115 31 = {}\na1 20 C Bo:1:005:2 0 31 >\n\
         a2 30 S Bi:1:005:1 -115 13 <\na2 40 C Bi:1:005:1 0 13 = {}\n",
        words(&bot::tests::cbw(1, 0, false, &[0; 6])),
        words(&bot::tests::csw(2, 0, 0)),
    );
    match import(broken.as_bytes(), None) {
        Err(e @ Error::Bot { .. }) => {
            assert!(
                e.to_string().starts_with("line 4: device 1:005: a CSW"),
                "{e}"
            )
        }
        other => panic!("unexpected {other:?}"),
    }
}

/// Bytes as usbmon data words.
fn words(bytes: &[u8]) -> String {
    bytes
        .chunks(4)
        .map(hex::encode)
        .collect::<Vec<_>>()
        .join(" ")
}
