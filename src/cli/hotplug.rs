//! `odflash hotplug DEVNAME`: the read-only helper `odflash-hotplug@.service` runs when an
//! optical drive appears. It classifies the drive (through `ops::open::open_read_only`: the sg
//! node opened `O_RDONLY` and a read-only guard), writes `/run/odflash/<devname>.json`, and
//! prints ONE line: a warning naming the next command for a drive in recovery or needing
//! attention, an info line otherwise. Unknown drives are not an error (exit 0).
//!
//! Under systemd, stdout is a journal stream: the line then starts with an sd-daemon(3)
//! priority prefix (`<4>` warning, `<6>` info) so the journal records its priority without a
//! journald client library.

use std::io::Write;
use std::os::fd::AsRawFd;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use odflash::ops::hotplug::{self, Priority};
use odflash::ops::open;

use super::args::Global;

/// `odflash hotplug` arguments.
#[derive(Debug, Args)]
pub struct HotplugArgs {
    /// `sgN` (the unit's instance name), `/dev/sgN`, or an emulated drive (`emu:...`).
    pub devname: String,
    /// Directory for the JSON file.
    #[arg(long, hide = true, value_name = "DIR", default_value = hotplug::RUN_DIR)]
    pub run_dir: PathBuf,
}

impl HotplugArgs {
    /// Classify, record, log one line.
    pub fn run(self, global: &Global) -> anyhow::Result<()> {
        let device = hotplug::device_path(&self.devname)?;
        let mut dev = open::open_read_only(&device, &global.open_options()?)?;
        let classification =
            hotplug::classify(&mut dev).with_context(|| format!("classifying {device}"))?;
        let path = hotplug::write_state(&self.run_dir, &classification)?;
        log::debug!("wrote {}", path.display());
        let stdout = std::io::stdout();
        let journal = is_journal_stream(
            std::env::var("JOURNAL_STREAM").ok().as_deref(),
            stdout.as_raw_fd(),
        );
        let mut out = stdout.lock();
        writeln!(
            out,
            "{}{}",
            prefix(classification.priority, journal),
            classification.message
        )?;
        Ok(())
    }
}

/// Whether the process's stdout is connected to the journal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Journal {
    /// `JOURNAL_STREAM` names this very file descriptor.
    Connected,
    /// A terminal, pipe or file.
    Not,
}

/// systemd.exec(5): `JOURNAL_STREAM` holds `device:inode` (decimal) of the journal stream
/// systemd connected stdout/stderr to; it only counts when `fd` is that stream (a child whose
/// output was redirected inherits the variable but not the stream).
fn is_journal_stream(var: Option<&str>, fd: i32) -> Journal {
    let Some((dev, ino)) = var.and_then(parse_journal_stream) else {
        return Journal::Not;
    };
    match nix::sys::stat::fstat(fd) {
        // dev_t and ino_t are not u64 on every target.
        #[allow(clippy::unnecessary_cast)]
        Ok(st) if st.st_dev as u64 == dev && st.st_ino as u64 == ino => Journal::Connected,
        _ => Journal::Not,
    }
}

/// Parse `JOURNAL_STREAM` (`device:inode`, decimal).
fn parse_journal_stream(var: &str) -> Option<(u64, u64)> {
    let (dev, ino) = var.trim().split_once(':')?;
    Some((dev.parse().ok()?, ino.parse().ok()?))
}

/// The sd-daemon(3) prefix for `priority` on a journal stream, nothing elsewhere.
fn prefix(priority: Priority, journal: Journal) -> String {
    match journal {
        Journal::Connected => format!("<{}>", priority.level()),
        Journal::Not => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    #[test]
    fn journal_stream_must_name_this_fd() {
        let file = tempfile::tempfile().unwrap();
        let meta = file.metadata().unwrap();
        let fd = file.as_raw_fd();
        let this = format!("{}:{}", meta.dev(), meta.ino());
        assert_eq!(is_journal_stream(Some(&this), fd), Journal::Connected);
        let other = format!("{}:{}", meta.dev(), meta.ino() + 1);
        assert_eq!(is_journal_stream(Some(&other), fd), Journal::Not);
        assert_eq!(is_journal_stream(Some("garbage"), fd), Journal::Not);
        assert_eq!(is_journal_stream(None, fd), Journal::Not);
    }

    #[test]
    fn prefixes_are_sd_daemon_levels() {
        assert_eq!(prefix(Priority::Warning, Journal::Connected), "<4>");
        assert_eq!(prefix(Priority::Info, Journal::Connected), "<6>");
        assert_eq!(prefix(Priority::Warning, Journal::Not), "");
        assert_eq!(parse_journal_stream("8:12345\n"), Some((8, 12345)));
        assert_eq!(parse_journal_stream("8"), None);
    }
}
