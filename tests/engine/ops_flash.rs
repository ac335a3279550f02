//! The flash engine against emulated drives: gates, backup, fault plan at every phase,
//! recovery. Assertions are on the emulator's command log and flash contents.

use crate::ops_common;

use ops_common::*;

use odflash::emu::{Action, Mode, Phase};
use odflash::image::layout::{BOOT_REGION_END, FLASH_SIZE};
use odflash::image::mt19xx::Chip;
use odflash::image::synth::{build_mt19xx, Banner, Breakage, SynthSpec};
use odflash::ops::backup;
use odflash::ops::drive::DeviceKind;
use odflash::ops::flash::{execute_flash, plan_flash, FlashOptions, FlashReport, ImageFile, Plan};
use odflash::ops::gates::{Crossflash, Downgrade, Gate, Reinstall, Waivers};
use odflash::ops::next::{Carried, NextStep, Risk};
use odflash::ops::{Error, ExitCode};

/// Dry run or the real thing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Execution {
    DryRun,
    Execute,
}

/// The options of a test run: the user's flash options and whether to execute the plan.
struct RunOptions {
    flash: FlashOptions,
    execution: Execution,
}

impl std::ops::Deref for RunOptions {
    type Target = FlashOptions;
    fn deref(&self) -> &FlashOptions {
        &self.flash
    }
}

impl std::ops::DerefMut for RunOptions {
    fn deref_mut(&mut self) -> &mut FlashOptions {
        &mut self.flash
    }
}

fn options(base: &std::path::Path, execution: Execution) -> RunOptions {
    RunOptions {
        flash: FlashOptions {
            backup_base: base.to_path_buf(),
            ..FlashOptions::default()
        },
        execution,
    }
}

/// What a test run did.
#[derive(Debug)]
enum FlashOutcome {
    Planned(Box<Plan>),
    Flashed(Box<FlashReport>),
}

/// What a failed flash of `upgrade()` on the default emulated drive carries into the command
/// it suggests: the backup directory the caller gave, no waivers, no risk acknowledgement.
fn carried(base: &std::path::Path) -> Carried {
    Carried {
        backup_base: base.to_path_buf(),
        waivers: Waivers::default(),
        risk: Risk::Unacknowledged,
    }
}

/// Plan, then (unless a dry run) execute that plan, as the CLI does.
fn run(
    drive: &mut odflash::emu::Drive,
    image: &ImageFile,
    opts: &RunOptions,
) -> Result<FlashOutcome, Error> {
    let (mut dev, identified) = device(drive);
    let plan = plan_flash(&identified, image, &opts.flash)?;
    if let Some(refusal) = plan.refusal() {
        return Err(refusal);
    }
    match opts.execution {
        Execution::DryRun => Ok(FlashOutcome::Planned(Box::new(plan))),
        Execution::Execute => execute_flash(&mut dev, &identified, plan, &opts.flash, &mut quiet)
            .map(|r| FlashOutcome::Flashed(Box::new(r))),
    }
}

#[test]
fn dry_run_plans_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut drive = mt1959();
    let outcome = run(
        &mut drive,
        &upgrade(),
        &options(dir.path(), Execution::DryRun),
    )
    .unwrap();
    let FlashOutcome::Planned(plan) = outcome else {
        panic!("dry run flashed")
    };
    assert_eq!(plan.gates.len(), Gate::ALL.len());
    assert!(plan.point_of_no_return.contains("128/128"));
    assert_eq!(count(&drive, WRITE_BUFFER), 0);
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "no backup in a dry run"
    );
}

