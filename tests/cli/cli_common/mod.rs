//! A small harness for the CLI tests, in the style of ripgrep's `tests/util.rs`: a temporary
//! [`Dir`] to work in, a [`TestCommand`] that runs the real `odflash` binary there, the
//! finished [`Run`] with chainable assertions, the [`Trace`] a `--trace FILE` run left behind
//! (to prove "zero writes reached the drive"), and the [`EmuState`] of an emulated drive kept in
//! a state file between invocations.
//!
//! The binary never sees a terminal (stdin is not a TTY) and never inherits `ODFLASH_EMU`,
//! `RUST_LOG` or `RUST_BACKTRACE` from the developer's shell, so every run is reproducible.
//! Assertions check exit codes, contract text and JSON, never elapsed time.

#![allow(dead_code)] // each test binary uses a different subset

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// Exit code 0: success.
pub const OK: i32 = 0;
/// Exit code 1: usage error (bad arguments, missing confirmation).
pub const USAGE: i32 = 1;
/// Exit code 15: cannot open the device or file, busy, needs root.
pub const OPEN: i32 = 15;
/// Exit code 35: transport error (a replay mismatch is one).
pub const TRANSPORT: i32 = 35;
/// Exit code 100: refused by a safety gate, nothing written.
pub const GATE: i32 = 100;
/// Exit code 101: chip family not supported (identify-only), nothing written.
pub const UNSUPPORTED: i32 = 101;
/// Exit code 102: the mandatory backup failed, nothing written.
pub const BACKUP_FAILED: i32 = 102;
/// Exit code 104: write interrupted, drive state uncertain.
pub const INTERRUPTED: i32 = 104;
/// Read-back verify failed (or showed the drive did not take the image).
pub const VERIFY_FAILED: i32 = 103;
/// Flashed, but the drive refuses the reads that would verify it.
pub const NOT_VERIFIED: i32 = 105;
/// The drive refused the image and kept its firmware.
pub const IMAGE_REFUSED: i32 = 106;

/// Where the committed CLI fixtures live.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/cli")
        .join(name)
}

/// A temporary working directory, removed when dropped.
pub struct Dir {
    tmp: tempfile::TempDir,
}

/// The next-step text a failed write prints: `next: odflash COMMAND DEVICE IMAGE[ REST]`, with
/// DEVICE shell-quoted as the message quotes it.
pub fn next_step(command: &str, device: &str, image: &Path, rest: &str) -> String {
    let device = shlex::try_quote(device).expect("a device name without NUL");
    format!("next: odflash {command} {device} {}{rest}", image.display())
}

impl Dir {
    /// An emulated drive persisted as `d`, created now (so its state can be compared later).
    pub fn created_drive(&self, spec: &str) -> String {
        let device = self.emu("d", spec);
        self.odflash().args(["info", &device]).run().ok();
        device
    }

    /// `flash DEVICE IMAGE --execute --yes-i-understand-the-risk --backup-dir bk ARGS`, traced to
    /// `flash.jsonl`.
    pub fn flash_execute(&self, device: &str, image: &Path, args: &[&str]) -> (Run, Trace) {
        self.flash_traced(device, image, args, TracePayload::Omit)
    }

    /// [`Dir::flash_execute`], with the data-phase bytes in the trace when `payload` says so.
    pub fn flash_traced(
        &self,
        device: &str,
        image: &Path,
        args: &[&str],
        payload: TracePayload,
    ) -> (Run, Trace) {
        let trace = self.join("flash.jsonl");
        let mut command = self.odflash().traced(&trace);
        if payload == TracePayload::Record {
            command = command.arg("--trace-payload");
        }
        let run = command
            .args(["flash", device])
            .arg(image)
            .args([
                "--execute",
                "--yes-i-understand-the-risk",
                "--backup-dir",
                "bk",
            ])
            .args(args)
            .run();
        (run, Trace::read(&trace))
    }

    /// A fresh directory. Emulated drives with a state file fsync every save; on a tmpfs
    /// (`/dev/shm`) that costs nothing, so it is preferred unless `TMPDIR` is set.
    pub fn new() -> Dir {
        let shm = Path::new("/dev/shm");
        let base = match std::env::var_os("TMPDIR") {
            Some(dir) => PathBuf::from(dir),
            None if shm.is_dir() => shm.to_path_buf(),
            None => std::env::temp_dir(),
        };
        let tmp = tempfile::Builder::new()
            .prefix("odflash-cli-")
            .tempdir_in(base)
            .expect("create a temporary directory");
        Dir { tmp }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        self.tmp.path()
    }

    /// A path inside the directory.
    pub fn join(&self, name: &str) -> PathBuf {
        self.path().join(name)
    }

