//! The TSST/Samsung "FF download" drives (`emu:se-506cb`, `emu:ts-h353c`, `emu:sd-616f`): the
//! download of each class lands its image, the SE-506CB answers as the captured drive did, the
//! reboot, read-back, ignored subcommands, wrong sequences, faults and state files.

use crate::emu_common;

use std::path::Path;
use std::time::Duration;

use emu_common::*;
use odflash::emu::{Activity, Answer, Drive, FaultPlan, Mode};
use odflash::image::synth::build_tsst;
use odflash::image::tsst::{download_buffer, Class, Download};
use odflash::scsi::{
    cdb, read_inquiry, status, Data, Outcome, SenseKey, Transport, TransportError,
};

type Res = Result<Outcome, TransportError>;

/// `FF 00 01 00 00 <st> 00 00 00 00 00 00`: one download command (docs/protocol.md §4.1).
fn download_cdb(st: u8) -> [u8; 12] {
    [0xFF, 0x00, 0x01, 0x00, 0x00, st, 0, 0, 0, 0, 0, 0]
}

/// `FF 00 FF 00 00 00 00 00 00 00 00 AA`: the version read (docs/protocol.md §4.5).
const VERSION_CDB: [u8; 12] = [0xFF, 0x00, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0, 0xAA];

const BECOMING_READY: (SenseKey, u8, u8) = (SenseKey::NotReady, 0x04, 0x01);
const BAD_PARAMETER: (SenseKey, u8, u8) = (SenseKey::IllegalRequest, 0x26, 0x00);

/// The emulated drives, their class and their INQUIRY identity.
const DRIVES: [(&str, Class, &str, &str); 3] = [
    ("se-506cb", Class::Mt1939Bd, "TSSTcorp", "BDDVDW SE-506CB"),
    (
        "ts-h353c",
        Class::Mt1339DvdRom,
        "TSSTcorp",
        "DVD-ROM TS-H353C",
    ),
    ("sd-616f", Class::Sd616, "SAMSUNG", "DVD-ROM SD-616F"),
];

fn new_image(class: Class, vendor: &str, product: &str, revision: &str) -> Vec<u8> {
    build_tsst(class, vendor, product, revision)
}

/// Send one scheduled command with `timeout`.
fn send_one(d: &mut Drive, buffer: &[u8], c: &Download, timeout: Duration) -> Res {
    d.execute(
        &download_cdb(c.status),
        Data::Out(&buffer[c.offset..c.offset + c.len]),
        timeout,
    )
}

/// Send the class's whole schedule for `image`; the outcome of each command.
fn send_all(d: &mut Drive, class: Class, image: &[u8]) -> Vec<Res> {
    let buffer = download_buffer(class, image).unwrap();
    class
        .downloads()
        .iter()
        .map(|c| send_one(d, &buffer, c, T))
        .collect()
}

/// Let the reboot run out; the first command after it sees the power-on UNIT ATTENTION.
fn finish_reboot(d: &mut Drive) {
    assert!(matches!(d.activity(), Activity::Rebooting { .. }));
    assert_eq!(sense(&tur(d)), BECOMING_READY);
    d.pause(Duration::from_secs(10));
    assert_eq!(sense(&tur(d)), RESET_UA);
}

fn revision(d: &mut Drive) -> String {
    read_inquiry(d).unwrap().revision
}

#[test]
fn each_class_lands_its_image_and_reboots_into_its_revision() {
    for (name, class, vendor, product) in DRIVES {
        let mut d = open(&format!("emu:{name}"));
        let image = new_image(class, vendor, product, "NEW2");
        let results = send_all(&mut d, class, &image);
        assert_eq!(results.len(), class.downloads().len(), "{name}");
        for r in &results {
            good(r.as_ref().unwrap());
        }
        // SD-616: the drive keeps the 128 KiB image, not its 0x30000-byte download layout.
        assert_eq!(d.flash(), &image[..], "{name}");
        finish_reboot(&mut d);
        assert_eq!(d.mode(), Mode::App);
        let inquiry = read_inquiry(&mut d).unwrap();
        assert_eq!(
            (inquiry.vendor.as_str(), inquiry.product.as_str()),
            (vendor, product)
        );
        assert_eq!(inquiry.revision, "NEW2", "{name}");
        let downloads = d
            .command_log()
            .iter()
            .filter(|c| c.cdb[..3] == [0xFF, 0x00, 0x01])
            .count();
        assert_eq!(downloads, class.downloads().len());
    }
}

