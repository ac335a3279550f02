//! The man pages: `odflash.1` plus one `odflash-<command>.1` per visible subcommand (nested
//! ones joined by dashes: `odflash-eeprom-dump.1`). clap_mangen renders what clap knows (name,
//! synopsis, description, options, subcommands); this module appends the sections a user looks
//! for in a page of an installed tool: EXIT STATUS (from [`Status::table`]), FILES, EXAMPLES and
//! SEE ALSO. Rendering only: writing the files is `generate`'s job.

use std::io::Write;

use super::exit::Status;
use clap::Command;
use odflash::ops::backup::DEFAULT_BASE;
use odflash::ops::hotplug::RUN_DIR;

/// One man page: its file name (`odflash-flash.1`) and the roff text.
#[derive(Debug)]
pub struct Page {
    /// The file name, `<name>.1`.
    pub file_name: String,
    /// The rendered roff source.
    pub roff: Vec<u8>,
}

/// Every page for the command tree `root` (the `odflash` command), the top page first.
pub fn render_all(root: Command) -> std::io::Result<Vec<Page>> {
    let mut root = root.disable_help_subcommand(true);
    root.build();
    let mut names = Vec::new();
    collect_names(&root, "odflash", &mut names);
    let mut pages = Vec::new();
    render_tree(root, "odflash", &names, &mut pages)?;
    Ok(pages)
}

/// The page names of `cmd` and all its visible descendants, `prefix` being `cmd`'s own.
fn collect_names(cmd: &Command, prefix: &str, out: &mut Vec<String>) {
    out.push(prefix.to_string());
    for sub in visible_subcommands(cmd) {
        collect_names(sub, &format!("{prefix}-{}", sub.get_name()), out);
    }
}

/// The subcommands that get pages: hidden ones (`generate`) do not.
fn visible_subcommands(cmd: &Command) -> impl Iterator<Item = &Command> {
    cmd.get_subcommands().filter(|s| !s.is_hide_set())
}

fn render_tree(
    cmd: Command,
    name: &str,
    all: &[String],
    pages: &mut Vec<Page>,
) -> std::io::Result<()> {
    let subs: Vec<Command> = visible_subcommands(&cmd).cloned().collect();
    pages.push(render_page(cmd, name, all)?);
    for sub in subs {
        let sub_name = format!("{name}-{}", sub.get_name());
        render_tree(sub, &sub_name, all, pages)?;
    }
    Ok(())
}

/// One page: clap_mangen's sections (without the `--help` exit-code footer, which EXIT STATUS
/// replaces), then ours.
fn render_page(cmd: Command, name: &str, all: &[String]) -> std::io::Result<Page> {
    let cmd = cmd.display_name(name.to_string()).after_help(None::<&str>);
    let mut roff = Vec::new();
    clap_mangen::Man::new(cmd)
        .source(format!("odflash {}", env!("CARGO_PKG_VERSION")))
        .manual("odflash manual")
        .render(&mut roff)?;
    write_exit_status(&mut roff)?;
    write_files(&mut roff)?;
    write_examples(&mut roff, name)?;
    write_see_also(&mut roff, name, all)?;
    Ok(Page {
        file_name: format!("{name}.1"),
        roff,
    })
}

/// Escape text for a roff body line: backslashes, dashes (so they stay ASCII hyphen-minus in
/// copied commands) and a leading control character.
fn escape(text: &str) -> String {
    let body = text.replace('\\', "\\e").replace('-', "\\-");
    if body.starts_with('.') || body.starts_with('\'') {
        format!("\\&{body}")
    } else {
        body
    }
}

fn write_exit_status(out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, ".SH \"EXIT STATUS\"")?;
    for (code, meaning) in Status::table() {
        writeln!(out, ".TP\n\\fB{code}\\fR\n{}", escape(meaning))?;
    }
    Ok(())
}

/// The files odflash reads or writes, with the paths a package install uses.
const FILES: [(&str, &str); 4] = [
    (
        DEFAULT_BASE,
        "Backup bundles, one directory per drive (--backup-dir changes it).",
    ),
    (
        RUN_DIR,
        "The hotplug helper's verdict per drive, <devname>.json, for desktops and scripts.",
    ),
    (
        "/usr/lib/udev/rules.d/60-odflash.rules",
        "The udev rule: sets ODFLASH_* properties and starts the hotplug unit for optical drives.",
    ),
    (
        "/usr/lib/systemd/system/odflash-hotplug@.service",
        "The unit that classifies a newly plugged drive read-only.",
    ),
];

fn write_files(out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, ".SH FILES")?;
    for (path, what) in FILES {
        writeln!(out, ".TP\n\\fI{}\\fR\n{}", escape(path), escape(what))?;
    }
    Ok(())
}

