//! Captures of USB traffic turned into odflash traces: what `odflash trace import` runs.
//!
//! A contributor records a vendor flasher talking to a USB-attached drive with Linux's usbmon
//! (the text interface, or Wireshark/tcpdump writing pcap or pcapng), and [`import`] turns the
//! recording into the [`TraceRecord`]s odflash writes for its own commands, so the capture can
//! be read with `trace show`, served back with `replay:` and built into an emulated identity.
//!
//! The work is split by layer of the capture, one module each:
//!
//! - `usbmon.rs`: the usbmon text format (one line per URB event);
//! - `pcap.rs`: pcap/pcapng files (read with the `pcap-parser` crate) of the two Linux usbmon
//!   link types, 189 and 220, whose packets start with the usbmon binary header;
//! - `urb.rs`: URB events of both sources paired into transfers (submission with completion);
//! - `bot.rs`: USB Mass Storage Bulk-Only Transport: CBW, data stage and CSW reassembled into
//!   commands;
//! - `synth.rs`: the other way round, for tests and fuzz seeds: records into captures.
//!
//! This module turns commands into trace records (folding the host's automatic REQUEST SENSE
//! into the command that failed) and picks the device. Everything here is pure: bytes in,
//! records or a typed [`Error`] naming the frame out; nothing is read from a file or sent to a
//! device.

mod bot;
mod pcap;
pub mod synth;
mod urb;
mod usbmon;

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use crate::cdb::opcode::REQUEST_SENSE;
use crate::trace::{ErrorKind, TraceError, TraceRecord};
use crate::{status, Direction};

use bot::{Command, End};
use urb::{Transfer, TransferType};

/// Largest capture file read: a whole flash session (image write, backup reads, verify) with
/// every payload is some tens of MiB in pcapng; this leaves room for long sessions.
pub const MAX_CAPTURE_BYTES: usize = 1 << 30;

/// Where in the capture something was found, as a contributor finds it again: a line of a
/// usbmon text capture, or a packet of a pcap/pcapng file numbered from 1 as Wireshark numbers
/// its frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frame {
    /// The file header of a pcap file, or a block of a pcapng file before any packet.
    FileHeader,
    /// A line of a usbmon text capture (from 1).
    Line(usize),
    /// A packet of a pcap/pcapng file (from 1).
    Packet(usize),
}

impl fmt::Display for Frame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Frame::FileHeader => f.write_str("file header"),
            Frame::Line(n) => write!(f, "line {n}"),
            Frame::Packet(n) => write!(f, "frame {n}"),
        }
    }
}

/// A USB device as usbmon names it: bus number and device address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DeviceAddr {
    /// Bus number (0 in the old '1t' text format, which does not record it).
    pub bus: u16,
    /// Device address on the bus.
    pub device: u8,
}

impl fmt::Display for DeviceAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{:03}", self.bus, self.device)
    }
}

/// Which commands to import: one device (`--device BUS:DEVICE`) and, for a device with several
/// logical units, one LUN (`BUS:DEVICE:LUN`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Selector {
    /// The device.
    pub addr: DeviceAddr,
    /// The logical unit, when given.
    pub lun: Option<u8>,
}

impl FromStr for Selector {
    type Err = String;

    /// `BUS:DEVICE` or `BUS:DEVICE:LUN`, decimal, leading zeros allowed (`1:005`), as usbmon
    /// and `lsusb` print them.
    fn from_str(text: &str) -> Result<Selector, String> {
        let bad =
            || format!("`{text}` is not BUS:DEVICE or BUS:DEVICE:LUN (e.g. 1:005, as lsusb shows)");
        let parts: Vec<&str> = text.trim().split(':').collect();
        let (bus, device, lun) = match parts.as_slice() {
            [bus, device] => (bus, device, None),
            [bus, device, lun] => (bus, device, Some(lun)),
            _ => return Err(bad()),
        };
        Ok(Selector {
            addr: DeviceAddr {
                bus: bus.parse().map_err(|_| bad())?,
                device: device.parse().map_err(|_| bad())?,
            },
            lun: lun.map(|l| l.parse()).transpose().map_err(|_| bad())?,
        })
    }
}

/// The kind of capture file, told from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// usbmon's text interface (`/sys/kernel/debug/usb/usbmon/<bus>u`).
    UsbmonText,
    /// A pcap file (tcpdump, Wireshark "pcap").
    Pcap,
    /// A pcapng file (Wireshark's default, dumpcap).
    PcapNg,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::UsbmonText => "usbmon text",
            Format::Pcap => "pcap",
            Format::PcapNg => "pcapng",
        })
    }
}

