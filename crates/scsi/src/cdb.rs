//! CDB builders for the standard SPC/MMC commands odflash uses. Pure functions returning
//! fixed-size arrays; each is checked byte by byte against its spec layout in the tests below.
//! Vendor-specific CDBs never live here: they belong to `family/<chip>/cdb.rs`.

/// Operation codes of the standard commands built here.
pub mod opcode {
    /// TEST UNIT READY (SPC-4 §6.47).
    pub const TEST_UNIT_READY: u8 = 0x00;
    /// REQUEST SENSE (SPC-4 §6.39).
    pub const REQUEST_SENSE: u8 = 0x03;
    /// INQUIRY (SPC-4 §6.6).
    pub const INQUIRY: u8 = 0x12;
    /// MODE SENSE(6) (SPC-4 §6.13).
    pub const MODE_SENSE_6: u8 = 0x1A;
    /// WRITE BUFFER (SPC-4 §6.49).
    pub const WRITE_BUFFER: u8 = 0x3B;
    /// READ BUFFER(10) (SPC-4 §6.36).
    pub const READ_BUFFER: u8 = 0x3C;
    /// GET CONFIGURATION (MMC-6 §6.6).
    pub const GET_CONFIGURATION: u8 = 0x46;
    /// GET EVENT STATUS NOTIFICATION (MMC-6 §6.7).
    pub const GET_EVENT_STATUS: u8 = 0x4A;
    /// MODE SENSE(10) (SPC-4 §6.14).
    pub const MODE_SENSE_10: u8 = 0x5A;
}

/// INQUIRY allocation length asked first: enough for the standard data plus vendor fields.
pub const INQUIRY_LONG: u16 = 96;
/// INQUIRY allocation length some strict USB bridges insist on (the SPC minimum).
pub const INQUIRY_SHORT: u16 = 36;
/// VPD page 0x80: unit serial number (SPC-4 §7.8.15).
pub const VPD_UNIT_SERIAL: u8 = 0x80;
/// MODE SENSE page 0x2A: MM capabilities and mechanical status (MMC-3 §5.5.10).
pub const PAGE_CAPABILITIES: u8 = 0x2A;
/// GET CONFIGURATION feature 0x0108: logical unit serial number (MMC-6 §5.3.28).
pub const FEATURE_SERIAL: u16 = 0x0108;
/// GET CONFIGURATION feature 0x010C: firmware information / date (MMC-6 §5.3.32).
pub const FEATURE_FIRMWARE_DATE: u16 = 0x010C;
/// GET CONFIGURATION RT field: return only the feature named in the CDB (MMC-6 §6.6.2.1).
pub const RT_ONE_FEATURE: u8 = 0x02;

/// TEST UNIT READY: `00 00 00 00 00 00`.
pub fn build_test_unit_ready() -> [u8; 6] {
    [opcode::TEST_UNIT_READY, 0, 0, 0, 0, 0]
}

/// REQUEST SENSE (6) with allocation length `alloc` (SPC-4 §6.39: byte 4).
pub fn build_request_sense(alloc: u8) -> [u8; 6] {
    [opcode::REQUEST_SENSE, 0, 0, 0, alloc, 0]
}

/// Standard INQUIRY with allocation length `alloc` (SPC-4 §6.6: bytes 3..4, big-endian).
pub fn build_inquiry(alloc: u16) -> [u8; 6] {
    let a = alloc.to_be_bytes();
    [opcode::INQUIRY, 0, 0, a[0], a[1], 0]
}

/// INQUIRY for a VPD page (EVPD=1, page code in byte 2).
pub fn build_inquiry_vpd(page: u8, alloc: u16) -> [u8; 6] {
    let a = alloc.to_be_bytes();
    [opcode::INQUIRY, 0x01, page, a[0], a[1], 0]
}

/// GET CONFIGURATION with request type `rt` for `feature` (MMC-6 §6.6: byte 1 RT, bytes 2..3
/// starting feature, bytes 7..8 allocation length).
pub fn build_get_configuration(rt: u8, feature: u16, alloc: u16) -> [u8; 10] {
    let f = feature.to_be_bytes();
    let a = alloc.to_be_bytes();
    [
        opcode::GET_CONFIGURATION,
        rt & 0x03,
        f[0],
        f[1],
        0,
        0,
        0,
        a[0],
        a[1],
        0,
    ]
}

/// MODE SENSE(10) for current values of `page` (SPC-4 §6.14: DBD=1 in byte 1, PC=0 and page
/// code in byte 2, allocation length in bytes 7..8).
pub fn build_mode_sense_10(page: u8, alloc: u16) -> [u8; 10] {
    let a = alloc.to_be_bytes();
    [
        opcode::MODE_SENSE_10,
        0x08,
        page & 0x3F,
        0,
        0,
        0,
        0,
        a[0],
        a[1],
        0,
    ]
}

