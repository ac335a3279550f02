//! Property tests for the parsers of device data: whatever bytes a drive (or a hostile USB
//! device) returns, parsing never panics, and strings that come out are safe to print.

use odflash::scsi::config::{
    decode_firmware_date, parse_configuration, parse_firmware_information, parse_serial_feature,
};
use odflash::scsi::inquiry::{parse_device_string, parse_inquiry, parse_unit_serial};
use odflash::scsi::mode::{parse_capabilities, parse_mode_page};
use odflash::scsi::trace::parse_trace;
use odflash::scsi::Sense;
use proptest::prelude::*;

fn printable(s: &str) -> bool {
    s.bytes().all(|b| (0x20..=0x7E).contains(&b))
}

proptest! {
    #[test]
    fn inquiry_never_panics_and_strings_are_printable(raw in prop::collection::vec(any::<u8>(), 0..300)) {
        if let Ok(inq) = parse_inquiry(&raw) {
            prop_assert!(printable(&inq.vendor) && printable(&inq.product));
            prop_assert!(printable(&inq.revision) && printable(&inq.vendor_specific));
            prop_assert_eq!(&inq.raw, &raw);
        }
        if let Ok(serial) = parse_unit_serial(&raw) {
            prop_assert!(printable(&serial));
        }
    }

    #[test]
    fn configuration_never_panics(raw in prop::collection::vec(any::<u8>(), 0..300)) {
        if let Ok(config) = parse_configuration(&raw) {
            for f in &config.features {
                if let Some(date) = decode_firmware_date(&f.data) {
                    prop_assert!(printable(&date));
                }
                prop_assert!(printable(&parse_serial_feature(f).unwrap()));
            }
        }
    }

    #[test]
    fn firmware_information_never_panics(raw in prop::collection::vec(any::<u8>(), 0..64)) {
        if let Some(date) = parse_firmware_information(&raw).and_then(|info| info.date) {
            prop_assert!(printable(&date));
        }
    }

    #[test]
    fn mode_sense_never_panics(raw in prop::collection::vec(any::<u8>(), 0..300), page in any::<u8>()) {
        let _ = parse_mode_page(&raw, page);
        let _ = parse_capabilities(&raw);
    }

    #[test]
    fn sense_never_panics(raw in prop::collection::vec(any::<u8>(), 0..64)) {
        if let Some(sense) = Sense::parse(&raw) {
            prop_assert!(matches!(sense.response_code, 0x70..=0x73));
            let _ = sense.to_string();
        }
    }

    #[test]
    fn device_strings_are_printable_and_end_trimmed(raw in prop::collection::vec(any::<u8>(), 0..40)) {
        let s = parse_device_string(&raw);
        prop_assert!(printable(&s));
        prop_assert!(!s.ends_with(' '));
        prop_assert!(s.len() <= raw.len());
    }

    #[test]
    fn trace_text_never_panics(text in ".{0,200}") {
        let _ = parse_trace(&text);
    }
}
