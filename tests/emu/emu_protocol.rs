//! The emulated drives' protocol, through `scsi::Transport` only: identification, readiness,
//! the MT19xx READ/WRITE BUFFER flash protocol with the quirks of docs/protocol.md §2, boot loader,
//! needs-attention state, and the identify-only DVD drives.

use crate::emu_common;

use std::time::Duration;

use emu_common::*;
use odflash::emu::{Activity, Answer, Mode};
use odflash::image::layout::{
    BOOT_REGION_END, CALIBRATION_LEN, CALIBRATION_OFFSET, DESCRIPTOR_LEN, DESCRIPTOR_OFFSET,
    FLASH_SIZE,
};
use odflash::image::mt19xx::Chip;
use odflash::image::synth::{build_mt19xx, Banner, SynthSpec};
use odflash::scsi::cdb;
use odflash::scsi::{Direction, Sense, SenseKey, TransferLimit, Transport};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).trim_end().to_string()
}

#[test]
fn mt1959_inquiry_defaults_and_vpd_serial() {
    let mut d = open("emu:mt1959");
    let (o, inq) = read(&mut d, &cdb::build_inquiry(96), 96);
    good(&o);
    assert_eq!(inq.len(), 96);
    assert_eq!(inq[0], 0x05);
    assert_eq!(text(&inq[8..16]), "HL-DT-ST");
    assert_eq!(text(&inq[16..32]), "BD-RE BU40N");
    assert_eq!(text(&inq[32..36]), "1.03");
    assert_ne!(&inq[36..44], &[0u8; 8]);
    let (o, short) = read(&mut d, &cdb::build_inquiry(36), 36);
    good(&o);
    assert_eq!(short, inq[..36]);
    let (o, vpd) = read(&mut d, &cdb::build_inquiry_vpd(0x80, 0xFC), 0xFC);
    good(&o);
    assert_eq!(text(&vpd[4..]), "EMU1959K0001");
}

#[test]
fn spec_strings_with_spaces_reach_inquiry() {
    let mut d = open("emu:mt1939,vendor=ASUS,model=BW-16D1HT PRO,revision=3.02,serial=S N 9");
    let (_, inq) = read(&mut d, &cdb::build_inquiry(96), 96);
    assert_eq!(text(&inq[8..16]), "ASUS");
    assert_eq!(text(&inq[16..32]), "BW-16D1HT PRO");
    assert_eq!(text(&inq[32..36]), "3.02");
    let (_, vpd) = read(&mut d, &cdb::build_inquiry_vpd(0x80, 0xFC), 0xFC);
    assert_eq!(text(&vpd[4..]), "S N 9");
    // The MT1939 carries its own chip tag.
    assert_eq!(
        &d.flash()[DESCRIPTOR_OFFSET + 0x34..DESCRIPTOR_OFFSET + 0x3E],
        b"MTEKMT1939"
    );
}

#[test]
fn idle_is_no_medium_and_request_sense_reports_then_clears() {
    let mut d = open("emu:mt1959");
    assert_eq!(sense(&tur(&mut d)), NO_MEDIUM);
    let (o, s) = read(&mut d, &cdb::build_request_sense(18), 18);
    good(&o);
    let s = Sense::parse(&s).unwrap();
    assert!(s.is_no_medium());
    let (_, s) = read(&mut d, &cdb::build_request_sense(18), 18);
    assert_eq!(Sense::parse(&s).unwrap().key, SenseKey::NoSense);
    // A GOOD command clears the sense too.
    tur(&mut d);
    read(&mut d, &cdb::build_inquiry(36), 36);
    let (_, s) = read(&mut d, &cdb::build_request_sense(18), 18);
    assert_eq!(Sense::parse(&s).unwrap().key, SenseKey::NoSense);
}