#[test]
fn only_the_se506cb_reports_its_last_chunk_as_a_whole_residual() {
    for (name, class, vendor, product) in DRIVES {
        let mut d = open(&format!("emu:{name}"));
        let results = send_all(&mut d, class, &new_image(class, vendor, product, "NEW2"));
        let schedule = class.downloads();
        let (last, rest) = results.split_last().unwrap();
        for (r, c) in rest.iter().zip(&schedule) {
            assert_eq!(r.as_ref().unwrap().transferred, c.len, "{name}");
        }
        let last = last.as_ref().unwrap();
        assert_eq!(last.status, status::GOOD);
        let expected = match class {
            // coastermelt doc/update-ts01-notes.txt: GOOD with residue 0x800 on the last block.
            Class::Mt1939Bd => 0,
            _ => schedule.last().unwrap().len,
        };
        assert_eq!(last.transferred, expected, "{name}");
        assert_eq!(
            d.command_log().last().unwrap().answer,
            Answer::Good {
                transferred: expected
            }
        );
    }
}

#[test]
fn the_se506cb_stalls_in_the_commands_that_complete_each_mebibyte() {
    let mut d = open("emu:se-506cb");
    let results = send_all(
        &mut d,
        Class::Mt1939Bd,
        &new_image(Class::Mt1939Bd, "TSSTcorp", "BDDVDW SE-506CB", "TS02"),
    );
    let stalls: Vec<usize> = results
        .iter()
        .enumerate()
        .filter(|(_, r)| r.as_ref().unwrap().duration > Duration::ZERO)
        .map(|(i, _)| i)
        .collect();
    // The 17th command crosses the first MiB, the 34th completes the second (coastermelt).
    assert_eq!(stalls, [16, 33]);
    assert_eq!(
        results[16].as_ref().unwrap().duration,
        Duration::from_secs(10)
    );
}

#[test]
fn a_host_that_gives_up_during_a_stall_sees_a_timeout_but_the_drive_carries_on() {
    let mut d = open("emu:se-506cb");
    let image = new_image(Class::Mt1939Bd, "TSSTcorp", "BDDVDW SE-506CB", "TS02");
    let buffer = download_buffer(Class::Mt1939Bd, &image).unwrap();
    for (i, c) in Class::Mt1939Bd.downloads().iter().enumerate() {
        let timeout = if i == 16 { Duration::from_secs(5) } else { T };
        let r = send_one(&mut d, &buffer, c, timeout);
        if i == 16 {
            assert!(matches!(r, Err(TransportError::Timeout(_))), "{r:?}");
        } else {
            good(&r.unwrap());
        }
    }
    assert_eq!(d.flash(), &image[..]);
}

#[test]
fn the_reboot_is_not_ready_then_unit_attention_then_the_new_firmware() {
    let mut d = open("emu:ts-h353c");
    let image = new_image(Class::Mt1339DvdRom, "TSSTcorp", "DVD-ROM TS-H353C", "ID02");
    send_all(&mut d, Class::Mt1339DvdRom, &image);
    // Everything, INQUIRY included, answers NOT READY, becoming ready, while it reboots.
    let (o, _) = read(&mut d, &cdb::build_inquiry(96), 96);
    assert_eq!(sense(&o), BECOMING_READY);
    let Activity::Rebooting { remaining } = d.activity() else {
        panic!("rebooting");
    };
    assert!(remaining >= Duration::from_secs(9), "{remaining:?}");
    d.pause(Duration::from_secs(5));
    assert_eq!(sense(&tur(&mut d)), BECOMING_READY);
    d.pause(Duration::from_secs(5));
    // INQUIRY does not take the UNIT ATTENTION; the next other command does, once.
    assert_eq!(revision(&mut d), "ID02");
    assert_eq!(sense(&tur(&mut d)), RESET_UA);
    assert_eq!(sense(&tur(&mut d)), NO_MEDIUM);
    assert_eq!(d.activity(), Activity::Idle);
}