/// Why a capture cannot be imported. Every variant that points into the file names the frame.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Neither usbmon text, pcap nor pcapng.
    #[error(
        "not a capture odflash reads ({0}): give usbmon text (cat /sys/kernel/debug/usb/usbmon/\
         <bus>u), or a pcap/pcapng file written by tcpdump or Wireshark on a usbmon interface"
    )]
    UnknownFormat(String),
    /// The file breaks its own format: a truncated packet, a bad line, a header too short.
    #[error("{frame}: {detail}")]
    Malformed {
        /// Where.
        frame: Frame,
        /// What is wrong.
        detail: String,
    },
    /// The capture is of another link type than Linux usbmon (an Ethernet capture, a Windows
    /// USBPcap capture).
    #[error(
        "{frame}: link type {linktype} ({name}) is not a Linux usbmon capture: capture on a \
         usbmonN interface (link type 189 or 220)"
    )]
    LinkType {
        /// Where the link type was declared or first used.
        frame: Frame,
        /// The link type number.
        linktype: u32,
        /// Its name, when known.
        name: &'static str,
    },
    /// The Bulk-Only traffic of the chosen device breaks the transport's rules (a transfer
    /// where a CBW should be, a CSW answering another command).
    #[error("{frame}: device {device}: {detail}")]
    Bot {
        /// Where.
        frame: Frame,
        /// The device.
        device: DeviceAddr,
        /// What is wrong.
        detail: String,
    },
    /// The chosen device talks, but not USB Mass Storage Bulk-Only.
    #[error("device {device} does not speak USB Mass Storage Bulk-Only (first bulk transfer at {frame}): {detail}")]
    NotBot {
        /// The device.
        device: DeviceAddr,
        /// Its first bulk transfer.
        frame: Frame,
        /// What its traffic looks like instead.
        detail: String,
    },
    /// The capture parsed, but holds no Bulk-Only command at all.
    #[error(
        "nothing to reassemble: the capture holds no USB Mass Storage Bulk-Only command ({0})"
    )]
    Nothing(String),
    /// `--device` names a device with no commands in the capture.
    #[error("no Bulk-Only commands of {wanted} in the capture; {seen}")]
    NoSuchDevice {
        /// What was asked for.
        wanted: String,
        /// What the capture holds instead.
        seen: String,
    },
    /// More than one device (or logical unit) has commands, and none was chosen.
    #[error("the capture holds commands of {0}: choose one with --device BUS:DEVICE[:LUN]")]
    Ambiguous(String),
}

/// Whether trace times can be told as wall-clock times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Clock {
    /// Microseconds since the UNIX epoch (the pcap timestamps).
    Epoch,
    /// Microseconds from an arbitrary start (the usbmon text timestamps).
    Relative,
}

/// What a capture source yields: bulk URB events and every device seen on any endpoint.
#[derive(Debug)]
pub(crate) struct Parsed {
    /// URB events of bulk endpoints, in capture order.
    pub events: Vec<urb::Event>,
    /// Every device seen, with its number of events of any transfer type.
    pub devices: BTreeMap<DeviceAddr, usize>,
    /// The timestamps' clock.
    pub clock: Clock,
}

/// An imported capture: the trace of one device, and what the import could not carry over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Import {
    /// What the file was.
    pub format: Format,
    /// The device whose commands these are.
    pub device: DeviceAddr,
    /// Its logical unit.
    pub lun: u8,
    /// One record per SCSI command, in order.
    pub records: Vec<TraceRecord>,
    /// What the import could not carry over.
    pub notes: Notes,
}

/// What the import left out, so a contributor knows what the trace lacks.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Notes {
    /// Commands whose data stage the capture holds only in part (usbmon text keeps the first
    /// 32 bytes of each transfer; a pcap snap length cuts packets): their records carry no
    /// payload, so replay cannot serve their data.
    pub payloads_cut: usize,
    /// Bulk transfers before the first CBW (the capture began in mid-command): skipped.
    pub skipped_before_first_command: usize,
    /// Automatic REQUEST SENSE commands folded into the failed command before them.
    pub sense_folded: usize,
    /// A command the capture ends in the middle of: left out.
    pub cut_at_end: bool,
    /// Other devices with Bulk-Only commands in the capture, not imported.
    pub other_devices: Vec<String>,
}

