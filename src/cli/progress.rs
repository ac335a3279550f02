//! Progress bars for long device operations (indicatif), drawn on stderr only when it is a
//! terminal and the command is not in --json mode. [`print_line`] puts a line from another
//! thread (a held Ctrl-C) above the bar instead of through it.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressStyle};
use odflash::ops::{Phase, Progress};

/// Whether to draw bars.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bars {
    /// Draw on stderr when it is a terminal.
    Auto,
    /// Never draw (machine output).
    Off,
}

/// The bar on screen, if any.
static SHOWN: Mutex<Option<ProgressBar>> = Mutex::new(None);

/// Print `line` on stderr: above the bar on screen, or plainly when there is none. A closed
/// stderr is not an error here (the line is only news).
pub fn print_line(line: &str) {
    let shown = SHOWN.lock().unwrap_or_else(|e| e.into_inner()).clone();
    match shown {
        Some(bar) => bar.println(line),
        None => {
            let _ = writeln!(std::io::stderr(), "{line}");
        }
    }
}

/// A progress display following the phases an `ops` workflow reports.
pub struct Display {
    bar: Option<ProgressBar>,
    phase: Option<Phase>,
    enabled: bool,
}

impl Display {
    /// A display; `Bars::Auto` draws only on a terminal.
    pub fn new(bars: Bars) -> Self {
        Display {
            bar: None,
            phase: None,
            enabled: bars == Bars::Auto && std::io::stderr().is_terminal(),
        }
    }

    /// Feed one progress report.
    pub fn update(&mut self, p: Progress) {
        if !self.enabled {
            return;
        }
        if self.phase != Some(p.phase) {
            self.finish();
            let bar = ProgressBar::new(p.total as u64);
            if p.phase == Phase::WaitReady {
                // The drive reports nothing while it burns: a spinner that moves by itself,
                // with the time elapsed against the family's burn time.
                bar.set_style(
                    ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                        .expect("the template is valid"),
                );
                bar.set_message(format!(
                    "the drive is burning its flash, about {} s; do not power it off",
                    p.total
                ));
                bar.enable_steady_tick(std::time::Duration::from_millis(200));
            } else {
                bar.set_style(
                    ProgressStyle::with_template(
                        "{msg:>10} [{bar:40}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
                    )
                    .expect("the template is valid")
                    .progress_chars("=> "),
                );
                bar.set_message(label(p.phase));
            }
            *SHOWN.lock().unwrap_or_else(|e| e.into_inner()) = Some(bar.clone());
            self.bar = Some(bar);
            self.phase = Some(p.phase);
        }
        if let Some(bar) = &self.bar {
            bar.set_length(p.total as u64);
            bar.set_position(p.done as u64);
        }
    }

    /// Finish the current bar, if any.
    pub fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            *SHOWN.lock().unwrap_or_else(|e| e.into_inner()) = None;
            bar.finish();
        }
    }
}

impl Drop for Display {
    fn drop(&mut self) {
        self.finish();
    }
}

/// A short name for each phase.
fn label(phase: Phase) -> &'static str {
    match phase {
        Phase::Read => "reading",
        Phase::Prepare => "preparing",
        Phase::Write => "writing",
        Phase::Commit => "committing",
        Phase::WaitReady => "waiting",
        Phase::Verify => "verifying",
        Phase::WriteWindow => "writing",
    }
}
