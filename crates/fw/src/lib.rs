//! Firmware and unit-data image models: layouts, identity strings, integrity checks, compat
//! groups, and builders for synthetic images.
//!
//! This layer parses and builds bytes; it never touches a device, a file or a terminal. Gates in
//! `ops/` call it to judge an image against a drive; the emulator (`emu/`) calls the synthetic
//! builders to give its drives plausible flash contents.
//!
//! - [`layout`]: the MT19xx 2 MiB flash layout constants.
//! - [`integrity`]: the MT19xx AES-CMAC integrity table (parse, verify, sign).
//! - [`mt19xx`]: the MT19xx image model (identity descriptor, chip tag, banner, versions).
//! - [`dvd`]: the DVD-era LiteOn/MediaTek 8051 image model (bank structure, model string).
//! - [`tsst`]: the TSST/Samsung "FF download" family: drive classes, download schedules, the
//!   SD-616 rearrangement, the MT1939 trailer and sum.
//! - [`synth`]: deterministic synthetic images for tests and the emulator.
//! - [`compat`]: model compatibility groups, known boot banners and known-bad USB bridges.
//! - [`format`]: what every format tells the gates ([`format::ImageFacts`]) and the write plan
//!   an image turns into ([`format::WritePlan`]); [`formats`] lists the formats.

#![deny(missing_docs)]

pub mod compat;
pub mod dvd;
pub mod format;
pub mod integrity;
pub mod layout;
pub mod mt19xx;
pub mod synth;
pub mod tsst;

/// The largest image any family's format has (MT19xx: the 2 MiB flash; DVD-era writers: at
/// most 1 MiB): a longer input file is no firmware image and is refused before it is read.
pub const MAX_IMAGE_SIZE: usize = if layout::FLASH_SIZE > dvd::DVD_WRITER_SIZE {
    layout::FLASH_SIZE
} else {
    dvd::DVD_WRITER_SIZE
};

/// Errors from parsing, checking or signing an image.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The buffer is too small to hold the structure being read.
    #[error("image is {got} bytes; {what} needs at least {need}")]
    TooSmall {
        /// Which structure needed the bytes ("integrity table", "identity descriptor", ...).
        what: &'static str,
        /// Bytes needed.
        need: usize,
        /// Bytes present.
        got: usize,
    },
    /// An active integrity entry names a range that is inverted or outside the image.
    #[error("integrity entry {index} covers {start:#x}..={end:#x}, outside a {len}-byte image")]
    BadRange {
        /// Entry index in the table (0..16).
        index: usize,
        /// Range start (inclusive).
        start: u32,
        /// Range end (inclusive).
        end: u32,
        /// Image length.
        len: usize,
    },
    /// An active integrity entry's range holds its own digest field, which no digest can match.
    #[error("integrity entry {index} covers its own digest")]
    SelfCovering {
        /// Entry index in the table (0..16).
        index: usize,
    },
    /// Active integrity entries cover each other's digests (directly or in a cycle), so no
    /// signing order leaves them all valid.
    #[error("integrity entry {index} covers a digest whose range covers its own")]
    CircularCover {
        /// Index of the first such entry in the table (0..16).
        index: usize,
    },
    /// The integrity table has no active entry, so there is nothing to sign or verify.
    #[error("the integrity table has no active entry")]
    NoActiveEntry,
    /// The buffer has neither an `MTEKMT19xx` chip tag nor an `MT19` boot banner.
    #[error("not an MT19xx image: no MTEKMT19xx chip tag and no MT19 boot banner")]
    NotMt19xx,
    /// The buffer is not the exact size the structure has.
    #[error("the image is {got} bytes; {what} is exactly {need} bytes")]
    WrongSize {
        /// What has the fixed size ("this drive's flash").
        what: &'static str,
        /// Its size.
        need: usize,
        /// Bytes present.
        got: usize,
    },
    /// The bytes are not an image of this format at all.
    #[error("not a {format} image: {why}")]
    NotThisFormat {
        /// The format's name.
        format: &'static str,
        /// What is missing.
        why: String,
    },
    /// A write schedule whose command lengths do not add up to the payload.
    #[error("a write schedule of {scheduled} bytes for a {payload}-byte payload")]
    BadSchedule {
        /// Payload length.
        payload: usize,
        /// Sum of the scheduled command lengths.
        scheduled: usize,
    },
    /// A DVD-era image does not have the structure of a LiteOn/MediaTek 8051 image.
    #[error("not a DVD-era LiteOn/MediaTek image: {reason}")]
    NotDvdEra {
        /// What is wrong, in words.
        reason: String,
    },
    /// A TSST image is not exactly the size its drive class takes (docs/protocol.md §4.2).
    #[error("{}", tsst::size_refusal(*class, *len, *found))]
    TsstImageSize {
        /// The class of the drive the image is for.
        class: tsst::Class,
        /// The image's length.
        len: usize,
        /// The class whose images have this length, if any.
        found: Option<tsst::Class>,
    },
    /// A TSST download buffer is not the size its class sends.
    #[error(
        "a {class} download buffer is {}, not {}",
        tsst::size_text(class.buffer_size()),
        tsst::size_text(*len)
    )]
    TsstBufferSize {
        /// The drive class.
        class: tsst::Class,
        /// The buffer's length.
        len: usize,
    },
    /// A TSST download buffer does not hold its class's layout of an image
    /// (docs/protocol.md §4.4).
    #[error("the {class} download buffer breaks the class's layout at {offset:#x}")]
    TsstBufferLayout {
        /// The drive class.
        class: tsst::Class,
        /// First buffer offset that differs from the layout.
        offset: usize,
    },
}

/// Every firmware format odflash reads, in detection order. Adding a format adds one line here.
// TSST MT1939 images carry an `MT19` banner too (docs/protocol.md §4.10): their trailer test
// runs first.
static FORMATS: [&dyn format::Format; 3] = [&tsst::FORMAT, &mt19xx::FORMAT, &dvd::FORMAT];

/// The firmware formats odflash reads.
pub fn formats() -> &'static [&'static dyn format::Format] {
    &FORMATS
}

/// The format whose content signs a buffer shows, if any. This only says which parser to try;
/// it checks nothing.
pub fn detect(bytes: &[u8]) -> Option<&'static dyn format::Format> {
    formats().iter().copied().find(|f| f.recognizes(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use synth::{build_dvd_era, build_mt19xx, Breakage, SynthSpec};

    #[test]
    fn detect_tells_kinds_apart() {
        let name = |bytes: &[u8]| detect(bytes).map(|f| f.name());
        let spec = SynthSpec::new(mt19xx::Chip::Mt1939, "ASUS", "BW-16D1HT", "3.02");
        assert_eq!(name(&build_mt19xx(&spec)), Some("mt19xx"));
        let truncated = build_mt19xx(&SynthSpec {
            breakage: Breakage::Truncated,
            ..spec
        });
        assert_eq!(name(&truncated), Some("mt19xx"));
        assert_eq!(
            name(&build_dvd_era("LITE-ON", "SOHW-1633S", "BS0C")),
            Some("liteon-dvd")
        );
        let se506cb =
            synth::build_tsst(tsst::Class::Mt1939Bd, "TSSTcorp", "BDDVDW SE-506CB", "TS01");
        assert_eq!(name(&se506cb), Some("tsst"));
        assert_eq!(name(&[0u8; 0x10_0000]), None);
        assert_eq!(name(&[]), None);
    }
}
