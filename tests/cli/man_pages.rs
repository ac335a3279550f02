//! The generated man pages: one per command, each with EXIT STATUS, FILES, EXAMPLES and SEE ALSO,
//! and `odflash-flash.1` rendered by man(1) where it is installed.

use std::process::Command;

use crate::cli_common;

use cli_common::Dir;

/// The sections every page adds to clap's.
const SECTIONS: [&str; 4] = [
    ".SH \"EXIT STATUS\"",
    ".SH FILES",
    ".SH EXAMPLES",
    ".SH \"SEE ALSO\"",
];

#[test]
fn one_page_per_command_with_the_added_sections() {
    let dir = Dir::new();
    let out = dir.path().join("man");
    std::fs::create_dir(&out).unwrap();
    let run = dir.odflash().args(["generate", "man"]).arg(&out).run();
    run.ok();
    for name in [
        "odflash.1",
        "odflash-flash.1",
        "odflash-doctor.1",
        "odflash-eeprom-dump.1",
        "odflash-eeprom-restore.1",
        "odflash-image-check.1",
    ] {
        let text =
            std::fs::read_to_string(out.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        for section in SECTIONS {
            assert!(text.contains(section), "{name} lacks {section}");
        }
        assert!(text.contains("/run/odflash"), "{name}");
    }
    // The hidden `generate` gets no page.
    assert!(!out.join("odflash-generate.1").exists());
    let flash = std::fs::read_to_string(out.join("odflash-flash.1")).unwrap();
    assert!(flash.contains(".TP\n\\fB100\\fR\nrefused by a safety gate"));
    assert!(flash.contains("\\fBodflash\\fR(1)"));
}

#[test]
fn man_renders_odflash_flash() {
    let dir = Dir::new();
    let out = dir.path().join("man");
    std::fs::create_dir(&out).unwrap();
    dir.odflash().args(["generate", "man"]).arg(&out).run().ok();
    let Ok(rendered) = Command::new("man")
        .arg("-l")
        .arg(out.join("odflash-flash.1"))
        .env("MANWIDTH", "100")
        .env("MANPAGER", "cat")
        .env("PAGER", "cat")
        .output()
    else {
        eprintln!("skipped: man(1) is not installed (the roff is checked above)");
        return;
    };
    assert!(
        rendered.status.success(),
        "{}",
        String::from_utf8_lossy(&rendered.stderr)
    );
    let text = String::from_utf8_lossy(&rendered.stdout);
    for heading in [
        "NAME",
        "SYNOPSIS",
        "OPTIONS",
        "EXIT STATUS",
        "FILES",
        "EXAMPLES",
        "SEE ALSO",
    ] {
        assert!(
            text.lines().any(|l| l == heading),
            "no {heading} heading in:\n{text}"
        );
    }
    assert!(
        text.contains("sudo odflash flash /dev/sr0 firmware.bin --execute"),
        "{text}"
    );
}
