//! The seed corpora of the fuzz targets: a few valid inputs per target, made by odflash's own
//! builders (emulated drives' replies, `Sense::to_fixed`, `image::synth`,
//! `ops::bundle::build_bundle`) and the trace fixture in `tests/data/`. `examples/seeds.rs`
//! writes them for libFuzzer; the corpus replay test runs every target on them.

use std::time::Duration;

use odflash::emu::{Drive, Spec};
use odflash::family::{self, mt19xx::cdb};
use odflash::image::layout::{
    BANNER_LEN, BANNER_OFFSET, DESCRIPTOR_LEN, DESCRIPTOR_OFFSET, TABLE_ENTRIES, TABLE_ENTRY_LEN,
    TABLE_OFFSET,
};
use odflash::ops::bundle::{build_bundle, build_manifest, Kind, Part};
use odflash::ops::probe::{probe, Depth};
use odflash::scsi::capture::synth::{capture, Container, LinkType};
use odflash::scsi::capture::DeviceAddr;
use odflash::scsi::trace::{parse_trace, Payload, Recorder, TraceRecord};
use odflash::scsi::{self, Data, Direction, Sense, SenseKey, Transport, TIMEOUT_FLASH};

use super::{base_mt1959, bundle_device, encode_script, encode_trace, Step};

/// The trace of `odflash info` on a drive without medium (`tests/data/`).
const FIXTURE: &str = include_str!("../../tests/data/identify-no-medium.jsonl");

/// The USB device the `capture` seeds are recorded from.
const CAPTURED_DRIVE: DeviceAddr = DeviceAddr { bus: 1, device: 5 };

/// Every container a `capture` seed is written in.
const CAPTURES: [Container; 3] = [
    Container::UsbmonText,
    Container::Pcap {
        linktype: LinkType::UsbLinuxMmapped,
        big_endian: true,
    },
    Container::PcapNg(LinkType::UsbLinux),
];

