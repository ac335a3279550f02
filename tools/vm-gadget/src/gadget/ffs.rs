//! FunctionFS: the wire layouts written to and read from `ep0`, and the endpoint files.
//!
//! Owns the descriptor and string blobs of a one-interface mass-storage function (interface
//! class 08/06/50, one bulk IN and one bulk OUT endpoint, full and high speed), the decoding of
//! `ep0` events, and the answers to control requests (data, ACK or STALL). Layouts follow
//! `<linux/usb/functionfs.h>` and `Documentation/usb/functionfs.rst`; endpoint and interface
//! descriptors follow USB 2.0 §9.6.5/§9.6.6. It must not know about SCSI or Bulk-Only framing.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::Path;

/// `FUNCTIONFS_DESCRIPTORS_MAGIC_V2`.
const DESCRIPTORS_MAGIC_V2: u32 = 3;
/// `FUNCTIONFS_STRINGS_MAGIC`.
const STRINGS_MAGIC: u32 = 2;
/// `FUNCTIONFS_HAS_FS_DESC | FUNCTIONFS_HAS_HS_DESC`.
const HAS_FS_HS_DESC: u32 = 1 | 2;
/// US English, the only language we describe.
const LANG_EN_US: u16 = 0x0409;
/// Size of `struct usb_functionfs_event` (8-byte setup packet, type, 3 pad bytes).
pub const EVENT_SIZE: usize = 12;

/// Mass Storage class, SCSI transparent command set, Bulk-Only Transport (USB MSC overview
/// §2, §3; USB MSC BOT 1.0 §4.3).
const INTERFACE_CLASS: [u8; 3] = [0x08, 0x06, 0x50];
/// Bulk endpoint max packet sizes: 64 at full speed, 512 at high speed (USB 2.0 §5.8.3).
const MAX_PACKET_FS: u16 = 64;
/// See [`MAX_PACKET_FS`].
const MAX_PACKET_HS: u16 = 512;

/// Build the FunctionFS v2 descriptor blob: one interface and two bulk endpoints (IN first, so
/// the kernel names it `ep1`; OUT is `ep2`), for full and high speed.
pub fn build_descriptors() -> Vec<u8> {
    let mut body = Vec::new();
    for max_packet in [MAX_PACKET_FS, MAX_PACKET_HS] {
        // Interface descriptor (USB 2.0 §9.6.5): length, type 4, number 0, alternate 0,
        // 2 endpoints, class/subclass/protocol, string index 1.
        body.extend_from_slice(&[9, 4, 0, 0, 2]);
        body.extend_from_slice(&INTERFACE_CLASS);
        body.push(1);
        // Endpoint descriptors (USB 2.0 §9.6.6): length, type 5, address, bulk (2),
        // max packet size, interval 0.
        for address in [0x81u8, 0x02] {
            body.extend_from_slice(&[7, 5, address, 2]);
            body.extend_from_slice(&max_packet.to_le_bytes());
            body.push(0);
        }
    }
    let mut blob = Vec::with_capacity(20 + body.len());
    let length = (20 + body.len()) as u32;
    for word in [DESCRIPTORS_MAGIC_V2, length, HAS_FS_HS_DESC, 3, 3] {
        blob.extend_from_slice(&word.to_le_bytes());
    }
    blob.extend_from_slice(&body);
    blob
}

/// Build the FunctionFS strings blob: one language (en-US) with the interface name.
pub fn build_strings(interface: &str) -> Vec<u8> {
    let mut body = LANG_EN_US.to_le_bytes().to_vec();
    body.extend_from_slice(interface.as_bytes());
    body.push(0);
    let mut blob = Vec::with_capacity(16 + body.len());
    let length = (16 + body.len()) as u32;
    for word in [STRINGS_MAGIC, length, 1, 1] {
        blob.extend_from_slice(&word.to_le_bytes());
    }
    blob.extend_from_slice(&body);
    blob
}

/// A USB control request (the 8-byte SETUP packet, USB 2.0 §9.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setup {
    /// bmRequestType: direction (bit 7), type (bits 6..5), recipient (bits 4..0).
    pub request_type: u8,
    /// bRequest.
    pub request: u8,
    /// wValue.
    pub value: u16,
    /// wIndex (FunctionFS rewrites it to our own interface number).
    pub index: u16,
    /// wLength: the size of the data stage.
    pub length: u16,
}

impl Setup {
    /// True when the data stage (if any) goes device to host.
    pub fn is_in(&self) -> bool {
        self.request_type & 0x80 != 0
    }
}

/// One event read from `ep0` (`enum usb_functionfs_event_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// The function was bound to a UDC.
    Bind,
    /// The function was unbound from its UDC (e.g. `echo "" > UDC`).
    Unbind,
    /// The host selected a configuration: endpoints are live.
    Enable,
    /// The host deconfigured or the device was disconnected.
    Disable,
    /// A control request for our interface; it must be answered with [`Ep0::reply_in`],
    /// [`Ep0::ack_out`] or [`Ep0::stall`].
    Setup(Setup),
    /// The bus was suspended.
    Suspend,
    /// The bus was resumed.
    Resume,
}

/// Decode one 12-byte `struct usb_functionfs_event`; `None` for an unknown type.
pub fn parse_event(raw: &[u8; EVENT_SIZE]) -> Option<Event> {
    Some(match raw[8] {
        0 => Event::Bind,
        1 => Event::Unbind,
        2 => Event::Enable,
        3 => Event::Disable,
        4 => Event::Setup(Setup {
            request_type: raw[0],
            request: raw[1],
            value: u16::from_le_bytes([raw[2], raw[3]]),
            index: u16::from_le_bytes([raw[4], raw[5]]),
            length: u16::from_le_bytes([raw[6], raw[7]]),
        }),
        5 => Event::Suspend,
        6 => Event::Resume,
        _ => return None,
    })
}

