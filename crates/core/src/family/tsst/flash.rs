//! TSST / Samsung flash access, one [`FlashAccess`] per drive class: the FF 00 01 download of
//! the class's schedule (docs/protocol.md §4.1–§4.3), the wait for the drive's reboot (§4.6)
//! and, for the MT1939 class only, the READ BUFFER mode 6 read-back (§4.7). Each primitive
//! checks its arguments against the class before a byte is sent. It knows no policy: gates,
//! backups and the verify belong to `ops/`.

use std::time::Duration;

use crate::family::{Error, FlashAccess, FlashLayout, Sequence, Window, WriteAccess};
use crate::image::format::{Chunk, ChunkRole, ImageBytes, ReadBack as Verify, WritePlan};
use crate::image::tsst::{self, Class, Commit, ReadBack, Stage};
use crate::scsi::{self, Data, Transport, TIMEOUT_FLASH};

use super::cdb;

/// Timeout of one download command: redumper allows each command 50 s (its default), and the
/// SE-506CB stalls about 10 s in the commands that complete a MiB (docs/protocol.md §1.6, §4.6).
// ASSUMPTION: 60 s leaves a margin over redumper's 50 s for the stalls.
const TIMEOUT_DOWNLOAD: Duration = Duration::from_secs(60);

/// How long to wait for the drive to come back after the last command: coastermelt re-opens the
/// drive once a second up to 100 times (`lib/mt1939_scsi.h` `reset`; docs/protocol.md §4.6).
const READY_LIMIT: Duration = Duration::from_secs(100);

/// The first MiB of an MT1939 download: the drive programs it when it has arrived
/// (docs/protocol.md §4.6).
const MEBIBYTE: usize = 0x10_0000;

/// The MT1939 boot loader region: write-protected and ignored on upload (coastermelt
/// `doc/bootloader.txt`; docs/protocol.md §4.8), so neither written nor verified.
const MT1939_BOOT_REGION: usize = 0x1_0000;

/// Flash access for one drive class.
#[derive(Debug)]
pub struct ClassFlash {
    class: Class,
}

static MT1939_BD: ClassFlash = ClassFlash {
    class: Class::Mt1939Bd,
};
static MT1339_DVD_ROM: ClassFlash = ClassFlash {
    class: Class::Mt1339DvdRom,
};
static SD616: ClassFlash = ClassFlash {
    class: Class::Sd616,
};

/// The flash access of `class`.
pub fn for_class(class: Class) -> &'static dyn FlashAccess {
    match class {
        Class::Mt1939Bd => &MT1939_BD,
        Class::Mt1339DvdRom => &MT1339_DVD_ROM,
        Class::Sd616 => &SD616,
    }
}

impl ClassFlash {
    /// The state byte of `chunk`: `00` first, `FF` while more follow, the class's final value
    /// last (docs/protocol.md §4.1).
    fn status(&self, chunk: &Chunk) -> u8 {
        self.class.status(match chunk.role {
            ChunkRole::First => Stage::First,
            ChunkRole::Middle => Stage::Continue,
            ChunkRole::Last => Stage::Last,
        })
    }

    /// Refuse a chunk that is not the class's schedule entry at its index.
    fn check_chunk(&self, chunk: &Chunk, data: &[u8]) -> Result<(), Error> {
        let schedule = self.class.downloads();
        let matches = schedule.get(chunk.index).is_some_and(|d| {
            d.offset == chunk.offset
                && d.len == chunk.len
                && d.len == data.len()
                && d.status == self.status(chunk)
        });
        if matches {
            Ok(())
        } else {
            Err(Error::InvalidRequest(format!(
                "{:#x} bytes at {:#x} as command {} are not the {} download schedule",
                data.len(),
                chunk.offset,
                chunk.index + 1,
                self.class
            )))
        }
    }
}

impl FlashAccess for ClassFlash {
    fn layout(&self) -> FlashLayout {
        FlashLayout {
            size: self.class.image_size(),
            protected: match self.class {
                Class::Mt1939Bd => 0..MT1939_BOOT_REGION,
                Class::Mt1339DvdRom | Class::Sd616 => 0..0,
            },
            unit_windows: Vec::new(),
            // The official updater resumed polling about 10 s after the last chunk (coastermelt
            // `doc/update-ts01-notes.txt`; docs/protocol.md §4.6).
            // ASSUMPTION: the DVD-ROM classes reboot no slower; no source times them.
            burn_time: Duration::from_secs(10),
            ready_limit: READY_LIMIT,
            exact_reads: Vec::new(),
        }
    }

    fn read(&self, t: &mut dyn Transport, offset: u32, buf: &mut [u8]) -> Result<(), Error> {
        if self.class.read_back() == ReadBack::NotPublic {
            return Err(Error::InvalidRequest(format!(
                "no flash read of the {} class is public",
                self.class
            )));
        }
        let end = offset as usize + buf.len();
        if buf.is_empty() || buf.len() > cdb::MAX_READ || end > self.class.image_size() {
            return Err(Error::InvalidRequest(format!(
                "{:#x} bytes at {offset:#x} do not fit one read of at most {:#x} inside the \
                 {:#x}-byte flash",
                buf.len(),
                cdb::MAX_READ,
                self.class.image_size()
            )));
        }
        let cdb = cdb::build_flash_read(offset, buf.len() as u32);
        scsi::run(t, &cdb, Data::In(buf), TIMEOUT_FLASH, cdb::FLASH_READ)?;
        Ok(())
    }

