//! The `state-file=` store (a drive shared by several opens and processes) and the clock.

use crate::emu_common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use emu_common::*;
use odflash::emu::{Activity, ClockMode, Drive, Error, Mode, Spec};
use odflash::image::layout::{
    BOOT_REGION_END, CALIBRATION_LEN, CALIBRATION_OFFSET, DESCRIPTOR_LEN, DESCRIPTOR_OFFSET,
};
use odflash::scsi::{cdb, Data, Transport};

fn spec_at(path: &Path, extra: &str) -> Spec {
    format!("emu:mt1959,state-file={}{extra}", path.display())
        .parse()
        .unwrap()
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn two_opens_share_flash_counters_and_unit_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("drive.json");
    let desc;
    {
        let mut a = Drive::open(&spec_at(&path, "")).unwrap();
        tur(&mut a);
        let mut d = a.flash()[DESCRIPTOR_OFFSET..DESCRIPTOR_OFFSET + DESCRIPTOR_LEN].to_vec();
        d[0x24..0x34].copy_from_slice(b"UNIQUE5555555555");
        good(&write_flash(&mut a, DESCRIPTOR_OFFSET, &d));
        desc = d;
    }
    assert_eq!(
        files_in(dir.path()),
        ["drive.json", "drive.json.flash-1.bin"]
    );
    let mut b = Drive::open(&spec_at(&path, "")).unwrap();
    assert_eq!(
        read_flash(&mut b, DESCRIPTOR_OFFSET, DESCRIPTOR_LEN).1,
        desc
    );
    // The command counter continues: this is the drive's fourth command.
    assert_eq!(b.command_log()[0].seq, 3);
    tur(&mut b);
    assert_eq!(b.command_log()[1].seq, 4);
    // The sense of the last command survives too.
    let (_, raw) = read(&mut b, &cdb::build_request_sense(18), 18);
    assert!(odflash::scsi::Sense::parse(&raw).unwrap().is_no_medium());
}

#[test]
fn a_flash_spread_over_several_opens() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("drive.json");
    let img = image("1.04");
    let chunks: Vec<&[u8]> = img.chunks(CHUNK).collect();
    {
        let mut a = Drive::open(&spec_at(&path, "")).unwrap();
        good(&no_data(&mut a, &prepare_cdb()));
        for (i, c) in chunks.iter().enumerate().take(64) {
            good(&write_flash(&mut a, i * CHUNK, c));
        }
    }
    {
        let mut b = Drive::open(&spec_at(&path, "")).unwrap();
        assert_eq!(b.activity(), Activity::Downloading);
        for (i, c) in chunks.iter().enumerate().skip(64) {
            good(&write_flash(&mut b, i * CHUNK, c));
        }
        assert_eq!(sense(&no_data(&mut b, &commit_cdb())), BURNING);
    }
    let mut c = Drive::open(&spec_at(&path, "")).unwrap();
    assert!(matches!(c.activity(), Activity::Burning { .. }));
    assert_eq!(sense(&wait_ready(&mut c)), RESET_UA);
    assert_eq!(c.mode(), Mode::App);
    assert_eq!(c.flash()[BOOT_REGION_END..], img[BOOT_REGION_END..]);
    // Staged data is gone with the burn; only the current flash sidecar remains.
    let names = files_in(dir.path());
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names.iter().all(|n| !n.contains("staged")));
}

#[test]
fn fault_progress_and_power_state_persist() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("drive.json");
    let faults = dir.path().join("faults.json");
    std::fs::write(
        &faults,
        r#"{"faults":[{"trigger":{"opcode":0},"action":{"kind":"power-loss"}}]}"#,
    )
    .unwrap();
    let extra = format!(",faults={}", faults.display());
    {
        let mut a = Drive::open(&spec_at(&path, &extra)).unwrap();
        let r = a.execute(&cdb::build_test_unit_ready(), Data::None, T);
        assert!(r.is_err());
        assert_eq!(a.faults_fired(), [true]);
    }
    let mut b = Drive::open(&spec_at(&path, &extra)).unwrap();
    assert_eq!(b.faults_fired(), [true]);
    // The power loss left a UNIT ATTENTION; the fault does not fire again.
    assert_eq!(sense(&tur(&mut b)), RESET_UA);
    assert_eq!(sense(&tur(&mut b)), NO_MEDIUM);
}

