//! Helpers shared by the emulator tests: open drives, run commands through `Transport` only,
//! build the MT19xx flash-protocol CDBs from the standard builders.

#![allow(dead_code)] // each test binary uses a different subset

use std::time::Duration;

use odflash::emu::{Drive, Spec};
use odflash::image::layout::FLASH_SIZE;
use odflash::image::mt19xx::Chip;
use odflash::image::synth::{build_mt19xx, SynthSpec};
use odflash::scsi::cdb;
use odflash::scsi::{status, Data, Outcome, Sense, SenseKey, Transport, TransportError};

/// Timeout passed to every command.
pub const T: Duration = Duration::from_secs(30);
/// Chunk size the public MT19xx flashers stream (freemkv `drive/mtk.rs` `CHUNK`;
/// docs/protocol.md §2.4).
pub const CHUNK: usize = 0x4000;

pub fn open(spec: &str) -> Drive {
    Drive::open(&spec.parse::<Spec>().unwrap()).unwrap()
}

/// Run a data-in command; returns the outcome and the bytes received.
pub fn read(d: &mut dyn Transport, cdb: &[u8], len: usize) -> (Outcome, Vec<u8>) {
    let mut buf = vec![0xA5u8; len];
    let o = d.execute(cdb, Data::In(&mut buf), T).unwrap();
    buf.truncate(o.transferred);
    (o, buf)
}

pub fn no_data(d: &mut dyn Transport, cdb: &[u8]) -> Outcome {
    d.execute(cdb, Data::None, T).unwrap()
}

pub fn write(d: &mut dyn Transport, cdb: &[u8], data: &[u8]) -> Outcome {
    d.execute(cdb, Data::Out(data), T).unwrap()
}

/// (key, asc, ascq) of a CHECK CONDITION; panics on GOOD.
pub fn sense(o: &Outcome) -> (SenseKey, u8, u8) {
    assert_eq!(
        o.status,
        status::CHECK_CONDITION,
        "expected CHECK CONDITION"
    );
    let s = Sense::parse(&o.sense).unwrap();
    (s.key, s.asc, s.ascq)
}

pub fn good(o: &Outcome) {
    assert_eq!(o.status, status::GOOD, "sense {:?}", Sense::parse(&o.sense));
}

pub const NO_MEDIUM: (SenseKey, u8, u8) = (SenseKey::NotReady, 0x3A, 0x00);
pub const BURNING: (SenseKey, u8, u8) = (SenseKey::NotReady, 0x04, 0x07);
pub const INVALID_FIELD: (SenseKey, u8, u8) = (SenseKey::IllegalRequest, 0x24, 0x00);
pub const INVALID_OPCODE: (SenseKey, u8, u8) = (SenseKey::IllegalRequest, 0x20, 0x00);
pub const SEQUENCE: (SenseKey, u8, u8) = (SenseKey::IllegalRequest, 0x2C, 0x00);
pub const RESET_UA: (SenseKey, u8, u8) = (SenseKey::UnitAttention, 0x29, 0x00);

pub fn tur(d: &mut dyn Transport) -> Outcome {
    no_data(d, &cdb::build_test_unit_ready())
}

/// PREPARE as freemkv sends it: `3B 01 00 00 00 00 00 00 00 0B 00 00`.
pub fn prepare_cdb() -> Vec<u8> {
    let mut c = cdb::build_write_buffer(1, 0, 0, 0).to_vec();
    c[9] = 0x0B;
    c.extend([0, 0]);
    c
}

/// COMMIT: `3B 07 00 00 00 00 00 00 00 00 1B 12`.
pub fn commit_cdb() -> Vec<u8> {
    let mut c = cdb::build_write_buffer(7, 0, 0, 0).to_vec();
    c.extend([0x1B, 0x12]);
    c
}

pub fn read_flash(d: &mut dyn Transport, offset: usize, len: usize) -> (Outcome, Vec<u8>) {
    read(
        d,
        &cdb::build_read_buffer(6, 0, offset as u32, len as u32),
        len,
    )
}

pub fn write_flash(d: &mut dyn Transport, offset: usize, data: &[u8]) -> Outcome {
    write(
        d,
        &cdb::build_write_buffer(6, 0, offset as u32, data.len() as u32),
        data,
    )
}

pub fn image(revision: &str) -> Vec<u8> {
    build_mt19xx(&SynthSpec::new(
        Chip::Mt1959,
        "HL-DT-ST",
        "BD-RE BU40N",
        revision,
    ))
}

/// PREPARE then every chunk; returns the outcome of each command (prepare first).
pub fn stream(d: &mut dyn Transport, image: &[u8]) -> Vec<Result<Outcome, TransportError>> {
    let mut results = vec![d.execute(&prepare_cdb(), Data::None, T)];
    for (i, chunk) in image.chunks(CHUNK).enumerate() {
        let c = cdb::build_write_buffer(6, 0, (i * CHUNK) as u32, chunk.len() as u32);
        results.push(d.execute(&c, Data::Out(chunk), T));
    }
    results
}

/// Poll TEST UNIT READY as freemkv does (every 500 ms, 45 s limit) until it stops answering
/// NOT READY 04/07; returns the last answer.
pub fn wait_ready(d: &mut dyn Transport) -> Outcome {
    let mut last = tur(d);
    for _ in 0..90 {
        if last.status == status::GOOD
            || Sense::parse(&last.sense).map(|s| (s.asc, s.ascq)) != Some((0x04, 0x07))
        {
            break;
        }
        d.pause(Duration::from_millis(500));
        last = tur(d);
    }
    last
}

/// The whole flash as READ BUFFER returns it, in 4 KiB reads; the banner window only accepts
/// a 0x20-byte read, so the page holding it is read in two pieces.
pub fn dump(d: &mut dyn Transport) -> Vec<u8> {
    let mut out = Vec::with_capacity(FLASH_SIZE);
    for off in (0..FLASH_SIZE).step_by(0x1000) {
        if off == 0x3000 {
            let (o, b) = read_flash(d, 0x3000, 0x20);
            good(&o);
            out.extend(b);
            let (o, b) = read_flash(d, 0x3020, 0x1000 - 0x20);
            good(&o);
            out.extend(b);
            continue;
        }
        let (o, b) = read_flash(d, off, 0x1000);
        good(&o);
        out.extend(b);
    }
    out
}
