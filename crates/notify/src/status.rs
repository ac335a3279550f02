//! Reading one status file of the hotplug helper (`odflash hotplug`, which writes them with
//! `odflash::ops::hotplug::write_state`) into the same [`Classification`] type it was written
//! from. Which names in the directory are status files is decided here too.

use std::ffi::OsStr;
use std::path::Path;

use odflash::ops::hotplug::Classification;
use odflash_files::input::read_input_text;

use crate::error::Error;

/// The most a status file can be: a few hundred bytes of sanitized identity and state, with
/// room to spare. A larger file is not one the helper wrote.
const STATUS_FILE_CAP: usize = 64 * 1024;

/// Whether `name` (a directory entry) is a status file: `<device>.json`, not hidden (the
/// writer's temp files start with a dot until they are renamed into place).
pub fn is_status_file(name: &OsStr) -> bool {
    let name = name.as_encoded_bytes();
    name.ends_with(b".json") && name.len() > b".json".len() && !name.starts_with(b".")
}

/// Read and parse the status file `path` (a regular file, at most [`STATUS_FILE_CAP`] bytes).
pub fn read_status(path: &Path) -> Result<Classification, Error> {
    let text = read_input_text(path, STATUS_FILE_CAP, "odflash status file")?;
    serde_json::from_str(&text).map_err(|e| Error::Parse {
        path: path.to_path_buf(),
        detail: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_visible_json_files_are_status_files() {
        for name in ["sg3.json", "emu-mt1959.json"] {
            assert!(is_status_file(OsStr::new(name)), "{name}");
        }
        for name in [
            ".sg3.json",
            ".sg3.json.odflash-tmp-12-0",
            "sg3.txt",
            ".json",
            "sg3",
        ] {
            assert!(!is_status_file(OsStr::new(name)), "{name}");
        }
    }

    #[test]
    fn bad_files_are_errors_not_panics() {
        let dir = tempfile::tempdir().unwrap();
        let garbage = dir.path().join("sg1.json");
        std::fs::write(&garbage, "{\"device\": ").unwrap();
        assert!(matches!(read_status(&garbage), Err(Error::Parse { .. })));
        let other_json = dir.path().join("sg2.json");
        std::fs::write(&other_json, "{\"verdict\": \"recovery\"}").unwrap();
        assert!(matches!(read_status(&other_json), Err(Error::Parse { .. })));
        assert!(matches!(
            read_status(&dir.path().join("sg9.json")),
            Err(Error::Read(_))
        ));
        assert!(matches!(read_status(dir.path()), Err(Error::Read(_))));
    }
}
