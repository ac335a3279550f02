//! CLI tests: the files odflash creates and reads. Output paths never follow a link another user
//! planted, inputs are regular files read with a size cap, and what holds firmware is 0600.

use crate::cli_common;

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use cli_common::{Dir, USAGE};

/// A refused input ends at once; a run still going after this reads forever.
const ENDS_AT_ONCE: Duration = Duration::from_secs(20);

/// Contents of the root-only file an attacker wants overwritten.
const PRECIOUS: &[u8] = b"root-only secret\n";

/// A directory like /tmp (world-writable, sticky) inside `dir`, and a root-only file outside it.
fn public_dir_and_victim(dir: &Dir) -> (PathBuf, PathBuf) {
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
    let public = dir.join("public");
    fs::create_dir(&public).unwrap();
    fs::set_permissions(&public, fs::Permissions::from_mode(0o1777)).unwrap();
    let victim = dir.write("root-only", PRECIOUS);
    fs::set_permissions(&victim, fs::Permissions::from_mode(0o600)).unwrap();
    (public, victim)
}

/// `ln -s target link` run as user `nobody` (a real unprivileged uid).
fn plant_link_as_nobody(target: &Path, link: &Path) {
    let status = Command::new("runuser")
        .args(["-u", "nobody", "--", "ln", "-s"])
        .arg(target)
        .arg(link)
        .status()
        .expect("run runuser");
    assert!(
        status.success(),
        "nobody could not plant {}",
        link.display()
    );
    assert_ne!(fs::symlink_metadata(link).unwrap().uid(), 0);
}

fn is_root() -> bool {
    nix::unistd::Uid::effective().is_root()
}

