//! [`Guard`]: a transport wrapper that refuses, in code and before anything reaches the
//! device, every command its [`Policy`] does not allow. It is how odflash keeps two safety
//! rules true whatever the layers above do (docs/protocol.md §11.1, §11.2; the kernel's own
//! filter is §1.4):
//!
//! - only peripheral type 5 (MMC) devices get anything beyond the identification commands;
//! - the hotplug helper sends only identification commands and READ BUFFER reads;
//! - a workflow running a family's experimental vendor reads sends only identification
//!   commands and the data-in reads that family lists ([`Policy::VendorReads`]), whatever the
//!   code above asks. This layer names no vendor command: the family hands the list in.
//!
//! A refusal is [`TransportError::Refused`]; the inner transport never sees the command.
//! Stack a `trace::Recorder` outside the guard to have refusals in the trace, inside it to
//! trace only what reached the device.

use std::time::Duration;

use super::cdb::opcode;
use super::inquiry::PERIPHERAL_TYPE_MMC;
use super::{Data, Outcome, Transport, TransportError};

/// What a [`Guard`] lets through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// Identification commands always; everything else only once the device is known to be
    /// an MMC device (peripheral qualifier 0, type 5).
    PeripheralType,
    /// Identification commands always, and READ BUFFER once the device is known to be an MMC
    /// device; everything else (WRITE BUFFER, vendor opcodes, ...) never. For the hotplug
    /// helper.
    ReadOnly,
    /// Identification commands always, and once the device is known to be an MMC device the
    /// listed vendor reads ([`VendorRead::admits`]); everything else (READ BUFFER, WRITE
    /// BUFFER, any other vendor CDB, any data out) never. For a family's experimental reads.
    VendorReads(&'static [VendorRead]),
}

/// One vendor read a [`Policy::VendorReads`] guard lets through: a CDB of exactly
/// `pattern.len()` bytes, equal to `pattern` except at the indices in `free` (addresses, bank
/// numbers), with a data-in phase of exactly `data_in` bytes. The family that knows the
/// command defines it; this layer only compares bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VendorRead {
    /// The command in words, for refusals and logs.
    pub name: &'static str,
    /// The CDB with every free byte zero.
    pub pattern: &'static [u8],
    /// CDB byte indices that may hold any value.
    pub free: &'static [usize],
    /// Length of the data-in phase.
    pub data_in: usize,
}

impl VendorRead {
    /// Whether `cdb` with `data` is this read.
    pub fn admits(&self, cdb: &[u8], data: &Data<'_>) -> bool {
        let fixed = cdb.len() == self.pattern.len()
            && cdb
                .iter()
                .zip(self.pattern)
                .enumerate()
                .all(|(i, (got, want))| got == want || self.free.contains(&i));
        fixed && matches!(data, Data::In(buf) if buf.len() == self.data_in)
    }
}

/// The identification commands: read-only, answered from firmware RAM, safe for any device.
const IDENTIFY: [u8; 6] = [
    opcode::INQUIRY,
    opcode::TEST_UNIT_READY,
    opcode::REQUEST_SENSE,
    opcode::GET_CONFIGURATION,
    opcode::MODE_SENSE_6,
    opcode::MODE_SENSE_10,
];

/// Whether `cdb` with `data` only reads: an identification command or READ BUFFER, with no data
/// out (what [`Policy::ReadOnly`] lets through). Anything else may change the drive.
pub fn is_read_only(cdb: &[u8], data: &Data<'_>) -> bool {
    let reads = |op: u8| IDENTIFY.contains(&op) || op == opcode::READ_BUFFER;
    cdb.first().is_some_and(|&op| reads(op)) && !matches!(data, Data::Out(_))
}

/// A transport wrapper enforcing a [`Policy`].
#[derive(Debug)]
pub struct Guard<T: Transport> {
    inner: T,
    policy: Policy,
    /// INQUIRY byte 0 (qualifier and type) once known.
    peripheral: Option<u8>,
}