/// Detect the format of `bytes` and import the Bulk-Only commands of the device `select`
/// names (or of the only device with any).
pub fn import(bytes: &[u8], select: Option<Selector>) -> Result<Import, Error> {
    let format = detect(bytes)?;
    let parsed = match format {
        Format::Pcap => pcap::parse_pcap(bytes)?,
        Format::PcapNg => pcap::parse_pcapng(bytes)?,
        Format::UsbmonText => {
            let text = std::str::from_utf8(bytes).map_err(|e| {
                Error::UnknownFormat(format!("not UTF-8 text at byte {}", e.valid_up_to()))
            })?;
            usbmon::parse(text)?
        }
    };
    let clock = parsed.clock;
    let transfers = urb::pair(parsed.events);
    let mut by_device: BTreeMap<DeviceAddr, Vec<&Transfer>> = BTreeMap::new();
    for t in transfers
        .iter()
        .filter(|t| t.transfer == TransferType::Bulk)
    {
        by_device.entry(t.device).or_default().push(t);
    }
    let mut candidates = Vec::new();
    for (&device, ts) in &by_device {
        let wanted = select.is_some_and(|s| s.addr == device);
        match bot::reassemble(device, ts) {
            Ok(r) => candidates.push((device, r)),
            // A device that is not mass storage is another device's business, unless it was
            // asked for by name.
            Err(e @ Error::NotBot { .. }) if wanted => return Err(e),
            Err(Error::NotBot { .. }) => {}
            Err(e) if wanted || select.is_none() => return Err(e),
            Err(e) => log::debug!("not importing device {device}: {e}"),
        }
    }
    let mut units: Vec<Unit> = Vec::new();
    for (device, r) in candidates {
        for (lun, part) in r.split_luns() {
            units.push((device, lun, part));
        }
    }
    let describe = |units: &[Unit]| -> String {
        let list: Vec<String> = units.iter().map(unit_text).collect();
        list.join(", ")
    };
    if units.is_empty() {
        let seen = devices_seen(&parsed.devices);
        return Err(match select {
            None => Error::Nothing(seen),
            Some(s) => Error::NoSuchDevice {
                wanted: selector_text(s),
                seen,
            },
        });
    }
    let wanted = |d: &DeviceAddr, lun: &u8| {
        select.map_or(true, |s| s.addr == *d && s.lun.map_or(true, |l| l == *lun))
    };
    let matching: Vec<usize> = (0..units.len())
        .filter(|&i| wanted(&units[i].0, &units[i].1))
        .collect();
    let index = match (matching.as_slice(), select) {
        ([one], _) => *one,
        ([], Some(s)) => {
            return Err(Error::NoSuchDevice {
                wanted: selector_text(s),
                seen: format!("it holds commands of {}", describe(&units)),
            })
        }
        _ => return Err(Error::Ambiguous(describe(&units))),
    };
    let (device, lun, reassembled) = units.remove(index);
    let other_devices = units.iter().map(unit_text).collect();
    let mut notes = Notes {
        skipped_before_first_command: reassembled.skipped,
        cut_at_end: reassembled.cut_at_end,
        other_devices,
        ..Notes::default()
    };
    let records = to_records(reassembled.commands, clock, &mut notes);
    Ok(Import {
        format,
        device,
        lun,
        records,
        notes,
    })
}

/// One logical unit's commands.
type Unit = (DeviceAddr, u8, bot::Reassembled);

/// "1:005 LUN 0 (12 commands)": the commands on the wire, automatic REQUEST SENSE included.
fn unit_text((device, lun, r): &Unit) -> String {
    format!("{device} LUN {lun} ({} commands)", r.commands.len())
}

fn selector_text(s: Selector) -> String {
    match s.lun {
        Some(lun) => format!("device {} LUN {lun}", s.addr),
        None => format!("device {}", s.addr),
    }
}

fn devices_seen(devices: &BTreeMap<DeviceAddr, usize>) -> String {
    if devices.is_empty() {
        return "no USB traffic at all".into();
    }
    let list: Vec<String> = devices
        .iter()
        .map(|(d, n)| format!("{d} ({n} events)"))
        .collect();
    format!("devices seen: {}", list.join(", "))
}

/// pcap magic numbers as they appear in a file: either byte order, micro- and nanosecond
/// variants (pcap-savefile(5), https://www.tcpdump.org/manpages/pcap-savefile.5.txt) and the
/// little-endian "modified" variant (refused by name when read); and the pcapng Section Header
/// Block type (https://www.ietf.org/archive/id/draft-ietf-opsawg-pcapng-03.html §4.1).
const PCAP_MAGICS: [[u8; 4]; 5] = [
    [0xD4, 0xC3, 0xB2, 0xA1],
    [0xA1, 0xB2, 0xC3, 0xD4],
    [0x4D, 0x3C, 0xB2, 0xA1],
    [0xA1, 0xB2, 0x3C, 0x4D],
    [0x34, 0xCD, 0xB2, 0xA1],
];
const PCAPNG_SHB: [u8; 4] = [0x0A, 0x0D, 0x0D, 0x0A];

