//! pcap and pcapng files of the Linux usbmon link types, as tcpdump and Wireshark write them
//! when capturing on a `usbmonN` interface. The file structure is read with the `pcap-parser`
//! crate; each packet then starts with the usbmon binary header:
//!
//! - link type 189, `LINKTYPE_USB_LINUX`: the 48-byte header
//!   (https://www.tcpdump.org/linktypes/LINKTYPE_USB_LINUX.html);
//! - link type 220, `LINKTYPE_USB_LINUX_MMAPPED`: the 64-byte header, which adds interval,
//!   start frame, transfer flags and the isochronous descriptor count
//!   (https://www.tcpdump.org/linktypes/LINKTYPE_USB_LINUX_MMAPPED.html).
//!
//! The header's layout is linux `Documentation/usb/usbmon.rst` ("Raw binary format and API",
//! `struct usbmon_packet`) and libpcap `pcap/usb.h` (`pcap_usb_header_mmapped`): id (u64, at
//! 0), event type (8), transfer type (9), endpoint with the IN bit 0x80 (10), device address
//! (11), bus (u16, 12), setup and data flags (14, 15), seconds (s64, 16), microseconds (s32,
//! 24), status (s32, 28), URB length (u32, 32), captured length (u32, 36). Its fields are in the
//! byte order of the host that wrote the file, which is the file's own byte order (libpcap
//! `pcap-common.c`, `swap_linux_usb_header`, converts them on reading for the same reason).
//! The captured data follows the header.

use std::collections::BTreeMap;

use pcap_parser::nom;
use pcap_parser::pcapng::Block;
use pcap_parser::{PcapBlockOwned, PcapError, PcapNGSlice};

use super::urb::{Event, EventKind, TransferType, Way};
use super::{Clock, DeviceAddr, Error, Frame, Parsed};

/// `LINKTYPE_USB_LINUX`: the 48-byte usbmon header.
const LINKTYPE_USB_LINUX: u32 = 189;
/// `LINKTYPE_USB_LINUX_MMAPPED`: the 64-byte usbmon header.
const LINKTYPE_USB_LINUX_MMAPPED: u32 = 220;

/// The usbmon header length of a link type, or `None` for a foreign one.
fn header_len(linktype: u32) -> Option<usize> {
    match linktype {
        LINKTYPE_USB_LINUX => Some(48),
        LINKTYPE_USB_LINUX_MMAPPED => Some(64),
        _ => None,
    }
}

/// Names of the link types a contributor may give by mistake
/// (https://www.tcpdump.org/linktypes.html).
fn linktype_name(linktype: u32) -> &'static str {
    match linktype {
        1 => "Ethernet",
        113 => "Linux cooked",
        186 => "USB with a header of its own, not Linux usbmon",
        249 => "USBPcap, a Windows capture: capture on the Linux host instead",
        276 => "Linux cooked v2",
        _ => "unknown",
    }
}

/// Where a packet's usbmon header is to be read: byte order and header length.
#[derive(Debug, Clone, Copy)]
struct Layout {
    big_endian: bool,
    header: usize,
}

/// Collects the events of one file.
struct Collector {
    events: Vec<Event>,
    devices: BTreeMap<DeviceAddr, usize>,
    packets: usize,
}

impl Collector {
    fn new() -> Collector {
        Collector {
            events: Vec::new(),
            devices: BTreeMap::new(),
            packets: 0,
        }
    }

    /// Take one packet (already counted in `packets`).
    fn packet(&mut self, data: &[u8], layout: Layout) -> Result<(), Error> {
        let frame = Frame::Packet(self.packets);
        let Some(event) = usbmon_packet(frame, data, layout)? else {
            return Ok(());
        };
        *self.devices.entry(event.device).or_default() += 1;
        if event.transfer == TransferType::Bulk {
            self.events.push(event);
        }
        Ok(())
    }

    fn finish(self) -> Parsed {
        Parsed {
            events: self.events,
            devices: self.devices,
            clock: Clock::Epoch,
        }
    }
}

/// Parse a pcap file.
pub(crate) fn parse_pcap(bytes: &[u8]) -> Result<Parsed, Error> {
    let (mut rest, header) =
        pcap_parser::pcap::parse_pcap_header(bytes).map_err(|e| Error::Malformed {
            frame: Frame::FileHeader,
            detail: format!("not a pcap header: {}", nom_error(&e)),
        })?;
    if header.is_modified_format() {
        return Err(Error::Malformed {
            frame: Frame::FileHeader,
            detail: "the \"modified\" pcap variant is not read: save the capture as pcapng".into(),
        });
    }
    let linktype = header.network.0 as u32;
    let layout = Layout {
        big_endian: header.is_bigendian(),
        header: header_len(linktype).ok_or(Error::LinkType {
            frame: Frame::FileHeader,
            linktype,
            name: linktype_name(linktype),
        })?,
    };
    let parse_frame = if layout.big_endian {
        pcap_parser::pcap::parse_pcap_frame_be
    } else {
        pcap_parser::pcap::parse_pcap_frame
    };
    let mut c = Collector::new();
    while !rest.is_empty() {
        c.packets += 1;
        let frame = Frame::Packet(c.packets);
        let (next, block) = parse_frame(rest).map_err(|e| Error::Malformed {
            frame,
            detail: format!("bad packet record: {}", nom_error(&e)),
        })?;
        c.packet(block.data, layout)?;
        rest = next;
    }
    Ok(c.finish())
}

