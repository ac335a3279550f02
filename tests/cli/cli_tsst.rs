//! The TSST / Samsung "FF download" family end to end through the binary: each class downloads
//! exactly its schedule with its state bytes, the bytes sent are the image (or the SD-616
//! rearrangement of it), the MT1939 class is backed up first and verified after, and every
//! refusal sends no download command.

use crate::cli_common::*;

use odflash::image::tsst::{download_buffer, Class};

/// Download commands in a trace: (CDB hex, bytes sent, state byte, payload).
fn downloads(trace: &Trace) -> Vec<(usize, u8, Vec<u8>)> {
    trace
        .records
        .iter()
        .filter(|r| r["cdb"].as_str().unwrap().starts_with("ff0001"))
        .map(|r| {
            let cdb = hex::decode(r["cdb"].as_str().unwrap()).unwrap();
            let payload = r["payload"]
                .as_str()
                .map(|p| hex::decode(p).unwrap())
                .unwrap_or_default();
            (r["requested"].as_u64().unwrap() as usize, cdb[5], payload)
        })
        .collect()
}

/// `flash DEVICE IMAGE --execute ...` with the payload traced.
fn flash(dir: &Dir, device: &str, image: &std::path::Path, args: &[&str]) -> (Run, Trace) {
    dir.flash_traced(device, image, args, TracePayload::Record)
}

fn ts_h353c_image(dir: &Dir) -> std::path::PathBuf {
    dir.image(
        "h353c.bin",
        &[
            "--chip",
            "mt1339",
            "--model",
            "DVD-ROM TS-H353C",
            "--revision",
            "ID02",
        ],
    )
}

fn se506cb_image(dir: &Dir, name: &str, model: &str) -> std::path::PathBuf {
    dir.image(
        name,
        &[
            "--chip",
            "mt1939-tsst",
            "--model",
            model,
            "--revision",
            "TS02",
        ],
    )
}

#[test]
fn a_ts_h353c_gets_five_download_commands_carrying_the_image() {
    let dir = Dir::new();
    let device = dir.created_drive("ts-h353c");
    let image = ts_h353c_image(&dir);
    let (run, trace) = flash(&dir, &device, &image, &["--without-backup"]);
    // No public read-back: flashed, but not verified.
    run.code(NOT_VERIFIED)
        .stdout_has("no read-back verify")
        .stderr_has("not verified by read-back");
    let sent = downloads(&trace);
    let shape: Vec<(usize, u8)> = sent.iter().map(|(len, st, _)| (*len, *st)).collect();
    assert_eq!(
        shape,
        [
            (0xFC00, 0x00),
            (0xFC00, 0xFF),
            (0xFC00, 0xFF),
            (0xFC00, 0xFF),
            (0x1000, 0x04)
        ]
    );
    let bytes = std::fs::read(&image).unwrap();
    assert_eq!(
        sent.iter()
            .flat_map(|(_, _, p)| p.clone())
            .collect::<Vec<u8>>(),
        bytes
    );
    assert_eq!(trace.writes(), 0, "no WRITE BUFFER to a TSST drive");
    assert_eq!(dir.state("d").flash, bytes);
}

#[test]
fn an_sd_616f_gets_the_rearranged_buffer_in_three_commands() {
    let dir = Dir::new();
    let device = dir.created_drive("sd-616f");
    let image = dir.image(
        "sd616.bin",
        &[
            "--chip",
            "sd616",
            "--model",
            "DVD-ROM SD-616F",
            "--revision",
            "F302",
        ],
    );
    let (run, trace) = flash(&dir, &device, &image, &["--without-backup"]);
    run.code(NOT_VERIFIED);
    let sent = downloads(&trace);
    let shape: Vec<(usize, u8)> = sent.iter().map(|(len, st, _)| (*len, *st)).collect();
    assert_eq!(
        shape,
        [(0x1_0000, 0x00), (0x1_0000, 0xFF), (0x1_0000, 0x02)]
    );
    let bytes = std::fs::read(&image).unwrap();
    let expected = download_buffer(Class::Sd616, &bytes).unwrap();
    assert_eq!(
        sent.iter()
            .flat_map(|(_, _, p)| p.clone())
            .collect::<Vec<u8>>(),
        expected
    );
    assert_eq!(dir.state("d").flash, bytes);
}