#[test]
fn the_se506cb_answers_as_the_captured_drive() {
    // tests/data/real/tsst-se506cb-ts01.jsonl and -boot.jsonl (coastermelt
    // doc/update-ts01-notes.txt): the 96-byte INQUIRY, the version read and TUR's sense.
    let captured = |file: &str, opcode: &str| -> Vec<u8> {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/real")
            .join(file);
        let text = std::fs::read_to_string(path).unwrap();
        let line = text
            .lines()
            .find(|l| l.contains(&format!("\"match\": \"{opcode}\"")))
            .unwrap();
        let value: serde_json::Value = serde_json::from_str(line).unwrap();
        hex::decode(value["payload"].as_str().unwrap()).unwrap()
    };
    for (spec, file) in [
        ("emu:se-506cb", "tsst-se506cb-ts01.jsonl"),
        ("emu:se-506cb,mode=boot", "tsst-se506cb-boot.jsonl"),
    ] {
        let mut d = open(spec);
        let (_, inquiry) = read(&mut d, &cdb::build_inquiry(96), 96);
        assert_eq!(inquiry, captured(file, "120000"), "{spec}");
        let (o, version) = read(&mut d, &VERSION_CDB, 8);
        good(&o);
        assert_eq!(version, captured(file, "ff00ff"), "{spec}");
    }
    let mut d = open("emu:se-506cb");
    assert_eq!(sense(&tur(&mut d)), (SenseKey::NotReady, 0x3A, 0x02));
    let (_, raw) = read(&mut d, &cdb::build_request_sense(24), 24);
    assert_eq!(raw[..14], captured("tsst-se506cb-ts01.jsonl", "03")[..14]);
}

#[test]
fn unknown_subcommands_are_ignored_and_logged() {
    for name in ["se-506cb", "sd-616f"] {
        let mut d = open(&format!("emu:{name}"));
        let before = d.flash().to_vec();
        let mut app_select = [0u8; 12];
        app_select[..6].copy_from_slice(&[0xFF, 0x00, 0x05, 0x00, 0x00, 0x00]);
        let mut other = [0u8; 12];
        other[..3].copy_from_slice(&[0xFF, 0x12, 0x34]);
        for c in [app_select, other] {
            let (o, data) = read(&mut d, &c, 8);
            good(&o);
            assert!(data.is_empty(), "{name}: {c:02x?}");
        }
        good(&write(&mut d, &other, &[0x55; 16]));
        let log = d.command_log();
        assert_eq!(log.len(), 3);
        assert!(log.iter().all(|c| c.opcode() == Some(0xFF)));
        assert_eq!(log[0].answer, Answer::Good { transferred: 0 });
        assert_eq!(d.flash(), &before[..]);
    }
    // The DVD-ROM classes are not known to answer the version read: silence.
    let mut d = open("emu:ts-h353c");
    let (o, data) = read(&mut d, &VERSION_CDB, 8);
    good(&o);
    assert!(data.is_empty());
}

#[test]
fn wrong_sequences_are_refused_and_drop_the_download() {
    let class = Class::Mt1339DvdRom;
    let image = new_image(class, "TSSTcorp", "DVD-ROM TS-H353C", "ID02");
    let schedule = class.downloads();
    let mut d = open("emu:ts-h353c");
    let before = d.flash().to_vec();
    // A continuation or a final chunk with no download open.
    assert_eq!(
        sense(&write(&mut d, &download_cdb(0xFF), &image[..0xFC00])),
        SEQUENCE
    );
    assert_eq!(
        sense(&write(&mut d, &download_cdb(0x04), &image[..0x1000])),
        SEQUENCE
    );
    // An unknown state byte, and the SE-506CB's final state on an MT1339 drive.
    for st in [0x01, 0x02] {
        good(&write(&mut d, &download_cdb(0x00), &image[..0xFC00]));
        assert_eq!(
            sense(&write(&mut d, &download_cdb(st), &image[0xFC00..0x1F800])),
            INVALID_FIELD
        );
        assert_eq!(d.activity(), Activity::Idle, "the download is dropped");
    }
    // The final state before the end, and a continuation that reaches the end.
    good(&write(&mut d, &download_cdb(0x00), &image[..0xFC00]));
    assert_eq!(
        sense(&write(&mut d, &download_cdb(0x04), &image[0xFC00..0x1F800])),
        INVALID_FIELD
    );
    assert_eq!(
        sense(&write(&mut d, &download_cdb(0xFF), &image[..0x100])),
        SEQUENCE
    );
    let buffer = download_buffer(class, &image).unwrap();
    for c in &schedule[..4] {
        good(&send_one(&mut d, &buffer, c, T).unwrap());
    }
    assert_eq!(
        sense(&write(&mut d, &download_cdb(0xFF), &image[0x3F000..])),
        INVALID_FIELD
    );
    // An empty chunk, and a last chunk that runs past the buffer's end.
    good(&write(&mut d, &download_cdb(0x00), &image[..0xFC00]));
    assert_eq!(
        sense(&write(&mut d, &download_cdb(0xFF), &[])),
        INVALID_FIELD
    );
    for c in &schedule[..4] {
        good(&send_one(&mut d, &buffer, c, T).unwrap());
    }
    assert_eq!(
        sense(&write(&mut d, &download_cdb(0x04), &image[..0x2000])),
        INVALID_FIELD
    );
    assert_eq!(d.flash(), &before[..]);
    // A new `00` always starts over: the schedule still lands after all that.
    for r in send_all(&mut d, class, &image) {
        good(&r.unwrap());
    }
    assert_eq!(d.flash(), &image[..]);
}

