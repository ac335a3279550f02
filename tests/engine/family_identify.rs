//! Identification and state of emulated drives through the family registry: MT1959 and MT1939
//! (chip from the tag), the boot loader (Recovery), blank unit data (NeedsAttention), a Pioneer
//! drive (skipped), and the identify-only DVD-era drives, each with the commands it was sent.

use odflash::emu::{Drive, Spec};
use odflash::family::{self, liteon_dvd, mt19xx, DriveState, Identity};
use odflash::scsi::guard::{Guard, Policy};
use odflash::scsi::{self, cdb::opcode};

fn open(spec: &str) -> Drive {
    Drive::open(&spec.parse::<Spec>().unwrap()).unwrap()
}

/// INQUIRY, then the registry's identification, as `ops` runs them.
fn identify(d: &mut Drive) -> Option<(&'static dyn family::Family, Identity)> {
    let inquiry = scsi::read_inquiry(d).unwrap();
    family::identify(d, &inquiry).unwrap()
}

/// Every opcode the drive received, in order.
fn opcodes(d: &Drive) -> Vec<u8> {
    d.command_log().iter().map(|c| c.cdb[0]).collect()
}

/// Read-only commands a probe may send (the hotplug rule, docs/protocol.md §11.2).
const READ_ONLY: [u8; 5] = [
    opcode::INQUIRY,
    opcode::TEST_UNIT_READY,
    opcode::REQUEST_SENSE,
    opcode::GET_CONFIGURATION,
    opcode::READ_BUFFER,
];

fn assert_read_only(d: &Drive) {
    for c in d.command_log() {
        assert!(
            READ_ONLY.contains(&c.cdb[0]),
            "probe sent {}",
            hex::encode(&c.cdb)
        );
    }
}

#[test]
fn mt1959_is_identified_with_descriptor_identity() {
    let mut d = open("emu:mt1959");
    let (fam, id) = identify(&mut d).expect("claimed");
    assert_eq!(fam.id(), mt19xx::ID);
    assert_eq!(id.chip.as_deref(), Some("MT1959"));
    assert!(id.banner.as_deref().unwrap().starts_with("MT1959 Boot"));
    assert_eq!(
        (id.vendor.as_str(), id.model.as_str(), id.revision.as_str()),
        ("HL-DT-ST", "BD-RE BU40N", "1.03")
    );
    assert!(id.firmware_date.is_some());
    assert!(fam.flash(&id).is_some());
    assert_eq!(fam.state(&mut d, &id).unwrap(), DriveState::NoMedium);
    assert_read_only(&d);
}

#[test]
fn mt1939_chip_comes_from_the_tag() {
    let mut d = open("emu:mt1939");
    let (fam, id) = identify(&mut d).expect("claimed");
    assert_eq!(fam.id(), mt19xx::ID);
    // The banner names the boot loader generation; the tag names the silicon (docs/protocol.md §2.3).
    assert_eq!(id.chip.as_deref(), Some("MT1939"));
    assert_eq!(id.model, "BD-RE BH16NS40");
    assert_read_only(&d);
}

#[test]
fn boot_loader_is_claimed_in_recovery() {
    let mut d = open("emu:mt1959,mode=boot");
    let (fam, id) = identify(&mut d).expect("a boot loader is still claimed");
    assert_eq!(fam.id(), mt19xx::ID);
    assert_eq!(id.firmware_date, None, "the loader's date is zero");
    assert_eq!(fam.state(&mut d, &id).unwrap(), DriveState::Recovery);
    assert_read_only(&d);
}

#[test]
fn blank_calibration_needs_attention() {
    let mut d = open("emu:mt1959,mode=needs-attention");
    let (fam, id) = identify(&mut d).expect("claimed");
    match fam.state(&mut d, &id).unwrap() {
        DriveState::NeedsAttention { reason } => {
            assert!(reason.contains("calibration"), "{reason}")
        }
        other => panic!("expected NeedsAttention, got {other:?}"),
    }
    assert_read_only(&d);
}

#[test]
fn pioneer_vendor_is_skipped_after_inquiry() {
    let mut d = open("emu:mt1959,vendor=PIONEER,model=BD-RW BDR-209D");
    assert!(identify(&mut d).is_none());
    // Only INQUIRY reached the drive: the MT19xx probe skips Pioneer (docs/protocol.md §2.1) and the
    // DVD family matches on INQUIRY alone.
    assert!(opcodes(&d).iter().all(|&op| op == opcode::INQUIRY));
}

#[test]
fn dvd_era_drives_are_identify_only() {
    for (spec, vendor, model) in [
        ("emu:dru-710a", "SONY", "DVD RW DRU-710A"),
        ("emu:sohw-1633s", "LITE-ON", "DVDRW SOHW-1633S"),
    ] {
        let mut d = open(spec);
        let (fam, id) = identify(&mut d).expect("claimed");
        assert_eq!(fam.id(), liteon_dvd::ID);
        assert_eq!((id.vendor.as_str(), id.model.as_str()), (vendor, model));
        assert!(fam.flash(&id).is_none());
        assert!(fam.identify_only_reason().unwrap().contains("not public"));
        let state = fam.state(&mut d, &id).unwrap();
        assert!(matches!(state, DriveState::NoMedium | DriveState::Ready));
        // No vendor command and no READ BUFFER: INQUIRY, GET CONFIGURATION and TUR only.
        let allowed = [
            opcode::INQUIRY,
            opcode::GET_CONFIGURATION,
            opcode::TEST_UNIT_READY,
        ];
        assert!(
            opcodes(&d).iter().all(|op| allowed.contains(op)),
            "{spec}: {:02x?}",
            opcodes(&d)
        );
    }
}

#[test]
fn identification_passes_the_hotplug_guard() {
    // The hotplug helper wraps the device in the read-only guard (docs/protocol.md §11.2): every probe and
    // state command must get through it, for every state.
    for (spec, want) in [
        ("emu:mt1959", DriveState::NoMedium),
        ("emu:mt1959,mode=boot", DriveState::Recovery),
    ] {
        let mut g = Guard::new(open(spec), Policy::ReadOnly);
        let inquiry = scsi::read_inquiry(&mut g).unwrap();
        let (fam, id) = family::identify(&mut g, &inquiry).unwrap().expect(spec);
        assert_eq!(fam.state(&mut g, &id).unwrap(), want);
        assert_read_only(g.inner());
    }
}