#[test]
fn an_se_506cb_is_backed_up_then_downloaded_then_verified() {
    let dir = Dir::new();
    let device = dir.created_drive("se-506cb");
    let image = se506cb_image(&dir, "se506cb.bin", "BDDVDW SE-506CB");
    let (run, trace) = flash(&dir, &device, &image, &[]);
    run.ok();
    let cdbs = trace.cdbs();
    let first_download = cdbs.iter().position(|c| c.starts_with("ff0001")).unwrap();
    let read_before: u64 = trace.records[..first_download]
        .iter()
        .filter(|r| r["cdb"].as_str().unwrap().starts_with("3c06"))
        .map(|r| r["transferred"].as_u64().unwrap())
        .sum();
    assert!(
        read_before >= 0x20_0000,
        "the backup read the whole flash first"
    );
    let sent = downloads(&trace);
    assert_eq!(sent.len(), 34);
    assert_eq!((sent[33].0, sent[33].1), (0x800, 0x02));
    assert!(sent[1..33]
        .iter()
        .all(|(len, st, _)| *len == 0xF800 && *st == 0xFF));
    let last_download = cdbs.iter().rposition(|c| c.starts_with("ff0001")).unwrap();
    let verified: u64 = trace.records[last_download..]
        .iter()
        .filter(|r| r["cdb"].as_str().unwrap().starts_with("3c06"))
        .map(|r| r["transferred"].as_u64().unwrap())
        .sum();
    assert!(
        verified >= 0x1F_0000,
        "the read-back covers the application"
    );
    assert_eq!(trace.writes(), 0);
    let bytes = std::fs::read(&image).unwrap();
    assert_eq!(dir.state("d").flash[0x1_0000..], bytes[0x1_0000..]);
    assert!(std::fs::read_dir(dir.join("bk")).unwrap().next().is_some());
}

#[test]
fn images_for_another_class_or_model_are_refused_before_any_download() {
    let dir = Dir::new();
    let se506cb = se506cb_image(&dir, "se506cb.bin", "BDDVDW SE-506CB");
    let wrong_model = se506cb_image(&dir, "other.bin", "BDDVDW SE-208GB");
    let h353c = ts_h353c_image(&dir);
    for (spec, image, says) in [
        (
            "ts-h353c",
            &se506cb,
            "the TS-H353C (MT1339 DVD-ROM class) takes exactly 256 KiB",
        ),
        ("sd-616f", &h353c, "this is a 256 KiB MT1339 DVD-ROM image"),
        ("se-506cb", &wrong_model, "--crossflash"),
    ] {
        let device = dir.emu(spec, spec);
        let (run, trace) = flash(&dir, &device, image, &["--without-backup"]);
        run.code(GATE).stdout_has(says);
        assert!(downloads(&trace).is_empty(), "{spec}: {:?}", trace.cdbs());
        assert!(!trace.records.is_empty());
    }
}

#[test]
fn a_drive_without_a_public_read_needs_the_backup_waiver() {
    let dir = Dir::new();
    let h353c = ts_h353c_image(&dir);
    let sd616 = dir.image(
        "sd616.bin",
        &[
            "--chip",
            "sd616",
            "--model",
            "DVD-ROM SD-616F",
            "--revision",
            "F302",
        ],
    );
    for (spec, image) in [("ts-h353c", &h353c), ("sd-616f", &sd616)] {
        let device = dir.emu(spec, spec);
        let (run, trace) = flash(&dir, &device, image, &[]);
        run.code(GATE)
            .stderr_has("no flash read of this drive is public")
            .stderr_has("--without-backup");
        assert!(downloads(&trace).is_empty(), "{spec}");
        // The dry run says it in words.
        dir.odflash()
            .args(["flash", &device])
            .arg(image)
            .args(["--without-backup"])
            .run()
            .ok()
            .stdout_has("no backup")
            .stdout_has("no read-back verify");
    }
}

#[test]
fn where_a_download_fails_decides_what_the_report_says_per_class() {
    let dir = Dir::new();
    let se506cb = se506cb_image(&dir, "se506cb.bin", "BDDVDW SE-506CB");
    let h353c = ts_h353c_image(&dir);
    // Power lost in the 2nd command (offset 0x10000), in the 20th (past the first MiB the
    // SE-506CB programs as it arrives), and in the 2nd of a TS-H353C (whose commit point is not
    // public: odflash counts from the first command).
    for (name, spec, image, offset, burned, next) in [
        (
            "early",
            "se-506cb",
            &se506cb,
            0x1_0000,
            "nothing was burned",
            "flash",
        ),
        (
            "late",
            "se-506cb",
            &se506cb,
            0x13_0000,
            "boot loader (revision BOOT)",
            "rescue",
        ),
        (
            "dvd",
            "ts-h353c",
            &h353c,
            0x1_0000,
            "no recovery mode is public",
            "rescue",
        ),
    ] {
        let plan = dir.faults(
            &format!("{name}.json"),
            &format!(
                r#"{{"faults":[{{"trigger":{{"phase":"stream","offset":{offset}}},"action":{{"kind":"power-loss"}}}}]}}"#
            ),
        );
        let device = format!(
            "emu:{spec},faults={},state-file={}",
            plan.display(),
            dir.join(&format!("{name}-state.json")).display()
        );
        let (run, trace) = flash(&dir, &device, image, &["--without-backup"]);
        run.code(INTERRUPTED)
            .stderr_has(burned)
            .stderr_has(&format!("next: odflash {next} "));
        assert!(!downloads(&trace).is_empty(), "{name}");
    }
}
