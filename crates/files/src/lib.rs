//! The two ways odflash touches files by path, shared by its workflows and its emulator:
//! [`atomic`] creates every file (symlink-safe, temp + fsync + rename), [`input`] reads every
//! input file whole (regular files only, bounded by the format's cap).
//!
//! Owns only file mechanics: it knows nothing about drives, bundles or policy.

#![deny(missing_docs)]

pub mod atomic;
pub mod input;
