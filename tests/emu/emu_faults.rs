//! The fault plan: every action (timeout, power loss, sense, short transfer, reset) at every
//! phase of a flash (prepare, stream, burn, commit, verify), plus trigger kinds, fire-once and
//! repeating faults, and plans read from a file named in the DEVICE string.

use crate::emu_common;

use std::time::Duration;

use emu_common::*;
use odflash::emu::{Action, Drive, FaultPlan, Mode};
use odflash::image::layout::BOOT_REGION_END;
use odflash::scsi::cdb;
use odflash::scsi::{status, Data, Outcome, Sense, SenseKey, Transport, TransportError};

type Res = Result<Outcome, TransportError>;

/// The stream chunk that reaches 1 MiB (index in `Story::stream`, prepare at 0).
const MID_CHUNK: usize = 1 + 0x10_0000 / CHUNK;

/// What happened during one flash.
struct Story {
    stream: Vec<Res>,
    commit: Res,
    burn_tur: Res,
    verify: Res,
    verify_retry: (Outcome, Vec<u8>),
}

fn plan(json: &str) -> FaultPlan {
    FaultPlan::parse_json(&format!(r#"{{"faults":[{json}]}}"#)).unwrap()
}

fn drive_with(json: &str) -> Drive {
    let mut d = open("emu:mt1959");
    d.set_fault_plan(plan(json)).unwrap();
    d
}

/// A flash as a host would drive it, ignoring failures: prepare, stream, commit, one TUR five
/// seconds into the burn, poll until the burn is over, then read back one page twice.
fn story(d: &mut Drive, img: &[u8]) -> Story {
    let stream = stream(d, img);
    let commit = d.execute(&commit_cdb(), Data::None, T);
    d.pause(Duration::from_secs(5));
    let burn_tur = d.execute(&cdb::build_test_unit_ready(), Data::None, T);
    for _ in 0..60 {
        d.pause(Duration::from_secs(1));
        let _ = d.execute(&cdb::build_test_unit_ready(), Data::None, T);
    }
    let mut page = vec![0u8; 0x1000];
    let verify = d.execute(
        &cdb::build_read_buffer(6, 0, 0x10000, 0x1000),
        Data::In(&mut page),
        T,
    );
    // A reset or power loss leaves a UNIT ATTENTION for the next command.
    tur(d);
    tur(d);
    let verify_retry = read_flash(d, 0x10000, 0x1000);
    Story {
        stream,
        commit,
        burn_tur,
        verify,
        verify_retry,
    }
}

fn app_region(flash: &[u8]) -> &[u8] {
    &flash[BOOT_REGION_END..]
}

fn assert_flashed(d: &Drive, img: &[u8]) {
    assert_eq!(d.mode(), Mode::App);
    assert!(app_region(d.flash()) == app_region(img), "image not burned");
}

fn assert_untouched(d: &Drive, before: &[u8]) {
    assert_eq!(d.mode(), Mode::App);
    assert!(d.flash() == before, "flash changed");
}

fn sense_err(r: &Res) -> (SenseKey, u8, u8) {
    sense(r.as_ref().unwrap())
}

#[test]
fn power_loss_at_each_phase() {
    let img = image("1.04");
    // prepare: nothing staged, the old image stays.
    let mut d = drive_with(r#"{"trigger":{"phase":"prepare"},"action":{"kind":"power-loss"}}"#);
    let before = d.flash().to_vec();
    let s = story(&mut d, &img);
    assert!(matches!(s.stream[0], Err(TransportError::Gone(_))));
    assert_eq!(sense_err(&s.stream[1]), RESET_UA);
    assert_eq!(sense_err(&s.stream[2]), SEQUENCE);
    assert_untouched(&d, &before);

    // stream: staged data vanishes; later chunks are out of sequence; no burn.
    let mut d = drive_with(
        r#"{"trigger":{"phase":"stream","offset":1048576},"action":{"kind":"power-loss"}}"#,
    );
    let s = story(&mut d, &img);
    assert!(matches!(s.stream[MID_CHUNK], Err(TransportError::Gone(_))));
    assert_eq!(sense_err(s.stream.last().unwrap()), SEQUENCE);
    assert_untouched(&d, &before);

    // burn: five seconds into a ~19 s burn the image is part programmed, part erased.
    let mut d = drive_with(r#"{"trigger":{"phase":"burn"},"action":{"kind":"power-loss"}}"#);
    let s = story(&mut d, &img);
    assert!(matches!(s.burn_tur, Err(TransportError::Gone(_))));
    assert_eq!(d.mode(), Mode::Boot);
    let app = app_region(d.flash());
    let programmed = app
        .iter()
        .zip(app_region(&img))
        .take_while(|(a, b)| a == b)
        .count();
    assert!(
        programmed > 0x4_0000 && programmed < app.len() / 2,
        "{programmed:#x}"
    );
    assert!(app[programmed + 0x100..].iter().all(|&b| b == 0xFF));
    // The boot loader still serves read-back.
    good(&s.verify_retry.0);

    // commit: power goes as the burn starts: the application region is erased.
    let mut d = drive_with(r#"{"trigger":{"phase":"commit"},"action":{"kind":"power-loss"}}"#);
    let s = story(&mut d, &img);
    assert!(matches!(s.commit, Err(TransportError::Gone(_))));
    assert_eq!(d.mode(), Mode::Boot);
    assert!(app_region(d.flash()).iter().all(|&b| b == 0xFF));

    // verify: the burn was complete; the drive reboots into the new firmware.
    let mut d = drive_with(r#"{"trigger":{"phase":"verify"},"action":{"kind":"power-loss"}}"#);
    let s = story(&mut d, &img);
    assert!(matches!(s.verify, Err(TransportError::Gone(_))));
    assert_flashed(&d, &img);
    assert_eq!(s.verify_retry.1, img[0x10000..0x11000]);
}

#[test]
fn timeout_at_each_phase() {
    let img = image("1.04");
    let is_timeout = |r: &Res| matches!(r, Err(TransportError::Timeout(t)) if *t == T);

    let mut d = drive_with(r#"{"trigger":{"phase":"prepare"},"action":{"kind":"timeout"}}"#);
    let before = d.flash().to_vec();
    let s = story(&mut d, &img);
    assert!(is_timeout(&s.stream[0]));
    assert_eq!(sense_err(&s.stream[1]), SEQUENCE);
    assert_untouched(&d, &before);

    // A lost chunk leaves a hole the drive burns anyway: only a read-back (or the boot-time
    // integrity check) notices.
    let mut d = drive_with(
        r#"{"trigger":{"phase":"stream","offset":1048576},"action":{"kind":"timeout"}}"#,
    );
    let s = story(&mut d, &img);
    assert!(is_timeout(&s.stream[MID_CHUNK]));
    good(s.stream.last().unwrap().as_ref().unwrap());
    assert_eq!(d.mode(), Mode::Boot);
    assert!(d.flash()[0x10_0000..0x10_4000].iter().all(|&b| b == 0xFF));

    for phase in ["burn", "commit", "verify"] {
        let mut d = drive_with(&format!(
            r#"{{"trigger":{{"phase":"{phase}"}},"action":{{"kind":"timeout"}}}}"#
        ));
        let s = story(&mut d, &img);
        let hit = match phase {
            "burn" => &s.burn_tur,
            "commit" => &s.commit,
            _ => &s.verify,
        };
        assert!(is_timeout(hit), "{phase}");
        assert_flashed(&d, &img);
        assert_eq!(s.verify_retry.1, img[0x10000..0x11000], "{phase}");
    }
}

#[test]
fn sense_error_at_each_phase() {
    let img = image("1.04");
    let hw = (SenseKey::HardwareError, 0x44, 0x00);
    let fault = |phase: &str| {
        format!(
            r#"{{"trigger":{{"phase":"{phase}"}},"action":{{"kind":"sense","key":4,"asc":68,"ascq":0}}}}"#
        )
    };

    let mut d = drive_with(&fault("prepare"));
    let before = d.flash().to_vec();
    let s = story(&mut d, &img);
    assert_eq!(sense_err(&s.stream[0]), hw);
    assert_eq!(sense_err(&s.stream[1]), SEQUENCE);
    assert_untouched(&d, &before);

    let mut d = drive_with(
        r#"{"trigger":{"phase":"stream","offset":1048576},"action":{"kind":"sense","key":4,"asc":68,"ascq":0}}"#,
    );
    let s = story(&mut d, &img);
    assert_eq!(sense_err(&s.stream[MID_CHUNK]), hw);
    assert_eq!(d.mode(), Mode::Boot);

    for phase in ["burn", "commit", "verify"] {
        let mut d = drive_with(&fault(phase));
        let s = story(&mut d, &img);
        let hit = match phase {
            "burn" => &s.burn_tur,
            "commit" => &s.commit,
            _ => &s.verify,
        };
        assert_eq!(sense_err(hit), hw, "{phase}");
        assert_flashed(&d, &img);
    }

    // REQUEST SENSE returns the injected sense.
    let mut d = drive_with(
        r#"{"trigger":{"opcode":0},"action":{"kind":"sense","key":3,"asc":12,"ascq":0}}"#,
    );
    assert_eq!(sense(&tur(&mut d)), (SenseKey::MediumError, 0x0C, 0x00));
    let (_, raw) = read(&mut d, &cdb::build_request_sense(18), 18);
    assert_eq!(Sense::parse(&raw).unwrap().key, SenseKey::MediumError);
}

#[test]
fn short_transfer_at_each_phase() {
    let img = image("1.04");
    // stream: the drive gets a quarter of a chunk and burns the rest as erased bytes.
    let mut d = drive_with(
        r#"{"trigger":{"phase":"stream","offset":1048576},"action":{"kind":"short-transfer","bytes":4096}}"#,
    );
    let s = story(&mut d, &img);
    let o = s.stream[MID_CHUNK].as_ref().unwrap();
    good(o);
    assert_eq!(o.transferred, 0x1000);
    assert_eq!(d.mode(), Mode::Boot);
    assert_eq!(d.flash()[0x10_0000..0x10_1000], img[0x10_0000..0x10_1000]);
    assert!(d.flash()[0x10_1000..0x10_4000].iter().all(|&b| b == 0xFF));

    // verify: the read-back is short.
    let mut d = drive_with(
        r#"{"trigger":{"phase":"verify"},"action":{"kind":"short-transfer","bytes":512}}"#,
    );
    let s = story(&mut d, &img);
    let o = s.verify.as_ref().unwrap();
    good(o);
    assert_eq!(o.transferred, 512);
    assert_flashed(&d, &img);

    // prepare, burn, commit move no data: the command is unaffected.
    for phase in ["prepare", "burn", "commit"] {
        let mut d = drive_with(&format!(
            r#"{{"trigger":{{"phase":"{phase}"}},"action":{{"kind":"short-transfer","bytes":0}}}}"#
        ));
        story(&mut d, &img);
        assert_flashed(&d, &img);
        assert_eq!(d.faults_fired(), [true], "{phase}");
    }
}

#[test]
fn reset_at_each_phase() {
    let img = image("1.04");
    let is_reset = |r: &Res| {
        matches!(
            r,
            Err(TransportError::Host {
                host_status: 0x08,
                ..
            })
        )
    };

    for (phase, trigger) in [
        ("prepare", r#"{"phase":"prepare"}"#),
        ("stream", r#"{"phase":"stream","offset":1048576}"#),
    ] {
        let mut d = drive_with(&format!(
            r#"{{"trigger":{trigger},"action":{{"kind":"reset"}}}}"#
        ));
        let before = d.flash().to_vec();
        let s = story(&mut d, &img);
        let at = if phase == "prepare" { 0 } else { MID_CHUNK };
        assert!(is_reset(&s.stream[at]), "{phase}");
        assert_eq!(sense_err(&s.stream[at + 1]), RESET_UA, "{phase}");
        assert_eq!(sense_err(s.stream.last().unwrap()), SEQUENCE, "{phase}");
        assert_untouched(&d, &before);
    }

    // A bus reset does not stop the flash controller.
    for phase in ["burn", "commit", "verify"] {
        let mut d = drive_with(&format!(
            r#"{{"trigger":{{"phase":"{phase}"}},"action":{{"kind":"reset"}}}}"#
        ));
        let s = story(&mut d, &img);
        let hit = match phase {
            "burn" => &s.burn_tur,
            "commit" => &s.commit,
            _ => &s.verify,
        };
        assert!(is_reset(hit), "{phase}");
        assert_flashed(&d, &img);
    }
}

#[test]
fn faults_fire_once_unless_repeating() {
    let mut d = drive_with(
        r#"{"trigger":{"opcode":0},"action":{"kind":"sense","key":4,"asc":68,"ascq":0}}"#,
    );
    assert_eq!(sense(&tur(&mut d)).0, SenseKey::HardwareError);
    assert_eq!(sense(&tur(&mut d)), NO_MEDIUM);
    assert_eq!(d.faults_fired(), [true]);

    let mut d = drive_with(
        r#"{"trigger":{"opcode":0},"action":{"kind":"sense","key":4,"asc":68,"ascq":0},"repeat":true}"#,
    );
    for _ in 0..3 {
        assert_eq!(sense(&tur(&mut d)).0, SenseKey::HardwareError);
    }
    // Other opcodes are not affected.
    good(&read(&mut d, &cdb::build_inquiry(36), 36).0);
}

#[test]
fn nth_command_trigger_and_first_match_wins() {
    let mut d = open("emu:mt1959");
    d.set_fault_plan(
        FaultPlan::parse_json(
            r#"{"faults":[
                {"trigger":{"command":3},"action":{"kind":"timeout"}},
                {"trigger":{"command":3},"action":{"kind":"reset"}}
            ]}"#,
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(d.faults_fired(), [false, false]);
    tur(&mut d);
    tur(&mut d);
    let r = d.execute(&cdb::build_test_unit_ready(), Data::None, T);
    assert!(matches!(r, Err(TransportError::Timeout(_))));
    assert_eq!(d.faults_fired(), [true, false]);
    assert_eq!(tur(&mut d).status, status::CHECK_CONDITION);
}

#[test]
fn plan_from_a_file_named_in_the_spec() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("faults.json");
    let plan = FaultPlan {
        faults: vec![odflash::emu::Fault {
            trigger: odflash::emu::Trigger {
                opcode: Some(0x12),
                ..Default::default()
            },
            action: Action::ShortTransfer { bytes: 8 },
            repeat: false,
        }],
    };
    std::fs::write(&path, serde_json::to_string_pretty(&plan).unwrap()).unwrap();
    let mut d = open(&format!("emu:mt1959,faults={}", path.display()));
    let (o, got) = read(&mut d, &cdb::build_inquiry(36), 36);
    good(&o);
    assert_eq!(got.len(), 8);
    assert_eq!(read(&mut d, &cdb::build_inquiry(36), 36).1.len(), 36);

    std::fs::write(&path, "{ not json").unwrap();
    let spec = format!("emu:mt1959,faults={}", path.display());
    assert!(Drive::open(&spec.parse().unwrap()).is_err());
}