/// Seeds in the order they were made.
#[derive(Default)]
struct Corpus(Vec<(&'static str, Vec<u8>)>);

impl Corpus {
    fn add(&mut self, target: &'static str, bytes: impl Into<Vec<u8>>) {
        self.0.push((target, bytes.into()));
    }
}

/// The commands a read-only probe and a short flash session send to `spec`'s drive, recorded
/// with their payloads.
fn session(spec: &str) -> Vec<TraceRecord> {
    let drive = Drive::open(&spec.parse::<Spec>().expect("a valid spec")).expect("opens");
    let mut t = Recorder::new(drive, Vec::new(), Payload::Record);
    let _ = probe(&mut t, Depth::Full);
    let _ = scsi::read_request_sense(&mut t);
    if let Ok(inquiry) = scsi::read_inquiry(&mut t) {
        if let Ok(Some((fam, identity))) = family::identify(&mut t, &inquiry) {
            if let Some(flash) = fam.flash(&identity) {
                let mut buf = vec![0u8; 0x100];
                let _ = flash.read(&mut t, 0x1E_C000, &mut buf);
                // The writers are the engine's alone: the download's commands are sent here
                // from the family's CDB builders.
                let chunk = vec![0x5A; 0x4000];
                let _ = t.execute(&cdb::build_prepare(), Data::None, TIMEOUT_FLASH);
                let _ = t.execute(
                    &cdb::build_write_window(0x1_0000, 0x4000),
                    Data::Out(&chunk),
                    TIMEOUT_FLASH,
                );
                let _ = t.execute(&cdb::build_commit(), Data::None, TIMEOUT_FLASH);
                let _ = flash.wait_ready(&mut t, Duration::from_secs(120));
            }
        }
    }
    t.into_parts().1
}

fn steps(records: &[TraceRecord]) -> Vec<Step> {
    records
        .iter()
        .map(|r| Step::Execute {
            cdb: r.cdb.clone(),
            direction: r.direction,
            len: r.requested,
            out: match r.direction {
                Direction::Out => r.payload.clone().unwrap_or_default(),
                _ => Vec::new(),
            },
        })
        .collect()
}

/// Data-in replies of `records` whose opcode is `op`.
fn replies(records: &[TraceRecord], op: u8) -> Vec<Vec<u8>> {
    records
        .iter()
        .filter(|r| r.opcode() == Some(op) && r.direction == Direction::In)
        .filter_map(|r| Some(r.payload.as_ref()?[..r.transferred].to_vec()))
        .filter(|p| !p.is_empty())
        .collect()
}

/// Every seed, as (target, input), in a fixed order.
pub fn seeds() -> Vec<(&'static str, Vec<u8>)> {
    let mut c = Corpus::default();

    // Replies and command sequences of every emulated family, in a few start states.
    let mut traces = vec![parse_trace(FIXTURE).expect("the fixture parses")];
    for (selector, spec) in [
        (0x00, "emu:mt1959"),
        (0x05, "emu:mt1939,mode=boot"),
        (0x18, "emu:mt1959,mode=needs-attention,max-transfer=4096"),
        (0x02, "emu:dru-710a"),
        (0x03, "emu:sohw-1633s"),
    ] {
        let records = session(spec);
        let mut script = vec![selector];
        script.extend(encode_script(&steps(&records)));
        if selector == 0 {
            script.extend(encode_script(&[Step::Pause(5000), Step::PowerCycle]));
        }
        c.add("emu_drive", script);
        c.add("emu_spec", spec);
        traces.push(records);
    }
    for records in &traces {
        c.add("trace", encode_trace(records));
        for container in CAPTURES {
            c.add("capture", capture(records, CAPTURED_DRIVE, container));
        }
        for reply in replies(records, 0x12) {
            c.add("inquiry", reply);
        }
        for reply in replies(records, 0x46) {
            c.add("config", reply);
        }
        for reply in replies(records, 0x5A) {
            c.add("mode", [&[0x2A][..], &reply].concat());
        }
        for reply in replies(records, 0x03) {
            c.add("sense", reply);
        }
        for r in records.iter().filter(|r| !r.sense.is_empty()) {
            c.add("sense", r.sense.clone());
        }
    }
    c.add(
        "emu_spec",
        "emu:liteon-dvd,model=DVDRW SOHW-1653S,serial=X 1,clock=real,max-transfer=0x8000",
    );
    c.add(
        "emu_spec",
        "emu:mt1959,vendor=ASUS,revision=3.02,state=boot,faults=/tmp/f.json,state-file=/tmp/s",
    );

    let mut info = Sense::new(SenseKey::IllegalRequest, 0x24, 0x00);
    info.information = Some(0x1234_5678);
    let mut deferred = Sense::new(SenseKey::MediumError, 0x11, 0x05);
    deferred.deferred = true;
    for sense in [
        Sense::new(SenseKey::NotReady, 0x3A, 0x00),
        Sense::new(SenseKey::UnitAttention, 0x29, 0x00),
        info,
        deferred,
    ] {
        c.add("sense", sense.to_fixed());
    }
    // Descriptor format (SPC-4 §4.5.2) with an information descriptor (type 0, valid bit).
    c.add(
        "sense",
        [
            0x72, 0x03, 0x11, 0x00, 0, 0, 0, 12, 0x00, 0x0A, 0x80, 0, 0, 0, 0, 0, 0, 0, 0x12, 0x34,
        ],
    );

    // Images: the synthetic image unpatched, truncated, with a foreign tag, re-bannered and
    // re-modelled; identity strings for the builders; a few raw bytes.
    let tag_at = 0x34u16 * 0x100; // region 4 (descriptor), byte 0x34
    for script in [
        vec![],
        vec![0xF0, 0x1F, 0xF0, 0x00],
        [&[4u8][..], &tag_at.to_be_bytes(), &[10], b"MTEKMT1939"].concat(),
        [&[1u8][..], &[0, 0, 16], b"MT1959 Boot JB8 "].concat(),
        [&[4u8][..], &[0x08, 0x00, 16], b"BD-RE BU40N-X   "].concat(),
        [&[2u8][..], &[0, 0, 4], &base_mt1959()[..4]].concat(),
    ] {
        c.add("image_mt19xx_whole", [&[0x00][..], &script].concat());
        c.add("image_detect", [&[0x40][..], &script].concat());
    }
    c.add(
        "image_mt19xx_whole",
        [&[0x80][..], b"HL-DT-ST|BD-RE BU40N|1.03"].concat(),
    );
    // Region mode: the synthetic image's own windows, then with another banner, model and
    // chip tag, and with a table whose one active entry is short enough to verify.
    let window = |at: usize, len: usize| &base_mt1959()[at..at + len];
    let banner = window(BANNER_OFFSET, BANNER_LEN);
    let descriptor = window(DESCRIPTOR_OFFSET, DESCRIPTOR_LEN);
    let table = window(TABLE_OFFSET, TABLE_ENTRIES * TABLE_ENTRY_LEN);
    c.add(
        "image_mt19xx",
        [&[0x40][..], banner, descriptor, table].concat(),
    );
    let mut other_banner = banner.to_vec();
    other_banner[..16].copy_from_slice(b"MT1939 Boot JB8 ");
    let mut other_descriptor = descriptor.to_vec();
    other_descriptor[0x08..0x18].copy_from_slice(b"BW-16D1HT       ");
    other_descriptor[0x34..0x3E].copy_from_slice(b"MTEKMT1939");
    let mut short_entry = vec![0xFF; TABLE_ENTRIES * TABLE_ENTRY_LEN];
    short_entry[..12].copy_from_slice(&[1, 0, 0, 0, 0, 0, 1, 0, 0xFF, 0x0F, 1, 0]);
    c.add(
        "image_mt19xx",
        [&[0x41][..], &other_banner, &other_descriptor, &short_entry].concat(),
    );
    c.add("image_mt19xx", [&[0x00][..], b"MTEKMT1959 MT19"].concat());
    c.add("image_dvd", [0x80]);
    c.add("image_dvd", [0x80, 0xF0, 0x08, 0x00, 0x00]);
    c.add(
        "image_dvd",
        [&[0xC0][..], b"LITE-ON|SOHW-1633S|BS0C"].concat(),
    );
    c.add("image_dvd", [0x00, 0x02, 0x01, 0x00]);
    c.add("image_detect", [0x41]);
    c.add("image_detect", [&[0x00][..], b"MT19"].concat());

    // Integrity tables: the synthetic image's own (its ranges run past the short fuzz image),
    // and one entry covering the start of the image, digest unset.
    let table = &base_mt1959()[TABLE_OFFSET..TABLE_OFFSET + TABLE_ENTRIES * TABLE_ENTRY_LEN];
    c.add("integrity", [&[0x01, 0x00][..], table, b"filler"].concat());
    let mut one = vec![0xFF; TABLE_ENTRIES * TABLE_ENTRY_LEN];
    one[..12].copy_from_slice(&[1, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0x3F, 0, 0]);
    one[12..28].fill(0);
    c.add("integrity", [&[0x01, 0x00][..], &one, b"filler"].concat());
    // Two data entries and one covering the table up to its own digest, all in range.
    let mut three = vec![0xFF; TABLE_ENTRIES * TABLE_ENTRY_LEN];
    let digest_2 = (TABLE_OFFSET + 2 * TABLE_ENTRY_LEN + 12) as u32;
    for (i, (start, end)) in [(0, 0xFFFF), (0x1_0000, 0x1_03FF), (0x1_0000, digest_2 - 1)]
        .into_iter()
        .enumerate()
    {
        let at = i * TABLE_ENTRY_LEN;
        three[at..at + 4].copy_from_slice(&1u32.to_le_bytes());
        three[at + 4..at + 8].copy_from_slice(&u32::to_le_bytes(start));
        three[at + 8..at + 12].copy_from_slice(&u32::to_le_bytes(end));
        three[at + 12..at + 28].fill(0);
    }
    c.add("integrity", [&[0x01, 0x00][..], &three, b"filler"].concat());

    // Bundles: a real one, and archive descriptions (odflash_fuzz::build_archive).
    let parts = vec![
        Part {
            name: "identity.bin".into(),
            flash_offset: Some(0x1E_C000),
            bytes: vec![0x41; 64],
        },
        Part {
            name: "calibration.bin".into(),
            flash_offset: Some(0x1F_0000),
            bytes: vec![7; 100],
        },
    ];
    let manifest = build_manifest(
        Kind::UnitData,
        bundle_device(),
        "2026-11-24T08:00:00Z",
        &parts,
    );
    c.add(
        "bundle",
        [&[0x00][..], &build_bundle(&manifest, &parts)].concat(),
    );
    let description = [
        &[0x80, 0x00, 0x00, 12][..],
        b"identity.bin",
        &[4, 1, 2, 3, 4],
        &[0x00, 15],
        b"calibration.bin",
        &[2, 9, 9],
    ]
    .concat();
    c.add("bundle", description.clone());
    let mut lying = description;
    lying[1] = 0x7E;
    c.add("bundle", lying);

    c.0
}
