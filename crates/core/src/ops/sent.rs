//! What this process has sent that can change a drive: every command but the read-only ones
//! ([`guard::is_read_only`]), remembered process-wide so that a panic report can say what the
//! drive heard and what to run next (a drive left in download mode must never go unannounced).
//!
//! Owns [`Watch`], the transport wrapper every device opened through `ops::open` gets, and
//! [`last_change`]. It decides nothing and sends nothing of its own.

use std::sync::Mutex;
use std::time::Duration;

use crate::scsi::guard;
use crate::scsi::{Data, Outcome, TransferLimit, Transport, TransportError};

/// Commands that can change a drive, sent to one device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changes {
    /// The DEVICE argument the drive was opened by.
    pub device: String,
    /// How many such commands were sent to it.
    pub count: u64,
    /// The CDB of the last one.
    pub last_cdb: Vec<u8>,
}

/// The latest device written to in this process.
static LAST: Mutex<Option<Changes>> = Mutex::new(None);

/// The commands that can change a drive sent so far in this process (the latest device's), or
/// `None` when only read-only commands went out. Never blocks: a panic report calls it, possibly
/// from the thread that holds the lock (it then reports nothing rather than hang).
pub fn last_change() -> Option<Changes> {
    match LAST.try_lock() {
        Ok(guard) => guard.clone(),
        Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner().clone(),
        Err(std::sync::TryLockError::WouldBlock) => None,
    }
}

fn record(device: &str, cdb: &[u8]) {
    let mut last = LAST.lock().unwrap_or_else(|p| p.into_inner());
    match last.as_mut() {
        Some(c) if c.device == device => {
            c.count = c.count.saturating_add(1);
            c.last_cdb = cdb.to_vec();
        }
        _ => {
            *last = Some(Changes {
                device: device.to_string(),
                count: 1,
                last_cdb: cdb.to_vec(),
            })
        }
    }
}

/// Passes every command on unchanged, noting those that can change the drive before they go.
#[derive(Debug)]
pub struct Watch<T: Transport> {
    inner: T,
    device: String,
}

impl<T: Transport> Watch<T> {
    /// Watch `inner`, the drive opened as `device`.
    pub fn new(inner: T, device: &str) -> Self {
        Watch {
            inner,
            device: device.to_string(),
        }
    }
}

impl<T: Transport> Transport for Watch<T> {
    fn execute(
        &mut self,
        cdb: &[u8],
        data: Data<'_>,
        timeout: Duration,
    ) -> Result<Outcome, TransportError> {
        if !guard::is_read_only(cdb, &data) {
            record(&self.device, cdb);
        }
        self.inner.execute(cdb, data, timeout)
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
    use crate::scsi::cdb::opcode;
    use crate::scsi::replay::Replay;
    use crate::scsi::trace::parse_trace;

    #[test]
    fn only_commands_that_can_change_the_drive_are_noted() {
        let tur = vec![opcode::TEST_UNIT_READY, 0, 0, 0, 0, 0];
        let write = vec![opcode::WRITE_BUFFER, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        let line = |cdb: &[u8]| {
            format!(
                "{{\"cdb\":\"{}\",\"direction\":\"none\",\"requested\":0}}\n",
                hex::encode(cdb)
            )
        };
        let text = [line(&tur), line(&write), line(&tur)].concat();
        let replay = Replay::new(parse_trace(&text).unwrap(), "t");
        let device = "emu:watch-test";
        let mut t = Watch::new(replay, device);
        let second = Duration::from_secs(1);
        t.execute(&tur, Data::None, second).unwrap();
        assert!(!matches!(last_change(), Some(c) if c.device == device));
        t.execute(&write, Data::None, second).unwrap();
        t.execute(&tur, Data::None, second).unwrap();
        let c = last_change().unwrap();
        assert_eq!((c.device.as_str(), c.count), (device, 1));
        assert_eq!(c.last_cdb, write);
    }
}
