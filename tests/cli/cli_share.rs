//! CLI tests: `odflash info DEVICE --share` on an emulated drive. The serial (the emulator's
//! `EMU1959K0001`) is absent from the default file, as text and as hex, and present with
//! `--no-redact`; no firmware payload reaches the file, not even from a given payload trace.

use crate::cli_common;

use cli_common::Dir;
use serde_json::Value;

const DRIVE: &str = "emu:mt1959";
const SERIAL: &str = "EMU1959K0001";

fn serial_hex() -> String {
    SERIAL.bytes().map(|b| format!("{b:02x}")).collect()
}

/// Run `info DRIVE --share -o FILE ARGS...` and return the file's text.
fn share(dir: &Dir, file: &str, args: &[&str]) -> String {
    let out = dir.join(file);
    dir.odflash()
        .args(["info", DRIVE, "--share", "-o"])
        .arg(&out)
        .args(args)
        .run()
        .ok()
        .stdout_has(file);
    std::fs::read_to_string(out).unwrap()
}

#[test]
fn the_default_file_has_no_serial_in_text_or_hex() {
    let dir = Dir::new();
    let text = share(&dir, "report.json", &[]);
    assert!(!text.contains(SERIAL), "{text}");
    assert!(!text.to_lowercase().contains(&serial_hex()), "{text}");
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["serial_redacted"], true);
    assert_eq!(doc["info"]["probe"]["serial"], "<redacted>");
    assert!(doc["odflash_version"].is_string());
    assert!(doc["kernel"]["release"].is_string());
    // Every identification reply is there, in hex (INQUIRY first).
    let replies = doc["replies"].as_array().unwrap();
    assert!(replies.len() >= 4, "{doc:#}");
    assert!(replies[0]["cdb"].as_str().unwrap().starts_with("12"));
    assert!(replies[0]["payload"].as_str().unwrap().starts_with("05"));
}

#[test]
fn no_redact_keeps_the_serial() {
    let dir = Dir::new();
    let text = share(&dir, "report.json", &["--no-redact"]);
    assert!(text.contains(SERIAL));
    assert!(text.contains(&serial_hex()));
}

#[test]
fn no_firmware_payload_even_from_a_payload_trace() {
    let dir = Dir::new();
    let trace = dir.join("dump.jsonl");
    let dump = dir.join("flash.bin");
    dir.odflash()
        .arg("--trace")
        .arg(&trace)
        .arg("--trace-payload")
        .args(["dump", DRIVE, "-o"])
        .arg(&dump)
        .run()
        .ok();
    let flash = std::fs::read(&dump).unwrap();
    let text = share(
        &dir,
        "report.json",
        &["--trace-file", trace.to_str().unwrap()],
    );
    // A stretch of the flash that is not blank, as the trace's hex spells it.
    let chunk: String = flash[0x100..0x140]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert!(chunk.chars().any(|c| c != 'f' && c != '0'));
    assert!(
        std::fs::read_to_string(&trace).unwrap().contains(&chunk),
        "the given trace holds the firmware"
    );
    assert!(!text.contains(&chunk));
    let doc: Value = serde_json::from_str(&text).unwrap();
    let records = doc["trace"].as_array().expect("the trace is included");
    assert!(!records.is_empty());
    for r in records.iter().chain(doc["replies"].as_array().unwrap()) {
        let cdb = r["cdb"].as_str().unwrap();
        let payload = r["payload"].as_str().unwrap_or("");
        assert!(
            payload.len() <= 2 * 512,
            "{cdb}: {} hex digits",
            payload.len()
        );
        if cdb.starts_with("3b") || cdb.starts_with("3c") {
            assert!(payload.is_empty(), "{cdb} kept its payload");
        }
    }
    assert!(!text.contains(SERIAL));
}
