//! MT19xx flash access: the [`FlashAccess`] primitives the ops engine drives in order (read a
//! window, PREPARE, 128 chunk writes, COMMIT, wait for ready, targeted window write-back).
//!
//! Each primitive sends exactly the commands of docs/protocol.md §2.2–§2.7 and checks its arguments
//! against the flash geometry before a byte is sent. It knows no policy: gates, backups and
//! read-back verification belong to `ops/`.

use std::ops::Range;
use std::time::Duration;

use crate::family::{CommitReply, Error, FlashAccess, FlashLayout, Sequence, Window, WriteAccess};
use crate::image::format::{Chunk, ImageBytes, WritePlan};
use crate::image::layout::{
    BANNER_LEN, BANNER_OFFSET, BOOT_REGION_END, CALIBRATION_LEN, CALIBRATION_OFFSET,
    DESCRIPTOR_LEN, DESCRIPTOR_OFFSET, FLASH_SIZE,
};
use crate::image::mt19xx::{self as format, WRITE_CHUNK as CHUNK};
use crate::scsi::{self, Data, Sense, SenseKey, Transport, TIMEOUT_FLASH, TIMEOUT_IDENTIFY};

use super::cdb;

/// How long to wait for the drive after a burn: freemkv's limit is 45 s (`wait_ready`;
/// docs/protocol.md §2.5).
pub const READY_LIMIT: Duration = Duration::from_secs(45);

/// Timeout of the chunk that completes the image: the drive erases and programs when the last chunk
/// lands (docs/protocol.md §2.4). A TSST SE-506CB stalls about 10 s after each MiB and a whole
/// reflash takes about 22 s (coastermelt `doc/update-ts01-notes.txt`; docs/protocol.md §1.6).
// ASSUMPTION: no public source gives a per-command limit for the burning chunk; 60 s is about
// three times the longest burn reported (docs/protocol.md §1.6).
pub const TIMEOUT_BURN: Duration = Duration::from_secs(60);

/// Largest length a READ/WRITE BUFFER CDB can carry (a 24-bit field, SPC-4 §6.36/§6.49).
const MAX_COMMAND_LEN: usize = 0xFF_FFFF;

/// The identity descriptor window (0x1EC000, 0x100 bytes; docs/protocol.md §2.2, §3.3).
pub fn identity_window() -> Window {
    Window {
        name: "identity".to_string(),
        offset: DESCRIPTOR_OFFSET as u32,
        len: DESCRIPTOR_LEN as u32,
    }
}

/// The per-unit calibration window (0x1F0000, 0x10000 bytes; docs/protocol.md §2.2, §3.5).
pub fn calibration_window() -> Window {
    Window {
        name: "calibration".to_string(),
        offset: CALIBRATION_OFFSET as u32,
        len: CALIBRATION_LEN as u32,
    }
}

/// Sense keys freemkv's `flash_close` treats as benign after COMMIT and in the status read: 0, 1, 2
/// and 6 (docs/protocol.md §2.4, §2.6). Keys 3, 4 and B mean the flash failed; anything else is no
/// less a failure for being unexpected.
fn is_benign(key: SenseKey) -> bool {
    matches!(
        key,
        SenseKey::NoSense | SenseKey::RecoveredError | SenseKey::NotReady | SenseKey::UnitAttention
    )
}

/// Refuse a request outside the 2 MiB flash or too long for one command.
fn check_range(offset: u32, len: usize) -> Result<(), Error> {
    let end = offset as usize + len;
    if len == 0 || len > MAX_COMMAND_LEN || end > FLASH_SIZE {
        return Err(Error::InvalidRequest(format!(
            "{len:#x} bytes at {offset:#x} do not fit one command inside the {FLASH_SIZE:#x}-byte flash"
        )));
    }
    Ok(())
}

/// MT19xx flash access (MT1959 / MT1939).
#[derive(Debug, Clone, Copy, Default)]
pub struct Flash;

impl Flash {
    /// The vendor status read after COMMIT (docs/protocol.md §2.6). As in freemkv's `flash_close`,
    /// only a failure key in the returned sense data fails the flash; a drive that cannot answer
    /// (CHECK CONDITION while it burns or reboots, no reply) is left to the read-back verify
    /// (docs/protocol.md §7.6).
    fn read_status(&self, t: &mut dyn Transport) -> Result<Option<Sense>, Error> {
        let mut reply = [0u8; cdb::STATUS_LEN];
        match scsi::run(
            t,
            &cdb::build_status(),
            Data::In(&mut reply),
            TIMEOUT_IDENTIFY,
            cdb::STATUS,
        ) {
            Ok(_) => match Sense::parse(&reply) {
                Some(s) if !is_benign(s.key) => Err(scsi::Error::Sense(s).into()),
                other => Ok(other),
            },
            Err(scsi::Error::Sense(s)) => {
                log::debug!("status read after COMMIT answered {s}");
                Ok(None)
            }
            Err(e) => {
                log::warn!("status read after COMMIT failed ({e}); the read-back verify decides");
                Ok(None)
            }
        }
    }
}

