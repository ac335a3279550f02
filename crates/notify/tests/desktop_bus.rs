//! odflash-notify against a real D-Bus: a private bus daemon (`dbus-daemon`, Debian package
//! `dbus`), a fake notification server owning org.freedesktop.Notifications that records every
//! call, and the built binary watching a temporary directory into which the hotplug helper's
//! own `write_state` puts status files of emulated drives (renamed into place, as in
//! `/run/odflash`).
//!
//! The bus runs from a configuration of its own instead of `--session`'s: the same policy, but
//! its socket in the test's directory and no service directories, so a notification daemon
//! installed on the machine is never activated in place of the fake one.
//!
//! "No notice" is proven with a sentinel: the notifier handles changes in order, so when the
//! notice for a file written *after* a healthy one arrives, the healthy one said nothing. Every
//! wait is bounded and fails with what was seen. Without `dbus-daemon` the tests are skipped
//! with a reason, except under CI=true, where that is a failure.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use odflash::ops::hotplug::{classify, write_state, Classification, Verdict};
use odflash::ops::open::{open_read_only, OpenOptions};
use zbus::zvariant::{OwnedValue, Value};

/// The longest any one expected thing may take (a debug build on a loaded 2-core machine).
const WAIT: Duration = Duration::from_secs(30);

// ---------------------------------------------------------------------------------------------
// The private bus.

/// A `dbus-daemon` of our own, stopped on drop.
struct Bus {
    daemon: Child,
    address: String,
    _dir: tempfile::TempDir,
}

impl Bus {
    /// Start the bus, or `None` (after saying why) when dbus-daemon is missing outside CI.
    fn start() -> Option<Bus> {
        let installed = Command::new("dbus-daemon")
            .arg("--version")
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !installed {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "dbus-daemon is missing: CI must have it (scripts/deps.sh test installs `dbus`)"
            );
            eprintln!("skipped: dbus-daemon is not installed (apt-get install dbus)");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("bus.conf");
        std::fs::write(&config, bus_config(&dir.path().join("bus"))).unwrap();
        let mut daemon = Command::new("dbus-daemon")
            .arg(format!("--config-file={}", config.display()))
            .args(["--print-address", "--nofork"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .expect("dbus-daemon starts");
        let stdout = daemon.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let address = match rx.recv_timeout(WAIT) {
            Ok(line) if !line.trim().is_empty() => line.trim().to_string(),
            other => {
                let _ = daemon.kill();
                panic!("dbus-daemon printed no address within {WAIT:?}: {other:?}");
            }
        };
        Some(Bus {
            daemon,
            address,
            _dir: dir,
        })
    }
}

impl Drop for Bus {
    fn drop(&mut self) {
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
    }
}

/// A session bus listening on `socket`, everyone allowed everything, nothing activatable.
fn bus_config(socket: &Path) -> String {
    format!(
        r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#,
        socket.display()
    )
}

// ---------------------------------------------------------------------------------------------
// The fake notification server.

/// One Notify call as the server received it.
#[derive(Debug, Clone)]
struct Notified {
    replaces_id: u32,
    summary: String,
    body: String,
    urgency: Option<u8>,
}

/// What the server was asked, in order.
#[derive(Debug, Default)]
struct Calls {
    notified: Vec<Notified>,
    closed: Vec<u32>,
}

#[derive(Debug, Default)]
struct Record {
    calls: Mutex<Calls>,
    changed: Condvar,
}

impl Record {
    /// Wait until `done` holds for the calls, at most [`WAIT`]; panics with the calls (and
    /// `what`) otherwise.
    fn wait_until(&self, what: &str, done: impl Fn(&Calls) -> bool) {
        let deadline = Instant::now() + WAIT;
        let mut calls = self.calls.lock().unwrap();
        while !done(&calls) {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "no {what} within {WAIT:?}; calls: {calls:#?}"
            );
            calls = self.changed.wait_timeout(calls, left).unwrap().0;
        }
    }

    /// Wait for the `n`th notice (1-based) and return it.
    fn nth_notice(&self, n: usize) -> Notified {
        self.wait_until(&format!("notice #{n}"), |c| c.notified.len() >= n);
        let calls = self.calls.lock().unwrap();
        assert_eq!(
            calls.notified.len(),
            n,
            "more notices than expected: {calls:#?}"
        );
        calls.notified[n - 1].clone()
    }
}

/// The server object: answers as a notification daemon and records each call.
struct FakeServer {
    record: Arc<Record>,
}

#[zbus::interface(name = "org.freedesktop.Notifications")]
impl FakeServer {
    #[allow(clippy::too_many_arguments)]
    fn notify(
        &self,
        _app_name: String,
        replaces_id: u32,
        _app_icon: String,
        summary: String,
        body: String,
        _actions: Vec<String>,
        hints: HashMap<String, OwnedValue>,
        _expire_timeout: i32,
    ) -> u32 {
        let urgency = hints.get("urgency").and_then(|v| match &**v {
            Value::U8(u) => Some(*u),
            _ => None,
        });
        let mut calls = self.record.calls.lock().unwrap();
        calls.notified.push(Notified {
            replaces_id,
            summary,
            body,
            urgency,
        });
        let id = match replaces_id {
            0 => calls.notified.len() as u32,
            id => id,
        };
        self.record.changed.notify_all();
        id
    }