#[test]
fn chunks_above_max_transfer_are_refused() {
    let mut d = open("emu:se-506cb,max-transfer=32k");
    let image = new_image(Class::Mt1939Bd, "TSSTcorp", "BDDVDW SE-506CB", "TS02");
    assert_eq!(
        sense(&write(&mut d, &download_cdb(0x00), &image[..0xF800])),
        INVALID_FIELD
    );
}

#[test]
fn an_sd616_buffer_out_of_layout_is_refused_at_the_last_chunk() {
    let mut d = open("emu:sd-616f");
    let before = d.flash().to_vec();
    let image = new_image(Class::Sd616, "SAMSUNG", "DVD-ROM SD-616F", "F302");
    // The plain 128 KiB file plus 64 KiB of zeros: the right size, not the layout.
    let mut wrong = image.clone();
    wrong.resize(0x3_0000, 0);
    let results: Vec<Res> = Class::Sd616
        .downloads()
        .iter()
        .map(|c| send_one(&mut d, &wrong, c, T))
        .collect();
    good(results[1].as_ref().unwrap());
    assert_eq!(sense(results[2].as_ref().unwrap()), BAD_PARAMETER);
    assert_eq!(d.flash(), &before[..]);
    assert_eq!(d.activity(), Activity::Idle);
}

#[test]
fn read_back_mirrors_the_first_page_on_the_se506cb_only() {
    for spec in ["emu:se-506cb", "emu:se-506cb,mode=boot"] {
        let mut d = open(spec);
        let flash = d.flash().to_vec();
        let (o, page) = read_flash(&mut d, 0, 0x1000);
        good(&o);
        assert_eq!(page[..0x400], flash[0x1000..0x1400], "{spec}");
        assert_eq!(page[0x400..], flash[0x400..0x1000], "{spec}");
        let (_, part) = read_flash(&mut d, 0x200, 0x400);
        assert_eq!(part[..0x200], flash[0x1200..0x1400]);
        assert_eq!(part[0x200..], flash[0x400..0x600]);
        let (_, app) = read_flash(&mut d, 0x1F_0000, 0x1_0000);
        assert_eq!(app, flash[0x1F_0000..]);
        assert_eq!(
            sense(&read_flash(&mut d, 0x1F_8000, 0x1_0000).0),
            INVALID_FIELD
        );
        assert_eq!(sense(&read_flash(&mut d, 0, 0x1_0001).0), INVALID_FIELD);
    }
    for name in ["ts-h353c", "sd-616f"] {
        let mut d = open(&format!("emu:{name}"));
        assert_eq!(sense(&read_flash(&mut d, 0, 0x1000).0), INVALID_OPCODE);
    }
}

