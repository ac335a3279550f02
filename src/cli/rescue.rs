//! `odflash rescue [DEVICE] [IMAGE]`: the guided rescue, printed as numbered steps a user can
//! follow. On a terminal it asks before each write; otherwise flags answer
//! (`--execute --yes-i-understand-the-risk`, `--restore-unit-data yes|no`), and without them
//! nothing is written. The workflow itself is `ops::rescue::rescue`; this file waits for the
//! drive, opens it, and renders the workflow's events.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use clap::{Args, ValueEnum};
use odflash::discover::{self, sanitize, Present, WaitOutcome};
use odflash::ops::eeprom::FromOtherDrive;
use odflash::ops::flash::{FlashOptions, ImageFile};
use odflash::ops::open::{self, Intent, OpenOptions};
use odflash::ops::rescue::{self, Answer, Event, Guide, Question, RescueOptions, RestoreUnitData};
use odflash::ops::Progress;

use super::args::{parse_seconds, Global};
use super::exit::held_signals;
use super::flash::{render_gates, render_plan, render_report, RiskAck, Waivers};
use super::next::render;
use super::progress::{Bars, Display};

/// The DEVICE that means "wait for a drive to appear".
const WAIT_FOR_DRIVE: &str = "-";

/// `odflash rescue` arguments.
#[derive(Debug, Args)]
pub struct RescueArgs {
    /// The drive, or `-` to wait for one to appear (the default).
    #[arg(default_value = WAIT_FOR_DRIVE)]
    pub device: String,
    /// The firmware image to flash (MT19xx), or to check (DVD-era drives).
    pub image: Option<PathBuf>,
    /// Write without asking (with --yes-i-understand-the-risk when there is no terminal).
    #[arg(long)]
    pub execute: bool,
    #[command(flatten)]
    pub risk: RiskAck,
    /// How long to wait for a drive to appear, in seconds.
    #[arg(long, default_value = "120", value_name = "SECONDS", value_parser = parse_seconds)]
    pub wait: Duration,
    /// Restore the unit data from the newest backup of this drive after the flash (default:
    /// offer it when the drive needs attention or the image replaced the drive's own).
    #[arg(long, value_enum, value_name = "yes|no")]
    pub restore_unit_data: Option<YesNo>,
    /// Restore the unit data from this backup bundle (answers the restore question; the
    /// restore still checks the bundle against the drive).
    #[arg(long, value_name = "FILE")]
    pub restore_from: Option<PathBuf>,
    /// Accept unit data saved from another drive, or from one that cannot be told apart from
    /// this one (no serial): its calibration may not fit.
    #[arg(long)]
    pub from_other_drive: bool,
    /// Where backups are written and looked up.
    #[arg(long, value_name = "DIR", default_value = odflash::ops::backup::DEFAULT_BASE)]
    pub backup_dir: PathBuf,
    #[command(flatten)]
    pub waivers: Waivers,
}

/// A yes/no flag value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum YesNo {
    /// Yes.
    Yes,
    /// No.
    No,
}