/// The control endpoint of a FunctionFS instance.
#[derive(Debug)]
pub struct Ep0 {
    file: File,
}

impl Ep0 {
    /// Open `DIR/ep0` and write the descriptors and strings; afterwards the kernel creates the
    /// bulk endpoint files and the function can be bound to a UDC.
    pub fn open(dir: &Path, interface: &str) -> io::Result<Ep0> {
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(dir.join("ep0"))?;
        file.write_all(&build_descriptors())?;
        file.write_all(&build_strings(interface))?;
        Ok(Ep0 { file })
    }

    /// Block until at least one event arrives; returns every event read.
    pub fn read_events(&mut self) -> io::Result<Vec<Event>> {
        let mut buf = [0u8; EVENT_SIZE * 4];
        let n = self.file.read(&mut buf)?;
        Ok(buf[..n]
            .chunks_exact(EVENT_SIZE)
            .filter_map(|c| parse_event(c.try_into().expect("chunks_exact gives EVENT_SIZE")))
            .collect())
    }

    /// Answer a device-to-host request with `data` (cut to wLength by the kernel).
    pub fn reply_in(&mut self, data: &[u8]) -> io::Result<()> {
        self.file.write_all(data)
    }

    /// Acknowledge a host-to-device request without a data stage (status stage only).
    pub fn ack_out(&mut self) -> io::Result<()> {
        self.file.read(&mut []).map(|_| ())
    }

    /// Refuse the pending request: FunctionFS stalls ep0 when we move data in the direction
    /// opposite to the request's, and reports that with EL2HLT.
    pub fn stall(&mut self, setup: &Setup) -> io::Result<()> {
        let result = if setup.is_in() {
            self.file.read(&mut [0u8; 1]).map(|_| ())
        } else {
            self.file.write(&[0u8]).map(|_| ())
        };
        match result {
            Err(e) if e.raw_os_error() == Some(libc::EL2HLT) => Ok(()),
            other => other,
        }
    }
}

/// The two bulk endpoint files (`ep1` = IN, `ep2` = OUT, in descriptor order).
#[derive(Debug)]
pub struct BulkFiles {
    /// Device-to-host endpoint.
    pub ep_in: File,
    /// Host-to-device endpoint.
    pub ep_out: File,
}

impl BulkFiles {
    /// Open the endpoint files the kernel created after [`Ep0::open`].
    pub fn open(dir: &Path) -> io::Result<BulkFiles> {
        Ok(BulkFiles {
            // Read access too: reading the IN endpoint is how FunctionFS halts it.
            ep_in: OpenOptions::new()
                .read(true)
                .write(true)
                .open(dir.join("ep1"))?,
            ep_out: OpenOptions::new().read(true).open(dir.join("ep2"))?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptors_have_v2_header_and_both_speeds() {
        let d = build_descriptors();
        assert_eq!(d.len(), 20 + 2 * (9 + 7 + 7));
        assert_eq!(&d[0..4], &3u32.to_le_bytes());
        assert_eq!(&d[4..8], &(d.len() as u32).to_le_bytes());
        assert_eq!(&d[8..12], &3u32.to_le_bytes(), "FS and HS flags");
        assert_eq!(
            &d[12..20],
            &[3, 0, 0, 0, 3, 0, 0, 0],
            "3 descriptors per speed"
        );
        // Full-speed interface: class 08/06/50, two endpoints.
        assert_eq!(&d[20..29], &[9, 4, 0, 0, 2, 0x08, 0x06, 0x50, 1]);
        // Full-speed bulk IN, 64-byte packets; high-speed bulk OUT, 512-byte packets.
        assert_eq!(&d[29..36], &[7, 5, 0x81, 2, 64, 0, 0]);
        assert_eq!(&d[59..66], &[7, 5, 0x02, 2, 0x00, 0x02, 0]);
    }

    #[test]
    fn strings_blob_is_nul_terminated_en_us() {
        let s = build_strings("odflash");
        assert_eq!(&s[0..4], &2u32.to_le_bytes());
        assert_eq!(&s[4..8], &(s.len() as u32).to_le_bytes());
        assert_eq!(&s[8..16], &[1, 0, 0, 0, 1, 0, 0, 0]);
        assert_eq!(&s[16..18], &[0x09, 0x04]);
        assert_eq!(&s[18..], b"odflash\0");
    }

    #[test]
    fn setup_event_decodes_get_max_lun() {
        let raw = [0xA1, 0xFE, 0, 0, 0, 0, 1, 0, 4, 0, 0, 0];
        let Some(Event::Setup(s)) = parse_event(&raw) else {
            panic!("not a setup event")
        };
        assert!(s.is_in());
        assert_eq!((s.request, s.index, s.length), (0xFE, 0, 1));
    }

    #[test]
    fn other_events_decode_and_unknown_is_none() {
        let mut raw = [0u8; EVENT_SIZE];
        for (t, want) in [(0, Event::Bind), (2, Event::Enable), (3, Event::Disable)] {
            raw[8] = t;
            assert_eq!(parse_event(&raw), Some(want));
        }
        raw[8] = 42;
        assert_eq!(parse_event(&raw), None);
    }
}