impl FlashAccess for Flash {
    fn layout(&self) -> FlashLayout {
        FlashLayout {
            size: FLASH_SIZE,
            protected: 0..BOOT_REGION_END,
            unit_windows: vec![identity_window(), calibration_window()],
            // About 10 s per MiB programmed (docs/protocol.md §1.6), for the ~1.9 MiB above
            // the protected boot region.
            burn_time: Duration::from_secs(20),
            ready_limit: READY_LIMIT,
            // The boot banner accepts exactly 0x20-byte reads (docs/protocol.md §2.3; freemkv
            // `drive/mtk/mod.rs` has_mt19_banner).
            exact_reads: vec![Range {
                start: BANNER_OFFSET,
                end: BANNER_OFFSET + BANNER_LEN,
            }],
        }
    }

    fn read(&self, t: &mut dyn Transport, offset: u32, buf: &mut [u8]) -> Result<(), Error> {
        check_range(offset, buf.len())?;
        let cdb = cdb::build_read_window(offset, buf.len() as u32);
        scsi::run(t, &cdb, Data::In(buf), TIMEOUT_FLASH, cdb::READ_WINDOW)?;
        Ok(())
    }

    fn write_plan(&self, image: &ImageBytes) -> Result<WritePlan, crate::image::Error> {
        format::write_plan(image)
    }

    fn sequence(&self) -> Sequence {
        Sequence {
            prepare: Some("enter download mode (WRITE BUFFER mode 1)"),
            stream: "WRITE BUFFER mode 6 at the chunk's flash offset",
            commit: Some("send the commit trailer (WRITE BUFFER mode 7)"),
        }
    }

    fn prepare(&self, _: &WriteAccess, t: &mut dyn Transport) -> Result<(), Error> {
        scsi::run(
            t,
            &cdb::build_prepare(),
            Data::None,
            TIMEOUT_FLASH,
            cdb::PREPARE,
        )?;
        Ok(())
    }

    fn write_chunk(
        &self,
        _: &WriteAccess,
        t: &mut dyn Transport,
        chunk: &Chunk,
        data: &[u8],
    ) -> Result<(), Error> {
        // The payload is the image in flash order: a chunk's payload offset is its flash offset.
        let offset = chunk.offset as u32;
        if data.len() != CHUNK || chunk.len != CHUNK || offset as usize % CHUNK != 0 {
            return Err(Error::InvalidRequest(format!(
                "image chunks are {CHUNK:#x} bytes at {CHUNK:#x}-aligned offsets, not {:#x} at {offset:#x}",
                data.len()
            )));
        }
        check_range(offset, data.len())?;
        // The drive burns when the chunk completing the image arrives (docs/protocol.md §2.4).
        let timeout = if offset as usize + CHUNK == FLASH_SIZE {
            TIMEOUT_BURN
        } else {
            TIMEOUT_FLASH
        };
        let cdb = cdb::build_write_window(offset, CHUNK as u32);
        scsi::run(t, &cdb, Data::Out(data), timeout, cdb::WRITE_WINDOW)?;
        Ok(())
    }

    fn commit(&self, _: &WriteAccess, t: &mut dyn Transport) -> Result<CommitReply, Error> {
        let commit = cdb::build_commit();
        let reply = match scsi::run(t, &commit, Data::None, TIMEOUT_FLASH, cdb::COMMIT) {
            Ok(_) => CommitReply::Good,
            // The drive is re-initialising after the burn: UNIT ATTENTION or NOT READY here is
            // expected (freemkv `flash_close`; docs/protocol.md §2.4).
            Err(scsi::Error::Sense(s)) if is_benign(s.key) => CommitReply::Benign(s),
            Err(e) => return Err(e.into()),
        };
        match (reply, self.read_status(t)?) {
            (CommitReply::Good, Some(s)) if s.key != SenseKey::NoSense => {
                Ok(CommitReply::Benign(s))
            }
            (reply, _) => Ok(reply),
        }
    }