#[test]
fn links_planted_by_another_user_are_refused_and_their_targets_unchanged() {
    if !is_root() {
        eprintln!("skipped: needs root to act as the attacked user");
        return;
    }
    // (file name planted in the public directory, odflash arguments writing to it)
    let cases: &[(&str, &[&str])] = &[
        (
            "trace.jsonl",
            &["--trace", "public/trace.jsonl", "info", "emu:mt1959"],
        ),
        (
            "payload.jsonl",
            &[
                "--trace",
                "public/payload.jsonl",
                "--trace-payload",
                "info",
                "emu:mt1959",
            ],
        ),
        ("dump.bin", &["dump", "emu:mt1959", "-o", "public/dump.bin"]),
        (
            "image.bin",
            &[
                "emu",
                "make-image",
                "--chip",
                "mt1959",
                "--model",
                "BD-RE BU40N",
                "-o",
                "public/image.bin",
            ],
        ),
        ("odflash.1", &["generate", "man", "public"]),
        ("_odflash", &["generate", "completions", "zsh", "public"]),
        (
            "state.json",
            &["info", "emu:mt1959,state-file=public/state.json"],
        ),
    ];
    for (name, args) in cases {
        let dir = Dir::new();
        let (public, victim) = public_dir_and_victim(&dir);
        let link = public.join(name);
        plant_link_as_nobody(&victim, &link);
        let run = dir.odflash().args(*args).run();
        run.code(USAGE).stderr_has("symbolic link");
        assert!(
            run.error_line()
                .contains(&link.file_name().unwrap().to_string_lossy().to_string()),
            "{}: the error names the path: {}",
            run.line,
            run.error_line()
        );
        assert_eq!(fs::read(&victim).unwrap(), PRECIOUS, "{}", run.line);
        assert!(fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
    }
}

#[test]
fn a_trace_file_another_user_owns_is_refused() {
    if !is_root() {
        eprintln!("skipped: needs root to act as the attacked user");
        return;
    }
    let dir = Dir::new();
    let (public, _) = public_dir_and_victim(&dir);
    let planted = public.join("trace.jsonl");
    let status = Command::new("runuser")
        .args(["-u", "nobody", "--", "touch"])
        .arg(&planted)
        .status()
        .unwrap();
    assert!(status.success());
    dir.odflash()
        .args(["--trace", "public/trace.jsonl", "--trace-payload"])
        .args(["info", "emu:mt1959"])
        .run()
        .code(USAGE)
        .stderr_has("not to you");
    assert_eq!(fs::read(&planted).unwrap(), b"");
}

#[test]
fn payload_traces_and_dumps_are_private() {
    let dir = Dir::new();
    dir.odflash()
        .args(["--trace", "t.jsonl", "--trace-payload"])
        .args(["dump", &dir.emu("d", "mt1959"), "-o", "d.bin"])
        .run()
        .ok();
    for name in ["t.jsonl", "d.bin", "d.json", "d.json.flash-0.bin"] {
        let mode = fs::metadata(dir.join(name)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{name}");
    }
}

#[test]
fn inputs_that_are_not_regular_files_end_at_once_with_exit_1() {
    let dir = Dir::new();
    let fifo = dir.join("fifo");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).unwrap();
    let trace = dir.join("t.jsonl");
    for image in ["/dev/zero", "fifo", "."] {
        dir.odflash()
            .traced(&trace)
            .args(["flash", "emu:mt1959", image])
            .timeout(ENDS_AT_ONCE)
            .run()
            .code(USAGE)
            .stderr_has("not a regular file");
        // Refused before the drive heard a single command.
        assert!(
            fs::read(&trace).unwrap_or_default().is_empty(),
            "flash {image}"
        );
        dir.odflash()
            .args(["image", "check", image])
            .timeout(ENDS_AT_ONCE)
            .run()
            .code(USAGE)
            .stderr_has("not a regular file");
    }
    for device in [
        "replay:/dev/zero".to_string(),
        "emu:mt1959,faults=/dev/zero".to_string(),
        format!("emu:mt1959,faults={}", fifo.display()),
    ] {
        dir.odflash()
            .args(["info", &device])
            .timeout(ENDS_AT_ONCE)
            .run()
            .code(USAGE)
            .stderr_has("not a regular file");
    }
    dir.odflash()
        .args(["eeprom", "restore", "emu:mt1959", "/dev/zero"])
        .timeout(ENDS_AT_ONCE)
        .run()
        .code(USAGE)
        .stderr_has("not a regular file");
}

#[test]
fn a_fault_plan_with_an_empty_trigger_is_a_bad_input_file() {
    let dir = Dir::new();
    let plan = dir.faults(
        "plan.json",
        r#"{"faults":[{"trigger":{},"action":{"kind":"timeout"}}]}"#,
    );
    dir.odflash()
        .args(["info", &format!("emu:mt1959,faults={}", plan.display())])
        .run()
        .code(USAGE)
        .stderr_has("plan.json")
        .stderr_has("fault 1 has an empty trigger");
}

#[test]
fn an_image_larger_than_any_family_accepts_is_refused_unread() {
    let dir = Dir::new();
    let big = dir.join("big.bin");
    fs::File::create(&big)
        .unwrap()
        // One byte more than the 2 MiB MT19xx flash, the largest image of any family.
        .set_len(0x20_0000 + 1)
        .unwrap();
    dir.odflash()
        .args(["image", "check", "big.bin"])
        .run()
        .code(USAGE)
        .stderr_has("the most a firmware image can be");
}

/// Set the JSON value at `pointer` in the emulator state file `path`.
fn craft_state(path: &Path, pointer: &str, value: serde_json::Value) {
    let mut doc: serde_json::Value = serde_json::from_slice(&fs::read(path).unwrap()).unwrap();
    *doc.pointer_mut(pointer)
        .unwrap_or_else(|| panic!("no {pointer} in the state file")) = value;
    fs::write(path, serde_json::to_vec(&doc).unwrap()).unwrap();
}

#[test]
fn a_crafted_state_file_is_refused_before_the_drive_answers_anything() {
    use serde_json::json;
    let max = json!(u64::MAX);
    let secs = |s: u64| json!({"secs": s, "nanos": 0});
    let cases = [
        ("/state/commands", max.clone(), "commands"),
        ("/state/model/mt19xx/flash_gen", max.clone(), "flash_gen"),
        ("/state/model/mt19xx/staged_gen", max, "staged_gen"),
        ("/state/clock/virtual_now", secs(u64::MAX), "clock"),
        (
            "/state/model/mt19xx/burn",
            json!({"start": secs(10), "end": secs(5)}),
            "ends before it starts",
        ),
        ("/state/faults/fired", json!([true]), "fired flags"),
        (
            "/state/faults",
            json!({"plan": {"faults": [{"trigger": {}, "action": {"kind": "timeout"}}]},
                   "fired": [false]}),
            "empty trigger",
        ),
    ];
    for (pointer, value, why) in cases {
        let dir = Dir::new();
        let drive = dir.emu("d", "mt1959");
        let image = dir.bu40n("new.bin", "1.04");
        dir.odflash().args(["info", &drive]).run().ok();
        craft_state(&dir.join("d.json"), pointer, value);
        let trace = dir.join("t.jsonl");
        dir.odflash()
            .traced(&trace)
            .args(["flash", &drive])
            .arg(&image)
            .args(["--execute", "--yes-i-understand-the-risk"])
            .arg("--backup-dir")
            .arg(dir.join("backups"))
            .timeout(ENDS_AT_ONCE)
            .run()
            .code(USAGE)
            .stderr_has("emulator state file")
            .stderr_has(why);
        assert!(
            fs::read(&trace).unwrap_or_default().is_empty(),
            "{pointer}: the drive answered a command"
        );
    }
}
