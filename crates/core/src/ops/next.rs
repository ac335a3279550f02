//! The next command a workflow suggests ("next: ..."), as a value ([`NextStep`]), and its one
//! rendering as shell text ([`NextStep::command`]): `sudo` in front for real drives, POSIX
//! quoting, and every option the user gave that the command needs ([`Carried`]: the backup
//! directory when it is not the default, each waiver, the risk acknowledgement). Following a
//! suggestion then backs up to and restores from the same directory, under the same waivers.
//!
//! Owns only the words of a command line; it runs nothing and knows no drive.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::backup::DEFAULT_BASE;
use super::drive::DeviceKind;
use super::eeprom::FromOtherDrive;
use super::gates::{
    BackupWaiver, Bridge, Crossflash, Downgrade, Reinstall, UnknownBanner, Waivers,
};

/// Whether the user acknowledged the risk of a write on the command line
/// (`--yes-i-understand-the-risk`). Ops never asks; it only carries the answer into the
/// commands it suggests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Risk {
    /// Not given: the suggested command asks on a terminal (default).
    #[default]
    Unacknowledged,
    /// Given.
    Acknowledged,
}

/// The options of the command the user ran that a suggested write command repeats.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Carried {
    /// Where backups are written and looked up (`--backup-dir`).
    pub backup_base: PathBuf,
    /// The gate waivers given.
    pub waivers: Waivers,
    /// The risk acknowledgement.
    pub risk: Risk,
}

impl Default for Carried {
    fn default() -> Self {
        Carried {
            backup_base: PathBuf::from(DEFAULT_BASE),
            waivers: Waivers::default(),
            risk: Risk::Unacknowledged,
        }
    }
}

/// A command to suggest to the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "command", rename_all = "kebab-case")]
pub enum NextStep {
    /// `odflash info DEVICE`: look at the drive (nothing to write).
    Info {
        /// The drive.
        device: String,
        /// What is behind it (decides `sudo`).
        #[serde(skip)]
        kind: DeviceKind,
    },
    /// `odflash flash DEVICE IMAGE --execute`: flash again.
    Flash {
        /// The drive.
        device: String,
        /// What is behind it (decides `sudo`).
        #[serde(skip)]
        kind: DeviceKind,
        /// The image.
        image: PathBuf,
        /// The user's options.
        carried: Carried,
    },
    /// `odflash rescue DEVICE IMAGE`: the guided rescue (with `--execute` when the risk was
    /// acknowledged, since without a terminal it would only plan).
    Rescue {
        /// The drive.
        device: String,
        /// What is behind it (decides `sudo`).
        #[serde(skip)]
        kind: DeviceKind,
        /// The image (`None`: the user must find one; shown as IMAGE).
        image: Option<PathBuf>,
        /// The user's options.
        carried: Carried,
    },
    /// `odflash eeprom restore DEVICE FILE --execute`: put unit data back.
    RestoreUnitData {
        /// The drive.
        device: String,
        /// What is behind it (decides `sudo`).
        #[serde(skip)]
        kind: DeviceKind,
        /// The bundle (`None`: the user must name one; shown as FILE).
        file: Option<PathBuf>,
        /// `--from-other-drive`, when the user gave it for this file.
        from_other_drive: FromOtherDrive,
        /// Where the restore's own backup goes (`--backup-dir`).
        backup_base: PathBuf,
        /// The risk acknowledgement (a restore takes no gate waivers).
        risk: Risk,
    },
}

/// The options of a suggested command, apart from its own words.
struct Options<'a> {
    waivers: Option<&'a Waivers>,
    backup_base: Option<&'a Path>,
    risk: Risk,
}