    fn close_notification(&self, id: u32) {
        self.record.calls.lock().unwrap().closed.push(id);
        self.record.changed.notify_all();
    }

    fn get_capabilities(&self) -> Vec<String> {
        vec!["body".into(), "body-markup".into()]
    }

    fn get_server_information(&self) -> (String, String, String, String) {
        (
            "fake".into(),
            "odflash tests".into(),
            "0".into(),
            "1.2".into(),
        )
    }
}

/// Own org.freedesktop.Notifications on `bus` until the returned connection is dropped.
fn serve(bus: &Bus) -> (zbus::blocking::Connection, Arc<Record>) {
    let record = Arc::new(Record::default());
    let server = FakeServer {
        record: record.clone(),
    };
    let connection = zbus::blocking::connection::Builder::address(bus.address.as_str())
        .unwrap()
        .name("org.freedesktop.Notifications")
        .unwrap()
        .serve_at("/org/freedesktop/Notifications", server)
        .unwrap()
        .build()
        .expect("the fake server connects");
    (connection, record)
}

// ---------------------------------------------------------------------------------------------
// The notifier and the status files.

/// A running odflash-notify, killed on drop; its stderr collected.
struct Notifier {
    child: Child,
    log: Arc<(Mutex<Vec<String>>, Condvar)>,
}

impl Notifier {
    fn start(bus: &Bus, dir: &Path) -> Notifier {
        let mut child = notifier_command(bus, dir)
            .stderr(Stdio::piped())
            .spawn()
            .expect("odflash-notify starts");
        let stderr = child.stderr.take().unwrap();
        let log = Arc::new((Mutex::new(Vec::new()), Condvar::new()));
        let sink = log.clone();
        thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                sink.0.lock().unwrap().push(line);
                sink.1.notify_all();
            }
        });
        Notifier { child, log }
    }

    /// Wait for a log line containing `text`, at most [`WAIT`].
    fn wait_for_log(&self, text: &str) {
        let deadline = Instant::now() + WAIT;
        let mut lines = self.log.0.lock().unwrap();
        while !lines.iter().any(|l| l.contains(text)) {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "no log line with {text:?} within {WAIT:?}: {lines:#?}"
            );
            lines = self.log.1.wait_timeout(lines, left).unwrap().0;
        }
    }

    fn assert_running(&mut self) {
        let status = self.child.try_wait().unwrap();
        assert!(
            status.is_none(),
            "odflash-notify ended ({status:?}): {:#?}",
            self.log.0.lock().unwrap()
        );
    }
}

