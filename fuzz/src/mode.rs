//! MODE SENSE(10) replies: `mode::parse_mode_header`, `parse_mode_page` and
//! `parse_capabilities` (page 0x2A, what `info` shows).
//!
//! Properties: no panic; a found page is a slice of the reply that starts with the page code
//! asked for; decoded capabilities re-encoded into a reply parse back equal.

use super::encode_capabilities;
use odflash::scsi::mode::{parse_capabilities, parse_mode_header, parse_mode_page};

/// One input of the `mode` target.
pub fn run(data: &[u8]) {
    let Some((&page_code, raw)) = data.split_first() else {
        return;
    };
    if let Ok(header) = parse_mode_header(raw) {
        assert_eq!(
            usize::from(header.data_length),
            usize::from(raw[0]) << 8 | usize::from(raw[1])
        );
    }
    let page_code = page_code & 0x3F;
    if let Ok(page) = parse_mode_page(raw, page_code) {
        assert!(!page.is_empty() && page.len() <= raw.len());
        assert_eq!(page[0] & 0x3F, page_code);
        assert_eq!(page[0] & 0x40, 0, "page_0 format only");
    }
    let Ok(caps) = parse_capabilities(raw) else {
        return;
    };
    assert!(caps.write_speeds.iter().all(|&s| s != 0));
    let again = parse_capabilities(&encode_capabilities(&caps)).expect("encoded page 0x2A parses");
    assert_eq!(again, caps);
}
