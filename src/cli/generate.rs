//! `odflash generate` (hidden): the man pages and shell completions, written by `make install`
//! and the Debian package build from the clap definitions, so they never drift from the CLI.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, CommandFactory, Subcommand, ValueEnum};
use clap_complete::Shell;
use odflash::ops::atomic::{self, Mode};

use super::args::Cli;
use super::manpages;

/// `odflash generate` arguments.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// What to generate.
    #[command(subcommand)]
    pub what: What,
}

/// What `odflash generate` writes.
#[derive(Debug, Subcommand)]
pub enum What {
    /// The man pages into DIR: `odflash.1` and one `odflash-<command>.1` per command.
    Man {
        /// Output directory.
        dir: PathBuf,
    },
    /// The completion file for SHELL into DIR, under the name that shell loads it by
    /// (bash `odflash`, zsh `_odflash`, fish `odflash.fish`).
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: ShellArg,
        /// Output directory.
        dir: PathBuf,
    },
}

/// The shells odflash installs completions for.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ShellArg {
    /// bash (bash-completion loads `completions/odflash` on demand).
    Bash,
    /// zsh (`_odflash` on the fpath).
    Zsh,
    /// fish (`vendor_completions.d/odflash.fish`).
    Fish,
}

impl ShellArg {
    fn shell(self) -> Shell {
        match self {
            ShellArg::Bash => Shell::Bash,
            ShellArg::Zsh => Shell::Zsh,
            ShellArg::Fish => Shell::Fish,
        }
    }

    /// The file name the shell looks the completion up by.
    fn file_name(self) -> &'static str {
        match self {
            ShellArg::Bash => "odflash",
            ShellArg::Zsh => "_odflash",
            ShellArg::Fish => "odflash.fish",
        }
    }
}

impl GenerateArgs {
    /// Write the requested file and print its path.
    pub fn run(self) -> anyhow::Result<()> {
        let mut cmd = Cli::command();
        match self.what {
            What::Man { dir } => {
                let pages = manpages::render_all(cmd).context("rendering the man pages")?;
                for page in pages {
                    let path = write(&dir.join(&page.file_name), |out| out.write_all(&page.roff))?;
                    println!("{}", path.display());
                }
            }
            What::Completions { shell, dir } => {
                let path = write(&dir.join(shell.file_name()), |out| {
                    clap_complete::generate(shell.shell(), &mut cmd, "odflash", out);
                    Ok(())
                })?;
                println!("{}", path.display());
            }
        }
        Ok(())
    }
}

/// Render the file into memory and write it with [`atomic::write_file`] (mode 0644).
fn write(
    path: &Path,
    render: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> anyhow::Result<PathBuf> {
    let mut bytes = Vec::new();
    render(&mut bytes).with_context(|| format!("rendering {}", path.display()))?;
    atomic::write_file(path, &bytes, Mode::Shared)
        .map_err(odflash::ops::Error::from)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(path.to_path_buf())
}
