//! USB Mass Storage Bulk-Only Transport (BOT) reassembly: one device's bulk transfers into SCSI
//! commands.
//!
//! Facts from "Universal Serial Bus Mass Storage Class Bulk-Only Transport", revision 1.0
//! (https://www.usb.org/sites/default/files/usbmassbulk_10.pdf):
//!
//! - §5.1 the Command Block Wrapper, 31 bytes on the bulk OUT endpoint, little-endian:
//!   signature `0x43425355` ("USBC") at 0, tag at 4, data transfer length at 8, flags at 12
//!   (bit 7 set: data in), LUN at 13 (low 4 bits), CDB length at 14 (low 5 bits, 1..=16), the
//!   CDB from 15;
//! - §5.2 the Command Status Wrapper, 13 bytes on the bulk IN endpoint: signature `0x53425355`
//!   ("USBS") at 0, the CBW's tag at 4, data residue at 8, status at 12 (0 passed, 1 failed, 2
//!   phase error);
//! - §5.3 a command is CBW, optional data stage in the CBW's direction, CSW; a device may end
//!   the data stage early by stalling the endpoint (§6.7.2, §6.7.3), after which the host
//!   clears the stall and reads the CSW.
//!
//! The data stage may arrive as several URBs (scatter-gather, a VM's USB pass-through); they
//! are joined. A zero-length or stalled IN transfer before the CSW carries nothing and is
//! skipped, as linux usb-storage retries such a CSW read (`drivers/usb/storage/transport.c`,
//! `usb_stor_Bulk_transport`).

use super::urb::Transfer;
use super::{DeviceAddr, Error, Frame};
use crate::Direction;

/// CBW signature, "USBC" little-endian (BOT §5.1).
const CBW_SIGNATURE: u32 = 0x4342_5355;
/// CBW length (BOT §5.1).
const CBW_LEN: usize = 31;
/// CSW signature, "USBS" little-endian (BOT §5.2).
const CSW_SIGNATURE: u32 = 0x5342_5355;
/// CSW length (BOT §5.2).
const CSW_LEN: usize = 13;
/// CBW flags bit 7: the data stage goes to the host (BOT §5.1).
const FLAG_DATA_IN: u8 = 0x80;
/// CSW status "phase error" (BOT §5.2, table 5.3).
const STATUS_PHASE_ERROR: u8 = 2;
/// The UAS command IU's ID (USB Attached SCSI, T10 UAS-2 §6.2.2): what the first bulk OUT
/// transfer of a UAS device starts with.
const UAS_COMMAND_IU: u8 = 0x01;

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum End {
    /// A CSW with this status (0 passed, 1 failed) and data residue.
    Status {
        /// CSW status.
        status: u8,
        /// CSW data residue.
        residue: u32,
    },
    /// A CSW with status 2, phase error: the host resets the device.
    PhaseError,
    /// No CSW before the next CBW: the host gave up on the command (a reset recovery).
    NoStatus,
}

/// One reassembled command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Command {
    /// Where its CBW is.
    pub frame: Frame,
    /// The logical unit.
    pub lun: u8,
    /// The CDB (the CBW's first `bCBWCBLength` CDB bytes).
    pub cdb: Vec<u8>,
    /// The data stage's direction (none when the CBW asks for no data).
    pub direction: Direction,
    /// The CBW's data transfer length.
    pub requested: u32,
    /// The data stage's bytes as far as the capture holds them.
    pub data: Vec<u8>,
    /// True when `data` holds every byte that moved.
    pub data_whole: bool,
    /// Bytes that moved in the data stage.
    pub moved: u32,
    /// How it ended.
    pub end: End,
    /// When its CBW was submitted.
    pub start_us: u64,
    /// When its CSW completed.
    pub end_us: u64,
}

impl Command {
    /// The bytes the host counts as moved: the request less the larger of what the bus fell
    /// short by and the CSW's residue, as linux usb-storage sets the residual SG_IO reports
    /// (`transport.c`, `usb_stor_Bulk_transport`: `max(scsi_get_resid(srb), residue)`).
    pub fn transferred(&self) -> usize {
        let residue = match self.end {
            End::Status { residue, .. } => residue,
            End::PhaseError | End::NoStatus => 0,
        };
        let short = self.requested.saturating_sub(self.moved);
        self.requested.saturating_sub(short.max(residue)) as usize
    }
}

