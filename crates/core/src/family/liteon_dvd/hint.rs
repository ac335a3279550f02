//! The compatibility-group hint from a DVD-era EEPROM: which known model the unit's EEPROM
//! names, and whether its group is the group of the firmware that runs (the INQUIRY model).
//!
//! The EEPROM keeps the unit's original model string (myce "How liteon eeprom and firmware
//! work?"; docs/protocol.md §5.6), but its layout is not public (docs/protocol.md §9). So the
//! model is looked for by its text: runs of printable ASCII anywhere in the EEPROM, each word
//! matched against the DVD-era groups of the compat table (`odflash-fw` `compat`;
//! docs/protocol.md §5.7). The result is worded as a hint ("likely"), never used as a gate.
//! Pure: it reads bytes only.

use crate::family::{GroupAgreement, Identity, UnitHint};
use crate::image::compat::{self, Group, GroupFamily};

/// Shortest printable run taken as text (shorter runs are common in binary data).
const MIN_TEXT: usize = 4;

/// The DVD-era group `model` (one word or a whole product string) belongs to.
fn dvd_group(model: &str) -> Option<&'static Group> {
    compat::groups()
        .iter()
        .find(|g| g.family == GroupFamily::LiteonDvd && g.contains(model))
}

/// The first word of printable text in `eeprom` that names a model of a DVD-era group, with
/// that group.
fn named_model(eeprom: &[u8]) -> Option<(String, &'static Group)> {
    eeprom
        .split(|b| !(0x20..0x7F).contains(b))
        .filter(|run| run.len() >= MIN_TEXT)
        .filter_map(|run| std::str::from_utf8(run).ok())
        .flat_map(|text| text.split(|c: char| c.is_whitespace() || c == '_'))
        .find_map(|word| dvd_group(word).map(|g| (word.to_string(), g)))
}

/// The hint for the drive `identity` names from its `eeprom`, when the EEPROM names a model of
/// a known DVD-era group.
pub fn unit_hint(identity: &Identity, eeprom: &[u8]) -> Option<UnitHint> {
    let (unit_model, unit_group) = named_model(eeprom)?;
    let firmware_model = identity.model.trim().to_string();
    let firmware_group = dvd_group(&firmware_model);
    let (agreement, advice) = match firmware_group {
        Some(g) if g.id == unit_group.id => (
            GroupAgreement::Same,
            format!(
                "the EEPROM names a {unit_model}, in the group of the running firmware ({}): \
                 firmware and unit data likely fit; a blinking LED would then have another \
                 cause, such as a damaged EEPROM checksum (docs/protocol.md §5.6)",
                g.name
            ),
        ),
        Some(g) => (
            GroupAgreement::Differs,
            format!(
                "likely a crossflash: the EEPROM names a {unit_model} ({}), the firmware reports \
                 {firmware_model} ({}); that mismatch is what makes the LED blink \
                 (docs/protocol.md §6.6): flash firmware of the {unit_model} group. A hint only: \
                 the EEPROM layout is not public",
                unit_group.name, g.name
            ),
        ),
        None => (
            GroupAgreement::FirmwareUnknown,
            format!(
                "the EEPROM names a {unit_model} ({}); the firmware's model {firmware_model} is \
                 in no group odflash knows, so firmware of the {unit_model} group is the likely \
                 fit",
                unit_group.name
            ),
        ),
    };
    Some(UnitHint {
        unit_model,
        unit_group: unit_group.name.clone(),
        firmware_model,
        firmware_group: firmware_group.map(|g| g.name.clone()),
        agreement,
        advice,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::family::{FlashReads, Identity};

    fn identity(model: &str) -> Identity {
        Identity {
            family: super::super::ID,
            chip: None,
            banner: None,
            vendor: "SONY".into(),
            model: model.into(),
            revision: "BYX4".into(),
            firmware_date: None,
            serial: None,
            flash_reads: FlashReads::Served,
        }
    }

    /// 1 KiB of binary filler with `text` at `at`.
    fn eeprom_with(text: &[u8], at: usize) -> Vec<u8> {
        let mut e: Vec<u8> = (0..1024u32).map(|i| (i * 37 % 251) as u8 | 0x80).collect();
        e[at..at + text.len()].copy_from_slice(text);
        e
    }

    #[test]
    fn a_crossflashed_unit_is_told_to_take_its_own_group() {
        let e = eeprom_with(b"SONY    DVD RW DRU-720A ", 0x40);
        let hint = unit_hint(&identity("DVD RW DRU-710A"), &e).unwrap();
        assert_eq!(hint.agreement, GroupAgreement::Differs);
        assert_eq!(hint.unit_model, "DRU-720A");
        assert_eq!(hint.firmware_model, "DVD RW DRU-710A");
        assert!(hint.unit_group.contains("1673/1693"), "{}", hint.unit_group);
        assert!(hint.firmware_group.unwrap().contains("1213/1633/1653"));
        assert!(
            hint.advice.contains("flash firmware of the DRU-720A group"),
            "{}",
            hint.advice
        );
        assert!(hint.advice.starts_with("likely"), "{}", hint.advice);
    }

    #[test]
    fn the_same_group_and_an_unknown_firmware_model_are_said_as_such() {
        let e = eeprom_with(b"LITE-ON DVDRW SOHW-1653S", 0x300);
        let same = unit_hint(&identity("DVDRW SOHW-1633S"), &e).unwrap();
        assert_eq!(same.agreement, GroupAgreement::Same);
        assert_eq!(same.unit_model, "SOHW-1653S");
        let unknown = unit_hint(&identity("DVDRW SOHW-999S"), &e).unwrap();
        assert_eq!(unknown.agreement, GroupAgreement::FirmwareUnknown);
        assert_eq!(unknown.firmware_group, None);
    }

    #[test]
    fn no_known_model_no_hint() {
        let dvd = identity("DVD RW DRU-710A");
        assert_eq!(unit_hint(&dvd, &[0xFF; 1024]), None);
        assert_eq!(unit_hint(&dvd, &eeprom_with(b"BD-RE BU40N", 0)), None);
        // Too short to be text, and a model split by binary bytes, are not found.
        assert_eq!(unit_hint(&dvd, &eeprom_with(b"DRU-7\x8010A", 8)), None);
        assert_eq!(unit_hint(&dvd, &[]), None);
    }
}
