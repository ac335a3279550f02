//! [`Memo`]: a transport wrapper that answers a repeated identification read from the first
//! reply. One identification asks the same INQUIRY, GET CONFIGURATION and READ BUFFER more than
//! once (the caller, each family's probe and state check, the raw answers a backup records);
//! each is a bus round trip on a real drive, and within one identification, which writes
//! nothing, the answer cannot change.
//!
//! Only GOOD data-in replies of those three are kept, keyed by the whole CDB and the
//! allocation length; everything else passes through untouched.

use std::time::Duration;

use super::cdb::opcode;
use super::{Data, Outcome, TransferLimit, Transport, TransportError};

/// One kept reply.
struct Kept {
    cdb: Vec<u8>,
    requested: usize,
    outcome: Outcome,
    data: Vec<u8>,
}

/// A transport that answers repeated identification reads from memory.
pub struct Memo<'a> {
    inner: &'a mut dyn Transport,
    kept: Vec<Kept>,
}

impl<'a> Memo<'a> {
    /// Wrap `inner` for one identification.
    pub fn new(inner: &'a mut dyn Transport) -> Memo<'a> {
        Memo {
            inner,
            kept: Vec::new(),
        }
    }
}

/// Whether `cdb`'s reply may be kept.
fn keepable(cdb: &[u8]) -> bool {
    matches!(
        cdb.first(),
        Some(&opcode::INQUIRY) | Some(&opcode::GET_CONFIGURATION) | Some(&opcode::READ_BUFFER)
    )
}

impl Transport for Memo<'_> {
    fn execute(
        &mut self,
        cdb: &[u8],
        data: Data<'_>,
        timeout: Duration,
    ) -> Result<Outcome, TransportError> {
        let Data::In(buf) = data else {
            return self.inner.execute(cdb, data, timeout);
        };
        if !keepable(cdb) {
            return self.inner.execute(cdb, Data::In(buf), timeout);
        }
        if let Some(k) = self
            .kept
            .iter()
            .find(|k| k.cdb == cdb && k.requested == buf.len())
        {
            buf[..k.data.len()].copy_from_slice(&k.data);
            log::trace!("answered {} from the first reply", hex::encode(cdb));
            return Ok(Outcome {
                duration: Duration::ZERO,
                ..k.outcome.clone()
            });
        }
        let requested = buf.len();
        let outcome = self.inner.execute(cdb, Data::In(buf), timeout)?;
        if outcome.status == super::status::GOOD {
            self.kept.push(Kept {
                cdb: cdb.to_vec(),
                requested,
                data: buf[..outcome.transferred.min(requested)].to_vec(),
                outcome: outcome.clone(),
            });
        }
        Ok(outcome)
    }

    fn max_transfer(&self) -> Option<TransferLimit> {
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
    use crate::cdb::{build_inquiry, build_test_unit_ready};

    /// Counts commands and answers INQUIRY with a counter byte.
    struct Counting(u8);

    impl Transport for Counting {
        fn execute(
            &mut self,
            _cdb: &[u8],
            data: Data<'_>,
            _timeout: Duration,
        ) -> Result<Outcome, TransportError> {
            self.0 += 1;
            if let Data::In(buf) = data {
                buf.fill(self.0);
                return Ok(Outcome::good(buf.len(), Duration::ZERO));
            }
            Ok(Outcome::good(0, Duration::ZERO))
        }
        fn describe(&self) -> String {
            "counting".into()
        }
    }

    #[test]
    fn a_repeated_inquiry_is_answered_once_and_other_commands_pass() {
        let mut inner = Counting(0);
        let mut memo = Memo::new(&mut inner);
        let mut a = [0u8; 36];
        let mut b = [0u8; 36];
        memo.execute(&build_inquiry(36), Data::In(&mut a), Duration::ZERO)
            .unwrap();
        memo.execute(&build_inquiry(36), Data::In(&mut b), Duration::ZERO)
            .unwrap();
        assert_eq!(a, b);
        let mut longer = [0u8; 96];
        memo.execute(&build_inquiry(96), Data::In(&mut longer), Duration::ZERO)
            .unwrap();
        memo.execute(&build_test_unit_ready(), Data::None, Duration::ZERO)
            .unwrap();
        memo.execute(&build_test_unit_ready(), Data::None, Duration::ZERO)
            .unwrap();
        drop(memo);
        assert_eq!(inner.0, 4, "one INQUIRY per allocation length, every TUR");
    }
}
