//! "paged": a made-up flashable family that exists only in tests. Its firmware format, write
//! plan and commands are invented and differ from every real family's where it matters to the
//! engine: no prepare and no commit step, the point of no return at the *first* chunk (the drive
//! programs each page as it arrives), a read-back of the whole flash, no unit data, no boot
//! banner. The engine's tests (`ops/engine_tests.rs`) flash it through the unchanged engine.

pub mod cdb;

use std::time::Duration;

use crate::family::{
    DriveState, Error, Family, FamilyId, FlashAccess, FlashLayout, FlashReads, Identity, Recovery,
    Sequence, Window, WriteAccess,
};
use crate::image::format::{
    Chunk, Fact, Format, ImageBytes, ImageFacts, IntegrityFact, ReadBack, VersionOrder, WritePlan,
};
use crate::image::Error as ImageError;
use crate::scsi::inquiry::Inquiry;
use crate::scsi::{self, Data, Transport, TIMEOUT_FLASH};

/// The family's name.
pub const ID: FamilyId = FamilyId::named("paged");
/// The INQUIRY vendor of its drives.
pub const VENDOR: &str = "PAGED";
/// Flash size of [`PAGED`] drives.
pub const SIZE: usize = 0x1_0000;
/// Flash size of [`LARGE_PAGED`] drives: 8 MiB, four times the largest real flash, for the
/// measurement that a flash's memory grows with the image at a fixed number of copies.
pub const LARGE_SIZE: usize = 0x80_0000;
/// Bytes per page (one command).
pub const PAGE: usize = 0x1000;
/// The image's first bytes.
pub const MAGIC: &[u8; 4] = b"PAGD";
/// The chip every paged image and drive names.
pub const CHIP: &str = "PAGED-1";

/// Build a valid image of `size` bytes for `model` at `revision` (a decimal number), `fill` as
/// its body.
pub fn build_image(size: usize, model: &str, revision: &str, fill: u8) -> Vec<u8> {
    let mut image = vec![fill; size];
    image[..4].copy_from_slice(MAGIC);
    image[4..20].copy_from_slice(format!("{model:<16}").as_bytes());
    image[20..24].copy_from_slice(format!("{revision:<4}").as_bytes());
    seal(&mut image);
    image
}

/// Store the image's checksum: the sum of every byte before it, little-endian, in the last 4.
pub fn seal(image: &mut [u8]) {
    let sum = checksum(image);
    let at = image.len() - 4;
    image[at..].copy_from_slice(&sum.to_le_bytes());
}

fn checksum(image: &[u8]) -> u32 {
    image[..image.len() - 4]
        .iter()
        .fold(0u32, |s, &b| s.wrapping_add(u32::from(b)))
}

fn text(field: &[u8]) -> String {
    String::from_utf8_lossy(field).trim().to_string()
}

/// The paged image format.
pub struct PagedFormat;

impl Format for PagedFormat {
    fn name(&self) -> &'static str {
        "paged"
    }

    fn sizes(&self) -> &'static [usize] {
        &[SIZE, LARGE_SIZE]
    }

    fn recognizes(&self, bytes: &[u8]) -> bool {
        bytes.starts_with(MAGIC)
    }

    fn facts(&self, bytes: &[u8]) -> Result<ImageFacts, ImageError> {
        if !self.recognizes(bytes) || bytes.len() < 28 {
            return Err(ImageError::NotThisFormat {
                format: "paged",
                why: "no PAGD header".into(),
            });
        }
        let stored = u32::from_le_bytes(bytes[bytes.len() - 4..].try_into().unwrap_or_default());
        Ok(ImageFacts {
            format: self.name(),
            size: bytes.len(),
            size_note: None,
            chip: Some(CHIP.to_string()),
            vendor: Some(VENDOR.to_string()),
            model: Fact::Found(text(&bytes[4..20])),
            revision: Some(text(&bytes[20..24])),
            banner: Fact::NotInFormat,
            integrity: if stored == checksum(bytes) {
                IntegrityFact::Verified("checksum matches".into())
            } else {
                IntegrityFact::Fails(format!(
                    "checksum {stored:#x} stored, {:#x} computed",
                    checksum(bytes)
                ))
            },
            raw_dump: None,
        })
    }

    fn order(&self, drive: &str, image: &str) -> VersionOrder {
        match (drive.parse::<u32>(), image.parse::<u32>()) {
            (Ok(d), Ok(i)) if i > d => VersionOrder::Newer,
            (Ok(d), Ok(i)) if i < d => VersionOrder::Older,
            (Ok(_), Ok(_)) => VersionOrder::Same,
            _ => VersionOrder::Incomparable,
        }
    }
}

