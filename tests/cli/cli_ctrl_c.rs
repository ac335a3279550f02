//! CLI test: Ctrl-C typed on the terminal during a flash. odflash runs on a pseudo-terminal as
//! the session leader, as in a shell; the test types ^C (0x03) into the terminal while the
//! emulated drive burns (its real clock makes the burn take ~20 s). The terminal sends SIGINT
//! to odflash's foreground process group: odflash must say it holds it, finish the flash, and
//! the sleep/shutdown inhibitor it started must not get the SIGINT at all.
//!
//! logind does not run in test environments, so a stand-in `systemd-inhibit` first in PATH
//! records its pid, its arguments, any SIGINT that reaches it and how its command ended.

use crate::cli_common;

use std::fs::File;
use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cli_common::Dir;

/// Boot region the drive never reprograms (docs/protocol.md).
const PROTECTED: usize = 0x1_0000;

/// Exit status after a held signal, once the drive is safe (128 + SIGINT).
const INTERRUPTED_AFTER: i32 = 130;

/// Longest any step below may take.
const PATIENCE: Duration = Duration::from_secs(90);

/// The stand-in: takes systemd-inhibit's options, then runs the command the way it does.
const FAKE_INHIBIT: &str = r#"#!/bin/sh
dir="$FAKE_INHIBIT_DIR"
trap 'echo SIGINT >> "$dir/signals"' INT
while [ "${1#--}" != "$1" ]; do echo "$1" >> "$dir/args"; shift; done
echo $$ > "$dir/pid.tmp" && mv "$dir/pid.tmp" "$dir/pid"
"$@"
echo "exit $?" > "$dir/exit"
"#;

/// Poll `done` until it holds or [`PATIENCE`] runs out.
fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A process that runs and is not a zombie (proc(5): the state follows the `)` of the name).
fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            stat.rsplit_once(')')
                .map(|(_, rest)| rest.trim().to_string())
        })
        .is_some_and(|rest| !rest.starts_with('Z') && !rest.starts_with('X'))
}

fn fake_inhibitor(dir: &Dir) -> (PathBuf, PathBuf) {
    let bin = dir.join("bin");
    let record = dir.join("inhibitor");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::create_dir_all(&record).unwrap();
    let program = bin.join("systemd-inhibit");
    std::fs::write(&program, FAKE_INHIBIT).unwrap();
    std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755)).unwrap();
    (bin, record)
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

#[test]
fn ctrl_c_on_the_terminal_is_held_and_the_inhibitor_survives_it() {
    let dir = Dir::new();
    let device = dir.emu("d", "mt1959,clock=real");
    dir.odflash().args(["info", &device]).run().ok();
    let image = dir.bu40n("upgrade.bin", "1.04");
    let (bin, record) = fake_inhibitor(&dir);

    let pty = nix::pty::openpty(None, None).expect("open a pseudo-terminal");
    let terminal = File::from(pty.slave);
    let mut cmd = dir.process();
    cmd.args(["flash", &device])
        .arg(&image)
        .args([
            "--execute",
            "--yes-i-understand-the-risk",
            "--backup-dir",
            "bk",
        ])
        .env(
            "PATH",
            format!("{}:{}", bin.display(), std::env::var("PATH").unwrap()),
        )
        .env("FAKE_INHIBIT_DIR", &record)
        .stdin(Stdio::from(terminal.try_clone().unwrap()))
        .stdout(Stdio::from(terminal.try_clone().unwrap()))
        .stderr(Stdio::from(terminal));
    // SAFETY: setsid and ioctl are async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            nix::unistd::setsid()?;
            // The pty (stdin) becomes the controlling terminal of the new session.
            if libc::ioctl(0, libc::TIOCSCTTY, 0) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = cmd.spawn().expect("start odflash on the terminal");
    drop(cmd); // our copies of the terminal side, so the reader sees the end

    let mut master = File::from(pty.master);
    let screen = Arc::new(Mutex::new(String::new()));
    let reader = {
        let mut master = master.try_clone().unwrap();
        let screen = Arc::clone(&screen);
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            // EIO once odflash, the last process on the terminal, has gone.
            while let Ok(n @ 1..) = master.read(&mut buf) {
                screen
                    .lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        })
    };
    let shown = |text: &str| screen.lock().unwrap().contains(text);

    // The inhibitor starts after the termination signals are blocked: from here on the drive
    // is being written (the backup, the stream, then a burn of ~20 s).
    wait_until("the inhibitor to start", || record.join("pid").exists());
    let inhibitor: u32 = read(&record.join("pid")).trim().parse().unwrap();
    master.write_all(&[0x03]).expect("type ^C");

    wait_until("the held line", || {
        shown("Ctrl-C held: the drive is writing; Ctrl-C will act when it is safe")
    });
    assert!(alive(inhibitor), "the inhibitor died with the Ctrl-C");
    assert_eq!(
        read(&record.join("signals")),
        "",
        "SIGINT reached the inhibitor"
    );
    assert!(
        child.try_wait().unwrap().is_none(),
        "odflash ended at the Ctrl-C"
    );

    let status = child.wait().unwrap();
    reader.join().unwrap();
    let screen = screen.lock().unwrap().clone();
    assert_eq!(status.code(), Some(INTERRUPTED_AFTER), "{screen}");
    assert!(screen.contains("Flash complete."), "{screen}");
    assert!(
        screen.contains("SIGINT arrived while the drive was being written"),
        "{screen}"
    );
    let flashed = std::fs::read(&image).unwrap();
    assert!(dir.state("d").flash[PROTECTED..] == flashed[PROTECTED..]);

    // The inhibitor held to the end and was released by odflash, not by a signal.
    assert_eq!(read(&record.join("exit")).trim(), "exit 0");
    assert_eq!(read(&record.join("signals")), "");
    let args = read(&record.join("args"));
    assert!(args.contains("--what=sleep:shutdown"), "{args}");
    assert!(args.contains("--mode=block"), "{args}");
}
