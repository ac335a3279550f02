//! The raw sg interface: bindgen's `<scsi/sg.h>` bindings, the three ioctls odflash issues
//! (SG_IO, SG_GET_VERSION_NUM, SG_GET_RESERVED_SIZE) and one safe wrapper around each, plus
//! the page size (`sysconf`).
//!
//! This is the only file in `sg/` with `unsafe`. It must not interpret replies: mapping status,
//! host and driver bytes is `transport.rs`'s job. The generated file also carries bindgen's
//! layout assertions, which the compiler checks on every build (including `cargo test --lib`).

use std::marker::PhantomData;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::ptr;
use std::time::Duration;

use crate::scsi::Data;

/// bindgen output for `<scsi/sg.h>` (see `build.rs` for the allowlist).
#[allow(
    non_camel_case_types,
    non_upper_case_globals,
    dead_code,
    clippy::undocumented_unsafe_blocks
)]
mod bindings {
    include!(concat!(env!("OUT_DIR"), "/sg_bindings.rs"));
}

pub(crate) use bindings::sg_io_hdr;
use bindings::{
    SG_DXFER_FROM_DEV, SG_DXFER_NONE, SG_DXFER_TO_DEV, SG_GET_RESERVED_SIZE, SG_GET_VERSION_NUM,
    SG_IO,
};

/// Size of the sense buffer we hand the kernel. SPC allows up to 252 bytes, but fixed and
/// descriptor sense from optical drives fits in 18..32; 64 leaves room for vendor bytes.
pub(crate) const SENSE_LEN: usize = 64;

/// Shortest CDB the sg driver accepts: SG_IO fails with EMSGSIZE below 6 bytes
/// (torvalds/linux drivers/scsi/sg.c, `sg_new_write`).
pub(crate) const MIN_CDB_LEN: usize = 6;

/// Longest CDB the sg driver accepts without the variable-length extension (`MAX_COMMAND_SIZE`).
pub(crate) const MAX_CDB_LEN: usize = 16;

nix::ioctl_readwrite_bad!(
    /// SG_IO (0x2285): execute one command synchronously.
    sg_io_raw,
    SG_IO,
    sg_io_hdr
);
nix::ioctl_read_bad!(
    /// SG_GET_VERSION_NUM (0x2282): the sg driver version, e.g. 30536 for 3.5.36.
    get_version_num_raw,
    SG_GET_VERSION_NUM,
    libc::c_int
);
nix::ioctl_read_bad!(
    /// SG_GET_RESERVED_SIZE (0x2272): the size of the driver's reserved buffer.
    get_reserved_size_raw,
    SG_GET_RESERVED_SIZE,
    libc::c_int
);

/// Why a command could not be turned into an SG_IO header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BuildError {
    /// The CDB is shorter than [`MIN_CDB_LEN`] or longer than [`MAX_CDB_LEN`].
    CdbLength(usize),
    /// The data phase does not fit the header's 32-bit length field.
    TransferTooLarge(usize),
}

/// An SG_IO request whose header points only into the buffers it borrows for `'a`.
///
/// The header is private and built only by [`Request::build`], so every pointer in it is valid
/// for the length stored next to it as long as the request lives: that is what makes [`sg_io`]
/// safe to call.
#[derive(Debug)]
pub(crate) struct Request<'a> {
    hdr: sg_io_hdr,
    _borrows: PhantomData<(&'a [u8], Data<'a>, &'a mut [u8; SENSE_LEN])>,
}

