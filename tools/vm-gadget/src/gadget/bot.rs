//! USB Mass Storage Bulk-Only Transport (BOT 1.0), device side: CBW in, data phase, CSW out.
//!
//! Owns the 31-byte Command Block Wrapper and 13-byte Command Status Wrapper layouts (BOT §5.1,
//! §5.2) and the rules for ending a data phase (BOT §6.7, "the thirteen cases"): it runs each CDB
//! on a [`Transport`] and moves the bytes over a [`Bulk`] pair of endpoints. It must not know
//! which drive model answers, nor how endpoints are opened (see `ffs`).

use std::io;
use std::time::Duration;

use odflash::scsi::{status, Data, Outcome, Transport, TransportError};

/// CBW length and signature ("USBC", BOT §5.1).
pub const CBW_LEN: usize = 31;
const CBW_SIGNATURE: u32 = 0x4342_5355;
/// CSW signature ("USBS", BOT §5.2).
const CSW_SIGNATURE: u32 = 0x5342_5355;
/// The smallest bulk max packet size (full speed). A data-in phase that ends on a multiple of it
/// may not have ended with a short packet, so the host would wait for more: we stall instead.
const MIN_MAX_PACKET: usize = 64;
/// Timeout handed to the transport for every command.
// ASSUMPTION: usb-storage's own command timeout (the SCSI layer's, 30 s for sr ioctls) governs
// the host side; the emulator answers in real time, so one generous bound is enough here.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);

/// A decoded Command Block Wrapper.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cbw {
    /// dCBWTag, echoed in the CSW.
    pub tag: u32,
    /// dCBWDataTransferLength: bytes the host expects to move.
    pub data_len: u32,
    /// Direction of the data phase (meaningful when `data_len > 0`).
    pub flow: Flow,
    /// bCBWLUN.
    pub lun: u8,
    /// The CDB (bCBWCBLength bytes of CBWCB).
    pub cdb: Vec<u8>,
}

/// Data phase direction from bmCBWFlags bit 7.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Host to device.
    Out,
    /// Device to host.
    In,
}

/// Why a block read from the OUT endpoint is not a valid CBW (BOT §6.2.1).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CbwError {
    /// Not exactly 31 bytes.
    #[error("CBW has {0} bytes, expected 31")]
    Length(usize),
    /// Wrong dCBWSignature.
    #[error("bad CBW signature {0:#010x}")]
    Signature(u32),
    /// bCBWCBLength outside 1..=16.
    #[error("bad CDB length {0}")]
    CdbLength(u8),
}

/// Parse a CBW.
pub fn parse_cbw(raw: &[u8]) -> Result<Cbw, CbwError> {
    if raw.len() != CBW_LEN {
        return Err(CbwError::Length(raw.len()));
    }
    let le32 = |i: usize| u32::from_le_bytes([raw[i], raw[i + 1], raw[i + 2], raw[i + 3]]);
    if le32(0) != CBW_SIGNATURE {
        return Err(CbwError::Signature(le32(0)));
    }
    let cdb_len = raw[14] & 0x1F;
    if !(1..=16).contains(&cdb_len) {
        return Err(CbwError::CdbLength(cdb_len));
    }
    Ok(Cbw {
        tag: le32(4),
        data_len: le32(8),
        flow: if raw[12] & 0x80 != 0 {
            Flow::In
        } else {
            Flow::Out
        },
        lun: raw[13] & 0x0F,
        cdb: raw[15..15 + cdb_len as usize].to_vec(),
    })
}

/// bCSWStatus values (BOT §5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CswStatus {
    /// Command passed.
    Passed = 0,
    /// Command failed: the host asks for sense with REQUEST SENSE.
    Failed = 1,
    /// Phase error: the host resets the device.
    PhaseError = 2,
}

/// Build a CSW.
pub fn build_csw(tag: u32, residue: u32, status: CswStatus) -> [u8; 13] {
    let mut csw = [0u8; 13];
    csw[0..4].copy_from_slice(&CSW_SIGNATURE.to_le_bytes());
    csw[4..8].copy_from_slice(&tag.to_le_bytes());
    csw[8..12].copy_from_slice(&residue.to_le_bytes());
    csw[12] = status as u8;
    csw
}

/// The bulk endpoint pair, as the BOT engine needs it.
pub trait Bulk {
    /// Read one transfer from the OUT endpoint into `buf`; returns the bytes received.
    fn read_out(&mut self, buf: &mut [u8]) -> io::Result<usize>;
    /// Send `data` on the IN endpoint as one transfer.
    fn write_in(&mut self, data: &[u8]) -> io::Result<()>;
    /// Halt (STALL) the IN endpoint; the host clears it with CLEAR_FEATURE(ENDPOINT_HALT).
    fn halt_in(&mut self) -> io::Result<()>;
}