fn refused_by(image: ImageFile, waivers: Waivers) -> (Gate, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut drive = mt1959();
    let mut opts = options(dir.path(), Execution::Execute);
    opts.waivers = waivers;
    let err = run(&mut drive, &image, &opts).unwrap_err();
    assert_eq!(err.exit_code(), ExitCode::GateRefused);
    assert_eq!(
        count(&drive, WRITE_BUFFER),
        0,
        "a refusing gate sent a write"
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    match err {
        Error::GateRefused { gate, reason } => (gate, reason),
        other => panic!("{other:?}"),
    }
}

#[test]
fn each_gate_refuses_with_zero_writes() {
    let none = Waivers::default;
    let cases = [
        (image_with("1.04", Breakage::Truncated), Gate::Size),
        (image_with("1.04", Breakage::BadCmac), Gate::Integrity),
        (image_with("1.04", Breakage::WrongTag), Gate::ChipFamily),
        (image_with("1.04", Breakage::RawDump), Gate::NotRawDump),
        (image_with("1.03", Breakage::None), Gate::Version),
        (image_with("1.00", Breakage::None), Gate::Version),
    ];
    for (image, gate) in cases {
        assert_eq!(refused_by(image, none()).0, gate);
    }
    let mut other_model = SynthSpec::new(Chip::Mt1959, "HL-DT-ST", "BD-RE BU20N", "1.04");
    let image = ImageFile {
        path: "/images/bu20n.bin".into(),
        bytes: build_mt19xx(&other_model).into(),
    };
    let (gate, reason) = refused_by(image, none());
    assert_eq!(gate, Gate::Model);
    assert!(
        reason.contains("BU20N") && reason.contains("--crossflash"),
        "{reason}"
    );
    other_model.model = "BD-RE BU40N".into();
    other_model.banner = Banner::Jb8;
    let image = ImageFile {
        path: "/images/jb8.bin".into(),
        bytes: build_mt19xx(&other_model).into(),
    };
    assert_eq!(refused_by(image, none()).0, Gate::KnownBootBanner);
}

#[test]
fn chip_family_gate_ignores_every_waiver() {
    let all = Waivers {
        crossflash: Crossflash::Allowed,
        reinstall: Reinstall::Allowed,
        downgrade: Downgrade::Allowed,
        ..Waivers::default()
    };
    let (gate, _) = refused_by(image_with("1.04", Breakage::WrongTag), all);
    assert_eq!(gate, Gate::ChipFamily);
}

#[test]
fn reinstall_waiver_lets_the_same_version_through() {
    let dir = tempfile::tempdir().unwrap();
    let mut drive = mt1959();
    let mut opts = options(dir.path(), Execution::DryRun);
    opts.waivers.reinstall = Reinstall::Allowed;
    let outcome = run(&mut drive, &image_with("1.03", Breakage::None), &opts).unwrap();
    assert!(matches!(outcome, FlashOutcome::Planned(_)));
}

#[test]
fn flash_backs_up_writes_commits_and_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let mut drive = mt1959();
    let before = drive.flash().to_vec();
    let image = upgrade();
    let outcome = run(&mut drive, &image, &options(dir.path(), Execution::Execute)).unwrap();
    let FlashOutcome::Flashed(report) = outcome else {
        panic!("not flashed")
    };
    assert_eq!(writes_with_mode(&drive, MODE_COMMIT), 1);
    assert_eq!(drive.mode(), Mode::App);
    assert_eq!(
        &drive.flash()[BOOT_REGION_END..],
        &image.bytes[BOOT_REGION_END..]
    );
    assert_eq!(
        &drive.flash()[..BOOT_REGION_END],
        &before[..BOOT_REGION_END]
    );
    // The backup is on disk, valid, and holds the old flash.
    let expected_replaced: Vec<String> = [
        ("identity", 0x1E_C000..0x1E_C100),
        ("calibration", 0x1F_0000..0x20_0000),
    ]
    .into_iter()
    .filter(|(_, r)| before[r.clone()] != image.bytes[r.clone()])
    .map(|(n, _)| n.to_string())
    .collect();
    assert_eq!(report.unit_data_replaced, expected_replaced);
    let b = odflash::ops::bundle::read_bundle(&report.backup.as_ref().unwrap().path).unwrap();
    let fw = b.part(backup::parts::FIRMWARE).unwrap();
    assert_eq!(&fw.bytes[BOOT_REGION_END..], &before[BOOT_REGION_END..]);
    // The backup was complete before the first write: every READ precedes every WRITE BUFFER.
    let log = drive.command_log();
    let first_write = log
        .iter()
        .position(|c| c.opcode() == Some(WRITE_BUFFER))
        .unwrap();
    let reads_before = log[..first_write]
        .iter()
        .filter(|c| c.opcode() == Some(0x3C))
        .count();
    assert!(reads_before >= FLASH_SIZE / 0x1_0000);
    // The verify reads the drive after the burn, every byte it checks: nothing is answered
    // from what the identification or the backup read before it.
    let commit = log
        .iter()
        .rposition(|c| c.opcode() == Some(WRITE_BUFFER))
        .unwrap();
    let verified: usize = log[commit..]
        .iter()
        .filter(|c| c.opcode() == Some(0x3C))
        .map(|c| c.requested)
        .sum();
    assert_eq!(verified, FLASH_SIZE - BOOT_REGION_END);
}

