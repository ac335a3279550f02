//! Test support: a transport that answers a fixed script of expected commands, so unit tests
//! can assert the exact CDB sequence and drive error paths before (and besides) the emulator.
//! An unexpected command fails the test; it is never answered with zeros.

use std::collections::VecDeque;
use std::time::Duration;

use crate::scsi::inquiry::Inquiry;
use crate::scsi::{Data, Outcome, Sense, SenseKey, Transport, TransportError};

/// How the scripted device answers one command.
#[derive(Debug, Clone)]
pub enum Reply {
    /// GOOD, with these bytes for a data-in command.
    Good(Vec<u8>),
    /// GOOD, but only the first this many bytes of the data phase move.
    Short(usize),
    /// CHECK CONDITION with this sense.
    Check(SenseKey, u8, u8),
    /// The command times out.
    Timeout,
}

/// A scripted transport.
#[derive(Debug, Default)]
pub struct Script {
    steps: VecDeque<(Vec<u8>, Reply)>,
    log: Vec<Vec<u8>>,
    written: Vec<Vec<u8>>,
    pauses: usize,
}

impl Script {
    /// A script of `(expected CDB, reply)` steps.
    pub fn new(steps: Vec<(Vec<u8>, Reply)>) -> Script {
        Script {
            steps: steps.into(),
            ..Script::default()
        }
    }

    /// Every CDB executed, in order.
    pub fn log(&self) -> &[Vec<u8>] {
        &self.log
    }

    /// The data-out payloads, in order.
    pub fn written(&self) -> &[Vec<u8>] {
        &self.written
    }

    /// How many pauses were asked for.
    pub fn pauses(&self) -> usize {
        self.pauses
    }

    /// True when every scripted step ran.
    pub fn done(&self) -> bool {
        self.steps.is_empty()
    }
}

impl Transport for Script {
    fn execute(
        &mut self,
        cdb: &[u8],
        data: Data<'_>,
        timeout: Duration,
    ) -> Result<Outcome, TransportError> {
        self.log.push(cdb.to_vec());
        let (expected, reply) = self
            .steps
            .pop_front()
            .unwrap_or_else(|| panic!("unscripted command {}", hex::encode(cdb)));
        assert_eq!(
            hex::encode(cdb),
            hex::encode(&expected),
            "command {} out of script",
            self.log.len()
        );
        let tick = Duration::from_millis(1);
        match reply {
            Reply::Good(bytes) => {
                let moved = match data {
                    Data::In(buf) => {
                        let n = bytes.len().min(buf.len());
                        buf[..n].copy_from_slice(&bytes[..n]);
                        n
                    }
                    Data::Out(out) => {
                        self.written.push(out.to_vec());
                        out.len()
                    }
                    Data::None => 0,
                };
                Ok(Outcome::good(moved, tick))
            }
            Reply::Short(moved) => {
                if let Data::Out(out) = data {
                    self.written.push(out[..moved.min(out.len())].to_vec());
                }
                Ok(Outcome::good(moved, tick))
            }
            Reply::Check(key, asc, ascq) => Ok(Outcome::check_condition(
                Sense::new(key, asc, ascq).to_fixed().to_vec(),
                0,
                tick,
            )),
            Reply::Timeout => Err(TransportError::Timeout(timeout)),
        }
    }

    fn pause(&mut self, _duration: Duration) {
        self.pauses += 1;
    }

    fn describe(&self) -> String {
        "script".to_string()
    }
}

/// A type-5 INQUIRY with these strings.
pub fn inquiry(vendor: &str, product: &str, revision: &str) -> Inquiry {
    Inquiry {
        peripheral_qualifier: 0,
        peripheral_type: 5,
        removable: true,
        version: 0,
        vendor: vendor.into(),
        product: product.into(),
        revision: revision.into(),
        vendor_specific: String::new(),
        raw: Vec::new(),
    }
}