/// What one served command did, for logging and tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Served {
    /// The CDB.
    pub cdb: Vec<u8>,
    /// Bytes moved in the data phase.
    pub transferred: u32,
    /// How the command ended.
    pub ending: Ending,
}

/// How a served command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// A CSW with this status was sent.
    Csw(CswStatus),
    /// The emulated drive lost power: nothing more was sent, and the caller must take the
    /// device off the bus (see [`PowerLoss`]).
    PowerLost,
}

/// What the gadget does when the emulated drive loses power (a fault plan's `power-loss`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PowerLoss {
    /// Answer with a phase error, so the host resets the device and it stays on the bus.
    PhaseError,
    /// Send nothing more: the caller disconnects the gadget, as a drive that lost power
    /// vanishes from the bus.
    Disconnect,
}

/// Read the next CBW from the OUT endpoint. An invalid one stalls the IN endpoint (BOT §6.6.1:
/// the host recovers with a reset) and is reported as `InvalidData`.
pub fn read_cbw(bulk: &mut impl Bulk) -> io::Result<Cbw> {
    let mut raw = [0u8; 512];
    let n = bulk.read_out(&mut raw)?;
    parse_cbw(&raw[..n]).or_else(|e| {
        log::warn!("invalid CBW: {e}");
        bulk.halt_in()?;
        Err(io::Error::new(io::ErrorKind::InvalidData, e))
    })
}

