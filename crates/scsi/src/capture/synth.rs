//! Synthetic captures, for tests and fuzz seeds: the USB traffic a Bulk-Only drive and a Linux
//! host would produce for a list of trace records, written as usbmon text, pcap or pcapng.
//!
//! The host behaves as linux usb-storage does (`drivers/usb/storage/transport.c`): a CBW, the
//! data stage (stalled when a failed command moved nothing), the CSW, and after a failed
//! command an automatic REQUEST SENSE of 18 bytes whose data is that trace record's sense. Records of
//! commands that did not complete (a transport error) send only their CBW. Formats are written
//! from the descriptions the readers cite; nothing here is used by the tool itself.

use crate::cdb::build_request_sense;
use crate::trace::TraceRecord;
use crate::{status, Direction};

use super::DeviceAddr;

/// Which container to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Container {
    /// usbmon text ('1u' format), data cut to 32 bytes per event as the kernel cuts it.
    UsbmonText,
    /// pcap of the given link type, in little- or big-endian byte order.
    Pcap {
        /// The link type.
        linktype: LinkType,
        /// Write the file (and so the usbmon headers) big-endian.
        big_endian: bool,
    },
    /// pcapng (little-endian) with one interface of the given link type.
    PcapNg(LinkType),
}

/// The two Linux usbmon link types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkType {
    /// 189, the 48-byte header.
    UsbLinux,
    /// 220, the 64-byte header.
    UsbLinuxMmapped,
}

impl LinkType {
    fn number(self) -> u32 {
        match self {
            LinkType::UsbLinux => 189,
            LinkType::UsbLinuxMmapped => 220,
        }
    }
    fn header_len(self) -> usize {
        match self {
            LinkType::UsbLinux => 48,
            LinkType::UsbLinuxMmapped => 64,
        }
    }
}

/// The bulk OUT and IN endpoint numbers of the synthetic drive.
const EP_OUT: u8 = 2;
const EP_IN: u8 = 1;
/// Linux's in-progress status on a submission (-EINPROGRESS), and a stall (-EPIPE).
const IN_PROGRESS: i32 = -115;
const STALL: i32 = -32;
/// The usbmon text interface keeps this many data bytes per event (linux
/// `drivers/usb/mon/mon_text.c`, `DATA_MAX`).
const TEXT_DATA_MAX: usize = 32;
/// When the synthetic capture starts, in microseconds since the epoch (2024-01-01).
const START_US: u64 = 1_704_067_200_000_000;

/// One synthetic usbmon event.
struct Ev {
    urb: u64,
    submit: bool,
    way_in: bool,
    status: i32,
    length: u32,
    data: Vec<u8>,
    time_us: u64,
}

/// Builds the events of a run.
struct Host {
    events: Vec<Ev>,
    tag: u32,
    urb: u64,
    clock: u64,
}

impl Host {
    fn transfer(&mut self, way_in: bool, requested: u32, out: &[u8], back: (i32, u32, &[u8])) {
        self.urb += 1;
        self.clock += 10;
        let (status, actual, data) = back;
        self.events.push(Ev {
            urb: self.urb,
            submit: true,
            way_in,
            status: IN_PROGRESS,
            length: requested,
            data: out.to_vec(),
            time_us: self.clock,
        });
        self.clock += 40;
        self.events.push(Ev {
            urb: self.urb,
            submit: false,
            way_in,
            status,
            length: actual,
            data: data.to_vec(),
            time_us: self.clock,
        });
    }