impl<'a> Request<'a> {
    /// Build the header (pure): interface 'S', direction and length from `data`, the CDB,
    /// a [`SENSE_LEN`]-byte sense buffer and the timeout in milliseconds.
    ///
    /// The timeout is clamped to 1 ms ..= `u32::MAX - 1` ms: 0 would mean "the queue's
    /// default" and `u32::MAX` "never" to the kernel, neither of which the caller asked for.
    /// An empty data buffer becomes `SG_DXFER_NONE`.
    pub(crate) fn build(
        cdb: &'a [u8],
        data: Data<'a>,
        sense: &'a mut [u8; SENSE_LEN],
        timeout: Duration,
    ) -> Result<Self, BuildError> {
        if !(MIN_CDB_LEN..=MAX_CDB_LEN).contains(&cdb.len()) {
            return Err(BuildError::CdbLength(cdb.len()));
        }
        let len = data.len();
        let dxfer_len = u32::try_from(len).map_err(|_| BuildError::TransferTooLarge(len))?;
        let (dxfer_direction, dxferp) = match data {
            _ if len == 0 => (SG_DXFER_NONE, ptr::null_mut()),
            Data::None => (SG_DXFER_NONE, ptr::null_mut()),
            Data::In(buf) => (SG_DXFER_FROM_DEV, buf.as_mut_ptr().cast()),
            // The kernel only reads a TO_DEV buffer; the header field is `*mut` for both
            // directions.
            Data::Out(buf) => (SG_DXFER_TO_DEV, buf.as_ptr().cast_mut().cast()),
        };
        let timeout_ms = u32::try_from(timeout.as_millis())
            .unwrap_or(u32::MAX)
            .clamp(1, u32::MAX - 1);
        let hdr = sg_io_hdr {
            interface_id: libc::c_int::from(b'S'),
            dxfer_direction,
            // Both fit: checked against MAX_CDB_LEN and SENSE_LEN (<= 255) above.
            cmd_len: cdb.len() as u8,
            mx_sb_len: SENSE_LEN as u8,
            iovec_count: 0,
            dxfer_len,
            dxferp,
            // The kernel only reads the CDB.
            cmdp: cdb.as_ptr().cast_mut(),
            sbp: sense.as_mut_ptr(),
            timeout: timeout_ms,
            flags: 0,
            pack_id: 0,
            usr_ptr: ptr::null_mut(),
            status: 0,
            masked_status: 0,
            msg_status: 0,
            sb_len_wr: 0,
            host_status: 0,
            driver_status: 0,
            resid: 0,
            duration: 0,
            info: 0,
        };
        Ok(Request {
            hdr,
            _borrows: PhantomData,
        })
    }

    /// The header: inputs after [`Request::build`], inputs and outputs after [`sg_io`].
    pub(crate) fn header(&self) -> &sg_io_hdr {
        &self.hdr
    }
}

/// Issue SG_IO on `fd` and wait for the command to complete; the kernel fills the output
/// fields of the request's header and writes into its data-in and sense buffers.
pub(crate) fn sg_io(fd: BorrowedFd<'_>, request: &mut Request<'_>) -> nix::Result<()> {
    // SAFETY: `fd` is an open descriptor for the duration of the call. The header is a valid,
    // exclusively borrowed `sg_io_hdr` built by `Request::build`, so `cmdp` points to `cmd_len`
    // readable bytes, `dxferp` to `dxfer_len` bytes (writable for FROM_DEV) and `sbp` to
    // `mx_sb_len` writable bytes, all borrowed for the request's lifetime, which outlasts this
    // synchronous call. `iovec_count` is 0, so `dxferp` is not read as an iovec array.
    unsafe { sg_io_raw(fd.as_raw_fd(), &mut request.hdr) }.map(drop)
}

/// The sg driver version (SG_GET_VERSION_NUM), e.g. 30536. ENOTTY/EINVAL mean `fd` is not an
/// sg device.
pub(crate) fn get_version_num(fd: BorrowedFd<'_>) -> nix::Result<i32> {
    let mut version: libc::c_int = 0;
    // SAFETY: `fd` is open for the call; `version` is a valid, writable `c_int`, which is all
    // SG_GET_VERSION_NUM writes. A driver that does not know the number returns ENOTTY.
    unsafe { get_version_num_raw(fd.as_raw_fd(), &mut version) }?;
    Ok(version)
}

/// The system's memory page size in bytes.
pub(crate) fn page_size() -> usize {
    // SAFETY: sysconf only reads a system constant; it has no preconditions.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    // ASSUMPTION: sysconf(_SC_PAGESIZE) cannot fail on Linux; 4096 is the smallest Linux page.
    usize::try_from(size).unwrap_or(4096)
}