#[test]
fn get_configuration_date_and_serial() {
    let mut d = open("emu:mt1959,serial=ABCDE");
    let c = cdb::build_get_configuration(cdb::RT_ONE_FEATURE, cdb::FEATURE_FIRMWARE_DATE, 28);
    let (o, date) = read(&mut d, &c, 28);
    good(&o);
    assert_eq!(date.len(), 28);
    assert_eq!(&date[8..10], &[0x01, 0x0C]);
    // Encoded as a real BU40N encodes it: century "21", seconds blank.
    assert_eq!(&date[12..26], b"211911081200  ");
    let c = cdb::build_get_configuration(cdb::RT_ONE_FEATURE, cdb::FEATURE_SERIAL, 64);
    let (_, serial) = read(&mut d, &c, 64);
    assert_eq!(&serial[8..10], &[0x01, 0x08]);
    assert_eq!(serial[11] % 4, 0);
    assert_eq!(text(&serial[12..12 + serial[11] as usize]), "ABCDE");
}

#[test]
fn mode_sense_capabilities_page() {
    let mut d = open("emu:mt1959");
    let (o, page) = read(
        &mut d,
        &cdb::build_mode_sense_10(cdb::PAGE_CAPABILITIES, 0xFF),
        0xFF,
    );
    good(&o);
    assert_eq!(page[8] & 0x3F, 0x2A);
    assert_eq!(
        u16::from_be_bytes([page[0], page[1]]) as usize + 2,
        page.len()
    );
    let (o, _) = read(&mut d, &cdb::build_mode_sense_10(0x01, 0xFF), 0xFF);
    assert_eq!(sense(&o), INVALID_FIELD);
}

#[test]
fn banner_window_accepts_exactly_0x20_bytes() {
    let mut d = open("emu:mt1959");
    let (o, banner) = read_flash(&mut d, 0x3000, 0x20);
    good(&o);
    assert_eq!(&banner[..16], b"MT1959 Boot BU5 ");
    for (off, len) in [
        (0x3000, 0x40),
        (0x3000, 0x10),
        (0x2000, 0x2000),
        (0x3010, 0x20),
    ] {
        let (o, got) = read_flash(&mut d, off, len);
        assert_eq!(sense(&o), INVALID_FIELD, "read {off:#x}+{len:#x}");
        assert!(got.is_empty());
    }
}

#[test]
fn first_page_mirrors_0x10000() {
    let mut d = open("emu:mt1959");
    let flash = d.flash().to_vec();
    let (o, page) = read_flash(&mut d, 0, 0x1000);
    good(&o);
    assert_eq!(page, flash[0x10000..0x11000]);
    assert_ne!(page, flash[..0x1000]);
    let (_, rest) = read_flash(&mut d, 0x1000, 0x1000);
    assert_eq!(rest, flash[0x1000..0x2000]);
}

#[test]
fn read_buffer_limits_and_rejections() {
    let mut d = open("emu:mt1959");
    let flash = d.flash().to_vec();
    let (o, big) = read_flash(&mut d, 0x10_0000, 0x1_0000);
    good(&o);
    assert_eq!(big, flash[0x10_0000..0x11_0000]);
    let (o, _) = read_flash(&mut d, 0x10_0000, 0x1_0001);
    assert_eq!(sense(&o), INVALID_FIELD);
    let (o, _) = read_flash(&mut d, FLASH_SIZE - 0x1000, 0x2000);
    assert_eq!(sense(&o), INVALID_FIELD);
    let (o, _) = read(&mut d, &cdb::build_read_buffer(2, 0, 0x10000, 0x100), 0x100);
    assert_eq!(sense(&o), INVALID_FIELD);
    let (o, _) = read(&mut d, &cdb::build_read_buffer(6, 1, 0x10000, 0x100), 0x100);
    assert_eq!(sense(&o), INVALID_FIELD);
    let (o, desc) = read_flash(&mut d, DESCRIPTOR_OFFSET, DESCRIPTOR_LEN);
    good(&o);
    assert_eq!(
        desc,
        flash[DESCRIPTOR_OFFSET..DESCRIPTOR_OFFSET + DESCRIPTOR_LEN]
    );

    let mut small = open("emu:mt1959,max-transfer=4096");
    assert_eq!(small.max_transfer(), Some(TransferLimit::hard(4096)));
    good(&read_flash(&mut small, 0x10_0000, 4096).0);
    assert_eq!(
        sense(&read_flash(&mut small, 0x10_0000, 8192).0),
        INVALID_FIELD
    );
}

