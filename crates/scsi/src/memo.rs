//! [`Memo`]: a transport wrapper that answers a repeated identification read from the first
//! reply. One identification asks the same INQUIRY, GET CONFIGURATION and READ BUFFER more than
//! once (the caller, each family's probe and state check, the raw answers a backup records);
//! each is a bus round trip on a real drive, and within one identification, which writes
//! nothing, the answer cannot change.
//!
//! Only GOOD data-in replies of those three are kept, keyed by the whole CDB and the
//! allocation length; everything else passes through untouched.
//!
//! What an identification kept ([`Memo::into_replies`]) can answer the same reads once more in
//! a read-only sweep right after it ([`Memo::answering`]: a dump or a backup reads the windows
//! the identification read, the same commands), which keeps nothing new. The caller guarantees
//! nothing was written in between: answers kept before a write are never used after it.

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

/// The replies one identification kept.
#[derive(Default)]
pub struct Replies {
    kept: Vec<Kept>,
}

impl std::fmt::Debug for Replies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Replies({} kept)", self.kept.len())
    }
}

/// Where a [`Memo`]'s answers live.
enum Store<'a> {
    /// Its own, growing with every new reply (one identification).
    Keeping(Replies),
    /// An earlier identification's, answered from and never added to (a sweep after it).
    Answering(&'a Replies),
}

impl Store<'_> {
    fn kept(&self) -> &[Kept] {
        match self {
            Store::Keeping(r) => &r.kept,
            Store::Answering(r) => &r.kept,
        }
    }
}

/// A transport that answers repeated identification reads from memory.
pub struct Memo<'a> {
    inner: &'a mut dyn Transport,
    store: Store<'a>,
    answered: usize,
}

impl<'a> Memo<'a> {
    /// Wrap `inner` for one identification.
    pub fn new(inner: &'a mut dyn Transport) -> Memo<'a> {
        Memo {
            inner,
            store: Store::Keeping(Replies::default()),
            answered: 0,
        }
    }

    /// Wrap `inner` for a read-only sweep right after the identification that kept `replies`:
    /// the same reads are answered from them, every other command is sent, nothing is kept.
    pub fn answering(inner: &'a mut dyn Transport, replies: &'a Replies) -> Memo<'a> {
        Memo {
            inner,
            store: Store::Answering(replies),
            answered: 0,
        }
    }

    /// How many commands were answered from memory instead of being sent.
    pub fn answered(&self) -> usize {
        self.answered
    }

    /// What this identification kept (nothing, for a memo that was only answering).
    pub fn into_replies(self) -> Replies {
        match self.store {
            Store::Keeping(replies) => replies,
            Store::Answering(_) => Replies::default(),
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
            .store
            .kept()
            .iter()
            .find(|k| k.cdb == cdb && k.requested == buf.len())
        {
            buf[..k.data.len()].copy_from_slice(&k.data);
            self.answered += 1;
            log::trace!("answered {} from the first reply", hex::encode(cdb));
            return Ok(Outcome {
                duration: Duration::ZERO,
                ..k.outcome.clone()
            });
        }
        let requested = buf.len();
        let outcome = self.inner.execute(cdb, Data::In(buf), timeout)?;
        if let (Store::Keeping(replies), super::status::GOOD) = (&mut self.store, outcome.status) {
            replies.kept.push(Kept {
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
        let replies = memo.into_replies();
        assert_eq!(inner.0, 4, "one INQUIRY per allocation length, every TUR");

        // A sweep after it answers the same reads from them and keeps nothing new.
        let mut sweep = Memo::answering(&mut inner, &replies);
        let mut again = [0u8; 36];
        sweep
            .execute(&build_inquiry(36), Data::In(&mut again), Duration::ZERO)
            .unwrap();
        assert_eq!(again, a);
        assert_eq!(sweep.answered(), 1);
        let mut other = [0u8; 40];
        for _ in 0..2 {
            sweep
                .execute(&build_inquiry(40), Data::In(&mut other), Duration::ZERO)
                .unwrap();
        }
        assert_eq!(sweep.into_replies().kept.len(), 0);
        assert_eq!(
            inner.0, 6,
            "a read the identification did not make is sent each time"
        );
    }
}