#[test]
fn unwritable_backup_dir_means_zero_writes() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("not-a-dir");
    std::fs::write(&blocker, b"x").unwrap();
    let mut drive = mt1959();
    let err = run(
        &mut drive,
        &upgrade(),
        &options(&blocker.join("backups"), Execution::Execute),
    )
    .unwrap_err();
    assert!(matches!(err, Error::Backup(_)), "{err:?}");
    assert_eq!(err.exit_code(), ExitCode::BackupFailed);
    assert_eq!(count(&drive, WRITE_BUFFER), 0);
}

#[test]
fn backup_read_failure_means_zero_writes() {
    let dir = tempfile::tempdir().unwrap();
    let mut drive = mt1959();
    // The calibration window cannot be read: the backup is useless, so nothing is written.
    drive
        .set_fault_plan(odflash::emu::FaultPlan {
            faults: vec![odflash::emu::Fault {
                trigger: odflash::emu::Trigger {
                    opcode: Some(0x3C),
                    offset: Some(0x1F_8000),
                    ..Default::default()
                },
                action: hardware_error(),
                repeat: true,
            }],
        })
        .unwrap();
    let err = run(
        &mut drive,
        &upgrade(),
        &options(dir.path(), Execution::Execute),
    )
    .unwrap_err();
    assert!(matches!(err, Error::Backup(_)), "{err:?}");
    assert_eq!(count(&drive, WRITE_BUFFER), 0);
}

#[test]
fn stream_failure_never_commits_and_says_nothing_was_burned() {
    for action in [hardware_error(), Action::Timeout, Action::Reset] {
        let dir = tempfile::tempdir().unwrap();
        let mut drive = mt1959();
        let before = drive.flash().to_vec();
        drive
            .set_fault_plan(fault(at(Phase::Stream, Some(0x8_0000)), action.clone()))
            .unwrap();
        let err = run(
            &mut drive,
            &upgrade(),
            &options(dir.path(), Execution::Execute),
        )
        .unwrap_err();
        assert_eq!(
            err.exit_code(),
            ExitCode::WriteInterrupted,
            "{action:?}: {err}"
        );
        let condition = err.condition().unwrap();
        assert!(
            condition.state.contains("nothing was burned"),
            "{condition}"
        );
        // The backup directory the caller gave is carried into the command.
        assert_eq!(
            *condition.next,
            NextStep::Flash {
                device: "emu:mt1959".into(),
                kind: DeviceKind::Emulated,
                image: "/images/bu40n.bin".into(),
                carried: carried(dir.path()),
            }
        );
        assert_eq!(writes_with_mode(&drive, MODE_COMMIT), 0, "{action:?}");
        assert_eq!(drive.flash(), &before[..]);
    }
}

#[test]
fn power_loss_mid_burn_leaves_recovery_and_a_second_flash_succeeds() {
    let dir = tempfile::tempdir().unwrap();
    let mut drive = mt1959();
    drive
        .set_fault_plan(fault(at(Phase::Burn, None), Action::PowerLoss))
        .unwrap();
    let image = upgrade();
    let err = run(&mut drive, &image, &options(dir.path(), Execution::Execute)).unwrap_err();
    let condition = err.condition().expect("a condition").clone();
    assert!(condition.state.contains("boot loader"), "{condition}");
    assert_eq!(
        *condition.next,
        NextStep::Rescue {
            device: "emu:mt1959".into(),
            kind: DeviceKind::Emulated,
            image: Some("/images/bu40n.bin".into()),
            carried: carried(dir.path()),
        }
    );
    assert_eq!(drive.mode(), Mode::Boot);

    // Rescue: the drive identifies in recovery and the same image flashes and verifies.
    drive
        .set_fault_plan(odflash::emu::FaultPlan::default())
        .unwrap();
    let (mut dev, identified) = device(&mut drive);
    assert_eq!(identified.state, odflash::family::DriveState::Recovery);
    let opts = options(dir.path(), Execution::Execute);
    let plan = plan_flash(&identified, &image, &opts).unwrap();
    execute_flash(&mut dev, &identified, plan, &opts, &mut quiet).unwrap();
    drop(dev);
    assert_eq!(drive.mode(), Mode::App);
    assert_eq!(
        &drive.flash()[BOOT_REGION_END..],
        &image.bytes[BOOT_REGION_END..]
    );
}