/// The format of a capture, from its first bytes: the pcap and pcapng magic numbers, else
/// text that looks like a usbmon event line.
pub fn detect(bytes: &[u8]) -> Result<Format, Error> {
    let head: Option<[u8; 4]> = bytes.get(..4).and_then(|h| h.try_into().ok());
    match head {
        Some(h) if PCAP_MAGICS.contains(&h) => return Ok(Format::Pcap),
        Some(h) if h == PCAPNG_SHB => return Ok(Format::PcapNg),
        _ => {}
    }
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]);
    match text.lines().find(|l| !l.trim().is_empty()) {
        Some(first) if usbmon::looks_like_event(first) => Ok(Format::UsbmonText),
        Some(_) => Err(Error::UnknownFormat(format!(
            "starts with {}",
            hex::encode(&bytes[..bytes.len().min(8)])
        ))),
        None => Err(Error::UnknownFormat("the file is empty".into())),
    }
}

/// Linux `DID_ERROR`: what the SCSI layer reports for a command whose transport failed and
/// which usb-storage answers with a reset (linux `drivers/usb/storage/transport.c`,
/// `usb_stor_invoke_transport`).
const DID_ERROR: u16 = 0x07;

/// SCSI status from a CSW status byte (USB Mass Storage Class Bulk-Only Transport 1.0 §5.2,
/// https://www.usb.org/sites/default/files/usbmassbulk_10.pdf): 0 passed is GOOD, 1 failed is
/// CHECK CONDITION (the sense comes from a REQUEST SENSE).
fn scsi_status(csw: u8) -> u8 {
    if csw == 0 {
        status::GOOD
    } else {
        status::CHECK_CONDITION
    }
}

/// Commands into trace records, as odflash's own `--trace-payload` writes them for the same
/// commands sent through SG_IO: the automatic REQUEST SENSE usb-storage sends after a failed
/// command (`transport.c`, `usb_stor_invoke_transport`: "If we have a failure, we're going to
/// do a REQUEST_SENSE automatically") is invisible to SG_IO, which returns its data as the
/// failed command's sense; here it is folded the same way.
// ASSUMPTION: the REQUEST SENSE right after a CSW "failed" is the host's automatic one. Windows'
// class driver asks for sense the same way; a flasher that sends its own REQUEST SENSE right
// after a failure loses that one record to the fold (the sense bytes stay, on the failed
// command).
fn to_records(commands: Vec<Command>, clock: Clock, notes: &mut Notes) -> Vec<TraceRecord> {
    let mut records: Vec<TraceRecord> = Vec::with_capacity(commands.len());
    let mut fold_next = false;
    for c in commands {
        let is_sense = c.cdb.first() == Some(&REQUEST_SENSE) && c.direction == Direction::In;
        if fold_next && is_sense {
            if let (End::Status { status: 0, .. }, Some(last)) = (c.end, records.last_mut()) {
                let sense = c.data[..c.transferred().min(c.data.len())].to_vec();
                last.sense_text = (!sense.is_empty()).then(|| crate::trace::sense_text(&sense));
                last.sense = sense;
                notes.sense_folded += 1;
                fold_next = false;
                continue;
            }
        }
        fold_next = matches!(c.end, End::Status { status: 1, .. });
        if !c.data_whole && c.direction != Direction::None {
            notes.payloads_cut += 1;
        }
        records.push(record(c, clock));
    }
    records
}

/// One command as a trace record.
fn record(c: Command, clock: Clock) -> TraceRecord {
    let transferred = c.transferred();
    let payload = match c.direction {
        Direction::None => None,
        _ if !c.data_whole => None,
        Direction::In => Some(c.data[..transferred.min(c.data.len())].to_vec()),
        Direction::Out => Some(c.data.clone()),
    };
    let (status, host_status, error) = match c.end {
        End::Status { status, .. } => (scsi_status(status), 0, None),
        End::PhaseError => (
            0,
            DID_ERROR,
            Some(TraceError {
                kind: ErrorKind::Host,
                message: "the drive answered phase error (CSW status 2); the host resets it".into(),
            }),
        ),
        End::NoStatus => (
            0,
            DID_ERROR,
            Some(TraceError {
                kind: ErrorKind::Host,
                message: "no CSW: the host gave up on the command (a reset follows)".into(),
            }),
        ),
    };
    let transferred = if error.is_some() { 0 } else { transferred };
    TraceRecord {
        cdb: c.cdb,
        direction: c.direction,
        requested: c.requested as usize,
        transferred,
        status,
        host_status,
        driver_status: 0,
        sense: Vec::new(),
        sense_text: None,
        duration_us: c.end_us.saturating_sub(c.start_us),
        // A capture does not show the host's timeout.
        timeout_ms: 0,
        time_us: (clock == Clock::Epoch).then_some(c.start_us),
        error,
        payload,
    }
}

#[cfg(test)]
mod tests;