/// The sg driver's reserved buffer size in bytes (SG_GET_RESERVED_SIZE).
pub(crate) fn get_reserved_size(fd: BorrowedFd<'_>) -> nix::Result<i32> {
    let mut size: libc::c_int = 0;
    // SAFETY: `fd` is open for the call; `size` is a valid, writable `c_int`, which is all
    // SG_GET_RESERVED_SIZE writes.
    unsafe { get_reserved_size_raw(fd.as_raw_fd(), &mut size) }?;
    Ok(size)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ioctl_numbers_are_the_fixed_linux_abi_values() {
        // <scsi/sg.h>: these "bad" ioctl numbers predate _IOC encoding and never change.
        assert_eq!(SG_IO, 0x2285);
        assert_eq!(SG_GET_VERSION_NUM, 0x2282);
        assert_eq!(SG_GET_RESERVED_SIZE, 0x2272);
        assert_eq!(
            (SG_DXFER_NONE, SG_DXFER_TO_DEV, SG_DXFER_FROM_DEV),
            (-1, -2, -3)
        );
    }

    #[test]
    fn build_data_in() {
        let cdb = [0x12, 0, 0, 0, 96, 0];
        let mut buf = [0u8; 96];
        let buf_ptr = buf.as_mut_ptr();
        let mut sense = [0u8; SENSE_LEN];
        let sense_ptr = sense.as_mut_ptr();
        let req = Request::build(
            &cdb,
            Data::In(&mut buf),
            &mut sense,
            Duration::from_secs(10),
        )
        .unwrap();
        let h = req.header();
        assert_eq!(h.interface_id, i32::from(b'S'));
        assert_eq!(h.dxfer_direction, SG_DXFER_FROM_DEV);
        assert_eq!(h.dxfer_len, 96);
        assert_eq!(h.dxferp.cast::<u8>(), buf_ptr);
        assert_eq!(h.cmd_len, 6);
        assert_eq!(h.cmdp.cast_const(), cdb.as_ptr());
        assert_eq!(h.mx_sb_len, 64);
        assert_eq!(h.sbp, sense_ptr);
        assert_eq!(h.timeout, 10_000);
        assert_eq!(h.iovec_count, 0);
        assert_eq!(h.flags, 0);
    }

    #[test]
    fn build_data_out_and_none() {
        let cdb = [0x3B, 0x02, 0, 0, 0, 0, 0, 0x10, 0, 0];
        let payload = [0xA5u8; 16];
        let mut sense = [0u8; SENSE_LEN];
        let req = Request::build(
            &cdb,
            Data::Out(&payload),
            &mut sense,
            Duration::from_millis(1500),
        )
        .unwrap();
        assert_eq!(req.header().dxfer_direction, SG_DXFER_TO_DEV);
        assert_eq!(req.header().dxfer_len, 16);
        assert_eq!(req.header().dxferp.cast_const().cast(), payload.as_ptr());
        assert_eq!(req.header().cmd_len, 10);
        assert_eq!(req.header().timeout, 1500);

        let tur = [0u8; 6];
        let mut sense = [0u8; SENSE_LEN];
        let req = Request::build(&tur, Data::None, &mut sense, Duration::from_secs(1)).unwrap();
        assert_eq!(req.header().dxfer_direction, SG_DXFER_NONE);
        assert_eq!(req.header().dxfer_len, 0);
        assert!(req.header().dxferp.is_null());
    }

    #[test]
    fn empty_buffer_means_no_data_phase() {
        let mut empty: [u8; 0] = [];
        let mut sense = [0u8; SENSE_LEN];
        let req = Request::build(
            &[0x12, 0, 0, 0, 0, 0],
            Data::In(&mut empty),
            &mut sense,
            Duration::from_secs(1),
        )
        .unwrap();
        assert_eq!(req.header().dxfer_direction, SG_DXFER_NONE);
        assert!(req.header().dxferp.is_null());
    }

    #[test]
    fn timeout_is_clamped_to_what_the_kernel_reads_literally() {
        let cdb = [0u8; 6];
        let ms = |d: Duration| {
            let mut sense = [0u8; SENSE_LEN];
            Request::build(&cdb, Data::None, &mut sense, d)
                .unwrap()
                .header()
                .timeout
        };
        assert_eq!(ms(Duration::ZERO), 1);
        assert_eq!(ms(Duration::from_micros(300)), 1);
        assert_eq!(ms(Duration::from_secs(30)), 30_000);
        assert_eq!(ms(Duration::from_secs(u64::MAX)), u32::MAX - 1);
    }

    #[test]
    fn cdb_length_is_checked() {
        let mut sense = [0u8; SENSE_LEN];
        let err = Request::build(&[], Data::None, &mut sense, Duration::from_secs(1)).unwrap_err();
        assert_eq!(err, BuildError::CdbLength(0));
        let short = [0u8; 5];
        let err =
            Request::build(&short, Data::None, &mut sense, Duration::from_secs(1)).unwrap_err();
        assert_eq!(err, BuildError::CdbLength(5));
        let long = [0u8; 17];
        let err =
            Request::build(&long, Data::None, &mut sense, Duration::from_secs(1)).unwrap_err();
        assert_eq!(err, BuildError::CdbLength(17));
        let max = [0u8; 16];
        assert!(Request::build(&max, Data::None, &mut sense, Duration::from_secs(1)).is_ok());
    }
}
