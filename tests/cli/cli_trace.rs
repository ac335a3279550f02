//! CLI tests: `odflash trace import` and `odflash trace show`. odflash's own payload trace of a
//! run on an emulated drive is written out as the USB capture a Bulk-Only drive would give
//! (`scsi::capture::synth`); importing it gives the same commands, lengths, statuses, sense and
//! payloads; the import replays with `replay:`; `trace show` decodes an MT19xx flash into its
//! steps; bad captures exit 1 naming the frame.

use std::path::Path;

use crate::cli_common;

use cli_common::{Dir, OK, USAGE};
use odflash::scsi::capture::synth::{capture, Container, LinkType};
use odflash::scsi::capture::DeviceAddr;
use odflash::scsi::trace::{parse_trace, TraceRecord};

const DRIVE: DeviceAddr = DeviceAddr { bus: 3, device: 2 };

fn records(path: &Path) -> Vec<TraceRecord> {
    parse_trace(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// What a capture carries of a record: everything but the host's timings and timeout.
fn on_the_wire(records: &[TraceRecord]) -> Vec<TraceRecord> {
    records
        .iter()
        .map(|r| TraceRecord {
            duration_us: 0,
            time_us: None,
            timeout_ms: 0,
            ..r.clone()
        })
        .collect()
}

/// Run `args` on DEVICE with a payload trace; return the trace's path.
fn own_trace(dir: &Dir, name: &str, args: &[&str]) -> std::path::PathBuf {
    let trace = dir.join(name);
    dir.odflash()
        .traced(&trace)
        .arg("--trace-payload")
        .args(args)
        .run()
        .ok();
    trace
}

#[test]
fn an_imported_capture_equals_odflashs_own_trace_and_replays() {
    let dir = Dir::new();
    let own = own_trace(&dir, "own.jsonl", &["info", "emu:mt1959"]);
    let own = records(&own);
    let cap = dir.write(
        "run.pcapng",
        capture(&own, DRIVE, Container::PcapNg(LinkType::UsbLinuxMmapped)),
    );
    dir.odflash()
        .args(["trace", "import"])
        .arg(&cap)
        .args(["-o", "imported.jsonl"])
        .run()
        .ok()
        .stdout_has(&format!(
            "imported {} commands of device 3:002 LUN 0 from the pcapng capture",
            own.len()
        ))
        .stdout_has("next: odflash trace show imported.jsonl");
    let imported = records(&dir.join("imported.jsonl"));
    assert_eq!(on_the_wire(&imported), on_the_wire(&own));
    // The import is a drive to odflash: `info` on the replay says what it said on the drive.
    let live = dir.odflash().args(["info", "emu:mt1959"]).run();
    let replayed = dir.odflash().args(["info", "replay:imported.jsonl"]).run();
    replayed.ok();
    // Everything but the bus, which a trace does not record.
    let lines = |text: &str, device: &str| -> Vec<String> {
        text.replace(device, "D")
            .lines()
            .filter(|l| !l.starts_with("Bus "))
            .map(String::from)
            .collect()
    };
    assert_eq!(
        lines(&replayed.stdout, "replay:imported.jsonl"),
        lines(&live.stdout, "emu:mt1959")
    );
}

#[test]
fn usbmon_text_and_pcap_of_one_run_import_the_same_commands() {
    let dir = Dir::new();
    let own = records(&own_trace(&dir, "own.jsonl", &["info", "emu:dru-710a"]));
    let text = dir.write("run.mon", capture(&own, DRIVE, Container::UsbmonText));
    let pcap = dir.write(
        "run.pcap",
        capture(
            &own,
            DRIVE,
            Container::Pcap {
                linktype: LinkType::UsbLinux,
                big_endian: false,
            },
        ),
    );
    for (cap, out) in [(&text, "text.jsonl"), (&pcap, "pcap.jsonl")] {
        dir.odflash()
            .args(["trace", "import"])
            .arg(cap)
            .args(["-o", out])
            .run()
            .ok();
    }
    let from_text = records(&dir.join("text.jsonl"));
    let from_pcap = records(&dir.join("pcap.jsonl"));
    assert_eq!(on_the_wire(&from_pcap), on_the_wire(&own));
    let key = |r: &TraceRecord| {
        (
            r.cdb.clone(),
            r.requested,
            r.transferred,
            r.status,
            r.sense.clone(),
        )
    };
    assert_eq!(
        from_text.iter().map(key).collect::<Vec<_>>(),
        own.iter().map(key).collect::<Vec<_>>()
    );
}

#[test]
fn trace_show_decodes_an_mt19xx_flash_into_its_steps() {
    let dir = Dir::new();
    let device = dir.emu("d", "mt1959");
    let image = dir.bu40n("new.bin", "1.04");
    let flash = [
        "flash",
        &device,
        &image.display().to_string(),
        "--execute",
        "--yes-i-understand-the-risk",
        "--backup-dir",
        "bk",
    ];
    let own = records(&own_trace(&dir, "flash.jsonl", &flash));
    let cap = dir.write(
        "flash.pcap",
        capture(
            &own,
            DRIVE,
            Container::Pcap {
                linktype: LinkType::UsbLinuxMmapped,
                big_endian: false,
            },
        ),
    );
    dir.odflash()
        .args(["trace", "import"])
        .arg(&cap)
        .args(["-o", "flash-imported.jsonl"])
        .run()
        .ok();
    let show = dir
        .odflash()
        .args(["trace", "show", "flash-imported.jsonl"])
        .run();
    show.ok()
        .stdout_has("drive: HL-DT-ST BD-RE BU40N 1.03")
        .stdout_has("mt19xx: PREPARE: enter download")
        .stdout_has("128 x WRITE BUFFER mode 6")
        .stdout_has("mt19xx: flash write: image chunk")
        .stdout_has("mt19xx: COMMIT after the last chunk")
        .stdout_has("128 chunks, 2097152 bytes (128 x 16384) - mt19xx: flash write")
        .stdout_has("offsets 0x000000..0x1fc000, contiguous")
        .stdout_lacks("UNKNOWN");
    let prepare = show.stdout.find("PREPARE").unwrap();
    let chunks = show.stdout.find("128 x WRITE BUFFER").unwrap();
    let commit = show.stdout.find("COMMIT after").unwrap();
    assert!(prepare < chunks && chunks < commit, "{}", show.stdout);
    let json = dir
        .odflash()
        .args(["trace", "show", "--json", "flash-imported.jsonl"])
        .run();
    json.ok();
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(v["streams"][0]["chunks"], 128);
    assert_eq!(v["unknown_vendor"], 0);
}

#[test]
fn serials_are_shown_and_redacted() {
    let dir = Dir::new();
    let own = records(&own_trace(
        &dir,
        "own.jsonl",
        &["info", "emu:mt1959,serial=K9XA1234ZZ01"],
    ));
    let cap = dir.write(
        "run.pcapng",
        capture(&own, DRIVE, Container::PcapNg(LinkType::UsbLinux)),
    );
    dir.odflash()
        .args(["trace", "show", "own.jsonl"])
        .run()
        .ok()
        .stdout_has("serial: K9XA1234ZZ01 (in records");
    dir.odflash()
        .args(["trace", "show", "--redact", "own.jsonl"])
        .run()
        .ok()
        .stdout_has("serial: XXXXXXXXXXXX")
        .stdout_lacks("K9XA1234ZZ01");
    dir.odflash()
        .args(["trace", "import", "--redact"])
        .arg(&cap)
        .args(["-o", "shared.jsonl"])
        .run()
        .ok()
        .stdout_has("serial masked in");
    let shared = std::fs::read_to_string(dir.join("shared.jsonl")).unwrap();
    assert!(!shared.contains(&hex::encode("K9XA1234ZZ01")));
    assert!(shared.contains(&hex::encode("XXXXXXXXXXXX")));
}

#[test]
fn bad_captures_exit_1_naming_the_frame() {
    let dir = Dir::new();
    let own = records(&own_trace(&dir, "own.jsonl", &["info", "emu:mt1959"]));
    let pcap = capture(
        &own,
        DRIVE,
        Container::Pcap {
            linktype: LinkType::UsbLinuxMmapped,
            big_endian: false,
        },
    );
    let mut truncated = pcap.clone();
    truncated.truncate(pcap.len() - 7);
    let mut ethernet = pcap.clone();
    ethernet[20..24].copy_from_slice(&1u32.to_le_bytes());
    let printer = "a1 10 S Bo:1:004:1 -115 8 = 1b401b40 1b401b40\na1 20 C Bo:1:004:1 0 8 >\n";
    let cases: [(&str, &[u8], &str); 5] = [
        (
            "truncated.pcap",
            &truncated,
            "truncated: the file ends inside it",
        ),
        (
            "ethernet.pcap",
            &ethernet,
            "link type 1 (Ethernet) is not a Linux usbmon capture",
        ),
        ("printer.mon", printer.as_bytes(), "nothing to reassemble"),
        ("garbage.bin", &[0x5Au8; 100], "not a capture odflash reads"),
        ("empty.mon", b"", "the file is empty"),
    ];
    for (name, bytes, message) in cases {
        let path = dir.write(name, bytes);
        dir.odflash()
            .args(["trace", "import"])
            .arg(&path)
            .args(["-o", "x.jsonl"])
            .run()
            .code(USAGE)
            .stderr_has(message);
        assert!(!dir.join("x.jsonl").exists(), "{name}: nothing written");
    }
    let path = dir.write("printer2.mon", printer);
    dir.odflash()
        .args(["trace", "import", "--device", "1:4"])
        .arg(&path)
        .args(["-o", "x.jsonl"])
        .run()
        .code(USAGE)
        .stderr_has("device 1:004 does not speak USB Mass Storage Bulk-Only (first bulk transfer at line 2)");
    dir.odflash()
        .args(["trace", "import", "--device", "one"])
        .arg(&path)
        .args(["-o", "x.jsonl"])
        .run()
        .code(USAGE)
        .stderr_has("is not BUS:DEVICE");
    let code = dir
        .odflash()
        .args(["trace", "show", "missing.jsonl"])
        .run()
        .code;
    assert_ne!(code, OK);
}

#[test]
fn a_captured_identity_becomes_an_emulated_drive() {
    let dir = Dir::new();
    let spec = "emu:mt1959,model=BD-RE BU50N,revision=1.07,serial=ABCD1234";
    let own = records(&own_trace(&dir, "own.jsonl", &["info", spec]));
    let cap = dir.write(
        "run.pcapng",
        capture(&own, DRIVE, Container::PcapNg(LinkType::UsbLinuxMmapped)),
    );
    dir.odflash()
        .args(["trace", "import"])
        .arg(&cap)
        .args(["-o", "imported.jsonl"])
        .run()
        .ok();
    dir.odflash()
        .args(["emu", "profile", "imported.jsonl", "--family", "mt1959"])
        .args(["-o", "bu50n.json"])
        .run()
        .ok()
        .stdout_has("wrote bu50n.json: HL-DT-ST BD-RE BU50N 1.07")
        .stdout_has("practise on it: odflash info 'emu:profile=bu50n.json'");
    let live = dir.odflash().args(["info", spec]).run();
    let emulated = dir.odflash().args(["info", "emu:profile=bu50n.json"]).run();
    emulated.ok();
    assert_eq!(
        emulated.stdout.replace("emu:profile=bu50n.json", "D"),
        live.stdout.replace(spec, "D")
    );
    dir.odflash()
        .args(["emu", "profile", "imported.jsonl", "--family", "mt2000"])
        .args(["-o", "x.json"])
        .run()
        .code(USAGE)
        .stderr_has("unknown family `mt2000`");
    dir.write("bad.json", "{\"version\":1}");
    dir.odflash()
        .args(["info", "emu:profile=bad.json"])
        .run()
        .stderr_has("bad.json");
}
