//! The TSST / Samsung "FF download" family (docs/protocol.md §4): which drive class an INQUIRY
//! names, what image each class takes, how the image becomes the download buffer and which
//! slice of that buffer each download command carries (with its state byte), and what an
//! MT1939 image says about itself (trailer and 16-bit sum).
//!
//! Pure: bytes and strings in, facts out; it never touches a device. The CDBs themselves are
//! built in the family's `cdb.rs` (crates/core); the emulator decodes them. The allow-lists of
//! drive models are data, in the drive table (`crates/fw/data/compat.json`, section
//! `tsst_drives`, read through [`compat::tsst_drives`]).

use std::fmt;
use std::ops::Range;

use serde::{Deserialize, Serialize};

use super::format::{Fact, Format, ImageFacts, IntegrityFact, VersionOrder};
use super::mt19xx::Version;
use super::{compat, layout, Error};

/// The place of a download command in its sequence, which its state byte (CDB[5]) encodes
/// ([`Class::status`]); the same rule in redumper (`scsi/mmc.ixx` `FLASH_TSST_Mode`) and
/// coastermelt (`lib/mt1939_scsi.h`, `kFirmwareBegin`/`Continue`/`Complete`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// The command carrying offset 0 of the buffer: state `00` ("begin").
    First,
    /// A command after the first while another follows: state `FF` ("continue").
    Continue,
    /// The last command: the class's final state (`02` or `04`, §4.2).
    Last,
}

/// The three drive classes of the family. Each has its own image size, chunk size and final
/// state byte; the class comes from the drive's INQUIRY strings, never from the image size
/// (flashing a 128 KiB drive with a 256 KiB image bricks it, says redumper's maintainer in
/// https://github.com/superg/redumper/pull/267; docs/protocol.md §4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Class {
    /// MediaTek MT1939 Blu-ray writers: the TSST SE-506CB (USB-native, `0e8d:1956`).
    Mt1939Bd,
    /// TSST (and hp-badged) DVD-ROM drives redumper flashes as "MT1339": TS-H353C, SH-D163B, ...
    Mt1339DvdRom,
    /// The Samsung SD-616 DVD-ROM drives (SD-616F, SD-616T).
    Sd616,
}

/// Whether a class has a public firmware read-back (docs/protocol.md §4.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadBack {
    /// READ BUFFER mode 6 reads the flash, at most 64 KiB per command, in the boot loader and
    /// in the stock application; the first 0x400 bytes read back as a mirror of 0x1000..0x13FF
    /// ([`MT1939_MIRROR_SOURCE`]).
    ReadBuffer,
    /// No public ATAPI read-back: no backup and no verify.
    NotPublic,
}

/// When a class's drive programs what it received (docs/protocol.md §4.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Commit {
    /// Each MiB of the download buffer is programmed as soon as it has arrived: the drive
    /// stalls about 10 s in the command that completes it (coastermelt
    /// `doc/update-ts01-notes.txt`). After the first MiB the old firmware is gone.
    EachMebibyte,
    /// Not public: callers must treat the first download command as the point of no return.
    NotPublic,
}

/// One download command: the slice of the download buffer it carries and its state byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Download {
    /// Offset into the download buffer ([`download_buffer`]).
    pub offset: usize,
    /// Bytes carried: the command's data phase, which is its only length (the CDB has none).
    pub len: usize,
    /// CDB[5], the state byte: [`Class::status`] of the command's [`Stage`].
    pub status: u8,
}

/// Everything that differs between the classes, in one place.
struct Facts {
    name: &'static str,
    example_model: &'static str,
    image_size: usize,
    buffer_size: usize,
    chunk_len: usize,
    final_status: u8,
    read_back: ReadBack,
    commit: Commit,
}

/// coastermelt `lib/mt1939_scsi.h`: a 0x200000-byte image, one 0xF800 "begin" block, 32
/// continuation blocks and a final 2048-byte block with `kFirmwareComplete = 0x02`; the official
/// updater's trace agrees (`doc/update-ts01-notes.txt`).
const MT1939_BD: Facts = Facts {
    name: "MT1939 BD",
    example_model: "SE-506CB",
    image_size: layout::FLASH_SIZE,
    buffer_size: layout::FLASH_SIZE,
    chunk_len: 0xF800,
    final_status: 0x02,
    read_back: ReadBack::ReadBuffer,
    commit: Commit::EachMebibyte,
};

