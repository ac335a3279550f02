//! Real drives: what public captures show real drives answering (`tests/data/real/`, one
//! reply table per drive state, each line naming its source; `tests/data/real/README.md` lists
//! the files), replayed through odflash's identification. The expected conclusions are what is
//! true of the real drive, not what our emulator answers.
//!
//! The captures hold some replies only. Where odflash asks for a reply no public source holds,
//! the replay errors; a test then asserts that odflash got that far (asked for that command)
//! and no further conclusion is drawn from it.

use std::path::{Path, PathBuf};

use odflash::family::{self, mt19xx};
use odflash::scsi::replay::{parse_table, Replay};
use odflash::scsi::trace::{Payload, Recorder, TraceRecord};
use odflash::scsi::{self, Readiness, SenseKey, TransportError};

const CORPUS: &str = "tests/data/real";

fn path(name: &str) -> PathBuf {
    Path::new(CORPUS).join(name)
}

fn table(name: &str) -> Replay {
    let text = std::fs::read_to_string(path(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    Replay::from_text(&text, name.to_string()).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The replay gap a family probe stopped at: the message of the replay error.
fn gap(
    result: Result<Option<(&'static dyn family::Family, family::Identity)>, family::Error>,
) -> String {
    match result {
        Err(family::Error::Scsi(scsi::Error::Transport(TransportError::Replay(why)))) => why,
        Err(e) => panic!("expected the probe to stop at a replay gap, got {e}"),
        Ok(None) => panic!("expected the probe to stop at a replay gap, got: no family claims it"),
        Ok(Some((f, id))) => panic!("expected a replay gap, got {} claiming {id:?}", f.id()),
    }
}

/// LG BU40N on stock firmware 1.03 (MT1959), from its `freemkv info --share` profile.
const BU40N: &str = "lg-bu40n-1.03.jsonl";

#[test]
fn lg_bu40n_stock_identity_date_and_serial() {
    let mut t = table(BU40N);
    let inq = scsi::read_inquiry(&mut t).unwrap();
    assert_eq!(inq.peripheral_type, 5);
    assert_eq!(
        (
            inq.vendor.as_str(),
            inq.product.as_str(),
            inq.revision.as_str()
        ),
        ("HL-DT-ST", "BD-RE BU40N", "1.03")
    );
    assert_eq!(inq.vendor_specific, "NM00000MO6J7HB1010");
    assert_eq!(
        scsi::read_serial_feature(&mut t).unwrap().as_deref(),
        Some("MO6J7HB1010")
    );
    let caps = scsi::read_capabilities(&mut t).unwrap().expect("page 0x2A");
    assert_eq!(caps.loading, scsi::mode::LoadingMechanism::Tray);
    assert!(caps.eject);
    assert_eq!(caps.buffer_kib, Some(4064));
    // Feature 0x010C reads "21" "18" "10" "24" "19" "34" then two blanks: century "21"
    // meaning 20xx, blank seconds. It is the date of BU40N firmware 1.03, 2018-10-24 19:34.
    assert_eq!(
        scsi::read_firmware_date(&mut t).unwrap().as_deref(),
        Some("2018-10-24 19:34")
    );
}

#[test]
fn lg_bu40n_stock_is_probed_as_mt19xx() {
    // The drive echoes feature 0x010C: what remains of the MT19xx evidence is the boot banner,
    // read from flash with READ BUFFER mode 6, which only the MT19xx probe sends and only to a
    // drive whose 0x010C reply it accepted. No public capture holds this drive's READ BUFFER
    // replies (redumper `drive/flash_mt1959.ixx` names the first 16 banner bytes only), so the
    // replay ends at the first one: the probe must get there instead of calling the drive
    // "not MediaTek".
    let mut t = table(BU40N);
    let inq = scsi::read_inquiry(&mut t).unwrap();
    let why = gap(family::identify(&mut t, &inq));
    assert!(
        why.contains("CDB 3c06"),
        "the probe stopped before reading the flash: {why}"
    );
    assert!(!mt19xx::is_boot_loader(&inq));
}

/// ASUS BW-16D1X-U firmware A104 (MediaTek), from libfreemkv's drive profiles.
const BW16D1XU: &str = "asus-bw-16d1x-u-a104.jsonl";

#[test]
fn asus_bw_16d1x_u_date_is_read_and_the_probe_reads_its_flash() {
    let mut t = table(BW16D1XU);
    let inq = scsi::read_inquiry(&mut t).unwrap();
    assert_eq!(
        (
            inq.vendor.as_str(),
            inq.product.as_str(),
            inq.revision.as_str()
        ),
        ("ASUS", "BW-16D1X-U", "A104")
    );
    // "21" "19" "01" "04" "10" "47": 2019-01-04 10:47, no seconds.
    assert_eq!(
        scsi::read_firmware_date(&mut t).unwrap().as_deref(),
        Some("2019-01-04 10:47")
    );
    // Not in odflash's model table (BW-16D1X-U units often hold a Pioneer drive): only the
    // banner can claim it, and the probe goes on to read it.
    let mut t = table(BW16D1XU);
    let inq = scsi::read_inquiry(&mut t).unwrap();
    let why = gap(family::identify(&mut t, &inq));
    assert!(
        why.contains("CDB 3c06"),
        "the probe stopped before reading the flash: {why}"
    );
}

/// Pioneer BDR-S09 firmware 1.34 (not MediaTek), from its `freemkv info --share` profile.
const PIONEER: &str = "pioneer-bdr-s09-1.34.jsonl";

#[test]
fn pioneer_bdr_s09_identity_date_and_serial() {
    let mut t = table(PIONEER);
    let inq = scsi::read_inquiry(&mut t).unwrap();
    assert_eq!(
        (
            inq.vendor.as_str(),
            inq.product.as_str(),
            inq.revision.as_str()
        ),
        ("PIONEER", "BD-RW   BDR-S09", "1.34")
    );
    assert_eq!(inq.vendor_specific.trim(), "16/04/25  PIONEER");
    assert_eq!(
        scsi::read_serial_feature(&mut t).unwrap().as_deref(),
        Some("OEDL016822WL")
    );
    // Feature 0x010C reads "20160425" "0000" then binary zeros for the seconds.
    assert_eq!(
        scsi::read_firmware_date(&mut t).unwrap().as_deref(),
        Some("2016-04-25 00:00")
    );
}

#[test]
fn pioneer_bdr_s09_is_not_mediatek_and_gets_no_mediatek_command() {
    // A Pioneer echoes feature 0x010C too: that alone must not make it MT19xx.
    let mut t = table(PIONEER);
    let inq = scsi::read_inquiry(&mut t).unwrap();
    let mut rec = Recorder::new(&mut t, Vec::<TraceRecord>::new(), Payload::Omit);
    let claim = family::identify(&mut rec, &inq).unwrap();
    assert!(claim.is_none(), "{:?}", claim.map(|(f, _)| f.id()));
    let (_, sent) = rec.into_parts();
    assert!(
        sent.iter().all(|r| r.opcode() != Some(0x3C)),
        "no READ BUFFER to a Pioneer: {sent:?}"
    );
}

/// TSST SE-506CB (MT1939) on firmware TS01 and in its boot loader, from coastermelt's USB
/// capture of the official updater.
const TSST_APP: &str = "tsst-se506cb-ts01.jsonl";
const TSST_BOOT: &str = "tsst-se506cb-boot.jsonl";

#[test]
fn tsst_se506cb_application_identity_and_empty_tray() {
    let mut t = table(TSST_APP);
    let inq = scsi::read_inquiry(&mut t).unwrap();
    assert_eq!(
        (
            inq.vendor.as_str(),
            inq.product.as_str(),
            inq.revision.as_str()
        ),
        ("TSSTcorp", "BDDVDW SE-506CB", "TS01")
    );
    // ADDITIONAL LENGTH declares 36 bytes; the "  0528" the drive sends after them is not
    // INQUIRY data by its own account.
    assert_eq!(usize::from(inq.raw[4]) + 5, 36);
    assert_eq!(inq.vendor_specific, "");
    assert!(!mt19xx::is_boot_loader(&inq));
    let Readiness::NoMedium(sense) = scsi::read_readiness(&mut t).unwrap() else {
        panic!("expected no medium");
    };
    assert_eq!(
        (sense.key, sense.asc, sense.ascq),
        (SenseKey::NotReady, 0x3A, 0x02)
    );
}

#[test]
fn tsst_se506cb_boot_loader_is_recovery() {
    let mut t = table(TSST_BOOT);
    let inq = scsi::read_inquiry(&mut t).unwrap();
    assert_eq!(
        (
            inq.vendor.as_str(),
            inq.product.as_str(),
            inq.revision.as_str()
        ),
        ("TSSTcorp", "BDDVDW SE-506CB", "BOOT")
    );
    assert_eq!(inq.vendor_specific, "");
    assert!(mt19xx::is_boot_loader(&inq));
}

/// The captured SE-506CB, in its application and in its boot loader, is claimed by the TSST
/// family (its MT1939 class) from INQUIRY alone: no MT19xx probe command reaches it, and the
/// boot loader is recovery.
#[test]
fn tsst_se506cb_is_claimed_by_its_class_from_inquiry_alone() {
    use odflash::family::{tsst, DriveState, FlashReads};
    for (file, state) in [
        (TSST_APP, DriveState::NoMedium),
        (TSST_BOOT, DriveState::Recovery),
    ] {
        let mut t = Recorder::new(table(file), Vec::new(), Payload::Record);
        let inq = scsi::read_inquiry(&mut t).unwrap();
        let (fam, id) = family::identify(&mut t, &inq)
            .unwrap()
            .unwrap_or_else(|| panic!("{file}: not claimed"));
        assert_eq!(fam.id(), tsst::ID, "{file}");
        assert_eq!(id.chip.as_deref(), Some("MT1939 BD"));
        assert_eq!(id.flash_reads, FlashReads::Served);
        assert_eq!(fam.state(&mut t, &id).unwrap(), state, "{file}");
        let (_, records) = t.into_parts();
        let sent: Vec<u8> = records.iter().map(|r| r.cdb[0]).collect();
        assert!(
            sent.iter().all(|op| [0x12, 0x00].contains(op)),
            "{file}: only INQUIRY and TEST UNIT READY: {sent:02x?}"
        );
    }
}

#[test]
fn every_corpus_file_parses_and_is_listed_with_its_source() {
    let readme = std::fs::read_to_string(path("README.md")).unwrap();
    let mut files = 0;
    for entry in std::fs::read_dir(CORPUS).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if name == "README.md" {
            continue;
        }
        files += 1;
        let text = std::fs::read_to_string(path(&name)).unwrap();
        let entries = parse_table(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!entries.is_empty(), "{name} answers nothing");
        let listed = readme
            .lines()
            .find(|l| l.contains(&format!("`{name}`")))
            .unwrap_or_else(|| panic!("{name} has no README line"));
        assert!(
            listed.contains("github") || listed.contains('/'),
            "{name}: the README line names no source: {listed}"
        );
    }
    assert!(files >= 4, "{files} corpus files");
}
