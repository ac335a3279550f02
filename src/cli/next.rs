//! The one rendering of a suggested command ([`NextStep`], a value `ops` returns) as shell
//! text: the subcommand and its words, every option the user gave that it must repeat (each
//! waiver's flag, the risk acknowledgement, `--backup-dir` when not the default), POSIX quoting
//! and `sudo` in front for real drives ([`odflash::ops::suggest_command`]).
//!
//! This is the only place that spells a flag of a suggested command: `ops` knows what to
//! suggest, the CLI knows how it is typed.

use std::path::Path;

use odflash::ops::backup::DEFAULT_BASE;
use odflash::ops::eeprom::FromOtherDrive;
use odflash::ops::gates::{
    BackupWaiver, Bridge, Crossflash, Downgrade, Reinstall, UnknownBanner, Waivers,
};
use odflash::ops::next::{Carried, NextStep, Risk};
use odflash::ops::DriveCondition;

/// The command line of `step`, quoted for a POSIX shell, `sudo` first unless the drive is
/// emulated.
pub fn render(step: &NextStep) -> String {
    let (kind, words) = match step {
        NextStep::Info { device, kind } => (*kind, vec!["info".to_string(), device.clone()]),
        NextStep::Flash {
            device,
            kind,
            image,
            carried,
        } => {
            let mut words = vec![
                "flash".into(),
                device.clone(),
                path_text(image),
                "--execute".into(),
            ];
            words.extend(carried_words(carried));
            (*kind, words)
        }
        NextStep::Rescue {
            device,
            kind,
            image,
            carried,
        } => {
            let image = image.as_deref().map_or("IMAGE".into(), path_text);
            let mut words = vec!["rescue".into(), device.clone(), image];
            // Without a terminal, a rescue without --execute only plans.
            if carried.risk == Risk::Acknowledged {
                words.push("--execute".into());
            }
            words.extend(carried_words(carried));
            (*kind, words)
        }
        NextStep::RestoreUnitData {
            device,
            kind,
            file,
            from_other_drive,
            backup_base,
            risk,
        } => {
            let file = file.as_deref().map_or("FILE".into(), path_text);
            let mut words = vec![
                "eeprom".into(),
                "restore".into(),
                device.clone(),
                file,
                "--execute".into(),
            ];
            if *from_other_drive == FromOtherDrive::Allowed {
                words.push("--from-other-drive".into());
            }
            words.extend(risk_words(*risk));
            words.extend(backup_dir_words(backup_base));
            (*kind, words)
        }
    };
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    odflash::ops::suggest_command(kind, &words)
}

/// What the CLI's error line says after an error that carries `condition` (whose own text
/// ends with the state): the way back, in words, and the next command.
pub fn condition_tail(condition: &DriveCondition) -> String {
    let way_back = condition
        .way_back
        .as_ref()
        .map(|step| {
            format!(
                " (the unit data the drive had is in the backup: {})",
                render(step)
            )
        })
        .unwrap_or_default();
    format!("{way_back}; next: {}", render(&condition.next))
}

/// Each waiver's flag, the risk acknowledgement, then `--backup-dir` when not the default.
fn carried_words(c: &Carried) -> Vec<String> {
    let mut words = waiver_words(&c.waivers);
    words.extend(risk_words(c.risk));
    words.extend(backup_dir_words(&c.backup_base));
    words
}

/// The flag of each waiver given, in the order `odflash flash --help` lists them.
fn waiver_words(w: &Waivers) -> Vec<String> {
    [
        (w.crossflash == Crossflash::Allowed, "--crossflash"),
        (w.reinstall == Reinstall::Allowed, "--allow-reinstall"),
        (w.downgrade == Downgrade::Allowed, "--allow-older"),
        (w.bridge == Bridge::Allowed, "--allow-bridge"),
        (
            w.unknown_banner == UnknownBanner::Allowed,
            "--allow-unknown-banner",
        ),
        (w.backup == BackupWaiver::Waived, "--without-backup"),
    ]
    .iter()
    .filter(|(given, _)| *given)
    .map(|(_, flag)| flag.to_string())
    .collect()
}

fn risk_words(risk: Risk) -> Vec<String> {
    match risk {
        Risk::Acknowledged => vec!["--yes-i-understand-the-risk".into()],
        Risk::Unacknowledged => Vec::new(),
    }
}

fn backup_dir_words(base: &Path) -> Vec<String> {
    if base == Path::new(DEFAULT_BASE) {
        Vec::new()
    } else {
        vec!["--backup-dir".into(), path_text(base)]
    }
}

fn path_text(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use odflash::ops::drive::DeviceKind;

    fn carried(base: &str) -> Carried {
        Carried {
            backup_base: base.into(),
            waivers: Waivers {
                crossflash: Crossflash::Allowed,
                backup: BackupWaiver::Waived,
                ..Waivers::default()
            },
            risk: Risk::Acknowledged,
        }
    }

    #[test]
    fn every_option_given_is_in_the_command_and_quoted() {
        let step = NextStep::Flash {
            device: "/dev/sg1".into(),
            kind: DeviceKind::Real,
            image: "/tmp/my image.bin".into(),
            carried: carried("/srv/back ups"),
        };
        assert_eq!(
            render(&step),
            "sudo odflash flash /dev/sg1 '/tmp/my image.bin' --execute --crossflash \
             --without-backup --yes-i-understand-the-risk --backup-dir '/srv/back ups'"
        );
    }

    #[test]
    fn defaults_add_nothing_and_emulated_drives_need_no_sudo() {
        let step = NextStep::Rescue {
            device: "emu:mt1959".into(),
            kind: DeviceKind::Emulated,
            image: None,
            carried: Carried::default(),
        };
        assert_eq!(render(&step), "odflash rescue emu:mt1959 IMAGE");
        let step = NextStep::RestoreUnitData {
            device: "emu:mt1959".into(),
            kind: DeviceKind::Emulated,
            file: Some("/b/x.odbk".into()),
            from_other_drive: FromOtherDrive::Allowed,
            backup_base: "/b".into(),
            risk: Risk::Acknowledged,
        };
        assert_eq!(
            render(&step),
            "odflash eeprom restore emu:mt1959 /b/x.odbk --execute --from-other-drive \
             --yes-i-understand-the-risk --backup-dir /b"
        );
        let step = NextStep::Info {
            device: "/dev/sg2".into(),
            kind: DeviceKind::Real,
        };
        assert_eq!(render(&step), "sudo odflash info /dev/sg2");
    }

    #[test]
    fn a_condition_says_the_way_back_then_the_next_command() {
        let restore = |file: &str| NextStep::RestoreUnitData {
            device: "emu:mt1959".into(),
            kind: DeviceKind::Emulated,
            file: Some(file.into()),
            from_other_drive: FromOtherDrive::Refused,
            backup_base: DEFAULT_BASE.into(),
            risk: Risk::Unacknowledged,
        };
        let mut condition = DriveCondition {
            burned: odflash::ops::error::Burned::Partly,
            state: "partly written".into(),
            way_back: Some(Box::new(restore("/b/old.odbk"))),
            next: Box::new(restore("/b/new.odbk")),
        };
        assert_eq!(
            condition_tail(&condition),
            " (the unit data the drive had is in the backup: odflash eeprom restore emu:mt1959 \
             /b/old.odbk --execute); next: odflash eeprom restore emu:mt1959 /b/new.odbk \
             --execute"
        );
        condition.way_back = None;
        assert_eq!(
            condition_tail(&condition),
            "; next: odflash eeprom restore emu:mt1959 /b/new.odbk --execute"
        );
    }
}