/// redumper `drive/flash_tsst.ixx`: 0xFC00 per command ("taken from the original flasher"),
/// final state `END_256KB = 0x04`. redumper checks no size; 256 KiB is what its users flash.
const MT1339_DVD_ROM: Facts = Facts {
    name: "MT1339 DVD-ROM",
    example_model: "TS-H353C",
    image_size: 0x4_0000,
    buffer_size: 0x4_0000,
    chunk_len: 0xFC00,
    final_status: 0x04,
    read_back: ReadBack::NotPublic,
    commit: Commit::NotPublic,
};

/// redumper `drive/flash_sd616.ixx`: the file must be 128 KiB; it is rearranged into 0x30000
/// bytes ([`download_buffer`]) and sent 0x10000 at a time, final state `END_128KB = 0x02`.
const SD616: Facts = Facts {
    name: "SD-616",
    example_model: "SD-616F",
    image_size: 0x2_0000,
    buffer_size: 0x3_0000,
    chunk_len: 0x1_0000,
    final_status: 0x02,
    read_back: ReadBack::NotPublic,
    commit: Commit::NotPublic,
};

impl Class {
    /// Every class.
    pub const ALL: [Class; 3] = [Class::Mt1939Bd, Class::Mt1339DvdRom, Class::Sd616];

