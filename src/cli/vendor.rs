//! `--experimental-reads`, shared by `info`, `dump`, `backup` and `eeprom dump`, and the
//! rendering of what the experimental reads did (`ops::vendor_reads`): the notice printed
//! before the first read, the dump report and the compatibility-group hint.

use clap::Args;
use odflash::discover::sanitize;
use odflash::family::{GroupAgreement, UnitHint, VendorReads};
use odflash::ops::drive::Drive;
use odflash::ops::vendor_reads::{
    CommandCount, DumpKind, ExperimentalReads, ReadRecord, VendorDump,
};

use super::output::print_json;

/// The opt-in for a drive family's experimental reads.
#[derive(Debug, Clone, Copy, Args)]
pub struct ExperimentalArg {
    /// Read a DVD-era LiteOn/Sony drive's EEPROM and firmware with its vendor read commands
    /// (DF 89, DF 83, and DF 00 0A if the drive refuses them). Experimental: the commands come
    /// from static reverse engineering and are unconfirmed on hardware. They only read; a real
    /// drive needs root (CAP_SYS_RAWIO) for them.
    #[arg(long)]
    pub experimental_reads: bool,
}

impl ExperimentalArg {
    /// The ops option.
    pub fn to_ops(self) -> ExperimentalReads {
        if self.experimental_reads {
            ExperimentalReads::Asked
        } else {
            ExperimentalReads::NotAsked
        }
    }
}

/// Say on stderr, before the first read, what is about to be sent and how far it is trusted.
pub fn notice(drive: &Drive, reads: &dyn VendorReads) {
    eprintln!(
        "odflash: experimental reads of this {} drive: they only read, with commands {}",
        drive.family_id(),
        reads.commands().source
    );
}

/// `DF 89 read EEPROM (128 bytes in) x8, ...`.
fn commands(counts: &[CommandCount]) -> String {
    counts
        .iter()
        .map(|c| format!("{} x{}", c.command, c.count))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The lines every experimental read report carries: what was sent, that it is unconfirmed,
/// the firmware view's check and the hint.
pub fn read_lines(read: &ReadRecord) -> Vec<(&'static str, String)> {
    let mut lines = vec![
        ("Commands", commands(&read.commands)),
        ("Experimental", read.source.clone()),
    ];
    if let Some(view) = &read.firmware_view {
        lines.push(("Logical view", format!("NEVER FLASHABLE: {}", view.note)));
        let banks = match view.banks_failing_check.as_slice() {
            [] => format!("all {} banks pass: each {}", view.banks, view.check),
            failing => format!(
                "{} of {} banks FAIL the check (each {}): {}",
                failing.len(),
                view.banks,
                view.check,
                failing
                    .iter()
                    .map(|b| b.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        lines.push(("Banks", banks));
    }
    if let Some(hint) = &read.hint {
        lines.push(("Group hint", hint_text(hint)));
    }
    lines
}

/// The hint in one line; device-provided text sanitized.
pub fn hint_text(hint: &UnitHint) -> String {
    let word = match hint.agreement {
        GroupAgreement::Same => "same group",
        GroupAgreement::Differs => "GROUP MISMATCH",
        GroupAgreement::FirmwareUnknown => "firmware group unknown",
    };
    sanitize(&format!("{word}: {}", hint.advice))
}

/// Print what a dump wrote (or its JSON).
pub fn print_dump(dump: &VendorDump, json: bool) -> anyhow::Result<()> {
    if json {
        return print_json(dump);
    }
    let m = &dump.manifest;
    let what = match m.kind {
        DumpKind::Eeprom => "EEPROM",
        DumpKind::FirmwareView => "firmware view",
    };
    println!(
        "{what} of {} written: {} ({} bytes, sha256 {})",
        sanitize(&m.device.label()),
        dump.path.display(),
        m.size,
        m.sha256
    );
    for (key, value) in read_lines(&m.read) {
        println!("  {key}: {value}");
    }
    println!("  manifest: {}", dump.manifest_path.display());
    Ok(())
}
