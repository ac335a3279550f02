//! Firmware and unit-data image models: layouts, identity strings, integrity checks, compat
//! groups, and builders for synthetic images. This layer parses and builds bytes; it never
//! touches a device.

pub mod layout;