    fn facts(self) -> &'static Facts {
        match self {
            Class::Mt1939Bd => &MT1939_BD,
            Class::Mt1339DvdRom => &MT1339_DVD_ROM,
            Class::Sd616 => &SD616,
        }
    }

    /// The class whose allow-list (the drive table's `tsst_drives`) holds this INQUIRY vendor
    /// and product, compared as redumper compares them (`drive.ixx` `cmd_drive_query`):
    /// exactly, after trimming and collapsing runs of spaces. The revision does not matter (a
    /// boot loader reports `BOOT`).
    pub fn of_inquiry(vendor: &str, product: &str) -> Option<Class> {
        let (vendor, product) = (normalized(vendor), normalized(product));
        compat::tsst_drives()
            .iter()
            .find(|d| d.vendors.contains(&vendor) && d.products.contains(&product))
            .map(|d| d.class)
    }

    /// The class whose image has exactly `len` bytes, if any. For messages only: the class
    /// of a drive is never chosen by an image's size.
    pub fn of_image_size(len: usize) -> Option<Class> {
        Class::ALL.into_iter().find(|c| c.image_size() == len)
    }

    /// The class's name in messages (`MT1939 BD`).
    pub fn name(self) -> &'static str {
        self.facts().name
    }

    /// One model of the class, for messages (`SE-506CB`).
    pub fn example_model(self) -> &'static str {
        self.facts().example_model
    }

    /// Exact size of a firmware image for the class (what a user's file must be).
    pub fn image_size(self) -> usize {
        self.facts().image_size
    }

    /// Size of the download buffer the commands carry (the image, rearranged for SD-616).
    pub fn buffer_size(self) -> usize {
        self.facts().buffer_size
    }

    /// The state byte of a download command at `stage`.
    pub fn status(self, stage: Stage) -> u8 {
        match stage {
            Stage::First => 0x00,
            Stage::Continue => 0xFF,
            Stage::Last => self.facts().final_status,
        }
    }

    /// The stage a state byte names for this class, if any (the device side's decoding).
    pub fn stage(self, status: u8) -> Option<Stage> {
        [Stage::First, Stage::Continue, Stage::Last]
            .into_iter()
            .find(|&stage| self.status(stage) == status)
    }

    /// Whether the class has a public read-back.
    pub fn read_back(self) -> ReadBack {
        self.facts().read_back
    }

    /// When the class's drive programs what it received.
    pub fn commit(self) -> Commit {
        self.facts().commit
    }

    /// The download commands, in order: the buffer cut into chunks of the class's chunk size
    /// (the last one shorter), state `00` for the chunk at offset 0, `FF` while another
    /// follows, the final state for the last (redumper `drive/flash_tsst.ixx` `flash_tsst`;
    /// coastermelt `lib/mt1939_scsi.h`). 34 commands for MT1939, 5 for MT1339, 3 for SD-616.
    pub fn downloads(self) -> Vec<Download> {
        let f = self.facts();
        (0..f.buffer_size)
            .step_by(f.chunk_len)
            .map(|offset| {
                let len = f.chunk_len.min(f.buffer_size - offset);
                let stage = if offset == 0 {
                    Stage::First
                } else if offset + len < f.buffer_size {
                    Stage::Continue
                } else {
                    Stage::Last
                };
                Download {
                    offset,
                    len,
                    status: self.status(stage),
                }
            })
            .collect()
    }
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A drive string as redumper compares it: trimmed, runs of whitespace made one space.
fn normalized(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A size as people say it: `2 MiB`, `256 KiB`, else bytes.
pub(crate) fn size_text(len: usize) -> String {
    const KIB: usize = 1 << 10;
    const MIB: usize = 1 << 20;
    match len {
        0 => "0 bytes".to_owned(),
        n if n % MIB == 0 => format!("{} MiB", n / MIB),
        n if n % KIB == 0 => format!("{} KiB", n / KIB),
        n => format!("{n} bytes"),
    }
}

/// The words of [`Error::TsstImageSize`]: what the size is, and what the drive takes.
pub(crate) fn size_refusal(class: Class, len: usize, found: Option<Class>) -> String {
    let wanted = format!(
        "the {} ({} class) takes exactly {}",
        class.example_model(),
        class.name(),
        size_text(class.image_size())
    );
    match found {
        Some(other) => format!(
            "this is a {} {} image; {wanted}",
            size_text(len),
            other.name()
        ),
        None => format!(
            "this image is {}, the size of no TSST drive class; {wanted}",
            size_text(len)
        ),
    }
}

fn check_image_size(class: Class, len: usize) -> Result<(), Error> {
    if len == class.image_size() {
        Ok(())
    } else {
        Err(Error::TsstImageSize {
            class,
            len,
            found: Class::of_image_size(len),
        })
    }
}

/// The SD-616 layout: (output offset, input range) of each run copied from the 128 KiB image
/// into the zero-filled 0x30000-byte buffer (redumper `drive/flash_sd616.ixx`; docs/protocol.md
/// §4.4). The first three runs hold the whole image once; the fourth repeats most of its second
/// 64 KiB.
const SD616_RUNS: [(usize, Range<usize>); 4] = [
    (0x0_0000, 0x0_0000..0x1_0000),
    (0x1_0400, 0x1_0000..0x1_F800),
    (0x2_0000, 0x1_F800..0x2_0000),
    (0x2_0800, 0x1_0400..0x1_F800),
];

/// Lays a 128 KiB SD-616 image into its zero-filled download buffer.
fn rearrange_sd616(image: &[u8]) -> Vec<u8> {
    let mut buffer = vec![0; SD616.buffer_size];
    for (at, from) in SD616_RUNS {
        buffer[at..at + from.len()].copy_from_slice(&image[from]);
    }
    buffer
}

/// The bytes to download for `image`, after checking its size is exactly the class's: the
/// image itself, or for SD-616 the rearranged 0x30000-byte buffer. The error names the class
/// the size belongs to, if any, and what this class takes.
pub fn download_buffer(class: Class, image: &[u8]) -> Result<Vec<u8>, Error> {
    check_image_size(class, image.len())?;
    Ok(match class {
        Class::Sd616 => rearrange_sd616(image),
        Class::Mt1939Bd | Class::Mt1339DvdRom => image.to_vec(),
    })
}

/// The image a complete download buffer carries: the inverse of [`download_buffer`], for the
/// device side (the emulator). An SD-616 buffer must hold exactly the layout of some image:
/// zero gaps and a fourth run equal to the second (else [`Error::TsstBufferLayout`] names the
/// first offset that differs).
pub fn image_from_download(class: Class, buffer: &[u8]) -> Result<Vec<u8>, Error> {
    if buffer.len() != class.buffer_size() {
        return Err(Error::TsstBufferSize {
            class,
            len: buffer.len(),
        });
    }
    match class {
        Class::Mt1939Bd | Class::Mt1339DvdRom => Ok(buffer.to_vec()),
        Class::Sd616 => {
            let mut image = vec![0; SD616.image_size];
            for (at, from) in SD616_RUNS.into_iter().take(3) {
                image[from.clone()].copy_from_slice(&buffer[at..at + from.len()]);
            }
            match rearrange_sd616(&image)
                .iter()
                .zip(buffer)
                .position(|(a, b)| a != b)
            {
                None => Ok(image),
                Some(offset) => Err(Error::TsstBufferLayout { class, offset }),
            }
        }
    }
}

/// Distance of the trailer ("infonub") from the end of an MT1939 image: 48 bytes at
/// 0x1FFFD0 (coastermelt `doc/bootloader.txt`, "Infonub").
pub const TRAILER_FROM_END: usize = 0x30;
/// Layout inside the trailer: vendor (8), product (16), revision (4), the INQUIRY strings'
/// layout (coastermelt `doc/update-ts01-notes.txt`, `FirmwareVersionStrings`).
const TRAILER_VENDOR: Range<usize> = 0x00..0x08;
const TRAILER_PRODUCT: Range<usize> = 0x08..0x18;
const TRAILER_REVISION: Range<usize> = 0x18..0x1C;
/// The `AA AA` marker at 0x1FFFF8, one of the values the loader checks (coastermelt
/// `doc/bootloader.txt`: "1ffff8 16-bit value aaaa").
const TRAILER_MARKER: Range<usize> = 0x28..0x2A;
const MARKER: [u8; 2] = [0xAA, 0xAA];
/// Offset of the big-endian 16-bit sum in an MT1939 image (coastermelt `flasher/checksum.py`,
/// `checksum_stored`).
pub const MT1939_SUM_OFFSET: usize = 0x1F_FFFE;
/// Bytes the 16-bit sum adds up: the application image 0x10000..=0x1E1FFF (coastermelt
/// `flasher/checksum.py`, `checksum_calculate`).
pub const MT1939_SUM_RANGE: Range<usize> = 0x1_0000..0x1E_2000;
/// Offset of the MT1939 signature table: 16 entries of {flag, start, end, 16-byte MAC}, little
/// endian, 28 bytes each (coastermelt `flasher/checksum.py`, `sigtable_entry`): the place and
/// entry layout of the MT19xx integrity table ([`layout::TABLE_OFFSET`]).
pub const MT1939_SIGNATURE_TABLE: usize = layout::TABLE_OFFSET;
/// Offset of the 128-bit key the loader reads, and of its copy near the end of the flash,
/// "intended to be identical" (coastermelt `doc/bootloader.txt`, "Signature").
pub const MT1939_KEY: usize = 0x1_0FF0;
/// See [`MT1939_KEY`].
pub const MT1939_KEY_COPY: usize = 0x1F_F000;
/// The page READ BUFFER mirrors at offset 0: reads of 0x000..0x3FF return 0x1000..0x13FF
/// (coastermelt `doc/bootloader.txt`: "addresses 000:3ff map to 1000:13ff").
pub const MT1939_MIRROR_SOURCE: usize = 0x1000;
/// Length of the mirrored page.
pub const MT1939_MIRROR_LEN: usize = 0x400;

/// The vendor, product and revision strings of an image's trailer, padding trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trailer {
    /// `TSSTcorp`.
    pub vendor: String,
    /// `BDDVDW SE-506CB`.
    pub product: String,
    /// `TS01`.
    pub revision: String,
}