#[test]
fn faults_after_the_burn_are_never_reported_as_success() {
    let cases = [at(Phase::Commit, None), at(Phase::Verify, Some(0x15_0000))];
    for trigger in cases {
        for action in [
            hardware_error(),
            Action::PowerLoss,
            Action::ShortTransfer { bytes: 16 },
        ] {
            let dir = tempfile::tempdir().unwrap();
            let mut drive = mt1959();
            drive
                .set_fault_plan(fault(trigger.clone(), action.clone()))
                .unwrap();
            let result = run(
                &mut drive,
                &upgrade(),
                &options(dir.path(), Execution::Execute),
            );
            let holds_image = drive.flash()[BOOT_REGION_END..]
                == upgrade().bytes[BOOT_REGION_END..]
                && drive.mode() == Mode::App;
            match result {
                Ok(_) => assert!(
                    holds_image,
                    "{trigger:?} {action:?}: success without the image"
                ),
                Err(e) => {
                    let c = e
                        .condition()
                        .unwrap_or_else(|| panic!("{trigger:?} {action:?}: {e}"));
                    assert!(matches!(*c.next, NextStep::Rescue { .. }), "{c:?}");
                }
            }
        }
    }
}

#[test]
fn identify_only_family_is_refused_before_any_write() {
    let dir = tempfile::tempdir().unwrap();
    let spec = odflash::emu::Spec::new(odflash::emu::Family::LiteonDvd(
        odflash::emu::DvdPreset::Dru710a,
    ));
    let mut drive = odflash::emu::Drive::open(&spec).unwrap();
    let image = ImageFile {
        path: "/images/dru720a.bin".into(),
        bytes: odflash::image::synth::build_dvd_era("SONY", "DVD RW DRU-720A", "BYX5").into(),
    };
    let err = run(&mut drive, &image, &options(dir.path(), Execution::Execute)).unwrap_err();
    assert_eq!(err.exit_code(), ExitCode::FamilyUnsupported, "{err}");
    assert_eq!(count(&drive, WRITE_BUFFER), 0);
}

/// A crossflash across compatibility groups: a DRU-720A-group image offered to a DRU-710A is refused by the model gate,
/// which names both groups and the group table's reason.
#[test]
fn dru_720a_image_for_a_dru_710a_is_refused_with_the_group_reason() {
    use odflash::ops::flash::build_compat;
    use odflash::ops::gates::{check_model, Compat, Verdict};
    let compat = build_compat("DVD RW DRU-710A", "DVD RW DRU-720A");
    let Compat::OtherGroup {
        image_group,
        drive_group,
        reason,
    } = &compat
    else {
        panic!("{compat:?}")
    };
    assert_ne!(image_group, drive_group);
    assert!(!reason.is_empty());
    let mut input = odflash::ops::gates::GateInput {
        compat: Some(compat.clone()),
        ..placeholder_input()
    };
    match check_model(&input, Crossflash::Refused) {
        Some(Verdict::Refused { reason: r, waiver }) => {
            assert!(r.contains(image_group.as_str()) && r.contains(drive_group.as_str()));
            assert_eq!(waiver, Some("--crossflash"));
        }
        other => panic!("{other:?}"),
    }
    input.compat = Some(build_compat("DVD RW DRU-710A", "DVD RW DRU-710A"));
    assert!(matches!(
        check_model(&input, Crossflash::Refused),
        Some(Verdict::Pass { .. })
    ));
}

fn placeholder_input() -> odflash::ops::gates::GateInput {
    use odflash::ops::gates::{BannerCheck, Compat, GateInput, VersionOrder};
    GateInput {
        expected_size: 0x10_0000,
        image_size: 0x10_0000,
        uncuttable: None,
        integrity: Some(Ok("ok".into())),
        image_chip: None,
        drive_chip: None,
        compat: Some(Compat::SameModel {
            model: String::new(),
        }),
        raw_dump: None,
        banner: Some(BannerCheck::Unknown { banner: None }),
        version: VersionOrder::Unknown { why: String::new() },
        bad_bridge: None,
        flash_reads: odflash::family::FlashReads::Served,
    }
}

#[test]
fn offline_image_check_runs_the_drive_independent_gates() {
    let check_image = |image: &ImageFile| {
        let format = &odflash::image::mt19xx::FORMAT;
        let facts = odflash::image::format::Format::facts(format, &image.bytes).unwrap();
        odflash::ops::flash::check_image_offline(&facts, &[FLASH_SIZE])
    };
    let good = check_image(&upgrade());
    assert_eq!(good.len(), 4);
    assert!(good.iter().all(|v| !v.verdict.is_refused()), "{good:?}");
    let raw = check_image(&image_with("1.04", Breakage::RawDump));
    let refused: Vec<Gate> = raw
        .iter()
        .filter(|v| v.verdict.is_refused())
        .map(|v| v.gate)
        .collect();
    assert_eq!(refused, vec![Gate::NotRawDump]);
}

/// One cell of the fault matrix: what a flash with one fault ended as.
struct Cell {
    outcome: String,
    after: &'static str,
    next: String,
    next_works: bool,
}