    /// Write `bytes` to `name` inside the directory.
    pub fn write(&self, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let path = self.join(name);
        std::fs::write(&path, bytes).expect("write a test file");
        path
    }

    /// An emulated drive (`spec` = "mt1959", "mt1959,mode=boot", ...) persisted in the state
    /// file `<name>.json`, so several invocations act on the same drive.
    pub fn emu(&self, name: &str, spec: &str) -> String {
        format!(
            "emu:{spec},state-file={}",
            self.join(&format!("{name}.json")).display()
        )
    }

    /// The state file of [`Dir::emu`] drive `name`.
    pub fn state(&self, name: &str) -> EmuState {
        EmuState::read(&self.join(&format!("{name}.json")))
    }

    /// A fault plan file holding `json`.
    pub fn faults(&self, name: &str, json: &str) -> PathBuf {
        self.write(name, json)
    }

    /// `odflash` run in this directory.
    pub fn odflash(&self) -> TestCommand {
        TestCommand::new(self.path())
    }

    /// `odflash` as a plain process in this directory, with the same clean environment, for
    /// tests that drive it themselves (in the background, on a terminal).
    pub fn process(&self) -> std::process::Command {
        odflash_process(self.path())
    }

    /// `odflash emu make-image -o <name> <args>`, which must succeed.
    pub fn image(&self, name: &str, args: &[&str]) -> PathBuf {
        let path = self.join(name);
        self.odflash()
            .args(["emu", "make-image"])
            .args(args)
            .arg("-o")
            .arg(&path)
            .run()
            .ok();
        path
    }

    /// A valid signed image for the default `emu:mt1959` drive (HL-DT-ST BD-RE BU40N 1.03)
    /// at `revision`.
    pub fn bu40n(&self, name: &str, revision: &str) -> PathBuf {
        self.image(
            name,
            &[
                "--chip",
                "mt1959",
                "--model",
                "BD-RE BU40N",
                "--revision",
                revision,
            ],
        )
    }
}

/// A command line for the `odflash` binary under test.
pub struct TestCommand {
    cmd: assert_cmd::Command,
    line: Vec<String>,
}

/// The `odflash` binary under test, to run in `dir` without the developer's `ODFLASH_EMU`,
/// `RUST_LOG` or `RUST_BACKTRACE`.
fn odflash_process(dir: &Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_odflash"));
    cmd.current_dir(dir)
        .env_remove("ODFLASH_EMU")
        .env_remove("RUST_LOG")
        .env("RUST_BACKTRACE", "0");
    cmd
}

impl TestCommand {
    fn new(dir: &Path) -> TestCommand {
        TestCommand {
            cmd: assert_cmd::Command::from_std(odflash_process(dir)),
            line: vec!["odflash".into()],
        }
    }

    /// Add one argument.
    pub fn arg(mut self, arg: impl AsRef<std::ffi::OsStr>) -> TestCommand {
        self.line.push(arg.as_ref().to_string_lossy().into_owned());
        self.cmd.arg(arg);
        self
    }