/// The 16-bit additive sum of an MT1939 image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checksum {
    /// As stored at [`MT1939_SUM_OFFSET`].
    pub stored: u16,
    /// As computed over [`MT1939_SUM_RANGE`].
    pub computed: u16,
}

impl Checksum {
    /// True when the stored sum is the computed one. The loader checks more than this (the
    /// signature table, whose cipher is not public): a matching sum is necessary, not
    /// sufficient (coastermelt `doc/bootloader.txt`).
    pub fn matches(&self) -> bool {
        self.stored == self.computed
    }
}

/// What a 2 MiB MT1939 image says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mt1939Image {
    /// The trailer, when its `AA AA` marker is there and its strings are text.
    pub trailer: Option<Trailer>,
    /// The 16-bit sum, stored and computed.
    pub checksum: Checksum,
}

/// The 16-bit additive sum of [`MT1939_SUM_RANGE`] (`image` must reach its end).
pub fn mt1939_sum(image: &[u8]) -> u16 {
    image[MT1939_SUM_RANGE]
        .iter()
        .fold(0u16, |sum, &b| sum.wrapping_add(u16::from(b)))
}

/// Reads the trailer [`TRAILER_FROM_END`] bytes before the end of `image`: `Some` when the
/// `AA AA` marker is in place, the three strings are printable ASCII (space or NUL padded)
/// and the vendor is not empty.
///
/// That record is public for MT1939 images only. odflash's synthetic MT1339 and SD-616
/// images carry the same record at the same distance from their end (see
/// [`crate::synth::build_tsst`]); real images of those classes have no public identity layout
/// and normally read as `None`.
pub fn parse_trailer(image: &[u8]) -> Option<Trailer> {
    let start = image.len().checked_sub(TRAILER_FROM_END)?;
    let t = &image[start..];
    if t[TRAILER_MARKER] != MARKER {
        return None;
    }
    let text = |r: Range<usize>| {
        let field = &t[r];
        field
            .iter()
            .all(|&b| b == 0 || (0x20..0x7F).contains(&b))
            .then(|| {
                String::from_utf8_lossy(field)
                    .trim_matches(|c| c == ' ' || c == '\0')
                    .to_owned()
            })
    };
    let trailer = Trailer {
        vendor: text(TRAILER_VENDOR)?,
        product: text(TRAILER_PRODUCT)?,
        revision: text(TRAILER_REVISION)?,
    };
    (!trailer.vendor.is_empty()).then_some(trailer)
}