    fn wait_ready(&self, t: &mut dyn Transport, limit: Duration) -> Result<(), Error> {
        super::super::poll_until_ready(t, limit, self.layout().burn_time)
    }

    fn write_window(
        &self,
        _: &WriteAccess,
        t: &mut dyn Transport,
        window: &Window,
        data: &[u8],
    ) -> Result<(), Error> {
        let known = [identity_window(), calibration_window()]
            .into_iter()
            .any(|w| w.offset == window.offset && w.len == window.len);
        if !known || data.len() != window.len as usize {
            return Err(Error::InvalidRequest(format!(
                "{:#x} bytes for window {:?} at {:#x}: only the identity and calibration windows \
                 can be written back, whole",
                data.len(),
                window.name,
                window.offset
            )));
        }
        // ASSUMPTION: the targeted write-back is the single mode-6 write of freemkv's
        // `write_region`, with no PREPARE or COMMIT around it; no public source names another
        // command for it (docs/protocol.md §2.7).
        let cdb = cdb::build_write_window(window.offset, window.len);
        scsi::run(t, &cdb, Data::Out(data), TIMEOUT_FLASH, cdb::WRITE_WINDOW)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::family::script::{Reply, Script};
    use crate::scsi::cdb::build_test_unit_ready;

    fn step(cdb: &[u8], reply: Reply) -> (Vec<u8>, Reply) {
        (cdb.to_vec(), reply)
    }

    fn access() -> WriteAccess {
        WriteAccess::grant()
    }

    /// A middle chunk of `len` bytes at `offset`.
    fn at(offset: usize, len: usize) -> Chunk {
        Chunk {
            index: offset / CHUNK,
            offset,
            len,
            role: crate::image::format::ChunkRole::Middle,
        }
    }

    fn good() -> Reply {
        Reply::Good(Vec::new())
    }

    fn status(key: SenseKey) -> Reply {
        Reply::Good(Sense::new(key, 0, 0).to_fixed()[..cdb::STATUS_LEN].to_vec())
    }

    #[test]
    fn full_burn_sends_the_recorded_sequence() {
        let image: Vec<u8> = (0..FLASH_SIZE).map(|i| (i / CHUNK) as u8).collect();
        let mut steps = vec![step(&cdb::build_prepare(), good())];
        for off in (0..FLASH_SIZE).step_by(CHUNK) {
            steps.push(step(
                &cdb::build_write_window(off as u32, CHUNK as u32),
                good(),
            ));
        }
        steps.push(step(
            &cdb::build_commit(),
            Reply::Check(SenseKey::UnitAttention, 0x29, 0),
        ));
        steps.push(step(&cdb::build_status(), status(SenseKey::NoSense)));
        steps.push(step(
            &build_test_unit_ready(),
            Reply::Check(SenseKey::NotReady, 0x04, 0x01),
        ));
        steps.push(step(&build_test_unit_ready(), Reply::Timeout));
        steps.push(step(
            &build_test_unit_ready(),
            Reply::Check(SenseKey::NotReady, 0x3A, 0),
        ));
        let mut t = Script::new(steps);

        Flash.prepare(&access(), &mut t).unwrap();
        for (i, chunk) in image.chunks(CHUNK).enumerate() {
            Flash
                .write_chunk(&access(), &mut t, &at(i * CHUNK, chunk.len()), chunk)
                .unwrap();
        }
        let reply = Flash.commit(&access(), &mut t).unwrap();
        assert!(matches!(reply, CommitReply::Benign(s) if s.key == SenseKey::UnitAttention));
        Flash.wait_ready(&mut t, READY_LIMIT).unwrap();

        assert!(t.done());
        assert_eq!(t.written().len(), 128);
        assert_eq!(t.written().concat(), image);
        assert_eq!(t.pauses(), 2);
    }

    #[test]
    fn failure_keys_fail_the_commit() {
        for key in [
            SenseKey::MediumError,
            SenseKey::HardwareError,
            SenseKey::AbortedCommand,
        ] {
            let mut t = Script::new(vec![step(&cdb::build_commit(), Reply::Check(key, 0, 0))]);
            let err = Flash.commit(&access(), &mut t).unwrap_err();
            assert!(matches!(err, Error::Scsi(scsi::Error::Sense(s)) if s.key == key));
            assert!(t.done(), "no status read after a failed COMMIT");
            // The same key in the status read after a GOOD commit fails too.
            let mut t = Script::new(vec![
                step(&cdb::build_commit(), good()),
                step(&cdb::build_status(), status(key)),
            ]);
            assert!(Flash.commit(&access(), &mut t).is_err());
        }
    }

    #[test]
    fn status_read_is_best_effort() {
        let mut t = Script::new(vec![
            step(&cdb::build_commit(), good()),
            step(
                &cdb::build_status(),
                Reply::Check(SenseKey::IllegalRequest, 0x20, 0),
            ),
        ]);
        assert_eq!(Flash.commit(&access(), &mut t).unwrap(), CommitReply::Good);
        let mut t = Script::new(vec![
            step(&cdb::build_commit(), good()),
            step(&cdb::build_status(), status(SenseKey::NotReady)),
        ]);
        assert!(matches!(
            Flash.commit(&access(), &mut t).unwrap(),
            CommitReply::Benign(_)
        ));
    }

    #[test]
    fn wait_ready_gives_up_at_the_limit() {
        let busy = || {
            step(
                &build_test_unit_ready(),
                Reply::Check(SenseKey::NotReady, 0x04, 0x01),
            )
        };
        // One check at once, one when the limit (shorter than the burn time) is reached.
        let mut t = Script::new(vec![busy(), busy()]);
        let err = Flash
            .wait_ready(&mut t, Duration::from_millis(1000))
            .unwrap_err();
        assert!(matches!(err, Error::NotReady(_)));
        assert!(t.done());
    }

    #[test]
    fn bad_requests_send_nothing() {
        let mut t = Script::new(vec![]);
        let chunk = vec![0u8; CHUNK];
        for (offset, len) in [
            (0x100u32, CHUNK),
            (0, CHUNK - 1),
            (FLASH_SIZE as u32, CHUNK),
        ] {
            let data = &chunk[..len.min(CHUNK)];
            let err = Flash.write_chunk(&access(), &mut t, &at(offset as usize, len), data);
            assert!(matches!(err, Err(Error::InvalidRequest(_))));
        }
        let boot = Window {
            name: "boot".into(),
            offset: 0,
            len: 0x100,
        };
        let err = Flash.write_window(&access(), &mut t, &boot, &[0; 0x100]);
        assert!(matches!(err, Err(Error::InvalidRequest(_))));
        let err = Flash.write_window(&access(), &mut t, &identity_window(), &[0; 0x10]);
        assert!(matches!(err, Err(Error::InvalidRequest(_))));
        let mut buf = [0u8; 0x20];
        let err = Flash.read(&mut t, (FLASH_SIZE - 0x10) as u32, &mut buf);
        assert!(matches!(err, Err(Error::InvalidRequest(_))));
        assert!(t.log().is_empty());
    }

    #[test]
    fn a_chunk_or_window_the_drive_took_only_part_of_fails() {
        let chunk = vec![0u8; CHUNK];
        let identity = identity_window();
        let mut t = Script::new(vec![
            step(
                &cdb::build_write_window(0x10_0000, CHUNK as u32),
                Reply::Short(100),
            ),
            step(
                &cdb::build_write_window(identity.offset, identity.len),
                Reply::Short(0),
            ),
        ]);
        let err = Flash
            .write_chunk(&access(), &mut t, &at(0x10_0000, CHUNK), &chunk)
            .unwrap_err();
        assert!(matches!(
            err,
            Error::Scsi(scsi::Error::ShortTransfer {
                direction: scsi::Direction::Out,
                needed: CHUNK,
                got: 100,
                ..
            })
        ));
        let err = Flash
            .write_window(&access(), &mut t, &identity, &[0; 0x100])
            .unwrap_err();
        assert!(matches!(
            err,
            Error::Scsi(scsi::Error::ShortTransfer { got: 0, .. })
        ));
        assert!(t.done());
    }

    #[test]
    fn read_and_write_window_use_one_command() {
        let cal = calibration_window();
        let mut t = Script::new(vec![
            step(
                &cdb::build_read_window(0x3000, 0x20),
                Reply::Good(b"MT1959 Boot BU5 ".to_vec()),
            ),
            step(&cdb::build_write_window(cal.offset, cal.len), good()),
        ]);
        let mut banner = [0u8; 0x20];
        let err = Flash.read(&mut t, 0x3000, &mut banner).unwrap_err();
        assert!(matches!(
            err,
            Error::Scsi(scsi::Error::ShortTransfer {
                needed: 0x20,
                got: 16,
                ..
            })
        ));
        Flash
            .write_window(&access(), &mut t, &cal, &vec![0x5A; cal.len as usize])
            .unwrap();
        assert!(t.done());
        assert_eq!(t.written()[0].len(), 0x1_0000);
    }
}
