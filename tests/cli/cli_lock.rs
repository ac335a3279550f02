//! CLI tests: two odflash processes on one emulated drive kept in a state file. While a flash
//! runs, every read-only command is refused "busy" (exit 15) naming the flashing pid, `scan`
//! lists the drive as busy, and the flash completes undisturbed; while a reader holds the
//! drive, a flash is refused before a single command reaches it.
//!
//! The emulator's real clock (`clock=real`) makes the other process last: a burn takes its
//! ~20 s, a command that times out its full timeout.

use crate::cli_common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use cli_common::{Dir, Trace, OK, OPEN};

/// Boot region the drive never reprograms (docs/protocol.md).
const PROTECTED: usize = 0x1_0000;

/// Longest the other process may take to reach the point a test waits for.
const PATIENCE: Duration = Duration::from_secs(60);

/// An odflash process running in the background, its stdout read line by line.
struct Background {
    child: Child,
    lines: Receiver<String>,
    seen: Vec<String>,
}

impl Background {
    fn start(dir: &Dir, args: &[&str]) -> Background {
        let mut child = dir
            .process()
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start odflash");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Background {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Wait until stdout shows a line containing `text`.
    fn wait_for_line(&mut self, text: &str) {
        let deadline = Instant::now() + PATIENCE;
        while !self.seen.iter().any(|l| l.contains(text)) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => self.seen.push(line),
                Err(_) => panic!("no line with {text:?} on stdout: {:#?}", self.seen),
            }
        }
    }

    /// Wait until `/proc/locks` shows a flock held by this process.
    fn wait_for_lock(&self) {
        let holder = format!(" {} ", self.pid());
        let deadline = Instant::now() + PATIENCE;
        loop {
            let locks = std::fs::read_to_string("/proc/locks").expect("read /proc/locks");
            let held = locks
                .lines()
                .any(|l| l.contains("FLOCK") && !l.contains("->") && l.contains(&holder));
            if held {
                return;
            }
            assert!(Instant::now() < deadline, "{holder} never locked:\n{locks}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Wait for the exit; its code, stdout and stderr.
    fn finish(mut self) -> (i32, String, String) {
        let stderr = self.child.stderr.take().expect("piped stderr");
        let mut err = String::new();
        std::io::Read::read_to_string(&mut BufReader::new(stderr), &mut err).unwrap();
        let status = self.child.wait().expect("wait for odflash");
        self.seen.extend(self.lines.iter());
        let code = status.code().expect("odflash was killed by a signal");
        (code, self.seen.join("\n"), err)
    }
}

fn path(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 temp path")
}

#[test]
fn readers_are_refused_busy_while_a_flash_holds_the_drive() {
    let dir = Dir::new();
    let device = dir.emu("d", "mt1959,clock=real");
    dir.odflash().args(["info", &device]).run().ok();
    let image = dir.bu40n("upgrade.bin", "1.04");
    let mut flash = Background::start(
        &dir,
        &[
            "flash",
            &device,
            path(&image),
            "--execute",
            "--yes-i-understand-the-risk",
            "--backup-dir",
            "bk",
        ],
    );
    // Printed after the drive was opened (and locked) and the gates passed.
    flash.wait_for_line("Flashing.");
    let busy = format!("busy: {} is flashing it", flash.pid());

    for args in [
        vec!["info", &device],
        vec!["dump", &device, "-o", "dump.bin"],
        vec!["backup", &device, "--backup-dir", "bk2"],
        vec!["eeprom", "dump", &device, "-o", "unit.odbk"],
        vec!["hotplug", &device, "--run-dir", "run"],
        vec![
            "flash",
            &device,
            path(&image),
            "--execute",
            "--yes-i-understand-the-risk",
            "--backup-dir",
            "bk3",
        ],
    ] {
        let run = dir.odflash().args(&args).run();
        run.code(OPEN).stderr_once(&busy);
        assert!(
            !run.stderr.contains("identify-only"),
            "a wrong verdict: {}",
            run.stderr
        );
    }
    for made in ["dump.bin", "bk2", "unit.odbk", "run", "bk3"] {
        assert!(
            !dir.join(made).exists(),
            "{made} was written by a refused reader"
        );
    }
    let scan = dir
        .odflash()
        .args(["scan", "--timeout", "30", "--device", &device])
        .run();
    scan.ok()
        .stdout_has("busy")
        .stdout_has(&busy["busy: ".len()..]);
    let json = dir
        .odflash()
        .args(["scan", "--timeout", "30", "--json", "--device", &device])
        .run();
    let entry = &json.ok().json()[0];
    assert_eq!(entry["probe"]["outcome"], "busy", "{entry:#}");
    assert_eq!(entry["probe"]["holder"]["pid"], flash.pid(), "{entry:#}");
    assert_eq!(
        entry["probe"]["holder"]["activity"], "flashing",
        "{entry:#}"
    );

    let (code, stdout, stderr) = flash.finish();
    assert_eq!(code, OK, "{stdout}\n{stderr}");
    assert!(stdout.contains("Flash complete."), "{stdout}");
    let flashed = std::fs::read(&image).unwrap();
    assert!(dir.state("d").flash[PROTECTED..] == flashed[PROTECTED..]);
    dir.odflash()
        .args(["info", &device])
        .run()
        .ok()
        .stdout_has("Descriptor       HL-DT-ST BD-RE BU40N 1.04");
}

#[test]
fn a_flash_is_refused_busy_while_a_reader_holds_the_drive() {
    let dir = Dir::new();
    let device = dir.emu("d", "mt1959");
    dir.odflash().args(["info", &device]).run().ok();
    let image = dir.bu40n("upgrade.bin", "1.04");
    // The reader's first INQUIRY gets no answer: it waits out the 10 s timeout, then retries.
    let faults = dir.faults(
        "inquiry-timeout.json",
        r#"{"faults":[{"trigger":{"opcode":18},"action":{"kind":"timeout"}}]}"#,
    );
    let slow = dir.emu(
        "d",
        &format!("mt1959,clock=real,faults={}", faults.display()),
    );
    let reader = Background::start(&dir, &["info", &slow]);
    reader.wait_for_lock();
    let before = dir.state("d");

    let trace = dir.join("refused.jsonl");
    let execute = [
        "--execute",
        "--yes-i-understand-the-risk",
        "--backup-dir",
        "bk",
    ];
    dir.odflash()
        .traced(&trace)
        .args(["flash", &device])
        .arg(&image)
        .args(execute)
        .run()
        .code(OPEN)
        .stderr_once(&format!("busy: {} is reading it", reader.pid()))
        .stdout_lacks("Flashing.");
    let refused = Trace::read(&trace);
    assert!(refused.records.is_empty(), "{:?}", refused.cdbs());
    let after = dir.state("d");
    assert!(after.flash == before.flash);
    assert!(!dir.join("bk").exists(), "no backup was even started");

    // Readers share: a dry run reads the drive alongside.
    dir.odflash()
        .args(["flash", &device])
        .arg(&image)
        .run()
        .ok()
        .stdout_has("Dry run: nothing was written.");

    let (code, stdout, stderr) = reader.finish();
    assert_eq!(code, OK, "{stdout}\n{stderr}");
    assert!(stdout.contains("BD-RE BU40N"), "{stdout}");

    // The reader is gone, and so is its lock.
    dir.odflash()
        .args(["flash", &device])
        .arg(&image)
        .args(execute)
        .run()
        .ok()
        .stdout_has("Flash complete.");
}
