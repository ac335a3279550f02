//! The MT19xx integrity table: `image::integrity::parse_table`, `verify`, and `sign`, its
//! inverse.
//!
//! Input: two bytes of extra image length, the 448 table bytes (16 entries of 28), then filler
//! for the rest of the image. The image is just long enough to hold the table plus the extra
//! length, so ranges that fit are cheap to check and ranges past the end are common.
//!
//! Properties: no panic; every active entry gets one verdict, in table order; `sign` either
//! fails and changes nothing, or changes only the digests of active entries and leaves an
//! image that `verify` accepts (the round trip).

use odflash::image::integrity::{parse_table, sign, verify, DIGEST_LEN};
use odflash::image::layout::{TABLE_ENTRIES, TABLE_ENTRY_LEN, TABLE_OFFSET};

const TABLE_LEN: usize = TABLE_ENTRIES * TABLE_ENTRY_LEN;

/// One input of the `integrity` target.
pub fn run(data: &[u8]) {
    let Some((extra, rest)) = data.split_first_chunk::<2>() else {
        return;
    };
    let table_len = rest.len().min(TABLE_LEN);
    let (table, filler) = rest.split_at(table_len);
    // Lengths either side of "holds the table": 0x10400 + 448 + extra - 0x100.
    let len = TABLE_OFFSET + TABLE_LEN + usize::from(u16::from_be_bytes(*extra)) - 0x100;
    let mut image: Vec<u8> = filler.iter().copied().cycle().take(len).collect();
    image.resize(len, 0xFF);
    let end = (TABLE_OFFSET + table_len).min(len);
    image[TABLE_OFFSET..end].copy_from_slice(&table[..end - TABLE_OFFSET]);

    let Ok(entries) = parse_table(&image) else {
        assert!(len < TABLE_OFFSET + TABLE_LEN);
        assert!(verify(&image).is_err());
        let mut copy = image.clone();
        assert!(sign(&mut copy).is_err());
        assert_eq!(copy, image);
        return;
    };
    assert_eq!(entries.len(), TABLE_ENTRIES);
    let report = verify(&image).expect("the table is there");
    let active: Vec<usize> = entries
        .iter()
        .filter(|e| e.is_active())
        .map(|e| e.index)
        .collect();
    let reported: Vec<usize> = report.entries.iter().map(|v| v.entry.index).collect();
    assert_eq!(reported, active);

    let mut signed = image.clone();
    match sign(&mut signed) {
        Err(_) => assert_eq!(signed, image, "a failed sign changes nothing"),
        Ok(()) => {
            let digest_at = |i: usize| TABLE_OFFSET + i * TABLE_ENTRY_LEN + 12;
            for (at, (a, b)) in image.iter().zip(&signed).enumerate() {
                if a != b {
                    assert!(
                        active
                            .iter()
                            .any(|&i| (digest_at(i)..digest_at(i) + DIGEST_LEN).contains(&at)),
                        "sign changed byte {at:#x} outside the active digests"
                    );
                }
            }
            let report = verify(&signed).expect("the table is there");
            assert!(
                report.is_verified(),
                "a signed image must verify: {:?}",
                report.failures().collect::<Vec<_>>()
            );
        }
    }
}
