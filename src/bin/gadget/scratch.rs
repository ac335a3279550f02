//! TEMPORARY: a minimal drive to prove the VM path until emu::Drive lands. Not to be committed
//! in the final state.
use odflash::scsi::{Data, Outcome, Transport, TransportError};
use std::time::Duration;

pub struct Scratch {
    pub flash: Vec<u8>,
    sense: Vec<u8>,
}

impl Scratch {
    pub fn new() -> Scratch {
        let flash = (0..0x200000u32).map(|i| (i ^ (i >> 8) ^ (i >> 16)) as u8).collect();
        Scratch { flash, sense: vec![0x70, 0, 0, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0] }
    }
    fn sense(&mut self, key: u8, asc: u8) -> Outcome {
        let mut s = vec![0u8; 18];
        s[0] = 0x70; s[2] = key; s[7] = 10; s[12] = asc;
        self.sense = s.clone();
        Outcome::check_condition(s, 0, Duration::ZERO)
    }
}

impl Transport for Scratch {
    fn execute(&mut self, cdb: &[u8], data: Data<'_>, _t: Duration) -> Result<Outcome, TransportError> {
        let fill = |buf: &mut [u8], src: &[u8]| { let n = buf.len().min(src.len()); buf[..n].copy_from_slice(&src[..n]); n };
        let out = match (cdb[0], data) {
            (0x12, Data::In(buf)) => {
                let mut r = vec![0u8; 36];
                r[0] = 5; r[1] = 0x80; r[2] = 5; r[3] = 2; r[4] = 31;
                r[8..16].copy_from_slice(b"HL-DT-ST");
                r[16..32].copy_from_slice(b"BD-RE BU40N     ");
                r[32..36].copy_from_slice(b"1.00");
                Outcome::good(fill(buf, &r), Duration::ZERO)
            }
            (0x00, _) => return Ok(self.sense(2, 0x3a)),
            (0x03, Data::In(buf)) => { let s = std::mem::replace(&mut self.sense, vec![0x70,0,0,0,0,0,0,10,0,0,0,0,0,0,0,0,0,0]); Outcome::good(fill(buf, &s), Duration::ZERO) }
            (0x3c, Data::In(buf)) if cdb[1] & 0x1f == 6 => {
                let off = u32::from_be_bytes([0, cdb[3], cdb[4], cdb[5]]) as usize;
                let len = u32::from_be_bytes([0, cdb[6], cdb[7], cdb[8]]) as usize;
                if off + len > self.flash.len() { return Ok(self.sense(5, 0x24)); }
                let src = self.flash[off..off + len].to_vec();
                Outcome::good(fill(buf, &src), Duration::ZERO)
            }
            _ => return Ok(self.sense(5, 0x20)),
        };
        Ok(out)
    }
    fn describe(&self) -> String { "scratch".into() }
}