/// Writes a trailer record (strings space padded, the `AA AA` marker) at its place
/// [`TRAILER_FROM_END`] bytes before the end of `image`; other trailer bytes are untouched.
pub(crate) fn write_trailer(image: &mut [u8], vendor: &str, product: &str, revision: &str) {
    let start = image.len() - TRAILER_FROM_END;
    let t = &mut image[start..];
    for (range, text) in [
        (TRAILER_VENDOR, vendor),
        (TRAILER_PRODUCT, product),
        (TRAILER_REVISION, revision),
    ] {
        let field = &mut t[range];
        field.fill(b' ');
        let n = text.len().min(field.len());
        field[..n].copy_from_slice(&text.as_bytes()[..n]);
    }
    t[TRAILER_MARKER].copy_from_slice(&MARKER);
}

/// Parses a 2 MiB MT1939 image. Only the size can fail; a missing trailer or a wrong sum is
/// a verdict in the result.
pub fn parse_mt1939(bytes: &[u8]) -> Result<Mt1939Image, Error> {
    check_image_size(Class::Mt1939Bd, bytes.len())?;
    let stored = &bytes[MT1939_SUM_OFFSET..MT1939_SUM_OFFSET + 2];
    Ok(Mt1939Image {
        trailer: parse_trailer(bytes),
        checksum: Checksum {
            stored: u16::from_be_bytes([stored[0], stored[1]]),
            computed: mt1939_sum(bytes),
        },
    })
}

/// True when `bytes` look like a TSST MT1939 image: exactly 2 MiB with a trailer (the `AA AA`
/// marker and text strings) at 0x1FFFD0. For content sniffing: these images carry the
/// `MT1939 Boot Code` banner at 0x3000, which an `MT19` banner test claims, and no `MTEKMT19xx`
/// tag (docs/protocol.md §4.10), so this test must run before the MT19xx one.
pub fn recognizes_mt1939(bytes: &[u8]) -> bool {
    bytes.len() == Class::Mt1939Bd.image_size() && parse_trailer(bytes).is_some()
}

/// The image sizes of the classes, in [`Class::ALL`] order.
const IMAGE_SIZES: [usize; 3] = [
    MT1939_BD.image_size,
    MT1339_DVD_ROM.image_size,
    SD616.image_size,
];

/// The TSST image format, for the gates: the class an image's size belongs to (as its "chip"),
/// and for MT1939 images the trailer's identity and the 16-bit sum. 256 KiB and 128 KiB images
/// carry no public identity or checksum (docs/protocol.md §4.8), so for them the size and the
/// drive's class are all there is to check.
#[derive(Debug, Clone, Copy, Default)]
pub struct TsstFormat;

/// The TSST format.
pub static FORMAT: TsstFormat = TsstFormat;

