//! `systemd/user/odflash-notify.service`: the user unit that runs the notifier in graphical
//! sessions. Checked by `systemd-analyze --user verify` (with ExecStart= pointed at the binary
//! just built) and for the directives that tie it to the session and restart it.

use std::fs;
use std::process::Command;

const UNIT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../systemd/user/odflash-notify.service"
);
const SHIPPED_EXEC: &str = "ExecStart=/usr/bin/odflash-notify";

fn unit_text() -> String {
    fs::read_to_string(UNIT).unwrap_or_else(|e| panic!("{UNIT}: {e}"))
}

/// `systemd-analyze --user verify` on a copy of `text`: `None` when the tool is missing, else
/// whether it found nothing to say about the unit, and what it said.
fn verify(text: &str) -> Option<(bool, String)> {
    let dir = tempfile::tempdir().unwrap();
    // The user manager it simulates wants a runtime directory of its own.
    let runtime = dir.path().join("runtime");
    fs::create_dir(&runtime).unwrap();
    let text = text.replace(
        SHIPPED_EXEC,
        &format!("ExecStart={}", env!("CARGO_BIN_EXE_odflash-notify")),
    );
    let unit = dir.path().join("odflash-notify.service");
    fs::write(&unit, text).unwrap();
    let out = Command::new("systemd-analyze")
        .args(["--user", "verify", "--man=no", "--recursive-errors=no"])
        .arg(&unit)
        .env("XDG_RUNTIME_DIR", &runtime)
        .output()
        .ok()?;
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let clean = out.status.success() && !report.contains("odflash-notify");
    Some((clean, report))
}

#[test]
fn unit_passes_systemd_analyze_verify() {
    let text = unit_text();
    let Some((clean, report)) = verify(&text) else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true and systemd-analyze is missing: this check must run in CI"
        );
        eprintln!("SKIPPED: systemd-analyze is not installed");
        return;
    };
    assert!(clean, "systemd-analyze --user verify:\n{report}");
    // The check can fail: an unknown directive in a copy must be reported.
    let broken = text.replace("LockPersonality=yes", "LockPersonality=yes\nNoSuchKey=1");
    let (clean, _) = verify(&broken).expect("ran once already");
    assert!(!clean, "systemd-analyze verify missed an unknown key");
}

#[test]
fn unit_runs_with_the_graphical_session_unprivileged() {
    let text = unit_text();
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    for wanted in [
        SHIPPED_EXEC,
        "PartOf=graphical-session.target",
        "After=graphical-session.target",
        "WantedBy=graphical-session.target",
        "Restart=on-failure",
        "NoNewPrivileges=yes",
        "RestrictAddressFamilies=AF_UNIX",
    ] {
        assert!(lines.contains(&wanted), "missing: {wanted}");
    }
    // A user unit runs as its user: nothing may ask for another one or for privileges.
    for refused in [
        "User=",
        "Group=",
        "AmbientCapabilities=",
        "PermissionsStartOnly=",
    ] {
        assert!(
            !lines.iter().any(|l| l.starts_with(refused)),
            "a user unit must not set {refused}"
        );
    }
}