/// A device's commands and what was left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reassembled {
    /// Every command, in order.
    pub commands: Vec<Command>,
    /// Bulk transfers before the first CBW.
    pub skipped: usize,
    /// True when the capture ends inside a command (it is not in `commands`).
    pub cut_at_end: bool,
}

impl Reassembled {
    /// The commands of each logical unit, LUNs ascending; what was left out goes with the
    /// first.
    pub fn split_luns(self) -> Vec<(u8, Reassembled)> {
        let mut luns: Vec<u8> = self.commands.iter().map(|c| c.lun).collect();
        luns.sort_unstable();
        luns.dedup();
        let mut commands = self.commands;
        let mut out = Vec::new();
        for (i, lun) in luns.into_iter().enumerate() {
            let (mine, rest) = commands.into_iter().partition(|c| c.lun == lun);
            commands = rest;
            let first = i == 0;
            out.push((
                lun,
                Reassembled {
                    commands: mine,
                    skipped: if first { self.skipped } else { 0 },
                    cut_at_end: first && self.cut_at_end,
                },
            ));
        }
        out
    }
}

/// A parsed CBW.
struct Cbw {
    tag: u32,
    length: u32,
    direction_in: bool,
    lun: u8,
    cdb: Vec<u8>,
}

fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// A CBW, when `t` is one; a CBW with a bad CDB length is an error.
fn cbw_of(device: DeviceAddr, t: &Transfer) -> Result<Option<Cbw>, Error> {
    if !t.whole || t.data.len() != CBW_LEN || le32(&t.data, 0) != CBW_SIGNATURE {
        return Ok(None);
    }
    let cb_len = usize::from(t.data[14] & 0x1F);
    if !(1..=16).contains(&cb_len) {
        return Err(Error::Bot {
            frame: t.frame,
            device,
            detail: format!("CBW with a CDB length of {cb_len} (BOT allows 1 to 16)"),
        });
    }
    Ok(Some(Cbw {
        tag: le32(&t.data, 4),
        length: le32(&t.data, 8),
        direction_in: t.data[12] & FLAG_DATA_IN != 0,
        lun: t.data[13] & 0x0F,
        cdb: t.data[15..15 + cb_len].to_vec(),
    }))
}

/// A CSW's (tag, residue, status), when `t` is one.
fn csw_of(t: &Transfer) -> Option<(u32, u32, u8)> {
    (t.whole && t.data.len() == CSW_LEN && le32(&t.data, 0) == CSW_SIGNATURE)
        .then(|| (le32(&t.data, 4), le32(&t.data, 8), t.data[12]))
}

/// A command between its CBW and its CSW.
struct Pending {
    tag: u32,
    command: Command,
}

impl Pending {
    fn new(cbw: Cbw, t: &Transfer) -> Pending {
        let direction = match (cbw.length, cbw.direction_in) {
            (0, _) => Direction::None,
            (_, true) => Direction::In,
            (_, false) => Direction::Out,
        };
        Pending {
            tag: cbw.tag,
            command: Command {
                frame: t.frame,
                lun: cbw.lun,
                cdb: cbw.cdb,
                direction,
                requested: cbw.length,
                data: Vec::new(),
                data_whole: true,
                moved: 0,
                end: End::NoStatus,
                start_us: t.start_us,
                end_us: t.end_us,
            },
        }
    }

    fn add(&mut self, t: &Transfer) {
        let c = &mut self.command;
        c.data.extend_from_slice(&t.data);
        c.data_whole &= t.whole;
        c.moved = c.moved.saturating_add(t.actual);
        c.end_us = t.end_us;
    }

    fn finish(mut self, end: End, end_us: u64) -> Command {
        self.command.end = end;
        self.command.end_us = self.command.end_us.max(end_us);
        self.command
    }

    /// True when an IN transfer belongs to this command's data stage.
    fn takes_in(&self) -> bool {
        self.command.direction == Direction::In
    }
}