impl<T: Transport> Guard<T> {
    /// Guard `inner`. The device type is learned from the first standard INQUIRY reply that
    /// passes through, unless given with [`Guard::with_peripheral_type`].
    pub fn new(inner: T, policy: Policy) -> Self {
        Guard {
            inner,
            policy,
            peripheral: None,
        }
    }

    /// Guard `inner` whose peripheral device type is already known (from sysfs `type`).
    /// A type given here is not replaced by INQUIRY replies.
    pub fn with_peripheral_type(inner: T, policy: Policy, peripheral_type: u8) -> Self {
        Guard {
            inner,
            policy,
            peripheral: Some(peripheral_type & 0x1F),
        }
    }

    /// The peripheral device type, once known.
    pub fn peripheral_type(&self) -> Option<u8> {
        self.peripheral.map(|b| b & 0x1F)
    }

    /// The policy in force.
    pub fn policy(&self) -> Policy {
        self.policy
    }

    /// The guarded transport, read-only (sending through it would bypass the guard).
    pub fn inner(&self) -> &T {
        &self.inner
    }

    /// Remove the guard.
    pub fn into_inner(self) -> T {
        self.inner
    }

    /// Why `cdb` with a data phase of `direction` may not be sent, or `None` when it may.
    fn refusal(&self, cdb: &[u8], data: &Data<'_>) -> Option<String> {
        let Some(&op) = cdb.first() else {
            return Some("empty CDB".into());
        };
        if IDENTIFY.contains(&op) {
            // None of the identification commands carries data out.
            return matches!(data, Data::Out(_))
                .then(|| "identification command with a data-out phase".into());
        }
        match self.policy {
            Policy::PeripheralType => {}
            Policy::ReadOnly if op != opcode::READ_BUFFER => {
                return Some(
                    "read-only mode sends only identification commands and READ BUFFER".into(),
                );
            }
            Policy::ReadOnly if matches!(data, Data::Out(_)) => {
                return Some("read-only mode sends no data out".into());
            }
            Policy::ReadOnly => {}
            Policy::VendorReads(reads) if !reads.iter().any(|r| r.admits(cdb, data)) => {
                let names: Vec<&str> = reads.iter().map(|r| r.name).collect();
                return Some(format!(
                    "experimental-reads mode sends only identification commands and these \
                     data-in reads: {}",
                    names.join(", ")
                ));
            }
            Policy::VendorReads(_) => {}
        }
        // ASSUMPTION: a device is MMC only with qualifier 0 (connected) and type 5; a type
        // given from sysfs carries no qualifier and counts as connected.
        match self.peripheral {
            Some(PERIPHERAL_TYPE_MMC) => None,
            Some(byte) => Some(format!(
                "device is peripheral qualifier {}, type {:#04x}: not a connected MMC device (type 5)",
                byte >> 5,
                byte & 0x1F
            )),
            None => Some("device type unknown: send INQUIRY first".into()),
        }
    }

    /// Learn the device type from a GOOD standard INQUIRY reply.
    fn learn(&mut self, cdb: &[u8], reply: &[u8], outcome: &Outcome) {
        let standard_inquiry =
            cdb.first() == Some(&opcode::INQUIRY) && cdb.get(1).is_some_and(|b| b & 0x01 == 0);
        if self.peripheral.is_none() && standard_inquiry && outcome.status == super::status::GOOD {
            if let Some(&byte) = reply.first().filter(|_| outcome.transferred > 0) {
                log::debug!("guard: peripheral byte {byte:#04x} from INQUIRY");
                self.peripheral = Some(byte);
            }
        }
    }
}

impl<T: Transport> Transport for Guard<T> {
    fn execute(
        &mut self,
        cdb: &[u8],
        data: Data<'_>,
        timeout: Duration,
    ) -> Result<Outcome, TransportError> {
        if let Some(reason) = self.refusal(cdb, &data) {
            let opcode = cdb.first().copied().unwrap_or_default();
            log::warn!(
                "refused opcode {opcode:#04x} to {}: {reason}",
                self.inner.describe()
            );
            return Err(TransportError::Refused { opcode, reason });
        }
        match data {
            Data::In(buf) => {
                let outcome = self.inner.execute(cdb, Data::In(&mut *buf), timeout)?;
                self.learn(cdb, buf, &outcome);
                Ok(outcome)
            }
            other => self.inner.execute(cdb, other, timeout),
        }
    }