/// Examples per page: a line saying what it does, then the command.
fn examples(name: &str) -> &'static [(&'static str, &'static str)] {
    match name {
        "odflash" => &[
            ("List the optical drives:", "sudo odflash scan"),
            (
                "Check what on this machine breaks flashing:",
                "odflash doctor",
            ),
            (
                "Practise the rescue story on an emulated drive:",
                "odflash rescue emu:mt1959,state=boot",
            ),
        ],
        "odflash-scan" => &[
            ("Every drive, as a table:", "sudo odflash scan"),
            ("As JSON:", "sudo odflash scan --json"),
        ],
        "odflash-info" => &[
            ("One drive:", "sudo odflash info /dev/sr0"),
            (
                "A file to attach to a bug report (serial redacted):",
                "sudo odflash info /dev/sr0 --share -o odflash-report.json",
            ),
        ],
        "odflash-doctor" => &[
            ("Check this machine:", "odflash doctor"),
            ("As JSON:", "odflash doctor --json"),
        ],
        "odflash-dump" => &[(
            "Read the whole flash:",
            "sudo odflash dump /dev/sr0 -o flash.bin",
        )],
        "odflash-backup" => &[(
            "Back up a drive before anything else:",
            "sudo odflash backup /dev/sr0",
        )],
        "odflash-eeprom" | "odflash-eeprom-dump" => &[(
            "Save the per-unit data:",
            "sudo odflash eeprom dump /dev/sr0 -o unit.bin",
        )],
        "odflash-eeprom-restore" => &[(
            "Write the per-unit data back:",
            "sudo odflash eeprom restore /dev/sr0 unit.bin",
        )],
        "odflash-flash" => &[
            (
                "Dry run: the plan and every gate's verdict, nothing written:",
                "sudo odflash flash /dev/sr0 firmware.bin",
            ),
            (
                "Flash for real (backup first, then write and verify):",
                "sudo odflash flash /dev/sr0 firmware.bin --execute",
            ),
            (
                "Practise on an emulated drive:",
                "odflash flash emu:mt1959 firmware.bin",
            ),
        ],
        "odflash-image" | "odflash-image-check" => &[
            (
                "Run the gates on an image offline:",
                "odflash image check firmware.bin",
            ),
            (
                "Against a drive:",
                "sudo odflash image check firmware.bin --for /dev/sr0",
            ),
        ],
        "odflash-rescue" => &[
            (
                "Walk through rescuing a drive in recovery:",
                "sudo odflash rescue",
            ),
            (
                "Practise on an emulated drive in boot state:",
                "odflash rescue emu:mt1959,state=boot",
            ),
        ],
        "odflash-watch" => &[("Print drives as they come and go:", "sudo odflash watch")],
        "odflash-hotplug" => &[(
            "What the unit runs for sg0 (normally started by udev):",
            "odflash hotplug sg0",
        )],
        "odflash-udev-props" => &[(
            "What the udev rule imports for sg0:",
            "odflash udev-props sg0",
        )],
        "odflash-trace" | "odflash-trace-import" => &[
            (
                "A tcpdump capture of the drive at bus 3, address 7, into a trace:",
                "odflash trace import flash.pcap -o flash.jsonl --device 3:007",
            ),
            (
                "The same, the drive's serial masked for sharing:",
                "odflash trace import flash.pcap -o flash.jsonl --redact",
            ),
        ],
        "odflash-trace-show" => &[(
            "What a trace holds, decoded:",
            "odflash trace show flash.jsonl",
        )],
        "odflash-emu-profile" => &[(
            "An emulated drive with a captured drive's identity:",
            "odflash emu profile flash.jsonl --family mt1959 -o drive.json",
        )],
        _ => &[],
    }
}

fn write_examples(out: &mut dyn Write, name: &str) -> std::io::Result<()> {
    let list = examples(name);
    if list.is_empty() {
        return Ok(());
    }
    writeln!(out, ".SH EXAMPLES")?;
    for (what, command) in list {
        writeln!(
            out,
            ".PP\n{}\n.PP\n.RS 4\n\\fB{}\\fR\n.RE",
            escape(what),
            escape(command)
        )?;
    }
    Ok(())
}

/// SEE ALSO: the top page lists every command page; a command page lists the top page, its
/// parent and children (nested commands), and the system pages behind the hotplug path.
fn write_see_also(out: &mut dyn Write, name: &str, all: &[String]) -> std::io::Result<()> {
    let related: Vec<&str> = all
        .iter()
        .map(String::as_str)
        .filter(|other| *other != name)
        .filter(|other| {
            name == "odflash"
                || *other == "odflash"
                || other.starts_with(&format!("{name}-"))
                || name.starts_with(&format!("{other}-"))
        })
        .collect();
    let mut refs: Vec<String> = related
        .iter()
        .map(|p| format!("\\fB{}\\fR(1)", escape(p)))
        .collect();
    refs.extend(
        [
            "\\fBudev\\fR(7)",
            "\\fBsystemd.service\\fR(5)",
            "\\fBsg\\fR(4)",
        ]
        .map(String::from),
    );
    writeln!(out, ".SH \"SEE ALSO\"\n{}", refs.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_keeps_commands_copyable() {
        assert_eq!(escape("odflash --json"), "odflash \\-\\-json");
        assert_eq!(escape(".hidden"), "\\&.hidden");
        assert_eq!(escape("a\\b"), "a\\eb");
    }

    #[test]
    fn see_also_of_a_nested_page_names_its_parent_and_the_top() {
        let all: Vec<String> = [
            "odflash",
            "odflash-eeprom",
            "odflash-eeprom-dump",
            "odflash-flash",
        ]
        .map(String::from)
        .to_vec();
        let mut out = Vec::new();
        write_see_also(&mut out, "odflash-eeprom-dump", &all).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("\\fBodflash\\fR(1)"), "{text}");
        assert!(text.contains("odflash\\-eeprom\\fR(1)"), "{text}");
        assert!(!text.contains("odflash\\-flash\\fR"), "{text}");
    }
}