/// The paged family, with drives of one flash size.
pub struct Paged {
    flash: &'static PagedFlash,
}

/// Its flash access.
pub struct PagedFlash {
    size: usize,
}

/// The family, as the registry would hold it: drives of [`SIZE`] bytes.
pub static PAGED: Paged = Paged { flash: &FLASH };
/// The same family with drives of [`LARGE_SIZE`] bytes.
pub static LARGE_PAGED: Paged = Paged {
    flash: &LARGE_FLASH,
};
static FORMAT: PagedFormat = PagedFormat;
static FLASH: PagedFlash = PagedFlash { size: SIZE };
static LARGE_FLASH: PagedFlash = PagedFlash { size: LARGE_SIZE };

impl Family for Paged {
    fn id(&self) -> FamilyId {
        ID
    }

    fn probe(&self, _t: &mut dyn Transport, inquiry: &Inquiry) -> Result<Option<Identity>, Error> {
        Ok((inquiry.vendor == VENDOR).then(|| Identity {
            family: ID,
            chip: Some(CHIP.to_string()),
            banner: None,
            vendor: inquiry.vendor.clone(),
            model: inquiry.product.clone(),
            revision: inquiry.revision.clone(),
            firmware_date: None,
            serial: Some("PAGED0001".into()),
            flash_reads: FlashReads::Served,
        }))
    }

    fn state(&self, t: &mut dyn Transport, _identity: &Identity) -> Result<DriveState, Error> {
        super::readiness(t)
    }

    fn format(&self) -> Option<&'static dyn Format> {
        Some(&FORMAT)
    }

    fn flash(&self, _identity: &Identity) -> Option<&'static dyn FlashAccess> {
        Some(self.flash)
    }

    fn recovery(&self) -> Recovery {
        Recovery {
            hold_eject: None,
            note: "paged drives have no recovery mode",
            after_partial_burn: "some pages hold the new image, the rest the old one",
        }
    }
}

impl FlashAccess for PagedFlash {
    fn layout(&self) -> FlashLayout {
        FlashLayout {
            size: self.size,
            protected: 0..0,
            unit_windows: Vec::new(),
            burn_time: Duration::from_secs(1),
            ready_limit: Duration::from_secs(5),
            exact_reads: Vec::new(),
        }
    }

    fn read(&self, t: &mut dyn Transport, offset: u32, buf: &mut [u8]) -> Result<(), Error> {
        if offset as usize + buf.len() > self.size {
            return Err(Error::InvalidRequest("outside the flash".into()));
        }
        let cdb = cdb::build_read_page(offset, buf.len() as u32);
        scsi::run(t, &cdb, Data::In(buf), TIMEOUT_FLASH, cdb::READ_PAGE)?;
        Ok(())
    }

    fn write_plan(&self, image: &ImageBytes) -> Result<WritePlan, ImageError> {
        if image.len() != self.size {
            return Err(ImageError::WrongSize {
                what: "this drive's flash",
                need: self.size,
                got: image.len(),
            });
        }
        Ok(WritePlan {
            chunks: WritePlan::cut(image, &vec![PAGE; self.size / PAGE])?,
            payload: ImageBytes::clone(image),
            point_of_no_return: 0,
            point_of_no_return_why: "the drive programs each page as it arrives".into(),
            read_back: ReadBack::Compare(0..self.size),
        })
    }

    fn sequence(&self) -> Sequence {
        Sequence {
            prepare: None,
            stream: "WRITE BUFFER mode 5 per page",
            commit: None,
        }
    }

    fn write_chunk(
        &self,
        _: &WriteAccess,
        t: &mut dyn Transport,
        chunk: &Chunk,
        data: &[u8],
    ) -> Result<(), Error> {
        let cdb = cdb::build_write_page(chunk.offset as u32, data.len() as u32);
        scsi::run(t, &cdb, Data::Out(data), TIMEOUT_FLASH, cdb::WRITE_PAGE)?;
        Ok(())
    }

    fn wait_ready(&self, t: &mut dyn Transport, limit: Duration) -> Result<(), Error> {
        super::poll_until_ready(t, limit, self.layout().burn_time)
    }

    fn write_window(
        &self,
        _: &WriteAccess,
        _t: &mut dyn Transport,
        window: &Window,
        _data: &[u8],
    ) -> Result<(), Error> {
        Err(Error::InvalidRequest(format!(
            "paged drives have no unit data (asked for {})",
            window.name
        )))
    }
}
