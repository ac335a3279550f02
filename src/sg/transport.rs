//! `scsi::Transport` for [`Device`]: one SG_IO per command, and the pure mapping of the kernel's
//! reply (status, host and driver bytes, residual count, sense) into a [`scsi::Outcome`] or an
//! [`Error`].
//!
//! This module must not interpret sense data or SCSI status beyond "a status arrived": that is
//! the `scsi` layer's job (`scsi::run`).
//!
//! [`scsi::Outcome`]: crate::scsi::Outcome

use std::os::fd::AsFd;
use std::time::{Duration, Instant};

use nix::errno::Errno;

use super::sys::{self, sg_io_hdr, BuildError, Request, SENSE_LEN};
use super::{Device, DriverStatus, Error, HostStatus};
use crate::scsi::cdb::opcode;
use crate::scsi::{status, Data, Outcome, Transport, TransportError};

/// What to tell a user whose WRITE BUFFER (the flash write) was refused by the kernel.
const HINT_FLASH: &str = "flashing needs CAP_SYS_RAWIO: run as root";
/// What to tell a user whose other command was refused by the kernel.
const HINT_OTHER: &str = "this command needs CAP_SYS_RAWIO: run as root";

impl From<BuildError> for Error {
    fn from(e: BuildError) -> Self {
        match e {
            BuildError::CdbLength(n) => Error::CdbLength(n),
            BuildError::TransferTooLarge(n) => Error::TransferTooLarge(n),
        }
    }
}

impl Transport for Device {
    fn execute(
        &mut self,
        cdb: &[u8],
        data: Data<'_>,
        timeout: Duration,
    ) -> Result<Outcome, TransportError> {
        let requested = data.len();
        let opcode = cdb.first().copied().unwrap_or_default();
        let mut sense = [0u8; SENSE_LEN];
        let mut request = Request::build(cdb, data, &mut sense, timeout).map_err(Error::from)?;
        let started = Instant::now();
        let result = sys::sg_io(self.file.as_fd(), &mut request);
        let elapsed = started.elapsed();
        let hdr = *request.header();
        result.map_err(|errno| map_ioctl_error(opcode, errno))?;
        let outcome = map_reply(&hdr, &sense, requested, timeout, elapsed);
        if let Err(e) = &outcome {
            log::debug!("{}: opcode {opcode:#04x}: {e}", self.path.display());
            // usb-storage fails the command in flight at a disconnect with DID_ERROR before the
            // node goes away; say what happened rather than a host status.
            if matches!(e, Error::Host { .. }) && self.vanishes() {
                return Err(TransportError::Gone(format!(
                    "{} was disconnected",
                    self.path.display()
                )));
            }
        }
        Ok(outcome?)
    }

    /// The kernel's pass-through limit for this node: the block device's `max_hw_sectors_kb`
    /// from sysfs when the node has one (see [`super::read_max_transfer`]), a hard limit;
    /// else the sg driver's reserved buffer size (SG_GET_RESERVED_SIZE), a size known to
    /// pass; else unknown.
    fn max_transfer(&self) -> Option<crate::scsi::TransferLimit> {
        self.max_transfer
    }

    fn describe(&self) -> String {
        self.path.display().to_string()
    }
}

impl Device {
    /// True when the node disappears within a short grace period (udev/devtmpfs remove it a
    /// few milliseconds after the kernel fails the last command). Only asked on an error path.
    fn vanishes(&self) -> bool {
        const CHECKS: u32 = 10;
        const INTERVAL: Duration = Duration::from_millis(50);
        for _ in 0..CHECKS {
            if !self.path.exists() {
                return true;
            }
            std::thread::sleep(INTERVAL);
        }
        false
    }
}

/// Map an errno from the SG_IO ioctl itself (pure): the command never got a SCSI status.
fn map_ioctl_error(opcode: u8, errno: Errno) -> Error {
    match errno {
        // The kernel's command filter (drivers/scsi/scsi_ioctl.c, `scsi_cmd_allowed`) refuses
        // commands outside its read/write-safe lists without CAP_SYS_RAWIO, and an LSM may
        // refuse the ioctl with EACCES. sg applies that filter only to nodes opened read-only
        // (drivers/scsi/sg.c, `sg_new_write`); `Device` opens O_RDWR, so on sg this is rare.
        Errno::EPERM | Errno::EACCES => Error::CommandNotPermitted {
            opcode,
            hint: if opcode == opcode::WRITE_BUFFER {
                HINT_FLASH
            } else {
                HINT_OTHER
            },
        },
        Errno::ENODEV => Error::Gone("ENODEV from SG_IO"),
        Errno::ENXIO => Error::Gone("ENXIO from SG_IO"),
        source => Error::Ioctl { opcode, source },
    }
}

