//! The MT19xx integrity table: 16 entries at 0x10400, each an AES-128-CMAC over a byte range of
//! the image. The drive's boot loader checks it before it runs the application; an image whose
//! table does not verify leaves the drive in boot mode.
//!
//! Facts (source: freemkv-firmware `crates/freemkv-flash/src/cmac.rs`, which states the recipe
//! reproduces stock images byte for byte; docs/protocol.md §3.4):
//! - entry = 28 bytes, little-endian: u32 enabled (1 active, 0xFFFFFFFF unused), u32 start,
//!   u32 end (inclusive file offsets), 16-byte stored digest;
//! - digest = reverse(AES-128-CMAC(key, bytes start..=end with every 16-byte block reversed,
//!   a short final block too));
//! - entries whose range covers the table itself are signed after all the others, because their
//!   digest covers the other entries' digests. Such an entry's range must stop before its own
//!   digest field (a digest cannot cover itself), so it covers the entries before it. In
//!   general an entry is signed after every entry whose digest its range covers, and entries
//!   covering each other's digests cannot be signed.
//!
//! The key is public ([`layout::INTEGRITY_KEY`]); the table guards against corruption, not
//! against forgery. This module only computes over bytes; it never reads or writes a device.

use aes::Aes128;
use cmac::digest::KeyInit;
use cmac::{Cmac, Mac};

use super::{layout, Error};

/// Value of the `enabled` word for an active entry.
pub const ENABLED: u32 = 0x0000_0001;
/// Value of the `enabled` word for an unused entry.
pub const UNUSED: u32 = 0xFFFF_FFFF;

/// Length of one stored digest.
pub const DIGEST_LEN: usize = 16;

/// One integrity table entry, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// Index in the table (0..16).
    pub index: usize,
    /// The raw `enabled` word: [`ENABLED`], [`UNUSED`], or anything else (treated as inactive).
    pub enabled: u32,
    /// First covered file offset (inclusive).
    pub start: u32,
    /// Last covered file offset (inclusive).
    pub end: u32,
    /// The digest stored in the image (already in stored, byte-reversed form).
    pub digest: [u8; DIGEST_LEN],
}

impl Entry {
    /// True when the boot loader checks this entry.
    pub fn is_active(&self) -> bool {
        self.enabled == ENABLED
    }

    /// True when the entry's range contains the integrity table's first byte, so its digest
    /// depends on the other entries' digests.
    pub fn covers_table(&self) -> bool {
        (self.start as usize..=self.end as usize).contains(&layout::TABLE_OFFSET)
    }

    /// File offset of this entry's digest field.
    fn digest_offset(&self) -> usize {
        layout::TABLE_OFFSET + self.index * layout::TABLE_ENTRY_LEN + 12
    }

    /// True when this entry's range holds any byte of `other`'s digest field, so this entry's
    /// digest depends on `other`'s (on its own, when `other` is this entry).
    fn covers_digest_of(&self, other: &Entry) -> bool {
        let at = other.digest_offset();
        (self.start as usize) < at + DIGEST_LEN && at <= self.end as usize
    }

    /// The covered bytes, or `None` when the range is inverted or runs past the image.
    fn covered<'a>(&self, image: &'a [u8]) -> Option<&'a [u8]> {
        let (start, end) = (self.start as usize, self.end as usize);
        if start > end {
            return None;
        }
        image.get(start..=end)
    }

    fn bad_range(&self, len: usize) -> Error {
        Error::BadRange {
            index: self.index,
            start: self.start,
            end: self.end,
            len,
        }
    }
}

/// The verdict on one active entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// The stored digest matches the covered bytes.
    Valid,
    /// The stored digest does not match; `computed` is what it should be.
    Mismatch {
        /// The digest the covered bytes produce, in stored form.
        computed: [u8; DIGEST_LEN],
    },
    /// The range is inverted or runs past the end of the image.
    OutOfRange,
}

/// One active entry and its verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntryVerdict {
    /// The entry as stored.
    pub entry: Entry,
    /// What checking it found.
    pub check: Check,
}

/// The result of checking every active entry of an image's table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntegrityReport {
    /// One verdict per active entry, in table order. Inactive entries are not listed.
    pub entries: Vec<EntryVerdict>,
}

impl IntegrityReport {
    /// True when there is at least one active entry and every active entry is valid.
    /// An image with no active entry does not verify (as in freemkv's `cmac.rs`).
    pub fn is_verified(&self) -> bool {
        !self.entries.is_empty() && self.entries.iter().all(|v| v.check == Check::Valid)
    }

    /// The entries that did not verify.
    pub fn failures(&self) -> impl Iterator<Item = &EntryVerdict> {
        self.entries.iter().filter(|v| v.check != Check::Valid)
    }
}