    fn max_transfer(&self) -> Option<super::TransferLimit> {
        self.inner.max_transfer()
    }

    fn pause(&mut self, duration: Duration) {
        self.inner.pause(duration)
    }

    fn describe(&self) -> String {
        self.inner.describe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cdb;

    /// Test double for the guard only: records every CDB that reaches it and answers GOOD,
    /// filling data-in buffers with `reply` (an INQUIRY byte 0 of `peripheral`).
    struct Inner {
        seen: Vec<Vec<u8>>,
        peripheral: u8,
    }

    impl Transport for Inner {
        fn execute(
            &mut self,
            cdb: &[u8],
            data: Data<'_>,
            _timeout: Duration,
        ) -> Result<Outcome, TransportError> {
            self.seen.push(cdb.to_vec());
            let n = data.len();
            if let Data::In(buf) = data {
                buf.fill(0);
                if let Some(b) = buf.first_mut() {
                    *b = self.peripheral;
                }
            }
            Ok(Outcome::good(n, Duration::ZERO))
        }

        fn describe(&self) -> String {
            "test".into()
        }
    }

    fn guard(policy: Policy, peripheral: u8) -> Guard<Inner> {
        Guard::new(
            Inner {
                seen: Vec::new(),
                peripheral,
            },
            policy,
        )
    }

    fn send(g: &mut Guard<Inner>, cdb: &[u8], data: Data<'_>) -> Result<Outcome, TransportError> {
        g.execute(cdb, data, Duration::from_secs(1))
    }

    fn inquiry(g: &mut Guard<Inner>) {
        let mut buf = [0u8; 36];
        send(g, &cdb::build_inquiry(36), Data::In(&mut buf)).unwrap();
    }

    /// First opcode of group 7, which SPC-4 §4.2.5.1 leaves vendor specific: an opaque
    /// "non-listed opcode" (no real vendor command is named in this layer).
    const VENDOR_OPCODE: u8 = 7 << 5;
    const VENDOR_CDB: [u8; 12] = [VENDOR_OPCODE, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

    fn assert_refused(result: Result<Outcome, TransportError>, expected: u8) {
        match result {
            Err(TransportError::Refused { opcode, .. }) => assert_eq!(opcode, expected),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn unknown_type_allows_only_identification() {
        let mut g = guard(Policy::PeripheralType, 0x05);
        let wb = cdb::build_write_buffer(6, 0, 0, 4);
        assert_refused(send(&mut g, &wb, Data::Out(&[1, 2, 3, 4])), 0x3B);
        let mut buf = [0u8; 32];
        let rb = cdb::build_read_buffer(6, 0, 0x3000, 32);
        assert_refused(send(&mut g, &rb, Data::In(&mut buf)), 0x3C);
        assert!(g.inner().seen.is_empty(), "a refusal reached the device");
        send(&mut g, &cdb::build_test_unit_ready(), Data::None).unwrap();
        let mut sense = [0u8; 18];
        send(&mut g, &cdb::build_request_sense(18), Data::In(&mut sense)).unwrap();
        let mut cfg = [0u8; 28];
        send(
            &mut g,
            &cdb::build_get_configuration(2, 0x010C, 28),
            Data::In(&mut cfg),
        )
        .unwrap();
        let mut ms = [0u8; 128];
        send(
            &mut g,
            &cdb::build_mode_sense_10(0x2A, 128),
            Data::In(&mut ms),
        )
        .unwrap();
        assert_eq!(g.inner().seen.len(), 4);
        assert_eq!(g.peripheral_type(), None);
    }

    #[test]
    fn learns_mmc_from_inquiry_then_allows_everything() {
        let mut g = guard(Policy::PeripheralType, 0x05);
        // A VPD page is not standard data: the type is not learned from it.
        let mut vpd = [0u8; 16];
        send(
            &mut g,
            &cdb::build_inquiry_vpd(0x80, 16),
            Data::In(&mut vpd),
        )
        .unwrap();
        assert_eq!(g.peripheral_type(), None);
        inquiry(&mut g);
        assert_eq!(g.peripheral_type(), Some(5));
        let wb = cdb::build_write_buffer(6, 0, 0, 4);
        send(&mut g, &wb, Data::Out(&[1, 2, 3, 4])).unwrap();
        send(&mut g, &VENDOR_CDB, Data::None).unwrap();
        assert_eq!(g.inner().seen.len(), 4);
    }

    #[test]
    fn non_mmc_device_is_refused_after_inquiry() {
        // Type 0 (disk) and type 5 with qualifier 1 (not connected): both stay identify-only.
        for byte in [0x00, 0x25] {
            let mut g = guard(Policy::PeripheralType, byte);
            inquiry(&mut g);
            let wb = cdb::build_write_buffer(6, 0, 0, 4);
            assert_refused(send(&mut g, &wb, Data::Out(&[0; 4])), 0x3B);
            assert_refused(send(&mut g, &VENDOR_CDB, Data::None), VENDOR_OPCODE);
            assert_eq!(
                g.inner().seen.len(),
                1,
                "only the INQUIRY reached the device"
            );
        }
    }

    #[test]
    fn type_from_sysfs_is_not_overridden() {
        let inner = Inner {
            seen: Vec::new(),
            peripheral: 0x05,
        };
        let mut g = Guard::with_peripheral_type(inner, Policy::PeripheralType, 0x00);
        inquiry(&mut g);
        assert_eq!(g.peripheral_type(), Some(0));
        assert_refused(send(&mut g, &VENDOR_CDB, Data::None), VENDOR_OPCODE);
        let inner = Inner {
            seen: Vec::new(),
            peripheral: 0x00,
        };
        let mut g = Guard::with_peripheral_type(inner, Policy::PeripheralType, 0x05);
        send(&mut g, &VENDOR_CDB, Data::None).unwrap();
    }

    #[test]
    fn read_only_allows_read_buffer_and_refuses_every_write() {
        let mut g = guard(Policy::ReadOnly, 0x05);
        let mut buf = [0u8; 32];
        let rb = cdb::build_read_buffer(6, 0, 0x3000, 32);
        // Before the type is known, even READ BUFFER waits.
        assert_refused(send(&mut g, &rb, Data::In(&mut buf)), 0x3C);
        inquiry(&mut g);
        send(&mut g, &rb, Data::In(&mut buf)).unwrap();
        let wb = cdb::build_write_buffer(6, 0, 0x1F_0000, 4);
        assert_refused(send(&mut g, &wb, Data::Out(&[0; 4])), 0x3B);
        assert_refused(send(&mut g, &VENDOR_CDB, Data::None), VENDOR_OPCODE);
        // A READ BUFFER opcode carrying data out is not a read.
        assert_refused(send(&mut g, &rb, Data::Out(&[0; 32])), 0x3C);
        // Every opcode outside the list, vendor groups included, is refused.
        for op in 0..=u8::MAX {
            if IDENTIFY.contains(&op) || op == opcode::READ_BUFFER {
                continue;
            }
            let mut cdb = [0u8; 10];
            cdb[0] = op;
            assert_refused(send(&mut g, &cdb, Data::None), op);
        }
        let seen: Vec<u8> = g.inner().seen.iter().map(|c| c[0]).collect();
        assert_eq!(seen, [opcode::INQUIRY, opcode::READ_BUFFER]);
    }

    /// An opaque vendor read for [`Policy::VendorReads`]: byte 1 fixed, bytes 7..8 free, 128
    /// bytes in.
    const VENDOR_READ_PATTERN: [u8; 12] = [VENDOR_OPCODE, 0x09, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    static VENDOR_READS: [VendorRead; 1] = [VendorRead {
        name: "the test read",
        pattern: &VENDOR_READ_PATTERN,
        free: &[7, 8],
        data_in: 128,
    }];

    #[test]
    fn vendor_reads_let_through_only_the_listed_reads() {
        let mut g = guard(Policy::VendorReads(&VENDOR_READS), 0x05);
        let mut buf = [0u8; 128];
        let mut read = VENDOR_READ_PATTERN;
        read[7] = 0x03;
        read[8] = 0x80;
        // Before the type is known, even a listed read waits.
        assert_refused(send(&mut g, &read, Data::In(&mut buf)), VENDOR_OPCODE);
        inquiry(&mut g);
        send(&mut g, &read, Data::In(&mut buf)).unwrap();
        send(&mut g, &cdb::build_test_unit_ready(), Data::None).unwrap();
        // The same CDB with data out, no data or another length; a fixed byte changed; a
        // longer CDB: all refused.
        assert_refused(send(&mut g, &read, Data::Out(&[0; 128])), VENDOR_OPCODE);
        assert_refused(send(&mut g, &read, Data::None), VENDOR_OPCODE);
        let mut short = [0u8; 64];
        assert_refused(send(&mut g, &read, Data::In(&mut short)), VENDOR_OPCODE);
        let mut other = read;
        other[1] = 0x84;
        assert_refused(send(&mut g, &other, Data::In(&mut buf)), VENDOR_OPCODE);
        let mut other = read;
        other[9] = 0x01;
        assert_refused(send(&mut g, &other, Data::In(&mut buf)), VENDOR_OPCODE);
        let mut long = [0u8; 16];
        long[..12].copy_from_slice(&read);
        assert_refused(send(&mut g, &long, Data::In(&mut buf)), VENDOR_OPCODE);
        // READ BUFFER and WRITE BUFFER are not in the list either.
        let rb = cdb::build_read_buffer(6, 0, 0, 128);
        assert_refused(send(&mut g, &rb, Data::In(&mut buf)), opcode::READ_BUFFER);
        let wb = cdb::build_write_buffer(6, 0, 0, 4);
        assert_refused(send(&mut g, &wb, Data::Out(&[0; 4])), 0x3B);
        // Every other opcode, whatever its data phase, is refused.
        for op in 0..=u8::MAX {
            if IDENTIFY.contains(&op) || op == VENDOR_OPCODE {
                continue;
            }
            let mut c = [0u8; 12];
            c[0] = op;
            assert_refused(send(&mut g, &c, Data::In(&mut buf)), op);
            assert_refused(send(&mut g, &c, Data::Out(&[0; 128])), op);
        }
        let seen: Vec<u8> = g.inner().seen.iter().map(|c| c[0]).collect();
        assert_eq!(
            seen,
            [opcode::INQUIRY, VENDOR_OPCODE, opcode::TEST_UNIT_READY]
        );
        assert_eq!(g.inner().seen[1], read.to_vec());
    }

    #[test]
    fn a_vendor_read_refusal_names_the_reads_allowed() {
        let mut g = guard(Policy::VendorReads(&VENDOR_READS), 0x05);
        inquiry(&mut g);
        match send(&mut g, &VENDOR_CDB, Data::None) {
            Err(TransportError::Refused { reason, .. }) => {
                assert!(reason.contains("the test read"), "{reason}")
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn identification_with_data_out_and_empty_cdb_are_refused() {
        let mut g = guard(Policy::PeripheralType, 0x05);
        inquiry(&mut g);
        assert_refused(
            send(&mut g, &cdb::build_inquiry(4), Data::Out(&[0; 4])),
            opcode::INQUIRY,
        );
        assert_refused(send(&mut g, &[], Data::None), 0);
        assert_eq!(g.inner().seen.len(), 1);
        assert_eq!(g.policy(), Policy::PeripheralType);
        assert_eq!(g.into_inner().seen.len(), 1);
    }
}