/// Map a completed SG_IO header to an outcome (pure).
///
/// - `DID_TIME_OUT` or `DRIVER_TIMEOUT` -> [`Error::Timeout`] with the command's `timeout`.
/// - `DID_NO_CONNECT` -> [`Error::Gone`].
/// - A non-zero host or driver status (`DRIVER_SENSE` masked) with a GOOD status byte, i.e.
///   without a SCSI status -> [`Error::Host`].
/// - Otherwise an [`Outcome`]: the status byte, host/driver status, `requested - resid`
///   clamped to `0..=requested`, the `sb_len_wr` sense bytes, and `elapsed` (measured around
///   the ioctl: `hdr.duration` only has jiffy granularity).
///
/// `transferred` is what the kernel reports even when the status is not GOOD: measured on
/// Linux 6.1, scsi_debug leaves resid at 0 for a CHECK CONDITION, so a failed 16-byte data-in
/// command reports 16. Callers trust `transferred` only with GOOD status, and there check it
/// against the command's residual rule (`scsi::run` with its `scsi::Expect`): a data-out
/// residual is a write the device took only part of.
fn map_reply(
    hdr: &sg_io_hdr,
    sense: &[u8],
    requested: usize,
    timeout: Duration,
    elapsed: Duration,
) -> Result<Outcome, Error> {
    let host = HostStatus::from_raw(hdr.host_status);
    let driver = DriverStatus::from_reply(hdr.driver_status);
    if host == HostStatus::TimeOut || driver == DriverStatus::Timeout {
        return Err(Error::Timeout(timeout));
    }
    if host == HostStatus::NoConnect {
        return Err(Error::Gone("DID_NO_CONNECT"));
    }
    if hdr.status == status::GOOD && (host != HostStatus::Ok || driver != DriverStatus::Ok) {
        return Err(Error::Host { host, driver });
    }
    // ASSUMPTION: a negative resid (never documented, seen as "overrun" on some HBAs) means
    // nothing is missing; a resid above the request means nothing arrived.
    let resid = usize::try_from(hdr.resid).unwrap_or(0);
    let sense_len = usize::from(hdr.sb_len_wr).min(sense.len());
    Ok(Outcome {
        status: hdr.status,
        host_status: host.raw(),
        driver_status: driver.raw(),
        transferred: requested.saturating_sub(resid),
        sense: sense[..sense_len].to_vec(),
        duration: elapsed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TIMEOUT: Duration = Duration::from_secs(30);
    const ELAPSED: Duration = Duration::from_millis(7);

    /// A completed header as the kernel would return it (only output fields matter here).
    fn reply(status: u8, host: u16, driver: u16, resid: i32, sb_len_wr: u8) -> sg_io_hdr {
        let cdb = [0u8; 6];
        let mut sense = [0u8; SENSE_LEN];
        let mut hdr = *Request::build(&cdb, Data::None, &mut sense, TIMEOUT)
            .unwrap()
            .header();
        hdr.status = status;
        hdr.host_status = host;
        hdr.driver_status = driver;
        hdr.resid = resid;
        hdr.sb_len_wr = sb_len_wr;
        hdr
    }

    fn sense_buf() -> [u8; SENSE_LEN] {
        let mut s = [0u8; SENSE_LEN];
        s[..18].copy_from_slice(&[
            0x70, 0, 0x05, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x24, 0x00, 0, 0, 0, 0,
        ]);
        s
    }

    #[test]
    fn good_with_residual() {
        let out = map_reply(
            &reply(0, 0, 0, 60, 0),
            &[0; SENSE_LEN],
            96,
            TIMEOUT,
            ELAPSED,
        )
        .unwrap();
        assert_eq!(out, Outcome::good(36, ELAPSED));
    }

    #[test]
    fn residual_is_clamped() {
        let over = map_reply(
            &reply(0, 0, 0, 200, 0),
            &[0; SENSE_LEN],
            96,
            TIMEOUT,
            ELAPSED,
        );
        assert_eq!(over.unwrap().transferred, 0);
        let negative = map_reply(
            &reply(0, 0, 0, -4, 0),
            &[0; SENSE_LEN],
            96,
            TIMEOUT,
            ELAPSED,
        );
        assert_eq!(negative.unwrap().transferred, 96);
    }

    #[test]
    fn check_condition_masks_driver_sense_and_keeps_sense_bytes() {
        let sense = sense_buf();
        let out = map_reply(&reply(0x02, 0, 0x08, 0, 18), &sense, 0, TIMEOUT, ELAPSED).unwrap();
        assert_eq!(
            out,
            Outcome::check_condition(sense[..18].to_vec(), 0, ELAPSED)
        );
        assert_eq!(out.driver_status, 0);
    }

    #[test]
    fn sense_length_never_exceeds_the_buffer() {
        let sense = sense_buf();
        let out = map_reply(&reply(0x02, 0, 0x08, 0, 255), &sense, 0, TIMEOUT, ELAPSED).unwrap();
        assert_eq!(out.sense.len(), SENSE_LEN);
    }

    #[test]
    fn busy_status_is_an_outcome() {
        let out = map_reply(
            &reply(0x08, 0, 0, 0, 0),
            &[0; SENSE_LEN],
            0,
            TIMEOUT,
            ELAPSED,
        )
        .unwrap();
        assert_eq!(out.status, status::BUSY);
    }

    #[test]
    fn timeouts() {
        let host = map_reply(
            &reply(0, 0x03, 0, 0, 0),
            &[0; SENSE_LEN],
            0,
            TIMEOUT,
            ELAPSED,
        );
        assert!(matches!(host, Err(Error::Timeout(d)) if d == TIMEOUT));
        // Pre-5.14 kernels: DRIVER_TIMEOUT, possibly with a SUGGEST_* bit.
        let driver = map_reply(
            &reply(0, 0, 0x16, 0, 0),
            &[0; SENSE_LEN],
            0,
            TIMEOUT,
            ELAPSED,
        );
        assert!(matches!(driver, Err(Error::Timeout(_))));
        // A timeout wins even when a status byte came back.
        let with_status = map_reply(
            &reply(0x02, 0x03, 0x08, 0, 0),
            &[0; SENSE_LEN],
            0,
            TIMEOUT,
            ELAPSED,
        );
        assert!(matches!(with_status, Err(Error::Timeout(_))));
    }

    #[test]
    fn no_connect_is_gone() {
        let r = map_reply(
            &reply(0, 0x01, 0, 0, 0),
            &[0; SENSE_LEN],
            0,
            TIMEOUT,
            ELAPSED,
        );
        assert!(matches!(r, Err(Error::Gone("DID_NO_CONNECT"))));
        let t: TransportError = r.unwrap_err().into();
        assert!(matches!(t, TransportError::Gone(_)));
    }

    #[test]
    fn host_error_without_status() {
        let r = map_reply(
            &reply(0, 0x07, 0, 0, 0),
            &[0; SENSE_LEN],
            0,
            TIMEOUT,
            ELAPSED,
        );
        assert!(matches!(
            r,
            Err(Error::Host {
                host: HostStatus::Error,
                driver: DriverStatus::Ok
            })
        ));
        let r = map_reply(
            &reply(0, 0, 0x04, 0, 0),
            &[0; SENSE_LEN],
            0,
            TIMEOUT,
            ELAPSED,
        );
        assert!(matches!(
            r,
            Err(Error::Host {
                host: HostStatus::Ok,
                driver: DriverStatus::Error
            })
        ));
    }

    #[test]
    fn host_status_with_scsi_status_is_reported_in_the_outcome() {
        let sense = sense_buf();
        let out = map_reply(&reply(0x02, 0x07, 0x08, 0, 18), &sense, 0, TIMEOUT, ELAPSED).unwrap();
        assert_eq!(out.status, status::CHECK_CONDITION);
        assert_eq!(out.host_status, 0x07);
        assert_eq!(out.driver_status, 0);
    }

    #[test]
    fn ioctl_errors() {
        assert!(matches!(
            map_ioctl_error(0x3B, Errno::EPERM),
            Error::CommandNotPermitted {
                opcode: 0x3B,
                hint: HINT_FLASH
            }
        ));
        assert!(matches!(
            map_ioctl_error(0xF1, Errno::EACCES),
            Error::CommandNotPermitted {
                opcode: 0xF1,
                hint: HINT_OTHER
            }
        ));
        assert!(matches!(
            map_ioctl_error(0x12, Errno::ENODEV),
            Error::Gone(_)
        ));
        assert!(matches!(
            map_ioctl_error(0x12, Errno::ENXIO),
            Error::Gone(_)
        ));
        assert!(matches!(
            map_ioctl_error(0x3C, Errno::EINVAL),
            Error::Ioctl {
                opcode: 0x3C,
                source: Errno::EINVAL
            }
        ));
        let t: TransportError = map_ioctl_error(0x3B, Errno::EPERM).into();
        assert_eq!(
            t.to_string(),
            "permission denied for opcode 0x3b: flashing needs CAP_SYS_RAWIO: run as root"
        );
    }
}