#[test]
fn unsupported_commands_are_illegal_request_never_zeros() {
    let mut d = open("emu:mt1959");
    let vendor = [
        vec![0xF1, 0x06, 0, 0, 0, 0, 0, 0, 0x10, 0],
        vec![0xFF, 0x00, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0, 0xAA],
        vec![0x3E, 0, 0, 0, 0, 0, 0, 0, 1, 0],
        vec![0x1A, 0, 0x2A, 0, 0xFF, 0],
        vec![0xDF, 0x83, 0, 0, 0xFF, 0, 0, 0, 0, 0, 0, 0],
    ];
    for c in vendor {
        let (o, got) = read(&mut d, &c, 0x10);
        assert_eq!(sense(&o), INVALID_OPCODE, "{c:02x?}");
        assert!(got.is_empty());
    }
    assert_eq!(sense(&no_data(&mut d, &[])), INVALID_OPCODE);
}

#[test]
fn medium_access_without_a_disc_is_not_ready() {
    for spec in ["emu:mt1959", "emu:dru-710a"] {
        let mut d = open(spec);
        let (o, _) = read(&mut d, &[0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0], 8);
        assert_eq!(sense(&o), NO_MEDIUM, "{spec}");
        let (o, _) = read(&mut d, &[0x43, 0, 0, 0, 0, 0, 0, 0, 12, 0], 12);
        assert_eq!(sense(&o), NO_MEDIUM, "{spec}");
        good(&no_data(&mut d, &[0x1E, 0, 0, 0, 1, 0]));
    }
    let mut d = open("emu:mt1959,mode=needs-attention");
    let (o, _) = read(&mut d, &[0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0], 8);
    assert_eq!(sense(&o), (SenseKey::NotReady, 0x04, 0x03));
}

#[test]
fn round_trip_flash_power_cycle_read_back() {
    let mut d = open("emu:mt1959");
    let before = d.flash().to_vec();
    // A newer firmware whose boot page differs outside its boot ID (the drive ignores an image
    // of another boot ID altogether): the protected region must not change.
    let mut img = build_mt19xx(&SynthSpec::new(
        Chip::Mt1959,
        "HL-DT-ST",
        "BD-RE BU40N",
        "1.04",
    ));
    img[0x100..0x200].fill(0xA5);
    img[0x3020..0x3100].fill(0x5A);
    let results = stream(&mut d, &img);
    for r in &results {
        good(r.as_ref().unwrap());
    }
    assert!(matches!(d.activity(), Activity::Burning { .. }));
    // A COMMIT may be answered NOT READY while the drive burns (docs/protocol.md §2.4).
    assert_eq!(sense(&no_data(&mut d, &commit_cdb())), BURNING);
    assert_eq!(sense(&tur(&mut d)), BURNING);
    assert_eq!(
        sense(&read_flash(&mut d, 0x10000, 0x1000).0),
        BURNING,
        "no reads while burning"
    );
    // INQUIRY is still answered during the burn.
    good(&read(&mut d, &cdb::build_inquiry(36), 36).0);
    let after = wait_ready(&mut d);
    assert_eq!(sense(&after), RESET_UA);
    assert_eq!(sense(&tur(&mut d)), NO_MEDIUM);
    assert_eq!(d.mode(), Mode::App);
    d.power_cycle().unwrap();
    assert_eq!(sense(&tur(&mut d)), RESET_UA);
    let (_, inq) = read(&mut d, &cdb::build_inquiry(36), 36);
    assert_eq!(text(&inq[32..36]), "1.04");
    let dumped = dump(&mut d);
    assert_eq!(dumped[BOOT_REGION_END..], img[BOOT_REGION_END..]);
    assert_eq!(d.flash()[..BOOT_REGION_END], before[..BOOT_REGION_END]);
    assert_eq!(d.flash()[BOOT_REGION_END..], img[BOOT_REGION_END..]);
    let (_, banner) = read_flash(&mut d, 0x3000, 0x20);
    assert_eq!(&banner[..16], b"MT1959 Boot BU5 ");
}

#[test]
fn an_image_of_another_boot_id_is_acknowledged_but_not_burned() {
    let mut d = open("emu:mt1959");
    let before = d.flash().to_vec();
    let mut spec = SynthSpec::new(Chip::Mt1959, "HL-DT-ST", "BD-RE BU40N", "1.04");
    spec.banner = Banner::Jb8;
    for r in stream(&mut d, &build_mt19xx(&spec)) {
        good(&r.unwrap());
    }
    assert!(!matches!(d.activity(), Activity::Burning { .. }));
    good(&no_data(&mut d, &commit_cdb()));
    assert_eq!(d.flash(), &before[..]);
}