impl RescueArgs {
    /// Run the guided rescue.
    pub fn run(self, global: &Global) -> anyhow::Result<()> {
        let image = self.image.as_deref().map(ImageFile::read).transpose()?;
        let mut guide = Terminal {
            bars: Display::new(Bars::Auto),
            step: 0,
            interactive: std::io::stdin().is_terminal(),
            execute: self.execute,
            acknowledged: self.risk.yes_i_understand_the_risk,
            restore: self.restore_unit_data,
            from_other_drive: self.from_other_drive,
            device: self.device.clone(),
        };

        guide.heading("Put the drive in safe mode (skip this if it is already connected)");
        for (i, line) in rescue::safe_mode_steps().iter().enumerate() {
            println!("   {}. {line}", i + 1);
        }
        println!("   {}", rescue::safe_mode_note(None));

        let device = if self.device == WAIT_FOR_DRIVE {
            guide.heading(&format!(
                "Waiting up to {} s for a drive to appear",
                self.wait.as_secs_f64()
            ));
            wait_for_drive(self.wait)?
        } else {
            guide.heading(&format!("Using {}", sanitize(&self.device)));
            self.device.clone()
        };
        guide.device = device.clone();
        // A rescue that will write: nobody else may reach the drive from identification on.
        let opts = OpenOptions {
            intent: Intent::of_execute(self.execute),
            ..global.open_options()?
        };
        let mut dev = open::open(&device, &opts)?;
        let opts = RescueOptions {
            image,
            flash: FlashOptions {
                waivers: self.waivers.to_ops(),
                backup_base: self.backup_dir.clone(),
                risk: self.risk.to_ops(),
            },
            restore: match self.restore_unit_data {
                None => RestoreUnitData::Offer,
                Some(YesNo::Yes) => RestoreUnitData::Yes,
                Some(YesNo::No) => RestoreUnitData::No,
            },
            restore_from: self.restore_from.clone(),
            from_other_drive: if self.from_other_drive {
                FromOtherDrive::Allowed
            } else {
                FromOtherDrive::Refused
            },
        };
        let report = rescue::rescue(&mut dev, &opts, &mut guide)?;
        // A signal held during a write ended the rescue after it, once the drive was safe.
        held_signals(&report.deferred_signals)?;
        guide.heading(&format!("Done. The drive's state: {}", report.last));
        match report.unverified {
            None => Ok(()),
            Some(why) => Err(odflash::ops::Error::NotVerified { why }.into()),
        }
    }
}

/// Wait for a drive that appears after now (the power cycle); list the ones already there.
fn wait_for_drive(limit: Duration) -> anyhow::Result<String> {
    for drive in discover::enumerate().unwrap_or_default() {
        println!(
            "   Already connected: {} {} {} (pass it as DEVICE to use it)",
            drive.sg_node.display(),
            drive.vendor,
            drive.model
        );
    }
    // Ctrl-C ends the wait with the default action: nothing has been written yet.
    let never = AtomicBool::new(false);
    match discover::wait_for_drive(limit, Present::Ignore, &never, |_| true)? {
        WaitOutcome::Found(drive) => {
            println!(
                "   Found {} {} {} {}",
                drive.sg_node.display(),
                drive.vendor,
                drive.model,
                drive.revision
            );
            Ok(drive.sg_node.display().to_string())
        }
        WaitOutcome::TimedOut | WaitOutcome::Stopped => anyhow::bail!(
            "no optical drive appeared within {} s: check the cable and power, repeat the \
             safe-mode steps, or pass the drive as DEVICE (see `odflash scan`)",
            limit.as_secs_f64()
        ),
    }
}

/// The rescue's guide on stdout/stdin.
struct Terminal {
    bars: Display,
    step: usize,
    interactive: bool,
    execute: bool,
    acknowledged: bool,
    restore: Option<YesNo>,
    /// `--from-other-drive` was given.
    from_other_drive: bool,
    /// The DEVICE the rescue acts on, once known (for the commands it suggests).
    device: String,
}

impl Terminal {
    /// Print the next numbered step.
    fn heading(&mut self, title: &str) {
        self.step += 1;
        println!("\nStep {}. {title}", self.step);
    }

    /// Ask a yes/no question on the terminal; only a typed YES proceeds.
    fn ask_terminal(&self, question: &str) -> Answer {
        print!("   {question} Type YES to continue: ");
        // A failed flush or read counts as "no": nothing is written without a clear YES.
        let _ = std::io::stdout().flush();
        let mut line = String::new();
        match std::io::stdin().lock().read_line(&mut line) {
            Ok(_) if line.trim() == "YES" => Answer::Proceed,
            _ => Answer::Decline,
        }
    }

    /// A write that the flags allow without asking, may ask on a terminal, else is declined.
    fn consent(&self, allowed_by_flags: bool, question: &str) -> Answer {
        if allowed_by_flags && self.acknowledged {
            Answer::Proceed
        } else if self.interactive {
            self.ask_terminal(question)
        } else {
            if allowed_by_flags {
                println!(
                    "   Not writing: add --yes-i-understand-the-risk (no terminal to ask on)."
                );
            }
            Answer::Decline
        }
    }
}

