//! The next command a workflow suggests ("next: ..."), as a value: [`NextStep`] names the
//! command and everything the user gave that it must repeat ([`Carried`]: the backup
//! directory, each waiver, the risk acknowledgement), so following a suggestion backs up to and
//! restores from the same directory, under the same waivers.
//!
//! Owns only values. It spells no command line and no flag: the CLI renders a [`NextStep`] as
//! shell text where it prints or serialises one.

use std::path::PathBuf;

use serde::Serialize;

use super::backup::DEFAULT_BASE;
use super::drive::DeviceKind;
use super::eeprom::FromOtherDrive;
use super::gates::Waivers;

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