    fn command(
        &mut self,
        cdb: &[u8],
        dir: Direction,
        requested: u32,
        data: &[u8],
        csw: Option<u8>,
    ) {
        self.tag += 1;
        let mut cbw = vec![0u8; 31];
        cbw[..4].copy_from_slice(b"USBC");
        cbw[4..8].copy_from_slice(&self.tag.to_le_bytes());
        cbw[8..12].copy_from_slice(&requested.to_le_bytes());
        cbw[12] = if dir == Direction::In { 0x80 } else { 0 };
        let n = cdb.len().min(16);
        cbw[14] = n as u8;
        cbw[15..15 + n].copy_from_slice(&cdb[..n]);
        self.transfer(false, 31, &cbw, (0, 31, &[]));
        let Some(csw_status) = csw else {
            return;
        };
        let moved = data.len() as u32;
        match dir {
            Direction::None => {}
            Direction::In if moved == 0 && csw_status != 0 => {
                self.transfer(true, requested, &[], (STALL, 0, &[]))
            }
            Direction::In => self.transfer(true, requested, &[], (0, moved, data)),
            Direction::Out => self.transfer(false, requested, data, (0, moved, &[])),
        }
        let mut csw = vec![0u8; 13];
        csw[..4].copy_from_slice(b"USBS");
        csw[4..8].copy_from_slice(&self.tag.to_le_bytes());
        csw[8..12].copy_from_slice(&requested.saturating_sub(moved).to_le_bytes());
        csw[12] = csw_status;
        self.transfer(true, 13, &[], (0, 13, &csw));
    }
}

/// The events of `records`.
fn events(records: &[TraceRecord]) -> Vec<Ev> {
    let mut host = Host {
        events: Vec::new(),
        tag: 0,
        urb: 0,
        clock: START_US,
    };
    for r in records {
        if r.error.is_some() {
            host.command(&r.cdb, r.direction, r.requested as u32, &[], None);
            continue;
        }
        let failed = r.status != status::GOOD;
        let moved = r.transferred.min(r.requested);
        let data = match &r.payload {
            Some(p) => p[..moved.min(p.len())].to_vec(),
            None => vec![0; moved],
        };
        host.command(
            &r.cdb,
            r.direction,
            r.requested as u32,
            &data,
            Some(u8::from(failed)),
        );
        if failed {
            let sense = &r.sense[..r.sense.len().min(18)];
            host.command(&build_request_sense(18), Direction::In, 18, sense, Some(0));
        }
    }
    host.events
}

/// The capture of `records` on `device`, in `container`.
pub fn capture(records: &[TraceRecord], device: DeviceAddr, container: Container) -> Vec<u8> {
    let events = events(records);
    match container {
        Container::UsbmonText => text(&events, device).into_bytes(),
        Container::Pcap {
            linktype,
            big_endian,
        } => pcap(&events, device, linktype, big_endian),
        Container::PcapNg(linktype) => pcapng(&events, device, linktype),
    }
}

/// usbmon text lines, as `mon_text.c` prints them.
fn text(events: &[Ev], device: DeviceAddr) -> String {
    let mut out = String::new();
    for e in events {
        let (dir, ep) = if e.way_in {
            ('i', EP_IN)
        } else {
            ('o', EP_OUT)
        };
        let kind = if e.submit { 'S' } else { 'C' };
        out.push_str(&format!(
            "{:016x} {} {kind} B{dir}:{}:{:03}:{ep} {} {}",
            0xffff_8800_0000_0000u64 + e.urb * 0x100,
            e.time_us % 4_096_000_000,
            device.bus,
            device.device,
            e.status,
            e.length
        ));
        let flag = match (e.way_in, e.submit) {
            _ if e.length == 0 => Some('L'),
            (true, true) => Some('<'),
            (false, false) => Some('>'),
            _ => None,
        };
        match flag {
            Some(f) => out.push_str(&format!(" {f}")),
            None => {
                out.push_str(" =");
                for word in e.data[..e.data.len().min(TEXT_DATA_MAX)].chunks(4) {
                    out.push(' ');
                    out.push_str(&hex::encode(word));
                }
            }
        }
        out.push('\n');
    }
    out
}

/// Appends integers in one byte order.
struct Writer {
    out: Vec<u8>,
    big_endian: bool,
}

