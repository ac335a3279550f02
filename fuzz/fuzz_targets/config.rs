//! GET CONFIGURATION replies: `config::parse_configuration`, and the two features drive
//! identification decodes, `parse_firmware_date` (0x010C) and `parse_serial_feature` (0x0108).
//!
//! Properties: no panic; the decoded configuration re-encoded parses back equal; a decoded
//! date has the fixed "YYYY-MM-DD hh:mm:ss" shape; a serial is printable ASCII.

#![no_main]

use libfuzzer_sys::fuzz_target;
use odflash::scsi::config::{
    parse_configuration, parse_firmware_date, parse_serial_feature, profile_name, Feature,
};
use odflash_fuzz::{encode_configuration, is_printable};

fn check_feature(feature: &Feature) {
    if let Ok(date) = parse_firmware_date(feature) {
        assert_eq!(date.len(), 19, "{date:?}");
        assert!(date.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            10 => b == b' ',
            13 | 16 => b == b':',
            _ => b.is_ascii_digit(),
        }));
    }
    let serial = parse_serial_feature(feature).expect("the serial feature always decodes");
    assert!(is_printable(&serial), "{serial:?}");
}

fuzz_target!(|raw: &[u8]| {
    // The raw bytes also as one feature's data, so the feature decoders see every shape.
    if let Some((&flags, data)) = raw.split_first() {
        check_feature(&Feature {
            code: 0x010C,
            version: flags >> 2 & 0x0F,
            persistent: flags & 2 != 0,
            current: flags & 1 != 0,
            data: data.to_vec(),
        });
    }
    let Ok(config) = parse_configuration(raw) else {
        return;
    };
    let _ = profile_name(config.current_profile);
    for feature in &config.features {
        assert!(feature.data.len() <= 255);
        check_feature(feature);
    }
    let again = parse_configuration(&encode_configuration(&config))
        .expect("an encoded configuration parses");
    assert_eq!(again, config);
});