/// Parse a pcapng file: every section's byte order, every interface's link type; packets of
/// foreign interfaces are skipped, but a file with none of usbmon is refused.
pub(crate) fn parse_pcapng(bytes: &[u8]) -> Result<Parsed, Error> {
    let blocks = PcapNGSlice::from_slice(bytes).map_err(|e| Error::Malformed {
        frame: Frame::FileHeader,
        detail: format!("not a pcapng section header: {}", nom_error(&e)),
    })?;
    let mut c = Collector::new();
    let mut big_endian = false;
    let mut interfaces: Vec<u32> = Vec::new();
    let mut foreign: Option<(Frame, u32)> = None;
    for block in blocks {
        // The slice iterator does not move past a block it cannot parse: stop at the first.
        let block = block.map_err(|e| Error::Malformed {
            frame: Frame::Packet(c.packets + 1),
            detail: format!("bad pcapng block: {}", nom_error(&e)),
        })?;
        let PcapBlockOwned::NG(block) = block else {
            continue;
        };
        let (interface, data) = match block {
            Block::SectionHeader(shb) => {
                big_endian = shb.big_endian();
                interfaces.clear();
                continue;
            }
            Block::InterfaceDescription(idb) => {
                interfaces.push(idb.linktype.0 as u32);
                continue;
            }
            Block::EnhancedPacket(epb) => (epb.if_id as usize, epb.data),
            Block::SimplePacket(spb) => (0, spb.data),
            _ => continue,
        };
        c.packets += 1;
        let frame = Frame::Packet(c.packets);
        let Some(&linktype) = interfaces.get(interface) else {
            return Err(Error::Malformed {
                frame,
                detail: format!("packet of interface {interface}, which no block describes"),
            });
        };
        match header_len(linktype) {
            Some(header) => c.packet(data, Layout { big_endian, header })?,
            None => {
                foreign.get_or_insert((frame, linktype));
            }
        }
    }
    match foreign {
        Some((frame, linktype)) if c.devices.is_empty() => Err(Error::LinkType {
            frame,
            linktype,
            name: linktype_name(linktype),
        }),
        _ => Ok(c.finish()),
    }
}

/// A short text for a `pcap-parser` error.
fn nom_error(e: &nom::Err<PcapError<&[u8]>>) -> String {
    match e {
        nom::Err::Incomplete(_) => "truncated: the file ends inside it".into(),
        nom::Err::Error(e) | nom::Err::Failure(e) => match e {
            PcapError::HeaderNotRecognized => "header not recognized".into(),
            PcapError::NomError(_, kind) | PcapError::OwnedNomError(_, kind) => {
                format!("unparseable ({kind:?})")
            }
            other => format!("{other:?}"),
        },
    }
}

/// Little- or big-endian integer readers over the header.
struct Fields<'a> {
    b: &'a [u8],
    big_endian: bool,
}

impl Fields<'_> {
    fn bytes<const N: usize>(&self, at: usize) -> [u8; N] {
        let mut out = [0u8; N];
        out.copy_from_slice(&self.b[at..at + N]);
        if self.big_endian {
            out.reverse();
        }
        out
    }
    fn u16(&self, at: usize) -> u16 {
        u16::from_le_bytes(self.bytes(at))
    }
    fn u32(&self, at: usize) -> u32 {
        u32::from_le_bytes(self.bytes(at))
    }
    fn i32(&self, at: usize) -> i32 {
        i32::from_le_bytes(self.bytes(at))
    }
    fn u64(&self, at: usize) -> u64 {
        u64::from_le_bytes(self.bytes(at))
    }
    fn i64(&self, at: usize) -> i64 {
        i64::from_le_bytes(self.bytes(at))
    }
}

/// One packet's usbmon header and data as an event; `None` for filler packets ('@', usbmon.rst
/// "Memory-mapped access").
fn usbmon_packet(frame: Frame, data: &[u8], layout: Layout) -> Result<Option<Event>, Error> {
    let bad = |detail: String| Error::Malformed { frame, detail };
    if data.len() < layout.header {
        return Err(bad(format!(
            "packet of {} bytes is shorter than the {}-byte usbmon header",
            data.len(),
            layout.header
        )));
    }
    let f = Fields {
        b: data,
        big_endian: layout.big_endian,
    };
    let kind = match data[8] {
        b'S' => EventKind::Submit,
        b'C' => EventKind::Complete,
        b'E' => EventKind::SubmitError,
        b'@' => return Ok(None),
        other => return Err(bad(format!("event type {other:#04x} is none of S, C, E"))),
    };
    let transfer = match data[9] {
        0 => TransferType::Isochronous,
        1 => TransferType::Interrupt,
        2 => TransferType::Control,
        3 => TransferType::Bulk,
        other => return Err(bad(format!("transfer type {other} is none of 0..3"))),
    };
    let endpoint = data[10];
    let seconds = u64::try_from(f.i64(16)).unwrap_or(0);
    let micros = u64::try_from(f.i32(24)).unwrap_or(0);
    let captured = f.u32(36) as usize;
    let payload = &data[layout.header..];
    Ok(Some(Event {
        frame,
        urb: f.u64(0),
        kind,
        transfer,
        device: DeviceAddr {
            bus: f.u16(12),
            device: data[11],
        },
        endpoint: endpoint & 0x0F,
        way: if endpoint & 0x80 != 0 {
            Way::In
        } else {
            Way::Out
        },
        status: f.i32(28),
        length: f.u32(32),
        // A snap length can cut the packet below the captured length.
        data: payload[..captured.min(payload.len())].to_vec(),
        time_us: seconds.saturating_mul(1_000_000).saturating_add(micros),
    }))
}