#[test]
fn anti_downgrade_refuses_the_last_chunk_of_an_older_image() {
    let mut d = open("emu:mt1959,anti-downgrade=on");
    let before = d.flash().to_vec();
    let results = stream(&mut d, &image("1.00"));
    let (last, rest) = results.split_last().unwrap();
    for r in rest {
        good(r.as_ref().unwrap());
    }
    assert_eq!(
        sense(last.as_ref().unwrap()),
        (SenseKey::IllegalRequest, 0x24, 0)
    );
    assert_eq!(d.flash(), &before[..]);
    // A newer image is burned as usual.
    for r in stream(&mut d, &image("1.05")) {
        good(&r.unwrap());
    }
    assert!(matches!(d.activity(), Activity::Burning { .. }));
}

#[test]
fn bare_boot_loader_and_blocked_firmware_refuse_reads() {
    let mut d = open("emu:mt1959,mode=boot,boot-style=bare");
    assert_eq!(
        sense(&read_flash(&mut d, 0x3000, 0x20).0),
        (SenseKey::IllegalRequest, 0x24, 0)
    );
    let (_, inq) = read(&mut d, &cdb::build_inquiry(36), 36);
    assert_eq!(text(&inq[32..36]), "BOOT");
    let mut d = open("emu:mt1959,firmware-reads=blocked");
    assert_eq!(
        sense(&read_flash(&mut d, 0x10000, 0x1000).0),
        (SenseKey::IllegalRequest, 0x24, 0)
    );
}

#[test]
fn commit_after_the_burn_sees_unit_attention_then_good() {
    let mut d = open("emu:mt1959");
    for r in stream(&mut d, &image("1.05")) {
        good(&r.unwrap());
    }
    d.pause(Duration::from_secs(60));
    assert_eq!(sense(&no_data(&mut d, &commit_cdb())), RESET_UA);
    good(&no_data(&mut d, &commit_cdb()));
}

#[test]
fn commit_without_download_and_chunks_without_prepare_are_sequence_errors() {
    let mut d = open("emu:mt1959");
    assert_eq!(sense(&no_data(&mut d, &commit_cdb())), SEQUENCE);
    assert_eq!(
        sense(&write_flash(&mut d, 0x10000, &[0u8; CHUNK])),
        SEQUENCE
    );
    // Commit without the 1B 12 trailer.
    let bare = cdb::build_write_buffer(7, 0, 0, 0);
    assert_eq!(sense(&no_data(&mut d, &bare)), INVALID_FIELD);
    // Prepare with a length is rejected.
    let bad = cdb::build_write_buffer(1, 0, 0, 4);
    assert_eq!(sense(&write(&mut d, &bad, &[0; 4])), INVALID_FIELD);
    // redumper's 10-byte prepare is accepted.
    good(&no_data(&mut d, &cdb::build_write_buffer(1, 0, 0, 0)));
    assert_eq!(d.activity(), Activity::Downloading);
    // A chunk whose data phase disagrees with the CDB length.
    let c = cdb::build_write_buffer(6, 0, 0x10000, 0x4000);
    assert_eq!(sense(&write(&mut d, &c, &[0u8; 0x2000])), INVALID_FIELD);
    // Beyond the maximum transfer.
    let c = cdb::build_write_buffer(6, 0, 0x10000, 0x2_0000);
    assert_eq!(
        sense(&write(&mut d, &c, &vec![0u8; 0x2_0000])),
        INVALID_FIELD
    );
    assert_eq!(d.mode(), Mode::App);
}