/// Reassemble one device's bulk transfers (in completion order).
pub(crate) fn reassemble(
    device: DeviceAddr,
    transfers: &[&Transfer],
) -> Result<Reassembled, Error> {
    let bot = |frame: Frame, detail: String| Error::Bot {
        frame,
        device,
        detail,
    };
    let mut commands = Vec::new();
    let mut pending: Option<Pending> = None;
    let mut skipped = 0;
    let mut seen_cbw = false;
    for &t in transfers {
        if !t.is_in() {
            if let Some(cbw) = cbw_of(device, t)? {
                if let Some(p) = pending.take() {
                    commands.push(p.finish(End::NoStatus, t.start_us));
                }
                pending = Some(Pending::new(cbw, t));
                seen_cbw = true;
                continue;
            }
            match &mut pending {
                Some(p) if p.command.direction == Direction::Out => p.add(t),
                _ if !seen_cbw => skipped += 1,
                Some(p) => {
                    return Err(bot(
                        t.frame,
                        format!(
                            "{} bytes of bulk OUT data for a command with no data-out stage \
                             (CBW at {})",
                            t.actual, p.command.frame
                        ),
                    ))
                }
                None => {
                    return Err(bot(
                        t.frame,
                        format!(
                            "a bulk OUT transfer of {} bytes where a CBW was expected",
                            t.actual
                        ),
                    ))
                }
            }
            continue;
        }
        let csw = csw_of(t);
        match pending.take() {
            Some(p) if csw.is_some_and(|(tag, ..)| tag == p.tag) => {
                let (_, residue, status) = csw.unwrap_or_default();
                let end = match status {
                    0 | 1 => End::Status { status, residue },
                    STATUS_PHASE_ERROR => End::PhaseError,
                    other => {
                        return Err(bot(
                            t.frame,
                            format!("CSW status {other} (BOT defines 0, 1 and 2)"),
                        ))
                    }
                };
                commands.push(p.finish(end, t.end_us));
            }
            Some(mut p) if p.takes_in() => {
                p.add(t);
                pending = Some(p);
            }
            Some(p) if t.actual == 0 => pending = Some(p),
            Some(p) => {
                let what = match csw {
                    Some((tag, ..)) => format!(
                        "a CSW with tag {tag:#010x} answers the command of tag {:#010x} (CBW at \
                         {})",
                        p.tag, p.command.frame
                    ),
                    None => format!(
                        "{} bytes of bulk IN data for a command with no data-in stage (CBW at \
                         {})",
                        t.actual, p.command.frame
                    ),
                };
                return Err(bot(t.frame, what));
            }
            None if !seen_cbw => skipped += 1,
            None if t.actual == 0 => {}
            None => {
                return Err(bot(
                    t.frame,
                    format!("{} bytes of bulk IN data with no command pending", t.actual),
                ))
            }
        }
    }
    if !seen_cbw {
        let first = transfers.first().map_or(Frame::FileHeader, |t| t.frame);
        return Err(Error::NotBot {
            device,
            frame: first,
            detail: not_bot_detail(transfers),
        });
    }
    Ok(Reassembled {
        commands,
        skipped,
        cut_at_end: pending.is_some(),
    })
}

