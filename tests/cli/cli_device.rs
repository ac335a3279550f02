//! CLI tests: DEVICE arguments that are not a drive, and usage errors.
//!
//! Every bad DEVICE must fail before anything is sent, with a message that names the argument,
//! says what is wrong with it and what to give instead, and exit 15 ("cannot open", the
//! `--help` footer). Bad command lines exit 1, as in sg3_utils.

use crate::cli_common;

use cli_common::{Dir, OPEN, USAGE};

/// `info DEVICE` and `flash DEVICE IMAGE` with a valid image, so only DEVICE can be wrong.
fn info_and_flash(dir: &Dir, device: &str) -> [cli_common::Run; 2] {
    let image = dir.bu40n("upgrade.bin", "1.04");
    [
        dir.odflash().args(["info", device]).run(),
        dir.odflash()
            .arg("flash")
            .arg(device)
            .arg(&image)
            .args(["--execute", "--yes-i-understand-the-risk"])
            .run(),
    ]
}

#[test]
fn missing_path_says_it_does_not_exist_and_where_to_look() {
    let dir = Dir::new();
    let missing = dir.join("sg9");
    let missing = missing.to_str().unwrap();
    for run in info_and_flash(&dir, missing) {
        run.code(OPEN)
            .stderr_has(&format!("cannot open {missing}"))
            .stderr_has("does not exist")
            .stderr_has("odflash scan");
    }
}

#[test]
fn regular_file_is_refused_and_left_untouched() {
    let dir = Dir::new();
    let file = dir.write("not-a-drive.bin", b"precious bytes");
    for run in info_and_flash(&dir, file.to_str().unwrap()) {
        run.code(OPEN)
            .stderr_has("is a regular file, not a SCSI generic device")
            .stderr_has("give /dev/sgN, /dev/srN or a /dev/disk/by-id link");
    }
    assert_eq!(std::fs::read(&file).unwrap(), b"precious bytes");
}

#[test]
fn directory_is_refused() {
    let dir = Dir::new();
    let sub = dir.join("drives");
    std::fs::create_dir(&sub).unwrap();
    for run in info_and_flash(&dir, sub.to_str().unwrap()) {
        run.code(OPEN)
            .stderr_has("is a directory, not a SCSI generic device")
            .stderr_has("give /dev/sgN");
    }
}

#[test]
fn character_devices_that_are_not_sg_are_refused() {
    let dir = Dir::new();
    for node in ["/dev/null", "/dev/zero"] {
        for run in info_and_flash(&dir, node) {
            run.code(OPEN)
                .stderr_has(&format!(
                    "cannot open {node}: {node} is not a SCSI generic device"
                ))
                .stderr_has("give /dev/sgN, /dev/srN or a /dev/disk/by-id link");
        }
    }
}

#[test]
fn unknown_emulated_family_lists_the_known_ones() {
    let dir = Dir::new();
    for run in info_and_flash(&dir, "emu:mt2000") {
        run.code(OPEN)
            .stderr_has("unknown family `mt2000`")
            .stderr_has("known: mt1959, mt1939, dru-710a");
    }
}

#[test]
fn missing_replay_trace_names_it() {
    let dir = Dir::new();
    let device = format!("replay:{}", dir.join("gone.jsonl").display());
    for run in info_and_flash(&dir, &device) {
        run.code(OPEN).stderr_has(&format!("cannot open {device}"));
    }
}

#[test]
fn errors_say_each_cause_once() {
    let dir = Dir::new();
    let missing = dir.join("missing.bin");
    let run = dir
        .odflash()
        .args(["flash", "emu:mt1959"])
        .arg(&missing)
        .run();
    run.code(OPEN);
    // The file's path and the OS reason, each exactly once.
    run.stderr_once("No such file or directory");
    assert!(run.error_line().contains(missing.to_str().unwrap()));
}

#[test]
fn missing_arguments_are_usage_errors() {
    let dir = Dir::new();
    for args in [
        &["info"][..],
        &["flash", "emu:mt1959"],
        &["dump", "emu:mt1959"],
        &["eeprom", "restore", "emu:mt1959"],
        &["image", "check"],
        &["emu", "make-image", "--chip", "mt1959"],
    ] {
        dir.odflash()
            .args(args)
            .run()
            .code(USAGE)
            .stderr_has("required arguments were not provided");
    }
    dir.odflash().run().code(USAGE).stderr_has("Usage: odflash");
}

#[test]
fn bad_flags_and_values_are_usage_errors() {
    let dir = Dir::new();
    dir.odflash()
        .args(["info", "--bogus", "emu:mt1959"])
        .run()
        .code(USAGE)
        .stderr_has("unexpected argument '--bogus'");
    dir.odflash()
        .arg("frob")
        .run()
        .code(USAGE)
        .stderr_has("unrecognized subcommand 'frob'");
    // --trace-payload means nothing without --trace.
    dir.odflash()
        .args(["info", "emu:mt1959", "--trace-payload"])
        .run()
        .code(USAGE)
        .stderr_has("--trace <FILE>");
    dir.odflash()
        .args(["emu", "make-image", "--chip", "mt1959", "--model", "X"])
        .args(["--broken", "slightly", "-o", "x.bin"])
        .run()
        .code(USAGE)
        .stderr_has("invalid value 'slightly'");
    for timeout in ["0", "nan", "inf", "1e30", "-1", "86401"] {
        for command in [&["scan"][..], &["watch"], &["rescue", "emu:mt1959"]] {
            let option = if command[0] == "rescue" {
                "--wait"
            } else {
                "--timeout"
            };
            dir.odflash()
                .args(command)
                .arg(format!("{option}={timeout}"))
                .run()
                .code(USAGE)
                .stderr_has("invalid value")
                .stderr_has("seconds");
        }
    }
}

#[test]
fn a_zero_watch_timeout_or_rescue_wait_is_a_usage_error_naming_the_value_and_the_fix() {
    let dir = Dir::new();
    for (args, option) in [
        (&["watch", "--timeout", "0"][..], "--timeout <SECONDS>"),
        (&["rescue", "--wait", "0"], "--wait <SECONDS>"),
    ] {
        dir.odflash()
            .args(args)
            .run()
            .code(USAGE)
            .stderr_has(&format!("invalid value '0' for '{option}'"))
            .stderr_has("give more than 0 and at most 86400 seconds");
    }
}

#[test]
fn help_and_version_succeed_and_document_the_exit_codes() {
    let dir = Dir::new();
    let help = dir.odflash().arg("--help").run();
    help.ok();
    for entry in [
        "0 success",
        "1 bad arguments",
        "15 cannot open device or file, device busy (locked), or a write without root",
        "33 command timed out",
        "35 transport",
        "70 internal error",
        "100 refused by a safety gate (nothing written)",
        "101 chip family not",
        "104 write interrupted",
        "105 flashed but not verified",
        "106 the drive refused the image",
        "130 interrupted",
    ] {
        // The footer is wrapped; compare with runs of whitespace collapsed.
        let flat = help.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            flat.contains(entry),
            "--help lacks {entry:?}:\n{}",
            help.stdout
        );
    }
    dir.odflash()
        .arg("--version")
        .run()
        .ok()
        .stdout_has(env!("CARGO_PKG_VERSION"));
}
