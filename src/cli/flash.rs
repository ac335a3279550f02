//! `odflash flash`: the dry-run plan, or (with --execute) the gated, backed-up, verified flash.

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::Args;
use odflash::discover::sanitize;
use odflash::ops::check;
use odflash::ops::flash::{self, FlashOptions, FlashReport, ImageFile, Plan, Verification};
use odflash::ops::gates::{
    self, BackupWaiver, Bridge, Crossflash, Downgrade, GateVerdict, Reinstall, UnknownBanner,
    Verdict,
};
use odflash::ops::next::Risk;
use odflash::ops::open::Intent;
use serde::Serialize;

use super::args::Global;
use super::device::{confirm_write, open_drive};
use super::exit::held_signals;
use super::next;
use super::output::print_json;
use super::progress::{Bars, Display};

/// `odflash flash` arguments.
#[derive(Debug, Args)]
pub struct FlashArgs {
    /// The drive.
    pub device: String,
    /// The firmware image (2 MiB for MT19xx).
    pub image: PathBuf,
    /// Flash for real (otherwise print the plan and stop).
    #[arg(long)]
    pub execute: bool,
    #[command(flatten)]
    pub risk: RiskAck,
    #[command(flatten)]
    pub waivers: Waivers,
    /// Where the mandatory backup goes.
    #[arg(long, value_name = "DIR", default_value = "/var/lib/odflash/backups")]
    pub backup_dir: PathBuf,
    /// Machine-readable plan and report.
    #[arg(long)]
    pub json: bool,
}

/// The explicit acknowledgement needed to write when stdin is not a terminal.
#[derive(Debug, Args)]
pub struct RiskAck {
    /// Confirm a write without a terminal to ask on (scripts, CI).
    #[arg(long)]
    pub yes_i_understand_the_risk: bool,
}

impl RiskAck {
    /// The acknowledgement as ops carries it into suggested commands.
    pub fn to_ops(&self) -> Risk {
        if self.yes_i_understand_the_risk {
            Risk::Acknowledged
        } else {
            Risk::Unacknowledged
        }
    }
}

/// One flag per waivable gate; there is no umbrella --force.
#[derive(Debug, Args)]
pub struct Waivers {
    /// Flash an image made for another model group (the plan names both groups).
    #[arg(long)]
    pub crossflash: bool,
    /// Flash the version the drive already runs.
    #[arg(long)]
    pub allow_reinstall: bool,
    /// Flash an older version than the drive runs.
    #[arg(long)]
    pub allow_older: bool,
    /// Continue behind a USB bridge known to break flashing.
    #[arg(long)]
    pub allow_bridge: bool,
    /// Accept an image whose boot banner is not a known OEM one (never one that differs from
    /// the drive's own).
    #[arg(long)]
    pub allow_unknown_banner: bool,
    /// Flash a drive whose boot loader refuses flash reads, without the backup it cannot give
    /// (waives nothing where a read works).
    #[arg(long)]
    pub without_backup: bool,
}

impl FlashArgs {
    /// Print the plan; with --execute, flash.
    pub fn run(self, global: &Global) -> anyhow::Result<()> {
        // The image first: a bad input file ends the run before the drive hears a command.
        let image = ImageFile::read(&self.image)?;
        let (mut dev, drive) = open_drive(&self.device, global, Intent::of_execute(self.execute))?;
        let opts = FlashOptions {
            waivers: self.waivers.to_ops(),
            backup_base: self.backup_dir.clone(),
            risk: self.risk.to_ops(),
        };
        if !check::engine_takes(&drive, &image) {
            return refuse_unflashable(&drive, &image, &opts, self.json);
        }
        let plan = flash::plan_flash(&drive, &image, &opts)?;
        // The plan holds the bytes it sends: the file's copy is not kept through the write.
        drop(image);
        // With --json the plan is printed unless a report follows it: a refused --execute gets
        // its plan (with the refusing gate) as JSON too.
        if self.json && (!self.execute || plan.refusal().is_some()) {
            print_json(&plan)?;
        } else if !self.json {
            print!("{}", render_plan(&plan));
        }
        if let Some(refusal) = plan.refusal() {
            return Err(refusal.into());
        }
        if !self.execute {
            if !self.json {
                println!("\nDry run: nothing was written. Add --execute to flash.");
            }
            return Ok(());
        }
        confirm_write(&format!("flash {}", self.device), &self.risk)?;
        if !self.json {
            println!(
                "\nFlashing. Ctrl-C, SIGTERM and SIGHUP are held until the drive is safe: \
                 interrupting a burn would leave it in its boot loader."
            );
        }
        let mut bars = Display::new(if self.json { Bars::Off } else { Bars::Auto });
        let report = flash::execute_flash(&mut dev, &drive, plan, &opts, &mut |p| bars.update(p))?;
        bars.finish();
        if self.json {
            print_json(&ReportJson::of(&report))?;
        } else {
            print!("{}", render_report(&report));
        }
        held_signals(&report.deferred_signals)?;
        match &report.verify {
            Verification::Verified(_) => Ok(()),
            Verification::NotVerified { why } => {
                Err(odflash::ops::Error::NotVerified { why: why.clone() }.into())
            }
        }
    }
}