#[test]
fn unit_windows_write_back_outside_download_mode() {
    let mut d = open("emu:mt1959");
    let mut desc = d.flash()[DESCRIPTOR_OFFSET..DESCRIPTOR_OFFSET + DESCRIPTOR_LEN].to_vec();
    desc[0x24..0x34].copy_from_slice(b"UNIQUE0123456789");
    good(&write_flash(&mut d, DESCRIPTOR_OFFSET, &desc));
    let cal: Vec<u8> = (0..CALIBRATION_LEN).map(|i| (i * 7) as u8).collect();
    good(&write_flash(&mut d, CALIBRATION_OFFSET, &cal));
    assert_eq!(
        read_flash(&mut d, DESCRIPTOR_OFFSET, DESCRIPTOR_LEN).1,
        desc
    );
    assert_eq!(
        read_flash(&mut d, CALIBRATION_OFFSET, CALIBRATION_LEN).1,
        cal
    );
    assert_eq!(d.mode(), Mode::App);
    // Anything else outside download mode is refused, the protected region included.
    assert_eq!(sense(&write_flash(&mut d, 0x0, &[0u8; 0x100])), SEQUENCE);
    assert_eq!(
        sense(&write_flash(&mut d, DESCRIPTOR_OFFSET, &[0u8; 0x80])),
        SEQUENCE
    );
}

#[test]
fn wrong_model_identity_makes_the_drive_need_attention() {
    let mut d = open("emu:mt1959");
    let mut desc = d.flash()[DESCRIPTOR_OFFSET..DESCRIPTOR_OFFSET + DESCRIPTOR_LEN].to_vec();
    desc[0x08..0x18].copy_from_slice(b"BD-RE BU50N     ");
    good(&write_flash(&mut d, DESCRIPTOR_OFFSET, &desc));
    assert!(matches!(d.mode(), Mode::NeedsAttention { .. }));
    assert_eq!(sense(&tur(&mut d)), (SenseKey::NotReady, 0x04, 0x03));
}

#[test]
fn needs_attention_identifies_and_recovers_by_restoring_calibration() {
    let mut d = open("emu:mt1959,mode=needs-attention");
    assert!(matches!(d.mode(), Mode::NeedsAttention { .. }));
    let (o, inq) = read(&mut d, &cdb::build_inquiry(96), 96);
    good(&o);
    assert_eq!(text(&inq[32..36]), "1.03");
    assert_eq!(sense(&tur(&mut d)), (SenseKey::NotReady, 0x04, 0x03));
    let (o, cal) = read_flash(&mut d, CALIBRATION_OFFSET, CALIBRATION_LEN);
    good(&o);
    assert!(cal.iter().all(|&b| b == 0xFF));
    let restored = image("1.03")[CALIBRATION_OFFSET..CALIBRATION_OFFSET + CALIBRATION_LEN].to_vec();
    good(&write_flash(&mut d, CALIBRATION_OFFSET, &restored));
    assert_eq!(d.mode(), Mode::App);
    assert_eq!(sense(&tur(&mut d)), NO_MEDIUM);
}

#[test]
fn boot_loader_presents_boot_and_answers_only_its_list() {
    let mut d = open("emu:mt1959,mode=boot");
    assert_eq!(d.mode(), Mode::Boot);
    let (o, inq) = read(&mut d, &cdb::build_inquiry(96), 96);
    good(&o);
    assert_eq!(text(&inq[8..16]), "HL-DT-ST");
    assert_eq!(text(&inq[16..32]), "BD-RE BU40N");
    assert_eq!(&inq[32..36], b"BOOT");
    assert_eq!(&inq[36..44], &[0u8; 8]);
    assert_eq!(sense(&tur(&mut d)), (SenseKey::NotReady, 0x04, 0x00));
    let c = cdb::build_get_configuration(cdb::RT_ONE_FEATURE, cdb::FEATURE_FIRMWARE_DATE, 28);
    let (o, date) = read(&mut d, &c, 28);
    good(&o);
    assert_eq!(&date[12..26], &[0u8; 14]);
    good(&read(&mut d, &cdb::build_mode_sense_10(0x2A, 0xFF), 0xFF).0);
    good(&read_flash(&mut d, 0x3000, 0x20).0);
    good(&no_data(&mut d, &[0x1B, 0, 0, 0, 0, 0]));
    // Not in the loader's list.
    let (o, _) = read(&mut d, &[0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0], 8);
    assert_eq!(sense(&o), INVALID_OPCODE);
    // The loader refuses targeted write-back: it only downloads whole images.
    let desc = d.flash()[DESCRIPTOR_OFFSET..DESCRIPTOR_OFFSET + DESCRIPTOR_LEN].to_vec();
    assert_eq!(
        sense(&write_flash(&mut d, DESCRIPTOR_OFFSET, &desc)),
        INVALID_FIELD
    );
}

