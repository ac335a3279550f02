//! `odflash udev-props DEVNAME`: the udev rule's `IMPORT{program}`. Prints `KEY=value` lines
//! (`ODFLASH_FAMILY_HINT`, `ODFLASH_STATE_HINT`, `ODFLASH_BUS`, `ODFLASH_USB_ID`) from sysfs
//! alone: it never opens the device, and prints nothing for devices that are not type 5.

use std::path::PathBuf;

use clap::Args;
use odflash::discover;

/// `odflash udev-props` arguments.
#[derive(Debug, Args)]
pub struct UdevPropsArgs {
    /// The SCSI generic device name (`sg3`), as the rule's `%k` gives it.
    pub devname: String,
    /// Read this sysfs tree instead of /sys (tests).
    #[arg(long, hide = true, value_name = "DIR", default_value = discover::SYSFS_ROOT)]
    pub sysfs_root: PathBuf,
}

impl UdevPropsArgs {
    /// Print the properties.
    pub fn run(self) -> anyhow::Result<()> {
        if let Some(hints) = discover::classify(&self.sysfs_root, &self.devname)? {
            print!("{}", hints.udev_env());
        }
        Ok(())
    }
}