/// `flash --json`'s report: the report, and the restore command as the text `render_report`
/// prints beside its structured value.
#[derive(Serialize)]
struct ReportJson<'a> {
    #[serde(flatten)]
    report: &'a FlashReport,
    /// [`FlashReport::restore_own_unit_data`] as a command line.
    restore_own_unit_data_command: Option<String>,
}

impl<'a> ReportJson<'a> {
    fn of(report: &'a FlashReport) -> ReportJson<'a> {
        ReportJson {
            report,
            restore_own_unit_data_command: report.restore_own_unit_data.as_ref().map(next::render),
        }
    }
}

/// An identify-only drive, or an image the flash engine does not take: show what the image gates
/// say (e.g. the compat group reason), then refuse; nothing is sent beyond identification.
fn refuse_unflashable(
    drive: &odflash::ops::drive::Drive,
    image: &ImageFile,
    opts: &FlashOptions,
    json: bool,
) -> anyhow::Result<()> {
    let result = check::check_image(image, Some(drive), &opts.waivers)?;
    if json {
        print_json(&result)?;
    } else {
        println!("Drive:  {}", sanitize(&drive.record().label()));
        print!("{}", render_gates(&result.gates));
    }
    // check_image always refuses here (the chip-family gate at least). An identify-only drive
    // whose only refusal is that gate gets the identify-only error (exit 101, as `backup` and
    // `dump` do); any other refusing gate (e.g. the model gate's group reason) is the answer.
    let refusal = result.refusal();
    let only_chip_family = matches!(
        refusal,
        None | Some(odflash::ops::Error::GateRefused {
            gate: gates::Gate::ChipFamily,
            ..
        })
    );
    match (drive.flash_access(), refusal) {
        (Err(identify_only), _) if only_chip_family => Err(identify_only.into()),
        (_, Some(refusal)) => Err(refusal.into()),
        (_, None) => Err(anyhow::anyhow!(
            "this image cannot be flashed to this drive"
        )),
    }
}

impl Waivers {
    /// The ops waivers: one enum per gate.
    pub fn to_ops(&self) -> gates::Waivers {
        gates::Waivers {
            crossflash: if self.crossflash {
                Crossflash::Allowed
            } else {
                Crossflash::Refused
            },
            reinstall: if self.allow_reinstall {
                Reinstall::Allowed
            } else {
                Reinstall::Refused
            },
            downgrade: if self.allow_older {
                Downgrade::Allowed
            } else {
                Downgrade::Refused
            },
            bridge: if self.allow_bridge {
                Bridge::Allowed
            } else {
                Bridge::Refused
            },
            unknown_banner: if self.allow_unknown_banner {
                UnknownBanner::Allowed
            } else {
                UnknownBanner::Refused
            },
            backup: if self.without_backup {
                BackupWaiver::Waived
            } else {
                BackupWaiver::Required
            },
        }
    }
}

/// The dry-run plan as text: drive, image, gates, steps, point of no return.
pub fn render_plan(plan: &Plan) -> String {
    let mut out = String::new();
    let d = &plan.device.identity;
    let _ = writeln!(out, "Drive:  {}", sanitize(&plan.device.label()));
    let _ = writeln!(
        out,
        "        family {}, chip {}, state {}",
        plan.device.family,
        d.chip.as_deref().unwrap_or("unknown"),
        plan.state
    );
    let i = &plan.image;
    let _ = writeln!(
        out,
        "Image:  {} ({} bytes, sha256 {})",
        i.path.display(),
        i.size,
        i.sha256
    );
    let _ = write!(
        out,
        "        chip {}, model {}, revision {}",
        i.chip.as_deref().unwrap_or("?"),
        sanitize(i.model.as_deref().unwrap_or("?")),
        sanitize(i.revision.as_deref().unwrap_or("?")),
    );
    match &i.banner {
        Some(banner) => {
            let _ = writeln!(out, ", banner {}", sanitize(banner));
        }
        None => out.push('\n'),
    }
    out.push_str(&render_gates(&plan.gates));
    if plan.steps.is_empty() {
        let _ = writeln!(
            out,
            "Steps:  none: the image cannot be cut into this drive's commands"
        );
    } else {
        let _ = writeln!(out, "Steps:");
        for (n, step) in plan.steps.iter().enumerate() {
            let _ = writeln!(out, "  {}. {}", n + 1, step);
        }
        let _ = writeln!(out, "Point of no return: {}", plan.point_of_no_return);
    }
    if !plan.unit_windows_written.is_empty() {
        let own = if plan
            .steps
            .iter()
            .any(|s| matches!(s, flash::Step::NoBackup { .. }))
        {
            "the drive's own cannot be backed up now: `odflash rescue` offers the newest backup \
             of this model afterwards"
        } else {
            "the drive's own is in the backup and `odflash eeprom restore` puts it back"
        };
        let _ = writeln!(
            out,
            "Note: the image carries its own {} data; {own}.",
            plan.unit_windows_written.join(" and ")
        );
    }
    out
}

/// Every gate with its verdict, one per line.
pub fn render_gates(gates: &[GateVerdict]) -> String {
    let mut out = String::from("Gates:\n");
    for g in gates {
        let gate = g.gate.to_string();
        let line = match &g.verdict {
            Verdict::Pass { detail } => format!("  PASS     {gate:<15} {}", sanitize(detail)),
            Verdict::Waived { detail, waiver } => {
                format!("  WAIVED   {gate:<15} {} ({waiver})", sanitize(detail))
            }
            Verdict::Refused { reason, waiver } => match waiver {
                Some(w) => format!("  REFUSED  {gate:<15} {} (override: {w})", sanitize(reason)),
                None => format!(
                    "  REFUSED  {gate:<15} {} (cannot be overridden)",
                    sanitize(reason)
                ),
            },
        };
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// The final report of a flash.
pub fn render_report(r: &FlashReport) -> String {
    let mut out = String::new();
    match &r.backup {
        Some(b) => {
            let _ = writeln!(out, "Backup:   {}", b.path.display());
        }
        None => {
            let _ = writeln!(
                out,
                "Backup:   none ({}; waived with --without-backup)",
                r.plan.device.identity.flash_reads
            );
        }
    }
    let _ = writeln!(out, "Commit:   {}", r.commit);
    if let Some(revision) = &r.revision_after {
        let _ = writeln!(
            out,
            "Drive:    answers again, reporting revision {}",
            sanitize(revision)
        );
    }
    match &r.verify {
        Verification::Verified(read) => {
            let _ = writeln!(
                out,
                "Verify:   every byte outside the protected boot region read back equal ({} KiB \
                 chunks, {} commands)",
                read.chunk / 1024,
                read.commands
            );
        }
        Verification::NotVerified { why } => {
            let _ = writeln!(
                out,
                "Verify:   NOT VERIFIED by read-back: {}",
                sanitize(why)
            );
        }
    }
    if let Some(restore) = &r.restore_own_unit_data {
        let _ = writeln!(
            out,
            "Unit data: the image replaced the drive's {} data. To put the drive's own back:\n  \
             {}",
            r.unit_data_replaced.join(" and "),
            next::render(restore),
        );
    }
    let _ = writeln!(
        out,
        "{}",
        match r.verify {
            Verification::Verified(_) => "Flash complete.",
            Verification::NotVerified { .. } =>
                "Flash sent, but NOT VERIFIED: check the drive with `odflash info`.",
        }
    );
    out
}
