//! The `state-file=` store: the drive's whole state survives between processes, so several CLI
//! invocations act on one drive. The small state is JSON (the named file); flash and staged
//! download data live in binary sidecars named by generation (`<file>.flash-<gen>.bin`), written
//! only when they change. Every file is written with [`atomic::write_file`] (mode 0600: the
//! flash holds firmware and unit data); the JSON rename is the commit point, and sidecars it no
//! longer names are removed afterwards.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::fault::MAX_PLAN_BYTES;
use super::{Error, State};
use crate::image::layout::FLASH_SIZE;
use odflash_files::atomic::{self, Mode};
use odflash_files::input;

/// Largest state JSON read: a fault plan (at most [`MAX_PLAN_BYTES`]) and small fields.
const MAX_STATE_BYTES: usize = MAX_PLAN_BYTES + (64 << 10);

/// Version of the state file layout.
const FORMAT: u32 = 1;

/// The JSON document, as read.
#[derive(Deserialize)]
struct Saved {
    format: u32,
    state: State,
    /// Whether a staged-data sidecar belongs to this state.
    staged: bool,
}

/// The JSON document, as written (borrowing the state: no copy of the flash).
#[derive(Serialize)]
struct SavedRef<'a> {
    format: u32,
    state: &'a State,
    staged: bool,
}

/// Where a drive's state lives, and which sidecars are already on disk.
#[derive(Debug)]
pub(crate) struct Store {
    path: PathBuf,
    flash_gen: Option<u64>,
    staged_gen: Option<u64>,
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "emu-state".into())
}

fn sidecar(path: &Path, kind: &str, gen: u64) -> PathBuf {
    path.with_file_name(format!("{}.{kind}-{gen}.bin", file_name(path)))
}

fn directory(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    Ok(atomic::write_file(path, bytes, Mode::Private)?)
}

/// Reads a sidecar, at most the largest flash any model has (2 MiB); the model checks the
/// length it expects ([`crate::model::Behaviour::check_loaded`]).
fn read_sidecar(path: &Path) -> Result<Vec<u8>, Error> {
    Ok(input::read_input(
        path,
        FLASH_SIZE,
        "emulator flash sidecar",
    )?)
}

/// Largest counter a state file may hold (commands, flash generations): far beyond any drive's
/// life, and far enough below `u64::MAX` that counting on cannot overflow.
const MAX_COUNT: u64 = 1 << 53;

/// Latest time a state file may hold (the virtual clock, burn deadlines): about 34,800 years, so
/// adding any timeout or burn time to it cannot overflow a `Duration`.
const MAX_TIME: Duration = Duration::from_secs(1 << 40);

/// Refuse a time a state file holds that adding a timeout or burn time to could overflow.
pub(crate) fn check_time(name: &str, t: Duration) -> Result<(), String> {
    (t <= MAX_TIME).then_some(()).ok_or_else(|| {
        format!(
            "{name} {} s is beyond {} s",
            t.as_secs(),
            MAX_TIME.as_secs()
        )
    })
}

/// Refuse a loaded state whose values the emulator's arithmetic cannot take (a crafted or
/// damaged file), before its sidecars are read.
fn check_loaded(state: &State) -> Result<(), String> {
    let count = |name: &str, n: u64| {
        (n <= MAX_COUNT)
            .then_some(())
            .ok_or_else(|| format!("{name} {n} is beyond {MAX_COUNT}"))
    };
    count("commands", state.commands)?;
    check_time("clock", state.clock.virtual_now())?;
    let faults = &state.faults;
    if faults.fired.len() != faults.plan.faults.len() {
        return Err(format!(
            "{} fired flags for {} faults",
            faults.fired.len(),
            faults.plan.faults.len()
        ));
    }
    faults.plan.check().map_err(|e| e.to_string())?;
    if let Some(m) = state.model.get().memory() {
        count("flash_gen", m.flash_gen)?;
        count("staged_gen", m.staged_gen)?;
    }
    Ok(())
}

impl Store {
    /// A store at `path` with nothing saved yet.
    pub(crate) fn new(path: &Path) -> Store {
        Store {
            path: path.to_path_buf(),
            flash_gen: None,
            staged_gen: None,
        }
    }

    /// Load the state saved at `path`.
    pub(crate) fn load(path: &Path) -> Result<(State, Store), Error> {
        // Every save replaces the file: refuse a link before reading through it.
        atomic::check_replaceable(path)?;
        let text = input::read_input_text(path, MAX_STATE_BYTES, "emulator state file")?;
        let saved: Saved = serde_json::from_str(&text).map_err(|e| Error::State {
            path: path.to_path_buf(),
            why: e.to_string(),
        })?;
        if saved.format != FORMAT {
            return Err(Error::State {
                path: path.to_path_buf(),
                why: format!("format {} (this odflash reads {FORMAT})", saved.format),
            });
        }
        let mut state = saved.state;
        let refuse = |why| Error::State {
            path: path.to_path_buf(),
            why,
        };
        check_loaded(&state).map_err(refuse)?;
        let mut store = Store::new(path);
        if let Some(m) = state.model.get_mut().memory_mut() {
            m.flash = read_sidecar(&sidecar(path, "flash", m.flash_gen))?;
            store.flash_gen = Some(m.flash_gen);
            if saved.staged {
                m.staged = Some(read_sidecar(&sidecar(path, "staged", m.staged_gen))?);
                store.staged_gen = Some(m.staged_gen);
            }
        }
        state.model.get().check_loaded().map_err(refuse)?;
        Ok((state, store))
    }

    /// Save `state`: changed sidecars first, then the JSON (the commit point), then cleanup.
    pub(crate) fn save(&mut self, state: &State) -> Result<(), Error> {
        let mut staged = false;
        let memory = state.model.get().memory();
        if let Some(m) = memory {
            if self.flash_gen != Some(m.flash_gen) {
                write_private(&sidecar(&self.path, "flash", m.flash_gen), &m.flash)?;
            }
            if let Some(data) = &m.staged {
                staged = true;
                if self.staged_gen != Some(m.staged_gen) {
                    write_private(&sidecar(&self.path, "staged", m.staged_gen), data)?;
                }
            }
        }
        let doc = SavedRef {
            format: FORMAT,
            state,
            staged,
        };
        let json = serde_json::to_vec_pretty(&doc).map_err(|e| Error::State {
            path: self.path.clone(),
            why: e.to_string(),
        })?;
        write_private(&self.path, &json)?;
        if let Some(m) = memory {
            self.flash_gen = Some(m.flash_gen);
            self.staged_gen = staged.then_some(m.staged_gen);
        }
        self.remove_stale();
        Ok(())
    }

    /// Remove sidecars the saved JSON no longer names. Failures only leave garbage behind.
    fn remove_stale(&self) {
        let prefix = format!("{}.", file_name(&self.path));
        let keep: Vec<PathBuf> = [
            self.flash_gen.map(|g| sidecar(&self.path, "flash", g)),
            self.staged_gen.map(|g| sidecar(&self.path, "staged", g)),
        ]
        .into_iter()
        .flatten()
        .collect();
        let Ok(entries) = fs::read_dir(directory(&self.path)) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let ours = name.strip_prefix(&prefix).is_some_and(|rest| {
                (rest.starts_with("flash-") || rest.starts_with("staged-"))
                    && rest.ends_with(".bin")
            });
            let path = self.path.with_file_name(&name);
            if ours && !keep.contains(&path) {
                if let Err(e) = fs::remove_file(&path) {
                    log::warn!(
                        "could not remove stale emulator sidecar {}: {e}",
                        path.display()
                    );
                }
            }
        }
    }
}
