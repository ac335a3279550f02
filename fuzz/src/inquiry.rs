//! INQUIRY replies: `inquiry::parse_inquiry` (standard data) and `parse_unit_serial` (VPD page
//! 0x80), both straight from the device.
//!
//! Properties: no panic; every decoded string is printable ASCII (device strings are sanitized
//! before anything prints or logs them); the raw reply is kept whole; decoded fields
//! re-encoded into a reply parse back to the same fields.

use super::{encode_inquiry, encode_unit_serial, is_printable};
use odflash::scsi::inquiry::{parse_device_string, parse_inquiry, parse_unit_serial};

/// One input of the `inquiry` target.
pub fn run(raw: &[u8]) {
    if let Ok(inq) = parse_inquiry(raw) {
        assert_eq!(inq.raw, raw);
        assert!(inq.peripheral_type <= 0x1F && inq.peripheral_qualifier <= 7);
        for (field, width) in [
            (&inq.vendor, 8),
            (&inq.product, 16),
            (&inq.revision, 4),
            (&inq.vendor_specific, 20),
        ] {
            assert!(is_printable(field), "{field:?}");
            assert!(field.len() <= width, "{field:?}");
        }
        let again = parse_inquiry(&encode_inquiry(&inq)).expect("encoded INQUIRY parses");
        assert_eq!(
            (
                again.peripheral_qualifier,
                again.peripheral_type,
                again.removable
            ),
            (inq.peripheral_qualifier, inq.peripheral_type, inq.removable)
        );
        assert_eq!(again.version, inq.version);
        assert_eq!(again.vendor, inq.vendor);
        assert_eq!(again.product, inq.product);
        assert_eq!(again.revision, inq.revision);
        assert_eq!(again.vendor_specific, inq.vendor_specific);
    }
    if let Ok(serial) = parse_unit_serial(raw) {
        assert!(is_printable(&serial), "{serial:?}");
        assert!(
            !serial.starts_with(' ') && !serial.ends_with(' '),
            "{serial:?}"
        );
        let again = parse_unit_serial(&encode_unit_serial(&serial)).expect("encoded VPD parses");
        assert_eq!(again, serial);
    }
    let text = parse_device_string(raw);
    assert!(is_printable(&text) && text.len() <= raw.len());
}
