//! Property: no CDB, data direction or length panics an emulated drive, and every answer is a
//! SCSI outcome that moves no more bytes than the host asked for.

use std::cell::RefCell;
use std::time::Duration;

use odflash::emu::{Drive, Spec};
use odflash::scsi::{status, Data, Sense, Transport};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

fn drive(spec: &str) -> Drive {
    Drive::open(&spec.parse::<Spec>().unwrap()).unwrap()
}

/// Opcodes the models decode, so random CDBs reach their field checks often.
const DECODED: [u8; 12] = [
    0x00, 0x03, 0x12, 0x1A, 0x1B, 0x3B, 0x3C, 0x46, 0x4A, 0x5A, 0xF1, 0xFF,
];

fn cdb_strategy() -> impl Strategy<Value = Vec<u8>> {
    (
        prop_oneof![prop::sample::select(DECODED.to_vec()), any::<u8>()],
        prop::collection::vec(any::<u8>(), 0..16),
    )
        .prop_map(|(op, mut rest)| {
            rest.insert(0, op);
            rest
        })
}

fn check(d: &mut Drive, cdb: &[u8], dir: u8, len: usize) {
    let mut buf = vec![0u8; len];
    let out = vec![0x5Au8; len];
    let data = match dir {
        0 => Data::None,
        1 => Data::In(&mut buf),
        _ => Data::Out(&out),
    };
    let requested = data.len();
    let outcome = d
        .execute(cdb, data, Duration::from_secs(30))
        .expect("no fault plan: every command gets a SCSI answer");
    assert!(outcome.transferred <= requested);
    match outcome.status {
        status::GOOD => assert!(outcome.sense.is_empty()),
        status::CHECK_CONDITION => assert!(Sense::parse(&outcome.sense).is_some()),
        other => panic!("unexpected status {other:#x}"),
    }
}

#[test]
fn random_cdbs_never_panic() {
    // The drives are opened once (building a signed image is the slow part) and carry their
    // state from case to case, which widens the states the random commands meet.
    let drives = RefCell::new([
        drive("emu:mt1959"),
        drive("emu:mt1939,mode=boot"),
        drive("emu:mt1959,mode=needs-attention,max-transfer=4096"),
        drive("emu:dru-710a"),
    ]);
    let mut runner = TestRunner::new(Config {
        cases: 512,
        ..Config::default()
    });
    let strategy = prop::collection::vec((cdb_strategy(), 0u8..3, 0usize..0x2_1000), 1..24);
    runner
        .run(&strategy, |cmds| {
            for d in drives.borrow_mut().iter_mut() {
                for (cdb, dir, len) in &cmds {
                    check(d, cdb, *dir, *len);
                    d.pause(Duration::from_secs(1));
                }
            }
            Ok(())
        })
        .unwrap();
}
