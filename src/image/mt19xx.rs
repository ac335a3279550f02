//! The MT1959/MT1939 (LG, ASUS, Buffalo line) 2 MiB image model: boot banner, identity
//! descriptor, chip tag, integrity table verdicts, raw-dump detection and fingerprints.
//!
//! Facts from `shared/protocol/mtk-protocol.md` §3 (sources: freemkv-firmware
//! `crates/freemkv-chipset/src/detect.rs`, `crates/freemkv-flash/src/drive/fw_ident.rs`,
//! `drive/mtk/mod.rs`). Parsing never fails on content: every problem is a verdict the gates in
//! `ops/` judge. This module never touches a device.

use super::layout;

/// The chip family named by an image's `MTEKMT19xx` tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Chip {
    /// MediaTek MT1959.
    Mt1959,
    /// MediaTek MT1939.
    Mt1939,
}

impl Chip {
    /// The 10-byte tag as stored in the descriptor (`MTEKMT1959`).
    pub fn tag(self) -> &'static [u8; 10] {
        match self {
            Chip::Mt1959 => b"MTEKMT1959",
            Chip::Mt1939 => b"MTEKMT1939",
        }
    }

    /// The chip's name (`MT1959`).
    pub fn name(self) -> &'static str {
        match self {
            Chip::Mt1959 => "MT1959",
            Chip::Mt1939 => "MT1939",
        }
    }

    /// The other chip of the pair (used to build wrong-tag images).
    pub fn other(self) -> Chip {
        match self {
            Chip::Mt1959 => Chip::Mt1939,
            Chip::Mt1939 => Chip::Mt1959,
        }
    }
}

impl std::fmt::Display for Chip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Searches the whole image for a chip tag and returns its offset and chip. The tag is the
/// authoritative chip family; freemkv searches for it because some ASUS dumps are shifted.
/// The first occurrence wins.
pub fn find_chip_tag(bytes: &[u8]) -> Option<(usize, Chip)> {
    bytes.windows(10).enumerate().find_map(|(at, w)| {
        [Chip::Mt1959, Chip::Mt1939]
            .into_iter()
            .find(|chip| w == chip.tag())
            .map(|chip| (at, chip))
    })
}

/// True when the boot banner window at 0x3000 starts with `MT19` (freemkv's
/// `has_mt19_banner` test, `drive/mtk/mod.rs`).
pub fn has_mt19_banner(bytes: &[u8]) -> bool {
    bytes
        .get(layout::BANNER_OFFSET..layout::BANNER_OFFSET + 4)
        .is_some_and(|b| b == b"MT19")
}