#[test]
fn the_boot_loader_answers_its_opcodes_and_a_download_recovers_the_drive() {
    let mut d = open("emu:se-506cb,mode=boot");
    assert_eq!(d.mode(), Mode::Boot);
    assert_eq!(revision(&mut d), "BOOT");
    assert_eq!(sense(&tur(&mut d)), (SenseKey::NotReady, 0x04, 0x00));
    let (o, _) = read(&mut d, &cdb::build_mode_sense_10(0x2A, 0x100), 0x100);
    good(&o);
    let (o, _) = read(&mut d, &[0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0], 2048);
    assert_eq!(sense(&o), INVALID_OPCODE);
    let image = new_image(Class::Mt1939Bd, "TSSTcorp", "BDDVDW SE-506CB", "TS02");
    for r in send_all(&mut d, Class::Mt1939Bd, &image) {
        good(&r.unwrap());
    }
    finish_reboot(&mut d);
    assert_eq!(d.mode(), Mode::App);
    assert_eq!(revision(&mut d), "TS02");
}

#[test]
fn the_boot_region_of_an_image_is_never_programmed() {
    let mut d = open("emu:se-506cb");
    let before = d.flash().to_vec();
    let mut image = new_image(Class::Mt1939Bd, "TSSTcorp", "BDDVDW SE-506CB", "TS02");
    image[..0x1_0000].fill(0xFF); // coastermelt's `--erase` sends the boot region all 0xFF
    for r in send_all(&mut d, Class::Mt1939Bd, &image) {
        good(&r.unwrap());
    }
    assert_eq!(d.flash()[..0x1_0000], before[..0x1_0000]);
    assert_eq!(d.flash()[0x1_0000..], image[0x1_0000..]);
}