#[test]
fn state_wins_over_start_mode_and_family_must_match() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("drive.json");
    let a = Drive::open(&spec_at(&path, ",mode=boot")).unwrap();
    assert_eq!(a.mode(), Mode::Boot);
    drop(a);
    let b = Drive::open(&spec_at(&path, "")).unwrap();
    assert_eq!(b.mode(), Mode::Boot);
    let other: Spec = format!("emu:dru-710a,state-file={}", path.display())
        .parse()
        .unwrap();
    assert!(matches!(Drive::open(&other), Err(Error::State { .. })));
    std::fs::write(&path, "{}").unwrap();
    assert!(matches!(
        Drive::open(&spec_at(&path, "")),
        Err(Error::State { .. })
    ));
}

#[test]
fn dvd_state_file_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dvd.json");
    let spec: Spec = format!("emu:sohw-1633s,state-file={}", path.display())
        .parse()
        .unwrap();
    {
        let mut a = Drive::open(&spec).unwrap();
        tur(&mut a);
    }
    let mut b = Drive::open(&spec).unwrap();
    let (_, inq) = read(&mut b, &cdb::build_inquiry(36), 36);
    assert_eq!(&inq[16..32], b"DVDRW SOHW-1633S");
    assert_eq!(b.command_log()[0].seq, 2);
}

/// Runs in a child process (see `a_second_process_sees_the_first_ones_writes`); a no-op when
/// run directly.
#[test]
fn child_writes_calibration() {
    let Ok(path) = std::env::var("ODFLASH_EMU_CHILD_STATE") else {
        return;
    };
    let mut d = Drive::open(&spec_at(Path::new(&path), "")).unwrap();
    good(&write_flash(
        &mut d,
        CALIBRATION_OFFSET,
        &vec![0x42; CALIBRATION_LEN],
    ));
}

#[test]
fn a_second_process_sees_the_first_ones_writes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("drive.json");
    drop(Drive::open(&spec_at(&path, "")).unwrap());
    let status = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "emu_state::child_writes_calibration",
            "--test-threads=1",
        ])
        .env("ODFLASH_EMU_CHILD_STATE", &path)
        .status()
        .unwrap();
    assert!(status.success());
    let mut d = Drive::open(&spec_at(&path, "")).unwrap();
    let (o, cal) = read_flash(&mut d, CALIBRATION_OFFSET, CALIBRATION_LEN);
    good(&o);
    assert!(cal.iter().all(|&b| b == 0x42));
}

#[test]
fn switching_clocks_keeps_the_remaining_burn_time() {
    let mut d = open("emu:mt1959");
    for r in stream(&mut d, &image("1.04")) {
        good(&r.unwrap());
    }
    d.pause(Duration::from_secs(4));
    let Activity::Burning { remaining: before } = d.activity() else {
        panic!("not burning");
    };
    d.set_clock(ClockMode::Real).unwrap();
    let Activity::Burning { remaining: real } = d.activity() else {
        panic!("not burning on the real clock");
    };
    assert!(
        real <= before && real > before / 2,
        "{real:?} vs {before:?}"
    );
    d.set_clock(ClockMode::Virtual).unwrap();
    assert!(matches!(d.activity(), Activity::Burning { .. }));
    d.pause(before);
    assert_eq!(d.activity(), Activity::Idle);
    assert_eq!(d.mode(), Mode::App);
}

#[test]
fn virtual_pauses_cost_nothing_real_ones_sleep() {
    let mut v = open("emu:mt1959");
    let start = std::time::Instant::now();
    v.pause(Duration::from_secs(3600));
    assert!(start.elapsed() < Duration::from_secs(60));
    let mut r = open("emu:mt1959,clock=real");
    let start = std::time::Instant::now();
    r.pause(Duration::from_millis(20));
    assert!(start.elapsed() >= Duration::from_millis(20));
}