    /// Add arguments.
    pub fn args<I, S>(mut self, args: I) -> TestCommand
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        for a in args {
            self = self.arg(a);
        }
        self
    }

    /// Set an environment variable for the run.
    pub fn env(mut self, key: &str, value: &str) -> TestCommand {
        self.line.insert(0, format!("{key}={value:?}"));
        self.cmd.env(key, value);
        self
    }

    /// Kill the run after `limit` (the run then fails its test as killed by a signal).
    pub fn timeout(mut self, limit: std::time::Duration) -> TestCommand {
        self.cmd.timeout(limit);
        self
    }

    /// Record every command sent to the drive into `trace` (`--trace FILE`).
    pub fn traced(self, trace: &Path) -> TestCommand {
        self.arg("--trace").arg(trace)
    }

    /// Run to completion (stdin is empty and not a terminal).
    pub fn run(mut self) -> Run {
        let out = self.cmd.output().expect("run odflash");
        Run {
            line: self.line.join(" "),
            code: out.status.code().expect("odflash was killed by a signal"),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

/// A finished run.
pub struct Run {
    /// The command line, for failure messages.
    pub line: String,
    /// The exit code.
    pub code: i32,
    /// Everything printed on stdout.
    pub stdout: String,
    /// Everything printed on stderr.
    pub stderr: String,
}

impl Run {
    fn context(&self) -> String {
        let mut s = String::new();
        let _ = write!(
            s,
            "\n$ {}\nexit {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.line, self.code, self.stdout, self.stderr
        );
        s
    }

    /// Assert the exit code.
    pub fn code(&self, expected: i32) -> &Run {
        assert_eq!(
            self.code,
            expected,
            "unexpected exit code{}",
            self.context()
        );
        self
    }

    /// Assert success (exit 0).
    pub fn ok(&self) -> &Run {
        self.code(OK)
    }

    /// Assert stdout contains `text`.
    pub fn stdout_has(&self, text: &str) -> &Run {
        assert!(
            self.stdout.contains(text),
            "stdout lacks {text:?}{}",
            self.context()
        );
        self
    }

    /// Assert stdout does not contain `text`.
    pub fn stdout_lacks(&self, text: &str) -> &Run {
        assert!(
            !self.stdout.contains(text),
            "stdout has {text:?}{}",
            self.context()
        );
        self
    }

    /// Assert stderr contains `text`.
    pub fn stderr_has(&self, text: &str) -> &Run {
        assert!(
            self.stderr.contains(text),
            "stderr lacks {text:?}{}",
            self.context()
        );
        self
    }

    /// Assert stderr contains `text` exactly once (messages must not repeat themselves).
    pub fn stderr_once(&self, text: &str) -> &Run {
        assert_eq!(
            self.stderr.matches(text).count(),
            1,
            "stderr should hold {text:?} exactly once{}",
            self.context()
        );
        self
    }

    /// The single `odflash: error: ...` line.
    pub fn error_line(&self) -> &str {
        let lines: Vec<&str> = self
            .stderr
            .lines()
            .filter(|l| l.starts_with("odflash: error: "))
            .collect();
        assert_eq!(lines.len(), 1, "expected one error line{}", self.context());
        lines[0]
    }

    /// Stdout parsed as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}){}", self.context()))
    }
}

/// The JSON-lines trace written by `--trace FILE`.
/// Whether a traced run records the data-phase bytes (`--trace-payload`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TracePayload {
    /// CDBs and outcomes only.
    Omit,
    /// Also every byte moved.
    Record,
}

pub struct Trace {
    path: PathBuf,
    /// One record per command that reached the drive.
    pub records: Vec<Value>,
}

impl Trace {
    /// Read a trace file.
    pub fn read(path: &Path) -> Trace {
        let text = std::fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("cannot read trace {}: {e}", path.display()));
        let records = text
            .lines()
            .map(|l| serde_json::from_str(l).expect("a trace line is JSON"))
            .collect();
        Trace {
            path: path.to_path_buf(),
            records,
        }
    }

    /// The CDBs, in order, as lowercase hex.
    pub fn cdbs(&self) -> Vec<String> {
        self.records
            .iter()
            .map(|r| r["cdb"].as_str().expect("cdb is a string").to_string())
            .collect()
    }

    /// The opcodes (CDB byte 0), in order.
    pub fn opcodes(&self) -> Vec<u8> {
        self.cdbs()
            .iter()
            .map(|c| u8::from_str_radix(&c[..2], 16).expect("hex opcode"))
            .collect()
    }

    /// WRITE BUFFER (0x3B) commands in the trace.
    pub fn writes(&self) -> usize {
        self.cdbs().iter().filter(|c| c.starts_with("3b")).count()
    }

    /// Assert the drive was talked to (the trace is not empty, so the proof below is not
    /// vacuous) and that not one WRITE BUFFER reached it.
    pub fn assert_no_writes(&self) {
        assert!(
            !self.records.is_empty(),
            "{}: empty trace proves nothing",
            self.path.display()
        );
        assert_eq!(
            self.writes(),
            0,
            "{}: WRITE BUFFER reached the drive: {:?}",
            self.path.display(),
            self.cdbs()
        );
    }
}

/// An emulated drive's persisted state: the JSON and the flash sidecar it names.
pub struct EmuState {
    /// The state file's JSON.
    pub json: Value,
    /// The 2 MiB flash (`<state>.flash-<gen>.bin`).
    pub flash: Vec<u8>,
}

impl EmuState {
    /// Read the state file and its current flash sidecar.
    pub fn read(path: &Path) -> EmuState {
        let text = std::fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("cannot read state {}: {e}", path.display()));
        let json: Value = serde_json::from_str(&text).expect("state file is JSON");
        let model = &json["state"]["model"];
        let gen = ["mt19xx", "tsst"]
            .iter()
            .find_map(|m| model[m]["flash_gen"].as_u64())
            .expect("a flashable model's state names its flash generation");
        let sidecar = format!("{}.flash-{gen}.bin", path.display());
        let flash = std::fs::read(&sidecar).expect("read the flash sidecar");
        EmuState { json, flash }
    }

    /// Commands the drive has received over its life.
    pub fn commands(&self) -> u64 {
        self.json["state"]["commands"]
            .as_u64()
            .expect("command count")
    }
}