impl Format for TsstFormat {
    fn name(&self) -> &'static str {
        "tsst"
    }

    fn sizes(&self) -> &'static [usize] {
        &IMAGE_SIZES
    }

    fn recognizes(&self, bytes: &[u8]) -> bool {
        recognizes_mt1939(bytes)
    }

    /// Any bytes are a TSST image to a TSST drive: the size gate and the class judge them.
    fn facts(&self, bytes: &[u8]) -> Result<ImageFacts, Error> {
        let class = Class::of_image_size(bytes.len());
        let mut facts = ImageFacts {
            format: self.name(),
            size: bytes.len(),
            size_note: class.map(|c| format!("{}, the {} image size", size_text(bytes.len()), c)),
            chip: class.map(|c| c.name().to_string()),
            vendor: None,
            model: Fact::NotInFormat,
            revision: None,
            banner: Fact::NotInFormat,
            integrity: IntegrityFact::NotInFormat,
            raw_dump: None,
        };
        if class == Some(Class::Mt1939Bd) {
            let image = parse_mt1939(bytes)?;
            facts.integrity = if image.checksum.matches() {
                IntegrityFact::Verified(format!(
                    "16-bit sum {:#06x} matches (the drive also checks a signature table \
                     odflash cannot)",
                    image.checksum.computed
                ))
            } else {
                IntegrityFact::Fails(format!(
                    "stored 16-bit sum {:#06x}, computed {:#06x}",
                    image.checksum.stored, image.checksum.computed
                ))
            };
            match image.trailer {
                Some(t) => {
                    facts.vendor = Some(t.vendor);
                    facts.model = Fact::Found(t.product);
                    facts.revision = Some(t.revision);
                }
                None => facts.model = Fact::Unreadable,
            }
        }
        Ok(facts)
    }

    /// ASSUMPTION: TSST revisions (`TS01`, `SB02`) follow the letters-then-number scheme the
    /// MT19xx rule orders; no public source documents TSST's scheme.
    fn order(&self, drive: &str, image: &str) -> VersionOrder {
        Version::parse(image).compare(&Version::parse(drive))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_format_lists_every_class_size_and_reads_the_trailer() {
        let sizes: Vec<usize> = Class::ALL.iter().map(|c| c.image_size()).collect();
        assert_eq!(FORMAT.sizes(), &sizes[..]);
        let image = build_tsst(Class::Mt1939Bd, "TSSTcorp", "BDDVDW SE-506CB", "TS02");
        let facts = FORMAT.facts(&image).unwrap();
        assert_eq!(facts.model, Fact::Found("BDDVDW SE-506CB".into()));
        assert_eq!(facts.chip.as_deref(), Some("MT1939 BD"));
        assert!(matches!(facts.integrity, IntegrityFact::Verified(_)));
        let mut broken = image.clone();
        broken[0x2_0000] ^= 1;
        assert!(matches!(
            FORMAT.facts(&broken).unwrap().integrity,
            IntegrityFact::Fails(_)
        ));
        let small = FORMAT.facts(&vec![0u8; 0x4_0000]).unwrap();
        assert_eq!(small.chip.as_deref(), Some("MT1339 DVD-ROM"));
        assert_eq!(small.model, Fact::NotInFormat);
        assert_eq!(FORMAT.order("TS01", "TS02"), VersionOrder::Newer);
    }
    use crate::synth::build_tsst;

    #[test]
    fn schedules_cover_the_buffer_in_the_published_counts() {
        for (class, count, last_len) in [
            (Class::Mt1939Bd, 34, 0x800),
            (Class::Mt1339DvdRom, 5, 0x1000),
            (Class::Sd616, 3, 0x1_0000),
        ] {
            let d = class.downloads();
            assert_eq!(d.len(), count, "{class}");
            assert_eq!(d.iter().map(|c| c.len).sum::<usize>(), class.buffer_size());
            let mut next = 0;
            for c in &d {
                assert_eq!(c.offset, next, "{class}: chunks are contiguous");
                next += c.len;
            }
            assert_eq!(d[0].status, 0x00);
            assert!(d[1..count - 1].iter().all(|c| c.status == 0xFF));
            assert_eq!(d[count - 1].status, class.status(Stage::Last));
            assert_eq!(d[count - 1].len, last_len);
        }
        assert_eq!(Class::Mt1939Bd.downloads()[0].len, 0xF800);
        assert_eq!(Class::Mt1939Bd.status(Stage::Last), 0x02);
        assert_eq!(Class::Mt1339DvdRom.downloads()[3].len, 0xFC00);
        assert_eq!(Class::Mt1339DvdRom.status(Stage::Last), 0x04);
        assert_eq!(Class::Sd616.status(Stage::Last), 0x02);
    }

    #[test]
    fn state_bytes_decode_per_class() {
        assert_eq!(Class::Mt1939Bd.stage(0x00), Some(Stage::First));
        assert_eq!(Class::Sd616.stage(0xFF), Some(Stage::Continue));
        assert_eq!(Class::Mt1939Bd.stage(0x02), Some(Stage::Last));
        assert_eq!(Class::Mt1339DvdRom.stage(0x04), Some(Stage::Last));
        // Another class's final state, or none at all.
        assert_eq!(Class::Mt1339DvdRom.stage(0x02), None);
        assert_eq!(Class::Sd616.stage(0x04), None);
        assert_eq!(Class::Mt1939Bd.stage(0x01), None);
    }

    #[test]
    fn sd616_rearrangement_is_the_published_mapping() {
        // Every input byte is distinct modulo 251, so a misplaced run shows.
        let image: Vec<u8> = (0..0x2_0000).map(|i| (i % 251) as u8 + 1).collect();
        let out = download_buffer(Class::Sd616, &image).unwrap();
        assert_eq!(out.len(), 0x3_0000);
        assert_eq!(out[0x0_0000..0x1_0000], image[0x0_0000..0x1_0000]);
        assert_eq!(out[0x1_0400..0x1_FC00], image[0x1_0000..0x1_F800]);
        assert_eq!(out[0x2_0000..0x2_0800], image[0x1_F800..0x2_0000]);
        assert_eq!(out[0x2_0800..0x2_FC00], image[0x1_0400..0x1_F800]);
        for gap in [0x1_0000..0x1_0400, 0x1_FC00..0x2_0000, 0x2_FC00..0x3_0000] {
            assert!(out[gap.clone()].iter().all(|&b| b == 0), "{gap:x?}");
        }
        assert_eq!(image_from_download(Class::Sd616, &out).unwrap(), image);
    }

    #[test]
    fn a_buffer_not_in_the_sd616_layout_is_named() {
        let image = build_tsst(Class::Sd616, "SAMSUNG", "DVD-ROM SD-616F", "F301");
        let mut buffer = download_buffer(Class::Sd616, &image).unwrap();
        buffer[0x1_0010] = 0x55;
        assert_eq!(
            image_from_download(Class::Sd616, &buffer),
            Err(Error::TsstBufferLayout {
                class: Class::Sd616,
                offset: 0x1_0010
            })
        );
        let mut buffer = download_buffer(Class::Sd616, &image).unwrap();
        buffer[0x2_0900] ^= 1;
        assert!(matches!(
            image_from_download(Class::Sd616, &buffer),
            Err(Error::TsstBufferLayout {
                offset: 0x2_0900,
                ..
            })
        ));
        assert_eq!(
            image_from_download(Class::Sd616, &image),
            Err(Error::TsstBufferSize {
                class: Class::Sd616,
                len: 0x2_0000
            })
        );
    }

    #[test]
    fn other_classes_send_the_image_as_it_is() {
        let image = build_tsst(Class::Mt1339DvdRom, "TSSTcorp", "DVD-ROM TS-H353C", "ID02");
        assert_eq!(download_buffer(Class::Mt1339DvdRom, &image).unwrap(), image);
        assert_eq!(
            image_from_download(Class::Mt1339DvdRom, &image).unwrap(),
            image
        );
    }

    #[test]
    fn size_refusals_name_both_classes() {
        let dvd = vec![0u8; 0x4_0000];
        let err = download_buffer(Class::Mt1939Bd, &dvd).unwrap_err();
        assert_eq!(
            err,
            Error::TsstImageSize {
                class: Class::Mt1939Bd,
                len: 0x4_0000,
                found: Some(Class::Mt1339DvdRom)
            }
        );
        assert_eq!(
            err.to_string(),
            "this is a 256 KiB MT1339 DVD-ROM image; the SE-506CB (MT1939 BD class) takes \
             exactly 2 MiB"
        );
        let err = download_buffer(Class::Sd616, &dvd).unwrap_err();
        assert_eq!(
            err.to_string(),
            "this is a 256 KiB MT1339 DVD-ROM image; the SD-616F (SD-616 class) takes exactly \
             128 KiB"
        );
        let err = download_buffer(Class::Mt1339DvdRom, &[0; 1000]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "this image is 1000 bytes, the size of no TSST drive class; the TS-H353C (MT1339 \
             DVD-ROM class) takes exactly 256 KiB"
        );
        assert!(matches!(
            parse_mt1939(&[]),
            Err(Error::TsstImageSize { found: None, .. })
        ));
        assert_eq!(Class::of_image_size(0x20_0000), Some(Class::Mt1939Bd));
        assert_eq!(Class::of_image_size(0x3_0000), None);
    }

    #[test]
    fn inquiry_allow_lists() {
        let cases = [
            ("TSSTcorp", "BDDVDW SE-506CB", Some(Class::Mt1939Bd)),
            ("TSSTcorp ", "BDDVDW  SE-506CB ", Some(Class::Mt1939Bd)),
            ("TSSTcorp", "DVD-ROM TS-H353C", Some(Class::Mt1339DvdRom)),
            ("hp", "DVD-ROM TS-H353C", Some(Class::Mt1339DvdRom)),
            ("TSSTcorp", "DVD-ROM SH-118CB", Some(Class::Mt1339DvdRom)),
            ("SAMSUNG", "DVD-ROM SD-616F", Some(Class::Sd616)),
            ("SAMSUNG", "DVD-ROM SD-616T", Some(Class::Sd616)),
            // Another vendor, another model, or the model without its product prefix.
            ("SAMSUNG", "DVD-ROM TS-H353C", None),
            ("hp", "DVD-ROM SD-616F", None),
            ("hp", "BDDVDW SE-506CB", None),
            ("TSSTcorp", "TS-H353C", None),
            ("TSSTcorp", "DVD-ROM TS-H353D", None),
            ("tsstcorp", "DVD-ROM TS-H353C", None),
            ("HL-DT-ST", "BD-RE BU40N", None),
        ];
        for (vendor, product, class) in cases {
            assert_eq!(
                Class::of_inquiry(vendor, product),
                class,
                "{vendor}/{product}"
            );
        }
    }

    #[test]
    fn names_and_facts() {
        assert_eq!(Class::Mt1939Bd.name(), "MT1939 BD");
        assert_eq!(Class::Mt1939Bd.example_model(), "SE-506CB");
        assert_eq!(Class::Mt1939Bd.read_back(), ReadBack::ReadBuffer);
        assert_eq!(Class::Mt1939Bd.commit(), Commit::EachMebibyte);
        for class in [Class::Mt1339DvdRom, Class::Sd616] {
            assert_eq!(class.read_back(), ReadBack::NotPublic);
            assert_eq!(class.commit(), Commit::NotPublic);
        }
        assert_eq!(size_text(0x20_0000), "2 MiB");
        assert_eq!(size_text(0x3_0000), "192 KiB");
        assert_eq!(size_text(0), "0 bytes");
    }

    #[test]
    fn mt1939_checksum_and_trailer() {
        let mut image = build_tsst(Class::Mt1939Bd, "TSSTcorp", "BDDVDW SE-506CB", "TS02");
        let parsed = parse_mt1939(&image).unwrap();
        assert!(parsed.checksum.matches());
        assert_eq!(
            parsed.trailer,
            Some(Trailer {
                vendor: "TSSTcorp".into(),
                product: "BDDVDW SE-506CB".into(),
                revision: "TS02".into(),
            })
        );
        assert!(recognizes_mt1939(&image));
        // What an MT19xx sniffer sees (docs/protocol.md §4.10): the banner, no chip tag.
        assert!(crate::mt19xx::has_mt19_banner(&image));
        assert_eq!(crate::mt19xx::find_chip_tag(&image), None);
        // One byte of the summed range changes the computed sum only.
        image[0x12_3456] = image[0x12_3456].wrapping_add(3);
        let parsed = parse_mt1939(&image).unwrap();
        assert_eq!(
            parsed.checksum.computed,
            parsed.checksum.stored.wrapping_add(3)
        );
        assert!(!parsed.checksum.matches());
        // Outside the range (the loader information region) the sum does not change.
        image[0x12_3456] = image[0x12_3456].wrapping_sub(3);
        image[0x1E_8000] ^= 0xFF;
        assert!(parse_mt1939(&image).unwrap().checksum.matches());
    }

    #[test]
    fn sum_is_sixteen_bit_additive_and_stored_big_endian() {
        let mut image = vec![0u8; 0x20_0000];
        image[0x1_0000] = 0xFF;
        image[0x1E_1FFF] = 0x02;
        image[0x1E_2000] = 0x77; // outside
        image[0x0_FFFF] = 0x77; // outside
        image[MT1939_SUM_OFFSET..].copy_from_slice(&[0x01, 0x01]);
        let c = parse_mt1939(&image).unwrap().checksum;
        assert_eq!((c.stored, c.computed), (0x0101, 0x0101));
        // Wraps at 16 bits.
        image[0x1_0000..0x1_0000 + 0x102].fill(0xFF);
        assert_eq!(mt1939_sum(&image), (0x102u32 * 0xFF + 2) as u16);
    }

    #[test]
    fn trailer_needs_its_marker_and_text() {
        let image = build_tsst(Class::Mt1939Bd, "TSSTcorp", "BDDVDW SE-506CB", "TS01");
        let at = 0x20_0000 - TRAILER_FROM_END;
        let mut no_marker = image.clone();
        no_marker[at + 0x28] = 0xFF;
        assert_eq!(parse_trailer(&no_marker), None);
        assert!(!recognizes_mt1939(&no_marker));
        let mut binary = image.clone();
        binary[at + 3] = 0x90;
        assert_eq!(parse_trailer(&binary), None);
        assert!(!recognizes_mt1939(&image[..0x10_0000]));
        assert_eq!(parse_trailer(&[0xAA; 0x2F]), None);
        // The coastermelt TS01 trailer as published (doc/bootloader.txt, "Infonub").
        let ts01 = hex::decode(
            "54535354636f72704244445644572053\
             452d353036434220545330313e220400\
             545320ffffffffffaaaaffffffff5918",
        )
        .unwrap();
        assert_eq!(ts01.len(), TRAILER_FROM_END);
        let t = parse_trailer(&ts01).unwrap();
        assert_eq!(
            (t.vendor.as_str(), t.product.as_str(), t.revision.as_str()),
            ("TSSTcorp", "BDDVDW SE-506CB", "TS01")
        );
    }
}