/// READ BUFFER(10): mode (low 5 bits of byte 1), buffer id, 24-bit offset and 24-bit length
/// (SPC-4 §6.36).
pub fn build_read_buffer(mode: u8, buffer_id: u8, offset: u32, len: u32) -> [u8; 10] {
    let o = offset.to_be_bytes();
    let l = len.to_be_bytes();
    [
        opcode::READ_BUFFER,
        mode & 0x1F,
        buffer_id,
        o[1],
        o[2],
        o[3],
        l[1],
        l[2],
        l[3],
        0,
    ]
}

/// WRITE BUFFER (10-byte form): mode, buffer id, 24-bit offset and 24-bit parameter list length
/// (SPC-4 §6.49).
pub fn build_write_buffer(mode: u8, buffer_id: u8, offset: u32, len: u32) -> [u8; 10] {
    let o = offset.to_be_bytes();
    let l = len.to_be_bytes();
    [
        opcode::WRITE_BUFFER,
        mode & 0x1F,
        buffer_id,
        o[1],
        o[2],
        o[3],
        l[1],
        l[2],
        l[3],
        0,
    ]
}

/// The 24-bit offset of a READ/WRITE BUFFER CDB (bytes 3..5).
pub fn buffer_offset(cdb: &[u8]) -> u32 {
    u32::from_be_bytes([0, cdb[3], cdb[4], cdb[5]])
}

/// The 24-bit length of a READ/WRITE BUFFER CDB (bytes 6..8).
pub fn buffer_length(cdb: &[u8]) -> u32 {
    u32::from_be_bytes([0, cdb[6], cdb[7], cdb[8]])
}

/// The expected CDB length for an opcode, from its group code (SPC-4 §4.2.5.1); vendor groups
/// 6 and 7 are reported as 12 bytes, as MMC drives use them.
pub fn cdb_length(opcode: u8) -> usize {
    match opcode >> 5 {
        0 => 6,
        1 | 2 => 10,
        4 => 16,
        _ => 12,
    }
}

/// The standard name of an SPC/MMC operation code, for decoded traces: the commands drives and
/// their hosts send (SPC-4 §4.2.5 and the command lists of SPC-4 §6 and MMC-6 §6). `None` for
/// an opcode not listed here, which includes every vendor-specific one ([`is_vendor_specific`]).
pub fn opcode_name(op: u8) -> Option<&'static str> {
    Some(match op {
        0x00 => "TEST UNIT READY",
        0x03 => "REQUEST SENSE",
        0x12 => "INQUIRY",
        0x15 => "MODE SELECT(6)",
        0x1A => "MODE SENSE(6)",
        0x1B => "START STOP UNIT",
        0x1E => "PREVENT ALLOW MEDIUM REMOVAL",
        0x23 => "READ FORMAT CAPACITIES",
        0x25 => "READ CAPACITY",
        0x28 => "READ(10)",
        0x2A => "WRITE(10)",
        0x2B => "SEEK(10)",
        0x2F => "VERIFY(10)",
        0x35 => "SYNCHRONIZE CACHE",
        0x3B => "WRITE BUFFER",
        0x3C => "READ BUFFER",
        0x42 => "READ SUB-CHANNEL",
        0x43 => "READ TOC/PMA/ATIP",
        0x46 => "GET CONFIGURATION",
        0x4A => "GET EVENT STATUS NOTIFICATION",
        0x4D => "LOG SENSE",
        0x51 => "READ DISC INFORMATION",
        0x52 => "READ TRACK INFORMATION",
        0x55 => "MODE SELECT(10)",
        0x5A => "MODE SENSE(10)",
        0xA0 => "REPORT LUNS",
        0xA3 => "SEND KEY",
        0xA4 => "REPORT KEY",
        0xA8 => "READ(12)",
        0xAC => "GET PERFORMANCE",
        0xAD => "READ DISC STRUCTURE",
        0xB6 => "SET STREAMING",
        0xB9 => "READ CD MSF",
        0xBB => "SET CD SPEED",
        0xBD => "MECHANISM STATUS",
        0xBE => "READ CD",
        _ => return None,
    })
}

/// True for the vendor-specific operation codes: groups 6 and 7, 0xC0..=0xFF (SPC-4 §4.2.5.1).
pub fn is_vendor_specific(op: u8) -> bool {
    op >> 5 >= 6
}

