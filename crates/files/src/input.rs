//! Reading input files (images, bundles, unit data, traces, fault plans, the emulator's state):
//! [`read_input`] is the one way odflash reads a file whole. An input must be a regular file, and
//! it is read with the cap its format implies, so `/dev/zero`, a FIFO or a directory given as an
//! image ends at once with a clear error instead of reading forever or blocking. [`open_input`]
//! opens one the same way for a reader that streams it (validating a bundle just written).
//!
//! Owns only file mechanics; each format names its own cap next to its parser.

use std::fs::{File, OpenOptions};
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

use super::atomic::FileError;

/// Read the whole of `path`, a `what` ("firmware image", "fault plan") of at most `cap` bytes.
/// Anything but a regular file is refused before a byte is read (the open does not block on a
/// FIFO); a longer file is refused without reading past the cap.
pub fn read_input(path: &Path, cap: usize, what: &str) -> Result<Vec<u8>, FileError> {
    let (file, meta) = open_regular(path, what)?;
    let too_large = || {
        FileError::refused(
            path,
            format!("is larger than {cap} bytes, the most a {what} can be: not a {what}"),
        )
    };
    if meta.len() > cap as u64 {
        return Err(too_large());
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    // One byte past the cap tells a file that grew since fstat from one that fits.
    File::take(file, cap as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| FileError::io(path, e))?;
    if bytes.len() > cap {
        return Err(too_large());
    }
    Ok(bytes)
}

/// Open `path`, a `what`, for reading it piece by piece: the same refusal of anything but a
/// regular file as [`read_input`]; the reader bounds what it reads itself.
pub fn open_input(path: &Path, what: &str) -> Result<File, FileError> {
    open_regular(path, what).map(|(file, _)| file)
}

/// Open `path` without blocking and check that it is a regular file.
fn open_regular(path: &Path, what: &str) -> Result<(File, std::fs::Metadata), FileError> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path)
        .map_err(|e| FileError::io(path, e))?;
    let meta = file.metadata().map_err(|e| FileError::io(path, e))?;
    if !meta.is_file() {
        return Err(FileError::refused(
            path,
            format!(
                "is a {}, not a regular file: give the path of a {what} file",
                kind_of(&meta.file_type())
            ),
        ));
    }
    Ok((file, meta))
}

/// [`read_input`] for a text format: the bytes must be UTF-8.
pub fn read_input_text(path: &Path, cap: usize, what: &str) -> Result<String, FileError> {
    String::from_utf8(read_input(path, cap, what)?)
        .map_err(|_| FileError::refused(path, format!("is not UTF-8 text: not a {what}")))
}

fn kind_of(t: &std::fs::FileType) -> &'static str {
    if t.is_dir() {
        "directory"
    } else if t.is_char_device() {
        "character device"
    } else if t.is_block_device() {
        "block device"
    } else if t.is_fifo() {
        "FIFO"
    } else if t.is_socket() {
        "socket"
    } else {
        "special file"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused_because(r: Result<Vec<u8>, FileError>, text: &str) {
        match r {
            Err(FileError::Refused { why, .. }) => assert!(why.contains(text), "{why}"),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn regular_files_within_the_cap_are_read_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a");
        std::fs::write(&path, b"abcd").unwrap();
        assert_eq!(read_input(&path, 4, "thing").unwrap(), b"abcd");
        refused_because(read_input(&path, 3, "thing"), "larger than 3 bytes");
    }

    #[test]
    fn devices_directories_and_fifos_are_refused_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).unwrap();
        refused_because(
            read_input(Path::new("/dev/zero"), 16, "x"),
            "character device",
        );
        refused_because(read_input(dir.path(), 16, "x"), "directory");
        // No writer: a blocking open would hang here.
        refused_because(read_input(&fifo, 16, "x"), "FIFO");
    }

    #[test]
    fn text_must_be_utf8() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t");
        std::fs::write(&path, [0xFF, 0xFE]).unwrap();
        assert!(matches!(
            read_input_text(&path, 16, "trace"),
            Err(FileError::Refused { .. })
        ));
    }
}
