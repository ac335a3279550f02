//! What every firmware format tells the rest of odflash: the facts about an image the gates
//! judge ([`ImageFacts`]), the order of two revisions, and the write plan an image turns into
//! ([`WritePlan`]). Each family's format implements [`Format`]; [`crate::formats`] lists them.

use std::ops::Range;

use super::Error;

/// A firmware image format: bytes in, facts out. It never touches a device.
pub trait Format: Sync {
    /// Short name, as reports show it ("mt19xx").
    fn name(&self) -> &'static str;

    /// The image sizes the format's drives take, for a check without a drive.
    fn sizes(&self) -> &'static [usize];

    /// True when the bytes look like this format. This only says which parser to try.
    fn recognizes(&self, bytes: &[u8]) -> bool;

    /// The image's facts. Fails only when the bytes are not this format at all; a wrong size,
    /// a failed checksum or a missing field are facts, judged by the gates.
    fn facts(&self, bytes: &[u8]) -> Result<ImageFacts, Error>;

    /// How `image` relates to the revision `drive` runs. Formats whose revision scheme is not
    /// known leave it [`VersionOrder::Incomparable`].
    fn order(&self, _drive: &str, _image: &str) -> VersionOrder {
        VersionOrder::Incomparable
    }

    /// The part of a drive's boot banner an image's banner must equal (the whole, trimmed,
    /// unless the format says otherwise).
    fn banner_id(&self, drive_banner: &str) -> String {
        drive_banner.trim().to_string()
    }
}

/// How an image's revision relates to the drive's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionOrder {
    /// The same revision (a reinstall).
    Same,
    /// The image is older (a downgrade).
    Older,
    /// The image is newer (an upgrade).
    Newer,
    /// The two cannot be ordered.
    Incomparable,
}

/// A text an image may carry (its boot banner, the model it was made for).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fact {
    /// The format has no such field: the gate that judges it does not apply.
    NotInFormat,
    /// The format has it but this image's does not read.
    Unreadable,
    /// The text ("MT1959 Boot BU5", "BD-RE BU40N").
    Found(String),
}

impl Fact {
    /// The text, when found.
    pub fn found(&self) -> Option<&str> {
        match self {
            Fact::Found(text) => Some(text),
            Fact::NotInFormat | Fact::Unreadable => None,
        }
    }
}

/// The outcome of the image's own integrity check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IntegrityFact {
    /// The format carries no integrity check: the integrity gate does not apply.
    NotInFormat,
    /// It verifies (what was checked).
    Verified(String),
    /// It fails (what failed).
    Fails(String),
}

/// What an image says about itself, in terms every family's gates share.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageFacts {
    /// The format's name.
    pub format: &'static str,
    /// Length in bytes.
    pub size: usize,
    /// How the format sees the size ("16 banks of 64 KiB"), when it has something to say.
    pub size_note: Option<String>,
    /// The chip (or hardware class) the image is for, when it says.
    pub chip: Option<String>,
    /// The vendor the image names.
    pub vendor: Option<String>,
    /// The model the image was made for.
    pub model: Fact,
    /// The revision the image names.
    pub revision: Option<String>,
    /// Its boot banner ID.
    pub banner: Fact,
    /// Its integrity check.
    pub integrity: IntegrityFact,
    /// `Some(why)` when the bytes look like a raw read-back of a drive, never flashable.
    pub raw_dump: Option<String>,
}

/// Where a chunk sits in the download.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkRole {
    /// The first chunk.
    First,
    /// Neither first nor last.
    Middle,
    /// The last chunk (a one-chunk download's only chunk is `Last`).
    Last,
}

/// One command's worth of the payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chunk {
    /// Position in the download, from 0.
    pub index: usize,
    /// Offset in the payload.
    pub offset: usize,
    /// Length in bytes.
    pub len: usize,
    /// First, middle or last.
    pub role: ChunkRole,
}

impl Chunk {
    /// The payload range the chunk carries.
    pub fn range(&self) -> Range<usize> {
        self.offset..self.offset + self.len
    }
}

/// What a read-back after the burn can check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadBack {
    /// Flash offsets `range` must read back equal to the payload's same range.
    Compare(Range<usize>),
    /// The family has no public flash read: the burn cannot be verified.
    Impossible,
}

/// An image's bytes, shared by the file read and every plan that sends them as they are: a
/// plan holds no copy of an image it does not rearrange.
pub type ImageBytes = std::sync::Arc<Vec<u8>>;

/// The writes an image turns into: the bytes sent, how they are cut into commands, where the
/// drive stops being able to fall back, and what a read-back can verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WritePlan {
    /// The bytes sent, in order (the image itself, or the image rearranged as the drive takes
    /// it).
    pub payload: ImageBytes,
    /// The commands, in order; together they cover the payload exactly once.
    pub chunks: Vec<Chunk>,
    /// Index of the first chunk whose arrival may change the flash: a failure before it leaves
    /// the old firmware in place.
    pub point_of_no_return: usize,
    /// Why the point of no return is there, in words.
    pub point_of_no_return_why: String,
    /// What the read-back can check.
    pub read_back: ReadBack,
}

impl WritePlan {
    /// Cut `payload` into commands of the given lengths, in order. Fails when the lengths do
    /// not add up to the payload's.
    pub fn cut(payload: &[u8], lens: &[usize]) -> Result<Vec<Chunk>, Error> {
        let total: usize = lens.iter().sum();
        if total != payload.len() || lens.is_empty() || lens.contains(&0) {
            return Err(Error::BadSchedule {
                payload: payload.len(),
                scheduled: total,
            });
        }
        let mut offset = 0;
        Ok(lens
            .iter()
            .enumerate()
            .map(|(index, &len)| {
                let role = if index + 1 == lens.len() {
                    ChunkRole::Last
                } else if index == 0 {
                    ChunkRole::First
                } else {
                    ChunkRole::Middle
                };
                let chunk = Chunk {
                    index,
                    offset,
                    len,
                    role,
                };
                offset += len;
                chunk
            })
            .collect())
    }

    /// The bytes chunk `chunk` carries.
    pub fn data(&self, chunk: &Chunk) -> &[u8] {
        &self.payload[chunk.range()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_covers_the_payload_once_with_roles() {
        let payload = vec![0u8; 10];
        let chunks = WritePlan::cut(&payload, &[4, 4, 2]).unwrap();
        let roles: Vec<ChunkRole> = chunks.iter().map(|c| c.role).collect();
        assert_eq!(
            roles,
            [ChunkRole::First, ChunkRole::Middle, ChunkRole::Last]
        );
        assert_eq!(chunks[2].range(), 8..10);
        let one = WritePlan::cut(&payload, &[10]).unwrap();
        assert_eq!(one[0].role, ChunkRole::Last);
    }

    #[test]
    fn cut_refuses_lengths_that_do_not_add_up() {
        let payload = vec![0u8; 10];
        assert!(matches!(
            WritePlan::cut(&payload, &[4, 4]),
            Err(Error::BadSchedule {
                payload: 10,
                scheduled: 8
            })
        ));
        assert!(WritePlan::cut(&payload, &[10, 0]).is_err());
        assert!(WritePlan::cut(&[], &[]).is_err());
    }
}