impl Drop for Notifier {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn notifier_command(bus: &Bus, dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_odflash-notify"));
    cmd.arg("--dir")
        .arg(dir)
        .env("DBUS_SESSION_BUS_ADDRESS", &bus.address)
        .env("RUST_LOG", "debug")
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    cmd
}

/// Classify the emulated drive `spec` as the hotplug helper does and write its status file
/// into `dir` with the helper's own writer.
fn plug(dir: &Path, spec: &str) -> (Classification, PathBuf) {
    let mut dev = open_read_only(spec, &OpenOptions::default()).unwrap();
    let c = classify(&mut dev).unwrap();
    let path = write_state(dir, &c).unwrap();
    (c, path)
}

/// The exact next command the helper recorded.
fn next(c: &Classification) -> &str {
    c.next
        .as_deref()
        .expect("a drive needing attention has a next command")
}

// ---------------------------------------------------------------------------------------------

#[test]
fn one_notice_per_appearance_with_the_next_command() {
    let Some(bus) = Bus::start() else { return };
    let (_server, record) = serve(&bus);
    let dir = tempfile::tempdir().unwrap();

    // Recorded before the user logged in: announced once at start.
    let (early, _) = plug(dir.path(), "emu:mt1939,mode=boot");
    let mut notifier = Notifier::start(&bus, dir.path());
    let first = record.nth_notice(1);
    assert!(first.body.contains(next(&early)), "{first:?}");
    assert_eq!(first.urgency, Some(2), "recovery is critical: {first:?}");

    // A healthy drive and a file that is not a status file say nothing; the recovery drive
    // written after them is the next notice.
    std::fs::write(dir.path().join("sg9.json"), "{\"verdict\": ").unwrap();
    let (healthy, _) = plug(dir.path(), "emu:se-506cb");
    assert_eq!(healthy.verdict, Verdict::Healthy);
    let (recovery, path) = plug(dir.path(), "emu:mt1959,mode=boot");
    assert_eq!(recovery.verdict, Verdict::Recovery);
    let second = record.nth_notice(2);
    assert!(second.body.contains(next(&recovery)), "{second:?}");
    assert!(second.summary.contains("is in recovery"), "{second:?}");
    assert_eq!(second.urgency, Some(2));
    assert_eq!(second.replaces_id, 0);

    // The same drive, same verdict, rewritten: nothing. Then its verdict changes: one more
    // notice, in place of the first.
    plug(dir.path(), "emu:mt1959,mode=boot");
    let (attention, same_path) = plug(dir.path(), "emu:mt1959,mode=needs-attention");
    assert_eq!(same_path, path);
    let third = record.nth_notice(3);
    assert!(third.summary.contains("needs attention"), "{third:?}");
    assert!(third.body.contains(next(&attention)), "{third:?}");
    assert_eq!(third.urgency, Some(1));
    assert_eq!(third.replaces_id, 2, "replaces the recovery notice");

    // Unplugged (file removed) and plugged in again: the stale notice is closed and the drive
    // announced anew.
    std::fs::remove_file(&path).unwrap();
    record.wait_until("close of notice 2", |c| c.closed == [2]);
    plug(dir.path(), "emu:mt1959,mode=needs-attention");
    let fourth = record.nth_notice(4);
    assert_eq!(fourth.replaces_id, 0, "{fourth:?}");
    notifier.wait_for_log("ignoring");
    notifier.assert_running();
}

#[test]
fn a_missing_server_is_retried_on_the_next_change() {
    let Some(bus) = Bus::start() else { return };
    let parent = tempfile::tempdir().unwrap();
    // The directory does not exist yet (no drive since boot): the notifier waits for it.
    let dir = parent.path().join("odflash");
    let mut notifier = Notifier::start(&bus, &dir);
    notifier.wait_for_log("watching");
    let (recovery, _) = plug(&dir, "emu:mt1959,mode=boot");
    notifier.wait_for_log("not delivered yet");
    notifier.assert_running();

    let (_server, record) = serve(&bus);
    plug(&dir, "emu:se-506cb");
    let notice = record.nth_notice(1);
    assert!(notice.body.contains(next(&recovery)), "{notice:?}");
    notifier.assert_running();
}

#[test]
fn once_announces_what_is_there_and_exits() {
    let Some(bus) = Bus::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (recovery, _) = plug(dir.path(), "emu:mt1959,mode=boot");
    plug(dir.path(), "emu:se-506cb");

    // No server: exit status 1, saying so.
    let out = run_once(&bus, dir.path());
    assert!(!out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("could not be delivered"));

    let (_server, record) = serve(&bus);
    let out = run_once(&bus, dir.path());
    assert!(out.status.success(), "{out:?}");
    let notice = record.nth_notice(1);
    assert!(notice.body.contains(next(&recovery)), "{notice:?}");
}

/// `odflash-notify --once`, killed if it runs longer than [`WAIT`].
fn run_once(bus: &Bus, dir: &Path) -> std::process::Output {
    let child = notifier_command(bus, dir)
        .arg("--once")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(WAIT) {
        Ok(out) => out.unwrap(),
        Err(_) => {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid as i32),
                nix::sys::signal::Signal::SIGKILL,
            );
            panic!("odflash-notify --once did not exit within {WAIT:?}");
        }
    }
}