/// Flash `upgrade()` with `plan`, then follow the report: power-cycle the drive as a user
/// would, and flash again (a rescue flashes the same way) without faults.
fn matrix_cell(plan: odflash::emu::FaultPlan) -> Cell {
    let dir = tempfile::tempdir().unwrap();
    let mut drive = mt1959();
    let old = drive.flash().to_vec();
    let image = upgrade();
    drive.set_fault_plan(plan).unwrap();
    let result = run(&mut drive, &image, &options(dir.path(), Execution::Execute));
    let holds_image = drive.flash()[BOOT_REGION_END..] == image.bytes[BOOT_REGION_END..];
    let holds_old = drive.flash()[BOOT_REGION_END..] == old[BOOT_REGION_END..];
    let after = match (drive.mode(), holds_image, holds_old) {
        (Mode::App, true, _) => "new firmware",
        (Mode::App, _, true) => "old firmware",
        (Mode::Boot, _, _) => "boot loader",
        _ => "other",
    };
    let (outcome, next) = match &result {
        Ok(_) => {
            assert!(
                holds_image && drive.mode() == Mode::App,
                "success reported, but the drive is in: {after}"
            );
            ("success".to_string(), "-".to_string())
        }
        Err(e) => {
            let next = e
                .condition()
                .map(|c| match *c.next {
                    NextStep::Info { .. } => "info",
                    NextStep::Flash { .. } => "flash",
                    NextStep::Rescue { .. } => "rescue",
                    NextStep::RestoreUnitData { .. } => "eeprom restore",
                })
                .unwrap_or_else(|| panic!("a failed write names no next step: {e}"))
                .to_string();
            (format!("exit {}", e.exit_code().code()), next)
        }
    };
    // Follow the next step.
    drive
        .set_fault_plan(odflash::emu::FaultPlan::default())
        .unwrap();
    drive.power_cycle().unwrap();
    let mut again = options(dir.path(), Execution::Execute);
    again.waivers.reinstall = Reinstall::Allowed;
    let next_works = result.is_ok()
        || (run(&mut drive, &image, &again).is_ok()
            && drive.flash()[BOOT_REGION_END..] == image.bytes[BOOT_REGION_END..]
            && drive.mode() == Mode::App);
    Cell {
        outcome,
        after,
        next,
        next_works,
    }
}

#[test]
fn fault_matrix_never_reports_a_wrong_success_and_every_next_step_works() {
    let phases = [
        ("prepare", at(Phase::Prepare, None)),
        ("chunk 1", at(Phase::Stream, Some(0))),
        ("chunk 65", at(Phase::Stream, Some(64 * 0x4000))),
        ("chunk 128", at(Phase::Stream, Some(127 * 0x4000))),
        ("burn", at(Phase::Burn, None)),
        ("commit", at(Phase::Commit, None)),
        ("verify", at(Phase::Verify, Some(0x15_0000))),
    ];
    let actions = [
        ("timeout", Action::Timeout),
        ("power loss", Action::PowerLoss),
        ("hw error", hardware_error()),
        ("short", Action::ShortTransfer { bytes: 16 }),
        ("reset", Action::Reset),
    ];
    // Every cell is independent: run them on a few threads, print the table in order.
    let cells: Vec<(String, Cell)> = std::thread::scope(|scope| {
        let jobs: Vec<_> = phases
            .iter()
            .flat_map(|(phase, trigger)| {
                actions.iter().map(move |(name, action)| {
                    let plan = fault(trigger.clone(), action.clone());
                    (format!("{phase:<10} {name:<11}"), plan)
                })
            })
            .collect();
        let chunks: Vec<Vec<_>> = jobs
            .chunks(jobs.len().div_ceil(4))
            .map(|c| c.to_vec())
            .collect();
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| {
                scope.spawn(move || {
                    chunk
                        .into_iter()
                        .map(|(label, plan)| (label, matrix_cell(plan)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a matrix cell panicked: a wrong success"))
            .collect()
    });
    println!(
        "{:<10} {:<11} {:<9} {:<13} {:<10} next step",
        "phase", "fault", "outcome", "drive after", "next works"
    );
    let mut broken = Vec::new();
    for (label, cell) in &cells {
        println!(
            "{label} {:<9} {:<13} {:<10} {}",
            cell.outcome,
            cell.after,
            if cell.next_works { "yes" } else { "NO" },
            cell.next
        );
        if !cell.next_works {
            broken.push(label.trim().to_string());
        }
    }
    assert!(
        broken.is_empty(),
        "next step does not work after: {broken:?}"
    );
}
