//! The DVD-era LiteOn/Sony writer model (`SONY DVD RW DRU-710A`, `LITE-ON DVDRW SOHW-1633S`):
//! identify-only. It answers standard MMC identification and readiness; its vendor flash and
//! EEPROM commands are not public (docs/protocol.md §5.8), so every vendor opcode and READ/WRITE
//! BUFFER is rejected with ILLEGAL REQUEST 05/20/00.

use serde::{Deserialize, Serialize};

use std::time::Duration;

use super::mmc::{self, InquiryTail, Presentation, Reply};
use super::model::Behaviour;
use super::spec::Spec;
use crate::scsi::cdb::{self, opcode};

/// MMC profiles of a DVD±RW writer: DVD+R DL, DVD+R, DVD+RW, DVD-RW, DVD-R, DVD-ROM, CD-RW,
/// CD-R, CD-ROM.
const DVD_PROFILES: &[u16] = &[0x2B, 0x1B, 0x1A, 0x14, 0x11, 0x10, 0x0A, 0x09, 0x08];

/// The DVD drive's state: only its identity (it has no modelled flash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Dvd {
    pub vendor: String,
    pub model: String,
    pub revision: String,
    pub serial: String,
}

impl Dvd {
    /// A drive with the spec's identity.
    pub(crate) fn new(spec: &Spec) -> Dvd {
        Dvd {
            vendor: spec.vendor().to_string(),
            model: spec.model().to_string(),
            revision: spec.revision().to_string(),
            serial: spec.serial().to_string(),
        }
    }

    fn presentation(&self) -> Presentation {
        Presentation {
            vendor: self.vendor.clone(),
            product: self.model.clone(),
            revision: self.revision.clone(),
            // ASSUMPTION: a 2004-era drive predates features 0x0108/0x010C (MMC-5); GET
            // CONFIGURATION for them returns the header only, and the INQUIRY date is blank.
            date: None,
            serial: self.serial.clone(),
            serial_feature: false,
            profiles: DVD_PROFILES,
            capabilities: [0x3F, 0x37],
            inquiry_tail: InquiryTail::Date,
        }
    }
}

impl Behaviour for Dvd {
    fn execute(&mut self, cdb: &[u8], _out: &[u8], _partial: bool, _now: Duration) -> Reply {
        let op = cdb[0];
        if cdb.len() < cdb::cdb_length(op).min(10) {
            return mmc::invalid_field();
        }
        match op {
            // The healthy idle state of an empty drive: no medium (freemkv `preflight`;
            // docs/protocol.md §1.2).
            opcode::TEST_UNIT_READY => mmc::not_ready(0x3A, 0x00),
            opcode::INQUIRY => mmc::inquiry(cdb, &self.presentation()),
            opcode::GET_CONFIGURATION => mmc::get_configuration(cdb, &self.presentation()),
            opcode::MODE_SENSE_10 => mmc::mode_sense_10(cdb, &self.presentation()),
            opcode::GET_EVENT_STATUS => mmc::event_status(cdb),
            op if mmc::MECHANISM.contains(&op) => Reply::Done,
            op if mmc::MEDIUM_ACCESS.contains(&op) => mmc::not_ready(0x3A, 0x00),
            _ => mmc::invalid_opcode(),
        }
    }
}