impl Writer {
    fn put(&mut self, le: &[u8]) {
        if self.big_endian {
            self.out.extend(le.iter().rev());
        } else {
            self.out.extend_from_slice(le);
        }
    }
    fn u16(&mut self, v: u16) {
        self.put(&v.to_le_bytes())
    }
    fn u32(&mut self, v: u32) {
        self.put(&v.to_le_bytes())
    }
    fn u64(&mut self, v: u64) {
        self.put(&v.to_le_bytes())
    }
}

/// One packet: the usbmon header of `linktype` and the data.
fn packet(e: &Ev, device: DeviceAddr, linktype: LinkType, big_endian: bool) -> Vec<u8> {
    let mut w = Writer {
        out: Vec::new(),
        big_endian,
    };
    w.u64(e.urb);
    w.out.push(if e.submit { b'S' } else { b'C' });
    w.out.push(3);
    w.out.push(if e.way_in { 0x80 | EP_IN } else { EP_OUT });
    w.out.push(device.device);
    w.u16(device.bus);
    w.out.push(b'-');
    w.out.push(if e.data.is_empty() { b'<' } else { 0 });
    w.u64(e.time_us / 1_000_000);
    w.u32((e.time_us % 1_000_000) as u32);
    w.u32(e.status as u32);
    w.u32(e.length);
    w.u32(e.data.len() as u32);
    w.out.extend([0u8; 8]);
    w.out.resize(linktype.header_len(), 0);
    w.out.extend_from_slice(&e.data);
    w.out
}

/// A pcap file.
fn pcap(events: &[Ev], device: DeviceAddr, linktype: LinkType, big_endian: bool) -> Vec<u8> {
    let mut w = Writer {
        out: Vec::new(),
        big_endian,
    };
    w.u32(0xA1B2_C3D4);
    w.u16(2);
    w.u16(4);
    w.u32(0);
    w.u32(0);
    w.u32(262_144);
    w.u32(linktype.number());
    for e in events {
        let p = packet(e, device, linktype, big_endian);
        w.u32((e.time_us / 1_000_000) as u32);
        w.u32((e.time_us % 1_000_000) as u32);
        w.u32(p.len() as u32);
        w.u32(p.len() as u32);
        w.out.extend(p);
    }
    w.out
}

/// A little-endian pcapng file: section header, one interface, one enhanced packet block per
/// event (https://www.ietf.org/archive/id/draft-ietf-opsawg-pcapng-03.html §4.1-§4.3).
fn pcapng(events: &[Ev], device: DeviceAddr, linktype: LinkType) -> Vec<u8> {
    let mut out = Vec::new();
    let block = |out: &mut Vec<u8>, kind: u32, body: &[u8]| {
        let len = (12 + body.len()) as u32;
        out.extend(kind.to_le_bytes());
        out.extend(len.to_le_bytes());
        out.extend_from_slice(body);
        out.extend(len.to_le_bytes());
    };
    let mut shb = Vec::new();
    shb.extend(0x1A2B_3C4Du32.to_le_bytes());
    shb.extend(1u16.to_le_bytes());
    shb.extend(0u16.to_le_bytes());
    shb.extend((-1i64).to_le_bytes());
    block(&mut out, 0x0A0D_0D0A, &shb);
    let mut idb = Vec::new();
    idb.extend((linktype.number() as u16).to_le_bytes());
    idb.extend(0u16.to_le_bytes());
    idb.extend(262_144u32.to_le_bytes());
    block(&mut out, 1, &idb);
    for e in events {
        let p = packet(e, device, linktype, false);
        let mut epb = Vec::new();
        epb.extend(0u32.to_le_bytes());
        epb.extend(((e.time_us >> 32) as u32).to_le_bytes());
        epb.extend((e.time_us as u32).to_le_bytes());
        epb.extend((p.len() as u32).to_le_bytes());
        epb.extend((p.len() as u32).to_le_bytes());
        epb.extend_from_slice(&p);
        epb.resize(epb.len().next_multiple_of(4), 0);
        block(&mut out, 6, &epb);
    }
    out
}