/// AES-128-CMAC (RFC 4493) of `data` under `key`, through the RustCrypto `cmac` crate.
fn cmac(key: &[u8; 16], data: &[u8]) -> [u8; 16] {
    let mut mac = <Cmac<Aes128> as KeyInit>::new(key.into());
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// The stored-form digest of `data`: every 16-byte block (a short final block too) reversed,
/// AES-128-CMAC with [`layout::INTEGRITY_KEY`], result reversed.
pub fn digest(data: &[u8]) -> [u8; DIGEST_LEN] {
    let mut reversed = data.to_vec();
    reversed.chunks_mut(16).for_each(<[u8]>::reverse);
    let mut tag = cmac(&layout::INTEGRITY_KEY, &reversed);
    tag.reverse();
    tag
}

fn read_u32_le(bytes: &[u8], at: usize) -> u32 {
    let mut word = [0u8; 4];
    word.copy_from_slice(&bytes[at..at + 4]);
    u32::from_le_bytes(word)
}

/// Parses all 16 entries of the table at [`layout::TABLE_OFFSET`], active or not.
pub fn parse_table(image: &[u8]) -> Result<Vec<Entry>, Error> {
    let need = layout::TABLE_OFFSET + layout::TABLE_ENTRIES * layout::TABLE_ENTRY_LEN;
    if image.len() < need {
        return Err(Error::TooSmall {
            what: "integrity table",
            need,
            got: image.len(),
        });
    }
    Ok((0..layout::TABLE_ENTRIES)
        .map(|index| {
            let at = layout::TABLE_OFFSET + index * layout::TABLE_ENTRY_LEN;
            let mut digest = [0u8; DIGEST_LEN];
            digest.copy_from_slice(&image[at + 12..at + layout::TABLE_ENTRY_LEN]);
            Entry {
                index,
                enabled: read_u32_le(image, at),
                start: read_u32_le(image, at + 4),
                end: read_u32_le(image, at + 8),
                digest,
            }
        })
        .collect())
}

/// Checks every active entry. Fails only when the table itself is not there; a bad entry is a
/// verdict in the report, not an error.
pub fn verify(image: &[u8]) -> Result<IntegrityReport, Error> {
    let entries = parse_table(image)?
        .into_iter()
        .filter(Entry::is_active)
        .map(|entry| {
            let check = match entry.covered(image).map(digest) {
                None => Check::OutOfRange,
                Some(computed) if computed == entry.digest => Check::Valid,
                Some(computed) => Check::Mismatch { computed },
            };
            EntryVerdict { entry, check }
        })
        .collect();
    Ok(IntegrityReport { entries })
}

/// The order [`sign`] computes active entries in: every entry after the entries whose digests
/// its range covers; among entries free to go, those that do not cover the table first, then
/// those that do, each in table order. Returns table indices. Active entries that cover each
/// other's digests (directly or in a cycle) cannot be ordered and are left out.
pub fn signing_order(entries: &[Entry]) -> Vec<usize> {
    let mut pending: Vec<&Entry> = entries.iter().filter(|e| e.is_active()).collect();
    // Stable: table order is kept within each group.
    pending.sort_by_key(|e| e.covers_table());
    let mut order = Vec::with_capacity(pending.len());
    while let Some(next) = pending.iter().position(|e| {
        !pending
            .iter()
            .any(|other| other.index != e.index && e.covers_digest_of(other))
    }) {
        order.push(pending.remove(next).index);
    }
    order
}

/// Recomputes and stores the digest of every active entry in [`signing_order`]. Changes nothing
/// and fails when no entry is active, an active range runs outside the image, an entry's range
/// holds its own digest (no digest can match itself, so such an image never verifies), or
/// entries cover each other's digests (no order can leave both valid).
pub fn sign(image: &mut [u8]) -> Result<(), Error> {
    let entries = parse_table(image)?;
    let active: Vec<&Entry> = entries.iter().filter(|e| e.is_active()).collect();
    if active.is_empty() {
        return Err(Error::NoActiveEntry);
    }
    for entry in &active {
        if entry.covered(image).is_none() {
            return Err(entry.bad_range(image.len()));
        }
        if entry.covers_digest_of(entry) {
            return Err(Error::SelfCovering { index: entry.index });
        }
    }
    let order = signing_order(&entries);
    if let Some(entry) = active.iter().find(|e| !order.contains(&e.index)) {
        return Err(Error::CircularCover { index: entry.index });
    }
    for index in order {
        let entry = &entries[index];
        let computed = entry
            .covered(image)
            .map(digest)
            .ok_or_else(|| entry.bad_range(image.len()))?;
        let at = entry.digest_offset();
        image[at..at + DIGEST_LEN].copy_from_slice(&computed);
    }
    Ok(())
}

/// Writes entry `index` of the table (enabled word, range, zeroed digest). Used to lay out a
/// table before [`sign`]; the caller guarantees the image holds the table.
pub(crate) fn write_entry(image: &mut [u8], index: usize, enabled: u32, start: u32, end: u32) {
    let at = layout::TABLE_OFFSET + index * layout::TABLE_ENTRY_LEN;
    image[at..at + 4].copy_from_slice(&enabled.to_le_bytes());
    image[at + 4..at + 8].copy_from_slice(&start.to_le_bytes());
    image[at + 8..at + 12].copy_from_slice(&end.to_le_bytes());
    image[at + 12..at + layout::TABLE_ENTRY_LEN].fill(0);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        hex::decode(s.replace(' ', "")).unwrap()
    }

    /// RFC 4493 §4 test vectors, through the same `cmac` wiring the table uses.
    #[test]
    fn cmac_matches_rfc4493_vectors() {
        let key: [u8; 16] = unhex("2b7e1516 28aed2a6 abf71588 09cf4f3c")
            .try_into()
            .unwrap();
        let msg = unhex(
            "6bc1bee2 2e409f96 e93d7e11 7393172a ae2d8a57 1e03ac9c 9eb76fac 45af8e51 \
             30c81c46 a35ce411 e5fbc119 1a0a52ef f69f2445 df4f9b17 ad2b417b e66c3710",
        );
        let cases = [
            (0, "bb1d6929 e9593728 7fa37d12 9b756746"),
            (16, "070a16b4 6b4d4144 f79bdd9d d04a287c"),
            (40, "dfa66747 de9ae630 30ca3261 1497c827"),
            (64, "51f0bebf 7e3b9d92 fc497417 79363cfe"),
        ];
        for (len, tag) in cases {
            assert_eq!(cmac(&key, &msg[..len]).to_vec(), unhex(tag), "Mlen = {len}");
        }
    }

    #[test]
    fn digest_reverses_short_final_block_and_result() {
        let data: Vec<u8> = (0u8..20).collect();
        // Hand-built input: block 0 reversed, then the 4-byte tail reversed.
        let mut input: Vec<u8> = (0u8..16).rev().collect();
        input.extend([19, 18, 17, 16]);
        let mut expected = cmac(&layout::INTEGRITY_KEY, &input);
        expected.reverse();
        assert_eq!(digest(&data), expected);
        // Not reversing the tail gives a different digest: the rule matters.
        let mut wrong_input: Vec<u8> = (0u8..16).rev().collect();
        wrong_input.extend([16, 17, 18, 19]);
        let mut wrong = cmac(&layout::INTEGRITY_KEY, &wrong_input);
        wrong.reverse();
        assert_ne!(digest(&data), wrong);
    }

    /// End (inclusive) of a range that covers the table up to, not including, entry 2's digest.
    const BEFORE_ENTRY_2_DIGEST: u32 = (layout::TABLE_OFFSET + 2 * 28 + 11) as u32;

    /// A small image: entries 0, 1 cover data; entry 2 covers the table (entries 0 and 1 with
    /// their digests); the rest are unused.
    fn table_image() -> Vec<u8> {
        let mut image: Vec<u8> = (0..0x1_2000u32).map(|i| (i * 7 + 3) as u8).collect();
        for index in 0..layout::TABLE_ENTRIES {
            write_entry(&mut image, index, UNUSED, 0xFFFF_FFFF, 0xFFFF_FFFF);
        }
        write_entry(&mut image, 0, ENABLED, 0x1_1000, 0x1_17FF);
        write_entry(&mut image, 1, ENABLED, 0x1_1800, 0x1_1FFF);
        write_entry(&mut image, 2, ENABLED, 0x1_0000, BEFORE_ENTRY_2_DIGEST);
        image
    }

    #[test]
    fn parse_table_reads_fields_little_endian() {
        let image = table_image();
        let table = parse_table(&image).unwrap();
        assert_eq!(table.len(), 16);
        assert_eq!(
            (table[1].enabled, table[1].start, table[1].end),
            (1, 0x1_1800, 0x1_1FFF)
        );
        assert!(table[2].covers_table() && !table[1].covers_table());
        assert!(!table[3].is_active());
        assert!(matches!(
            parse_table(&image[..0x1_0400]),
            Err(Error::TooSmall { .. })
        ));
    }

    #[test]
    fn sign_then_verify() {
        let mut image = table_image();
        assert!(!verify(&image).unwrap().is_verified());
        sign(&mut image).unwrap();
        let report = verify(&image).unwrap();
        assert_eq!(report.entries.len(), 3);
        assert!(report.is_verified());
    }

    #[test]
    fn flipped_byte_fails_exactly_the_covering_entry() {
        let mut image = table_image();
        sign(&mut image).unwrap();
        image[0x1_1900] ^= 0x01;
        let report = verify(&image).unwrap();
        let failed: Vec<(usize, u32, u32)> = report
            .failures()
            .map(|v| (v.entry.index, v.entry.start, v.entry.end))
            .collect();
        assert_eq!(failed, vec![(1, 0x1_1800, 0x1_1FFF)]);
        assert!(!report.is_verified());
    }

    #[test]
    fn table_covering_entry_is_signed_last() {
        let mut image = table_image();
        sign(&mut image).unwrap();
        // Entry 2 covers the table; its digest depends on entry 0's digest.
        let at = layout::TABLE_OFFSET + 12;
        image[at] ^= 0xFF;
        let failed: Vec<usize> = verify(&image)
            .unwrap()
            .failures()
            .map(|v| v.entry.index)
            .collect();
        assert_eq!(failed, vec![0, 2]);
        sign(&mut image).unwrap();
        assert!(verify(&image).unwrap().is_verified());
        // The order goes by coverage, not by table position: a table-covering entry at index 0
        // (its range stopping before its own digest) still comes last.
        write_entry(&mut image, 0, ENABLED, 0x1_0000, 0x1_040B);
        write_entry(&mut image, 2, ENABLED, 0x1_1000, 0x1_17FF);
        assert_eq!(signing_order(&parse_table(&image).unwrap()), vec![1, 2, 0]);
        sign(&mut image).unwrap();
        assert!(verify(&image).unwrap().is_verified());
    }

    #[test]
    fn entry_covering_its_own_digest_is_refused() {
        let mut image = table_image();
        write_entry(&mut image, 2, ENABLED, 0x1_0000, 0x1_0FFF);
        let before = image.clone();
        assert_eq!(sign(&mut image), Err(Error::SelfCovering { index: 2 }));
        assert_eq!(image, before);
    }

    /// Found by the `integrity` fuzz target (sign -> verify round trip): an entry starting
    /// inside the table, after its own digest, covers a later entry's digest without covering
    /// the table's first byte. It used to be signed first, so re-signing the later entry broke
    /// it and `sign` returned Ok for an image that did not verify.
    #[test]
    fn fuzz_entry_inside_table_is_signed_after_the_digests_it_covers() {
        let mut image = table_image();
        let entry_1_digest = layout::TABLE_OFFSET + layout::TABLE_ENTRY_LEN + 12;
        write_entry(&mut image, 0, ENABLED, entry_1_digest as u32, 0x1_05BF);
        write_entry(&mut image, 1, ENABLED, 0x1_1800, 0x1_1FFF);
        write_entry(&mut image, 2, UNUSED, 0, 0);
        assert!(!parse_table(&image).unwrap()[0].covers_table());
        assert_eq!(signing_order(&parse_table(&image).unwrap()), vec![1, 0]);
        sign(&mut image).unwrap();
        assert!(verify(&image).unwrap().is_verified());
    }

    /// Two entries that each cover the other's digest cannot both be valid: refused, and the
    /// image is left as it was.
    #[test]
    fn fuzz_entries_covering_each_others_digest_are_refused() {
        let mut image = table_image();
        let digest = |i: usize| (layout::TABLE_OFFSET + i * layout::TABLE_ENTRY_LEN + 12) as u32;
        write_entry(&mut image, 0, ENABLED, digest(0) + 16, digest(1) + 15);
        write_entry(&mut image, 1, ENABLED, digest(0), digest(1) - 1);
        write_entry(&mut image, 2, UNUSED, 0, 0);
        let before = image.clone();
        assert!(signing_order(&parse_table(&image).unwrap()).is_empty());
        assert_eq!(sign(&mut image), Err(Error::CircularCover { index: 0 }));
        assert_eq!(image, before);
    }

    #[test]
    fn no_active_entry_does_not_verify_or_sign() {
        let mut image = table_image();
        for index in 0..3 {
            write_entry(&mut image, index, UNUSED, 0, 0);
        }
        assert!(!verify(&image).unwrap().is_verified());
        assert_eq!(sign(&mut image), Err(Error::NoActiveEntry));
    }

    #[test]
    fn out_of_range_entry_is_a_verdict_and_blocks_signing() {
        let mut image = table_image();
        write_entry(&mut image, 3, ENABLED, 0x1_1000, 0x20_0000);
        let report = verify(&image).unwrap();
        assert_eq!(report.failures().last().unwrap().check, Check::OutOfRange);
        assert!(matches!(
            sign(&mut image),
            Err(Error::BadRange { index: 3, .. })
        ));
    }
}