/// Run one CBW on `transport`, move the data, send the CSW.
///
/// Data in shorter than requested: the bytes that exist are sent, the IN endpoint is stalled
/// when the last packet may have been full (so the host stops waiting), and the CSW carries the
/// residue. A CHECK CONDITION becomes CSW status 1; usb-storage then sends REQUEST SENSE as its
/// own command, which the emulator answers from the sense it kept. A transport failure (the
/// emulated drive timing out or resetting) becomes a phase error, which makes the host reset us;
/// a power loss is handled as `power_loss` says.
pub fn serve_cbw(
    bulk: &mut impl Bulk,
    transport: &mut dyn Transport,
    cbw: Cbw,
    power_loss: PowerLoss,
) -> io::Result<Served> {
    let len = cbw.data_len as usize;
    let lost = |result: &Result<Outcome, TransportError>| {
        power_loss == PowerLoss::Disconnect && matches!(result, Err(TransportError::Gone(_)))
    };
    let power_lost = |cbw: Cbw| Served {
        cdb: cbw.cdb,
        transferred: 0,
        ending: Ending::PowerLost,
    };
    let (result, transferred) = match (len, cbw.flow) {
        (0, _) => (transport.execute(&cbw.cdb, Data::None, COMMAND_TIMEOUT), 0),
        (_, Flow::In) => {
            let mut buf = vec![0u8; len];
            let result = transport.execute(&cbw.cdb, Data::In(&mut buf), COMMAND_TIMEOUT);
            if lost(&result) {
                return Ok(power_lost(cbw));
            }
            let moved = result.as_ref().map_or(0, |o| o.transferred.min(len));
            if moved > 0 {
                bulk.write_in(&buf[..moved])?;
            }
            if moved < len && moved % MIN_MAX_PACKET == 0 {
                bulk.halt_in()?;
            }
            (result, moved)
        }
        (_, Flow::Out) => {
            let mut buf = vec![0u8; len];
            let mut got = 0;
            while got < len {
                let n = bulk.read_out(&mut buf[got..])?;
                if n == 0 {
                    break;
                }
                got += n;
            }
            let result = transport.execute(&cbw.cdb, Data::Out(&buf[..got]), COMMAND_TIMEOUT);
            let moved = result.as_ref().map_or(0, |o| o.transferred.min(got));
            (result, moved)
        }
    };
    if lost(&result) {
        return Ok(power_lost(cbw));
    }
    let status = match &result {
        Ok(o) if o.status == status::GOOD => CswStatus::Passed,
        Ok(_) => CswStatus::Failed,
        Err(e) => {
            log::warn!("transport failed on opcode {:#04x}: {e}", cbw.cdb[0]);
            CswStatus::PhaseError
        }
    };
    let residue = cbw.data_len - transferred as u32;
    bulk.write_in(&build_csw(cbw.tag, residue, status))?;
    Ok(Served {
        cdb: cbw.cdb,
        transferred: transferred as u32,
        ending: Ending::Csw(status),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use odflash::scsi::{Outcome, TransportError};
    use std::collections::VecDeque;

    fn cbw(tag: u32, len: u32, flow: Flow, cdb: &[u8]) -> Vec<u8> {
        let mut raw = vec![0u8; CBW_LEN];
        raw[0..4].copy_from_slice(&CBW_SIGNATURE.to_le_bytes());
        raw[4..8].copy_from_slice(&tag.to_le_bytes());
        raw[8..12].copy_from_slice(&len.to_le_bytes());
        raw[12] = if flow == Flow::In { 0x80 } else { 0 };
        raw[14] = cdb.len() as u8;
        raw[15..15 + cdb.len()].copy_from_slice(cdb);
        raw
    }

    /// Host side of the pipe: queued OUT transfers, recorded IN transfers and stalls.
    #[derive(Default)]
    struct Host {
        out: VecDeque<Vec<u8>>,
        sent: Vec<Vec<u8>>,
        stalls: usize,
    }

    impl Bulk for Host {
        fn read_out(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let t = self.out.pop_front().expect("host sent nothing");
            buf[..t.len()].copy_from_slice(&t);
            Ok(t.len())
        }
        fn write_in(&mut self, data: &[u8]) -> io::Result<()> {
            self.sent.push(data.to_vec());
            Ok(())
        }
        fn halt_in(&mut self) -> io::Result<()> {
            self.stalls += 1;
            Ok(())
        }
    }

    /// Answers data-in commands with `reply` (truncated to the buffer), records data-out bytes,
    /// and fails with CHECK CONDITION or a transport error on request.
    struct Fake {
        reply: Vec<u8>,
        received: Vec<u8>,
        check: bool,
        gone: bool,
    }

    impl Fake {
        fn new(reply: &[u8]) -> Fake {
            Fake {
                reply: reply.to_vec(),
                received: Vec::new(),
                check: false,
                gone: false,
            }
        }
    }

    impl Transport for Fake {
        fn execute(
            &mut self,
            _cdb: &[u8],
            data: Data<'_>,
            _timeout: Duration,
        ) -> Result<Outcome, TransportError> {
            if self.gone {
                return Err(TransportError::Gone("unplugged".into()));
            }
            let moved = match data {
                Data::In(buf) => {
                    let n = buf.len().min(self.reply.len());
                    buf[..n].copy_from_slice(&self.reply[..n]);
                    n
                }
                Data::Out(bytes) => {
                    self.received.extend_from_slice(bytes);
                    bytes.len()
                }
                Data::None => 0,
            };
            if self.check {
                return Ok(Outcome::check_condition(vec![0x70], 0, Duration::ZERO));
            }
            Ok(Outcome::good(moved, Duration::ZERO))
        }
        fn describe(&self) -> String {
            "fake".into()
        }
    }

    fn csw_of(host: &Host) -> (u32, u32, u8) {
        let c = host.sent.last().expect("a CSW");
        assert_eq!(c.len(), 13);
        assert_eq!(&c[0..4], b"USBS");
        (
            u32::from_le_bytes(c[4..8].try_into().unwrap()),
            u32::from_le_bytes(c[8..12].try_into().unwrap()),
            c[12],
        )
    }

    /// Read and serve one command, as the gadget's bulk loop does.
    fn serve_one(host: &mut Host, drive: &mut Fake) -> io::Result<Served> {
        let cbw = read_cbw(host)?;
        serve_cbw(host, drive, cbw, PowerLoss::PhaseError)
    }

    #[test]
    fn parse_cbw_rejects_bad_blocks() {
        let good = cbw(7, 36, Flow::In, &[0x12, 0, 0, 0, 36, 0]);
        let c = parse_cbw(&good).unwrap();
        assert_eq!((c.tag, c.data_len, c.flow, c.lun), (7, 36, Flow::In, 0));
        assert_eq!(c.cdb, vec![0x12, 0, 0, 0, 36, 0]);
        assert_eq!(parse_cbw(&good[..30]), Err(CbwError::Length(30)));
        let mut bad = good.clone();
        bad[0] = 0;
        assert!(matches!(parse_cbw(&bad), Err(CbwError::Signature(_))));
        bad = good;
        bad[14] = 0;
        assert_eq!(parse_cbw(&bad), Err(CbwError::CdbLength(0)));
    }

    #[test]
    fn csw_layout() {
        let c = build_csw(0x01020304, 5, CswStatus::Failed);
        assert_eq!(c, [b'U', b'S', b'B', b'S', 4, 3, 2, 1, 5, 0, 0, 0, 1]);
    }

    #[test]
    fn full_data_in_sends_data_then_passed_csw() {
        let mut host = Host::default();
        host.out
            .push_back(cbw(1, 4, Flow::In, &[0x3C, 6, 0, 0, 0, 0, 0, 0, 4, 0]));
        let mut drive = Fake::new(&[1, 2, 3, 4]);
        let s = serve_one(&mut host, &mut drive).unwrap();
        assert_eq!(s.transferred, 4);
        assert_eq!(host.sent[0], vec![1, 2, 3, 4]);
        assert_eq!(host.stalls, 0);
        assert_eq!(csw_of(&host), (1, 0, 0));
    }

    #[test]
    fn short_data_in_sets_residue_and_stalls_only_on_packet_boundary() {
        // 36 of 96 bytes: the last packet is short, no stall needed.
        let mut host = Host::default();
        host.out
            .push_back(cbw(2, 96, Flow::In, &[0x12, 0, 0, 0, 96, 0]));
        serve_one(&mut host, &mut Fake::new(&[0xAA; 36])).unwrap();
        assert_eq!(host.sent[0].len(), 36);
        assert_eq!(host.stalls, 0);
        assert_eq!(csw_of(&host), (2, 60, 0));
        // 128 of 256 bytes: ends on a packet boundary, so the IN endpoint is stalled.
        let mut host = Host::default();
        host.out
            .push_back(cbw(3, 256, Flow::In, &[0x3C, 6, 0, 0, 0, 0, 0, 1, 0, 0]));
        serve_one(&mut host, &mut Fake::new(&[0x55; 128])).unwrap();
        assert_eq!(host.stalls, 1);
        assert_eq!(csw_of(&host), (3, 128, 0));
    }

    #[test]
    fn check_condition_without_data_stalls_and_fails() {
        let mut host = Host::default();
        host.out
            .push_back(cbw(4, 8, Flow::In, &[0xF1, 6, 0, 0, 0, 0, 0, 0, 8, 0]));
        let mut drive = Fake::new(&[]);
        drive.check = true;
        let s = serve_one(&mut host, &mut drive).unwrap();
        assert_eq!(s.ending, Ending::Csw(CswStatus::Failed));
        assert_eq!(host.sent.len(), 1, "only the CSW");
        assert_eq!(host.stalls, 1);
        assert_eq!(csw_of(&host), (4, 8, 1));
    }

    #[test]
    fn data_out_is_collected_across_transfers() {
        let mut host = Host::default();
        host.out
            .push_back(cbw(5, 6, Flow::Out, &[0x3B, 6, 0, 0, 0, 0, 0, 0, 6, 0]));
        host.out.push_back(vec![1, 2, 3, 4]);
        host.out.push_back(vec![5, 6]);
        let mut drive = Fake::new(&[]);
        serve_one(&mut host, &mut drive).unwrap();
        assert_eq!(drive.received, vec![1, 2, 3, 4, 5, 6]);
        assert_eq!(csw_of(&host), (5, 0, 0));
    }

    #[test]
    fn transport_failure_is_a_phase_error() {
        let mut host = Host::default();
        host.out
            .push_back(cbw(6, 0, Flow::Out, &[0x00, 0, 0, 0, 0, 0]));
        let mut drive = Fake::new(&[]);
        drive.gone = true;
        let s = serve_one(&mut host, &mut drive).unwrap();
        assert_eq!(s.ending, Ending::Csw(CswStatus::PhaseError));
        assert_eq!(csw_of(&host), (6, 0, 2));
    }

    #[test]
    fn power_loss_with_disconnect_sends_nothing() {
        let mut host = Host::default();
        host.out
            .push_back(cbw(7, 512, Flow::In, &[0x3C, 6, 0, 0, 0, 0, 0, 2, 0, 0]));
        let mut drive = Fake::new(&[]);
        drive.gone = true;
        let c = read_cbw(&mut host).unwrap();
        let s = serve_cbw(&mut host, &mut drive, c, PowerLoss::Disconnect).unwrap();
        assert_eq!(s.ending, Ending::PowerLost);
        assert!(host.sent.is_empty(), "no data and no CSW");
        assert_eq!(host.stalls, 0);
    }

    #[test]
    fn invalid_cbw_stalls() {
        let mut host = Host::default();
        host.out.push_back(vec![0u8; 13]);
        assert!(serve_one(&mut host, &mut Fake::new(&[])).is_err());
        assert_eq!(host.stalls, 1);
        assert!(host.sent.is_empty());
    }
}