/// What a device's bulk traffic looks like when it holds no CBW.
fn not_bot_detail(transfers: &[&Transfer]) -> String {
    match transfers.iter().find(|t| !t.is_in()) {
        None => "it has bulk IN transfers only".into(),
        Some(t) if t.data.first() == Some(&UAS_COMMAND_IU) && t.data.len() >= 16 => format!(
            "its first bulk OUT transfer ({} bytes) looks like a USB Attached SCSI (UAS) \
             command IU; odflash reassembles Bulk-Only traffic only: capture with the drive \
             on a USB 2 port or with the uas driver blacklisted (usb-storage.quirks=VID:PID:u)",
            t.actual
        ),
        Some(t) => format!(
            "its first bulk OUT transfer ({} bytes) is no CBW (31 bytes, signature \"USBC\")",
            t.actual
        ),
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::super::urb::{TransferType, Way};
    use super::*;

    const DEV: DeviceAddr = DeviceAddr { bus: 1, device: 5 };

    fn transfer(way: Way, data: &[u8], actual: u32, frame: usize) -> Transfer {
        Transfer {
            frame: Frame::Packet(frame),
            transfer: TransferType::Bulk,
            device: DEV,
            way,
            status: 0,
            actual,
            data: data.to_vec(),
            whole: data.len() >= actual as usize,
            start_us: frame as u64 * 100,
            end_us: frame as u64 * 100 + 50,
        }
    }

    pub(crate) fn cbw(tag: u32, length: u32, data_in: bool, cdb: &[u8]) -> Vec<u8> {
        let mut b = vec![0u8; CBW_LEN];
        b[..4].copy_from_slice(&CBW_SIGNATURE.to_le_bytes());
        b[4..8].copy_from_slice(&tag.to_le_bytes());
        b[8..12].copy_from_slice(&length.to_le_bytes());
        b[12] = if data_in { FLAG_DATA_IN } else { 0 };
        b[14] = cdb.len() as u8;
        b[15..15 + cdb.len()].copy_from_slice(cdb);
        b
    }

    pub(crate) fn csw(tag: u32, residue: u32, status: u8) -> Vec<u8> {
        let mut b = vec![0u8; CSW_LEN];
        b[..4].copy_from_slice(&CSW_SIGNATURE.to_le_bytes());
        b[4..8].copy_from_slice(&tag.to_le_bytes());
        b[8..12].copy_from_slice(&residue.to_le_bytes());
        b[12] = status;
        b
    }

    fn run(ts: &[Transfer]) -> Result<Reassembled, Error> {
        let refs: Vec<&Transfer> = ts.iter().collect();
        reassemble(DEV, &refs)
    }

    #[test]
    fn a_data_in_command_in_two_pieces_with_a_residue() {
        let inquiry = [0x12, 0, 0, 0, 0x60, 0];
        let r = run(&[
            transfer(Way::Out, &cbw(9, 96, true, &inquiry), 31, 1),
            transfer(Way::In, &[1, 2, 3], 3, 2),
            transfer(Way::In, &[4], 1, 3),
            transfer(Way::In, &csw(9, 92, 0), 13, 4),
        ])
        .unwrap();
        let c = &r.commands[0];
        assert_eq!(
            (c.cdb.as_slice(), c.direction),
            (&inquiry[..], Direction::In)
        );
        assert_eq!((c.requested, c.moved, c.transferred()), (96, 4, 4));
        assert_eq!(c.data, [1, 2, 3, 4]);
        assert_eq!(
            c.end,
            End::Status {
                status: 0,
                residue: 92
            }
        );
        assert_eq!(
            (c.start_us, c.end_us, c.frame),
            (100, 450, Frame::Packet(1))
        );
        assert_eq!((r.skipped, r.cut_at_end), (0, false));
    }

    #[test]
    fn a_stalled_data_stage_then_a_failed_csw() {
        let r = run(&[
            transfer(
                Way::Out,
                &cbw(1, 16, true, &[0x3C, 6, 0, 0, 0x30, 0, 0, 0, 0x10, 0]),
                31,
                1,
            ),
            Transfer {
                status: -32,
                ..transfer(Way::In, &[], 0, 2)
            },
            transfer(Way::In, &csw(1, 16, 1), 13, 3),
        ])
        .unwrap();
        let c = &r.commands[0];
        assert_eq!(
            (c.transferred(), c.end),
            (
                0,
                End::Status {
                    status: 1,
                    residue: 16
                }
            )
        );
    }

    #[test]
    fn data_out_a_phase_error_and_a_command_the_host_gave_up() {
        let wb = [0x3B, 6, 0, 0, 0, 0, 0, 0, 4, 0];
        let r = run(&[
            transfer(Way::In, &[0xAA; 8], 8, 1),
            transfer(Way::Out, &cbw(1, 4, false, &wb), 31, 2),
            transfer(Way::Out, &[1, 2, 3, 4], 4, 3),
            transfer(Way::In, &csw(1, 0, 2), 13, 4),
            transfer(Way::Out, &cbw(2, 0, false, &[0; 6]), 31, 5),
            transfer(Way::Out, &cbw(3, 0, false, &[0; 6]), 31, 6),
            transfer(Way::In, &csw(3, 0, 0), 13, 7),
            transfer(Way::Out, &cbw(4, 0, false, &[0; 6]), 31, 8),
        ])
        .unwrap();
        assert_eq!(r.skipped, 1, "the IN transfer before the first CBW");
        assert!(r.cut_at_end);
        let ends: Vec<End> = r.commands.iter().map(|c| c.end).collect();
        assert_eq!(
            ends,
            [
                End::PhaseError,
                End::NoStatus,
                End::Status {
                    status: 0,
                    residue: 0
                }
            ]
        );
        assert_eq!(r.commands[0].data, [1, 2, 3, 4]);
        assert_eq!(r.commands[1].direction, Direction::None);
    }

    #[test]
    fn broken_bot_names_the_frame() {
        let tur = cbw(1, 0, false, &[0; 6]);
        let cases: Vec<(Vec<Transfer>, &str)> = vec![
            (
                vec![
                    transfer(Way::Out, &tur, 31, 1),
                    transfer(Way::In, &csw(7, 0, 0), 13, 2),
                ],
                "a CSW with tag 0x00000007 answers the command of tag 0x00000001",
            ),
            (
                vec![
                    transfer(Way::Out, &tur, 31, 1),
                    transfer(Way::In, &csw(1, 0, 0), 13, 2),
                    transfer(Way::Out, &[0; 8], 8, 3),
                ],
                "where a CBW was expected",
            ),
            (
                vec![
                    transfer(Way::Out, &tur, 31, 1),
                    transfer(Way::In, &csw(1, 0, 9), 13, 2),
                ],
                "CSW status 9",
            ),
            (
                vec![
                    transfer(Way::Out, &tur, 31, 1),
                    transfer(Way::Out, &[1; 4], 4, 2),
                ],
                "no data-out stage",
            ),
            (
                vec![
                    transfer(Way::Out, &tur, 31, 1),
                    transfer(Way::In, &[1; 4], 4, 2),
                ],
                "no data-in stage",
            ),
        ];
        for (ts, want) in cases {
            match run(&ts) {
                Err(Error::Bot { frame, detail, .. }) => {
                    assert_eq!(frame, Frame::Packet(ts.len().min(3)), "{want}");
                    assert!(detail.contains(want), "{detail}");
                }
                other => panic!("{want}: unexpected {other:?}"),
            }
        }
        let mut bad = tur.clone();
        bad[14] = 17;
        assert!(matches!(
            run(&[transfer(Way::Out, &bad, 31, 1)]),
            Err(Error::Bot { detail, .. }) if detail.contains("CDB length of 17")
        ));
    }

    #[test]
    fn traffic_without_a_cbw_is_not_bot() {
        let mut uas = vec![0u8; 32];
        uas[0] = UAS_COMMAND_IU;
        match run(&[transfer(Way::Out, &uas, 32, 4)]) {
            Err(Error::NotBot { frame, detail, .. }) => {
                assert_eq!(frame, Frame::Packet(4));
                assert!(detail.contains("USB Attached SCSI"), "{detail}");
            }
            other => panic!("unexpected {other:?}"),
        }
        match run(&[transfer(Way::In, &[0; 64], 64, 1)]) {
            Err(Error::NotBot { detail, .. }) => assert!(detail.contains("IN transfers only")),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn luns_are_split() {
        let mut other = cbw(2, 0, false, &[0; 6]);
        other[13] = 1;
        let r = run(&[
            transfer(Way::Out, &cbw(1, 0, false, &[0; 6]), 31, 1),
            transfer(Way::In, &csw(1, 0, 0), 13, 2),
            transfer(Way::Out, &other, 31, 3),
            transfer(Way::In, &csw(2, 0, 0), 13, 4),
        ])
        .unwrap();
        let split = r.split_luns();
        assert_eq!(split.len(), 2);
        assert_eq!((split[0].0, split[1].0), (0, 1));
        assert_eq!(split[1].1.commands[0].frame, Frame::Packet(3));
    }
}
