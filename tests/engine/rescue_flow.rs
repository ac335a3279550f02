//! `ops::rescue` in-process on emulated drives, with a scripted guide: a whole rescue (a drive
//! in recovery, the wrong image refused, the right one flashed and verified, the unit data
//! restored), declined writes that send nothing, and the identify-only DVD-era path.

use std::path::PathBuf;

use odflash::emu::{self, DvdPreset, Family, Spec, StartMode};
use odflash::family::DriveState;
use odflash::image::mt19xx::Chip;
use odflash::image::synth::{build_dvd_era, build_mt19xx, SynthSpec};
use odflash::ops::drive::{Device, DeviceKind};
use odflash::ops::flash::{FlashOptions, ImageFile};
use odflash::ops::gates::Gate;
use odflash::ops::next::{NextStep, Risk};
use odflash::ops::rescue::{
    rescue, Answer, Event, Guide, Question, RescueOptions, RestoreUnitData,
};
use odflash::ops::{Error, ExitCode, Progress};

/// WRITE BUFFER (SPC-4).
const WRITE_BUFFER: u8 = 0x3B;

/// A guide that records events and answers every question with `answer`.
struct Script {
    answer: Answer,
    events: Vec<Event>,
    asked: usize,
}

impl Script {
    fn new(answer: Answer) -> Self {
        Script {
            answer,
            events: Vec::new(),
            asked: 0,
        }
    }
}

impl Guide for Script {
    fn event(&mut self, event: &Event) {
        self.events.push(event.clone());
    }
    fn progress(&mut self, _: Progress) {}
    fn ask(&mut self, _: Question<'_>) -> Answer {
        self.asked += 1;
        self.answer
    }
}

fn mt1959(mode: StartMode) -> emu::Drive {
    let mut spec = Spec::new(Family::Mt1959);
    spec.mode = mode;
    emu::Drive::open(&spec).unwrap()
}

fn image(vendor: &str, model: &str, revision: &str) -> ImageFile {
    ImageFile {
        path: PathBuf::from(format!("/images/{}.bin", model.replace(' ', "_"))),
        bytes: build_mt19xx(&SynthSpec::new(Chip::Mt1959, vendor, model, revision)).into(),
    }
}

fn options(base: &std::path::Path, image: ImageFile, restore: RestoreUnitData) -> RescueOptions {
    RescueOptions {
        image: Some(image),
        flash: FlashOptions {
            backup_base: base.to_path_buf(),
            ..FlashOptions::default()
        },
        restore,
        restore_from: None,
        from_other_drive: odflash::ops::eeprom::FromOtherDrive::Refused,
    }
}

fn writes(drive: &emu::Drive) -> usize {
    drive
        .command_log()
        .iter()
        .filter(|c| c.opcode() == Some(WRITE_BUFFER))
        .count()
}

#[test]
fn recovery_drive_wrong_image_refused_right_image_flashed_unit_data_restored() {
    let base = tempfile::tempdir().unwrap();
    let mut drive = mt1959(StartMode::Boot);

    // The desktop-group image: refused by the model gate, nothing written.
    let wrong = image("ASUS", "BW-16D1HT", "3.02");
    let mut guide = Script::new(Answer::Proceed);
    let err = {
        let mut dev = Device::new(Box::new(&mut drive), "emu:mt1959", DeviceKind::Emulated);
        let opts = options(base.path(), wrong, RestoreUnitData::Yes);
        rescue(&mut dev, &opts, &mut guide).unwrap_err()
    };
    match &err {
        Error::GateRefused { gate, reason } => {
            assert_eq!(*gate, Gate::Model);
            assert!(reason.contains("group"), "{reason}");
        }
        other => panic!("{other}"),
    }
    assert_eq!(err.exit_code(), ExitCode::GateRefused);
    assert_eq!(guide.asked, 0);
    assert_eq!(writes(&drive), 0);
    assert!(matches!(
        &guide.events[0],
        Event::Identified {
            state: DriveState::Recovery,
            ..
        }
    ));

    // The right image: flashed, verified, then the unit data restored from the backup.
    let right = image("HL-DT-ST", "BD-RE BU40N", "1.04");
    let mut guide = Script::new(Answer::Proceed);
    let report = {
        let mut dev = Device::new(Box::new(&mut drive), "emu:mt1959", DeviceKind::Emulated);
        let opts = options(base.path(), right.clone(), RestoreUnitData::Yes);
        rescue(&mut dev, &opts, &mut guide).unwrap()
    };
    assert!(report.flashed && report.restored, "{report:?}");
    assert_eq!(report.initial, DriveState::Recovery);
    assert!(
        matches!(report.last, DriveState::NoMedium | DriveState::Ready),
        "{:?}",
        report.last
    );
    assert_eq!(guide.asked, 2, "one question per write");
    assert_eq!(drive.mode(), emu::Mode::App);
    let kinds: Vec<&str> = guide
        .events
        .iter()
        .map(|e| match e {
            Event::Identified { .. } => "identified",
            Event::Planned(_) => "checked",
            Event::Flashed(_) => "flashed",
            Event::UnitDataSource {
                backup: Some(_), ..
            } => "source",
            Event::Restored(_) => "restored",
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "identified",
            "checked",
            "flashed",
            "identified",
            "source",
            "restored",
            "identified"
        ]
    );
}

