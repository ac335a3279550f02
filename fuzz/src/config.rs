//! GET CONFIGURATION replies: `config::parse_configuration`, and the two features drive
//! identification decodes, `parse_firmware_information` / `decode_firmware_date` (0x010C) and
//! `parse_serial_feature` (0x0108).
//!
//! Properties: no panic; the decoded configuration re-encoded parses back equal; a serial and a
//! displayed firmware date are printable ASCII.

use super::{encode_configuration, is_printable};
use odflash::scsi::config::{
    decode_firmware_date, parse_configuration, parse_firmware_information, parse_serial_feature,
    profile_name, Feature,
};

fn check_feature(feature: &Feature) {
    // The date is display only: whatever the decoder makes of the bytes must print safely.
    if let Some(date) = decode_firmware_date(&feature.data) {
        assert!(is_printable(&date), "{date:?}");
    }
    let serial = parse_serial_feature(feature).expect("the serial feature always decodes");
    assert!(is_printable(&serial), "{serial:?}");
}

/// One input of the `config` target.
pub fn run(raw: &[u8]) {
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
    if let Some(date) = parse_firmware_information(raw).and_then(|info| info.date) {
        assert!(is_printable(&date), "{date:?}");
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
}