fn faulty(spec: &str, json: &str) -> Drive {
    let mut d = open(spec);
    d.set_fault_plan(FaultPlan::parse_json(&format!(r#"{{"faults":[{json}]}}"#)).unwrap())
        .unwrap();
    d
}

#[test]
fn power_lost_mid_download_leaves_a_dvd_rom_drive_as_it_was() {
    let (class, vendor, product) = (Class::Sd616, "SAMSUNG", "DVD-ROM SD-616F");
    let mut d = faulty(
        "emu:sd-616f",
        r#"{"trigger":{"phase":"stream","offset":65536},"action":{"kind":"power-loss"}}"#,
    );
    let before = d.flash().to_vec();
    let results = send_all(&mut d, class, &new_image(class, vendor, product, "F302"));
    good(results[0].as_ref().unwrap());
    assert!(matches!(results[1], Err(TransportError::Gone(_))));
    // The final chunk arrives at a drive with no download open.
    assert_eq!(sense(results[2].as_ref().unwrap()), RESET_UA);
    assert_eq!(d.flash(), &before[..]);
    assert_eq!(
        (d.mode(), revision(&mut d)),
        (Mode::App, "F301".to_string())
    );
    assert_eq!(d.faults_fired(), [true]);
}

#[test]
fn power_lost_after_the_first_mebibyte_leaves_an_se506cb_in_its_boot_loader() {
    let image = new_image(Class::Mt1939Bd, "TSSTcorp", "BDDVDW SE-506CB", "TS02");
    // Before the 17th command programs the first MiB: the old firmware survives.
    let mut d = faulty(
        "emu:se-506cb",
        r#"{"trigger":{"phase":"stream","offset":1048576},"action":{"kind":"power-loss"}}"#,
    );
    let before = d.flash().to_vec();
    let results = send_all(&mut d, Class::Mt1939Bd, &image);
    assert!(matches!(results[16], Err(TransportError::Gone(_))));
    assert_eq!(d.flash(), &before[..]);
    assert_eq!(d.mode(), Mode::App);
    // Once the first MiB is programmed, an interruption leaves half an image: the loader runs.
    let mut d = faulty(
        "emu:se-506cb",
        r#"{"trigger":{"phase":"stream","offset":1114112},"action":{"kind":"power-loss"}}"#,
    );
    let results = send_all(&mut d, Class::Mt1939Bd, &image);
    good(results[16].as_ref().unwrap());
    assert!(matches!(results[17], Err(TransportError::Gone(_))));
    assert_eq!(d.mode(), Mode::Boot);
    assert_eq!(d.flash()[0x1_0000..0x10_0000], image[0x1_0000..0x10_0000]);
    assert_eq!(d.flash()[0x10_0000..], before[0x10_0000..]);
    assert_eq!(revision(&mut d), "BOOT");
}

#[test]
fn a_sense_error_at_the_last_chunk_keeps_the_download_open_for_a_retry() {
    let mut d = faulty(
        "emu:ts-h353c",
        r#"{"trigger":{"phase":"commit"},"action":{"kind":"sense","key":4,"asc":68,"ascq":0}}"#,
    );
    let class = Class::Mt1339DvdRom;
    let image = new_image(class, "TSSTcorp", "DVD-ROM TS-H353C", "ID02");
    let buffer = download_buffer(class, &image).unwrap();
    let schedule = class.downloads();
    let results = send_all(&mut d, class, &image);
    assert_eq!(
        sense(results[4].as_ref().unwrap()),
        (SenseKey::HardwareError, 0x44, 0x00)
    );
    assert_eq!(d.activity(), Activity::Downloading);
    good(&send_one(&mut d, &buffer, &schedule[4], T).unwrap());
    assert_eq!(d.flash(), &image[..]);
}

#[test]
fn power_lost_during_the_reboot_boots_the_new_firmware() {
    let mut d = faulty(
        "emu:se-506cb",
        r#"{"trigger":{"phase":"burn"},"action":{"kind":"power-loss"}}"#,
    );
    let image = new_image(Class::Mt1939Bd, "TSSTcorp", "BDDVDW SE-506CB", "TS02");
    for r in send_all(&mut d, Class::Mt1939Bd, &image) {
        good(&r.unwrap());
    }
    assert!(matches!(
        d.execute(&cdb::build_test_unit_ready(), Data::None, T),
        Err(TransportError::Gone(_))
    ));
    assert_eq!(sense(&tur(&mut d)), RESET_UA);
    assert_eq!(
        (d.mode(), revision(&mut d)),
        (Mode::App, "TS02".to_string())
    );
}

#[test]
fn a_reset_drops_the_open_download() {
    let mut d = faulty(
        "emu:sd-616f",
        r#"{"trigger":{"phase":"stream","command":2},"action":{"kind":"reset"}}"#,
    );
    let class = Class::Sd616;
    let results = send_all(
        &mut d,
        class,
        &new_image(class, "SAMSUNG", "DVD-ROM SD-616F", "F302"),
    );
    assert!(matches!(results[1], Err(TransportError::Host { .. })));
    assert_eq!(sense(results[2].as_ref().unwrap()), RESET_UA);
    assert_eq!(d.activity(), Activity::Idle);
}

#[test]
fn a_state_file_keeps_a_download_and_the_flash_across_opens() {
    let dir = tempfile::tempdir().unwrap();
    let spec = |name: &str| format!("emu:{name},state-file={}", dir.path().join(name).display());
    for (name, class, vendor, product) in DRIVES {
        let image = new_image(class, vendor, product, "NEW2");
        let buffer = download_buffer(class, &image).unwrap();
        let schedule = class.downloads();
        let half = schedule.len() / 2;
        {
            let mut a = open(&spec(name));
            for c in &schedule[..half] {
                good(&send_one(&mut a, &buffer, c, T).unwrap());
            }
        }
        {
            let mut b = open(&spec(name));
            assert_eq!(b.activity(), Activity::Downloading, "{name}");
            for c in &schedule[half..] {
                good(&send_one(&mut b, &buffer, c, T).unwrap());
            }
            assert!(matches!(b.activity(), Activity::Rebooting { .. }));
        }
        let mut c = open(&spec(name));
        assert_eq!(c.flash(), &image[..], "{name}");
        finish_reboot(&mut c);
        drop(c);
        let mut e = open(&spec(name));
        assert_eq!(e.flash().len(), class.image_size());
        assert_eq!(revision(&mut e), "NEW2", "{name}");
    }
    // A state file of one drive does not open as another.
    let err = Drive::open(
        &format!(
            "emu:ts-h353c,state-file={}",
            dir.path().join("sd-616f").display()
        )
        .parse()
        .unwrap(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("holds a `sd-616f` drive"), "{err}");
}

#[test]
fn a_state_file_whose_flash_has_another_size_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("drive.json");
    let spec = format!("emu:sd-616f,state-file={}", path.display());
    drop(open(&spec));
    let sidecar = dir.path().join("drive.json.flash-0.bin");
    std::fs::write(&sidecar, vec![0u8; 0x4_0000]).unwrap();
    let err = Drive::open(&spec.parse().unwrap()).unwrap_err();
    assert!(
        err.to_string().contains("a SD-616 drive has 131072"),
        "{err}"
    );
}