impl<'a> Options<'a> {
    /// Everything the user's command carried.
    fn carried(c: &'a Carried) -> Options<'a> {
        Options {
            waivers: Some(&c.waivers),
            backup_base: Some(&c.backup_base),
            risk: c.risk,
        }
    }
}

impl NextStep {
    /// The command line, quoted for a POSIX shell, `sudo` first unless the drive is emulated.
    pub fn command(&self) -> String {
        let mut words: Vec<String> = Vec::new();
        let mut push = |w: &str| words.push(w.to_string());
        let (kind, options) = match self {
            NextStep::Info { device, kind } => {
                push("info");
                push(device);
                let none = Options {
                    waivers: None,
                    backup_base: None,
                    risk: Risk::Unacknowledged,
                };
                (*kind, none)
            }
            NextStep::Flash {
                device,
                kind,
                image,
                carried: c,
            } => {
                push("flash");
                push(device);
                push(&path_text(image));
                push("--execute");
                (*kind, Options::carried(c))
            }
            NextStep::Rescue {
                device,
                kind,
                image,
                carried: c,
            } => {
                push("rescue");
                push(device);
                push(&image.as_deref().map_or("IMAGE".into(), path_text));
                if c.risk == Risk::Acknowledged {
                    push("--execute");
                }
                (*kind, Options::carried(c))
            }
            NextStep::RestoreUnitData {
                device,
                kind,
                file,
                from_other_drive,
                backup_base,
                risk,
            } => {
                push("eeprom");
                push("restore");
                push(device);
                push(&file.as_deref().map_or("FILE".into(), path_text));
                push("--execute");
                if *from_other_drive == FromOtherDrive::Allowed {
                    push("--from-other-drive");
                }
                let options = Options {
                    waivers: None,
                    backup_base: Some(backup_base),
                    risk: *risk,
                };
                (*kind, options)
            }
        };
        words.extend(option_words(&options));
        let words: Vec<&str> = words.iter().map(String::as_str).collect();
        super::suggest_command(kind, &words)
    }
}

impl std::fmt::Display for NextStep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.command())
    }
}

/// The flag of each waiver given, the risk acknowledgement, and `--backup-dir` when not the
/// default.
fn option_words(options: &Options<'_>) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    if let Some(w) = options.waivers {
        let given = [
            (w.crossflash == Crossflash::Allowed, "--crossflash"),
            (w.reinstall == Reinstall::Allowed, "--allow-reinstall"),
            (w.downgrade == Downgrade::Allowed, "--allow-older"),
            (w.bridge == Bridge::Allowed, "--allow-bridge"),
            (
                w.unknown_banner == UnknownBanner::Allowed,
                "--allow-unknown-banner",
            ),
            (w.backup == BackupWaiver::Waived, "--without-backup"),
        ];
        words.extend(
            given
                .iter()
                .filter(|(on, _)| *on)
                .map(|(_, f)| f.to_string()),
        );
    }
    if options.risk == Risk::Acknowledged {
        words.push("--yes-i-understand-the-risk".into());
    }
    if let Some(base) = options
        .backup_base
        .filter(|b| *b != Path::new(DEFAULT_BASE))
    {
        words.push("--backup-dir".into());
        words.push(path_text(base));
    }
    words
}

fn path_text(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

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
            step.command(),
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
        assert_eq!(step.command(), "odflash rescue emu:mt1959 IMAGE");
        let step = NextStep::RestoreUnitData {
            device: "emu:mt1959".into(),
            kind: DeviceKind::Emulated,
            file: Some("/b/x.odbk".into()),
            from_other_drive: FromOtherDrive::Allowed,
            backup_base: "/b".into(),
            risk: Risk::Acknowledged,
        };
        assert_eq!(
            step.command(),
            "odflash eeprom restore emu:mt1959 /b/x.odbk --execute --from-other-drive \
             --yes-i-understand-the-risk --backup-dir /b"
        );
        assert_eq!(
            NextStep::Info {
                device: "/dev/sg2".into(),
                kind: DeviceKind::Real,
            }
            .command(),
            "sudo odflash info /dev/sg2"
        );
    }
}