impl Guide for Terminal {
    fn event(&mut self, event: &Event) {
        match event {
            Event::Identified {
                family,
                identity,
                state,
                after_write,
            } => {
                self.heading(if *after_write {
                    "Check the drive again"
                } else {
                    "Identify the drive"
                });
                println!(
                    "   {} {} {}: family {family}{}, {state}",
                    sanitize(&identity.vendor),
                    sanitize(&identity.model),
                    sanitize(&identity.revision),
                    identity
                        .chip
                        .as_deref()
                        .map(|c| format!(" ({})", sanitize(c)))
                        .unwrap_or_default(),
                );
                if !after_write {
                    println!("   {}", rescue::safe_mode_note(Some(family)));
                }
            }
            Event::Busy { sense } => {
                println!(
                    "   The drive is busy ({}): it may still be writing its flash. Waiting for \
                     it; do not power it off.",
                    sense.code_text()
                );
            }
            Event::IdentifyOnly(caps) => {
                self.heading("What odflash can do for this drive");
                for can in &caps.can {
                    println!("   can:    {can}");
                }
                for cannot in &caps.cannot {
                    println!("   cannot: {cannot}");
                }
                if let Some(why) = caps.why {
                    println!("   why:    {why}");
                }
                if let Some(led) = caps.blinking_led {
                    println!("   LED:    {led}");
                }
                if let Some(source) = caps.experimental_reads {
                    let look = odflash::ops::suggest_command(
                        open::kind_of(&self.device),
                        &["info", &self.device, "--experimental-reads"],
                    );
                    println!(
                        "   try:    {look}\n           reads the EEPROM and says which group's \
                         firmware it names ({source})"
                    );
                }
            }
            Event::NoImage { needs_flash, next } => {
                self.heading("Firmware image");
                if *needs_flash {
                    println!(
                        "   None given. The drive needs its firmware flashed again: get the image \
                         for this model and run\n   {}",
                        render(next)
                    );
                } else {
                    println!("   None given: nothing to flash.");
                }
            }
            Event::ImageChecked(check) => {
                self.heading("Check the image against the drive");
                print!("{}", render_gates(&check.gates));
            }
            Event::Planned(plan) => {
                self.heading("Check the image against the drive");
                print!("{}", render_plan(plan));
            }
            Event::DryRun { next } => {
                println!(
                    "Dry run: nothing was written. To flash:\n   {}",
                    render(next)
                );
            }
            Event::Flashed(report) => {
                self.bars.finish();
                self.heading("Flash, wait for the drive, verify");
                print!("{}", render_report(report));
            }
            Event::UnitDataSource { backup, own_file } => {
                self.heading("Restore the drive's unit data (identity and calibration)");
                match backup {
                    Some(path) => println!(
                        "   From {} (the newest backup of this drive; of its model when its \
                         serial could not be read)",
                        path.display()
                    ),
                    None => println!(
                        "   No backup holds this drive's own unit data. If you have one, run\n   \
                         {}",
                        render(own_file)
                    ),
                }
            }
            Event::Restored(report) => {
                self.bars.finish();
                let names: Vec<&str> = report
                    .plan
                    .windows
                    .iter()
                    .map(|w| w.window.name.as_str())
                    .collect();
                println!("   Restored and verified: {}", names.join(", "));
            }
            Event::RestoreSkipped { next } => {
                println!(
                    "   Unit data not restored. To restore it later:\n   {}",
                    render(next)
                );
            }
        }
    }

    fn progress(&mut self, progress: Progress) {
        self.bars.update(progress);
    }

    fn ask(&mut self, question: Question<'_>) -> Answer {
        match question {
            Question::Flash(_) => self.consent(self.execute, "Flash the drive now?"),
            Question::RestoreUnitData { backup, .. } => self.consent(
                self.restore == Some(YesNo::Yes),
                &format!("Restore the unit data from {}?", backup.display()),
            ),
            Question::RestoreFromOtherDrive {
                backup,
                recorded,
                unit,
                ..
            } => {
                println!(
                    "   {} was saved from {unit} ({}): its calibration may not fit this drive.",
                    backup.display(),
                    sanitize(&recorded.label())
                );
                if !self.interactive && self.restore == Some(YesNo::Yes) && !self.from_other_drive {
                    println!("   Not restoring it without --from-other-drive.");
                }
                self.consent(
                    self.restore == Some(YesNo::Yes) && self.from_other_drive,
                    &format!("Restore the unit data from {} anyway?", backup.display()),
                )
            }
        }
    }
}