#[test]
fn flashing_from_the_boot_loader_recovers_the_drive() {
    let mut d = open("emu:mt1959,mode=boot");
    for r in stream(&mut d, &image("1.03")) {
        good(&r.unwrap());
    }
    assert_eq!(sense(&no_data(&mut d, &commit_cdb())), BURNING);
    assert_eq!(sense(&wait_ready(&mut d)), RESET_UA);
    assert_eq!(d.mode(), Mode::App);
    assert_eq!(sense(&tur(&mut d)), NO_MEDIUM);
}

#[test]
fn command_log_records_every_cdb_and_answer() {
    let mut d = open("emu:mt1959");
    read(&mut d, &cdb::build_inquiry(36), 36);
    tur(&mut d);
    write_flash(&mut d, 0x10000, &[1, 2, 3]);
    let log = d.command_log();
    assert_eq!(log.len(), 3);
    assert_eq!(log[0].cdb, cdb::build_inquiry(36));
    assert_eq!(log[0].direction, Direction::In);
    assert_eq!(log[0].answer, Answer::Good { transferred: 36 });
    assert_eq!(log[1].opcode(), Some(0x00));
    assert!(matches!(&log[1].answer, Answer::Check { sense } if sense.is_no_medium()));
    assert_eq!(log[2].direction, Direction::Out);
    assert_eq!(log[2].requested, 3);
    assert_eq!(log.iter().map(|c| c.seq).collect::<Vec<_>>(), [1, 2, 3]);
    d.clear_command_log();
    assert!(d.command_log().is_empty());
}

#[test]
fn dvd_drives_identify_and_refuse_every_other_vendor_command() {
    for (spec, vendor, model) in [
        ("emu:dru-710a", "SONY", "DVD RW DRU-710A"),
        ("emu:sohw-1633s", "LITE-ON", "DVDRW SOHW-1633S"),
        (
            "emu:liteon-dvd,model=DVDRW SOHW-1653S",
            "LITE-ON",
            "DVDRW SOHW-1653S",
        ),
    ] {
        let mut d = open(spec);
        let (o, inq) = read(&mut d, &cdb::build_inquiry(96), 96);
        good(&o);
        assert_eq!(inq[0], 0x05);
        assert_eq!(text(&inq[8..16]), vendor);
        assert_eq!(text(&inq[16..32]), model);
        assert_eq!(sense(&tur(&mut d)), NO_MEDIUM);
        good(&read(&mut d, &cdb::build_mode_sense_10(0x2A, 0xFF), 0xFF).0);
        // No firmware-date feature on a drive of that era: header only.
        let c = cdb::build_get_configuration(cdb::RT_ONE_FEATURE, cdb::FEATURE_FIRMWARE_DATE, 28);
        assert_eq!(read(&mut d, &c, 28).1.len(), 8);
        // The DF reads are served (tests/emu/emu_dvd.rs); every other vendor command and
        // READ/WRITE BUFFER is not.
        let rejected: [&[u8]; 6] = [
            &cdb::build_read_buffer(6, 0, 0x3000, 0x20),
            &cdb::build_read_buffer(2, 0, 0, 0x100),
            &cdb::build_write_buffer(1, 0, 0, 0),
            &[0xF1, 0x02, 0, 0, 0x89, 0, 1, 0, 0, 0, 0, 0],
            &[0xF1, 0x01, 0, 0, 0x89, 0, 0, 0, 0, 0, 0, 0],
            &[0xE7, 0x48, 0x49, 0x54, 0x01, 0, 0, 0, 0, 0, 0, 0],
        ];
        for c in rejected {
            let (o, got) = read(&mut d, c, 0x80);
            assert_eq!(sense(&o), INVALID_OPCODE, "{spec} {c:02x?}");
            assert!(got.is_empty());
        }
        assert_eq!(d.mode(), Mode::App);
        assert_eq!(d.flash().len(), 0x10_0000);
    }
}

#[test]
fn describe_names_the_spec() {
    let d = open("emu:mt1959,model=BD-RE BU40N");
    assert_eq!(d.describe(), "emu:mt1959,model=BD-RE BU40N");
}
