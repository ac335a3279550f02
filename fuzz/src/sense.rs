//! Sense data as a device returns it: `Sense::parse` (fixed and descriptor formats).
//!
//! Properties: parsing never panics; a parsed sense re-encoded with `Sense::to_fixed` parses
//! back to the same key, ASC/ASCQ, deferral and INFORMATION (fixed format carries 32 bits).

use odflash::scsi::Sense;

/// One input of the `sense` target.
pub fn run(raw: &[u8]) {
    let Some(sense) = Sense::parse(raw) else {
        return;
    };
    let _ = sense.code_text();
    let _ = sense.to_string();
    let fixed = Sense::parse(&sense.to_fixed()).expect("to_fixed output parses");
    assert_eq!(fixed.key, sense.key);
    assert_eq!((fixed.asc, fixed.ascq), (sense.asc, sense.ascq));
    assert_eq!(fixed.deferred, sense.deferred);
    assert_eq!(
        fixed.information,
        sense.information.map(|i| i & 0xFFFF_FFFF)
    );
}