/// The standard name of a WRITE BUFFER mode (SPC-4 §6.49.1, table of MODE field values);
/// `None` for reserved and vendor-specific modes (mode 1 is vendor specific).
pub fn write_buffer_mode_name(mode: u8) -> Option<&'static str> {
    Some(match mode {
        0x00 => "combined header and data",
        0x02 => "data",
        0x04 => "download microcode and activate",
        0x05 => "download microcode and save",
        0x06 => "download microcode with offsets and activate",
        0x07 => "download microcode with offsets, save and activate",
        0x0A => "write data to echo buffer",
        0x0D => {
            "download microcode with offsets, select activation events, save and defer activate"
        }
        0x0E => "download microcode with offsets, save and defer activate",
        0x0F => "activate deferred microcode",
        _ => return None,
    })
}

/// The standard name of a READ BUFFER mode (SPC-4 §6.36.1, table of MODE field values); `None`
/// for reserved and vendor-specific modes (mode 1 is vendor specific).
pub fn read_buffer_mode_name(mode: u8) -> Option<&'static str> {
    Some(match mode {
        0x00 => "combined header and data",
        0x02 => "data",
        0x03 => "descriptor",
        0x0A => "read data from echo buffer",
        0x0B => "echo buffer descriptor",
        0x1C => "error history",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_of_standard_opcodes_and_buffer_modes() {
        assert_eq!(opcode_name(opcode::INQUIRY), Some("INQUIRY"));
        assert_eq!(
            opcode_name(opcode::GET_CONFIGURATION),
            Some("GET CONFIGURATION")
        );
        assert_eq!(opcode_name(0xDF), None);
        assert!(is_vendor_specific(0xC0) && is_vendor_specific(0xFF));
        assert!(!is_vendor_specific(0xBF) && !is_vendor_specific(opcode::WRITE_BUFFER));
        assert_eq!(
            write_buffer_mode_name(0x05),
            Some("download microcode and save")
        );
        assert_eq!(write_buffer_mode_name(0x01), None, "vendor specific");
        assert_eq!(read_buffer_mode_name(0x02), Some("data"));
        assert_eq!(read_buffer_mode_name(0x06), None);
    }

    #[test]
    fn test_unit_ready_is_all_zero() {
        assert_eq!(build_test_unit_ready(), [0; 6]);
    }

    #[test]
    fn inquiry_layouts() {
        assert_eq!(build_inquiry(96), [0x12, 0, 0, 0, 0x60, 0]);
        assert_eq!(build_inquiry(36), [0x12, 0, 0, 0, 0x24, 0]);
        assert_eq!(build_inquiry_vpd(0x80, 0x00FC), [0x12, 1, 0x80, 0, 0xFC, 0]);
    }

    #[test]
    fn request_sense_layout() {
        assert_eq!(build_request_sense(18), [0x03, 0, 0, 0, 18, 0]);
    }

    #[test]
    fn get_configuration_layout() {
        // The record's probe: 46 02 01 0C 00 00 00 00 1C 00.
        assert_eq!(
            build_get_configuration(RT_ONE_FEATURE, FEATURE_FIRMWARE_DATE, 28),
            [0x46, 0x02, 0x01, 0x0C, 0, 0, 0, 0, 0x1C, 0]
        );
    }

    #[test]
    fn mode_sense_10_layout() {
        assert_eq!(
            build_mode_sense_10(PAGE_CAPABILITIES, 0x100),
            [0x5A, 0x08, 0x2A, 0, 0, 0, 0, 0x01, 0x00, 0]
        );
    }

    #[test]
    fn buffer_layouts() {
        // The record's banner read: 3C 06 00 00 30 00 00 00 20 00.
        let rb = build_read_buffer(6, 0, 0x3000, 0x20);
        assert_eq!(rb, [0x3C, 0x06, 0, 0x00, 0x30, 0x00, 0, 0, 0x20, 0]);
        assert_eq!(buffer_offset(&rb), 0x3000);
        assert_eq!(buffer_length(&rb), 0x20);
        let wb = build_write_buffer(6, 0, 0x1F_C000, 0x4000);
        assert_eq!(wb, [0x3B, 0x06, 0, 0x1F, 0xC0, 0x00, 0x00, 0x40, 0x00, 0]);
    }

    #[test]
    fn group_lengths() {
        assert_eq!(cdb_length(0x12), 6);
        assert_eq!(cdb_length(0x3C), 10);
        assert_eq!(cdb_length(0x46), 10);
        assert_eq!(cdb_length(0x5A), 10);
        assert_eq!(cdb_length(0xA8), 12);
        assert_eq!(cdb_length(0x88), 16);
        assert_eq!(cdb_length(0xFF), 12);
    }
}