    fn write_plan(&self, image: &ImageBytes) -> Result<WritePlan, crate::image::Error> {
        let payload = ImageBytes::new(tsst::download_buffer(self.class, image)?);
        let lens: Vec<usize> = self.class.downloads().iter().map(|d| d.len).collect();
        let chunks = WritePlan::cut(&payload, &lens)?;
        let (point_of_no_return, why) = match self.class.commit() {
            Commit::EachMebibyte => (
                chunks
                    .iter()
                    .position(|c| c.offset + c.len >= MEBIBYTE)
                    .unwrap_or(0),
                "the drive programs each MiB as it arrives, starting with the one this command \
                 completes (docs/protocol.md §4.6)",
            ),
            Commit::NotPublic => (
                0,
                "where this drive starts programming is not public, so odflash counts the first \
                 command (docs/protocol.md §4.6)",
            ),
        };
        Ok(WritePlan {
            read_back: match self.class.read_back() {
                ReadBack::ReadBuffer => Verify::Compare(MT1939_BOOT_REGION..payload.len()),
                ReadBack::NotPublic => Verify::Impossible,
            },
            payload,
            chunks,
            point_of_no_return,
            point_of_no_return_why: why.to_string(),
        })
    }

    fn sequence(&self) -> Sequence {
        Sequence {
            prepare: None,
            stream: "FF 00 01 download; state byte 00 first, FF while more follow, the \
                     class's final value last",
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
        self.check_chunk(chunk, data)?;
        let expect = match (self.class, chunk.role) {
            (Class::Mt1939Bd, ChunkRole::Last) => cdb::DOWNLOAD_LAST_MT1939,
            _ => cdb::DOWNLOAD,
        };
        let cdb = cdb::build_download(self.status(chunk));
        scsi::run(t, &cdb, Data::Out(data), TIMEOUT_DOWNLOAD, expect)?;
        Ok(())
    }

    fn wait_ready(&self, t: &mut dyn Transport, limit: Duration) -> Result<(), Error> {
        super::super::poll_until_ready(t, limit, self.layout().burn_time)
    }

    fn write_window(
        &self,
        _: &WriteAccess,
        _t: &mut dyn Transport,
        window: &Window,
        _data: &[u8],
    ) -> Result<(), Error> {
        Err(Error::InvalidRequest(format!(
            "TSST drives keep no unit data odflash can write (asked for {})",
            window.name
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::family::script::{Reply, Script};

    fn plan(class: Class) -> WritePlan {
        let image = vec![0x5A; class.image_size()];
        for_class(class).write_plan(&image.into()).unwrap()
    }

    #[test]
    fn each_class_streams_its_schedule_with_its_state_bytes() {
        for (class, count, last) in [
            (Class::Mt1939Bd, 34, 0x02),
            (Class::Mt1339DvdRom, 5, 0x04),
            (Class::Sd616, 3, 0x02),
        ] {
            let plan = plan(class);
            assert_eq!(plan.chunks.len(), count, "{class}");
            let mut steps = Vec::new();
            for c in &plan.chunks {
                let reply = match (class, c.role) {
                    // The SE-506CB reports the whole last command as residual.
                    (Class::Mt1939Bd, ChunkRole::Last) => Reply::Short(0),
                    _ => Reply::Good(Vec::new()),
                };
                steps.push((
                    cdb::build_download(for_class_status(class, c)).to_vec(),
                    reply,
                ));
            }
            let mut t = Script::new(steps);
            let access = WriteAccess::grant();
            for c in &plan.chunks {
                for_class(class)
                    .write_chunk(&access, &mut t, c, plan.data(c))
                    .unwrap();
            }
            assert!(t.done());
            assert_eq!(t.log().last().unwrap()[5], last);
            // What the script saw move (the SE-506CB's last command reports nothing moved).
            let moved = match class {
                Class::Mt1939Bd => plan.payload.len() - 0x800,
                _ => plan.payload.len(),
            };
            assert!(t.written().concat() == plan.payload[..moved], "{class}");
        }
    }

    fn for_class_status(class: Class, chunk: &Chunk) -> u8 {
        ClassFlash { class }.status(chunk)
    }

    #[test]
    fn the_point_of_no_return_is_the_first_mebibyte_on_the_mt1939() {
        let mt1939 = plan(Class::Mt1939Bd);
        // The 17th command (0xF8000..0x107800) completes the first MiB.
        assert_eq!(mt1939.point_of_no_return, 16);
        assert_eq!(plan(Class::Mt1339DvdRom).point_of_no_return, 0);
        assert_eq!(plan(Class::Sd616).read_back, Verify::Impossible);
        assert_eq!(mt1939.read_back, Verify::Compare(0x1_0000..0x20_0000));
    }

    #[test]
    fn a_chunk_off_the_schedule_or_a_read_without_a_public_command_sends_nothing() {
        let mut t = Script::new(vec![]);
        let access = WriteAccess::grant();
        let plan = plan(Class::Mt1339DvdRom);
        let mut wrong = plan.chunks[1];
        wrong.len -= 1;
        let err = for_class(Class::Mt1339DvdRom).write_chunk(
            &access,
            &mut t,
            &wrong,
            &plan.payload[..wrong.len],
        );
        assert!(matches!(err, Err(Error::InvalidRequest(_))));
        let mut buf = [0u8; 0x800];
        assert!(matches!(
            for_class(Class::Sd616).read(&mut t, 0, &mut buf),
            Err(Error::InvalidRequest(_))
        ));
        let mut big = vec![0u8; 0x2_0000];
        assert!(for_class(Class::Mt1939Bd)
            .read(&mut t, 0, &mut big)
            .is_err());
        assert!(t.log().is_empty());
    }

    #[test]
    fn an_image_of_another_class_has_no_plan() {
        let image = vec![0u8; Class::Mt1939Bd.image_size()];
        let err = for_class(Class::Mt1339DvdRom)
            .write_plan(&image.into())
            .unwrap_err();
        assert!(err.to_string().contains("TS-H353C"), "{err}");
    }
}