#[test]
fn declined_flash_writes_nothing_and_names_the_command() {
    let base = tempfile::tempdir().unwrap();
    let mut drive = mt1959(StartMode::Boot);
    let mut guide = Script::new(Answer::Decline);
    let report = {
        let mut dev = Device::new(Box::new(&mut drive), "emu:mt1959", DeviceKind::Emulated);
        let opts = options(
            base.path(),
            image("HL-DT-ST", "BD-RE BU40N", "1.04"),
            RestoreUnitData::Yes,
        );
        rescue(&mut dev, &opts, &mut guide).unwrap()
    };
    assert!(!report.flashed && !report.restored);
    assert_eq!(writes(&drive), 0);
    match guide.events.last().unwrap() {
        // Without a terminal, the command that flashes needs the risk acknowledgement.
        Event::DryRun {
            next: NextStep::Rescue { image, carried, .. },
        } => {
            assert!(image.is_some());
            assert_eq!(carried.risk, Risk::Acknowledged);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn needs_attention_drive_is_never_offered_a_backup_of_its_blank_unit_data() {
    let base = tempfile::tempdir().unwrap();
    let mut drive = mt1959(StartMode::NeedsAttention);
    // A backup taken in that state holds the blank calibration window: not a restore source.
    {
        let mut dev = Device::new(Box::new(&mut drive), "emu:mt1959", DeviceKind::Emulated);
        let found = odflash::ops::drive::identify(&mut dev).unwrap();
        odflash::ops::backup::backup(&mut dev, &found, base.path(), &mut |_| {}).unwrap();
    }
    drive.clear_command_log();
    let mut guide = Script::new(Answer::Proceed);
    let report = {
        let mut dev = Device::new(Box::new(&mut drive), "emu:mt1959", DeviceKind::Emulated);
        let opts = RescueOptions {
            image: None,
            ..options(
                base.path(),
                image("HL-DT-ST", "BD-RE BU40N", "1.04"),
                RestoreUnitData::Offer,
            )
        };
        rescue(&mut dev, &opts, &mut guide).unwrap()
    };
    assert!(matches!(report.last, DriveState::NeedsAttention { .. }));
    assert!(guide
        .events
        .iter()
        .any(|e| matches!(e, Event::UnitDataSource { backup: None, .. })));
    assert_eq!(writes(&drive), 0);
}

#[test]
fn dru_710a_is_identify_only_and_a_dru_720a_image_is_refused_with_the_group_reason() {
    let base = tempfile::tempdir().unwrap();
    let mut drive = emu::Drive::open(&Spec::new(Family::LiteonDvd(DvdPreset::Dru710a))).unwrap();
    let dvd_image = |model: &str| ImageFile {
        path: PathBuf::from("/images/dvd.bin"),
        bytes: build_dvd_era("SONY", model, "BYX5").into(),
    };
    let mut guide = Script::new(Answer::Proceed);
    let err = {
        let mut dev = Device::new(Box::new(&mut drive), "emu:dru-710a", DeviceKind::Emulated);
        let opts = options(
            base.path(),
            dvd_image("DVD RW DRU-720A"),
            RestoreUnitData::Yes,
        );
        rescue(&mut dev, &opts, &mut guide).unwrap_err()
    };
    match &err {
        Error::GateRefused { gate, reason } => {
            assert_eq!(*gate, Gate::Model);
            assert!(
                reason.contains("DRU-720A") && reason.contains("DRU-710A"),
                "{reason}"
            );
        }
        other => panic!("{other}"),
    }
    assert!(matches!(&guide.events[1], Event::IdentifyOnly(c) if c.why.is_some()));
    match &guide.events[2] {
        Event::ImageChecked(check) => assert_eq!(check.format, "liteon-dvd"),
        other => panic!("{other:?}"),
    }

    // Its own model's image fits, but odflash still cannot flash it: the chip-family gate
    // says why.
    let mut guide = Script::new(Answer::Proceed);
    let err = {
        let mut dev = Device::new(Box::new(&mut drive), "emu:dru-710a", DeviceKind::Emulated);
        let opts = options(
            base.path(),
            dvd_image("DVD RW DRU-710A"),
            RestoreUnitData::Yes,
        );
        rescue(&mut dev, &opts, &mut guide).unwrap_err()
    };
    match &err {
        Error::GateRefused { gate, reason } => {
            assert_eq!(*gate, Gate::ChipFamily);
            assert!(reason.contains("not public"), "{reason}");
        }
        other => panic!("{other}"),
    }
    assert_eq!(guide.asked, 0);
    assert_eq!(writes(&drive), 0);

    // Without an image: identify-only, exit "family not supported".
    let mut guide = Script::new(Answer::Proceed);
    let err = {
        let mut dev = Device::new(Box::new(&mut drive), "emu:dru-710a", DeviceKind::Emulated);
        let opts = RescueOptions {
            image: None,
            ..options(
                base.path(),
                dvd_image("DVD RW DRU-710A"),
                RestoreUnitData::Yes,
            )
        };
        rescue(&mut dev, &opts, &mut guide).unwrap_err()
    };
    assert_eq!(err.exit_code(), ExitCode::FamilyUnsupported, "{err}");
}

#[test]
fn restore_is_offered_after_a_flash_that_replaced_the_unit_data() {
    let base = tempfile::tempdir().unwrap();
    let mut drive = mt1959(StartMode::Boot);
    let mut guide = Script::new(Answer::Proceed);
    let report = {
        let mut dev = Device::new(Box::new(&mut drive), "emu:mt1959", DeviceKind::Emulated);
        let opts = options(
            base.path(),
            image("HL-DT-ST", "BD-RE BU40N", "1.04"),
            RestoreUnitData::Offer,
        );
        rescue(&mut dev, &opts, &mut guide).unwrap()
    };
    assert!(report.flashed && report.restored, "{report:?}");
    assert_eq!(guide.asked, 2, "the flash, then the offered restore");
}
