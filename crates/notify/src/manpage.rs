//! The man page `odflash-notify.1`, rendered from the clap definition (clap_mangen) so it never
//! drifts from `--help`; `make install` and the Debian package build write it with the hidden
//! `--generate-man DIR`.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Command;
use odflash_files::atomic::{write_file, Mode};

/// Render the page for `cmd` and write it atomically to `dir/odflash-notify.1`; its path.
pub fn write_man_page(cmd: Command, dir: &Path) -> anyhow::Result<PathBuf> {
    let path = dir.join(format!("{}.1", cmd.get_name()));
    let mut roff = Vec::new();
    clap_mangen::Man::new(cmd)
        .source(format!("odflash {}", env!("CARGO_PKG_VERSION")))
        .manual("odflash manual")
        .render(&mut roff)
        .context("rendering the man page")?;
    write_file(&path, &roff, Mode::Shared)?;
    Ok(path)
}
