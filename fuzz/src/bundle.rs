//! Backup bundles and unit-data files read from disk: `ops::bundle::parse_bundle`.
//!
//! Input: a selector byte, then either the file itself (selector < 0x80), or a description of
//! an archive that `build_archive` turns into a well-formed tar (valid header
//! checksums, raw entry names and types, a manifest built from the parts and then lied to), so
//! the manifest and part checks are reached instead of the tar checksum.
//!
//! Properties: no panic; an accepted bundle's parts match its manifest (names, sizes,
//! sha256); rebuilt with `build_bundle` it parses back equal (when its part names are plain
//! relative paths, the only names `build_bundle` can write).

use std::path::{Component, Path};

use super::build_archive;
use odflash::ops::bundle::{build_bundle, parse_bundle, sha256_hex};

/// True when tar would store `name` unchanged: relative, no `.`/`..`, no empty components.
fn is_plain(name: &str) -> bool {
    let parts: Vec<&str> = Path::new(name)
        .components()
        .map(|c| match c {
            Component::Normal(s) => s.to_str(),
            _ => None,
        })
        .collect::<Option<_>>()
        .unwrap_or_default();
    !parts.is_empty() && parts.join("/") == name
}

/// One input of the `bundle` target.
pub fn run(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let file = if selector < 0x80 {
        rest.to_vec()
    } else {
        build_archive(rest)
    };
    let path = Path::new("fuzz.odbk");
    let Ok(bundle) = parse_bundle(path, &file) else {
        return;
    };
    assert_eq!(bundle.parts.len(), bundle.manifest.parts.len());
    for (part, record) in bundle.parts.iter().zip(&bundle.manifest.parts) {
        assert_eq!(part.name, record.name);
        assert_eq!(part.bytes.len() as u64, record.size);
        assert_eq!(sha256_hex(&part.bytes), record.sha256);
    }
    if bundle.parts.iter().all(|p| is_plain(&p.name)) {
        let again = parse_bundle(path, &build_bundle(&bundle.manifest, &bundle.parts))
            .expect("a rebuilt bundle parses");
        assert_eq!(again, bundle);
    }
}
