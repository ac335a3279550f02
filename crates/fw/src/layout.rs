//! The MT19xx (MT1959/MT1939, LG/ASUS/Buffalo line) 2 MiB flash layout, from
//! docs/protocol.md §3.1 (sources: freemkv-firmware
//! `crates/freemkv-chipset/src/detect.rs`, `crates/freemkv-flash/src/cmac.rs`,
//! `drive/mtk/mod.rs`; coastermelt `doc/bootloader.txt`).

/// Size of the whole flash and of a flashable image.
pub const FLASH_SIZE: usize = 0x20_0000;
/// End (exclusive) of the write-protected boot region 0x0..0xFFFF; writes there are ignored.
pub const BOOT_REGION_END: usize = 0x1_0000;
/// Offset of the 32-byte boot banner (`MT1959 Boot BU5 ...`).
pub const BANNER_OFFSET: usize = 0x3000;
/// Length of the boot banner window; the drive rejects longer reads of it.
pub const BANNER_LEN: usize = 0x20;
/// Offset of the integrity table (16 entries of 28 bytes).
pub const TABLE_OFFSET: usize = 0x1_0400;
/// Number of entries in the integrity table.
pub const TABLE_ENTRIES: usize = 16;
/// Size of one integrity table entry: enabled, start, end (u32 LE each) and a 16-byte digest.
pub const TABLE_ENTRY_LEN: usize = 28;
/// Offset of the identity descriptor.
pub const DESCRIPTOR_OFFSET: usize = 0x1E_C000;
/// Length of the identity descriptor window.
pub const DESCRIPTOR_LEN: usize = 0x100;
/// Offset of the chip tag (`MTEKMT19xx`) within the descriptor.
pub const CHIP_TAG_IN_DESCRIPTOR: usize = 0x34;
/// Offset of the per-unit calibration window.
pub const CALIBRATION_OFFSET: usize = 0x1F_0000;
/// Length of the per-unit calibration window.
pub const CALIBRATION_LEN: usize = 0x1_0000;
/// The page a drive mirrors at offset 0 of a READ BUFFER dump (reads of page 0 return 0x10000).
pub const MIRROR_SOURCE: usize = 0x1_0000;
/// Length of the mirrored first page in a raw drive read.
// ASSUMPTION: freemkv `ensure_flashable_boot_page` says reads of "the first page" return a mirror
// of 0x10000 (docs/protocol.md §2.2, §3.6), but the page length lives in a crate that is not public
// (`mediatek_optical::layout::BOOT_PAGE`). We use 4 KiB, the chunk size of freemkv's full dump
// (`probe.rs` `read_full_image`), so a dump made in 4 KiB reads shows at least this much mirrored;
// comparing fewer bytes than the true page only makes the test less strict, never wrong on an image
// whose boot page is real.
pub const MIRROR_LEN: usize = 0x1000;
/// AES-128-CMAC key of the integrity table, public (it only guards against corruption).
pub const INTEGRITY_KEY: [u8; 16] = [
    0xBD, 0x20, 0x94, 0x08, 0xE3, 0x5E, 0x52, 0x6A, 0x36, 0x23, 0x52, 0x34, 0x43, 0x4F, 0xE8, 0xAB,
];
